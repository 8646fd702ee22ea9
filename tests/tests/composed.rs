//! Workflows that run workflows, end to end: `tests/workflows/composed.arazzo.yaml` runs the two
//! seed workflows from another document (as a step, through `dependsOn`, with `goto` to a
//! workflow), compiled by the macro and run against the local Message Batches server.

use std::time::Duration;

use arazzo_runtime::{Client, ErrorKind, Secret};
use batches_server::{Route, ServerConfig, TestServer};
use serde_json::Value;

arazzo_macros::workflows!("workflows/composed.arazzo.yaml");

const KEY: &str = "sk-composed-key";

async fn server() -> TestServer {
    let config = ServerConfig { polls_until_ended: 2, ..ServerConfig::default() };
    TestServer::start(config).await.expect("server starts")
}

/// One client for every source the nested documents name.
fn client(server: &TestServer, budget: u32) -> Client {
    let url = server.base_url();
    Client::builder()
        .base_url("claudeApi", &url)
        .base_url("messageBatchesApi", &url)
        .max_retry_delay(Some(Duration::ZERO))
        .loop_pacing(Duration::ZERO)
        .step_budget(budget)
        .build()
        .expect("a client")
}

fn requests(n: usize) -> Vec<Value> {
    batches_server::sample_requests(n).as_array().expect("an array").clone()
}

fn routes(server: &TestServer) -> Vec<Route> {
    server.requests().iter().map(|r| r.route).collect()
}

#[tokio::test]
async fn a_step_runs_a_workflow_of_another_document() {
    let server = server().await;
    let inputs = process_then_check::Inputs { api_key: Secret::new(KEY), requests: requests(3) };
    let out = process_then_check(&client(&server, 1000), inputs).await.expect("runs");

    // The seed's requests (create, polls until ended, results), then this document's own check.
    use Route::*;
    assert_eq!(routes(&server), [Create, Retrieve, Retrieve, Retrieve, Results, Retrieve]);
    // `$outputs.batchId` and `$outputs.requestCounts.succeeded` come typed from the seed; every
    // step always runs, so no output is an Option.
    let (batch_id, succeeded): (String, i64) = (out.batch_id, out.succeeded);
    assert!(batch_id.starts_with("msgbatch_"));
    assert_eq!(succeeded, 3);
    assert_eq!(out.status, types::ProcessingStatus::Ended);
    let last = server.requests().pop().expect("requests");
    assert_eq!(last.path, format!("/v1/messages/batches/{batch_id}"));
}

#[tokio::test]
async fn depends_on_runs_first_and_goto_hands_over_to_a_workflow() {
    let server = server().await;
    let inputs = cancel_then_process::Inputs { api_key: Secret::new(KEY), requests: requests(2) };
    let out = cancel_then_process(&client(&server, 1000), inputs).await.expect("runs");

    use Route::*;
    let routes = routes(&server);
    // dependsOn: the cancel seed (create, cancel, polls while canceling), then read-canceled.
    let second_create = routes.iter().rposition(|r| *r == Create).expect("two creates");
    assert_eq!(&routes[..2], [Create, Cancel]);
    assert!(second_create >= 4 && routes[2..second_create].iter().all(|r| *r == Retrieve), "{routes:?}");
    // read-canceled reads the canceled batch by `$workflows.cancel-and-confirm-batch.outputs.batchId`.
    let canceled = server.requests()[second_create - 1].path.clone();
    assert_eq!(canceled, format!("/v1/messages/batches/{}", out.canceled_id));
    // Its onSuccess `goto: process-then-check` then runs a whole new batch.
    assert_eq!(&routes[second_create..], [Create, Retrieve, Retrieve, Retrieve, Results, Retrieve]);
}

#[tokio::test]
async fn workflows_calling_each_other_share_one_step_budget() {
    let server = server().await;
    let inputs = ping::Inputs { api_key: Secret::new(KEY), batch_id: "msgbatch_missing".into() };
    let err = ping(&client(&server, 20), inputs).await.expect_err("ping and pong recurse");

    assert!(matches!(err.kind(), ErrorKind::StepBudgetExceeded { budget: 20 }), "{err}");
    // Each round costs a request and two workflow calls; the budget counts all of them.
    let sent = server.requests().len();
    assert!((6..=10).contains(&sent), "{sent} requests");
    assert!(!format!("{err:?}{err}").contains(KEY));
}

#[test]
fn generated_futures_are_send() {
    fn send<T: Send>(_: T) {}
    let client = Client::builder().build().expect("a client");
    send(ping(&client, ping::Inputs { api_key: Secret::new(KEY), batch_id: String::new() }));
    send(cancel_then_process(
        &client,
        cancel_then_process::Inputs { api_key: Secret::new(KEY), requests: Vec::new() },
    ));
}
