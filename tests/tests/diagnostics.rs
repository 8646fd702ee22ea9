//! Every broken document in `tests/bad/` reports the diagnostic its first line promises
//! (`# expect: CODE at LINE`), and the rendered report matches the snapshot next to it.
//! The two seed workflows check with no errors and exactly their known warnings.
//!
//! Refresh the snapshots with `EXPECTORATE=overwrite cargo test -p arazzo-tests --test diagnostics`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use arazzo_codegen::{Checked, Settings};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check(rel: &Path) -> Checked {
    let settings = Settings { base_dir: root(), ..Default::default() };
    arazzo_codegen::check(rel, &settings)
}

/// Parses `# expect: E0102 at 38`.
fn expectation(text: &str, file: &str) -> (String, u32) {
    let first = text.lines().next().unwrap_or_default();
    let rest = first
        .strip_prefix("# expect: ")
        .unwrap_or_else(|| panic!("{file}: first line must be `# expect: CODE at LINE`, got {first:?}"));
    let (code, line) =
        rest.split_once(" at ").unwrap_or_else(|| panic!("{file}: malformed expectation {first:?}"));
    let line = line.trim().parse().unwrap_or_else(|_| panic!("{file}: bad line number in {first:?}"));
    (code.trim().to_string(), line)
}

#[test]
fn bad_documents_report_the_expected_diagnostic() {
    let dir = root().join("tests/bad");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/bad exists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".arazzo.yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 32, "expected at least 32 bad documents, found {}", files.len());
    let mut failures = Vec::new();
    for name in &files {
        let rel = PathBuf::from("tests/bad").join(name);
        let text = std::fs::read_to_string(root().join(&rel)).expect("readable");
        let (code, line) = expectation(&text, name);
        let checked = check(&rel);
        let rendered = checked.render();
        let found = checked.diagnostics.sorted().iter().any(|d| d.code == code && d.line == line);
        if !found {
            let got: Vec<String> =
                checked.diagnostics.sorted().iter().map(|d| format!("{} at {}", d.code, d.line)).collect();
            failures.push(format!("{name}: expected {code} at {line}, got [{}]\n{rendered}", got.join(", ")));
        }
        // Every diagnostic names the file as given, relative to the workspace root.
        for d in checked.diagnostics.sorted() {
            assert!(
                d.file.starts_with("tests/bad/") || d.file.starts_with("workflows/"),
                "{name}: file {:?}",
                d.file
            );
        }
        let snapshot = name.trim_end_matches(".arazzo.yaml");
        expectorate::assert_contents(root().join(format!("tests/bad/{snapshot}.txt")), &rendered);
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// Counts of each diagnostic code; also asserts there is no error.
fn codes(rel: &str) -> BTreeMap<&'static str, usize> {
    let checked = check(Path::new(rel));
    let mut counts = BTreeMap::new();
    for d in checked.diagnostics.sorted() {
        assert!(!d.is_error(), "{rel} has an error:\n{}", checked.render());
        *counts.entry(d.code).or_insert(0) += 1;
    }
    counts
}

#[test]
fn seeds_check_clean_with_known_warnings() {
    assert_eq!(
        codes("workflows/arazzo/batch-process-and-retrieve-results.arazzo.yaml"),
        BTreeMap::from([("W0203", 2), ("W0302", 1)])
    );
    assert_eq!(
        codes("workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml"),
        BTreeMap::from([("W0203", 2), ("W0304", 1)])
    );
}
