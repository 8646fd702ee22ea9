//! Doc comments from the YAML's own words. Descriptions are Markdown written for other tools:
//! rustdoc would run their code blocks as doctests and clippy would flag their tabs and lazy
//! list continuations, so the text is adjusted just enough to be neither.

use proc_macro2::TokenStream;
use quote::quote;

/// `#[doc = ...]` lines for a text, one attribute per line.
pub fn doc_attr(text: Option<&str>) -> TokenStream {
    let Some(text) = text else { return TokenStream::new() };
    let lines = markdown(text.trim_end()).into_iter().map(|l| format!(" {l}"));
    quote! { #( #[doc = #lines] )* }
}

/// The lines of `text` with tabs expanded, every code block fenced as ```` ```text ````, lines
/// that continue a list item indented under it, and prose made safe for rustdoc (see [`prose`]).
fn markdown(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut fence: Option<String> = None; // The opening fence of the code block we are in.
    let mut indented_code = false;
    let mut list_indent: Option<usize> = None;
    let mut in_quote = false;
    for raw in text.lines() {
        let line = raw.trim_end().replace('\t', "    ");
        // Markdown indentation is spaces (tabs are expanded above); counting only them keeps
        // the byte offsets below on character boundaries.
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        if let Some(open) = &fence {
            if trimmed.starts_with(open.as_str())
                && trimmed.trim_start_matches(open.chars().next().unwrap_or('`')).is_empty()
            {
                fence = None;
            }
            out.push(line);
            continue;
        }
        if indented_code {
            if trimmed.is_empty() || indent >= 4 {
                out.push(line.get(4..).unwrap_or("").to_string());
                continue;
            }
            close_indented(&mut out);
            indented_code = false;
        }
        if indent < 4 && (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            let marker: String = trimmed.chars().take_while(|&c| c == '`' || c == '~').collect();
            out.push(format!("{}{marker}text", &line[..indent]));
            fence = Some(marker);
            list_indent = None;
            continue;
        }
        if trimmed.is_empty() {
            out.push(String::new());
            in_quote = false;
            continue;
        }
        if trimmed.starts_with('>') {
            in_quote = true;
        } else if in_quote {
            // A lazy continuation of a block quote gets its `>` marker.
            out.push(format!("> {}", prose(trimmed)));
            continue;
        }
        let after_blank = out.last().is_none_or(String::is_empty);
        if indent >= 4 && after_blank && list_indent.is_none() {
            out.push("```text".into());
            out.push(line[4..].to_string());
            indented_code = true;
            continue;
        }
        let line = prose(&line);
        let trimmed = line.trim_start_matches(' ');
        if let Some(width) = list_marker(trimmed) {
            list_indent = Some(indent + width);
            out.push(line);
            continue;
        }
        match list_indent {
            // A continuation line of a list item is indented exactly under its text.
            Some(need) if !after_blank && indent != need => {
                out.push(format!("{}{trimmed}", " ".repeat(need)))
            }
            Some(need) if after_blank && indent < need => {
                list_indent = None;
                out.push(line);
            }
            _ => out.push(line),
        }
    }
    if indented_code {
        close_indented(&mut out);
    }
    if fence.is_some() {
        out.push("```".into());
    }
    out
}

/// Outside code spans: bare URLs become autolinks (`<https://…>`) and brackets that are not a
/// Markdown link (`[Pet]`, which rustdoc would resolve as an intra-doc link) are escaped.
fn prose(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut in_code = false;
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        match c {
            '`' => in_code = !in_code,
            _ if in_code => {}
            'h' if (rest.starts_with("https://") || rest.starts_with("http://"))
                && !out.ends_with(['<', '(', '"', '\'']) =>
            {
                let end =
                    rest.find(|c: char| c.is_whitespace() || c == '>' || c == '"').unwrap_or(rest.len());
                let url = rest[..end].trim_end_matches(['.', ',', ';', ':', ')', '!', '?']);
                out.push('<');
                out.push_str(url);
                out.push('>');
                rest = &rest[url.len()..];
                continue;
            }
            '[' | ']' if !is_link_bracket(&out, c, after) => {
                out.push('\\');
            }
            _ => {}
        }
        out.push(c);
        rest = after;
    }
    out
}

/// Whether a bracket belongs to a Markdown link: `[text](url)`, `[text][ref]`, `[ref]: url`.
fn is_link_bracket(before: &str, c: char, after: &str) -> bool {
    if c == '[' {
        let Some(close) = after.find(']') else { return false };
        let next = &after[close + 1..];
        // `[ref]: url` defines a link only at the start of a line (not inside a list item).
        next.starts_with('(') || next.starts_with('[') || (next.starts_with(':') && before.trim().is_empty())
    } else {
        let Some(open) = before.rfind('[') else { return false };
        let definition = after.starts_with(':') && before[..open].trim().is_empty();
        !before[..open].ends_with('\\') && (after.starts_with('(') || after.starts_with('[') || definition)
    }
}

/// Ends an indented code block before the blank lines that close it.
fn close_indented(out: &mut Vec<String>) {
    let blanks = out.iter().rev().take_while(|l| l.is_empty()).count();
    out.insert(out.len() - blanks, "```".into());
}

/// The width of a list marker (`- `, `* `, `+ `, `12. `, `3) `) that starts `line`.
fn list_marker(line: &str) -> Option<usize> {
    if line.starts_with("- ") || line.starts_with("* ") || line.starts_with("+ ") {
        return Some(2);
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &line[digits..];
    (digits > 0 && digits < 10 && (rest.starts_with(". ") || rest.starts_with(") "))).then_some(digits + 2)
}

#[cfg(test)]
mod tests {
    use super::markdown;

    fn md(text: &str) -> String {
        markdown(text).join("\n")
    }

    #[test]
    fn fenced_code_is_text_not_a_doctest() {
        assert_eq!(md("Call it:\n```\nlet x = 1;\n```\nDone."), "Call it:\n```text\nlet x = 1;\n```\nDone.");
        assert_eq!(md("```json\n{}\n```"), "```text\n{}\n```");
        assert_eq!(md("```\nnever closed"), "```text\nnever closed\n```");
    }

    #[test]
    fn indented_code_is_fenced() {
        assert_eq!(
            md("Example:\n\n    curl -X POST\n    -d x\n\nAfter."),
            "Example:\n\n```text\ncurl -X POST\n-d x\n```\n\nAfter."
        );
        assert_eq!(md("    at the end"), "```text\nat the end\n```");
    }

    #[test]
    fn lazy_list_continuations_are_indented() {
        assert_eq!(
            md("- one\nstill one\n- two\n\nNew paragraph."),
            "- one\n  still one\n- two\n\nNew paragraph."
        );
        assert_eq!(md("1. first\nmore"), "1. first\n   more");
        assert_eq!(md("- item\n\n    nested paragraph"), "- item\n\n    nested paragraph");
    }

    #[test]
    fn prose_is_safe_for_rustdoc() {
        assert_eq!(md("see https://example.com/x."), "see <https://example.com/x>.");
        assert_eq!(
            md("already <https://a.b> and [a link](https://c.d)"),
            "already <https://a.b> and [a link](https://c.d)"
        );
        assert_eq!(md("a [Pet] object"), "a \\[Pet\\] object");
        assert_eq!(md("`[x]` and `https://x.y`"), "`[x]` and `https://x.y`");
        assert_eq!(md("[ref]: https://r.s"), "[ref]: <https://r.s>");
    }

    #[test]
    fn quotes_and_list_items_are_well_formed() {
        assert_eq!(md("> A quote\nthat continues lazily."), "> A quote\n> that continues lazily.");
        assert_eq!(md("- item\n      overindented"), "- item\n  overindented");
        assert_eq!(md("- a\n\tb"), "- a\n  b");
        assert_eq!(md("- [x]: https://example.com"), "- \\[x\\]: <https://example.com>");
    }

    #[test]
    fn leading_unicode_whitespace_is_text() {
        assert_eq!(md("Example:\n\n\u{3000}\u{3000}x"), "Example:\n\n\u{3000}\u{3000}x");
        assert_eq!(md("    code\n\u{3000}\u{3000}more"), "```text\ncode\n```\n\u{3000}\u{3000}more");
    }

    #[test]
    fn tabs_become_spaces() {
        assert_eq!(md("a\tb"), "a    b");
    }
}
