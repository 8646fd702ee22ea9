//! A workflow's module: `Inputs`, `Outputs`, the workflow function and its steps.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::{durable, flow, machine, mentions};
use crate::calls::WfKey;
use crate::docs::doc_attr;
use crate::graph::{self, Format};
use crate::plan::{Shape, Unit, WorkflowPlan};
use crate::types::Ty;

/// The module of workflow `w` (with its `durable` module when asked for), and a `pub use` of its
/// function.
pub fn module(
    unit: &Unit,
    w: &WorkflowPlan,
    rt: &TokenStream,
    durable: Option<&BTreeMap<WfKey, durable::Refusal>>,
) -> TokenStream {
    let m = &w.module;
    let doc = doc_attr(Some(w.about.as_str()).filter(|s| !s.is_empty()));
    let diagram = diagram(unit, w);
    let inputs = inputs(unit, w, rt);
    let outputs = outputs(unit, w);
    let (body, items) = match w.shape {
        Shape::Flow => flow::body(unit, w),
        Shape::Machine => machine::body(unit, w),
    };
    let durable = durable.and_then(|refused| durable::module(unit, w, rt, &body, &items, refused));
    let functions = entry(w, &quote!(#doc #(#[doc = #diagram])*), body);
    let rest = quote!(#inputs #outputs #functions #items);
    let uses_types = mentions(&rest, "types").then(|| {
        quote!(
            use super::types;
        )
    });
    quote! {
        #doc
        #[allow(clippy::module_inception)]
        pub mod #m {
            use #rt::{Client, Error, __private as rt};
            #uses_types

            #rest
            #durable
        }
        pub use #m::#m;
    }
}

/// The doc lines of the workflow's flow: a Mermaid block (not through `doc_attr`, which turns
/// fenced blocks into `text`; the graph escapes what would end the block).
fn diagram(unit: &Unit, w: &WorkflowPlan) -> Vec<String> {
    let chart = graph::draw(unit, &[w.key], Format::Mermaid);
    let mut lines = Vec::new();
    if !w.about.is_empty() {
        lines.push(String::new());
    }
    lines.push(" The workflow's flow, as a [Mermaid](https://mermaid.js.org) flowchart:".to_string());
    lines.extend([String::new(), " ```mermaid".to_string()]);
    lines.extend(chart.lines().map(|l| format!(" {l}")));
    lines.push(" ```".to_string());
    lines
}

/// The workflow's function; a workflow that others run also gets `run_in`, which joins the
/// caller's run so that they share its step budget.
fn entry(w: &WorkflowPlan, doc: &TokenStream, body: TokenStream) -> TokenStream {
    let (f, id) = (&w.module, &w.id);
    let allow = (w.shape == Shape::Machine).then(machine::allow);
    let inputs = if mentions(&body, "inputs") { quote!(inputs) } else { quote!(_inputs) };
    if w.called {
        quote! {
            #doc
            pub async fn #f(client: &Client, inputs: Inputs) -> Result<Outputs, Error> {
                run_in(client.run(#id), inputs).await
            }

            /// Runs the workflow inside `run`, the run of a workflow that runs this one: they
            /// share its step budget.
            #allow
            pub(crate) async fn run_in(mut run: rt::Run, #inputs: Inputs) -> Result<Outputs, Error> {
                #body
            }
        }
    } else {
        quote! {
            #doc
            #allow
            pub async fn #f(client: &Client, #inputs: Inputs) -> Result<Outputs, Error> {
                let mut run = client.run(#id);
                #body
            }
        }
    }
}

fn inputs(unit: &Unit, w: &WorkflowPlan, rt: &TokenStream) -> TokenStream {
    let types = &unit.types;
    let serde_path = format!("{}::__private::serde", rt.to_string().replace(' ', ""));
    let fields = w.inputs.iter().map(|i| input_field(unit, &i.field, &i.ty, &i.name, i.doc.as_deref()));
    let accessors = w.inputs.iter().filter_map(|i| {
        let d = i.default.as_ref()?;
        let (id, body) = (&i.field, &d.body);
        let ret = if d.ret.is_empty() { types.tokens(i.ty.unwrapped()) } else { d.ret.clone() };
        let doc = format!(" `{}`, or its default `{}`.", i.name, d.text);
        Some(quote! {
            #[doc = #doc]
            pub fn #id(&self) -> #ret { #body }
        })
    });
    let accessors: Vec<TokenStream> = accessors.collect();
    let accessors = (!accessors.is_empty()).then(|| quote!(impl Inputs { #(#accessors)* }));
    let complex = crate::types::complex_types(w.inputs.iter().map(|i| &i.ty));
    quote! {
        /// Inputs of the workflow.
        #[derive(Debug, Clone, PartialEq, rt::serde::Serialize, rt::serde::Deserialize)]
        #[serde(crate = #serde_path)]
        #complex
        pub struct Inputs { #(#fields)* }

        #accessors
    }
}

/// The field `id` of `Inputs` that holds input `name`, with its serde attributes.
pub fn input_field(unit: &Unit, id: &syn::Ident, ty: &Ty, name: &str, doc: Option<&str>) -> TokenStream {
    let t = unit.types.tokens(ty);
    let doc = doc_attr(doc);
    let rename = (id.to_string().trim_start_matches("r#") != name).then(|| quote!(#[serde(rename = #name)]));
    let skip = matches!(ty, Ty::Option(_))
        .then(|| quote!(#[serde(default, skip_serializing_if = "Option::is_none")]));
    quote! { #doc #rename #skip pub #id: #t, }
}

/// The field `id` of `Outputs`, documented by the expression `source` it returns.
pub fn output_field(unit: &Unit, id: &syn::Ident, ty: &Ty, source: &str) -> TokenStream {
    let t = unit.types.tokens(ty);
    let doc = format!(" `{source}`");
    quote! { #[doc = #doc] pub #id: #t, }
}

fn outputs(unit: &Unit, w: &WorkflowPlan) -> TokenStream {
    let fields = w.outputs.iter().map(|o| output_field(unit, &o.field, &o.ty, &o.doc));
    let streams = w.outputs.iter().any(|o| matches!(o.ty.unwrapped(), Ty::Stream(_)));
    let derive = if streams { quote!(#[derive(Debug)]) } else { quote!(#[derive(Debug, Clone, PartialEq)]) };
    let complex = crate::types::complex_types(w.outputs.iter().map(|o| &o.ty));
    quote! {
        /// Outputs of the workflow.
        #derive
        #complex
        pub struct Outputs { #(#fields)* }
    }
}

/// The statements every body starts with: default base URLs, redactions, `dependsOn` runs.
pub fn prologue(w: &WorkflowPlan) -> TokenStream {
    let servers = w.servers.iter().map(|(n, u)| quote!(run.default_base_url(#n, #u);));
    let redactions = w.redactions.iter().map(|t| quote!(run.redact(#t);));
    // A dependency completed earlier in this run (by another workflow depending on it) is not
    // run again: its outputs are shared.
    let depends_on = w.depends_on.iter().map(|d| {
        let (local, call, id) = (&d.local, &d.call, &d.id);
        if d.once {
            quote! {
                let #local = match run.completed(#id) {
                    Some(outputs) => outputs,
                    None => {
                        let outputs = #call?;
                        run.complete(#id, outputs)
                    }
                };
            }
        } else {
            quote!(let #local = #call?;)
        }
    });
    quote!(#(#servers)* #(#redactions)* #(#depends_on)*)
}

/// `Outputs { .. }` where the workflow returns after step `last` (`None`: all steps ran).
pub fn outputs_value(w: &WorkflowPlan, last: Option<usize>) -> TokenStream {
    let fields = w.outputs.iter().map(|o| {
        let ran = match (o.step, last) {
            (Some(s), Some(last)) => s <= last,
            _ => true,
        };
        let (id, value) = (&o.field, o.tokens(ran));
        if *id == value.to_string() { quote!(#id,) } else { quote!(#id: #value,) }
    });
    quote!(Outputs { #(#fields)* })
}
