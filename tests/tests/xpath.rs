//! XPath criteria and selectors (Arazzo 1.1 §XPath Conditions, §Selector Object) against an
//! XML response of the local batches server, and XPath payload replacement targets (§Payload
//! Replacement Object) on an XML request body, with the runtime's `xpath` feature:
//! `cargo test -p arazzo-tests --features xpath --test xpath`. The generated code of
//! `xml-replacements` is snapshotted in `tests/workflows/expr/snapshots/`: refresh with
//! `EXPECTORATE=overwrite cargo test -p arazzo-tests --features xpath --test xpath`.

#![deny(warnings)]

mod common;

use std::path::Path;
use std::time::Duration;

use arazzo_runtime::{Client, ErrorKind, Secret};
use batches_server::{ServerConfig, TestServer};
use common::{Server, json_reply};

mod xpath {
    arazzo_macros::workflows!("workflows/expr/xpath.arazzo.yaml");
}

mod xml_replacements {
    arazzo_macros::workflows!("workflows/expr/xml-replacements.arazzo.yaml");
}

use xpath::read_as_xml::{Inputs, read_as_xml};

#[tokio::test]
async fn xpath_criteria_and_selectors_on_an_xml_body() {
    let config = ServerConfig { polls_until_ended: 2, ..ServerConfig::default() };
    let server = TestServer::start(config).await.expect("server starts");
    let client = Client::builder()
        .base_url("xmlApi", server.base_url())
        .max_retry_delay(Some(Duration::ZERO))
        .build()
        .expect("a client");
    let requests = batches_server::sample_requests(3).as_array().expect("a list").clone();
    let out = read_as_xml(&client, Inputs { api_key: Secret::new("k"), requests })
        .await
        .expect("the workflow runs");
    // The XPath criteria failed (EBV false) until the batch ended, and the retry ran the step
    // again; the selectors read the ended batch.
    assert_eq!(out.status, Some(serde_json::json!("ended")));
    assert_eq!(out.succeeded, Some(serde_json::json!("3")));
    let reads: Vec<_> = server.requests().into_iter().filter(|r| r.method == "GET").collect();
    assert_eq!(reads.len(), 3, "two polls in progress, then ended");
    assert!(reads.iter().all(|r| r.query.as_deref() == Some("format=xml")));
}

async fn orders_server() -> Server {
    Server::start(|req| match req.line().as_str() {
        "GET /customers/c7" => json_reply(200, serde_json::json!({"id": "c7", "tier": "gold"})),
        "POST /orders" => (201, Vec::new(), String::new()),
        other => json_reply(404, serde_json::json!({"unexpected": other})),
    })
    .await
}

#[tokio::test]
async fn xpath_replacements_set_an_xml_payload() {
    use xml_replacements::send_order::{Inputs, send_order};
    let server = orders_server().await;
    let client = common::client(&["orders"], &server.url, 10);
    let inputs = Inputs { customer_id: "c7".into(), reference: "r-1".into(), quantity: 3 };
    send_order(&client, inputs).await.expect("the workflow runs");
    let requests = server.requests();
    let sent = requests.iter().find(|r| r.line() == "POST /orders").expect("the order was sent");
    assert_eq!(sent.header("content-type"), Some("application/xml"));
    // The template's value is in (`ref`); the element, the attribute (from a selector on the
    // customer), both statuses and the number are replaced; the layout and declaration stay.
    let want = r#"<?xml version="1.0" encoding="UTF-8"?>
<Envelope>
  <Header><CustomerId>c7</CustomerId></Header>
  <Body>
    <Order ref="r-1" priority="gold">
      <Line><Sku>a1</Sku><Status>confirmed</Status></Line>
      <Line><Sku>b2</Sku><Status>confirmed</Status></Line>
      <Quantity>3</Quantity>
    </Order>
  </Body>
</Envelope>
"#;
    assert_eq!(sent.body, want);
}

#[tokio::test]
async fn a_target_that_selects_no_node_fails_before_sending() {
    use xml_replacements::count_target::{Inputs, count_target};
    let server = orders_server().await;
    let client = common::client(&["orders"], &server.url, 10);
    let error = count_target(&client, Inputs {}).await.expect_err("a number is no node");
    let ErrorKind::InvalidInput(what) = error.kind() else { panic!("{error}") };
    assert_eq!(
        what,
        "the XML request body: replacement target `count(/Order/Quantity)` selects a value that is not a node"
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[test]
fn generated_code_snapshot() {
    let settings = arazzo_codegen::Settings {
        base_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows"),
        ..Default::default()
    };
    let doc = "expr/xml-replacements";
    let generated = arazzo_codegen::generate(Path::new(&format!("{doc}.arazzo.yaml")), &settings)
        .unwrap_or_else(|checked| panic!("{doc}:\n{}", checked.render()));
    let text = generated
        .to_file_string("EXPECTORATE=overwrite cargo test -p arazzo-tests --features xpath --test xpath");
    expectorate::assert_contents("workflows/expr/snapshots/xml-replacements.rs", &text);
}

/// The shared list of valid and invalid expressions (`arazzo-codegen/src/expr/xpath_cases.rs`).
mod cases {
    include!("../../arazzo-codegen/src/expr/xpath_cases.rs");
}

/// What the engine's parser says about an expression.
#[derive(Debug, PartialEq)]
enum Engine {
    Accepts,
    /// A syntax error (XPST0003).
    Rejects,
    /// Another static error (an unknown function, type, prefix or variable, or a feature the
    /// engine lacks): not a question of syntax, so not compared.
    Other(String),
}

fn engine(text: &str) -> Engine {
    match xee_xpath::Queries::default().sequence(text) {
        Ok(_) => Engine::Accepts,
        Err(e) if e.error == xee_xpath::error::ErrorValue::XPST0003 => Engine::Rejects,
        Err(e) => Engine::Other(format!("{e:?}")),
    }
}

/// Expressions where the engine accepts what the grammar (XPath 3.1, Appendix A) does not; the
/// recognizer follows the grammar, so these fail the build although the engine would run them.
const ENGINE_DEVIATIONS: &[&str] = &[
    // `("//" RelativePathExpr)`: `//` needs a step after it.
    "//",
    // `RangeExpr ::= AdditiveExpr ( "to" AdditiveExpr )?`: ranges do not chain.
    "1 to 2 to 3",
];

#[test]
fn the_recognizer_and_the_engine_agree_on_syntax() {
    let mut disagreements = Vec::new();
    let mut not_syntax = Vec::new();
    let mut compared = 0;
    for &(text, want) in cases::XPATH_CASES {
        let ours = arazzo_codegen::recognize_xpath(text).is_ok();
        assert_eq!(ours, want.is_none(), "{text:?}: the recognizer's own table");
        let theirs = engine(text);
        if ENGINE_DEVIATIONS.contains(&text) {
            assert_ne!(theirs, if ours { Engine::Accepts } else { Engine::Rejects }, "{text:?} now agrees");
            continue;
        }
        match theirs {
            Engine::Other(error) => not_syntax.push(format!("{text:?}: {error}")),
            Engine::Accepts | Engine::Rejects => {
                compared += 1;
                if (theirs == Engine::Accepts) != ours {
                    disagreements.push(format!("{text:?}: ours {ours}, the engine {theirs:?}"));
                }
            }
        }
    }
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
    // Not compared: valid syntax the engine refuses statically (the namespace axis, which it
    // does not support, XPST0010), and one error it reports as an unknown type.
    assert!(
        not_syntax.len() <= 3,
        "static errors, keep such cases out of the list:\n{}",
        not_syntax.join("\n")
    );
    assert!(compared >= 200, "only {compared} expressions compared");
}

/// A small deterministic generator (xorshift64*), so the mutation test needs no dependencies.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        usize::try_from(self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % (n.max(1) as u64)).unwrap_or(0)
    }
}

/// Pieces spliced into valid expressions: tokens of every kind, and some that XPath lacks.
const PIECES: &[&str] = &[
    "/",
    "//",
    "[",
    "]",
    "(",
    ")",
    "{",
    "}",
    ",",
    "$",
    "@",
    ".",
    "..",
    "|",
    "||",
    "!",
    "=",
    "!=",
    "<",
    ">>",
    "=>",
    "+",
    "-",
    "*",
    "?",
    "#",
    ":",
    "::",
    ":=",
    " ",
    "'",
    "\"",
    "a",
    "1",
    "1.5",
    "div",
    "to",
    "eq",
    "return",
    "in",
    "then",
    "else",
    "for $x in",
    "let $y :=",
    "if (",
    "map {",
    "[1]",
    "(:",
    ":)",
    "Q{",
    "instance of",
    "cast as",
    "xs:integer",
    "text()",
    "child::",
    ";",
    "é",
];

/// Mutated valid expressions: wherever the engine's parser gives a syntax verdict, the
/// recognizer gives the same one, apart from the engine's documented deviations (which are
/// counted, and must stay rare).
#[test]
fn mutated_expressions_get_the_same_verdict() {
    let seeds: Vec<&str> =
        cases::XPATH_CASES.iter().filter(|(_, want)| want.is_none()).map(|(t, _)| *t).collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut compared, mut deviations) = (0, 0);
    let mut disagreements = Vec::new();
    for _ in 0..4000 {
        let mut text = seeds[rng.below(seeds.len())].to_string();
        for _ in 0..=rng.below(2) {
            let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let at = boundaries[rng.below(boundaries.len())];
            match rng.below(3) {
                0 => text.insert_str(at, PIECES[rng.below(PIECES.len())]),
                1 => {
                    let end = boundaries.iter().copied().find(|&e| e > at).unwrap_or(at);
                    text.replace_range(at..end, "");
                }
                _ => text.truncate(at),
            }
        }
        let ours = arazzo_codegen::recognize_xpath(&text);
        let theirs = match engine(&text) {
            Engine::Accepts => true,
            Engine::Rejects => false,
            Engine::Other(_) => continue,
        };
        match (&ours, theirs) {
            (Ok(_), false) if has_qualified_name(&text) => continue,
            (Ok(_), true) | (Err(_), false) => compared += 1,
            (Err(e), true) if known_deviation(&text, e.offset, &e.message) => {
                compared += 1;
                deviations += 1;
            }
            _ => {
                compared += 1;
                disagreements.push(format!("{text:?}: ours {:?}, the engine {theirs}", ours.as_ref().err()));
            }
        }
    }
    assert!(disagreements.is_empty(), "{} disagreements:\n{}", disagreements.len(), disagreements.join("\n"));
    assert!(compared >= 2000 && deviations * 20 < compared, "{compared} compared, {deviations} deviations");
}

/// Whether the engine accepts `text` only by one of its known deviations, judged by the
/// recognizer's error: a `//` with no step after it, or a second `to`.
fn known_deviation(text: &str, offset: usize, message: &str) -> bool {
    message.starts_with("expected a step after `//`") || text[offset..].starts_with("to")
}

/// Whether `text` has a `prefix:name` or a `Q{uri}name`. The engine resolves prefixes, function names and type
/// names while parsing and reports an unknown one as a syntax error (XPST0003), where the spec
/// has a static error (XPST0081, XPST0017, XPST0051); a mutation makes such names easily
/// (`self:node()`, `fn:as#1`, `namespace:*`, `Q{…xpath-functions}as`), so the engine's verdict on them is not about syntax.
fn has_qualified_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    text.contains("Q{")
        || (1..bytes.len().saturating_sub(1)).any(|i| {
            bytes[i] == b':'
                && bytes[i - 1].is_ascii_alphanumeric()
                && (bytes[i + 1].is_ascii_alphabetic() || bytes[i + 1] == b'*')
        })
}
