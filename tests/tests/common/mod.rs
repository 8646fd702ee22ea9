//! A scripted HTTP server on loopback for tests of generated code: it records every request and
//! answers with a closure. Shared by `corpus_api.rs` and `torture.rs`.

#![allow(dead_code)] // Each test crate uses a part.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arazzo_runtime::Client;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub headers: HeaderMap,
    pub body: String,
}

impl Recorded {
    /// `"GET /path"`: method and path, without the query.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON request body")
    }
}

/// Status, extra headers, body.
pub type Reply = (u16, Vec<(&'static str, String)>, String);

pub fn json_reply(status: u16, body: Value) -> Reply {
    (status, vec![("content-type", "application/json".into())], body.to_string())
}

#[derive(Clone)]
struct Shared {
    log: Arc<Mutex<Vec<Recorded>>>,
    respond: Arc<dyn Fn(&Recorded) -> Reply + Send + Sync>,
}

/// A server on 127.0.0.1 that records every request and answers with `respond`. It stops with
/// the test's runtime.
pub struct Server {
    pub url: String,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    pub async fn start(respond: impl Fn(&Recorded) -> Reply + Send + Sync + 'static) -> Server {
        let log = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared { log: Arc::clone(&log), respond: Arc::new(respond) };
        let app = Router::new().fallback(record).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
        Server { url, log }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().expect("request log").clone()
    }

    /// `"METHOD /path"` of every request, in order.
    pub fn lines(&self) -> Vec<String> {
        self.requests().iter().map(Recorded::line).collect()
    }
}

async fn record(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let path = uri.path().to_owned();
    let query = uri.query().map(str::to_owned);
    let req = Recorded { method: method.to_string(), path, query, headers, body };
    s.log.lock().expect("request log").push(req.clone());
    let (status, headers, body) = (s.respond)(&req);
    let mut resp = (StatusCode::from_u16(status).expect("a valid status"), body).into_response();
    for (name, value) in headers {
        resp.headers_mut().insert(name, value.parse().expect("a valid header value"));
    }
    resp
}

/// A client whose sources all point at `url`, which never waits.
pub fn client(sources: &[&str], url: &str, budget: u32) -> Client {
    let mut b = Client::builder()
        .max_retry_delay(Some(Duration::ZERO))
        .loop_pacing(Duration::ZERO)
        .transport_retries(0)
        .step_budget(budget);
    for source in sources {
        b = b.base_url(source, url);
    }
    b.build().expect("a client")
}

/// Counts calls of a responder (for "first answer X, then Y" scripts).
pub fn counter() -> impl Fn() -> usize {
    let n = AtomicUsize::new(0);
    move || n.fetch_add(1, Ordering::SeqCst)
}
