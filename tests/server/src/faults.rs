//! Fault injection: which requests a fault hits, and what it does.

use std::time::Duration;

use crate::routes::Route;

/// A scripted fault: on requests to `route`, let the first `skip` through, then inject `kind` `times` times.
///
/// Faults are checked after the `x-api-key` and `anthropic-version` checks, so rejected requests are never
/// counted. Each fault counts the requests it applies to on its own, so a fault fires on the applicable requests
/// numbered `skip + 1 ..= skip + times` (counted from when it was added). When several faults fire on the same
/// request, the first one added wins (the others still count the request). Once `times` is used up the fault is
/// inactive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The endpoint this fault targets; [`Route::Any`] targets every request.
    pub route: Route,
    /// What to inject.
    pub kind: FaultKind,
    /// Applicable requests let through before the fault starts firing.
    pub skip: u32,
    /// How many requests the fault fires on.
    pub times: u32,
}

impl Fault {
    /// A fault firing once on the next applicable request (`skip: 0, times: 1`).
    pub fn new(route: Route, kind: FaultKind) -> Self {
        Fault { route, kind, skip: 0, times: 1 }
    }

    /// A status fault (see [`FaultKind::Status`]) without `retry-after`, firing once.
    pub fn status(route: Route, status: u16) -> Self {
        Self::new(route, FaultKind::Status { status, retry_after: None })
    }

    /// Sets `skip`.
    pub fn skip(mut self, skip: u32) -> Self {
        self.skip = skip;
        self
    }

    /// Sets `times`.
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }

    /// Whether this fault applies to a request on `route`.
    ///
    /// [`FaultKind::TruncatedJsonl`] only applies to [`Route::Results`] and
    /// [`FaultKind::UnknownProcessingStatus`] only to [`Route::Retrieve`], even when `route` is [`Route::Any`].
    pub fn applies_to(&self, route: Route) -> bool {
        let kind_ok = match self.kind {
            FaultKind::TruncatedJsonl => route == Route::Results,
            FaultKind::UnknownProcessingStatus(_) => route == Route::Retrieve,
            _ => true,
        };
        kind_ok && (self.route == Route::Any || self.route == route)
    }
}

/// What a fault does to a request. Only [`FaultKind::Slow`] lets the request reach its handler; every other kind
/// replaces the response and leaves batch state untouched (a faulted retrieve is not counted as a poll).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Respond with this status and the matching error envelope (429 `rate_limit_error`, 529
    /// `overloaded_error`, other 5xx `api_error`, 4xx by the documented table), plus a `retry-after` header
    /// when given (seconds or an HTTP date; see [`crate::http_date_after`]).
    Status {
        /// HTTP status code.
        status: u16,
        /// Value of the `retry-after` header, if any.
        retry_after: Option<String>,
    },
    /// Wait this long, then handle the request normally.
    Slow(Duration),
    /// Send a 200 with a full `content-length` and the first half of the body (the current batch, results or
    /// page), then close the connection: clients see a body read error.
    DropConnection,
    /// Send a 200 `application/json` whose body is the first half of a JSON object (never valid JSON).
    MalformedJson,
    /// Results only: the results body with its last line cut in the middle (no final newline). A results
    /// request that would fail anyway (unknown id, not ended) gets its normal error and still uses the fault up.
    TruncatedJsonl,
    /// Retrieve only: the batch as it is, with `processing_status` replaced by this value.
    UnknownProcessingStatus(String),
    /// Redirect: answer `status` (a 3xx) with `Location: {to}{path}?{query}`, the request's own path
    /// and query after the base URL `to` (for example another server's).
    Redirect {
        /// HTTP status code, e.g. 307.
        status: u16,
        /// Base URL of the target, without trailing slash.
        to: String,
    },
}

#[derive(Debug, Clone)]
struct Slot {
    fault: Fault,
    seen: u32,
}

/// The faults of a server, in the order they were added.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultSet {
    slots: Vec<Slot>,
}

impl FaultSet {
    pub fn push(&mut self, fault: Fault) {
        self.slots.push(Slot { fault, seen: 0 });
    }

    pub fn clear(&mut self) {
        self.slots.clear();
    }

    /// Counts a request on `route` against every applicable fault and returns the fault to inject, if any.
    pub fn select(&mut self, route: Route) -> Option<FaultKind> {
        let mut fired = None;
        for slot in &mut self.slots {
            let Fault { skip, times, .. } = slot.fault;
            if !slot.fault.applies_to(route) || slot.seen >= skip.saturating_add(times) {
                continue;
            }
            if slot.seen >= skip && fired.is_none() {
                fired = Some(slot.fault.kind.clone());
            }
            slot.seen += 1;
        }
        fired
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skip_then_times() {
        let mut set = FaultSet::default();
        set.push(Fault::status(Route::Retrieve, 529).skip(1).times(2));
        let fired: Vec<bool> = (0..5).map(|_| set.select(Route::Retrieve).is_some()).collect();
        assert_eq!(fired, [false, true, true, false, false]);
        assert!(set.select(Route::List).is_none());
    }

    #[test]
    fn faults_count_independently() {
        let mut set = FaultSet::default();
        set.push(Fault::status(Route::Any, 500).times(2));
        set.push(Fault::new(Route::Retrieve, FaultKind::DropConnection).skip(2));
        assert!(matches!(set.select(Route::Retrieve), Some(FaultKind::Status { status: 500, .. })));
        assert!(matches!(set.select(Route::List), Some(FaultKind::Status { status: 500, .. })));
        assert_eq!(set.select(Route::Retrieve), None);
        assert_eq!(set.select(Route::Retrieve), Some(FaultKind::DropConnection));
        assert_eq!(set.select(Route::Retrieve), None);
    }

    #[test]
    fn kind_restricts_routes() {
        let jsonl = Fault::new(Route::Any, FaultKind::TruncatedJsonl);
        assert!(jsonl.applies_to(Route::Results) && !jsonl.applies_to(Route::Retrieve));
        let status = Fault::new(Route::Any, FaultKind::UnknownProcessingStatus("x".into()));
        assert!(status.applies_to(Route::Retrieve) && !status.applies_to(Route::Results));
    }
}
