//! Bounded waits against loopback servers that stall. Timeouts here are short; nothing asserts how
//! long anything took.

use arazzo_runtime::{Client, ErrorKind, Method, Run};
use axum::Router;
use axum::body::Body;
use axum::routing::any;
use futures_util::StreamExt;
use std::time::Duration;

const SHORT: Duration = Duration::from_millis(100);

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
        .max_retry_delay(Some(Duration::ZERO))
        .transport_retries(1)
        .build();
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
