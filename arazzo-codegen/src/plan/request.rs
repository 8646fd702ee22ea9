//! Planning a step's request: the path with its parameters, the query, header and cookie
//! parameters, and the body. Values that `format!` or `json!` would hide from the formatter are
//! bound to locals first.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::step::StepPlanner;
use super::{Request, Shape, report};
use crate::expr::{self, TemplatePart};
use crate::load::Loaded;
use crate::lower::{LowerError, Lowered, Read, Scope, present_arg, selector_source, some_arg};
use crate::model::*;
use crate::names::Names;
use crate::openapi::{self, Operation};
use crate::report::{Reporter, child};
use crate::types::{Ty, ident};

/// Statements that bind request values to locals, in order.
pub(super) struct Prelude {
    names: Names,
    lets: Vec<TokenStream>,
}

impl Prelude {
    fn bind(&mut self, wire: &str, value: TokenStream) -> syn::Ident {
        let id = ident(&self.names.snake(wire));
        self.lets.push(quote!(let #id = #value;));
        id
    }
}

impl StepPlanner<'_> {
    /// The request of an operation step.
    pub(super) fn request(
        &self,
        s: &Step,
        op: &Operation,
        sent: &[Parameter],
        source: String,
        r: &mut Reporter,
    ) -> Request {
        let scope = self.request_scope();
        let mut prelude = Prelude { names: self.locals.borrow().clone(), lets: Vec::new() };
        let path = self.path(op, sent, &scope, &mut prelude, r);
        let mut calls = self.parameters(op, sent, &scope, r);
        calls.extend(self.request_body(s, op, &scope, &mut prelude, r));
        if let Some((_, ms)) = s.timeout {
            let ms = proc_macro2::Literal::u64_unsuffixed(ms);
            calls.push(quote!(.timeout(#ms)));
        }
        Request {
            step: s.id.clone(),
            operation: op.id.clone().unwrap_or_else(|| format!("{} {}", op.method.to_uppercase(), op.path)),
            source,
            method: format_ident!("{}", op.method.to_uppercase()),
            template: op.path.clone(),
            prelude: prelude.lets,
            path,
            calls,
        }
    }

    /// The path, with each path parameter percent-encoded: a literal, or `&path` after
    /// `let path = format!(..)`.
    fn path(
        &self,
        op: &Operation,
        sent: &[Parameter],
        scope: &Scope,
        prelude: &mut Prelude,
        r: &mut Reporter,
    ) -> TokenStream {
        let rt = self.rt;
        let run = if self.shape == Shape::Flow { quote!(run) } else { quote!(&run) };
        let mut fmt = String::new();
        let mut args = Vec::new();
        let mut rest = op.path.as_str();
        while let Some(start) = rest.find('{') {
            fmt.push_str(&rest[..start].replace('{', "{{").replace('}', "}}"));
            let Some(end) = rest[start..].find('}') else { break };
            let name = &rest[start + 1..start + end];
            let value = sent.iter().find(|p| p.location.as_deref() == Some("path") && p.name == name);
            // A missing path parameter was reported by validation (E0323): the segment is empty.
            if let Some((v, text)) =
                value.map(|p| self.value_tokens(&p.value, &child(&p.ptr, "value"), scope, r))
            {
                let text = match some_arg(&v) {
                    Some(present) if text => present,
                    _ => quote!(&#rt::required_text(#run, #name, #v)?),
                };
                let id = prelude.bind(name, quote!(#rt::encode_path_segment(#text)));
                // A raw identifier cannot be named inside a format string.
                if id.to_string().starts_with("r#") {
                    fmt.push_str("{}");
                    args.push(id);
                } else {
                    fmt.push_str(&format!("{{{id}}}"));
                }
            }
            rest = &rest[start + end + 1..];
        }
        fmt.push_str(&rest.replace('{', "{{").replace('}', "}}"));
        if prelude.lets.is_empty() {
            return quote!(#fmt);
        }
        prelude.lets.push(quote!(let path = format!(#fmt #(, #args)*);));
        quote!(&path)
    }

    /// Query, header and cookie parameters.
    fn parameters(
        &self,
        op: &Operation,
        sent: &[Parameter],
        scope: &Scope,
        r: &mut Reporter,
    ) -> Vec<TokenStream> {
        let declared = openapi::parameters(self.loaded, op);
        let mut calls = Vec::new();
        for p in sent.iter().filter(|p| p.location.as_deref() != Some("path")) {
            let name = &p.name;
            // A list for a query parameter: one pair per item, or comma-separated.
            if p.location.as_deref() == Some("query")
                && let Some(l) = self.list_value(&p.value, scope)
            {
                let explode = declared
                    .iter()
                    .find(|d| d.location == "query" && &d.name == name)
                    .is_none_or(|d| d.explode);
                calls.push(quote!(.query_list(#name, #l, #explode)));
                continue;
            }
            let (v, _) = self.value_tokens(&p.value, &child(&p.ptr, "value"), scope, r);
            let v = present_arg(&v).unwrap_or(v);
            match p.location.as_deref() {
                Some("querystring") => calls.push(self.querystring(p, &declared, scope, r)),
                Some("query") => calls.push(quote!(.query(#name, #v))),
                Some("header") => calls.push(quote!(.header(#name, #v))),
                Some("cookie") => calls.push(quote!(.cookie(#name, #v))),
                _ => {}
            }
        }
        calls
    }

    /// The tokens of a value that is one expression of a list type (or untyped JSON, which may
    /// be a list).
    fn list_value(&self, v: &Value, scope: &Scope) -> Option<TokenStream> {
        let Ok(expr::Value::Expr(e)) = expr::parse_value(v.as_str()?).map(|p| p.value) else { return None };
        let l = scope.value(&e).ok()?;
        matches!(l.ty, Ty::Array(_) | Ty::Json).then(|| some_arg(&l.tokens).unwrap_or(l.tokens))
    }

    /// The value of `v` when it is one runtime expression or (Arazzo 1.1) a Selector Object.
    fn one_value(v: &Value, ptr: &str, scope: &Scope) -> Option<Result<Lowered, LowerError>> {
        match v {
            Value::String(text) => match expr::parse_value(text).map(|p| p.value) {
                Ok(expr::Value::Expr(e)) => Some(scope.value(&e)),
                _ => None,
            },
            Value::Object(_) => {
                let selector = Selector::of(v, ptr)?;
                Some(match selector_source(&selector) {
                    Read::Expr(e) => scope.value(&e),
                    Read::Selector(s) => scope.selector(s),
                })
            }
            _ => None,
        }
    }

    /// Tokens for a parameter value (`impl ParamValue + Serialize`, `Some(x)` when always
    /// present), and whether the value is text.
    /// `in: querystring` (Arazzo 1.1, OpenAPI 3.2): one value that is the whole query string,
    /// "a string representing the complete query string" (1.1.0, Parameter Object). In a
    /// template for form content (the operation's `content` is
    /// `application/x-www-form-urlencoded`, or it declares none), each embedded value is
    /// form-encoded, so `{$inputs.q}` holding `a&b` stays one value; the literal text is the
    /// author's. Other content (`application/json`) is written as the value says.
    fn querystring(
        &self,
        p: &Parameter,
        declared: &[openapi::OpParam],
        scope: &Scope,
        r: &mut Reporter,
    ) -> TokenStream {
        let rt = self.rt;
        let ptr = child(&p.ptr, "value");
        let form = declared
            .iter()
            .find(|d| d.location == "querystring")
            .and_then(|d| d.media.as_deref())
            .is_none_or(|m| m == "application/x-www-form-urlencoded");
        if let Value::String(s) = &p.value
            && form
            && let Ok(expr::Value::Template(parts)) = expr::parse_value(s).map(|p| p.value)
        {
            let mut secret = false;
            let (text, errors) = scope.format_template(&parts, |l, _| {
                secret |= l.ty == Ty::Secret;
                let text = match some_arg(&l.tokens) {
                    Some(v) => quote!(#rt::json::text_of(#v)),
                    None => {
                        let t = l.tokens;
                        quote!(#t.map(#rt::json::text_of).unwrap_or_default())
                    }
                };
                quote!(#rt::encode_query_value(&#text))
            });
            for e in &errors {
                report(r, &ptr, e);
            }
            return if secret {
                quote!(.querystring(#rt::Secret::new(#text)))
            } else {
                quote!(.querystring(#text))
            };
        }
        let (v, _) = self.value_tokens(&p.value, &ptr, scope, r);
        let v = present_arg(&v).unwrap_or(v);
        quote!(.querystring(#v))
    }

    fn value_tokens(&self, v: &Value, ptr: &str, scope: &Scope, r: &mut Reporter) -> (TokenStream, bool) {
        let rt = self.rt;
        if let Some(lowered) = Self::one_value(v, ptr, scope) {
            return match lowered {
                Ok(l) => {
                    let t = l.tokens;
                    match l.ty {
                        Ty::String => (t, true),
                        Ty::Secret | Ty::Integer | Ty::Number | Ty::Bool | Ty::Json => (t, false),
                        Ty::Status => (quote!(#t.map(|v| i64::from(*v))), false),
                        _ => match some_arg(&t) {
                            Some(v) => (quote!(Some(#rt::json::text_of(#v))), false),
                            None => (quote!(#t.map(#rt::json::text_of)), false),
                        },
                    }
                }
                Err(e) => {
                    report(r, ptr, &e);
                    (quote!(None::<String>), false)
                }
            };
        }
        match v {
            Value::String(s) => match expr::parse_value(s).map(|p| p.value) {
                Ok(expr::Value::Template(parts)) => {
                    let (text, ty, errors) = scope.text_template(&parts);
                    for e in &errors {
                        report(r, ptr, e);
                    }
                    (quote!(Some(&#text)), ty == Ty::String)
                }
                _ => (quote!(Some(#s)), true),
            },
            Value::Null => (quote!(None::<String>), false),
            Value::Bool(b) => (quote!(Some(#b)), false),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => {
                    let i = proc_macro2::Literal::i64_unsuffixed(i);
                    (quote!(Some(#i)), false)
                }
                (_, Some(f)) => (quote!(Some(#f)), false),
                _ => (quote!(None::<String>), false),
            },
            Value::Array(_) | Value::Object(_) => {
                let t = self.json_tokens(v, ptr, scope, None, r);
                (quote!(Some(&#t)), false)
            }
        }
    }

    /// The text of a JSON document with `{$...}` templates (the Arazzo spec's own payload style):
    /// a value inside a string literal is escaped, one outside is written as JSON.
    fn json_template(
        &self,
        parts: &[TemplatePart],
        ptr: &str,
        scope: &Scope,
        r: &mut Reporter,
    ) -> TokenStream {
        let rt = self.rt;
        let (text, errors) = scope.format_template(parts, |l, in_string| {
            let t = l.tokens;
            quote!(#rt::json::json_text(#t, #in_string))
        });
        for e in &errors {
            report(r, ptr, e);
        }
        text
    }

    /// `serde_json::Value` tokens for a payload or replacement value: one expression gives its
    /// value as JSON (an object stays an object; absent: null), anything else is built with
    /// `json!` with expressions at any depth.
    fn json_value(
        &self,
        v: &Value,
        ptr: &str,
        scope: &Scope,
        prelude: Option<&mut Prelude>,
        r: &mut Reporter,
    ) -> TokenStream {
        let rt = self.rt;
        if let Some(lowered) = Self::one_value(v, ptr, scope) {
            return match lowered {
                Ok(l) => {
                    let copy = matches!(l.ty, Ty::Integer | Ty::Number | Ty::Bool);
                    let t = match crate::lower::present_place(&l.tokens) {
                        Some(place) if copy => place,
                        _ => some_arg(&l.tokens).unwrap_or(l.tokens),
                    };
                    quote!(#rt::serde_json::to_value(#t).unwrap_or_default())
                }
                Err(err) => {
                    report(r, ptr, &err);
                    quote!(#rt::serde_json::Value::Null)
                }
            };
        }
        match v {
            Value::Object(_) | Value::Array(_) => self.json_tokens(v, ptr, scope, prelude, r),
            _ => {
                let t = self.json_tokens(v, ptr, scope, prelude, r);
                quote!(#rt::serde_json::json!(#t))
            }
        }
    }

    /// A JSON value with expressions at any depth, as `serde_json::Value` tokens. With a
    /// prelude, each expression is bound to a local named after its key, so `json!` holds only
    /// names and literals.
    pub(super) fn json_tokens(
        &self,
        v: &Value,
        ptr: &str,
        scope: &Scope,
        mut prelude: Option<&mut Prelude>,
        r: &mut Reporter,
    ) -> TokenStream {
        let rt = self.rt;
        let one = Self::one_value(v, ptr, scope);
        match v {
            Value::Object(m) if one.is_none() => {
                let entries: Vec<TokenStream> = m
                    .iter()
                    .map(|(k, v)| {
                        let t = self.json_tokens(v, &child(ptr, k), scope, prelude.as_deref_mut(), r);
                        quote!(#k: #t)
                    })
                    .collect();
                quote!(#rt::serde_json::json!({ #(#entries),* }))
            }
            Value::Array(a) => {
                let items: Vec<TokenStream> = a
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        self.json_tokens(v, &format!("{ptr}/{i}"), scope, prelude.as_deref_mut(), r)
                    })
                    .collect();
                quote!(#rt::serde_json::json!([ #(#items),* ]))
            }
            Value::String(_) | Value::Object(_) => {
                let t = match (one, v) {
                    // A selector's value may borrow a temporary (the node a query selects), so
                    // it is bound owned.
                    (Some(Ok(l)), Value::Object(_)) => l.owned(),
                    (Some(Ok(l)), _) => some_arg(&l.tokens).unwrap_or(l.tokens),
                    (Some(Err(e)), _) => {
                        report(r, ptr, &e);
                        return quote!(null);
                    }
                    (None, _) => {
                        let text = v.as_str().unwrap_or_default();
                        if !matches!(expr::parse_value(text).map(|p| p.value), Ok(expr::Value::Template(_))) {
                            return quote!(#text);
                        }
                        let (t, _) = self.value_tokens(v, ptr, scope, r);
                        some_arg(&t).unwrap_or(t)
                    }
                };
                match prelude {
                    Some(p) => {
                        let key =
                            ptr.rsplit('/').next().filter(|k| k.parse::<usize>().is_err()).unwrap_or("value");
                        let id = p.bind(key, t);
                        quote!(#id)
                    }
                    None => quote!((#t)),
                }
            }
            Value::Null => quote!(null),
            Value::Bool(b) => quote!(#b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => quote!(#i),
                (_, Some(f)) => quote!(#f),
                _ => quote!(null),
            },
        }
    }

    /// The body call (`.json(&payload)`, `.form(..)`, `.body(ct, text)`), binding the payload.
    fn request_body(
        &self,
        s: &Step,
        op: &Operation,
        scope: &Scope,
        prelude: &mut Prelude,
        r: &mut Reporter,
    ) -> Option<TokenStream> {
        let b = s.request_body.as_ref()?;
        let declared = openapi::request_media(self.loaded, op);
        let ct = b.media_type(declared.first().map(|m| m.content_type.as_str()));
        let payload = b.payload.as_ref()?;
        let pptr = child(&b.ptr, "payload");
        let form = b.form(&ct);
        let one_expr = payload.is_string() && form == PayloadForm::Value;
        if let (Value::String(text), PayloadForm::Xml | PayloadForm::Text) = (payload, form) {
            if let (Some(Replacement { ptr: rptr, .. }), PayloadForm::Text) = (b.replacements.first(), form) {
                let help = "write the payload as YAML/JSON instead of a string, or put the values in the string as `{$...}` templates";
                r.warn(
                    "W0306",
                    rptr,
                    "`replacements` apply to a JSON payload or to XML text; this payload is other text, so they are not applied",
                    Some(help.into()),
                );
            }
            let t = match expr::parse_value(text).map(|p| p.value) {
                Ok(expr::Value::Template(parts)) if ct.contains("json") => {
                    self.json_template(&parts, &pptr, scope, r)
                }
                Ok(expr::Value::Template(parts)) => {
                    let (text, _, errors) = scope.text_template(&parts);
                    for e in &errors {
                        report(r, &pptr, e);
                    }
                    text
                }
                _ => quote!(#text),
            };
            prelude.lets.push(quote!(let payload = #t;));
            if form == PayloadForm::Xml {
                self.xml_replacements(b, scope, prelude, r);
            }
            return Some(quote!(.body(#ct, payload)));
        }
        // A list or scalar is no set of fields: it goes as JSON, with W0307.
        if essence(&ct) == "multipart/form-data" && (payload.is_object() || one_expr) {
            return Some(self.multipart_body(op, &ct, b, scope, prelude, r));
        }
        let value = self.json_value(payload, &pptr, scope, Some(&mut *prelude), r);
        let call = if ct.contains("x-www-form-urlencoded") { quote!(form) } else { quote!(json) };
        if !ct.contains("json")
            && !ct.contains("x-www-form-urlencoded")
            && (payload.is_object() || payload.is_array())
        {
            let help = if essence(&ct) == "multipart/form-data" {
                "a `multipart/form-data` payload is an object whose members are its fields"
            } else {
                "arazzo-rs encodes JSON, form and multipart payloads; for other content types write the payload as a string"
            };
            r.warn(
                "W0307",
                &pptr,
                format!("this payload is sent as JSON (`application/json`), not as `{ct}`"),
                Some(help.into()),
            );
        }
        self.bind_payload(value, b, scope, prelude, r);
        Some(quote!(.#call(&payload)))
    }

    /// `let payload = ..;` again, the XML text with its XPath `replacements` applied (those of
    /// other kinds are E0237).
    fn xml_replacements(&self, b: &RequestBody, scope: &Scope, prelude: &mut Prelude, r: &mut Reporter) {
        let rt = self.rt;
        let run = if self.shape == Shape::Flow { quote!(run) } else { quote!(&run) };
        let pairs: Vec<TokenStream> = b
            .replacements
            .iter()
            .filter(|rep| matches!(rep.target_kind(PayloadForm::Xml), ExprType::XPath(_)))
            .map(|Replacement { ptr, target, value, .. }| {
                let v = self.json_value(value, &child(ptr, "value"), scope, None, r);
                quote!((#target, #v))
            })
            .collect();
        if !pairs.is_empty() {
            // Bound first, so that the formatter sees the values (it leaves macro arguments be).
            let list = prelude.bind("replacements", quote!([#(#pairs),*]));
            prelude.lets.push(quote!(let payload = #rt::xpath!(replace(#run, &payload, &#list))?;));
        }
    }

    /// `let payload = ..;`, with the `replacements` applied.
    fn bind_payload(
        &self,
        value: TokenStream,
        b: &RequestBody,
        scope: &Scope,
        prelude: &mut Prelude,
        r: &mut Reporter,
    ) {
        let rt = self.rt;
        let replacements: Vec<TokenStream> = b
            .replacements
            .iter()
            .filter_map(|rep| {
                let Replacement { ptr, target, value, .. } = rep;
                let v = self.json_value(value, &child(ptr, "value"), scope, None, r);
                match rep.target_kind(PayloadForm::Value) {
                    ExprType::JsonPath(_) => {
                        Some(quote!(#rt::json::replace_all(&mut payload, #rt::jsonpath!(#target), #v);))
                    }
                    // XPath addresses XML text, not a value (E0237).
                    ExprType::XPath(_) => None,
                    ExprType::JsonPointer => Some(quote!(#rt::json::replace(&mut payload, #target, #v);)),
                }
            })
            .collect();
        let mutable = (!replacements.is_empty()).then(|| quote!(mut));
        prelude.lets.push(quote!(let #mutable payload = #value; #(#replacements)*));
    }

    /// A `multipart/form-data` payload: its members become fields, except binary ones (a
    /// `bytes` value, or a string for a property of `format: binary`), which become file parts;
    /// each as its OpenAPI `encoding` says.
    fn multipart_body(
        &self,
        op: &Operation,
        ct: &str,
        b: &RequestBody,
        scope: &Scope,
        prelude: &mut Prelude,
        r: &mut Reporter,
    ) -> TokenStream {
        let rt = self.rt;
        let payload = b.payload.as_ref().unwrap_or(&Value::Null);
        let media = media_object(self.loaded, op, ct);
        let binary = media.as_ref().map(|m| binary_properties(self.loaded, m)).unwrap_or_default();
        let mut files = Vec::new();
        let fields = match payload {
            Value::Object(members) => {
                let mut plain = serde_json::Map::new();
                for (name, value) in members {
                    match self.file_parts(name, value, binary.contains(name), scope) {
                        Some(parts) => files.push(parts),
                        None => {
                            plain.insert(name.clone(), value.clone());
                        }
                    }
                }
                Value::Object(plain)
            }
            other => other.clone(),
        };
        let value = self.json_value(&fields, &child(&b.ptr, "payload"), scope, Some(&mut *prelude), r);
        self.bind_payload(value, b, scope, prelude, r);
        let encodings = media.map(|m| encodings(self.loaded, &m)).unwrap_or_default();
        let encodings = encodings.iter().map(|e| {
            let (name, ct, filename) =
                (&e.name, option(e.content_type.as_deref()), option(e.filename.as_deref()));
            let headers = e.headers.iter().map(|(n, v)| quote!((#n, #v)));
            quote!(.encoding(#name, #ct, #filename, &[#(#headers),*]))
        });
        // A payload that is one expression: its binary members are known by name only.
        let file_fields =
            (!payload.is_object() && !binary.is_empty()).then(|| quote!(.file_fields(&[#(#binary),*])));
        quote!(.multipart(#rt::Multipart::new() #(#encodings)* #file_fields .fields(&payload) #(#files)*))
    }

    /// The file parts of payload member `name`, when it is sent as files: an expression of type
    /// bytes (or a list of them: one part per item), or, for a binary property, text (an
    /// expression or a literal); a YAML list of such values is one part per item.
    fn file_parts(&self, name: &str, value: &Value, binary: bool, scope: &Scope) -> Option<TokenStream> {
        if let Value::Array(items) = value {
            let parts: Option<Vec<TokenStream>> = items
                .iter()
                .map(|item| self.file_value(item, binary, scope).map(|data| quote!(.file(#name, #data))))
                .collect();
            return parts.filter(|p| !p.is_empty()).map(|p| quote!(#(#p)*));
        }
        let text = value.as_str()?;
        if let Ok(expr::Value::Expr(e)) = expr::parse_value(text).map(|p| p.value)
            && let Ok(l) = scope.value(&e)
            && let Ty::Array(item) = &l.ty
            && is_file(item, binary)
        {
            let tokens = l.tokens;
            return Some(quote!(.files(#name, #tokens)));
        }
        self.file_value(value, binary, scope).map(|data| quote!(.file(#name, #data)))
    }

    /// The `Option<&T>` tokens of one file: an expression of type bytes, or, for a binary
    /// property, text (an expression or a literal).
    fn file_value(&self, value: &Value, binary: bool, scope: &Scope) -> Option<TokenStream> {
        let text = value.as_str()?;
        match expr::parse_value(text).map(|p| p.value) {
            Ok(expr::Value::Expr(e)) => {
                let l = scope.value(&e).ok()?;
                is_file(&l.ty, binary).then_some(l.tokens)
            }
            Ok(expr::Value::Literal(_)) if binary => Some(quote!(Some(#text))),
            _ => None,
        }
    }
}

/// Whether a value of type `ty` is sent as a file: bytes, or text for a binary property.
fn is_file(ty: &Ty, binary: bool) -> bool {
    *ty == Ty::Bytes || (binary && *ty == Ty::String)
}

/// `None` or `Some("..")`.
fn option(text: Option<&str>) -> TokenStream {
    match text {
        Some(t) => quote!(Some(#t)),
        None => quote!(None),
    }
}

/// The request body's media type object for `content_type`: (file, pointer).
fn media_object(loaded: &Loaded, op: &Operation, content_type: &str) -> Option<(usize, String)> {
    let (file, body) = openapi::deref(loaded, op.def.0, &child(&op.def.1, "requestBody"))?;
    let content = child(&body, "content");
    let declared = openapi::value_at(loaded, file, &content)?.as_object()?;
    let key = declared.keys().find(|k| essence(k) == essence(content_type))?;
    Some((file, child(&content, key)))
}

/// The properties of a media type's schema that hold binary data, or lists of it: `format:
/// binary`, or (OpenAPI 3.1) a `contentMediaType` without a `contentEncoding`.
fn binary_properties(loaded: &Loaded, (file, media): &(usize, String)) -> Vec<String> {
    let Some((file, schema)) = openapi::deref(loaded, *file, &child(media, "schema")) else {
        return Vec::new();
    };
    let properties = child(&schema, "properties");
    let Some(names) = openapi::value_at(loaded, file, &properties).and_then(Value::as_object) else {
        return Vec::new();
    };
    names
        .keys()
        .filter(|name| {
            let property = openapi::deref(loaded, file, &child(&properties, name))
                .and_then(|(f, p)| openapi::value_at(loaded, f, &p));
            let binary = |p: &Value| {
                p.get("format").and_then(Value::as_str) == Some("binary")
                    || (p.get("contentMediaType").is_some() && p.get("contentEncoding").is_none())
            };
            // A list of files is one part per item.
            property.is_some_and(|p| binary(p) || p.get("items").is_some_and(binary))
        })
        .cloned()
        .collect()
}

/// One field's OpenAPI `encoding`.
struct Encoding {
    name: String,
    content_type: Option<String>,
    /// The `filename` of its `Content-Disposition` header.
    filename: Option<String>,
    /// Its other headers that have a value (a schema `const` or `default`, or an `example`).
    headers: Vec<(String, String)>,
}

/// The `encoding` entries of a media type object.
fn encodings(loaded: &Loaded, (file, media): &(usize, String)) -> Vec<Encoding> {
    let ptr = child(media, "encoding");
    let Some(entries) = openapi::value_at(loaded, *file, &ptr).and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, entry) in entries {
        // A list (`image/png, image/jpeg`) allows several: the first is sent.
        let content_type = entry
            .get("contentType")
            .and_then(Value::as_str)
            .and_then(|list| list.split(',').next())
            .map(|t| t.trim().to_owned());
        let mut filename = None;
        let mut headers = Vec::new();
        let declared = entry.get("headers").and_then(Value::as_object).into_iter().flatten();
        for (header, _) in declared {
            let Some(value) =
                openapi::deref(loaded, *file, &child(&child(&child(&ptr, name), "headers"), header))
                    .and_then(|(f, p)| openapi::value_at(loaded, f, &p))
                    .and_then(header_value)
            else {
                continue;
            };
            // The spec has `contentType` say the part's type; `Content-Type` here is ignored.
            if header.eq_ignore_ascii_case("content-disposition") {
                filename = disposition_filename(&value);
            } else if !header.eq_ignore_ascii_case("content-type") {
                headers.push((header.clone(), value));
            }
        }
        out.push(Encoding { name: name.clone(), content_type, filename, headers });
    }
    out
}

/// The value a header object gives: its schema's `const` or `default`, or an `example`.
fn header_value(header: &Value) -> Option<String> {
    let schema = header.get("schema");
    [schema.and_then(|s| s.get("const")), schema.and_then(|s| s.get("default")), header.get("example")]
        .into_iter()
        .chain([schema.and_then(|s| s.get("example"))])
        .flatten()
        .find_map(|v| v.as_str().map(str::to_owned))
}

/// `report.pdf` of `form-data; name="file"; filename="report.pdf"`.
fn disposition_filename(value: &str) -> Option<String> {
    value.split(';').find_map(|param| {
        let (key, v) = param.split_once('=')?;
        key.trim().eq_ignore_ascii_case("filename").then(|| v.trim().trim_matches('"').to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_of_content_dispositions() {
        let f = |v| disposition_filename(v);
        assert_eq!(f(r#"form-data; name="file"; filename="report.pdf""#).as_deref(), Some("report.pdf"));
        assert_eq!(f("attachment; FILENAME=a.txt").as_deref(), Some("a.txt"));
        assert_eq!(f(r#"form-data; name="file""#), None);
    }
}
