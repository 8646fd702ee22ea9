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

use super::ast::{CmpOp, Condition, ExprIssue, Literal, Operand, Parsed};
use super::runtime::{Boundary, parse_at};

const E_COND: &str = "E0203";
const MAX_DEPTH: usize = 64;

/// Parses a `simple` condition such as `$statusCode == 200 && $response.body#/ok == true`.
///
/// # Errors
/// `E0203` with the byte offset of the offending token (or `E0201`/`E0202` for an invalid
/// runtime expression operand).
pub fn parse_condition(s: &str) -> Result<Parsed<Condition>, ExprIssue> {
    let mut parser = Parser { src: s, pos: 0, depth: 0, warnings: Vec::new() };
    parser.skip_ws();
    if parser.peek().is_none() {
        return Err(ExprIssue::new(E_COND, 0, s.len(), "the condition is empty")
            .with_help("write a condition such as `$statusCode == 200`"));
    }
    let condition = parser.or()?;
    parser.skip_ws();
    if parser.peek().is_some() {
        return Err(parser.unexpected_token("`&&`, `||` or the end of the condition"));
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
        .with_help(format!("close the string with {quote}"))
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
    let parsed = if is_json_number(word) { serde_json::from_str::<serde_json::Value>(word).ok() } else { None };
    match parsed {
        Some(serde_json::Value::Number(n)) => Ok(Literal::Number(n)),
        _ => Err(ExprIssue::new(E_COND, start, word.len(), format!("invalid number `{word}`"))
            .with_help(format!(
                "numbers use JSON syntax (`200`, `-1.5`, `1e3`); to compare with text, quote it: {quoted}"
            ))),
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
        _ => issue.with_help(format!(
            "quote the string: {}",
            Literal::String(word.to_string())
        )),
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    depth: usize,
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

    fn or(&mut self) -> Result<Condition, ExprIssue> {
        let mut lhs = self.and()?;
        while self.eat("||") {
            let rhs = self.and()?;
            lhs = Condition::Or(Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }

    fn and(&mut self) -> Result<Condition, ExprIssue> {
        let mut lhs = self.unary()?;
        while self.eat("&&") {
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
                .error(at, op.as_str().len(), format!("a parenthesised condition cannot be compared with `{op}`"))
                .with_help("compare operands, not conditions: `$a == 1 && $b == 2`"));
        }
        Ok(inner)
    }

    fn comparison(&mut self) -> Result<Condition, ExprIssue> {
        let lhs = self.operand()?;
        let Some((_, op)) = self.peek_cmp_op() else {
            self.reject_single_equals()?;
            return Ok(Condition::Truthy(lhs));
        };
        self.pos += op.as_str().len();
        let rhs = self.operand()?;
        if let Some((at, second)) = self.peek_cmp_op() {
            return Err(self
                .error(at, second.as_str().len(), "comparisons cannot be chained")
                .with_help(format!("combine two comparisons with `&&`: `a {op} b && b {second} c`")));
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
                Ok(Operand::Expr { expr: found.parsed.value, offset: start, len: found.end - start })
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
        let len = if ends_token(first) {
            first.len_utf8()
        } else {
            rest.find(ends_token).unwrap_or(rest.len())
        };
        let token = rest.get(..len).unwrap_or("");
        let issue = self.error(self.pos, len, format!("expected {expected}, found `{token}`"));
        match token {
            "&" => issue.with_help("write `&&`"),
            "|" => issue.with_help("write `||`"),
            "=" => issue.with_help("write `==`"),
            ")" => issue.with_help("this `)` has no matching `(`"),
            "and" | "AND" => issue.with_help("write `&&`"),
            "or" | "OR" => issue.with_help("write `||`"),
            _ => issue,
        }
    }
}
