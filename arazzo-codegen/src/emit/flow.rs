//! Straight-line workflow bodies: each step is an `async fn`; the workflow function calls them
//! in order, loops where a step runs again, and returns where the document ends.

use std::collections::{HashMap, HashSet};

use proc_macro2::{TokenStream, TokenTree};
use quote::quote;

use super::workflow::{outputs_value, prologue};
use super::{mentions, step};
use crate::lower::{all_of, free_idents};
use crate::plan::{
    Act, ActionPlan, Body, BodyKind, StepKind, StepPlan, Unit, WorkflowPlan, into_stream, take_stream,
};
use crate::types::Ty;

/// What a step function hands back to the workflow function.
#[derive(Clone, Copy)]
struct Returns {
    response: bool,
    body: bool,
}

/// The body of the workflow function, and the step functions.
pub fn body(unit: &Unit, w: &WorkflowPlan) -> (TokenStream, TokenStream) {
    let prologue = prologue(w);
    let mut statements = Vec::new();
    let mut functions = Vec::new();
    let mut reached_end = true;
    // The first step that never hands on to the next (its loop only repeats or returns).
    let stop = (0..w.steps.len()).find(|&i| {
        let s = &w.steps[i];
        let repeats = s.on_success.iter().any(|a| repeats_step(a, i));
        !Actions { w, i, repeats, kept: &TokenStream::new() }.render(&s.on_success).1
    });
    let later = LastReads::of(w, stop);
    let locals: StepLocals = (w.steps.iter().enumerate())
        .flat_map(|(j, s)| [(s.response.to_string(), (j, false)), (s.name.to_string(), (j, true))])
        .collect();
    for (i, s) in w.steps.iter().enumerate() {
        let (name, response) = (s.name.to_string(), s.response.to_string());
        let kept = pattern(later.after(i, &response), later.after(i, &name), s);
        let repeats = s.on_success.iter().any(|a| repeats_step(a, i));
        let (actions, exits) = Actions { w, i, repeats, kept: &kept }.render(&s.on_success);
        // What runs later reads this step's values only if control gets there.
        let later_reads = |local: &str| exits && later.after(i, local);
        let returns = Returns {
            response: mentions(&actions, &response) || later_reads(&response),
            body: mentions(&actions, &name) || later_reads(&name),
        };
        let (call, function) = step_call(unit, w, &locals, i, returns);
        functions.push(function);
        let mut code = run_step(s, call, returns, repeats, &kept, actions, exits);
        if returns.response && !later.after(i, &response) {
            // Read only by the step's own actions: plain `response` reads better.
            code = rename(code, &response, "response");
        }
        statements.push(code);
        if !exits {
            reached_end = false;
            break;
        }
    }
    let tail = reached_end.then(|| {
        let value = outputs_value(w, None);
        quote!(Ok(#value))
    });
    (quote!(#prologue #(#statements)* #tail), quote!(#(#functions)*))
}

/// Where each variable is read last: the index of the step whose request or actions read it,
/// or past every step for the outputs. Code after `stop`, the step that never hands on, never
/// runs, and the outputs only when every step hands on.
struct LastReads(HashMap<String, usize>);

impl LastReads {
    fn of(w: &WorkflowPlan, stop: Option<usize>) -> Self {
        let mut last = HashMap::new();
        let steps = stop.map_or(w.steps.len(), |s| s + 1);
        for (j, s) in w.steps.iter().enumerate().take(steps) {
            let (request, actions) = (step_tokens(s), actions(w, j));
            let read = quote!(#request #actions);
            free_idents(&read, &mut |id| {
                last.insert(id.to_string(), j);
            });
        }
        if stop.is_none() {
            free_idents(&outputs_value(w, None), &mut |id| {
                last.insert(id.to_string(), usize::MAX);
            });
        }
        LastReads(last)
    }

    /// Whether code that runs after step `i` reads `local`.
    fn after(&self, i: usize, local: &str) -> bool {
        self.0.get(local).is_some_and(|&j| j > i)
    }
}

/// Everything a step function holds.
fn step_tokens(s: &StepPlan) -> TokenStream {
    let criteria = s.criteria.iter().map(|c| &c.tokens);
    match &s.kind {
        StepKind::Request(r) => {
            let (prelude, path, calls) = (&r.prelude, &r.path, &r.calls);
            quote!(#(#prelude)* #path #(#calls)* #(#criteria)*)
        }
        _ => quote!(#(#criteria)*),
    }
}

/// The rendered actions of step `i`, for telling what they read.
fn actions(w: &WorkflowPlan, i: usize) -> TokenStream {
    let s = &w.steps[i];
    let criteria = s.on_success.iter().flat_map(|a| a.criteria.iter());
    let ends = s.on_success.iter().any(|a| matches!(a.act, Act::End)).then(|| outputs_value(w, Some(i)));
    quote!(#(#criteria)* #ends)
}

/// The call of step `i` from the workflow function, and the step's function.
/// The step each local of a step belongs to: (step, whether it is the body, not the response).
type StepLocals = HashMap<String, (usize, bool)>;

fn step_call(
    unit: &Unit,
    w: &WorkflowPlan,
    locals: &StepLocals,
    i: usize,
    returns: Returns,
) -> (TokenStream, TokenStream) {
    let s = &w.steps[i];
    let StepKind::Request(r) = &s.kind else { return (quote!(), quote!()) };
    let types = &unit.types;
    let mut used = HashSet::new();
    free_idents(&step_tokens(s), &mut |id| {
        used.insert(id.to_string());
    });
    // Parameters: the inputs and the values of earlier steps that the request reads.
    let mut params = vec![quote!(run: &mut rt::Run)];
    let mut args = vec![quote!(&mut run)];
    if used.contains("inputs") {
        params.push(quote!(inputs: &Inputs));
        args.push(quote!(&inputs));
    }
    for d in w.depends_on.iter().filter(|d| used.contains(&d.local.to_string())) {
        let (local, ty) = (&d.local, &d.outputs);
        params.push(quote!(#local: &#ty));
        args.push(quote!(&#local));
    }
    // Earlier steps' locals it reads, in step order, each step's response before its body.
    let mut reads: Vec<(usize, bool)> =
        used.iter().filter_map(|id| locals.get(id.as_str())).copied().filter(|(j, _)| *j < i).collect();
    reads.sort_unstable();
    for (j, body) in reads {
        let earlier = &w.steps[j];
        if body {
            let (n, ty) = (&earlier.name, body_type(unit, earlier));
            params.push(quote!(#n: &#ty));
            args.push(quote!(&#n));
        } else {
            let r = &earlier.response;
            params.push(quote!(#r: &rt::Response));
            args.push(quote!(&#r));
        }
    }
    let decode = returns.body || step::criteria_read_body(&s.criteria);
    let body = if decode { step::body(s, types, false) } else { TokenStream::new() };
    let send = step::send(s, r, returns.response);
    let checks = step::checks(&s.criteria);
    let json_body = decode && matches!(s.body, Body::Decoded { kind: BodyKind::Json, .. });
    let (ret_ty, ret) = returned(unit, s, returns);
    // The criteria, then what the step hands back: `check_body` gives the decoded body.
    let tail = match (json_body, returns.body, returns.response) {
        (true, true, false) => quote!(run.check_body(&response, #checks, body)),
        (true, true, true) => quote! {
            let body = run.check_body(&response, #checks, body)?;
            #ret
        },
        (true, false, _) => quote! {
            run.check_body(&response, #checks, body)?;
            #ret
        },
        (false, false, false) => quote!(run.check(&response, #checks)),
        (false, _, _) => quote! {
            run.check(&response, #checks)?;
            #ret
        },
    };
    let name = &s.name;
    let doc = crate::docs::doc_attr(Some(&s.doc()));
    let many = (params.len() > 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let function = quote! {
        #doc
        #many
        async fn #name(#(#params),*) -> Result<#ret_ty, Error> {
            #send
            #body
            #tail
        }
    };
    (quote!(#name(#(#args),*).await?), function)
}

/// The type of the body a step function returns.
fn body_type(unit: &Unit, s: &StepPlan) -> TokenStream {
    match &s.body {
        Body::Decoded { ty, .. } => unit.types.tokens(ty),
        Body::Stream(ty) => unit.types.tokens(&Ty::Stream(Box::new(ty.clone()))),
        Body::Unread => quote!(()),
    }
}

/// The return type and the `Ok(..)` of a step function (its body checked already).
fn returned(unit: &Unit, s: &StepPlan, returns: Returns) -> (TokenStream, TokenStream) {
    let ty = body_type(unit, s);
    let body = match &s.body {
        Body::Stream(ty) if returns.response => {
            let take = take_stream(ty);
            quote!(response.#take())
        }
        Body::Stream(ty) => {
            let into = into_stream(ty);
            quote!(response.#into())
        }
        _ => quote!(body),
    };
    match (returns.response, returns.body) {
        (true, true) => (quote!((rt::Response, #ty)), quote!(Ok((response, #body)))),
        (true, false) => (quote!(rt::Response), quote!(Ok(response))),
        (false, true) => (ty, quote!(Ok(#body))),
        (false, false) => (quote!(()), quote!(Ok(()))),
    }
}

/// Whether action `a` of step `i` runs the step again.
fn repeats_step(a: &ActionPlan, i: usize) -> bool {
    matches!(a.act, Act::Retry { .. }) || matches!(a.act, Act::Goto(t, _) if t == i)
}

/// `(response, body)`, `response`, `body` or nothing: the locals of a step that are read.
fn pattern(response: bool, body: bool, s: &StepPlan) -> TokenStream {
    let (name, resp) = (&s.name, &s.response);
    match (response, body) {
        (true, true) => quote!((#resp, #name)),
        (true, false) => quote!(#resp),
        (false, true) => quote!(#name),
        (false, false) => TokenStream::new(),
    }
}

/// The statements that run a step and its actions: a `loop` when the step can run again.
fn run_step(
    s: &StepPlan,
    call: TokenStream,
    returns: Returns,
    repeats: bool,
    kept: &TokenStream,
    actions: TokenStream,
    exits: bool,
) -> TokenStream {
    let pattern = pattern(returns.response, returns.body, s);
    let first = if pattern.is_empty() { quote!(#call;) } else { quote!(let #pattern = #call;) };
    if !repeats {
        return quote!(#first #actions);
    }
    let counters = counters(&s.on_success);
    let body = quote! { loop { #first #actions } };
    match (exits, kept.is_empty()) {
        (false, _) => quote!(#counters #body),
        (true, true) => quote!(#counters #body;),
        (true, false) => quote!(#counters let #kept = #body;),
    }
}

/// `let mut retries_x = 0;` for each retry action that counts.
fn counters(list: &[ActionPlan]) -> TokenStream {
    let c = list.iter().filter_map(|a| match &a.act {
        Act::Retry { counter: Some(c), .. } => Some(quote!(let mut #c = 0;)),
        _ => None,
    });
    quote!(#(#c)*)
}

/// Renders a step's success actions (first match wins) for straight-line code.
struct Actions<'a> {
    w: &'a WorkflowPlan,
    i: usize,
    /// The actions run inside a `loop` (a retry or a goto to the step itself).
    repeats: bool,
    /// What leaving the step hands on (`break value`).
    kept: &'a TokenStream,
}

impl Actions<'_> {
    /// The statements, and whether control can leave them towards the next step.
    fn render(&self, list: &[ActionPlan]) -> (TokenStream, bool) {
        let s = &self.w.steps[self.i];
        let (response, step_id) = (&s.response, &s.id);
        let mut out = Vec::new();
        // Retries that may be used up: (flag, action); no flag for one without criteria.
        let mut due: Vec<(Option<&syn::Ident>, &ActionPlan)> = Vec::new();
        let mut leaves = false;
        // Statements at the end that leave for the next step, as the default does.
        let mut trailing_leaves = 0;
        // Leaving for the next step before the last action needs a way out of the rest.
        let labelled = !self.repeats && list.iter().rev().skip(1).any(|a| self.is_next(a));
        for a in list {
            let cond = &a.criteria;
            let all = all_of(cond);
            let when = |body: TokenStream| if cond.is_empty() { body } else { quote!(if #all { #body }) };
            if self.is_next(a) {
                leaves = true;
                if self.repeats || labelled {
                    let leave = if self.repeats { self.leave() } else { quote!(break 'actions;) };
                    out.push(when(leave));
                    trailing_leaves += 1;
                }
            } else {
                trailing_leaves = 0;
                match &a.act {
                    Act::Goto(_, target) => out.push(when(quote! {
                        run.reenter(#target).await?;
                        continue;
                    })),
                    Act::End => {
                        let value = outputs_value(self.w, Some(self.i));
                        out.push(when(quote!(return Ok(#value);)));
                    }
                    Act::GotoWorkflow(wf) => {
                        let call = &wf.call;
                        let value = outputs_value(self.w, Some(self.i));
                        out.push(when(quote! {
                            #call?;
                            return Ok(#value);
                        }));
                    }
                    Act::Retry { limit, after, counter, due: flag, workflow } => {
                        if let Some(f) = flag {
                            out.push(quote!(let #f = #all;));
                        }
                        due.push((flag.as_ref(), a));
                        // `retryLimit: 0` never retries.
                        if let Some(counter) = counter {
                            let name = &a.name;
                            let first = workflow.as_ref().map(|wf| {
                                let call = &wf.call;
                                quote!(#call?;)
                            });
                            let (limit, after) =
                                (unsuffixed(*limit), proc_macro2::Literal::f64_unsuffixed(*after));
                            let test = match flag {
                                Some(f) => quote!(#f && #counter < #limit),
                                None => quote!(#counter < #limit),
                            };
                            out.push(quote! {
                                if #test {
                                    #counter += 1;
                                    #first
                                    run.retry_after(&#response, #step_id, #name, #after).await;
                                    continue;
                                }
                            });
                        }
                        continue;
                    }
                }
            }
            if cond.is_empty() {
                // An action without criteria always runs: nothing after it does.
                return (self.wrap(quote!(#(#out)*), labelled), leaves);
            }
        }
        if due.is_empty() {
            out.truncate(out.len() - trailing_leaves);
        }
        // Retries whose limit is used up and that no later action caught: the last one wins.
        for (flag, a) in due.iter().rev() {
            let Act::Retry { limit, .. } = a.act else { continue };
            let (name, limit) = (&a.name, unsuffixed(limit));
            let error = quote!(return Err(run.retry_limit_reached(&#response, #name, #limit)););
            match flag {
                Some(f) => out.push(quote!(if #f { #error })),
                None => {
                    out.push(error);
                    return (self.wrap(quote!(#(#out)*), labelled), leaves);
                }
            }
        }
        if self.repeats {
            out.push(self.leave());
        }
        (self.wrap(quote!(#(#out)*), labelled), true)
    }

    /// Whether action `a` leaves for the next step: a goto to it, or `end` on the last step.
    fn is_next(&self, a: &ActionPlan) -> bool {
        match a.act {
            Act::Goto(t, _) => t != self.i,
            Act::End => self.i + 1 == self.w.steps.len(),
            _ => false,
        }
    }

    /// `break value` out of the step's loop.
    fn leave(&self) -> TokenStream {
        let kept = self.kept;
        if kept.is_empty() { quote!(break;) } else { quote!(break #kept;) }
    }

    /// The statements in a block labelled `'actions` when something breaks out of it.
    fn wrap(&self, body: TokenStream, labelled: bool) -> TokenStream {
        if labelled && mentions(&body, "actions") { quote!('actions: { #body }) } else { body }
    }
}

/// `tokens` with every identifier `from` renamed to `to`.
fn rename(tokens: TokenStream, from: &str, to: &str) -> TokenStream {
    tokens
        .into_iter()
        .map(|t| match t {
            TokenTree::Ident(i) if i == from => TokenTree::Ident(proc_macro2::Ident::new(to, i.span())),
            TokenTree::Group(g) => {
                let mut group = proc_macro2::Group::new(g.delimiter(), rename(g.stream(), from, to));
                group.set_span(g.span());
                TokenTree::Group(group)
            }
            other => other,
        })
        .collect()
}

fn unsuffixed(n: u32) -> proc_macro2::Literal {
    proc_macro2::Literal::u32_unsuffixed(n)
}
