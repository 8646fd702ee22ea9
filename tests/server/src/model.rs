//! JSON shapes of the Message Batches API: batches, pages, result lines and the error envelope.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{Value, json};

/// `processing_status` of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ProcessingStatus {
    InProgress,
    Canceling,
    Ended,
}

/// `request_counts` of a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct RequestCounts {
    pub processing: u64,
    pub succeeded: u64,
    pub errored: u64,
    pub canceled: u64,
    pub expired: u64,
}

/// A `MessageBatch` object; every key is always emitted (`null` where unset).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct MessageBatch {
    pub id: String,
    #[serde(rename = "type")]
    pub object_type: &'static str,
    pub processing_status: ProcessingStatus,
    pub request_counts: RequestCounts,
    pub ended_at: Option<String>,
    pub created_at: String,
    pub expires_at: String,
    pub archived_at: Option<String>,
    pub cancel_initiated_at: Option<String>,
    pub results_url: Option<String>,
}

/// One page of `GET /v1/messages/batches`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct BatchPage {
    pub data: Vec<MessageBatch>,
    pub has_more: bool,
    pub first_id: Option<String>,
    pub last_id: Option<String>,
}

/// Body of a successful delete.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct DeletedMessageBatch {
    pub id: String,
    #[serde(rename = "type")]
    pub object_type: &'static str,
}

impl DeletedMessageBatch {
    pub fn new(id: String) -> Self {
        DeletedMessageBatch { id, object_type: "message_batch_deleted" }
    }
}

/// An API error: HTTP status, `error.type` and `error.message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub error_type: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, error_type: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, error_type, message: message.into() }
    }

    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(400, "invalid_request_error", message)
    }

    pub fn authentication(message: impl Into<String>) -> Self {
        Self::new(401, "authentication_error", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found_error", message)
    }

    pub fn batch_not_found(id: &str) -> Self {
        Self::not_found(format!("Message Batch {id} not found."))
    }

    /// The error an injected status fault returns: the documented type and default message for `status`.
    pub fn for_status(status: u16) -> Self {
        let (error_type, message) = match status {
            401 => ("authentication_error", "Authentication error"),
            402 => ("billing_error", "Billing error"),
            403 => ("permission_error", "Permission denied"),
            404 => ("not_found_error", "Not found"),
            409 => ("conflict_error", "Conflict"),
            413 => ("request_too_large", "Request too large"),
            429 => ("rate_limit_error", "Rate limited"),
            504 => ("timeout_error", "Request timeout"),
            529 => ("overloaded_error", "Overloaded"),
            500..=599 => ("api_error", "Internal server error"),
            _ => ("invalid_request_error", "Invalid request"),
        };
        Self::new(status, error_type, message)
    }

    /// The `ErrorResponse` envelope: `{"type":"error","error":{..},"request_id":..}`.
    pub fn envelope(&self, request_id: Option<&str>) -> Value {
        json!({
            "type": "error",
            "error": { "type": self.error_type, "message": self.message },
            "request_id": request_id,
        })
    }
}

/// The final outcome of one request in an ended batch.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    Succeeded(Value),
    Errored(ApiError),
    Canceled,
    Expired,
}

impl Outcome {
    /// The `result` object of a results line.
    pub fn result_json(&self) -> Value {
        match self {
            Outcome::Succeeded(message) => json!({ "type": "succeeded", "message": message }),
            Outcome::Errored(error) => json!({ "type": "errored", "error": error.envelope(None) }),
            Outcome::Canceled => json!({ "type": "canceled" }),
            Outcome::Expired => json!({ "type": "expired" }),
        }
    }
}

/// One line of the results JSONL, without the trailing newline.
pub(crate) fn result_line(custom_id: &str, outcome: &Outcome) -> String {
    json!({ "custom_id": custom_id, "result": outcome.result_json() }).to_string()
}

/// A plausible assistant `Message` for a succeeded request.
pub(crate) fn message(id: String, model: &str, text: String, input_tokens: u64, output_tokens: u64) -> Value {
    json!({
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{ "type": "text", "text": text }],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "service_tier": "batch",
        },
    })
}

/// Serializes a shape into a JSON value (infallible for the shapes in this module).
pub(crate) fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Formats a time as RFC 3339 in UTC with microseconds and a `Z` suffix, e.g. `2024-08-20T18:37:24.100435Z`.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since_epoch.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since_epoch.subsec_micros()
    )
}

/// Converts days since 1970-01-01 into a proleptic Gregorian (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000000Z");
        let t = UNIX_EPOCH + Duration::new(1_724_179_044, 100_435_000);
        assert_eq!(rfc3339(t), "2024-08-20T18:37:24.100435Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000000Z");
        let end_of_year = UNIX_EPOCH + Duration::from_secs(1_735_689_599);
        assert_eq!(rfc3339(end_of_year), "2024-12-31T23:59:59.000000Z");
    }

    #[test]
    fn status_fault_errors() {
        assert_eq!(ApiError::for_status(529).error_type, "overloaded_error");
        assert_eq!(ApiError::for_status(429).error_type, "rate_limit_error");
        assert_eq!(ApiError::for_status(500).error_type, "api_error");
        assert_eq!(ApiError::for_status(503).error_type, "api_error");
        assert_eq!(ApiError::for_status(400).error_type, "invalid_request_error");
    }
}
