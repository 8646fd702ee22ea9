//! A step's HTTP response.

use crate::byte_stream::ByteStream;
use crate::error::{Ctx, Error, ErrorKind};
use crate::jsonl::{Chunks, JsonlStream};
use bytes::Bytes;
use futures_util::{StreamExt, stream};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

/// The response of a step: status, headers, and either the whole body or the unread body stream.
pub struct Response {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) method: Method,
    /// Without query string or user info.
    pub(crate) url: String,
    /// As sent: with the query string, without user info.
    pub(crate) request_url: String,
    pub(crate) body: Bytes,
    pub(crate) stream: Option<reqwest::Response>,
    pub(crate) ctx: Ctx,
    /// The `Location` of a redirect the client did not follow, without query string or user info.
    pub(crate) location: Option<String>,
    /// The longest JSONL line [`Response::into_jsonl`] accepts.
    pub(crate) max_line_bytes: usize,
}

impl Response {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// A response header by name (case-insensitive); `None` when absent or not visible ASCII.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The request URL, without query string (what errors and logs show).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The request URL as sent, query string included (Arazzo's `$url`); never user info.
    pub fn request_url(&self) -> &str {
        &self.request_url
    }

    /// The request method.
    pub fn method(&self) -> &str {
        self.method.as_str()
    }

    /// The buffered body; empty for a streaming response.
    pub fn bytes(&self) -> &[u8] {
        &self.body
    }

    /// Decodes the buffered body as JSON. The error carries serde's message (with line and
    /// column) and a redacted excerpt of the body around the problem.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        self.expect_media(MediaKind::Json);
        serde_json::from_slice(&self.body).map_err(|e| {
            let at = byte_offset(&self.body, e.line(), e.column());
            self.error(ErrorKind::Decode, &self.ctx)
                .with_detail(e.to_string())
                .with_excerpt(&self.body, at, &self.ctx)
                .with_source(e)
        })
    }

    /// Warns (through `tracing`) when a 2xx response's `content-type` is of another kind than
    /// the body's declared media type, which is decoded all the same: a description that is
    /// off should not fail a run whose body decodes.
    fn expect_media(&self, declared: MediaKind) {
        let Some(received) = self.header("content-type") else { return };
        if (200..300).contains(&self.status) && MediaKind::of(received) != declared {
            tracing::warn!(
                workflow = self.ctx.workflow,
                step = self.ctx.step.unwrap_or_default(),
                url = %self.url,
                content_type = received,
                declared = declared.name(),
                "the response's content type is of another kind than the body the description declares; decoding it as declared"
            );
        }
    }

    /// An error about this response: its status, and the redirect that was not followed.
    pub(crate) fn error(&self, kind: ErrorKind, ctx: &Ctx) -> Error {
        Error::new(kind, ctx).with_status(self.status).with_location(self.location.clone())
    }

    /// The buffered body as a JSON value; `None` when it is not JSON.
    pub fn json_value(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }

    /// The member at JSON pointer `pointer` of the body as received, as a `T`: how a failure
    /// action reads a body that may be an error's. `None` when the body is not JSON, has no such
    /// member, or the member is not a `T`.
    pub fn json_at<T: DeserializeOwned>(&self, pointer: &str) -> Option<T> {
        T::deserialize(self.json_value()?.pointer(pointer)?).ok()
    }

    /// The buffered body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        self.expect_media(MediaKind::Text);
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The buffered body as it came, for a body declared binary (`format: binary`,
    /// `application/octet-stream` and any other media type that is neither JSON nor text).
    pub fn binary(&self) -> Bytes {
        self.expect_media(MediaKind::Bytes);
        self.body.clone()
    }

    /// The body as a stream of byte chunks, read from the open connection (or the buffered body,
    /// when the response was not streamed), for a body declared binary: a large download is
    /// never held in memory whole.
    pub fn into_bytes_stream(mut self) -> ByteStream {
        self.expect_media(MediaKind::Bytes);
        ByteStream::new(self.body_chunks(), self.status)
    }

    /// Like [`Response::into_bytes_stream`], but leaves the status and headers here.
    pub fn take_bytes_stream(&mut self) -> ByteStream {
        self.expect_media(MediaKind::Bytes);
        ByteStream::new(self.body_chunks(), self.status)
    }

    /// Takes the body out as chunks: the open connection's, or the buffered body as one.
    pub(crate) fn body_chunks(&mut self) -> Chunks {
        match self.stream.take() {
            Some(open) => {
                let ctx = self.ctx.clone();
                let request = format!("{} {}", self.method, self.url);
                Box::pin(open.bytes_stream().map(move |r| r.map_err(|e| Error::transport(e, &ctx, &request))))
            }
            None => Box::pin(stream::iter([Ok(std::mem::take(&mut self.body))])),
        }
    }

    /// The body as a stream of JSON lines, read chunk by chunk from the open connection
    /// (or from the buffered body, when the response was not streamed).
    pub fn into_jsonl<T: DeserializeOwned>(self) -> JsonlStream<T> {
        self.expect_media(MediaKind::JsonLines);
        JsonlStream::from_response(self)
    }

    /// Like [`Response::into_jsonl`], but leaves the status and headers here, so the response
    /// can still be named in errors and retry delays after its body was handed out.
    pub fn take_jsonl<T: DeserializeOwned>(&mut self) -> JsonlStream<T> {
        self.expect_media(MediaKind::JsonLines);
        JsonlStream::from_response(Response {
            status: self.status,
            headers: HeaderMap::new(),
            method: self.method.clone(),
            url: self.url.clone(),
            request_url: self.request_url.clone(),
            body: std::mem::take(&mut self.body),
            stream: self.stream.take(),
            ctx: self.ctx.clone(),
            location: self.location.clone(),
            max_line_bytes: self.max_line_bytes,
        })
    }
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("method", &self.method.as_str())
            .field("url", &self.url)
            .field("body_len", &self.body.len())
            .field("streaming", &self.stream.is_some())
            .finish()
    }
}

/// How a body of a media type is read; a runtime twin of the generator's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MediaKind {
    Json,
    JsonLines,
    Text,
    Bytes,
}

impl MediaKind {
    /// The kind of a `content-type` value (parameters and case ignored).
    fn of(content_type: &str) -> MediaKind {
        let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match essence.as_str() {
            "application/json" | "text/json" => MediaKind::Json,
            "application/x-jsonl"
            | "application/jsonl"
            | "application/x-jsonlines"
            | "application/jsonlines"
            | "application/x-ndjson"
            | "application/ndjson" => MediaKind::JsonLines,
            e if e.ends_with("+json") => MediaKind::Json,
            e if e.starts_with("text/") => MediaKind::Text,
            _ => MediaKind::Bytes,
        }
    }

    fn name(self) -> &'static str {
        match self {
            MediaKind::Json => "JSON",
            MediaKind::JsonLines => "JSON Lines",
            MediaKind::Text => "text",
            MediaKind::Bytes => "binary",
        }
    }
}

/// The byte offset of serde_json's 1-based line and column.
fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let line_start = match line {
        0 | 1 => 0,
        n => body
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(n - 2)
            .map_or(body.len(), |(i, _)| i + 1),
    };
    line_start + column.saturating_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_kinds() {
        assert_eq!(MediaKind::of("application/json; charset=utf-8"), MediaKind::Json);
        assert_eq!(MediaKind::of("application/problem+json"), MediaKind::Json);
        assert_eq!(MediaKind::of("Application/X-NDJSON"), MediaKind::JsonLines);
        assert_eq!(MediaKind::of("application/x-jsonlines"), MediaKind::JsonLines);
        assert_eq!(MediaKind::of("text/plain"), MediaKind::Text);
        assert_eq!(MediaKind::of("application/binary"), MediaKind::Bytes);
        assert_eq!(MediaKind::of("application/octet-stream"), MediaKind::Bytes);
    }

    #[test]
    fn offsets() {
        assert_eq!(byte_offset(b"ab\ncd\nef", 3, 2), 7);
        assert_eq!(byte_offset(b"abc", 1, 1), 0);
        assert_eq!(byte_offset(b"abc", 9, 1), 3);
    }
}
