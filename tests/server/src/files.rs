//! A small Files API (`POST /v1/files`, `GET /v1/files/{id}` and `/v1/files/{id}/content`):
//! uploads are `multipart/form-data`, parsed part by part and kept as received, so tests can
//! check the names, filenames, content types, headers and bytes that a client sent.

use std::convert::Infallible;

use axum::http::{HeaderMap, header};
use bytes::Bytes;
use futures_util::stream;
use serde_json::{Value, json};

use crate::model::ApiError;

/// One part of an upload, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedPart {
    /// The `name` of its `Content-Disposition`.
    pub name: String,
    /// The `filename` of its `Content-Disposition`.
    pub filename: Option<String>,
    /// Its `Content-Type`.
    pub content_type: Option<String>,
    /// Its other headers (names in lower case).
    pub headers: Vec<(String, String)>,
    /// Its content.
    pub data: Bytes,
}

/// An uploaded file: every part of the request that uploaded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadedFile {
    /// `file_…`.
    pub id: String,
    /// The parts in the order they came.
    pub parts: Vec<UploadedPart>,
}

impl UploadedFile {
    /// The first part named `name`.
    pub fn part(&self, name: &str) -> Option<&UploadedPart> {
        self.parts.iter().find(|p| p.name == name)
    }

    /// The `file` part's content.
    pub(crate) fn content(&self) -> Bytes {
        self.part("file").map(|p| p.data.clone()).unwrap_or_default()
    }

    /// The file's metadata, as the API returns it.
    pub(crate) fn metadata(&self) -> Value {
        let file = self.part("file");
        json!({
            "type": "file",
            "id": self.id,
            "filename": file.and_then(|p| p.filename.clone()),
            "mime_type": file.and_then(|p| p.content_type.clone()),
            "size_bytes": file.map_or(0, |p| p.data.len()),
            "downloadable": true,
        })
    }
}

/// The parts of an upload: a `multipart/form-data` body with a `file` part that has a filename.
pub(crate) async fn parse_upload(headers: &HeaderMap, body: Bytes) -> Result<Vec<UploadedPart>, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| {
        ApiError::invalid_request("content-type: multipart/form-data with a boundary is required")
    })?;
    let invalid = |e: multer::Error| ApiError::invalid_request(format!("multipart body: {e}"));
    let mut multipart = multer::Multipart::new(stream::once(async { Ok::<_, Infallible>(body) }), boundary);
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(invalid)? {
        let Some(name) = field.name().map(str::to_owned) else {
            return Err(ApiError::invalid_request("multipart body: a part has no name"));
        };
        let filename = field.file_name().map(str::to_owned);
        let content_type = field.content_type().map(ToString::to_string);
        let headers = field
            .headers()
            .iter()
            .filter(|(n, _)| **n != header::CONTENT_DISPOSITION && **n != header::CONTENT_TYPE)
            .map(|(n, v)| (n.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let data = field.bytes().await.map_err(invalid)?;
        parts.push(UploadedPart { name, filename, content_type, headers, data });
    }
    match parts.iter().find(|p| p.name == "file") {
        Some(file) if file.filename.is_some() => Ok(parts),
        Some(_) => Err(ApiError::invalid_request("file: the part has no filename")),
        None => Err(ApiError::invalid_request("file: Field required")),
    }
}
