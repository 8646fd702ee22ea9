//! A workflow's `durable` module (`Settings::durable`): the same workflow function and step
//! functions as the plain module, written against `arazzo_runtime::durable::Run` (journaled
//! exchanges, durable timers) and wrapped in a Restate workflow service.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::quote;

use super::mentions;
use super::workflow::{input_field, output_field};
use crate::plan::{Shape, StepKind, Unit, WorkflowPlan};
use crate::types::Ty;

/// The `durable` module of workflow `w`, whose plain function is `body` with step functions
/// `items`; `None` for a workflow that runs other workflows (their runs would not be journaled),
/// has a stream output that does not come straight from a step's response, streams a binary
/// body (only JSON Lines results are re-read after the run), or whose `workflowId` Restate does
/// not accept as a service name.
pub fn module(
    unit: &Unit,
    w: &WorkflowPlan,
    rt: &TokenStream,
    body: &TokenStream,
    items: &TokenStream,
) -> Option<TokenStream> {
    if !restate_service_name(&w.id) {
        return None;
    }
    let code = quote!(#body #items);
    let mut nested = false;
    method_calls(&code, &mut |name, _| nested |= name == "call");
    if nested {
        return None;
    }
    let streams = streams(w)?;
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
    let list = secrets.iter().filter_map(|i| {
        let f = &i.field;
        match &i.ty {
            Ty::Secret => Some(quote!(Some(&self.#f))),
            Ty::Option(t) if **t == Ty::Secret => Some(quote!(self.#f.as_ref())),
            _ => None,
        }
    });
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
        (Some(list), Some(quote!(run.secrets(&self.secrets.list());)), open)
    };
    let inputs = if mentions(body, "inputs") { quote!(inputs) } else { quote!(_inputs) };
    let secrets_used = if secret_ids.is_empty() { quote!(_secrets) } else { quote!(secrets) };
    let allow = (w.shape == Shape::Machine).then(super::machine::allow);
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
            }

            #items
        }
    })
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

/// Each output that is a JSONL stream, with the `StepInfo` of the step that reads it; `None`
/// when one does not come straight from a step's request.
fn streams(w: &WorkflowPlan) -> Option<Vec<(&syn::Ident, TokenStream)>> {
    let streams = w.outputs.iter().filter(|o| matches!(o.ty.unwrapped(), Ty::Stream(_)));
    streams
        .map(|o| match &w.steps.get(o.step?)?.kind {
            _ if matches!(o.ty.unwrapped(), Ty::Stream(item) if **item == Ty::Bytes) => None,
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
    use super::restate_service_name;

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
