//! Request handling: routing, header checks, faults and the six endpoints.

use std::collections::{HashMap, HashSet};
use std::io;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};

use crate::faults::FaultKind;
use crate::files;
use crate::log::LoggedRequest;
use crate::model::{ApiError, to_json};
use crate::state::{AppState, BatchItem, ListQuery};

const BATCHES_PATH: &str = "/v1/messages/batches";
const FILES_PATH: &str = "/v1/files";
/// The documented 256 MB request cap.
const MAX_BODY_BYTES: usize = 256 * 1024 * 1024;
const MAX_REQUESTS: usize = 100_000;
const CUSTOM_ID_PATTERN: &str = "^[a-zA-Z0-9_-]{1,64}$";
const JSON: &str = "application/json";
const XML: &str = "application/xml";

/// An endpoint of the Message Batches API; targets faults and labels logged requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `POST /v1/messages/batches`
    Create,
    /// `GET /v1/messages/batches`
    List,
    /// `GET /v1/messages/batches/{id}`
    Retrieve,
    /// `POST /v1/messages/batches/{id}/cancel`
    Cancel,
    /// `DELETE /v1/messages/batches/{id}`
    Delete,
    /// `GET /v1/messages/batches/{id}/results`
    Results,
    /// `POST /v1/files` (`multipart/form-data`)
    Upload,
    /// `GET /v1/files/{id}`
    FileMetadata,
    /// `GET /v1/files/{id}/content`
    FileContent,
    /// Every route (in a fault); no endpoint (in a logged request).
    Any,
}

/// The axum router serving the API from `state`. Every request goes through one handler so that rejected,
/// unknown and faulted requests are logged and carry a `request-id` like the others.
pub fn router(state: AppState) -> Router {
    Router::new().fallback(handle).with_state(state)
}

/// What a method and path resolve to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    Endpoint(Route, String),
    WrongMethod,
    Unknown,
}

impl Target {
    fn route(&self) -> Route {
        match self {
            Target::Endpoint(route, _) => *route,
            _ => Route::Any,
        }
    }
}

fn classify(method: &str, path: &str) -> Target {
    if let Some(rest) = path.strip_prefix(FILES_PATH) {
        let endpoint = |route, id: &str| Target::Endpoint(route, id.to_owned());
        let segments: Vec<&str> = rest.split('/').skip(1).collect();
        return match (rest.is_empty(), segments.as_slice(), method) {
            (true, _, "POST") => endpoint(Route::Upload, ""),
            (false, [id], "GET") if !id.is_empty() => endpoint(Route::FileMetadata, id),
            (false, [id, "content"], "GET") if !id.is_empty() => endpoint(Route::FileContent, id),
            _ => Target::Unknown,
        };
    }
    let Some(rest) = path.strip_prefix(BATCHES_PATH) else {
        return Target::Unknown;
    };
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    let segments: Vec<&str> = match rest.strip_prefix('/') {
        _ if rest.is_empty() => Vec::new(),
        Some(rest) => rest.split('/').collect(),
        None => return Target::Unknown,
    };
    let endpoint = |route, id: &str| Target::Endpoint(route, id.to_owned());
    match (segments.as_slice(), method) {
        ([], "POST") => endpoint(Route::Create, ""),
        ([], "GET") => endpoint(Route::List, ""),
        ([], _) => Target::WrongMethod,
        (["", ..], _) => Target::Unknown,
        ([id], "GET") => endpoint(Route::Retrieve, id),
        ([id], "DELETE") => endpoint(Route::Delete, id),
        ([id, "cancel"], "POST") => endpoint(Route::Cancel, id),
        ([id, "results"], "GET") => endpoint(Route::Results, id),
        ([_] | [_, "cancel" | "results"], _) => Target::WrongMethod,
        _ => Target::Unknown,
    }
}

/// A successful body.
#[derive(Debug, Clone, PartialEq)]
enum Reply {
    Json(Value),
    Jsonl(String),
    /// A file's content.
    File(Bytes),
    Xml(String),
}

async fn handle(State(state): State<AppState>, request: Request) -> Response {
    let request_id = state.next_request_id();
    let (parts, body) = request.into_parts();
    let target = classify(parts.method.as_str(), parts.uri.path());
    let body = to_bytes(body, MAX_BODY_BYTES).await;
    let seq = state.log_arrival(LoggedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| (name.to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
            .collect(),
        body: body.as_ref().ok().filter(|b| !b.is_empty()).and_then(|b| serde_json::from_slice(b).ok()),
        status: 0,
        route: target.route(),
    });
    let mut response = match body {
        Ok(body) => respond(&state, &parts, &target, &body, &request_id).await,
        Err(_) => {
            let error = ApiError::new(
                413,
                "request_too_large",
                "Request exceeds the maximum allowed number of bytes.",
            );
            error_response(&error, &request_id)
        }
    };
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert("request-id", value);
    }
    state.log_status(seq, response.status().as_u16());
    response
}

/// Header checks, then faults, then the endpoint.
async fn respond(
    state: &AppState,
    parts: &Parts,
    target: &Target,
    body: &[u8],
    request_id: &str,
) -> Response {
    if let Err(error) = check_headers(state.api_key(), &parts.headers) {
        return error_response(&error, request_id);
    }
    match state.take_fault(target.route()) {
        None => {}
        Some(FaultKind::Slow(delay)) => tokio::time::sleep(delay).await,
        Some(FaultKind::Status { status, retry_after }) => {
            let mut response = error_response(&ApiError::for_status(status), request_id);
            if let Some(value) = retry_after.and_then(|v| HeaderValue::from_str(&v).ok()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
        Some(FaultKind::DropConnection) => {
            let (content_type, body) = preview(state, target, true);
            return dropped_response(content_type, body);
        }
        Some(FaultKind::MalformedJson) => {
            let (_, body) = preview(state, target, false);
            let cut = body.len() / 2;
            return body_response(StatusCode::OK, JSON, body.slice(..cut.max(1)));
        }
        Some(FaultKind::TruncatedJsonl) => {
            return match dispatch(state, parts, target, body) {
                Ok(Reply::Jsonl(text)) => {
                    body_response(StatusCode::OK, state.results_content_type(), truncate_last_line(text))
                }
                other => reply_response(state, other, request_id),
            };
        }
        Some(FaultKind::Redirect { status, to }) => {
            let mut response = Response::new(Body::empty());
            *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::TEMPORARY_REDIRECT);
            let target = parts.uri.path_and_query().map_or("", |p| p.as_str());
            if let Ok(location) = HeaderValue::from_str(&format!("{to}{target}")) {
                response.headers_mut().insert(header::LOCATION, location);
            }
            return response;
        }
        Some(FaultKind::UnknownProcessingStatus(status)) => {
            let Target::Endpoint(_, id) = target else {
                return reply_response(state, dispatch(state, parts, target, body), request_id);
            };
            let reply = match state.store().peek(id) {
                Some(batch) => {
                    let mut batch = to_json(&batch);
                    batch["processing_status"] = Value::String(status);
                    Ok(Reply::Json(batch))
                }
                None => Err(ApiError::batch_not_found(id)),
            };
            return reply_response(state, reply, request_id);
        }
    }
    if let Target::Endpoint(Route::Upload, _) = target {
        let upload = files::parse_upload(&parts.headers, Bytes::copy_from_slice(body)).await;
        let reply = upload.map(|parts| Reply::Json(state.add_upload(parts).metadata()));
        return reply_response(state, reply, request_id);
    }
    reply_response(state, dispatch(state, parts, target, body), request_id)
}

fn check_headers(api_key: Option<&str>, headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(key) = headers.get("x-api-key") else {
        return Err(ApiError::authentication("x-api-key header is required"));
    };
    let key = key.to_str().unwrap_or_default();
    let valid = match api_key {
        Some(expected) => key == expected,
        None => !key.is_empty(),
    };
    if !valid {
        return Err(ApiError::authentication("invalid x-api-key"));
    }
    match headers.get("anthropic-version") {
        Some(version) if !version.is_empty() => Ok(()),
        _ => Err(ApiError::invalid_request("anthropic-version: header is required")),
    }
}

fn dispatch(state: &AppState, parts: &Parts, target: &Target, body: &[u8]) -> Result<Reply, ApiError> {
    let (route, id) = match target {
        Target::Endpoint(route, id) => (*route, id.as_str()),
        Target::WrongMethod => {
            let message = format!("Method {} is not allowed for {}", parts.method, parts.uri.path());
            return Err(ApiError::new(405, "invalid_request_error", message));
        }
        Target::Unknown => return Err(ApiError::not_found("Not found")),
    };
    let mut store = state.store();
    match route {
        Route::Create => {
            let items = parse_create(body)?;
            Ok(Reply::Json(to_json(&store.create(items))))
        }
        Route::List => {
            let query = parse_list_query(&parts.uri)?;
            Ok(Reply::Json(to_json(&store.list(&query))))
        }
        // The batch as XML when asked for (`Accept: application/xml` or `?format=xml`): for
        // XPath criteria and selectors.
        Route::Retrieve if wants_xml(parts) => {
            store.retrieve(id).map(|b| Reply::Xml(to_xml("message_batch", &to_json(&b))))
        }
        Route::Retrieve => store.retrieve(id).map(|b| Reply::Json(to_json(&b))),
        Route::Cancel => store.cancel(id).map(|b| Reply::Json(to_json(&b))),
        Route::Delete => store.delete(id).map(|d| Reply::Json(to_json(&d))),
        Route::Results => store.results(id).map(Reply::Jsonl),
        Route::FileMetadata | Route::FileContent => {
            let file =
                state.upload(id).ok_or_else(|| ApiError::not_found(format!("File not found: {id}")))?;
            Ok(if route == Route::FileContent {
                Reply::File(file.content())
            } else {
                Reply::Json(file.metadata())
            })
        }
        // Parsed by `respond`, which awaits the body's parts.
        Route::Upload => Err(ApiError::not_found("Not found")),
        Route::Any => Err(ApiError::not_found("Not found")),
    }
}

/// Synchronous validation of a create body (everything inside `params` is checked while processing).
fn parse_create(body: &[u8]) -> Result<Vec<BatchItem>, ApiError> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|e| ApiError::invalid_request(format!("The request body is not valid JSON: {e}")))?;
    let Value::Object(mut body) = body else {
        return Err(ApiError::invalid_request("Input should be a valid dictionary"));
    };
    if let Some(extra) = body.keys().find(|k| *k != "requests") {
        return Err(ApiError::invalid_request(format!("{extra}: Extra inputs are not permitted")));
    }
    let requests = match body.remove("requests") {
        None => return Err(ApiError::invalid_request("requests: Field required")),
        Some(Value::Array(requests)) => requests,
        Some(_) => {
            return Err(ApiError::invalid_request("requests: Input should be a valid list"));
        }
    };
    if requests.is_empty() {
        return Err(ApiError::invalid_request(
            "requests: List should have at least 1 item after validation, not 0",
        ));
    }
    if requests.len() > MAX_REQUESTS {
        let message = format!(
            "requests: List should have at most {MAX_REQUESTS} items after validation, not {}",
            requests.len()
        );
        return Err(ApiError::invalid_request(message));
    }
    let mut items = Vec::with_capacity(requests.len());
    for (index, request) in requests.into_iter().enumerate() {
        let at = |field: &str, message: &str| {
            ApiError::invalid_request(format!("requests.{index}{field}: {message}"))
        };
        let Value::Object(mut request) = request else {
            return Err(at("", "Input should be a valid dictionary"));
        };
        if let Some(extra) = request.keys().find(|k| *k != "custom_id" && *k != "params") {
            return Err(at(&format!(".{extra}"), "Extra inputs are not permitted"));
        }
        let custom_id = match request.remove("custom_id") {
            None => return Err(at(".custom_id", "Field required")),
            Some(Value::String(custom_id)) => custom_id,
            Some(_) => return Err(at(".custom_id", "Input should be a valid string")),
        };
        if custom_id.is_empty() {
            return Err(at(".custom_id", "String should have at least 1 character"));
        }
        if custom_id.chars().count() > 64 {
            return Err(at(".custom_id", "String should have at most 64 characters"));
        }
        if !custom_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(at(".custom_id", &format!("String should match pattern '{CUSTOM_ID_PATTERN}'")));
        }
        let Some(params) = request.remove("params") else {
            return Err(at(".params", "Field required"));
        };
        items.push(BatchItem { custom_id, params });
    }
    let mut seen = HashSet::new();
    if let Some(duplicate) = items.iter().find(|item| !seen.insert(item.custom_id.as_str())) {
        return Err(ApiError::invalid_request(format!(
            "requests: custom_id's must be unique within a batch. Duplicate custom_id found: {}",
            duplicate.custom_id
        )));
    }
    Ok(items)
}

fn parse_list_query(uri: &Uri) -> Result<ListQuery, ApiError> {
    let Query(params) = Query::<HashMap<String, String>>::try_from_uri(uri)
        .map_err(|e| ApiError::invalid_request(format!("Invalid query string: {e}")))?;
    let cursor = |name: &str| params.get(name).filter(|v| !v.is_empty()).cloned();
    let mut query =
        ListQuery { before_id: cursor("before_id"), after_id: cursor("after_id"), ..ListQuery::default() };
    if query.before_id.is_some() && query.after_id.is_some() {
        return Err(ApiError::invalid_request("Only one of before_id and after_id may be set."));
    }
    if let Some(limit) = params.get("limit") {
        let limit: i64 = limit.parse().map_err(|_| {
            ApiError::invalid_request(
                "limit: Input should be a valid integer, unable to parse string as an integer",
            )
        })?;
        if limit < 1 {
            return Err(ApiError::invalid_request("limit: Input should be greater than or equal to 1"));
        }
        if limit > 1000 {
            return Err(ApiError::invalid_request("limit: Input should be less than or equal to 1000"));
        }
        query.limit = limit.unsigned_abs() as usize;
    }
    Ok(query)
}

/// A complete body for faults that mangle it: the results (if `jsonl` and available), else the batch, else the
/// first page of the list, else a batch-shaped stub. Read-only: counts no poll.
fn preview<'s>(state: &'s AppState, target: &Target, jsonl: bool) -> (&'s str, Bytes) {
    let mut store = state.store();
    if let Target::Endpoint(route, id) = target {
        if jsonl
            && *route == Route::Results
            && let Ok(text) = store.results(id)
        {
            return (state.results_content_type(), Bytes::from(text));
        }
        if let Some(batch) = store.peek(id) {
            return (JSON, Bytes::from(to_json(&batch).to_string()));
        }
        if *route == Route::List {
            return (JSON, Bytes::from(to_json(&store.list(&ListQuery::default())).to_string()));
        }
    }
    let stub = json!({
        "id": "msgbatch_000000000000000000000000",
        "type": "message_batch",
        "processing_status": "in_progress",
    });
    (JSON, Bytes::from(stub.to_string()))
}

/// Cuts the last line of a JSONL body in the middle, dropping the final newline.
fn truncate_last_line(text: String) -> Bytes {
    let body = Bytes::from(text);
    let content = body.strip_suffix(b"\n").map_or(body.len(), <[u8]>::len);
    let line_start = body[..content].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
    let cut = line_start + (content - line_start) / 2;
    body.slice(..cut.max(line_start + 1).min(content))
}

/// A 200 that announces the full length, sends half of the body and then fails the stream, which makes the
/// server close the connection mid-body.
fn dropped_response(content_type: &str, body: Bytes) -> Response {
    let full_length = body.len();
    let head = body.slice(..full_length / 2);
    let failure = stream::once(async {
        // Let the first chunk reach the socket before the connection is torn down.
        tokio::time::sleep(Duration::from_millis(5)).await;
        Err(io::Error::new(io::ErrorKind::ConnectionAborted, "fault injection: connection dropped"))
    });
    let chunks = stream::iter([Ok::<Bytes, io::Error>(head)]).chain(failure);
    let mut response = Response::new(Body::from_stream(chunks));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(full_length));
    response
}

fn body_response(status: StatusCode, content_type: &str, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    if let Ok(value) = HeaderValue::from_str(content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

fn error_response(error: &ApiError, request_id: &str) -> Response {
    let status = StatusCode::from_u16(error.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    body_response(status, JSON, Bytes::from(error.envelope(Some(request_id)).to_string()))
}

fn reply_response(state: &AppState, reply: Result<Reply, ApiError>, request_id: &str) -> Response {
    match reply {
        Ok(Reply::Json(value)) => body_response(StatusCode::OK, JSON, Bytes::from(value.to_string())),
        Ok(Reply::Jsonl(text)) => {
            body_response(StatusCode::OK, state.results_content_type(), Bytes::from(text))
        }
        Ok(Reply::File(bytes)) => body_response(StatusCode::OK, "application/octet-stream", bytes),
        Ok(Reply::Xml(text)) => body_response(StatusCode::OK, XML, Bytes::from(text)),
        Err(error) => error_response(&error, request_id),
    }
}

fn wants_xml(parts: &Parts) -> bool {
    let accept = parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    accept.is_some_and(|v| v.contains(XML))
        || parts.uri.query().is_some_and(|q| q.split('&').any(|p| p == "format=xml"))
}

/// A JSON value as an XML element: members as child elements, list items as repeated `item`
/// elements, `null` as an empty element.
fn to_xml(name: &str, value: &Value) -> String {
    let inner = match value {
        Value::Null => String::new(),
        Value::Bool(_) | Value::Number(_) => value.to_string(),
        Value::String(text) => escape_xml(text),
        Value::Array(items) => items.iter().map(|item| to_xml("item", item)).collect(),
        Value::Object(members) => members.iter().map(|(k, v)| to_xml(k, v)).collect(),
    };
    format!("<{name}>{inner}</{name}>")
}

fn escape_xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_as_xml() {
        let value =
            json!({"id": "b1", "counts": {"ok": 2}, "ids": ["a<b", "c"], "ended_at": null, "flag": true});
        assert_eq!(
            to_xml("message_batch", &value),
            "<message_batch><id>b1</id><counts><ok>2</ok></counts><ids><item>a&lt;b</item><item>c</item></ids>\
             <ended_at></ended_at><flag>true</flag></message_batch>"
        );
    }

    #[test]
    fn classifies_paths() {
        let id = |route| Target::Endpoint(route, "msgbatch_1".into());
        assert_eq!(classify("POST", "/v1/messages/batches"), Target::Endpoint(Route::Create, String::new()));
        assert_eq!(classify("GET", "/v1/messages/batches/"), Target::Endpoint(Route::List, String::new()));
        assert_eq!(classify("GET", "/v1/messages/batches/msgbatch_1"), id(Route::Retrieve));
        assert_eq!(classify("DELETE", "/v1/messages/batches/msgbatch_1"), id(Route::Delete));
        assert_eq!(classify("POST", "/v1/messages/batches/msgbatch_1/cancel"), id(Route::Cancel));
        assert_eq!(classify("GET", "/v1/messages/batches/msgbatch_1/results"), id(Route::Results));
        assert_eq!(classify("PUT", "/v1/messages/batches"), Target::WrongMethod);
        assert_eq!(classify("GET", "/v1/messages/batches/msgbatch_1/cancel"), Target::WrongMethod);
        assert_eq!(classify("GET", "/v1/messages/batchesx"), Target::Unknown);
        assert_eq!(classify("GET", "/v1/messages/batches//results"), Target::Unknown);
        assert_eq!(classify("GET", "/v1/messages/batches/a/b/c"), Target::Unknown);
        assert_eq!(classify("GET", "/v1/models"), Target::Unknown);
        assert_eq!(classify("POST", "/v1/files"), Target::Endpoint(Route::Upload, String::new()));
        let file = |route| Target::Endpoint(route, "file_1".into());
        assert_eq!(classify("GET", "/v1/files/file_1"), file(Route::FileMetadata));
        assert_eq!(classify("GET", "/v1/files/file_1/content"), file(Route::FileContent));
        assert_eq!(classify("GET", "/v1/files"), Target::Unknown);
        assert_eq!(classify("GET", "/v1/files/"), Target::Unknown);
        assert_eq!(classify("POST", "/v1/filesx"), Target::Unknown);
    }

    #[test]
    fn truncates_last_line() {
        let cut = truncate_last_line("{\"a\":1}\n{\"b\":2222}\n".into());
        assert_eq!(&cut[..], b"{\"a\":1}\n{\"b\":");
        assert_eq!(&truncate_last_line("{\"b\":2222}".into())[..], b"{\"b\":");
    }
}
