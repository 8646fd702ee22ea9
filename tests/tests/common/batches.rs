//! Helpers of the tests that run Arazzo documents against the local Message Batches server
//! (`batches-server`, in process): `v11_batches.rs` and `v11_batches_2.rs`.

#![allow(dead_code)] // Each test crate uses a part.

use std::time::Duration;

use arazzo_runtime::Client;
use batches_server::{ServerConfig, TestServer};
use serde_json::Value;

/// The API key the documents send; the server accepts any.
pub const KEY: &str = "sk-test-key";

pub async fn server(config: ServerConfig) -> TestServer {
    TestServer::start(config).await.expect("server starts")
}

pub fn polls(polls_until_ended: u32) -> ServerConfig {
    ServerConfig { polls_until_ended, ..ServerConfig::default() }
}

/// A client for the documents' source names, without real waits (retry delays are capped at
/// zero; the nominal delays are the document's).
pub fn client(server: &TestServer) -> Client {
    Client::builder()
        .base_url("batches", server.base_url())
        .base_url("batchList", server.base_url())
        .max_retry_delay(Some(Duration::ZERO))
        .loop_pacing(Duration::ZERO)
        .transport_retries(0)
        .build()
        .expect("a client")
}

/// `METHOD path[?query]` of every request the server logged.
pub fn lines(server: &TestServer) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| match &r.query {
            Some(q) => format!("{} {}?{q}", r.method, r.path),
            None => format!("{} {}", r.method, r.path),
        })
        .collect()
}

pub fn requests(n: usize) -> Vec<Value> {
    batches_server::sample_requests(n).as_array().expect("an array").clone()
}

/// Calls the API directly (not through a workflow): `POST` `path` with `body`; the JSON answer.
pub async fn post(server: &TestServer, path: &str, body: Option<Value>) -> Value {
    let request = reqwest::Client::new()
        .post(format!("{}{path}", server.base_url()))
        .header("x-api-key", KEY)
        .header("anthropic-version", "2023-06-01");
    let request = match body {
        Some(body) => request.json(&body),
        None => request,
    };
    let response = request.send().await.expect("server answers");
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.expect("JSON")
}

pub fn batch_path(id: &str) -> String {
    format!("/v1/messages/batches/{id}")
}
