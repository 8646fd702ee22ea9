//! A linear pre-scan that refuses flow collections (`[...]`, `{...}`) nested deeper than
//! [`MAX_DEPTH`] before either YAML parser sees them. Both parsers keep one pending simple key
//! per open flow level and revisit every level on every token (yaml-rust2 also buffers the
//! whole collection), so deep flow nesting costs them time quadratic in the depth.
//!
//! It reads just enough YAML to tell a flow indicator from text: quoted scalars, comments,
//! block scalars, and the places where a node starts in block context. Inside a flow
//! collection it is exact (plain scalars there cannot contain `[]{},`); in block context a `[`
//! or `{` inside a multi-line plain scalar is taken for an indicator, which only matters if
//! more than [`MAX_DEPTH`] of them are left open.

use super::{ErrorKind, MAX_DEPTH, Pos, SyntaxError};

/// Fails at the first `[` or `{` that opens flow level `MAX_DEPTH + 1`.
pub(super) fn check(text: &str) -> Result<(), SyntaxError> {
    let b = text.as_bytes();
    let mut i = 0;
    // Lines indented more than this belong to the block scalar being skipped.
    let mut block_scalar: Option<usize> = None;
    while i < b.len() {
        // A line in block context.
        let mut line_start = i;
        let indent = b[i..].iter().take_while(|&&c| c == b' ').count();
        let rest = &b[i + indent..];
        if let Some(parent) = block_scalar {
            let blank =
                rest.iter().take_while(|&&c| c != b'\n').all(|&c| c == b' ' || c == b'\t' || c == b'\r');
            if blank || indent > parent {
                i = next_line(b, i);
                continue;
            }
            block_scalar = None;
        }
        if indent == 0 && (rest.starts_with(b"%") || is_marker(rest, b"...")) {
            i = next_line(b, i);
            continue;
        }
        i += indent;
        // Column of the node that owns what follows (its block scalar is indented past it), and
        // of the token that becomes a key if a `:` follows it.
        let (mut owner, mut token) = (indent.saturating_sub(1), indent);
        let mut node = true;
        if indent == 0 && is_marker(rest, b"---") {
            i += 3;
        }
        while i < b.len() && b[i] != b'\n' {
            let c = b[i];
            let col = i - line_start;
            let separated = matches!(b.get(i + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n'));
            match c {
                b' ' | b'\t' | b'\r' => i += 1,
                b'#' if i == line_start || matches!(b[i - 1], b' ' | b'\t') => i = end_of_line(b, i),
                b':' if separated => {
                    owner = token;
                    node = true;
                    i += 1;
                }
                _ if !node => i += 1,
                b'-' | b'?' if separated => {
                    owner = col;
                    i += 1;
                }
                b'&' | b'!' => i = end_of_word(b, i),
                b'*' => {
                    i = end_of_word(b, i);
                    node = false;
                }
                b'|' | b'>' => {
                    block_scalar = Some(owner);
                    i = end_of_line(b, i);
                }
                b'"' | b'\'' => {
                    token = col;
                    let from = i;
                    i = quoted(b, i);
                    line_start =
                        b[from..i].iter().rposition(|&c| c == b'\n').map_or(line_start, |n| from + n + 1);
                    node = false;
                }
                b'[' | b'{' => {
                    token = col;
                    let from = i;
                    i = flow(text, i)?;
                    line_start =
                        b[from..i].iter().rposition(|&c| c == b'\n').map_or(line_start, |n| from + n + 1);
                    node = false;
                }
                _ => {
                    token = col;
                    node = false;
                    i += 1;
                }
            }
        }
        i = (i + 1).min(b.len());
    }
    Ok(())
}

/// Scans the flow collection opening at `start`; returns the index after its end.
fn flow(text: &str, start: usize) -> Result<usize, SyntaxError> {
    let b = text.as_bytes();
    let (mut depth, mut i) = (0, start);
    // `node`: a node may start here; `value`: a node just ended, so `:` is an indicator.
    let (mut node, mut value) = (true, false);
    while i < b.len() {
        let c = b[i];
        let next_separates = matches!(
            b.get(i + 1),
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}')
        );
        match c {
            b'[' | b'{' => {
                if depth == MAX_DEPTH {
                    return Err(too_deep(text, i));
                }
                depth += 1;
                (node, value) = (true, false);
                i += 1;
            }
            b']' | b'}' => {
                depth -= 1;
                i += 1;
                if depth == 0 {
                    return Ok(i);
                }
                (node, value) = (false, true);
            }
            b',' => {
                (node, value) = (true, false);
                i += 1;
            }
            b':' if value || next_separates => {
                (node, value) = (true, false);
                i += 1;
            }
            b'?' if node && next_separates => i += 1,
            b'#' if matches!(b[i - 1], b' ' | b'\t' | b'\n') => i = end_of_line(b, i),
            b'"' | b'\'' if node => {
                i = quoted(b, i);
                (node, value) = (false, true);
            }
            b'&' | b'!' if node => i = end_of_word(b, i),
            b' ' | b'\t' | b'\r' | b'\n' => i += 1,
            _ => {
                (node, value) = (false, false);
                i += 1;
            }
        }
    }
    Ok(i)
}

fn too_deep(text: &str, at: usize) -> SyntaxError {
    let before = &text[..at];
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let pos = Pos {
        line: 1 + before.bytes().filter(|&c| c == b'\n').count() as u32,
        column: 1 + before[line_start..].chars().count() as u32,
    };
    SyntaxError { pos, message: super::too_deep_message(), kind: ErrorKind::TooDeep }
}

/// The index after the quoted scalar that opens at `start` (`''` and `\"` are escapes).
fn quoted(b: &[u8], start: usize) -> usize {
    let q = b[start];
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' if q == b'"' => i += 2,
            c if c == q => {
                if q == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                } else {
                    return i + 1;
                }
            }
            _ => i += 1,
        }
    }
    b.len()
}

fn is_marker(rest: &[u8], marker: &[u8]) -> bool {
    rest.starts_with(marker) && matches!(rest.get(3), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
}

/// The index of the end of an anchor, tag or alias name.
fn end_of_word(b: &[u8], start: usize) -> usize {
    start
        + b[start..]
            .iter()
            .position(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n' | b',' | b'[' | b']' | b'{' | b'}'))
            .unwrap_or(b.len() - start)
}

fn end_of_line(b: &[u8], start: usize) -> usize {
    start + b[start..].iter().position(|&c| c == b'\n').unwrap_or(b.len() - start)
}

fn next_line(b: &[u8], start: usize) -> usize {
    (end_of_line(b, start) + 1).min(b.len())
}
