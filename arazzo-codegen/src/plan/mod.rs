//! The plan: what each workflow of a document becomes, decided once, between validation and
//! emission. Every expression is lowered and type-checked here (with its findings reported);
//! the emitter only arranges the planned pieces into items and never reports anything.

mod actions;
mod inputs;
mod request;
mod step;
mod workflow;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use proc_macro2::TokenStream;
use quote::quote;

use crate::calls::{self, WfKey};
use crate::diag::{Diagnostics, Severity};
use crate::load::Loaded;
use crate::lower::{LowerError, Lowered};
use crate::report::{Part, Reporter};
use crate::types::{Ty, TypeSpace};

pub use workflow::WorkflowPlan;

/// Everything one generated file holds: the types, and a plan per workflow of the root
/// document and of the Arazzo documents whose workflows it runs.
pub struct Unit {
    /// The types every module of the file shares.
    pub types: TypeSpace,
    /// Each workflow's plan.
    pub workflows: HashMap<WfKey, WorkflowPlan>,
    /// The root document's items.
    pub root: DocPlan,
}

/// The items of one document's module.
pub struct DocPlan {
    /// Its workflows, in document order.
    pub workflows: Vec<WfKey>,
    /// A module per Arazzo source whose workflows it runs: (module, source name, items).
    pub nested: Vec<(syn::Ident, String, DocPlan)>,
}

/// How a workflow's control flow is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Straight-line Rust: steps in order, a `loop` for a step that runs again, `return` for
    /// `end`. Each step is an `async fn` of its own.
    Flow,
    /// A `loop { match step { .. } }` state machine, for goto graphs that jump back, workflow
    /// calls and failure actions.
    Machine,
}

/// One planned step.
pub struct StepPlan {
    /// The `stepId`.
    pub id: String,
    /// The step's description.
    pub about: Option<String>,
    /// Its function (flow) and the local holding its body; the local holding its response.
    pub name: syn::Ident,
    pub response: syn::Ident,
    /// What the step does.
    pub kind: StepKind,
    /// Its success criteria.
    pub criteria: Vec<Check>,
    /// Its `onSuccess` actions, then the workflow's that apply; cut after the first that always
    /// runs.
    pub on_success: Vec<ActionPlan>,
    /// Its `onFailure` actions, then the workflow's that apply.
    pub on_failure: Vec<ActionPlan>,
    /// The step that runs after success when no action takes over (`None`: the last step,
    /// after which the workflow returns).
    pub next: Option<usize>,
    /// The body, as read.
    pub body: Body,
    /// Machine: one assignment per step output (after every attempt).
    pub output_updates: Vec<TokenStream>,
    /// Its `timeout` in milliseconds (1.1).
    pub timeout: Option<u64>,
    /// Why outputs are untyped (a lowered E0401), for its doc comment.
    pub notes: Vec<String>,
}

/// What a step does.
pub enum StepKind {
    /// Sends a request.
    Request(Request),
    /// Runs a workflow.
    Call(WorkflowCall),
    /// Its target was not resolved (reported by validation): the step fails at run time.
    Unresolved,
}

/// A run of another workflow.
pub struct WorkflowCall {
    /// The workflow, as the document names it.
    pub name: String,
    /// Which workflow.
    pub key: WfKey,
    /// The tokens of the call: a future of `Result<Outputs, Error>`.
    pub call: TokenStream,
}

/// The request of a step.
pub struct Request {
    /// Step id, operation (operationId or `METHOD /path`) and source description name.
    pub step: String,
    pub operation: String,
    pub source: String,
    /// `GET`, `POST`, ...
    pub method: syn::Ident,
    /// The operation's path template (`/pets/{id}`).
    pub template: String,
    /// Statements binding path parameters and the payload to locals.
    pub prelude: Vec<TokenStream>,
    /// The path: a string literal, or `&path` after the prelude's `format!`.
    pub path: TokenStream,
    /// The builder calls: `.header(..)`, `.query(..)`, `.json(..)`.
    pub calls: Vec<TokenStream>,
}

/// How a step's response body is read.
#[derive(Clone)]
pub enum Body {
    /// Not at all.
    Unread,
    /// Read whole, as `ty`: JSON decoded, or the text or bytes as they came.
    Decoded { ty: Ty, kind: BodyKind },
    /// A stream, read as the step's output: JSONL items of `T`, or the chunks of a binary body
    /// when `T` is `Ty::Bytes`.
    Stream(Ty),
}

/// The `Response` method that hands out a stream of `item`s.
pub fn into_stream(item: &Ty) -> TokenStream {
    if *item == Ty::Bytes { quote!(into_bytes_stream) } else { quote!(into_jsonl) }
}

/// Like [`into_stream`], leaving the response's status and headers in place.
pub fn take_stream(item: &Ty) -> TokenStream {
    if *item == Ty::Bytes { quote!(take_bytes_stream) } else { quote!(take_jsonl) }
}

/// What a body read whole is, by its declared media type.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BodyKind {
    /// JSON, decoded into its schema's type (a `Result`: it may not fit).
    Json,
    /// `text/*` (and XML): a `String`.
    Text,
}

/// A criterion: the `bool` tokens and the source text.
pub struct Check {
    pub tokens: TokenStream,
    pub text: String,
}

/// One success or failure action.
pub struct ActionPlan {
    /// Its `name`.
    pub name: String,
    /// Its criteria, all of which must hold (empty: always).
    pub criteria: Vec<TokenStream>,
    /// The criteria's source texts, joined with `&&`.
    pub text: String,
    /// What it does.
    pub act: Act,
}

/// What an action does.
pub enum Act {
    /// `end`.
    End,
    /// `goto` a step of this workflow (index, id).
    Goto(usize, String),
    /// `goto` a workflow, then end.
    GotoWorkflow(WorkflowCall),
    /// `retry`: at most `limit` times after `after` seconds, counted in `counter` (none for
    /// `retryLimit: 0`); `due` holds whether its criteria held; first running a workflow when it
    /// names one.
    Retry {
        limit: u32,
        after: f64,
        counter: Option<syn::Ident>,
        due: Option<syn::Ident>,
        workflow: Option<WorkflowCall>,
    },
}

impl ActionPlan {
    /// Whether the action always runs when reached (no criteria, not a `retry`): the actions
    /// after it, and the step's default next step, are never reached.
    pub fn always(&self) -> bool {
        self.criteria.is_empty() && !matches!(self.act, Act::Retry { .. })
    }

    /// The action as a Markdown list item: `` - `name`: what, when `criteria` ``.
    pub fn note(&self) -> String {
        let what = match &self.act {
            Act::End => "end".to_string(),
            Act::Goto(_, target) => format!("goto step `{target}`"),
            Act::GotoWorkflow(wf) => format!("goto workflow `{}`, then end", wf.name),
            Act::Retry { limit, after, workflow, .. } => {
                let then =
                    workflow.as_ref().map(|wf| format!(" after running `{}`", wf.name)).unwrap_or_default();
                format!("retry{then} after {after} s, at most {limit} times")
            }
        };
        let when = match self.text.as_str() {
            "" => String::new(),
            t if t.contains('`') => format!(", when `` {t} ``"),
            t => format!(", when `{t}`"),
        };
        format!("- `{}`: {what}{when}", self.name)
    }
}

impl StepPlan {
    /// The step's documentation: its description and its actions.
    pub fn doc(&self) -> String {
        let mut text = match &self.about {
            Some(d) => format!("Step `{}`: {d}", self.id),
            None => format!("Step `{}`.", self.id),
        };
        for (title, list) in [("On success", &self.on_success), ("On failure", &self.on_failure)] {
            if !list.is_empty() {
                text.push_str(&format!("\n\n{title}:\n"));
                let notes: Vec<String> = list.iter().map(ActionPlan::note).collect();
                text.push_str(&notes.join("\n"));
            }
        }
        for note in &self.notes {
            text.push_str(&format!("\n\n{note}"));
        }
        text
    }
}

/// Plans document `doc` of `loaded` and every workflow it runs. Findings go to `diags`.
pub fn unit(loaded: &Loaded, doc: usize, rt: &TokenStream, diags: &mut Diagnostics) -> Unit {
    let mut types = TypeSpace::new(rt.clone());
    let (order, called) = calls::plan_order(loaded, doc);
    let mut workflows = HashMap::new();
    for key in order {
        let mut r = loaded.reporter(key.0, diags);
        let plan = workflow::plan(loaded, key, &workflows, called.contains(&key), &mut types, &mut r);
        workflows.insert(key, plan);
    }
    let root = doc_plan(loaded, doc, &mut Vec::new(), diags);
    Unit { types, workflows, root }
}

/// The items of document `d`; a source whose documents run this one's workflows is refused.
fn doc_plan(loaded: &Loaded, d: usize, stack: &mut Vec<usize>, diags: &mut Diagnostics) -> DocPlan {
    let doc = &loaded.documents[&d];
    stack.push(d);
    let workflows = (0..doc.workflows.len()).map(|wi| (d, wi)).collect();
    let mut nested = Vec::new();
    for (name, file) in calls::nested_sources(loaded, d) {
        if stack.contains(&file) {
            let ptr = doc.sources.iter().find(|s| s.name == name).map(|s| s.ptr.clone()).unwrap_or_default();
            let mut r = loaded.reporter(d, diags);
            let help = "move the workflows that call each other into one document";
            r.error(
                "E0410",
                &ptr,
                format!("the workflows of source `{name}` run workflows of this document: documents that call each other are not generated"),
                Some(help.into()),
            );
            continue;
        }
        let items = doc_plan(loaded, file, stack, diags);
        nested.push((calls::source_module(doc, &name), name, items));
    }
    stack.pop();
    DocPlan { workflows, nested }
}

/// Reports a lowering error at `ptr` (unless validation reports it).
fn report(r: &mut Reporter, ptr: &str, e: &LowerError) {
    if e.is_reported() {
        let part = e.span.map_or(Part::Value, |(o, l)| Part::Inner(o, l));
        r.report(Severity::Error, e.code, ptr, part, e.message.clone(), e.help.clone());
    }
}

/// Bindings of step outputs and dependency outputs, by name.
type Bindings = HashMap<(String, String), Lowered>;

/// Workflow-level actions by pointer: `None` once they applied to a step, else the findings
/// that kept them from every step so far.
type WorkflowActions = BTreeMap<String, Option<Diagnostics>>;

/// Step indices of a workflow's steps that run before any successful return.
type Always = BTreeSet<usize>;
