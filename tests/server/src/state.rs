//! Server state: the batch store with its lifecycle, the fault set and the request log.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use crate::ServerConfig;
use crate::faults::{Fault, FaultKind, FaultSet};
use crate::files::{UploadedFile, UploadedPart};
use crate::log::{LoggedRequest, RequestLog};
use crate::model::{
    ApiError, BatchPage, DeletedMessageBatch, MessageBatch, Outcome, ProcessingStatus, RequestCounts,
    message, result_line, rfc3339, to_json,
};
use crate::routes::Route;

/// How long a batch may run before its unsent requests expire.
const EXPIRY: Duration = Duration::from_secs(24 * 60 * 60);

/// Shared, cloneable state behind a server: batches, faults and the request log.
///
/// Build one with [`AppState::new`] and serve it with [`crate::router`] if you bind the listener yourself;
/// [`crate::TestServer`] does both.
#[derive(Clone)]
pub struct AppState {
    shared: Arc<Shared>,
}

struct Shared {
    api_key: Option<String>,
    results_content_type: String,
    store: Mutex<Store>,
    faults: Mutex<FaultSet>,
    log: Mutex<RequestLog>,
    next_request: AtomicU64,
    files: Mutex<Vec<UploadedFile>>,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState").field("api_key", &self.shared.api_key).finish_non_exhaustive()
    }
}

/// Locks a mutex, recovering the data if a previous holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AppState {
    /// Creates the state for a server reachable at `base_url` (used for absolute `results_url`s,
    /// e.g. `http://127.0.0.1:8080`, without a trailing slash).
    pub fn new(config: ServerConfig, base_url: impl Into<String>) -> Self {
        let lifecycle = Lifecycle {
            polls_until_ended: config.polls_until_ended,
            cancel_polls_until_ended: config.cancel_polls_until_ended,
            processing_time: config.processing_time,
        };
        let mut faults = FaultSet::default();
        for fault in config.faults {
            faults.push(fault);
        }
        AppState {
            shared: Arc::new(Shared {
                api_key: config.api_key,
                results_content_type: config.results_content_type,
                store: Mutex::new(Store::new(lifecycle, base_url.into())),
                faults: Mutex::new(faults),
                log: Mutex::new(RequestLog::default()),
                next_request: AtomicU64::new(1),
                files: Mutex::new(Vec::new()),
            }),
        }
    }

    /// Every logged request, in arrival order.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        lock(&self.shared.log).snapshot()
    }

    /// Empties the request log.
    pub fn clear_log(&self) {
        lock(&self.shared.log).clear();
    }

    /// Appends a fault; it counts only requests that arrive after this call.
    pub fn add_fault(&self, fault: Fault) {
        lock(&self.shared.faults).push(fault);
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// The current `MessageBatch` JSON of a batch, or `None` if it does not exist (or was deleted).
    ///
    /// This is a peek: it applies time-based transitions (`processing_time`) but does not count as a poll.
    pub fn batch(&self, id: &str) -> Option<Value> {
        self.store().peek(id).map(|batch| to_json(&batch))
    }

    pub(crate) fn api_key(&self) -> Option<&str> {
        self.shared.api_key.as_deref()
    }

    /// Every file uploaded so far, in order, with the parts of its upload as received.
    pub fn uploads(&self) -> Vec<UploadedFile> {
        lock(&self.shared.files).clone()
    }

    /// Keeps an upload; returns its file.
    pub(crate) fn add_upload(&self, parts: Vec<UploadedPart>) -> UploadedFile {
        let mut files = lock(&self.shared.files);
        let file = UploadedFile { id: format!("file_{:024}", files.len() + 1), parts };
        files.push(file.clone());
        file
    }

    /// An uploaded file by id.
    pub(crate) fn upload(&self, id: &str) -> Option<UploadedFile> {
        lock(&self.shared.files).iter().find(|f| f.id == id).cloned()
    }

    pub(crate) fn results_content_type(&self) -> &str {
        &self.shared.results_content_type
    }

    pub(crate) fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.shared.store)
    }

    pub(crate) fn next_request_id(&self) -> String {
        format!("req_{:024}", self.shared.next_request.fetch_add(1, Ordering::Relaxed))
    }

    pub(crate) fn take_fault(&self, route: Route) -> Option<FaultKind> {
        lock(&self.shared.faults).select(route)
    }

    pub(crate) fn log_arrival(&self, request: LoggedRequest) -> u64 {
        lock(&self.shared.log).push(request)
    }

    pub(crate) fn log_status(&self, seq: u64, status: u16) {
        lock(&self.shared.log).set_status(seq, status);
    }
}

/// Lifecycle settings copied from [`ServerConfig`].
#[derive(Debug, Clone, Copy)]
struct Lifecycle {
    polls_until_ended: u32,
    cancel_polls_until_ended: u32,
    processing_time: Option<Duration>,
}

/// One accepted request of a batch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BatchItem {
    pub custom_id: String,
    pub params: Value,
}

/// Query of a list call, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListQuery {
    pub before_id: Option<String>,
    pub after_id: Option<String>,
    pub limit: usize,
}

impl Default for ListQuery {
    fn default() -> Self {
        ListQuery { before_id: None, after_id: None, limit: 20 }
    }
}

/// A point in time on both clocks: wall time for timestamps, monotonic time for `processing_time`.
#[derive(Debug, Clone, Copy)]
struct Now {
    wall: SystemTime,
    mono: Instant,
}

impl Now {
    fn get() -> Self {
        Now { wall: SystemTime::now(), mono: Instant::now() }
    }
}

/// How a batch reached `ended`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Processed,
    Canceled,
    Expired,
}

#[derive(Debug)]
struct Batch {
    id: String,
    items: Vec<BatchItem>,
    status: ProcessingStatus,
    created_at: SystemTime,
    created: Instant,
    polls: u32,
    cancel_polls: u32,
    cancel_initiated_at: Option<SystemTime>,
    cancel_initiated: Option<Instant>,
    ended_at: Option<SystemTime>,
    /// One outcome per item, filled when the batch ends.
    outcomes: Vec<Outcome>,
}

/// All batches, keyed by id; ids are counter-based so key order is creation order.
#[derive(Debug)]
pub(crate) struct Store {
    lifecycle: Lifecycle,
    base_url: String,
    next_batch: u64,
    next_message: u64,
    batches: BTreeMap<String, Batch>,
}

impl Store {
    fn new(lifecycle: Lifecycle, base_url: String) -> Self {
        Store { lifecycle, base_url, next_batch: 1, next_message: 1, batches: BTreeMap::new() }
    }

    /// Creates an `in_progress` batch from validated items.
    pub fn create(&mut self, items: Vec<BatchItem>) -> MessageBatch {
        let now = Now::get();
        let id = format!("msgbatch_{:024}", self.next_batch);
        self.next_batch += 1;
        let batch = Batch {
            id: id.clone(),
            items,
            status: ProcessingStatus::InProgress,
            created_at: now.wall,
            created: now.mono,
            polls: 0,
            cancel_polls: 0,
            cancel_initiated_at: None,
            cancel_initiated: None,
            ended_at: None,
            outcomes: Vec::new(),
        };
        let view = batch.view(&self.base_url);
        self.batches.insert(id, batch);
        view
    }

    /// Retrieves a batch; this is the polling call that advances the lifecycle.
    pub fn retrieve(&mut self, id: &str) -> Result<MessageBatch, ApiError> {
        let Store { lifecycle, base_url, next_message, batches, .. } = self;
        let batch = batches.get_mut(id).ok_or_else(|| ApiError::batch_not_found(id))?;
        let now = Now::get();
        batch.tick(lifecycle, now, next_message);
        batch.poll(lifecycle, now, next_message);
        Ok(batch.view(base_url))
    }

    /// The current state of a batch without counting a poll.
    pub fn peek(&mut self, id: &str) -> Option<MessageBatch> {
        let Store { lifecycle, base_url, next_message, batches, .. } = self;
        let batch = batches.get_mut(id)?;
        batch.tick(lifecycle, Now::get(), next_message);
        Some(batch.view(base_url))
    }

    /// Starts canceling an `in_progress` batch; other batches are returned unchanged.
    pub fn cancel(&mut self, id: &str) -> Result<MessageBatch, ApiError> {
        let Store { lifecycle, base_url, next_message, batches, .. } = self;
        let batch = batches.get_mut(id).ok_or_else(|| ApiError::batch_not_found(id))?;
        let now = Now::get();
        batch.tick(lifecycle, now, next_message);
        if batch.status == ProcessingStatus::InProgress {
            batch.status = ProcessingStatus::Canceling;
            batch.cancel_initiated_at = Some(now.wall);
            batch.cancel_initiated = Some(now.mono);
        }
        Ok(batch.view(base_url))
    }

    /// Deletes an ended batch.
    pub fn delete(&mut self, id: &str) -> Result<DeletedMessageBatch, ApiError> {
        let Store { lifecycle, next_message, batches, .. } = self;
        let batch = batches.get_mut(id).ok_or_else(|| ApiError::batch_not_found(id))?;
        batch.tick(lifecycle, Now::get(), next_message);
        if batch.status != ProcessingStatus::Ended {
            return Err(ApiError::invalid_request(
                "In progress batches cannot be deleted. Consider canceling the batch instead.",
            ));
        }
        batches.remove(id);
        Ok(DeletedMessageBatch::new(id.to_owned()))
    }

    /// The results JSONL of an ended batch: one line per request, in reverse request order.
    pub fn results(&mut self, id: &str) -> Result<String, ApiError> {
        let Store { lifecycle, next_message, batches, .. } = self;
        let batch = batches.get_mut(id).ok_or_else(|| ApiError::batch_not_found(id))?;
        batch.tick(lifecycle, Now::get(), next_message);
        if batch.status != ProcessingStatus::Ended {
            return Err(ApiError::not_found(format!("Message Batch {id} has no available results.")));
        }
        let mut body = String::new();
        for (item, outcome) in batch.items.iter().zip(&batch.outcomes).rev() {
            body.push_str(&result_line(&item.custom_id, outcome));
            body.push('\n');
        }
        Ok(body)
    }

    /// One page of batches, newest first.
    pub fn list(&mut self, query: &ListQuery) -> BatchPage {
        let Store { lifecycle, base_url, next_message, batches, .. } = self;
        let now = Now::get();
        for batch in batches.values_mut() {
            batch.tick(lifecycle, now, next_message);
        }
        let newest_first = batches.values().rev();
        let limit = query.limit;
        let (page, has_more): (Vec<&Batch>, bool) = match (&query.before_id, &query.after_id) {
            (Some(before), _) => {
                let newer: Vec<&Batch> = newest_first.filter(|b| b.id.as_str() > before.as_str()).collect();
                let start = newer.len().saturating_sub(limit);
                (newer[start..].to_vec(), start > 0)
            }
            (None, Some(after)) => {
                let older: Vec<&Batch> = newest_first.filter(|b| b.id.as_str() < after.as_str()).collect();
                let more = older.len() > limit;
                (older.into_iter().take(limit).collect(), more)
            }
            (None, None) => {
                let all: Vec<&Batch> = newest_first.collect();
                let more = all.len() > limit;
                (all.into_iter().take(limit).collect(), more)
            }
        };
        BatchPage {
            first_id: page.first().map(|b| b.id.clone()),
            last_id: page.last().map(|b| b.id.clone()),
            data: page.iter().map(|b| b.view(base_url)).collect(),
            has_more,
        }
    }
}

impl Batch {
    /// Applies time-based transitions: expiry, and `processing_time` since creation (or since the cancel).
    fn tick(&mut self, lifecycle: &Lifecycle, now: Now, next_message: &mut u64) {
        let elapsed =
            |since: Instant| lifecycle.processing_time.is_some_and(|t| now.mono.duration_since(since) >= t);
        match self.status {
            ProcessingStatus::Ended => {}
            _ if now.wall >= self.expires_at() => self.finish(Ending::Expired, now, next_message),
            ProcessingStatus::InProgress if elapsed(self.created) => {
                self.finish(Ending::Processed, now, next_message);
            }
            ProcessingStatus::Canceling if self.cancel_initiated.is_some_and(elapsed) => {
                self.finish(Ending::Canceled, now, next_message);
            }
            _ => {}
        }
    }

    /// Counts one retrieve: ends the batch once enough polls have been answered with the current status.
    fn poll(&mut self, lifecycle: &Lifecycle, now: Now, next_message: &mut u64) {
        match self.status {
            ProcessingStatus::InProgress if self.polls >= lifecycle.polls_until_ended => {
                self.finish(Ending::Processed, now, next_message);
            }
            ProcessingStatus::InProgress => self.polls += 1,
            ProcessingStatus::Canceling if self.cancel_polls >= lifecycle.cancel_polls_until_ended => {
                self.finish(Ending::Canceled, now, next_message);
            }
            ProcessingStatus::Canceling => self.cancel_polls += 1,
            ProcessingStatus::Ended => {}
        }
    }

    fn finish(&mut self, ending: Ending, now: Now, next_message: &mut u64) {
        self.outcomes = match ending {
            Ending::Processed => self.items.iter().map(|item| process(item, next_message)).collect(),
            Ending::Canceled => vec![Outcome::Canceled; self.items.len()],
            Ending::Expired => vec![Outcome::Expired; self.items.len()],
        };
        self.status = ProcessingStatus::Ended;
        self.ended_at = Some(now.wall);
    }

    fn expires_at(&self) -> SystemTime {
        self.created_at.checked_add(EXPIRY).unwrap_or(self.created_at)
    }

    fn counts(&self) -> RequestCounts {
        let mut counts = RequestCounts::default();
        if self.status != ProcessingStatus::Ended {
            counts.processing = self.items.len() as u64;
            return counts;
        }
        for outcome in &self.outcomes {
            match outcome {
                Outcome::Succeeded(_) => counts.succeeded += 1,
                Outcome::Errored(_) => counts.errored += 1,
                Outcome::Canceled => counts.canceled += 1,
                Outcome::Expired => counts.expired += 1,
            }
        }
        counts
    }

    fn view(&self, base_url: &str) -> MessageBatch {
        let ended = self.status == ProcessingStatus::Ended;
        MessageBatch {
            id: self.id.clone(),
            object_type: "message_batch",
            processing_status: self.status,
            request_counts: self.counts(),
            ended_at: self.ended_at.map(rfc3339),
            created_at: rfc3339(self.created_at),
            expires_at: rfc3339(self.expires_at()),
            archived_at: None,
            cancel_initiated_at: self.cancel_initiated_at.map(rfc3339),
            results_url: ended.then(|| format!("{base_url}/v1/messages/batches/{}/results", self.id)),
        }
    }
}

/// Processes one request: deferred `params` validation, then a canned reply.
fn process(item: &BatchItem, next_message: &mut u64) -> Outcome {
    match check_params(&item.params) {
        Err(error) => Outcome::Errored(error),
        Ok(checked) => {
            let id = format!("msg_{:024}", *next_message);
            *next_message += 1;
            let text = format!("This is a simulated reply to batch request {}.", item.custom_id);
            let input_tokens = checked.input_chars / 4 + 1;
            let output_tokens = checked.max_tokens.min(12);
            Outcome::Succeeded(message(id, checked.model, text, input_tokens, output_tokens))
        }
    }
}

struct CheckedParams<'a> {
    model: &'a str,
    max_tokens: u64,
    input_chars: u64,
}

/// Validates `params` the way the API does while processing a batch; failures become errored lines.
fn check_params(params: &Value) -> Result<CheckedParams<'_>, ApiError> {
    let Value::Object(params) = params else {
        return Err(ApiError::invalid_request("Input should be a valid dictionary"));
    };
    let messages = match params.get("messages") {
        None => return Err(ApiError::invalid_request("messages: Field required")),
        Some(Value::Array(messages)) => messages,
        Some(_) => {
            return Err(ApiError::invalid_request("messages: Input should be a valid list"));
        }
    };
    let max_tokens = match params.get("max_tokens") {
        None => return Err(ApiError::invalid_request("max_tokens: Field required")),
        Some(value) => value
            .as_i64()
            .ok_or_else(|| ApiError::invalid_request("max_tokens: Input should be a valid integer"))?,
    };
    if max_tokens < 1 {
        return Err(ApiError::invalid_request("max_tokens: must be greater than or equal to 1"));
    }
    if params.get("stream") == Some(&Value::Bool(true)) {
        return Err(ApiError::invalid_request("\"stream=True\" is not supported in the Message Batches API"));
    }
    let model = match params.get("model") {
        None => return Err(ApiError::invalid_request("model: Field required")),
        Some(Value::String(model)) => model.as_str(),
        Some(_) => {
            return Err(ApiError::invalid_request("model: Input should be a valid string"));
        }
    };
    if model.starts_with("claude-does-not-exist") {
        return Err(ApiError::not_found(format!("model: {model}")));
    }
    let input_chars = messages.iter().map(|m| m.to_string().len() as u64).sum();
    Ok(CheckedParams { model, max_tokens: max_tokens.unsigned_abs(), input_chars })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store(polls: u32) -> Store {
        let lifecycle =
            Lifecycle { polls_until_ended: polls, cancel_polls_until_ended: 1, processing_time: None };
        Store::new(lifecycle, "http://h".into())
    }

    fn item(id: &str) -> BatchItem {
        BatchItem { custom_id: id.into(), params: json!({"model": "m", "max_tokens": 5, "messages": []}) }
    }

    #[test]
    fn polls_then_ends() {
        let mut store = store(2);
        let id = store.create(vec![item("a"), item("b")]).id;
        assert_eq!(store.retrieve(&id).map(|b| b.processing_status), Ok(ProcessingStatus::InProgress));
        assert_eq!(store.retrieve(&id).map(|b| b.processing_status), Ok(ProcessingStatus::InProgress));
        let ended = store.retrieve(&id).unwrap();
        assert_eq!(ended.processing_status, ProcessingStatus::Ended);
        assert_eq!(ended.request_counts.succeeded, 2);
        assert_eq!(ended.results_url, Some(format!("http://h/v1/messages/batches/{id}/results")));
        let results = store.results(&id).unwrap();
        let first: Value = serde_json::from_str(results.lines().next().unwrap()).unwrap();
        assert_eq!(first["custom_id"], "b");
    }

    #[test]
    fn list_pages_both_ways() {
        let mut store = store(0);
        let ids: Vec<String> = (0..5).map(|i| store.create(vec![item(&format!("r{i}"))]).id).collect();
        let page = |store: &mut Store, before: Option<&str>, after: Option<&str>| {
            let query =
                ListQuery { before_id: before.map(Into::into), after_id: after.map(Into::into), limit: 2 };
            let page = store.list(&query);
            (page.data.into_iter().map(|b| b.id).collect::<Vec<_>>(), page.has_more)
        };
        assert_eq!(page(&mut store, None, None), (vec![ids[4].clone(), ids[3].clone()], true));
        assert_eq!(page(&mut store, None, Some(&ids[3])), (vec![ids[2].clone(), ids[1].clone()], true));
        assert_eq!(page(&mut store, None, Some(&ids[1])), (vec![ids[0].clone()], false));
        assert_eq!(page(&mut store, Some(&ids[0]), None), (vec![ids[2].clone(), ids[1].clone()], true));
        assert_eq!(page(&mut store, Some(&ids[2]), None), (vec![ids[4].clone(), ids[3].clone()], false));
    }
}
