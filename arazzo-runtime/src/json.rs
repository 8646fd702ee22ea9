//! JSON helpers for generated code that has no static type for a value.

use serde_json::{Number, Value};
use std::cmp::Ordering;

/// A comparison operator of an Arazzo simple condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// Compares a (possibly missing) value with another, the way Arazzo simple conditions do.
///
/// Strings are equal case-insensitively; a numeric string is coerced to a number when the other side
/// is a number; `null` or a missing value equals only `null`; `Ne` is exactly `!Eq`. Orderings hold
/// only between two numbers (after coercion) or two strings (lexicographic, except that strings equal
/// under `Eq` are ordered equal, so `<=` and `>=` agree with `==`); anything else is false.
pub fn compare(a: Option<&Value>, op: CmpOp, b: &Value) -> bool {
    match op {
        CmpOp::Eq => equals(a, b),
        CmpOp::Ne => !equals(a, b),
        CmpOp::Lt => order(a, b) == Some(Ordering::Less),
        CmpOp::Le => matches!(order(a, b), Some(Ordering::Less | Ordering::Equal)),
        CmpOp::Gt => order(a, b) == Some(Ordering::Greater),
        CmpOp::Ge => matches!(order(a, b), Some(Ordering::Greater | Ordering::Equal)),
    }
}

/// Truthiness of a condition operand: false for missing, `null` and `false`; true otherwise.
pub fn truthy(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Null | Value::Bool(false)))
}

/// The JavaScript `.length` of a value: a list's number of items, a string's number of
/// characters, an object's integer member `length`; none for anything else.
pub fn length(v: &Value) -> Option<i64> {
    match v {
        Value::Array(items) => i64::try_from(items.len()).ok(),
        Value::String(s) => i64::try_from(s.chars().count()).ok(),
        Value::Object(map) => map.get("length").and_then(Value::as_i64),
        _ => None,
    }
}

/// The text of a value inside a `{$...}` template: strings bare, everything else as compact JSON.
pub fn to_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn equals(a: Option<&Value>, b: &Value) -> bool {
    let a = a.unwrap_or(&Value::Null);
    match (a, b) {
        (Value::String(x), Value::String(y)) => x == y || x.to_lowercase() == y.to_lowercase(),
        // Text `true`/`false` (a header, a string field) equals the boolean, in any case.
        (Value::String(s), Value::Bool(b)) | (Value::Bool(b), Value::String(s)) => {
            s.trim().eq_ignore_ascii_case(if *b { "true" } else { "false" })
        }
        (Value::Number(_) | Value::String(_), Value::Number(_) | Value::String(_)) => {
            order(Some(a), b) == Some(Ordering::Equal)
        }
        _ => a == b,
    }
}

fn order(a: Option<&Value>, b: &Value) -> Option<Ordering> {
    match (a?, b) {
        // Case-insensitive, like equality (Arazzo: "String comparisons MUST be case insensitive").
        (Value::String(x), Value::String(y)) => Some(x.to_lowercase().cmp(&y.to_lowercase())),
        (Value::Number(x), Value::Number(y)) => number_cmp(x, y),
        (Value::String(s), Value::Number(n)) => number_cmp(&coerce(s)?, n),
        (Value::Number(n), Value::String(s)) => number_cmp(n, &coerce(s)?),
        _ => None,
    }
}

fn coerce(s: &str) -> Option<Number> {
    serde_json::from_str(s.trim()).ok()
}

fn number_cmp(x: &Number, y: &Number) -> Option<Ordering> {
    if let (Some(a), Some(b)) = (x.as_i64(), y.as_i64()) {
        return Some(a.cmp(&b));
    }
    if let (Some(a), Some(b)) = (x.as_u64(), y.as_u64()) {
        return Some(a.cmp(&b));
    }
    x.as_f64()?.partial_cmp(&y.as_f64()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CmpOp::*;
    use serde_json::json;

    const ALL: [CmpOp; 6] = [Eq, Ne, Lt, Le, Gt, Ge];

    fn row(a: Option<Value>, b: Value) -> [bool; 6] {
        ALL.map(|op| compare(a.as_ref(), op, &b))
    }

    #[test]
    fn truth_table() {
        const T: bool = true;
        const F: bool = false;
        //                                                  Eq Ne Lt Le Gt Ge
        assert_eq!(row(Some(json!("Ended")), json!("ended")), [T, F, F, T, F, T]);
        assert_eq!(row(Some(json!("ÉTÉ")), json!("été")), [T, F, F, T, F, T]);
        assert_eq!(row(Some(json!("B")), json!("a")), [F, T, F, F, T, T]);
        assert_eq!(row(Some(json!("alpha")), json!("Zeta")), [F, T, T, T, F, F]);
        assert_eq!(row(Some(json!("a")), json!("b")), [F, T, T, T, F, F]);
        assert_eq!(row(Some(json!("3")), json!(3)), [T, F, F, T, F, T]);
        assert_eq!(row(Some(json!(3)), json!("3.0")), [T, F, F, T, F, T]);
        assert_eq!(row(Some(json!("10")), json!(9)), [F, T, F, F, T, T]);
        assert_eq!(row(Some(json!("x")), json!(1)), [F, T, F, F, F, F]);
        assert_eq!(row(Some(json!(2)), json!(2.5)), [F, T, T, T, F, F]);
        assert_eq!(row(Some(json!(u64::MAX)), json!(-1)), [F, T, F, F, T, T]);
        assert_eq!(row(Some(json!(null)), json!(null)), [T, F, F, F, F, F]);
        assert_eq!(row(None, json!(null)), [T, F, F, F, F, F]);
        assert_eq!(row(None, json!(0)), [F, T, F, F, F, F]);
        assert_eq!(row(Some(json!(null)), json!("")), [F, T, F, F, F, F]);
        assert_eq!(row(Some(json!(0)), json!(null)), [F, T, F, F, F, F]);
        assert_eq!(row(Some(json!(true)), json!(true)), [T, F, F, F, F, F]);
        assert_eq!(row(Some(json!(true)), json!("true")), [T, F, F, F, F, F]);
        assert_eq!(row(Some(json!("FALSE")), json!(false)), [T, F, F, F, F, F]);
        assert_eq!(row(Some(json!("yes")), json!(true)), [F, T, F, F, F, F]);
        assert_eq!(row(Some(json!({"a": 1})), json!({"a": 1})), [T, F, F, F, F, F]);
        assert_eq!(row(Some(json!([1])), json!([2])), [F, T, F, F, F, F]);
    }

    #[test]
    fn truthiness_and_text() {
        assert!(!truthy(None) && !truthy(Some(&json!(null))) && !truthy(Some(&json!(false))));
        assert!(truthy(Some(&json!(0))) && truthy(Some(&json!(""))) && truthy(Some(&json!([]))));
        assert_eq!(to_text(&json!("a b")), "a b");
        assert_eq!(to_text(&json!({"k": [1, null]})), r#"{"k":[1,null]}"#);
        assert_eq!(to_text(&json!(1.5)), "1.5");
        assert_eq!(length(&json!([1, 2])), Some(2));
        assert_eq!(length(&json!("été")), Some(3));
        assert_eq!(length(&json!({"length": 7, "a": 1})), Some(7));
        assert_eq!(length(&json!({"a": 1})), None);
        assert_eq!(length(&json!(3)), None);
    }
}
