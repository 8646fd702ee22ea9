//! The request log.

use serde_json::Value;

use crate::routes::Route;

/// One request as the server saw it, including rejected and faulted ones.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedRequest {
    /// HTTP method, e.g. `POST`.
    pub method: String,
    /// Path without the query, e.g. `/v1/messages/batches`.
    pub path: String,
    /// Raw query string without `?`, if any.
    pub query: Option<String>,
    /// Every header in arrival order, names lower-cased, values as sent (lossily decoded as UTF-8).
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `None` if the body was empty or not JSON.
    pub body: Option<Value>,
    /// The status returned; `0` if the client went away before a response was produced.
    pub status: u16,
    /// The endpoint the request matched; [`Route::Any`] for paths or methods that match no endpoint.
    pub route: Route,
}

impl LoggedRequest {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// Log entries tagged with a sequence number so the status can be filled in when the response is ready.
#[derive(Debug, Default)]
pub(crate) struct RequestLog {
    next_seq: u64,
    entries: Vec<(u64, LoggedRequest)>,
}

impl RequestLog {
    pub fn push(&mut self, request: LoggedRequest) -> u64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.entries.push((seq, request));
        seq
    }

    pub fn set_status(&mut self, seq: u64, status: u16) {
        if let Some((_, entry)) = self.entries.iter_mut().rev().find(|(s, _)| *s == seq) {
            entry.status = status;
        }
    }

    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries.iter().map(|(_, entry)| entry.clone()).collect()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
    }
}
