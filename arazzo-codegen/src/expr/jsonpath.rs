//! `type: jsonpath` criteria: RFC 9535 queries (checked with `serde_json_path`) and the common
//! non-standard shorthand `$.a.b OP literal`.

use serde_json_path::JsonPath;

use super::ast::strip_length;
use super::ast::{CmpOp, Condition, Expr, ExprIssue, JsonPathCriterion, Literal, Operand, Parsed, Segment};
use super::condition::{length_warning, scan_literal};
use super::runtime::parse_expression;

const E_JSONPATH: &str = "E0204";
const MAX_NESTING: usize = 64;

/// Parses a `type: jsonpath` criterion's `condition`; `context` is the criterion's `context`
/// text (for example `$response.body`), used to spell out the portable rewrite in warnings.
///
/// `$.a.b OP literal` (not RFC 9535, but common) becomes [`JsonPathCriterion::Shorthand`] with
/// warning `W0203`; anything else must be a valid RFC 9535 query.
///
/// # Errors
/// `E0204` with `serde_json_path`'s message and position.
pub fn parse_jsonpath(
    condition: &str,
    context: Option<&str>,
) -> Result<Parsed<JsonPathCriterion>, ExprIssue> {
    if let Some(shorthand) = shorthand(condition)? {
        let warning = shorthand_warning(condition, context, &shorthand);
        // W0232 spells out the portable form of a length; W0203's would be wrong.
        if let Some(length) = length_shorthand(condition, context, &shorthand) {
            return Ok(length);
        }
        let criterion = JsonPathCriterion::Shorthand {
            path: shorthand.path,
            op: shorthand.op,
            literal: shorthand.literal,
        };
        return Ok(Parsed { value: criterion, warnings: vec![warning] });
    }
    if let Some(parsed) = compound(condition, context) {
        return Ok(parsed);
    }
    check_nesting(condition)?;
    match JsonPath::parse(condition) {
        Ok(_) => Ok(Parsed::new(JsonPathCriterion::Query {
            text: condition.to_string(),
            path: plain_path(condition),
        })),
        Err(err) => Err(query_error(condition, err.position(), err.message())),
    }
}

/// The plain path of a singular query of names and indices (`$.a['b'][0]`), if it is one.
pub(crate) fn plain_path(query: &str) -> Option<Vec<Segment>> {
    let (path, end) = singular_path(query, 0, false)?;
    (end == query.len()).then_some(path)
}

/// Shorthands joined with `&&`, `||`, `!` and parentheses, as the simple condition on the
/// context they stand for; `None` when the text is anything else.
fn compound(condition: &str, context: Option<&str>) -> Option<Parsed<JsonPathCriterion>> {
    let context = parse_expression(context?.trim()).ok()?.value;
    let mut parser = Compound { src: condition, context, operators: 0, warnings: Vec::new() };
    let (c, end) = parser.or(skip_ws(condition, 0))?;
    if skip_ws(condition, end) != condition.len() || parser.operators == 0 {
        return None;
    }
    let message = format!(
        "`{}` is not an RFC 9535 JSONPath query (JSONPath compares values only inside a filter \
         `[?…]`); it is read as the simple condition `{c}`",
        condition.trim()
    );
    let warning = ExprIssue::new("W0203", 0, condition.len(), message)
        .with_help(format!("write it as a simple criterion: `{c}`"));
    Some(Parsed {
        value: JsonPathCriterion::Compound(Box::new(c)),
        warnings: [vec![warning], parser.warnings].concat(),
    })
}

/// `$.a.length OP literal`: the JavaScript length of the value at `$.a` of the context, as the
/// simple condition it stands for (with W0232).
fn length_shorthand(
    condition: &str,
    context: Option<&str>,
    shorthand: &Shorthand,
) -> Option<Parsed<JsonPathCriterion>> {
    let mut expr = parse_expression(context?.trim()).ok()?.value.extended(&shorthand.path)?;
    let start = skip_ws(condition, 0);
    let path_end = singular_path(condition, start, true)?.1;
    if !strip_length(&mut expr, condition.get(start..path_end)?) {
        return None;
    }
    let lhs = Operand::Length { expr, offset: start, len: path_end - start };
    let rhs = Operand::Literal(shorthand.literal.clone());
    let warnings = length_warning(&lhs, shorthand.op, &rhs).into_iter().collect();
    let c = Condition::Compare { lhs, op: shorthand.op, rhs };
    Some(Parsed { value: JsonPathCriterion::Compound(Box::new(c)), warnings })
}

/// A parser of compound shorthands; each returns the condition and the offset after it.
struct Compound<'a> {
    src: &'a str,
    context: Expr,
    operators: usize,
    warnings: Vec<ExprIssue>,
}

impl Compound<'_> {
    fn or(&mut self, at: usize) -> Option<(Condition, usize)> {
        self.joined(at, "||", Self::and, Condition::Or)
    }

    fn and(&mut self, at: usize) -> Option<(Condition, usize)> {
        self.joined(at, "&&", Self::unary, Condition::And)
    }

    fn joined(
        &mut self,
        at: usize,
        token: &str,
        next: fn(&mut Self, usize) -> Option<(Condition, usize)>,
        join: fn(Box<Condition>, Box<Condition>) -> Condition,
    ) -> Option<(Condition, usize)> {
        let (mut lhs, mut end) = next(self, at)?;
        loop {
            let op_at = skip_ws(self.src, end);
            if !self.src.get(op_at..)?.starts_with(token) {
                return Some((lhs, end));
            }
            // The same bound as simple conditions: later stages walk the tree recursively.
            self.operators += 1;
            if self.operators > 256 {
                return None;
            }
            let (rhs, rhs_end) = next(self, skip_ws(self.src, op_at + 2))?;
            lhs = join(Box::new(lhs), Box::new(rhs));
            end = rhs_end;
        }
    }

    fn unary(&mut self, at: usize) -> Option<(Condition, usize)> {
        let rest = self.src.get(at..)?;
        if rest.starts_with('!') && !rest.starts_with("!=") {
            let (inner, end) = self.unary(skip_ws(self.src, at + 1))?;
            return Some((Condition::Not(Box::new(inner)), end));
        }
        if rest.starts_with('(') {
            let (inner, end) = self.or(skip_ws(self.src, at + 1))?;
            let close = skip_ws(self.src, end);
            return self.src.get(close..)?.starts_with(')').then_some((inner, close + 1));
        }
        self.leaf(at)
    }

    /// `$.path OP literal`, with the path read from the context.
    fn leaf(&mut self, at: usize) -> Option<(Condition, usize)> {
        let (path, path_end) = singular_path(self.src, at, true)?;
        let op_at = skip_ws(self.src, path_end);
        let (op, op_len) = cmp_op(self.src.get(op_at..)?)?;
        let literal_at = skip_ws(self.src, op_at + op_len);
        let scanned = scan_literal(self.src, literal_at).ok()?;
        let mut expr = self.context.clone().extended(&path)?;
        let len = path_end - at;
        let lhs = if strip_length(&mut expr, self.src.get(at..path_end)?) {
            Operand::Length { expr, offset: at, len }
        } else {
            Operand::Expr { expr, offset: at, len }
        };
        let rhs = Operand::Literal(scanned.literal);
        self.warnings.extend(length_warning(&lhs, op, &rhs));
        Some((Condition::Compare { lhs, op, rhs }, scanned.end))
    }
}

/// The parts of a `$.path OP literal` shorthand.
struct Shorthand {
    path: Vec<Segment>,
    op: CmpOp,
    literal: Literal,
}

fn shorthand(condition: &str) -> Result<Option<Shorthand>, ExprIssue> {
    let start = skip_ws(condition, 0);
    let Some((path, end)) = singular_path(condition, start, true) else {
        return Ok(None);
    };
    let op_at = skip_ws(condition, end);
    let Some((op, op_len)) = cmp_op(condition.get(op_at..).unwrap_or("")) else {
        return Ok(None);
    };
    let literal_at = skip_ws(condition, op_at + op_len);
    if condition.get(literal_at..).is_none_or(|rest| rest.is_empty() || rest.starts_with('$')) {
        return Ok(None);
    }
    let scanned =
        scan_literal(condition, literal_at).map_err(|issue| ExprIssue { code: E_JSONPATH, ..issue })?;
    if skip_ws(condition, scanned.end) != condition.len() {
        return Ok(None);
    }
    Ok(Some(Shorthand { path, op, literal: scanned.literal }))
}

fn shorthand_warning(condition: &str, context: Option<&str>, shorthand: &Shorthand) -> ExprIssue {
    let path_text = condition.trim().split([' ', '=', '!', '<', '>']).next().unwrap_or("$");
    let message = format!(
        "`{}` is not an RFC 9535 JSONPath query (JSONPath compares values only inside a filter \
         `[?…]`); it is read as: the value at `{path_text}` {} {}",
        condition.trim(),
        shorthand.op,
        shorthand.literal
    );
    let help = match context {
        Some(context) => format!(
            "write it as a simple criterion: `{} {} {}`",
            portable_operand(context.trim(), &shorthand.path),
            shorthand.op,
            shorthand.literal
        ),
        None => format!(
            "write it as a simple criterion on the context, e.g. `{} {} {}`",
            portable_operand("$response.body", &shorthand.path),
            shorthand.op,
            shorthand.literal
        ),
    };
    ExprIssue::new("W0203", 0, condition.len(), message).with_help(help)
}

/// `context` extended by `path`, as a runtime expression with a JSON pointer.
fn portable_operand(context: &str, path: &[Segment]) -> String {
    if path.is_empty() {
        return context.to_string();
    }
    if let Some(expr) = parse_expression(context).ok().and_then(|p| p.value.extended(path)) {
        return expr.to_string();
    }
    let pointer = super::ast::pointer_string(path);
    if context.contains('#') { format!("{context}{pointer}") } else { format!("{context}#{pointer}") }
}

pub(crate) fn query_error(condition: &str, position: usize, message: &str) -> ExprIssue {
    let offset = position.min(condition.len());
    let len = condition.get(offset..).and_then(|rest| rest.chars().next()).map_or(0, char::len_utf8);
    let near: String = condition.get(offset..).unwrap_or("").chars().take(12).collect();
    let place = if near.is_empty() { "at the end".to_string() } else { format!("at `{near}`") };
    let issue = ExprIssue::new(
        E_JSONPATH,
        offset,
        len,
        format!("invalid RFC 9535 JSONPath query {place} ({message})"),
    );
    if condition.trim() != condition {
        return issue.with_help("remove the whitespace around the query");
    }
    if let Some((path, end)) = singular_path(condition, 0, true)
        && end == condition.len()
    {
        return issue.with_help(format!(
            "member names with characters other than letters, digits and `_` need brackets: `{}`",
            bracket_path(&path)
        ));
    }
    if !condition.contains("[?") && has_comparison(condition) {
        return issue.with_help(
            "JSONPath compares values only inside a filter such as `$[?@.status == 'done']`; to \
             test a value, prefer a simple criterion with a JSON pointer: \
             `$response.body#/status == 'done'`",
        );
    }
    issue.with_help(
        "an RFC 9535 query starts at `$` and continues with `.name`, `['name']`, `[0]`, `[*]`, `..` \
         or a filter `[?@.name == 'value']`",
    )
}

fn has_comparison(text: &str) -> bool {
    ["==", "!=", "<", ">"].iter().any(|op| text.contains(op))
}

/// Renders a path in RFC 9535 normalized-path style (`$['a-b'][0]`).
fn bracket_path(path: &[Segment]) -> String {
    let mut out = String::from("$");
    for segment in path {
        match segment {
            Segment::Key(key) => {
                out.push_str("['");
                out.push_str(&key.replace('\\', "\\\\").replace('\'', "\\'"));
                out.push_str("']");
            }
            Segment::Index(index) => {
                out.push('[');
                out.push_str(&index.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// Rejects queries nested deeper than the parser can take safely.
pub(crate) fn check_nesting(condition: &str) -> Result<(), ExprIssue> {
    let mut depth = 0usize;
    for (i, c) in condition.char_indices() {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth > MAX_NESTING {
            return Err(ExprIssue::new(E_JSONPATH, i, 1, "the JSONPath query is nested too deeply"));
        }
    }
    Ok(())
}

fn skip_ws(src: &str, pos: usize) -> usize {
    let rest = src.get(pos..).unwrap_or("");
    pos + (rest.len() - rest.trim_start().len())
}

fn cmp_op(rest: &str) -> Option<(CmpOp, usize)> {
    [
        ("==", CmpOp::Eq),
        ("!=", CmpOp::Ne),
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
    ]
    .into_iter()
    .find(|(text, _)| rest.starts_with(text))
    .map(|(text, op)| (op, text.len()))
}

/// `$` followed by `.name`, `['name']`, `["name"]` or `[n]` segments (whitespace allowed before
/// each, as in RFC 9535). Returns the segments and the offset after the last one.
fn singular_path(src: &str, start: usize, allow_hyphen: bool) -> Option<(Vec<Segment>, usize)> {
    if !src.get(start..)?.starts_with('$') {
        return None;
    }
    let mut pos = start + 1;
    let mut path = Vec::new();
    loop {
        let at = skip_ws(src, pos);
        let rest = src.get(at..).unwrap_or("");
        let step = if let Some(after) = rest.strip_prefix('.') {
            member_name(after, allow_hyphen).map(|(name, len)| (Segment::Key(name), 1 + len))
        } else if let Some(after) = rest.strip_prefix('[') {
            Some(bracket(after)?).map(|(segment, len)| (segment, 1 + len))
        } else {
            None
        };
        match step {
            Some((segment, len)) => {
                path.push(segment);
                pos = at + len;
            }
            None if rest.starts_with('.') => return None,
            None => return Some((path, pos)),
        }
    }
}

/// A dot-notation member name (RFC 9535 `member-name-shorthand`, plus `-` when allowed).
fn member_name(src: &str, allow_hyphen: bool) -> Option<(String, usize)> {
    let first = src.chars().next()?;
    if !(first.is_ascii_alphabetic() || first == '_' || !first.is_ascii()) {
        return None;
    }
    let is_name_char =
        |c: char| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii() || (allow_hyphen && c == '-');
    let len = src.find(|c: char| !is_name_char(c)).unwrap_or(src.len());
    Some((src.get(..len)?.to_string(), len))
}

/// The inside of `[…]` after `[`: a quoted name or a non-negative index, then `]`.
fn bracket(src: &str) -> Option<(Segment, usize)> {
    let lead = src.len() - src.trim_start().len();
    let inner = src.get(lead..)?;
    let (segment, used) = match inner.chars().next()? {
        quote @ ('\'' | '"') => {
            let (name, used) = quoted(inner, quote)?;
            (Segment::Key(name), used)
        }
        '0'..='9' => {
            let digits = inner.find(|c: char| !c.is_ascii_digit()).unwrap_or(inner.len());
            let text = inner.get(..digits)?;
            if digits > 1 && text.starts_with('0') {
                return None;
            }
            (Segment::Index(text.parse().ok()?), digits)
        }
        _ => return None,
    };
    let after = inner.get(used..)?;
    let trail = after.len() - after.trim_start().len();
    after.get(trail..)?.starts_with(']').then_some((segment, lead + used + trail + 1))
}

/// A quoted name starting with `quote`; returns the decoded name and the bytes used.
fn quoted(src: &str, quote: char) -> Option<(String, usize)> {
    let mut json = String::from("\"");
    let mut chars = src.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, next) = chars.next()?;
                if next == quote {
                    json.push_str(if quote == '"' { "\\\"" } else { "'" });
                } else {
                    json.push('\\');
                    json.push(next);
                }
            }
            c if c == quote => {
                json.push('"');
                let name = serde_json::from_str::<String>(&json).ok()?;
                return Some((name, i + 1));
            }
            '"' => json.push_str("\\\""),
            c => json.push(c),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_shorthands_are_the_simple_condition_on_the_context() {
        let parsed = parse_jsonpath(
            r#"$.state == "running" || ($[0].n > 1 && !($.ok == true))"#,
            Some("$response.body"),
        )
        .expect("accepted");
        let JsonPathCriterion::Compound(c) = &parsed.value else { panic!("{:?}", parsed.value) };
        assert_eq!(
            c.to_string(),
            "($response.body#/state == 'running') || (($response.body#/0/n > 1) && (!($response.body#/ok == true)))"
        );
        assert_eq!(parsed.warnings[0].code, "W0203");
        // Anything else is an RFC 9535 query, or its error.
        assert!(parse_jsonpath("$.a || $.b", Some("$response.body")).is_err());
        assert!(matches!(
            parse_jsonpath("$[?@.a == 1]", Some("$response.body")).map(|p| p.value),
            Ok(JsonPathCriterion::Query { .. })
        ));
    }

    fn key(k: &str) -> Segment {
        Segment::Key(k.to_string())
    }

    fn parse(condition: &str, context: Option<&str>) -> Parsed<JsonPathCriterion> {
        parse_jsonpath(condition, context).unwrap_or_else(|err| panic!("{condition}: {err}"))
    }

    fn err(condition: &str) -> ExprIssue {
        match parse_jsonpath(condition, Some("$response.body")) {
            Ok(parsed) => panic!("{condition}: expected an error, got {:?}", parsed.value),
            Err(issue) => issue,
        }
    }

    #[test]
    fn rfc9535_queries() {
        let table: &[(&str, Option<Vec<Segment>>)] = &[
            ("$[?count(@.products) > 0]", None),
            ("$[?count(@.products) == 0]", None),
            ("$[?count(@.tags) > 0]", None),
            ("$[?@.access_token != null]", None),
            ("$.tags[*]", None),
            ("$[?@.name == 'Orca Identification and Analysis']", None),
            ("$[?@.name == 'Mermaid Treasure Identification and Analysis']", None),
            ("$..x", None),
            ("$.a[-1]", None),
            ("$.a[0:2]", None),
            ("$", Some(vec![])),
            ("$.pets", Some(vec![key("pets")])),
            ("$.a.b[0]", Some(vec![key("a"), key("b"), Segment::Index(0)])),
            ("$['a']", Some(vec![key("a")])),
            ("$[\"a b\"]['c\\'d'][12]", Some(vec![key("a b"), key("c'd"), Segment::Index(12)])),
            ("$['a-b'].c", Some(vec![key("a-b"), key("c")])),
            ("$.é", Some(vec![key("é")])),
        ];
        for (text, path) in table {
            let parsed = parse(text, Some("$response.body"));
            assert!(parsed.warnings.is_empty(), "{text}");
            assert_eq!(
                parsed.value,
                JsonPathCriterion::Query { text: (*text).to_string(), path: path.clone() },
                "{text}"
            );
        }
    }

    #[test]
    fn shorthand_is_accepted_with_a_warning() {
        let parsed = parse("$.processing_status != \"ended\"", Some("$response.body"));
        assert_eq!(
            parsed.value,
            JsonPathCriterion::Shorthand {
                path: vec![key("processing_status")],
                op: CmpOp::Ne,
                literal: Literal::String("ended".into()),
            }
        );
        let w = &parsed.warnings[0];
        assert_eq!((w.code, w.offset, w.len), ("W0203", 0, 30));
        assert_eq!(
            w.help.as_deref(),
            Some("write it as a simple criterion: `$response.body#/processing_status != 'ended'`")
        );

        let parsed = parse("$.processing_status == 'canceling'", Some("$response.body"));
        assert_eq!(
            parsed.value,
            JsonPathCriterion::Shorthand {
                path: vec![key("processing_status")],
                op: CmpOp::Eq,
                literal: Literal::String("canceling".into()),
            }
        );
        assert_eq!(parsed.warnings[0].code, "W0203");
    }

    #[test]
    fn shorthand_forms() {
        let table: &[(&str, Vec<Segment>, CmpOp, Literal)] = &[
            ("$.a-b.c == 1", vec![key("a-b"), key("c")], CmpOp::Eq, Literal::Number(1.into())),
            (
                "$.items[0].name>=3",
                vec![key("items"), Segment::Index(0), key("name")],
                CmpOp::Ge,
                Literal::Number(3.into()),
            ),
            ("$['x y'] != null", vec![key("x y")], CmpOp::Ne, Literal::Null),
            ("$.ok == true", vec![key("ok")], CmpOp::Eq, Literal::Bool(true)),
            (
                "$ < -1.5",
                vec![],
                CmpOp::Lt,
                Literal::Number(serde_json::Number::from_f64(-1.5).expect("finite")),
            ),
            ("$.n <= 'it''s'", vec![key("n")], CmpOp::Le, Literal::String("it's".into())),
        ];
        for (text, path, op, literal) in table {
            let parsed = parse(text, None);
            assert_eq!(
                parsed.value,
                JsonPathCriterion::Shorthand { path: path.clone(), op: *op, literal: literal.clone() },
                "{text}"
            );
            assert_eq!(parsed.warnings[0].code, "W0203");
        }
    }

    #[test]
    fn shorthand_help_follows_the_context() {
        let help = |context: Option<&str>| {
            parse("$.a[0] == 'x'", context).warnings[0].help.clone().unwrap_or_default()
        };
        assert_eq!(
            help(Some("$response.body")),
            "write it as a simple criterion: `$response.body#/a/0 == 'x'`"
        );
        assert_eq!(
            help(Some("$response.body#/data")),
            "write it as a simple criterion: `$response.body#/data/a/0 == 'x'`"
        );
        assert_eq!(
            help(Some("$steps.s.outputs.list")),
            "write it as a simple criterion: `$steps.s.outputs.list#/a/0 == 'x'`"
        );
        assert_eq!(help(Some("$statusCode")), "write it as a simple criterion: `$statusCode#/a/0 == 'x'`");
        assert!(help(None).contains("`$response.body#/a/0 == 'x'`"));
        let slash = parse("$['a/b'] == 1", Some("$response.body"));
        assert_eq!(
            slash.warnings[0].help.as_deref(),
            Some("write it as a simple criterion: `$response.body#/a~1b == 1`")
        );
    }

    #[test]
    fn errors() {
        let table: &[(&str, usize, Option<&str>)] = &[
            ("$.a-b", 3, Some("`$['a-b']`")),
            ("$.status == ended", 12, Some("quote the string: 'ended'")),
            // Joined shorthands are accepted (W0203); an unquoted string in one is not.
            ("$.a == 1 && $.b == ended", 3, Some("only inside a filter")),
            ("$[", 1, None),
            ("foo", 0, None),
            ("", 0, None),
            (" $.a", 0, Some("remove the whitespace")),
            ("$[?@.a ==]", 7, None),
        ];
        for &(text, offset, help) in table {
            let issue = err(text);
            assert_eq!(issue.code, "E0204", "{text}: {issue}");
            assert_eq!(issue.offset, offset, "{text}: {issue}");
            if let Some(help) = help {
                let got = issue.help.clone().unwrap_or_default();
                assert!(got.contains(help), "{text}: {got}");
            }
        }
        let deep = format!("$[?{}@.a{}]", "(".repeat(5_000), ")".repeat(5_000));
        assert_eq!(err(&deep).code, "E0204");
    }
}
