//! The names a step's request carries into errors and observer events.

use crate::error::Error;
use crate::response::Response;
use crate::run::{Run, StepRequest};
use crate::support::unmet;
use reqwest::Method;

/// A step as generated code describes it once, in a `const`: its step id, the operation it
/// calls, and the source description whose base URL the request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepInfo {
    /// The Arazzo `stepId`.
    pub step: &'static str,
    /// The operationId (or `METHOD /path` when the operation has none).
    pub operation: &'static str,
    /// The source description name, which selects the base URL.
    pub source: &'static str,
}

impl StepInfo {
    /// Describes a step.
    pub const fn new(step: &'static str, operation: &'static str, source: &'static str) -> Self {
        StepInfo { step, operation, source }
    }
}

impl Run {
    /// Starts the request of the step `info`, like [`Run::request`].
    pub fn step(&self, info: StepInfo, method: Method, path: &str) -> StepRequest {
        self.request(info.step, info.operation, info.source, method, path)
    }
}

impl Run {
    /// `Ok` when every criterion of a step holds (each is `(holds, source text)`); else the
    /// step's error, naming each criterion that does not hold.
    pub fn check(&self, response: &Response, criteria: &[(bool, &'static str)]) -> Result<(), Error> {
        let failed = unmet(criteria);
        if failed.is_empty() { Ok(()) } else { Err(self.failed(response, &failed)) }
    }

    /// Like [`check`](Self::check) for a step that decoded its body: the body when every
    /// criterion holds; a 2xx body that does not fit its schema is an error of its own.
    pub fn check_body<T>(
        &self,
        response: &Response,
        criteria: &[(bool, &'static str)],
        body: Result<T, Error>,
    ) -> Result<T, Error> {
        let failed = unmet(criteria);
        if failed.is_empty() { body } else { Err(self.failed_decoding(response, &failed, body)) }
    }
}
