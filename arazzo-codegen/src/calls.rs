//! Workflows that run other workflows (a step's `workflowId`, a `goto` or `retry` to a workflow,
//! `dependsOn`): which documents one generated file contains, where the module of each called
//! workflow is, and the order in which workflows are planned (callees first).

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use crate::load::Loaded;
use crate::model::{Document, Target, Workflow};
use crate::names::{Names, ident};
use crate::resolve::{Resolution, resolve_target};
use crate::validate::inline_action;

/// A workflow: (document index, workflow index).
pub type WfKey = (usize, usize);

/// A workflow that another one runs, as seen from the caller's module.
pub struct Callee {
    /// Which workflow.
    pub key: WfKey,
    /// Its `workflowId`.
    pub id: String,
    /// Its module, relative to the caller's module (`super::place_order`).
    pub module: TokenStream,
}

/// The module of a workflow inside its document's module (its function has the same name).
pub fn workflow_module(doc: &Document, id: &str) -> syn::Ident {
    let names = module_names(doc);
    let i = doc.workflows.iter().position(|w| w.id == id).unwrap_or(names.len() - 1);
    ident(&names[i])
}

/// The module that holds the workflows of source description `name` of `doc`.
pub fn source_module(doc: &Document, name: &str) -> syn::Ident {
    let names = module_names(doc);
    let i =
        doc.sources.iter().position(|s| s.name == name).map_or(names.len() - 1, |i| doc.workflows.len() + i);
    ident(&names[i])
}

/// Distinct names for the items of a document's module: its workflows, then its sources, then
/// a fallback. `types` holds the schema types; `run_in` is the function that joins a run.
fn module_names(doc: &Document) -> Vec<String> {
    let mut names = Names::reserving(&["types", "run_in"]);
    let mut out: Vec<String> = doc.workflows.iter().map(|w| names.snake(&w.id)).collect();
    out.extend(doc.sources.iter().map(|s| names.snake(&s.name)));
    out.push(names.snake("unknown"));
    out
}

/// Resolves `id` (plain, or `$sourceDescriptions.<name>.<id>`) as written in document `doc`.
pub fn callee(loaded: &Loaded, doc: usize, id: &str) -> Option<Callee> {
    let resolution = resolve_target(loaded, doc, &Target::WorkflowId(id.to_string())).ok()?;
    match resolution {
        Resolution::LocalWorkflow(i) => {
            let w = &loaded.documents[&doc].workflows[i];
            let m = workflow_module(&loaded.documents[&doc], &w.id);
            Some(Callee { key: (doc, i), id: w.id.clone(), module: quote!(super::#m) })
        }
        Resolution::ExternalWorkflow(file, i) => {
            let source = id.strip_prefix("$sourceDescriptions.")?.split_once('.')?.0;
            let w = &loaded.documents[&file].workflows[i];
            let (s, m) = (
                source_module(&loaded.documents[&doc], source),
                workflow_module(&loaded.documents[&file], &w.id),
            );
            Some(Callee { key: (file, i), id: w.id.clone(), module: quote!(super::#s::#m) })
        }
        _ => None,
    }
}

/// Every workflow id a workflow runs, as written: step targets, actions, `dependsOn`.
pub fn called_ids(doc: &Document, w: &Workflow) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in &w.steps {
        if let Some((_, Target::WorkflowId(id))) = &s.target {
            out.push(id.clone());
        }
    }
    let actions = w
        .steps
        .iter()
        .flat_map(|s| s.on_success.iter().chain(&s.on_failure))
        .chain(&w.success_actions)
        .chain(&w.failure_actions);
    out.extend(
        actions.filter_map(|a| {
            inline_action(a, &doc.components)?.workflow_id.as_ref().map(|(_, id)| id.clone())
        }),
    );
    out.extend(w.depends_on.iter().map(|(_, id)| id.clone()));
    out
}

/// The workflows a workflow runs.
pub fn callees(loaded: &Loaded, key: WfKey) -> Vec<Callee> {
    let doc = &loaded.documents[&key.0];
    called_ids(doc, &doc.workflows[key.1]).iter().filter_map(|id| callee(loaded, key.0, id)).collect()
}

/// The other Arazzo documents whose workflows `doc` runs: (source name, file), in source order.
pub fn nested_sources(loaded: &Loaded, doc: usize) -> Vec<(String, usize)> {
    let d = &loaded.documents[&doc];
    let mut used = BTreeSet::new();
    for w in &d.workflows {
        for id in called_ids(d, w) {
            if let (Some(c), Some((name, _))) = (
                callee(loaded, doc, &id),
                id.strip_prefix("$sourceDescriptions.").and_then(|r| r.split_once('.')),
            ) {
                used.insert((name.to_string(), c.key.0));
            }
        }
    }
    d.sources.iter().filter_map(|s| used.iter().find(|(n, _)| n == &s.name).cloned()).collect()
}

/// Every workflow of the documents reachable from `root`, callees before callers (a call
/// cycle is broken where it closes), and the set of workflows that something runs.
pub fn plan_order(loaded: &Loaded, root: usize) -> (Vec<WfKey>, BTreeSet<WfKey>) {
    fn visit(
        loaded: &Loaded,
        key: WfKey,
        seen: &mut BTreeSet<WfKey>,
        order: &mut Vec<WfKey>,
        called: &mut BTreeSet<WfKey>,
    ) {
        if !seen.insert(key) {
            return;
        }
        for c in callees(loaded, key) {
            called.insert(c.key);
            visit(loaded, c.key, seen, order, called);
        }
        order.push(key);
    }
    let (mut seen, mut order, mut called) = (BTreeSet::new(), Vec::new(), BTreeSet::new());
    let mut docs = vec![root];
    let mut i = 0;
    while i < docs.len() {
        for (_, file) in nested_sources(loaded, docs[i]) {
            if !docs.contains(&file) {
                docs.push(file);
            }
        }
        i += 1;
    }
    for d in docs {
        for wi in 0..loaded.documents[&d].workflows.len() {
            visit(loaded, (d, wi), &mut seen, &mut order, &mut called);
        }
    }
    (order, called)
}
