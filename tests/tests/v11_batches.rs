//! Arazzo 1.1 acceptance documents over the Message Batches API (`tests/workflows/v11-batches/`):
//! written the way a stranger writes them, over the seeds' OpenAPI description (and an OpenAPI
//! 3.2 variant of List Message Batches for `in: querystring`), checked, snapshotted, compiled by
//! the macro and run against the local `batches-server`, asserting the requests it logged and
//! the outputs the spec prescribes. The broken ones in `bad/` get an error at their line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use arazzo_codegen::{Checked, Settings};
use arazzo_runtime::{ErrorKind, Secret};
use batches_server::{Fault, FaultKind, Route, ServerConfig, TestServer};
use serde_json::{Value, json};

const FOLDER: &str = "tests/workflows/v11-batches";

#[path = "common/batches.rs"]
mod batches;
use batches::{KEY, batch_path, client, lines, polls, post, requests, server};
/// Where `self-absolute.arazzo.yaml`'s source resolves against its absolute `$self`.
const ABSOLUTE_SOURCE: &str = "https://workflows.example.com/openapi/message-batches.yml";
const SEED_DESCRIPTION: &str = "workflows/openapi/anthropic-message-batches-api-openapi.yml";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn settings() -> Settings {
    Settings { base_dir: root(), ..Default::default() }.source(ABSOLUTE_SOURCE, SEED_DESCRIPTION)
}

fn check(rel: &str) -> Checked {
    arazzo_codegen::check(Path::new(rel), &settings())
}

/// The good documents and the warnings each deserves (code → count).
fn good_documents() -> Vec<(&'static str, BTreeMap<&'static str, usize>)> {
    // W0304: polling by a `goto` to the same step is paced and bounded by the client, not by the
    // document. W0231: a draft-goessner filter over an object runs as RFC 9535.
    vec![
        ("poll-with-selectors", BTreeMap::from([("W0231", 1), ("W0304", 1)])),
        ("selector-payloads", BTreeMap::from([("W0304", 1)])),
        ("cancel-goto-workflow", BTreeMap::new()),
        ("step-timeout", BTreeMap::new()),
        ("depends-on", BTreeMap::new()),
        ("querystring", BTreeMap::new()),
        ("self-relative", BTreeMap::new()),
        ("self-absolute", BTreeMap::new()),
        ("comparisons", BTreeMap::from([("W0304", 1)])),
    ]
}

#[test]
fn good_documents_check_without_errors_and_with_the_warnings_they_deserve() {
    let mut failures = Vec::new();
    for (name, expected) in good_documents() {
        let checked = check(&format!("{FOLDER}/{name}.arazzo.yaml"));
        let mut codes = BTreeMap::new();
        for d in checked.diagnostics.sorted() {
            *codes.entry(d.code).or_insert(0) += 1;
        }
        if codes != expected {
            failures.push(format!("{name}: {codes:?}, expected {expected:?}\n{}", checked.render()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each broken document gets exactly one error, at the line of its mistake; the rendering
/// (code, line, column, help) is snapshotted next to it.
#[test]
fn broken_documents_get_an_error_at_their_line() {
    let expected = [
        ("depends-on-missing-step", "E0310", 35),
        ("goto-parameter-with-in", "E0356", 36),
        ("querystring-with-query", "E0358", 25),
        ("selector-type-typo", "E0230", 34),
        ("timeout-negative", "E0352", 20),
    ];
    for (name, code, line) in expected {
        let rel = format!("{FOLDER}/bad/{name}.arazzo.yaml");
        let checked = check(&rel);
        let errors: Vec<_> = checked
            .diagnostics
            .sorted()
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code, d.line))
            .collect();
        assert_eq!(errors, [(code, line)], "{rel}:\n{}", checked.render());
        expectorate::assert_contents(root().join(format!("{FOLDER}/bad/{name}.txt")), &checked.render());
    }
}

/// The generated code of each good document, as committed next to it.
#[test]
fn generated_code_of_the_documents_is_up_to_date() {
    for (name, _) in good_documents() {
        let rel = format!("{FOLDER}/{name}.arazzo.yaml");
        let generated = arazzo_codegen::generate(Path::new(&rel), &settings())
            .unwrap_or_else(|checked| panic!("{rel}:\n{}", checked.render()));
        let text =
            generated.to_file_string("EXPECTORATE=overwrite cargo test -p arazzo-tests --test v11_batches");
        expectorate::assert_contents(root().join(format!("{FOLDER}/{name}.rs.snap")), &text);
    }
}

mod poll_with_selectors {
    arazzo_macros::workflows!("workflows/v11-batches/poll-with-selectors.arazzo.yaml");
}
mod selector_payloads {
    arazzo_macros::workflows!("workflows/v11-batches/selector-payloads.arazzo.yaml");
}
mod cancel_goto_workflow {
    arazzo_macros::workflows!("workflows/v11-batches/cancel-goto-workflow.arazzo.yaml");
}
mod step_timeout {
    arazzo_macros::workflows!("workflows/v11-batches/step-timeout.arazzo.yaml");
}
mod depends_on {
    arazzo_macros::workflows!("workflows/v11-batches/depends-on.arazzo.yaml");
}
mod querystring {
    arazzo_macros::workflows!("workflows/v11-batches/querystring.arazzo.yaml");
}
mod self_relative {
    arazzo_macros::workflows!("workflows/v11-batches/self-relative.arazzo.yaml");
}
/// The macro cannot map a remote source to a file, so this document is compiled the third
/// way, as committed code: its snapshot, generated with `Settings::source`.
mod self_absolute {
    include!("../workflows/v11-batches/self-absolute.rs.snap");
}
mod comparisons {
    arazzo_macros::workflows!("workflows/v11-batches/comparisons.arazzo.yaml");
}

/// Creates a batch of `n` requests outside the workflow under test; clears the log.
async fn existing_batch(server: &TestServer, n: usize) -> String {
    let batch = post(server, "/v1/messages/batches", Some(json!({ "requests": requests(n) }))).await;
    server.clear_log();
    batch["id"].as_str().expect("an id").to_owned()
}

#[tokio::test]
async fn poll_with_selectors_reads_outputs_through_each_selector_kind() {
    let server = server(polls(2)).await;
    let inputs =
        poll_with_selectors::submit_and_wait::Inputs { api_key: Secret::new(KEY), requests: requests(2) };

    let out = poll_with_selectors::submit_and_wait(&client(&server), inputs).await.expect("runs");

    let id = out.batch_id.clone();
    let get = format!("GET {}", batch_path(&id));
    assert_eq!(lines(&server), ["POST /v1/messages/batches".to_string(), get.clone(), get.clone(), get]);
    assert!(server.requests().iter().all(|r| r.header("x-api-key") == Some(KEY)));
    let batch = server.batch(&id).expect("the batch");
    assert_eq!(out.status, Some(json!("ended")));
    assert_eq!(out.succeeded, 2);
    assert_eq!(out.ended_at, Some(batch["ended_at"].clone()));
    assert!(out.ended_at.as_ref().is_some_and(Value::is_string));
    assert_eq!(out.errored, Some(0));
    assert_eq!(out.canceled, Some(json!(0)));
}

fn catalog() -> selector_payloads::types::CatalogBatchCatalog {
    serde_json::from_value(json!({
        "owner": "evals",
        "label": "primary-prompt",
        "limits": { "max_tokens": 64 },
        "requests": requests(2),
    }))
    .expect("a catalog")
}

#[tokio::test]
async fn selector_values_fill_parameters_payloads_and_replacements() {
    let server = server(polls(0)).await;
    let inputs = selector_payloads::catalog_batch::Inputs { api_key: Secret::new(KEY), catalog: catalog() };

    let out = selector_payloads::catalog_batch(&client(&server), inputs).await.expect("runs");

    let id = out.deleted_id.clone();
    assert_eq!(
        lines(&server),
        [
            "POST /v1/messages/batches".to_string(),
            format!("GET {}", batch_path(&id)),
            format!("DELETE {}", batch_path(&id))
        ]
    );
    let mut expected = requests(2);
    expected[0]["custom_id"] = json!("primary-prompt");
    expected[1]["params"]["max_tokens"] = json!(64);
    assert_eq!(server.requests()[0].body, Some(json!({ "requests": expected })));
    assert_eq!(out.kind, Some(json!("message_batch_deleted")));
    assert_eq!(out.succeeded, Some(2));
}

#[tokio::test]
async fn a_processing_batch_is_retried_until_it_has_ended() {
    let server = server(polls(2)).await;
    let id = existing_batch(&server, 3).await;
    let inputs =
        cancel_goto_workflow::await_batch::Inputs { api_key: Secret::new(KEY), batch_id: id.clone() };

    let out = cancel_goto_workflow::await_batch(&client(&server), inputs).await.expect("runs");

    let get = format!("GET {}", batch_path(&id));
    assert_eq!(lines(&server), [get.clone(), get.clone(), get]);
    assert_eq!(out.status, Some(cancel_goto_workflow::types::ProcessingStatus::Ended));
    assert_eq!(out.succeeded, Some(3));
}

#[tokio::test]
async fn a_batch_being_canceled_goes_to_the_confirmation_workflow_with_its_parameters() {
    let server = server(ServerConfig { cancel_polls_until_ended: 2, ..polls(5) }).await;
    let id = existing_batch(&server, 2).await;
    post(&server, &format!("{}/cancel", batch_path(&id)), None).await;
    server.clear_log();
    let inputs =
        cancel_goto_workflow::await_batch::Inputs { api_key: Secret::new(KEY), batch_id: id.clone() };

    let out = cancel_goto_workflow::await_batch(&client(&server), inputs).await.expect("runs");

    // checkBatch sees `canceling`; confirm-cancellation retries while canceling, then sees `ended`.
    let get = format!("GET {}", batch_path(&id));
    assert_eq!(lines(&server), [get.clone(), get.clone(), get]);
    // The `key` parameter reached the other workflow's header.
    assert!(server.requests().iter().all(|r| r.header("x-api-key") == Some(KEY)));
    assert_eq!(server.batch(&id).expect("the batch")["request_counts"]["canceled"], json!(2));
    // `end` after the goto: this workflow's outputs are those of its last checkBatch.
    assert_eq!(out.status, Some(cancel_goto_workflow::types::ProcessingStatus::Canceling));
    assert_eq!(out.succeeded, Some(0));
}

#[tokio::test]
async fn confirm_cancellation_returns_the_inputs_it_was_given() {
    let server = server(ServerConfig { cancel_polls_until_ended: 1, ..polls(5) }).await;
    let id = existing_batch(&server, 1).await;
    let canceled = post(&server, &format!("{}/cancel", batch_path(&id)), None).await;
    server.clear_log();
    let requested_at = canceled["cancel_initiated_at"].as_str().expect("a time").to_owned();
    let inputs = cancel_goto_workflow::confirm_cancellation::Inputs {
        key: Secret::new(KEY),
        batch: id.clone(),
        requested_at: requested_at.clone(),
    };

    let out = cancel_goto_workflow::confirm_cancellation(&client(&server), inputs).await.expect("runs");

    let get = format!("GET {}", batch_path(&id));
    assert_eq!(lines(&server), [get.clone(), get]);
    assert_eq!(out.canceled, 1);
    assert_eq!(out.requested_at, requested_at);
    assert_eq!(out.cancel_initiated_at, Some(requested_at));
}

#[tokio::test]
async fn a_step_timeout_fails_the_step_into_its_failure_action() {
    let server = server(polls(5)).await;
    let id = existing_batch(&server, 1).await;
    server.add_fault(Fault::new(Route::Retrieve, FaultKind::Slow(Duration::from_secs(30))));
    let inputs = step_timeout::quick_status::Inputs { api_key: Secret::new(KEY), batch_id: id.clone() };

    let out = step_timeout::quick_status(&client(&server), inputs).await;

    assert_eq!(
        lines(&server),
        [format!("GET {}", batch_path(&id)), "GET /v1/messages/batches?limit=1".into()]
    );
    // The workflow succeeds through `tooSlow`; the step that timed out has no outputs.
    let out = out.expect("the fallback step answers");
    assert_eq!(out.status, None);
    assert_eq!(out.listed_status, Some(step_timeout::types::ProcessingStatus::InProgress));
}

#[tokio::test]
async fn a_step_that_answers_in_time_ends_the_workflow() {
    let server = server(polls(5)).await;
    let id = existing_batch(&server, 1).await;
    let inputs = step_timeout::quick_status::Inputs { api_key: Secret::new(KEY), batch_id: id.clone() };

    let out = step_timeout::quick_status(&client(&server), inputs).await.expect("runs");

    assert_eq!(lines(&server), [format!("GET {}", batch_path(&id))]);
    assert_eq!(out.status, Some(step_timeout::types::ProcessingStatus::InProgress));
    assert_eq!(out.listed_status, None);
}

#[tokio::test]
async fn depends_on_runs_the_workflow_first_and_the_steps_in_dependency_order() {
    let server = server(polls(1)).await;
    let inputs =
        depends_on::submit_then_clean_up::Inputs { api_key: Secret::new(KEY), requests: requests(1) };

    let out = depends_on::submit_then_clean_up(&client(&server), inputs).await.expect("runs");

    let id = out.deleted_id.clone();
    let get = format!("GET {}", batch_path(&id));
    assert_eq!(
        lines(&server),
        ["POST /v1/messages/batches".to_string(), get.clone(), get, format!("DELETE {}", batch_path(&id))]
    );
    assert!(out.ended_at.is_some());
    assert_eq!(server.batch(&id), None, "deleted");
}

#[tokio::test]
async fn a_querystring_parameter_is_the_whole_query() {
    let server = server(polls(5)).await;
    let inputs = querystring::page_through::Inputs { api_key: Secret::new(KEY), requests: requests(1) };

    let out = querystring::page_through(&client(&server), inputs).await.expect("runs");

    let newest = out.newest.clone().expect("a first page");
    let next = out.next.clone().expect("a second page");
    // The criteria held: the first page is the newer batch, the second the older one.
    assert_ne!(newest, next);
    assert!(server.batch(&newest).is_some() && server.batch(&next).is_some());
    assert_eq!(
        lines(&server),
        [
            "POST /v1/messages/batches".to_string(),
            "POST /v1/messages/batches".into(),
            "GET /v1/messages/batches?limit=1".into(),
            format!("GET /v1/messages/batches?after_id={newest}&limit=1"),
        ]
    );
    assert!(out.more_after_first);
    assert!(!out.more_after_second);
}

#[tokio::test]
async fn a_relative_self_is_the_base_of_the_source_url_and_the_value_of_dollar_self() {
    let server = server(ServerConfig { cancel_polls_until_ended: 1, ..polls(5) }).await;
    let id = existing_batch(&server, 1).await;
    let inputs = self_relative::cancel_batch::Inputs { api_key: Secret::new(KEY), batch_id: id.clone() };

    let out = self_relative::cancel_batch(&client(&server), inputs).await.expect("runs");

    assert_eq!(lines(&server), [format!("POST {}/cancel", batch_path(&id))]);
    assert_eq!(out.status, self_relative::types::ProcessingStatus::Canceling);
    assert_eq!(out.defined_by, "published/batches/self-relative.arazzo.yaml");
}

#[tokio::test]
async fn an_absolute_self_is_the_base_of_the_source_url_and_the_value_of_dollar_self() {
    let server = server(polls(0)).await;
    let id = existing_batch(&server, 1).await;
    let inputs = self_absolute::batch_status::Inputs { api_key: Secret::new(KEY), batch_id: id.clone() };

    let out = self_absolute::batch_status(&client(&server), inputs).await.expect("runs");

    assert_eq!(lines(&server), [format!("GET {}", batch_path(&id))]);
    assert_eq!(out.status, self_absolute::types::ProcessingStatus::Ended);
    assert_eq!(out.defined_by, "https://workflows.example.com/arazzo/self-absolute.arazzo.yaml");
}

fn comparison_inputs(id: &str, expected: &str) -> comparisons::all_succeeded::Inputs {
    comparisons::all_succeeded::Inputs {
        api_key: Secret::new(KEY),
        batch_id: id.to_owned(),
        expected: expected.to_owned(),
    }
}

#[tokio::test]
async fn numeric_string_null_and_case_insensitive_comparisons_hold() {
    let server = server(polls(2)).await;
    let id = existing_batch(&server, 2).await;

    let out = comparisons::all_succeeded(&client(&server), comparison_inputs(&id, "2")).await.expect("runs");

    // poll while `ended_at == null` (twice), then once more with `!= null`, then verify.
    let get = format!("GET {}", batch_path(&id));
    assert_eq!(lines(&server), [get.clone(), get.clone(), get.clone(), get]);
    assert_eq!(out.succeeded, 2);
    assert_eq!(out.ended_at, server.batch(&id).expect("the batch")["ended_at"].as_str().map(str::to_owned));
}

#[tokio::test]
async fn a_numeric_string_that_differs_fails_the_verification() {
    let server = server(polls(0)).await;
    let id = existing_batch(&server, 2).await;

    let error =
        comparisons::all_succeeded(&client(&server), comparison_inputs(&id, "3")).await.expect_err("fails");

    let get = format!("GET {}", batch_path(&id));
    assert_eq!(lines(&server), [get.clone(), get]);
    let unmet = ErrorKind::CriteriaFailed {
        criteria: vec!["$response.body#/request_counts/succeeded == $inputs.expected"],
    };
    assert_eq!(error.kind(), &unmet, "{error}");
}

/// Payload Replacement Object: `target` may be a JSONPath ("A JSON Pointer, or XPath
/// Expression, or JSONPath which MUST be resolved against the request body"; the spec's own
/// example uses `targetSelectorType: jsonpath`). It sets every node the query selects
/// (`tests/expr.rs` runs one).
#[test]
fn a_jsonpath_replacement_target_checks_clean() {
    let rel = format!("{FOLDER}/gaps/replacement-jsonpath-target.arazzo.yaml");
    let checked = check(&rel);
    let errors: Vec<_> = checked.diagnostics.sorted().into_iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{}", checked.render());
}
