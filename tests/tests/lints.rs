//! Lint levels, set in each front end and in the document, and their precedence; the fallbacks
//! of lowered errors, run over loopback; the summary of findings no workflow reaches.

#![deny(warnings)]

mod common;

use std::path::{Path, PathBuf};

use arazzo_codegen::{Builder, Checked, Settings};
use common::{Server, client, json_reply};
use serde_json::json;

// The document lowers E0319 and E0401 itself (`x-arazzo-codegen`).
mod lowered {
    arazzo_macros::workflows!("workflows/lints/lowered.arazzo.yaml");
}

// The macro's levels: every warning denied but the two the seed is known for, so this test
// crate compiles only if `allow` applies.
mod cancel {
    arazzo_macros::workflows!(
        "../workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml",
        deny = ["warnings"],
        allow = ["W0203", "W0304"]
    );
}

const CANCEL: &str = "workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml";
const LOWERED: &str = "tests/workflows/lints/lowered.arazzo.yaml";
const POINTER_TYPO: &str = "tests/bad/29-pointer-to-unknown-field.arazzo.yaml";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn settings() -> Settings {
    Settings { base_dir: root(), ..Default::default() }
}

/// (code, is error) of every finding shown.
fn findings(rel: &str, settings: &Settings) -> Vec<(&'static str, bool)> {
    let checked = arazzo_codegen::check(Path::new(rel), settings);
    checked.diagnostics.sorted().iter().map(|d| (d.code, d.is_error())).collect()
}

#[test]
fn settings_allow_warn_and_deny_codes() {
    let cancel = |s: Settings| findings(CANCEL, &s);
    assert_eq!(cancel(settings()), [("W0304", false), ("W0203", false), ("W0203", false)]);
    assert_eq!(cancel(settings().allow("W0203")), [("W0304", false)]);
    assert_eq!(cancel(settings().deny("W0304")), [("W0304", true), ("W0203", false), ("W0203", false)]);
    assert_eq!(cancel(settings().deny_warnings().allow("W0304")), [("W0203", true), ("W0203", true)]);
    assert_eq!(findings(POINTER_TYPO, &settings().warn("E0401").allow("W0304")), [("E0401", false)]);
    // An error that cannot be lowered stays one, and the setting says so.
    let typo = findings("tests/bad/10-unknown-operation-id.arazzo.yaml", &settings().warn("E0310"));
    assert!(typo.contains(&("W0002", false)) && typo.contains(&("E0310", true)), "{typo:?}");
}

#[test]
fn the_document_wins_over_the_front_end() {
    assert_eq!(findings(LOWERED, &settings()).iter().filter(|(_, error)| *error).count(), 0);
    // `deny` from the front end does not undo the document's `warn`.
    let denied = findings(LOWERED, &settings().deny("E0401").deny("E0319"));
    assert!(denied.iter().all(|(_, error)| !error), "{denied:?}");
    // The `warnings` group applies to what is still a warning, whoever set it.
    let all = findings(LOWERED, &settings().deny_warnings());
    assert!(!all.is_empty() && all.iter().all(|(_, error)| *error), "{all:?}");
}

#[test]
fn the_builder_sets_levels() {
    let out = std::env::temp_dir().join(format!("arazzo-lints-{}", std::process::id()));
    let builder = || Builder::new().settings(settings()).document(CANCEL).out_dir(&out);
    let denied = builder().deny("W0203").generate().expect_err("W0203 denied");
    assert!(denied.to_string().contains("error[W0203]"), "{denied}");
    let written = builder().deny_warnings().allow("W0203").allow("W0304").generate().expect("all allowed");
    assert_eq!(written, [out.join("cancel_and_confirm_batch.rs")]);
    std::fs::remove_dir_all(&out).expect("removed");
}

#[test]
fn a_lowered_e0401_gives_an_untyped_output_and_says_why() {
    let generate = |rel: &str, s: Settings| arazzo_codegen::generate(Path::new(rel), &s);
    let text =
        generate(LOWERED, settings()).unwrap_or_else(|c| panic!("{}", c.render())).to_file_string("test");
    assert!(text.contains("pub nickname: Option<rt::serde_json::Value>"), "{text}");
    let why = "Output `nickname` is the response body as received at `$response.body#/nickname`, untyped: \
               `GetPetResponse` has no field `nickname` (E0401, lowered to a warning).";
    assert_eq!(text.matches(why).count(), 2, "{text}");
    assert!(generate(POINTER_TYPO, settings()).is_err());
    assert!(generate(POINTER_TYPO, settings().warn("E0401")).is_ok());
}

#[tokio::test]
async fn lowered_errors_fall_back_over_loopback() {
    let server = Server::start(|_| json_reply(200, json!({"name": "Rex", "nickname": {"short": "R"}}))).await;
    let api = client(&["api"], &server.url, 50);
    let out = lowered::straight(&api, lowered::straight::Inputs {}).await.expect("runs");
    assert_eq!(out.name.as_deref(), Some("Rex"));
    assert_eq!(out.nickname, Some(json!({"short": "R"})));
    let out = lowered::retried(&api, lowered::retried::Inputs {}).await.expect("runs");
    assert_eq!(out.nickname, Some(json!({"short": "R"})));
    // E0319 lowered: the required header the steps do not supply is not sent.
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r.header("x-tenant").is_none()));
}

fn unreached(rel: &str) -> Checked {
    arazzo_codegen::check(Path::new(rel), &settings())
}

#[test]
fn findings_no_workflow_reaches_are_one_line_per_file() {
    let checked = unreached("tests/bad/47-unreached-openapi-findings.arazzo.yaml");
    assert_eq!(checked.diagnostics.len(), 1);
    assert_eq!(checked.unreached().len(), 2);
    let file = "tests/bad/47-unreached-openapi-findings.openapi.yaml";
    let line = format!("2 more findings in {file} not reached by any workflow; --verbose shows them\n");
    assert!(checked.render().ends_with(&line), "{}", checked.render());
    let verbose = checked.render_verbose();
    assert!(verbose.contains("schemas/Filez") && verbose.contains("schemas/Ownr"), "{verbose}");
    assert!(verbose.ends_with("0 errors, 3 warnings\n"), "{verbose}");
}
