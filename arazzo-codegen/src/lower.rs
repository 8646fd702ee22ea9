//! Lowering expressions and criteria to Rust tokens, with build-time type checks.
//!
//! A value expression lowers to tokens of type `Option<&T>` (None: missing or null) plus its
//! [`Ty`]; a criterion lowers to a `bool` expression.

use std::collections::HashMap;

use proc_macro2::{TokenStream, TokenTree};
use quote::{format_ident, quote};

use crate::diag::did_you_mean;
use crate::expr::SelectorQuery;
use crate::expr::{
    CmpOp, Condition, Expr, JsonPathCriterion, Literal, Operand, Segment, Source, TemplatePart, dotted_name,
};
use crate::model::{Document, ExprType, OutputValue, Parameter, Selector, SourceKind};
use crate::types::{Ty, TypeSpace, ident};

/// A type error found while lowering: code, offset and width in the text (if known), message, help.
#[derive(Debug, Clone)]
pub struct LowerError {
    /// Stable code.
    pub code: &'static str,
    /// Where in the condition text (offset, width), when known.
    pub span: Option<(usize, usize)>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
}

fn err(code: &'static str, message: String, help: Option<String>) -> LowerError {
    LowerError { code, span: None, message, help }
}

/// A name that does not exist: validation reports it (E0302, E0304), so lowering does not.
fn reported_by_validation() -> LowerError {
    err("", String::new(), None)
}

impl LowerError {
    /// Whether this error is reported where it is found (else validation already did).
    pub fn is_reported(&self) -> bool {
        !self.code.is_empty()
    }
}

/// What an output (or a parameter or payload value) reads.
#[derive(Debug, Clone)]
pub enum Read<'a> {
    /// A runtime expression. A JSON pointer selector is one: its context with the pointer
    /// appended (`$response.body` and `/a/0` read `$response.body#/a/0`), so it is typed,
    /// checked and streamed exactly like that expression.
    Expr(Expr),
    /// Any other selector.
    Selector(&'a Selector),
}

/// What `v` reads; `None` when its expression does not parse (validation reports it).
pub fn output_source(v: &OutputValue) -> Option<Read<'_>> {
    match v {
        OutputValue::Expr(text) => crate::expr::parse_expression(text).ok().map(|p| Read::Expr(p.value)),
        OutputValue::Selector(s) => Some(selector_source(s)),
    }
}

/// What a selector reads (see [`Read`]).
pub fn selector_source(s: &Selector) -> Read<'_> {
    if s.kind == ExprType::JsonPointer
        && let Ok(context) = crate::expr::parse_expression(&s.context)
        && let Ok(query) = crate::expr::parse_selector(&s.kind, &s.selector)
        && let SelectorQuery::Pointer(path) = query.value
    {
        let mut e = context.value;
        if path.is_empty() {
            return Read::Expr(e);
        }
        if let Some(p) = e.path_mut() {
            p.extend(path);
            return Read::Expr(e);
        }
    }
    Read::Selector(s)
}

/// What is in scope where an expression is evaluated.
#[derive(Clone)]
pub struct Scope<'a> {
    /// The document (its source descriptions and `$self`).
    pub doc: &'a Document,
    /// The generated types.
    pub types: &'a TypeSpace,
    /// Tokens naming the runtime's `__private` module (`rt` in generated modules).
    pub rt: &'a TokenStream,
    /// Workflow inputs by name.
    pub inputs: &'a HashMap<String, Lowered>,
    /// Step outputs by (step, name).
    pub step_outputs: &'a HashMap<(String, String), Lowered>,
    /// Outputs of a called workflow (`$outputs.x` in a workflow step), by name.
    pub called_outputs: Option<&'a HashMap<String, Lowered>>,
    /// Outputs of the workflows in `dependsOn`, by (workflow, name).
    pub dependencies: &'a HashMap<(String, String), Lowered>,
    /// The response body, when a response is in scope.
    pub body: Option<BodyValue>,
    /// The variable holding the response, when one is in scope.
    pub response: Option<&'a TokenStream>,
    /// The parameters the step sent, for `$request.header|query|path.*` after the response.
    pub request: Option<&'a [Parameter]>,
    /// Whether this is a request being built (no response can exist yet).
    pub unsent: bool,
}

/// The response body in a scope.
#[derive(Clone)]
pub struct BodyValue {
    /// Tokens of `Option<&T>`; `None` for a streamed body, which only a step output takes whole.
    pub tokens: Option<TokenStream>,
    pub ty: Ty,
    /// What a body that is not JSON is (`text`, `binary`): it has no members to point at.
    pub raw: Option<&'static str>,
    /// For failure actions, which may see any response: the JSON body schemas the operation
    /// declares. The body is then read as received, and a pointer into it is checked against
    /// each of these rather than against the success schema in `ty`.
    pub declared: Option<Vec<DeclaredBody>>,
}

/// A JSON response body schema an operation declares, with its status keys (`200`, `4XX`,
/// `default`), as `[200]` or `[4XX, 5XX]` when several responses share it.
#[derive(Clone, Debug)]
pub struct DeclaredBody {
    /// The response keys that declare it.
    pub statuses: Vec<String>,
    /// Its type.
    pub ty: Ty,
}

/// `x` when `tokens` are `Some(x)`: a value that is always present.
pub fn some_arg(tokens: &TokenStream) -> Option<TokenStream> {
    let call = syn::parse2::<syn::ExprCall>(tokens.clone()).ok()?;
    let is_some = matches!(&*call.func, syn::Expr::Path(p) if p.path.is_ident("Some"));
    (is_some && call.args.len() == 1).then(|| quote::ToTokens::to_token_stream(&call.args[0]))
}

/// The value of `Some(x)` tokens as an argument taken by value: a reference to a temporary
/// (`Some(&inputs.limit())`) gives the temporary itself.
pub fn present_arg(tokens: &TokenStream) -> Option<TokenStream> {
    let arg = some_arg(tokens)?;
    match syn::parse2::<syn::Expr>(arg.clone()) {
        Ok(syn::Expr::Reference(r)) if !is_place(&r.expr) => Some(quote::ToTokens::to_token_stream(&r.expr)),
        _ => Some(arg),
    }
}

/// `place` when `tokens` are `Some(&place)`: a present value that lives in a variable or field.
pub fn present_place(tokens: &TokenStream) -> Option<TokenStream> {
    let arg = some_arg(tokens)?;
    match syn::parse2::<syn::Expr>(arg).ok()? {
        syn::Expr::Reference(r) if r.mutability.is_none() && is_place(&r.expr) => {
            Some(quote::ToTokens::to_token_stream(&r.expr))
        }
        _ => None,
    }
}

/// `place` when `tokens` are `place.as_ref()`: an optional value held in a variable or field.
pub fn optional_place(tokens: &TokenStream) -> Option<TokenStream> {
    match syn::parse2::<syn::Expr>(tokens.clone()).ok()? {
        syn::Expr::MethodCall(m) if m.method == "as_ref" && m.args.is_empty() && is_place(&m.receiver) => {
            Some(quote::ToTokens::to_token_stream(&m.receiver))
        }
        _ => None,
    }
}

fn is_place(e: &syn::Expr) -> bool {
    match e {
        syn::Expr::Path(p) => p.qself.is_none() && p.path.get_ident().is_some(),
        syn::Expr::Field(f) => is_place(&f.base),
        _ => false,
    }
}

/// A lowered value: tokens of type `Option<&T>` and T's type (never `Ty::Option`).
#[derive(Debug, Clone)]
pub struct Lowered {
    /// The tokens.
    pub tokens: TokenStream,
    /// The value's type.
    pub ty: Ty,
    /// Whether the value can be missing or null (so an output of it is an `Option`).
    pub optional: bool,
    /// Whether the tokens are an `Option<&str>` (a header, `$url`, `$method`), not `Option<&String>`.
    pub str_ref: bool,
}

impl Lowered {
    /// A value of type `ty` held at `tokens` (`Option<&T>`).
    pub fn new(tokens: TokenStream, ty: Ty, optional: bool) -> Self {
        Lowered { tokens, ty, optional, str_ref: false }
    }

    /// Tokens of the owned value, an `Option<T>`.
    pub fn owned(&self) -> TokenStream {
        let t = &self.tokens;
        match (some_arg(t), self.str_ref) {
            (Some(v), true) => quote!(Some(#v.to_owned())),
            (None, true) => quote!(#t.map(str::to_owned)),
            (_, false) => quote!(#t.cloned()),
        }
    }

    /// Tokens of the owned value, moved out of its variable when it lives in one (`move_out`)
    /// and cloned otherwise: `T` when the value is always present, else `Option<T>`.
    pub fn take(&self, move_out: bool) -> TokenStream {
        let copy = matches!(self.ty, Ty::Integer | Ty::Number | Ty::Bool | Ty::Status);
        if !self.str_ref {
            if let Some(place) = present_place(&self.tokens) {
                return if move_out || copy { place } else { quote!(#place.clone()) };
            }
            if let Some(place) = optional_place(&self.tokens) {
                return if move_out || copy { place } else { quote!(#place.clone()) };
            }
        }
        let Some(v) = some_arg(&self.tokens) else { return self.owned() };
        match syn::parse2::<syn::Expr>(v.clone()) {
            // A reference to a temporary (an accessor's result): the value is owned already.
            Ok(syn::Expr::Reference(r)) if !self.str_ref => quote::ToTokens::to_token_stream(&r.expr),
            _ if self.str_ref => quote!(#v.to_owned()),
            _ if copy => quote!(*#v),
            _ => quote!((#v).clone()),
        }
    }

    /// The variable and fields the value lives in (`["step", "field"]`), when it lives in one.
    pub fn place(&self) -> Option<Vec<String>> {
        let place = present_place(&self.tokens).or_else(|| optional_place(&self.tokens))?;
        Some(place.to_string().split('.').map(|p| p.trim().to_string()).collect())
    }

    /// Whether [`take`](Self::take) gives a plain `T` (else an `Option<T>`).
    pub fn is_present(&self) -> bool {
        some_arg(&self.tokens).is_some()
    }
}

/// Navigates to a field of `Option<&T>` tokens: `Some(&place.field)` when the value is a
/// present place, else `tokens.map(|v| &v.field)`.
fn field_of(tokens: &TokenStream, fid: &syn::Ident) -> TokenStream {
    match present_place(tokens) {
        Some(place) => quote!(Some(&#place.#fid)),
        None => quote!(#tokens.map(|v| &v.#fid)),
    }
}

/// An optional field of `Option<&T>` tokens, as `Option<&U>` (`as_deref` for a boxed one).
fn optional_field_of(tokens: &TokenStream, fid: &syn::Ident, boxed: bool) -> TokenStream {
    let as_ref = if boxed { quote!(as_deref) } else { quote!(as_ref) };
    match present_place(tokens) {
        Some(place) => quote!(#place.#fid.#as_ref()),
        None => quote!(#tokens.and_then(|v| v.#fid.#as_ref())),
    }
}

impl Scope<'_> {
    /// Lowers a value expression.
    pub fn value(&self, e: &Expr) -> Result<Lowered, LowerError> {
        let (base, ty, optional, path): (TokenStream, Ty, bool, &[Segment]) = match e {
            Expr::StatusCode if let Some(r) = self.response => {
                (quote!(Some(&#r.status())), Ty::Status, false, &[])
            }
            Expr::Url if let Some(r) = self.response => {
                (quote!(Some(#r.request_url())), Ty::String, false, &[])
            }
            Expr::Method if let Some(r) = self.response => {
                (quote!(Some(#r.method())), Ty::String, false, &[])
            }
            Expr::Response(Source::Header(h)) if let Some(r) = self.response => {
                (quote!(#r.header(#h)), Ty::String, true, &[])
            }
            Expr::Response(Source::Body(path)) if self.response.is_some() => match &self.body {
                Some(BodyValue { raw: Some(raw), .. }) if !path.is_empty() => {
                    let help = "read the whole body (`$response.body`), or declare a JSON media type for the response in the OpenAPI description";
                    return Err(err(
                        "E0414",
                        format!("`{e}` points into a {raw} response body, which is not JSON"),
                        Some(help.into()),
                    ));
                }
                Some(BodyValue { tokens: Some(_), raw: None, declared: Some(declared), .. }) => {
                    return self.received_body(e, path, declared);
                }
                Some(BodyValue { tokens: Some(tokens), ty, .. }) => {
                    (tokens.clone(), ty.clone(), false, path.as_slice())
                }
                Some(BodyValue { tokens: None, .. }) | None => {
                    return Err(err(
                        "E0403",
                        "the response body is not available here".into(),
                        Some(
                            "a streamed body (JSON Lines, or binary) can only be a step output, whole".into(),
                        ),
                    ));
                }
            },
            Expr::Inputs { name, path } => match dotted_name(name, path, |n| self.inputs.contains_key(n)) {
                Some((name, path)) => return self.bound(&self.inputs[&name], path),
                None => return Err(reported_by_validation()),
            },
            Expr::Steps { step, name: Some(name), path, .. } => match dotted_name(name, path, |n| {
                self.step_outputs.contains_key(&(step.clone(), n.to_string()))
            }) {
                Some((name, path)) => return self.bound(&self.step_outputs[&(step.clone(), name)], path),
                None => return Err(reported_by_validation()),
            },
            Expr::Outputs { name, path } => match self
                .called_outputs
                .and_then(|o| dotted_name(name, path, |n| o.contains_key(n)).map(|(n, p)| (&o[&n], p)))
            {
                Some((bound, path)) => return self.bound(bound, path),
                None => {
                    return Err(err(
                        "E0405",
                        format!("`$outputs.{name}` is not an output of the workflow this step calls"),
                        None,
                    ));
                }
            },
            Expr::Workflows { workflow, field, name: Some(name), path } if field == "outputs" => {
                match dotted_name(name, path, |n| {
                    self.dependencies.contains_key(&(workflow.clone(), n.to_string()))
                }) {
                    Some((name, path)) => {
                        return self.bound(&self.dependencies[&(workflow.clone(), name)], path);
                    }
                    None => {
                        let help =
                            format!("add `{workflow}` to this workflow's `dependsOn`, so that it runs first");
                        return Err(err(
                            "E0412",
                            format!(
                                "`$workflows.{workflow}.outputs.{name}` is only known when `{workflow}` is in `dependsOn`"
                            ),
                            Some(help),
                        ));
                    }
                }
            }
            Expr::Request(source) => return self.request_value(e, source),
            Expr::SelfUri => match &self.doc.self_uri {
                Some((_, uri)) => return Ok(text_value(uri)),
                None => {
                    return Err(err(
                        "E0235",
                        "`$self` has no value: the document declares no `$self`".into(),
                        Some(
                            "declare the document's canonical URI: `$self: https://…/name.arazzo.yaml`"
                                .into(),
                        ),
                    ));
                }
            },
            // Arazzo 1.1 §Source Description Expression Resolution: an operationId or
            // workflowId first, then a field of the Source Description Object.
            Expr::SourceDescriptions { name, rest: Some(field) }
                if matches!(field.as_str(), "url" | "type")
                    && let Some(source) = self.doc.sources.iter().find(|s| &s.name == name) =>
            {
                let text = match (field.as_str(), source.kind) {
                    ("url", _) => source.url.as_str(),
                    (_, SourceKind::OpenApi) => "openapi",
                    (_, SourceKind::Arazzo) => "arazzo",
                    (_, SourceKind::AsyncApi) => "asyncapi",
                };
                return Ok(text_value(text));
            }
            Expr::Message(_) => {
                return Err(err(
                    "E0236",
                    format!("`{e}` reads an AsyncAPI message, and this step calls no AsyncAPI operation"),
                    Some("`$message` is known in the criteria and outputs of an AsyncAPI step".into()),
                ));
            }
            e if e.is_whole_object() => return self.whole_object(e),
            // Before the request is sent, validation reports a response read (E0301).
            Expr::StatusCode | Expr::Url | Expr::Method | Expr::Response(_) if self.unsent => {
                return Err(reported_by_validation());
            }
            other => return Err(err("E0404", format!("`{other}` cannot be used here"), None)),
        };
        let str_ref = matches!(e, Expr::Url | Expr::Method | Expr::Response(Source::Header(_)));
        let (tokens, ty, more, tag) = self.navigate(base, ty, path)?;
        Ok(Lowered { tokens, ty, optional: optional || more, str_ref: str_ref || tag })
    }

    /// A whole object of named values (`$inputs`, `$steps.x.outputs`, `$workflows.x.outputs`)
    /// as JSON, built from the values in scope.
    fn whole_object(&self, e: &Expr) -> Result<Lowered, LowerError> {
        let mut members: Vec<(&String, &Lowered)> = match e {
            Expr::AllInputs => self.inputs.iter().collect(),
            Expr::Steps { step, .. } => {
                self.step_outputs.iter().filter(|((s, _), _)| s == step).map(|((_, n), l)| (n, l)).collect()
            }
            Expr::Workflows { workflow, field, .. } if field == "outputs" => self
                .dependencies
                .iter()
                .filter(|((w, _), _)| w == workflow)
                .map(|((_, n), l)| (n, l))
                .collect(),
            other => return Err(err("E0404", format!("`{other}` cannot be used here"), None)),
        };
        members.sort_by(|a, b| a.0.cmp(b.0));
        let rt = self.rt;
        let entries = members.iter().map(|(name, l)| {
            let t = &l.tokens;
            quote!(#name: #t)
        });
        Ok(Lowered::new(quote!(Some(&#rt::serde_json::json!({ #(#entries),* }))), Ty::Json, false))
    }

    /// The fallback of E0401 lowered to a warning: `$response.body#/pointer` read from the
    /// body as received, as untyped JSON, when a response is in scope.
    pub fn untyped_body(&self, e: &Expr) -> Option<Lowered> {
        let (Expr::Response(Source::Body(path)), Some(r)) = (e, self.response) else { return None };
        let ptr = crate::expr::ast::pointer_string(path);
        let tokens = quote!(#r.json_value().as_ref().and_then(|v| v.pointer(#ptr)));
        Some(Lowered::new(tokens, Ty::Json, true))
    }

    /// `$response.body#/pointer` where any response may be in scope (a failure action's
    /// criteria): read from the body as received, and checked against every response body
    /// schema the operation declares. E0401 when none has the pointer; typed when those that
    /// have it agree on a scalar type (text, number, boolean, enum), else untyped JSON.
    fn received_body(
        &self,
        e: &Expr,
        path: &[Segment],
        declared: &[DeclaredBody],
    ) -> Result<Lowered, LowerError> {
        let Some(r) = self.response else { return Err(reported_by_validation()) };
        let json = received_json(r, path);
        let mut found: Vec<Ty> = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        for d in declared {
            let statuses = d.statuses.join(", ");
            match self.navigate(quote!(body), d.ty.clone(), path) {
                Ok((_, _, _, true)) => found.push(Ty::String),
                Ok((_, ty, ..)) => found.push(ty),
                Err(why) => {
                    let hint = why.help.filter(|h| h.starts_with("did you mean")).map(|h| format!(", {h}"));
                    let label = schema_label(&d.ty);
                    missing.push(format!(
                        "{label} ({statuses}): {}{}",
                        why.message,
                        hint.unwrap_or_default()
                    ));
                }
            }
        }
        let Some(first) = found.first() else {
            if declared.is_empty() {
                return Ok(Lowered::new(json, Ty::Json, true));
            }
            let help = format!(
                "a failure action may see any response, so each body schema the operation declares was searched: {}",
                missing.join("; ")
            );
            return Err(err("E0401", format!("no response body of the operation has `{e}`"), Some(help)));
        };
        let agreed = found.iter().all(|t| t == first).then_some(first);
        Ok(match agreed {
            Some(ty @ (Ty::String | Ty::Integer | Ty::Number | Ty::Bool | Ty::Enum(..))) => {
                let (t, ptr) = (self.types.tokens(ty), crate::expr::ast::pointer_string(path));
                Lowered::new(quote!(#r.json_at::<#t>(#ptr).as_ref()), ty.clone(), true)
            }
            _ => Lowered::new(json, Ty::Json, true),
        })
    }

    /// A bound value (an input, a step output, ...) and the pointer into it.
    fn bound(&self, b: &Lowered, path: &[Segment]) -> Result<Lowered, LowerError> {
        let (tokens, ty, more, tag) = self.navigate(b.tokens.clone(), b.ty.clone(), path)?;
        Ok(Lowered { tokens, ty, optional: b.optional || more, str_ref: b.str_ref || tag })
    }

    /// `$request.header|query|path.NAME`: the value of the parameter the step sent, lowered
    /// again (it reads only inputs and earlier outputs, which the step has not changed).
    fn request_value(&self, e: &Expr, source: &Source) -> Result<Lowered, LowerError> {
        let (location, name) = match source {
            Source::Header(n) => ("header", n),
            Source::Query(n) => ("query", n),
            Source::Path(n) => ("path", n),
            Source::Body(_) | Source::Payload(_) => {
                let help =
                    "refer to what the payload was built from instead (its `$inputs` or `$steps` values)";
                return Err(err(
                    "E0404",
                    format!("`{e}`: arazzo-rs does not read back the request body it sent"),
                    Some(help.into()),
                ));
            }
        };
        let Some(params) = self.request else {
            return Err(err(
                "E0404",
                format!("`{e}` cannot be used here"),
                Some("`$request` is known in the outputs and criteria of a step that sends a request".into()),
            ));
        };
        let same = |p: &&Parameter| {
            p.location.as_deref() == Some(location)
                && if location == "header" { p.name.eq_ignore_ascii_case(name) } else { &p.name == name }
        };
        let Some(p) = params.iter().rev().find(same) else {
            let sent: Vec<String> = params
                .iter()
                .filter(|p| p.location.as_deref() == Some(location))
                .map(|p| format!("`{}`", p.name))
                .collect();
            let help = if sent.is_empty() {
                format!("`$request` reads back the step's `parameters`; it has no {location} parameter")
            } else {
                format!("the step sends {}", sent.join(", "))
            };
            return Err(err(
                "E0404",
                format!("`{e}`: the step sends no {location} parameter `{name}`"),
                Some(help),
            ));
        };
        let request_free = Scope { request: None, body: None, response: None, ..*self };
        let text =
            |s: String| Lowered { tokens: quote!(Some(#s)), ty: Ty::String, optional: false, str_ref: true };
        Ok(match &p.value {
            serde_json::Value::String(s) => match crate::expr::parse_value(s).map(|p| p.value) {
                Ok(crate::expr::Value::Expr(inner)) => request_free.value(&inner)?,
                Ok(crate::expr::Value::Template(parts)) => {
                    let (t, ty, errors) = request_free.text_template(&parts);
                    if let Some(e) = errors.into_iter().next() {
                        return Err(e);
                    }
                    Lowered { tokens: quote!(Some(&#t)), ty, optional: false, str_ref: false }
                }
                _ => text(s.clone()),
            },
            other => text(other.to_string()),
        })
    }

    /// The text of a template: a `String`, or a `Secret` when a value in it is one (sent as a
    /// sensitive header, redacted from errors). Returns the tokens, their type and the errors.
    pub fn text_template(&self, parts: &[TemplatePart]) -> (TokenStream, Ty, Vec<LowerError>) {
        let rt = self.rt;
        let mut secret = false;
        let (text, errors) = self.format_template(parts, |l, _| {
            secret |= l.ty == Ty::Secret;
            match some_arg(&l.tokens) {
                Some(v) => quote!(#rt::json::text_of(#v)),
                None => {
                    let t = l.tokens;
                    quote!(#t.map(#rt::json::text_of).unwrap_or_default())
                }
            }
        });
        if secret {
            (quote!(#rt::Secret::new(#text)), Ty::Secret, errors)
        } else {
            (text, Ty::String, errors)
        }
    }

    /// `format!` tokens for a template, and the errors of its parts; `arg` renders each value,
    /// told whether the text before it leaves a JSON string literal open.
    pub fn format_template(
        &self,
        parts: &[TemplatePart],
        mut arg: impl FnMut(Lowered, bool) -> TokenStream,
    ) -> (TokenStream, Vec<LowerError>) {
        let mut fmt = String::new();
        let (mut args, mut errors) = (Vec::new(), Vec::new());
        let (mut in_string, mut escaped) = (false, false);
        for part in parts {
            match part {
                TemplatePart::Lit(s) => {
                    for c in s.chars() {
                        match c {
                            _ if escaped => escaped = false,
                            '\\' if in_string => escaped = true,
                            '"' => in_string = !in_string,
                            _ => {}
                        }
                    }
                    fmt.push_str(&s.replace('{', "{{").replace('}', "}}"));
                }
                TemplatePart::Expr(e) => {
                    fmt.push_str("{}");
                    match self.value(e) {
                        Ok(l) => args.push(arg(l, in_string)),
                        Err(e) => {
                            errors.push(e);
                            args.push(quote!(""));
                        }
                    }
                }
            }
        }
        if fmt == "{}" && args.len() == 1 {
            return (args.remove(0), errors); // The whole text is one value.
        }
        (quote!(format!(#fmt, #(#args),*)), errors)
    }

    /// Adds navigation to `Option<&T>` tokens. Returns the new tokens, type, and whether a
    /// segment could be missing.
    /// Also returns whether the value is a union's tag (tokens of `Option<&str>`).
    fn navigate(
        &self,
        mut tokens: TokenStream,
        mut ty: Ty,
        path: &[Segment],
    ) -> Result<(TokenStream, Ty, bool, bool), LowerError> {
        let mut optional = false;
        let mut i = 0;
        while i < path.len() {
            match ty.clone() {
                Ty::Json => {
                    let pointer: String = path[i..]
                        .iter()
                        .map(|s| format!("/{}", crate::expr::ast::escape_pointer_token(&seg_text(s))))
                        .collect();
                    tokens = quote!(#tokens.and_then(|v| v.pointer(#pointer)));
                    return Ok((tokens, Ty::Json, true, false));
                }
                Ty::Struct(name) => {
                    let key = seg_text(&path[i]);
                    let fields = self.types.fields(&name).unwrap_or_default();
                    let Some(f) = fields.iter().find(|f| f.wire == key) else {
                        let help = did_you_mean(&key, fields.iter().map(|f| f.wire.as_str()))
                            .map(|s| format!("did you mean `{s}`?"))
                            .or_else(|| {
                                Some(format!(
                                    "`{name}` has the fields {}",
                                    fields
                                        .iter()
                                        .map(|f| format!("`{}`", f.wire))
                                        .collect::<Vec<_>>()
                                        .join(", ")
                                ))
                            });
                        return Err(err("E0401", format!("`{name}` has no field `{key}`"), help));
                    };
                    let fid = ident(&f.ident);
                    match (&f.ty, f.boxed) {
                        (Ty::Option(inner), boxed) => {
                            tokens = optional_field_of(&tokens, &fid, boxed);
                            ty = (**inner).clone();
                            optional = true;
                        }
                        (_, true) => {
                            tokens = quote!(#tokens.map(|v| &*v.#fid));
                            ty = f.ty.clone();
                        }
                        (_, false) => {
                            tokens = field_of(&tokens, &fid);
                            ty = f.ty.clone();
                        }
                    }
                }
                Ty::Array(item) => {
                    let n = match &path[i] {
                        Segment::Index(n) => *n,
                        Segment::Key(k) => k.parse::<usize>().map_err(|_| {
                            let help = if k == "length" || k == "size" { "a list has no such member; to test its length, use a JSONPath criterion such as `$[?length(@.items) > 0]`" } else { "use a number, e.g. `#/0`" };
                            err("E0401", format!("`{k}` is not an index into a list"), Some(help.into()))
                        })?,
                    };
                    tokens = if n == 0 {
                        quote!(#tokens.and_then(|v| v.first()))
                    } else {
                        quote!(#tokens.and_then(|v| v.get(#n)))
                    };
                    ty = (*item).clone();
                    optional = true;
                }
                Ty::Map(item) => {
                    let key = seg_text(&path[i]);
                    tokens = quote!(#tokens.and_then(|v| v.get(#key)));
                    ty = (*item).clone();
                    optional = true;
                }
                Ty::Option(inner) => {
                    tokens = quote!(#tokens.and_then(|v| v.as_ref()));
                    ty = (*inner).clone();
                    continue;
                }
                Ty::Union(name) => {
                    let key = seg_text(&path[i]);
                    let (tokens_u, ty_u, is_tag) = self.union_member(&name, &key, tokens)?;
                    if is_tag && i + 1 == path.len() {
                        return Ok((tokens_u, Ty::String, false, true));
                    }
                    tokens = tokens_u;
                    ty = ty_u;
                    optional = true;
                }
                other => {
                    let help =
                        "only objects and lists have members; read the value itself, without the pointer";
                    return Err(err(
                        "E0401",
                        format!("cannot navigate to `{}` inside {}", seg_text(&path[i]), ty_name(&other)),
                        Some(help.into()),
                    ));
                }
            }
            i += 1;
        }
        if let Ty::Option(inner) = ty {
            return Ok((quote!(#tokens.and_then(|v| v.as_ref())), *inner, true, false));
        }
        Ok((tokens, ty, optional, false))
    }

    /// A member of a tagged union: its tag (`Option<&str>`), or a field that the variants that
    /// have it agree on (`None` for the other variants). Returns the tokens, the type and
    /// whether it is the tag.
    fn union_member(
        &self,
        name: &str,
        key: &str,
        tokens: TokenStream,
    ) -> Result<(TokenStream, Ty, bool), LowerError> {
        let Some((tag, variants)) = self.types.union_variants(name) else {
            return Err(err("E0401", format!("cannot navigate inside `{name}`"), None));
        };
        let ty = ident(name);
        if key == tag {
            let arms = variants.iter().map(|(wire, v, _)| {
                let v = ident(v);
                quote!(types::#ty::#v(_) => #wire,)
            });
            return Ok((
                quote!(#tokens.map(|v| match v { #(#arms)* types::#ty::Unknown => "" })),
                Ty::String,
                true,
            ));
        }
        let mut found: Vec<(&str, crate::types::Field)> = Vec::new();
        for (_, v, sname) in variants {
            if let Some(f) = self.types.fields(sname).and_then(|fs| fs.iter().find(|f| f.wire == key)) {
                found.push((v, f.clone()));
            }
        }
        let Some((_, first)) = found.first() else {
            let help = format!(
                "`{name}` is one of {}, by `{tag}`; no variant has a field `{key}`",
                variants.iter().map(|(_, _, s)| format!("`{s}`")).collect::<Vec<_>>().join(", ")
            );
            return Err(err("E0401", format!("no variant of `{name}` has a field `{key}`"), Some(help)));
        };
        let field_ty = first.ty.unwrapped().clone();
        if found.iter().any(|(_, f)| f.ty.unwrapped() != &field_ty) {
            return Err(err(
                "E0401",
                format!("the variants of `{name}` disagree on the type of `{key}`"),
                Some("compare the field through a step output of one variant".into()),
            ));
        }
        let arms = found.iter().map(|(v, f)| {
            let (v, fid) = (ident(v), ident(&f.ident));
            let get = match (&f.ty, f.boxed) {
                (Ty::Option(_), true) => quote!(x.#fid.as_deref()),
                (Ty::Option(_), false) => quote!(x.#fid.as_ref()),
                (_, true) => quote!(Some(&*x.#fid)),
                (_, false) => quote!(Some(&x.#fid)),
            };
            quote!(types::#ty::#v(x) => #get,)
        });
        Ok((quote!(#tokens.and_then(|v| match v { #(#arms)* _ => None })), field_ty, false))
    }

    /// Lowers a simple condition to a `bool` expression.
    pub fn condition(&self, c: &Condition) -> Result<TokenStream, LowerError> {
        Ok(match c {
            Condition::Or(a, b) => {
                let (a, b) = (self.condition(a)?, self.condition(b)?);
                quote!((#a || #b))
            }
            Condition::And(a, b) => {
                let (a, b) = (self.condition(a)?, self.condition(b)?);
                quote!((#a && #b))
            }
            Condition::Not(a) => negate(self.condition(a)?),
            Condition::Truthy(o) => {
                let rt = self.rt;
                let v = self.operand_json(o)?;
                quote!(#rt::json::truthy(#v.as_ref()))
            }
            Condition::Compare { lhs, op, rhs } => self.compare(lhs, *op, rhs)?,
        })
    }

    fn operand_span(o: &Operand) -> Option<(usize, usize)> {
        match o {
            Operand::Expr { offset, len, .. } | Operand::Length { offset, len, .. } => Some((*offset, *len)),
            Operand::Literal(_) => None,
        }
    }

    /// The value of an operand that is not a literal.
    fn operand_value(&self, o: &Operand) -> Result<Lowered, LowerError> {
        match o {
            Operand::Expr { expr, .. } => self.value(expr),
            Operand::Length { expr, .. } => self.length(expr),
            Operand::Literal(_) => Err(reported_by_validation()),
        }
    }

    /// The JavaScript `.length` of a value: a list's, a map's or a string's length (in
    /// characters), a member named `length` of an object, as an integer.
    fn length(&self, e: &Expr) -> Result<Lowered, LowerError> {
        let v = self.value(e)?;
        let t = &v.tokens;
        let tokens = match &v.ty {
            Ty::Array(_) | Ty::Map(_) => quote!(#t.map(|v| v.len() as i64)),
            Ty::String => quote!(#t.map(|v| v.chars().count() as i64)),
            Ty::Json => {
                let rt = self.rt;
                quote!(#t.and_then(#rt::json::length))
            }
            Ty::Struct(_) | Ty::Union(_) => {
                let mut member = e.clone();
                member.path_mut().into_iter().for_each(|p| p.push(Segment::Key("length".into())));
                return self.value(&member);
            }
            other => {
                return Err(err(
                    "E0233",
                    format!("`{e}` is {}, which has no length", ty_name(other)),
                    Some("`.length` reads the length of a list or a string".into()),
                ));
            }
        };
        Ok(Lowered::new(quote!(#tokens.as_ref()), Ty::Integer, true))
    }

    fn compare(&self, lhs: &Operand, op: CmpOp, rhs: &Operand) -> Result<TokenStream, LowerError> {
        match (lhs, rhs) {
            (Operand::Expr { .. } | Operand::Length { .. }, Operand::Literal(lit)) => {
                let compared = match lhs {
                    Operand::Expr { expr, .. } => self.compare_value(expr, op, lit),
                    _ => self
                        .operand_value(lhs)
                        .and_then(|v| self.compare_lowered(&v, op, lit, &lhs.to_string())),
                };
                compared.map_err(|mut e| {
                    e.span = e.span.or(Self::operand_span(lhs));
                    e
                })
            }
            (Operand::Literal(_), Operand::Expr { .. } | Operand::Length { .. }) => {
                self.compare(rhs, flip(op), lhs)
            }
            (Operand::Expr { expr: x, .. }, Operand::Expr { expr: y, .. })
                if let Some((tx, ty)) = self.mismatch(x, y)? =>
            {
                let message = format!(
                    "`{x}` is {} but is compared with `{y}`, which is {}",
                    ty_name(&tx),
                    ty_name(&ty)
                );
                let mut e = err("E0408", message, Some("compare values of the same kind".into()));
                e.span = Self::operand_span(lhs);
                Err(e)
            }
            _ => {
                let rt = self.rt;
                let (a, b) = (self.operand_json(lhs)?, self.operand_json(rhs)?);
                let op = cmp_tokens(rt, op);
                Ok(quote!(#rt::json::compare(#a.as_ref(), #op, &#b.unwrap_or_default())))
            }
        }
    }

    /// The types of two values that can never be equal: an enum is text, never a number or a
    /// boolean, and a number is never a boolean (text and numbers may meet: numeric strings).
    fn mismatch(&self, x: &Expr, y: &Expr) -> Result<Option<(Ty, Ty)>, LowerError> {
        let kind = |t: &Ty| match t {
            Ty::Enum(..) => Some("enum"),
            Ty::Integer | Ty::Number | Ty::Status => Some("number"),
            Ty::Bool => Some("bool"),
            _ => None,
        };
        let (a, b) = (self.value(x)?.ty, self.value(y)?.ty);
        Ok(match (kind(&a), kind(&b)) {
            (Some(k), Some(l)) if k != l => Some((a, b)),
            _ => None,
        })
    }

    /// Compares a value expression with a literal, specialised on the static type.
    pub fn compare_value(&self, e: &Expr, op: CmpOp, lit: &Literal) -> Result<TokenStream, LowerError> {
        let v = self.value(e)?;
        self.compare_lowered(&v, op, lit, &e.to_string())
    }

    /// Compares lowered `Option<&T>` tokens with a literal.
    pub fn compare_lowered(
        &self,
        v: &Lowered,
        op: CmpOp,
        lit: &Literal,
        text: &str,
    ) -> Result<TokenStream, LowerError> {
        let t = &v.tokens;
        let rt = self.rt;
        let cmp = |a: TokenStream, b: TokenStream| -> TokenStream {
            match op {
                CmpOp::Eq => quote!(#a == #b),
                CmpOp::Ne => quote!(#a != #b),
                CmpOp::Lt => quote!(#a < #b),
                CmpOp::Le => quote!(#a <= #b),
                CmpOp::Gt => quote!(#a > #b),
                CmpOp::Ge => quote!(#a >= #b),
            }
        };
        // `a == b` holds when the value is present and equal; `a != b` is its negation, which
        // clippy prefers spelled `is_none_or(!=)`.
        let eq_or_ne = |eq: TokenStream, ne: TokenStream| {
            if op == CmpOp::Ne { quote!(#t.is_none_or(|v| #ne)) } else { quote!(#t.is_some_and(|v| #eq)) }
        };
        // A value that is always present is compared as it is, without `Option` plumbing.
        let present = present_place(t);
        Ok(match (&v.ty, lit) {
            (_, Literal::Null) => match op {
                CmpOp::Eq if v.ty == Ty::Json => quote!(#t.is_none_or(|v| v.is_null())),
                CmpOp::Ne if v.ty == Ty::Json => quote!(#t.is_some_and(|v| !v.is_null())),
                // A status code is always there: never null.
                CmpOp::Eq if v.ty == Ty::Status => quote!(false),
                CmpOp::Ne if v.ty == Ty::Status => quote!(true),
                CmpOp::Eq => quote!(#t.is_none()),
                CmpOp::Ne => quote!(#t.is_some()),
                _ => quote!(false),
            },
            (Ty::Enum(name, values), Literal::String(s)) => {
                let Some(wire) = values.iter().find(|w| w.eq_ignore_ascii_case(s)) else {
                    let help = match did_you_mean(s, values.iter().map(String::as_str)) {
                        Some(m) => format!("did you mean '{m}'? `{name}` is one of {}", quoted(values)),
                        None => format!("`{name}` is one of {}", quoted(values)),
                    };
                    return Err(err(
                        "E0402",
                        format!("'{s}' is not a value of `{name}`, so `{text}` can never equal it"),
                        Some(help),
                    ));
                };
                if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                    return Err(err(
                        "E0406",
                        format!("`{text}` is an enum; it can only be compared with == or !="),
                        None,
                    ));
                }
                let ty = ident(name);
                let variant = ident(self.types.enum_variant(name, wire).unwrap_or("Unknown"));
                match &present {
                    Some(place) => cmp(place.clone(), quote!(types::#ty::#variant)),
                    None => cmp(t.clone(), quote!(Some(&types::#ty::#variant))),
                }
            }
            (Ty::String | Ty::Secret, Literal::String(s)) => {
                // `v` is a `&String`, a `&str` (headers, `$url`) or a `&Secret`.
                let text = if v.ty == Ty::Secret { quote!(v.expose()) } else { quote!(v) };
                match op {
                    CmpOp::Eq | CmpOp::Ne if let Some(place) = &present => {
                        let place = if v.ty == Ty::Secret { quote!(#place.expose()) } else { place.clone() };
                        let eq = quote!(#place.eq_ignore_ascii_case(#s));
                        if op == CmpOp::Eq { eq } else { quote!(!#eq) }
                    }
                    CmpOp::Eq | CmpOp::Ne => eq_or_ne(
                        quote!(#text.eq_ignore_ascii_case(#s)),
                        quote!(!#text.eq_ignore_ascii_case(#s)),
                    ),
                    _ => {
                        // Ordering is case-insensitive too: both sides lower-cased.
                        let lower = s.to_lowercase();
                        let c =
                            cmp(quote!(AsRef::<str>::as_ref(#text).to_lowercase().as_str()), quote!(#lower));
                        quote!(#t.is_some_and(|v| #c))
                    }
                }
            }
            // Arazzo 1.1 §Simple Conditions: numeric strings are coerced to numbers.
            (Ty::Status | Ty::Integer | Ty::Number, Literal::String(digits))
                if let Ok(n) = digits.trim().parse::<serde_json::Number>() =>
            {
                return self.compare_lowered(v, op, &Literal::Number(n), text);
            }
            (Ty::Status, Literal::Number(n)) => {
                let Some(code) = n.as_u64().filter(|c| *c < 1000) else {
                    return Err(err("E0407", format!("`{n}` is not an HTTP status code"), None));
                };
                let code = proc_macro2::Literal::u16_unsuffixed(code as u16);
                match self.response {
                    Some(r) => cmp(quote!(#r.status()), quote!(#code)),
                    None => cmp(quote!(*v), quote!(#code)),
                }
            }
            (Ty::Integer, Literal::Number(n)) if n.is_i64() => {
                let n = proc_macro2::Literal::i64_unsuffixed(n.as_i64().unwrap_or_default());
                let c = cmp(quote!(*v), quote!(#n));
                if let Some(place) = &present {
                    cmp(place.clone(), quote!(#n))
                } else if op == CmpOp::Ne {
                    eq_or_ne(quote!(), quote!(*v != #n))
                } else {
                    quote!(#t.is_some_and(|v| #c))
                }
            }
            (Ty::Integer | Ty::Number, Literal::Number(n)) => {
                let f = n.as_f64().unwrap_or_default();
                let x = if v.ty == Ty::Number { quote!(*v) } else { quote!((*v as f64)) };
                let c = cmp(x.clone(), quote!(#f));
                if op == CmpOp::Ne {
                    eq_or_ne(quote!(), quote!(#x != #f))
                } else {
                    quote!(#t.is_some_and(|v| #c))
                }
            }
            (Ty::String, Literal::Number(n)) => {
                // DESIGN §3: a numeric string is compared as a number (a header such as
                // `X-Rate-Limit-Remaining`); text that is not a number matches nothing.
                let f = n.as_f64().unwrap_or_default();
                let number = quote!(#t.and_then(|v| v.trim().parse::<f64>().ok()));
                if op == CmpOp::Ne {
                    quote!(#number.is_none_or(|v| v != #f))
                } else {
                    let c = cmp(quote!(v), quote!(#f));
                    quote!(#number.is_some_and(|v| #c))
                }
            }
            (Ty::Bool, Literal::Bool(b)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => match &present {
                Some(place) if *b == (op == CmpOp::Eq) => place.clone(),
                Some(place) => quote!(!#place),
                None => cmp(t.clone(), quote!(Some(&#b))),
            },
            // A header is text: `true`/`false` in any case equals the boolean.
            (Ty::String, Literal::Bool(b)) if matches!(op, CmpOp::Eq | CmpOp::Ne) => {
                let word = if *b { "true" } else { "false" };
                eq_or_ne(
                    quote!(v.trim().eq_ignore_ascii_case(#word)),
                    quote!(!v.trim().eq_ignore_ascii_case(#word)),
                )
            }
            (Ty::Json, lit) => {
                let l = literal_json(rt, lit);
                let op = cmp_tokens(rt, op);
                quote!(#rt::json::compare(#t, #op, &#l))
            }
            (ty, lit) => {
                let what = match lit {
                    Literal::String(_) => "a string",
                    Literal::Number(_) => "a number",
                    Literal::Bool(_) => "a boolean",
                    Literal::Null => "null",
                };
                return Err(err(
                    "E0408",
                    format!("`{text}` is {} but is compared with {what}", ty_name(ty)),
                    Some("compare it with a literal of its own type".into()),
                ));
            }
        })
    }

    /// An operand as `Option<serde_json::Value>` tokens (for untyped comparisons).
    fn operand_json(&self, o: &Operand) -> Result<TokenStream, LowerError> {
        let rt = self.rt;
        Ok(match o {
            Operand::Literal(l) => {
                let l = literal_json(rt, l);
                quote!(Some(#l))
            }
            Operand::Expr { .. } | Operand::Length { .. } => {
                let v = self.operand_value(o)?;
                let t = v.tokens;
                quote!(#t.and_then(|v| #rt::serde_json::to_value(v).ok()))
            }
        })
    }

    /// Lowers a JSONPath criterion evaluated against `context`.
    pub fn jsonpath(&self, context: &Expr, c: &JsonPathCriterion) -> Result<TokenStream, LowerError> {
        let rt = self.rt;
        let ctx = self.value(context)?;
        match c {
            // Into a whole object, the first key is a name: typed like `$steps.x.outputs.a`.
            JsonPathCriterion::Shorthand { path, op, literal }
                if let Some(e) = context.clone().extended(path).filter(|_| context.is_whole_object()) =>
            {
                self.compare_value(&e, *op, literal)
            }
            JsonPathCriterion::Query { path: Some(path), .. }
                if let Some(e) = context.clone().extended(path).filter(|_| context.is_whole_object()) =>
            {
                let t = self.value(&e)?.tokens;
                Ok(quote!(#t.is_some()))
            }
            // Into a body that any response may have sent: checked against each of their
            // schemas like `$response.body#/pointer`.
            JsonPathCriterion::Shorthand { path, op, literal }
                if let Some(e) = context.clone().extended(path).filter(|_| self.reads_received(context)) =>
            {
                self.compare_value(&e, *op, literal)
            }
            JsonPathCriterion::Query { path: Some(path), .. }
                if let Some(e) = context.clone().extended(path).filter(|_| self.reads_received(context)) =>
            {
                // A null member is a node all the same (RFC 9535): the JSON as received, not
                // its typed value, is tested.
                let typed = self.value(&e)?;
                let t = self.as_received(&e, typed.tokens);
                Ok(quote!(#t.is_some()))
            }
            JsonPathCriterion::Shorthand { path, op, literal } => {
                let (tokens, ty, more, tag) = self.navigate(ctx.tokens, ctx.ty, path)?;
                let v = Lowered { tokens, ty, optional: more, str_ref: tag };
                let text = format!("{context}#{}", crate::expr::ast::pointer_string(path));
                self.compare_lowered(&v, *op, literal, &text)
            }
            JsonPathCriterion::Compound(c) => self.condition(c),
            JsonPathCriterion::Query { path: Some(path), .. } => {
                // A JSON null context is no value, as an absent one; a null member it selects is
                // a node all the same (RFC 9535).
                let t = ctx.tokens;
                let t = if ctx.ty == Ty::Json { quote!(#t.filter(|v| !v.is_null())) } else { t };
                let (tokens, ..) = self.navigate(t, ctx.ty, path)?;
                Ok(quote!(#tokens.is_some()))
            }
            JsonPathCriterion::Query { text, path: None } => {
                let t = self.as_received(context, ctx.tokens);
                // DESIGN §3: a root filter over an object tests the object itself.
                let root_filter =
                    text.trim_start().strip_prefix('$').is_some_and(|r| r.trim_start().starts_with("[?"));
                let matches = if root_filter { quote!(filter_matches) } else { quote!(matches) };
                Ok(quote!(#rt::json::#matches(#rt::jsonpath!(#text), #t)))
            }
        }
    }

    /// Whether `context` is the response body of a failure action's criteria, which is read
    /// as received and checked against every declared response schema.
    fn reads_received(&self, context: &Expr) -> bool {
        matches!(context, Expr::Response(Source::Body(_)))
            && self.response.is_some()
            && matches!(&self.body, Some(BodyValue { tokens: Some(_), raw: None, declared: Some(_), .. }))
    }

    /// A context for a JSONPath query: the response as received, not its typed (re-serialized)
    /// form, which drops members the schema does not name and absent optionals.
    fn as_received(&self, context: &Expr, tokens: TokenStream) -> TokenStream {
        match context {
            Expr::Response(Source::Body(path))
                if let (Some(r), Some(BodyValue { tokens: Some(_), .. })) = (self.response, &self.body) =>
            {
                received_json(r, path)
            }
            _ => tokens,
        }
    }

    /// Lowers a Selector Object's value (Arazzo 1.1 §Selector Object). A JSON pointer selector
    /// is the context's value navigated by the pointer, typed exactly like
    /// `$response.body#/pointer`; a JSONPath selector is the single node its query selects,
    /// as JSON: none when it selects none, a run-time error when it selects several.
    pub fn selector(&self, s: &Selector) -> Result<Lowered, LowerError> {
        let (Ok(context), Ok(query)) =
            (crate::expr::parse_expression(&s.context), crate::expr::parse_selector(&s.kind, &s.selector))
        else {
            return Err(reported_by_validation());
        };
        let context = context.value;
        match query.value {
            SelectorQuery::Pointer(_) => match selector_source(s) {
                Read::Expr(e) => self.value(&e),
                Read::Selector(_) => Err(err(
                    "E0232",
                    format!("a JSON pointer selector needs a JSON value, and `{context}` is not one"),
                    Some("use a context such as `$response.body` or `$steps.<id>.outputs.<name>`".into()),
                )),
            },
            SelectorQuery::JsonPath(text) => {
                let rt = self.rt;
                let ctx = self.value(&context)?;
                let t = self.as_received(&context, ctx.tokens);
                let tokens = quote!(run.select(#rt::jsonpath!(#text), #t)?.as_ref());
                Ok(Lowered::new(tokens, Ty::Json, true))
            }
            SelectorQuery::XPath(query) => {
                let rt = self.rt;
                let xml = self.xml(&context)?;
                Ok(Lowered::new(quote!(#rt::xpath!(select(&run, #query, #xml))?.as_ref()), Ty::Json, true))
            }
        }
    }

    /// The text of a regex, JSONPath or XPath condition with embedded `{$…}` expressions,
    /// each replaced by its value's text (Arazzo 1.1 §Runtime Expressions in Conditions:
    /// "evaluated first, then substituted into the condition string").
    fn condition_text(&self, parts: &[TemplatePart]) -> Result<TokenStream, LowerError> {
        let rt = self.rt;
        let (text, errors) = self.format_template(parts, |l, _| {
            let t = l.tokens;
            // A secret is exposed here only to build the condition, which is never logged.
            let text = if l.ty == Ty::Secret { quote!(|v| v.expose()) } else { quote!(#rt::json::text_of) };
            quote!(#t.map(#text).unwrap_or_default())
        });
        match errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(text),
        }
    }

    /// A regex criterion whose pattern embeds `{$…}` values: compiled at run time, and an
    /// invalid pattern fails the criterion (Arazzo 1.1 §Evaluation Errors).
    pub fn regex_template(&self, context: &Expr, parts: &[TemplatePart]) -> Result<TokenStream, LowerError> {
        let rt = self.rt;
        let ctx = self.value(context)?;
        let t = ctx.tokens;
        let t = if ctx.ty == Ty::Json { quote!(#t.filter(|v| !v.is_null())) } else { t };
        let pattern = self.condition_text(parts)?;
        Ok(
            quote!(#rt::Regex::new(&#pattern).is_ok_and(|re| #t.is_some_and(|v| re.is_match(&#rt::json::text_of(v))))),
        )
    }

    /// A JSONPath criterion whose query embeds `{$…}` values: parsed at run time, and an
    /// invalid query fails the criterion (Arazzo 1.1 §JSONPath Conditions).
    pub fn jsonpath_template(
        &self,
        context: &Expr,
        parts: &[TemplatePart],
    ) -> Result<TokenStream, LowerError> {
        let rt = self.rt;
        let ctx = self.value(context)?;
        let t = self.as_received(context, ctx.tokens);
        let query = self.condition_text(parts)?;
        let root_filter = match parts.first() {
            Some(TemplatePart::Lit(text)) => {
                text.trim_start().strip_prefix('$').is_some_and(|r| r.trim_start().starts_with("[?"))
            }
            _ => false,
        };
        let matches = if root_filter { quote!(filter_matches) } else { quote!(matches) };
        Ok(quote!(#rt::JsonPath::parse(&#query).is_ok_and(|q| #rt::json::#matches(&q, #t))))
    }

    /// The XML document an XPath expression is applied to, as `Option<&str>` tokens: the text
    /// of the context (an XML body is read as text).
    fn xml(&self, context: &Expr) -> Result<TokenStream, LowerError> {
        let v = self.value(context)?;
        let t = v.tokens;
        match v.ty {
            Ty::String if v.str_ref => Ok(t),
            // A closure, not `String::as_str`: a step output read in another step's function is
            // a `&String` there, so the tokens may be `Option<&&String>`.
            Ty::String => Ok(quote!(#t.map(|v| v.as_str()))),
            Ty::Json => Ok(quote!(#t.and_then(|v| v.as_str()))),
            other => Err(err(
                "E0234",
                format!("an XPath expression needs an XML document, and `{context}` is {}", ty_name(&other)),
                Some(
                    "apply it to XML text, such as the `$response.body` of an `application/xml` response"
                        .into(),
                ),
            )),
        }
    }

    /// Lowers an XPath criterion (Arazzo 1.1 §XPath Conditions): the Effective Boolean Value
    /// of `condition` (text tokens) on the document `context` holds.
    pub fn xpath(&self, context: &Expr, condition: TokenStream) -> Result<TokenStream, LowerError> {
        let rt = self.rt;
        let xml = self.xml(context)?;
        Ok(quote!(#rt::xpath!(matches(#condition, #xml))))
    }

    /// [`xpath`](Self::xpath) for a condition with embedded `{$…}` values.
    pub fn xpath_template(&self, context: &Expr, parts: &[TemplatePart]) -> Result<TokenStream, LowerError> {
        let text = self.condition_text(parts)?;
        self.xpath(context, quote!(&#text))
    }

    /// Lowers a regex criterion evaluated against `context`.
    pub fn regex(&self, context: &Expr, pattern: &str) -> Result<TokenStream, LowerError> {
        let rt = self.rt;
        let ctx = self.value(context)?;
        let t = ctx.tokens;
        // A JSON null context is no value, as an absent one.
        let t = if ctx.ty == Ty::Json { quote!(#t.filter(|v| !v.is_null())) } else { t };
        Ok(quote!(#t.is_some_and(|v| #rt::regex!(#pattern).is_match(&#rt::json::text_of(v)))))
    }
}

/// A constant text value, as `Option<&str>` tokens.
fn text_value(text: &str) -> Lowered {
    Lowered { tokens: quote!(Some(#text)), ty: Ty::String, optional: false, str_ref: true }
}

fn seg_text(s: &Segment) -> String {
    match s {
        Segment::Key(k) => k.clone(),
        Segment::Index(i) => i.to_string(),
    }
}

fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        o => o,
    }
}

fn cmp_tokens(rt: &TokenStream, op: CmpOp) -> TokenStream {
    let v = format_ident!("{}", format!("{op:?}"));
    quote!(#rt::json::CmpOp::#v)
}

fn literal_json(rt: &TokenStream, l: &Literal) -> TokenStream {
    match l {
        Literal::Null => quote!(#rt::serde_json::Value::Null),
        Literal::Bool(b) => quote!(#rt::serde_json::Value::Bool(#b)),
        Literal::String(s) => quote!(#rt::serde_json::Value::from(#s)),
        Literal::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => quote!(#rt::serde_json::Value::from(#i)),
            (None, Some(f)) => quote!(#rt::serde_json::Value::from(#f)),
            _ => quote!(#rt::serde_json::Value::Null),
        },
    }
}

fn quoted(values: &[String]) -> String {
    values.iter().map(|v| format!("'{v}'")).collect::<Vec<_>>().join(", ")
}

/// A short name of a type, for messages.
pub fn ty_name(t: &Ty) -> String {
    match t {
        Ty::String => "a string".into(),
        Ty::Integer => "an integer".into(),
        Ty::Number => "a number".into(),
        Ty::Bool => "a boolean".into(),
        Ty::Json => "untyped JSON".into(),
        Ty::Struct(n) | Ty::Union(n) => format!("an object (`{n}`)"),
        Ty::Enum(n, _) => format!("an enum (`{n}`)"),
        Ty::Array(_) => "a list".into(),
        Ty::Map(_) => "a map".into(),
        Ty::Option(t) => ty_name(t),
        Ty::Stream(_) => "a JSONL stream".into(),
        Ty::Secret => "a secret".into(),
        Ty::Bytes => "bytes".into(),
        Ty::Status => "a status code".into(),
    }
}

/// `Option<&Value>` tokens of the member at `path` of response `r`'s body as received (JSON).
fn received_json(r: &TokenStream, path: &[Segment]) -> TokenStream {
    if path.is_empty() {
        quote!(#r.json_value().as_ref())
    } else {
        let ptr = crate::expr::ast::pointer_string(path);
        quote!(#r.json_value().as_ref().and_then(|v| v.pointer(#ptr)))
    }
}

/// A response schema's type as a help names it: its name, else its kind.
fn schema_label(t: &Ty) -> String {
    match t {
        Ty::Struct(n) | Ty::Union(n) | Ty::Enum(n, _) => format!("`{n}`"),
        other => ty_name(other),
    }
}

/// Whether `tokens` use the variable (or item) `name` (see [`free_idents`]).
pub fn mentions(tokens: &TokenStream, name: &str) -> bool {
    let mut found = false;
    free_idents(tokens, &mut |id| found |= id == name);
    found
}

/// Calls `f` with each variable (or item) `tokens` use: each identifier not after `.` (a field
/// or method of that name) or `::` (a path segment), nor before a single `:` (a field name in a
/// struct expression).
pub fn free_idents(tokens: &TokenStream, f: &mut impl FnMut(&proc_macro2::Ident)) {
    let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
    let punct = |i: usize| match tokens.get(i) {
        Some(TokenTree::Punct(p)) => Some(p.as_char()),
        _ => None,
    };
    for (i, t) in tokens.iter().enumerate() {
        match t {
            TokenTree::Group(g) => free_idents(&g.stream(), f),
            TokenTree::Ident(id) => {
                let before = (i.checked_sub(2).and_then(punct), i.checked_sub(1).and_then(punct));
                let qualified = before == (Some(':'), Some(':')) || before.1 == Some('.');
                let field_name = punct(i + 1) == Some(':') && punct(i + 2) != Some(':');
                if !qualified && !field_name {
                    f(id);
                }
            }
            _ => {}
        }
    }
}

/// `!(a)`, written the way clippy wants it: `a != b` for `!(a == b)`, `!x` for an `x` that
/// needs no parentheses.
fn negate(tokens: TokenStream) -> TokenStream {
    match syn::parse2::<syn::Expr>(tokens.clone()) {
        Ok(syn::Expr::Binary(b)) if matches!(b.op, syn::BinOp::Eq(_) | syn::BinOp::Ne(_)) => {
            let (l, r) = (&b.left, &b.right);
            if matches!(b.op, syn::BinOp::Eq(_)) { quote!(#l != #r) } else { quote!(#l == #r) }
        }
        Ok(syn::Expr::Paren(_) | syn::Expr::MethodCall(_) | syn::Expr::Path(_) | syn::Expr::Lit(_)) => {
            quote!(!#tokens)
        }
        Ok(syn::Expr::Unary(u)) if matches!(u.op, syn::UnOp::Not(_)) => {
            quote::ToTokens::to_token_stream(&u.expr)
        }
        _ => quote!(!(#tokens)),
    }
}

/// `tokens` without parentheses around the whole expression.
pub fn unparen(tokens: TokenStream) -> TokenStream {
    match syn::parse2::<syn::Expr>(tokens.clone()) {
        Ok(syn::Expr::Paren(p)) => unparen(quote::ToTokens::to_token_stream(&p.expr)),
        _ => tokens,
    }
}

/// The conjunction of `conds` (each without outer parentheses): an `||` inside one is
/// parenthesized, nothing else is.
pub fn all_of<'t>(conds: impl IntoIterator<Item = &'t TokenStream>) -> TokenStream {
    let conds: Vec<&TokenStream> = conds.into_iter().collect();
    if let [one] = conds.as_slice() {
        return (*one).clone();
    }
    let parts = conds.iter().map(|c| match syn::parse2::<syn::Expr>((*c).clone()) {
        Ok(syn::Expr::Binary(b)) if matches!(b.op, syn::BinOp::Or(_)) => quote!((#c)),
        _ => quote!(#c),
    });
    quote!(#(#parts)&&*)
}
