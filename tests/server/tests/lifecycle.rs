//! Batch lifecycle over HTTP: create, poll, end, results, cancel, delete, list.

mod common;

use std::time::Duration;

use batches_server::{Route, ServerConfig, sample_requests};
use common::{Harness, assert_error, jsonl};
use reqwest::Method;
use serde_json::{Value, json};

const BATCH_KEYS: [&str; 10] = [
    "id",
    "type",
    "processing_status",
    "request_counts",
    "ended_at",
    "created_at",
    "expires_at",
    "archived_at",
    "cancel_initiated_at",
    "results_url",
];

fn assert_batch_shape(batch: &Value) {
    let object = batch.as_object().expect("batch is an object");
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    let mut expected = BATCH_KEYS.to_vec();
    expected.sort_unstable();
    assert_eq!(keys, expected);
    assert_eq!(batch["type"], "message_batch");
    let counts = batch["request_counts"].as_object().expect("counts");
    assert_eq!(counts.len(), 5);
}

fn counts(batch: &Value) -> [u64; 5] {
    let c = &batch["request_counts"];
    ["processing", "succeeded", "errored", "canceled", "expired"].map(|k| c[k].as_u64().expect("count"))
}

#[tokio::test]
async fn full_lifecycle_with_deferred_errors() {
    let h = Harness::default().await;
    let mut requests = sample_requests(3);
    let extra = [
        json!({"custom_id": "no-messages", "params": {"model": "m", "max_tokens": 5}}),
        json!({"custom_id": "zero-tokens", "params": {"model": "m", "max_tokens": 0, "messages": []}}),
        json!({"custom_id": "streaming", "params": {"model": "m", "max_tokens": 5, "messages": [], "stream": true}}),
        json!({"custom_id": "bad-model", "params": {"model": "claude-does-not-exist", "max_tokens": 5, "messages": []}}),
    ];
    requests.as_array_mut().expect("array").extend(extra);

    let response = h.create(requests).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let created: Value = response.json().await.expect("json");
    assert_batch_shape(&created);
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("msgbatch_") && id.len() == 33, "{id}");
    assert!(id["msgbatch_".len()..].chars().all(|c| c.is_ascii_alphanumeric()));
    assert_eq!(created["processing_status"], "in_progress");
    assert_eq!(counts(&created), [7, 0, 0, 0, 0]);
    for key in ["ended_at", "archived_at", "cancel_initiated_at", "results_url"] {
        assert!(created[key].is_null(), "{key}");
    }
    let created_at = created["created_at"].as_str().expect("created_at");
    assert!(created_at.ends_with('Z') && created_at.len() == 27, "{created_at}");
    assert_ne!(created["expires_at"], created["created_at"]);
    assert_eq!(created["expires_at"].as_str().map(|s| &s[11..]), Some(&created_at[11..]));

    // Results are not available before the end.
    assert_error(
        h.results(&id).await,
        404,
        "not_found_error",
        &format!("Message Batch {id} has no available results."),
    )
    .await;

    for _ in 0..3 {
        let batch = h.retrieve_json(&id).await;
        assert_eq!(batch["processing_status"], "in_progress");
        assert_eq!(counts(&batch), [7, 0, 0, 0, 0]);
    }
    let ended = h.retrieve_json(&id).await;
    assert_batch_shape(&ended);
    assert_eq!(ended["processing_status"], "ended");
    assert_eq!(counts(&ended), [0, 3, 4, 0, 0]);
    assert!(ended["ended_at"].as_str().is_some_and(|s| s.ends_with('Z')));
    let results_url = format!("{}/v1/messages/batches/{id}/results", h.server.base_url());
    assert_eq!(ended["results_url"], results_url.as_str());
    assert_eq!(h.server.batch(&id), Some(ended.clone()));

    // The results URL is absolute and served by this server.
    let response = h
        .http
        .get(&results_url)
        .header("x-api-key", "k")
        .header("anthropic-version", "2023-06-01")
        .header("accept", "application/binary")
        .send()
        .await
        .expect("results");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-jsonl");
    let text = response.text().await.expect("text");
    assert!(text.ends_with('\n') && !text.contains("\n\n"));
    let lines = jsonl(&text);
    let ids: Vec<&str> = lines.iter().map(|l| l["custom_id"].as_str().expect("custom_id")).collect();
    assert_eq!(ids, ["bad-model", "streaming", "zero-tokens", "no-messages", "req-2", "req-1", "req-0"]);

    let error_of = |index: usize| {
        let result = &lines[index]["result"];
        assert_eq!(result["type"], "errored");
        assert_eq!(result["error"]["type"], "error");
        assert!(result["error"]["request_id"].is_null());
        (result["error"]["error"]["type"].clone(), result["error"]["error"]["message"].clone())
    };
    assert_eq!(error_of(0), (json!("not_found_error"), json!("model: claude-does-not-exist")));
    assert_eq!(
        error_of(1),
        (
            json!("invalid_request_error"),
            json!("\"stream=True\" is not supported in the Message Batches API")
        )
    );
    assert_eq!(
        error_of(2),
        (json!("invalid_request_error"), json!("max_tokens: must be greater than or equal to 1"))
    );
    assert_eq!(error_of(3), (json!("invalid_request_error"), json!("messages: Field required")));

    let succeeded = &lines[6]["result"];
    assert_eq!(succeeded["type"], "succeeded");
    let message = &succeeded["message"];
    assert!(message["id"].as_str().is_some_and(|s| s.starts_with("msg_")));
    assert_eq!(message["type"], "message");
    assert_eq!(message["role"], "assistant");
    assert_eq!(message["model"], "claude-haiku-4-5");
    assert_eq!(message["content"][0]["type"], "text");
    assert!(message["content"][0]["text"].as_str().is_some_and(|t| !t.is_empty()));
    assert_eq!(message["stop_reason"], "end_turn");
    assert!(message["usage"]["input_tokens"].as_u64().is_some_and(|n| n > 0));
    assert!(message["usage"]["output_tokens"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(message["usage"]["service_tier"], "batch");

    // Ended batches stay ended; results are stable.
    assert_eq!(h.retrieve_json(&id).await["processing_status"], "ended");
    let again = h.results(&id).await.text().await.expect("text");
    assert_eq!(again, text);
}

#[tokio::test]
async fn zero_polls_end_on_first_retrieve() {
    let h = Harness::start(ServerConfig { polls_until_ended: 0, ..ServerConfig::default() }).await;
    let id = h.create_ok(sample_requests(2)).await;
    assert_eq!(h.server.batch(&id).expect("batch")["processing_status"], "in_progress");
    let batch = h.retrieve_json(&id).await;
    assert_eq!(batch["processing_status"], "ended");
    assert_eq!(counts(&batch), [0, 2, 0, 0, 0]);
}

#[tokio::test]
async fn processing_time_ends_batches() {
    let config = ServerConfig {
        polls_until_ended: 1000,
        processing_time: Some(Duration::from_millis(5)),
        ..ServerConfig::default()
    };
    let h = Harness::start(config).await;
    let id = h.create_ok(sample_requests(1)).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert_eq!(h.server.batch(&id).expect("batch")["processing_status"], "ended");
    assert_eq!(h.retrieve_json(&id).await["processing_status"], "ended");
}

#[tokio::test]
async fn cancel_lifecycle() {
    let h = Harness::default().await;
    let id = h.create_ok(sample_requests(3)).await;
    assert_eq!(h.retrieve_json(&id).await["processing_status"], "in_progress");

    let response = h.cancel(&id).await;
    assert_eq!(response.status(), 200);
    let canceling: Value = response.json().await.expect("json");
    assert_batch_shape(&canceling);
    assert_eq!(canceling["processing_status"], "canceling");
    assert!(canceling["cancel_initiated_at"].as_str().is_some_and(|s| s.ends_with('Z')));
    assert!(canceling["ended_at"].is_null() && canceling["results_url"].is_null());
    assert_eq!(counts(&canceling), [3, 0, 0, 0, 0]);

    // Canceling again changes nothing.
    let again: Value = h.cancel(&id).await.json().await.expect("json");
    assert_eq!(again, canceling);

    for _ in 0..2 {
        assert_eq!(h.retrieve_json(&id).await["processing_status"], "canceling");
    }
    let ended = h.retrieve_json(&id).await;
    assert_eq!(ended["processing_status"], "ended");
    assert_eq!(counts(&ended), [0, 0, 0, 3, 0]);
    assert_eq!(ended["cancel_initiated_at"], canceling["cancel_initiated_at"]);
    assert!(ended["results_url"].is_string());

    let lines = jsonl(&h.results(&id).await.text().await.expect("text"));
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l["result"] == json!({"type": "canceled"})));

    // Cancel of an ended batch returns it unchanged.
    let after: Value = h.cancel(&id).await.json().await.expect("json");
    assert_eq!(after, ended);
}

#[tokio::test]
async fn delete_rules() {
    let h = Harness::start(ServerConfig { cancel_polls_until_ended: 0, ..ServerConfig::default() }).await;
    let id = h.create_ok(sample_requests(1)).await;
    let in_progress = "In progress batches cannot be deleted. Consider canceling the batch instead.";
    assert_error(h.delete(&id).await, 400, "invalid_request_error", in_progress).await;
    assert_eq!(h.cancel(&id).await.status(), 200);
    assert_error(h.delete(&id).await, 400, "invalid_request_error", in_progress).await;
    assert_eq!(h.retrieve_json(&id).await["processing_status"], "ended");

    let response = h.delete(&id).await;
    assert_eq!(response.status(), 200);
    let deleted: Value = response.json().await.expect("json");
    assert_eq!(deleted, json!({"id": id, "type": "message_batch_deleted"}));

    let not_found = format!("Message Batch {id} not found.");
    assert_error(h.retrieve(&id).await, 404, "not_found_error", &not_found).await;
    assert_error(h.delete(&id).await, 404, "not_found_error", &not_found).await;
    assert!(h.server.batch(&id).is_none());
}

#[tokio::test]
async fn unknown_ids_are_not_found() {
    let h = Harness::default().await;
    let id = "msgbatch_nope";
    let message = format!("Message Batch {id} not found.");
    assert_error(h.retrieve(id).await, 404, "not_found_error", &message).await;
    assert_error(h.results(id).await, 404, "not_found_error", &message).await;
    assert_error(h.cancel(id).await, 404, "not_found_error", &message).await;
    assert_error(h.delete(id).await, 404, "not_found_error", &message).await;
    let unknown_path = h.req(Method::GET, "/v1/messages/batches/x/y/z").send().await.expect("send");
    assert_error(unknown_path, 404, "not_found_error", "Not found").await;
    let wrong_method = h.req(Method::PUT, "/v1/messages/batches").send().await.expect("send");
    assert_eq!(wrong_method.status(), 405);
}

#[tokio::test]
async fn list_pagination() {
    let h = Harness::default().await;
    let empty: Value = h.list("").await.json().await.expect("json");
    assert_eq!(empty, json!({"data": [], "has_more": false, "first_id": null, "last_id": null}));

    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(h.create_ok(sample_requests(1)).await);
    }
    ids.reverse(); // newest first
    let page = |v: &Value| -> (Vec<String>, bool, Value, Value) {
        let data = v["data"].as_array().expect("data");
        data.iter().for_each(assert_batch_shape);
        let ids = data.iter().map(|b| b["id"].as_str().expect("id").to_owned()).collect();
        (ids, v["has_more"].as_bool().expect("has_more"), v["first_id"].clone(), v["last_id"].clone())
    };

    let all: Value = h.list("?beta=true").await.json().await.expect("json");
    assert_eq!(page(&all), (ids.clone(), false, json!(ids[0]), json!(ids[4])));

    let first: Value = h.list("?limit=2").await.json().await.expect("json");
    assert_eq!(page(&first), (ids[0..2].to_vec(), true, json!(ids[0]), json!(ids[1])));
    let second: Value = h.list(&format!("?limit=2&after_id={}", ids[1])).await.json().await.expect("json");
    assert_eq!(page(&second), (ids[2..4].to_vec(), true, json!(ids[2]), json!(ids[3])));
    let third: Value = h.list(&format!("?limit=2&after_id={}", ids[3])).await.json().await.expect("json");
    assert_eq!(page(&third), (ids[4..].to_vec(), false, json!(ids[4]), json!(ids[4])));

    let back: Value = h.list(&format!("?limit=2&before_id={}", ids[2])).await.json().await.expect("json");
    assert_eq!(page(&back), (ids[0..2].to_vec(), false, json!(ids[0]), json!(ids[1])));
    let back: Value = h.list(&format!("?limit=2&before_id={}", ids[4])).await.json().await.expect("json");
    assert_eq!(page(&back), (ids[2..4].to_vec(), true, json!(ids[2]), json!(ids[3])));

    for (query, message) in [
        ("?limit=0", "limit: Input should be greater than or equal to 1"),
        ("?limit=1001", "limit: Input should be less than or equal to 1000"),
        ("?limit=ten", "limit: Input should be a valid integer, unable to parse string as an integer"),
    ] {
        assert_error(h.list(query).await, 400, "invalid_request_error", message).await;
    }
    let max: Value = h.list("?limit=1000").await.json().await.expect("json");
    assert_eq!(page(&max).0.len(), 5);
}

#[tokio::test]
async fn request_log_and_request_ids() {
    let h = Harness::default().await;
    let id = h.create_ok(sample_requests(2)).await;
    let retrieve = h.retrieve(&id).await;
    let request_id = retrieve.headers()["request-id"].to_str().expect("ascii").to_owned();
    assert!(request_id.starts_with("req_") && request_id.len() > 4);
    let results = h
        .req(Method::GET, &format!("/v1/messages/batches/{id}/results?beta=true"))
        .header("anthropic-beta", "message-batches-2024-09-24")
        .send()
        .await
        .expect("send");
    assert!(results.headers().contains_key("request-id"));
    assert_eq!(h.bare(Method::GET, "/v1/messages/batches").send().await.expect("send").status(), 401);

    let log = h.server.requests();
    assert_eq!(log.len(), 4);
    assert_eq!(
        (log[0].method.as_str(), log[0].path.as_str(), log[0].route),
        ("POST", "/v1/messages/batches", Route::Create)
    );
    assert_eq!(log[0].status, 200);
    assert_eq!(log[0].header("X-Api-Key"), Some(common::KEY));
    assert_eq!(log[0].header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(log[0].body.as_ref().map(|b| b["requests"][1]["custom_id"].clone()), Some(json!("req-1")));
    assert_eq!((log[1].route, log[1].body.clone()), (Route::Retrieve, None));
    assert_eq!((log[2].route, log[2].status), (Route::Results, 404));
    assert_eq!(log[2].query.as_deref(), Some("beta=true"));
    assert_eq!(log[2].header("anthropic-beta"), Some("message-batches-2024-09-24"));
    assert_eq!((log[3].route, log[3].status), (Route::List, 401));

    h.server.clear_log();
    assert!(h.server.requests().is_empty());
}
