//! Planning a step's request: the path with its parameters, the query, header and cookie
//! parameters, and the body. Values that `format!` or `json!` would hide from the formatter are
//! bound to locals first.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use super::step::StepPlanner;
use super::{Request, Shape, report};
use crate::expr::{self, TemplatePart};
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
        let rt = self.rt;
        let b = s.request_body.as_ref()?;
        let declared = openapi::request_media(self.loaded, op);
        let ct = b
            .content_type
            .clone()
            .or_else(|| declared.first().map(|m| m.content_type.clone()))
            .unwrap_or_else(|| "application/json".into());
        let payload = b.payload.as_ref()?;
        let pptr = child(&b.ptr, "payload");
        let one_expr = matches!(payload.as_str().map(expr::parse_value), Some(Ok(p)) if matches!(p.value, expr::Value::Expr(_)));
        if let (Value::String(text), false) = (payload, one_expr) {
            if let Some((rptr, ..)) = b.replacements.first() {
                let help = "write the payload as YAML/JSON instead of a string, or put the values in the string as `{$...}` templates";
                r.warn(
                    "W0306",
                    rptr,
                    "`replacements` apply to a JSON payload; this payload is a string, so they are not applied",
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
            return Some(quote!(.body(#ct, payload)));
        }
        let value = self.json_value(payload, &pptr, scope, Some(&mut *prelude), r);
        let call = if ct.contains("x-www-form-urlencoded") { quote!(form) } else { quote!(json) };
        if !ct.contains("json")
            && !ct.contains("x-www-form-urlencoded")
            && (payload.is_object() || payload.is_array())
        {
            let help = "arazzo-rs encodes JSON and form payloads; for other content types write the payload as a string";
            r.warn(
                "W0307",
                &pptr,
                format!("this payload is sent as JSON (`application/json`), not as `{ct}`"),
                Some(help.into()),
            );
        }
        let replacements: Vec<TokenStream> = b
            .replacements
            .iter()
            .map(|(rptr, target, value)| {
                let v = self.json_value(value, &child(rptr, "value"), scope, None, r);
                quote!(#rt::json::replace(&mut payload, #target, #v);)
            })
            .collect();
        let mutable = (!replacements.is_empty()).then(|| quote!(mut));
        prelude.lets.push(quote!(let #mutable payload = #value; #(#replacements)*));
        Some(quote!(.#call(&payload)))
    }
}
