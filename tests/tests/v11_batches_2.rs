//! A second round of Arazzo 1.1 acceptance documents over the Message Batches API
//! (`tests/workflows/v11-batches-2/`), combining features the first round (`v11_batches.rs`)
//! kept apart: components (inputs, parameters with selector values, success and failure
//! actions with Expression Type Objects and action parameters), a chain of workflow-level
//! `dependsOn`, criteria of every type, a `retry` to a workflow. Each good document checks
//! clean, is snapshotted, compiles plainly and durably, and runs against the local
//! `batches-server`; the broken ones get their error at the mistake's line. The XPath document
//! runs in `xpath_batches.rs` (`--features xpath`).

use std::path::{Path, PathBuf};

use arazzo_codegen::{Checked, Settings};
use arazzo_runtime::Secret;
use batches_server::{ServerConfig, TestServer};
use serde_json::{Value, json};

const FOLDER: &str = "tests/workflows/v11-batches-2";

#[path = "common/batches.rs"]
mod batches;
use batches::{KEY, batch_path, client, lines, polls, post, requests, server};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn settings() -> Settings {
    Settings { base_dir: root(), ..Default::default() }
}

fn check(rel: &str) -> Checked {
    arazzo_codegen::check(Path::new(rel), &settings())
}

const GOOD: [&str; 5] = ["components-reuse", "pipeline", "criteria-matrix", "retry-workflow", "xpath-cancel"];

#[test]
fn good_documents_check_without_errors_or_warnings() {
    let mut failures = Vec::new();
    for name in GOOD {
        let checked = check(&format!("{FOLDER}/{name}.arazzo.yaml"));
        if !checked.diagnostics.sorted().is_empty() {
            failures.push(format!("{name}:\n{}", checked.render()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Each broken document gets its errors at the line of its mistake; the rendering (the one
/// `check` prints: code, line, column, caret, help) is snapshotted next to it.
#[test]
fn broken_documents_get_an_error_at_their_line() {
    let expected: [(&str, &[(&str, u32)]); 4] = [
        ("action-reference-wrong-kind", &[("E0112", 48)]),
        // The unknown component also leaves the required header unsent (E0319, at the step).
        ("component-reference-typo", &[("E0310", 31), ("E0319", 34)]),
        ("expression-type-version-mismatch", &[("E0230", 37)]),
        ("retry-limit-fraction", &[("E0116", 38)]),
    ];
    for (name, errors) in expected {
        let rel = format!("{FOLDER}/bad/{name}.arazzo.yaml");
        let checked = check(&rel);
        let found: Vec<_> = checked
            .diagnostics
            .sorted()
            .into_iter()
            .filter(|d| d.is_error())
            .map(|d| (d.code, d.line))
            .collect();
        assert_eq!(found, errors, "{rel}:\n{}", checked.render());
        expectorate::assert_contents(root().join(format!("{FOLDER}/bad/{name}.txt")), &checked.render());
    }
}

#[test]
fn generated_code_of_the_documents_is_up_to_date() {
    for name in GOOD {
        let rel = format!("{FOLDER}/{name}.arazzo.yaml");
        let generated = arazzo_codegen::generate(Path::new(&rel), &settings())
            .unwrap_or_else(|checked| panic!("{rel}:\n{}", checked.render()));
        let text =
            generated.to_file_string("EXPECTORATE=overwrite cargo test -p arazzo-tests --test v11_batches_2");
        expectorate::assert_contents(root().join(format!("{FOLDER}/{name}.rs.snap")), &text);
        let durable = arazzo_codegen::generate(Path::new(&rel), &Settings { durable: true, ..settings() })
            .unwrap_or_else(|checked| panic!("{rel}:\n{}", checked.render()));
        assert!(durable.not_durable.is_empty(), "{rel}: {:?}", durable.not_durable);
    }
}

#[deny(warnings)]
mod components_reuse {
    arazzo_macros::workflows!("workflows/v11-batches-2/components-reuse.arazzo.yaml");
}
#[deny(warnings)]
mod pipeline {
    arazzo_macros::workflows!("workflows/v11-batches-2/pipeline.arazzo.yaml");
}
#[deny(warnings)]
mod criteria_matrix {
    arazzo_macros::workflows!("workflows/v11-batches-2/criteria-matrix.arazzo.yaml");
}
#[deny(warnings)]
mod retry_workflow {
    arazzo_macros::workflows!("workflows/v11-batches-2/retry-workflow.arazzo.yaml");
}
#[deny(warnings)]
mod error_body_pointer {
    arazzo_macros::workflows!("workflows/v11-batches-2/gaps/error-body-pointer.arazzo.yaml");
}

/// The same documents through the durable target: each workflow gets a durable module.
#[deny(warnings)]
mod durable {
    mod components_reuse {
        arazzo_macros::workflows!("workflows/v11-batches-2/components-reuse.arazzo.yaml", durable = true);
    }
    mod pipeline {
        arazzo_macros::workflows!("workflows/v11-batches-2/pipeline.arazzo.yaml", durable = true);
    }
    mod criteria_matrix {
        arazzo_macros::workflows!("workflows/v11-batches-2/criteria-matrix.arazzo.yaml", durable = true);
    }
    mod retry_workflow {
        arazzo_macros::workflows!("workflows/v11-batches-2/retry-workflow.arazzo.yaml", durable = true);
    }
    mod error_body_pointer {
        arazzo_macros::workflows!(
            "workflows/v11-batches-2/gaps/error-body-pointer.arazzo.yaml",
            durable = true
        );
    }

    #[test]
    fn every_workflow_has_a_durable_run() {
        let _ = components_reuse::watch_batch::durable::Workflow::new;
        let _ = components_reuse::await_cancellation::durable::Workflow::new;
        let _ = pipeline::submit::durable::Workflow::new;
        let _ = pipeline::wait::durable::Workflow::new;
        let _ = pipeline::report::durable::Workflow::new;
        let _ = criteria_matrix::verify_batch::durable::Workflow::new;
        let _ = retry_workflow::force_delete::durable::Workflow::new;
        let _ = retry_workflow::cancel_and_drain::durable::Workflow::new;
        let _ = error_body_pointer::force_delete::durable::Workflow::new;
    }
}

/// A batch of `n` requests created outside the workflow under test (as createMessageBatch
/// returned it); the log is cleared.
async fn existing_batch(server: &TestServer, n: usize) -> Value {
    let batch = post(server, "/v1/messages/batches", Some(json!({ "requests": requests(n) }))).await;
    server.clear_log();
    batch
}

fn id_of(batch: &Value) -> String {
    batch["id"].as_str().expect("an id").to_owned()
}

fn all_keyed(server: &TestServer) -> bool {
    server.requests().iter().all(|r| r.header("x-api-key") == Some(KEY))
}

#[tokio::test]
async fn component_parameters_and_actions_poll_until_the_batch_has_ended() {
    let server = server(polls(2)).await;
    let batch = existing_batch(&server, 3).await;
    let id = id_of(&batch);
    // The component input schemas are reached through `$ref`s in `properties`, typed.
    let batch = serde_json::from_value(batch).expect("a submitted batch");
    let inputs = components_reuse::watch_batch::Inputs { api_key: Secret::new(KEY), batch };

    let out = components_reuse::watch_batch(&client(&server), inputs).await.expect("runs");

    // Two retries of `waitWhileInProgress`, then `finished` ends the workflow.
    let get = format!("GET {}", batch_path(&id));
    assert_eq!(lines(&server), [get.clone(), get.clone(), get]);
    assert!(all_keyed(&server));
    assert!(server.requests().iter().all(|r| r.header("anthropic-version") == Some("2023-06-01")));
    assert_eq!(out.status, Some(components_reuse::types::ProcessingStatus::Ended));
    assert_eq!(out.succeeded, Some(3));
}

#[tokio::test]
async fn a_canceled_batch_is_handed_over_with_the_component_parameter_selected_from_the_response() {
    let server = server(ServerConfig { cancel_polls_until_ended: 2, ..polls(5) }).await;
    let batch = existing_batch(&server, 2).await;
    let id = id_of(&batch);
    post(&server, &format!("{}/cancel", batch_path(&id)), None).await;
    server.clear_log();
    let batch = serde_json::from_value(batch).expect("a submitted batch");
    let inputs = components_reuse::watch_batch::Inputs { api_key: Secret::new(KEY), batch };

    let out = components_reuse::watch_batch(&client(&server), inputs).await.expect("runs");

    // poll sees `canceling`: handOverCancellation (its criteria hold, it comes first) runs
    // await-cancellation with `batchId` selected from the response; `stillCanceling`
    // ('CANCELING', case-insensitively) retries its step once, then it sees `ended`.
    let get = format!("GET {}", batch_path(&id));
    assert_eq!(lines(&server), [get.clone(), get.clone(), get]);
    assert!(all_keyed(&server));
    // A goto to a workflow ends this one: its outputs are those of its last poll.
    assert_eq!(out.status, Some(components_reuse::types::ProcessingStatus::Canceling));
    assert_eq!(out.succeeded, Some(0));
}

#[tokio::test]
async fn a_workflow_reads_the_outputs_of_the_workflow_it_depends_on() {
    let server = server(polls(1)).await;
    let inputs = pipeline::wait::Inputs { api_key: Secret::new(KEY), requests: requests(2) };

    let out = pipeline::wait(&client(&server), inputs).await.expect("runs");

    let id = server.requests()[1].path.rsplit('/').next().expect("an id").to_owned();
    let get = format!("GET {}", batch_path(&id));
    assert_eq!(lines(&server), ["POST /v1/messages/batches".to_string(), get.clone(), get]);
    assert_eq!(out.succeeded, 2);
    assert_eq!(out.results_url, Some(format!("{}{}/results", server.base_url(), batch_path(&id))));
}

/// Workflow Object `dependsOn`: "A list of workflows that MUST be completed before this
/// workflow can be processed." `report` depends on `submit` and on `wait`, which depends on
/// `submit` too: `submit` completes once, and `wait` and `report` read the same batch.
#[tokio::test]
async fn a_workflow_reached_twice_through_depends_on_runs_once() {
    let server = server(polls(1)).await;
    let inputs = pipeline::report::Inputs { api_key: Secret::new(KEY), requests: requests(2) };

    let out = pipeline::report(&client(&server), inputs).await.expect("runs");

    let id = out.batch_id.clone().expect("submit ran");
    let get = format!("GET {}", batch_path(&id));
    assert_eq!(
        lines(&server),
        [
            "POST /v1/messages/batches".to_string(),
            get.clone(),
            get.clone(),
            get,
            format!("GET {}/results", batch_path(&id)),
        ]
    );
    assert_eq!(out.succeeded, Some(2));
    assert_eq!(out.status, pipeline::types::ProcessingStatus::Ended);
    assert!(out.lines.is_some());
}

fn verify_inputs(id: &str, prefix: &str, min: &str) -> criteria_matrix::verify_batch::Inputs {
    criteria_matrix::verify_batch::Inputs {
        api_key: Secret::new(KEY),
        batch_id: id.to_owned(),
        id_prefix: prefix.to_owned(),
        min_succeeded: min.to_owned(),
    }
}

#[tokio::test]
async fn criteria_of_every_type_hold_for_an_ended_batch() {
    let server = server(polls(2)).await;
    let id = id_of(&existing_batch(&server, 2).await);

    let out = criteria_matrix::verify_batch(&client(&server), verify_inputs(&id, "msgbatch_", "2"))
        .await
        .expect("runs");

    // notYet retries twice (in_progress), then verify once.
    let get = format!("GET {}", batch_path(&id));
    assert_eq!(lines(&server), [get.clone(), get.clone(), get.clone(), get]);
    assert_eq!(out.succeeded, Some(2));
    assert_eq!(out.results_url, Some(format!("{}{}/results", server.base_url(), batch_path(&id))));
}

/// The regex with the embedded prefix fails (`^file_…`), and so does the numeric comparison
/// of 2 with the numeric string '3': `giveUp` ends the workflow, which succeeds.
#[tokio::test]
async fn an_unmet_verification_ends_the_workflow_through_the_end_action() {
    for (prefix, min) in [("file_", "2"), ("msgbatch_", "3")] {
        let server = server(polls(0)).await;
        let id = id_of(&existing_batch(&server, 2).await);

        let out = criteria_matrix::verify_batch(&client(&server), verify_inputs(&id, prefix, min)).await;

        let get = format!("GET {}", batch_path(&id));
        assert_eq!(lines(&server), [get.clone(), get], "{prefix} {min}");
        assert!(out.is_ok(), "{prefix} {min}: {out:?}");
    }
}

#[tokio::test]
async fn a_delete_refused_while_in_progress_runs_the_cancel_workflow_then_is_retried() {
    let server = server(ServerConfig { cancel_polls_until_ended: 1, ..polls(5) }).await;
    let id = id_of(&existing_batch(&server, 2).await);
    let inputs = retry_workflow::force_delete::Inputs { api_key: Secret::new(KEY), batch_id: id.clone() };

    let out = retry_workflow::force_delete(&client(&server), inputs).await.expect("runs");

    let path = batch_path(&id);
    assert_eq!(
        lines(&server),
        [
            format!("DELETE {path}"),
            format!("POST {path}/cancel"),
            format!("GET {path}"),
            format!("GET {path}"),
            format!("DELETE {path}"),
        ]
    );
    assert!(all_keyed(&server));
    assert_eq!(out.deleted_id, Some(id.clone()));
    assert_eq!(server.batch(&id), None, "deleted");
}

#[tokio::test]
async fn an_unknown_batch_ends_the_workflow_without_a_retry() {
    let server = server(polls(0)).await;
    let id = "msgbatch_000000000000000000000099";
    let inputs = retry_workflow::force_delete::Inputs { api_key: Secret::new(KEY), batch_id: id.into() };

    let out = retry_workflow::force_delete(&client(&server), inputs).await.expect("ends");

    assert_eq!(lines(&server), [format!("DELETE {}", batch_path(id))]);
    assert_eq!(out.deleted_id, None);
}

/// Reusable Object: "Input Objects MUST use standard JSON Schema referencing via the `$ref`
/// keyword". A property whose schema is `$ref: '#/components/inputs/…'` should get the type of
/// the referenced schema, and a `format: password` string should stay a secret.
#[test]
fn a_property_ref_into_component_inputs_gets_the_component_type() {
    let rel = format!("{FOLDER}/components-reuse.arazzo.yaml");
    let generated = arazzo_codegen::generate(Path::new(&rel), &settings())
        .unwrap_or_else(|checked| panic!("{rel}:\n{}", checked.render()));
    let text = generated.to_file_string("");
    let watch = &text[text.find("pub mod watch_batch").expect("the module")..];
    let inputs = &watch[watch.find("pub struct Inputs").expect("its inputs")..];
    let inputs = &inputs[..inputs.find('}').expect("the struct's end")];
    assert!(inputs.contains("pub api_key: rt::Secret"), "{inputs}");
    assert!(!inputs.contains("pub batch: rt::serde_json::Value"), "{inputs}");
}

/// A failure action's criteria read the error response: `$response.body#/error/message` of
/// the 400 the API answers for a delete of a batch in progress (its description declares
/// `ErrorResponse` for 4XX): the pointer is checked against every declared response schema.
#[test]
fn a_failure_criterion_may_read_the_error_response_body() {
    let rel = format!("{FOLDER}/gaps/error-body-pointer.arazzo.yaml");
    let checked = check(&rel);
    let errors: Vec<_> = checked.diagnostics.sorted().into_iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{}", checked.render());
}

/// End to end: the 400 for a delete in progress carries `ErrorResponse`, whose
/// `error.message` the regex criterion reads ("In progress batches cannot be deleted…"), so
/// `cancelThenRetry` runs the cancel workflow, then the delete again.
#[tokio::test]
async fn a_failure_criterion_reads_the_message_of_the_error_response() {
    let server = server(ServerConfig { cancel_polls_until_ended: 1, ..polls(5) }).await;
    let id = id_of(&existing_batch(&server, 2).await);
    let inputs = error_body_pointer::force_delete::Inputs { api_key: Secret::new(KEY), batch_id: id.clone() };

    let out = error_body_pointer::force_delete(&client(&server), inputs).await.expect("runs");

    let path = batch_path(&id);
    assert_eq!(
        lines(&server),
        [
            format!("DELETE {path}"),
            format!("POST {path}/cancel"),
            format!("GET {path}"),
            format!("GET {path}"),
            format!("DELETE {path}"),
        ]
    );
    assert_eq!(out.deleted_id, Some(id.clone()));
    assert_eq!(server.batch(&id), None, "deleted");
}

/// The 404's error message does not say "in progress": no retry, `unknownBatch` ends it.
#[tokio::test]
async fn a_failure_criterion_on_the_error_message_does_not_hold_for_another_error() {
    let server = server(polls(0)).await;
    let id = "msgbatch_000000000000000000000099";
    let inputs = error_body_pointer::force_delete::Inputs { api_key: Secret::new(KEY), batch_id: id.into() };

    let out = error_body_pointer::force_delete(&client(&server), inputs).await.expect("ends");

    assert_eq!(lines(&server), [format!("DELETE {}", batch_path(id))]);
    assert_eq!(out.deleted_id, None);
}
