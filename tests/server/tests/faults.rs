//! Every fault kind, observed from a plain reqwest client.

mod common;

use std::time::{Duration, Instant};

use batches_server::{Fault, FaultKind, Route, ServerConfig, http_date_after, sample_requests};
use common::{Harness, assert_error};
use reqwest::Method;
use serde_json::Value;

async fn ended_batch(h: &Harness, n: usize) -> String {
    let id = h.create_ok(sample_requests(n)).await;
    loop {
        if h.retrieve_json(&id).await["processing_status"] == "ended" {
            return id;
        }
    }
}

#[tokio::test]
async fn status_529_with_retry_after_then_normal() {
    let h = Harness::default().await;
    let id = h.create_ok(sample_requests(1)).await;
    let retry_after = Some("3".to_owned());
    h.server.add_fault(Fault::new(Route::Retrieve, FaultKind::Status { status: 529, retry_after }));

    let response = h.retrieve(&id).await;
    assert_eq!(response.headers()["retry-after"], "3");
    assert_error(response, 529, "overloaded_error", "Overloaded").await;
    assert_eq!(h.retrieve(&id).await.status(), 200);

    // The faulted retrieve did not count as a poll: 3 in_progress answers in total before the end.
    assert_eq!(h.retrieve_json(&id).await["processing_status"], "in_progress");
    assert_eq!(h.retrieve_json(&id).await["processing_status"], "in_progress");
    assert_eq!(h.retrieve_json(&id).await["processing_status"], "ended");
}

#[tokio::test]
async fn status_kinds_and_http_date_retry_after() {
    let date = http_date_after(Duration::from_secs(2));
    let faults = vec![
        Fault::status(Route::List, 429),
        Fault::new(Route::List, FaultKind::Status { status: 500, retry_after: Some(date.clone()) }).skip(1),
        Fault::status(Route::Create, 503),
    ];
    let h = Harness::start(ServerConfig { faults, ..ServerConfig::default() }).await;
    assert_error(h.list("").await, 429, "rate_limit_error", "Rate limited").await;
    let response = h.list("").await;
    assert_eq!(response.headers()["retry-after"].to_str().ok(), Some(date.as_str()));
    assert_error(response, 500, "api_error", "Internal server error").await;
    assert_eq!(h.list("").await.status(), 200);
    assert_error(h.create(sample_requests(1)).await, 503, "api_error", "Internal server error").await;
    assert_eq!(h.create(sample_requests(1)).await.status(), 200);
    let statuses: Vec<u16> = h.server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 500, 200, 503, 200]);
}

#[tokio::test]
async fn skip_and_times() {
    let h = Harness::start(ServerConfig { polls_until_ended: 100, ..ServerConfig::default() }).await;
    let id = h.create_ok(sample_requests(1)).await;
    h.server.add_fault(Fault::status(Route::Retrieve, 500).skip(1).times(2));
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(h.retrieve(&id).await.status().as_u16());
    }
    assert_eq!(statuses, [200, 500, 500, 200, 200]);
}

#[tokio::test]
async fn faults_come_after_header_checks() {
    let h = Harness::default().await;
    h.server.add_fault(Fault::status(Route::Any, 529));
    let rejected = h.bare(Method::GET, "/v1/messages/batches").send().await.expect("send");
    assert_eq!(rejected.status(), 401);
    assert_eq!(h.list("").await.status(), 529);
    assert_eq!(h.list("").await.status(), 200);
}

#[tokio::test]
async fn slow_delays_then_answers() {
    let h = Harness::default().await;
    let delay = Duration::from_millis(25);
    h.server.add_fault(Fault::new(Route::List, FaultKind::Slow(delay)));
    let start = Instant::now();
    let response = h.list("").await;
    assert!(start.elapsed() >= delay);
    assert_eq!(response.status(), 200);
    assert_eq!(h.list("").await.status(), 200);
    let statuses: Vec<u16> = h.server.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200]);
}

#[tokio::test]
async fn drop_connection_fails_the_body() {
    let h = Harness::default().await;
    let id = h.create_ok(sample_requests(2)).await;
    h.server.add_fault(Fault::new(Route::Retrieve, FaultKind::DropConnection));
    let response = h.retrieve(&id).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers().contains_key("request-id"));
    assert!(response.bytes().await.is_err(), "body read must fail");
    // The next retrieve works (and the dropped one was not a poll).
    assert_eq!(h.retrieve_json(&id).await["processing_status"], "in_progress");
    assert_eq!(h.server.requests().last().map(|r| r.status), Some(200));

    // On results, the first lines arrive before the drop.
    let id = ended_batch(&h, 20).await;
    h.server.add_fault(Fault::new(Route::Results, FaultKind::DropConnection));
    let response = h.results(&id).await;
    assert_eq!(response.headers()["content-type"], "application/x-jsonl");
    assert!(response.text().await.is_err());
    assert_eq!(h.results(&id).await.text().await.expect("text").lines().count(), 20);
}

#[tokio::test]
async fn malformed_json_is_unparsable() {
    let h = Harness::default().await;
    let id = h.create_ok(sample_requests(1)).await;
    h.server.add_fault(Fault::new(Route::Any, FaultKind::MalformedJson).times(2));
    for response in [h.retrieve(&id).await, h.create(sample_requests(1)).await] {
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/json");
        let text = response.text().await.expect("complete body");
        assert!(!text.is_empty());
        assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    }
    assert!(h.retrieve(&id).await.json::<Value>().await.is_ok());
    // The faulted create created nothing.
    let list: Value = h.list("").await.json().await.expect("json");
    assert_eq!(list["data"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn truncated_jsonl_cuts_the_last_line() {
    let h = Harness::start(ServerConfig { polls_until_ended: 0, ..ServerConfig::default() }).await;
    // Route::Any: the fault ignores non-results requests (the retrieves below do not use it up).
    h.server.add_fault(Fault::new(Route::Any, FaultKind::TruncatedJsonl));
    let id = ended_batch(&h, 3).await;
    let response = h.results(&id).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-jsonl");
    let text = response.text().await.expect("complete body");
    assert!(!text.ends_with('\n'));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[..2].iter().all(|l| serde_json::from_str::<Value>(l).is_ok()));
    assert!(serde_json::from_str::<Value>(lines[2]).is_err(), "{}", lines[2]);
    assert_eq!(common::jsonl(&h.results(&id).await.text().await.expect("text")).len(), 3);
}

#[tokio::test]
async fn unknown_processing_status_does_not_advance() {
    let h = Harness::start(ServerConfig { polls_until_ended: 0, ..ServerConfig::default() }).await;
    let id = h.create_ok(sample_requests(1)).await;
    h.server
        .add_fault(Fault::new(Route::Retrieve, FaultKind::UnknownProcessingStatus("paused".into())).times(2));
    for _ in 0..2 {
        let batch = h.retrieve_json(&id).await;
        assert_eq!(batch["processing_status"], "paused");
        assert_eq!(batch["id"], id.as_str());
    }
    assert_eq!(h.server.batch(&id).expect("batch")["processing_status"], "in_progress");
    assert_eq!(h.retrieve_json(&id).await["processing_status"], "ended");
}

#[tokio::test]
async fn redirect_points_at_the_same_path_elsewhere() {
    let h = Harness::default().await;
    let to = "http://127.0.0.1:9".to_owned();
    h.server.add_fault(Fault::new(Route::Any, FaultKind::Redirect { status: 307, to }));
    let http =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let response = http
        .get(h.url("/v1/messages/batches?limit=2"))
        .header("x-api-key", common::KEY)
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .expect("sends");
    assert_eq!(response.status(), 307);
    let location = response.headers().get("location").and_then(|v| v.to_str().ok());
    assert_eq!(location, Some("http://127.0.0.1:9/v1/messages/batches?limit=2"));
    assert_eq!(h.server.requests()[0].status, 307);
}
