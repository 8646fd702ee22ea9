//! Turning values into parameter text, and percent-encoding path segments.

use crate::Secret;
use serde_json::Value;

/// The text of one query, header, cookie or path parameter.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ParamText {
    /// The text as sent (before any URL encoding).
    pub text: String,
    /// True when the text came from a [`Secret`]: it is then marked sensitive and redacted from errors.
    pub secret: bool,
}

impl std::fmt::Debug for ParamText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = if self.secret { "[redacted]" } else { &self.text };
        f.debug_struct("ParamText").field("text", &text).field("secret", &self.secret).finish()
    }
}

impl ParamText {
    fn plain(text: impl Into<String>) -> Self {
        ParamText { text: text.into(), secret: false }
    }
}

/// A value that can be sent as a parameter.
///
/// Strings are sent bare, numbers and booleans as their text, JSON arrays and objects as compact
/// JSON. `None` and JSON `null` omit the parameter.
pub trait ParamValue {
    /// The parameter text.
    fn to_param(&self) -> ParamText;
    /// False when the parameter must be left out (`None`, JSON `null`).
    fn is_present(&self) -> bool {
        true
    }
}

impl ParamValue for str {
    fn to_param(&self) -> ParamText {
        ParamText::plain(self)
    }
}

impl ParamValue for String {
    fn to_param(&self) -> ParamText {
        ParamText::plain(self.as_str())
    }
}

impl ParamValue for Secret {
    fn to_param(&self) -> ParamText {
        ParamText { text: self.expose().to_owned(), secret: true }
    }
}

macro_rules! display_param {
    ($($t:ty),*) => {$(
        impl ParamValue for $t {
            fn to_param(&self) -> ParamText {
                ParamText::plain(self.to_string())
            }
        }
    )*};
}
display_param!(i64, u64, i32, u32, f64, bool);

impl ParamValue for Value {
    fn to_param(&self) -> ParamText {
        ParamText::plain(crate::json::to_text(self))
    }
    fn is_present(&self) -> bool {
        !self.is_null()
    }
}

impl<T: ParamValue> ParamValue for Option<T> {
    fn to_param(&self) -> ParamText {
        self.as_ref().map(T::to_param).unwrap_or_default()
    }
    fn is_present(&self) -> bool {
        self.as_ref().is_some_and(T::is_present)
    }
}

impl<T: ParamValue + ?Sized> ParamValue for &T {
    fn to_param(&self) -> ParamText {
        (**self).to_param()
    }
    fn is_present(&self) -> bool {
        (**self).is_present()
    }
}

/// Percent-encodes everything but the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`),
/// so the result is safe as one path segment.
pub fn encode_path_segment(s: &str) -> String {
    percent_encode(s, |b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Encodes a value embedded in a form-encoded query string (`in: querystring`), so that its
/// `&`, `=` and `+` stay part of the value.
pub fn encode_query_value(text: &str) -> String {
    form_encode(text)
}

/// `application/x-www-form-urlencoded` encoding of one name or value.
pub(crate) fn form_encode(s: &str) -> String {
    percent_encode(s, |b| b.is_ascii_alphanumeric() || matches!(b, b'*' | b'-' | b'.' | b'_' | b' '))
        .replace(' ', "+")
}

fn percent_encode(s: &str, keep: fn(u8) -> bool) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if keep(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text<P: ParamValue>(v: P) -> Option<String> {
        v.is_present().then(|| v.to_param().text)
    }

    #[test]
    fn conversions() {
        let s = String::from("abc");
        assert_eq!(text("x y").as_deref(), Some("x y"));
        assert_eq!(text(&s).as_deref(), Some("abc"));
        assert_eq!(text(s.clone()).as_deref(), Some("abc"));
        assert_eq!(text(-3i64).as_deref(), Some("-3"));
        assert_eq!(text(7u64).as_deref(), Some("7"));
        assert_eq!(text(5i32).as_deref(), Some("5"));
        assert_eq!(text(1.5f64).as_deref(), Some("1.5"));
        assert_eq!(text(true).as_deref(), Some("true"));
        assert_eq!(text(json!("bare")).as_deref(), Some("bare"));
        assert_eq!(text(json!(3)).as_deref(), Some("3"));
        assert_eq!(text(json!([1, "a"])).as_deref(), Some(r#"[1,"a"]"#));
        assert_eq!(text(json!({"a": 1})).as_deref(), Some(r#"{"a":1}"#));
        assert_eq!(text(json!(null)), None);
        assert_eq!(text(None::<String>), None);
        assert_eq!(text(Some("x")).as_deref(), Some("x"));
        assert_eq!(text::<&Option<i64>>(&Some(2)).as_deref(), Some("2"));
        let secret = Secret::new("sk-123");
        let p = <&Secret as ParamValue>::to_param(&&secret);
        assert!(p.secret && p.text == "sk-123");
        assert!(!format!("{p:?}").contains("sk-123"));
        assert!(!"k".to_param().secret);
    }

    #[test]
    fn path_segments() {
        assert_eq!(encode_path_segment("AZaz09-._~"), "AZaz09-._~");
        assert_eq!(encode_path_segment("a b/c?d#e%"), "a%20b%2Fc%3Fd%23e%25");
        assert_eq!(encode_path_segment("é"), "%C3%A9");
        assert_eq!(encode_path_segment(""), "");
        assert_eq!(form_encode("a b&c=d~é"), "a+b%26c%3Dd%7E%C3%A9");
    }
}
