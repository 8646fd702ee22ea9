//! The runtime against a loopback axum server. No test sleeps for real: every client caps its
//! sleeps with `max_retry_delay(Some(Duration::ZERO))`.

use arazzo_runtime::{Client, ClientBuilder, Error, ErrorKind, Method, Observer, Response, Run};
use arazzo_runtime::{RetryScheduled, Secret, StepStarted};
use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::any;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Records events as text.
#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn push(&self, event: String) {
        self.0.lock().expect("lock").push(event);
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().expect("lock"))
    }
}

impl Observer for Recorder {
    fn step_started(&self, e: &StepStarted<'_>) {
        self.push(format!("start {} {} {} #{}", e.step, e.method, e.url, e.attempt));
    }
    fn retry_scheduled(&self, e: &RetryScheduled<'_>) {
        let (reason, attempt, nominal, delay) = (e.reason, e.attempt, e.nominal, e.delay);
        self.push(format!("retry {reason:?} #{attempt} {nominal:?} -> {delay:?}"));
    }
}

/// Serves `app` on loopback; a client builder for source `api` with zero sleeps.
async fn serve(app: Router) -> (ClientBuilder, Arc<Recorder>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let rec = Arc::new(Recorder::default());
    let builder = Client::builder()
        .base_url("api", format!("http://{addr}/"))
        .max_retry_delay(Some(Duration::ZERO))
        .observer(rec.clone());
    (builder, rec)
}

/// A server answering 529 with `retry-after` to the first `fail` requests, then 200.
async fn flaky(fail: usize, retry_after: &'static str) -> (ClientBuilder, Arc<Recorder>, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let handler = move || async move {
        if counter.fetch_add(1, SeqCst) < fail {
            let status = StatusCode::from_u16(529).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            (status, [("retry-after", retry_after)], "overloaded").into_response()
        } else {
            r#"{"ok":true}"#.into_response()
        }
    };
    let (builder, rec) = serve(Router::new().route("/flaky", any(handler))).await;
    (builder, rec, hits)
}

async fn send(run: &mut Run, method: Method, path: &str) -> Result<Response, Error> {
    let req = run.request("s", "op", "api", method, path);
    run.send(req).await
}

#[tokio::test]
async fn get_is_retried_on_529_and_succeeds() {
    let (builder, rec, hits) = flaky(2, "0").await;
    let mut run = builder.build().expect("a client").run("w");
    let resp = send(&mut run, Method::GET, "/flaky").await.expect("send");
    assert_eq!((resp.status(), hits.load(SeqCst)), (200, 3));
    assert_eq!(resp.json_value(), Some(serde_json::json!({"ok": true})));
    assert_eq!(resp.header("Content-Type"), Some("text/plain; charset=utf-8"));
    let events = rec.take();
    assert_eq!(events[1], "retry Transport #1 0ns -> 0ns");
    assert_eq!(events[3], "retry Transport #2 0ns -> 0ns");
    assert!(events[4].starts_with("start s GET http://127.0.0.1:") && events[4].ends_with("/flaky #3"));
}

#[tokio::test]
async fn post_is_not_retried() {
    let (builder, rec, hits) = flaky(5, "0").await;
    let mut run = builder.build().expect("a client").run("w");
    let req = run.request("create", "createBatch", "api", Method::POST, "/flaky").json(&[1, 2]);
    let resp = run.send(req).await.expect("send");
    assert_eq!((resp.status(), hits.load(SeqCst), rec.take().len()), (529, 1, 1));
    let err = run.failed(&resp, &["$statusCode == 200"]);
    assert!(err.is_retryable());
    let expected = "workflow `w`, step `create` (operation `createBatch`), attempt 1: HTTP 529: \
                    criteria not met: $statusCode == 200; body: overloaded";
    assert_eq!(err.to_string(), expected);
}

#[tokio::test]
async fn max_retry_delay_caps_a_30_second_hint() {
    let (builder, rec, hits) = flaky(99, "30").await;
    let mut run = builder.transport_retries(1).build().expect("a client").run("w");
    let resp = send(&mut run, Method::GET, "/flaky").await.expect("send");
    assert_eq!((resp.status(), hits.load(SeqCst)), (529, 2));
    run.retry_after(&resp, "s", "waitAndRetry", 5.0).await;
    let retries: Vec<String> = rec.take().into_iter().filter(|e| e.starts_with("retry")).collect();
    assert_eq!(retries, ["retry Transport #1 30s -> 0ns", "retry Action(\"waitAndRetry\") #2 30s -> 0ns"]);
    let err = run.retry_limit_reached(&resp, "waitAndRetry", 3);
    assert_eq!(err.kind(), &ErrorKind::RetryLimitReached { action: "waitAndRetry", limit: 3 });
    assert_eq!(err.attempt(), 2);
}

#[tokio::test]
async fn step_budget_is_enforced() {
    let (builder, _, _) = flaky(0, "0").await;
    let client = builder.step_budget(3).build().expect("a client");
    let mut run = client.run("w");
    send(&mut run, Method::GET, "/flaky").await.expect("1");
    send(&mut run, Method::GET, "/flaky").await.expect("2");
    run.reenter("s").await.expect("3");
    let err = send(&mut run, Method::GET, "/flaky").await.expect_err("over budget");
    assert_eq!(err.kind(), &ErrorKind::StepBudgetExceeded { budget: 3 });
    assert_eq!((err.workflow(), err.step(), err.operation()), ("w", Some("s"), Some("op")));
    client.run("w").reenter("s").await.expect("a new run has a new budget");
}

#[tokio::test]
async fn secrets_never_appear_in_errors() {
    let echo = |headers: HeaderMap| async move {
        let h = |n| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        (
            StatusCode::UNAUTHORIZED,
            format!("{{\"bad key\":\"{}\",\"cookie\":\"{}\"}}", h("x-api-key"), h("cookie")),
        )
    };
    let (builder, _) = serve(Router::new().route("/echo", any(echo))).await;
    let mut run = builder.build().expect("a client").run("w");
    let key = Secret::new("sk-ant-very-secret");
    let req = run.request("s", "op", "api", Method::GET, "/echo").header("x-api-key", &key);
    let resp = run.send(req.cookie("session", &key).query("k", &key)).await.expect("send");
    assert!(resp.text().contains("sk-ant-very-secret"), "the server did see the key");
    assert!(!resp.url().contains("k=") && !format!("{resp:?}").contains("very-secret"));
    #[derive(Debug, serde::Deserialize)]
    struct Wrong {
        _id: u64,
    }
    for err in [run.failed(&resp, &["$statusCode == 200"]), resp.json::<Wrong>().expect_err("decode")] {
        let shown = format!("{err} | {err:?}");
        assert!(!shown.contains("very-secret"), "{shown}");
        assert!(err.body_excerpt().is_some_and(|b| b.contains("[redacted]")), "{shown}");
        assert_eq!(err.status(), Some(401));
    }
}

#[tokio::test]
async fn transport_errors_are_retried_then_reported() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("port").port();
    let rec = Arc::new(Recorder::default());
    let client = Client::builder()
        .base_url("api", format!("http://127.0.0.1:{port}"))
        .max_retry_delay(Some(Duration::ZERO))
        .observer(rec.clone())
        .build()
        .expect("a client");
    let mut run = client.run("w");
    let req = run.request("s", "op", "api", Method::GET, "/x").query("token", Secret::new("q-secret"));
    let err = run.send(req).await.expect_err("refused");
    assert_eq!((err.kind(), err.attempt(), err.status()), (&ErrorKind::Transport, 3, None));
    assert!(err.is_retryable() && std::error::Error::source(&err).is_some());
    let shown = format!("{err} {err:?}");
    assert!(
        shown.contains("GET http://127.0.0.1") && !shown.contains("q-secret") && !shown.contains("token")
    );
    assert_eq!(rec.take().iter().filter(|e| e.starts_with("retry")).count(), 2);
}

#[tokio::test]
async fn unknown_source_is_a_config_error() {
    let mut run = Client::builder().build().expect("a client").run("w");
    let err = send(&mut run, Method::GET, "/x").await.expect_err("config");
    assert!(
        matches!(err.kind(), ErrorKind::Config(m) if m.contains("`api`") && m.contains("base_url(\"api\""))
    );
    let client = Client::builder()
        .default_base_url("api", "http://a/")
        .base_url("api", "http://b")
        .build()
        .expect("a client");
    assert_eq!(client.base_url("api"), Some("http://b"));
    let client = Client::builder().default_base_url("api", "http://a/").build().expect("a client");
    assert_eq!(client.base_url("api"), Some("http://a/"));
}

#[tokio::test]
async fn request_parts_reach_the_server() {
    let echo = |uri: Uri, headers: HeaderMap, body: String| async move {
        let h = |n| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        format!("{uri}|{}|{}|{}|{body}", h("cookie"), h("content-type"), h("x-n"))
    };
    let (builder, _) = serve(Router::new().route("/e/{id}", any(echo))).await;
    let mut run = builder.build().expect("a client").run("w");
    let path = format!("/e/{}", arazzo_runtime::encode_path_segment("a b"));
    let req =
        run.request("s", "op", "api", Method::PUT, &path).query("q", "x y&z").query("skip", None::<i64>);
    let req = req.query("n", 5i64).header("x-n", Some(true)).cookie("a", "1").cookie("b", "2");
    let req = req.form(&serde_json::json!({"k": "v w", "n": 1, "z": null, "arr": [1]}));
    let text = run.send(req).await.expect("send").text();
    let expected = "/e/a%20b?q=x+y%26z&n=5|a=1; b=2|application/x-www-form-urlencoded|true|k=v+w&n=1&arr=1";
    assert_eq!(text, expected);
    let bad = run.request("s", "op", "api", Method::GET, "/e/1").header("x-bad", "a\nb");
    assert!(matches!(run.send(bad).await.map_err(|e| e.kind().clone()), Err(ErrorKind::InvalidInput(_))));
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
        axum::body::Body::from_stream(futures_util::StreamExt::chain(first, fail))
    };
    let (builder, _) = serve(Router::new().route("/good", any(good)).route("/broken", any(broken))).await;
    let mut run = builder.build().expect("a client").run("w");
    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Item {
        id: u32,
    }
    let resp =
        run.send_streaming(run.request("r", "results", "api", Method::GET, "/good")).await.expect("send");
    assert!(resp.bytes().is_empty());
    let items: Vec<Item> = resp.into_jsonl().try_collect().await.expect("items");
    assert_eq!(items, [Item { id: 1 }, Item { id: 2 }, Item { id: 3 }]);
    let buffered = send(&mut run, Method::GET, "/good").await.expect("send");
    assert_eq!(buffered.into_jsonl::<Item>().try_collect().await.map(|v| v.len()).ok(), Some(3));
    let resp =
        run.send_streaming(run.request("r", "results", "api", Method::GET, "/broken")).await.expect("send");
    let mut stream = resp.into_jsonl::<Item>();
    assert_eq!(stream.next_item().await.and_then(Result::ok), Some(Item { id: 1 }));
    let err = stream.next_item().await.and_then(Result::err).expect("transport error");
    assert_eq!(err.kind(), &ErrorKind::Transport, "{err}");
    assert!(stream.next_item().await.is_none());
}
