//! Strings with embedded `{$…}` expressions, and the classification of string values.

use super::ast::{ExprIssue, Parsed, TemplatePart, Value};
use super::runtime::{Boundary, parse_at, parse_expression, starts_with_known_root};

/// Parses a string with embedded `{$…}` expressions into literal and expression parts.
///
/// A `{` not followed by `$` is literal text, so JSON templates such as `{"a": "{$inputs.x}"}`
/// work. Runtime expressions written in the literal text without braces (`Bearer $inputs.apiKey`)
/// produce warning `W0205`.
///
/// # Errors
/// `E0207` for an unterminated `{$` or a missing `}`; `E0201`/`E0202` for an invalid embedded
/// expression. Offsets are bytes in `s`.
pub fn parse_template(s: &str) -> Result<Parsed<Vec<TemplatePart>>, ExprIssue> {
    let mut parts = Vec::new();
    let mut warnings = Vec::new();
    let mut literal_start = 0;
    let mut pos = 0;
    while let Some(open) = s.get(pos..).and_then(|rest| rest.find("{$")).map(|i| pos + i) {
        push_literal(s, literal_start, open, &mut parts, &mut warnings);
        let (part, end) = embedded(s, open, &mut warnings)?;
        parts.push(part);
        pos = end;
        literal_start = end;
    }
    push_literal(s, literal_start, s.len(), &mut parts, &mut warnings);
    Ok(Parsed { value: parts, warnings })
}

/// Parses a string value: a whole runtime expression, a template with `{$…}` parts, or a literal.
///
/// A string starting with `$` and a known root (`$inputs.`, `$statusCode`, …) must parse as an
/// expression; other `$` strings (`$5`, `$ref`) are literals.
///
/// # Errors
/// The expression's error when the string starts with a known root but does not parse; the
/// template's error when an embedded `{$…}` is invalid.
pub fn parse_value(s: &str) -> Result<Parsed<Value>, ExprIssue> {
    if s.starts_with('$') {
        match parse_expression(s) {
            Ok(parsed) => return Ok(parsed.map(Value::Expr)),
            Err(issue) if starts_with_known_root(s) => return Err(issue),
            Err(_) => {}
        }
    }
    if s.contains("{$") {
        return parse_template(s).map(|parsed| parsed.map(Value::Template));
    }
    let mut warnings = Vec::new();
    scan_literal(s, 0, s.len(), &mut warnings);
    Ok(Parsed { value: Value::Literal(s.to_string()), warnings })
}

/// Parses the `{$…}` starting at `open`; returns the part and the offset after `}`.
fn embedded(s: &str, open: usize, warnings: &mut Vec<ExprIssue>) -> Result<(TemplatePart, usize), ExprIssue> {
    let after_open = s.get(open..).unwrap_or("");
    if !after_open.contains('}') {
        return Err(ExprIssue::new("E0207", open, after_open.len(), "unterminated `{$`")
            .with_help("close the embedded expression with `}`: `{$inputs.name}`"));
    }
    let found = parse_at(s, open + 1, Boundary::Operand)?;
    let rest = s.get(found.end..).unwrap_or("");
    if !rest.starts_with('}') {
        let text = s.get(open + 1..found.end).unwrap_or("");
        let found_len = rest.find('}').unwrap_or(rest.len());
        return Err(ExprIssue::new(
            "E0207",
            found.end,
            found_len,
            format!("expected `}}` after the embedded expression `{text}`"),
        )
        .with_help(format!("an embedded expression is one runtime expression in braces: `{{{text}}}`")));
    }
    warnings.extend(found.parsed.warnings);
    Ok((TemplatePart::Expr(found.parsed.value), found.end + 1))
}

fn push_literal(
    s: &str,
    start: usize,
    end: usize,
    parts: &mut Vec<TemplatePart>,
    warnings: &mut Vec<ExprIssue>,
) {
    let Some(text) = s.get(start..end).filter(|t| !t.is_empty()) else {
        return;
    };
    scan_literal(s, start, end, warnings);
    parts.push(TemplatePart::Lit(text.to_string()));
}

/// Warns (W0205) about runtime expressions written without braces in `s[start..end]`.
fn scan_literal(s: &str, start: usize, end: usize, warnings: &mut Vec<ExprIssue>) {
    let mut pos = start;
    while let Some(at) = s.get(pos..end).and_then(|t| t.find('$')).map(|i| pos + i) {
        let candidate = s.get(at..end).unwrap_or("");
        pos = at + 1;
        if !starts_with_known_root(candidate) {
            continue;
        }
        let Some(window) = s.get(..end) else {
            return;
        };
        let (len, help) = match parse_at(window, at, Boundary::Loose) {
            Ok(found) => {
                let text = window.get(at..found.end).unwrap_or("");
                (found.end - at, format!("write {{{text}}}"))
            }
            Err(_) => {
                let word = candidate.find(char::is_whitespace).unwrap_or(candidate.len());
                (word, "embed the expression in braces: {$inputs.name}".to_string())
            }
        };
        let text = s.get(at..at + len).unwrap_or("");
        warnings.push(
            ExprIssue::new(
                "W0205",
                at,
                len,
                format!(
                    "`{text}` is plain text here: an expression inside a string needs `{{}}` \
                     braces to be substituted"
                ),
            )
            .with_help(help),
        );
        pos = at + len.max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::ast::{Expr, Segment, Source};

    fn lit(s: &str) -> TemplatePart {
        TemplatePart::Lit(s.to_string())
    }

    fn inputs(name: &str, keys: &[&str]) -> TemplatePart {
        let path = keys.iter().map(|k| Segment::Key((*k).to_string())).collect();
        TemplatePart::Expr(Expr::Inputs { name: name.to_string(), path })
    }

    fn step_output(step: &str, name: &str) -> TemplatePart {
        TemplatePart::Expr(Expr::Steps {
            step: step.to_string(),
            field: "outputs".to_string(),
            name: Some(name.to_string()),
            path: vec![],
        })
    }

    fn template(s: &str) -> Vec<TemplatePart> {
        let parsed = parse_template(s).unwrap_or_else(|err| panic!("{s}: {err}"));
        assert!(parsed.warnings.is_empty(), "{s}: {:?}", parsed.warnings);
        parsed.value
    }

    #[test]
    fn json_templates() {
        let fapi = r#"{
  "grant_type": "authorization_code",
  "code": "{$steps.AuthzCodeStep.outputs.code}",
  "redirect_uri": "{$inputs.redirect_uri}"
}"#;
        assert_eq!(
            template(fapi),
            vec![
                lit("{\n  \"grant_type\": \"authorization_code\",\n  \"code\": \""),
                step_output("AuthzCodeStep", "code"),
                lit("\",\n  \"redirect_uri\": \""),
                inputs("redirect_uri", &[]),
                lit("\"\n}"),
            ]
        );
        assert_eq!(
            template("{\"a\": \"{$inputs.x}\"}"),
            vec![lit("{\"a\": \""), inputs("x", &[]), lit("\"}")]
        );
        assert_eq!(
            template("\"firstName\": \"{$inputs.customer#/firstName}\","),
            vec![lit("\"firstName\": \""), inputs("customer", &["firstName"]), lit("\",")]
        );
        assert_eq!(
            template("\"firstName\": \"{$inputs.customer.firstName}\""),
            vec![lit("\"firstName\": \""), inputs("customer", &["firstName"]), lit("\"")]
        );
    }

    #[test]
    fn text_templates() {
        assert_eq!(template("Bearer {$inputs.token}"), vec![lit("Bearer "), inputs("token", &[])]);
        assert_eq!(template("a gift for {$inputs.petId}"), vec![lit("a gift for "), inputs("petId", &[])]);
        assert_eq!(template("{$inputs.a}{$inputs.b}"), vec![inputs("a", &[]), inputs("b", &[])]);
        assert_eq!(template(""), vec![]);
        assert_eq!(template("no expressions {here}"), vec![lit("no expressions {here}")]);
        assert_eq!(
            template("{$sourceDescriptions.museum-api.url}#/paths/~1special-events~1{eventId}/get"),
            vec![
                TemplatePart::Expr(Expr::SourceDescriptions {
                    name: "museum-api".into(),
                    rest: Some("url".into()),
                }),
                lit("#/paths/~1special-events~1{eventId}/get"),
            ]
        );
        assert_eq!(
            template("{$response.header.Location}"),
            vec![TemplatePart::Expr(Expr::Response(Source::Header("Location".into())))]
        );
    }

    #[test]
    fn bare_expressions_in_text_warn() {
        let parsed = parse_template("Bearer $inputs.apiKey").expect("parses");
        assert_eq!(parsed.value, vec![lit("Bearer $inputs.apiKey")]);
        let w = &parsed.warnings[0];
        assert_eq!((w.code, w.offset, w.len), ("W0205", 7, 14));
        assert_eq!(w.help.as_deref(), Some("write {$inputs.apiKey}"));

        let parsed =
            parse_template("id=$steps.a.outputs.id, see {$inputs.x} and $statusCode.").expect("parses");
        let helps: Vec<_> =
            parsed.warnings.iter().map(|w| (w.offset, w.help.clone().unwrap_or_default())).collect();
        assert_eq!(
            helps,
            vec![(3, "write {$steps.a.outputs.id}".to_string()), (44, "write {$statusCode}".to_string())]
        );
        for quiet in ["costs $5", "$ref", "$.a.b", "price: $urls", "{$inputs.x}"] {
            let parsed = parse_template(quiet).expect(quiet);
            assert!(parsed.warnings.is_empty(), "{quiet}: {:?}", parsed.warnings);
        }
        let parsed = parse_template("token $inputs. end").expect("parses");
        assert_eq!(parsed.warnings[0].code, "W0205");
    }

    #[test]
    fn template_errors() {
        let table: &[(&str, &str, usize)] = &[
            ("{$inputs.x", "E0207", 0),
            ("abc {$inputs.x", "E0207", 4),
            ("{$inputs.x y}", "E0207", 10),
            ("{$inputs.x == 1}", "E0207", 10),
            ("{$foo}", "E0201", 2),
            ("{$inputs.}", "E0201", 9),
            ("ok {$inputs.a} then {$", "E0207", 20),
            ("{$response.body#/a~}", "E0202", 18),
        ];
        for &(text, code, offset) in table {
            match parse_template(text) {
                Ok(parsed) => panic!("{text}: expected an error, got {:?}", parsed.value),
                Err(issue) => assert_eq!((issue.code, issue.offset), (code, offset), "{text}: {issue}"),
            }
        }
    }

    #[test]
    fn values() {
        let value = |s: &str| parse_value(s).unwrap_or_else(|err| panic!("{s}: {err}"));
        assert_eq!(
            value("$inputs.apiKey").value,
            Value::Expr(Expr::Inputs { name: "apiKey".into(), path: vec![] })
        );
        assert_eq!(value("2023-06-01").value, Value::Literal("2023-06-01".into()));
        assert_eq!(value("$5.00").value, Value::Literal("$5.00".into()));
        assert_eq!(value("$ref").value, Value::Literal("$ref".into()));
        assert_eq!(
            value("Bearer {$inputs.token}").value,
            Value::Template(vec![lit("Bearer "), inputs("token", &[])])
        );
        let bare = value("Bearer $inputs.apiKey");
        assert_eq!(bare.value, Value::Literal("Bearer $inputs.apiKey".into()));
        assert_eq!(bare.warnings[0].code, "W0205");
        let headers = value("$response.headers.Location");
        assert_eq!(headers.warnings[0].code, "W0201");

        // `$inputs` alone is every input (read by name through a criterion's context).
        assert_eq!(value("$inputs").value, Value::Expr(Expr::AllInputs));
        for bad in ["$inputs.", "$statusCode == 200", "$steps.x.y", "$inputs.a{$inputs.b}"] {
            assert!(parse_value(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_value("{$inputs.x").map(|p| p.value).unwrap_err().code, "E0207");
    }
}
