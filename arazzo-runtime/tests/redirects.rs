//! Redirects against two loopback origins: the step's server, which redirects, and another one,
//! which records what reaches it. A secret must never arrive at the other origin.

use arazzo_runtime::{Client, ClientBuilder, Method, Redirects, Secret};
use axum::Router;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::IntoResponse;
use axum::routing::any;
use std::sync::{Arc, Mutex};

const KEY: &str = "sk-ant-stay-home";

/// Every request an origin received: its URI and headers, as text.
type Log = Arc<Mutex<Vec<String>>>;

/// Serves on `127.0.0.1`: `/to?url=U&...` answers `307 Location: U`; every other path answers 200
/// with the text of its request. Returns the base URL and the log.
async fn origin() -> (String, Log) {
    let log = Log::default();
    let seen = log.clone();
    let handler = move |uri: Uri, headers: HeaderMap| {
        let seen = seen.clone();
        async move {
            let text = format!("{uri} {headers:?}");
            seen.lock().expect("log").push(text.clone());
            let to = uri.query().and_then(|q| q.split('&').next()?.strip_prefix("url="));
            match to.filter(|_| uri.path() == "/to") {
                Some(to) => (StatusCode::TEMPORARY_REDIRECT, [("location", to.to_owned())]).into_response(),
                None => text.into_response(),
            }
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, Router::new().fallback(any(handler))).await });
    (url, log)
}

fn client(base: &str, configure: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Client {
    configure(Client::builder().base_url("api", base).transport_retries(0)).build().expect("a client")
}

/// Sends a POST with the key in a header, the query and a cookie, to `/to?url={to}`.
async fn post_redirected(client: &Client, to: &str) -> arazzo_runtime::Response {
    let mut run = client.run("w");
    let key = Secret::new(KEY);
    let req = run
        .request("s", "createBatch", "api", Method::POST, &format!("/to?url={to}"))
        .header("x-api-key", &key)
        .query("key", &key)
        .cookie("session", &key)
        .json(&serde_json::json!({"a": 1}));
    run.send(req).await.expect("a response")
}

#[tokio::test]
async fn a_redirect_to_another_origin_is_the_steps_response_and_carries_no_secret() {
    let (home, home_log) = origin().await;
    let (other, other_log) = origin().await;
    let client = client(&home, |b| b);
    let resp = post_redirected(&client, &format!("{other}/landing?x=1")).await;
    assert_eq!(resp.status(), 307);
    assert_eq!(resp.header("location"), Some(&*format!("{other}/landing?x=1")));
    assert_eq!(home_log.lock().expect("log").len(), 1);
    assert!(other_log.lock().expect("log").is_empty(), "the other origin was contacted");

    let run = client.run("w");
    let err = run.failed(&resp, &["$statusCode == 200"]);
    assert_eq!(err.location(), Some(&*format!("{other}/landing")));
    let shown = format!("{err} | {err:?}");
    assert!(shown.contains(&format!("redirect to {other}/landing not followed")), "{shown}");
    assert!(!shown.contains(KEY), "{shown}");
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed_with_the_secret() {
    let (home, home_log) = origin().await;
    let client = client(&home, |b| b);
    // A relative Location is resolved against the request URL: same origin.
    let resp = post_redirected(&client, "/landing").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.text().starts_with("/landing ") && resp.text().contains(KEY), "{}", resp.text());
    assert_eq!(home_log.lock().expect("log").len(), 2);
}

#[tokio::test]
async fn the_same_port_under_another_host_name_is_another_origin() {
    let (home, home_log) = origin().await;
    let other = home.replace("127.0.0.1", "localhost");
    let resp = post_redirected(&client(&home, |b| b), &format!("{other}/landing")).await;
    assert_eq!(resp.status(), 307);
    // Followed, the request would have reached this very server a second time.
    assert_eq!(home_log.lock().expect("log").len(), 1);
}

#[tokio::test]
async fn redirects_can_be_turned_off_or_bounded() {
    let (home, home_log) = origin().await;
    let off = client(&home, |b| b.redirects(Redirects::None));
    assert_eq!(post_redirected(&off, "/landing").await.status(), 307);
    assert_eq!(home_log.lock().expect("log").len(), 1);

    // Each hop redirects to the next: `/to?url=/to?url=/landing` takes two redirects.
    let one = client(&home, |b| b.redirects(Redirects::SameOrigin { max: 1 }));
    let resp = post_redirected(&one, "/to?url=/landing").await;
    assert_eq!(resp.status(), 307);
    assert_eq!(resp.header("location"), Some("/landing"));
    let two = client(&home, |b| b.redirects(Redirects::SameOrigin { max: 2 }));
    assert_eq!(post_redirected(&two, "/to?url=/landing").await.status(), 200);
}

#[tokio::test]
async fn a_given_reqwest_builder_gets_the_policy_too() {
    let (home, _) = origin().await;
    let (other, other_log) = origin().await;
    // reqwest's own default would follow.
    let client = client(&home, |b| b.http_client(reqwest::Client::builder()));
    assert_eq!(post_redirected(&client, &format!("{other}/landing")).await.status(), 307);
    assert!(other_log.lock().expect("log").is_empty());
}
