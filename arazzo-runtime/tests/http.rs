//! The runtime against a loopback axum server. No test sleeps for real: every client caps its
//! sleeps with `max_retry_delay(Some(Duration::ZERO))`.

use arazzo_runtime::{
    Client, ClientBuilder, ErrorKind, Method, Observer, RetryReason, RetryScheduled, Secret,
    StepStarted,
};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use bytes::Bytes;
use serde::Deserialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Hits = Arc<AtomicUsize>;

async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/")
}

/// Answers 529 with `retry-after: <header>` to the first `fail` requests, then 200.
fn flaky(hits: Hits, fail: usize, retry_after: &'static str) -> Router {
    let handler = move |State(hits): State<Hits>| async move {
        if hits.fetch_add(1, Ordering::SeqCst) < fail {
            (
                StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
                [("retry-after", retry_after)],
                "overloaded",
            )
                .into_response()
        } else {
            (StatusCode::OK, r#"{"ok":true}"#).into_response()
        }
    };
    Router::new().route("/flaky", any(handler)).with_state(hits)
}

#[derive(Default)]
struct Recorder {
    retries: Mutex<Vec<(RetryReason, u32, Duration, Duration)>>,
    starts: Mutex<Vec<String>>,
}

impl Observer for Recorder {
    fn step_started(&self, e: &StepStarted<'_>) {
        self.starts
            .lock()
            .expect("lock")
            .push(format!("{} {} {} #{}", e.step, e.method, e.url, e.attempt));
    }
    fn retry_scheduled(&self, e: &RetryScheduled<'_>) {
        self.retries
            .lock()
            .expect("lock")
            .push((e.reason, e.attempt, e.nominal, e.delay));
    }
}

fn builder(base: &str, rec: &Arc<Recorder>) -> ClientBuilder {
    Client::builder()
        .base_url("api", base)
        .max_retry_delay(Some(Duration::ZERO))
        .observer(rec.clone())
}

#[tokio::test]
async fn get_is_retried_on_529_and_succeeds() {
    let hits = Hits::default();
    let rec = Arc::new(Recorder::default());
    let client = builder(&serve(flaky(hits.clone(), 2, "0")).await, &rec).build();
    let mut run = client.run("w");
    let resp = run
        .send(run.request("poll", "getThing", "api", Method::GET, "/flaky"))
        .await
        .expect("send");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.json_value(), Some(serde_json::json!({"ok": true})));
    assert_eq!(hits.load(Ordering::SeqCst), 3);
    let retries = rec.retries.lock().expect("lock").clone();
    assert_eq!(
        retries,
        vec![
            (RetryReason::Transport, 1, Duration::ZERO, Duration::ZERO),
            (RetryReason::Transport, 2, Duration::ZERO, Duration::ZERO)
        ]
    );
    let starts = rec.starts.lock().expect("lock").clone();
    assert_eq!(
        starts.last().map(String::as_str),
        Some(
            format!(
                "poll GET {}flaky #3",
                client.base_url("api").unwrap_or_default()
            )
            .as_str()
        )
    );
}

#[tokio::test]
async fn post_is_not_retried() {
    let hits = Hits::default();
    let rec = Arc::new(Recorder::default());
    let client = builder(&serve(flaky(hits.clone(), 5, "0")).await, &rec).build();
    let mut run = client.run("w");
    let resp = run
        .send(
            run.request("create", "create", "api", Method::POST, "/flaky")
                .json(&serde_json::json!({})),
        )
        .await
        .expect("send");
    assert_eq!((resp.status(), hits.load(Ordering::SeqCst)), (529, 1));
    assert!(rec.retries.lock().expect("lock").is_empty());
    let err = run.failed(&resp, &["$statusCode == 200"]);
    assert!(err.is_retryable());
    assert_eq!(
        err.to_string(),
        "workflow `w`, step `create` (operation `create`), attempt 1: HTTP 529: criteria not met: $statusCode == 200; body: overloaded"
    );
}

#[tokio::test]
async fn max_retry_delay_caps_a_30_second_hint() {
    let hits = Hits::default();
    let rec = Arc::new(Recorder::default());
    let client = builder(&serve(flaky(hits.clone(), 99, "30")).await, &rec)
        .transport_retries(1)
        .build();
    let mut run = client.run("w");
    let resp = run
        .send(run.request("poll", "get", "api", Method::GET, "/flaky"))
        .await
        .expect("send");
    assert_eq!((resp.status(), hits.load(Ordering::SeqCst)), (529, 2));
    run.retry_after(&resp, "poll", "waitAndRetry", 5.0).await;
    let thirty = Duration::from_secs(30);
    let retries = rec.retries.lock().expect("lock").clone();
    assert_eq!(
        retries,
        vec![
            (RetryReason::Transport, 1, thirty, Duration::ZERO),
            (
                RetryReason::Action("waitAndRetry"),
                2,
                thirty,
                Duration::ZERO
            )
        ]
    );
    let err = run.retry_limit_reached(&resp, "waitAndRetry", 3);
    assert!(matches!(
        err.kind(),
        ErrorKind::RetryLimitReached {
            action: "waitAndRetry",
            limit: 3
        }
    ));
    assert_eq!(err.attempt(), 2);
}

#[tokio::test]
async fn step_budget_is_enforced() {
    let rec = Arc::new(Recorder::default());
    let client = builder(&serve(flaky(Hits::default(), 0, "0")).await, &rec)
        .step_budget(3)
        .build();
    let mut run = client.run("w");
    for _ in 0..2 {
        run.send(run.request("poll", "get", "api", Method::GET, "/flaky"))
            .await
            .expect("send");
    }
    run.reenter("poll").await.expect("third unit of the budget");
    let err = run
        .send(run.request("poll", "get", "api", Method::GET, "/flaky"))
        .await
        .expect_err("over budget");
    assert_eq!(err.kind(), &ErrorKind::StepBudgetExceeded { budget: 3 });
    assert_eq!(
        (err.step(), err.operation(), err.workflow()),
        (Some("poll"), Some("get"), "w")
    );
    let mut run = client.run("w");
    run.reenter("poll")
        .await
        .expect("a fresh run has a fresh budget");
}

#[tokio::test]
async fn secrets_never_appear_in_errors() {
    let echo = |headers: HeaderMap| async move {
        let key = headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        (
            StatusCode::UNAUTHORIZED,
            format!(
                r#"{{"error":"invalid x-api-key {key}","cookie":"{:?}"}}"#,
                headers.get("cookie")
            ),
        )
    };
    let rec = Arc::new(Recorder::default());
    let client = builder(&serve(Router::new().route("/echo", get(echo))).await, &rec).build();
    let mut run = client.run("w");
    let key = Secret::new("sk-ant-very-secret");
    let req = run
        .request("s", "op", "api", Method::GET, "/echo")
        .header("x-api-key", &key)
        .cookie("session", &key);
    let resp = run.send(req).await.expect("send");
    assert!(
        resp.text().contains("sk-ant-very-secret"),
        "the server did see the key"
    );
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        id: u64,
    }
    for err in [
        run.failed(&resp, &["$statusCode == 200"]),
        resp.json::<Wrong>().expect_err("decode"),
    ] {
        let shown = format!("{err} | {err:?} | {:?}", err.body_excerpt());
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(
            err.body_excerpt().is_some_and(|b| b.contains("[redacted]")),
            "{shown}"
        );
        assert_eq!(err.status(), Some(401));
    }
}

#[tokio::test]
async fn transport_errors_are_retried_then_reported() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let rec = Arc::new(Recorder::default());
    let client = builder(&format!("http://127.0.0.1:{port}"), &rec).build();
    let mut run = client.run("w");
    let req = run
        .request("s", "op", "api", Method::GET, "/x")
        .query("token", Secret::new("q-secret"));
    let err = run.send(req).await.expect_err("refused");
    assert_eq!(
        (err.kind(), err.attempt(), err.status()),
        (&ErrorKind::Transport, 3, None)
    );
    assert!(err.is_retryable());
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("GET http://127.0.0.1")
            && !shown.contains("q-secret")
            && !shown.contains("token"),
        "{shown}"
    );
    assert_eq!(rec.retries.lock().expect("lock").len(), 2);
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn unknown_source_is_a_config_error() {
    let mut run = Client::builder()
        .default_base_url("other", "http://127.0.0.1:9")
        .build()
        .run("w");
    let err = run
        .send(run.request("s", "op", "nowhere", Method::GET, "/x"))
        .await
        .expect_err("config");
    assert!(
        matches!(err.kind(), ErrorKind::Config(m) if m.contains("`nowhere`") && m.contains("base_url(\"nowhere\""))
    );
    let client = Client::builder()
        .default_base_url("api", "http://a/")
        .base_url("api", "http://b")
        .build();
    assert_eq!(client.base_url("api"), Some("http://b"));
}

#[tokio::test]
async fn request_parts_reach_the_server() {
    let echo = |uri: Uri, headers: HeaderMap, body: Bytes| async move {
        let h = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        format!(
            "{}|{}|{}|{}|{}",
            uri,
            h("cookie"),
            h("content-type"),
            h("x-n"),
            String::from_utf8_lossy(&body)
        )
    };
    let rec = Arc::new(Recorder::default());
    let client = builder(
        &serve(Router::new().route("/e/{id}", any(echo))).await,
        &rec,
    )
    .build();
    let mut run = client.run("w");
    let path = format!("/e/{}", arazzo_runtime::encode_path_segment("a b"));
    let req = run
        .request("s", "op", "api", Method::PUT, &path)
        .query("q", "x y&z")
        .query("skip", None::<i64>)
        .query("n", 5i64)
        .header("x-n", Some(true))
        .cookie("a", "1")
        .cookie("b", "2")
        .form(&serde_json::json!({"k": "v w", "n": 1, "z": null, "arr": [1]}));
    let text = run.send(req).await.expect("send").text();
    assert_eq!(
        text,
        "/e/a%20b?q=x+y%26z&n=5|a=1; b=2|application/x-www-form-urlencoded|true|k=v+w&n=1&arr=%5B1%5D"
    );
    let starts = rec.starts.lock().expect("lock").clone();
    assert!(starts[0].ends_with("/e/a%20b #1"), "{starts:?}");
}

#[tokio::test]
async fn jsonl_streams_and_reports_a_dropped_connection() {
    let good = || async { "{\"id\":1}\n\n{\"id\":2}\r\n{\"id\":3}" };
    let broken = || async {
        // The first chunk goes out with the headers; the connection breaks a little later.
        let first = futures_util::stream::iter([Ok("{\"id\":1}\n{\"id\"")]);
        let fail = futures_util::stream::once(async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            Err(std::io::Error::other("boom"))
        });
        Body::from_stream(futures_util::StreamExt::chain(first, fail))
    };
    let rec = Arc::new(Recorder::default());
    let app = Router::new()
        .route("/good", get(good))
        .route("/broken", get(broken));
    let client = builder(&serve(app).await, &rec).build();
    let mut run = client.run("w");
    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        id: u32,
    }
    let resp = run
        .send_streaming(run.request("r", "results", "api", Method::GET, "/good"))
        .await
        .expect("send");
    assert!(resp.bytes().is_empty());
    let items: Vec<Item> = resp.into_jsonl().try_collect().await.expect("items");
    assert_eq!(items, vec![Item { id: 1 }, Item { id: 2 }, Item { id: 3 }]);
    let buffered = run
        .send(run.request("r", "results", "api", Method::GET, "/good"))
        .await
        .expect("send");
    assert_eq!(
        buffered
            .into_jsonl::<Item>()
            .try_collect()
            .await
            .map(|v| v.len())
            .ok(),
        Some(3)
    );
    let resp = run
        .send_streaming(run.request("r", "results", "api", Method::GET, "/broken"))
        .await
        .expect("send");
    let mut stream = resp.into_jsonl::<Item>();
    assert_eq!(
        stream.next_item().await.and_then(Result::ok),
        Some(Item { id: 1 })
    );
    let err = stream
        .next_item()
        .await
        .and_then(Result::err)
        .expect("transport error");
    assert_eq!(err.kind(), &ErrorKind::Transport, "{err}");
    assert!(stream.next_item().await.is_none());
}
