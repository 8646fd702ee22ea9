//! A local implementation of the Anthropic Message Batches API for end-to-end tests and examples.
//!
//! [`TestServer`] serves the six `/v1/messages/batches` endpoints (and a small Files API whose
//! `multipart/form-data` uploads it keeps as received: [`TestServer::uploads`]) over loopback HTTP with the real wire shapes
//! (field names, status codes, error envelopes and messages), a deterministic lifecycle driven by polls (or
//! time), scripted [`Fault`]s and a log of every request.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use batches_server::{Fault, Route, ServerConfig, TestServer};
//!
//! let server = TestServer::start(ServerConfig { polls_until_ended: 1, ..ServerConfig::default() }).await?;
//! server.add_fault(Fault::status(Route::Retrieve, 529));
//! println!("{}", server.base_url());
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! Lifecycle: a created batch is `in_progress` with every request counted as `processing`. Each retrieve of the
//! batch counts one poll; the first `polls_until_ended` retrieves answer `in_progress` and the next one ends the
//! batch (`0`: the first retrieve sees `ended`). A cancel moves an `in_progress` batch to `canceling`; the first
//! `cancel_polls_until_ended` retrieves after it answer `canceling`, the next one ends it with every request
//! `canceled`. With `processing_time`, a batch also ends once that much time has passed since its creation (or,
//! when canceling, since the cancel), checked on every access. Requests whose `params` are invalid end as
//! `errored` lines; the others succeed with a canned assistant message.

#![warn(missing_docs)]

mod faults;
mod files;
mod log;
mod model;
mod routes;
mod state;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime};

use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use faults::{Fault, FaultKind};
pub use files::{UploadedFile, UploadedPart};
pub use log::LoggedRequest;
pub use routes::{Route, router};
pub use state::AppState;

/// How a server behaves: authentication, lifecycle pace and faults.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// `None`: any non-empty `x-api-key` is accepted; `Some(key)`: only `key` (401 otherwise).
    pub api_key: Option<String>,
    /// Retrieves of a batch answered `in_progress` before it ends; `0` ends it on the first retrieve.
    pub polls_until_ended: u32,
    /// Retrieves after a cancel answered `canceling` before the batch ends.
    pub cancel_polls_until_ended: u32,
    /// Also end a batch once this much time has passed since creation (or since the cancel), whichever is first.
    pub processing_time: Option<Duration>,
    /// Faults active from the start, in order.
    pub faults: Vec<Fault>,
    /// The `content-type` of batch results (`application/x-jsonl`, as the API sends them; some
    /// descriptions declare `application/binary`).
    pub results_content_type: String,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            api_key: None,
            polls_until_ended: 3,
            cancel_polls_until_ended: 2,
            processing_time: None,
            faults: Vec::new(),
            results_content_type: "application/x-jsonl".into(),
        }
    }
}

/// A running server on a loopback port. Shut it down with [`TestServer::shutdown`]; dropping it also stops
/// accepting connections (without waiting).
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    base_url: String,
    state: AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Starts a server on `127.0.0.1` with an ephemeral port.
    pub async fn start(config: ServerConfig) -> std::io::Result<TestServer> {
        Self::start_on(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await
    }

    /// Starts a server on `addr` (port `0` picks a free port). Must be called inside a Tokio runtime.
    pub async fn start_on(config: ServerConfig, addr: SocketAddr) -> std::io::Result<TestServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let host = if addr.ip().is_unspecified() { Ipv4Addr::LOCALHOST.into() } else { addr.ip() };
        let base_url = format!("http://{}", SocketAddr::new(host, addr.port()));
        let state = AppState::new(config, base_url.clone());
        let app = router(state.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                // Either an explicit stop or the sender being dropped ends the server.
                let _ = stopped.await;
            };
            let _ = axum::serve(listener, app).with_graceful_shutdown(shutdown).await;
        });
        Ok(TestServer { addr, base_url, state, stop: Some(stop), task: Some(task) })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> String {
        self.base_url.clone()
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (also reachable through the methods below).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Every request received so far, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.state.requests()
    }

    /// Empties the request log.
    pub fn clear_log(&self) {
        self.state.clear_log();
    }

    /// Every file uploaded to `POST /v1/files` so far, with the parts of its upload as received.
    pub fn uploads(&self) -> Vec<UploadedFile> {
        self.state.uploads()
    }

    /// Adds a fault after the existing ones; it counts requests from now on.
    pub fn add_fault(&self, fault: Fault) {
        self.state.add_fault(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.state.clear_faults();
    }

    /// The current `MessageBatch` JSON of a batch (not counted as a poll), or `None` if unknown or deleted.
    pub fn batch(&self, id: &str) -> Option<Value> {
        self.state.batch(id)
    }

    /// Stops accepting connections and waits (up to 5 s) for in-flight requests to finish.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take()
            && tokio::time::timeout(Duration::from_secs(5), &mut task).await.is_err()
        {
            task.abort();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A JSON array of `n` valid batch request items: `custom_id` `req-0`, `req-1`, … and `params` with `model`,
/// `max_tokens` and one user message.
pub fn sample_requests(n: usize) -> Value {
    let items: Vec<Value> = (0..n)
        .map(|i| {
            json!({
                "custom_id": format!("req-{i}"),
                "params": {
                    "model": "claude-haiku-4-5",
                    "max_tokens": 1024,
                    "messages": [{ "role": "user", "content": format!("Hello, world ({i})") }],
                },
            })
        })
        .collect();
    Value::Array(items)
}

/// An HTTP date `delay` from now, for a `retry-after` value in date form (see [`FaultKind::Status`]).
pub fn http_date_after(delay: Duration) -> String {
    httpdate::fmt_http_date(SystemTime::now() + delay)
}
