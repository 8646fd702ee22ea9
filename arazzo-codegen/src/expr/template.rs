//! Strings with embedded `{$…}` expressions, and the classification of string values.

use super::ast::{ExprIssue, Parsed, TemplatePart, Value, ValueKind};
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

/// Says how a string value should be read: a whole expression, a template, or plain text.
///
/// A string that starts with `$` is an [`ValueKind::Expression`] only if it parses; use
/// [`parse_value`] to get the error for strings that start with a known root but do not parse.
pub fn classify_value(s: &str) -> ValueKind {
    if s.starts_with('$') && parse_expression(s).is_ok() {
        ValueKind::Expression
    } else if s.contains("{$") {
        ValueKind::Template
    } else {
        ValueKind::Literal
    }
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
fn embedded(
    s: &str,
    open: usize,
    warnings: &mut Vec<ExprIssue>,
) -> Result<(TemplatePart, usize), ExprIssue> {
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
                format!("`{text}` is plain text here: an expression inside a string needs `{{}}` braces to be substituted"),
            )
            .with_help(help),
        );
        pos = at + len.max(1);
    }
}
