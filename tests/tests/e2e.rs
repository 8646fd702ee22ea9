//! End-to-end tests: the committed generated code of the two seed workflows, run by `arazzo-runtime`
//! against the local `batches-server` over loopback.
//!
//! Every client caps sleeps with `max_retry_delay(Some(Duration::ZERO))` and `loop_pacing(ZERO)`, so
//! the 30 s `retryAfter` of the batch seed never makes a test wait; the observer test proves the
//! nominal delay is still 30 s.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arazzo_runtime::{
    Client, ClientBuilder, Error, ErrorKind, Observer, RetryReason, RetryScheduled, Secret, TracingObserver,
};
use batches_server::{Fault, FaultKind, LoggedRequest, Route, ServerConfig, TestServer};
use generated_example::generated::batch_process_and_retrieve_results::{
    self as batch_mod, batch_process_and_retrieve_results,
};
use generated_example::generated::cancel_and_confirm_batch::{self as cancel_mod, cancel_and_confirm_batch};
use serde_json::Value;

const BATCH_SOURCE: &str = "claudeApi";
const CANCEL_SOURCE: &str = "messageBatchesApi";
const KEY: &str = "sk-test-key";

async fn server(config: ServerConfig) -> TestServer {
    TestServer::start(config).await.expect("server starts")
}

fn builder(server: &TestServer, source: &str) -> ClientBuilder {
    Client::builder()
        .base_url(source, server.base_url())
        .max_retry_delay(Some(Duration::ZERO))
        .loop_pacing(Duration::ZERO)
}

fn requests(n: usize) -> Vec<Value> {
    batches_server::sample_requests(n).as_array().expect("sample requests are an array").clone()
}

fn batch_inputs(n: usize) -> batch_mod::batch_process_and_retrieve_results::Inputs {
    batch_inputs_with_key(n, KEY)
}

fn batch_inputs_with_key(n: usize, key: &str) -> batch_mod::batch_process_and_retrieve_results::Inputs {
    batch_mod::batch_process_and_retrieve_results::Inputs {
        api_key: Secret::new(key),
        anthropic_version: None,
        requests: requests(n),
    }
}

fn cancel_inputs(n: usize) -> cancel_mod::cancel_and_confirm_batch::Inputs {
    cancel_mod::cancel_and_confirm_batch::Inputs { api_key: Secret::new(KEY), requests: requests(n) }
}

fn config(polls: u32) -> ServerConfig {
    ServerConfig { polls_until_ended: polls, ..ServerConfig::default() }
}

/// (method, path, route) of every logged request.
fn sequence(log: &[LoggedRequest]) -> Vec<(String, String, Route)> {
    log.iter().map(|r| (r.method.clone(), r.path.clone(), r.route)).collect()
}

fn count(log: &[LoggedRequest], route: Route) -> usize {
    log.iter().filter(|r| r.route == route).count()
}

/// (step, reason, attempt, nominal, delay) of one `RetryScheduled` event.
type RetryEvent = (String, RetryReason, u32, Duration, Duration);

/// Records every `RetryScheduled` event.
#[derive(Default)]
struct RetryRecorder(Mutex<Vec<RetryEvent>>);

impl RetryRecorder {
    fn events(&self) -> Vec<RetryEvent> {
        self.0.lock().map(|v| v.clone()).unwrap_or_default()
    }
}

impl Observer for RetryRecorder {
    fn retry_scheduled(&self, e: &RetryScheduled<'_>) {
        if let Ok(mut v) = self.0.lock() {
            v.push((e.step.to_owned(), e.reason, e.attempt, e.nominal, e.delay));
        }
    }
}

#[tokio::test]
async fn batch_seed_happy_path() {
    let n = 3;
    let polls = 2;
    let server = server(config(polls)).await;
    let client = builder(&server, BATCH_SOURCE).build().expect("a client");
    let out = batch_process_and_retrieve_results(&client, batch_inputs(n)).await.expect("workflow succeeds");

    let log = server.requests();
    let id = out.batch_id.clone();
    assert!(id.starts_with("msgbatch_"), "{id}");
    let mut expected = vec![("POST".to_owned(), "/v1/messages/batches".to_owned(), Route::Create)];
    for _ in 0..=polls {
        expected.push(("GET".into(), format!("/v1/messages/batches/{id}"), Route::Retrieve));
    }
    expected.push(("GET".into(), format!("/v1/messages/batches/{id}/results"), Route::Results));
    assert_eq!(sequence(&log), expected);
    for r in &log {
        assert_eq!(r.header("x-api-key"), Some(KEY), "{r:?}");
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"), "{r:?}");
        assert_eq!(r.status, 200, "{r:?}");
    }
    // The create body carries the requests input.
    assert_eq!(log[0].body.as_ref().map(|b| b["requests"].clone()), Some(batches_server::sample_requests(n)));

    let counts = &out.request_counts;
    assert_eq!(
        (counts.processing, counts.succeeded, counts.errored, counts.canceled, counts.expired),
        (0, n as i64, 0, 0, 0)
    );
    let url = out.results_url.clone().expect("results_url once ended");
    assert_eq!(url, format!("{}/v1/messages/batches/{id}/results", server.base_url()));

    let items = out.results.try_collect().await.expect("results stream");
    let mut ids: Vec<String> = items.iter().map(|i| i.custom_id.clone()).collect();
    ids.sort();
    assert_eq!(ids, ["req-0", "req-1", "req-2"]);
    for item in &items {
        assert!(
            matches!(
                item.result,
                generated_example::generated::batch_process_and_retrieve_results::types::MessageBatchResult::Succeeded(_)
            ),
            "{item:?}"
        );
    }
}

#[tokio::test]
async fn batch_seed_custom_anthropic_version_is_sent() {
    let server = server(config(0)).await;
    let client = builder(&server, BATCH_SOURCE).build().expect("a client");
    let mut inputs = batch_inputs(1);
    inputs.anthropic_version = Some("2099-01-01".into());
    // The server may reject an unknown version; either way the header must be what we asked for.
    let _ = batch_process_and_retrieve_results(&client, inputs).await;
    let log = server.requests();
    assert!(!log.is_empty());
    for r in &log {
        assert_eq!(r.header("anthropic-version"), Some("2099-01-01"), "{r:?}");
    }
}

#[tokio::test]
async fn poll_retries_are_scheduled_30s_but_capped_to_zero() {
    let polls = 4;
    let server = server(config(polls)).await;
    let rec = Arc::new(RetryRecorder::default());
    let client = builder(&server, BATCH_SOURCE).observer(rec.clone()).build().expect("a client");
    let started = Instant::now();
    batch_process_and_retrieve_results(&client, batch_inputs(2)).await.expect("workflow succeeds");
    let events = rec.events();
    assert_eq!(events.len(), polls as usize, "{events:?}");
    for (i, (step, reason, attempt, nominal, delay)) in events.iter().enumerate() {
        assert_eq!(step, "pollBatchStatus");
        assert_eq!(*reason, RetryReason::Action("retryWhileProcessing"));
        assert_eq!(*attempt, i as u32 + 1);
        assert_eq!(*nominal, Duration::from_secs(30));
        assert_eq!(*delay, Duration::ZERO);
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// 2880 Arazzo retries, then `RetryLimitReached`. The retrieve never reports `ended` because every
/// retrieve is answered with an unknown processing status (faulted retrieves do not count as polls).
#[tokio::test]
async fn retry_limit_reached_after_2880_retries() {
    let server = server(ServerConfig {
        polls_until_ended: 0,
        faults: vec![
            Fault::new(Route::Retrieve, FaultKind::UnknownProcessingStatus("still_thinking".into()))
                .times(5000),
        ],
        ..ServerConfig::default()
    })
    .await;
    let client = builder(&server, BATCH_SOURCE).build().expect("a client");
    let started = Instant::now();
    let err = batch_process_and_retrieve_results(&client, batch_inputs(1)).await.expect_err("never ends");
    let took = started.elapsed();
    assert_eq!(
        err.kind(),
        &ErrorKind::RetryLimitReached { action: "retryWhileProcessing", limit: 2880 },
        "{err}"
    );
    assert_eq!(err.step(), Some("pollBatchStatus"));
    assert_eq!(err.status(), Some(200));
    assert_eq!(err.attempt(), 2881);
    let log = server.requests();
    assert_eq!(count(&log, Route::Create), 1);
    assert_eq!(count(&log, Route::Retrieve), 2881);
    assert_eq!(count(&log, Route::Results), 0);
    eprintln!("2881 loopback polls took {took:?}");
}

#[tokio::test]
async fn cancel_seed_happy_path() {
    let n = 3;
    let cancel_polls = 3;
    let server = server(ServerConfig {
        polls_until_ended: 1000,
        cancel_polls_until_ended: cancel_polls,
        ..ServerConfig::default()
    })
    .await;
    let client = builder(&server, CANCEL_SOURCE).build().expect("a client");
    let out = cancel_and_confirm_batch(&client, cancel_inputs(n)).await.expect("workflow succeeds");
    let id = out.batch_id.clone();
    let mut expected = vec![
        ("POST".to_owned(), "/v1/messages/batches".to_owned(), Route::Create),
        ("POST".into(), format!("/v1/messages/batches/{id}/cancel"), Route::Cancel),
    ];
    for _ in 0..=cancel_polls {
        expected.push(("GET".into(), format!("/v1/messages/batches/{id}"), Route::Retrieve));
    }
    let log = server.requests();
    assert_eq!(sequence(&log), expected);
    for r in &log {
        assert_eq!(r.header("x-api-key"), Some(KEY));
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(r.status, 200);
    }
    assert_eq!(out.processing_status.as_str(), "ended");
    let c = &out.request_counts;
    assert_eq!((c.processing, c.succeeded, c.errored, c.canceled, c.expired), (0, 0, 0, n as i64, 0));
}

#[tokio::test]
async fn fault_529_with_retry_after_on_poll_is_retried() {
    let server = server(config(1)).await;
    server.add_fault(Fault::new(
        Route::Retrieve,
        FaultKind::Status { status: 529, retry_after: Some("0".into()) },
    ));
    let rec = Arc::new(RetryRecorder::default());
    let client = builder(&server, BATCH_SOURCE).observer(rec.clone()).build().expect("a client");
    batch_process_and_retrieve_results(&client, batch_inputs(1))
        .await
        .expect("transport retry survives the 529");
    let log = server.requests();
    let statuses: Vec<u16> = log.iter().filter(|r| r.route == Route::Retrieve).map(|r| r.status).collect();
    assert_eq!(statuses, [529, 200, 200]);
    let events = rec.events();
    let transport: Vec<_> = events.iter().filter(|e| e.1 == RetryReason::Transport).collect();
    assert_eq!(transport.len(), 1, "{events:?}");
    assert_eq!(transport[0].3, Duration::ZERO, "retry-after: 0 is the nominal delay");
}

#[tokio::test]
async fn fault_529_on_create_is_not_retried() {
    let server = server(config(0)).await;
    server.add_fault(Fault::new(
        Route::Create,
        FaultKind::Status { status: 529, retry_after: Some("0".into()) },
    ));
    let client = builder(&server, BATCH_SOURCE).build().expect("a client");
    let err =
        batch_process_and_retrieve_results(&client, batch_inputs(1)).await.expect_err("POST is not retried");
    assert_eq!(err.status(), Some(529));
    assert_eq!(err.kind(), &ErrorKind::CriteriaFailed { criteria: vec!["$statusCode == 200"] });
    assert!(err.to_string().contains("$statusCode == 200"), "{err}");
    assert_eq!(err.step(), Some("submitBatch"));
    assert_eq!(err.operation(), Some("createMessageBatch"));
    assert!(err.is_retryable());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn fault_500_on_poll_without_transport_retries_fails() {
    let server = server(config(1)).await;
    server.add_fault(Fault::status(Route::Retrieve, 500));
    let client = builder(&server, BATCH_SOURCE).transport_retries(0).build().expect("a client");
    let err =
        batch_process_and_retrieve_results(&client, batch_inputs(1)).await.expect_err("500 not retried");
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.kind(), &ErrorKind::CriteriaFailed { criteria: vec!["$statusCode == 200"] });
    assert_eq!(err.step(), Some("pollBatchStatus"));
    assert!(err.body_excerpt().is_some_and(|b| b.contains("api_error")), "{err}");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn fault_drop_connection_on_poll_is_retried() {
    let server = server(config(1)).await;
    server.add_fault(Fault::new(Route::Retrieve, FaultKind::DropConnection));
    let client = builder(&server, BATCH_SOURCE).build().expect("a client");
    let out = batch_process_and_retrieve_results(&client, batch_inputs(2))
        .await
        .expect("GET retried after the dropped connection");
    assert_eq!(out.request_counts.succeeded, 2);
    let log = server.requests();
    // 1 dropped + 2 real polls (the dropped one is not counted as a poll by the server).
    assert_eq!(count(&log, Route::Retrieve), 3);
    assert_eq!(out.results.try_collect().await.map(|v| v.len()).ok(), Some(2));
}

/// A 200 poll whose body is not JSON fails the step with a typed decode error naming the step and
/// status (the success path needs the typed body), instead of being read as "still processing".
#[tokio::test]
async fn fault_malformed_json_on_poll_gives_decode_error() {
    let server = server(config(1)).await;
    server.add_fault(Fault::new(Route::Retrieve, FaultKind::MalformedJson));
    let client = builder(&server, BATCH_SOURCE).build().expect("a client");
    let err = batch_process_and_retrieve_results(&client, batch_inputs(1)).await.expect_err("malformed body");
    assert!(matches!(err.kind(), ErrorKind::Decode), "{err}");
    assert_eq!(err.step(), Some("pollBatchStatus"));
    assert_eq!(err.status(), Some(200));
    assert_eq!(count(&server.requests(), Route::Retrieve), 1);
}

/// A malformed 200 on the create step is a decode error on `submitBatch`; nothing else is sent.
#[tokio::test]
async fn fault_malformed_json_on_create_gives_typed_error() {
    let server = server(config(0)).await;
    server.add_fault(Fault::new(Route::Create, FaultKind::MalformedJson));
    let client = builder(&server, BATCH_SOURCE).build().expect("a client");
    let err = batch_process_and_retrieve_results(&client, batch_inputs(1)).await.expect_err("no batch id");
    assert!(matches!(err.kind(), ErrorKind::Decode), "{err}");
    assert_eq!(err.step(), Some("submitBatch"));
    assert_eq!(err.status(), Some(200));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn fault_truncated_jsonl_yields_jsonl_error() {
    let n = 3;
    let server = server(config(0)).await;
    server.add_fault(Fault::new(Route::Results, FaultKind::TruncatedJsonl));
    let client = builder(&server, BATCH_SOURCE).build().expect("a client");
    let mut out =
        batch_process_and_retrieve_results(&client, batch_inputs(n)).await.expect("the stream opens");
    let mut ok = 0;
    let mut err: Option<Error> = None;
    while let Some(item) = out.results.next_item().await {
        match item {
            Ok(_) => ok += 1,
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    let err = err.expect("the cut line is an error");
    assert_eq!(ok, n - 1);
    assert_eq!(err.kind(), &ErrorKind::Jsonl { line: n }, "{err}");
    assert!(out.results.next_item().await.is_none(), "the stream ends after an error");
}

#[tokio::test]
async fn fault_slow_poll_times_out() {
    let server = server(config(1)).await;
    server.add_fault(Fault::new(Route::Retrieve, FaultKind::Slow(Duration::from_millis(800))));
    let client = builder(&server, BATCH_SOURCE)
        .timeout(Duration::from_millis(150))
        .transport_retries(0)
        .build()
        .expect("a client");
    let err = batch_process_and_retrieve_results(&client, batch_inputs(1)).await.expect_err("timeout");
    assert_eq!(err.kind(), &ErrorKind::Timeout, "{err}");
    assert_eq!(err.step(), Some("pollBatchStatus"));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn fault_slow_poll_is_retried_when_allowed() {
    let server = server(config(1)).await;
    server.add_fault(Fault::new(Route::Retrieve, FaultKind::Slow(Duration::from_millis(800))));
    let client =
        builder(&server, BATCH_SOURCE).timeout(Duration::from_millis(150)).build().expect("a client");
    batch_process_and_retrieve_results(&client, batch_inputs(1)).await.expect("the timed-out GET is retried");
}

#[tokio::test]
async fn step_budget_stops_cancel_loop() {
    let server = server(ServerConfig {
        polls_until_ended: 1000,
        cancel_polls_until_ended: 1000,
        ..ServerConfig::default()
    })
    .await;
    let client = builder(&server, CANCEL_SOURCE).step_budget(3).build().expect("a client");
    let err = cancel_and_confirm_batch(&client, cancel_inputs(1)).await.expect_err("budget");
    assert_eq!(err.kind(), &ErrorKind::StepBudgetExceeded { budget: 3 }, "{err}");
    assert_eq!(err.step(), Some("confirmCanceled"));
    // create, cancel, one retrieve; the re-entry is the 4th unit.
    assert_eq!(server.requests().len(), 3);
}

#[tokio::test]
async fn dropping_the_future_stops_requests() {
    let server = server(config(u32::MAX)).await;
    let client = builder(&server, BATCH_SOURCE).build().expect("a client");
    let run = batch_process_and_retrieve_results(&client, batch_inputs(1));
    let timed = tokio::time::timeout(Duration::from_millis(150), run).await;
    assert!(timed.is_err(), "never ends");
    // Let a request already on the wire reach the log.
    tokio::time::sleep(Duration::from_millis(30)).await;
    let before = server.requests().len();
    assert!(before > 2, "it was polling: {before}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.requests().len(), before);
}

#[tokio::test]
async fn aborting_a_spawned_run_stops_requests() {
    let server = server(config(u32::MAX)).await;
    let client = builder(&server, BATCH_SOURCE).build().expect("a client");
    let task =
        tokio::spawn(async move { batch_process_and_retrieve_results(&client, batch_inputs(1)).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    task.abort();
    assert!(task.await.is_err_and(|e| e.is_cancelled()));
    tokio::time::sleep(Duration::from_millis(30)).await;
    let before = server.requests().len();
    assert!(before > 2);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(server.requests().len(), before);
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Write for Buf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(data);
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One global subscriber writing every event (TRACE and up, all tests, all threads) to a buffer.
///
/// A thread-local `set_default` is not reliable here: tests run in parallel and `tracing` caches
/// callsite interest globally, so an event first hit by another test thread could be filtered out.
fn trace_buffer() -> Buf {
    static BUF: std::sync::OnceLock<Buf> = std::sync::OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("only this test sets one");
        buf
    })
    .clone()
}

#[tokio::test]
async fn secret_never_leaks() {
    const SECRET: &str = "sk-test-SECRET-123";
    let buf = trace_buffer();
    let server = server(ServerConfig { api_key: Some("sk-test-the-right-one".into()), ..config(0) }).await;
    let client =
        builder(&server, BATCH_SOURCE).observer(Arc::new(TracingObserver)).build().expect("a client");
    let err =
        batch_process_and_retrieve_results(&client, batch_inputs_with_key(1, SECRET)).await.expect_err("401");
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.kind(), &ErrorKind::CriteriaFailed { criteria: vec!["$statusCode == 200"] });
    let log = server.requests();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].header("x-api-key"), Some(SECRET), "the key was sent");

    let display = err.to_string();
    let debug = format!("{err:?}");
    let alt = format!("{err:#?}");
    let excerpt = err.body_excerpt().unwrap_or_default().to_owned();
    let traced = String::from_utf8_lossy(&buf.0.lock().map(|v| v.clone()).unwrap_or_default()).into_owned();
    assert!(
        traced.lines().any(|l| l.contains("step finished") && l.contains("status=401")),
        "the observer logged this run"
    );
    for (what, text) in [
        ("Display", &display),
        ("Debug", &debug),
        ("Debug alt", &alt),
        ("excerpt", &excerpt),
        ("tracing", &traced),
    ] {
        assert!(!text.contains(SECRET), "{what} leaks the key: {text}");
        assert!(!text.contains("SECRET-123"), "{what} leaks part of the key");
    }
}
