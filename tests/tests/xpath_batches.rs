//! The XPath document of the second 1.1 acceptance round (`tests/workflows/v11-batches-2/
//! xpath-cancel.arazzo.yaml`): XPath criteria with an embedded input and versions given by
//! Expression Type Objects, XPath selectors in outputs and as a path parameter's value, against
//! the batches server's XML rendering of a batch:
//! `cargo test -p arazzo-tests --features xpath --test xpath_batches`.

#![deny(warnings)]

use std::time::Duration;

use arazzo_runtime::{Client, Secret};
use batches_server::{ServerConfig, TestServer};
use serde_json::json;

mod xpath_cancel {
    arazzo_macros::workflows!("workflows/v11-batches-2/xpath-cancel.arazzo.yaml");
}

mod xpath_cancel_durable {
    arazzo_macros::workflows!("workflows/v11-batches-2/xpath-cancel.arazzo.yaml", durable = true);

    #[test]
    fn the_workflow_has_a_durable_run() {
        let _ = cancel_via_xml::durable::Workflow::new;
    }
}

use xpath_cancel::cancel_via_xml::{Inputs, cancel_via_xml};

const KEY: &str = "sk-test-key";

#[tokio::test]
async fn xpath_criteria_and_selectors_read_the_batch_and_cancel_it() {
    let config = ServerConfig { polls_until_ended: 5, ..ServerConfig::default() };
    let server = TestServer::start(config).await.expect("server starts");
    let client = Client::builder()
        .base_url("xmlBatches", server.base_url())
        .max_retry_delay(Some(Duration::ZERO))
        .transport_retries(0)
        .build()
        .expect("a client");
    let requests = batches_server::sample_requests(3).as_array().expect("a list").clone();

    let out = cancel_via_xml(&client, Inputs { api_key: Secret::new(KEY), requests, expected_count: 3 })
        .await
        .expect("the workflow runs");

    // The id as the JSON output of `submit` put it in `inspect`'s path.
    let id = server.requests()[1].path.rsplit('/').next().expect("an id").to_owned();
    let path = format!("/v1/messages/batches/{id}");
    let lines: Vec<_> = server
        .requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}{}",
                r.method,
                r.path,
                r.query.as_ref().map(|q| format!("?{q}")).unwrap_or_default()
            )
        })
        .collect();
    // The cancel's path parameter is the id the XPath selector read from the XML document.
    assert_eq!(
        lines,
        [
            "POST /v1/messages/batches".to_string(),
            format!("GET {path}?format=xml"),
            format!("POST {path}/cancel"),
            format!("GET {path}?format=xml"),
        ]
    );
    assert!(server.requests().iter().all(|r| r.header("x-api-key") == Some(KEY)));
    // An XPath selector's atomic result is its string value, even for `number(…)` (the spec
    // does not say how an XPath item becomes a JSON value).
    assert_eq!(out.processing, Some(json!("3")));
    assert_eq!(out.cancel_status, "canceling");
    let canceled_at = server.batch(&id).expect("the batch")["cancel_initiated_at"].clone();
    assert_eq!(out.canceled_at, Some(canceled_at));
}

/// The embedded `{$inputs.expectedCount}` makes the XPath criterion fail: the workflow fails
/// at `inspect` without canceling.
#[tokio::test]
async fn an_unmet_xpath_criterion_fails_the_step() {
    let server = TestServer::start(ServerConfig::default()).await.expect("server starts");
    let client = Client::builder().base_url("xmlBatches", server.base_url()).build().expect("a client");
    let requests = batches_server::sample_requests(3).as_array().expect("a list").clone();

    let error = cancel_via_xml(&client, Inputs { api_key: Secret::new(KEY), requests, expected_count: 4 })
        .await
        .expect_err("fails");

    assert!(error.to_string().contains("inspect"), "{error}");
    assert_eq!(server.requests().len(), 2);
}
