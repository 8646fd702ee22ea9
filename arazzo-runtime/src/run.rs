//! One workflow execution ([`Run`]) and the requests of its steps ([`StepRequest`]).

use crate::client::Client;
use crate::error::{Ctx, Error, ErrorKind};
use crate::observer::{RetryReason, RetryScheduled, StepFinished, StepReentered, StepStarted};
use crate::param::{ParamValue, form_encode};
use crate::response::Response;
use crate::retry_after;
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, Url};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// One execution of a workflow: counts requests against the step budget, paces loops, and
/// remembers the secrets it sent so its errors can redact them.
pub struct Run {
    client: Client,
    workflow: &'static str,
    used: u32,
    steps: HashMap<&'static str, StepState>,
    secrets: Arc<Vec<String>>,
}

#[derive(Default)]
struct StepState {
    /// Requests since the step was last entered.
    attempts: u32,
    /// Re-entries so far.
    entries: u32,
    /// When the first request since the last entry was sent.
    started: Option<Instant>,
}

/// The request of one step, built by generated code and sent with [`Run::send`].
///
/// Problems found while building it (no base URL, an invalid header value, a body that does not
/// serialize) are reported by `send`.
#[must_use]
pub struct StepRequest {
    step: &'static str,
    operation: &'static str,
    method: Method,
    url: Result<Url, ErrorKind>,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    cookies: Vec<String>,
    cookie_secret: bool,
    body: Option<Bytes>,
    secrets: Vec<String>,
}

impl StepRequest {
    fn fail(&mut self, kind: ErrorKind) {
        if self.url.is_ok() {
            self.url = Err(kind);
        }
    }

    /// Adds a query parameter (left out when the value is `None` or `null`).
    pub fn query(mut self, name: &str, value: impl ParamValue) -> Self {
        if value.is_present() {
            let p = value.to_param();
            if p.secret {
                self.secrets.push(p.text.clone());
            }
            self.query.push((name.to_owned(), p.text));
        }
        self
    }

    /// Adds a header. A [`Secret`](crate::Secret) value is marked sensitive and redacted from errors.
    pub fn header(mut self, name: &str, value: impl ParamValue) -> Self {
        if !value.is_present() {
            return self;
        }
        let p = value.to_param();
        let parsed = (HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(&p.text));
        if p.secret {
            self.secrets.push(p.text);
        }
        match parsed {
            (Ok(name), Ok(mut value)) => {
                value.set_sensitive(p.secret);
                self.headers.append(name, value);
            }
            _ => self.fail(ErrorKind::InvalidInput(format!("header `{name}`: not a valid HTTP header name and value"))),
        }
        self
    }

    /// Adds a cookie; all cookies go in one `Cookie` header.
    pub fn cookie(mut self, name: &str, value: impl ParamValue) -> Self {
        if value.is_present() {
            let p = value.to_param();
            if p.secret {
                self.cookie_secret = true;
                self.secrets.push(p.text.clone());
            }
            self.cookies.push(format!("{name}={}", p.text));
        }
        self
    }

    /// Sends `body` as JSON.
    pub fn json(self, body: &impl serde::Serialize) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body("application/json", bytes),
            Err(e) => {
                let mut this = self;
                this.fail(ErrorKind::InvalidInput(format!("request body: {e}")));
                this
            }
        }
    }

    /// Sends a JSON object as `application/x-www-form-urlencoded` (scalars as text, arrays and
    /// objects as JSON, `null` members left out).
    pub fn form(mut self, body: &serde_json::Value) -> Self {
        let Some(map) = body.as_object() else {
            self.fail(ErrorKind::InvalidInput("a form body must be a JSON object".into()));
            return self;
        };
        let pairs: Vec<String> = map
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(&crate::json::to_text(v))))
            .collect();
        self.body("application/x-www-form-urlencoded", pairs.join("&"))
    }

    /// Sends raw bytes with the given content type.
    pub fn body(mut self, content_type: &str, bytes: impl Into<Bytes>) -> Self {
        match HeaderValue::from_str(content_type) {
            Ok(v) => {
                self.headers.insert(CONTENT_TYPE, v);
                self.body = Some(bytes.into());
            }
            Err(_) => self.fail(ErrorKind::InvalidInput(format!("content type `{content_type}` is not a valid header value"))),
        }
        self
    }
}

impl std::fmt::Debug for StepRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let url = self.url.as_ref().map(display_url);
        f.debug_struct("StepRequest")
            .field("step", &self.step)
            .field("operation", &self.operation)
            .field("method", &self.method.as_str())
            .field("url", &url)
            .finish_non_exhaustive()
    }
}

/// A URL fit for logs and errors: no query string, fragment or user info.
fn display_url(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    let _ = url.set_password(None);
    let _ = url.set_username("");
    url.to_string()
}

enum Attempt {
    Done(Response),
    Retry { status: Option<u16>, hint: Option<Duration>, err: Option<Error> },
    Failed(Error),
}

impl Run {
    pub(crate) fn new(client: Client, workflow: &'static str) -> Self {
        Run { client, workflow, used: 0, steps: HashMap::new(), secrets: Arc::default() }
    }

    /// The workflow id.
    pub fn workflow(&self) -> &'static str {
        self.workflow
    }

    /// Starts the request of a step. `path` is already expanded and percent-encoded; the URL is the
    /// base URL of `source` (without trailing `/`) followed by `path`.
    pub fn request(&self, step: &'static str, operation: &'static str, source: &'static str, method: Method, path: &str) -> StepRequest {
        let url = match self.client.base_url(source) {
            None => Err(ErrorKind::Config(format!(
                "no base URL for source description `{source}`; set one with Client::builder().base_url(\"{source}\", \"https://...\")"
            ))),
            Some(base) => Url::parse(&format!("{}{path}", base.trim_end_matches('/')))
                .map_err(|e| ErrorKind::Config(format!("invalid URL for source description `{source}`: {e}"))),
        };
        StepRequest {
            step,
            operation,
            method,
            url,
            query: Vec::new(),
            headers: HeaderMap::new(),
            cookies: Vec::new(),
            cookie_secret: false,
            body: None,
            secrets: Vec::new(),
        }
    }

    /// Sends a step's request and reads the whole body. Idempotent requests are retried after
    /// transport errors and 408, 429 and 5xx statuses; the last response is returned whatever its status.
    pub async fn send(&mut self, req: StepRequest) -> Result<Response, Error> {
        self.execute(req, false).await
    }

    /// Like [`send`](Self::send), but leaves the body unread, for [`Response::into_jsonl`].
    pub async fn send_streaming(&mut self, req: StepRequest) -> Result<Response, Error> {
        self.execute(req, true).await
    }

    async fn execute(&mut self, mut req: StepRequest, streaming: bool) -> Result<Response, Error> {
        for secret in std::mem::take(&mut req.secrets) {
            if !secret.is_empty() && !self.secrets.contains(&secret) {
                Arc::make_mut(&mut self.secrets).push(secret);
            }
        }
        let mut url = match std::mem::replace(&mut req.url, Err(ErrorKind::Transport)) {
            Ok(url) => url,
            Err(kind) => return Err(Error::new(kind, &self.ctx(req.step, Some(req.operation)))),
        };
        if !req.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&req.query);
        }
        if !req.cookies.is_empty() {
            if let Ok(mut v) = HeaderValue::from_str(&req.cookies.join("; ")) {
                v.set_sensitive(req.cookie_secret);
                req.headers.insert(COOKIE, v);
            } else {
                let kind = ErrorKind::InvalidInput("a cookie is not a valid header value".into());
                return Err(Error::new(kind, &self.ctx(req.step, Some(req.operation))));
            }
        }
        let idempotent = matches!(req.method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS);
        let shown_url = display_url(&url);
        let mut retries = 0;
        loop {
            let ctx = self.begin_attempt(req.step, req.operation)?;
            let observer = &self.client.inner.observer;
            observer.step_started(&StepStarted {
                workflow: self.workflow,
                step: req.step,
                operation: req.operation,
                method: req.method.as_str(),
                url: &shown_url,
                attempt: ctx.attempt,
            });
            let started = Instant::now();
            let outcome = self.attempt(&req, url.clone(), &shown_url, ctx.clone(), streaming).await;
            let (status, body) = match &outcome {
                Attempt::Done(r) => (Some(r.status), &r.body[..]),
                Attempt::Retry { status, .. } => (*status, &[][..]),
                Attempt::Failed(e) => (e.status(), &[][..]),
            };
            let elapsed = started.elapsed();
            let (workflow, step, operation, attempt) = (self.workflow, req.step, req.operation, ctx.attempt);
            observer.step_finished(&StepFinished { workflow, step, operation, status, elapsed, attempt, body });
            match outcome {
                Attempt::Done(r) => return Ok(r),
                Attempt::Failed(e) => return Err(e),
                Attempt::Retry { err, hint, .. } if idempotent && retries < self.client.inner.transport_retries => {
                    drop(err);
                    let nominal = hint.unwrap_or_else(|| retry_after::backoff(retries));
                    self.wait(req.step, RetryReason::Transport, attempt, nominal).await;
                    retries += 1;
                }
                Attempt::Retry { err: Some(e), .. } => return Err(e),
                Attempt::Retry { .. } => {}
            }
        }
    }

    /// One HTTP exchange. A retryable status is returned as `Retry` only when the request may be
    /// retried; otherwise the response is read and returned.
    async fn attempt(&self, req: &StepRequest, url: Url, shown_url: &str, ctx: Ctx, streaming: bool) -> Attempt {
        let request_text = format!("{} {shown_url}", req.method);
        let mut builder = self.client.inner.http.request(req.method.clone(), url).headers(req.headers.clone());
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        let resp = match builder.send().await {
            Ok(resp) => resp,
            Err(e) => return Attempt::Retry { status: None, hint: None, err: Some(Error::transport(e, &ctx, &request_text)) },
        };
        let status = resp.status().as_u16();
        let should_retry = match resp.headers().get("x-should-retry").and_then(|v| v.to_str().ok()) {
            Some("false") => false,
            Some("true") => status >= 400,
            _ => matches!(status, 408 | 429 | 500..=599),
        };
        let may_retry = req.method.is_idempotent() && self.client.inner.transport_retries > 0;
        if should_retry && may_retry && self.retries_left(req, ctx.attempt) {
            let hint = retry_after::from_headers(resp.headers());
            return Attempt::Retry { status: Some(status), hint, err: None };
        }
        let headers = resp.headers().clone();
        let (body, stream) = if streaming {
            (Bytes::new(), Some(resp))
        } else {
            match resp.bytes().await {
                Ok(body) => (body, None),
                Err(e) => {
                    let err = Error::transport(e, &ctx, &request_text).with_status(status);
                    return Attempt::Retry { status: Some(status), hint: None, err: Some(err) };
                }
            }
        };
        Attempt::Done(Response { status, headers, method: req.method.clone(), url: shown_url.to_owned(), body, stream, ctx })
    }
}
