//! The runtime-expression parser (`$url`, `$response.body#/a`, `$steps.s.outputs.x`, …).
//!
//! Grammar: the Arazzo 1.0.1 ABNF, plus what real documents write: a `#/pointer` after input,
//! output, step and workflow names; dotted (`.a.0`) and bracket (`[0]`) navigation after a name or
//! `body`; `$response.headers.X` (W0201); and `$response.body#id` (W0202).

use super::ast::{Expr, ExprIssue, Parsed, Segment, Source};

/// The expression roots, as written after `$`.
pub const ROOTS: &[&str] = &[
    "url",
    "method",
    "statusCode",
    "request",
    "response",
    "inputs",
    "outputs",
    "steps",
    "workflows",
    "sourceDescriptions",
    "components",
    "self",
    "message",
];

const COMPONENT_KINDS: &[&str] = &["inputs", "parameters", "successActions", "failureActions"];
const SOURCE_KINDS: &[&str] = &["header", "query", "path", "body"];
const E_EXPR: &str = "E0201";
const E_POINTER: &str = "E0202";

/// Where an expression must end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Boundary {
    /// At the end of the input.
    End,
    /// At whitespace, one of `!&()<=>{|},`, or the end (an operand in a condition or template).
    Operand,
    /// Anywhere: take the longest expression (used to spot expressions in plain text).
    Loose,
}

/// An expression found in a larger string; offsets are absolute.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    /// The expression with its warnings.
    pub parsed: Parsed<Expr>,
    /// Byte offset just past the expression.
    pub end: usize,
}

/// Parses a string that must be exactly one runtime expression.
///
/// # Errors
/// `E0201` (invalid expression) or `E0202` (invalid JSON pointer), with the byte offset of the
/// offending character and, for unknown names, a did-you-mean.
pub fn parse_expression(s: &str) -> Result<Parsed<Expr>, ExprIssue> {
    parse_at(s, 0, Boundary::End).map(|found| found.parsed)
}

/// Parses the runtime expression at the start of `s`, which must end at an operand boundary
/// (whitespace, one of `!&()<=>{|},`, or the end of `s`); `[n]` navigation is part of it.
/// Returns the expression and its length in bytes, or `None` when `s` does not start with one.
#[cfg(test)]
pub fn find_expression_prefix(s: &str) -> Option<(Parsed<Expr>, usize)> {
    parse_at(s, 0, Boundary::Operand).ok().map(|found| (found.parsed, found.end))
}

/// Whether `s` starts with `$` and one of the [`ROOTS`] as a whole word (`$inputs.x`, `$url`).
#[must_use]
pub fn starts_with_known_root(s: &str) -> bool {
    let Some(rest) = s.strip_prefix('$') else {
        return false;
    };
    let word_len = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
    rest.get(..word_len).is_some_and(|word| ROOTS.contains(&word))
}

/// Parses an expression starting at `start` (which must hold `$`); offsets are absolute in `src`.
pub(crate) fn parse_at(src: &str, start: usize, boundary: Boundary) -> Result<Found, ExprIssue> {
    let mut cursor = Cursor { src, pos: start, start, boundary, warnings: Vec::new() };
    let expr = cursor.expression()?;
    cursor.check_boundary(&expr)?;
    Ok(Found { parsed: Parsed { value: expr, warnings: cursor.warnings }, end: cursor.pos })
}

/// The closest candidate to `word`, if any is close enough to suggest.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for &candidate in candidates {
        let cand_lower = candidate.to_ascii_lowercase();
        let distance = if lower.len() >= 3 && cand_lower.starts_with(&lower) {
            0
        } else {
            edit_distance(&lower, &cand_lower)
        };
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    let limit = if word.chars().count() <= 3 { 1 } else { 2 };
    best.filter(|&(d, _)| d <= limit).map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            row[j + 1] = substitute.min(prev[j + 1] + 1).min(row[j] + 1);
        }
        prev = row;
    }
    prev.last().copied().unwrap_or(0)
}

/// Step ids, names and dotted navigation keys: `[A-Za-z0-9_-]`.
pub(crate) fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Characters that end an operand in a condition or template.
pub(crate) fn is_operand_delimiter(c: char) -> bool {
    c.is_whitespace() || "!&()<=>{|},".contains(c)
}

/// RFC 9110 `tchar`.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

fn describe_char(c: char) -> String {
    if c.is_whitespace() { "whitespace".to_string() } else { format!("`{c}`") }
}

struct Cursor<'a> {
    src: &'a str,
    pos: usize,
    start: usize,
    boundary: Boundary,
    warnings: Vec<ExprIssue>,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let len = rest.find(|c: char| !f(c)).unwrap_or(rest.len());
        self.pos += len;
        rest.get(..len).unwrap_or("")
    }

    /// The expression text consumed so far.
    fn so_far(&self) -> &'a str {
        self.src.get(self.start..self.pos).unwrap_or("")
    }

    /// Whether `c` may appear in a free-text token (query/path names, pointer tokens).
    fn is_text_char(&self, c: char) -> bool {
        match self.boundary {
            Boundary::End => !c.is_whitespace(),
            Boundary::Operand => !is_operand_delimiter(c),
            Boundary::Loose => !is_operand_delimiter(c) && !"\"'`".contains(c),
        }
    }

    fn error(&self, offset: usize, len: usize, message: impl Into<String>) -> ExprIssue {
        ExprIssue::new(E_EXPR, offset, len, message)
    }

    /// An error about the character at the cursor (or the end of the input).
    fn unexpected(&self, expected: &str) -> ExprIssue {
        let after = match self.so_far() {
            "" => String::new(),
            so_far => format!(" after `{so_far}`"),
        };
        match self.peek() {
            Some(c) => self.error(
                self.pos,
                c.len_utf8(),
                format!("expected {expected}{after}, found {}", describe_char(c)),
            ),
            None => self.error(self.pos, 0, format!("expected {expected}{after}, found the end")),
        }
    }

    fn expect_dot(&mut self, expected: &str) -> Result<(), ExprIssue> {
        if self.eat('.') { Ok(()) } else { Err(self.unexpected(&format!("`.` and {expected}"))) }
    }

    fn id(&mut self, what: &str) -> Result<&'a str, ExprIssue> {
        let word = self.take_while(is_id_char);
        if word.is_empty() { Err(self.unexpected(what)) } else { Ok(word) }
    }

    /// An id that may contain dots (`v1.get-item`): everything up to the first `.FIELD` (one
    /// of `fields`) that ends a word; a plain id when there is none, so that a misspelt field
    /// is still reported as such.
    fn dotted_id(&mut self, what: &str, fields: &[&str]) -> Result<String, ExprIssue> {
        let rest = self.rest();
        let region = rest.find(|c: char| !is_id_char(c) && c != '.').unwrap_or(rest.len());
        let words: Vec<&str> = rest[..region].split('.').collect();
        let field_at = words.iter().enumerate().skip(1).find(|(_, w)| fields.contains(w)).map(|(i, _)| i);
        match field_at {
            Some(i) if i > 1 && words[..i].iter().all(|w| !w.is_empty()) => {
                let id = words[..i].join(".");
                self.pos += id.len();
                Ok(id)
            }
            _ => Ok(self.id(what)?.to_string()),
        }
    }

    fn expression(&mut self) -> Result<Expr, ExprIssue> {
        if !self.eat('$') {
            return Err(self.unexpected("a runtime expression starting with `$`"));
        }
        let root_at = self.pos;
        let root = self.take_while(|c| c.is_ascii_alphanumeric());
        match root {
            "url" => Ok(Expr::Url),
            "method" => Ok(Expr::Method),
            "statusCode" => Ok(Expr::StatusCode),
            "request" => Ok(Expr::Request(self.source("$request")?)),
            "response" => Ok(Expr::Response(self.source("$response")?)),
            // `$inputs` alone is every input (a whole-object criterion context, W0233).
            "inputs"
                if self.peek() != Some('.')
                    || (self.boundary == Boundary::Loose && !self.peek2().is_some_and(is_id_char)) =>
            {
                Ok(Expr::AllInputs)
            }
            "inputs" => self.named("an input name").map(|(name, path)| Expr::Inputs { name, path }),
            "outputs" => self.named("an output name").map(|(name, path)| Expr::Outputs { name, path }),
            "steps" => self.steps(),
            "workflows" => self.workflows(),
            "sourceDescriptions" => self.source_descriptions(),
            "components" => self.components(),
            "self" => Ok(Expr::SelfUri),
            "message" => Ok(Expr::Message(self.source("$message")?)),
            _ => Err(self.unknown_root(root_at, root)),
        }
    }

    fn unknown_root(&self, at: usize, root: &str) -> ExprIssue {
        let roots = ROOTS.iter().map(|r| format!("`${r}`")).collect::<Vec<_>>().join(", ");
        if root.is_empty() {
            let issue = self.unexpected("an expression root");
            return if self.peek() == Some('.') {
                issue.with_help(
                    "`$.…` is JSONPath, not a runtime expression; to read the response body write \
                     `$response.body#/…`",
                )
            } else {
                issue.with_help(format!("runtime expressions start with one of {roots}"))
            };
        }
        let issue = self.error(at, root.len(), format!("unknown runtime expression root `${root}`"));
        match did_you_mean(root, ROOTS) {
            Some(best) => issue.with_help(format!("did you mean `${best}`?")),
            None => issue.with_help(format!("runtime expressions start with one of {roots}")),
        }
    }

    fn source(&mut self, root: &str) -> Result<Source, ExprIssue> {
        self.expect_dot("`header`, `query`, `path` or `body`")?;
        let kind_at = self.pos;
        let kind = self.take_while(|c| c.is_ascii_alphanumeric());
        match kind {
            "header" => self.header().map(Source::Header),
            "headers" => {
                let name = self.header()?;
                self.warnings.push(headers_warning(root, kind_at, &name));
                Ok(Source::Header(name))
            }
            "query" => self.text_name("a query parameter name").map(Source::Query),
            "path" => self.text_name("a path parameter name").map(Source::Path),
            "body" => self.navigation().map(Source::Body),
            "payload" if root == "$message" => self.navigation().map(Source::Payload),
            "" => Err(self.unexpected("`header`, `query`, `path` or `body`")),
            other => {
                let issue =
                    self.error(kind_at, other.len(), format!("unknown source `{other}` in `{root}.{other}`"));
                Err(match did_you_mean(other, SOURCE_KINDS) {
                    Some(best) => issue.with_help(format!("did you mean `{root}.{best}`?")),
                    None => issue.with_help(format!(
                        "`{root}.` is followed by `header.NAME`, `query.NAME`, `path.NAME` or \
                         `body#/pointer`"
                    )),
                })
            }
        }
    }

    fn header(&mut self) -> Result<String, ExprIssue> {
        self.expect_dot("a header name")?;
        let boundary = self.boundary;
        let name =
            self.take_while(|c| is_tchar(c) && !(boundary != Boundary::End && is_operand_delimiter(c)));
        if name.is_empty() { Err(self.unexpected("a header name")) } else { Ok(name.to_string()) }
    }

    fn text_name(&mut self, what: &str) -> Result<String, ExprIssue> {
        self.expect_dot(what)?;
        let start = self.pos;
        while let Some(c) = self.peek().filter(|&c| self.is_text_char(c)) {
            self.pos += c.len_utf8();
        }
        match self.src.get(start..self.pos) {
            Some(name) if !name.is_empty() => Ok(name.to_string()),
            _ => Err(self.unexpected(what)),
        }
    }

    /// `.NAME` followed by optional navigation.
    fn named(&mut self, what: &str) -> Result<(String, Vec<Segment>), ExprIssue> {
        self.expect_dot(what)?;
        let name = self.id(what)?.to_string();
        let path = self.navigation()?;
        Ok((name, path))
    }

    fn steps(&mut self) -> Result<Expr, ExprIssue> {
        self.expect_dot("a step id")?;
        let step = self.dotted_id("a step id", &["outputs"])?;
        self.expect_dot("`outputs`")?;
        let field_at = self.pos;
        let field = self.take_while(is_id_char);
        if field != "outputs" {
            return Err(self.bad_step_field(&step, field_at, field));
        }
        let (name, path) = self.optional_name("an output name")?;
        Ok(Expr::Steps { step, field: field.to_string(), name, path })
    }

    fn bad_step_field(&self, step: &str, at: usize, field: &str) -> ExprIssue {
        if field.is_empty() {
            return self.unexpected("`outputs`");
        }
        let issue =
            self.error(at, field.len(), format!("`$steps.{step}.{field}`: a step exposes only `outputs`"));
        if did_you_mean(field, &["outputs"]).is_some() {
            issue.with_help(format!("write `$steps.{step}.outputs`"))
        } else {
            issue.with_help(format!("write `$steps.{step}.outputs.{field}`"))
        }
    }

    fn workflows(&mut self) -> Result<Expr, ExprIssue> {
        self.expect_dot("a workflow id")?;
        let workflow = self.dotted_id("a workflow id", &["inputs", "outputs"])?;
        self.expect_dot("`inputs` or `outputs`")?;
        let field_at = self.pos;
        let field = self.take_while(is_id_char);
        if field != "inputs" && field != "outputs" {
            if field.is_empty() {
                return Err(self.unexpected("`inputs` or `outputs`"));
            }
            let issue = self.error(
                field_at,
                field.len(),
                format!("`$workflows.{workflow}.{field}`: a workflow exposes `inputs` and `outputs`"),
            );
            return Err(match did_you_mean(field, &["inputs", "outputs"]) {
                Some(best) => issue.with_help(format!("write `$workflows.{workflow}.{best}`")),
                None => issue.with_help(format!("write `$workflows.{workflow}.outputs.{field}`")),
            });
        }
        let (name, path) = self.optional_name("a name")?;
        Ok(Expr::Workflows { workflow, field: field.to_string(), name, path })
    }

    /// An optional `.NAME` plus navigation (after `outputs` / `inputs`).
    fn optional_name(&mut self, what: &str) -> Result<(Option<String>, Vec<Segment>), ExprIssue> {
        let loose_stop = self.boundary == Boundary::Loose && !self.peek2().is_some_and(is_id_char);
        if self.peek() != Some('.') || loose_stop {
            return Ok((None, Vec::new()));
        }
        let (name, path) = self.named(what)?;
        Ok((Some(name), path))
    }

    fn source_descriptions(&mut self) -> Result<Expr, ExprIssue> {
        self.expect_dot("a source description name")?;
        let name = self.id("a source description name")?.to_string();
        let rest = if self.peek() == Some('.') && self.peek2().is_some_and(is_id_char) {
            self.pos += 1;
            Some(self.take_while(|c| is_id_char(c) || c == '.').to_string())
        } else if self.peek() == Some('.') && self.boundary != Boundary::Loose {
            self.pos += 1;
            return Err(self.unexpected("`url` or an operation or workflow id"));
        } else {
            None
        };
        Ok(Expr::SourceDescriptions { name, rest })
    }

    fn components(&mut self) -> Result<Expr, ExprIssue> {
        self.expect_dot("a component kind")?;
        let kind_at = self.pos;
        let kind = self.id("a component kind (`parameters`, `successActions`, …)")?;
        if !COMPONENT_KINDS.contains(&kind) {
            let issue = self.error(kind_at, kind.len(), format!("unknown component kind `{kind}`"));
            return Err(match did_you_mean(kind, COMPONENT_KINDS) {
                Some(best) => issue.with_help(format!("did you mean `$components.{best}`?")),
                None => issue.with_help(
                    "component kinds are `inputs`, `parameters`, `successActions` and \
                     `failureActions`",
                ),
            });
        }
        self.expect_dot("a component name")?;
        let name = self.take_while(|c| is_id_char(c) || c == '.');
        if name.is_empty() {
            return Err(self.unexpected("a component name"));
        }
        Ok(Expr::Components { kind: kind.to_string(), name: name.to_string() })
    }

    /// `.key`, `[n]` and a final `#/json/pointer`, in any mix (the pointer ends the navigation).
    fn navigation(&mut self) -> Result<Vec<Segment>, ExprIssue> {
        let mut path = Vec::new();
        loop {
            match self.peek() {
                Some('.') if self.peek2().is_some_and(is_id_char) => {
                    self.pos += 1;
                    path.push(Segment::Key(self.take_while(is_id_char).to_string()));
                }
                Some('.') if self.boundary != Boundary::Loose => {
                    self.pos += 1;
                    return Err(self.unexpected("a member name").with_help(
                        "dotted navigation takes names of `A-Z a-z 0-9 _ -`; for other member \
                         names use a JSON pointer (`#/name`)",
                    ));
                }
                Some('[') => match self.index()? {
                    Some(index) => path.push(Segment::Index(index)),
                    None => return Ok(path),
                },
                Some('#') => {
                    self.pointer(&mut path)?;
                    return Ok(path);
                }
                _ => return Ok(path),
            }
        }
    }

    /// `[digits]`; `None` in loose mode when the bracket is not an index.
    fn index(&mut self) -> Result<Option<usize>, ExprIssue> {
        let open = self.pos;
        self.pos += 1;
        let digits = self.take_while(|c| c.is_ascii_digit());
        let closed = !digits.is_empty() && self.eat(']');
        if !closed {
            if self.boundary == Boundary::Loose {
                self.pos = open;
                return Ok(None);
            }
            let issue = self.unexpected("a 0-based index and `]`");
            return Err(issue.with_help("bracket navigation takes a non-negative integer: `[0]`"));
        }
        match digits.parse::<usize>() {
            Ok(index) => Ok(Some(index)),
            Err(_) => Err(self.error(open, self.pos - open, format!("index `{digits}` is too large"))),
        }
    }

    /// `#` followed by a JSON pointer; decoded tokens are appended to `path` as keys.
    fn pointer(&mut self, path: &mut Vec<Segment>) -> Result<(), ExprIssue> {
        let hash = self.pos;
        self.pos += 1;
        match self.peek() {
            Some('/') => {}
            Some(c) if self.is_text_char(c) => {
                self.warnings.push(self.slashless_pointer_warning(hash));
                path.push(Segment::Key(self.pointer_token()?));
            }
            _ => return Ok(()),
        }
        while self.eat('/') {
            path.push(Segment::Key(self.pointer_token()?));
        }
        Ok(())
    }

    fn slashless_pointer_warning(&self, hash: usize) -> ExprIssue {
        let before = self.src.get(self.start..hash).unwrap_or("");
        let after = self.rest();
        let token_len = after.find(|c: char| !self.is_text_char(c)).unwrap_or(after.len());
        let token = after.get(..token_len).unwrap_or("");
        ExprIssue::new(
            "W0202",
            hash,
            token_len + 1,
            format!("the JSON pointer `#{token}` does not start with `/`; it is read as `#/{token}`"),
        )
        .with_help(format!("write `{before}#/{token}`"))
    }

    /// One reference token, with `~0`/`~1` decoded.
    fn pointer_token(&mut self) -> Result<String, ExprIssue> {
        let mut token = String::new();
        // A whole-value expression ends at the end of the text, so its pointer may hold spaces
        // (RFC 6901 allows them: `$response.body#/pet name`).
        let spaces = self.boundary == Boundary::End;
        while let Some(c) =
            self.peek().filter(|&c| c != '/' && (self.is_text_char(c) || (spaces && c == ' ')))
        {
            if c == '~' {
                token.push(self.pointer_escape()?);
            } else {
                token.push(c);
                self.pos += c.len_utf8();
            }
        }
        Ok(token)
    }

    fn pointer_escape(&mut self) -> Result<char, ExprIssue> {
        let at = self.pos;
        self.pos += 1;
        match self.peek() {
            Some('0') => {
                self.pos += 1;
                Ok('~')
            }
            Some('1') => {
                self.pos += 1;
                Ok('/')
            }
            other => {
                let len = 1 + other.map_or(0, char::len_utf8);
                Err(ExprIssue::new(E_POINTER, at, len, "invalid escape in JSON pointer")
                    .with_help("in a JSON pointer write `~0` for `~` and `~1` for `/`"))
            }
        }
    }

    /// Checks what follows the expression, as required by the boundary mode.
    fn check_boundary(&self, expr: &Expr) -> Result<(), ExprIssue> {
        let Some(c) = self.peek() else {
            return Ok(());
        };
        let ok = match self.boundary {
            Boundary::End => false,
            Boundary::Operand => is_operand_delimiter(c),
            Boundary::Loose => true,
        };
        if ok {
            return Ok(());
        }
        let garbage = if self.boundary == Boundary::End {
            self.rest().len()
        } else {
            let rest = self.rest();
            rest.find(is_operand_delimiter).unwrap_or(rest.len())
        };
        let issue = self.error(
            self.pos,
            garbage,
            format!("unexpected {} after the runtime expression `{}`", describe_char(c), self.so_far()),
        );
        Err(trailing_help(issue, expr, c))
    }
}

fn trailing_help(issue: ExprIssue, expr: &Expr, c: char) -> ExprIssue {
    match expr {
        Expr::Url | Expr::Method | Expr::StatusCode if c == '.' => {
            issue.with_help(format!("`{expr}` is a plain value and has no fields"))
        }
        _ if c.is_whitespace() => issue.with_help(
            "a runtime expression cannot contain whitespace; comparisons belong in a criterion's \
             `condition`, and text around an expression needs `{$…}` braces",
        ),
        _ => issue,
    }
}

fn headers_warning(root: &str, at: usize, name: &str) -> ExprIssue {
    ExprIssue::new(
        "W0201",
        at,
        "headers".len(),
        format!("`{root}.headers.` is not Arazzo syntax; the source is spelled `header`"),
    )
    .with_help(format!("write `{root}.header.{name}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> Segment {
        Segment::Key(k.to_string())
    }

    fn ok(s: &str) -> Expr {
        match parse_expression(s) {
            Ok(parsed) => {
                assert!(parsed.warnings.is_empty(), "{s}: unexpected warnings {:?}", parsed.warnings);
                parsed.value
            }
            Err(err) => panic!("{s}: {err}"),
        }
    }

    fn err(s: &str) -> ExprIssue {
        match parse_expression(s) {
            Ok(parsed) => panic!("{s}: expected an error, got {:?}", parsed.value),
            Err(issue) => issue,
        }
    }

    fn inputs(name: &str, path: Vec<Segment>) -> Expr {
        Expr::Inputs { name: name.to_string(), path }
    }

    fn step(step: &str, name: Option<&str>, path: Vec<Segment>) -> Expr {
        Expr::Steps {
            step: step.to_string(),
            field: "outputs".to_string(),
            name: name.map(str::to_string),
            path,
        }
    }

    #[test]
    fn simple_roots() {
        assert_eq!(ok("$url"), Expr::Url);
        assert_eq!(ok("$method"), Expr::Method);
        assert_eq!(ok("$statusCode"), Expr::StatusCode);
    }

    #[test]
    fn arazzo_1_1_roots() {
        assert_eq!(ok("$self"), Expr::SelfUri);
        assert_eq!(ok("$inputs"), Expr::AllInputs);
        assert_eq!(ok("$message.payload#/status"), Expr::Message(Source::Payload(vec![key("status")])));
        assert_eq!(ok("$message.header.X-Id"), Expr::Message(Source::Header("X-Id".into())));
        assert_eq!(err("$response.payload").code, "E0201", "`payload` belongs to `$message` only");
        assert_eq!(err("$self.x").code, "E0201");
    }

    #[test]
    fn request_and_response_sources() {
        let table = [
            ("$request.header.X-Api-Key", Expr::Request(Source::Header("X-Api-Key".into()))),
            ("$request.query.status", Expr::Request(Source::Query("status".into()))),
            ("$request.path.petId", Expr::Request(Source::Path("petId".into()))),
            ("$request.body", Expr::Request(Source::Body(vec![]))),
            ("$response.header.Location", Expr::Response(Source::Header("Location".into()))),
            ("$response.header.X-Rate-Limit", Expr::Response(Source::Header("X-Rate-Limit".into()))),
            ("$response.body", Expr::Response(Source::Body(vec![]))),
            ("$response.body#", Expr::Response(Source::Body(vec![]))),
            ("$response.body#/0/id", Expr::Response(Source::Body(vec![key("0"), key("id")]))),
            ("$response.body#/links/self", Expr::Response(Source::Body(vec![key("links"), key("self")]))),
            ("$response.body#/", Expr::Response(Source::Body(vec![key("")]))),
            ("$response.body#/a~1b/c~0d", Expr::Response(Source::Body(vec![key("a/b"), key("c~d")]))),
            ("$response.body.id", Expr::Response(Source::Body(vec![key("id")]))),
            (
                "$response.body.data[0].id",
                Expr::Response(Source::Body(vec![key("data"), Segment::Index(0), key("id")])),
            ),
            ("$response.body.links.self", Expr::Response(Source::Body(vec![key("links"), key("self")]))),
        ];
        for (text, want) in table {
            assert_eq!(ok(text), want, "{text}");
        }
    }

    #[test]
    fn named_roots_with_navigation() {
        let table = [
            ("$inputs.apiKey", inputs("apiKey", vec![])),
            ("$inputs.reusable-test", inputs("reusable-test", vec![])),
            ("$inputs.customer#/firstName", inputs("customer", vec![key("firstName")])),
            ("$inputs.customer.firstName", inputs("customer", vec![key("firstName")])),
            ("$inputs.list[2][10]", inputs("list", vec![Segment::Index(2), Segment::Index(10)])),
            ("$inputs.a.b#/c", inputs("a", vec![key("b"), key("c")])),
            ("$outputs.workflow_order_id", Expr::Outputs { name: "workflow_order_id".into(), path: vec![] }),
            ("$steps.submitBatch.outputs.batchId", step("submitBatch", Some("batchId"), vec![])),
            ("$steps.s.outputs.pets#/0/id", step("s", Some("pets"), vec![key("0"), key("id")])),
            ("$steps.s.outputs", step("s", None, vec![])),
            (
                "$steps.list-events.outputs.events.0.dates.0",
                step("list-events", Some("events"), vec![key("0"), key("dates"), key("0")]),
            ),
            ("$steps.findPet.outputs.foundPet.id", step("findPet", Some("foundPet"), vec![key("id")])),
            (
                "$workflows.get-menu-items.outputs.reusable-test",
                Expr::Workflows {
                    workflow: "get-menu-items".into(),
                    field: "outputs".into(),
                    name: Some("reusable-test".into()),
                    path: vec![],
                },
            ),
            (
                "$workflows.foo.outputs.mappedResponse#/name",
                Expr::Workflows {
                    workflow: "foo".into(),
                    field: "outputs".into(),
                    name: Some("mappedResponse".into()),
                    path: vec![key("name")],
                },
            ),
            (
                "$workflows.foo.inputs",
                Expr::Workflows { workflow: "foo".into(), field: "inputs".into(), name: None, path: vec![] },
            ),
            (
                "$sourceDescriptions.auth-api.PAR",
                Expr::SourceDescriptions { name: "auth-api".into(), rest: Some("PAR".into()) },
            ),
            (
                "$sourceDescriptions.petStoreDescription.url",
                Expr::SourceDescriptions { name: "petStoreDescription".into(), rest: Some("url".into()) },
            ),
            ("$sourceDescriptions.x", Expr::SourceDescriptions { name: "x".into(), rest: None }),
            (
                "$components.parameters.page",
                Expr::Components { kind: "parameters".into(), name: "page".into() },
            ),
            (
                "$components.failureActions.retry.v2",
                Expr::Components { kind: "failureActions".into(), name: "retry.v2".into() },
            ),
        ];
        for (text, want) in table {
            assert_eq!(ok(text), want, "{text}");
        }
    }

    #[test]
    fn warnings_for_common_misspellings() {
        let parsed = parse_expression("$response.headers.Location").expect("parses");
        assert_eq!(parsed.value, Expr::Response(Source::Header("Location".into())));
        assert_eq!(parsed.warnings.len(), 1);
        let w = &parsed.warnings[0];
        assert_eq!((w.code, w.offset, w.len), ("W0201", 10, 7));
        assert_eq!(w.help.as_deref(), Some("write `$response.header.Location`"));

        let parsed = parse_expression("$response.body#id").expect("parses");
        assert_eq!(parsed.value, Expr::Response(Source::Body(vec![key("id")])));
        let w = &parsed.warnings[0];
        assert_eq!((w.code, w.offset, w.len), ("W0202", 14, 3));
        assert_eq!(w.help.as_deref(), Some("write `$response.body#/id`"));

        let parsed = parse_expression("$response.body#data/0").expect("parses");
        assert_eq!(parsed.value, Expr::Response(Source::Body(vec![key("data"), key("0")])));
    }

    #[test]
    fn step_and_workflow_ids_may_contain_dots() {
        assert_eq!(
            ok("$steps.a.b.outputs.x"),
            Expr::Steps {
                step: "a.b".into(),
                field: "outputs".into(),
                name: Some("x".into()),
                path: Vec::new()
            }
        );
        assert_eq!(
            ok("$workflows.v1.get-item.outputs.status"),
            Expr::Workflows {
                workflow: "v1.get-item".into(),
                field: "outputs".into(),
                name: Some("status".into()),
                path: Vec::new()
            }
        );
        // Without a `.outputs` further on, the first word is the id, and the misspelt field says so.
        assert!(err("$steps.a.output.x").to_string().contains("a step exposes only `outputs`"));
    }

    #[test]
    fn pointer_tokens_of_a_whole_value_may_hold_spaces() {
        // RFC 6901 and the Arazzo ABNF allow %x20 in a reference token.
        assert_eq!(
            ok("$inputs.x#/a/b c"),
            inputs("x", vec![Segment::Key("a".into()), Segment::Key("b c".into())])
        );
        let (found, len) = find_expression_prefix("$inputs.x#/a b == 1").expect("a prefix");
        assert_eq!((found.value, len), (inputs("x", vec![Segment::Key("a".into())]), 12));
    }

    #[test]
    fn errors_point_at_the_offending_text() {
        let table: &[(&str, &str, usize, Option<&str>)] = &[
            ("$foo", "E0201", 1, None),
            ("$input.x", "E0201", 1, Some("did you mean `$inputs`?")),
            ("$StatusCode", "E0201", 1, Some("did you mean `$statusCode`?")),
            ("$status", "E0201", 1, Some("did you mean `$statusCode`?")),
            ("$statusCode.x", "E0201", 11, Some("`$statusCode` is a plain value and has no fields")),
            ("$statusCode == 200", "E0201", 11, None),
            ("$inputs x", "E0201", 7, None),
            ("$inputs.", "E0201", 8, None),
            ("$inputs.x.", "E0201", 10, None),
            ("$inputs.x[", "E0201", 10, None),
            ("$inputs.x[a]", "E0201", 10, None),
            ("$inputs.x]", "E0201", 9, None),
            ("$response.bdy", "E0201", 10, Some("did you mean `$response.body`?")),
            ("$response.body#/a~2", "E0202", 17, None),
            ("$response.body#/a~", "E0202", 17, None),
            ("$response.header.", "E0201", 17, None),
            ("$steps.x", "E0201", 8, None),
            ("$steps.x.output.y", "E0201", 9, Some("write `$steps.x.outputs`")),
            (
                "$steps.retrieveFinalizedPaymentPlan.finalizedPaymentPlan",
                "E0201",
                36,
                Some("write `$steps.retrieveFinalizedPaymentPlan.outputs.finalizedPaymentPlan`"),
            ),
            ("$workflows.w.output", "E0201", 13, Some("write `$workflows.w.outputs`")),
            ("$components.parameter.page", "E0201", 12, Some("did you mean `$components.parameters`?")),
            ("$components.parameters", "E0201", 22, None),
            ("$.status", "E0201", 1, None),
            ("inputs.x", "E0201", 0, None),
            ("", "E0201", 0, None),
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
    fn prefix_stops_at_operand_boundaries() {
        let table = [
            ("$statusCode==200", 11),
            ("$statusCode", 11),
            ("$response.body#/a != null", 17),
            ("$response.body.data[0].id)", 25),
            ("$inputs.x}rest", 9),
            ("$inputs.x,", 9),
            ("$response.header.Content-Type&&", 29),
        ];
        for (text, end) in table {
            let (_, got) = find_expression_prefix(text).unwrap_or_else(|| panic!("{text}"));
            assert_eq!(got, end, "{text}");
        }
        assert!(find_expression_prefix("$statusCode.x == 1").is_none());
        assert!(find_expression_prefix("x").is_none());
    }

    #[test]
    fn display_is_canonical_and_round_trips() {
        let table = [
            ("$url", "$url"),
            ("$response.headers.Location", "$response.header.Location"),
            ("$response.body.data[0].id", "$response.body#/data/0/id"),
            ("$response.body#/a~1b", "$response.body#/a~1b"),
            ("$inputs.customer.firstName", "$inputs.customer#/firstName"),
            ("$steps.a.outputs.b#/c/0", "$steps.a.outputs.b#/c/0"),
            ("$steps.a.outputs", "$steps.a.outputs"),
            ("$workflows.w.inputs.x", "$workflows.w.inputs.x"),
            ("$sourceDescriptions.auth-api.PAR", "$sourceDescriptions.auth-api.PAR"),
            ("$components.parameters.page", "$components.parameters.page"),
            ("$request.query.status", "$request.query.status"),
            ("$request.path.id", "$request.path.id"),
        ];
        for (text, canonical) in table {
            let expr = parse_expression(text).expect(text).value;
            assert_eq!(expr.to_string(), canonical, "{text}");
            let again = parse_expression(canonical).expect(canonical).value;
            assert_eq!(again.to_string(), canonical, "{text}");
        }
    }

    #[test]
    fn known_roots() {
        assert!(starts_with_known_root("$inputs.x"));
        assert!(starts_with_known_root("$url"));
        assert!(starts_with_known_root("$statusCode == 1"));
        assert!(!starts_with_known_root("$urls"));
        assert!(!starts_with_known_root("$5"));
        assert!(!starts_with_known_root("$ref"));
        assert!(!starts_with_known_root("inputs"));
    }

    #[test]
    fn did_you_mean_is_conservative() {
        assert_eq!(did_you_mean("input", ROOTS), Some("inputs"));
        assert_eq!(did_you_mean("req", ROOTS), Some("request"));
        assert_eq!(did_you_mean("zzz", ROOTS), None);
        assert_eq!(did_you_mean("body", ROOTS), None);
    }
}
