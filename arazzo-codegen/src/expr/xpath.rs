//! A recognizer for XPath 3.1 expressions (W3C XPath 3.1, Appendix A: the EBNF, its
//! extra-grammatical constraints and its lexical rules), so that a query that cannot parse fails
//! the build at its line instead of failing its criterion at run time. It builds no tree: the
//! runtime's engine parses the expression again; this module only says whether it would, and
//! which constructs newer than XPath 1.0 it uses (for the version warning W0234).
//!
//! Keywords are not reserved in XPath: `div`, `if` or `for` may name an element. As the spec
//! says, a name is an operator where an operator can stand, `for`/`let`/`some`/`every` start an
//! expression only before `$`, and the reserved function names (`if`, `function`, `map`, the
//! kind tests, …) before `(` are never function calls.

use super::ast::ExprIssue;
use crate::model::XPathVersion;

/// The code of every syntax error.
const CODE: &str = "E0206";

/// How deeply expressions may nest: real queries nest a few levels; the limit keeps the
/// recursive descent within a thread's stack whatever the input.
const MAX_DEPTH: usize = 32;

/// The precedence of comparisons and of `to`, which take two operands at most.
const COMPARISON: u8 = 2;
const RANGE: u8 = 4;

/// Names that are never function calls before `(` (the `reserved-function-names` constraint).
const RESERVED_FUNCTION_NAMES: &[&str] = &[
    "array",
    "attribute",
    "comment",
    "document-node",
    "element",
    "empty-sequence",
    "function",
    "if",
    "item",
    "map",
    "namespace-node",
    "node",
    "processing-instruction",
    "schema-attribute",
    "schema-element",
    "switch",
    "text",
    "typeswitch",
];

const FORWARD_AXES: &[&str] = &[
    "child",
    "descendant",
    "attribute",
    "self",
    "descendant-or-self",
    "following-sibling",
    "following",
    "namespace",
];

const REVERSE_AXES: &[&str] = &["parent", "ancestor", "preceding-sibling", "preceding", "ancestor-or-self"];

/// The XPath versions after 1.0, in order; a construct is noted with the first that has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Since {
    V20 = 0,
    V30 = 1,
    V31 = 2,
}

impl Since {
    fn name(self) -> &'static str {
        match self {
            Since::V20 => "XPath 2.0",
            Since::V30 => "XPath 3.0",
            Since::V31 => "XPath 3.1",
        }
    }

    fn version(self) -> &'static str {
        match self {
            Since::V20 => "xpath-20",
            Since::V30 => "xpath-30",
            Since::V31 => "xpath-31",
        }
    }
}

/// A construct an expression uses, where it is written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Construct {
    offset: usize,
    len: usize,
    what: String,
}

/// What the recognizer learned about a valid expression: for each XPath version after 1.0, the
/// first construct that needs it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct XPathSyntax {
    first: [Option<Construct>; 3],
}

impl XPathSyntax {
    /// Warning W0234 at the first construct that `declared` does not have (none when it has
    /// them all). The engine is XPath 3.1 whatever the declared version.
    #[must_use]
    pub fn version_warning(&self, declared: XPathVersion) -> Option<ExprIssue> {
        let (name, newer_than) = match declared {
            XPathVersion::V31 => return None,
            XPathVersion::V30 => ("xpath-30", 2),
            XPathVersion::V20 => ("xpath-20", 1),
            XPathVersion::V10 => ("xpath-10", 0),
        };
        let (index, first) = (self.first.iter().enumerate().skip(newer_than))
            .filter_map(|(i, c)| c.as_ref().map(|c| (i, c)))
            .min_by_key(|(_, c)| c.offset)?;
        let needs = [Since::V20, Since::V30, Since::V31][index];
        let later = if needs == Since::V31 { "" } else { " or later" };
        Some(
            ExprIssue::new(
                "W0234",
                first.offset,
                first.len,
                format!(
                    "{} is {} syntax, and this expression declares {name}; it runs on the XPath 3.1 engine",
                    first.what,
                    needs.name()
                ),
            )
            .with_help(format!("declare `version: {}`{later}", needs.version())),
        )
    }
}

/// Recognizes `text` as an XPath 3.1 expression.
///
/// # Errors
/// `E0206` at the first token that does not fit the grammar, with "expected …, found …".
pub fn recognize(text: &str) -> Result<XPathSyntax, ExprIssue> {
    if text.trim().is_empty() {
        return Err(ExprIssue::new(CODE, 0, text.len(), "an empty XPath expression"));
    }
    let mut p = Parser { src: text, pos: 0, depth: 0, syntax: XPathSyntax::default() };
    p.expr()?;
    let end = p.peek()?;
    if end.kind != Kind::End {
        return Err(p.unexpected(end, "an operator or the end of the expression"));
    }
    Ok(p.syntax)
}

/// Checks an XPath expression as written (a selector): its syntax, then the version it declares.
///
/// # Errors
/// `E0206` at the first token that does not fit the XPath 3.1 grammar.
pub fn check(text: &str, declared: XPathVersion) -> Result<Vec<ExprIssue>, ExprIssue> {
    Ok(recognize(text)?.version_warning(declared).into_iter().collect())
}

/// Checks an XPath condition, whose `{$…}` runtime expressions are substituted as text before
/// evaluation (Arazzo 1.1 §Runtime Expressions in Conditions; only `{$` starts one: XPath's
/// own braces do not). Each is replaced by a placeholder that keeps the syntax valid where a
/// value can stand: any text inside a string literal, a number elsewhere. One glued to a name
/// (`/a/b{$x}`, `{$p}:name`) can make any token, so that expression gets the shape check only:
/// brackets and quotes balanced.
///
/// # Errors
/// `E0206` at the first token that does not fit, in `condition`'s offsets.
pub fn check_condition(condition: &str, declared: XPathVersion) -> Result<Vec<ExprIssue>, ExprIssue> {
    let Some(spans) = embedded_spans(condition) else {
        return check(condition, declared);
    };
    let Some(substituted) = Substituted::new(condition, &spans) else {
        return check_shape(condition).map(|()| Vec::new());
    };
    let remap = |issue: ExprIssue| substituted.remap(issue);
    let syntax = recognize(&substituted.text).map_err(remap)?;
    Ok(syntax.version_warning(declared).map(remap).into_iter().collect())
}

/// The byte spans of the `{$…}` expressions in `text`; `None` when it has none, or when one does
/// not parse (then the condition is evaluated as written, and the template's error is reported
/// where its references are checked).
fn embedded_spans(text: &str) -> Option<Vec<(usize, usize)>> {
    use super::runtime::{Boundary, parse_at};
    let mut spans = Vec::new();
    let mut pos = 0;
    while let Some(open) = text.get(pos..).and_then(|rest| rest.find("{$")).map(|i| pos + i) {
        let found = parse_at(text, open + 1, Boundary::Operand).ok()?;
        if text.as_bytes().get(found.end) != Some(&b'}') {
            return None;
        }
        spans.push((open, found.end + 1));
        pos = found.end + 1;
    }
    (!spans.is_empty()).then_some(spans)
}

/// A condition with its `{$…}` expressions replaced by placeholders, and the way back to the
/// condition's offsets.
struct Substituted {
    text: String,
    /// (start in `text`, end in `text`, start in the condition, end in the condition, whether a
    /// placeholder), in order.
    pieces: Vec<(usize, usize, usize, usize, bool)>,
    original_len: usize,
}

impl Substituted {
    /// `None` when a placeholder is glued to a name.
    fn new(condition: &str, spans: &[(usize, usize)]) -> Option<Substituted> {
        let mut text = String::with_capacity(condition.len());
        let mut pieces = Vec::new();
        let mut quote: Option<char> = None;
        let mut literal = |text: &mut String, pieces: &mut Vec<_>, from: usize, to: usize| {
            let piece = &condition[from..to];
            for c in piece.chars() {
                match quote {
                    Some(q) if c == q => quote = None,
                    Some(_) => {}
                    None if c == '\'' || c == '"' => quote = Some(c),
                    None => {}
                }
            }
            pieces.push((text.len(), text.len() + piece.len(), from, to, false));
            text.push_str(piece);
            quote
        };
        let mut at = 0;
        for &(open, end) in spans {
            let in_string = literal(&mut text, &mut pieces, at, open).is_some();
            let before = condition[..open].chars().next_back();
            let after = condition[end..].chars().next();
            let glued = before.is_some_and(|c| is_name_char(c) || matches!(c, '$' | '@' | ':'))
                || after.is_some_and(|c| is_name_char(c) || c == ':');
            if !in_string && glued {
                return None;
            }
            let placeholder = if in_string { "x" } else { "1" };
            pieces.push((text.len(), text.len() + placeholder.len(), open, end, true));
            text.push_str(placeholder);
            at = end;
        }
        literal(&mut text, &mut pieces, at, condition.len());
        Some(Substituted { text, pieces, original_len: condition.len() })
    }

    /// `at` in the substituted text as an offset in the condition: a placeholder maps to the
    /// start (or, for an `end`, the end) of its `{$…}`.
    fn map(&self, at: usize, end: bool) -> usize {
        for &(start, stop, from, to, placeholder) in &self.pieces {
            if at < stop || (at == stop && end) {
                if at < start {
                    continue;
                }
                return match (placeholder, end) {
                    (false, _) => from + (at - start),
                    (true, false) => from,
                    (true, true) => to,
                };
            }
        }
        self.original_len
    }

    fn remap(&self, mut issue: ExprIssue) -> ExprIssue {
        let start = self.map(issue.offset, false);
        let end = if issue.len == 0 { start } else { self.map(issue.offset + issue.len, true).max(start) };
        issue.offset = start;
        issue.len = end - start;
        issue
    }
}

/// The check before the recognizer, for conditions it cannot see whole: not empty, brackets
/// balanced, string literals closed.
fn check_shape(condition: &str) -> Result<(), ExprIssue> {
    let invalid = |at: usize, len: usize, message: String| Err(ExprIssue::new(CODE, at, len, message));
    if condition.trim().is_empty() {
        return invalid(0, condition.len(), "an empty XPath expression".to_string());
    }
    let mut open: Vec<(usize, char)> = Vec::new();
    let mut quote: Option<(usize, char)> = None;
    for (i, c) in condition.char_indices() {
        match (quote, c) {
            (Some((_, q)), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some((i, c)),
            (None, '(' | '[' | '{') => open.push((i, c)),
            (None, ')' | ']' | '}') => match open.pop() {
                Some((_, o)) if matches!((o, c), ('(', ')') | ('[', ']') | ('{', '}')) => {}
                _ => return invalid(i, 1, format!("`{c}` closes nothing in this XPath expression")),
            },
            _ => {}
        }
    }
    if let Some((at, q)) = quote {
        return invalid(
            at,
            1,
            format!("expected {q} to close this string literal, found the end of the expression"),
        );
    }
    match open.pop() {
        Some((at, c)) => invalid(at, 1, format!("`{c}` is not closed in this XPath expression")),
        None => Ok(()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// An NCName, or a `prefix:local` QName when `prefixed`.
    Name {
        prefixed: bool,
    },
    /// `Q{uri}local`.
    UriName,
    /// `*:local`, `prefix:*` or `Q{uri}*` (a lone `*` is a symbol).
    Wildcard,
    Integer,
    Decimal,
    Double,
    Str,
    Sym(&'static str),
    End,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Longest first, so that `//` is not read as two `/`.
const SYMBOLS: &[&str] = &[
    "//", "||", "!=", "=>", "<<", "<=", ">>", ">=", "::", ":=", "..", "(", ")", "[", "]", "{", "}", ",", "$",
    "@", ".", "/", "|", "!", "=", "<", ">", "+", "-", "*", "?", "#", ":",
];

struct Parser<'a> {
    src: &'a str,
    /// The byte offset after the last consumed token.
    pos: usize,
    depth: usize,
    syntax: XPathSyntax,
}

type Res<T = ()> = Result<T, ExprIssue>;

impl<'a> Parser<'a> {
    // ---- lexical rules -------------------------------------------------------------------

    fn char_at(&self, at: usize) -> Option<char> {
        self.src.get(at..).and_then(|s| s.chars().next())
    }

    /// Skips whitespace and (nested) comments from `at`.
    fn skip_trivia(&mut self, mut at: usize) -> Res<usize> {
        loop {
            match self.char_at(at) {
                Some(' ' | '\t' | '\n' | '\r') => at += 1,
                Some('(') if self.char_at(at + 1) == Some(':') => {
                    self.note(Since::V20, (at, 2), "a comment `(: … :)`");
                    at = self.comment_end(at)?;
                }
                _ => return Ok(at),
            }
        }
    }

    /// The offset after the comment that opens at `open`.
    fn comment_end(&self, open: usize) -> Res<usize> {
        let bytes = self.src.as_bytes();
        let mut depth = 0usize;
        let mut at = open;
        while at + 1 < bytes.len() {
            match (bytes[at], bytes[at + 1]) {
                (b'(', b':') => {
                    depth += 1;
                    at += 2;
                }
                (b':', b')') => {
                    depth -= 1;
                    at += 2;
                    if depth == 0 {
                        return Ok(at);
                    }
                }
                _ => at += 1,
            }
        }
        Err(ExprIssue::new(
            CODE,
            open,
            2,
            "expected `:)` to close this comment, found the end of the expression",
        ))
    }

    /// The token at `at` (after whitespace and comments).
    fn lex(&mut self, at: usize) -> Res<Token> {
        let start = self.skip_trivia(at)?;
        let token = |kind, end| Ok(Token { kind, start, end });
        let Some(c) = self.char_at(start) else {
            return token(Kind::End, start);
        };
        let next = self.char_at(start + 1);
        if c.is_ascii_digit() || (c == '.' && next.is_some_and(|n| n.is_ascii_digit())) {
            return self.number(start);
        }
        if c == '"' || c == '\'' {
            return self.string(start, c);
        }
        if c == 'Q' && next == Some('{') {
            return self.uri_name(start);
        }
        if is_name_start(c) {
            let end = self.ncname_end(start);
            if self.char_at(end) == Some(':') {
                match self.char_at(end + 1) {
                    Some(n) if is_name_start(n) => {
                        return token(Kind::Name { prefixed: true }, self.ncname_end(end + 1));
                    }
                    Some('*') => return token(Kind::Wildcard, end + 2),
                    _ => {}
                }
            }
            return token(Kind::Name { prefixed: false }, end);
        }
        if c == '*' && next == Some(':') && self.char_at(start + 2).is_some_and(is_name_start) {
            return token(Kind::Wildcard, self.ncname_end(start + 2));
        }
        let rest = &self.src[start..];
        match SYMBOLS.iter().find(|s| rest.starts_with(**s)) {
            Some(sym) => token(Kind::Sym(sym), start + sym.len()),
            None => Err(ExprIssue::new(
                CODE,
                start,
                c.len_utf8(),
                format!("expected an expression or an operator, found `{c}`, which XPath does not use"),
            )),
        }
    }

    fn ncname_end(&self, start: usize) -> usize {
        let rest = &self.src[start..];
        let len = rest
            .char_indices()
            .find(|&(i, c)| !(if i == 0 { is_name_start(c) } else { is_name_char(c) }))
            .map_or(rest.len(), |(i, _)| i);
        start + len
    }

    /// IntegerLiteral, DecimalLiteral or DoubleLiteral at `start`.
    fn number(&self, start: usize) -> Res<Token> {
        let bytes = self.src.as_bytes();
        let digits = |mut at: usize| {
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            at
        };
        let mut end = digits(start);
        let mut kind = Kind::Integer;
        if bytes.get(end) == Some(&b'.') {
            end = digits(end + 1);
            kind = Kind::Decimal;
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            let sign = usize::from(matches!(bytes.get(end + 1), Some(b'+' | b'-')));
            let exponent = end + 1 + sign;
            if bytes.get(exponent).is_some_and(u8::is_ascii_digit) {
                end = digits(exponent);
                kind = Kind::Double;
            }
        }
        // A.2.4: `10div 3` is a syntax error; a number needs a separator before a name.
        if self.char_at(end).is_some_and(is_name_start) {
            let name_end = self.ncname_end(end);
            return Err(ExprIssue::new(
                CODE,
                end,
                name_end - end,
                format!(
                    "expected an operator or whitespace after the number `{}`, found `{}`",
                    &self.src[start..end],
                    truncate(&self.src[end..name_end])
                ),
            ));
        }
        Ok(Token { kind, start, end })
    }

    /// A string literal opened by `quote` at `start`; a doubled quote stands for one.
    fn string(&self, start: usize, quote: char) -> Res<Token> {
        let bytes = self.src.as_bytes();
        let q = quote as u8;
        let mut at = start + 1;
        while at < bytes.len() {
            if bytes[at] == q {
                if bytes.get(at + 1) == Some(&q) {
                    at += 2;
                    continue;
                }
                return Ok(Token { kind: Kind::Str, start, end: at + 1 });
            }
            at += 1;
        }
        Err(ExprIssue::new(
            CODE,
            start,
            1,
            format!("expected {quote} to close this string literal, found the end of the expression"),
        ))
    }

    /// `Q{uri}local` or `Q{uri}*` at `start`.
    fn uri_name(&mut self, start: usize) -> Res<Token> {
        let body = start + 2;
        let Some(close) = self.src[body..].find(['{', '}']).map(|i| body + i) else {
            return Err(ExprIssue::new(
                CODE,
                start,
                2,
                "expected `}` to close this `Q{`, found the end of the expression",
            ));
        };
        if self.src.as_bytes()[close] == b'{' {
            return Err(ExprIssue::new(CODE, close, 1, "expected `}` to close the `Q{`, found `{`"));
        }
        self.note(Since::V30, (start, close + 1 - start), "a `Q{…}` name");
        let after = close + 1;
        match self.char_at(after) {
            Some('*') => Ok(Token { kind: Kind::Wildcard, start, end: after + 1 }),
            Some(c) if is_name_start(c) => {
                Ok(Token { kind: Kind::UriName, start, end: self.ncname_end(after) })
            }
            other => Err(ExprIssue::new(
                CODE,
                after,
                other.map_or(0, char::len_utf8),
                format!("expected a local name right after `}}`, found {}", describe_char(other)),
            )),
        }
    }

    // ---- token helpers -------------------------------------------------------------------

    fn peek(&mut self) -> Res<Token> {
        self.lex(self.pos)
    }

    /// The token after `t`.
    fn after(&mut self, t: Token) -> Res<Token> {
        self.lex(t.end)
    }

    fn bump(&mut self) -> Res<Token> {
        let t = self.peek()?;
        self.pos = t.end;
        Ok(t)
    }

    fn text(&self, t: Token) -> &'a str {
        &self.src[t.start..t.end]
    }

    fn is_sym(t: Token, sym: &str) -> bool {
        matches!(t.kind, Kind::Sym(s) if s == sym)
    }

    /// Whether `t` is the unprefixed name `word`.
    fn is_word(&self, t: Token, word: &str) -> bool {
        t.kind == (Kind::Name { prefixed: false }) && self.text(t) == word
    }

    fn is_any_name(t: Token) -> bool {
        matches!(t.kind, Kind::Name { .. } | Kind::UriName)
    }

    /// Consumes the next token when it is `sym`.
    fn eat(&mut self, sym: &str) -> Res<Option<Token>> {
        let t = self.peek()?;
        Ok(if Self::is_sym(t, sym) {
            self.pos = t.end;
            Some(t)
        } else {
            None
        })
    }

    /// Consumes the next token when it is the unprefixed name `word`.
    fn eat_word(&mut self, word: &str) -> Res<Option<Token>> {
        let t = self.peek()?;
        Ok(if self.is_word(t, word) {
            self.pos = t.end;
            Some(t)
        } else {
            None
        })
    }

    fn expect(&mut self, sym: &str) -> Res<Token> {
        match self.eat(sym)? {
            Some(t) => Ok(t),
            None => {
                let t = self.peek()?;
                Err(self.unexpected(t, &format!("`{sym}`")))
            }
        }
    }

    fn expect_word(&mut self, word: &str) -> Res<Token> {
        match self.eat_word(word)? {
            Some(t) => Ok(t),
            None => {
                let t = self.peek()?;
                Err(self.unexpected(t, &format!("`{word}`")))
            }
        }
    }

    /// Expects `close` for the bracket `open`; at the end of the input the error points at
    /// the bracket left open.
    fn close(&mut self, open: Token, close: &str) -> Res {
        if self.eat(close)?.is_some() {
            return Ok(());
        }
        let t = self.peek()?;
        let opened = self.text(open).to_string();
        if t.kind == Kind::End {
            return Err(ExprIssue::new(
                CODE,
                open.start,
                open.end - open.start,
                format!("expected `{close}` to close this `{opened}`, found the end of the expression"),
            ));
        }
        Err(self.unexpected(t, &format!("`{close}` to close the `{opened}`")))
    }

    fn unexpected(&self, t: Token, expected: &str) -> ExprIssue {
        let found = match t.kind {
            Kind::End => "the end of the expression".to_string(),
            _ => {
                format!("`{}`", truncate(self.text(t)))
            }
        };
        ExprIssue::new(CODE, t.start, t.end - t.start, format!("expected {expected}, found {found}"))
    }

    /// Records that the expression uses `what`, new in `since`, at `span`.
    fn note(&mut self, since: Since, (offset, len): (usize, usize), what: &str) {
        let slot = &mut self.syntax.first[since as usize];
        if slot.as_ref().is_none_or(|c| offset < c.offset) {
            *slot = Some(Construct { offset, len, what: what.to_string() });
        }
    }

    fn note_token(&mut self, since: Since, t: Token, what: &str) {
        self.note(since, (t.start, t.end - t.start), what);
    }

    /// Notes the keyword or symbol `t` itself as the construct (`` `let` ``).
    fn note_word(&mut self, since: Since, t: Token) {
        let what = format!("`{}`", self.text(t));
        self.note_token(since, t, &what);
    }

    fn enter(&mut self) -> Res {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ExprIssue::new(
                CODE,
                self.pos.min(self.src.len()),
                0,
                format!("this XPath expression nests more than {MAX_DEPTH} levels deep"),
            ));
        }
        Ok(())
    }

    // ---- expressions ---------------------------------------------------------------------

    /// Expr ::= ExprSingle ("," ExprSingle)*
    fn expr(&mut self) -> Res {
        self.expr_single()?;
        while let Some(comma) = self.eat(",")? {
            self.note_token(Since::V20, comma, "a sequence (`,`)");
            self.expr_single()?;
        }
        Ok(())
    }

    /// ExprSingle ::= ForExpr | LetExpr | QuantifiedExpr | IfExpr | OrExpr
    fn expr_single(&mut self) -> Res {
        self.enter()?;
        let t = self.peek()?;
        let next = self.after(t)?;
        let result = if t.kind == (Kind::Name { prefixed: false }) && Self::is_sym(next, "$") {
            match self.text(t) {
                "for" => self.bindings(Since::V20, "in", "return"),
                "let" => self.bindings(Since::V30, ":=", "return"),
                "some" | "every" => self.bindings(Since::V20, "in", "satisfies"),
                _ => self.binary(0),
            }
        } else if self.is_word(t, "if") && Self::is_sym(next, "(") {
            self.if_expr()
        } else {
            self.binary(0)
        };
        self.depth -= 1;
        result
    }

    /// `for`, `let`, `some` and `every`: the keyword, `$name <bind> ExprSingle` bindings
    /// separated by commas, then `<body>` ExprSingle.
    fn bindings(&mut self, since: Since, bind: &str, body: &str) -> Res {
        let keyword = self.bump()?;
        self.note_word(since, keyword);
        loop {
            self.var_ref()?;
            if bind == "in" {
                self.expect_word(bind)?;
            } else {
                self.expect(bind)?;
            }
            self.expr_single()?;
            if self.eat(",")?.is_none() {
                break;
            }
        }
        self.expect_word(body)?;
        self.expr_single()
    }

    /// IfExpr ::= "if" "(" Expr ")" "then" ExprSingle "else" ExprSingle
    fn if_expr(&mut self) -> Res {
        let keyword = self.bump()?;
        self.note_word(Since::V20, keyword);
        let open = self.expect("(")?;
        self.expr()?;
        self.close(open, ")")?;
        self.expect_word("then")?;
        self.expr_single()?;
        self.expect_word("else")?;
        self.expr_single()
    }

    /// OrExpr down to IntersectExceptExpr by precedence climbing (one frame for nine grammar
    /// levels keeps deep nesting off the stack). Comparisons and `to` do not chain.
    fn binary(&mut self, min: u8) -> Res {
        self.typed()?;
        loop {
            let t = self.peek()?;
            let Some(level) = self.binary_operator(t) else { return Ok(()) };
            if level < min {
                return Ok(());
            }
            self.pos = t.end;
            self.binary(level + 1)?;
            if matches!(level, COMPARISON | RANGE) {
                // A second comparison (`a = b = c`) or range is left to the caller, which
                // reports it as out of place.
                let t = self.peek()?;
                if self.binary_operator(t) == Some(level) {
                    return Err(self.unexpected(t, "an operator or the end of the expression"));
                }
            }
        }
    }

    /// The precedence level of the binary operator `t` (notes the constructs newer than 1.0).
    fn binary_operator(&mut self, t: Token) -> Option<u8> {
        let (level, since) = match t.kind {
            Kind::Sym("=" | "!=" | "<" | "<=" | ">" | ">=") => (COMPARISON, None),
            Kind::Sym("<<" | ">>") => (COMPARISON, Some(Since::V20)),
            Kind::Sym("||") => (3, Some(Since::V30)),
            Kind::Sym("+" | "-") => (5, None),
            Kind::Sym("*") => (6, None),
            Kind::Sym("|") => (7, None),
            Kind::Name { prefixed: false } => match self.text(t) {
                "or" => (0, None),
                "and" => (1, None),
                "eq" | "ne" | "lt" | "le" | "gt" | "ge" | "is" => (COMPARISON, Some(Since::V20)),
                "to" => (RANGE, Some(Since::V20)),
                "div" | "mod" => (6, None),
                "idiv" => (6, Some(Since::V20)),
                "union" => (7, Some(Since::V20)),
                "intersect" | "except" => (8, Some(Since::V20)),
                _ => return None,
            },
            _ => return None,
        };
        if let Some(since) = since {
            self.note_word(since, t);
        }
        Some(level)
    }

    /// InstanceofExpr, TreatExpr, CastableExpr and CastExpr: an ArrowExpr, then at most one
    /// of each type operator, innermost first.
    fn typed(&mut self) -> Res {
        self.arrow()?;
        for (first, second, what, sequence) in [
            ("cast", "as", "`cast as`", false),
            ("castable", "as", "`castable as`", false),
            ("treat", "as", "`treat as`", true),
            ("instance", "of", "`instance of`", true),
        ] {
            if let Some(t) = self.eat_word(first)? {
                let end = self.expect_word(second)?;
                self.note(Since::V20, (t.start, end.end - t.start), what);
                if sequence {
                    self.sequence_type()?;
                } else {
                    self.single_type()?;
                }
            }
        }
        Ok(())
    }

    /// ArrowExpr ::= UnaryExpr ( "=>" ArrowFunctionSpecifier ArgumentList )*, with
    /// UnaryExpr ::= ("-" | "+")* SimpleMapExpr and SimpleMapExpr ::= PathExpr ("!" PathExpr)*.
    fn arrow(&mut self) -> Res {
        while self.eat("-")?.is_some() || self.eat("+")?.is_some() {}
        self.path()?;
        while let Some(t) = self.eat("!")? {
            self.note_word(Since::V30, t);
            self.path()?;
        }
        while let Some(t) = self.eat("=>")? {
            self.note_word(Since::V31, t);
            let f = self.peek()?;
            if Self::is_any_name(f) {
                self.pos = f.end;
            } else if Self::is_sym(f, "$") {
                self.var_ref()?;
            } else if Self::is_sym(f, "(") {
                self.parenthesized()?;
            } else {
                return Err(self.unexpected(f, "a function name, a variable or `(` after `=>`"));
            }
            let open = self.expect("(")?;
            self.arguments(open)?;
        }
        Ok(())
    }

    /// PathExpr, with the `leading-lone-slash` constraint: `/` is a whole expression only
    /// when what follows cannot start a relative path.
    fn path(&mut self) -> Res {
        if self.eat("/")?.is_some() {
            let t = self.peek()?;
            if !self.starts_step(t) {
                return Ok(());
            }
            self.step()?;
        } else if let Some(slashes) = self.eat("//")? {
            self.step_after(slashes)?;
        } else {
            self.step()?;
        }
        loop {
            let Some(slash) = (self.eat("/")?).or(self.eat("//")?) else { return Ok(()) };
            self.step_after(slash)?;
        }
    }

    /// The step after `/` or `//`.
    fn step_after(&mut self, slash: Token) -> Res {
        let t = self.peek()?;
        if !self.starts_step(t) {
            let expected =
                format!("a step after `{}` (a name, `*`, `@`, `.`, `..` or `text()`)", self.text(slash));
            return Err(self.unexpected(t, &expected));
        }
        self.step()
    }

    fn starts_step(&self, t: Token) -> bool {
        match t.kind {
            Kind::Name { .. }
            | Kind::UriName
            | Kind::Wildcard
            | Kind::Integer
            | Kind::Decimal
            | Kind::Double
            | Kind::Str => true,
            Kind::Sym(s) => matches!(s, "*" | "@" | "." | ".." | "$" | "(" | "?" | "["),
            Kind::End => false,
        }
    }

    /// StepExpr ::= PostfixExpr | AxisStep
    fn step(&mut self) -> Res {
        let t = self.peek()?;
        let next = self.after(t)?;
        if Self::is_sym(t, "..") {
            self.pos = t.end;
            return self.predicates();
        }
        if Self::is_sym(t, "@") {
            self.pos = t.end;
            self.node_test()?;
            return self.predicates();
        }
        if t.kind == (Kind::Name { prefixed: false }) && Self::is_sym(next, "::") {
            let axis = self.text(t);
            if !FORWARD_AXES.contains(&axis) && !REVERSE_AXES.contains(&axis) {
                return Err(self.unexpected(t, "an axis (`child`, `descendant`, `attribute`, `parent`, …)"));
            }
            if axis == "namespace" {
                self.note_word(Since::V20, t);
            }
            self.pos = next.end;
            self.node_test()?;
            return self.predicates();
        }
        let name_like = Self::is_any_name(t);
        let word = if t.kind == (Kind::Name { prefixed: false }) { self.text(t) } else { "" };
        if name_like && Self::is_sym(next, "(") && is_kind_test(word) {
            self.node_test()?;
            return self.predicates();
        }
        let primary = Self::is_sym(next, "(")
            || Self::is_sym(next, "#")
            || (Self::is_sym(next, "{") && matches!(word, "map" | "array"));
        if (name_like && !primary) || t.kind == Kind::Wildcard || Self::is_sym(t, "*") {
            self.node_test()?;
            return self.predicates();
        }
        self.postfix()
    }

    /// NodeTest ::= KindTest | NameTest
    fn node_test(&mut self) -> Res {
        let t = self.peek()?;
        let word = if t.kind == (Kind::Name { prefixed: false }) { self.text(t) } else { "" };
        if is_kind_test(word) && Self::is_sym(self.after(t)?, "(") {
            return self.kind_test();
        }
        match t.kind {
            Kind::Name { .. } | Kind::UriName | Kind::Sym("*") => {
                self.pos = t.end;
                Ok(())
            }
            Kind::Wildcard => {
                self.pos = t.end;
                if self.text(t).starts_with('*') {
                    self.note_token(Since::V20, t, "a `*:name` wildcard");
                }
                Ok(())
            }
            _ => Err(self.unexpected(t, "a name, `*` or a kind test such as `text()`")),
        }
    }

    /// PredicateList ::= Predicate*
    fn predicates(&mut self) -> Res {
        while let Some(open) = self.eat("[")? {
            self.expr()?;
            self.close(open, "]")?;
        }
        Ok(())
    }

    /// PostfixExpr ::= PrimaryExpr (Predicate | ArgumentList | Lookup)*
    fn postfix(&mut self) -> Res {
        self.primary()?;
        loop {
            let t = self.peek()?;
            match t.kind {
                Kind::Sym("[") => {
                    self.pos = t.end;
                    self.expr()?;
                    self.close(t, "]")?;
                }
                Kind::Sym("(") => {
                    self.pos = t.end;
                    self.note_token(Since::V30, t, "a dynamic function call");
                    self.arguments(t)?;
                }
                Kind::Sym("?") => {
                    self.pos = t.end;
                    self.note_token(Since::V31, t, "a lookup `?`");
                    self.key_specifier()?;
                }
                _ => return Ok(()),
            }
        }
    }

    /// PrimaryExpr: a literal, a variable, `( … )`, `.`, a function call, a function item, a
    /// map or array constructor, or a unary lookup.
    fn primary(&mut self) -> Res {
        let t = self.peek()?;
        match t.kind {
            Kind::Integer | Kind::Decimal | Kind::Str => {
                self.pos = t.end;
                return Ok(());
            }
            Kind::Double => {
                self.pos = t.end;
                self.note_token(Since::V20, t, "a number with an exponent");
                return Ok(());
            }
            Kind::Sym("$") => return self.var_ref(),
            Kind::Sym("(") => return self.parenthesized(),
            Kind::Sym(".") => {
                self.pos = t.end;
                return Ok(());
            }
            Kind::Sym("?") => {
                self.pos = t.end;
                self.note_token(Since::V31, t, "a lookup `?`");
                return self.key_specifier();
            }
            Kind::Sym("[") => {
                self.pos = t.end;
                self.note_token(Since::V31, t, "an array constructor `[ ]`");
                return self.square_array(t);
            }
            Kind::Name { .. } | Kind::UriName => {}
            _ => return Err(self.unexpected(t, "an expression")),
        }
        let next = self.after(t)?;
        let word = if t.kind == (Kind::Name { prefixed: false }) { self.text(t) } else { "" };
        match (word, next.kind) {
            ("function", Kind::Sym("(")) => self.inline_function(),
            ("map", Kind::Sym("{")) => {
                self.pos = next.end;
                self.note(Since::V31, (t.start, next.end - t.start), "a map constructor `map { }`");
                self.map_entries(next)
            }
            ("array", Kind::Sym("{")) => {
                self.pos = next.end;
                self.note(Since::V31, (t.start, next.end - t.start), "an array constructor `array { }`");
                self.enclosed(next)
            }
            (_, Kind::Sym("#")) => {
                self.pos = next.end;
                let arity = self.peek()?;
                if arity.kind != Kind::Integer {
                    return Err(self.unexpected(arity, "the arity (an integer) after `#`"));
                }
                self.pos = arity.end;
                let what = format!("a function reference `{}`", &self.src[t.start..arity.end]);
                self.note(Since::V30, (t.start, arity.end - t.start), &what);
                Ok(())
            }
            (_, Kind::Sym("(")) if RESERVED_FUNCTION_NAMES.contains(&word) => Err(ExprIssue::new(
                CODE,
                t.start,
                t.end - t.start,
                format!(
                    "expected a function name, found `{word}`, which XPath reserves (it is not a function)"
                ),
            )),
            (_, Kind::Sym("(")) => {
                self.pos = next.end;
                self.arguments(next)
            }
            _ => Err(self.unexpected(t, "an expression")),
        }
    }

    /// `$` VarName
    fn var_ref(&mut self) -> Res {
        self.expect("$")?;
        let name = self.peek()?;
        if !Self::is_any_name(name) {
            return Err(self.unexpected(name, "a variable name after `$`"));
        }
        self.pos = name.end;
        Ok(())
    }

    /// ParenthesizedExpr ::= "(" Expr? ")"
    fn parenthesized(&mut self) -> Res {
        let open = self.expect("(")?;
        if let Some(close) = self.eat(")")? {
            self.note(Since::V20, (open.start, close.end - open.start), "the empty sequence `()`");
            return Ok(());
        }
        self.expr()?;
        self.close(open, ")")
    }

    /// ArgumentList after its `(`: arguments, each an ExprSingle or a `?` placeholder.
    fn arguments(&mut self, open: Token) -> Res {
        if self.eat(")")?.is_some() {
            return Ok(());
        }
        loop {
            let t = self.peek()?;
            let next = self.after(t)?;
            if Self::is_sym(t, "?") && (Self::is_sym(next, ",") || Self::is_sym(next, ")")) {
                self.pos = t.end;
                self.note_token(Since::V30, t, "an argument placeholder `?`");
            } else {
                self.expr_single()?;
            }
            if self.eat(",")?.is_none() {
                return self.close(open, ")");
            }
        }
    }

    /// KeySpecifier ::= NCName | IntegerLiteral | ParenthesizedExpr | "*"
    fn key_specifier(&mut self) -> Res {
        let t = self.peek()?;
        match t.kind {
            Kind::Name { prefixed: false } | Kind::Integer | Kind::Sym("*") => {
                self.pos = t.end;
                Ok(())
            }
            Kind::Sym("(") => self.parenthesized(),
            _ => Err(self.unexpected(t, "a key after `?` (a name, an integer, `*` or `(`)")),
        }
    }

    /// SquareArrayConstructor after its `[`.
    fn square_array(&mut self, open: Token) -> Res {
        if self.eat("]")?.is_some() {
            return Ok(());
        }
        loop {
            self.expr_single()?;
            if self.eat(",")?.is_none() {
                return self.close(open, "]");
            }
        }
    }

    /// EnclosedExpr after its `{`: `{` Expr? `}`.
    fn enclosed(&mut self, open: Token) -> Res {
        if self.eat("}")?.is_some() {
            return Ok(());
        }
        self.expr()?;
        self.close(open, "}")
    }

    /// MapConstructor entries after `map {`.
    fn map_entries(&mut self, open: Token) -> Res {
        if self.eat("}")?.is_some() {
            return Ok(());
        }
        loop {
            self.expr_single()?;
            self.expect(":")?;
            self.expr_single()?;
            if self.eat(",")?.is_none() {
                return self.close(open, "}");
            }
        }
    }

    /// InlineFunctionExpr ::= "function" "(" ParamList? ")" ("as" SequenceType)? FunctionBody
    fn inline_function(&mut self) -> Res {
        let keyword = self.bump()?;
        self.note_token(Since::V30, keyword, "an inline function");
        let open = self.expect("(")?;
        if self.eat(")")?.is_none() {
            loop {
                self.var_ref()?;
                if self.eat_word("as")?.is_some() {
                    self.sequence_type()?;
                }
                if self.eat(",")?.is_none() {
                    break;
                }
            }
            self.close(open, ")")?;
        }
        if self.eat_word("as")?.is_some() {
            self.sequence_type()?;
        }
        let body = self.expect("{")?;
        self.enclosed(body)
    }

    // ---- types ---------------------------------------------------------------------------

    /// SingleType ::= SimpleTypeName "?"?
    fn single_type(&mut self) -> Res {
        let t = self.peek()?;
        if !Self::is_any_name(t) {
            return Err(self.unexpected(t, "a type name such as `xs:integer`"));
        }
        self.pos = t.end;
        self.eat("?")?;
        Ok(())
    }

    /// SequenceType ::= ("empty-sequence" "(" ")") | (ItemType OccurrenceIndicator?); an
    /// occurrence indicator right after the type always belongs to it
    /// (`occurrence-indicators` constraint).
    fn sequence_type(&mut self) -> Res {
        let t = self.peek()?;
        if self.is_word(t, "empty-sequence") && Self::is_sym(self.after(t)?, "(") {
            self.pos = t.end;
            let open = self.expect("(")?;
            return self.close(open, ")");
        }
        self.item_type()?;
        let _ = self.eat("?")?.is_some() || self.eat("*")?.is_some() || self.eat("+")?.is_some();
        Ok(())
    }

    /// ItemType: a kind test, `item()`, a function, map or array test, an atomic type or a
    /// parenthesized item type.
    fn item_type(&mut self) -> Res {
        self.enter()?;
        let result = self.item_type_inner();
        self.depth -= 1;
        result
    }

    fn item_type_inner(&mut self) -> Res {
        let t = self.peek()?;
        if let Some(open) = self.eat("(")? {
            self.note_token(Since::V30, t, "a parenthesized item type");
            self.item_type()?;
            return self.close(open, ")");
        }
        if !Self::is_any_name(t) {
            return Err(self.unexpected(t, "a type such as `xs:string`, `item()` or `element()`"));
        }
        let next = self.after(t)?;
        let word = if t.kind == (Kind::Name { prefixed: false }) { self.text(t) } else { "" };
        if !Self::is_sym(next, "(") || word.is_empty() {
            self.pos = t.end;
            return Ok(());
        }
        if is_kind_test(word) {
            return self.kind_test();
        }
        self.pos = next.end;
        match word {
            "item" => self.close(next, ")"),
            "function" => {
                self.note_token(Since::V30, t, "a function type `function(…)`");
                if self.eat("*")?.is_some() {
                    return self.close(next, ")");
                }
                if self.eat(")")?.is_none() {
                    loop {
                        self.sequence_type()?;
                        if self.eat(",")?.is_none() {
                            break;
                        }
                    }
                    self.close(next, ")")?;
                }
                self.expect_word("as")?;
                self.sequence_type()
            }
            "map" => {
                self.note_token(Since::V31, t, "a map type `map(…)`");
                if self.eat("*")?.is_none() {
                    self.single_name("an atomic type such as `xs:string`")?;
                    self.expect(",")?;
                    self.sequence_type()?;
                }
                self.close(next, ")")
            }
            "array" => {
                self.note_token(Since::V31, t, "an array type `array(…)`");
                if self.eat("*")?.is_none() {
                    self.sequence_type()?;
                }
                self.close(next, ")")
            }
            _ => Err(self.unexpected(t, "a type such as `xs:string`, `item()` or `element()`")),
        }
    }

    /// A name (an EQName) described as `what` when missing.
    fn single_name(&mut self, what: &str) -> Res {
        let t = self.peek()?;
        if !Self::is_any_name(t) {
            return Err(self.unexpected(t, what));
        }
        self.pos = t.end;
        Ok(())
    }

    /// KindTest: `node()`, `text()`, `comment()`, `namespace-node()`,
    /// `processing-instruction(…)`, `element(…)`, `attribute(…)`, `schema-element(…)`,
    /// `schema-attribute(…)`, `document-node(…)`.
    fn kind_test(&mut self) -> Res {
        let t = self.bump()?;
        let open = self.expect("(")?;
        let word = self.text(t);
        match word {
            "node" | "text" | "comment" => {}
            "namespace-node" => self.note(Since::V30, (t.start, open.end - t.start), "`namespace-node()`"),
            "processing-instruction" => {
                let arg = self.peek()?;
                if matches!(arg.kind, Kind::Name { prefixed: false } | Kind::Str) {
                    self.pos = arg.end;
                }
            }
            "element" | "attribute" => {
                let what = format!("`{word}()`");
                self.note(Since::V20, (t.start, open.end - t.start), &what);
                let arg = self.peek()?;
                if Self::is_any_name(arg) || Self::is_sym(arg, "*") {
                    self.pos = arg.end;
                    if self.eat(",")?.is_some() {
                        self.single_name("a type name such as `xs:string`")?;
                        if word == "element" {
                            self.eat("?")?;
                        }
                    }
                }
            }
            "schema-element" | "schema-attribute" => {
                let what = format!("`{word}()`");
                self.note(Since::V20, (t.start, open.end - t.start), &what);
                self.single_name("an element or attribute name")?;
            }
            _ => {
                // document-node
                self.note(Since::V20, (t.start, open.end - t.start), "`document-node()`");
                let arg = self.peek()?;
                let inner = if arg.kind == (Kind::Name { prefixed: false }) { self.text(arg) } else { "" };
                if matches!(inner, "element" | "schema-element") && Self::is_sym(self.after(arg)?, "(") {
                    self.kind_test()?;
                }
            }
        }
        self.close(open, ")")
    }
}

/// The kind tests, which are node tests (not function calls) before `(`.
fn is_kind_test(word: &str) -> bool {
    matches!(
        word,
        "node"
            | "text"
            | "comment"
            | "namespace-node"
            | "processing-instruction"
            | "element"
            | "attribute"
            | "schema-element"
            | "schema-attribute"
            | "document-node"
    )
}

/// XML 1.0 (fifth edition) NameStartChar, without `:` (an NCName's first character).
fn is_name_start(c: char) -> bool {
    matches!(c,
        'A'..='Z' | '_' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}' | '\u{370}'..='\u{37D}'
        | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}' | '\u{2070}'..='\u{218F}'
        | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}' | '\u{F900}'..='\u{FDCF}'
        | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// XML 1.0 NameChar, without `:`.
fn is_name_char(c: char) -> bool {
    is_name_start(c)
        || matches!(c, '-' | '.' | '0'..='9' | '\u{B7}' | '\u{300}'..='\u{36F}' | '\u{203F}'..='\u{2040}')
}

fn describe_char(c: Option<char>) -> String {
    c.map_or_else(|| "the end of the expression".to_string(), |c| format!("`{c}`"))
}

/// At most 30 characters of a token, for messages (a string literal can be long).
fn truncate(text: &str) -> String {
    match text.char_indices().nth(30) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    include!("xpath_cases.rs");

    #[test]
    fn the_shared_cases() {
        let mut wrong = Vec::new();
        for &(text, want) in XPATH_CASES {
            let got = recognize(text).map(|_| ()).map_err(|e| e.offset);
            let as_expected = match (want, &got) {
                (None, Ok(())) => true,
                (Some(at), Err(offset)) => at == *offset,
                _ => false,
            };
            if !as_expected {
                wrong.push(format!("{text:?}: want {want:?}, got {:?}", recognize(text).map(|_| ())));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
        let valid = XPATH_CASES.iter().filter(|(_, want)| want.is_none()).count();
        assert!(valid >= 150 && XPATH_CASES.len() - valid >= 50, "{valid} valid");
    }

    fn error(text: &str) -> ExprIssue {
        recognize(text).expect_err(text)
    }

    #[test]
    fn messages_say_what_was_expected_and_what_was_found() {
        let e = error("//status = = 'x'");
        assert_eq!((e.code, e.offset, e.len), ("E0206", 11, 1));
        assert_eq!(e.message, "expected an expression, found `=`");
        assert_eq!(error("a[1").message, "expected `]` to close this `[`, found the end of the expression");
        assert_eq!(error("f(1]").message, "expected `)` to close the `(`, found `]`");
        assert_eq!(error("let $x = 1 return $x").message, "expected `:=`, found `=`");
        assert_eq!(error("a b").message, "expected an operator or the end of the expression, found `b`");
        assert_eq!(
            error("10div 3").message,
            "expected an operator or whitespace after the number `10`, found `div`"
        );
        let long = format!("a '{}'", "x".repeat(100));
        let e = error(&long);
        assert_eq!((e.offset, e.len), (2, 102));
        assert!(e.message.ends_with("xxx…`"), "{}", e.message);
        assert!(error("if(1)").message.contains("`then`"));
        assert!(error("a/if(1)").message.contains("reserves"));
    }

    #[test]
    fn errors_in_non_ascii_text_keep_char_boundaries() {
        for text in ["/é[", "/é é", "'é", "/a[é = ]", "é::b", "1 ≠ 2", "Q{é}"] {
            let e = error(text);
            assert!(
                text.is_char_boundary(e.offset) && text.is_char_boundary(e.offset + e.len),
                "{text}: {e:?}"
            );
        }
        assert!(recognize("/données/élément[@clé = 'é']").is_ok());
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = format!("{}1{}", "(".repeat(MAX_DEPTH - 1), ")".repeat(MAX_DEPTH - 1));
        assert!(recognize(&ok).is_ok());
        let ok = format!("{}1{}", "a[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(recognize(&ok).is_ok());
        for deep in ["(".repeat(10_000), "a[".repeat(10_000), "-(".repeat(10_000), "function(".repeat(5000)] {
            assert_eq!(error(&deep).code, "E0206");
        }
        let types = format!("1 instance of {}item(){}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(error(&types).message.contains("nests more than"));
    }

    fn warning(text: &str, declared: XPathVersion) -> Option<(usize, usize, String, Option<String>)> {
        let w = recognize(text).expect(text).version_warning(declared)?;
        assert_eq!(w.code, "W0234");
        Some((w.offset, w.len, w.message, w.help))
    }

    #[test]
    fn version_warnings_name_the_first_newer_construct() {
        use XPathVersion::{V10, V20, V30, V31};
        let (at, len, message, help) = warning("let $x := 1 return $x", V10).expect("let");
        assert_eq!((at, len), (0, 3));
        assert_eq!(
            message,
            "`let` is XPath 3.0 syntax, and this expression declares xpath-10; it runs on the XPath 3.1 engine"
        );
        assert_eq!(help.as_deref(), Some("declare `version: xpath-30` or later"));
        // The first in the text, whatever version it needs.
        let text = "for $x in (1 => abs()) return $x || 'a'";
        assert!(warning(text, V10).expect("for").2.starts_with("`for` is XPath 2.0 syntax"));
        assert_eq!(warning(text, V20).map(|w| w.0), Some(13));
        assert_eq!(
            warning(text, V30).map(|w| (w.0, w.3)),
            Some((13, Some("declare `version: xpath-31`".into())))
        );
        assert_eq!(warning(text, V31), None);
        let cases: &[(&str, XPathVersion, Option<usize>)] = &[
            ("/a/b[@c = 'd'] | //e", V10, None),
            ("count(//a) > 1 and not(/b)", V10, None),
            ("1 + 2 * 3 div 4 mod 5", V10, None),
            ("/a[1 eq 1]", V10, Some(5)),
            ("1 to 3", V10, Some(2)),
            ("(1, 2)", V10, Some(2)),
            ("()", V10, Some(0)),
            ("a intersect b", V10, Some(2)),
            ("(: c :) 1", V10, Some(0)),
            ("1e3", V10, Some(0)),
            ("if (1) then 2 else 3", V10, Some(0)),
            ("1 instance of xs:integer", V10, Some(2)),
            ("/a ! b", V20, Some(3)),
            ("'a' || 'b'", V20, Some(4)),
            ("abs#1", V20, Some(0)),
            ("function() { 1 }", V20, Some(0)),
            ("Q{u}a", V20, Some(0)),
            ("map { 1: 2 }", V30, Some(0)),
            ("[1]", V30, Some(0)),
            ("array { 1 }", V30, Some(0)),
            ("$a?b", V30, Some(2)),
            ("1 => abs()", V30, Some(2)),
            ("1 instance of map(*)", V30, Some(14)),
            ("/a ! b", V30, None),
            ("let $x := 1 return $x", V30, None),
            ("for $x in 1 return $x", V20, None),
        ];
        for &(text, declared, want) in cases {
            assert_eq!(warning(text, declared).map(|w| w.0), want, "{text} under {declared:?}");
        }
    }

    /// `cargo test --release -p arazzo-codegen --lib xpath_speed -- --ignored --nocapture`:
    /// the time to check 10,000 expressions of the shared list (valid and invalid, under
    /// xpath-10 so that version warnings are built too). A measurement, not a test.
    #[test]
    #[ignore = "a measurement; run it in release"]
    fn xpath_speed() {
        let texts: Vec<&str> = XPATH_CASES.iter().map(|(t, _)| *t).cycle().take(10_000).collect();
        let bytes: usize = texts.iter().map(|t| t.len()).sum();
        let start = std::time::Instant::now();
        let valid = texts.iter().filter(|t| check_condition(t, XPathVersion::V10).is_ok()).count();
        let elapsed = start.elapsed();
        let per = elapsed.as_secs_f64() * 1e6 / 10_000.0;
        println!("{valid} of 10000 valid, {bytes} bytes: {elapsed:?}, {per:.2} µs per expression");
    }

    #[test]
    fn embedded_runtime_expressions_become_placeholders() {
        let v31 = XPathVersion::V31;
        for ok in [
            "/root/items[price > {$steps.getPricing.outputs.minPrice}]",
            "/message_batch[id = '{$steps.create.outputs.batchId}']",
            "/a[@n = \"{$inputs.name}\"]",
            "count(/a/b) > {$inputs.min}",
            "/a[{$inputs.index}]",
            "map { 'k': {$inputs.v} }?k",
            "'{$inputs.a}' || '{$inputs.b}'",
            "/a/b{$inputs.suffix}",
            "/a/{$inputs.step}:x",
            "${$inputs.var}",
        ] {
            assert!(check_condition(ok, v31).is_ok(), "{ok}: {:?}", check_condition(ok, v31));
        }
        // Errors are reported at the condition's offsets, around the placeholder.
        let text = "/a[@n = '{$inputs.name}'] = = 1";
        assert_eq!(check_condition(text, v31).expect_err(text).offset, 28);
        let text = "/a[{$inputs.index} 2]";
        let e = check_condition(text, v31).expect_err(text);
        assert_eq!((e.offset, e.message.as_str()), (19, "expected `]` to close the `[`, found `2`"));
        let text = "{$inputs.a} {$inputs.b}";
        let e = check_condition(text, v31).expect_err(text);
        assert_eq!((e.offset, e.len), (12, 11), "the second placeholder is the error");
        // A glued placeholder gets the shape check only, which still finds unbalanced brackets.
        assert_eq!(check_condition("/a/b{$inputs.x}[", v31).expect_err("open").offset, 15);
        // XPath's own braces are not runtime expressions.
        assert!(check_condition("map{$m: 1}", v31).is_ok(), "`$m` is no runtime expression");
        assert!(check_condition("function($x) {$x}", v31).is_ok());
        let w = check_condition("let $x := '{$inputs.a}' return $x", XPathVersion::V10).expect("valid");
        assert_eq!(w.iter().map(|w| (w.code, w.offset)).collect::<Vec<_>>(), [("W0234", 0)]);
        let w = check_condition("'{$inputs.a}' || 'b'", XPathVersion::V20).expect("valid");
        assert_eq!(w.iter().map(|w| (w.offset, w.len)).collect::<Vec<_>>(), [(14, 2)]);
    }
}
