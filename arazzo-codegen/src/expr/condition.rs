//! The `simple` condition language (Arazzo 1.0.1 §Criterion Object, written in prose only).
//!
//! Grammar, lowest precedence first:
//!
//! ```text
//! or         = and *( "||" and )
//! and        = unary *( "&&" unary )
//! unary      = "!" unary / primary
//! primary    = "(" or ")" / comparison
//! comparison = operand [ cmp-op operand ]        ; a < b < c is an error
//! operand    = runtime-expression / "true" / "false" / "null" / number / string
//! string     = "'" *( char / "''" ) "'"          ; "…" accepted with warning W0204
//! ```

use super::ast::{CmpOp, Condition, ExprIssue, Literal, Operand, Parsed, strip_length};
use super::runtime::{Boundary, parse_at};

const E_COND: &str = "E0203";
const MAX_DEPTH: usize = 64;
/// `&&` and `||` in one condition: each is a level of the tree that later stages walk
/// recursively, so a chain of thousands would exhaust the stack.
const MAX_OPERATORS: usize = 256;

/// Parses a `simple` condition such as `$statusCode == 200 && $response.body#/ok == true`.
///
/// # Errors
/// `E0203` with the byte offset of the offending token (or `E0201`/`E0202` for an invalid
/// runtime expression operand).
pub fn parse_condition(s: &str) -> Result<Parsed<Condition>, ExprIssue> {
    let mut parser = Parser { src: s, pos: 0, depth: 0, operators: 0, warnings: Vec::new() };
    parser.skip_ws();
    if parser.peek().is_none() {
        return Err(ExprIssue::new(E_COND, 0, s.len(), "the condition is empty")
            .with_help("write a condition such as `$statusCode == 200`"));
    }
    let condition = parser.or()?;
    parser.skip_ws();
    if parser.peek().is_some() {
        let issue = parser.unexpected_token("`&&`, `||` or the end of the condition");
        return Err(if parser.peek() == Some(')') {
            issue.with_help("this `)` has no matching `(`")
        } else {
            issue
        });
    }
    Ok(Parsed { value: condition, warnings: parser.warnings })
}

/// A literal scanned from `src` at some offset.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScannedLiteral {
    /// The value.
    pub literal: Literal,
    /// Byte offset just past the literal.
    pub end: usize,
    /// Whether it was a double-quoted string.
    pub double_quoted: bool,
}

/// Characters that end a bare token (a number, keyword or bare word).
fn ends_token(c: char) -> bool {
    c.is_whitespace() || "!&()<=>|".contains(c)
}

/// Scans a literal (`null`, `true`, `false`, a JSON number, a `'…'` or `"…"` string) at `start`.
///
/// # Errors
/// `E0203` for unterminated strings, invalid numbers and bare words.
pub(crate) fn scan_literal(src: &str, start: usize) -> Result<ScannedLiteral, ExprIssue> {
    let rest = src.get(start..).unwrap_or("");
    match rest.chars().next() {
        Some('\'') => single_quoted(src, start),
        Some('"') => double_quoted(src, start),
        Some(_) => bare_literal(src, start),
        None => Err(ExprIssue::new(E_COND, start, 0, "expected a value, found the end")),
    }
}

fn single_quoted(src: &str, start: usize) -> Result<ScannedLiteral, ExprIssue> {
    let body = src.get(start + 1..).unwrap_or("");
    let mut out = String::new();
    let mut chars = body.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\'' {
            out.push(c);
        } else if chars.peek().is_some_and(|&(_, next)| next == '\'') {
            out.push('\'');
            chars.next();
        } else {
            let end = start + 1 + i + 1;
            return Ok(ScannedLiteral { literal: Literal::String(out), end, double_quoted: false });
        }
    }
    Err(unterminated(src, start, '\''))
}

fn double_quoted(src: &str, start: usize) -> Result<ScannedLiteral, ExprIssue> {
    let body = src.get(start + 1..).unwrap_or("");
    let mut escaped = false;
    let close = body.char_indices().find_map(|(i, c)| {
        let found = c == '"' && !escaped;
        escaped = c == '\\' && !escaped;
        found.then_some(i)
    });
    let Some(close) = close else {
        return Err(unterminated(src, start, '"'));
    };
    let end = start + 1 + close + 1;
    let text = src.get(start..end).unwrap_or("");
    match serde_json::from_str::<String>(text) {
        Ok(value) => Ok(ScannedLiteral { literal: Literal::String(value), end, double_quoted: true }),
        Err(err) => Err(ExprIssue::new(E_COND, start, end - start, format!("invalid string {text}: {err}"))
            .with_help("double-quoted strings use JSON escapes; prefer single quotes: 'text'")),
    }
}

fn unterminated(src: &str, start: usize, quote: char) -> ExprIssue {
    ExprIssue::new(E_COND, start, src.len().saturating_sub(start), "unterminated string")
        .with_help(format!("close the string with `{quote}`"))
}

fn bare_literal(src: &str, start: usize) -> Result<ScannedLiteral, ExprIssue> {
    let rest = src.get(start..).unwrap_or("");
    let len = rest.find(ends_token).unwrap_or(rest.len());
    let word = rest.get(..len).unwrap_or("");
    let end = start + len;
    let literal = match word {
        "true" => Literal::Bool(true),
        "false" => Literal::Bool(false),
        "null" => Literal::Null,
        _ if word.starts_with(|c: char| c == '-' || c.is_ascii_digit()) => number(word, start)?,
        _ => return Err(bare_word(word, start)),
    };
    Ok(ScannedLiteral { literal, end, double_quoted: false })
}

fn number(word: &str, start: usize) -> Result<Literal, ExprIssue> {
    let quoted = Literal::String(word.to_string());
    let parsed =
        if is_json_number(word) { serde_json::from_str::<serde_json::Value>(word).ok() } else { None };
    match parsed {
        Some(serde_json::Value::Number(n)) => Ok(Literal::Number(n)),
        _ => Err(ExprIssue::new(E_COND, start, word.len(), format!("invalid number `{word}`")).with_help(
            format!(
                "numbers use JSON syntax (`200`, `-1.5`, `1e3`); to compare with text, quote it: {quoted}"
            ),
        )),
    }
}

/// JSON number syntax: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
fn is_json_number(word: &str) -> bool {
    let digits = |s: &str| s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let s = word.strip_prefix('-').unwrap_or(word);
    let int = digits(s);
    if int == 0 || (int > 1 && s.starts_with('0')) {
        return false;
    }
    let mut s = s.get(int..).unwrap_or("");
    if let Some(frac) = s.strip_prefix('.') {
        let n = digits(frac);
        if n == 0 {
            return false;
        }
        s = frac.get(n..).unwrap_or("");
    }
    if let Some(exp) = s.strip_prefix(['e', 'E']) {
        let exp = exp.strip_prefix(['+', '-']).unwrap_or(exp);
        let n = digits(exp);
        return n > 0 && n == exp.len();
    }
    s.is_empty()
}

fn bare_word(word: &str, start: usize) -> ExprIssue {
    let issue = ExprIssue::new(E_COND, start, word.len(), format!("unexpected bare word `{word}`"));
    let lower = word.to_ascii_lowercase();
    match lower.as_str() {
        "true" | "false" | "null" => issue.with_help(format!("literals are lower case: `{lower}`")),
        "and" => issue.with_help("write `&&`"),
        "or" => issue.with_help("write `||`"),
        "not" => issue.with_help("write `!`"),
        _ => issue.with_help(format!("quote the string: {}", Literal::String(word.to_string()))),
    }
}

/// W0232 for a comparison of a JavaScript `.length`, with the portable spelling: a JSONPath
/// criterion on the value the path starts from (`$[?length(@.items) > 0]`).
pub(crate) fn length_warning(lhs: &Operand, op: CmpOp, rhs: &Operand) -> Option<ExprIssue> {
    let (expr, offset, len, op, literal) = match (lhs, rhs) {
        (Operand::Length { expr, offset, len }, Operand::Literal(l)) => (expr, *offset, *len, op, l),
        (Operand::Literal(l), Operand::Length { expr, offset, len }) => {
            (expr, *offset, *len, op.flipped(), l)
        }
        (Operand::Length { expr, offset, len }, _) | (_, Operand::Length { expr, offset, len }) => {
            let message =
                format!("`{expr}.length` is JavaScript, not Arazzo; it is read as the length of the value");
            return Some(ExprIssue::new("W0232", *offset, *len, message));
        }
        _ => return None,
    };
    let message =
        format!("`{expr}.length` is JavaScript, not Arazzo; it is read as the length of the list or string");
    let mut root = expr.clone();
    let path = root.path_mut().map(std::mem::take).unwrap_or_default();
    let help = if path.is_empty() {
        format!("Arazzo has no portable spelling for the length of `{expr}` itself")
    } else {
        let query = super::ast::relative_query(&path);
        format!(
            "write a JSONPath criterion: `context: {root}`, `condition: $[?length({query}) {op} {literal}]`, `type: jsonpath`"
        )
    };
    Some(ExprIssue::new("W0232", offset, len, message).with_help(help))
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
    operators: usize,
    warnings: Vec<ExprIssue>,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn skip_ws(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    /// Consumes `token` after optional whitespace.
    fn eat(&mut self, token: &str) -> bool {
        self.skip_ws();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn error(&self, offset: usize, len: usize, message: impl Into<String>) -> ExprIssue {
        ExprIssue::new(E_COND, offset, len, message)
    }

    fn enter(&mut self) -> Result<(), ExprIssue> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(self.error(self.pos, 1, "the condition is nested too deeply"))
        } else {
            Ok(())
        }
    }

    /// Counts one more `&&`/`||`.
    fn operator(&mut self) -> Result<(), ExprIssue> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            let message = format!("the condition has more than {MAX_OPERATORS} `&&` and `||`");
            Err(self
                .error(self.pos.saturating_sub(2), 2, message)
                .with_help("split it into several criteria (they must all hold)"))
        } else {
            Ok(())
        }
    }

    fn or(&mut self) -> Result<Condition, ExprIssue> {
        let mut lhs = self.and()?;
        while self.eat("||") {
            self.operator()?;
            let rhs = self.and()?;
            lhs = Condition::Or(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Condition, ExprIssue> {
        let mut lhs = self.unary()?;
        while self.eat("&&") {
            self.operator()?;
            let rhs = self.unary()?;
            lhs = Condition::And(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<Condition, ExprIssue> {
        self.skip_ws();
        if self.rest().starts_with('!') && !self.rest().starts_with("!=") {
            self.pos += 1;
            self.enter()?;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Condition::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Condition, ExprIssue> {
        self.skip_ws();
        if !self.rest().starts_with('(') {
            return self.comparison();
        }
        let open = self.pos;
        self.pos += 1;
        self.enter()?;
        let inner = self.or()?;
        self.depth -= 1;
        if !self.eat(")") {
            let issue = self.unexpected_token("`)`");
            return Err(issue.with_help(format!("close the `(` at byte {open}")));
        }
        if let Some((at, op)) = self.peek_cmp_op() {
            return Err(self
                .error(
                    at,
                    op.as_str().len(),
                    format!("a parenthesised condition cannot be compared with `{op}`"),
                )
                .with_help("compare operands, not conditions: `$a == 1 && $b == 2`"));
        }
        Ok(inner)
    }

    fn comparison(&mut self) -> Result<Condition, ExprIssue> {
        self.skip_ws();
        let lhs_at = self.pos;
        let lhs = self.operand()?;
        let lhs_text = self.src.get(lhs_at..self.pos).unwrap_or("");
        let Some((_, op)) = self.peek_cmp_op() else {
            self.reject_single_equals()?;
            return Ok(Condition::Truthy(lhs));
        };
        self.pos += op.as_str().len();
        self.skip_ws();
        let rhs_at = self.pos;
        let rhs = self.operand()?;
        let rhs_text = self.src.get(rhs_at..self.pos).unwrap_or("");
        if let Some((at, second)) = self.peek_cmp_op() {
            let help = format!(
                "combine two comparisons with `&&`: `{lhs_text} {op} {rhs_text} && {rhs_text} {second} …`"
            );
            return Err(self
                .error(at, second.as_str().len(), "comparisons cannot be chained")
                .with_help(help));
        }
        if let Some(warning) = length_warning(&lhs, op, &rhs) {
            self.warnings.push(warning);
        }
        Ok(Condition::Compare { lhs, op, rhs })
    }

    /// A lone `=` after an operand is a common mistake for `==`.
    fn reject_single_equals(&mut self) -> Result<(), ExprIssue> {
        self.skip_ws();
        if self.rest().starts_with('=') {
            return Err(self.error(self.pos, 1, "`=` is not an operator").with_help("write `==`"));
        }
        Ok(())
    }

    /// The comparison operator after optional whitespace (cursor left before the operator).
    fn peek_cmp_op(&mut self) -> Option<(usize, CmpOp)> {
        self.skip_ws();
        let rest = self.rest();
        let op = [
            ("==", CmpOp::Eq),
            ("!=", CmpOp::Ne),
            ("<=", CmpOp::Le),
            (">=", CmpOp::Ge),
            ("<", CmpOp::Lt),
            (">", CmpOp::Gt),
        ]
        .into_iter()
        .find(|(text, _)| rest.starts_with(text))?;
        Some((self.pos, op.1))
    }

    fn operand(&mut self) -> Result<Operand, ExprIssue> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some('$') => {
                let found = parse_at(self.src, start, Boundary::Operand)?;
                self.warnings.extend(found.parsed.warnings);
                self.pos = found.end;
                let (mut expr, len) = (found.parsed.value, found.end - start);
                if strip_length(&mut expr, self.src.get(start..found.end).unwrap_or("")) {
                    return Ok(Operand::Length { expr, offset: start, len });
                }
                Ok(Operand::Expr { expr, offset: start, len })
            }
            Some(c) if !ends_token(c) => self.literal(start),
            _ => Err(self.unexpected_token("a runtime expression or a literal")),
        }
    }

    fn literal(&mut self, start: usize) -> Result<Operand, ExprIssue> {
        let scanned = scan_literal(self.src, start)?;
        if scanned.double_quoted {
            let text = self.src.get(start..scanned.end).unwrap_or("");
            let warning = ExprIssue::new(
                "W0204",
                start,
                scanned.end - start,
                format!("double-quoted string {text}; Arazzo conditions quote strings with `'`"),
            );
            let help = format!("write {}", scanned.literal);
            self.warnings.push(warning.with_help(help));
        }
        self.pos = scanned.end;
        Ok(Operand::Literal(scanned.literal))
    }

    /// An error about the token at the cursor.
    fn unexpected_token(&self, expected: &str) -> ExprIssue {
        let rest = self.rest();
        let Some(first) = rest.chars().next() else {
            return self.error(self.pos, 0, format!("expected {expected}, found the end of the condition"));
        };
        let len =
            if ends_token(first) { first.len_utf8() } else { rest.find(ends_token).unwrap_or(rest.len()) };
        let token = rest.get(..len).unwrap_or("");
        let issue = self.error(self.pos, len, format!("expected {expected}, found `{token}`"));
        match token {
            "&" => issue.with_help("write `&&`"),
            "|" => issue.with_help("write `||`"),
            "=" => issue.with_help("write `==`"),
            "and" | "AND" => issue.with_help("write `&&`"),
            "or" | "OR" => issue.with_help("write `||`"),
            _ => issue,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::ast::{Expr, Segment, Source};

    fn parse(s: &str) -> Parsed<Condition> {
        parse_condition(s).unwrap_or_else(|err| panic!("{s}: {err}"))
    }

    fn ok(s: &str) -> Condition {
        let parsed = parse(s);
        assert!(parsed.warnings.is_empty(), "{s}: {:?}", parsed.warnings);
        parsed.value
    }

    fn err(s: &str) -> ExprIssue {
        match parse_condition(s) {
            Ok(parsed) => panic!("{s}: expected an error, got {:?}", parsed.value),
            Err(issue) => issue,
        }
    }

    fn expr(expr: Expr, offset: usize, len: usize) -> Operand {
        Operand::Expr { expr, offset, len }
    }

    fn num(n: i64) -> Operand {
        Operand::Literal(Literal::Number(n.into()))
    }

    fn string(s: &str) -> Operand {
        Operand::Literal(Literal::String(s.to_string()))
    }

    fn cmp(lhs: Operand, op: CmpOp, rhs: Operand) -> Condition {
        Condition::Compare { lhs, op, rhs }
    }

    fn status(offset: usize) -> Operand {
        expr(Expr::StatusCode, offset, "$statusCode".len())
    }

    fn body(keys: &[&str], offset: usize, len: usize) -> Operand {
        let path = keys.iter().map(|k| Segment::Key((*k).to_string())).collect();
        expr(Expr::Response(Source::Body(path)), offset, len)
    }

    fn or(a: Condition, b: Condition) -> Condition {
        Condition::Or(Box::new(a), Box::new(b))
    }

    fn and(a: Condition, b: Condition) -> Condition {
        Condition::And(Box::new(a), Box::new(b))
    }

    fn not(a: Condition) -> Condition {
        Condition::Not(Box::new(a))
    }

    #[test]
    fn comparisons() {
        let null = Operand::Literal(Literal::Null);
        let table = [
            ("$statusCode == 200", cmp(status(0), CmpOp::Eq, num(200))),
            ("$statusCode==200", cmp(status(0), CmpOp::Eq, num(200))),
            ("  $statusCode   !=   404  ", cmp(status(2), CmpOp::Ne, num(404))),
            ("$statusCode<300", cmp(status(0), CmpOp::Lt, num(300))),
            ("$statusCode <= 299", cmp(status(0), CmpOp::Le, num(299))),
            ("$statusCode>199", cmp(status(0), CmpOp::Gt, num(199))),
            ("$statusCode >= 200", cmp(status(0), CmpOp::Ge, num(200))),
            (
                "$response.body#/redirectAuthToken != null",
                cmp(
                    body(&["redirectAuthToken"], 0, "$response.body#/redirectAuthToken".len()),
                    CmpOp::Ne,
                    null.clone(),
                ),
            ),
            (
                "$response.body#/existingCustomerNotEligible == false",
                cmp(
                    body(
                        &["existingCustomerNotEligible"],
                        0,
                        "$response.body#/existingCustomerNotEligible".len(),
                    ),
                    CmpOp::Eq,
                    Operand::Literal(Literal::Bool(false)),
                ),
            ),
            ("200 == $statusCode", cmp(num(200), CmpOp::Eq, status(7))),
            ("$response.body#/name == 'O''Brien'", cmp(body(&["name"], 0, 20), CmpOp::Eq, string("O'Brien"))),
            ("$response.body#/name == ''", cmp(body(&["name"], 0, 20), CmpOp::Eq, string(""))),
            ("$response.body#/name=='a b && c'", cmp(body(&["name"], 0, 20), CmpOp::Eq, string("a b && c"))),
        ];
        for (text, want) in table {
            assert_eq!(ok(text), want, "{text}");
        }
    }

    #[test]
    fn numbers() {
        let table = ["0", "-1", "1.5", "-0.25", "1e3", "2E-2", "1.5e+10", "12345678901234567890"];
        for text in table {
            let Condition::Truthy(Operand::Literal(Literal::Number(n))) = ok(text) else {
                panic!("{text}: not a number");
            };
            let want: serde_json::Value = serde_json::from_str(text).expect("json");
            assert_eq!(serde_json::Value::Number(n), want, "{text}");
        }
        for bad in ["01", "1.", ".5", "1e", "--1", "+1", "-", "1x", "0x10", "1e400"] {
            let issue = err(&format!("$statusCode == {bad}"));
            assert_eq!((issue.code, issue.offset), ("E0203", 15), "{bad}: {issue}");
        }
    }

    #[test]
    fn boolean_structure_and_precedence() {
        let s200 = cmp(status(0), CmpOp::Eq, num(200));
        assert_eq!(
            ok("$statusCode == 200 || $statusCode == 201"),
            or(s200.clone(), cmp(status(22), CmpOp::Eq, num(201)))
        );
        assert_eq!(
            ok("$statusCode == 201 && $response.body#/status == 'placed'"),
            and(
                cmp(status(0), CmpOp::Eq, num(201)),
                cmp(body(&["status"], 22, 22), CmpOp::Eq, string("placed"))
            )
        );
        // || binds loosest, && tighter, ! tighter still.
        let c = ok("$url || $method && !$statusCode");
        let url = Condition::Truthy(expr(Expr::Url, 0, 4));
        let method = Condition::Truthy(expr(Expr::Method, 8, 7));
        let code = Condition::Truthy(status(20));
        assert_eq!(c, or(url.clone(), and(method.clone(), not(code.clone()))));
        let c = ok("($url || $method) && $statusCode");
        let url = Condition::Truthy(expr(Expr::Url, 1, 4));
        let method = Condition::Truthy(expr(Expr::Method, 9, 7));
        let code = Condition::Truthy(status(21));
        assert_eq!(c, and(or(url, method), code));
        // ! applies to the whole comparison.
        assert_eq!(ok("!$statusCode == 200"), not(cmp(status(1), CmpOp::Eq, num(200))));
        assert_eq!(ok("!($statusCode == 200)"), not(cmp(status(2), CmpOp::Eq, num(200))));
        assert_eq!(ok("!!true"), not(not(Condition::Truthy(Operand::Literal(Literal::Bool(true))))));
        // Left-associative chains.
        let c = ok("true && false && null");
        let t = |b| Condition::Truthy(Operand::Literal(Literal::Bool(b)));
        let n = Condition::Truthy(Operand::Literal(Literal::Null));
        assert_eq!(c, and(and(t(true), t(false)), n));
    }

    #[test]
    fn navigation_in_operands() {
        let c = ok("$response.body.data[0].id == 'x'");
        let path = vec![Segment::Key("data".into()), Segment::Index(0), Segment::Key("id".into())];
        assert_eq!(c, cmp(expr(Expr::Response(Source::Body(path)), 0, 25), CmpOp::Eq, string("x")));
        let c = ok("$steps.checkLoanCanBeProvided.outputs.eligibilityCheckRequired == true");
        let Condition::Compare { lhs: Operand::Expr { expr, .. }, .. } = c else {
            panic!("not a comparison");
        };
        assert_eq!(expr.to_string(), "$steps.checkLoanCanBeProvided.outputs.eligibilityCheckRequired");
    }

    #[test]
    fn double_quotes_warn() {
        let parsed = parse("$response.body#/status == \"ended\"");
        assert_eq!(parsed.value, cmp(body(&["status"], 0, 22), CmpOp::Eq, string("ended")));
        let w = &parsed.warnings[0];
        assert_eq!((w.code, w.offset, w.len), ("W0204", 26, 7));
        assert_eq!(w.help.as_deref(), Some("write 'ended'"));
        let parsed = parse(r#"$response.body#/s == "it's \"x\"""#);
        assert_eq!(parsed.value, cmp(body(&["s"], 0, 17), CmpOp::Eq, string("it's \"x\"")));
        assert_eq!(parsed.warnings[0].help.as_deref(), Some("write 'it''s \"x\"'"));
    }

    #[test]
    fn warnings_from_operands_are_kept() {
        let parsed = parse("$response.headers.Location != null");
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!((parsed.warnings[0].code, parsed.warnings[0].offset), ("W0201", 10));
    }

    #[test]
    fn errors() {
        let table: &[(&str, &str, usize, Option<&str>)] = &[
            ("", "E0203", 0, None),
            ("   ", "E0203", 0, None),
            (
                "$response.header.Content-Type == application/json",
                "E0203",
                33,
                Some("quote the string: 'application/json'"),
            ),
            ("$statusCode == 200 and $url", "E0203", 19, Some("write `&&`")),
            ("$statusCode = 200", "E0203", 12, Some("write `==`")),
            ("$statusCode == 200 & $url", "E0203", 19, Some("write `&&`")),
            ("$statusCode == 200 | $url", "E0203", 19, Some("write `||`")),
            ("$statusCode == 200 ||", "E0203", 21, None),
            ("$statusCode ==", "E0203", 14, None),
            ("== 200", "E0203", 0, None),
            ("1 < $statusCode < 3", "E0203", 16, None),
            ("($statusCode == 200", "E0203", 19, None),
            ("$statusCode == 200)", "E0203", 18, Some("this `)` has no matching `(`")),
            ("()", "E0203", 1, None),
            ("($url) == 1", "E0203", 7, None),
            ("$statusCode == 'abc", "E0203", 15, None),
            ("$statusCode == \"abc", "E0203", 15, None),
            ("$statusCode == \"a\\qb\"", "E0203", 15, None),
            ("$statusCode == True", "E0203", 15, Some("literals are lower case: `true`")),
            ("$foo == 1", "E0201", 1, None),
            ("$response.body#/a~x == 1", "E0202", 17, None),
            ("$statusCode.x == 1", "E0201", 11, None),
            ("$.status == 'x'", "E0201", 1, None),
            ("'a' 'b'", "E0203", 4, None),
        ];
        for &(text, code, offset, help) in table {
            let issue = err(text);
            assert_eq!((issue.code, issue.offset), (code, offset), "{text}: {issue}");
            if let Some(help) = help {
                assert_eq!(issue.help.as_deref(), Some(help), "{text}");
            }
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}true{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(err(&deep).code, "E0203");
        assert_eq!(err(&"!".repeat(10_000)).code, "E0203");
        let long = vec!["$statusCode == 200"; 258].join(" && ");
        assert!(parse_condition(&long).is_err_and(|e| e.message.contains("more than 256")));
        assert!(parse_condition(&vec!["true"; 257].join(" || ")).is_ok());
        let ok_depth = format!("{}true{}", "(".repeat(50), ")".repeat(50));
        assert!(parse_condition(&ok_depth).is_ok());
    }

    #[test]
    fn display_round_trips() {
        for text in [
            "$statusCode == 200 || $statusCode == 201",
            "$statusCode == 201 && $response.body#/status == 'placed'",
            "!($url || $method) && $statusCode != null",
            "$response.body#/name == 'O''Brien'",
        ] {
            let c = ok(text);
            let rendered = c.to_string();
            let again = parse_condition(&rendered).unwrap_or_else(|e| panic!("{rendered}: {e}")).value;
            assert_eq!(again.to_string(), rendered, "{text}");
        }
    }
}
