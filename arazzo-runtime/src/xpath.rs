//! XPath criteria and selectors on XML documents (the `xpath` feature), evaluated with the
//! XPath 3.1 engine of `xee-xpath`.
//!
//! Arazzo 1.1 §XPath Conditions: a criterion passes when the expression's Effective Boolean
//! Value is true; a missing context, an expression that does not parse, a document that is not
//! XML or an evaluation error fails it (§Evaluation Errors), and the error is logged. XPath
//! 1.0, 2.0 and 3.0 expressions run on the 3.1 engine: their boolean conversions agree
//! wherever 1.0's applies (a node-set, a string, a number, a boolean); a sequence of several
//! atomic values has no EBV in 2.0 and later and fails the criterion.
//!
//! Arazzo 1.1 §Payload Replacement Object: an XPath `target` sets the nodes it selects in an
//! XML request body ([`replace`]).

use serde_json::Value;
use xee_xpath::{Documents, Queries, Query, Sequence};

use crate::{Error, Run};

/// Runs `query` against the XML document `xml`, then `then` on the result.
fn evaluate<T>(
    query: &str,
    xml: &str,
    then: impl FnOnce(Sequence, &Documents) -> Result<T, String>,
) -> Result<T, String> {
    let mut documents = Documents::new();
    let doc = documents.add_string_without_uri(xml).map_err(|e| format!("the context is not XML: {e}"))?;
    let query = Queries::default().sequence(query).map_err(|e| format!("invalid XPath: {e}"))?;
    let sequence = query.execute(&mut documents, doc).map_err(|e| e.to_string())?;
    then(sequence, &documents)
}

/// Whether `query`'s Effective Boolean Value on the document `xml` is true; false without a
/// document or on any error.
pub fn matches(query: &str, xml: Option<&str>) -> bool {
    let Some(xml) = xml else { return false };
    evaluate(query, xml, |sequence, _| sequence.effective_boolean_value().map_err(|e| e.to_string()))
        .unwrap_or_else(|error| {
            tracing::warn!(query, %error, "an XPath criterion could not be evaluated; it fails");
            false
        })
}

/// The string value of the one item `query` selects in the document `xml` (a Selector
/// Object's value): none when it selects none, cannot be evaluated (logged), or has no document;
/// an error when it selects several, since a selector names one value.
pub fn select(run: &Run, query: &str, xml: Option<&str>) -> Result<Option<Value>, Error> {
    let Some(xml) = xml else { return Ok(None) };
    let selected = evaluate(query, xml, |sequence, documents| match sequence.len() {
        0 => Ok(Ok(None)),
        1 => sequence
            .string_value(documents.xot())
            .map(|s| Ok(Some(Value::String(s))))
            .map_err(|e| e.to_string()),
        count => Ok(Err(run.several_selected(query.to_string(), count))),
    });
    selected.unwrap_or_else(|error| {
        tracing::warn!(query, %error, "an XPath selector could not be evaluated; it gives no value");
        Ok(None)
    })
}

/// The XML payload `xml` with each replacement applied in order: every node its XPath query
/// selects gets the value's text as its content. An element's children are replaced by one
/// text node, an attribute or a text node gets its value; a string is written bare, another
/// value as its JSON text, `null` as no text (an empty element or attribute). A query that
/// selects nothing leaves the payload unchanged, as a JSONPath target does; an XML
/// declaration is kept.
///
/// # Errors
/// [`ErrorKind::InvalidInput`](crate::ErrorKind::InvalidInput) naming the target when the
/// payload is not XML, the query cannot be evaluated, or it selects something that cannot hold
/// a value: an atomic value, a function, the document node, a comment, a processing
/// instruction or a namespace node.
pub fn replace(run: &Run, xml: &str, replacements: &[(&str, Value)]) -> Result<String, Error> {
    apply(xml, replacements).map_err(|what| run.invalid_input(format!("the XML request body: {what}")))
}

fn apply(xml: &str, replacements: &[(&str, Value)]) -> Result<String, String> {
    let mut documents = Documents::new();
    let doc = documents.add_string_without_uri(xml).map_err(|e| format!("it is not XML: {e}"))?;
    for (target, value) in replacements {
        let fail = |what: String| format!("replacement target `{target}` {what}");
        let query = Queries::default().sequence(target).map_err(|e| fail(format!("is not XPath: {e}")))?;
        let sequence =
            query.execute(&mut documents, doc).map_err(|e| fail(format!("could not be evaluated: {e}")))?;
        let nodes = sequence
            .nodes()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| fail("selects a value that is not a node".into()))?;
        let text = match value {
            Value::Null => String::new(),
            other => crate::json::to_text(other),
        };
        let xot = documents.xot_mut();
        for node in nodes {
            // An ancestor selected before it replaced its content.
            if xot.is_removed(node) {
                continue;
            }
            if let Some(attribute) = xot.attribute_node_mut(node) {
                attribute.set_value(text.as_str());
            } else if let Some(node_text) = xot.text_mut(node) {
                node_text.set(text.as_str());
            } else if xot.is_element(node) {
                let children: Vec<_> = xot.children(node).collect();
                for child in children {
                    xot.remove(child).map_err(|e| fail(e.to_string()))?;
                }
                if !text.is_empty() {
                    xot.append_text(node, &text).map_err(|e| fail(e.to_string()))?;
                }
            } else {
                return Err(fail(
                    "selects a node that cannot hold a value (not an element, attribute or text)".into(),
                ));
            }
        }
    }
    let root = documents.document_node(doc).ok_or("the document is gone")?;
    let body = documents.xot().to_string(root).map_err(|e| format!("it cannot be written back: {e}"))?;
    // The tree keeps neither the declaration nor the white space around the document element.
    let declaration = match declaration(xml) {
        Some(declaration) if !body.starts_with("<?xml") => declaration,
        _ => "",
    };
    let trailing = &xml[xml.trim_end().len()..];
    Ok(format!("{declaration}{}{trailing}", body.trim_end()))
}

/// The XML declaration (`<?xml version="1.0"?>`) that `xml` starts with, and the white space
/// after it, if any.
fn declaration(xml: &str) -> Option<&str> {
    let end = xml.strip_prefix("<?xml")?.find("?>")? + "<?xml?>".len();
    let spaces = xml[end..].len() - xml[end..].trim_start().len();
    Some(&xml[..end + spaces])
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str =
        "<batch id=\"b1\"><status>ended</status><items><item>a</item><item>b</item></items></batch>";

    #[test]
    fn effective_boolean_values() {
        assert!(matches("/batch/status = 'ended'", Some(XML)));
        assert!(matches("count(/batch/items/item) > 1", Some(XML)));
        assert!(matches("/batch/items", Some(XML)), "a non-empty node sequence");
        assert!(matches("string(/batch/@id)", Some(XML)), "a non-empty string");
        assert!(!matches("/batch/missing", Some(XML)), "an empty sequence");
        assert!(!matches("0", Some(XML)));
        assert!(!matches("''", Some(XML)));
        assert!(!matches("/batch/status = 'running'", Some(XML)));
    }

    #[test]
    fn evaluation_errors_fail() {
        assert!(!matches("/batch/status", None), "no context");
        assert!(!matches("/batch[", Some(XML)), "a syntax error");
        assert!(!matches("/batch/status", Some("{\"not\": \"xml\"}")), "not XML");
        assert!(!matches("(1, 2)", Some(XML)), "several atomic values have no EBV");
    }

    #[test]
    fn selects_one_item_or_fails_on_several() {
        let run = crate::Client::builder().build().expect("client").run("select");
        let select = |query, xml| select(&run, query, xml);
        assert_eq!(select("/batch/status", Some(XML)).expect("one"), Some(Value::from("ended")));
        assert_eq!(select("/batch/@id", Some(XML)).expect("one"), Some(Value::from("b1")));
        assert_eq!(select("count(//item)", Some(XML)).expect("one"), Some(Value::from("2")));
        assert_eq!(select("/batch/missing", Some(XML)).expect("none"), None);
        assert_eq!(select("/batch[", Some(XML)).expect("not evaluated"), None);
        assert_eq!(select("/batch", None).expect("no document"), None);
        let several = select("//item", Some(XML)).expect_err("two items");
        assert!(
            matches!(several.kind(), crate::ErrorKind::SeveralSelected { query, count: 2 } if query == "//item"),
            "{several}"
        );
    }

    fn replaced(xml: &str, replacements: &[(&str, Value)]) -> Result<String, String> {
        let run = crate::Client::builder().build().expect("client").run("replace");
        replace(&run, xml, replacements).map_err(|e| e.to_string())
    }

    #[test]
    fn replaces_elements_attributes_and_text() {
        let out = replaced(
            XML,
            &[
                ("/batch/status", Value::from("canceling")),
                ("/batch/@id", Value::from("b2")),
                ("//item", Value::from(7)),
                ("/batch/items/item[1]/text()", Value::from(true)),
            ],
        );
        let want = "<batch id=\"b2\"><status>canceling</status><items><item>true</item><item>7</item></items></batch>";
        assert_eq!(out.expect("replaced"), want);
    }

    #[test]
    fn an_element_loses_its_children_and_null_empties() {
        let out = replaced(XML, &[("/batch/items", Value::from("none")), ("/batch/status", Value::Null)]);
        assert_eq!(out.expect("replaced"), "<batch id=\"b1\"><status/><items>none</items></batch>");
        let nested = replaced(XML, &[("//*[self::items or self::item]", Value::from("x"))]);
        assert_eq!(
            nested.expect("an ancestor first"),
            "<batch id=\"b1\"><status>ended</status><items>x</items></batch>"
        );
    }

    #[test]
    fn text_is_escaped_and_the_declaration_kept() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a b=\"1\"><c/></a>";
        let out = replaced(xml, &[("/a/c", Value::from("x < y & z")), ("/a/@b", Value::from("\"q\""))]);
        let out = out.expect("replaced");
        let want =
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a b=\"&quot;q&quot;\"><c>x &lt; y &amp; z</c></a>";
        assert_eq!(out, want);
        let spaced = replaced("<a>b</a>\n", &[("/a", Value::from("c"))]).expect("replaced");
        assert_eq!(spaced, "<a>c</a>\n", "the trailing line break stays");
    }

    #[test]
    fn selecting_nothing_changes_nothing() {
        assert_eq!(replaced(XML, &[("/batch/missing", Value::from("x"))]).expect("unchanged"), XML);
    }

    #[test]
    fn errors_name_the_target() {
        let atomic = replaced(XML, &[("count(//item)", Value::from("x"))]).expect_err("an atomic value");
        assert!(atomic.contains("`count(//item)` selects a value that is not a node"), "{atomic}");
        let document = replaced(XML, &[("/", Value::from("x"))]).expect_err("the document node");
        assert!(document.contains("`/` selects a node that cannot hold a value"), "{document}");
        let syntax = replaced(XML, &[("/batch[", Value::from("x"))]).expect_err("not XPath");
        assert!(syntax.contains("`/batch[` is not XPath"), "{syntax}");
        let json = replaced("{\"a\": 1}", &[("/a", Value::from("x"))]).expect_err("not XML");
        assert!(json.contains("the XML request body: it is not XML"), "{json}");
    }
}
