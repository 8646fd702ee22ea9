//! Build-time parsers for everything inside an Arazzo document that is a little language of its
//! own: runtime expressions (`$steps.s.outputs.x#/a/0`), strings with embedded `{$…}`
//! expressions, `simple` conditions, JSONPath criteria, regex criteria and XPath expressions.
//!
//! Every parser returns a typed AST plus warnings, or one [`ExprIssue`] with a stable code, the
//! byte offset of the offending text, a message and (where possible) help with the portable
//! spelling. Codes are listed in [`CODES`]. No parser panics, whatever the input.
//!
//! Accepted beyond the Arazzo 1.0.1 ABNF, because real documents use it:
//! - a `#/json/pointer` after input, output, step-output and workflow names
//!   (`$steps.s.outputs.pets#/0/id`, `$inputs.customer#/firstName`);
//! - dotted and bracket navigation after a name or `body` (`$inputs.customer.firstName`,
//!   `$steps.x.outputs.events.0.dates.0`, `$response.body.data[0].id`): the first dotted token
//!   is the name, the rest is navigation;
//! - `$response.headers.X` (warning W0201) and `$response.body#id` (warning W0202);
//! - double-quoted strings in simple conditions (warning W0204);
//! - the JSONPath shorthand `$.a.b OP literal` (warning W0203).

pub mod ast;
pub mod condition;
pub mod jsonpath;
pub mod runtime;
pub mod selector;
pub mod template;
pub mod xpath;

pub use ast::{
    CmpOp, Condition, Expr, ExprIssue, JsonPathCriterion, Literal, Operand, Segment, Source, TemplatePart,
    Value, dotted_name,
};
pub use condition::parse_condition;
pub use jsonpath::parse_jsonpath;

use crate::model::XPathVersion;
use ast::Parsed;
#[cfg(test)]
use runtime::find_expression_prefix;
pub use runtime::parse_expression;
pub use selector::{SelectorQuery, parse_selector};
#[cfg(test)]
use template::parse_template;
pub use template::parse_value;

/// Every code the expression parsers emit, with its one-line meaning (the crate docs list them).
#[cfg(test)]
pub const CODES: &[(&str, &str)] = &[
    ("E0201", "invalid runtime expression"),
    ("E0202", "invalid JSON pointer in a runtime expression"),
    ("E0203", "invalid simple condition"),
    ("E0204", "invalid JSONPath query"),
    ("E0205", "invalid regular expression"),
    ("E0206", "invalid XPath expression (XPath 3.1 grammar)"),
    ("E0207", "invalid embedded expression in a string (`{$…}`)"),
    ("W0201", "`$request.headers.`/`$response.headers.` (plural) is not Arazzo syntax"),
    ("W0202", "JSON pointer without a leading `/` (`$response.body#id`)"),
    ("W0203", "JSONPath shorthand `PATH OP LITERAL` is not RFC 9535"),
    ("W0204", "double-quoted string literal in a simple condition"),
    ("W0205", "runtime expression in a string without `{}` braces is not substituted"),
    ("E0231", "invalid JSON pointer selector"),
    ("W0231", "a draft-goessner JSONPath query that means something else under RFC 9535"),
    ("W0232", "JavaScript `.length` in a condition"),
    ("W0234", "XPath syntax newer than the declared `xpath-10`/`-20`/`-30` version"),
];

/// The parts of a regex, JSONPath or XPath condition with embedded `{$…}` expressions, when
/// it has any (Arazzo 1.1 §Runtime Expressions in Conditions).
#[must_use]
pub fn embedded(condition: &str) -> Option<Vec<TemplatePart>> {
    match parse_value(condition).ok()?.value {
        Value::Template(parts) => Some(parts),
        _ => None,
    }
}

/// Checks a `type: regex` criterion's pattern (Rust `regex` crate syntax).
///
/// # Errors
/// `E0205` with the regex crate's error text.
pub fn check_regex(pattern: &str) -> Result<(), ExprIssue> {
    match regex::Regex::new(pattern) {
        Ok(_) => Ok(()),
        Err(err) => {
            Err(ExprIssue::new("E0205", 0, pattern.len(), format!("invalid regular expression: {err}"))
                .with_help("regex criteria use Rust `regex` syntax (no look-around or backreferences)"))
        }
    }
}

/// Checks an XPath criterion's condition at build time against the XPath 3.1 grammar, with
/// its `{$…}` values replaced by placeholders (see [`xpath::check_condition`]), and warns
/// (W0234) when it uses syntax newer than the version it declares. The engine evaluates it at
/// run time; the runtime's `xpath` feature carries the engine, so the compiler does not.
///
/// # Errors
/// `E0206` at the first token that does not fit the grammar.
pub fn check_xpath(condition: &str, version: XPathVersion) -> Result<Parsed<()>, ExprIssue> {
    xpath::check_condition(condition, version).map(|warnings| Parsed { value: (), warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::{Path, PathBuf};

    /// Every runtime expression written in the acceptance corpus and the seed workflows, with
    /// its canonical rendering when that differs from the text.
    const CORPUS_EXPRESSIONS: &[(&str, Option<&str>)] = &[
        ("$components.failureActions.gotoFailureAction", None),
        ("$components.failureActions.notifyOps", None),
        ("$components.failureActions.retryFailureAction", None),
        ("$components.parameters.locale", None),
        ("$components.parameters.page", None),
        ("$components.parameters.pageSize", None),
        ("$inputs.PARrequestBody", None),
        ("$inputs.client_assertion", None),
        ("$inputs.client_id", None),
        ("$inputs.client_id", None),
        ("$inputs.client_secret", None),
        ("$inputs.code_verifier", None),
        ("$inputs.coupon_code", None),
        ("$inputs.customer", None),
        ("$inputs.customer#/dateOfBirth", None),
        ("$inputs.customer#/firstName", None),
        ("$inputs.customer#/lastName", None),
        ("$inputs.customer#/postalCode", None),
        ("$inputs.customer#/uri", None),
        ("$inputs.customer.dateOfBirth", Some("$inputs.customer#/dateOfBirth")),
        ("$inputs.customer.firstName", Some("$inputs.customer#/firstName")),
        ("$inputs.customer.lastName", Some("$inputs.customer#/lastName")),
        ("$inputs.customer.postalCode", Some("$inputs.customer#/postalCode")),
        ("$inputs.customer.uri", Some("$inputs.customer#/uri")),
        ("$inputs.my_client_id", None),
        ("$inputs.my_client_secret", None),
        ("$inputs.my_pet_tags", None),
        ("$inputs.my_redirect_uri", None),
        ("$inputs.password", None),
        ("$inputs.petId", None),
        ("$inputs.pet_id", None),
        ("$inputs.products", None),
        ("$inputs.quantity", None),
        ("$inputs.redirect_uri", None),
        ("$inputs.reusable-test", None),
        ("$inputs.store_id", None),
        ("$inputs.token", None),
        ("$inputs.username", None),
        ("$outputs.refresh_token", None),
        ("$outputs.ticketId", None),
        ("$outputs.workflow_order_id", None),
        ("$response.body", None),
        ("$response.body", None),
        ("$response.body#/0/id", None),
        ("$response.body#/access_token", None),
        ("$response.body#/code", None),
        ("$response.body#/couponCode", None),
        ("$response.body#/eligibilityCheckRequired", None),
        ("$response.body#/eventId", None),
        ("$response.body#/existingCustomerNotEligible", None),
        ("$response.body#/expires_in", None),
        ("$response.body#/id", None),
        ("$response.body#/links/self", None),
        ("$response.body#/name", None),
        ("$response.body#/orderId", None),
        ("$response.body#/page/total", None),
        ("$response.body#/products", None),
        ("$response.body#/redirectAuthToken", None),
        ("$response.body#/refresh_token", None),
        ("$response.body#/request_uri", None),
        ("$response.body#/status", None),
        ("$response.body#/ticketId", None),
        ("$response.body#/totalAmount", None),
        ("$response.body.id", Some("$response.body#/id")),
        ("$response.body.links.self", Some("$response.body#/links/self")),
        ("$response.body.redirectAuthToken", Some("$response.body#/redirectAuthToken")),
        ("$response.header.Location", None),
        ("$response.header.X-Expires-After", None),
        ("$response.header.X-Rate-Limit", None),
        ("$response.headers.Location", Some("$response.header.Location")),
        ("$sourceDescriptions.animals.getRandomAnimal", None),
        ("$sourceDescriptions.animals.postAnimal", None),
        ("$sourceDescriptions.auth-api.Authorization", None),
        ("$sourceDescriptions.auth-api.PAR", None),
        ("$sourceDescriptions.auth-api.Token", None),
        ("$sourceDescriptions.cafe-api.listMenuItems", None),
        ("$sourceDescriptions.cafe-api.url", None),
        ("$sourceDescriptions.menu-from-cafe-api.search-menu-items", None),
        ("$sourceDescriptions.museum-api.url", None),
        ("$sourceDescriptions.petStoreDescription.loginUser", None),
        ("$sourceDescriptions.petStoreDescription.url", None),
        ("$sourceDescriptions.tickets-from-museum-api.get-museum-tickets", None),
        ("$statusCode", None),
        ("$steps.AuthzCodeStep.outputs.code", None),
        ("$steps.PARStep.outputs.request_uri", None),
        ("$steps.TokenStep.outputs.tokenResponse", None),
        ("$steps.authenticateCustomerAndAuthorizeLoan.outputs.redirectAuthToken", None),
        ("$steps.browser-authorize.outputs.code", None),
        ("$steps.buy-tickets.outputs.fullBody", None),
        ("$steps.buy-tickets.outputs.ticketId", None),
        ("$steps.checkLoanCanBeProvided.outputs.eligibilityCheckRequired", None),
        ("$steps.checkLoanCanBeProvided.outputs.eligibleProducts", None),
        ("$steps.create-event.outputs.createdEventId", None),
        ("$steps.createCustomer.outputs.customer", None),
        ("$steps.do-the-auth-flow.outputs.my_refresh_token", None),
        ("$steps.do-the-refresh.outputs.access_token", None),
        ("$steps.do-the-refresh.outputs.expires_in", None),
        ("$steps.do-the-refresh.outputs.refresh_token", None),
        ("$steps.find-coupons.outputs.my_coupon_code", None),
        ("$steps.find-pet.outputs.my_pet_id", None),
        ("$steps.findPet.outputs.foundPet.id", Some("$steps.findPet.outputs.foundPet#/id")),
        ("$steps.findPet.outputs.name", None),
        ("$steps.findPet.outputs.pet#/id", None),
        ("$steps.get-access-token.outputs.access_token", None),
        ("$steps.get-access-token.outputs.expires_in", None),
        ("$steps.get-access-token.outputs.refresh_token", None),
        ("$steps.get-client-creds-token.outputs.access_token", None),
        ("$steps.getPetStep.outputs.availablePets", None),
        ("$steps.initiateBnplTransaction.outputs.loanTransactionId", None),
        ("$steps.list-events.outputs.events.0.dates.0", Some("$steps.list-events.outputs.events#/0/dates/0")),
        ("$steps.list-events.outputs.events.0.dates.1", Some("$steps.list-events.outputs.events#/0/dates/1")),
        ("$steps.loginStep.outputs.sessionToken", None),
        ("$steps.orderPet.outputs.orderId", None),
        ("$steps.place-order.outputs.my_order_id", None),
        ("$steps.place-order.outputs.step_order_id", None),
        ("$steps.search-menu.outputs.fullBody", None),
        ("$steps.search-menu.outputs.total", None),
        ("$steps.update-event.outputs.updatedEventId", None),
        ("$workflows.get-menu-items.outputs.reusable-test", None),
        ("$steps.retrieveFinalizedPaymentPlan.outputs.finalizedPaymentPlan", None),
        ("$response.body#/processing_status", None),
        ("$response.body#/results_url", None),
        ("$response.body#/request_counts", None),
        ("$response.body#/cancel_initiated_at", None),
        ("$inputs.apiKey", None),
        ("$inputs.anthropicVersion", None),
        ("$inputs.requests", None),
        ("$steps.submitBatch.outputs.batchId", None),
        ("$steps.pollBatchStatus.outputs.requestCounts", None),
        ("$steps.pollBatchStatus.outputs.resultsUrl", None),
        ("$steps.retrieveResults.outputs.results", None),
        ("$steps.createBatch.outputs.batchId", None),
        ("$steps.confirmCanceled.outputs.processingStatus", None),
        ("$steps.confirmCanceled.outputs.requestCounts", None),
    ];

    #[test]
    fn corpus_expressions_parse_to_the_right_ast() {
        for &(text, canonical) in CORPUS_EXPRESSIONS {
            let parsed = parse_expression(text).unwrap_or_else(|err| panic!("{text}: {err}"));
            assert_eq!(parsed.value.to_string(), canonical.unwrap_or(text), "{text}");
            let want_warning = text.contains(".headers.");
            assert_eq!(!parsed.warnings.is_empty(), want_warning, "{text}: {:?}", parsed.warnings);
        }
    }

    #[test]
    fn corpus_documented_mistakes_are_rejected() {
        let issue = parse_expression("$steps.retrieveFinalizedPaymentPlan.finalizedPaymentPlan")
            .expect_err("lacks .outputs.");
        assert_eq!((issue.code, issue.offset), ("E0201", 36));
        assert_eq!(
            issue.help.as_deref(),
            Some("write `$steps.retrieveFinalizedPaymentPlan.outputs.finalizedPaymentPlan`")
        );
    }

    /// Every condition in the corpus and the seeds: (condition, type, context).
    const CORPUS_CRITERIA: &[(&str, &str, Option<&str>)] = &[
        ("$statusCode == 200", "simple", None),
        ("$statusCode == 200 || $statusCode == 201", "simple", None),
        ("$statusCode == 201 && $response.body#/status == 'placed'", "simple", None),
        ("$statusCode == 302", "simple", None),
        ("$statusCode == 999", "simple", None),
        ("$response.body#/access_token != null", "simple", None),
        ("$response.body#/existingCustomerNotEligible == false", "simple", None),
        ("$response.body#/redirectAuthToken != null", "simple", None),
        ("$response.body#/redirectAuthToken == null", "simple", None),
        ("$steps.checkLoanCanBeProvided.outputs.eligibilityCheckRequired == false", "simple", None),
        ("$steps.checkLoanCanBeProvided.outputs.eligibilityCheckRequired == true", "simple", None),
        ("$[?@.name == 'Mermaid Treasure Identification and Analysis']", "jsonpath", Some("$response.body")),
        ("$[?@.name == 'Orca Identification and Analysis']", "jsonpath", Some("$response.body")),
        ("$.tags[*]", "jsonpath", Some("$response.body")),
        ("$[?@.access_token != null]", "jsonpath", Some("$response.body")),
        ("$[?count(@.products) == 0]", "jsonpath", Some("$response.body")),
        ("$[?count(@.products) > 0]", "jsonpath", Some("$response.body")),
        ("$[?count(@.tags) > 0]", "jsonpath", Some("$response.body")),
        ("$.processing_status != \"ended\"", "jsonpath", Some("$response.body")),
        ("$.processing_status == \"ended\"", "jsonpath", Some("$response.body")),
        ("$.processing_status == 'canceling'", "jsonpath", Some("$response.body")),
        ("$.processing_status == 'ended'", "jsonpath", Some("$response.body")),
        ("^200$", "regex", Some("$statusCode")),
    ];

    #[test]
    fn corpus_criteria_parse() {
        for &(condition, kind, context) in CORPUS_CRITERIA {
            let warnings =
                check_criterion(condition, kind, context).unwrap_or_else(|err| panic!("{condition}: {err}"));
            let shorthand = condition.starts_with("$.processing_status");
            let codes: Vec<_> = warnings.iter().map(|w| w.code).collect();
            assert_eq!(codes, if shorthand { vec!["W0203"] } else { vec![] }, "{condition}");
        }
        let help = parse_jsonpath("$.processing_status != \"ended\"", Some("$response.body"))
            .expect("shorthand")
            .warnings
            .remove(0)
            .help;
        assert_eq!(
            help.as_deref(),
            Some("write it as a simple criterion: `$response.body#/processing_status != 'ended'`")
        );
    }

    #[test]
    fn embedded_expressions_in_conditions() {
        let parts = embedded("$[?@.status == '{$inputs.status}']").expect("embedded");
        assert_eq!(parts.len(), 3);
        assert!(matches!(&parts[1], TemplatePart::Expr(Expr::Inputs { name, .. }) if name == "status"));
        assert!(embedded("^({$inputs.pattern})$").is_some());
        for plain in ["^2\\d{2}$", "$[?@.a == 1]", "$.items[*]", "/root/items[price > 5]"] {
            assert!(embedded(plain).is_none(), "{plain}");
        }
    }

    #[test]
    fn regex_and_xpath() {
        assert!(check_regex("^200$").is_ok());
        assert!(check_regex("^2\\d\\d$").is_ok());
        let issue = check_regex("^(200$").expect_err("unbalanced");
        assert_eq!(issue.code, "E0205");
        assert!(issue.message.contains("unclosed group"), "{}", issue.message);
        assert_eq!(check_regex("(?=a)").expect_err("look-ahead").code, "E0205");
        let v31 = XPathVersion::V31;
        assert!(check_xpath("//status[text()='done' or . = \"a]\"]", v31).is_ok());
        assert!(check_xpath("count(/root/pets/*) > 0", v31).is_ok());
        for (bad, at) in
            [("/a[b", 2), ("/a]", 2), ("f(1]", 3), ("/a['x]", 3), ("  ", 0), ("//status = = 'x'", 11)]
        {
            let issue = check_xpath(bad, v31).expect_err(bad);
            assert_eq!((issue.code, issue.offset), ("E0206", at), "{bad}: {issue}");
        }
    }

    #[test]
    fn codes_are_unique_and_cover_the_parsers() {
        let mut codes: Vec<_> = CODES.iter().map(|(code, _)| *code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), CODES.len());
        for code in ["E0201", "E0202", "E0203", "E0204", "E0205", "E0206", "E0207"] {
            assert!(codes.contains(&code), "{code}");
        }
        for code in ["W0201", "W0202", "W0203", "W0204", "W0205"] {
            assert!(codes.contains(&code), "{code}");
        }
    }

    fn check_criterion(
        condition: &str,
        kind: &str,
        context: Option<&str>,
    ) -> Result<Vec<ExprIssue>, ExprIssue> {
        if let Some(context) = context {
            parse_expression(context)?;
        }
        match kind {
            "simple" => parse_condition(condition).map(|p| p.warnings),
            "jsonpath" => parse_jsonpath(condition, context).map(|p| p.warnings),
            "regex" => check_regex(condition).map(|()| Vec::new()),
            _ => check_xpath(condition, XPathVersion::V31).map(|p| p.warnings),
        }
    }

    /// The seeds, and the shared corpus beside the checkout when it is there. Its absence fails
    /// under `CI=true`: the rule of `arazzo_tests::shared`, which this crate cannot depend on.
    fn corpus_dirs() -> Vec<PathBuf> {
        let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = manifest.join("../../shared/arazzo-corpus");
        if corpus.is_dir() {
            return vec![manifest.join("../workflows/arazzo"), corpus];
        }
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("{} is absent: CI=true needs the shared folder beside the checkout", corpus.display());
        }
        eprintln!(
            "note: {} is absent; only the seeds are walked (a failure under CI=true)",
            corpus.display()
        );
        vec![manifest.join("../workflows/arazzo")]
    }

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for path in entries.flatten().map(|e| e.path()) {
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }

    /// What a walk over the documents found.
    #[derive(Default)]
    struct Walk {
        checked: usize,
        failures: Vec<String>,
    }

    impl Walk {
        fn record(&mut self, what: &str, result: Result<(), ExprIssue>) {
            self.checked += 1;
            if let Err(err) = result {
                self.failures.push(format!("{what}: {err}"));
            }
        }

        fn value(&mut self, node: &serde_yaml::Value) {
            match node {
                serde_yaml::Value::Mapping(map) if map.contains_key("condition") => self.criterion(map),
                serde_yaml::Value::Mapping(map) => {
                    for (k, v) in map {
                        let key = k.as_str().unwrap_or("");
                        if !matches!(key, "description" | "summary" | "title") {
                            self.value(v);
                        }
                    }
                }
                serde_yaml::Value::Sequence(items) => items.iter().for_each(|v| self.value(v)),
                serde_yaml::Value::String(s) if s.contains('$') => {
                    self.record(s, parse_value(s).map(|_| ()));
                }
                _ => {}
            }
        }

        fn criterion(&mut self, map: &serde_yaml::Mapping) {
            let text = |v: Option<&serde_yaml::Value>| v.and_then(|v| v.as_str()).map(str::to_string);
            let condition = text(map.get("condition")).unwrap_or_default();
            let context = text(map.get("context"));
            let kind = match map.get("type") {
                Some(serde_yaml::Value::Mapping(object)) => text(object.get("type")),
                other => text(other),
            };
            let kind = kind.unwrap_or_else(|| "simple".to_string());
            let result = check_criterion(&condition, &kind, context.as_deref()).map(|_| ());
            self.record(&condition, result);
        }
    }

    #[test]
    fn every_expression_and_condition_in_the_corpus_files() {
        let mut files = Vec::new();
        for dir in corpus_dirs() {
            yaml_files(&dir, &mut files);
        }
        let mut walk = Walk::default();
        for file in files.iter().filter(|f| !f.to_string_lossy().contains("openapi")) {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            let Ok(doc) = serde_yaml::from_str::<serde_yaml::Value>(&text) else {
                continue;
            };
            if doc.get("arazzo").is_some() {
                walk.value(&doc);
            }
        }
        assert!(walk.checked >= 20, "only {} strings checked", walk.checked);
        let documented = ["$steps.retrieveFinalizedPaymentPlan.finalizedPaymentPlan: [E0201]"];
        let unexpected: Vec<_> =
            walk.failures.iter().filter(|f| !documented.iter().any(|d| f.starts_with(d))).collect();
        assert!(unexpected.is_empty(), "{unexpected:#?}");
    }

    /// A small deterministic generator (xorshift64*), so the fuzz test needs no dependencies.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }

        fn below(&mut self, n: usize) -> usize {
            usize::try_from(self.next() % (n.max(1) as u64)).unwrap_or(0)
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len())]
        }
    }

    const ALPHABET: &[char] = &[
        '$', '.', '#', '/', '~', '0', '1', '9', '[', ']', '{', '}', '(', ')', '\'', '"', '=', '!', '<', '>',
        '&', '|', ' ', '\t', '\n', 'a', 'z', 'A', '_', '-', '?', '@', '*', ',', ':', '\\', 'e', 'é', '😀',
        '\u{0}', '+',
    ];

    const WORDS: &[&str] = &[
        "$",
        "$url",
        "$statusCode",
        "$inputs.",
        "$response.",
        "$request.",
        "$steps.",
        "$workflows.",
        "$outputs.",
        "$sourceDescriptions.",
        "$components.",
        "header.",
        "headers.",
        "body",
        "#/",
        "outputs.",
        "inputs.",
        "parameters.",
        "==",
        "!=",
        "<=",
        "&&",
        "||",
        "null",
        "true",
        "'x'",
        "\"y\"",
        "[0]",
        "[?@.a == 1]",
        "count(@.a)",
        "{$",
        "~0",
        "~1",
        "-1.5e3",
    ];

    fn random_input(rng: &mut Rng) -> String {
        let len = rng.below(40);
        (0..len)
            .map(|_| {
                if rng.below(3) == 0 {
                    (*rng.pick(WORDS)).to_string()
                } else {
                    rng.pick(ALPHABET).to_string()
                }
            })
            .collect()
    }

    fn mutate(rng: &mut Rng, seed: &str) -> String {
        let mut chars: Vec<char> = seed.chars().collect();
        for _ in 0..=rng.below(3) {
            let at = rng.below(chars.len() + 1);
            match rng.below(5) {
                0 => chars.insert(at, *rng.pick(ALPHABET)),
                1 if at < chars.len() => {
                    chars.remove(at);
                }
                2 if at < chars.len() => chars[at] = *rng.pick(ALPHABET),
                3 => chars.truncate(at),
                _ => {
                    let word: Vec<char> = rng.pick(WORDS).chars().collect();
                    chars.splice(at..at, word);
                }
            }
        }
        chars.into_iter().collect()
    }

    fn assert_span(input: &str, issue: &ExprIssue) {
        let end = issue.offset + issue.len;
        assert!(end <= input.len(), "{input:?}: span out of range: {issue:?}");
        assert!(input.is_char_boundary(issue.offset), "{input:?}: offset inside a char: {issue:?}");
        assert!(input.is_char_boundary(end), "{input:?}: end inside a char: {issue:?}");
        assert!(CODES.iter().any(|(code, _)| *code == issue.code), "{input:?}: unknown code {issue:?}");
        assert!(!issue.message.is_empty());
    }

    fn assert_result<T>(input: &str, result: &Result<Parsed<T>, ExprIssue>) {
        match result {
            Ok(parsed) => parsed.warnings.iter().for_each(|w| {
                assert_span(input, w);
                assert!(w.is_warning(), "{input:?}: {w:?}");
            }),
            Err(issue) => {
                assert_span(input, issue);
                assert!(!issue.is_warning(), "{input:?}: {issue:?}");
            }
        }
    }

    /// Runs every parser on `input` and checks the invariants that hold for any input.
    fn exercise(input: &str) {
        let expr = parse_expression(input);
        assert_result(input, &expr);
        if let Ok(parsed) = &expr {
            let canonical = parsed.value.to_string();
            let again = parse_expression(&canonical).unwrap_or_else(|e| panic!("{canonical:?}: {e}"));
            assert_eq!(again.value.to_string(), canonical, "{input:?}");
        }
        if let Some((_, end)) = find_expression_prefix(input) {
            assert!(end <= input.len() && input.is_char_boundary(end), "{input:?}");
        }
        assert_result(input, &parse_template(input));
        assert_result(input, &parse_value(input));
        let condition = parse_condition(input);
        assert_result(input, &condition);
        if let Ok(parsed) = &condition {
            let rendered = parsed.value.to_string();
            let again =
                parse_condition(&rendered).unwrap_or_else(|e| panic!("{input:?} -> {rendered:?}: {e}"));
            assert_eq!(again.value.to_string(), rendered, "{input:?}");
        }
        assert_result(input, &parse_jsonpath(input, Some("$response.body")));
        assert_result(input, &parse_jsonpath(input, Some(input)));
        assert_result(input, &parse_jsonpath(input, None));
        assert_result(input, &check_xpath(input, XPathVersion::V10));
    }

    #[test]
    fn fuzz_random_inputs_never_panic() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..10_000 {
            exercise(&random_input(&mut rng));
        }
    }

    #[test]
    fn fuzz_regex_never_panics() {
        // Compiling regexes is slow in debug builds, so this loop is shorter.
        let mut rng = Rng(0x1234_5678_9abc_def1);
        for _ in 0..300 {
            let input = random_input(&mut rng);
            if let Err(issue) = check_regex(&input) {
                assert_span(&input, &issue);
            }
        }
    }

    #[test]
    fn fuzz_mutated_valid_inputs_never_panic() {
        let mut seeds: Vec<&str> = CORPUS_EXPRESSIONS.iter().map(|(text, _)| *text).collect();
        seeds.extend(CORPUS_CRITERIA.iter().map(|(text, _, _)| *text));
        seeds.extend([
            "{\"code\": \"{$steps.AuthzCodeStep.outputs.code}\"}",
            "Bearer $inputs.apiKey",
            "$response.body.data[0].id == 'x'",
            "$response.body#id",
            "!($statusCode == 200) && $response.header.X-Rate-Limit < 10",
        ]);
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        for _ in 0..20_000 {
            let seed = *rng.pick(&seeds);
            exercise(&mutate(&mut rng, seed));
        }
    }
}
