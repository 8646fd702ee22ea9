//! Helpers shared by the integration tests: a plain reqwest client with the required headers.
#![allow(dead_code)]

use batches_server::{ServerConfig, TestServer};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

pub const KEY: &str = "test-key";

/// A server plus a client that sends `x-api-key` and `anthropic-version`.
pub struct Harness {
    pub server: TestServer,
    pub http: reqwest::Client,
}

impl Harness {
    pub async fn start(config: ServerConfig) -> Harness {
        let server = TestServer::start(config).await.expect("server starts");
        Harness { server, http: reqwest::Client::new() }
    }

    pub async fn default() -> Harness {
        Self::start(ServerConfig::default()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// A request without any headers.
    pub fn bare(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    /// A request with valid headers.
    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.bare(method, path).header("x-api-key", KEY).header("anthropic-version", "2023-06-01")
    }

    pub async fn create(&self, requests: Value) -> Response {
        let body = serde_json::json!({ "requests": requests });
        self.req(Method::POST, "/v1/messages/batches").json(&body).send().await.expect("create sends")
    }

    /// Creates a batch and returns its id.
    pub async fn create_ok(&self, requests: Value) -> String {
        let response = self.create(requests).await;
        assert_eq!(response.status(), 200);
        let batch: Value = response.json().await.expect("batch json");
        batch["id"].as_str().expect("id").to_owned()
    }

    pub async fn retrieve(&self, id: &str) -> Response {
        self.req(Method::GET, &format!("/v1/messages/batches/{id}")).send().await.expect("retrieve sends")
    }

    pub async fn retrieve_json(&self, id: &str) -> Value {
        let response = self.retrieve(id).await;
        assert_eq!(response.status(), 200);
        response.json().await.expect("batch json")
    }

    pub async fn cancel(&self, id: &str) -> Response {
        self.req(Method::POST, &format!("/v1/messages/batches/{id}/cancel"))
            .send()
            .await
            .expect("cancel sends")
    }

    pub async fn delete(&self, id: &str) -> Response {
        self.req(Method::DELETE, &format!("/v1/messages/batches/{id}")).send().await.expect("delete sends")
    }

    pub async fn results(&self, id: &str) -> Response {
        self.req(Method::GET, &format!("/v1/messages/batches/{id}/results"))
            .send()
            .await
            .expect("results sends")
    }

    pub async fn list(&self, query: &str) -> Response {
        self.req(Method::GET, &format!("/v1/messages/batches{query}")).send().await.expect("list sends")
    }
}

/// Asserts an error response: status, envelope, message, and that `request_id` matches the header.
pub async fn assert_error(response: Response, status: u16, error_type: &str, message: &str) {
    assert_eq!(response.status(), status);
    let header = response.headers().get("request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let body: Value = response.json().await.expect("error json");
    assert_eq!(body["type"], "error", "{body}");
    assert_eq!(body["error"]["type"], error_type, "{body}");
    assert_eq!(body["error"]["message"], message, "{body}");
    assert_eq!(body["request_id"].as_str().map(str::to_owned), header, "{body}");
    assert!(body["request_id"].as_str().is_some_and(|id| id.starts_with("req_")), "{body}");
}

/// Parses a JSONL body into values.
pub fn jsonl(text: &str) -> Vec<Value> {
    text.lines().map(|line| serde_json::from_str(line).expect("valid line")).collect()
}
