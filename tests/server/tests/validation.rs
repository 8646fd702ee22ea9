//! Header checks and synchronous create validation.

mod common;

use batches_server::{Route, ServerConfig, sample_requests};
use common::{Harness, assert_error};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn api_key_and_version_are_required_everywhere() {
    let h = Harness::default().await;
    let paths = [
        (Method::POST, "/v1/messages/batches"),
        (Method::GET, "/v1/messages/batches"),
        (Method::GET, "/v1/messages/batches/msgbatch_x"),
        (Method::POST, "/v1/messages/batches/msgbatch_x/cancel"),
        (Method::DELETE, "/v1/messages/batches/msgbatch_x"),
        (Method::GET, "/v1/messages/batches/msgbatch_x/results"),
    ];
    for (method, path) in paths {
        let missing_key = h.bare(method.clone(), path).header("anthropic-version", "2023-06-01");
        let response = missing_key.send().await.expect("send");
        assert_error(response, 401, "authentication_error", "x-api-key header is required").await;

        let empty_key =
            h.bare(method.clone(), path).header("x-api-key", "").header("anthropic-version", "2023-06-01");
        let response = empty_key.send().await.expect("send");
        assert_error(response, 401, "authentication_error", "invalid x-api-key").await;

        let missing_version = h.bare(method.clone(), path).header("x-api-key", "any");
        let response = missing_version.send().await.expect("send");
        assert_error(response, 400, "invalid_request_error", "anthropic-version: header is required").await;
    }
    let log = h.server.requests();
    assert_eq!(log.len(), 18);
    let statuses: Vec<u16> = log.iter().take(3).map(|r| r.status).collect();
    assert_eq!(statuses, [401, 401, 400]);
    assert_eq!(log[15].route, Route::Results);
}

#[tokio::test]
async fn configured_api_key_is_enforced() {
    let h = Harness::start(ServerConfig { api_key: Some("secret".into()), ..ServerConfig::default() }).await;
    let wrong = h.create(sample_requests(1)).await; // sends common::KEY
    assert_error(wrong, 401, "authentication_error", "invalid x-api-key").await;
    let right = h
        .bare(Method::GET, "/v1/messages/batches")
        .header("x-api-key", "secret")
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .expect("send");
    assert_eq!(right.status(), 200);
}

async fn create_raw(h: &Harness, body: &str) -> reqwest::Response {
    h.req(Method::POST, "/v1/messages/batches")
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("send")
}

#[tokio::test]
async fn create_validation_messages() {
    let h = Harness::default().await;
    let params = json!({"model": "m", "max_tokens": 1, "messages": []});
    let item = |custom_id: Value| json!({"custom_id": custom_id, "params": params});
    let cases: Vec<(Value, String)> = vec![
        (json!({}), "requests: Field required".into()),
        (json!({"requests": {}}), "requests: Input should be a valid list".into()),
        (
            json!({"requests": []}),
            "requests: List should have at least 1 item after validation, not 0".into(),
        ),
        (json!({"requests": [{"params": params}]}), "requests.0.custom_id: Field required".into()),
        (
            json!({"requests": [item(json!("ok")), item(json!("x".repeat(65)))]}),
            "requests.1.custom_id: String should have at most 64 characters".into(),
        ),
        (
            json!({"requests": [item(json!("has space"))]}),
            "requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'".into(),
        ),
        (
            json!({"requests": [item(json!(""))]}),
            "requests.0.custom_id: String should have at least 1 character".into(),
        ),
        (
            json!({"requests": [item(json!(7))]}),
            "requests.0.custom_id: Input should be a valid string".into(),
        ),
        (
            json!({"requests": [item(json!("dup")), item(json!("b")), item(json!("dup"))]}),
            "requests: custom_id's must be unique within a batch. Duplicate custom_id found: dup".into(),
        ),
        (json!({"requests": [{"custom_id": "a"}]}), "requests.0.params: Field required".into()),
    ];
    for (body, message) in cases {
        let response = create_raw(&h, &body.to_string()).await;
        assert_error(response, 400, "invalid_request_error", &message).await;
    }

    let response = create_raw(&h, "{\"requests\": [").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("json");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(message.starts_with("The request body is not valid JSON: "), "{message}");

    let too_many = format!("{{\"requests\":[{}{{}}]}}", "{},".repeat(100_000));
    let response = create_raw(&h, &too_many).await;
    let message = "requests: List should have at most 100000 items after validation, not 100001";
    assert_error(response, 400, "invalid_request_error", message).await;

    // A 64-character id with every allowed character class is fine, and nothing was created before.
    let id = format!("{}-_9", "a".repeat(61));
    let ok = h.create(json!([item(json!(id))])).await;
    assert_eq!(ok.status(), 200);
    let list: Value = h.list("").await.json().await.expect("json");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
}
