//! Planning one step: its target, request, body, criteria, actions and outputs, each lowered in
//! the scope where the generated code evaluates it.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};

use super::workflow::{WorkflowPlan, call_future, call_tokens};
use super::{Bindings, Body, BodyKind, Shape, StepKind, StepPlan, WorkflowActions, WorkflowCall, report};
use crate::calls::{self, WfKey};
use crate::diag::Diagnostics;
use crate::expr::{Expr, Source};
use crate::load::{Loaded, Resolved};
use crate::lower::{BodyValue, DeclaredBody, LowerError, Lowered, Read, Scope, output_source};
use crate::model::{Components, Document, ParamRef, Parameter, Step, Target, Workflow};
use crate::names::Names;
use crate::openapi::{self, Operation};
use crate::report::{Reporter, child};
use crate::resolve::{Resolution, resolve_target};
use crate::types::{Ty, TypeSpace, ident};

/// The names of a step's function and locals.
pub struct StepNames {
    /// Its function (flow) and the local holding its body.
    pub name: syn::Ident,
    /// The local holding its response (flow).
    pub response: syn::Ident,
}

/// Plans the steps of one workflow, in order; later steps see the outputs of earlier ones.
pub struct StepPlanner<'a> {
    pub loaded: &'a Loaded,
    pub doc_idx: usize,
    pub doc: &'a Document,
    pub w: &'a Workflow,
    pub shape: Shape,
    pub types: &'a mut TypeSpace,
    pub rt: &'a TokenStream,
    pub plans: &'a HashMap<WfKey, WorkflowPlan>,
    pub inputs: &'a HashMap<String, Lowered>,
    pub dependencies: &'a Bindings,
    /// The outputs of the steps planned so far.
    pub step_outputs: Bindings,
    pub names: &'a [StepNames],
    /// The workflow function's local names.
    pub locals: RefCell<Names>,
    /// Retry counters by (step, action pointer).
    pub counters: RefCell<BTreeMap<(String, String), syn::Ident>>,
    pub workflow_actions: RefCell<WorkflowActions>,
    /// Machine: a local per step output.
    pub output_locals: RefCell<Vec<(syn::Ident, Ty)>>,
}

impl StepPlanner<'_> {
    fn scope<'s>(&'s self, response: Option<&'s TokenStream>, body: Option<BodyValue>) -> Scope<'s> {
        Scope {
            doc: self.doc,
            types: self.types,
            rt: self.rt,
            inputs: self.inputs,
            step_outputs: &self.step_outputs,
            called_outputs: None,
            dependencies: self.dependencies,
            body,
            response,
            request: None,
            unsent: false,
        }
    }

    /// The source description (name, file) whose base URL step `si` uses.
    pub fn source_of(&self, si: usize) -> Option<(String, usize)> {
        let s = &self.w.steps[si];
        let Some(Resolution::Operation(op)) = self.resolution(s) else { return None };
        // A qualified target names its source, which matters when two sources share a file.
        let qualified = match &s.target {
            Some((_, Target::OperationId(id))) => id
                .strip_prefix("$sourceDescriptions.")
                .and_then(|r| r.split_once('.'))
                .map(|(n, _)| n.to_string()),
            Some((_, Target::OperationPath(p))) => {
                crate::resolve::operation_path_parts(p).map(|(n, ..)| n.to_string())
            }
            _ => None,
        };
        let name = qualified.or_else(|| {
            self.loaded
                .sources
                .iter()
                .find(|((d, _), res)| *d == self.doc_idx && **res == Resolved::File(op.file))
                .map(|((_, n), _)| n.clone())
        });
        Some((name.unwrap_or_default(), op.file))
    }

    fn resolution(&self, s: &Step) -> Option<Resolution> {
        // AsyncAPI steps are refused by validation (E0350): nothing to plan.
        if crate::asyncapi::is_async(self.loaded, self.doc_idx, s) {
            return None;
        }
        s.target.as_ref().and_then(|(_, t)| resolve_target(self.loaded, self.doc_idx, t).ok())
    }

    /// How the success body of an operation is read, by its media type (JSON is preferred when
    /// the response offers several). A response that declares no content is read as untyped
    /// JSON, which is what descriptions that leave it out mostly mean.
    fn body(&mut self, s: &Step, op: &Operation) -> Body {
        let media = openapi::success_response(self.loaded, op).map(|(_, m)| m).unwrap_or_default();
        let Some((kind, m)) = media.iter().map(|m| (media_kind(self.loaded, m), m)).min_by_key(|(k, _)| *k)
        else {
            return Body::Decoded { ty: Ty::Json, kind: BodyKind::Json };
        };
        let mut typed = || {
            let hint = format!("{} response", op.id.as_deref().unwrap_or(&s.id));
            match &m.schema {
                Some((f, p)) => self.types.schema(self.loaded, *f, p, &hint),
                None => Ty::Json,
            }
        };
        match kind {
            MediaKind::Json => Body::Decoded { ty: typed(), kind: BodyKind::Json },
            MediaKind::JsonLines => Body::Stream(typed()),
            MediaKind::Text => Body::Decoded { ty: Ty::String, kind: BodyKind::Text },
            // Streamed: a download of any size is never held in memory whole.
            MediaKind::Bytes => Body::Stream(Ty::Bytes),
        }
    }

    /// Plans step `si`.
    pub fn step(&mut self, si: usize, s: &Step, r: &mut Reporter) -> StepPlan {
        let resolution = self.resolution(s);
        let callee = match &s.target {
            Some((_, Target::WorkflowId(id))) => calls::callee(self.loaded, self.doc_idx, id),
            _ => None,
        };
        let body = match &resolution {
            Some(Resolution::Operation(op)) if callee.is_none() => self.body(s, op),
            _ => Body::Unread,
        };
        let sent = effective_parameters(self.w, s, &self.doc.components);
        let declared = match &resolution {
            Some(Resolution::Operation(op))
                if callee.is_none() && self.shape == Shape::Machine && self.failure_reads_body(s) =>
            {
                Some(self.declared_bodies(s, op))
            }
            _ => None,
        };
        let kind = match (&resolution, &callee) {
            (_, Some(c)) => {
                StepKind::Call(WorkflowCall { name: c.id.clone(), key: c.key, call: self.call(s, c, r) })
            }
            (Some(Resolution::Operation(op)), None) => {
                let source = self.source_of(si).map(|(n, _)| n).unwrap_or_default();
                StepKind::Request(self.request(s, op, &sent, source, r))
            }
            _ => {
                self.unresolved(s, &resolution, r);
                StepKind::Unresolved
            }
        };
        let called = callee.as_ref().and_then(|c| self.plans.get(&c.key)).map(called_outputs);
        if matches!(kind, StepKind::Unresolved) {
            // A step whose target did not resolve has no response to check: what its
            // criteria, actions and outputs would say is a knock-on of that error.
            let mut knock_ons = Diagnostics::default();
            let mut scratch = Reporter { file: r.file, tree: r.tree, diags: &mut knock_ons };
            return self.evaluations(
                si,
                s,
                StepParts { kind, body, sent: &sent, called: None, declared },
                &mut scratch,
            );
        }
        let parts = StepParts { kind, body, sent: &sent, called: called.as_ref(), declared };
        self.evaluations(si, s, parts, r)
    }

    /// The criteria, actions and outputs of a step, each lowered where it is evaluated.
    fn evaluations(&mut self, si: usize, s: &Step, parts: StepParts, r: &mut Reporter) -> StepPlan {
        let StepParts { kind, body, sent, called, declared } = parts;
        let names = &self.names[si];
        let local_response = quote!(response);
        let flow_response = names.response.to_token_stream();
        // Criteria (and, in the machine, outputs and failure actions) see the body as decoded:
        // `Result<T, Error>`; success actions see it decoded.
        // A text or binary body is read as it came, never an error.
        let attempt_body = match &body {
            Body::Decoded { ty, kind } if *kind != BodyKind::Json && self.shape == Shape::Flow => {
                Some(body_value(quote!(Some(&body)), ty, *kind))
            }
            Body::Decoded { ty, kind } => Some(body_value(quote!(body.as_ref().ok()), ty, *kind)),
            _ => streamed_binary(&body),
        };
        let is_request = matches!(kind, StepKind::Request(_));
        let request = is_request.then_some(sent);
        let mut attempt = self.scope(is_request.then_some(&local_response), attempt_body);
        attempt.called_outputs = called;
        attempt.request = request;
        let criteria = self.checks(s, &attempt, r);
        // Failure actions may see any response: their body pointers are read as received.
        let failing = Scope {
            body: attempt.body.clone().map(|b| BodyValue { declared: declared.clone(), ..b }),
            ..attempt.clone()
        };
        let on_failure =
            if self.shape == Shape::Machine { self.actions(s, false, &failing, r) } else { Vec::new() };

        let (success_response, success_body) = match (self.shape, &body) {
            (Shape::Flow, Body::Decoded { ty, kind }) => {
                let n = &names.name;
                (&flow_response, Some(body_value(quote!(Some(&#n)), ty, *kind)))
            }
            (Shape::Flow, _) => (&flow_response, streamed_binary(&body)),
            (Shape::Machine, Body::Decoded { ty, kind }) => {
                (&local_response, Some(body_value(quote!(Some(&body)), ty, *kind)))
            }
            (Shape::Machine, _) => (&local_response, streamed_binary(&body)),
        };
        let mut after = self.scope(is_request.then_some(success_response), success_body);
        after.called_outputs = called;
        after.request = request;
        let on_success = self.actions(s, true, &after, r);
        let mut notes = Vec::new();
        let (output_updates, found) = match self.shape {
            Shape::Flow => (Vec::new(), self.flow_outputs(si, s, &after, &body, &mut notes, r)),
            Shape::Machine => self.machine_outputs(s, &attempt, &body, &mut notes, r),
        };
        self.step_outputs.extend(found);
        StepPlan {
            id: s.id.clone(),
            about: s.description.clone(),
            name: names.name.clone(),
            response: names.response.clone(),
            kind,
            criteria,
            on_success,
            on_failure,
            next: (si + 1 < self.w.steps.len()).then_some(si + 1),
            body,
            output_updates,
            timeout: s.timeout.as_ref().map(|(_, ms)| *ms),
            notes,
        }
    }

    /// Flow: a step's outputs are read from its body and response where they are used.
    fn flow_outputs(
        &self,
        si: usize,
        s: &Step,
        scope: &Scope,
        body: &Body,
        notes: &mut Vec<String>,
        r: &mut Reporter,
    ) -> Bindings {
        let mut found = Bindings::new();
        for (name, ptr, v) in &s.outputs {
            let Some(read) = output_source(v) else { continue };
            let value = match (&read, body) {
                (Read::Expr(Expr::Response(Source::Body(p))), Body::Stream(ty)) if p.is_empty() => {
                    let n = &self.names[si].name;
                    Ok(Lowered::new(quote!(Some(&#n)), Ty::Stream(Box::new(ty.clone())), false))
                }
                (Read::Expr(e), _) => {
                    scope.value(e).or_else(|err| untyped(scope, e, name, err, notes, ptr, r))
                }
                (Read::Selector(sel), _) => scope.selector(sel),
            };
            match value {
                Ok(l) => {
                    found.insert((s.id.clone(), name.clone()), l);
                }
                Err(e) => report(r, ptr, &e),
            }
        }
        found
    }

    /// Machine: each output is a local, set after every attempt.
    fn machine_outputs(
        &self,
        s: &Step,
        scope: &Scope,
        body: &Body,
        notes: &mut Vec<String>,
        r: &mut Reporter,
    ) -> (Vec<TokenStream>, Bindings) {
        let mut updates = Vec::new();
        let mut found = Bindings::new();
        for (name, ptr, v) in &s.outputs {
            let local = ident(&self.locals.borrow_mut().snake(&format!("{} {name}", s.id)));
            let (update, ty, optional) = match (output_source(v), body) {
                (Some(Read::Expr(Expr::Response(Source::Body(p)))), Body::Stream(ty)) if p.is_empty() => {
                    let take = super::take_stream(ty);
                    (quote!(#local = Some(response.#take());), Ty::Stream(Box::new(ty.clone())), false)
                }
                (Some(read), _) => {
                    let value = match &read {
                        Read::Expr(e) => {
                            scope.value(e).or_else(|err| untyped(scope, e, name, err, notes, ptr, r))
                        }
                        Read::Selector(sel) => scope.selector(sel),
                    };
                    match value {
                        Ok(l) => {
                            let t = l.owned();
                            (quote!(#local = #t;), l.ty, l.optional)
                        }
                        Err(e) => {
                            report(r, ptr, &e);
                            (TokenStream::new(), Ty::Json, true)
                        }
                    }
                }
                (None, _) => (TokenStream::new(), Ty::Json, true),
            };
            updates.push(update);
            self.output_locals.borrow_mut().push((local.clone(), ty.clone()));
            found.insert((s.id.clone(), name.clone()), Lowered::new(quote!(#local.as_ref()), ty, optional));
        }
        (updates, found)
    }

    /// A step whose target did not resolve: a remote description that was not read is E0411;
    /// other causes were reported by validation.
    fn unresolved(&self, s: &Step, resolution: &Option<Resolution>, r: &mut Reporter) {
        let broken =
            self.loaded.sources.iter().any(|((d, _), res)| *d == self.doc_idx && *res == Resolved::Broken);
        if let (Some((ptr, target)), Some(Resolution::Unchecked), false) = (&s.target, resolution, broken) {
            let what = if matches!(target, Target::WorkflowId(_)) { "workflow" } else { "operation" };
            let help = "map the source description to a local copy (see the help on its `url`)";
            r.error(
                "E0411",
                ptr,
                format!("step `{}` runs a remote {what} whose description was not read", s.id),
                Some(help.into()),
            );
        }
    }

    /// A step that runs another workflow: its parameters without `in` are the inputs.
    fn call(&self, s: &Step, c: &calls::Callee, r: &mut Reporter) -> TokenStream {
        let rt = self.rt;
        let all: Vec<Parameter> = self
            .w
            .parameters
            .iter()
            .chain(&s.parameters)
            .filter_map(|p| resolve_parameter(p, &self.doc.components))
            .filter(|p| p.location.is_none())
            .collect();
        let scope = self.request_scope();
        let args: Vec<TokenStream> = all
            .iter()
            .enumerate()
            .filter(|(i, p)| !all[i + 1..].iter().any(|q| q.name == p.name))
            .map(|(_, p)| {
                let v = self.json_tokens(&p.value, &child(&p.ptr, "value"), &scope, None, r);
                let name = &p.name;
                quote!(#name: #v)
            })
            .collect();
        let inputs = quote!(&#rt::serde_json::json!({ #(#args),* }));
        match &s.timeout {
            // 1.1 `timeout` on a step that runs a workflow bounds that run.
            Some((_, ms)) => {
                let call = call_future(c, &s.id, inputs);
                let (id, ms) = (&s.id, proc_macro2::Literal::u64_unsuffixed(*ms));
                quote!({
                    let call = #call;
                    run.call_within(#id, #ms, call).await
                })
            }
            None => call_tokens(c, &s.id, inputs),
        }
    }

    pub(super) fn request_scope(&self) -> Scope<'_> {
        Scope { unsent: true, ..self.scope(None, None) }
    }
}

/// The body in scope for a step's expressions, as `tokens` (`Option<&T>`) name it.
fn body_value(tokens: TokenStream, ty: &Ty, kind: BodyKind) -> BodyValue {
    let raw = match kind {
        BodyKind::Json => None,
        BodyKind::Text => Some("text"),
    };
    BodyValue { tokens: Some(tokens), ty: ty.clone(), raw, declared: None }
}

/// A binary body is streamed: expressions cannot read it, and one that points into it is told
/// it is not JSON (E0414).
fn streamed_binary(body: &Body) -> Option<BodyValue> {
    matches!(body, Body::Stream(Ty::Bytes)).then(|| BodyValue {
        tokens: None,
        ty: Ty::Bytes,
        raw: Some("binary"),
        declared: None,
    })
}

/// How a body of a media type is read, in the order of preference when a response offers
/// several.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum MediaKind {
    Json,
    JsonLines,
    Text,
    Bytes,
}

/// The kind of a response media type: JSON (`application/json`, `+json`), JSON Lines (the
/// `jsonl`/`jsonlines`/`ndjson` spellings), text (`text/*`), else bytes. A wildcard (`*/*`,
/// which many generators write for JSON) is JSON unless its schema is `format: binary`.
pub(super) fn media_kind(loaded: &Loaded, m: &openapi::Media) -> MediaKind {
    let essence = crate::model::essence(&m.content_type);
    let binary = || {
        m.schema
            .as_ref()
            .and_then(|(f, p)| loaded.file(*f).tree.value.pointer(p))
            .is_some_and(|s| s.get("format").and_then(serde_json::Value::as_str) == Some("binary"))
    };
    match essence.as_str() {
        "application/x-jsonl"
        | "application/jsonl"
        | "application/x-jsonlines"
        | "application/jsonlines"
        | "application/x-ndjson"
        | "application/ndjson"
        | "application/json-seq" => MediaKind::JsonLines,
        e if e == "application/json" || e == "text/json" || e.ends_with("+json") => MediaKind::Json,
        // XML is read as text, which XPath criteria and selectors parse.
        e if e.starts_with("text/") || crate::model::is_xml(e) => MediaKind::Text,
        e if e.contains('*') && !binary() => MediaKind::Json,
        _ => MediaKind::Bytes,
    }
}

/// What a step's evaluations depend on.
struct StepParts<'t> {
    kind: StepKind,
    body: Body,
    /// The parameters it sends.
    sent: &'t [Parameter],
    /// `$outputs` of the workflow it runs.
    called: Option<&'t HashMap<String, Lowered>>,
    /// The response bodies its failure actions may see, when their criteria read the body.
    declared: Option<Vec<DeclaredBody>>,
}

/// `$outputs.<name>` of a called workflow: tokens over `outputs: Option<&Outputs>`.
fn called_outputs(callee: &WorkflowPlan) -> HashMap<String, Lowered> {
    callee
        .outputs
        .iter()
        .filter(|o| !matches!(o.ty.unwrapped(), Ty::Stream(_)))
        .map(|o| {
            let id = &o.field;
            let tokens = match o.ty {
                Ty::Option(_) => quote!(outputs.and_then(|o| o.#id.as_ref())),
                _ => quote!(outputs.map(|o| &o.#id)),
            };
            (o.name.clone(), Lowered::new(tokens, o.ty.unwrapped().clone(), matches!(o.ty, Ty::Option(_))))
        })
        .collect()
}

/// The parameters a step sends: the workflow's, then its own, which override those of the
/// same name and location; reusable ones resolved.
pub fn effective_parameters(w: &Workflow, s: &Step, components: &Components) -> Vec<Parameter> {
    let all: Vec<Parameter> =
        w.parameters.iter().chain(&s.parameters).filter_map(|p| resolve_parameter(p, components)).collect();
    all.iter()
        .enumerate()
        .filter(|(i, p)| !all[i + 1..].iter().any(|q| q.name == p.name && q.location == p.location))
        .map(|(_, p)| p.clone())
        .collect()
}

pub(super) fn resolve_parameter(p: &ParamRef, components: &Components) -> Option<Parameter> {
    match p {
        ParamRef::Inline(p) => Some(p.clone()),
        ParamRef::Reusable { name, value, .. } => {
            let mut base = components.parameters.iter().find(|(n, _)| n == name).map(|(_, p)| p.clone())?;
            if let Some((ptr, v)) = value {
                base.value = v.clone();
                base.ptr = ptr.trim_end_matches("/value").to_string();
            }
            Some(base)
        }
    }
}

/// E0401 on a step output that reads the response body: reported (an error unless the lint
/// levels lower it), and the output read from the body as received, as untyped JSON, with a
/// note for the step's doc comment. Other errors are passed on.
fn untyped(
    scope: &Scope,
    e: &Expr,
    output: &str,
    error: LowerError,
    notes: &mut Vec<String>,
    ptr: &str,
    r: &mut Reporter,
) -> Result<Lowered, LowerError> {
    let Some(fallback) = scope.untyped_body(e).filter(|_| error.code == "E0401") else { return Err(error) };
    report(r, ptr, &error);
    notes.push(format!(
        "Output `{output}` is the response body as received at `{e}`, untyped: {} (E0401, lowered to a warning).",
        error.message
    ));
    Ok(fallback)
}
