//! Lint levels, like rustc's: every warning can be allowed or denied, and the errors in
//! [`LOWERABLE`] can be lowered to warnings, each with a defined fallback in the generated code.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Diagnostics, Severity, did_you_mean};

/// How findings with one code are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Not reported.
    Allow,
    /// Reported as a warning.
    Warn,
    /// Reported as an error.
    Deny,
}

impl Level {
    /// The spelling in settings and in `x-arazzo-codegen`: `allow`, `warn`, `deny`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

/// The group that names every finding that is still a warning (`-D warnings`).
pub const WARNINGS: &str = "warnings";

/// Errors that may be lowered to warnings; their fallbacks are in the crate docs.
pub const LOWERABLE: &[&str] = &["E0319", "E0401"];

/// Every diagnostic code (the table in the crate docs).
pub const CODES: &[&str] = &[
    "E0001", "E0002", "E0003", "E0004", "E0101", "E0102", "E0103", "E0104", "E0105", "E0106", "E0107",
    "E0108", "E0109", "E0110", "E0111", "E0112", "E0113", "E0114", "E0115", "E0116", "E0117", "E0118",
    "E0120", "E0121", "E0130", "E0131", "E0132", "E0133", "E0134", "E0201", "E0202", "E0203", "E0204",
    "E0205", "E0206", "E0207", "E0230", "E0231", "E0232", "E0233", "E0234", "E0235", "E0236", "E0237",
    "E0238", "E0301", "E0302", "E0303", "E0304", "E0305", "E0306", "E0310", "E0311", "E0312", "E0313",
    "E0314", "E0315", "E0316", "E0317", "E0318", "E0319", "E0320", "E0321", "E0322", "E0323", "E0350",
    "E0351", "E0352", "E0353", "E0354", "E0355", "E0356", "E0357", "E0358", "E0401", "E0402", "E0403",
    "E0404", "E0405", "E0406", "E0407", "E0408", "E0410", "E0411", "E0412", "E0413", "E0414", "W0001",
    "W0002", "W0101", "W0102", "W0103", "W0104", "W0105", "W0130", "W0201", "W0202", "W0203", "W0204",
    "W0205", "W0230", "W0231", "W0232", "W0233", "W0234", "W0301", "W0302", "W0303", "W0304", "W0305",
    "W0306", "W0307", "W0308", "W0309", "W0350", "W0351", "W0352",
];

/// Lint levels by code (or the `warnings` group), as one front end or one document sets them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lints {
    levels: BTreeMap<String, Level>,
}

impl Lints {
    /// Sets the level of `code` (or of the `warnings` group); the last setting of a code wins.
    pub fn set(&mut self, code: impl Into<String>, level: Level) {
        self.levels.insert(code.into(), level);
    }

    /// The level set for `code`, if any.
    pub fn get(&self, code: &str) -> Option<Level> {
        self.levels.get(code).copied()
    }

    /// Every (code, level) set, by code.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Level)> {
        self.levels.iter().map(|(c, l)| (c.as_str(), *l))
    }
}

/// Why a lint setting cannot be honoured: (code, message, help), or `None` when it can.
pub fn check_setting(code: &str, level: Level) -> Option<(&'static str, String, Option<String>)> {
    if code == WARNINGS {
        return None;
    }
    if !CODES.contains(&code) {
        let help = did_you_mean(code, CODES.iter().copied())
            .map(|c| format!("did you mean `{c}`?"))
            .unwrap_or_else(|| "the crate docs of arazzo-codegen list every code".into());
        return Some(("W0001", format!("unknown diagnostic code `{code}`"), Some(help)));
    }
    let lowerable = LOWERABLE.contains(&code);
    (code.starts_with('E') && level != Level::Deny && !lowerable).then(|| {
        let codes: Vec<String> = LOWERABLE.iter().map(|c| format!("`{c}`")).collect();
        (
            "W0002",
            format!("`{code}` cannot be lowered: it stays an error"),
            Some(format!("only {} can be lowered to warnings", codes.join(" and "))),
        )
    })
}

/// Applies the levels to every finding: the document's setting of a code wins over the front
/// end's, which wins over the default; then the `warnings` group, in the same order, applies to
/// what is still a warning. Errors outside [`LOWERABLE`] stay errors.
pub fn apply(diags: Diagnostics, front_end: &Lints, document: &Lints) -> Diagnostics {
    let level_of = |code: &str| document.get(code).or_else(|| front_end.get(code));
    let mut out = Diagnostics::default();
    for mut d in diags {
        let default = if d.is_error() { Level::Deny } else { Level::Warn };
        let lowerable = !d.is_error() || LOWERABLE.contains(&d.code);
        let mut level = if lowerable { level_of(d.code).unwrap_or(default) } else { Level::Deny };
        if level == Level::Warn {
            level = level_of(WARNINGS).unwrap_or(Level::Warn);
        }
        d.severity = match level {
            Level::Allow => continue,
            Level::Warn => Severity::Warning,
            Level::Deny => Severity::Error,
        };
        out.push(d);
    }
    out
}

/// Findings about the front end's settings, which have no place in a file: they name `file`
/// (the document checked) with line 0.
pub fn check_front_end(front_end: &Lints, file: &str, diags: &mut Diagnostics) {
    for (code, level) in front_end.iter() {
        if let Some((c, message, help)) = check_setting(code, level) {
            diags.push(Diagnostic {
                severity: Severity::Warning,
                code: c,
                message: format!("{message} (`{} {code}` in the generator's settings)", level.name()),
                file: file.to_string(),
                line: 0,
                column: 0,
                width: 1,
                pointer: String::new(),
                help,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(code: &'static str, severity: Severity) -> Diagnostic {
        Diagnostic {
            severity,
            code,
            message: String::new(),
            file: "f".into(),
            line: 1,
            column: 1,
            width: 1,
            pointer: String::new(),
            help: None,
        }
    }

    fn levels(pairs: &[(&str, Level)]) -> Lints {
        let mut l = Lints::default();
        for (c, level) in pairs {
            l.set(*c, *level);
        }
        l
    }

    fn outcome(
        code: &'static str,
        severity: Severity,
        front_end: &Lints,
        document: &Lints,
    ) -> Option<Severity> {
        let mut d = Diagnostics::default();
        d.push(finding(code, severity));
        apply(d, front_end, document).into_iter().next().map(|d| d.severity)
    }

    #[test]
    fn the_most_specific_setting_wins() {
        let none = Lints::default();
        let allow = levels(&[("W0203", Level::Allow)]);
        let deny = levels(&[("W0203", Level::Deny)]);
        assert_eq!(outcome("W0203", Severity::Warning, &none, &none), Some(Severity::Warning));
        assert_eq!(outcome("W0203", Severity::Warning, &allow, &none), None);
        assert_eq!(outcome("W0203", Severity::Warning, &deny, &none), Some(Severity::Error));
        assert_eq!(outcome("W0203", Severity::Warning, &deny, &allow), None);
        assert_eq!(outcome("W0203", Severity::Warning, &allow, &deny), Some(Severity::Error));
    }

    #[test]
    fn the_warnings_group_applies_to_what_is_still_a_warning() {
        let group = levels(&[(WARNINGS, Level::Deny)]);
        let none = Lints::default();
        assert_eq!(outcome("W0203", Severity::Warning, &group, &none), Some(Severity::Error));
        let allowed = levels(&[("W0203", Level::Allow)]);
        assert_eq!(outcome("W0203", Severity::Warning, &group, &allowed), None);
        let lowered = levels(&[("E0401", Level::Warn)]);
        assert_eq!(outcome("E0401", Severity::Error, &lowered, &none), Some(Severity::Warning));
        assert_eq!(outcome("E0401", Severity::Error, &lowered, &group), Some(Severity::Error));
    }

    #[test]
    fn only_the_lowerable_errors_can_be_lowered() {
        let none = Lints::default();
        let lowered = levels(&[("E0319", Level::Warn), ("E0101", Level::Warn), ("E0401", Level::Allow)]);
        assert_eq!(outcome("E0319", Severity::Error, &lowered, &none), Some(Severity::Warning));
        assert_eq!(outcome("E0101", Severity::Error, &lowered, &none), Some(Severity::Error));
        assert_eq!(outcome("E0401", Severity::Error, &lowered, &none), None);
    }

    #[test]
    fn settings_that_cannot_be_honoured_are_reported() {
        assert_eq!(check_setting("W0203", Level::Allow), None);
        assert_eq!(check_setting("E0401", Level::Warn), None);
        assert_eq!(check_setting("E0101", Level::Deny), None);
        assert_eq!(check_setting(WARNINGS, Level::Deny), None);
        let (code, _, help) = check_setting("W0213", Level::Allow).unwrap();
        assert_eq!((code, help.as_deref()), ("W0001", Some("did you mean `W0203`?")));
        assert_eq!(check_setting("E0101", Level::Warn).unwrap().0, "W0002");
    }

    #[test]
    fn every_documented_code_is_known_and_every_known_code_documented() {
        let docs = include_str!("lib.rs");
        let documented: Vec<&str> = docs
            .lines()
            .skip_while(|l| *l != "//! # Diagnostic codes")
            .take_while(|l| *l != "//! # Lint levels")
            .filter_map(|l| l.strip_prefix("//! | "))
            .filter_map(|l| l.split(' ').next())
            .filter(|c| c.len() == 5 && (c.starts_with('E') || c.starts_with('W')))
            .collect();
        assert_eq!(documented, CODES);
    }
}
