//! The typed syntax trees produced by the expression parsers, and their canonical rendering.

use std::fmt;

/// A JSON-ish navigation step after an expression: `#/a/0` pointer tokens or `.a` / `[0]`
/// navigation.
///
/// JSON pointer tokens always stay [`Segment::Key`], even when they are all digits (`#/0` may name
/// an object member); only bracket navigation `[0]` becomes [`Segment::Index`]. Dotted `.0` is
/// `Key("0")`. The type checker decides what a digit key means.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    /// An object member name, or a pointer token / dotted step that may also be an array index.
    Key(String),
    /// A 0-based array index written `[n]`.
    Index(usize),
}

/// One runtime expression (Arazzo 1.0.1 §Runtime Expressions, plus the forms real documents use).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Expr {
    /// `$url`: the request URL.
    Url,
    /// `$method`: the request's HTTP method.
    Method,
    /// `$statusCode`: the response status code.
    StatusCode,
    /// `$request.…`: a part of the request that was sent.
    Request(Source),
    /// `$response.…`: a part of the response that was received.
    Response(Source),
    /// `$inputs` alone: every input, as one object (a criterion's whole-object `context`).
    AllInputs,
    /// `$inputs.NAME`, with optional navigation into the value.
    Inputs {
        /// The input's name.
        name: String,
        /// Navigation after the name (`#/a/b`, `.a.b`, `[0]`).
        path: Vec<Segment>,
    },
    /// `$outputs.NAME`, with optional navigation into the value.
    Outputs {
        /// The output's name.
        name: String,
        /// Navigation after the name.
        path: Vec<Segment>,
    },
    /// `$steps.ID.outputs[.NAME]`, with optional navigation after the name.
    Steps {
        /// The step id.
        step: String,
        /// The field of the step; always `outputs` (anything else is rejected by the parser).
        field: String,
        /// The output name; `None` means the whole outputs map.
        name: Option<String>,
        /// Navigation after the name (always empty when `name` is `None`).
        path: Vec<Segment>,
    },
    /// `$workflows.ID.(inputs|outputs)[.NAME]`, with optional navigation after the name.
    Workflows {
        /// The workflow id.
        workflow: String,
        /// `inputs` or `outputs`.
        field: String,
        /// The input or output name; `None` means the whole map.
        name: Option<String>,
        /// Navigation after the name (always empty when `name` is `None`).
        path: Vec<Segment>,
    },
    /// `$sourceDescriptions.NAME[.REST]`.
    SourceDescriptions {
        /// The source description's name.
        name: String,
        /// What follows the name: `url`, or an operationId / workflowId.
        rest: Option<String>,
    },
    /// `$self`: the document's canonical URI (Arazzo 1.1).
    SelfUri,
    /// `$message.…`: a part of an AsyncAPI message (Arazzo 1.1; AsyncAPI steps only).
    Message(Source),
    /// `$components.KIND.NAME`.
    Components {
        /// `inputs`, `parameters`, `successActions` or `failureActions`.
        kind: String,
        /// The component's name (may contain dots).
        name: String,
    },
}

/// The part of a request or response that an expression reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// `header.TOKEN` (header names are case-insensitive).
    Header(String),
    /// `query.NAME`.
    Query(String),
    /// `path.NAME`.
    Path(String),
    /// `body`, with optional navigation (`#/a/0`, `.a[0]`).
    Body(Vec<Segment>),
    /// `payload`, with optional navigation (`$message.payload#/status`).
    Payload(Vec<Segment>),
}

/// A parse result together with the non-fatal findings made on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<T> {
    /// What was parsed.
    pub value: T,
    /// Warnings (codes `W02xx`), in source order.
    pub warnings: Vec<ExprIssue>,
}

impl<T> Parsed<T> {
    /// A result without warnings.
    pub fn new(value: T) -> Self {
        Parsed { value, warnings: Vec::new() }
    }

    /// Transforms the value, keeping the warnings.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        Parsed { value: f(self.value), warnings: self.warnings }
    }
}

/// An error or warning about an expression; errors are returned as `Err(ExprIssue)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprIssue {
    /// Byte offset of the offending text in the string that was parsed.
    pub offset: usize,
    /// Length in bytes of the offending text (0 at the end of the input).
    pub len: usize,
    /// Stable code from [`super::CODES`].
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// How to fix it, with the portable spelling where one exists.
    pub help: Option<String>,
}

impl ExprIssue {
    /// A finding without help text.
    pub fn new(code: &'static str, offset: usize, len: usize, message: impl Into<String>) -> Self {
        ExprIssue { offset, len, code, message: message.into(), help: None }
    }

    /// Adds help text.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether the code is a warning (`W…`).
    #[must_use]
    pub fn is_warning(&self) -> bool {
        self.code.starts_with('W')
    }
}

impl fmt::Display for ExprIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] at byte {}: {}", self.code, self.offset, self.message)?;
        if let Some(help) = &self.help {
            write!(f, " (help: {help})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ExprIssue {}

/// One piece of a string with embedded `{$…}` expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum TemplatePart {
    /// Literal text, copied as is.
    Lit(String),
    /// An embedded expression (written `{$…}`).
    Expr(Expr),
}

/// A parsed string value (see [`super::parse_value`]).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// The whole string is one runtime expression; its value keeps its JSON type.
    Expr(Expr),
    /// A string with embedded expressions.
    Template(Vec<TemplatePart>),
    /// Plain text.
    Literal(String),
}

/// A literal in a simple condition or a JSONPath shorthand.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A JSON number.
    Number(serde_json::Number),
    /// A string (quotes and escapes removed).
    String(String),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl CmpOp {
    /// The operator as written in a condition.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

impl CmpOp {
    /// The operator with its sides swapped (`1 < x` is `x > 1`).
    #[must_use]
    pub fn flipped(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
            o => o,
        }
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One side of a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// A runtime expression, with its place in the condition text.
    Expr {
        /// The expression.
        expr: Expr,
        /// Byte offset in the condition.
        offset: usize,
        /// Length in bytes.
        len: usize,
    },
    /// The JavaScript `.length` of a runtime expression's value (`$response.body#/items.length`,
    /// `$.transitions.length`; not Arazzo, accepted with warning W0232): the length of a list or
    /// a string, or a member named `length` of an object.
    Length {
        /// The value whose length is taken.
        expr: Expr,
        /// Byte offset in the condition.
        offset: usize,
        /// Length in bytes.
        len: usize,
    },
    /// A literal.
    Literal(Literal),
}

/// A parsed simple condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// `a || b`
    Or(Box<Condition>, Box<Condition>),
    /// `a && b`
    And(Box<Condition>, Box<Condition>),
    /// `!a`
    Not(Box<Condition>),
    /// `lhs OP rhs`
    Compare {
        /// Left side.
        lhs: Operand,
        /// The operator.
        op: CmpOp,
        /// Right side.
        rhs: Operand,
    },
    /// A bare operand, judged by its truthiness.
    Truthy(Operand),
}

/// A parsed `type: jsonpath` criterion.
#[derive(Debug, Clone, PartialEq)]
pub enum JsonPathCriterion {
    /// `$.a.b OP literal` (not RFC 9535; accepted with warning W0203).
    Shorthand {
        /// The singular path after `$`.
        path: Vec<Segment>,
        /// The comparison.
        op: CmpOp,
        /// The value compared with.
        literal: Literal,
    },
    /// Shorthands joined with `&&`, `||`, `!` and parentheses (`$.a == 'x' || $.a == 'y'`; not
    /// RFC 9535, accepted with warning W0203): the simple condition they stand for, each path
    /// read from the criterion's context.
    Compound(Box<Condition>),
    /// An RFC 9535 query (validated with `serde_json_path::JsonPath::parse`). `path` is `Some`
    /// when the query is a plain singular path of names/indices (`$.a.b[0]`, `$['a']`), so it can
    /// be compiled to plain Rust.
    Query {
        /// The query text, as written.
        text: String,
        /// The plain path, when the query is one.
        path: Option<Vec<Segment>>,
    },
}

/// Arazzo names may contain dots (`$steps.read.outputs.pet.name` reads output `pet.name`): the
/// name `known` accepts, joining as few of the `.` keys after it as needed, and the path left.
pub fn dotted_name<'p>(
    name: &str,
    path: &'p [Segment],
    known: impl Fn(&str) -> bool,
) -> Option<(String, &'p [Segment])> {
    let mut joined = name.to_string();
    if known(&joined) {
        return Some((joined, path));
    }
    for (i, segment) in path.iter().enumerate() {
        let Segment::Key(key) = segment else { return None };
        joined = format!("{joined}.{key}");
        if known(&joined) {
            return Some((joined, &path[i + 1..]));
        }
    }
    None
}

/// Removes a trailing JavaScript `.length` from `expr` (written `text`), as the last dotted
/// name or the end of the last pointer token; whether there was one.
pub fn strip_length(expr: &mut Expr, text: &str) -> bool {
    if !text.ends_with(".length") {
        return false;
    }
    let Some(path) = expr.path_mut() else { return false };
    match path.last_mut() {
        Some(Segment::Key(k)) if k == "length" => {
            path.pop();
            true
        }
        Some(Segment::Key(k)) if k.len() > 7 && k.ends_with(".length") => {
            k.truncate(k.len() - 7);
            true
        }
        _ => false,
    }
}

/// The RFC 9535 relative query for `path` (`@.items[0]['a b']`).
#[must_use]
pub fn relative_query(path: &[Segment]) -> String {
    let mut out = String::from("@");
    for segment in path {
        match segment {
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
            Segment::Key(k) if !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()) => {
                out.push_str(&format!("[{k}]"));
            }
            Segment::Key(k)
                if k.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                out.push('.');
                out.push_str(k);
            }
            Segment::Key(k) => out.push_str(&format!("['{}']", k.replace('\\', "\\\\").replace('\'', "\\'"))),
        }
    }
    out
}

/// Escapes one JSON pointer reference token (`~` → `~0`, `/` → `~1`).
#[must_use]
pub fn escape_pointer_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Renders a path as a JSON pointer (`/a/0`); the empty path renders as the empty string.
#[must_use]
pub fn pointer_string(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        out.push('/');
        match segment {
            Segment::Key(key) => out.push_str(&escape_pointer_token(key)),
            Segment::Index(index) => out.push_str(&index.to_string()),
        }
    }
    out
}

fn write_path(f: &mut fmt::Formatter<'_>, path: &[Segment]) -> fmt::Result {
    if path.is_empty() { Ok(()) } else { write!(f, "#{}", pointer_string(path)) }
}

fn write_named(
    f: &mut fmt::Formatter<'_>,
    prefix: &str,
    name: Option<&str>,
    path: &[Segment],
) -> fmt::Result {
    f.write_str(prefix)?;
    if let Some(name) = name {
        write!(f, ".{name}")?;
        write_path(f, path)?;
    }
    Ok(())
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Header(name) => write!(f, "header.{name}"),
            Source::Query(name) => write!(f, "query.{name}"),
            Source::Path(name) => write!(f, "path.{name}"),
            Source::Body(path) => {
                f.write_str("body")?;
                write_path(f, path)
            }
            Source::Payload(path) => {
                f.write_str("payload")?;
                write_path(f, path)
            }
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Url => f.write_str("$url"),
            Expr::Method => f.write_str("$method"),
            Expr::StatusCode => f.write_str("$statusCode"),
            Expr::Request(source) => write!(f, "$request.{source}"),
            Expr::Response(source) => write!(f, "$response.{source}"),
            Expr::AllInputs => f.write_str("$inputs"),
            Expr::Inputs { name, path } => write_named(f, "$inputs", Some(name), path),
            Expr::Outputs { name, path } => write_named(f, "$outputs", Some(name), path),
            Expr::Steps { step, field, name, path } => {
                write_named(f, &format!("$steps.{step}.{field}"), name.as_deref(), path)
            }
            Expr::Workflows { workflow, field, name, path } => {
                write_named(f, &format!("$workflows.{workflow}.{field}"), name.as_deref(), path)
            }
            Expr::SourceDescriptions { name, rest } => {
                write!(f, "$sourceDescriptions.{name}")?;
                match rest {
                    Some(rest) => write!(f, ".{rest}"),
                    None => Ok(()),
                }
            }
            Expr::Components { kind, name } => write!(f, "$components.{kind}.{name}"),
            Expr::SelfUri => f.write_str("$self"),
            Expr::Message(source) => write!(f, "$message.{source}"),
        }
    }
}

impl Expr {
    /// Whether this is a whole object of named values (`$inputs`, `$steps.x.outputs`,
    /// `$workflows.x.outputs`) rather than one value.
    #[must_use]
    pub fn is_whole_object(&self) -> bool {
        matches!(self, Expr::AllInputs | Expr::Steps { name: None, .. } | Expr::Workflows { name: None, .. })
    }

    /// The expression navigated by `path`; into a whole object, the first key is the name
    /// (`$steps.x.outputs` and `a/b` read `$steps.x.outputs.a#/b`). `None` when the
    /// expression has no value to navigate into.
    #[must_use]
    pub fn extended(mut self, path: &[Segment]) -> Option<Expr> {
        let Some((first, rest)) = path.split_first() else { return Some(self) };
        match (&mut self, first) {
            (Expr::AllInputs, Segment::Key(k)) => Some(Expr::Inputs { name: k.clone(), path: rest.to_vec() }),
            (
                Expr::Steps { name: name @ None, path: own, .. }
                | Expr::Workflows { name: name @ None, path: own, .. },
                Segment::Key(k),
            ) => {
                *name = Some(k.clone());
                own.extend_from_slice(rest);
                Some(self)
            }
            _ => {
                self.path_mut()?.extend_from_slice(path);
                Some(self)
            }
        }
    }

    /// Mutable access to the navigation path, when the expression has one (`$response.body`, a
    /// named input, output, step output or workflow input/output).
    pub fn path_mut(&mut self) -> Option<&mut Vec<Segment>> {
        match self {
            Expr::Request(Source::Body(path)) | Expr::Response(Source::Body(path)) => Some(path),
            Expr::Message(Source::Body(path) | Source::Payload(path)) => Some(path),
            Expr::Inputs { path, .. } | Expr::Outputs { path, .. } => Some(path),
            Expr::Steps { name: Some(_), path, .. } | Expr::Workflows { name: Some(_), path, .. } => {
                Some(path)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Literal {
    /// Renders the literal in portable simple-condition syntax (single-quoted strings).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Number(n) => write!(f, "{n}"),
            Literal::String(s) => write!(f, "'{}'", s.replace('\'', "''")),
        }
    }
}

impl fmt::Display for Operand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Operand::Expr { expr, .. } => write!(f, "{expr}"),
            Operand::Length { expr, .. } => write!(f, "{expr}.length"),
            Operand::Literal(literal) => write!(f, "{literal}"),
        }
    }
}

impl fmt::Display for Condition {
    /// Renders the condition in portable syntax, fully parenthesised below the top level.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Or(a, b) => write!(f, "{} || {}", Group(a), Group(b)),
            Condition::And(a, b) => write!(f, "{} && {}", Group(a), Group(b)),
            Condition::Not(a) => write!(f, "!{}", Group(a)),
            Condition::Compare { lhs, op, rhs } => write!(f, "{lhs} {op} {rhs}"),
            Condition::Truthy(operand) => write!(f, "{operand}"),
        }
    }
}

/// Parenthesises compound sub-conditions when rendering.
struct Group<'a>(&'a Condition);

impl fmt::Display for Group<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Condition::Truthy(_) => write!(f, "{}", self.0),
            other => write!(f, "({other})"),
        }
    }
}
