//! Planning one workflow: its inputs (with their defaults), its shape, its steps and its outputs.

use std::cell::RefCell;
use std::collections::HashMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::inputs::{InputPlan, input_bindings, inputs};
use super::step::{StepNames, StepPlanner};
use super::{Always, Bindings, Shape, StepPlan, report};
use crate::calls::{self, WfKey};
use crate::expr::{self, Expr};
use crate::load::Loaded;
use crate::lower::{Lowered, Read, Scope, output_source};
use crate::model::*;
use crate::names::Names;
use crate::openapi;
use crate::report::{Reporter, child};
use crate::resolve::{Resolution, resolve_target};
use crate::types::{Ty, TypeSpace, ident};
use crate::validate::inline_action;

/// A planned workflow.
pub struct WorkflowPlan {
    /// Which workflow.
    pub key: WfKey,
    /// The `workflowId`.
    pub id: String,
    /// Its module, which holds a function of the same name.
    pub module: syn::Ident,
    /// Summary and description.
    pub about: String,
    /// Whether another workflow runs it (then it has a `run_in` entry that joins a run).
    pub called: bool,
    /// How its body is written.
    pub shape: Shape,
    pub inputs: Vec<InputPlan>,
    pub outputs: Vec<OutputPlan>,
    /// Default base URL per source description.
    pub servers: Vec<(String, String)>,
    /// Secret inputs, as `&Secret` or `Option<&Secret>` tokens, redacted from errors.
    pub redactions: Vec<TokenStream>,
    pub depends_on: Vec<DependsOn>,
    pub steps: Vec<StepPlan>,
    /// Retry counters.
    pub counters: Vec<syn::Ident>,
    /// Machine: the variant of `Step` per step, and the step output locals with their types.
    pub variants: Vec<syn::Ident>,
    pub output_locals: Vec<(syn::Ident, Ty)>,
}

/// A workflow of `dependsOn`, run first.
pub struct DependsOn {
    /// Which workflow.
    pub key: WfKey,
    /// Its `workflowId`.
    pub id: String,
    /// Whether it runs once per run, its outputs shared (`Run::completed`): not when they hold a
    /// stream, which only one reader can consume.
    pub once: bool,
    /// The local holding its outputs.
    pub local: syn::Ident,
    /// The call.
    pub call: TokenStream,
    /// Its `Outputs` type.
    pub outputs: TokenStream,
}

/// A workflow output.
pub struct OutputPlan {
    pub name: String,
    pub field: syn::Ident,
    pub ty: Ty,
    /// The expression's text.
    pub doc: String,
    /// The step that must have run for the value to exist.
    pub step: Option<usize>,
    /// The value (`None` after a finding).
    pub value: Option<Lowered>,
    /// Whether another output reads the same value (so it is cloned, not moved).
    pub shared: bool,
}

impl OutputPlan {
    /// The field's value where the workflow returns; `ran` tells whether its step has run.
    pub fn tokens(&self, ran: bool) -> TokenStream {
        let name = &self.name;
        match (&self.value, ran, &self.ty) {
            (Some(v), true, ty) => {
                let t = v.take(!self.shared);
                match (v.is_present(), ty) {
                    (true, Ty::Option(_)) => quote!(Some(#t)),
                    (true, _) | (false, Ty::Option(_)) => t,
                    (false, _) => quote!(#t.ok_or_else(|| run.output_missing(#name))?),
                }
            }
            _ => quote!(None),
        }
    }
}

/// Locals and parameters of generated bodies; allocated names avoid them.
pub const BODY_NAMES: &[&str] = &[
    "action",
    "actions",
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
    "rt",
    "run",
    "run_in",
    "step",
    "types",
    "v",
];

/// Plans workflow `key`; the workflows it runs are planned already (in `plans`).
pub fn plan(
    loaded: &Loaded,
    key: WfKey,
    plans: &HashMap<WfKey, WorkflowPlan>,
    called: bool,
    types: &mut TypeSpace,
    r: &mut Reporter,
) -> WorkflowPlan {
    let doc = &loaded.documents[&key.0];
    let w = &doc.workflows[key.1];
    let module = calls::workflow_module(doc, &w.id);
    let mut locals = Names::reserving(BODY_NAMES);
    locals.unique(module.to_string());
    let inputs = inputs(loaded, key.0, w, types, r);
    let shape = shape(loaded, key.0, w);
    let input_bindings = input_bindings(&inputs);
    let rt = quote!(rt);
    let mut servers: Vec<(String, String)> = Vec::new();

    let mut depends_on = Vec::new();
    let mut dependencies = HashMap::new();
    for (_, id) in &w.depends_on {
        let Some(c) = calls::callee(loaded, key.0, id) else { continue };
        let local = ident(&locals.snake(&format!("{} outputs", c.id)));
        let plan = plans.get(&c.key);
        let once = plan.is_some_and(|p| p.outputs.iter().all(|o| !matches!(o.ty.unwrapped(), Ty::Stream(_))));
        if let Some(p) = plan {
            for o in p.outputs.iter().filter(|o| !matches!(o.ty.unwrapped(), Ty::Stream(_))) {
                let id = &o.field;
                let (tokens, optional) = match o.ty {
                    Ty::Option(_) => (quote!(#local.#id.as_ref()), true),
                    _ => (quote!(Some(&#local.#id)), false),
                };
                dependencies.insert(
                    (c.id.clone(), o.name.clone()),
                    Lowered::new(tokens, o.ty.unwrapped().clone(), optional),
                );
            }
        }
        let m = &c.module;
        depends_on.push(DependsOn {
            key: c.key,
            id: c.id.clone(),
            once,
            call: call_tokens(&c, "dependsOn", quote!(&inputs)),
            outputs: quote!(#m::Outputs),
            local,
        });
    }

    let names: Vec<StepNames> = w
        .steps
        .iter()
        .map(|s| {
            let name = ident(&locals.snake(&s.id));
            let response = ident(&locals.snake(&format!("{} response", s.id)));
            StepNames { name, response }
        })
        .collect();
    let mut planner = StepPlanner {
        loaded,
        doc_idx: key.0,
        doc,
        w,
        shape,
        types,
        rt: &rt,
        plans,
        inputs: &input_bindings,
        dependencies: &dependencies,
        step_outputs: Bindings::new(),
        names: &names,
        locals: RefCell::new(locals),
        counters: RefCell::default(),
        workflow_actions: RefCell::default(),
        output_locals: RefCell::default(),
    };
    let mut steps = Vec::new();
    for (si, s) in w.steps.iter().enumerate() {
        let step = planner.step(si, s, r);
        if let Some((source, file)) = planner.source_of(si)
            && !servers.iter().any(|(n, _)| *n == source)
            && let Some(url) = openapi::server_url(loaded, file)
            && let Some(url) = absolute_server_url(doc, &source, url, r)
        {
            servers.push((source, url));
        }
        steps.push(step);
    }
    for unfit in planner.workflow_actions.take().into_values().flatten() {
        r.diags.extend(unfit);
    }
    let step_outputs = std::mem::take(&mut planner.step_outputs);
    let counters: Vec<syn::Ident> = planner.counters.take().into_values().collect();
    let output_locals = planner.output_locals.take();
    let variants = {
        let mut v = Names::default();
        w.steps.iter().map(|s| ident(&v.camel(&s.id))).collect()
    };

    let always = always_run(w, &doc.components);
    let scope = Scope {
        doc,
        types,
        rt: &rt,
        inputs: &input_bindings,
        step_outputs: &step_outputs,
        called_outputs: None,
        dependencies: &dependencies,
        body: None,
        response: None,
        request: None,
        unsent: false,
    };
    let shared_locals: Vec<String> =
        depends_on.iter().filter(|d| d.once).map(|d| d.local.to_string()).collect();
    let outputs = outputs(w, shape, &scope, &inputs, &always, &shared_locals, r);
    let redactions = inputs
        .iter()
        .filter(|i| i.ty.unwrapped() == &Ty::Secret)
        .map(|i| {
            let f = &i.field;
            if matches!(i.ty, Ty::Option(_)) { quote!(inputs.#f.as_ref()) } else { quote!(&inputs.#f) }
        })
        .collect();
    let about = [w.summary.as_deref(), w.description.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("\n\n");
    WorkflowPlan {
        key,
        id: w.id.clone(),
        module,
        about,
        called,
        shape,
        inputs,
        outputs,
        servers,
        redactions,
        depends_on,
        steps,
        counters,
        variants,
        output_locals,
    }
}

/// A call of another workflow as part of `step` (a future of its `Result<Outputs, Error>`).
pub fn call_tokens(c: &calls::Callee, step: &str, inputs: TokenStream) -> TokenStream {
    let call = call_future(c, step, inputs);
    quote!(#call.await)
}

/// The future of such a call, not awaited: it owns the nested run, so `run` is free meanwhile.
pub fn call_future(c: &calls::Callee, step: &str, inputs: TokenStream) -> TokenStream {
    let (m, id) = (&c.module, &c.id);
    quote!(Box::pin(#m::run_in(run.call(#step, #id)?, run.call_inputs(#step, #id, #inputs)?)))
}

/// Straight-line code fits when every step calls an operation, no action leaves the workflow
/// or jumps further than the next step, and no step has failure actions (a failed step ends
/// the workflow with its error).
fn shape(loaded: &Loaded, doc_idx: usize, w: &Workflow) -> Shape {
    let components = &loaded.documents[&doc_idx].components;
    let operations = w.steps.iter().all(|s| {
        matches!(
            s.target.as_ref().map(|(_, t)| resolve_target(loaded, doc_idx, t)),
            Some(Ok(Resolution::Operation(_)))
        )
    });
    let no_failure_actions = w.failure_actions.is_empty() && w.steps.iter().all(|s| s.on_failure.is_empty());
    let local_jumps = w.steps.iter().enumerate().all(|(i, s)| {
        s.on_success.iter().chain(&w.success_actions).filter_map(|a| inline_action(a, components)).all(|a| {
            let target = a.step_id.as_ref().map(|(_, t)| w.steps.iter().position(|x| &x.id == t));
            a.workflow_id.is_none()
                && match a.kind {
                    ActionKind::Goto => matches!(target, Some(Some(t)) if t == i || t == i + 1),
                    _ => true,
                }
        })
    });
    if operations && no_failure_actions && local_jumps { Shape::Flow } else { Shape::Machine }
}

/// The workflow's outputs: plain values when they are certain to exist on every successful
/// return, `Option`s otherwise.
fn outputs(
    w: &Workflow,
    shape: Shape,
    scope: &Scope,
    inputs: &[InputPlan],
    always: &Always,
    shared_locals: &[String],
    r: &mut Reporter,
) -> Vec<OutputPlan> {
    let mut fields = Names::default();
    let reads: Vec<Option<Read>> = w.outputs.iter().map(|(_, _, v)| output_source(v)).collect();
    let mut out = Vec::new();
    for (i, (name, ptr, v)) in w.outputs.iter().enumerate() {
        let e = match &reads[i] {
            Some(Read::Expr(e)) => Some(e),
            _ => None,
        };
        let step = match e {
            Some(Expr::Steps { step, .. }) => w.steps.iter().position(|s| &s.id == step),
            _ => None,
        };
        let lowered = reads[i].as_ref().map(|read| match read {
            Read::Expr(e) => scope.value(e),
            Read::Selector(sel) => scope.selector(sel),
        });
        if let Some(Err(err)) = &lowered {
            report(r, ptr, err);
        }
        let value = lowered.and_then(Result::ok);
        // A pointer into a value may find nothing: an `Option`.
        let whole = |path: &[expr::Segment]| path.is_empty();
        let certain = match e {
            Some(Expr::Inputs { path, .. }) => whole(path),
            Some(Expr::SelfUri | Expr::SourceDescriptions { .. }) => true,
            Some(Expr::Steps { path, .. }) => whole(path) && step.is_some_and(|s| always.contains(&s)),
            _ => false,
        };
        let plain = certain
            && value.as_ref().is_some_and(|v| !v.optional && (shape == Shape::Machine || v.is_present()));
        let base = value.as_ref().map_or(Ty::Json, |v| v.ty.clone());
        let ty = match e {
            // An input is returned as it was declared (an optional one with a default too).
            Some(Expr::Inputs { name, path }) if path.is_empty() => {
                inputs.iter().find(|i| &i.name == name).map_or(base, |i| i.ty.clone())
            }
            _ if plain => base,
            _ => Ty::Option(Box::new(base)),
        };
        let field = ident(&fields.snake(name));
        let doc = match (e, v) {
            (Some(e), _) => e.to_string(),
            (None, OutputValue::Selector(sel)) => format!("`{}` of {}", sel.selector, sel.context),
            (None, OutputValue::Expr(_)) => name.clone(),
        };
        out.push(OutputPlan { name: name.clone(), field, ty, doc, step, value, shared: false });
    }
    // A value is moved into its field unless another output reads it too, or it belongs to the
    // shared outputs of a `dependsOn` workflow (an `Arc`).
    let shared: Vec<bool> = (0..out.len())
        .map(|i| {
            let Some(v) = &out[i].value else { return false };
            let Some(place) = v.place() else { return false };
            if shared_locals.contains(&place[0]) {
                return true;
            }
            out.iter().enumerate().any(|(j, o)| {
                let Some(w) = o.value.as_ref().filter(|_| j != i) else { return false };
                match w.place() {
                    // Two fields of one value may both move; a value and a field inside it may not.
                    Some(other) => place.iter().zip(&other).all(|(a, b)| a == b),
                    None => crate::lower::mentions(&w.tokens, &place[0]),
                }
            })
        })
        .collect();
    for (o, shared) in out.iter_mut().zip(shared) {
        o.shared = shared && !matches!(o.ty.unwrapped(), Ty::Stream(_));
    }
    out
}

/// A relative server URL (`/api/v3`) is relative to where the description lives: resolved
/// against the source description's URL when that is http(s); otherwise there is no default
/// and the client must be given one (W0104).
fn absolute_server_url(doc: &Document, source: &str, url: String, r: &mut Reporter) -> Option<String> {
    if url.contains("://") {
        return Some(url);
    }
    let desc = doc.sources.iter().find(|s| s.name == source)?;
    let location = crate::uri::source_location(doc, &desc.url);
    if location.starts_with("http://") || location.starts_with("https://") {
        return Some(join_url(&location, &url));
    }
    let help =
        format!("give the client a base URL: `Client::builder().base_url(\"{source}\", \"https://…\")`");
    r.warn(
        "W0104",
        &child(&desc.ptr, "url"),
        format!("the server URL `{url}` of source `{source}` is relative to a local file: it has no default"),
        Some(help),
    );
    None
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

/// Steps whose outputs are set before every successful return: no earlier step can `end`, jump
/// past them or hand over to another workflow, and their own failure cannot lead to a successful
/// return without them (a failure action that ends, goes forward or hands over: a step that timed
/// out or answered 404 has no outputs).
fn always_run(w: &Workflow, components: &Components) -> Always {
    let index: HashMap<&str, usize> = w.steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let leaves_before = |i: usize, a: &Action| match (a.kind, &a.step_id) {
        (ActionKind::Retry, _) => false,
        (ActionKind::Goto, Some((_, t))) => index.get(t.as_str()).is_none_or(|&t| t > i),
        _ => true,
    };
    (0..w.steps.len())
        .filter(|&i| {
            let earlier = w.steps[..i].iter().flat_map(|s| {
                s.on_success.iter().chain(&s.on_failure).chain(&w.success_actions).chain(&w.failure_actions)
            });
            let own_failure = w.steps[i].on_failure.iter().chain(&w.failure_actions);
            !earlier
                .chain(own_failure)
                .filter_map(|a| inline_action(a, components))
                .any(|a| leaves_before(i, a))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{always_run, join_url};
    use crate::diag::Diagnostics;
    use crate::report::Reporter;

    /// The steps whose outputs `always_run` counts as set, for each workflow of `yaml`.
    fn always(yaml: &str) -> Vec<Vec<usize>> {
        let tree = crate::syntax::parse(yaml).expect("YAML");
        let mut diags = Diagnostics::default();
        let doc =
            crate::read::document(&tree.value, &mut Reporter { file: "t", tree: &tree, diags: &mut diags });
        doc.workflows.iter().map(|w| always_run(w, &doc.components).into_iter().collect()).collect()
    }

    #[test]
    fn a_step_whose_failure_leads_on_may_have_no_outputs() {
        let steps = |on_failure: &str| {
            format!(
                "arazzo: 1.1.0\ninfo: {{title: t, version: '1'}}\nsourceDescriptions: [{{name: a, url: a.yaml}}]\n\
                 workflows:\n- workflowId: w\n  steps:\n  - stepId: first\n    operationId: op\n    \
                 onFailure: [{on_failure}]\n  - stepId: second\n    operationId: op\n"
            )
        };
        // A timeout or an error response that goes on to the next step leaves `first` without outputs.
        assert_eq!(always(&steps("{name: next, type: goto, stepId: second}")), [vec![1]]);
        assert_eq!(always(&steps("{name: stop, type: end}")), [Vec::<usize>::new()]);
        // A retry that runs out fails the workflow; a goto back to the step runs it again.
        assert_eq!(always(&steps("{name: again, type: retry}")), [vec![0, 1]]);
        assert_eq!(always(&steps("{name: again, type: goto, stepId: first}")), [vec![0, 1]]);
    }

    #[test]
    fn relative_server_urls_resolve_against_the_description_url() {
        let base = "https://api.example.com/specs/openapi.yaml";
        assert_eq!(join_url(base, "/api/v3"), "https://api.example.com/api/v3");
        assert_eq!(join_url(base, "v3"), "https://api.example.com/specs/v3");
        assert_eq!(join_url(base, "./v3"), "https://api.example.com/specs/v3");
        assert_eq!(join_url("https://api.example.com", "v3"), "https://api.example.com/v3");
    }
}
