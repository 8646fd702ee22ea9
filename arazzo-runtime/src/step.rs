//! The names a step's request carries into errors and observer events.

use crate::run::{Run, StepRequest};
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
