//! The one error type of generated workflows.

use std::fmt;
use std::sync::Arc;

/// At most this many bytes of a response body go into an error.
const EXCERPT_BYTES: usize = 512;

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request could not be sent or its response could not be read.
    #[error("transport error")]
    Transport,
    /// The request or the body read timed out.
    #[error("request timed out")]
    Timeout,
    /// The step's `timeout` (Arazzo 1.1) ran out: it covers every attempt of the step since it
    /// was entered, its transport retries and the waits of its `retry` actions.
    #[error("step timeout of {ms} ms ran out")]
    StepTimeout {
        /// The step's `timeout`, in milliseconds.
        ms: u64,
    },
    /// The step's success criteria did not hold and no failure action matched.
    #[error("criteria not met: {}", .criteria.join(", "))]
    CriteriaFailed {
        /// The source text of each criterion that failed.
        criteria: Vec<&'static str>,
    },
    /// A retry action was used up and no later action matched.
    #[error("retry limit of {limit} reached (action `{action}`)")]
    RetryLimitReached {
        /// The name of the retry action.
        action: &'static str,
        /// Its `retryLimit`.
        limit: u32,
    },
    /// The run made more requests and loop re-entries than the client's step budget allows.
    #[error("step budget of {budget} requests and re-entries exceeded (see ClientBuilder::step_budget)")]
    StepBudgetExceeded {
        /// The budget.
        budget: u32,
    },
    /// The response body is not the expected JSON.
    #[error("could not decode the response body")]
    Decode,
    /// A response body to be read whole is longer than the client's limit; it was not read to its end.
    #[error("response body larger than {limit} bytes (see ClientBuilder::max_body_bytes)")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// A line of a JSONL body is longer than the client's limit; the stream ends there.
    #[error("JSONL line {line} longer than {limit} bytes (see ClientBuilder::max_line_bytes)")]
    LineTooLong {
        /// The 1-based line number in the body.
        line: usize,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A line of a JSONL body is not the expected JSON.
    #[error("malformed JSONL at line {line}")]
    Jsonl {
        /// The 1-based line number in the body.
        line: usize,
    },
    /// An input of the workflow is not usable.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// A workflow output has no value: the step output it returns was missing or null.
    #[error("workflow output `{output}` has no value (the response did not have it)")]
    OutputMissing {
        /// The output's name, as in the Arazzo document.
        output: &'static str,
    },
    /// A Selector Object (Arazzo 1.1) selected several values: it names one value, and which of
    /// them the document meant is not known.
    #[error("selector `{query}` selected {count} values, where it names one")]
    SeveralSelected {
        /// The selector expression (JSONPath or XPath), as written.
        query: String,
        /// How many nodes or items it selected.
        count: usize,
    },
    /// The client is not configured for this request.
    #[error("configuration error: {0}")]
    Config(String),
    /// A durable run failed in Restate: a journaled step failed in an earlier attempt (its
    /// message, already redacted, is what the journal kept), or Restate ended a timer or action.
    #[error("durable run: {0}")]
    Durable(String),
}

/// Where an error happened; copied from the run and the response.
#[derive(Clone, Default)]
pub(crate) struct Ctx {
    pub workflow: &'static str,
    pub step: Option<&'static str>,
    pub operation: Option<&'static str>,
    pub attempt: u32,
    /// Texts to redact from excerpts. Never printed.
    pub secrets: Arc<Vec<String>>,
}

/// A workflow error: what went wrong, and where (workflow, step, operation, attempt, status).
///
/// It never contains a secret: body excerpts have every secret the run sent in a header replaced
/// by `[redacted]`, and URLs are printed without query string or user info.
pub struct Error(Box<repr::Error>);

mod repr {
    /// The fields of [`super::Error`], boxed so that `Result<_, Error>` stays small.
    #[derive(Debug)]
    pub(super) struct Error {
        pub kind: super::ErrorKind,
        pub workflow: &'static str,
        pub step: Option<&'static str>,
        pub operation: Option<&'static str>,
        pub attempt: u32,
        pub status: Option<u16>,
        pub detail: Option<String>,
        pub excerpt: Option<String>,
        pub location: Option<String>,
        pub source: Option<super::BoxError>,
    }
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, ctx: &Ctx) -> Self {
        Error(Box::new(repr::Error {
            kind,
            workflow: ctx.workflow,
            step: ctx.step,
            operation: ctx.operation,
            attempt: ctx.attempt,
            status: None,
            detail: None,
            excerpt: None,
            location: None,
            source: None,
        }))
    }

    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    pub(crate) fn with_detail(mut self, detail: String) -> Self {
        self.0.detail = Some(detail);
        self
    }

    pub(crate) fn with_location(mut self, location: Option<String>) -> Self {
        self.0.location = location;
        self
    }

    /// Adds a redacted excerpt of `body` around byte `at`.
    pub(crate) fn with_excerpt(mut self, body: &[u8], at: usize, ctx: &Ctx) -> Self {
        if !body.is_empty() {
            self.0.excerpt = Some(excerpt(body, at, &ctx.secrets));
        }
        self
    }

    pub(crate) fn with_source(mut self, source: impl Into<BoxError>) -> Self {
        self.0.source = Some(source.into());
        self
    }

    /// A transport or timeout error from reqwest, without its URL.
    pub(crate) fn transport(err: reqwest::Error, ctx: &Ctx, request: &str) -> Self {
        let kind = if err.is_timeout() { ErrorKind::Timeout } else { ErrorKind::Transport };
        let err = err.without_url();
        let mut detail = format!("{request}: {err}");
        let mut cause = std::error::Error::source(&err);
        while let Some(c) = cause {
            detail.push_str(&format!(": {c}"));
            cause = c.source();
        }
        Error::new(kind, ctx).with_detail(detail).with_source(err)
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// The workflow id.
    pub fn workflow(&self) -> &str {
        self.0.workflow
    }

    /// The step id, when the error belongs to a step.
    pub fn step(&self) -> Option<&str> {
        self.0.step
    }

    /// The operation id (or path) of the step.
    pub fn operation(&self) -> Option<&str> {
        self.0.operation
    }

    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// At most 512 bytes of the response body, with the run's secrets replaced by `[redacted]`.
    pub fn body_excerpt(&self) -> Option<&str> {
        self.0.excerpt.as_deref()
    }

    /// Where the server redirected the step's request when the client did not follow (see
    /// [`Redirects`](crate::Redirects)), without query string or user info.
    pub fn location(&self) -> Option<&str> {
        self.0.location.as_deref()
    }

    /// Which attempt of the step failed: 1-based, counting transport and Arazzo retries since the
    /// step was last entered (a `goto` re-entry starts again at 1); 0 when no request was made.
    pub fn attempt(&self) -> u32 {
        self.0.attempt
    }

    /// True for transport errors, timeouts and statuses 408, 409, 429 and 5xx: trying again later may work.
    pub fn is_retryable(&self) -> bool {
        matches!(self.0.kind, ErrorKind::Transport | ErrorKind::Timeout)
            || self.0.status.is_some_and(|s| matches!(s, 408 | 409 | 429 | 500..=599))
    }
}

/// The one-line message, so that `main() -> Result<(), Box<dyn Error>>` prints it readably;
/// `{:#?}` shows every field.
impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if f.alternate() { self.0.fmt(f) } else { fmt::Display::fmt(self, f) }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "workflow `{}`", self.0.workflow)?;
        if let Some(step) = self.0.step {
            write!(f, ", step `{step}`")?;
        }
        if let Some(op) = self.0.operation {
            write!(f, " (operation `{op}`)")?;
        }
        if self.0.attempt > 0 {
            write!(f, ", attempt {}", self.0.attempt)?;
        }
        f.write_str(": ")?;
        if let Some(status) = self.0.status {
            write!(f, "HTTP {status}: ")?;
        }
        write!(f, "{}", self.0.kind)?;
        if let Some(detail) = &self.0.detail {
            write!(f, ": {}", one_line(detail))?;
        }
        if let Some(location) = &self.0.location {
            write!(f, "; redirect to {location} not followed (see ClientBuilder::redirects)")?;
        }
        if let Some(excerpt) = &self.0.excerpt {
            write!(f, "; body: {}", one_line(excerpt))?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

fn one_line(s: &str) -> String {
    s.split(['\r', '\n']).filter(|l| !l.trim().is_empty()).map(str::trim).collect::<Vec<_>>().join(" ")
}

/// A window of at most 512 bytes of `body` around byte `at`, UTF-8 safe, secrets redacted.
///
/// The window is widened so it never cuts through a secret, then redacted, then truncated.
pub(crate) fn excerpt(body: &[u8], at: usize, secrets: &[String]) -> String {
    let mut start = at.min(body.len()).saturating_sub(EXCERPT_BYTES / 2);
    let mut end = (start + EXCERPT_BYTES).min(body.len());
    start = end.saturating_sub(EXCERPT_BYTES);
    let continuation = |i: usize| body.get(i).is_some_and(|b| b & 0xC0 == 0x80);
    while start > 0 && continuation(start) {
        start -= 1;
    }
    while end > start && continuation(end) {
        end -= 1;
    }
    for secret in secrets.iter().map(String::as_bytes).filter(|s| !s.is_empty()) {
        for (i, _) in body.windows(secret.len()).enumerate().filter(|(_, w)| *w == secret) {
            let j = i + secret.len();
            if i < start && start < j {
                start = i;
            }
            if i < end && end < j {
                end = j;
            }
        }
    }
    let mut text = String::from_utf8_lossy(body.get(start..end).unwrap_or_default()).into_owned();
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret.as_str(), "[redacted]");
    }
    if text.len() > EXCERPT_BYTES {
        let mut cut = EXCERPT_BYTES;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx { workflow: "w", step: Some("s"), operation: Some("op"), attempt: 2, secrets: Arc::default() }
    }

    #[test]
    fn a_missing_output_is_named() {
        let ctx = Ctx { workflow: "w", ..Ctx::default() };
        let e = Error::new(ErrorKind::OutputMissing { output: "batchId" }, &ctx);
        assert_eq!(
            e.to_string(),
            "workflow `w`: workflow output `batchId` has no value (the response did not have it)"
        );
    }

    #[test]
    fn display_is_one_line() {
        let e = Error::new(ErrorKind::CriteriaFailed { criteria: vec!["$statusCode == 200"] }, &ctx())
            .with_status(404)
            .with_excerpt(b"{\"error\":\n \"nope\"}", 0, &ctx());
        assert_eq!(
            e.to_string(),
            "workflow `w`, step `s` (operation `op`), attempt 2: HTTP 404: criteria not met: $statusCode == 200; body: {\"error\": \"nope\"}"
        );
        assert!(!e.is_retryable());
        assert!(Error::new(ErrorKind::Decode, &ctx()).with_status(529).is_retryable());
        assert!(Error::new(ErrorKind::Timeout, &Ctx::default()).is_retryable());
    }

    #[test]
    fn debug_is_the_message_for_main() {
        let e =
            Error::new(ErrorKind::Timeout, &ctx()).with_detail("GET http://h/x: operation timed out".into());
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        let expected = "workflow `w`, step `s` (operation `op`), attempt 2: request timed out: GET http://h/x: \
                        operation timed out";
        assert_eq!(format!("{boxed:?}"), expected);
        assert!(format!("{boxed:#?}").contains("kind: Timeout"));
    }

    #[test]
    fn excerpts_are_bounded_utf8_safe_and_redacted() {
        let secrets = vec!["sk-secret-key".to_owned()];
        let mut body = "é".repeat(400).into_bytes();
        body.extend_from_slice(b"sk-secret-key");
        body.extend("ü".repeat(400).into_bytes());
        for at in [0, 250, 799, 800, 805, 813, 2000] {
            let ex = excerpt(&body, at, &secrets);
            assert!(ex.len() <= EXCERPT_BYTES, "{at}");
            assert!(!ex.contains("sk-") && !ex.contains("key") && !ex.contains('\u{FFFD}'), "{at}: {ex}");
        }
        assert!(excerpt(&body, 805, &secrets).contains("[redacted]"));
        assert_eq!(excerpt(b"short", 99, &[]), "short");
    }

    #[test]
    fn secret_cut_by_window_is_redacted() {
        let secrets = vec!["SECRET".to_owned()];
        let body = format!("{}SECRET{}", "a".repeat(509), "b".repeat(600));
        let ex = excerpt(body.as_bytes(), 0, &secrets);
        assert!(!ex.contains("SEC") && ex.ends_with("[re"));
    }
}
