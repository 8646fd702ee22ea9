//! Small helpers generated code calls: values as text, JSON pointer writes, JSONPath matches.

use serde::Serialize;
use serde_json::Value;
use serde_json_path::JsonPath;

use crate::error::Error;
use crate::json::to_text;
use crate::param::ParamValue;
use crate::run::Run;

/// The text of a value (strings bare, everything else as compact JSON).
pub fn text_of<T: Serialize + ?Sized>(v: &T) -> String {
    serde_json::to_value(v).map(|v| to_text(&v)).unwrap_or_default()
}

/// A value inside the text of a JSON document: escaped as string content inside a JSON string
/// literal (`"id": "{$inputs.id}"`), as JSON elsewhere (`"n": {$inputs.n}`); JSON for `None`.
pub fn json_text<T: Serialize + ?Sized>(v: Option<&T>, in_string: bool) -> String {
    let value = v.and_then(|v| serde_json::to_value(v).ok()).unwrap_or(Value::Null);
    match (in_string, &value) {
        (true, Value::String(s)) => escape_json_content(s),
        (true, Value::Null) => String::new(),
        (true, other) => escape_json_content(&other.to_string()),
        (false, other) => other.to_string(),
    }
}

fn escape_json_content(s: &str) -> String {
    let quoted = Value::String(s.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// The text of a required (path) parameter; an error naming it when it has no value.
pub fn required_text(run: &Run, name: &str, value: impl ParamValue) -> Result<String, Error> {
    match value.is_present() {
        true => Ok(value.to_param().text),
        false => Err(run.invalid_input(format!(
            "path parameter `{name}` has no value (the step output it reads was not set)"
        ))),
    }
}

/// The source texts of the criteria that do not hold, in order.
pub fn unmet(checks: &[(bool, &'static str)]) -> Vec<&'static str> {
    checks.iter().filter(|(ok, _)| !ok).map(|(_, text)| *text).collect()
}

/// Sets the value at every node an RFC 9535 query selects (a JSONPath payload replacement
/// target); a query that selects nothing changes nothing.
pub fn replace_all(target: &mut Value, query: &JsonPath, value: Value) {
    let pointers: Vec<String> =
        query.query_located(target).locations().map(|path| path.to_json_pointer()).collect();
    for pointer in pointers {
        if let Some(slot) = target.pointer_mut(&pointer) {
            *slot = value.clone();
        }
    }
}

/// Sets the value at a JSON pointer, creating objects on the way; a no-op when an array index
/// or a scalar is in the way.
pub fn replace(target: &mut Value, pointer: &str, value: Value) {
    if pointer.is_empty() {
        *target = value;
        return;
    }
    let mut cur = target;
    let tokens: Vec<String> =
        pointer.trim_start_matches('/').split('/').map(|t| t.replace("~1", "/").replace("~0", "~")).collect();
    for (i, token) in tokens.iter().enumerate() {
        let last = i + 1 == tokens.len();
        cur = match cur {
            Value::Object(m) => {
                if last {
                    m.insert(token.clone(), value);
                    return;
                }
                m.entry(token.clone()).or_insert_with(|| Value::Object(Default::default()))
            }
            Value::Array(a) => match token.parse::<usize>().ok().and_then(|n| a.get_mut(n)) {
                Some(slot) if last => {
                    *slot = value;
                    return;
                }
                Some(slot) => slot,
                None => return,
            },
            _ => return,
        };
    }
}

/// An RFC 9535 query parsed once, with its text as the document wrote it (errors quote it).
pub struct JsonQuery {
    text: &'static str,
    path: JsonPath,
}

impl JsonQuery {
    /// Parses `text`.
    ///
    /// # Errors
    /// When it is not RFC 9535 JSONPath (generated code's queries were checked at build time).
    pub fn parse(text: &'static str) -> Result<Self, serde_json_path::ParseError> {
        Ok(JsonQuery { text, path: JsonPath::parse(text)? })
    }
}

impl std::ops::Deref for JsonQuery {
    type Target = JsonPath;

    fn deref(&self) -> &JsonPath {
        &self.path
    }
}

/// Whether an RFC 9535 query selects at least one node of the value.
/// A JSON null context is no value, as an absent one.
pub fn matches<T: Serialize + ?Sized>(query: &JsonPath, value: Option<&T>) -> bool {
    value
        .and_then(|v| serde_json::to_value(v).ok())
        .filter(|v| !v.is_null())
        .is_some_and(|v| !query.query(&v).is_empty())
}

/// Like [`matches`] for a query that starts with a root filter (`$[?…]`): an object is
/// tested itself, as the only element of a list, not member by member.
pub fn filter_matches<T: Serialize + ?Sized>(query: &JsonPath, value: Option<&T>) -> bool {
    value.and_then(|v| serde_json::to_value(v).ok()).filter(|v| !v.is_null()).is_some_and(|v| {
        let v = if v.is_object() { Value::Array(vec![v]) } else { v };
        !query.query(&v).is_empty()
    })
}

impl Run {
    /// The one node an RFC 9535 query selects (a Selector Object's value): none when it selects
    /// none, and an error when it selects several, since a selector names one value.
    pub fn select<T: Serialize + ?Sized>(
        &self,
        query: &JsonQuery,
        value: Option<&T>,
    ) -> Result<Option<Value>, Error> {
        let Some(value) = value.and_then(|v| serde_json::to_value(v).ok()) else { return Ok(None) };
        let nodes = query.path.query(&value).all();
        match nodes.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some((*one).clone())),
            several => Err(self.several_selected(query.text.to_string(), several.len())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;
    use serde_json::json;

    #[test]
    fn selects_one_node_or_fails_on_several() {
        let run = crate::Client::builder().build().expect("client").run("select");
        let body = json!({"items": [{"id": "a"}, {"id": "b"}]});
        let select = |query: &'static str, value: Option<&Value>| {
            run.select(&JsonQuery::parse(query).expect("valid"), value)
        };
        assert_eq!(select("$.items[1].id", Some(&body)).expect("one"), Some(json!("b")));
        assert_eq!(select("$.items[?@.id == 'a']", Some(&body)).expect("one"), Some(json!({"id": "a"})));
        assert_eq!(select("$.missing", Some(&body)).expect("none"), None);
        assert_eq!(select("$", None).expect("no context"), None);
        let several = select("$.items[*].id", Some(&body)).expect_err("two nodes");
        assert!(
            matches!(several.kind(), ErrorKind::SeveralSelected { query, count: 2 } if query == "$.items[*].id"),
            "{several}"
        );
        assert_eq!(several.workflow(), "select");
    }

    #[test]
    fn replaces_every_node_a_query_selects() {
        let mut v =
            json!({"items": [{"sku": "A", "n": 1}, {"sku": "B", "n": 2}, {"sku": "A", "n": 3}], "a~b": 0});
        let q = |text| JsonPath::parse(text).expect("valid");
        replace_all(&mut v, &q("$.items[?(@.sku=='A')].n"), json!(9));
        replace_all(&mut v, &q("$['a~b']"), json!(1));
        replace_all(&mut v, &q("$.missing"), json!(1));
        let expected =
            json!({"items": [{"sku": "A", "n": 9}, {"sku": "B", "n": 2}, {"sku": "A", "n": 9}], "a~b": 1});
        assert_eq!(v, expected);
    }

    #[test]
    fn replaces_by_pointer() {
        let mut v = json!({"a": {"b": 1}, "l": [1, 2]});
        replace(&mut v, "/a/b", json!(2));
        replace(&mut v, "/l/1", json!(3));
        replace(&mut v, "/new/x", json!(true));
        assert_eq!(v, json!({"a": {"b": 2}, "l": [1, 3], "new": {"x": true}}));
    }

    #[test]
    fn jsonpath_matches_non_empty_node_lists() {
        let q = JsonPath::parse("$.tags[*]").expect("valid");
        assert!(matches(&q, Some(&json!({"tags": [1]}))));
        assert!(!matches(&q, Some(&json!({"tags": []}))));
        assert!(!matches::<Value>(&q, None));
        // A null context is no value.
        assert!(!matches(&JsonPath::parse("$").expect("valid"), Some(&Value::Null)));
    }

    #[test]
    fn a_root_filter_tests_an_object_itself() {
        let q = JsonPath::parse("$[?@.access_token != null]").expect("valid");
        assert!(filter_matches(&q, Some(&json!({"access_token": "t"}))));
        assert!(!filter_matches(&q, Some(&json!({"access_token": null}))));
        // RFC 9535: an absent member is Nothing, and Nothing != null.
        assert!(filter_matches(&q, Some(&json!({}))));
        // An array is filtered element by element, as RFC 9535 says.
        assert!(filter_matches(&q, Some(&json!([{"access_token": "t"}]))));
        assert!(!filter_matches(&q, Some(&json!([{"access_token": null}]))));
        // Plain `matches` keeps RFC 9535's reading: the members of the object are filtered.
        assert!(matches(&q, Some(&json!({"access_token": null, "x": 1}))));
    }

    #[test]
    fn json_text_escapes_inside_strings_and_serializes_outside() {
        let quote = "say \"hi\"\n";
        assert_eq!(json_text(Some(quote), true), r#"say \"hi\"\n"#);
        assert_eq!(json_text(Some(quote), false), r#""say \"hi\"\n""#);
        assert_eq!(json_text(Some(&2), false), "2");
        assert_eq!(json_text(Some(&2), true), "2");
        assert_eq!(json_text::<i64>(None, false), "null");
        assert_eq!(json_text::<i64>(None, true), "");
        assert_eq!(json_text(Some(&json!({"a": "b"})), true), r#"{\"a\":\"b\"}"#);
    }

    #[test]
    fn text_of_strings_is_bare() {
        assert_eq!(text_of("x"), "x");
        assert_eq!(text_of(&json!({"a": 1})), "{\"a\":1}");
    }
}
