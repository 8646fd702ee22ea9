//! Emission: the planned workflows arranged into Rust items. Nothing here checks or reports;
//! the plan has decided everything.

mod durable;
mod flow;
mod machine;
mod step;
mod workflow;

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) use crate::lower::mentions;
use crate::plan::{DocPlan, Unit};

/// The workflows without a durable module.
type Refused = std::collections::BTreeMap<crate::calls::WfKey, durable::Refusal>;

/// The items of a generated file: the `types` module, then the root document's workflows and
/// the modules of the documents whose workflows they run. `rt` names the runtime crate; with
/// `durable`, each workflow that can run durably also gets its `durable` module, and the
/// workflows (by `workflowId`) that get none come back with the reason.
pub fn document(unit: &Unit, rt: &TokenStream, durable: bool) -> (TokenStream, Vec<(String, String)>) {
    let types = unit.types.module();
    let refused = durable.then(|| durable::refusals(unit));
    let body = doc(unit, &unit.root, rt, refused.as_ref());
    let not_durable = refused.iter().flatten();
    let not_durable =
        not_durable.map(|(key, why)| (unit.workflows[key].id.clone(), why.to_string())).collect();
    (quote! { #types #body }, not_durable)
}

fn doc(unit: &Unit, d: &DocPlan, rt: &TokenStream, durable: Option<&Refused>) -> TokenStream {
    let workflows = d.workflows.iter().map(|key| workflow::module(unit, &unit.workflows[key], rt, durable));
    let nested = d.nested.iter().map(|(m, name, items)| {
        let about = format!(" Workflows of the Arazzo source description `{name}`.");
        let inner = doc(unit, items, rt, durable);
        let uses_types = mentions(&inner, "types").then(|| {
            quote!(
                use super::types;
            )
        });
        quote! {
            #[doc = #about]
            pub mod #m {
                #uses_types
                #inner
            }
        }
    });
    quote!(#(#workflows)* #(#nested)*)
}
