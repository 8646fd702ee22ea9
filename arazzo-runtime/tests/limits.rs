//! Bounded waits and bodies against loopback servers that stall or never stop talking. Timeouts
//! and limits here are small; nothing asserts how long anything took.

use arazzo_runtime::{Client, ErrorKind, Method, Run};
use axum::Router;
use axum::body::Body;
use axum::routing::any;
use futures_util::StreamExt;
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(100);
const LIMIT: usize = 64 << 10;

/// A body that never ends: `chunk` forever.
fn endless(chunk: &'static [u8]) -> Body {
    Body::from_stream(futures_util::stream::repeat_with(move || Ok::<_, std::io::Error>(chunk)))
}

/// A server that accepts connections and never answers.
async fn silent() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    url
}

/// Serves `app` on loopback.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn run(url: &str) -> Run {
    let client = Client::builder()
        .base_url("api", url)
        .timeout(SHORT)
        .max_body_bytes(LIMIT)
        .max_line_bytes(LIMIT)
        .max_retry_delay(Some(Duration::ZERO))
        .transport_retries(1)
        .build()
        .expect("a client");
    client.run("w")
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_retryable_timeout() {
    let url = silent().await;
    let mut run = run(&url);
    let get = run.request("s", "op", "api", Method::GET, "/x");
    let err = run.send(get).await.expect_err("no answer");
    assert_eq!((err.kind(), err.attempt(), err.status()), (&ErrorKind::Timeout, 2, None), "{err}");
    assert!(err.is_retryable() && err.to_string().contains("request timed out: GET http://127.0.0.1"));

    let post = run.request("p", "op", "api", Method::POST, "/x").json(&1);
    let err = run.send(post).await.expect_err("no answer");
    assert_eq!((err.kind(), err.attempt()), (&ErrorKind::Timeout, 1), "a POST is not sent twice");

    let streamed = run.request("r", "op", "api", Method::GET, "/x");
    let err = run.send_streaming(streamed).await.expect_err("no headers");
    assert_eq!(err.kind(), &ErrorKind::Timeout);
}

#[tokio::test]
async fn a_streamed_body_that_stalls_times_out() {
    let stalls = || async {
        let first = futures_util::stream::iter([Ok::<_, std::io::Error>("{\"id\":1}\n")]);
        Body::from_stream(first.chain(futures_util::stream::pending()))
    };
    let url = serve(Router::new().route("/results", any(stalls))).await;
    let mut run = run(&url);
    let req = run.request("r", "op", "api", Method::GET, "/results");
    let mut items = run.send_streaming(req).await.expect("headers").into_jsonl::<serde_json::Value>();
    assert_eq!(items.next_item().await.and_then(Result::ok), Some(serde_json::json!({"id": 1})));
    let err = items.next_item().await.and_then(Result::err).expect("a timeout");
    assert_eq!(err.kind(), &ErrorKind::Timeout, "{err}");

    let req = run.request("s", "op", "api", Method::GET, "/results");
    let err = run.send(req).await.expect_err("a buffered body must end in time");
    assert_eq!((err.kind(), err.attempt()), (&ErrorKind::Timeout, 2), "{err}");
}

#[tokio::test]
async fn an_endless_body_is_cut_at_the_limit() {
    let endless_json = || async { ([("content-type", "application/json")], endless(&[b' '; 4096])) };
    // Announces more than it sends: only the announcement can make this "too large".
    let declared = || async {
        let short = futures_util::stream::iter([Ok::<_, std::io::Error>("[]")]);
        ([("content-length", "1000000000")], Body::from_stream(short.chain(futures_util::stream::pending())))
    };
    let endless_line = || async { endless(b"{\"id\":1,") };
    let app = Router::new()
        .route("/json", any(endless_json))
        .route("/declared", any(declared))
        .route("/jsonl", any(endless_line));
    let url = serve(app).await;
    // Were the limits not enforced, these requests would end in a timeout.
    let client = Client::builder()
        .base_url("api", &url)
        .timeout(Duration::from_secs(5))
        .max_body_bytes(LIMIT)
        .max_line_bytes(LIMIT)
        .build()
        .expect("a client");
    let mut run = client.run("w");
    for path in ["/json", "/declared"] {
        let err = run.send(run.request("s", "op", "api", Method::GET, path)).await.expect_err("too large");
        assert_eq!((err.kind(), err.status()), (&ErrorKind::BodyTooLarge { limit: LIMIT }, Some(200)));
        assert!(!err.is_retryable(), "sending it again would not help");
        assert!(
            err.to_string().contains("larger than 65536 bytes (see ClientBuilder::max_body_bytes)"),
            "{err}"
        );
    }
    let req = run.request("r", "op", "api", Method::GET, "/jsonl");
    let mut items = run.send_streaming(req).await.expect("headers").into_jsonl::<serde_json::Value>();
    let err = items.next_item().await.and_then(Result::err).expect("too long");
    assert_eq!(err.kind(), &ErrorKind::LineTooLong { line: 1, limit: LIMIT });
    assert!(items.next_item().await.is_none());
}

#[tokio::test]
async fn requests_in_flight_are_bounded_per_client() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
    let (now, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (n, m) = (now.clone(), most.clone());
    let slow = move || {
        let (now, most) = (n.clone(), m.clone());
        async move {
            most.fetch_max(now.fetch_add(1, SeqCst) + 1, SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            now.fetch_sub(1, SeqCst);
            "{}"
        }
    };
    let url = serve(Router::new().route("/slow", any(slow))).await;
    let client =
        Client::builder().base_url("api", &url).max_concurrent_requests(2).build().expect("a client");
    let sends = (0..8).map(|_| {
        let mut run = client.run("w");
        async move { run.send(run.request("s", "op", "api", Method::GET, "/slow")).await.map(|r| r.status()) }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| matches!(s, Ok(200))), "{statuses:?}");
    assert!(most.load(SeqCst) <= 2, "{} requests at once", most.load(SeqCst));
}
