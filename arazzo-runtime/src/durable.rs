//! Durable runs on [Restate](https://restate.dev) (cargo feature `restate`).
//!
//! With `Settings::durable` (CLI `--durable`, macro argument `durable = true`), `arazzo-codegen`
//! also emits, in each workflow's module, a `durable` module: the same workflow body and step
//! functions, written against this module's [`Run`], and a `Workflow` type implementing
//! [`Workflow`]. A worker serves it with [`service`] on a Restate endpoint (and may [`register`]
//! itself); a caller starts or joins a run with [`start_or_attach`].
//!
//! ```no_run
//! # mod cancel { pub mod durable {
//! #     pub struct Secrets { pub api_key: arazzo_runtime::Secret }
//! #     pub struct Workflow;
//! #     impl Workflow { pub fn new(_: arazzo_runtime::Client, _: Secrets) -> Self { Workflow } }
//! #     impl arazzo_runtime::durable::Workflow for Workflow {
//! #         const NAME: &'static str = "cancel-and-confirm-batch";
//! #         type Input = (); type Output = ();
//! #         async fn run(&self, _: arazzo_runtime::durable::Context, _: ()) -> Result<(), arazzo_runtime::Error> { Ok(()) }
//! #     }
//! # } }
//! use arazzo_runtime::durable::restate_sdk::{endpoint::Endpoint, http_server::HttpServer};
//! use arazzo_runtime::{Client, Secret, durable};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let client = Client::builder().base_url("messageBatchesApi", "https://api.anthropic.com").build()?;
//! // The secrets come from the worker's own configuration, never from the journal.
//! let secrets = cancel::durable::Secrets { api_key: Secret::new(std::env::var("ANTHROPIC_API_KEY")?) };
//! let workflow = cancel::durable::Workflow::new(client, secrets);
//! let endpoint = Endpoint::builder().bind(durable::service(workflow)).build();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:9080").await?;
//! let server = tokio::spawn(HttpServer::new(endpoint).serve(listener));
//! durable::register("http://127.0.0.1:9070", "http://127.0.0.1:9080").await?;
//! server.await?;
//! # Ok(()) }
//! ```
//!
//! # From Arazzo to Restate
//!
//! - The workflow is a Restate *workflow service* named by its `workflowId`; a run's key is the
//!   caller's run id, so two starts with the same id are one run (for as long as Restate keeps
//!   a finished workflow's result: a day by default).
//! - A step's HTTP exchange is one journaled action (`ctx.run`, named by the step id). It
//!   journals the status, the response headers the document reads (and `Retry-After`,
//!   `retry-after-ms`), the body, and how long the exchange took. On replay the journaled
//!   response is used and the request is not sent again.
//! - Criteria, outputs and actions run on the journaled response, so a replay takes the same path.
//! - Every wait is a durable timer (`ctx.sleep`): a `retry` action's delay or the server's
//!   `Retry-After`, and a `goto` loop's pacing (`loop_pacing` less the journaled duration of the
//!   step's last exchange). A goto loop is a loop of journaled actions and timers; retry limits
//!   and the step budget count journaled events only, so they are the same on every replay.
//! - The workflow's `Outputs` are the run's result. A workflow error ends the run with a terminal
//!   error carrying its (redacted) message.
//! - Secrets are not part of the journaled input: the generated `Input` leaves out every
//!   [`Secret`] input and the worker supplies them (`Secrets`).
//!
//! # What happens once, what may happen twice
//!
//! A journaled step runs *at least once*: if the worker dies after sending a request and before
//! Restate has stored the response, the replay sends it again. So each step's request is sent
//! once per journaled attempt plus at most once more per worker crash that interrupts it; a
//! step whose response is journaled is never sent again. Everything else (decisions, timers,
//! outputs) happens exactly once in effect. A non-idempotent request (a `POST` creating
//! something) therefore needs the API's own idempotency (an idempotency key) to be exactly-once
//! across crashes; `GET` polls are harmless to repeat.
//!
//! Transport retries inside one exchange are part of its journaled action; they count one
//! request against the step budget.
//!
//! # What is not journaled
//!
//! A JSONL body (the batch results) is not journaled line by line, nor is a binary body (a
//! download): either could be gigabytes. The step's journaled action keeps only its status and
//! headers (its criteria run on them; the connection is closed before the body), and the run's
//! result holds the request as a [`Results`] (JSONL) or a [`Download`] (binary), with each secret
//! replaced by its position among the secret inputs. After the run the caller sends that request
//! again with its own copy of the secrets (`durable::Outputs::open` in generated code) and
//! streams the body: reading it is idempotent. So that request is sent twice, once in the run
//! and once by the caller. A stream is only ever a step output, so a body streamed this way is
//! never consumed inside the run.
//!
//! # Workflows that run workflows
//!
//! A workflow that another runs (a step's `workflowId`, a `goto` or `retry` to a workflow,
//! `dependsOn`) runs in its caller's Restate invocation through [`Run::call`]: its exchanges and
//! timers are journaled in the caller's journal, in the order they happen (steps are
//! sequential), and the step budget is shared. The callee's inputs, secrets included, are the
//! caller's values at run time; the journal keeps responses, not requests, so no secret goes to
//! it. Its own service (started directly) takes its secrets from the worker like any other.
//!
//! No durable module is generated for a workflow whose `workflowId` Restate does not accept as a
//! service name (it must start with a letter, or `_` and a letter or digit), whose stream output
//! does not come straight from one of its steps' responses, in which a step that runs a workflow
//! has a `timeout` (the nested run cannot be cut off at a point a replay would reproduce), or
//! that runs a workflow without one.

use crate::error::{Ctx, Error, ErrorKind};
use crate::observer::{RetryReason, StepReentered, WaitReason, Waiting};
use crate::response::Response;
use crate::retry_after;
use crate::run::{Payload, StepRequest};
use crate::{Secret, StepInfo};
use bytes::{BufMut, Bytes};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use restate_sdk::context::RunFuture;
use restate_sdk::discovery::{self, HandlerName, HandlerType, InputPayload, OutputPayload, ServiceName};
use restate_sdk::endpoint::ContextInternal;
use restate_sdk::errors::{HandlerError, TerminalError};
use restate_sdk::serde::Json;
use restate_sdk::service::macro_support::{ServiceBoxFuture, service_definition};
use restate_sdk::service::{Service, ServiceDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use restate_sdk;

/// The Restate invocation a durable run belongs to.
pub struct Context {
    inner: ContextInternal,
    /// The run's key: the caller's run id.
    key: String,
}

/// A workflow compiled for durable runs; generated code implements it.
pub trait Workflow: Send + Sync + 'static {
    /// The Restate service name: the Arazzo `workflowId`, which must match Restate's pattern
    /// `^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*$` (the generator emits no durable module for one
    /// that does not).
    const NAME: &'static str;
    /// The journaled input: the workflow's inputs without its secrets.
    type Input: Serialize + DeserializeOwned + Send + 'static;
    /// The run's result.
    type Output: Serialize + DeserializeOwned + Send + 'static;

    /// Runs the workflow inside the Restate invocation `ctx`.
    fn run(
        &self,
        ctx: Context,
        input: Self::Input,
    ) -> impl Future<Output = Result<Self::Output, Error>> + Send;
}

/// The Restate workflow service of `workflow` (one handler, `run`), to bind to an endpoint:
/// `Endpoint::builder().bind(service(workflow)).build()`.
pub fn service<W: Workflow>(workflow: W) -> ServiceDefinition {
    service_definition(Dispatcher(Arc::new(workflow)), discover::<W>())
}

/// Routes Restate's invocations of the `run` handler to the workflow.
struct Dispatcher<W>(Arc<W>);

impl<W: Workflow> Service for Dispatcher<W> {
    type Future = ServiceBoxFuture;

    fn handle(&self, ctx: ContextInternal) -> Self::Future {
        let workflow = Arc::clone(&self.0);
        Box::pin(async move {
            if ctx.handler_name() != "run" {
                return Err(restate_sdk::endpoint::Error::unknown_handler(
                    ctx.service_name(),
                    ctx.handler_name(),
                ));
            }
            let (Json(input), metadata) = ctx.input::<Json<W::Input>>().await;
            let result = workflow.run(Context { inner: ctx.clone(), key: metadata.key }, input).await;
            let result = result.map(Json).map_err(|e| HandlerError::from(TerminalError::new(e.to_string())));
            ctx.handle_handler_result(result);
            ctx.end();
            Ok(())
        })
    }
}

/// What Restate's discovery learns about the service: a workflow with one `run` handler.
// The generator only emits workflow ids that are valid service names.
#[allow(clippy::expect_used)]
fn discover<W: Workflow>() -> discovery::Service {
    let handler = discovery::Handler {
        name: HandlerName::try_from("run".to_string()).expect("a valid handler name"),
        input: Some(InputPayload::from_metadata::<Json<W::Input>>()),
        output: Some(OutputPayload::from_metadata::<Json<W::Output>>()),
        ty: Some(HandlerType::Workflow),
        documentation: None,
        metadata: Default::default(),
        abort_timeout: None,
        inactivity_timeout: None,
        journal_retention: None,
        idempotency_retention: None,
        workflow_completion_retention: None,
        enable_lazy_state: None,
        ingress_private: None,
        retry_policy_initial_interval: None,
        retry_policy_max_interval: None,
        retry_policy_max_attempts: None,
        retry_policy_exponentiation_factor: None,
        retry_policy_on_max_attempts: None,
    };
    discovery::Service {
        ty: discovery::ServiceType::Workflow,
        name: ServiceName::try_from(W::NAME.to_string()).expect("a workflowId is a valid service name"),
        handlers: vec![handler],
        documentation: None,
        metadata: Default::default(),
        abort_timeout: None,
        inactivity_timeout: None,
        journal_retention: None,
        idempotency_retention: None,
        enable_lazy_state: None,
        ingress_private: None,
        retry_policy_initial_interval: None,
        retry_policy_max_interval: None,
        retry_policy_max_attempts: None,
        retry_policy_exponentiation_factor: None,
        retry_policy_on_max_attempts: None,
    }
}

/// A durable run: a [`crate::Run`] whose exchanges are journaled and whose waits are durable
/// timers. Everything else (building requests, checking criteria, errors) is the plain run's,
/// through `Deref`.
pub struct Run {
    run: crate::Run,
    ctx: Context,
    /// Response headers the document reads, journaled with each exchange.
    headers: &'static [&'static str],
    /// How long each step's last exchange took, as journaled.
    took: HashMap<&'static str, Duration>,
    entries: HashMap<&'static str, u32>,
    /// Restate ended a timer (the run was canceled): the next step fails with this.
    interrupted: Option<String>,
    /// The secret inputs' texts, in `Secrets` field order (`None`: absent).
    secrets: Vec<Option<String>>,
}

impl Run {
    /// A durable run of `run`'s workflow in the invocation `ctx`.
    pub fn new(ctx: Context, run: crate::Run) -> Self {
        Run {
            run,
            ctx,
            headers: &[],
            took: HashMap::new(),
            entries: HashMap::new(),
            interrupted: None,
            secrets: Vec::new(),
        }
    }

    /// The secret inputs in the order of the generated `Secrets::list`: a streaming step's
    /// journaled request names them by position instead of holding them.
    pub fn secrets(&mut self, secrets: &[Option<&Secret>]) {
        self.secrets = secrets.iter().map(|s| s.map(|s| s.expose().to_owned())).collect();
    }

    /// Journals these response headers (the ones the document reads) with every exchange.
    pub fn journal_headers(&mut self, names: &'static [&'static str]) {
        self.headers = names;
    }

    fn error(&self, step: &'static str, message: String) -> Error {
        Error::new(ErrorKind::Durable(message), &self.run.ctx(step, None, 0))
    }

    fn check_interrupted(&mut self, step: &'static str) -> Result<(), Error> {
        match self.interrupted.take() {
            Some(message) => Err(self.error(step, message)),
            None => Ok(()),
        }
    }

    /// Starts the nested durable run of a workflow that step `step` calls (a step's
    /// `workflowId`, a `goto` or `retry` to a workflow, `dependsOn`): it runs in this run's
    /// Restate invocation, so the callee's exchanges and timers are journaled in this journal,
    /// in order, and it shares this run's step budget (the call counts one against it).
    pub fn call(&mut self, step: &'static str, workflow: &'static str) -> Result<Run, Error> {
        self.check_interrupted(step)?;
        let run = self.run.call(step, workflow)?;
        let ctx = Context { inner: self.ctx.inner.clone(), key: self.ctx.key.clone() };
        Ok(Run::new(ctx, run))
    }

    /// Waits before a `retry` of a workflow-calling step, as a durable timer (`seconds`, capped
    /// by `max_retry_delay`).
    pub async fn retry_call(&mut self, step: &'static str, action: &'static str, seconds: f64) {
        let nominal = retry_after::seconds_to_duration(seconds).unwrap_or_default();
        // A workflow-calling step sends no request of its own: it has no attempts to number.
        let delay = self.run.schedule_retry(step, RetryReason::Action(action), 0, nominal);
        self.sleep(step, WaitReason::RetryDelay(action), delay).await;
    }

    /// Sends a step's request as one journaled action; on replay, the journaled response.
    pub async fn send(&mut self, req: StepRequest) -> Result<Response, Error> {
        self.exchange(req, false).await
    }

    /// Sends a streaming step's request as one journaled action that keeps its status and
    /// headers, not its body (the connection is closed after the headers). The criteria are
    /// checked on those; the body is read later by the caller, who sends the request again with
    /// [`Results::open`]. The journal keeps that request with its secrets left out.
    pub async fn send_streaming(&mut self, req: StepRequest) -> Result<StreamingResponse, Error> {
        let (step, deferred) = (req.step, Deferred::of(&req, &self.secrets));
        let response = self.exchange(req, true).await?;
        let deferred = deferred.map_err(|what| self.error(step, what))?;
        Ok(StreamingResponse { response, deferred })
    }

    async fn exchange(&mut self, req: StepRequest, streaming: bool) -> Result<Response, Error> {
        let (step, operation, method) = (req.step, req.operation, req.method.clone());
        self.check_interrupted(step)?;
        self.run.spend(step, Some(operation))?;
        let mut exchange_run = self.run.detached();
        let live_error = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&live_error);
        let headers = self.headers;
        let journaled = self
            .ctx
            .inner
            .run(move || async move {
                let started = std::time::Instant::now();
                match exchange_run.execute(req, streaming).await {
                    Ok(resp) => Ok(Exchange::of(&resp, headers, started.elapsed())),
                    Err(e) => {
                        let message = e.to_string();
                        if let Ok(mut slot) = slot.lock() {
                            *slot = Some(e);
                        }
                        Err(TerminalError::new(message).into())
                    }
                }
            })
            .name(step)
            .await;
        match journaled {
            Ok(x) => {
                self.took.insert(step, Duration::from_millis(x.head.took_ms));
                let ctx = self.run.ctx(step, Some(operation), x.head.attempt);
                Ok(x.into_response(method, ctx, self.run.client.inner.max_line_bytes))
            }
            // The live error when this attempt sent the request; the journaled message on replay.
            Err(t) => match live_error.lock().ok().and_then(|mut e| e.take()) {
                Some(e) => Err(e),
                None => Err(self.error(step, t.message().to_owned())),
            },
        }
    }

    /// Waits before an Arazzo `retry` action, as a durable timer: the journaled response's
    /// `retry-after-ms` or `Retry-After` overrides `seconds`; capped by `max_retry_delay`.
    pub async fn retry_after(
        &mut self,
        resp: &Response,
        step: &'static str,
        action: &'static str,
        seconds: f64,
    ) {
        let (nominal, why) = retry_after::action_delay(&resp.headers, action, seconds);
        let delay = self.run.schedule_retry(step, RetryReason::Action(action), resp.ctx.attempt, nominal);
        self.sleep(step, why, delay).await;
    }

    /// Re-enters a step that already ran (a `goto` loop): counts against the step budget, then
    /// sleeps durably for `loop_pacing` less the step's last journaled exchange time.
    pub async fn reenter(&mut self, step: &'static str) -> Result<(), Error> {
        self.check_interrupted(step)?;
        self.run.spend(step, None)?;
        let inner = &self.run.client.inner;
        let took = self.took.get(step).copied();
        let nominal = took.map_or(Duration::ZERO, |t| inner.loop_pacing.saturating_sub(t));
        let delay = retry_after::cap(nominal, inner.max_retry_delay);
        let iteration = self.entries.entry(step).or_default();
        *iteration += 1;
        let event = StepReentered { workflow: self.run.workflow(), step, iteration: *iteration, delay };
        inner.observer.step_reentered(&event);
        self.sleep(step, WaitReason::LoopPacing, delay).await;
        Ok(())
    }

    async fn sleep(&mut self, step: &'static str, reason: WaitReason, delay: Duration) {
        if delay.is_zero() {
            return;
        }
        let until = std::time::Instant::now() + delay;
        let event = Waiting { workflow: self.run.workflow(), step, reason, delay, until };
        self.run.client.inner.observer.waiting(&event);
        if let Err(e) = self.ctx.inner.sleep(delay).await {
            self.interrupted = Some(e.message().to_owned());
        }
    }
}

impl std::ops::Deref for Run {
    type Target = crate::Run;

    fn deref(&self) -> &crate::Run {
        &self.run
    }
}

impl std::ops::DerefMut for Run {
    fn deref_mut(&mut self) -> &mut crate::Run {
        &mut self.run
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("durable::Run").field("run", &self.run).field("key", &self.ctx.key).finish()
    }
}

/// What the journal keeps of one exchange: a JSON head line, then the body's bytes as received.
struct Exchange {
    head: Head,
    body: Bytes,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Head {
    status: u16,
    headers: Vec<(String, String)>,
    url: String,
    request_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    location: Option<String>,
    attempt: u32,
    took_ms: u64,
}

/// Headers every run reads for its waits, whatever the document reads.
const WAIT_HEADERS: [&str; 2] = ["retry-after", "retry-after-ms"];

impl Exchange {
    fn of(resp: &Response, read: &[&str], took: Duration) -> Self {
        let headers = WAIT_HEADERS
            .iter()
            .chain(read)
            .flat_map(|name| resp.headers.get_all(*name).iter().map(move |v| (name, v)))
            .filter_map(|(name, v)| Some((name.to_string(), v.to_str().ok()?.to_owned())))
            .collect();
        let head = Head {
            status: resp.status,
            headers,
            url: resp.url.clone(),
            request_url: resp.request_url.clone(),
            location: resp.location.clone(),
            attempt: resp.ctx.attempt,
            took_ms: u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
        };
        Exchange { head, body: resp.body.clone() }
    }

    fn into_response(self, method: reqwest::Method, ctx: Ctx, max_line_bytes: usize) -> Response {
        let mut headers = HeaderMap::new();
        for (name, value) in &self.head.headers {
            if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
                headers.append(name, value);
            }
        }
        Response {
            status: self.head.status,
            headers,
            method,
            url: self.head.url,
            request_url: self.head.request_url,
            body: self.body,
            stream: None,
            ctx,
            location: self.head.location,
            max_line_bytes,
        }
    }
}

impl restate_sdk::serde::Serialize for Exchange {
    type Error = serde_json::Error;

    fn serialize(&self) -> Result<Bytes, serde_json::Error> {
        let head = serde_json::to_vec(&self.head)?;
        let mut out = bytes::BytesMut::with_capacity(head.len() + 1 + self.body.len());
        out.put_slice(&head);
        out.put_u8(b'\n');
        out.put_slice(&self.body);
        Ok(out.freeze())
    }
}

impl restate_sdk::serde::Deserialize for Exchange {
    type Error = serde_json::Error;

    fn deserialize(bytes: &mut Bytes) -> Result<Self, serde_json::Error> {
        // The head is one line: JSON escapes every newline inside it.
        let Some(end) = bytes.iter().position(|b| *b == b'\n') else {
            return Err(serde::de::Error::custom("a journaled exchange without its head line"));
        };
        let head = serde_json::from_slice(&bytes[..end])?;
        Ok(Exchange { head, body: bytes.slice(end + 1..) })
    }
}

/// Starts run `key` of the durable workflow `workflow` through Restate's ingress (for example
/// `http://127.0.0.1:8080`), or joins it if a run with that key exists already (its input is
/// then ignored), and waits for its result. While it waits, a lost connection to the ingress (a
/// restart of Restate) is retried every second for up to [`ATTACH_RETRIES`] seconds.
pub async fn start_or_attach<I: Serialize, O: DeserializeOwned>(
    ingress: &str,
    workflow: &'static str,
    key: &str,
    input: &I,
) -> Result<O, Error> {
    let fail = |what: String| Error::new(ErrorKind::Durable(what), &Ctx { workflow, ..Ctx::default() });
    let base = ingress.trim_end_matches('/');
    let key = crate::encode_path_segment(key);
    let http = reqwest::Client::new();
    let sent = http.post(format!("{base}/{workflow}/{key}/run/send")).json(input).send().await;
    let sent = sent.map_err(|e| fail(format!("cannot reach Restate's ingress at {base}: {e}")))?;
    if !sent.status().is_success() {
        let status = sent.status();
        let body = sent.text().await.unwrap_or_default();
        return Err(fail(format!("starting the run: {status}: {body}")));
    }
    let url = format!("{base}/restate/workflow/{workflow}/{key}/attach");
    let mut retries = 0;
    let (status, body) = loop {
        let attached = match http.get(&url).send().await {
            Ok(r) => Ok((r.status(), r.bytes().await)),
            Err(e) => Err(e),
        };
        match attached {
            Ok((status, Ok(body))) => break (status, body),
            Ok((_, Err(e))) | Err(e) if retries == ATTACH_RETRIES => {
                return Err(fail(format!("waiting for the run's result: {e}")));
            }
            _ => retries += 1,
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    };
    if !status.is_success() {
        return Err(fail(format!("the run failed: {}", String::from_utf8_lossy(&body))));
    }
    serde_json::from_slice(&body).map_err(|e| fail(format!("the run's result: {e}")))
}

/// How many times [`start_or_attach`] attaches again after losing its connection.
pub const ATTACH_RETRIES: u32 = 300;

/// Registers the worker serving at `worker` (for example `http://127.0.0.1:9080`) with Restate's
/// admin API at `admin` (for example `http://127.0.0.1:9070`); Restate then discovers its services.
/// The worker must be serving already.
pub async fn register(admin: &str, worker: &str) -> Result<(), Error> {
    let fail = |what: String| Error::new(ErrorKind::Durable(what), &Ctx::default());
    let url = format!("{}/deployments", admin.trim_end_matches('/'));
    let body = serde_json::json!({ "uri": worker, "force": true });
    let resp = reqwest::Client::new().post(url).json(&body).send().await;
    let resp = resp.map_err(|e| fail(format!("cannot reach Restate's admin API at {admin}: {e}")))?;
    if resp.status().is_success() {
        return Ok(());
    }
    let status = resp.status();
    Err(fail(format!("registering {worker}: {status}: {}", resp.text().await.unwrap_or_default())))
}

/// The response of a streaming step in a durable run: its journaled status and headers (read
/// them through `Deref`), and the request that [`Results::open`] sends again for the body.
pub struct StreamingResponse {
    response: Response,
    deferred: Deferred,
}

impl StreamingResponse {
    /// The items of the body, to be read by the caller: see [`Results`].
    pub fn into_jsonl<T>(self) -> Results<T> {
        Results { deferred: self.deferred, item: PhantomData }
    }

    /// Like [`into_jsonl`](Self::into_jsonl), keeping the response.
    pub fn take_jsonl<T>(&mut self) -> Results<T> {
        Results { deferred: self.deferred.clone(), item: PhantomData }
    }

    /// The chunks of a binary body, to be read by the caller: see [`Download`].
    pub fn into_bytes_stream(self) -> Download {
        Download { deferred: self.deferred }
    }

    /// Like [`into_bytes_stream`](Self::into_bytes_stream), keeping the response.
    pub fn take_bytes_stream(&mut self) -> Download {
        Download { deferred: self.deferred.clone() }
    }
}

impl std::ops::Deref for StreamingResponse {
    type Target = Response;

    fn deref(&self) -> &Response {
        &self.response
    }
}

/// A JSONL body a durable run does not journal: the request that reads it, with each secret
/// replaced by its position among the workflow's secret inputs. It is part of the run's result;
/// [`open`](Self::open) sends the request again (reading results is idempotent) and streams the
/// items. In a durable module this type stands where the plain module has [`JsonlStream`](crate::JsonlStream).
pub struct Results<T> {
    deferred: Deferred,
    item: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Results<T> {
    /// Sends the request again in `run` with the caller's `secrets` (in `Secrets::list` order)
    /// and streams the body's items. A status other than 2xx is an error.
    pub async fn open(
        self,
        run: &mut crate::Run,
        step: StepInfo,
        secrets: &[Option<&Secret>],
    ) -> Result<crate::JsonlStream<T>, Error> {
        Ok(self.deferred.send(run, step, secrets).await?.into_jsonl())
    }
}

/// A binary body (a download) a durable run does not journal, like [`Results`]: the request
/// that reads it, secrets by position. [`open`](Self::open) sends it again after the run and
/// streams the chunks. In a durable module this type stands where the plain module has
/// [`ByteStream`](crate::ByteStream).
#[derive(Clone, PartialEq)]
pub struct Download {
    deferred: Deferred,
}

impl Download {
    /// Sends the request again in `run` with the caller's `secrets` (in `Secrets::list` order)
    /// and streams the body's chunks. A status other than 2xx is an error.
    pub async fn open(
        self,
        run: &mut crate::Run,
        step: StepInfo,
        secrets: &[Option<&Secret>],
    ) -> Result<crate::ByteStream, Error> {
        Ok(self.deferred.send(run, step, secrets).await?.into_bytes_stream())
    }
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download").field("method", &self.deferred.method).finish_non_exhaustive()
    }
}

impl Serialize for Download {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.deferred.serialize(serializer)
    }
}

impl<'de> serde::Deserialize<'de> for Download {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Download { deferred: Deferred::deserialize(deserializer)? })
    }
}

impl Deferred {
    /// Sends the kept request again in `run`, with `secrets` put back; the streaming response,
    /// which must be 2xx.
    async fn send(
        self,
        run: &mut crate::Run,
        step: StepInfo,
        secrets: &[Option<&Secret>],
    ) -> Result<Response, Error> {
        for secret in secrets.iter().flatten() {
            run.redact(*secret);
        }
        let d = self;
        let url = unmask(&d.url, secrets).and_then(|url| {
            reqwest::Url::parse(&url).map_err(|e| ErrorKind::Config(format!("journaled URL: {e}")))
        });
        let mut request = StepRequest {
            step: step.step,
            operation: step.operation,
            method: reqwest::Method::from_bytes(d.method.as_bytes()).unwrap_or_default(),
            url,
            query: Vec::new(),
            querystring: None,
            timeout: None,
            headers: HeaderMap::new(),
            body: d.body.map(|b| Payload::Bytes(Bytes::from(b))),
            secrets: Vec::new(),
        };
        for (name, value) in &d.headers {
            request = match unmask(value, secrets) {
                Ok(text) if text != *value => request.header(name, Secret::new(text)),
                Ok(text) => request.header(name, text.as_str()),
                Err(kind) => {
                    request.fail(kind);
                    request
                }
            };
        }
        let response = run.send_streaming(request).await?;
        if !(200..300).contains(&response.status()) {
            let kind = ErrorKind::Durable("the stream's request, sent again after the run, failed".into());
            return Err(response.error(kind, &response.ctx));
        }
        Ok(response)
    }
}

impl<T> Clone for Results<T> {
    fn clone(&self) -> Self {
        Results { deferred: self.deferred.clone(), item: PhantomData }
    }
}

impl<T> PartialEq for Results<T> {
    fn eq(&self, other: &Self) -> bool {
        self.deferred == other.deferred
    }
}

impl<T> std::fmt::Debug for Results<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Results").field("method", &self.deferred.method).finish_non_exhaustive()
    }
}

impl<T> Serialize for Results<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.deferred.serialize(serializer)
    }
}

impl<'de, T> serde::Deserialize<'de> for Results<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let deferred = Deferred::deserialize(deserializer)?;
        Ok(Results { deferred, item: PhantomData })
    }
}

/// A request kept in the journal: secrets appear as `NUL index NUL`, which no header value or
/// URL can hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
struct Deferred {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    body: Option<Vec<u8>>,
}

impl Deferred {
    /// `req` with every secret (the texts of `secrets`) masked; an error when a secret it holds
    /// is not one of them, since the journal would then keep it.
    fn of(req: &StepRequest, secrets: &[Option<String>]) -> Result<Self, String> {
        let mask = |text: &str| {
            secrets.iter().enumerate().fold(text.to_owned(), |text, (i, s)| match s {
                Some(s) if !s.is_empty() => text.replace(s.as_str(), &format!("\0{i}\0")),
                _ => text,
            })
        };
        let mut url = req.url.clone().map_err(|e| e.to_string())?;
        if let Some(q) = &req.querystring {
            url.set_query(Some(q));
        }
        if !req.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&req.query);
        }
        let headers = req.headers.iter().map(|(name, value)| {
            let text = String::from_utf8_lossy(value.as_bytes());
            (name.as_str().to_owned(), mask(&text))
        });
        let deferred = Deferred {
            method: req.method.as_str().to_owned(),
            url: mask(url.as_str()),
            headers: headers.collect(),
            body: match &req.body {
                None => None,
                Some(Payload::Bytes(b)) => Some(b.to_vec()),
                Some(Payload::Multipart(_)) => {
                    return Err("a multipart streaming request cannot be kept in the journal".into());
                }
            },
        };
        let kept = serde_json::to_string(&deferred).unwrap_or_default();
        let body = deferred.body.as_deref().map(String::from_utf8_lossy).unwrap_or_default();
        let leaked = |s: &String| !s.is_empty() && (kept.contains(s.as_str()) || body.contains(s.as_str()));
        match req.secrets.iter().find(|s| leaked(s)) {
            Some(_) => {
                Err("a secret of this streaming request is not a secret input of the workflow, so it \
                 cannot be kept out of the journal"
                    .into())
            }
            None => Ok(deferred),
        }
    }
}

/// `text` with each `NUL index NUL` replaced by that secret; an error naming a missing one.
fn unmask(text: &str, secrets: &[Option<&Secret>]) -> Result<String, ErrorKind> {
    let mut parts = text.split('\0');
    let mut out = parts.next().unwrap_or_default().to_owned();
    while let Some(index) = parts.next() {
        let secret = index.parse::<usize>().ok().and_then(|i| secrets.get(i).copied().flatten());
        let Some(secret) = secret else {
            return Err(ErrorKind::InvalidInput(format!("the results request needs secret #{index}")));
        };
        out.push_str(secret.expose());
        out.push_str(parts.next().unwrap_or_default());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use restate_sdk::serde::{Deserialize as _, Serialize as _};

    fn request(key: &str) -> StepRequest {
        let client = crate::Client::builder().base_url("api", "https://api.example").build().expect("client");
        let run = client.run("w");
        run.request("s", "op", "api", reqwest::Method::GET, "/v1/batches/b1/results")
            .query("limit", "10")
            .header("x-api-key", Secret::new(key))
            .header("authorization", Secret::new(format!("Bearer {key}")))
            .header("anthropic-version", "2023-06-01")
    }

    #[test]
    fn an_exchange_keeps_its_body_bytes_after_the_head_line() {
        let head = Head {
            status: 200,
            headers: vec![("retry-after".into(), "3".into())],
            url: "https://api.example/x".into(),
            request_url: "https://api.example/x?a=1".into(),
            location: None,
            attempt: 2,
            took_ms: 41,
        };
        let body = Bytes::from_static(b"{\"a\":\n1}\n\xff");
        let bytes = Exchange { head, body: body.clone() }.serialize().expect("encodes");
        let back = Exchange::deserialize(&mut bytes.clone()).expect("decodes");
        assert_eq!((back.head.status, back.head.attempt, back.head.took_ms), (200, 2, 41));
        assert_eq!(back.head.headers, [("retry-after".to_string(), "3".to_string())]);
        assert_eq!(back.body, body);
        assert!(Exchange::deserialize(&mut Bytes::from_static(b"no head line")).is_err());
    }

    #[test]
    fn a_deferred_request_holds_secrets_by_position_only() {
        let key = "sk-deferred-7";
        let secrets = [None, Some(key.to_string())];
        let deferred = Deferred::of(&request(key), &secrets).expect("every secret is an input");
        let journaled = serde_json::to_string(&deferred).expect("serializes");
        assert!(!journaled.contains(key), "{journaled}");
        assert!(journaled.contains("limit=10") && journaled.contains("2023-06-01"), "{journaled}");

        let given = Secret::new(key);
        let unmasked: Vec<String> = deferred
            .headers
            .iter()
            .map(|(_, v)| unmask(v, &[None, Some(&given)]).expect("all secrets given"))
            .collect();
        assert_eq!(unmasked, ["sk-deferred-7", "Bearer sk-deferred-7", "2023-06-01"]);
        assert!(unmask(&deferred.headers[0].1, &[None]).is_err(), "a missing secret is an error");

        // A secret that is not a secret input would be journaled: refused.
        assert!(Deferred::of(&request(key), &[Some("other".into())]).is_err());
    }

    #[test]
    fn results_serialize_as_their_request() {
        let deferred =
            Deferred::of(&request("sk-results-3"), &[Some("sk-results-3".into())]).expect("deferred");
        let results = Results::<serde_json::Value> { deferred, item: PhantomData };
        let text = serde_json::to_string(&results).expect("serializes");
        let back: Results<serde_json::Value> = serde_json::from_str(&text).expect("deserializes");
        assert_eq!(back, results);
    }
}
