//! State-machine workflow bodies: `loop { match step { .. } }`, for goto graphs that jump back,
//! workflow calls and failure actions. Step outputs are `Option` locals set after every attempt.

use proc_macro2::TokenStream;
use quote::quote;

use super::workflow::{outputs_value, prologue};
use super::{mentions, step};
use crate::docs::doc_attr;
use crate::lower::all_of;
use crate::plan::{Act, ActionPlan, Body, StepKind, StepPlan, Unit, WorkflowPlan};

/// The lints a state machine trips by construction: arms that always jump, locals some paths
/// never read, counters of retries that cannot repeat.
pub fn allow() -> TokenStream {
    quote!(#[allow(
        clippy::too_many_lines,
        clippy::needless_continue,
        clippy::never_loop,
        clippy::regex_creation_in_loops,
        unused_mut,
        unused_variables,
        unreachable_code,
        unused_assignments
    )])
}

/// The body of the workflow function, and the `Step` enum.
pub fn body(unit: &Unit, w: &WorkflowPlan) -> (TokenStream, TokenStream) {
    let prologue = prologue(w);
    let locals = w.output_locals.iter().map(|(local, ty)| {
        let t = unit.types.tokens(ty);
        quote!(let mut #local: Option<#t> = None;)
    });
    let counters = w.counters.iter().map(|c| quote!(let mut #c: u32 = 0;));
    let arms = w.steps.iter().enumerate().map(|(i, s)| {
        let v = &w.variants[i];
        let body = arm(unit, w, i, s);
        quote!(Step::#v => { #body })
    });
    let first = match w.variants.first() {
        Some(v) => quote!(Step::#v),
        None => quote!(return Err(run.invalid_input("the workflow has no steps".into()))),
    };
    let outputs = outputs_value(w, None);
    let body = quote! {
        #prologue
        #(#locals)*
        #(#counters)*
        let mut step = #first;
        loop {
            match step {
                #(#arms)*
            }
        }
        Ok(#outputs)
    };
    let variants = w.steps.iter().zip(&w.variants).map(|(s, v)| {
        let doc = doc_attr(Some(&s.doc()));
        quote!(#doc #v)
    });
    let items = quote! {
        /// The steps of the workflow.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(clippy::enum_variant_names, dead_code)] // A step after an unconditional `end` is never entered.
        enum Step { #(#variants,)* }
    };
    (body, items)
}

fn arm(unit: &Unit, w: &WorkflowPlan, i: usize, s: &StepPlan) -> TokenStream {
    let request = match &s.kind {
        StepKind::Request(r) => r,
        StepKind::Call(wf) => return call_arm(w, i, s, &wf.call),
        StepKind::Unresolved => return quote!(return Err(run.invalid_input("step not generated".into()));),
    };
    let send = step::send_or(s, request, true, on_timeout(w, i, s));
    let failed = step::failed(&s.criteria);
    let outputs = &s.output_updates;
    let reads = |list: &[ActionPlan]| list.iter().flat_map(|a| &a.criteria).any(|t| mentions(t, "body"));
    let declared = matches!(s.body, Body::Decoded { .. })
        && (step::criteria_read_body(&s.criteria)
            || outputs.iter().any(|t| mentions(t, "body"))
            || reads(&s.on_success)
            || reads(&s.on_failure));
    let success = render(w, i, s, &s.on_success, true, declared);
    let failure = render(w, i, s, &s.on_failure, false, declared);
    let body = if declared { step::body(s, &unit.types, true) } else { TokenStream::new() };
    // On success, a 2xx body that does not fit its schema is an error of its own.
    let decoded = match (declared, reads(&s.on_success)) {
        (true, true) => quote!(let body = body?;),
        (true, false) => quote!(body?;),
        _ => TokenStream::new(),
    };
    quote! {
        #send
        #body
        #failed
        #(#outputs)*
        if failed.is_empty() {
            #decoded
            #success
        } else {
            #failure
        }
    }
}

/// What a step does when its `timeout` runs out: it failed without a response, so the first
/// failure action whose criteria do not read one runs (1.1.0, "Evaluation Errors": a condition
/// that cannot be evaluated fails); a `retry` is passed over, since the timeout covers the
/// step's retries. None: the workflow fails with the timeout. `None` when the step has no
/// timeout or no action could run.
fn on_timeout(w: &WorkflowPlan, i: usize, s: &StepPlan) -> Option<TokenStream> {
    s.timeout?;
    let needs_response = |t: &TokenStream| ["response", "body", "failed"].iter().any(|n| mentions(t, n));
    let mut blocks = Vec::new();
    for a in s.on_failure.iter().filter(|a| !a.criteria.iter().any(needs_response)) {
        let body = match &a.act {
            Act::End => quote!(break;),
            Act::Goto(t, target) => {
                let v = &w.variants[*t];
                let reenter = (*t <= i).then(|| quote!(run.reenter(#target).await?;));
                quote! { #reenter step = Step::#v; continue; }
            }
            Act::GotoWorkflow(wf) => {
                let call = &wf.call;
                quote! { #call?; break; }
            }
            Act::Retry { .. } => continue,
        };
        if a.criteria.is_empty() {
            blocks.push(body);
            return Some(quote!(#(#blocks)*));
        }
        let all = all_of(&a.criteria);
        blocks.push(quote!(if #all { #body }));
    }
    (!blocks.is_empty()).then(|| quote! { #(#blocks)* return Err(e); })
}

/// A step that runs another workflow: it fails when the workflow fails or a criterion does not
/// hold.
fn call_arm(w: &WorkflowPlan, i: usize, s: &StepPlan, call: &TokenStream) -> TokenStream {
    let failed = if s.criteria.is_empty() {
        quote!(let failed: Vec<&'static str> = Vec::new();)
    } else {
        let checks = s.criteria.iter().map(|c| {
            let (t, text) = (&c.tokens, &c.text);
            quote!((#t, #text))
        });
        quote!(let failed = if outputs.is_some() { rt::unmet(&[#(#checks),*]) } else { Vec::new() };)
    };
    let outputs = &s.output_updates;
    let success = render(w, i, s, &s.on_success, true, false);
    let failure = render(w, i, s, &s.on_failure, false, false);
    quote! {
        let result = #call;
        let outputs = result.as_ref().ok();
        #failed
        #(#outputs)*
        if outputs.is_some() && failed.is_empty() {
            #success
        } else {
            #failure
        }
    }
}

/// An action list: the first whose criteria hold runs; none: the default (next step, or the
/// step's error).
fn render(
    w: &WorkflowPlan,
    i: usize,
    s: &StepPlan,
    list: &[ActionPlan],
    success: bool,
    body: bool,
) -> TokenStream {
    let step_id = &s.id;
    let calls_workflow = matches!(s.kind, StepKind::Call(_));
    let unconditional = list.last().is_some_and(ActionPlan::always);
    let mut has_retry = false;
    let blocks: Vec<TokenStream> = list
        .iter()
        .map(|a| {
            let conds = &a.criteria;
            let name = &a.name;
            let body = match &a.act {
                Act::End => quote!(break;),
                Act::Goto(t, target) => {
                    let v = &w.variants[*t];
                    let reenter = (*t <= i).then(|| quote!(run.reenter(#target).await?;));
                    quote! { #reenter step = Step::#v; continue; }
                }
                Act::GotoWorkflow(wf) => {
                    let call = &wf.call;
                    quote! { #call?; break; }
                }
                Act::Retry { limit, after, counter, workflow, .. } => {
                    has_retry = true;
                    let give_up = (!unconditional).then(|| quote!(exhausted = Some((#name, #limit));));
                    let Some(c) = counter else {
                        // `retryLimit: 0`: the step is never retried.
                        return match (give_up, conds.is_empty()) {
                            (None, _) => TokenStream::new(),
                            (Some(g), true) => g,
                            (Some(g), false) => {
                                let all = all_of(conds);
                                quote!(if #all { #g })
                            }
                        };
                    };
                    let first = workflow.as_ref().map(|wf| {
                        let call = &wf.call;
                        quote!(#call?;)
                    });
                    let wait = if calls_workflow {
                        quote!(run.retry_call(#step_id, #name, #after).await;)
                    } else {
                        quote!(run.retry_after(&response, #step_id, #name, #after).await;)
                    };
                    let retry = quote! { #c += 1; #first #wait continue; };
                    if give_up.is_none() {
                        let below = quote!(#c < #limit);
                        let all = all_of(conds.iter().chain([&below]));
                        return quote!(if #all { #retry });
                    }
                    quote! { if #c < #limit { #retry } #give_up }
                }
            };
            if conds.is_empty() {
                quote!({ #body })
            } else {
                let all = all_of(conds);
                quote!(if #all { #body })
            }
        })
        .collect();
    if unconditional {
        return quote!(#(#blocks)*);
    }
    let exhausted_decl = has_retry.then(|| quote!(let mut exhausted: Option<(&'static str, u32)> = None;));
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
        match w.variants.get(i + 1) {
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
