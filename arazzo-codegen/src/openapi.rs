//! Read access to the OpenAPI descriptions that were loaded: operations, parameters, bodies,
//! responses, servers and `$ref` resolution across files.

use serde_json::Value;

use crate::load::Loaded;
use crate::report::child;
use crate::syntax::escape_token;

const METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// An operation in an OpenAPI description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// File index.
    pub file: usize,
    /// Pointer of the operation object (`/paths/~1pets/get`).
    pub ptr: String,
    /// Path template (`/pets/{id}`).
    pub path: String,
    /// Lower-case method.
    pub method: String,
    /// `operationId`, if any.
    pub id: Option<String>,
    /// Where the operation object is defined: (file, pointer); elsewhere than `ptr` when its
    /// Path Item is a `$ref`.
    pub def: (usize, String),
}

/// A parameter an operation declares.
#[derive(Debug, Clone)]
pub struct OpParam {
    /// `name`.
    pub name: String,
    /// `in`.
    pub location: String,
    /// `required` (always true for path parameters).
    pub required: bool,
    /// Whether a list goes as one pair per item (`explode`, by default true for `style: form`).
    pub explode: bool,
    /// The media type of its `content`, if it has one (how a `querystring` parameter is written).
    pub media: Option<String>,
}

/// Resolves a `$ref` string seen in file `file` to (file, pointer).
pub fn resolve_ref(loaded: &Loaded, file: usize, reference: &str) -> Option<(usize, String)> {
    let (path, frag) = reference.split_once('#').unwrap_or((reference, ""));
    let target = if path.is_empty() {
        file
    } else {
        let base = loaded.file(file).path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
        loaded.index_of(&crate::load::normalize(&base.join(path)))?
    };
    let ptr = decode_fragment(frag);
    loaded.file(target).tree.value.pointer(&ptr)?;
    Some((target, ptr))
}

/// A URI fragment with its `%XX` escapes decoded (`%7B` is `{`).
pub fn decode_fragment(frag: &str) -> String {
    let bytes = frag.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = frag.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Follows `$ref` chains from a value in `file` (at most 32 hops; cycles give `None`).
pub fn deref(loaded: &Loaded, file: usize, ptr: &str) -> Option<(usize, String)> {
    let mut cur = (file, ptr.to_string());
    for _ in 0..32 {
        let v = loaded.file(cur.0).tree.value.pointer(&cur.1)?;
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => cur = resolve_ref(loaded, cur.0, r)?,
            None => return Some(cur),
        }
    }
    None
}

/// The value at (file, pointer).
pub fn value_at<'a>(loaded: &'a Loaded, file: usize, ptr: &str) -> Option<&'a Value> {
    loaded.file(file).tree.value.pointer(ptr)
}

/// Every operation in the description in file `file`, in document order.
pub fn operations(loaded: &Loaded, file: usize) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = loaded.file(file).tree.value.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for path in paths.keys() {
        let item_ptr = format!("/paths/{}", escape_token(path));
        // A Path Item may be a `$ref` (to another file, or elsewhere in this one).
        let Some((item_file, item_at)) = deref(loaded, file, &item_ptr) else { continue };
        let Some(item) = value_at(loaded, item_file, &item_at).and_then(Value::as_object) else { continue };
        for (method, op) in item {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            out.push(Operation {
                file,
                ptr: format!("{item_ptr}/{method}"),
                path: path.clone(),
                method: method.clone(),
                id: op.get("operationId").and_then(Value::as_str).map(str::to_string),
                def: (item_file, format!("{item_at}/{method}")),
            });
        }
    }
    out
}

/// The operation at a pointer such as `/paths/~1pets/get`.
pub fn operation_at(loaded: &Loaded, file: usize, ptr: &str) -> Option<Operation> {
    operations(loaded, file).into_iter().find(|o| o.ptr == ptr)
}

/// Parameters of an operation, path-level ones included (operation-level ones win).
pub fn parameters(loaded: &Loaded, op: &Operation) -> Vec<OpParam> {
    let (file, op_ptr) = &op.def;
    let item_ptr = op_ptr.rsplit_once('/').map(|(p, _)| p.to_string()).unwrap_or_default();
    let mut out: Vec<OpParam> = Vec::new();
    for ptr in [child(&item_ptr, "parameters"), child(op_ptr, "parameters")] {
        let Some(list) = value_at(loaded, *file, &ptr).and_then(Value::as_array) else { continue };
        for i in 0..list.len() {
            let Some((f, p)) = deref(loaded, *file, &format!("{ptr}/{i}")) else { continue };
            let Some(v) = value_at(loaded, f, &p) else { continue };
            let (Some(name), Some(location)) =
                (v.get("name").and_then(Value::as_str), v.get("in").and_then(Value::as_str))
            else {
                continue;
            };
            let required = location == "path" || v.get("required").and_then(Value::as_bool).unwrap_or(false);
            out.retain(|o| !(o.name == name && o.location == location));
            let form = v.get("style").and_then(Value::as_str).is_none_or(|s| s == "form");
            let explode = v.get("explode").and_then(Value::as_bool).unwrap_or(form);
            let media = v.get("content").and_then(Value::as_object).and_then(|c| c.keys().next().cloned());
            out.push(OpParam {
                name: name.to_string(),
                location: location.to_string(),
                required,
                explode,
                media,
            });
        }
    }
    out
}

/// The `apiKey` security schemes of the operation's file: (location, parameter name).
pub fn api_keys(loaded: &Loaded, op: &Operation) -> Vec<(String, String)> {
    let root = &loaded.file(op.file).tree.value;
    let Some(schemes) = root.pointer("/components/securitySchemes").and_then(Value::as_object) else {
        return Vec::new();
    };
    schemes
        .values()
        .filter(|s| s.get("type").and_then(Value::as_str) == Some("apiKey"))
        .filter_map(|s| Some((s.get("in")?.as_str()?.to_string(), s.get("name")?.as_str()?.to_string())))
        .collect()
}

/// A media type entry: content type and schema location.
#[derive(Debug, Clone)]
pub struct Media {
    /// Content type (`application/json`).
    pub content_type: String,
    /// Schema (file, pointer), resolved through `$ref`s.
    pub schema: Option<(usize, String)>,
}

fn media(loaded: &Loaded, file: usize, content_ptr: &str) -> Vec<Media> {
    let Some(content) = value_at(loaded, file, content_ptr).and_then(Value::as_object) else {
        return Vec::new();
    };
    content
        .keys()
        .map(|ct| Media {
            content_type: ct.clone(),
            schema: deref(loaded, file, &child(&child(content_ptr, ct), "schema")),
        })
        .collect()
}

/// The request body media types of an operation.
pub fn request_media(loaded: &Loaded, op: &Operation) -> Vec<Media> {
    match deref(loaded, op.def.0, &child(&op.def.1, "requestBody")) {
        Some((f, p)) => media(loaded, f, &child(&p, "content")),
        None => Vec::new(),
    }
}

/// Every response an operation declares (`200`, `4XX`, `default`, ...), in the order of the
/// description, with its media types.
pub fn responses(loaded: &Loaded, op: &Operation) -> Vec<(String, Vec<Media>)> {
    let (file, responses_ptr) = (op.def.0, child(&op.def.1, "responses"));
    let Some(responses) = value_at(loaded, file, &responses_ptr).and_then(Value::as_object) else {
        return Vec::new();
    };
    responses
        .keys()
        .filter_map(|key| {
            let (f, p) = deref(loaded, file, &child(&responses_ptr, key))?;
            Some((key.clone(), media(loaded, f, &child(&p, "content"))))
        })
        .collect()
}

/// The first 2xx response (or `2XX`, or `default`) and its media types.
pub fn success_response(loaded: &Loaded, op: &Operation) -> Option<(String, Vec<Media>)> {
    let (file, op_ptr) = (op.def.0, &op.def.1);
    let responses_ptr = child(op_ptr, "responses");
    let responses = value_at(loaded, file, &responses_ptr)?.as_object()?;
    let success: Vec<&String> = responses
        .keys()
        .filter(|k| {
            (k.starts_with('2') && k.len() == 3 && k.bytes().all(|b| b.is_ascii_digit()))
                || k.eq_ignore_ascii_case("2XX")
        })
        .collect();
    let key = success.first().copied().or_else(|| responses.keys().find(|k| *k == "default"))?;
    let media_of = |key: &str| {
        let (f, p) = deref(loaded, file, &child(&responses_ptr, key))?;
        Some(media(loaded, f, &child(&p, "content")))
    };
    let json_schema = |media: &[Media]| {
        media.iter().find(|m| m.content_type.contains("json")).and_then(|m| m.schema.clone())
    };
    let mut first = media_of(key)?;
    // Success responses with different JSON bodies (a 200 and a 201): no one type fits them all.
    let schema = json_schema(&first);
    let differs = success
        .iter()
        .skip(1)
        .filter_map(|k| media_of(k))
        .any(|m| json_schema(&m).is_some_and(|s| Some(s) != schema));
    if differs {
        first.iter_mut().filter(|m| m.content_type.contains("json")).for_each(|m| m.schema = None);
    }
    Some((key.clone(), first))
}

/// `servers[0].url` of a description, with server variables replaced by their defaults.
pub fn server_url(loaded: &Loaded, file: usize) -> Option<String> {
    let server = loaded.file(file).tree.value.pointer("/servers/0")?;
    let mut url = server.get("url")?.as_str()?.to_string();
    if let Some(vars) = server.get("variables").and_then(Value::as_object) {
        for (name, var) in vars {
            if let Some(d) = var.get("default").and_then(Value::as_str) {
                url = url.replace(&format!("{{{name}}}"), d);
            }
        }
    }
    Some(url)
}
