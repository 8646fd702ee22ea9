//! Parsing YAML and JSON text into values with source positions.
//!
//! This is the only module that knows the parsers. `serde_yaml` (deprecated, kept behind this
//! module so it can be swapped) gives the values and its syntax errors; `yaml-rust2`'s marked
//! event stream gives the line and column of every node, keyed by JSON pointer. JSON documents
//! go through the same path (JSON is YAML 1.2 flow syntax).

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

mod flow;

/// How deep sequences and mappings may nest, the root one counting as 1. serde_yaml stops at
/// the same depth, so no document that parsed before is refused; the deepest document in the
/// shared corpus nests 15 levels, and generated types recurse over schemas about as deep as
/// the document nests, which this keeps far from any thread's stack limit.
pub const MAX_DEPTH: usize = 128;

/// How many nodes expanding aliases may add, beyond as many as the document writes before
/// the alias: alias expansion stays linear in the size of the text (no "billion laughs").
pub const ALIAS_ALLOWANCE: u64 = 10_000;

/// A 1-based line and column in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column (in characters).
    pub column: u32,
}

/// Where a node sits in its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NodeSpan {
    /// Start of the value.
    pub value: Pos,
    /// Start of the mapping key that holds the value, if any.
    pub key: Option<Pos>,
    /// Whether the value is a one-line quoted scalar (its text starts one column later).
    pub quoted: bool,
    /// Whether the value is a scalar written on one line (offsets inside it map to columns).
    pub inline: bool,
}

/// A parsed document: its value and the position of every node.
#[derive(Debug, Clone, Default)]
pub struct Tree {
    /// The document as JSON.
    pub value: Value,
    spans: Option<SpanNode>,
}

/// The span of a node and of the nodes written inside it, shaped like the document, so that
/// positions take memory linear in the text (keys are stored once, not once per descendant).
#[derive(Debug, Clone, Default)]
struct SpanNode {
    span: NodeSpan,
    children: Children,
}

#[derive(Debug, Clone, Default)]
enum Children {
    #[default]
    None,
    Seq(Vec<SpanNode>),
    Map(HashMap<String, SpanNode>),
}

/// A document that cannot be read.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub pos: Pos,
    /// The parser's message.
    pub message: String,
    /// Which rule the text breaks.
    pub kind: ErrorKind,
}

/// Why a document cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// It is not valid YAML or JSON.
    Syntax,
    /// Collections nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Aliases expand to more nodes than [`ALIAS_ALLOWANCE`] allows.
    Aliases,
}

impl Tree {
    /// The span of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn span(&self, pointer: &str) -> NodeSpan {
        let Some(mut node) = self.spans.as_ref() else {
            return NodeSpan { value: Pos { line: 1, column: 1 }, ..NodeSpan::default() };
        };
        for token in pointer.split('/').skip(1) {
            let child = match &node.children {
                Children::Seq(items) => token.parse::<usize>().ok().and_then(|i| items.get(i)),
                Children::Map(entries) => entries.get(unescape_token(token).as_ref()),
                Children::None => None,
            };
            match child {
                Some(c) => node = c,
                None => break,
            }
        }
        node.span
    }
}

/// Parses YAML or JSON text, in time linear in its length.
pub fn parse(text: &str) -> Result<Tree, SyntaxError> {
    // Limits first, so that no parser sees deep nesting or an alias bomb.
    flow::check(text)?;
    let spans = spans(text)?;
    let yaml = parse_values(text)?;
    Ok(Tree { value: to_json(yaml), spans })
}

/// How many integers beyond 64 bits a file may hold (each costs a parse of the whole file).
const WIDE_INTEGERS: usize = 64;

/// The values of `text`. An integer beyond the 64-bit range (`minimum: -9223372036854776000` in a
/// widely used OpenAPI description), which serde_yaml's values cannot hold, is read as a float.
fn parse_values(text: &str) -> Result<serde_yaml::Value, SyntaxError> {
    let mut text = std::borrow::Cow::Borrowed(text);
    for _ in 0..WIDE_INTEGERS {
        match serde_yaml::from_str(&text) {
            Ok(v) => return Ok(v),
            Err(e) if e.to_string().contains("as i128") || e.to_string().contains("as u128") => {
                let Some(at) = e.location().map(|l| l.index()) else { return Err(syntax_error(&e)) };
                let digits = text[at..]
                    .char_indices()
                    .take_while(|(i, c)| {
                        c.is_ascii_digit() || *c == '_' || *i == 0 && (*c == '-' || *c == '+')
                    })
                    .last()
                    .map_or(0, |(i, c)| i + c.len_utf8());
                if digits == 0 {
                    return Err(syntax_error(&e));
                }
                text.to_mut().insert_str(at + digits, ".0");
            }
            Err(e) => return Err(syntax_error(&e)),
        }
    }
    serde_yaml::from_str(&text).map_err(|e| syntax_error(&e))
}

fn syntax_error(e: &serde_yaml::Error) -> SyntaxError {
    let pos = e
        .location()
        .map(|l| Pos { line: l.line() as u32, column: l.column() as u32 })
        .unwrap_or(Pos { line: 1, column: 1 });
    // serde_yaml's own limits; reached only where yaml-rust2 could not read the text.
    match e.to_string() {
        m if m.starts_with("recursion limit exceeded") => {
            SyntaxError { pos, message: too_deep_message(), kind: ErrorKind::TooDeep }
        }
        m if m.starts_with("repetition limit exceeded") => {
            SyntaxError { pos, message: aliases_message(), kind: ErrorKind::Aliases }
        }
        m => SyntaxError { pos, message: strip_location(&m), kind: ErrorKind::Syntax },
    }
}

fn too_deep_message() -> String {
    format!("collections nested more than {MAX_DEPTH} levels deep")
}

fn aliases_message() -> String {
    format!("aliases expand to more than {ALIAS_ALLOWANCE} nodes beyond what the document writes")
}

fn strip_location(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

fn to_json(v: serde_yaml::Value) -> Value {
    match v {
        serde_yaml::Value::Null => Value::Null,
        serde_yaml::Value::Bool(b) => Value::Bool(b),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::Number(i.into())
            } else if let Some(u) = n.as_u64() {
                Value::Number(u.into())
            } else {
                n.as_f64().and_then(Number::from_f64).map_or(Value::Null, Value::Number)
            }
        }
        serde_yaml::Value::String(s) => Value::String(s),
        serde_yaml::Value::Sequence(items) => Value::Array(items.into_iter().map(to_json).collect()),
        serde_yaml::Value::Mapping(m) => {
            let mut out = Map::new();
            for (k, v) in m {
                out.insert(key_text(k), to_json(v));
            }
            Value::Object(out)
        }
        serde_yaml::Value::Tagged(t) => to_json(t.value),
    }
}

fn key_text(k: serde_yaml::Value) -> String {
    match k {
        serde_yaml::Value::String(s) => s,
        serde_yaml::Value::Bool(b) => b.to_string(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Null => "null".to_string(),
        other => serde_yaml::to_string(&other).unwrap_or_default().trim().to_string(),
    }
}

/// Escapes one JSON pointer token.
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

fn unescape_token(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// An open collection while reading events.
struct Frame {
    node: SpanNode,
    /// Where the node goes when it ends: under this key of a mapping, or nowhere (a key).
    slot: Slot,
    /// Its anchor id (0: none).
    anchor: usize,
    /// Nodes in it, itself included, with aliases expanded.
    size: u64,
    /// For a mapping: the key read, waiting for its value.
    pending_key: Option<(String, Pos)>,
}

enum Slot {
    Element,
    Key(String),
    Discarded,
}

/// Reads the position of every node from yaml-rust2's marked events, refusing nesting deeper
/// than [`MAX_DEPTH`] and alias expansion beyond [`ALIAS_ALLOWANCE`]. Positions are best effort:
/// where yaml-rust2 fails, nodes fall back to their nearest located ancestor, and serde_yaml
/// reports the syntax error.
fn spans(text: &str) -> Result<Option<SpanNode>, SyntaxError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root = None;
    let mut anchors: HashMap<usize, u64> = HashMap::new();
    // Nodes written so far, and nodes that expanding aliases has added.
    let (mut written, mut added) = (0u64, 0u64);
    while let Ok((event, mark)) = parser.next_token() {
        let pos = Pos { line: mark.line() as u32, column: mark.col() as u32 + 1 };
        // The node that ended with this event: its anchor, its expanded size, and where it goes.
        let (anchor, size, placed) = match event {
            Event::Scalar(text, style, anchor, _) => {
                written += 1;
                let quoted = matches!(style, TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted);
                let inline =
                    !matches!(style, TScalarStyle::Literal | TScalarStyle::Folded) && !text.contains('\n');
                let placed = place(&mut stack, pos, Some(&text))
                    .map(|(slot, key)| (slot, leaf(NodeSpan { value: pos, key, quoted, inline })));
                (anchor, 1, placed)
            }
            Event::Alias(id) => {
                written += 1;
                let size = anchors.get(&id).copied().unwrap_or(1);
                added = added.saturating_add(size - 1);
                if added > written.saturating_add(ALIAS_ALLOWANCE) {
                    return Err(SyntaxError { pos, message: aliases_message(), kind: ErrorKind::Aliases });
                }
                let placed = place(&mut stack, pos, None)
                    .map(|(slot, key)| (slot, leaf(NodeSpan { value: pos, key, ..NodeSpan::default() })));
                (0, size, placed)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                if stack.len() == MAX_DEPTH {
                    return Err(SyntaxError { pos, message: too_deep_message(), kind: ErrorKind::TooDeep });
                }
                written += 1;
                let children = match event {
                    Event::SequenceStart(..) => Children::Seq(Vec::new()),
                    _ => Children::Map(HashMap::new()),
                };
                // A collection used as a key is read (for its size) and dropped.
                let (slot, key) = place(&mut stack, pos, None).unwrap_or((Slot::Discarded, None));
                let span = NodeSpan { value: pos, key, ..NodeSpan::default() };
                let node = SpanNode { span, children };
                stack.push(Frame { node, slot, anchor, size: 1, pending_key: None });
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let Some(frame) = stack.pop() else { break };
                (frame.anchor, frame.size, Some((frame.slot, frame.node)))
            }
            Event::DocumentEnd | Event::StreamEnd => break,
            _ => continue,
        };
        if anchor != 0 {
            anchors.insert(anchor, size);
        }
        let Some(parent) = stack.last_mut() else {
            root = placed.map(|(_, node)| node);
            continue;
        };
        parent.size = parent.size.saturating_add(size);
        match (placed, &mut parent.node.children) {
            (Some((Slot::Element, node)), Children::Seq(items)) => items.push(node),
            (Some((Slot::Key(key), node)), Children::Map(entries)) => {
                entries.insert(key, node);
            }
            _ => {}
        }
    }
    Ok(root)
}

fn leaf(span: NodeSpan) -> SpanNode {
    SpanNode { span, children: Children::None }
}

/// Decides where the node that starts now goes, with the position of its key; `None` when the
/// node is itself a mapping key.
fn place(stack: &mut [Frame], pos: Pos, scalar: Option<&str>) -> Option<(Slot, Option<Pos>)> {
    let Some(frame) = stack.last_mut() else { return Some((Slot::Element, None)) };
    if !matches!(frame.node.children, Children::Map(_)) {
        return Some((Slot::Element, None));
    }
    if let Some((key, key_pos)) = frame.pending_key.take() {
        return Some((Slot::Key(key), Some(key_pos)));
    }
    // A key. Complex (non-scalar) keys get a placeholder name.
    frame.pending_key = Some((scalar.unwrap_or("?").to_string(), pos));
    // A block mapping in a sequence is marked at its first `:`; it starts at its first key.
    let span = &mut frame.node.span;
    if (pos.line, pos.column) < (span.value.line, span.value.column) {
        span.value = pos;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_of_keys_and_values() {
        let t = parse("a: 1\nb:\n  - x: 'q'\n    y: [1, 2]\n").unwrap();
        assert_eq!(t.span("/a").value, Pos { line: 1, column: 4 });
        assert_eq!(t.span("/a").key, Some(Pos { line: 1, column: 1 }));
        assert_eq!(t.span("/b/0/x").value, Pos { line: 3, column: 8 });
        assert!(t.span("/b/0/x").quoted);
        assert_eq!(t.span("/b/0/y/1").value, Pos { line: 4, column: 12 });
        assert_eq!(t.span("/b/0/missing").value.line, 3, "falls back to the nearest ancestor");
        assert_eq!(t.value["b"][0]["y"][1], 2);
    }

    #[test]
    fn integers_beyond_64_bits_are_read_as_floats() {
        let t = parse("min: -9223372036854776000\nmax: 18446744073709551616\nok: 7\n").unwrap();
        assert_eq!(t.value["min"].as_f64(), Some(-9_223_372_036_854_776_000.0));
        assert_eq!(t.value["max"].as_f64(), Some(18_446_744_073_709_551_616.0));
        assert_eq!(t.value["ok"], 7);
        assert_eq!(t.span("/max").value, Pos { line: 2, column: 6 }, "positions are the text's");
    }

    #[test]
    fn json_and_numeric_keys() {
        let t = parse("{\"responses\": {\"200\": {\"d\": true}}}").unwrap();
        assert_eq!(t.value["responses"]["200"]["d"], true);
        let t = parse("responses:\n  200:\n    d: x\n").unwrap();
        assert_eq!(t.value["responses"]["200"]["d"], "x");
        assert_eq!(t.span("/responses/200/d").value.line, 3);
    }

    fn kind(text: &str) -> Option<(ErrorKind, Pos)> {
        parse(text).err().map(|e| (e.kind, e.pos))
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_refused_where_it_starts() {
        let flow = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse(&flow(MAX_DEPTH)).is_ok());
        assert_eq!(kind(&flow(100_000)), Some((ErrorKind::TooDeep, Pos { line: 1, column: 129 })));
        let mapping = |n: usize| format!("a: {}1{}", "{b: ".repeat(n), "}".repeat(n));
        assert!(parse(&mapping(MAX_DEPTH - 1)).is_ok());
        assert_eq!(kind(&mapping(MAX_DEPTH)).map(|k| k.0), Some(ErrorKind::TooDeep));
        // Block nesting: one level per `- ` and per indented key.
        let block = "- ".repeat(100_000) + "x\n";
        assert_eq!(kind(&block), Some((ErrorKind::TooDeep, Pos { line: 1, column: 257 })));
        let keys: String = (0..200).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
        assert_eq!(kind(&keys).map(|k| (k.0, k.1.line)), Some((ErrorKind::TooDeep, 129)));
    }

    #[test]
    fn brackets_in_text_are_not_nesting() {
        let open = "[{".repeat(MAX_DEPTH);
        let docs = [
            format!("a: |\n  {open}\n  {open}\nb: 1\n"),
            format!("- >-\n    {open}\n- 2\n"),
            format!("a: '{open}'\nb: \"{open}\\\"\"\n"),
            format!("a: x {open}\nb: [\"{open}\", '{open}''', x]\n"),
            format!("# {open}\na: 1 # {open}\nb: {{c: d}} # {open}\n"),
            format!("{{\"a\":\"{open}\", \"b\": [1, {{\"c\": \"{open}\"}}]}}"),
        ];
        for doc in &docs {
            assert!(parse(doc).is_ok(), "{doc}\n{:?}", parse(doc).err());
        }
    }

    #[test]
    fn aliases_cannot_expand_beyond_the_allowance() {
        // Ten levels of ten aliases each: 10^10 nodes if expanded.
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..10 {
            bomb += &format!("a{i}: &a{i} [{}]\n", vec![format!("*a{}", i - 1); 10].join(", "));
        }
        assert_eq!(kind(&bomb).map(|k| (k.0, k.1.line)), Some((ErrorKind::Aliases, 4)));
        // Aliases may add as many nodes as the document writes, and 10,000 more.
        let items = vec!["1"; 20_000].join(", ");
        assert!(parse(&format!("a: &a [{items}]\nb: *a\n")).is_ok());
        assert_eq!(kind(&format!("a: &a [{items}]\nb: *a\nc: *a\n")).map(|k| k.0), Some(ErrorKind::Aliases));
        assert_eq!(parse("a: &a {x: 1}\nb: *a\n").unwrap().value["b"]["x"], 1);
    }

    #[test]
    fn a_huge_key_is_stored_once() {
        let key = "k".repeat(100_000);
        let items = vec!["1"; 50_000].join(", ");
        // Implicit keys are at most 1024 characters long; an explicit one has no limit.
        let t = parse(&format!("? {key}\n: [{items}]\n")).unwrap();
        assert_eq!(t.span(&format!("/{key}/49999")).value.line, 2);
        let t = parse("a~b/c:\n  - x\n").unwrap();
        assert_eq!(t.span("/a~0b~1c/0").value, Pos { line: 2, column: 5 });
    }

    #[test]
    fn empty_streams_parse() {
        for text in ["", "# a comment only\n", "---\n...\n"] {
            assert_eq!(parse(text).map(|t| t.value), Ok(Value::Null), "{text:?}");
        }
    }

    #[test]
    fn syntax_error_has_position() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.pos.line >= 1, "{e:?}");
    }
}
