//! XPath criteria and selectors on XML documents (the `xpath` feature), evaluated with the
//! XPath 3.1 engine of `xee-xpath`.
//!
//! Arazzo 1.1 §XPath Conditions: a criterion passes when the expression's Effective Boolean
//! Value is true; a missing context, an expression that does not parse, a document that is not
//! XML or an evaluation error fails it (§Evaluation Errors), and the error is logged. XPath
//! 1.0, 2.0 and 3.0 expressions run on the 3.1 engine: their boolean conversions agree
//! wherever 1.0's applies (a node-set, a string, a number, a boolean); a sequence of several
//! atomic values has no EBV in 2.0 and later and fails the criterion.

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
}
