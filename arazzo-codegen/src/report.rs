//! Turning a JSON pointer in a parsed file into a located diagnostic, and reading typed fields
//! out of JSON objects while reporting every mistake.

use serde_json::{Map, Value};

use crate::diag::{Diagnostic, Diagnostics, Severity, did_you_mean};
use crate::syntax::{Tree, escape_token};

/// A parsed file and the sink its findings go to.
pub struct Reporter<'a> {
    /// The file as displayed in diagnostics.
    pub file: &'a str,
    /// Its parsed tree (for positions).
    pub tree: &'a Tree,
    /// Where findings go.
    pub diags: &'a mut Diagnostics,
}

/// Which part of a node a finding points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The mapping key that holds the node (for unknown or misplaced fields).
    Key,
    /// The value.
    Value,
    /// A character offset and width inside a one-line scalar value.
    Inner(usize, usize),
}

impl Reporter<'_> {
    /// Records a finding at `pointer`.
    pub fn report(
        &mut self,
        severity: Severity,
        code: &'static str,
        pointer: &str,
        part: Part,
        message: String,
        help: Option<String>,
    ) {
        let d = locate(self.file, self.tree, severity, code, pointer, part, message, help);
        self.diags.push(d);
    }

    /// Records an error at the value of `pointer`.
    pub fn error(
        &mut self,
        code: &'static str,
        pointer: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.report(Severity::Error, code, pointer, Part::Value, message.into(), help);
    }

    /// Records a warning at the value of `pointer`.
    pub fn warn(
        &mut self,
        code: &'static str,
        pointer: &str,
        message: impl Into<String>,
        help: Option<String>,
    ) {
        self.report(Severity::Warning, code, pointer, Part::Value, message.into(), help);
    }
}

/// Builds a diagnostic located at a node of `tree`.
#[allow(clippy::too_many_arguments)]
pub fn locate(
    file: &str,
    tree: &Tree,
    severity: Severity,
    code: &'static str,
    pointer: &str,
    part: Part,
    message: String,
    help: Option<String>,
) -> Diagnostic {
    let span = tree.span(pointer);
    let value = tree.value.pointer(pointer);
    let scalar_width = match value {
        Some(Value::String(s)) if span.inline => s.chars().count() as u32 + if span.quoted { 2 } else { 0 },
        Some(v @ (Value::Number(_) | Value::Bool(_))) => v.to_string().len() as u32,
        _ => 1,
    };
    let (pos, width) = match part {
        Part::Key => {
            let key = pointer.rsplit('/').next().unwrap_or("");
            (span.key.unwrap_or(span.value), key.chars().count().max(1) as u32)
        }
        Part::Value => (span.value, scalar_width),
        Part::Inner(offset, len) if span.inline => {
            let mut p = span.value;
            p.column += offset as u32 + u32::from(span.quoted);
            (p, len.max(1) as u32)
        }
        Part::Inner(..) => (span.value, scalar_width),
    };
    Diagnostic {
        severity,
        code,
        message,
        file: file.to_string(),
        line: pos.line,
        column: pos.column,
        width,
        pointer: pointer.to_string(),
        help,
    }
}

/// A JSON object being read, with its pointer.
#[derive(Clone, Copy)]
pub struct Obj<'v> {
    /// Pointer of the object.
    pub ptr: &'v str,
    /// Its members.
    pub map: &'v Map<String, Value>,
}

/// Joins a pointer and a member name.
pub fn child(ptr: &str, key: &str) -> String {
    format!("{ptr}/{}", escape_token(key))
}

/// The JSON type name of a value, for messages.
pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

impl<'v> Obj<'v> {
    /// Views `value` as an object, reporting E0103 when it is not one.
    pub fn of(value: &'v Value, ptr: &'v str, what: &str, r: &mut Reporter) -> Option<Obj<'v>> {
        match value {
            Value::Object(map) => Some(Obj { ptr, map }),
            other => {
                let help = if ptr.is_empty() {
                    "an Arazzo document is a mapping that starts with `arazzo: 1.0.1`, then `info`, `sourceDescriptions` and `workflows`".to_string()
                } else {
                    "write it as `key: value` lines, indented under its name".to_string()
                };
                r.error(
                    "E0103",
                    ptr,
                    format!("{what} must be a mapping, found {}", type_name(other)),
                    Some(help),
                );
                None
            }
        }
    }

    /// Reports members that are neither in `known` nor `x-` extensions (E0102, with did-you-mean).
    pub fn check_fields(&self, known: &[&str], what: &str, r: &mut Reporter) {
        for key in self.map.keys() {
            if key.starts_with("x-") || known.contains(&key.as_str()) {
                continue;
            }
            if key == "<<" {
                let help = "write the fields out (anchors and aliases `&a`/`*a` themselves work)";
                r.report(
                    Severity::Error,
                    "E0102",
                    &child(self.ptr, key),
                    Part::Key,
                    "YAML merge keys (`<<`) are not supported".into(),
                    Some(help.into()),
                );
                continue;
            }
            let help = match did_you_mean(key, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => format!("{what} has the fields {}; extensions must start with `x-`", list(known)),
            };
            r.report(
                Severity::Error,
                "E0102",
                &child(self.ptr, key),
                Part::Key,
                format!("unknown field `{key}` in {what}"),
                Some(help),
            );
        }
    }

    /// A member, if present.
    pub fn get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key)
    }

    /// A string member; reports E0101 when required and missing, E0103 when not a string.
    pub fn string(&self, key: &str, required: bool, what: &str, r: &mut Reporter) -> Option<String> {
        match self.map.get(key) {
            None => {
                if required {
                    self.missing(key, what, r);
                }
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            Some(other) => {
                r.error(
                    "E0103",
                    &child(self.ptr, key),
                    format!("`{key}` must be a string, found {}", type_name(other)),
                    None,
                );
                None
            }
        }
    }

    /// A list member (empty when absent); reports E0103 when not a list.
    pub fn list(&self, key: &str, r: &mut Reporter) -> Vec<(String, &'v Value)> {
        match self.map.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => {
                items.iter().enumerate().map(|(i, v)| (format!("{}/{i}", child(self.ptr, key)), v)).collect()
            }
            Some(other) => {
                r.error(
                    "E0103",
                    &child(self.ptr, key),
                    format!("`{key}` must be a list, found {}", type_name(other)),
                    None,
                );
                Vec::new()
            }
        }
    }

    /// A mapping member as (name, pointer, value) in document order (empty when absent).
    pub fn entries(&self, key: &str, r: &mut Reporter) -> Vec<(String, String, &'v Value)> {
        let ptr = child(self.ptr, key);
        match self.map.get(key) {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), child(&ptr, k), v)).collect(),
            Some(other) => {
                r.error(
                    "E0103",
                    &ptr,
                    format!("`{key}` must be a mapping, found {}", type_name(other)),
                    None,
                );
                Vec::new()
            }
        }
    }

    /// Reports that a required member is missing (E0101), at the object.
    pub fn missing(&self, key: &str, what: &str, r: &mut Reporter) {
        r.report(
            Severity::Error,
            "E0101",
            self.ptr,
            Part::Key,
            format!("{what} is missing the required field `{key}`"),
            Some(format!(
                "add `{key}:` to this {}",
                what.trim_start_matches("the ").trim_start_matches("an ").trim_start_matches("a ")
            )),
        );
    }
}

/// `a`, `b` and `c`, for messages.
pub fn list(items: &[&str]) -> String {
    items.iter().map(|s| format!("`{s}`")).collect::<Vec<_>>().join(", ")
}
