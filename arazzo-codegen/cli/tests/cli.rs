//! The `arazzo-codegen` command as a user runs it, from the workspace root: the committed seed
//! code is exactly what `generate` writes (header line included), and `check` reports mistakes
//! with an exit status.

use std::path::PathBuf;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    Command::new(env!("CARGO_BIN_EXE_arazzo-codegen")).args(args).current_dir(root).output().expect("runs")
}

#[test]
fn generate_check_accepts_the_committed_seed_code() {
    for seed in ["batch-process-and-retrieve-results", "cancel-and-confirm-batch"] {
        let doc = format!("workflows/arazzo/{seed}.arazzo.yaml");
        let out = run(&["generate", "--check", &doc, "-o", "generated-example/src/generated"]);
        assert!(out.status.success(), "{seed}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

#[test]
fn generate_check_names_the_command_that_refreshes_a_stale_file() {
    let out_dir = std::env::temp_dir().join(format!("arazzo-cli-{}", std::process::id()));
    let doc = "workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml";
    let out = run(&["generate", "--check", doc, "-o", out_dir.to_str().expect("UTF-8 temp dir")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("is stale; run: cargo run -p arazzo-codegen-cli -- generate"), "{stderr}");
}

#[test]
fn check_reports_a_mistake_and_fails() {
    let out = run(&["check", "tests/bad/01-unknown-field.arazzo.yaml"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[E0102]"), "{stderr}");
}

#[test]
fn a_malformed_source_mapping_is_a_usage_error() {
    let out = run(&[
        "check",
        "--source",
        "no-equals-sign",
        "workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--source expects NAME=PATH"));
}

#[test]
fn lint_flags_lower_deny_and_allow() {
    let typo = "tests/bad/29-pointer-to-unknown-field.arazzo.yaml";
    assert_eq!(run(&["check", typo]).status.code(), Some(1));
    let out = run(&["check", "--warn", "E0401", typo]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(run(&["check", "-W", "E0401", "-D", "warnings", typo]).status.code(), Some(1));
    let out = run(&["check", "-A", "W0304", "-A", "E0401", "-D", "warnings", typo]);
    assert!(out.status.success() && out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn check_summarizes_what_no_workflow_reaches_unless_verbose() {
    let doc = "tests/bad/47-unreached-openapi-findings.arazzo.yaml";
    let quiet = String::from_utf8_lossy(&run(&["check", doc]).stderr).into_owned();
    assert!(
        quiet.contains("2 more findings in tests/bad/47-unreached-openapi-findings.openapi.yaml"),
        "{quiet}"
    );
    assert!(!quiet.contains("schemas/Ownr"), "{quiet}");
    let verbose = String::from_utf8_lossy(&run(&["check", "--verbose", doc]).stderr).into_owned();
    assert!(verbose.contains("schemas/Ownr") && !verbose.contains("more findings"), "{verbose}");
}
