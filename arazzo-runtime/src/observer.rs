//! Hooks for logs, tracing and progress bars.

use std::time::{Duration, Instant};

/// A request of a step is about to be sent.
#[derive(Debug)]
#[non_exhaustive]
pub struct StepStarted<'a> {
    /// The workflow id.
    pub workflow: &'a str,
    /// The step id.
    pub step: &'a str,
    /// The operation id (or path) of the step.
    pub operation: &'a str,
    /// The HTTP method.
    pub method: &'a str,
    /// The URL, without query string.
    pub url: &'a str,
    /// 1-based attempt of the step since it was last entered (retries count).
    pub attempt: u32,
}

/// A request of a step finished: a response arrived (its body read, unless streaming) or it failed.
#[derive(Debug)]
#[non_exhaustive]
pub struct StepFinished<'a> {
    /// The workflow id.
    pub workflow: &'a str,
    /// The step id.
    pub step: &'a str,
    /// The operation id (or path) of the step.
    pub operation: &'a str,
    /// The response status; `None` when no response arrived.
    pub status: Option<u16>,
    /// Time from sending to the end of the body (or to the headers, when streaming).
    pub elapsed: Duration,
    /// 1-based attempt of the step.
    pub attempt: u32,
    /// The buffered body; empty when streaming, when the response is about to be retried, or when
    /// no response arrived. It may contain secrets
    /// the server echoed: log it with care.
    pub body: &'a [u8],
}

/// Why a step is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryReason {
    /// An Arazzo `retry` action, by name.
    Action(&'static str),
    /// A transport error or a retryable status (408, 429, 5xx) of an idempotent request.
    Transport,
}

/// A step will be sent again after a delay.
#[derive(Debug)]
#[non_exhaustive]
pub struct RetryScheduled<'a> {
    /// The workflow id.
    pub workflow: &'a str,
    /// The step id.
    pub step: &'a str,
    /// Why.
    pub reason: RetryReason,
    /// The attempt that is being retried (the next one is `attempt + 1`).
    pub attempt: u32,
    /// The delay asked for (server hint, document, or backoff).
    pub nominal: Duration,
    /// The delay actually slept, after `max_retry_delay`.
    pub delay: Duration,
}

/// A `goto` re-enters a step that already ran.
#[derive(Debug)]
#[non_exhaustive]
pub struct StepReentered<'a> {
    /// The workflow id.
    pub workflow: &'a str,
    /// The step id.
    pub step: &'a str,
    /// How many times this step has been re-entered in this run, this one included.
    pub iteration: u32,
    /// The pacing delay slept before re-entering.
    pub delay: Duration,
}

/// Why a run sleeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WaitReason {
    /// The `retryAfter` of an Arazzo `retry` action, by name.
    RetryDelay(&'static str),
    /// The server's `Retry-After` (or `retry-after-ms`) header, before an Arazzo or a transport
    /// retry (the [`RetryScheduled`] event just before says which).
    RetryAfterHeader,
    /// The client's loop pacing, before a `goto` re-enters a step.
    LoopPacing,
    /// Exponential backoff before a transport retry.
    Backoff,
}

/// A run is about to sleep (never sent for a zero delay); it goes on at `until`.
#[derive(Debug)]
#[non_exhaustive]
pub struct Waiting<'a> {
    /// The workflow id.
    pub workflow: &'a str,
    /// The step id: the step that runs again after the wait.
    pub step: &'a str,
    /// Why.
    pub reason: WaitReason,
    /// How long, after `max_retry_delay`.
    pub delay: Duration,
    /// When the wait ends.
    pub until: Instant,
}

/// Receives the events of every run of a [`Client`](crate::Client). All methods do nothing by default.
pub trait Observer: Send + Sync + 'static {
    /// See [`StepStarted`].
    fn step_started(&self, _e: &StepStarted<'_>) {}
    /// See [`StepFinished`].
    fn step_finished(&self, _e: &StepFinished<'_>) {}
    /// See [`RetryScheduled`].
    fn retry_scheduled(&self, _e: &RetryScheduled<'_>) {}
    /// See [`StepReentered`].
    fn step_reentered(&self, _e: &StepReentered<'_>) {}
    /// See [`Waiting`].
    fn waiting(&self, _e: &Waiting<'_>) {}
}

/// The default observer: `tracing` events (requests at debug, results and waits at info).
/// It never logs bodies, headers or query strings.
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingObserver;

impl Observer for TracingObserver {
    fn step_started(&self, e: &StepStarted<'_>) {
        tracing::debug!(
            workflow = e.workflow,
            step = e.step,
            operation = e.operation,
            method = e.method,
            url = e.url,
            attempt = e.attempt,
            "step started"
        );
    }
    fn step_finished(&self, e: &StepFinished<'_>) {
        tracing::info!(
            workflow = e.workflow,
            step = e.step,
            operation = e.operation,
            status = e.status,
            elapsed_ms = e.elapsed.as_millis() as u64,
            attempt = e.attempt,
            "step finished"
        );
    }
    fn retry_scheduled(&self, e: &RetryScheduled<'_>) {
        let reason = match e.reason {
            RetryReason::Action(a) => a,
            RetryReason::Transport => "transport",
        };
        tracing::info!(
            workflow = e.workflow,
            step = e.step,
            reason,
            attempt = e.attempt,
            nominal_ms = e.nominal.as_millis() as u64,
            delay_ms = e.delay.as_millis() as u64,
            "retry scheduled"
        );
    }
    fn step_reentered(&self, e: &StepReentered<'_>) {
        tracing::debug!(
            workflow = e.workflow,
            step = e.step,
            iteration = e.iteration,
            delay_ms = e.delay.as_millis() as u64,
            "step re-entered"
        );
    }
    fn waiting(&self, e: &Waiting<'_>) {
        tracing::debug!(
            workflow = e.workflow,
            step = e.step,
            reason = ?e.reason,
            delay_ms = e.delay.as_millis() as u64,
            "waiting"
        );
    }
}
