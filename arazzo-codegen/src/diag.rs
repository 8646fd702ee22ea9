//! Diagnostics: every finding carries a code, a place (file, line, column, JSON pointer), a
//! message and a help line. They are collected, never thrown, and rendered like rustc's.

use std::collections::HashSet;
use std::fmt::Write as _;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The document cannot be compiled.
    Error,
    /// The document compiles, but something in it is not portable or likely a mistake.
    Warning,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Stable code, documented in the crate docs (`E0101`, `W0201`, ...).
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
    /// The file, as given to the generator (relative paths stay relative).
    pub file: String,
    /// 1-based line; 0 for a finding about the settings, which has no place in the file.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
    /// Width of the offending text, in characters (at least 1).
    pub width: u32,
    /// JSON pointer of the node in its document.
    pub pointer: String,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The rustc-like rendering; `source` is the file's text, for the quoted line.
    pub fn render(&self, source: Option<&str>) -> String {
        self.render_line(source.and_then(|s| s.lines().nth(self.line.saturating_sub(1) as usize)))
    }

    /// The rustc-like rendering, quoting `line` (the text of the line the finding is on).
    pub fn render_line(&self, line: Option<&str>) -> String {
        let mut out = String::new();
        let level = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let message: String = if self.message.chars().count() > 300 {
            self.message.chars().take(297).chain("…".chars()).collect()
        } else {
            self.message.clone()
        };
        let _ = writeln!(out, "{level}[{}]: {message}", self.code);
        let gutter = self.line.to_string().len();
        let pad = " ".repeat(gutter);
        let pointer = if self.pointer.is_empty() { String::new() } else { format!(" (#{})", self.pointer) };
        if self.line == 0 {
            let _ = writeln!(out, "{pad}--> {}", self.file);
        } else {
            let _ = writeln!(out, "{pad}--> {}:{}:{}{pointer}", self.file, self.line, self.column);
        }
        if let Some(line) = line.filter(|_| self.line > 0) {
            let chars: Vec<char> = line.chars().collect();
            let column = (self.column.saturating_sub(1) as usize).min(chars.len());
            let carets = (self.width.max(1) as usize).min(chars.len().saturating_sub(column).max(1));
            // A very long line is shown as a window around (the start of) the finding.
            let (from, to) = if chars.len() > 160 {
                (column.saturating_sub(40), (column + carets.min(80) + 40).min(chars.len()))
            } else {
                (0, chars.len())
            };
            let (open, close) = (if from > 0 { "…" } else { "" }, if to < chars.len() { "…" } else { "" });
            let shown: String = chars[from..to].iter().collect();
            let caret_pad: String = open
                .chars()
                .map(|_| ' ')
                .chain(chars[from..column].iter().map(|&c| if c == '\t' { '\t' } else { ' ' }))
                .collect();
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{} | {open}{shown}{close}", self.line);
            let _ = writeln!(out, "{pad} | {caret_pad}{}", "^".repeat(carets.min(to - column).max(1)));
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = help: {help}");
        }
        out
    }

    /// `file:line:column: message` on one line, for compile errors in the macro.
    pub fn one_line(&self) -> String {
        let help = self.help.as_ref().map(|h| format!(" (help: {h})")).unwrap_or_default();
        let place = match self.line {
            0 => self.file.clone(),
            line => format!("{}:{line}:{}", self.file, self.column),
        };
        format!("{place}: {}[{}]: {}{help}", self.level(), self.code, self.message)
    }

    fn level(&self) -> &'static str {
        match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// Collects diagnostics; kept in document order when rendered.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    // Boxed, so that a `Result` with a `Checked` error stays small.
    inner: Box<Findings>,
}

#[derive(Debug, Clone, Default)]
struct Findings {
    items: Vec<Diagnostic>,
    /// The same findings, to drop a repeated one in constant time.
    seen: HashSet<Diagnostic>,
}

impl Diagnostics {
    /// Adds a finding.
    pub fn push(&mut self, d: Diagnostic) {
        if self.inner.seen.insert(d.clone()) {
            self.inner.items.push(d);
        }
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.inner.items.iter().any(Diagnostic::is_error)
    }

    /// All findings, sorted by file, line and column (stable for equal places).
    pub fn sorted(&self) -> Vec<&Diagnostic> {
        let mut v: Vec<&Diagnostic> = self.inner.items.iter().collect();
        v.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        v
    }

    /// Number of findings.
    pub fn len(&self) -> usize {
        self.inner.items.len()
    }

    /// Whether there are no findings.
    pub fn is_empty(&self) -> bool {
        self.inner.items.is_empty()
    }

    /// Moves every finding of `other` into `self`.
    pub fn extend(&mut self, other: Diagnostics) {
        for d in other.inner.items {
            self.push(d);
        }
    }

    /// Counts of errors and warnings.
    pub fn counts(&self) -> (usize, usize) {
        let errors = self.inner.items.iter().filter(|d| d.is_error()).count();
        (errors, self.inner.items.len() - errors)
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.inner.items.into_iter()
    }
}

/// The closest candidate to `word` by edit distance, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (levenshtein(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            did_you_mean("successCriterias", ["successCriteria", "onSuccess"]),
            Some("successCriteria")
        );
        assert_eq!(did_you_mean("zzz", ["successCriteria"]), None);
    }

    #[test]
    fn renders_like_rustc() {
        let d = Diagnostic {
            severity: Severity::Error,
            code: "E0102",
            message: "unknown field `b`".into(),
            file: "x.yaml".into(),
            line: 2,
            column: 3,
            width: 1,
            pointer: "/a/b".into(),
            help: Some("remove it".into()),
        };
        let text = d.render(Some("a:\n  b: 1\n"));
        assert_eq!(
            text,
            "error[E0102]: unknown field `b`\n --> x.yaml:2:3 (#/a/b)\n  |\n2 |   b: 1\n  |   ^\n  = help: remove it\n"
        );
    }

    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_finding() {
        let line = format!("{}key: value{}", "x".repeat(500), "y".repeat(500));
        let d = Diagnostic {
            severity: Severity::Warning,
            code: "W0000",
            message: "m".into(),
            file: "f".into(),
            line: 1,
            column: 501,
            width: 3,
            pointer: String::new(),
            help: None,
        };
        let text = d.render(Some(&line));
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines.iter().all(|l| l.chars().count() < 200), "{text}");
        let (shown, carets) = (lines[3], lines[4]);
        assert!(shown.starts_with("1 | …") && shown.ends_with('…'), "{shown}");
        assert_eq!(shown.find("key").map(|i| shown[..i].chars().count()), carets.find('^'));
    }
}
