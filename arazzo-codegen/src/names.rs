//! Rust identifiers from wire names: valid in every edition, never a keyword, and unique
//! within their scope (a struct's fields, an enum's variants, a function's locals, a module).

use std::collections::HashSet;

use heck::{ToSnakeCase, ToUpperCamelCase};
use unicode_normalization::UnicodeNormalization;

/// Identifier text in snake case for a wire name (`petName` → `pet_name`, `type` → `r#type`).
pub fn field_ident(wire: &str) -> String {
    let mut s = xid_only(&nfkc(wire).to_snake_case(), '_');
    if s.is_empty() {
        s = "unnamed".into();
    } else if !s.starts_with(unicode_ident::is_xid_start) {
        s = format!("f_{s}");
    }
    if !is_keyword(&s) {
        s
    } else if ["self", "super", "crate"].contains(&s.as_str()) {
        format!("{s}_") // Not allowed as raw identifiers.
    } else {
        format!("r#{s}")
    }
}

/// Identifier text in upper camel case for a wire name (`in_progress` → `InProgress`).
pub fn type_ident(wire: &str) -> String {
    let s = xid_only(&nfkc(wire).to_upper_camel_case(), '_');
    match s.chars().next() {
        None => "Unnamed".into(),
        Some(c) if !unicode_ident::is_xid_start(c) => format!("T{s}"),
        _ if s == "Self" => "Self_".into(),
        _ => s,
    }
}

/// `syn::Ident` from identifier text that may be raw (`r#type`).
pub fn ident(text: &str) -> syn::Ident {
    let span = proc_macro2::Span::call_site();
    match text.strip_prefix("r#") {
        Some(raw) => syn::Ident::new_raw(raw, span),
        None => syn::Ident::new(text, span),
    }
}

/// NFKC, as rustc normalizes identifiers: `µs` becomes `μs`, `x²` becomes `x2`.
fn nfkc(wire: &str) -> String {
    wire.nfkc().collect()
}

/// Drops characters that cannot continue an identifier and squeezes runs of `sep`.
fn xid_only(s: &str, sep: char) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars().filter(|&c| unicode_ident::is_xid_continue(c)) {
        if !(c == sep && (out.is_empty() || out.ends_with(sep))) {
            out.push(c);
        }
    }
    out.trim_end_matches(sep).to_string()
}

/// Strict and reserved keywords, including edition 2024's `gen`, which syn accepts as a plain
/// identifier.
fn is_keyword(s: &str) -> bool {
    s == "gen" || s == "_" || syn::parse_str::<syn::Ident>(s).is_err()
}

/// Hands out identifiers that are distinct within one scope: the second `pet_name` becomes
/// `pet_name_2`, the second `Pet` becomes `Pet2`.
#[derive(Debug, Default, Clone)]
pub struct Names {
    taken: HashSet<String>,
}

impl Names {
    /// A scope in which `reserved` are already taken.
    pub fn reserving(reserved: &[&str]) -> Self {
        Names { taken: reserved.iter().map(|s| s.to_string()).collect() }
    }

    /// A distinct snake-case identifier for `wire`.
    pub fn snake(&mut self, wire: &str) -> String {
        self.unique(field_ident(wire))
    }

    /// A distinct camel-case identifier for `wire`.
    pub fn camel(&mut self, wire: &str) -> String {
        self.unique(type_ident(wire))
    }

    /// Frees `text` again.
    pub fn release(&mut self, text: &str) {
        self.taken.remove(text.trim_start_matches("r#"));
    }

    /// `text` itself when free, else `text` with the first free number appended.
    pub fn unique(&mut self, text: String) -> String {
        let bare = text.trim_start_matches("r#");
        if self.taken.insert(bare.to_string()) {
            return text;
        }
        let camel = bare.starts_with(|c: char| c.is_uppercase());
        let stem = Some(bare.trim_end_matches('_')).filter(|s| !s.is_empty()).unwrap_or(bare);
        let sep = if camel && !stem.ends_with(|c: char| c.is_ascii_digit()) { "" } else { "_" };
        let mut n = 2;
        loop {
            let candidate = format!("{stem}{sep}{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wire_name_gives_a_valid_identifier() {
        for wire in [
            "type", "self", "Self", "gen", "try", "async", "1st", "pet.name", "名前", "café", "🐶", "x²",
            "µ", "_", "", "r#", "a__b",
        ] {
            let f = field_ident(wire);
            let t = type_ident(wire);
            ident(&f);
            ident(&t);
            assert!(syn::parse_str::<syn::Ident>(&f).is_ok() || f.starts_with("r#"), "{wire} -> {f}");
        }
        assert_eq!(field_ident("type"), "r#type");
        assert_eq!(field_ident("gen"), "r#gen");
        assert_eq!(field_ident("self"), "self_");
        assert_eq!(field_ident("1st"), "f_1st");
        assert_eq!(field_ident("x²"), "x2");
        assert_eq!(field_ident("latency_µs"), "latency_μs");
        assert_eq!(field_ident("🐶"), "unnamed");
        assert_eq!(field_ident("名前"), "名前");
        assert_eq!(type_ident("in_progress"), "InProgress");
        assert_eq!(type_ident("1"), "T1");
        assert_eq!(type_ident("Self"), "Self_");
    }

    #[test]
    fn names_in_one_scope_are_distinct() {
        let mut names = Names::reserving(&["Unknown"]);
        assert_eq!(names.snake("petName"), "pet_name");
        assert_eq!(names.snake("pet-name"), "pet_name_2");
        assert_eq!(names.snake("pet_name_2"), "pet_name_2_2");
        assert_eq!(names.camel("unknown"), "Unknown2");
        assert_eq!(names.camel("1"), "T1");
        assert_eq!(names.camel("1"), "T1_2");
        assert_eq!(names.snake("type"), "r#type");
        assert_eq!(names.snake("type"), "type_2");
        assert_eq!(names.camel("Self"), "Self_");
        assert_eq!(names.camel("Self"), "Self2");
        assert_eq!(names.snake("self"), "self_");
        assert_eq!(names.snake("self"), "self_2");
    }
}
