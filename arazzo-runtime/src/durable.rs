//! Durable runs on [Restate](https://restate.dev) (cargo feature `restate`).
//!
//! With `Settings::durable` (CLI `--durable`, macro argument `durable = true`), `arazzo-codegen`
//! also emits, in each workflow's module, a `durable` module: the same workflow function and step
//! functions, written against this module's [`Run`], and a `Workflow` type implementing
//! [`Workflow`]. A worker serves it with [`service`] on a Restate endpoint; a caller starts or
//! joins a run with [`start_or_attach`].
//!
//! # From Arazzo to Restate
//!
//! - The workflow is a Restate *workflow service* named by its `workflowId`; a run's key is the
//!   caller's run id, so two starts with the same id are one run.
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
//!   [`Secret`](crate::Secret) input and the worker supplies them (`Secrets`).
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
//! A JSONL body (`$response.body` read as a stream) is not journaled line by line: it could be
//! gigabytes. Workflows whose steps stream are not emitted as durable services; the durable
//! part of such a workflow ends with the identifiers the stream needs (for the batch seed, the
//! batch id and `results_url`), and the caller fetches the results after it, which is
//! idempotent. Workflows that call other workflows are not emitted as durable services either.

use crate::error::{Ctx, Error, ErrorKind};
use crate::observer::{RetryReason, RetryScheduled, StepReentered, WaitReason, Waiting};
use crate::response::Response;
use crate::retry_after;
use crate::run::StepRequest;
use bytes::{BufMut, Bytes};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use restate_sdk::context::{ContextSideEffects, ContextTimers, RunFuture};
use restate_sdk::discovery::{self, HandlerName, HandlerType, InputPayload, OutputPayload, ServiceName};
use restate_sdk::endpoint::ContextInternal;
use restate_sdk::errors::{HandlerError, TerminalError};
use restate_sdk::serde::Json;
use restate_sdk::service::macro_support::{ServiceBoxFuture, service_definition};
use restate_sdk::service::{Service, ServiceDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use restate_sdk;
pub use restate_sdk::context::WorkflowContext;

/// A workflow compiled for durable runs; generated code implements it.
pub trait Workflow: Send + Sync + 'static {
    /// The Restate service name: the Arazzo `workflowId`.
    const NAME: &'static str;
    /// The journaled input: the workflow's inputs without its secrets.
    type Input: Serialize + DeserializeOwned + Send + 'static;
    /// The run's result.
    type Output: Serialize + DeserializeOwned + Send + 'static;

    /// Runs the workflow inside the Restate invocation `ctx`.
    fn run(
        &self,
        ctx: WorkflowContext<'_>,
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
            let result = workflow.run((&ctx, metadata).into(), input).await;
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
pub struct Run<'ctx> {
    run: crate::Run,
    ctx: WorkflowContext<'ctx>,
    /// Response headers the document reads, journaled with each exchange.
    headers: &'static [&'static str],
    /// How long each step's last exchange took, as journaled.
    took: HashMap<&'static str, Duration>,
    entries: HashMap<&'static str, u32>,
    /// Restate ended a timer (the run was canceled): the next step fails with this.
    interrupted: Option<String>,
}

impl<'ctx> Run<'ctx> {
    /// A durable run of `run`'s workflow in the invocation `ctx`.
    pub fn new(ctx: WorkflowContext<'ctx>, run: crate::Run) -> Self {
        Run {
            run,
            ctx,
            headers: &[],
            took: HashMap::new(),
            entries: HashMap::new(),
            interrupted: None,
        }
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

    /// Sends a step's request as one journaled action; on replay, the journaled response.
    pub async fn send(&mut self, req: StepRequest) -> Result<Response, Error> {
        let (step, operation, method) = (req.step, req.operation, req.method.clone());
        self.check_interrupted(step)?;
        self.run.spend(step, Some(operation))?;
        let mut exchange_run = self.run.detached();
        let live_error = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&live_error);
        let headers = self.headers;
        let journaled = self
            .ctx
            .run(move || async move {
                let started = std::time::Instant::now();
                match exchange_run.execute(req, false).await {
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
    pub async fn retry_after(&mut self, resp: &Response, step: &'static str, action: &'static str, seconds: f64) {
        let (nominal, why) = retry_after::action_delay(&resp.headers, action, seconds);
        let inner = &self.run.client.inner;
        let delay = retry_after::cap(nominal, inner.max_retry_delay);
        let (workflow, attempt, reason) = (self.run.workflow(), resp.ctx.attempt, RetryReason::Action(action));
        let event = RetryScheduled { workflow, step, reason, attempt, nominal, delay };
        inner.observer.retry_scheduled(&event);
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
        if let Err(e) = self.ctx.sleep(delay).await {
            self.interrupted = Some(e.message().to_owned());
        }
    }
}

impl std::ops::Deref for Run<'_> {
    type Target = crate::Run;

    fn deref(&self) -> &crate::Run {
        &self.run
    }
}

impl std::ops::DerefMut for Run<'_> {
    fn deref_mut(&mut self) -> &mut crate::Run {
        &mut self.run
    }
}

impl std::fmt::Debug for Run<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("durable::Run").field("run", &self.run).field("key", &self.ctx.key()).finish()
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
/// then ignored), and waits for its result.
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
    let attached = http.get(url).send().await.map_err(|e| fail(format!("attaching to the run: {e}")))?;
    let status = attached.status();
    let body = attached.bytes().await.map_err(|e| fail(format!("reading the run's result: {e}")))?;
    if !status.is_success() {
        return Err(fail(format!("the run failed: {}", String::from_utf8_lossy(&body))));
    }
    serde_json::from_slice(&body).map_err(|e| fail(format!("the run's result: {e}")))
}
