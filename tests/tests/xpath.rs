//! XPath criteria and selectors (Arazzo 1.1 §XPath Conditions, §Selector Object) against an
//! XML response of the local batches server, with the runtime's `xpath` feature:
//! `cargo test -p arazzo-tests --features xpath --test xpath`.

#![deny(warnings)]

use std::time::Duration;

use arazzo_runtime::{Client, Secret};
use batches_server::{ServerConfig, TestServer};

mod xpath {
    arazzo_macros::workflows!("workflows/expr/xpath.arazzo.yaml");
}

use xpath::read_as_xml::{Inputs, read_as_xml};

#[tokio::test]
async fn xpath_criteria_and_selectors_on_an_xml_body() {
    let config = ServerConfig { polls_until_ended: 2, ..ServerConfig::default() };
    let server = TestServer::start(config).await.expect("server starts");
    let client = Client::builder()
        .base_url("xmlApi", server.base_url())
        .max_retry_delay(Some(Duration::ZERO))
        .build()
        .expect("a client");
    let requests = batches_server::sample_requests(3).as_array().expect("a list").clone();
    let out = read_as_xml(&client, Inputs { api_key: Secret::new("k"), requests })
        .await
        .expect("the workflow runs");
    // The XPath criteria failed (EBV false) until the batch ended, and the retry ran the step
    // again; the selectors read the ended batch.
    assert_eq!(out.status, Some(serde_json::json!("ended")));
    assert_eq!(out.succeeded, Some(serde_json::json!("3")));
    let reads: Vec<_> = server.requests().into_iter().filter(|r| r.method == "GET").collect();
    assert_eq!(reads.len(), 3, "two polls in progress, then ended");
    assert!(reads.iter().all(|r| r.query.as_deref() == Some("format=xml")));
}
