//! Emitting one Arazzo document as Rust tokens: types, then per workflow an `Inputs` struct,
//! an `Outputs` struct and an `async fn` whose steps are the arms of a `match` in a loop.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::calls::{self, Callee, WfKey};
use crate::diag::{Diagnostics, Severity};
use crate::expr::{self, Expr, TemplatePart};
use crate::load::Loaded;
use crate::lower::{LowerError, Lowered, Scope};
use crate::model::*;
use crate::names::Names;
use crate::openapi::{self, Operation};
use crate::report::{Part, Reporter, child};
use crate::types::{Ty, TypeSpace, doc_attr, ident};
use crate::validate::{Resolution, inline_action, input_schema, resolve_target};

/// Emits the module body for document `doc_idx`: one `types` module shared by the document and
/// the documents whose workflows it runs (nested as modules). Findings go to `diags`.
pub fn document(loaded: &Loaded, doc_idx: usize, rt: &TokenStream, diags: &mut Diagnostics) -> TokenStream {
    let mut types = TypeSpace::new(rt.clone());
    let (order, called) = calls::plan_order(loaded, doc_idx);
    let mut plans = HashMap::new();
    for key in order {
        let mut r = loaded.reporter(key.0, diags);
        let p = plan(loaded, key, &plans, &mut types, &mut r);
        plans.insert(key, p);
    }
    let unit = Unit { loaded, rt, types: &types, plans: &plans, called: &called };
    let body = unit.document(doc_idx, &mut Vec::new(), diags);
    let types_mod = types.module();
    quote! { #types_mod #body }
}

/// What every document of one generated file shares.
struct Unit<'a> {
    loaded: &'a Loaded,
    rt: &'a TokenStream,
    types: &'a TypeSpace,
    plans: &'a HashMap<WfKey, Plan>,
    /// Workflows that another workflow runs (they get a `run_in` function).
    called: &'a BTreeSet<WfKey>,
}

impl Unit<'_> {
    /// The workflows of document `d`, then a module per Arazzo source whose workflows it runs.
    fn document(&self, d: usize, stack: &mut Vec<usize>, diags: &mut Diagnostics) -> TokenStream {
        let doc = &self.loaded.documents[&d];
        stack.push(d);
        let mut items = Vec::new();
        for (wi, w) in doc.workflows.iter().enumerate() {
            let mut r = self.loaded.reporter(d, diags);
            items.push(
                Emitter { unit: self, doc, key: (d, wi), w, workflow_actions: RefCell::default() }
                    .workflow(&mut r),
            );
        }
        for (name, file) in calls::nested_sources(self.loaded, d) {
            if stack.contains(&file) {
                let ptr =
                    doc.sources.iter().find(|s| s.name == name).map(|s| s.ptr.clone()).unwrap_or_default();
                let mut r = self.loaded.reporter(d, diags);
                r.error("E0410", &ptr, format!("the workflows of source `{name}` run workflows of this document: documents that call each other are not generated"), Some("move the workflows that call each other into one document".into()));
                continue;
            }
            let m = calls::source_module(doc, &name);
            let about = format!(" Workflows of the Arazzo source description `{name}`.");
            let inner = self.document(file, stack, diags);
            items.push(quote! {
                #[doc = #about]
                pub mod #m {
                    #[allow(unused_imports)]
                    use super::types;
                    #inner
                }
            });
        }
        stack.pop();
        quote!(#(#items)*)
    }
}

/// A workflow input.
struct Input {
    name: String,
    /// Its field of `Inputs`.
    field: String,
    ty: Ty,
    default: Option<Value>,
    doc: Option<String>,
    /// The local holding the value with its `default` applied, for an optional input that has one.
    local: Option<syn::Ident>,
}

/// Locals and closure parameters the generated function bodies use; allocated names avoid them.
const BODY_NAMES: &[&str] = &[
    "action",
    "body",
    "client",
    "e",
    "exhausted",
    "failed",
    "inputs",
    "limit",
    "o",
    "outputs",
    "path",
    "payload",
    "request",
    "response",
    "result",
    "run",
    "step",
    "v",
];

/// What planning learns about a workflow before code is emitted.
struct Plan {
    inputs: Vec<Input>,
    /// The variant of `Step` for each step.
    variants: Vec<syn::Ident>,
    /// The counter of each retry action: (step, action pointer) → local.
    counters: BTreeMap<(String, String), syn::Ident>,
    /// Per step: resolution, success body type, streaming.
    steps: Vec<StepPlan>,
    /// (step, output) → (local ident, type as declared).
    outputs: HashMap<(String, String), (syn::Ident, Ty)>,
    /// Workflow outputs: name, pointer, field ident, type, expression.
    workflow_outputs: Vec<(String, String, String, Ty, Option<Expr>)>,
    /// `dependsOn`: the workflow, and the local holding its outputs.
    depends_on: Vec<(Callee, syn::Ident)>,
    /// `$workflows.<id>.outputs.<name>` of the `dependsOn` workflows → (tokens, type).
    dependencies: HashMap<(String, String), (TokenStream, Ty)>,
}

/// `$outputs.<name>` of a called workflow: tokens over `outputs: Option<&Outputs>`.
fn called_outputs(callee: &Plan) -> HashMap<String, (TokenStream, Ty)> {
    let streams = |ty: &Ty| matches!(ty.unwrapped(), Ty::Stream(_));
    callee
        .workflow_outputs
        .iter()
        .filter(|(.., ty, _)| !streams(ty))
        .map(|(name, _, fid, ty, _)| {
            let id = ident(fid);
            let tokens = if matches!(ty, Ty::Option(_)) {
                quote!(outputs.and_then(|o| o.#id.as_ref()))
            } else {
                quote!(outputs.map(|o| &o.#id))
            };
            (name.clone(), (tokens, ty.clone()))
        })
        .collect()
}

struct StepPlan {
    resolution: Option<Resolution>,
    /// The workflow the step runs, for a `workflowId` step.
    call: Option<Callee>,
    body: Option<Ty>,
    streaming: bool,
    /// The success body is text (`text/plain`, no JSON media type): read as a `String`.
    text: bool,
    source: String,
}

fn plan(
    loaded: &Loaded,
    (doc_idx, wi): WfKey,
    plans: &HashMap<WfKey, Plan>,
    types: &mut TypeSpace,
    r: &mut Reporter,
) -> Plan {
    let doc = &loaded.documents[&doc_idx];
    let w = &doc.workflows[wi];
    let secrets = secret_inputs(loaded, doc_idx, w);
    let mut inputs = Vec::new();
    let mut locals = Names::reserving(BODY_NAMES);
    if let Some(schema) = input_schema(doc, w) {
        let mut fields = Names::default();
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (name, prop) in props {
                let hint = format!("{} {name}", w.id);
                let mut ty = types.inline(loaded, prop, &hint);
                if secrets.contains(name) && ty == Ty::String {
                    ty = Ty::Secret;
                }
                let default = prop.get("default").filter(|d| !d.is_null()).cloned();
                if !required.contains(&name.as_str()) && !matches!(ty, Ty::Option(_)) {
                    ty = Ty::Option(Box::new(ty));
                }
                let doc = prop.get("description").and_then(Value::as_str).map(str::to_string);
                let local = (default.is_some() && matches!(ty, Ty::Option(_)))
                    .then(|| ident(&locals.snake(&format!("input {name}"))));
                inputs.push(Input { name: name.clone(), field: fields.snake(name), ty, default, doc, local });
            }
        }
    }
    let mut steps = Vec::new();
    let mut outputs = HashMap::new();
    for s in &w.steps {
        let resolution = s.target.as_ref().and_then(|(_, t)| resolve_target(loaded, doc_idx, t).ok());
        let mut body = None;
        let mut streaming = false;
        let mut text = false;
        let mut source = String::new();
        if let Some(Resolution::Operation(op)) = &resolution {
            // A qualified target names its source, which matters when two sources share a file.
            let qualified = match &s.target {
                Some((_, Target::OperationId(id))) => id
                    .strip_prefix("$sourceDescriptions.")
                    .and_then(|r| r.split_once('.'))
                    .map(|(n, _)| n.to_string()),
                Some((_, Target::OperationPath(p))) => p
                    .strip_prefix("{$sourceDescriptions.")
                    .and_then(|r| r.split_once(".url}"))
                    .map(|(n, _)| n.to_string()),
                _ => None,
            };
            source = qualified.unwrap_or_else(|| source_name(loaded, doc_idx, op));
            let media = openapi::success_response(loaded, op).map(|(_, m)| m).unwrap_or_default();
            if !media.iter().any(|m| m.content_type.contains("json"))
                && media.iter().any(|m| m.content_type.starts_with("text/"))
            {
                text = true;
                body = Some(Ty::String);
            }
            if let Some(m) = media.iter().find(|m| m.content_type.contains("json")) {
                streaming = m.content_type.contains("jsonl")
                    || m.content_type.contains("ndjson")
                    || m.content_type.contains("json-seq");
                let hint = format!("{} response", op.id.as_deref().unwrap_or(&s.id));
                body = Some(match &m.schema {
                    Some((f, p)) => types.schema(loaded, *f, p, &hint),
                    None => Ty::Json,
                });
            }
        }
        if body.is_none() && matches!(resolution, Some(Resolution::Operation(_))) {
            body = Some(Ty::Json); // No JSON schema: the body is read as untyped JSON.
        }
        let call = match &s.target {
            Some((_, Target::WorkflowId(id))) => calls::callee(loaded, doc_idx, id),
            _ => None,
        };
        steps.push(StepPlan { resolution, call, body, streaming, text, source });
    }
    let mut depends_on = Vec::new();
    let mut dependencies = HashMap::new();
    for (_, id) in &w.depends_on {
        let Some(c) = calls::callee(loaded, doc_idx, id) else { continue };
        let local = ident(&locals.snake(&format!("depends on {}", c.id)));
        if let Some(p) = plans.get(&c.key) {
            for (name, _, fid, ty, _) in
                p.workflow_outputs.iter().filter(|o| !matches!(o.3.unwrapped(), Ty::Stream(_)))
            {
                let id = ident(fid);
                let tokens = if matches!(ty, Ty::Option(_)) {
                    quote!(#local.#id.as_ref())
                } else {
                    quote!(Some(&#local.#id))
                };
                dependencies.insert((c.id.clone(), name.clone()), (tokens, ty.clone()));
            }
        }
        depends_on.push((c, local));
    }
    // Output types, in step order (a step may read outputs of earlier steps).
    let input_scope = input_tokens(&inputs);
    for (si, s) in w.steps.iter().enumerate() {
        for (name, ptr, text) in &s.outputs {
            let ty = match expr::parse_expression(text) {
                Ok(p) => {
                    let sp = &steps[si];
                    let called = sp.call.as_ref().and_then(|c| plans.get(&c.key)).map(called_outputs);
                    if sp.streaming
                        && matches!(p.value, Expr::Response(expr::Source::Body(ref path)) if path.is_empty())
                    {
                        Ty::Stream(Box::new(sp.body.clone().unwrap_or(Ty::Json)))
                    } else {
                        let sent = effective_parameters(w, s, &doc.components);
                        let scope = Scope {
                            types,
                            rt: &TokenStream::new(),
                            inputs: &input_scope,
                            step_outputs: &outputs,
                            called_outputs: called.as_ref(),
                            dependencies: &dependencies,
                            body: sp
                                .body
                                .clone()
                                .filter(|_| !sp.streaming)
                                .map(|t| (quote!(body.as_ref().ok()), t)),
                            response: true,
                            request: sp.call.is_none().then_some(sent.as_slice()),
                        };
                        match scope.value(&p.value) {
                            Ok(l) => output_ty(&l),
                            Err(e) => {
                                if matches!(sp.resolution, Some(Resolution::Operation(_)))
                                    || sp.call.is_some()
                                {
                                    lower_error(r, ptr, &e);
                                }
                                Ty::Json
                            }
                        }
                    }
                }
                Err(_) => Ty::Json,
            };
            let local = ident(&locals.snake(&format!("{} {name}", s.id)));
            outputs.insert((s.id.clone(), name.clone()), (local, ty));
        }
    }
    let always = always_run(w, &doc.components);
    let mut workflow_outputs = Vec::new();
    let mut fields = Names::default();
    for (name, ptr, text) in &w.outputs {
        let e = expr::parse_expression(text).ok().map(|p| p.value);
        let (ty, plain) = match &e {
            Some(Expr::Steps { step, name: Some(out), path, .. }) if path.is_empty() => {
                let ty =
                    outputs.get(&(step.clone(), out.clone())).map(|(_, t)| t.clone()).unwrap_or(Ty::Json);
                let idx = w.steps.iter().position(|s| &s.id == step);
                (ty, idx.is_some_and(|i| always.contains(&i)))
            }
            Some(Expr::Inputs { name: input, path }) if path.is_empty() => {
                (inputs.iter().find(|i| &i.name == input).map(|i| i.ty.clone()).unwrap_or(Ty::Json), true)
            }
            // Anything else (a pointer into a step output, a `$workflows` output) is looked up
            // when the workflow returns, and may be missing.
            Some(e) => (
                outputs_scope(types, &TokenStream::new(), &input_scope, &outputs, &dependencies)
                    .value(e)
                    .map_or(Ty::Json, |l| l.ty),
                false,
            ),
            None => (Ty::Json, false),
        };
        let ty = if plain || matches!(ty, Ty::Option(_)) { ty } else { Ty::Option(Box::new(ty)) };
        workflow_outputs.push((name.clone(), ptr.clone(), fields.snake(name), ty, e));
    }
    let mut variants = Names::default();
    let variants = w.steps.iter().map(|s| ident(&variants.camel(&s.id))).collect();
    let mut counters = BTreeMap::new();
    for s in &w.steps {
        let actions = step_actions(s, w, &doc.components);
        for a in actions.into_iter().filter(|a| a.kind == ActionKind::Retry && a.retry_limit != Some(0)) {
            let key = (s.id.clone(), a.ptr.clone());
            counters
                .entry(key)
                .or_insert_with(|| ident(&locals.snake(&format!("retries {} {}", s.id, a.name))));
        }
    }
    Plan { inputs, variants, counters, steps, outputs, workflow_outputs, depends_on, dependencies }
}

/// The parameters a step sends: the workflow's, then its own, which override those of the
/// same name and location; reusable ones resolved.
fn effective_parameters(w: &Workflow, s: &Step, components: &Components) -> Vec<Parameter> {
    let all: Vec<Parameter> =
        w.parameters.iter().chain(&s.parameters).filter_map(|p| resolve_parameter(p, components)).collect();
    all.iter()
        .enumerate()
        .filter(|(i, p)| !all[i + 1..].iter().any(|q| q.name == p.name && q.location == p.location))
        .map(|(_, p)| p.clone())
        .collect()
}

fn resolve_parameter(p: &ParamRef, components: &Components) -> Option<Parameter> {
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

/// What a workflow output can read: inputs, step outputs, `dependsOn` outputs; no response.
fn outputs_scope<'s>(
    types: &'s TypeSpace,
    rt: &'s TokenStream,
    inputs: &'s HashMap<String, (TokenStream, Ty)>,
    outputs: &'s HashMap<(String, String), (syn::Ident, Ty)>,
    dependencies: &'s HashMap<(String, String), (TokenStream, Ty)>,
) -> Scope<'s> {
    Scope {
        types,
        rt,
        inputs,
        step_outputs: outputs,
        called_outputs: None,
        dependencies,
        body: None,
        response: false,
        request: None,
    }
}

fn output_ty(l: &Lowered) -> Ty {
    if l.optional { Ty::Option(Box::new(l.ty.clone())) } else { l.ty.clone() }
}

fn lower_error(r: &mut Reporter, ptr: &str, e: &LowerError) {
    let part = e.span.map_or(Part::Value, |(o, l)| Part::Inner(o, l));
    r.report(Severity::Error, e.code, ptr, part, e.message.clone(), e.help.clone());
}

fn source_name(loaded: &Loaded, doc_idx: usize, op: &Operation) -> String {
    loaded
        .sources
        .iter()
        .find(|((d, _), res)| *d == doc_idx && **res == crate::load::Resolved::File(op.file))
        .map(|((_, n), _)| n.clone())
        .unwrap_or_default()
}

/// Inputs sent as credentials: an `x-api-key` or `Authorization` header, or the parameter of an
/// `apiKey` security scheme.
fn secret_inputs(loaded: &Loaded, doc_idx: usize, w: &Workflow) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in &w.steps {
        let api_keys = match s.target.as_ref().and_then(|(_, t)| resolve_target(loaded, doc_idx, t).ok()) {
            Some(Resolution::Operation(op)) => openapi::api_keys(loaded, &op),
            _ => Vec::new(),
        };
        for p in w.parameters.iter().chain(&s.parameters) {
            let ParamRef::Inline(p) = p else { continue };
            let auth = p.location.as_deref() == Some("header")
                && (p.name.eq_ignore_ascii_case("x-api-key") || p.name.eq_ignore_ascii_case("authorization"))
                || api_keys
                    .iter()
                    .any(|(l, k)| p.location.as_deref() == Some(l) && k.eq_ignore_ascii_case(&p.name));
            if !auth {
                continue;
            }
            if let Some(text) = p.value.as_str() {
                for part in template_exprs(text) {
                    if let Expr::Inputs { name, .. } = part {
                        out.insert(name);
                    }
                }
            }
        }
    }
    out
}

fn template_exprs(text: &str) -> Vec<Expr> {
    match expr::parse_value(text).map(|p| p.value) {
        Ok(expr::Value::Expr(e)) => vec![e],
        Ok(expr::Value::Template(parts)) => parts
            .into_iter()
            .filter_map(|p| if let TemplatePart::Expr(e) = p { Some(e) } else { None })
            .collect(),
        _ => Vec::new(),
    }
}

/// Steps that run before every successful return: no earlier step can `end`, jump past them,
/// or hand over to another workflow.
fn always_run(w: &Workflow, components: &Components) -> BTreeSet<usize> {
    let index: HashMap<&str, usize> = w.steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    (0..w.steps.len())
        .filter(|&i| {
            !w.steps[..i].iter().any(|s| {
                let all = s
                    .on_success
                    .iter()
                    .chain(&s.on_failure)
                    .chain(&w.success_actions)
                    .chain(&w.failure_actions);
                all.filter_map(|a| inline_action(a, components)).any(|a| match (a.kind, &a.step_id) {
                    (ActionKind::Retry, _) => false,
                    (ActionKind::Goto, Some((_, t))) => index.get(t.as_str()).is_none_or(|&t| t > i),
                    _ => true,
                })
            })
        })
        .collect()
}

fn input_tokens(inputs: &[Input]) -> HashMap<String, (TokenStream, Ty)> {
    inputs
        .iter()
        .map(|i| {
            let id = ident(&i.field);
            let tokens = match (&i.ty, &i.local) {
                (Ty::Option(inner), Some(local)) => {
                    return (i.name.clone(), (quote!(Some(&#local)), (**inner).clone()));
                }
                (Ty::Option(_), None) => quote!(inputs.#id.as_ref()),
                _ => quote!(Some(&inputs.#id)),
            };
            (i.name.clone(), (tokens, i.ty.clone()))
        })
        .collect()
}

struct Emitter<'a> {
    unit: &'a Unit<'a>,
    doc: &'a Document,
    key: WfKey,
    w: &'a Workflow,
    /// Workflow-level actions by pointer: `None` once they applied to a step, else the errors
    /// that kept them from every step so far.
    workflow_actions: RefCell<BTreeMap<String, Option<Diagnostics>>>,
}

impl Emitter<'_> {
    fn plan(&self) -> &Plan {
        &self.unit.plans[&self.key]
    }

    fn workflow(&self, r: &mut Reporter) -> TokenStream {
        let rt = self.unit.rt;
        let w = self.w;
        let p = self.plan();
        let m = calls::workflow_module(self.doc, &w.id);
        let fn_name = m.clone();
        let wf_id = &w.id;
        let about = [w.summary.as_deref(), w.description.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n\n");
        let doc = doc_attr(Some(about.as_str()).filter(|s| !s.is_empty()));
        let serde_path = format!("{}::__private::serde", rt.to_string().replace(' ', ""));

        let input_fields = p.inputs.iter().map(|Input { name, field: fid, ty, default, doc, .. }| {
            let id = ident(fid);
            let t = self.unit.types.tokens(ty);
            let mut text = doc.clone().unwrap_or_default();
            if let Some(def) = default {
                text = format!("{text}\n\nDefault: `{def}`.").trim_start().to_string();
            }
            let doc = doc_attr(Some(&text).filter(|s| !s.is_empty()).map(String::as_str));
            let rename = (fid.trim_start_matches("r#") != name).then(|| quote!(#[serde(rename = #name)]));
            let skip = matches!(ty, Ty::Option(_))
                .then(|| quote!(#[serde(default, skip_serializing_if = "Option::is_none")]));
            quote! { #doc #rename #skip pub #id: #t, }
        });
        let output_fields = p.workflow_outputs.iter().map(|(name, _, fid, ty, e)| {
            let id = ident(fid);
            let t = self.unit.types.tokens(ty);
            let doc = format!(" `{}`", e.as_ref().map(ToString::to_string).unwrap_or_else(|| name.clone()));
            quote! { #[doc = #doc] pub #id: #t, }
        });
        let inputs_complex = crate::types::complex_types(p.inputs.iter().map(|i| &i.ty));
        let outputs_complex = crate::types::complex_types(p.workflow_outputs.iter().map(|o| &o.3));
        let streams = p.workflow_outputs.iter().any(|(.., ty, _)| matches!(ty.unwrapped(), Ty::Stream(_)));
        let output_derive =
            if streams { quote!(#[derive(Debug)]) } else { quote!(#[derive(Debug, Clone, PartialEq)]) };

        let defaults = p.inputs.iter().filter_map(|Input { field, ty, default, local, .. }| {
            let (default, local) = (default.as_ref()?, local.as_ref()?);
            let Ty::Option(inner) = ty else { return None };
            let id = ident(field);
            let t = self.unit.types.tokens(inner);
            let json = default.to_string();
            let value = if is_copy(inner) { quote!(*v) } else { quote!(v.clone()) };
            Some(quote! {
                let #local: #t = match &inputs.#id {
                    Some(v) => #value,
                    None => #rt::__private::serde_json::from_str(#json).map_err(|e| run.invalid_input(format!("default of `{}`: {e}", stringify!(#id))))?,
                };
            })
        });
        let mut sources: Vec<(String, String)> = Vec::new();
        for sp in &p.steps {
            if let Some(Resolution::Operation(op)) = &sp.resolution
                && let Some(url) = openapi::server_url(self.unit.loaded, op.file)
                && !sources.iter().any(|(n, _)| n == &sp.source)
            {
                let Some(url) = self.absolute_server_url(&sp.source, url, r) else { continue };
                sources.push((sp.source.clone(), url));
            }
        }
        let servers = sources.iter().map(|(n, u)| quote!(run.default_base_url(#n, #u);));
        let redactions = p.inputs.iter().filter(|i| i.ty.unwrapped() == &Ty::Secret).map(|i| {
            let id = ident(&i.field);
            if matches!(i.ty, Ty::Option(_)) {
                quote!(run.redact(inputs.#id.as_ref());)
            } else {
                quote!(run.redact(&inputs.#id);)
            }
        });
        let locals = w
            .steps
            .iter()
            .flat_map(|s| s.outputs.iter().map(move |(n, ..)| (s.id.clone(), n.clone())))
            .filter_map(|key| {
                let (local, ty) = p.outputs.get(&key)?;
                let t = self.unit.types.tokens(ty.unwrapped());
                Some(quote!(let mut #local: Option<#t> = None;))
            });
        let retry_counters = p.counters.values().map(|c| quote!(let mut #c: u32 = 0;));
        let variants = &p.variants;
        let arms = w
            .steps
            .iter()
            .enumerate()
            .map(|(si, s)| {
                let v = &variants[si];
                let body = self.step(si, s, r);
                let d = format!(
                    " Step `{}`{}",
                    s.id,
                    s.description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
                );
                quote! { #[doc = #d] Step::#v => { #body } }
            })
            .collect::<Vec<_>>();
        for unfit in std::mem::take(&mut *self.workflow_actions.borrow_mut()).into_values().flatten() {
            r.diags.extend(unfit);
        }
        let first = variants
            .first()
            .map(|v| quote!(Step::#v))
            .unwrap_or_else(|| quote!(return Err(run.invalid_input("the workflow has no steps".into()))));
        let outputs_init = p
            .workflow_outputs
            .iter()
            .enumerate()
            .map(|(i, (name, ptr, fid, ty, e))| {
                let id = ident(fid);
                // A step output that a later workflow output also reads is cloned, not moved.
                let read = |e: &Option<Expr>| {
                    if let Some(Expr::Steps { step, name, .. }) = e {
                        Some((step.clone(), name.clone()))
                    } else {
                        None
                    }
                };
                let shared = step_output_of(e).is_some()
                    && p.workflow_outputs[i + 1..].iter().any(|o| read(&o.4) == read(e));
                let value = self.workflow_output(name, ptr, ty, e.as_ref(), shared, r);
                if id == value.to_string() { quote!(#id,) } else { quote!(#id: #value,) }
            })
            .collect::<Vec<_>>();
        let depends_on = p.depends_on.iter().map(|(c, local)| {
            let call = self.run_workflow(c, "dependsOn", quote!(&inputs));
            quote!(let #local = #call?;)
        });
        let body = quote! {
            #(#servers)*
            #(#redactions)*
            #(#defaults)*
            #(#depends_on)*
            #(#locals)*
            #(#retry_counters)*
            let mut step = #first;
            loop {
                match step {
                    #(#arms)*
                }
            }
            Ok(Outputs { #(#outputs_init)* })
        };
        let allow = quote!(#[allow(clippy::too_many_lines, clippy::needless_continue, clippy::never_loop, clippy::regex_creation_in_loops, clippy::type_complexity, clippy::nonminimal_bool, unused_mut, unused_variables, unreachable_code, unused_doc_comments, unused_assignments)]);
        // A workflow that others run gets a second entry point that joins the caller's run.
        let functions = if self.unit.called.contains(&self.key) {
            quote! {
                #doc
                pub async fn #fn_name(client: &#rt::Client, inputs: Inputs) -> Result<Outputs, #rt::Error> {
                    run_in(client.run(#wf_id), inputs).await
                }

                /// Runs the workflow inside `run`, the run of a workflow that runs this one: they
                /// share its step budget.
                #allow
                pub(crate) async fn run_in(mut run: #rt::Run, inputs: Inputs) -> Result<Outputs, #rt::Error> {
                    #body
                }
            }
        } else {
            quote! {
                #doc
                #allow
                pub async fn #fn_name(client: &#rt::Client, inputs: Inputs) -> Result<Outputs, #rt::Error> {
                    let mut run = client.run(#wf_id);
                    #body
                }
            }
        };
        quote! {
            #doc
            #[allow(clippy::module_inception)]
            pub mod #m {
                #[allow(unused_imports)]
                use super::types;

                /// Inputs of the workflow.
                #[derive(Debug, Clone, PartialEq, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
                #[serde(crate = #serde_path)]
                #inputs_complex
                pub struct Inputs { #(#input_fields)* }

                /// Outputs of the workflow.
                #output_derive
                #outputs_complex
                pub struct Outputs { #(#output_fields)* }

                #[derive(Debug, Clone, Copy, PartialEq, Eq)]
                #[allow(clippy::enum_variant_names, dead_code)] // A step after an unconditional `end` is never entered.
                enum Step { #(#variants,)* }

                #functions
            }
            pub use #m::#fn_name;
        }
    }

    /// A relative server URL (`/api/v3`) is relative to where the description lives: resolved
    /// against the source description's URL when that is http(s); otherwise there is no
    /// default and the client must be given one (W0104).
    fn absolute_server_url(&self, source: &str, url: String, r: &mut Reporter) -> Option<String> {
        if url.contains("://") {
            return Some(url);
        }
        let desc = self.doc.sources.iter().find(|s| s.name == source)?;
        if desc.url.starts_with("http://") || desc.url.starts_with("https://") {
            return Some(join_url(&desc.url, &url));
        }
        let help =
            format!("give the client a base URL: `Client::builder().base_url(\"{source}\", \"https://…\")`");
        r.warn(
            "W0104",
            &child(&desc.ptr, "url"),
            format!(
                "the server URL `{url}` of source `{source}` is relative to a local file: it has no default"
            ),
            Some(help),
        );
        None
    }

    /// A call of another workflow (a future of its `Result<Outputs, Error>`), as part of `step`.
    fn run_workflow(&self, c: &Callee, step: &str, inputs: TokenStream) -> TokenStream {
        let (m, id) = (&c.module, &c.id);
        quote!(Box::pin(#m::run_in(run.call(#step, #id)?, run.call_inputs(#step, #id, #inputs)?)).await)
    }

    fn workflow_output(
        &self,
        name: &str,
        ptr: &str,
        ty: &Ty,
        e: Option<&Expr>,
        shared: bool,
        r: &mut Reporter,
    ) -> TokenStream {
        let p = self.plan();
        match e {
            Some(Expr::Steps { step, name: Some(out), path, .. }) if path.is_empty() => {
                let Some((local, local_ty)) = p.outputs.get(&(step.clone(), out.clone())) else {
                    return quote!(Default::default());
                };
                let local = if shared { quote!(#local.clone()) } else { quote!(#local) };
                if matches!(ty, Ty::Option(_)) || matches!(local_ty, Ty::Option(_)) {
                    quote!(#local)
                } else {
                    quote!(#local.ok_or_else(|| run.output_missing(#name))?)
                }
            }
            Some(Expr::Inputs { name: input, path }) if path.is_empty() => {
                let Some(i) = p.inputs.iter().find(|i| &i.name == input) else {
                    return quote!(Default::default());
                };
                match &i.local {
                    // The input's `default` applies to the output too.
                    Some(local) if is_copy(i.ty.unwrapped()) => quote!(Some(#local)),
                    Some(local) => quote!(Some(#local.clone())),
                    None => {
                        let fid = ident(&i.field);
                        quote!(inputs.#fid.clone())
                    }
                }
            }
            Some(e) => {
                let inputs = input_tokens(&p.inputs);
                match outputs_scope(self.unit.types, self.unit.rt, &inputs, &p.outputs, &p.dependencies)
                    .value(e)
                {
                    Ok(l) => l.owned(),
                    Err(err) => {
                        lower_error(r, ptr, &err);
                        quote!(None)
                    }
                }
            }
            None => quote!(Default::default()), // Reported by validation.
        }
    }

    fn scope<'s>(
        &'s self,
        sp: &'s StepPlan,
        inputs: &'s HashMap<String, (TokenStream, Ty)>,
        response: bool,
    ) -> Scope<'s> {
        Scope {
            types: self.unit.types,
            rt: self.unit.rt,
            inputs,
            step_outputs: &self.plan().outputs,
            called_outputs: None,
            dependencies: &self.plan().dependencies,
            body: if response {
                sp.body.clone().filter(|_| !sp.streaming).map(|t| (quote!(body.as_ref().ok()), t))
            } else {
                None
            },
            response,
            request: None,
        }
    }

    fn step(&self, si: usize, s: &Step, r: &mut Reporter) -> TokenStream {
        let rt = self.unit.rt;
        let p = self.plan();
        let sp = &p.steps[si];
        let inputs = input_tokens(&p.inputs);
        if let Some(c) = &sp.call {
            return self.call_step(si, s, c, r);
        }
        let Some(Resolution::Operation(op)) = &sp.resolution else {
            // Unresolved targets and unreadable files were reported when validating.
            let broken = self
                .unit
                .loaded
                .sources
                .iter()
                .any(|((d, _), res)| *d == self.key.0 && *res == crate::load::Resolved::Broken);
            if let (Some((ptr, target)), Some(Resolution::Unchecked), false) =
                (&s.target, &sp.resolution, broken)
            {
                let what = if matches!(target, Target::WorkflowId(_)) { "workflow" } else { "operation" };
                let help = "map the source description to a local copy (see the help on its `url`)";
                r.error(
                    "E0411",
                    ptr,
                    format!("step `{}` runs a remote {what} whose description was not read", s.id),
                    Some(help.into()),
                );
            }
            return quote!(return Err(run.invalid_input("step not generated".into())););
        };
        let req_scope = self.scope(sp, &inputs, false);
        let (path_code, params) = self.parameters(s, op, &req_scope, r);
        let body_code = self.request_body(s, op, &req_scope, r);
        let method = format_ident!("{}", op.method.to_uppercase());
        let step_id = &s.id;
        let op_id = op.id.clone().unwrap_or_else(|| format!("{} {}", op.method.to_uppercase(), op.path));
        let source = &sp.source;
        let send = if sp.streaming { quote!(send_streaming) } else { quote!(send) };
        let mutability = if sp.streaming { quote!(mut) } else { TokenStream::new() };
        let sent = effective_parameters(self.w, s, &self.doc.components);
        let scope = Scope { request: Some(&sent), ..self.scope(sp, &inputs, true) };
        let body_decl = match (&sp.body, sp.streaming) {
            (Some(_), false) if sp.text && reads_body(s, self.w, &self.doc.components) => {
                quote!(let body: Result<String, #rt::Error> = Ok(response.text());)
            }
            (Some(ty), false) if reads_body(s, self.w, &self.doc.components) => {
                let t = self.unit.types.tokens(ty);
                quote!(let body: Result<#t, #rt::Error> = response.json();)
            }
            _ => TokenStream::new(),
        };
        // A successful response whose body does not match its schema is a decode error.
        let decoded = (!body_decl.is_empty()).then(|| quote!(let body: Result<_, #rt::Error> = Ok(body?);));
        // Criteria.
        let criteria: Vec<(TokenStream, String)> =
            s.success_criteria.iter().map(|c| (self.criterion(c, &scope, r), c.condition.clone())).collect();
        let success = if criteria.is_empty() {
            quote!(let failed: Vec<&'static str> = if (200..300).contains(&response.status()) { Vec::new() } else { vec!["status is 2xx"] };)
        } else {
            let checks = criteria.iter().map(|(t, text)| quote!((#t, #text)));
            quote!(let failed = #rt::__private::unmet(&[#(#checks),*]);)
        };
        // Outputs (after every attempt).
        let outputs: Vec<TokenStream> = s
            .outputs
            .iter()
            .map(|(name, ptr, text)| self.step_output(s, name, ptr, text, sp, &scope, r))
            .collect();
        let declared = !body_decl.is_empty();
        let on_success =
            self.actions(si, s, &s.on_success, &self.w.success_actions, true, declared, &scope, r);
        let on_failure =
            self.actions(si, s, &s.on_failure, &self.w.failure_actions, false, declared, &scope, r);
        quote! {
            #path_code
            let request = run.request(#step_id, #op_id, #source, #rt::Method::#method, &path) #(#params)* #body_code;
            let #mutability response = run.#send(request).await?;
            #body_decl
            #success
            #(#outputs)*
            if failed.is_empty() {
                #decoded
                #on_success
            } else {
                #on_failure
            }
        }
    }

    /// A step that runs another workflow: parameters without `in` are its inputs, `$outputs.<name>`
    /// its outputs. It fails when the workflow fails or a criterion does not hold.
    fn call_step(&self, si: usize, s: &Step, c: &Callee, r: &mut Reporter) -> TokenStream {
        let rt = self.unit.rt;
        let p = self.plan();
        let sp = &p.steps[si];
        let inputs = input_tokens(&p.inputs);
        let req_scope = self.scope(sp, &inputs, false);
        let all: Vec<Parameter> = self
            .w
            .parameters
            .iter()
            .chain(&s.parameters)
            .filter_map(|p| resolve_parameter(p, &self.doc.components))
            .filter(|p| p.location.is_none())
            .collect();
        let args = all
            .iter()
            .enumerate()
            .filter(|(i, p)| !all[i + 1..].iter().any(|q| q.name == p.name))
            .map(|(_, p)| {
                let (name, v) = (&p.name, self.json_tokens(&p.value, &child(&p.ptr, "value"), &req_scope, r));
                quote!(#name: #v)
            });
        let call = self.run_workflow(c, &s.id, quote!(&#rt::__private::serde_json::json!({ #(#args),* })));
        let called = self.unit.plans.get(&c.key).map(called_outputs);
        let scope = Scope { called_outputs: called.as_ref(), ..self.scope(sp, &inputs, false) };
        let criteria: Vec<TokenStream> = s
            .success_criteria
            .iter()
            .map(|c| {
                let (t, text) = (self.criterion(c, &scope, r), &c.condition);
                quote!((#t, #text))
            })
            .collect();
        let failed = if criteria.is_empty() {
            quote!(let failed: Vec<&'static str> = Vec::new();)
        } else {
            quote!(let failed = if outputs.is_some() { #rt::__private::unmet(&[#(#criteria),*]) } else { Vec::new() };)
        };
        let outputs: Vec<TokenStream> = s
            .outputs
            .iter()
            .map(|(name, ptr, text)| self.step_output(s, name, ptr, text, sp, &scope, r))
            .collect();
        let on_success = self.actions(si, s, &s.on_success, &self.w.success_actions, true, false, &scope, r);
        let on_failure = self.actions(si, s, &s.on_failure, &self.w.failure_actions, false, false, &scope, r);
        quote! {
            let result = #call;
            let outputs = result.as_ref().ok();
            #failed
            #(#outputs)*
            if outputs.is_some() && failed.is_empty() {
                #on_success
            } else {
                #on_failure
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn step_output(
        &self,
        s: &Step,
        name: &str,
        ptr: &str,
        text: &str,
        sp: &StepPlan,
        scope: &Scope,
        r: &mut Reporter,
    ) -> TokenStream {
        let Some((local, _)) = self.plan().outputs.get(&(s.id.clone(), name.to_string())) else {
            return TokenStream::new();
        };
        let Ok(parsed) = expr::parse_expression(text) else { return TokenStream::new() };
        if sp.streaming && matches!(&parsed.value, Expr::Response(expr::Source::Body(p)) if p.is_empty()) {
            return quote!(#local = Some(response.take_jsonl()););
        }
        match scope.value(&parsed.value) {
            Ok(l) => {
                let t = l.owned();
                quote!(#local = #t;)
            }
            Err(e) => {
                lower_error(r, ptr, &e);
                TokenStream::new()
            }
        }
    }

    fn criterion(&self, c: &Criterion, scope: &Scope, r: &mut Reporter) -> TokenStream {
        let cptr = child(&c.ptr, "condition");
        let context = c.context.as_deref().and_then(|t| expr::parse_expression(t).ok()).map(|p| p.value);
        // A mistake in the context is reported at the context.
        if let Some(Err(e)) =
            context.as_ref().filter(|_| c.kind != CriterionKind::Simple).map(|ctx| scope.value(ctx))
        {
            lower_error(r, &child(&c.ptr, "context"), &e);
            return quote!(false);
        }
        let result = match &c.kind {
            CriterionKind::Simple => match expr::parse_condition(&c.condition) {
                Ok(p) => scope.condition(&p.value),
                Err(_) => return quote!(false),
            },
            CriterionKind::Regex => match &context {
                Some(ctx) => scope.regex(ctx, &c.condition),
                None => return quote!(false),
            },
            CriterionKind::JsonPath(_) => {
                match (&context, expr::parse_jsonpath(&c.condition, c.context.as_deref())) {
                    (Some(ctx), Ok(p)) => scope.jsonpath(ctx, &p.value),
                    _ => return quote!(false),
                }
            }
            CriterionKind::XPath(_) => return quote!(false),
        };
        match result {
            Ok(t) => t,
            Err(e) => {
                lower_error(r, &cptr, &e);
                // Every other leaf of `a || b && c` with a mistake of its own is reported too.
                if let (CriterionKind::Simple, Ok(p)) = (&c.kind, expr::parse_condition(&c.condition)) {
                    for leaf in leaves(&p.value) {
                        if let Err(more) = scope.condition(leaf) {
                            lower_error(r, &cptr, &more);
                        }
                    }
                }
                quote!(false)
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    /// The action lists of a step; `body` tells whether the step declared a decoded `body`.
    fn actions(
        &self,
        si: usize,
        s: &Step,
        own: &[ActionRef],
        workflow: &[ActionRef],
        success: bool,
        body: bool,
        scope: &Scope,
        r: &mut Reporter,
    ) -> TokenStream {
        let w = self.w;
        let callee = |id: &str| calls::callee(self.unit.loaded, self.key.0, id);
        let calls_workflow = self.plan().steps[si].call.is_some();
        let step_id = &s.id;
        let mut has_retry = false;
        let components = &self.doc.components;
        let mut list: Vec<(&Action, Vec<TokenStream>)> = own
            .iter()
            .filter_map(|a| inline_action(a, components))
            .map(|a| (a, a.criteria.iter().map(|c| self.criterion(c, scope, r)).collect()))
            .collect();
        // A step's action overrides the workflow's action of the same name.
        let own_names: Vec<&str> = list.iter().map(|(a, _)| a.name.as_str()).collect();
        for a in workflow
            .iter()
            .filter_map(|a| inline_action(a, components))
            .filter(|a| !own_names.contains(&a.name.as_str()))
        {
            let mut found = Diagnostics::default();
            let mut scratch = Reporter { file: r.file, tree: r.tree, diags: &mut found };
            let conds = a.criteria.iter().map(|c| self.criterion(c, scope, &mut scratch)).collect();
            let mut seen = self.workflow_actions.borrow_mut();
            if found.has_errors() {
                // Criteria that cannot hold for this step (a field its response does not have,
                // the `$statusCode` of a step that runs a workflow) leave the action out here;
                // they are reported only if they fit no step at all.
                seen.entry(a.ptr.clone()).or_insert(Some(found));
                continue;
            }
            seen.insert(a.ptr.clone(), None);
            r.diags.extend(found);
            list.push((a, conds));
        }
        // An action without criteria always runs: the actions after it never do.
        let unconditional =
            list.iter().position(|(a, _)| a.criteria.is_empty() && a.kind != ActionKind::Retry);
        if let Some(i) = unconditional {
            list.truncate(i + 1);
        }
        let blocks: Vec<TokenStream> = list
            .into_iter()
            .map(|(a, conds)| {
                let texts = a.criteria.iter().map(|c| c.condition.as_str()).collect::<Vec<_>>().join(" && ");
                let name = &a.name;
                let (doc, body) = match a.kind {
                    ActionKind::End => (format!(" {name}: end"), quote!(break;)),
                    ActionKind::Goto => match (&a.step_id, &a.workflow_id) {
                        (Some((_, target)), _) => {
                            let ti = w.steps.iter().position(|x| &x.id == target).unwrap_or(usize::MAX);
                            let Some(v) = self.plan().variants.get(ti) else { return quote!() };
                            let reenter = (ti <= si).then(|| quote!(run.reenter(#target).await?;));
                            (
                                format!(" {name}: goto step `{target}`"),
                                quote! { #reenter step = Step::#v; continue; },
                            )
                        }
                        (None, Some((_, wf))) => {
                            let run = callee(wf).map(|c| self.run_workflow(&c, step_id, quote!(&inputs)));
                            (format!(" {name}: goto workflow `{wf}`, then end"), quote! { #run?; break; })
                        }
                        _ => (format!(" {name}: goto"), quote!(break;)),
                    },
                    ActionKind::Retry => {
                        has_retry = true;
                        let limit = a.retry_limit.unwrap_or(1).min(u64::from(u32::MAX)) as u32;
                        let after = a.retry_after.unwrap_or(0.0);
                        let give_up =
                            unconditional.is_none().then(|| quote!(exhausted = Some((#name, #limit));));
                        let Some(c) = self.plan().counters.get(&(s.id.clone(), a.ptr.clone())) else {
                            // `retryLimit: 0`: the step is never retried.
                            return match (give_up, conds.is_empty()) {
                                (None, _) => TokenStream::new(),
                                (Some(g), true) => g,
                                (Some(g), false) => quote!(if #(#conds)&&* { #g }),
                            };
                        };
                        let first = a.workflow_id.as_ref().and_then(|(_, wf)| callee(wf)).map(|c| {
                            let run = self.run_workflow(&c, step_id, quote!(&inputs));
                            quote!(#run?;)
                        });
                        let then = if first.is_some() { " after running the workflow" } else { "" };
                        let wait = if calls_workflow {
                            quote!(run.retry_call(#step_id, #name, #after).await;)
                        } else {
                            quote!(run.retry_after(&response, #step_id, #name, #after).await;)
                        };
                        let doc = format!(" {name}: retry{then} after {after} s, at most {limit} times");
                        let retry = quote! { #c += 1; #first #wait continue; };
                        if give_up.is_none() {
                            // Nothing follows the retry: one `if` holds the criteria and the count.
                            let doc = if texts.is_empty() { doc } else { format!("{doc} when {texts}") };
                            return quote!(#[doc = #doc] if #(#conds &&)* #c < #limit { #retry });
                        }
                        (doc, quote! { if #c < #limit { #retry } #give_up })
                    }
                };
                if conds.is_empty() {
                    // A block: rustc accepts a doc attribute on it, not on an expression statement.
                    return quote! { #[doc = #doc] { #body } };
                }
                let doc = if texts.is_empty() { doc } else { format!("{doc} when {texts}") };
                quote! {
                    #[doc = #doc]
                    if #(#conds)&&* { #body }
                }
            })
            .collect();
        if unconditional.is_some() {
            return quote!(#(#blocks)*);
        }
        let exhausted_decl =
            has_retry.then(|| quote!(let mut exhausted: Option<(&'static str, u32)> = None;));
        let limit_error = if calls_workflow {
            quote!(run.call_retry_limit_reached(#step_id, action, limit))
        } else {
            quote!(run.retry_limit_reached(&response, action, limit))
        };
        let exhausted_check = has_retry.then(|| {
            quote! {
                if let Some((action, limit)) = exhausted {
                    return Err(#limit_error);
                }
            }
        });
        let default = if success {
            match self.plan().variants.get(si + 1) {
                Some(v) => quote!(step = Step::#v;),
                None => quote!(break;),
            }
        } else if calls_workflow {
            quote!(return Err(match result { Err(e) => e, Ok(_) => run.call_failed(#step_id, &failed) });)
        } else if body {
            quote!(return Err(run.failed_decoding(&response, &failed, body));)
        } else {
            quote!(return Err(run.failed(&response, &failed));)
        };
        quote! {
            #exhausted_decl
            #(#blocks)*
            #exhausted_check
            #default
        }
    }

    /// Path expansion and parameter calls for a step.
    fn parameters(
        &self,
        s: &Step,
        op: &Operation,
        scope: &Scope,
        r: &mut Reporter,
    ) -> (TokenStream, Vec<TokenStream>) {
        let rt = self.unit.rt;
        let mut path_args = Vec::new();
        let mut calls = Vec::new();
        let mut fmt = String::new();
        let mut rest = op.path.as_str();
        let effective = effective_parameters(self.w, s, &self.doc.components);
        while let Some(start) = rest.find('{') {
            fmt.push_str(&rest[..start].replace('{', "{{").replace('}', "}}"));
            let Some(end) = rest[start..].find('}') else { break };
            let name = &rest[start + 1..start + end];
            fmt.push_str("{}");
            let value = effective.iter().find(|p| p.location.as_deref() == Some("path") && p.name == name);
            let arg = match value.map(|p| self.value_tokens(&p.value, &child(&p.ptr, "value"), scope, r)) {
                Some(v) => quote!(#rt::encode_path_segment(&#rt::__private::required_text(&run, #name, #v)?)),
                None => quote!(""),
            };
            path_args.push(arg);
            rest = &rest[start + end + 1..];
        }
        fmt.push_str(&rest.replace('{', "{{").replace('}', "}}"));
        let declared = openapi::parameters(self.unit.loaded, op);
        for p in effective.iter().filter(|p| p.location.as_deref() != Some("path")) {
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
            let v = self.value_tokens(&p.value, &child(&p.ptr, "value"), scope, r);
            match p.location.as_deref() {
                Some("query") => calls.push(quote!(.query(#name, #v))),
                Some("header") => calls.push(quote!(.header(#name, #v))),
                Some("cookie") => calls.push(quote!(.cookie(#name, #v))),
                _ => {}
            }
        }
        let path_code = if path_args.is_empty() {
            quote!(let path = #fmt.to_string();)
        } else {
            quote!(let path = format!(#fmt, #(#path_args),*);)
        };
        (path_code, calls)
    }

    /// The tokens of a value that is one expression of a list type (or untyped JSON, which may
    /// be a list).
    fn list_value(&self, v: &Value, scope: &Scope) -> Option<TokenStream> {
        let Ok(expr::Value::Expr(e)) = expr::parse_value(v.as_str()?).map(|p| p.value) else { return None };
        let l = scope.value(&e).ok()?;
        matches!(l.ty, Ty::Array(_) | Ty::Json).then_some(l.tokens)
    }

    /// Tokens for a parameter or payload value: `impl ParamValue + Serialize`.
    fn value_tokens(&self, v: &Value, ptr: &str, scope: &Scope, r: &mut Reporter) -> TokenStream {
        let rt = self.unit.rt;
        match v {
            Value::String(s) => match expr::parse_value(s).map(|p| p.value) {
                Ok(expr::Value::Expr(e)) => match scope.value(&e) {
                    Ok(l) => {
                        let t = l.tokens;
                        match l.ty {
                            Ty::String | Ty::Integer | Ty::Number | Ty::Bool | Ty::Json | Ty::Secret => {
                                quote!(#t)
                            }
                            Ty::Status => quote!(#t.map(|v| i64::from(*v))),
                            _ => quote!(#t.map(#rt::__private::json::text_of)),
                        }
                    }
                    Err(e) => {
                        lower_error(r, ptr, &e);
                        quote!(None::<String>)
                    }
                },
                Ok(expr::Value::Template(parts)) => self.template(&parts, ptr, scope, r),
                _ => quote!(#s),
            },
            Value::Null => quote!(None::<String>),
            Value::Bool(b) => quote!(#b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => quote!(#i),
                (_, Some(f)) => quote!(#f),
                _ => quote!(None::<String>),
            },
            Value::Array(_) | Value::Object(_) => self.json_tokens(v, ptr, scope, r),
        }
    }

    fn template(&self, parts: &[TemplatePart], ptr: &str, scope: &Scope, r: &mut Reporter) -> TokenStream {
        let (text, _, errors) = scope.text_template(parts);
        for e in &errors {
            lower_error(r, ptr, e);
        }
        text
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
        let rt = self.unit.rt;
        let (text, errors) = scope.format_template(parts, |l, in_string| {
            let t = l.tokens;
            quote!(#rt::__private::json::json_text(#t, #in_string))
        });
        for e in &errors {
            lower_error(r, ptr, e);
        }
        text
    }

    /// `serde_json::Value` tokens for a payload or replacement value: one expression gives its
    /// value as JSON (an object stays an object; absent: null), anything else is built with
    /// `json!` with expressions at any depth.
    fn json_value(&self, v: &Value, ptr: &str, scope: &Scope, r: &mut Reporter) -> TokenStream {
        let rt = self.unit.rt;
        if let Value::String(text) = v
            && let Ok(expr::Value::Expr(e)) = expr::parse_value(text).map(|p| p.value)
        {
            return match scope.value(&e) {
                Ok(l) => {
                    let t = l.tokens;
                    quote!(#rt::__private::serde_json::to_value(#t).unwrap_or_default())
                }
                Err(err) => {
                    lower_error(r, ptr, &err);
                    quote!(#rt::__private::serde_json::Value::Null)
                }
            };
        }
        match v {
            Value::Object(_) | Value::Array(_) => self.json_tokens(v, ptr, scope, r),
            _ => {
                let t = self.json_tokens(v, ptr, scope, r);
                quote!(#rt::__private::serde_json::json!(#t))
            }
        }
    }

    /// A JSON value with expressions at any depth, as `serde_json::Value` tokens.
    fn json_tokens(&self, v: &Value, ptr: &str, scope: &Scope, r: &mut Reporter) -> TokenStream {
        let rt = self.unit.rt;
        match v {
            Value::Object(m) => {
                let entries = m.iter().map(|(k, v)| {
                    let t = self.json_tokens(v, &child(ptr, k), scope, r);
                    quote!(#k: #t)
                });
                quote!(#rt::__private::serde_json::json!({ #(#entries),* }))
            }
            Value::Array(a) => {
                let items =
                    a.iter().enumerate().map(|(i, v)| self.json_tokens(v, &format!("{ptr}/{i}"), scope, r));
                quote!(#rt::__private::serde_json::json!([ #(#items),* ]))
            }
            Value::String(text) => match expr::parse_value(text).map(|p| p.value) {
                Ok(expr::Value::Expr(e)) => match scope.value(&e) {
                    Ok(l) => {
                        let t = l.tokens;
                        quote!((#t))
                    }
                    Err(e) => {
                        lower_error(r, ptr, &e);
                        quote!(null)
                    }
                },
                _ => {
                    let t = self.value_tokens(v, ptr, scope, r);
                    quote!((#t))
                }
            },
            Value::Null => quote!(null),
            Value::Bool(b) => quote!(#b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => quote!(#i),
                (_, Some(f)) => quote!(#f),
                _ => quote!(null),
            },
        }
    }

    fn request_body(&self, s: &Step, op: &Operation, scope: &Scope, r: &mut Reporter) -> TokenStream {
        let rt = self.unit.rt;
        let Some(b) = &s.request_body else { return TokenStream::new() };
        let declared = openapi::request_media(self.unit.loaded, op);
        let ct = b
            .content_type
            .clone()
            .or_else(|| declared.first().map(|m| m.content_type.clone()))
            .unwrap_or_else(|| "application/json".into());
        let Some(payload) = &b.payload else { return TokenStream::new() };
        let pptr = child(&b.ptr, "payload");
        let replacements = b.replacements.iter().map(|(rptr, target, value)| {
            let v = self.json_value(value, &child(rptr, "value"), scope, r);
            quote!(#rt::__private::json::replace(&mut payload, #target, #v);)
        });
        let replacements: Vec<TokenStream> = replacements.collect();
        match payload {
            Value::String(text)
                if !matches!(expr::parse_value(text).map(|p| p.value), Ok(expr::Value::Expr(_))) =>
            {
                if let Some((rptr, ..)) = b.replacements.first() {
                    let help = "write the payload as YAML/JSON instead of a string, or put the values in the string as `{$...}` templates";
                    r.warn("W0306", rptr, "`replacements` apply to a JSON payload; this payload is a string, so they are not applied", Some(help.into()));
                }
                let t = match expr::parse_value(text).map(|p| p.value) {
                    Ok(expr::Value::Template(parts)) if ct.contains("json") => {
                        self.json_template(&parts, &pptr, scope, r)
                    }
                    _ => self.value_tokens(payload, &pptr, scope, r),
                };
                quote!(.body(#ct, #t))
            }
            _ => {
                let t = self.json_value(payload, &pptr, scope, r);
                let call = if ct.contains("x-www-form-urlencoded") { quote!(form) } else { quote!(json) };
                if !ct.contains("json")
                    && !ct.contains("x-www-form-urlencoded")
                    && matches!(payload, Value::Object(_) | Value::Array(_))
                {
                    let help = "arazzo-rs encodes JSON and form payloads; for other content types write the payload as a string";
                    r.warn(
                        "W0307",
                        &pptr,
                        format!("this payload is sent as JSON (`application/json`), not as `{ct}`"),
                        Some(help.into()),
                    );
                }
                if replacements.is_empty() {
                    quote!(.#call(&#t))
                } else {
                    quote!(.#call(&{ let mut payload = #t; #(#replacements)* payload }))
                }
            }
        }
    }
}

/// Every action a step can take: its own, then the workflow's that it does not override.
fn step_actions<'w>(s: &'w Step, w: &'w Workflow, components: &'w Components) -> Vec<&'w Action> {
    let mut all = Vec::new();
    for (own, workflow) in [(&s.on_success, &w.success_actions), (&s.on_failure, &w.failure_actions)] {
        let mine: Vec<&Action> = own.iter().filter_map(|a| inline_action(a, components)).collect();
        let theirs: Vec<&Action> = workflow
            .iter()
            .filter_map(|a| inline_action(a, components))
            .filter(|a| !mine.iter().any(|m| m.name == a.name))
            .collect();
        all.extend(mine);
        all.extend(theirs);
    }
    all
}

/// `rel`, a relative URL, resolved against `base` (RFC 3986 §5.2, for the forms servers use).
fn join_url(base: &str, rel: &str) -> String {
    let path_at = base.find("://").map_or(0, |i| i + 3);
    let origin_end = base[path_at..].find('/').map_or(base.len(), |i| path_at + i);
    if rel.starts_with('/') {
        return format!("{}{rel}", &base[..origin_end]);
    }
    let dir = match base.rfind('/') {
        Some(i) if i >= origin_end => &base[..=i],
        _ => return format!("{base}/{}", rel.trim_start_matches("./")),
    };
    format!("{dir}{}", rel.trim_start_matches("./"))
}

/// The comparisons and operands of a condition, left to right.
fn leaves(c: &expr::Condition) -> Vec<&expr::Condition> {
    match c {
        expr::Condition::Or(a, b) | expr::Condition::And(a, b) => [leaves(a), leaves(b)].concat(),
        expr::Condition::Not(a) => leaves(a),
        leaf => vec![leaf],
    }
}

/// Whether values of `ty` are `Copy` (cloning them is clippy's `clone_on_copy`).
fn is_copy(ty: &Ty) -> bool {
    matches!(ty, Ty::Integer | Ty::Number | Ty::Bool | Ty::Status)
}

/// The step output a workflow output returns as is: (step, output).
fn step_output_of(e: &Option<Expr>) -> Option<(&str, &str)> {
    match e {
        Some(Expr::Steps { step, name: Some(out), path, .. }) if path.is_empty() => Some((step, out)),
        _ => None,
    }
}

/// Whether any expression evaluated after the step's call reads the response body.
fn reads_body(s: &Step, w: &Workflow, components: &Components) -> bool {
    let criteria = |c: &Criterion| {
        c.condition.contains("$response.body")
            || c.context.as_deref().is_some_and(|t| t.starts_with("$response.body"))
    };
    let all = s.on_success.iter().chain(&s.on_failure).chain(&w.success_actions).chain(&w.failure_actions);
    s.outputs.iter().any(|(_, _, t)| t.contains("$response.body"))
        || s.success_criteria.iter().any(criteria)
        || all.filter_map(|a| inline_action(a, components)).any(|a| a.criteria.iter().any(criteria))
}

#[cfg(test)]
mod tests {
    use super::join_url;

    #[test]
    fn relative_server_urls_resolve_against_the_description_url() {
        let base = "https://api.example.com/specs/openapi.yaml";
        assert_eq!(join_url(base, "/api/v3"), "https://api.example.com/api/v3");
        assert_eq!(join_url(base, "v3"), "https://api.example.com/specs/v3");
        assert_eq!(join_url(base, "./v3"), "https://api.example.com/specs/v3");
        assert_eq!(join_url("https://api.example.com", "v3"), "https://api.example.com/v3");
    }
}
