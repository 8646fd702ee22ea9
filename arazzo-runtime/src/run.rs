//! One workflow execution ([`Run`]) and the requests of its steps ([`StepRequest`]).

use crate::client::Client;
use crate::error::{Ctx, Error, ErrorKind};
use crate::json::to_text;
use crate::multipart::Multipart;
use crate::observer::{
    RetryReason, RetryScheduled, StepFinished, StepReentered, StepStarted, WaitReason, Waiting,
};
use crate::param::{ParamText, ParamValue, form_encode};
use crate::response::Response;
use crate::retry_after;
use crate::secret::Secret;
use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, COOKIE, HeaderMap, HeaderName, HeaderValue, LOCATION};
use reqwest::{Method, Url};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// One execution of a workflow: counts requests against the step budget, paces loops, and
/// remembers the secrets it sent so its errors can redact them.
pub struct Run {
    pub(crate) client: Client,
    workflow: &'static str,
    /// Requests, re-entries and workflow calls so far, shared with nested runs.
    used: Arc<AtomicU32>,
    steps: HashMap<&'static str, StepState>,
    secrets: Arc<Vec<String>>,
    defaults: Vec<(&'static str, &'static str)>,
    /// The outputs of `dependsOn` workflows completed so far, shared with nested runs.
    completed: Arc<Mutex<Completed>>,
}

/// Outputs by workflow id and `Outputs` type (ids of different documents may be equal).
type Completed = HashMap<(&'static str, TypeId), Arc<dyn Any + Send + Sync>>;

#[derive(Default)]
struct StepState {
    /// Requests since the step was last entered.
    attempts: u32,
    /// Re-entries so far.
    entries: u32,
    /// When the first request since the last entry was sent.
    started: Option<Instant>,
    /// The step's `timeout`, counted from `started`.
    timeout: Option<Duration>,
}

impl StepState {
    /// When the step's `timeout` runs out, if it has one and has started.
    fn deadline(&self) -> Option<Instant> {
        Some(self.started? + self.timeout?)
    }
}

/// The request of one step, built by generated code and sent with [`Run::send`].
///
/// Problems found while building it (no base URL, an invalid header value, a body that does not
/// serialize) are reported by `send`.
#[must_use]
pub struct StepRequest {
    pub(crate) step: &'static str,
    pub(crate) operation: &'static str,
    pub(crate) method: Method,
    pub(crate) url: Result<Url, ErrorKind>,
    pub(crate) query: Vec<(String, String)>,
    /// The whole query string (`in: querystring`), before `query`.
    pub(crate) querystring: Option<String>,
    /// The step's `timeout`.
    pub(crate) timeout: Option<Duration>,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Option<Payload>,
    pub(crate) secrets: Vec<String>,
}

/// A request body.
pub(crate) enum Payload {
    Bytes(Bytes),
    /// Encoded for each attempt (a `reqwest` form is sent once).
    Multipart(Multipart),
}

impl StepRequest {
    pub(crate) fn fail(&mut self, kind: ErrorKind) {
        if self.url.is_ok() {
            self.url = Err(kind);
        }
    }

    /// The text of a present value; a secret is remembered for redaction.
    fn param(&mut self, value: impl ParamValue) -> Option<ParamText> {
        let p = value.is_present().then(|| value.to_param())?;
        if p.secret {
            self.secrets.push(p.text.clone());
        }
        Some(p)
    }

    /// Adds a query parameter (left out when the value is `None` or `null`).
    pub fn query(mut self, name: &str, value: impl ParamValue) -> Self {
        if let Some(p) = self.param(value) {
            self.query.push((name.to_owned(), p.text));
        }
        self
    }

    /// Adds a query parameter whose value may be a list (OpenAPI `style: form`): with `explode`,
    /// one pair per item (`ids=1&ids=2`), without, one comma-separated value (`ids=1,2`). Any
    /// other value is sent like [`query`](Self::query).
    pub fn query_list(mut self, name: &str, value: impl serde::Serialize, explode: bool) -> Self {
        match serde_json::to_value(value) {
            Ok(serde_json::Value::Array(items)) => {
                let texts = items.iter().filter(|v| !v.is_null()).map(to_text);
                if explode {
                    self.query.extend(texts.map(|t| (name.to_owned(), t)));
                } else {
                    self.query.push((name.to_owned(), texts.collect::<Vec<_>>().join(",")));
                }
                self
            }
            Ok(other) => self.query(name, other),
            Err(e) => {
                self.fail(ErrorKind::InvalidInput(format!("query parameter `{name}`: {e}")));
                self
            }
        }
    }

    /// Sets the whole query string (OpenAPI 3.2 and Arazzo 1.1 `in: querystring`), as written:
    /// `key1=value1&key2=value2`. Characters a query cannot hold are percent-encoded; values
    /// embedded in it were encoded by [`encode_query_value`](crate::encode_query_value).
    pub fn querystring(mut self, value: impl ParamValue) -> Self {
        if let Some(p) = self.param(value) {
            self.querystring = Some(p.text);
        }
        self
    }

    /// Sets the step's `timeout` (Arazzo 1.1) in milliseconds: the time the step may take from
    /// its first request since it was entered, its retries and their waits included. When it
    /// runs out, `send` fails with [`ErrorKind::StepTimeout`].
    pub fn timeout(mut self, ms: u64) -> Self {
        self.timeout = Some(Duration::from_millis(ms));
        self
    }

    /// Adds a header. A [`Secret`](crate::Secret) value is marked sensitive and redacted from errors.
    pub fn header(mut self, name: &str, value: impl ParamValue) -> Self {
        if let Some(p) = self.param(value) {
            self.add_header(name, &p);
        }
        self
    }

    fn add_header(&mut self, name: &str, p: &ParamText) {
        match (HeaderName::try_from(name), HeaderValue::try_from(&p.text)) {
            (Ok(name), Ok(mut value)) => {
                value.set_sensitive(p.secret);
                self.headers.append(name, value);
            }
            _ => self.fail(ErrorKind::InvalidInput(format!("header `{name}` is not valid HTTP"))),
        }
    }

    /// Adds a cookie; all cookies go in one `Cookie` header.
    pub fn cookie(mut self, name: &str, value: impl ParamValue) -> Self {
        if let Some(p) = self.param(value) {
            let old = self.headers.remove(COOKIE);
            let old = old.as_ref().and_then(|v| Some((v.to_str().ok()?, v.is_sensitive())));
            let text = match old {
                Some((old, _)) => format!("{old}; {name}={}", p.text),
                None => format!("{name}={}", p.text),
            };
            let secret = p.secret || old.is_some_and(|(_, s)| s);
            self.add_header("cookie", &ParamText { text, secret });
        }
        self
    }

    /// Sends `body` as JSON.
    pub fn json(mut self, body: &impl serde::Serialize) -> Self {
        match serde_json::to_vec(body) {
            Ok(bytes) => return self.body("application/json", bytes),
            Err(e) => self.fail(ErrorKind::InvalidInput(format!("request body: {e}"))),
        }
        self
    }

    /// Sends a JSON object as `application/x-www-form-urlencoded` (scalars as text, arrays and
    /// objects as JSON, `null` members left out).
    pub fn form(mut self, body: &serde_json::Value) -> Self {
        let Some(map) = body.as_object() else {
            self.fail(ErrorKind::InvalidInput("a form body must be a JSON object".into()));
            return self;
        };
        // A list is one pair per item (`style: form`, `explode: true`, OpenAPI's default).
        let pairs: Vec<String> = map
            .iter()
            .flat_map(|(k, v)| match v {
                serde_json::Value::Array(items) => items.iter().map(|item| (k, item)).collect(),
                _ => vec![(k, v)],
            })
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(&to_text(v))))
            .collect();
        self.body("application/x-www-form-urlencoded", pairs.join("&"))
    }

    /// Sends raw bytes with the given content type.
    pub fn body(mut self, content_type: &str, bytes: impl Into<Bytes>) -> Self {
        self.headers.remove(CONTENT_TYPE);
        self.add_header("content-type", &ParamText { text: content_type.into(), secret: false });
        self.body = Some(Payload::Bytes(bytes.into()));
        self
    }

    /// Sends a `multipart/form-data` body (the content type, with its boundary, is set on
    /// sending).
    pub fn multipart(mut self, form: Multipart) -> Self {
        self.headers.remove(CONTENT_TYPE);
        self.body = Some(Payload::Multipart(form));
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

/// A URL as sent, without the user info that may hold a password.
fn without_user_info(mut url: Url) -> String {
    if url.password().is_some() || !url.username().is_empty() {
        let _ = url.set_password(None);
        let _ = url.set_username("");
    }
    url.into()
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

/// The outcome of one HTTP exchange.
enum Attempt {
    Done(Box<Response>),
    /// Send again (only when allowed), with the status and the server's retry hint.
    Retry(Option<u16>, Option<Duration>),
    Failed(Error),
}

impl Run {
    pub(crate) fn new(client: Client, workflow: &'static str) -> Self {
        Run {
            client,
            workflow,
            used: Arc::default(),
            steps: HashMap::new(),
            secrets: Arc::default(),
            defaults: Vec::new(),
            completed: Arc::default(),
        }
    }

    /// Redacts `secret` from every error of this run, wherever it shows up (a body that echoes
    /// a token, a header value built from it), even before it is sent.
    pub fn redact<'a>(&mut self, secret: impl Into<Option<&'a Secret>>) {
        if let Some(text) = secret.into().map(Secret::expose).filter(|t| !t.is_empty())
            && !self.secrets.iter().any(|s| s == text)
        {
            Arc::make_mut(&mut self.secrets).push(text.to_owned());
        }
    }

    /// The base URL a source description has in its OpenAPI `servers`, used when the client
    /// sets none for it (generated code calls this; a `ClientBuilder::base_url` always wins).
    pub fn default_base_url(&mut self, source: &'static str, url: &'static str) {
        self.defaults.push((source, url));
    }

    /// The workflow id.
    pub fn workflow(&self) -> &'static str {
        self.workflow
    }

    /// Starts the request of a step. `path` is already expanded and percent-encoded; the URL is the
    /// base URL of `source` (without trailing `/`) followed by `path`.
    pub fn request(
        &self,
        step: &'static str,
        operation: &'static str,
        source: &'static str,
        method: Method,
        path: &str,
    ) -> StepRequest {
        let default = self.defaults.iter().find(|(s, _)| *s == source).map(|(_, u)| *u);
        let url = match self.client.base_url(source).or(default) {
            None => Err(ErrorKind::Config(format!(
                "no base URL for source description `{source}`; set one with Client::builder().base_url(\"{source}\", \"https://...\")"
            ))),
            Some(base) => Url::parse(&format!("{}{path}", base.trim_end_matches('/'))).map_err(|e| {
                ErrorKind::Config(format!("invalid URL for source description `{source}`: {e}"))
            }),
        };
        StepRequest {
            step,
            operation,
            method,
            url,
            query: Vec::new(),
            querystring: None,
            timeout: None,
            headers: HeaderMap::new(),
            body: None,
            secrets: Vec::new(),
        }
    }

    /// Sends a step's request and reads the whole body. Idempotent requests (GET, HEAD, PUT, DELETE,
    /// OPTIONS) are retried after transport errors and 408, 429 and 5xx statuses, as the client's
    /// `transport_retries` allows; after that the last response is returned whatever its status.
    pub fn send(&mut self, req: StepRequest) -> impl Future<Output = Result<Response, Error>> + Send + '_ {
        self.execute(req, false)
    }

    /// Like [`send`](Self::send), but leaves the body unread, for [`Response::into_jsonl`].
    pub fn send_streaming(
        &mut self,
        req: StepRequest,
    ) -> impl Future<Output = Result<Response, Error>> + Send + '_ {
        self.execute(req, true)
    }

    pub(crate) async fn execute(&mut self, mut req: StepRequest, streaming: bool) -> Result<Response, Error> {
        for secret in std::mem::take(&mut req.secrets) {
            if !secret.is_empty() && !self.secrets.contains(&secret) {
                Arc::make_mut(&mut self.secrets).push(secret);
            }
        }
        let (step, operation) = (req.step, req.operation);
        let mut req_url = match std::mem::replace(&mut req.url, Err(ErrorKind::Transport)) {
            Ok(url) => url,
            Err(kind) => return Err(Error::new(kind, &self.ctx(step, Some(operation), 0))),
        };
        if let Some(q) = &req.querystring {
            req_url.set_query(Some(q));
        }
        if !req.query.is_empty() {
            req_url.query_pairs_mut().extend_pairs(&req.query);
        }
        let idempotent =
            [Method::GET, Method::HEAD, Method::PUT, Method::DELETE, Method::OPTIONS].contains(&req.method);
        let shown_url = display_url(&req_url);
        let request_text = format!("{} {shown_url}", req.method);
        let observer = Arc::clone(&self.client.inner.observer);
        let mut retries = 0;
        loop {
            let ctx = self.begin_attempt(step, operation, req.timeout)?;
            let deadline = self.steps.get(step).and_then(StepState::deadline);
            let timed_out = |ctx: &Ctx| {
                let ms = req.timeout.map_or(0, |t| u64::try_from(t.as_millis()).unwrap_or(u64::MAX));
                Error::new(ErrorKind::StepTimeout { ms }, ctx)
            };
            if deadline.is_some_and(|d| d <= Instant::now()) {
                return Err(timed_out(&ctx));
            }
            let expired = ctx.clone();
            // Our turn among the client's requests in flight. The semaphore is never closed, so
            // this is never `None`.
            let turn = self.client.inner.requests.acquire().await.ok();
            let (workflow, attempt, method) = (self.workflow, ctx.attempt, req.method.as_str());
            let url = &shown_url;
            let event = StepStarted { workflow, step, operation, method, url, attempt };
            observer.step_started(&event);
            let started = Instant::now();
            let can_retry = idempotent && retries < self.client.inner.transport_retries;
            let inner = &*self.client.inner;
            let exchange = async {
                let mut builder =
                    inner.http.request(req.method.clone(), req_url.clone()).headers(req.headers.clone());
                if !streaming {
                    builder = builder.timeout(inner.timeout);
                }
                match &req.body {
                    Some(Payload::Bytes(body)) => builder = builder.body(body.clone()),
                    Some(Payload::Multipart(form)) => match form.form() {
                        Ok(form) => builder = builder.multipart(form),
                        Err(what) => {
                            let what = format!("request body: {what}");
                            return Attempt::Failed(Error::new(ErrorKind::InvalidInput(what), &ctx));
                        }
                    },
                    None => {}
                }
                match builder.send().await {
                    Err(_) if can_retry => Attempt::Retry(None, None),
                    Err(e) => Attempt::Failed(Error::transport(e, &ctx, &request_text)),
                    Ok(resp) => {
                        let limits = (inner.max_body_bytes, inner.max_line_bytes);
                        read(resp, &req.method, &shown_url, ctx, streaming, can_retry, limits).await
                    }
                }
            };
            // Boxed: the exchange's state is large and lives only while the request has its turn,
            // so the future of a workflow that waits for its turn or sleeps stays small.
            let outcome = match deadline {
                Some(d) => tokio::time::timeout_at(d, Box::pin(exchange))
                    .await
                    .unwrap_or_else(|_| Attempt::Failed(timed_out(&expired))),
                None => Box::pin(exchange).await,
            };
            drop(turn);
            let (status, body) = match &outcome {
                Attempt::Done(r) => (Some(r.status), &r.body[..]),
                Attempt::Retry(status, _) => (*status, &[][..]),
                Attempt::Failed(e) => (e.status(), &[][..]),
            };
            let elapsed = started.elapsed();
            let event = StepFinished { workflow, step, operation, status, elapsed, attempt, body };
            observer.step_finished(&event);
            match outcome {
                Attempt::Done(mut r) => {
                    r.request_url = without_user_info(req_url);
                    return Ok(*r);
                }
                Attempt::Failed(e) => return Err(e),
                Attempt::Retry(_, hint) => {
                    let (nominal, why) = match hint {
                        Some(hint) => (hint, WaitReason::RetryAfterHeader),
                        None => (retry_after::backoff(retries), WaitReason::Backoff),
                    };
                    self.wait(step, RetryReason::Transport, attempt, nominal, why).await;
                    retries += 1;
                }
            }
        }
    }

    pub(crate) fn ctx(&self, step: &'static str, operation: Option<&'static str>, attempt: u32) -> Ctx {
        Ctx {
            workflow: self.workflow,
            step: Some(step),
            operation,
            attempt,
            secrets: Arc::clone(&self.secrets),
        }
    }

    /// Counts one request or re-entry against the step budget.
    pub(crate) fn spend(&mut self, step: &'static str, operation: Option<&'static str>) -> Result<(), Error> {
        let budget = self.client.inner.step_budget;
        let spent = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| (used < budget).then_some(used + 1));
        if spent.is_ok() {
            return Ok(());
        }
        let attempt = self.steps.get(step).map_or(0, |s| s.attempts);
        let kind = ErrorKind::StepBudgetExceeded { budget };
        Err(Error::new(kind, &self.ctx(step, operation, attempt)))
    }

    fn begin_attempt(
        &mut self,
        step: &'static str,
        operation: &'static str,
        timeout: Option<Duration>,
    ) -> Result<Ctx, Error> {
        self.spend(step, Some(operation))?;
        let state = self.steps.entry(step).or_default();
        state.timeout = timeout;
        state.attempts += 1;
        if state.attempts == 1 {
            state.started = Some(Instant::now());
        }
        let attempt = state.attempts;
        Ok(self.ctx(step, Some(operation), attempt))
    }

    async fn wait(
        &self,
        step: &'static str,
        reason: RetryReason,
        attempt: u32,
        nominal: Duration,
        why: WaitReason,
    ) {
        let delay = self.schedule_retry(step, reason, attempt, nominal);
        self.sleep(step, why, delay).await;
    }

    /// The wait before a retry, `nominal` capped by `max_retry_delay`, told to the observer.
    pub(crate) fn schedule_retry(
        &self,
        step: &'static str,
        reason: RetryReason,
        attempt: u32,
        nominal: Duration,
    ) -> Duration {
        let delay = retry_after::cap(nominal, self.client.inner.max_retry_delay);
        let event = RetryScheduled { workflow: self.workflow, step, reason, attempt, nominal, delay };
        self.client.inner.observer.retry_scheduled(&event);
        delay
    }

    /// Sleeps for `delay` before `step` runs again, telling the observer first; never past the
    /// step's `timeout`, since the next attempt would fail at once.
    async fn sleep(&self, step: &'static str, reason: WaitReason, delay: Duration) {
        let left = self
            .steps
            .get(step)
            .and_then(StepState::deadline)
            .map(|d| d.saturating_duration_since(Instant::now()));
        let delay = left.map_or(delay, |left| delay.min(left));
        // tokio sleeps at least one timer tick (~1 ms) even for zero.
        if delay.is_zero() {
            return;
        }
        let until = (Instant::now() + delay).into_std();
        let event = Waiting { workflow: self.workflow, step, reason, delay, until };
        self.client.inner.observer.waiting(&event);
        tokio::time::sleep(delay).await;
    }

    /// Waits before an Arazzo `retry` action: the response's `retry-after-ms` or `Retry-After`
    /// header (seconds or HTTP date) overrides `seconds`; the wait is capped by `max_retry_delay`.
    pub async fn retry_after(
        &mut self,
        resp: &Response,
        step: &'static str,
        action: &'static str,
        seconds: f64,
    ) {
        let (nominal, why) = retry_after::action_delay(&resp.headers, action, seconds);
        self.wait(step, RetryReason::Action(action), resp.ctx.attempt, nominal, why).await;
    }

    /// Re-enters a step that already ran (a `goto` loop): counts against the step budget, then
    /// waits until `loop_pacing` has passed since the step's previous start (capped by `max_retry_delay`).
    pub async fn reenter(&mut self, step: &'static str) -> Result<(), Error> {
        self.spend(step, None)?;
        let inner = &self.client.inner;
        let state = self.steps.entry(step).or_default();
        state.entries += 1;
        state.attempts = 0;
        let nominal = state.started.map_or(Duration::ZERO, |s| inner.loop_pacing.saturating_sub(s.elapsed()));
        let delay = retry_after::cap(nominal, inner.max_retry_delay);
        inner.observer.step_reentered(&StepReentered {
            workflow: self.workflow,
            step,
            iteration: state.entries,
            delay,
        });
        self.sleep(step, WaitReason::LoopPacing, delay).await;
        Ok(())
    }

    /// A run with this one's client, secrets and base URLs but its own step budget and state, to
    /// own a single exchange (a durable run's journaled action runs detached from the run).
    #[cfg(feature = "restate")]
    pub(crate) fn detached(&self) -> Run {
        Run {
            client: self.client.clone(),
            workflow: self.workflow,
            used: Arc::default(),
            steps: HashMap::new(),
            secrets: Arc::clone(&self.secrets),
            defaults: self.defaults.clone(),
            completed: Arc::default(),
        }
    }

    /// Starts the nested run of a workflow that step `step` calls (or that a `goto`, a `retry`
    /// or `dependsOn` runs). It shares this run's step budget and counts one against it, so
    /// workflows that call each other stay bounded.
    pub fn call(&mut self, step: &'static str, workflow: &'static str) -> Result<Run, Error> {
        self.spend(step, None)?;
        Ok(Run {
            client: self.client.clone(),
            workflow,
            used: Arc::clone(&self.used),
            steps: HashMap::new(),
            secrets: Arc::clone(&self.secrets),
            defaults: Vec::new(),
            completed: Arc::clone(&self.completed),
        })
    }

    /// The outputs of `dependsOn` workflow `workflow` when it already completed in this run or
    /// a run it is nested in (Arazzo: a dependency "MUST be completed before", so it runs once
    /// and every workflow depending on it reads the same outputs).
    pub fn completed<T: Send + Sync + 'static>(&self, workflow: &'static str) -> Option<Arc<T>> {
        let completed = self.completed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let outputs = completed.get(&(workflow, TypeId::of::<T>()))?;
        Arc::clone(outputs).downcast().ok()
    }

    /// Records the outputs of `dependsOn` workflow `workflow`, which just completed, for
    /// [`completed`](Self::completed), and gives them back shared.
    pub fn complete<T: Send + Sync + 'static>(&self, workflow: &'static str, outputs: T) -> Arc<T> {
        let outputs = Arc::new(outputs);
        let mut completed = self.completed.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        completed.insert((workflow, TypeId::of::<T>()), Arc::clone(&outputs) as Arc<dyn Any + Send + Sync>);
        outputs
    }

    /// The inputs of a called workflow, converted from `value` (a JSON object of its inputs by
    /// name); an error naming the step and the workflow when they do not fit.
    pub fn call_inputs<T: serde::de::DeserializeOwned>(
        &self,
        step: &'static str,
        workflow: &'static str,
        value: &impl serde::Serialize,
    ) -> Result<T, Error> {
        let converted = serde_json::to_value(value).and_then(serde_json::from_value);
        converted.map_err(|e| {
            let what = format!("the inputs of workflow `{workflow}` do not fit its schema: {e}");
            Error::new(ErrorKind::InvalidInput(what), &self.ctx(step, None, 0))
        })
    }

    /// Runs the workflow that step `step` calls within the step's `timeout` of `ms` milliseconds
    /// (Arazzo 1.1); when it runs out, the call is dropped and the step fails with
    /// [`ErrorKind::StepTimeout`].
    pub async fn call_within<T>(
        &self,
        step: &'static str,
        ms: u64,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        match tokio::time::timeout(Duration::from_millis(ms), call).await {
            Ok(result) => result,
            Err(_) => Err(Error::new(ErrorKind::StepTimeout { ms }, &self.ctx(step, None, 0))),
        }
    }

    /// The error of a workflow-calling step whose criteria failed.
    pub fn call_failed(&self, step: &'static str, criteria: &[&'static str]) -> Error {
        let kind = ErrorKind::CriteriaFailed { criteria: criteria.to_vec() };
        Error::new(kind, &self.ctx(step, None, 0))
    }

    /// Waits before a `retry` of a workflow-calling step (`seconds`, capped by `max_retry_delay`).
    pub async fn retry_call(&mut self, step: &'static str, action: &'static str, seconds: f64) {
        let nominal = retry_after::seconds_to_duration(seconds).unwrap_or_default();
        let attempt = self.steps.get(step).map_or(0, |s| s.attempts);
        self.wait(step, RetryReason::Action(action), attempt, nominal, WaitReason::RetryDelay(action)).await;
    }

    /// The error of a workflow-calling step whose retry action `action` was used `limit` times.
    pub fn call_retry_limit_reached(&self, step: &'static str, action: &'static str, limit: u32) -> Error {
        let kind = ErrorKind::RetryLimitReached { action, limit };
        Error::new(kind, &self.ctx(step, None, 0))
    }

    fn response_error(&self, resp: &Response, kind: ErrorKind) -> Error {
        let ctx = Ctx { secrets: Arc::clone(&self.secrets), ..resp.ctx.clone() };
        resp.error(kind, &ctx).with_excerpt(&resp.body, 0, &ctx)
    }

    /// The error of a step whose criteria failed (each criterion in its source text).
    pub fn failed(&self, resp: &Response, criteria: &[&'static str]) -> Error {
        self.response_error(resp, ErrorKind::CriteriaFailed { criteria: criteria.to_vec() })
    }

    /// Like [`failed`](Self::failed), for a step that decoded its body: a 2xx body that does not
    /// fit its schema explains the failed criteria better than they do, so that error wins.
    pub fn failed_decoding<T>(
        &self,
        resp: &Response,
        criteria: &[&'static str],
        body: Result<T, Error>,
    ) -> Error {
        match body {
            Err(e) if (200..300).contains(&resp.status()) => e,
            _ => self.failed(resp, criteria),
        }
    }

    /// The error of a step whose retry action `action` was used `limit` times.
    pub fn retry_limit_reached(&self, resp: &Response, action: &'static str, limit: u32) -> Error {
        self.response_error(resp, ErrorKind::RetryLimitReached { action, limit })
    }

    /// The error of a workflow output whose value is missing.
    pub fn output_missing(&self, output: &'static str) -> Error {
        Error::new(ErrorKind::OutputMissing { output }, &Ctx { workflow: self.workflow, ..Ctx::default() })
    }

    /// The error of a selector that selected `count` values, where it names one.
    pub(crate) fn several_selected(&self, query: String, count: usize) -> Error {
        let kind = ErrorKind::SeveralSelected { query, count };
        Error::new(kind, &Ctx { workflow: self.workflow, ..Ctx::default() })
    }

    /// An error about the workflow's inputs.
    pub fn invalid_input(&self, what: String) -> Error {
        Error::new(ErrorKind::InvalidInput(what), &Ctx { workflow: self.workflow, ..Ctx::default() })
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Run")
            .field("workflow", &self.workflow)
            .field("requests_and_reentries", &self.used.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// Reads a response: a retryable status (408, 429, 5xx, or `x-should-retry: true`) or a body read
/// failure becomes `Retry` when a retry is allowed.
async fn read(
    mut resp: reqwest::Response,
    method: &Method,
    url: &str,
    ctx: Ctx,
    streaming: bool,
    can_retry: bool,
    (max_body_bytes, max_line_bytes): (usize, usize),
) -> Attempt {
    let status = resp.status().as_u16();
    let should_retry = match resp.headers().get("x-should-retry").map(|v| v.as_bytes()) {
        Some(b"false") => false,
        Some(b"true") => status >= 400,
        _ => matches!(status, 408 | 429 | 500..=599),
    };
    if should_retry && can_retry {
        return Attempt::Retry(Some(status), retry_after::from_headers(resp.headers()));
    }
    let headers = owned(resp.headers());
    // A 3xx that reaches us is a redirect the client's policy did not follow.
    let location = resp
        .status()
        .is_redirection()
        .then(|| headers.get(LOCATION)?.to_str().ok())
        .flatten()
        .and_then(|l| resp.url().join(l).ok())
        .map(|u| display_url(&u));
    let (body, stream) = if streaming {
        (Bytes::new(), Some(resp))
    } else {
        match read_body(&mut resp, max_body_bytes).await {
            Ok(Some(body)) => (body, None),
            Ok(None) => {
                let err = Error::new(ErrorKind::BodyTooLarge { limit: max_body_bytes }, &ctx);
                return Attempt::Failed(err.with_status(status).with_detail(format!("{method} {url}")));
            }
            Err(_) if can_retry => return Attempt::Retry(Some(status), None),
            Err(e) => {
                let err = Error::transport(e, &ctx, &format!("{method} {url}"));
                return Attempt::Failed(err.with_status(status));
            }
        }
    };
    let (method, url) = (method.clone(), url.to_owned());
    Attempt::Done(Box::new(Response {
        status,
        headers,
        method,
        request_url: String::new(), // Set by the caller, which has the full URL.
        url,
        body,
        stream,
        ctx,
        location,
        max_line_bytes,
    }))
}

/// A copy of `headers` that owns its values. hyper's values are slices of the connection's read
/// buffer, which they would keep alive (8 KiB or more) for as long as the response is kept, for
/// example across a retry delay.
fn owned(headers: &HeaderMap) -> HeaderMap {
    let mut copy = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let mut own = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        own.set_sensitive(value.is_sensitive());
        copy.append(name.clone(), own);
    }
    copy
}

/// Reads a whole body of at most `limit` bytes; `None` when it is longer. The rest is left unread:
/// dropping the response then closes the connection.
async fn read_body(resp: &mut reqwest::Response, limit: usize) -> Result<Option<Bytes>, reqwest::Error> {
    let declared = resp.content_length().map(usize::try_from);
    if declared.is_some_and(|n| n.map_or(true, |n| n > limit)) {
        return Ok(None);
    }
    let mut body = Vec::with_capacity(declared.and_then(Result::ok).unwrap_or(0));
    while let Some(chunk) = resp.chunk().await? {
        if chunk.len() > limit - body.len() {
            return Ok(None);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Some(body.into()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observer::Observer;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Reentries(Mutex<Vec<(u32, Duration)>>, Mutex<Vec<(WaitReason, Duration)>>);

    impl Observer for Reentries {
        fn step_reentered(&self, e: &StepReentered<'_>) {
            if let Ok(mut v) = self.0.lock() {
                v.push((e.iteration, e.delay));
            }
        }
        fn waiting(&self, e: &Waiting<'_>) {
            if let Ok(mut v) = self.1.lock() {
                v.push((e.reason, e.delay));
            }
        }
    }

    /// Generated workflow functions must be spawnable.
    #[allow(dead_code)]
    fn futures_are_send(run: &mut Run, req: StepRequest, resp: Response) {
        fn is_send<T: Send>(_: &T) {}
        fn is_unpin<T: Unpin>(_: &T) {}
        is_send(&run.send(req));
        is_send(&run.reenter("s"));
        let mut items = resp.into_jsonl::<serde_json::Value>();
        is_send(&items.next_item());
        is_unpin(&items);
    }

    #[derive(Debug, PartialEq)]
    struct SubmitOutputs(&'static str);
    #[derive(Debug, PartialEq)]
    struct OtherOutputs(&'static str);

    /// A `dependsOn` workflow completed in one run is seen by the runs nested in it and by the
    /// run it is nested in, once per workflow id and outputs type; a new top-level run starts empty.
    #[test]
    fn completed_dependencies_are_shared_by_nested_runs() {
        let client = Client::builder().build().expect("a client");
        let mut top = client.run("report");
        let mut wait = top.call("dependsOn", "wait").expect("within budget");
        let submit = wait.call("dependsOn", "submit").expect("within budget");
        assert_eq!(wait.completed::<SubmitOutputs>("submit"), None);

        let first = submit.complete("submit", SubmitOutputs("msgbatch_1"));

        let seen = top.completed::<SubmitOutputs>("submit").expect("completed in a nested run");
        assert!(Arc::ptr_eq(&first, &seen));
        assert_eq!(wait.completed::<SubmitOutputs>("submit").as_deref(), Some(&SubmitOutputs("msgbatch_1")));
        // Another document's workflow with the same id has other outputs.
        assert_eq!(top.completed::<OtherOutputs>("submit"), None);
        assert_eq!(top.completed::<SubmitOutputs>("wait"), None);
        assert_eq!(client.run("report").completed::<SubmitOutputs>("submit"), None);
    }

    #[tokio::test(start_paused = true)]
    async fn reentry_is_paced_and_capped() {
        let obs = Arc::new(Reentries::default());
        let client = Client::builder()
            .loop_pacing(Duration::from_secs(2))
            .observer(obs.clone())
            .build()
            .expect("a client");
        let mut run = client.run("w");
        run.reenter("poll").await.expect("never started: no wait");
        run.steps.entry("poll").or_default().started = Some(Instant::now());
        tokio::time::advance(Duration::from_millis(500)).await;
        let before = Instant::now();
        run.reenter("poll").await.expect("paced");
        assert_eq!(before.elapsed(), Duration::from_millis(1500));
        run.steps.entry("poll").or_default().started = Some(Instant::now() - Duration::from_secs(5));
        run.reenter("poll").await.expect("long ago: no wait");
        let seen = obs.0.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(seen, vec![(1, Duration::ZERO), (2, Duration::from_millis(1500)), (3, Duration::ZERO)]);
        // Only the wait that sleeps is announced.
        let waits = obs.1.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(waits, vec![(WaitReason::LoopPacing, Duration::from_millis(1500))]);

        let capped = Client::builder()
            .max_retry_delay(Some(Duration::from_millis(10)))
            .step_budget(1)
            .build()
            .expect("a client");
        let mut run = capped.run("w");
        run.steps.entry("s").or_default().started = Some(Instant::now());
        let before = Instant::now();
        run.reenter("s").await.expect("within budget");
        assert_eq!(before.elapsed(), Duration::from_millis(10));
        let err = run.reenter("s").await.expect_err("over budget");
        assert_eq!(err.kind(), &ErrorKind::StepBudgetExceeded { budget: 1 });
        assert_eq!(run.invalid_input("x".into()).to_string(), "workflow `w`: invalid input: x");
    }
}
