//! `multipart/form-data` request bodies, as generated code describes them: the fields of a JSON
//! payload, file parts, and the OpenAPI `encoding` of each field.

use crate::json::to_text;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

/// A `multipart/form-data` body, sent with [`StepRequest::multipart`](crate::StepRequest::multipart).
///
/// Kept as data and turned into a `reqwest` form for each attempt, so a retried request sends the
/// same parts again (file contents are shared, not copied).
#[derive(Clone, Default)]
pub struct Multipart {
    parts: Vec<(String, Data)>,
    encodings: Vec<(String, Encoding)>,
    /// Members of [`fields`](Self::fields) that are files.
    files: Vec<String>,
    /// The first value that could not be serialized.
    error: Option<String>,
}

#[derive(Clone)]
enum Data {
    Text(String),
    Json(String),
    File(Bytes),
}

/// What a file part can be made of: bytes (shared, not copied) or text.
pub trait FileData {
    /// The content.
    fn to_bytes(&self) -> Bytes;
}

impl FileData for Bytes {
    fn to_bytes(&self) -> Bytes {
        self.clone()
    }
}

impl FileData for Vec<u8> {
    fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self)
    }
}

impl FileData for str {
    fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(self.as_bytes())
    }
}

impl FileData for String {
    fn to_bytes(&self) -> Bytes {
        self.as_str().to_bytes()
    }
}

impl<T: FileData + ?Sized> FileData for &T {
    fn to_bytes(&self) -> Bytes {
        (**self).to_bytes()
    }
}

/// A field's OpenAPI `encoding`.
#[derive(Clone, Default)]
struct Encoding {
    content_type: Option<String>,
    filename: Option<String>,
    headers: Vec<(String, String)>,
}

impl Multipart {
    /// An empty body.
    pub fn new() -> Self {
        Multipart::default()
    }

    /// Sets how the parts of field `name` are sent, from its OpenAPI `encoding`: their content
    /// type, the filename of a file part (from its `Content-Disposition`), and other headers.
    pub fn encoding(
        mut self,
        name: &str,
        content_type: Option<&str>,
        filename: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Self {
        let encoding = Encoding {
            content_type: content_type.map(str::to_owned),
            filename: filename.map(str::to_owned),
            headers: headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        };
        self.encodings.push((name.to_owned(), encoding));
        self
    }

    /// Makes the members `names` of [`fields`](Self::fields) file parts: bytes (serialized as a
    /// list of numbers) or text, for a payload whose binary members are not known one by one.
    pub fn file_fields(mut self, names: &[&str]) -> Self {
        self.files.extend(names.iter().map(|n| (*n).to_owned()));
        self
    }

    /// Adds the members of a JSON object as fields: a string, number or boolean as a text part,
    /// a list as one part per item, an object as an `application/json` part; `null` as none.
    pub fn fields(mut self, object: &impl serde::Serialize) -> Self {
        match serde_json::to_value(object) {
            Ok(Value::Object(members)) => {
                for (name, value) in members {
                    self.field(name, value);
                }
            }
            Ok(Value::Null) => {}
            Ok(_) => self.fail("a multipart payload must be a JSON object".into()),
            Err(e) => self.fail(format!("multipart payload: {e}")),
        }
        self
    }

    fn field(&mut self, name: String, value: Value) {
        if self.files.contains(&name)
            && let Some(data) = file_data(&value)
        {
            self.parts.push((name, Data::File(data)));
            return;
        }
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    self.field(name.clone(), item);
                }
            }
            Value::Object(_) => self.parts.push((name, Data::Json(value.to_string()))),
            scalar => self.parts.push((name, Data::Text(to_text(&scalar)))),
        }
    }

    /// Adds a file part (`application/octet-stream` unless its encoding says otherwise; named
    /// after the field unless its encoding names the file). `None` adds nothing.
    pub fn file<B: FileData + ?Sized>(mut self, name: &str, data: Option<&B>) -> Self {
        if let Some(data) = data {
            self.parts.push((name.to_owned(), Data::File(data.to_bytes())));
        }
        self
    }

    /// Adds one file part per item of `data`, all named `name` (an OpenAPI property of
    /// `type: array` whose items are binary). `None` adds nothing.
    pub fn files<I>(mut self, name: &str, data: Option<I>) -> Self
    where
        I: IntoIterator<Item: FileData>,
    {
        for item in data.into_iter().flatten() {
            self.parts.push((name.to_owned(), Data::File(item.to_bytes())));
        }
        self
    }

    fn fail(&mut self, what: String) {
        self.error.get_or_insert(what);
    }

    /// The form to send; an error names what cannot be sent.
    pub(crate) fn form(&self) -> Result<Form, String> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        // Field names go out as written (quoted), as browsers send them.
        let mut form = Form::new().percent_encode_noop();
        for (name, data) in &self.parts {
            let encoding = self.encodings.iter().find(|(n, _)| n == name).map(|(_, e)| e);
            let (bytes, default_type, filename) = match data {
                Data::Text(text) => (Bytes::from(text.clone()), None, None),
                Data::Json(text) => (Bytes::from(text.clone()), Some("application/json"), None),
                Data::File(bytes) => {
                    let filename = encoding.and_then(|e| e.filename.clone()).unwrap_or_else(|| name.clone());
                    (bytes.clone(), Some("application/octet-stream"), Some(filename))
                }
            };
            let length = bytes.len() as u64;
            let mut part = Part::stream_with_length(bytes, length);
            if let Some(content_type) = encoding.and_then(|e| e.content_type.as_deref()).or(default_type) {
                part = part
                    .mime_str(content_type)
                    .map_err(|_| format!("part `{name}`: `{content_type}` is not a media type"))?;
            }
            if let Some(filename) = filename {
                part = part.file_name(filename);
            }
            if let Some(e) = encoding.filter(|e| !e.headers.is_empty()) {
                part = part.headers(headers(name, &e.headers)?);
            }
            form = form.part(name.clone(), part);
        }
        Ok(form)
    }
}

/// The content of a file member: text, or bytes as `bytes::Bytes` serializes them.
fn file_data(value: &Value) -> Option<Bytes> {
    match value {
        Value::String(text) => Some(Bytes::from(text.clone())),
        Value::Array(items) => {
            let bytes: Option<Vec<u8>> =
                items.iter().map(|v| v.as_u64().and_then(|n| u8::try_from(n).ok())).collect();
            bytes.map(Bytes::from)
        }
        _ => None,
    }
}

/// Part names and sizes only: fields may hold secrets.
impl std::fmt::Debug for Multipart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts = self.parts.iter().map(|(name, data)| {
            let len = match data {
                Data::Text(t) | Data::Json(t) => t.len(),
                Data::File(b) => b.len(),
            };
            (name, len)
        });
        f.debug_struct("Multipart")
            .field("parts_and_sizes", &parts.collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

fn headers(part: &str, list: &[(String, String)]) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in list {
        match (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            (Ok(n), Ok(v)) => {
                map.append(n, v);
            }
            _ => return Err(format!("part `{part}`: header `{name}` is not valid HTTP")),
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The encoded body (invalid UTF-8 replaced), with its boundary replaced by `B`.
    async fn encoded(m: &Multipart) -> String {
        use futures_util::TryStreamExt;
        let form = m.form().expect("a form");
        let boundary = form.boundary().to_owned();
        let chunks: Vec<Bytes> = form.into_stream().try_collect().await.expect("encodes");
        String::from_utf8_lossy(&chunks.concat()).replace(&boundary, "B")
    }

    #[tokio::test]
    async fn fields_files_and_encodings() {
        let m = Multipart::new()
            .encoding("file", Some("application/pdf"), Some("report.pdf"), &[("x-checksum", "abc")])
            .encoding("note", Some("text/markdown"), None, &[])
            .fields(&json!({"purpose": "assistants", "n": 2, "tags": ["a", "b"], "meta": {"k": 1}, "gone": null, "note": "*hi*"}))
            .file("file", Some(&Bytes::from_static(b"%PDF")))
            .file("blob", Some("raw"))
            .file::<Bytes>("absent", None);
        let text = encoded(&m).await;
        for part in [
            "Content-Disposition: form-data; name=\"purpose\"\r\n\r\nassistants\r\n",
            "Content-Disposition: form-data; name=\"n\"\r\n\r\n2\r\n",
            "Content-Disposition: form-data; name=\"tags\"\r\n\r\na\r\n--B\r\nContent-Disposition: form-data; name=\"tags\"\r\n\r\nb\r\n",
            "Content-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n{\"k\":1}\r\n",
            "Content-Disposition: form-data; name=\"note\"\r\nContent-Type: text/markdown\r\n\r\n*hi*\r\n",
            "Content-Disposition: form-data; name=\"file\"; filename=\"report.pdf\"\r\nContent-Type: application/pdf\r\nx-checksum: abc\r\n\r\n%PDF\r\n",
            "Content-Disposition: form-data; name=\"blob\"; filename=\"blob\"\r\nContent-Type: application/octet-stream\r\n\r\nraw\r\n",
        ] {
            assert!(text.contains(part), "{part:?} in {text}");
        }
        assert!(!text.contains("gone") && !text.contains("absent"), "{text}");
        assert!(text.ends_with("--B--\r\n"), "{text}");
    }

    #[tokio::test]
    async fn file_members_of_a_whole_payload() {
        let upload = json!({"file": Bytes::from_static(b"\x00\xff"), "notes": "n", "size": 2});
        let m = Multipart::new().file_fields(&["file", "notes"]).fields(&upload);
        let text = encoded(&m).await;
        let file =
            "name=\"file\"; filename=\"file\"\r\nContent-Type: application/octet-stream\r\n\r\n\u{0}\u{fffd}";
        assert!(text.contains(file), "{text}");
        assert!(text.contains("name=\"notes\"; filename=\"notes\""), "{text}");
        assert!(text.contains("name=\"size\"\r\n\r\n2\r\n"), "{text}");
    }

    #[test]
    fn debug_shows_no_content() {
        let m = Multipart::new().fields(&json!({"token": "s3cret"})).file("f", Some(&String::from("hidden")));
        let debug = format!("{m:?}");
        assert_eq!(debug, r#"Multipart { parts_and_sizes: [("token", 6), ("f", 6)], .. }"#);
    }

    #[test]
    fn what_cannot_be_sent_is_an_error() {
        let not_object = Multipart::new().fields(&json!([1]));
        assert_eq!(not_object.form().err().as_deref(), Some("a multipart payload must be a JSON object"));
        let bad_type = Multipart::new().encoding("f", Some("not a type"), None, &[]).file("f", Some("x"));
        assert_eq!(bad_type.form().err().as_deref(), Some("part `f`: `not a type` is not a media type"));
        let bad_header =
            Multipart::new().encoding("f", None, None, &[("bad name", "v")]).file("f", Some(&"x"));
        assert_eq!(bad_header.form().err().as_deref(), Some("part `f`: header `bad name` is not valid HTTP"));
    }
}
