//! A workflow's `durable` module (`Settings::durable`): the same workflow function and step
//! functions as the plain module, written against `arazzo_runtime::durable::Run` (journaled
//! exchanges, durable timers) and wrapped in a Restate workflow service.

use std::collections::BTreeMap;
use std::fmt;

use proc_macro2::{Delimiter, Group, Ident, Punct, Spacing, Span, TokenStream, TokenTree};
use quote::quote;

use super::mentions;
use super::workflow::{input_field, output_field};
use crate::calls::WfKey;
use crate::plan::{Act, Shape, StepKind, Unit, WorkflowPlan};
use crate::types::Ty;

/// Why a workflow gets no durable module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Its `workflowId` is not a Restate service name.
    ServiceName,
    /// A stream output that does not come straight from one of its steps' responses.
    StreamOutput,
    /// A step that runs a workflow has a `timeout`: the nested run cannot be bounded by a timer
    /// that a replay would see fire at the same point.
    CallTimeout,
    /// It runs a workflow (by this id) that has no durable module.
    Callee(String),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ServiceName => f.write_str("its workflowId is not a Restate service name"),
            Refusal::StreamOutput => {
                f.write_str("a stream output does not come straight from one of its steps' responses")
            }
            Refusal::CallTimeout => f.write_str("a step that runs a workflow has a timeout"),
            Refusal::Callee(id) => write!(f, "it runs workflow `{id}`, which has no durable module"),
        }
    }
}

/// The workflows of `unit` that get no durable module, and why: their own reasons, then every
/// workflow that runs one of those (a callee runs inside its caller's journal, so it must be
/// durable too).
pub fn refusals(unit: &Unit) -> BTreeMap<WfKey, Refusal> {
    let mut out: BTreeMap<WfKey, Refusal> =
        unit.workflows.iter().filter_map(|(k, w)| Some((*k, own_refusal(w)?))).collect();
    loop {
        let more: Vec<(WfKey, Refusal)> = unit
            .workflows
            .iter()
            .filter(|(k, _)| !out.contains_key(k))
            .filter_map(|(k, w)| {
                let callee = callees(w).find(|c| out.contains_key(c) || !unit.workflows.contains_key(c))?;
                let id = unit.workflows.get(&callee).map_or_else(String::new, |c| c.id.clone());
                Some((*k, Refusal::Callee(id)))
            })
            .collect();
        if more.is_empty() {
            return out;
        }
        out.extend(more);
    }
}

/// Why `w` itself cannot run durably, whatever it calls.
fn own_refusal(w: &WorkflowPlan) -> Option<Refusal> {
    if !restate_service_name(&w.id) {
        return Some(Refusal::ServiceName);
    }
    if streams(w).is_none() {
        return Some(Refusal::StreamOutput);
    }
    let timed_call = w.steps.iter().any(|s| matches!(s.kind, StepKind::Call(_)) && s.timeout.is_some());
    timed_call.then_some(Refusal::CallTimeout)
}

/// The workflows `w` runs: its steps', its actions' and `dependsOn`.
fn callees(w: &WorkflowPlan) -> impl Iterator<Item = WfKey> + '_ {
    let steps = w.steps.iter().filter_map(|s| match &s.kind {
        StepKind::Call(c) => Some(c.key),
        _ => None,
    });
    let actions =
        w.steps.iter().flat_map(|s| s.on_success.iter().chain(&s.on_failure)).filter_map(|a| match &a.act {
            Act::GotoWorkflow(c) | Act::Retry { workflow: Some(c), .. } => Some(c.key),
            _ => None,
        });
    steps.chain(actions).chain(w.depends_on.iter().map(|d| d.key))
}

/// The `durable` module of workflow `w`, whose plain function is `body` with step functions
/// `items`; `None` when `refused` names it (see [`refusals`]). The workflows it runs are called
/// through their own durable modules, in the same Restate invocation.
pub fn module(
    unit: &Unit,
    w: &WorkflowPlan,
    rt: &TokenStream,
    body: &TokenStream,
    items: &TokenStream,
    refused: &BTreeMap<WfKey, Refusal>,
) -> Option<TokenStream> {
    if refused.contains_key(&w.key) {
        return None;
    }
    let streams = streams(w)?;
    let (body, items) = (&durable_calls(body.clone()), &durable_calls(items.clone()));
    let code = quote!(#body #items);
    let mut read = Vec::new();
    method_calls(&code, &mut |name, args| {
        if let (true, [TokenTree::Literal(l)]) = (name == "header", args) {
            read.push(l.to_string().trim_matches('"').to_ascii_lowercase());
        }
    });
    read.sort();
    read.dedup();
    let journal_headers = (!read.is_empty()).then(|| quote!(run.journal_headers(&[#(#read),*]);));

    let id = &w.id;
    let serde_path = format!("{}::__private::serde", rt.to_string().replace(' ', ""));
    let (secrets, kept): (Vec<_>, Vec<_>) = w.inputs.iter().partition(|i| holds_secret(&i.ty));
    let input_fields = kept.iter().map(|i| input_field(unit, &i.field, &i.ty, &i.name, i.doc.as_deref()));
    let secret_fields = secrets.iter().map(|i| {
        let (field, ty) = (&i.field, unit.types.tokens(&i.ty));
        let doc = format!(" `{}`", i.name);
        quote! { #[doc = #doc] pub #field: #ty, }
    });
    let (kept_ids, secret_ids): (Vec<_>, Vec<_>) =
        (kept.iter().map(|i| &i.field).collect(), secrets.iter().map(|i| &i.field).collect());
    let output_fields = w.outputs.iter().map(|o| output_field(unit, &o.field, &o.ty, &o.doc));
    let output_ids: Vec<_> = w.outputs.iter().map(|o| &o.field).collect();
    // A list of secrets is not listed: a streaming request that sends one is refused at run time.
    let listed = |of: TokenStream| {
        secrets.iter().filter_map(move |i| {
            let f = &i.field;
            match &i.ty {
                Ty::Secret => Some(quote!(Some(&#of.#f))),
                Ty::Option(t) if **t == Ty::Secret => Some(quote!(#of.#f.as_ref())),
                _ => None,
            }
        })
    };
    let list = listed(quote!(self));
    let (secret_list, keep_secrets, outputs_into) = if streams.is_empty() {
        let into = quote! {
            impl From<Outputs> for super::Outputs {
                fn from(o: Outputs) -> Self {
                    super::Outputs { #(#output_ids: o.#output_ids,)* }
                }
            }
        };
        (None, None, into)
    } else {
        let list = quote! {
            impl Secrets {
                /// The secrets in field order, as the journaled requests of streams name them.
                fn list(&self) -> Vec<Option<&rt::Secret>> {
                    Vec::from([#(#list),*])
                }
            }
        };
        let fields = w.outputs.iter().map(|o| {
            let f = &o.field;
            match streams.iter().find(|(field, _)| *field == f) {
                Some((_, step)) if matches!(o.ty, Ty::Option(_)) => quote! {
                    #f: match self.#f {
                        Some(results) => Some(results.open(&mut run, #step, &secrets).await?),
                        None => None,
                    },
                },
                Some((_, step)) => quote!(#f: self.#f.open(&mut run, #step, &secrets).await?,),
                None => quote!(#f: self.#f,),
            }
        });
        let open = quote! {
            impl Outputs {
                /// The workflow's outputs, with each stream read now: its step's request is sent
                /// again with `client` and the caller's `secrets` (reading a stream is idempotent).
                pub async fn open(self, client: &Client, secrets: &Secrets) -> Result<super::Outputs, Error> {
                    let mut run = client.run(#id);
                    let secrets = secrets.list();
                    Ok(super::Outputs { #(#fields)* })
                }
            }
        };
        // A called workflow's secrets are its caller's values, in its inputs.
        let keep = match w.called {
            true => {
                let list = listed(quote!(inputs));
                quote!(run.secrets(&[#(#list),*]);)
            }
            false => quote!(run.secrets(&self.secrets.list());),
        };
        (Some(list), Some(keep), open)
    };
    let secrets_used = if secret_ids.is_empty() { quote!(_secrets) } else { quote!(secrets) };
    let allow = (w.shape == Shape::Machine).then(super::machine::allow);
    let (run, run_in) = if w.called {
        let start = quote!(#journal_headers #keep_secrets #body);
        let inputs = if mentions(&start, "inputs") { quote!(inputs) } else { quote!(_inputs) };
        let run = quote! {
            async fn run(&self, ctx: rt::Context, input: Input) -> Result<Outputs, Error> {
                let #secrets_used = self.secrets.clone();
                let inputs = Inputs {
                    #(#kept_ids: input.#kept_ids,)*
                    #(#secret_ids: secrets.#secret_ids,)*
                };
                run_in(rt::Run::new(ctx, self.client.run(#id)), inputs).await
            }
        };
        let run_in = quote! {
            /// Runs the workflow inside `run`, the durable run of a workflow that runs this one:
            /// its steps are journaled in that run's journal and share its step budget.
            #allow
            pub(crate) async fn run_in(mut run: rt::Run, #inputs: Inputs) -> Result<Outputs, Error> {
                #start
            }
        };
        (run, Some(run_in))
    } else {
        let inputs = if mentions(body, "inputs") { quote!(inputs) } else { quote!(_inputs) };
        let run = quote! {
            #allow
            async fn run(&self, ctx: rt::Context, input: Input) -> Result<Outputs, Error> {
                let #secrets_used = self.secrets.clone();
                let #inputs = Inputs {
                    #(#kept_ids: input.#kept_ids,)*
                    #(#secret_ids: secrets.#secret_ids,)*
                };
                let mut run = rt::Run::new(ctx, self.client.run(#id));
                #journal_headers
                #keep_secrets
                #body
            }
        };
        (run, None)
    };
    let complex_in = crate::types::complex_types(kept.iter().map(|i| &i.ty));
    let complex_out = crate::types::complex_types(w.outputs.iter().map(|o| &o.ty));
    let rest = quote!(#complex_in #complex_out #code);
    let uses_types = mentions(&rest, "types").then(|| {
        quote!(
            use super::types;
        )
    });
    Some(quote! {
        /// The workflow as a Restate workflow service: each step's exchange is a journaled
        /// action and each wait a durable timer (see `arazzo_runtime::durable`).
        pub mod durable {
            use #rt::{Client, Error, __private::durable as rt};
            use super::Inputs;
            #uses_types

            /// The journaled input: the workflow's inputs without its secrets.
            #[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]
            #[serde(crate = #serde_path)]
            #complex_in
            pub struct Input { #(#input_fields)* }

            /// The secret inputs, which the worker supplies and the journal never sees.
            #[derive(Debug, Clone, PartialEq)]
            pub struct Secrets { #(#secret_fields)* }

            #secret_list

            impl Inputs {
                /// Splits the inputs into what is journaled and what the worker supplies.
                pub fn split(self) -> (Input, Secrets) {
                    (Input { #(#kept_ids: self.#kept_ids,)* }, Secrets { #(#secret_ids: self.#secret_ids,)* })
                }
            }

            /// Outputs of the workflow: the run's result.
            #[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]
            #[serde(crate = #serde_path)]
            #complex_out
            pub struct Outputs { #(#output_fields)* }

            #outputs_into

            /// The workflow service: serve it with `arazzo_runtime::durable::service`.
            pub struct Workflow {
                client: Client,
                secrets: Secrets,
            }

            impl Workflow {
                /// The service, sending requests with `client` and the worker's `secrets`.
                pub fn new(client: Client, secrets: Secrets) -> Self {
                    Workflow { client, secrets }
                }
            }

            impl rt::Workflow for Workflow {
                const NAME: &'static str = #id;
                type Input = Input;
                type Output = Outputs;

                #run
            }

            #run_in
            #items
        }
    })
}

/// `tokens` with each call of another workflow's `run_in` (`super::place_order::run_in`, or
/// `super::source::place_order::run_in` for a workflow of another document), and each mention
/// of its `Outputs`, made from inside a `durable` module to that workflow's durable ones.
fn durable_calls(tokens: TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out: Vec<TokenTree> = Vec::with_capacity(trees.len());
    let mut i = 0;
    while i < trees.len() {
        if let Some(path) = run_in_path(&trees, i) {
            let colons = || [Punct::new(':', Spacing::Joint), Punct::new(':', Spacing::Alone)];
            // One `super` more: the durable module is inside the workflow's module.
            let mut rewritten: Vec<TokenTree> = Vec::new();
            for _ in 0..2 {
                rewritten.push(Ident::new("super", Span::call_site()).into());
                rewritten.extend(colons().map(TokenTree::from));
            }
            for name in &path[..path.len() - 1] {
                rewritten.push(name.clone().into());
                rewritten.extend(colons().map(TokenTree::from));
            }
            rewritten.push(Ident::new("durable", Span::call_site()).into());
            rewritten.extend(colons().map(TokenTree::from));
            rewritten.extend(path.last().cloned().map(TokenTree::from));
            out.extend(rewritten);
            // `super`, then `:: name` for each name of the path.
            i += 1 + 3 * path.len();
            continue;
        }
        out.push(match &trees[i] {
            TokenTree::Group(g) => {
                let mut inner = Group::new(g.delimiter(), durable_calls(g.stream()));
                inner.set_span(g.span());
                inner.into()
            }
            t => t.clone(),
        });
        i += 1;
    }
    out.into_iter().collect()
}

/// The path `super :: a :: .. :: run_in` (or `.. :: Outputs`) starting at `trees[i]`, as the
/// idents after `super` (`a`, .., `run_in`); `None` when no such path starts there.
fn run_in_path(trees: &[TokenTree], i: usize) -> Option<Vec<Ident>> {
    let is_colon = |j: usize| matches!(trees.get(j), Some(TokenTree::Punct(p)) if p.as_char() == ':');
    match trees.get(i) {
        Some(TokenTree::Ident(id)) if id == "super" && !(i > 0 && is_colon(i - 1)) => {}
        _ => return None,
    }
    let mut path = Vec::new();
    let mut j = i;
    while is_colon(j + 1) && is_colon(j + 2) {
        match trees.get(j + 3) {
            Some(TokenTree::Ident(id)) => path.push(id.clone()),
            _ => return None,
        }
        j += 3;
    }
    let callee_item =
        path.len() >= 2 && path.last().is_some_and(|last| last == "run_in" || last == "Outputs");
    callee_item.then_some(path)
}

/// Calls `f` with the name and argument tokens of each method call (`.name(args)`) in `tokens`.
fn method_calls(tokens: &TokenStream, f: &mut impl FnMut(&str, &[TokenTree])) {
    let tokens: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (i, t) in tokens.iter().enumerate() {
        match t {
            TokenTree::Ident(name) if i > 0 => {
                let after_dot = matches!(&tokens[i - 1], TokenTree::Punct(p) if p.as_char() == '.');
                if let (true, Some(TokenTree::Group(g))) = (after_dot, tokens.get(i + 1))
                    && g.delimiter() == Delimiter::Parenthesis
                {
                    let args: Vec<TokenTree> = g.stream().into_iter().collect();
                    f(&name.to_string(), &args);
                }
            }
            TokenTree::Group(g) => method_calls(&g.stream(), f),
            _ => {}
        }
    }
}

/// Each output that is a stream (JSON Lines items or a binary body's chunks), with the `StepInfo`
/// of the step that reads it; `None` when one does not come straight from a step's request.
fn streams(w: &WorkflowPlan) -> Option<Vec<(&syn::Ident, TokenStream)>> {
    let streams = w.outputs.iter().filter(|o| matches!(o.ty.unwrapped(), Ty::Stream(_)));
    streams
        .map(|o| match &w.steps.get(o.step?)?.kind {
            StepKind::Request(r) => {
                let (step, operation, source) = (&r.step, &r.operation, &r.source);
                Some((&o.field, quote!(rt::StepInfo::new(#step, #operation, #source))))
            }
            _ => None,
        })
        .collect()
}

/// Restate's service name pattern, `^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*$`: a workflowId such
/// as `2fa-login` would make the worker panic when it announces its services.
fn restate_service_name(id: &str) -> bool {
    let ok = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-');
    let mut chars = id.chars();
    let start = match chars.next() {
        Some('_') => chars.next().is_some_and(|c| c.is_ascii_alphanumeric()),
        Some(c) => c.is_ascii_alphabetic(),
        None => false,
    };
    start && chars.all(ok)
}

/// Whether a value of type `ty` holds a `Secret`: such an input goes to `Secrets`, not the journal.
fn holds_secret(ty: &Ty) -> bool {
    match ty {
        Ty::Secret => true,
        Ty::Option(t) | Ty::Array(t) | Ty::Map(t) => holds_secret(t),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{durable_calls, restate_service_name};
    use quote::quote;

    #[test]
    fn calls_of_other_workflows_go_to_their_durable_modules() {
        let plain = quote! {
            let o: &super::place_order::Outputs = &Box::pin(super::place_order::run_in(run.call("s", "p")?, i)).await?;
            super::source::other::run_in(run, i);
            super::types::Pet::default();
            rt::run_in(x);
            super::Outputs::default();
        };
        let durable = quote! {
            let o: &super::super::place_order::durable::Outputs =
                &Box::pin(super::super::place_order::durable::run_in(run.call("s", "p")?, i)).await?;
            super::super::source::other::durable::run_in(run, i);
            super::types::Pet::default();
            rt::run_in(x);
            super::Outputs::default();
        };
        assert_eq!(durable_calls(plain).to_string(), durable.to_string());
    }

    #[test]
    fn service_names_follow_restates_pattern() {
        for ok in ["batch-process", "_a", "a.b_c-1", "A"] {
            assert!(restate_service_name(ok), "{ok}");
        }
        for bad in ["", "2fa-login", "_", "_-x", "a b", "é"] {
            assert!(!restate_service_name(bad), "{bad}");
        }
    }
}
