//! The client: HTTP transport plus the policies every run follows.

use crate::observer::{Observer, TracingObserver};
use crate::redirect::Redirects;
use crate::run::Run;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Runs generated workflows. Cheap to clone: clones share one connection pool and configuration.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub http: reqwest::Client,
    base_urls: HashMap<String, String>,
    default_base_urls: HashMap<&'static str, &'static str>,
    pub step_budget: u32,
    pub loop_pacing: Duration,
    pub max_retry_delay: Option<Duration>,
    pub transport_retries: u32,
    pub observer: Arc<dyn Observer>,
    /// Total time of a request with a buffered body; see [`ClientBuilder::timeout`].
    pub timeout: Duration,
    pub max_body_bytes: usize,
    pub max_line_bytes: usize,
    /// One permit per request in flight; see [`ClientBuilder::max_concurrent_requests`].
    pub requests: Semaphore,
}

impl Client {
    /// Starts configuring a client; [`ClientBuilder::build`] makes it.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Starts one execution of a workflow; generated code calls this.
    #[doc(hidden)]
    pub fn run(&self, workflow: &'static str) -> Run {
        Run::new(self.clone(), workflow)
    }

    /// The base URL of a source description: the one set with [`ClientBuilder::base_url`], else the
    /// document's default server.
    pub fn base_url(&self, source: &str) -> Option<&str> {
        let inner = &*self.inner;
        inner
            .base_urls
            .get(source)
            .map(String::as_str)
            .or_else(|| inner.default_base_urls.get(source).copied())
    }
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let i = &*self.inner;
        f.debug_struct("Client")
            .field("step_budget", &i.step_budget)
            .field("loop_pacing", &i.loop_pacing)
            .field("max_retry_delay", &i.max_retry_delay)
            .field("transport_retries", &i.transport_retries)
            .field("timeout", &i.timeout)
            .field("max_body_bytes", &i.max_body_bytes)
            .field("max_line_bytes", &i.max_line_bytes)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Client`].
///
/// Defaults: step budget 100 000, loop pacing 1 s, no cap on retry delays, 2 transport retries,
/// request timeout 10 minutes, connect timeout 10 s, redirects followed only within the request's
/// origin ([`Redirects::default`]), buffered bodies up to 32 MiB, JSONL lines up to 16 MiB,
/// [`TracingObserver`].
#[must_use]
pub struct ClientBuilder {
    base_urls: HashMap<String, String>,
    default_base_urls: HashMap<&'static str, &'static str>,
    http: Option<reqwest::ClientBuilder>,
    timeout: Duration,
    connect_timeout: Duration,
    max_body_bytes: usize,
    max_line_bytes: usize,
    max_concurrent_requests: usize,
    redirects: Redirects,
    step_budget: u32,
    loop_pacing: Duration,
    max_retry_delay: Option<Duration>,
    transport_retries: u32,
    observer: Arc<dyn Observer>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            base_urls: HashMap::new(),
            default_base_urls: HashMap::new(),
            http: None,
            timeout: Duration::from_secs(600),
            connect_timeout: Duration::from_secs(10),
            max_body_bytes: 32 << 20,
            max_line_bytes: 16 << 20,
            max_concurrent_requests: 64,
            redirects: Redirects::default(),
            step_budget: 100_000,
            loop_pacing: Duration::from_secs(1),
            max_retry_delay: None,
            transport_retries: 2,
            observer: Arc::new(TracingObserver),
        }
    }
}

impl ClientBuilder {
    /// The base URL for the source description named `source` (for example `https://api.example.com`).
    pub fn base_url(mut self, source: &str, url: impl Into<String>) -> Self {
        self.base_urls.insert(source.to_owned(), url.into());
        self
    }

    /// The document's default server for `source`; generated code sets it. A [`base_url`](Self::base_url) wins.
    #[doc(hidden)]
    pub fn default_base_url(mut self, source: &'static str, url: &'static str) -> Self {
        self.default_base_urls.insert(source, url);
        self
    }

    /// Builds the HTTP client from this `reqwest::ClientBuilder` (for proxies, TLS roots, default
    /// headers, a user agent...). The settings of this builder that reqwest also has win over
    /// the given builder's: [`redirects`](Self::redirects), [`timeout`](Self::timeout) and
    /// [`connect_timeout`](Self::connect_timeout), so secrets stay at their origin and waits stay
    /// bounded whatever it says.
    pub fn http_client(mut self, builder: reqwest::ClientBuilder) -> Self {
        self.http = Some(builder);
        self
    }

    /// Timeout of each request (default 10 minutes, as in Anthropic's official SDKs: a long
    /// generation or a large body fits, a server that stopped answering does not stall a run).
    ///
    /// A request whose body is read whole must be done, body included, within it. A streamed
    /// body (a JSONL [`JsonlStream`](crate::JsonlStream)) may take longer while data keeps coming: its headers and
    /// then each read must arrive within it. A timeout is [`ErrorKind::Timeout`](crate::ErrorKind::Timeout),
    /// retried like other transport errors for idempotent requests.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Timeout of opening a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest response body read whole (default 32 MiB: far above any JSON answer of the APIs
    /// this targets, far below what exhausts a machine's memory). A longer body is
    /// [`ErrorKind::BodyTooLarge`](crate::ErrorKind::BodyTooLarge), found from its
    /// `Content-Length` or once the limit is read; the rest is not read and the connection closes.
    /// Streamed JSONL bodies have no total limit, only [`max_line_bytes`](Self::max_line_bytes).
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The longest line of a JSONL body (default 16 MiB: one batch result, a whole message with
    /// its content, is far shorter). A longer line is
    /// [`ErrorKind::LineTooLong`](crate::ErrorKind::LineTooLong) and ends the stream, closing
    /// the connection; at most this much of the line is held in memory.
    pub fn max_line_bytes(mut self, limit: usize) -> Self {
        self.max_line_bytes = limit;
        self
    }

    /// How many requests of this client (and its clones) are in flight at once (default 64, at
    /// least 1); the others wait their turn. A request counts from the moment it is sent until its
    /// body is read, or, for a streamed body, until its headers arrive. It bounds the connections
    /// and their buffers: without it, 10 000 workflows polling at once open about as many
    /// connections.
    pub fn max_concurrent_requests(mut self, limit: usize) -> Self {
        self.max_concurrent_requests = limit;
        self
    }

    /// Which redirects are followed (default: [`Redirects::SameOrigin`], at most 10, only to the
    /// scheme, host and port of the step's request). A redirect not followed is the step's response.
    pub fn redirects(mut self, redirects: Redirects) -> Self {
        self.redirects = redirects;
        self
    }

    /// Maximum number of HTTP requests plus loop re-entries in one run (default 100 000).
    pub fn step_budget(mut self, budget: u32) -> Self {
        self.step_budget = budget;
        self
    }

    /// Minimum interval between two starts of the same step in a `goto` loop (default 1 s).
    pub fn loop_pacing(mut self, interval: Duration) -> Self {
        self.loop_pacing = interval;
        self
    }

    /// Caps every single sleep: retry delays, loop pacing, transport backoff (default: no cap).
    /// `Some(Duration::ZERO)` makes tests run without waiting.
    pub fn max_retry_delay(mut self, max: Option<Duration>) -> Self {
        self.max_retry_delay = max;
        self
    }

    /// How often an idempotent request is retried after a transport error or a 408, 429 or 5xx
    /// status (default 2; 0 = never).
    pub fn transport_retries(mut self, retries: u32) -> Self {
        self.transport_retries = retries;
        self
    }

    /// Receives step and retry events (default: [`TracingObserver`]).
    pub fn observer(mut self, observer: Arc<dyn Observer>) -> Self {
        self.observer = observer;
        self
    }

    /// Builds the client. It fails only when the HTTP client cannot be built (its TLS backend
    /// cannot start, or the [`http_client`](Self::http_client) builder is invalid): no setting is
    /// ever dropped.
    pub fn build(self) -> Result<Client, BuildError> {
        let http = self.http.unwrap_or_else(|| {
            reqwest::Client::builder().user_agent(concat!("arazzo-runtime/", env!("CARGO_PKG_VERSION")))
        });
        let http = http
            .redirect(self.redirects.policy())
            .connect_timeout(self.connect_timeout)
            // Bounds the wait for headers and each read of a streamed body; `Run` adds a total
            // timeout to buffered requests.
            .read_timeout(self.timeout)
            .build()
            .map_err(BuildError)?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_urls: self.base_urls,
                default_base_urls: self.default_base_urls,
                step_budget: self.step_budget,
                loop_pacing: self.loop_pacing,
                max_retry_delay: self.max_retry_delay,
                transport_retries: self.transport_retries,
                observer: self.observer,
                timeout: self.timeout,
                max_body_bytes: self.max_body_bytes,
                max_line_bytes: self.max_line_bytes,
                requests: Semaphore::new(self.max_concurrent_requests.clamp(1, Semaphore::MAX_PERMITS)),
            }),
        })
    }
}

/// The HTTP client could not be built; see [`ClientBuilder::build`].
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client")]
pub struct BuildError(#[source] reqwest::Error);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wait_is_bounded_by_default() {
        let b = ClientBuilder::default();
        assert_eq!((b.timeout, b.connect_timeout), (Duration::from_secs(600), Duration::from_secs(10)));
        assert_eq!(b.redirects, Redirects::SameOrigin { max: 10 });
    }
}
