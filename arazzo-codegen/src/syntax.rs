//! Parsing YAML and JSON text into values with source positions.
//!
//! This is the only module that knows the parsers. `serde_yaml` (deprecated, kept behind this
//! module so it can be swapped) gives the values and its syntax errors; `yaml-rust2`'s marked
//! event stream gives the line and column of every node, keyed by JSON pointer. JSON documents
//! go through the same path (JSON is YAML 1.2 flow syntax).

use std::collections::HashMap;

use serde_json::{Map, Number, Value};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

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
    spans: HashMap<String, NodeSpan>,
}

/// A syntax error with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    /// Where the parser stopped.
    pub pos: Pos,
    /// The parser's message.
    pub message: String,
}

impl Tree {
    /// The span of the node at `pointer`, or of its nearest ancestor that has one.
    pub fn span(&self, pointer: &str) -> NodeSpan {
        let mut p = pointer;
        loop {
            if let Some(s) = self.spans.get(p) {
                return *s;
            }
            match p.rfind('/') {
                Some(i) => p = &p[..i],
                None => return NodeSpan { value: Pos { line: 1, column: 1 }, ..NodeSpan::default() },
            }
        }
    }
}

/// Parses YAML or JSON text.
pub fn parse(text: &str) -> Result<Tree, SyntaxError> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let pos = e
            .location()
            .map(|l| Pos { line: l.line() as u32, column: l.column() as u32 })
            .unwrap_or(Pos { line: 1, column: 1 });
        SyntaxError { pos, message: strip_location(&e.to_string()) }
    })?;
    let value = to_json(yaml);
    let mut spans = SpanCollector::default();
    // Positions are best effort: if the second parser disagrees, nodes fall back to 1:1.
    let _ = Parser::new_from_str(text).load(&mut spans, false);
    Ok(Tree { value, spans: spans.spans })
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

enum Frame {
    Seq { pointer: String, next: usize },
    Map { pointer: String, pending_key: Option<(String, Pos)> },
}

#[derive(Default)]
struct SpanCollector {
    stack: Vec<Frame>,
    spans: HashMap<String, NodeSpan>,
}

impl SpanCollector {
    /// Decides where the node that starts now lives. Returns `None` when the event is a key.
    fn place(&mut self, pos: Pos, scalar: Option<&str>) -> Option<(String, Option<Pos>)> {
        let Self { stack, spans } = self;
        match stack.last_mut() {
            None => Some((String::new(), None)),
            Some(Frame::Seq { pointer, next }) => {
                let p = format!("{pointer}/{next}");
                *next += 1;
                Some((p, None))
            }
            Some(Frame::Map { pointer, pending_key }) => match pending_key.take() {
                Some((key, key_pos)) => Some((format!("{pointer}/{}", escape_token(&key)), Some(key_pos))),
                None => {
                    // A key. Complex (non-scalar) keys get a placeholder name.
                    *pending_key = Some((scalar.unwrap_or("?").to_string(), pos));
                    // A block mapping in a sequence is marked at its first `:`; it starts at its
                    // first key.
                    if let Some(span) = spans.get_mut(pointer.as_str())
                        && (pos.line, pos.column) < (span.value.line, span.value.column)
                    {
                        span.value = pos;
                    }
                    None
                }
            },
        }
    }
}

impl MarkedEventReceiver for SpanCollector {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let pos = Pos { line: mark.line() as u32, column: mark.col() as u32 + 1 };
        match ev {
            Event::Scalar(text, style, ..) => {
                if let Some((p, key)) = self.place(pos, Some(&text)) {
                    let quoted = matches!(style, TScalarStyle::SingleQuoted | TScalarStyle::DoubleQuoted);
                    let inline = !matches!(style, TScalarStyle::Literal | TScalarStyle::Folded)
                        && !text.contains('\n');
                    self.spans.insert(p, NodeSpan { value: pos, key, quoted, inline });
                }
            }
            Event::Alias(_) => {
                if let Some((p, key)) = self.place(pos, None) {
                    self.spans.insert(p, NodeSpan { value: pos, key, quoted: false, inline: false });
                }
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                let is_map = matches!(ev, Event::MappingStart(..));
                let (p, key) = self.place(pos, None).unwrap_or_else(|| ("/?".to_string(), None));
                self.spans.insert(p.clone(), NodeSpan { value: pos, key, quoted: false, inline: false });
                self.stack.push(if is_map {
                    Frame::Map { pointer: p, pending_key: None }
                } else {
                    Frame::Seq { pointer: p, next: 0 }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
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
    fn json_and_numeric_keys() {
        let t = parse("{\"responses\": {\"200\": {\"d\": true}}}").unwrap();
        assert_eq!(t.value["responses"]["200"]["d"], true);
        let t = parse("responses:\n  200:\n    d: x\n").unwrap();
        assert_eq!(t.value["responses"]["200"]["d"], "x");
        assert_eq!(t.span("/responses/200/d").value.line, 3);
    }

    #[test]
    fn syntax_error_has_position() {
        let e = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(e.pos.line >= 1, "{e:?}");
    }
}
