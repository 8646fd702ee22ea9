//! The `selector` of a Selector Object (Arazzo 1.1 §Selector Object), by its `type`: a JSON
//! pointer (RFC 6901), a JSONPath query (RFC 9535, or the Goessner draft run on the RFC 9535
//! engine) or an XPath expression.

use serde_json_path::JsonPath;

use super::ast::{ExprIssue, Parsed, Segment};
use super::jsonpath::{check_nesting, query_error};
use crate::model::{ExprType, JsonPathVersion};

/// A parsed selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectorQuery {
    /// A JSON pointer's decoded tokens (the empty pointer selects the whole context).
    Pointer(Vec<Segment>),
    /// A JSONPath query, valid RFC 9535.
    JsonPath(String),
    /// An XPath expression.
    XPath(String),
}

/// Parses `text` as a selector of type `kind`.
///
/// # Errors
/// `E0231` for a malformed JSON pointer, `E0204` for an invalid JSONPath query, `E0206` for an
/// invalid XPath expression (an XPath selector is evaluated as written: no `{$…}` substitution).
pub fn parse_selector(kind: &ExprType, text: &str) -> Result<Parsed<SelectorQuery>, ExprIssue> {
    match kind {
        ExprType::JsonPointer => pointer(text).map(|p| Parsed::new(SelectorQuery::Pointer(p))),
        ExprType::JsonPath(version) => {
            check_nesting(text)?;
            JsonPath::parse(text).map_err(|e| query_error(text, e.position(), e.message()))?;
            let mut parsed = Parsed::new(SelectorQuery::JsonPath(text.to_string()));
            if *version == JsonPathVersion::Goessner {
                parsed.warnings.extend(goessner_differences(text));
            }
            Ok(parsed)
        }
        ExprType::XPath(version) => Ok(Parsed {
            value: SelectorQuery::XPath(text.to_string()),
            warnings: super::xpath::check(text, *version)?,
        }),
    }
}

/// An RFC 6901 pointer: empty, or `/`-separated tokens with `~0` and `~1` escapes.
fn pointer(text: &str) -> Result<Vec<Segment>, ExprIssue> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = text.strip_prefix('/') else {
        return Err(ExprIssue::new("E0231", 0, text.len(), "a JSON pointer starts with `/`")
            .with_help(format!("write `/{text}`")));
    };
    let mut offset = 1;
    let mut path = Vec::new();
    for token in rest.split('/') {
        if let Some(at) = bad_escape(token) {
            return Err(ExprIssue::new("E0231", offset + at, 1, "`~` in a JSON pointer is `~0` or `~1`")
                .with_help("write `~0` for `~` and `~1` for `/`"));
        }
        path.push(Segment::Key(token.replace("~1", "/").replace("~0", "~")));
        offset += token.len() + 1;
    }
    Ok(path)
}

/// The byte offset of a `~` not followed by `0` or `1`.
fn bad_escape(token: &str) -> Option<usize> {
    let bytes = token.as_bytes();
    (0..bytes.len()).find(|&i| bytes[i] == b'~' && !matches!(bytes.get(i + 1), Some(b'0' | b'1')))
}

/// Where a Goessner-draft query means something else on the RFC 9535 engine (W0231): a
/// filter also tests an object's member values (the draft: array elements only), and
/// `.length` is a member named `length` (the draft: the script's array length).
pub fn goessner_differences(text: &str) -> Vec<ExprIssue> {
    let mut warnings = Vec::new();
    if let Some(at) = text.find("[?") {
        warnings.push(
            ExprIssue::new(
                "W0231",
                at,
                2,
                "this filter is run as RFC 9535, where it also tests the member values of an object \
                 (draft-goessner-dispatch-jsonpath-00: array elements only)",
            )
            .with_help("declare `version: rfc9535` once the query means the same under both"),
        );
    }
    if let Some(at) = text.find(".length") {
        warnings.push(
            ExprIssue::new(
                "W0231",
                at,
                7,
                "`.length` is run as RFC 9535, where it selects a member named `length` \
                 (draft-goessner-dispatch-jsonpath-00: the length of an array)",
            )
            .with_help("to test a list's length, use `count(...)` or `length(...)` in a filter"),
        );
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::XPathVersion;

    fn parse(kind: ExprType, text: &str) -> Result<Parsed<SelectorQuery>, ExprIssue> {
        parse_selector(&kind, text)
    }

    #[test]
    fn json_pointers() {
        let p = parse(ExprType::JsonPointer, "/a~1b/0/~0x").expect("valid").value;
        let keys = ["a/b", "0", "~x"].map(|k| Segment::Key(k.into())).to_vec();
        assert_eq!(p, SelectorQuery::Pointer(keys));
        assert_eq!(parse(ExprType::JsonPointer, "").expect("whole").value, SelectorQuery::Pointer(vec![]));
        let e = parse(ExprType::JsonPointer, "a/b").expect_err("no slash");
        assert_eq!((e.code, e.help.as_deref()), ("E0231", Some("write `/a/b`")));
        let e = parse(ExprType::JsonPointer, "/a/b~2").expect_err("bad escape");
        assert_eq!((e.code, e.offset), ("E0231", 4));
    }

    #[test]
    fn jsonpath_versions() {
        let rfc = ExprType::JsonPath(JsonPathVersion::Rfc9535);
        let draft = ExprType::JsonPath(JsonPathVersion::Goessner);
        assert!(parse(rfc.clone(), "$.items[0].id").expect("valid").warnings.is_empty());
        assert_eq!(parse(rfc, "$.items[").expect_err("invalid").code, "E0204");
        assert!(parse(draft.clone(), "$.store.book[0].title").expect("same").warnings.is_empty());
        let w = parse(draft.clone(), "$..book[?(@.price < 10)]").expect("valid").warnings;
        assert_eq!(w.iter().map(|w| (w.code, w.offset)).collect::<Vec<_>>(), [("W0231", 7)]);
        let e = parse(draft, "$..book[(@.length-1)]").expect_err("script expression");
        assert_eq!(e.code, "E0204");
    }

    #[test]
    fn xpath_is_kept_as_written() {
        let x = parse(ExprType::XPath(XPathVersion::V30), "/Invoice/Header/Number").expect("kept").value;
        assert_eq!(x, SelectorQuery::XPath("/Invoice/Header/Number".into()));
        let e = parse(ExprType::XPath(XPathVersion::V31), "/Invoice/Header/").expect_err("no step");
        assert_eq!((e.code, e.offset), ("E0206", 16));
        let w = parse(ExprType::XPath(XPathVersion::V10), "/a ! string()").expect("valid").warnings;
        assert_eq!(w.iter().map(|w| (w.code, w.offset)).collect::<Vec<_>>(), [("W0234", 3)]);
    }
}
