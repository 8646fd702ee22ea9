//! Arazzo 1.1 documents: the specification's schema tests (`tests/spec-1.1/schema-tests`,
//! copied from the OAI repository) and its official AsyncAPI example.

use std::path::{Path, PathBuf};

use arazzo_codegen::{Checked, Settings};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check(rel: &Path) -> Checked {
    arazzo_codegen::check(rel, &Settings { base_dir: root(), ..Default::default() })
}

fn documents(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new("tests/spec-1.1/schema-tests").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(&dir))
        .expect("schema tests are there")
        .map(|e| dir.join(e.expect("readable folder").file_name()))
        .collect();
    files.sort();
    files
}

/// What a schema test may report beyond its own content: its sources are mostly remote URLs or
/// files that are not there (the folder's README says so).
fn unread_source(code: &str) -> bool {
    matches!(code, "E0001" | "E0311" | "E0411")
}

/// Every `pass/` document reads as Arazzo 1.1: no error in reading it (E00xx but an unread
/// source, E01xx) or in its expressions' syntax (E02xx). What the schema cannot see (a
/// reference to a step or source that does not exist, E03xx and E04xx) and the refusal of
/// AsyncAPI steps (E0350) are not reading errors.
#[test]
fn schema_pass_documents_read_without_errors() {
    // Expression Type Objects and XPath belong to issue 10 items 3 and 4.
    let later = ["criterion-with-extended-xpath.arazzo.yaml"];
    let mut failures = Vec::new();
    for rel in documents("pass") {
        if later.iter().any(|l| rel.ends_with(l)) {
            continue;
        }
        let checked = check(&rel);
        let reading: Vec<String> = checked
            .diagnostics
            .sorted()
            .iter()
            .filter(|d| d.is_error() && !unread_source(d.code) && d.code < "E0300")
            .map(|d| format!("{} at {}: {}", d.code, d.line, d.message))
            .collect();
        if !reading.is_empty() {
            failures.push(format!("{}: {}", rel.display(), reading.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every `fail/` document gets an error for its own mistake: not only an unread source, and
/// not only the refusal of an AsyncAPI step.
#[test]
fn schema_fail_documents_get_an_error_of_their_own() {
    let mut failures = Vec::new();
    for rel in documents("fail") {
        let checked = check(&rel);
        let own = checked
            .diagnostics
            .sorted()
            .iter()
            .any(|d| d.is_error() && !unread_source(d.code) && d.code != "E0350");
        if !own {
            failures.push(format!("{}:\n{}", rel.display(), checked.render()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The official 1.1 example (the Arazzo Specification Object Example with the official
/// `pet-asyncapi.yaml`): each AsyncAPI step gets exactly one error, the refusal, naming the
/// step; the only other errors are the example's own misspelled source name.
#[test]
fn official_asyncapi_example_refuses_each_asyncapi_step_once() {
    let checked = check(Path::new("tests/workflows/v11/pet-asyncapi.arazzo.yaml"));
    let errors: Vec<_> = checked.diagnostics.sorted().into_iter().filter(|d| d.is_error()).collect();
    let refusals: Vec<_> = errors.iter().filter(|d| d.code == "E0350").map(|d| d.message.as_str()).collect();
    assert_eq!(
        refusals,
        [
            "step `purchasePetStep` is an AsyncAPI step: AsyncAPI execution is not supported yet",
            "step `confirmPetPurchaseStep` is an AsyncAPI step: AsyncAPI execution is not supported yet",
        ],
        "{}",
        checked.render()
    );
    for d in errors.iter().filter(|d| d.code != "E0350") {
        assert!(
            d.code == "E0310" && d.message.contains("`petstoreDescription`"),
            "unexpected error:\n{}",
            checked.render()
        );
    }
    expectorate::assert_contents(root().join("tests/workflows/v11/pet-asyncapi.txt"), &checked.render());
}
