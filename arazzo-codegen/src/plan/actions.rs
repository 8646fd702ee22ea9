//! Criteria and action lists of a step: lowered once, in the scope where they are evaluated.

use proc_macro2::TokenStream;
use quote::quote;

use super::step::{MediaKind, StepPlanner, media_kind, resolve_parameter};
use super::workflow::call_tokens;
use super::{Act, ActionPlan, Check, WorkflowCall, report};
use crate::calls;
use crate::diag::Diagnostics;
use crate::expr;
use crate::lower::{DeclaredBody, Scope};
use crate::model::*;
use crate::openapi::{self, Operation};
use crate::report::{Reporter, child};
use crate::types::{Ty, ident};
use crate::validate::inline_action;

impl StepPlanner<'_> {
    /// Whether a failure action that may run after step `s` reads `$response.body` (in a
    /// criterion or a parameter): then the response schemas of every status are typed.
    pub(super) fn failure_reads_body(&self, s: &Step) -> bool {
        let components = &self.doc.components;
        let reads = |text: &str| text.contains("$response.body");
        s.on_failure.iter().chain(&self.w.failure_actions).filter_map(|a| inline_action(a, components)).any(
            |a| {
                a.criteria.iter().any(|c| reads(&c.condition) || c.context.as_deref().is_some_and(reads))
                    || a.parameters
                        .iter()
                        .filter_map(|p| resolve_parameter(p, components))
                        .any(|p| reads(&p.value.to_string()))
            },
        )
    }

    /// The JSON body schemas `op` declares for any status, those of the same type together.
    pub(super) fn declared_bodies(&mut self, s: &Step, op: &Operation) -> Vec<DeclaredBody> {
        let op_name = op.id.as_deref().unwrap_or(&s.id);
        let mut declared: Vec<DeclaredBody> = Vec::new();
        for (status, media) in openapi::responses(self.loaded, op) {
            let json = media.iter().find(|m| media_kind(self.loaded, m) == MediaKind::Json);
            let Some(json) = json else { continue }; // No JSON body to point into.
            // A success response is named as the step's body type is (see `body`).
            let hint = if status.starts_with('2') {
                format!("{op_name} response")
            } else {
                format!("{op_name} {status} response")
            };
            let ty = match &json.schema {
                Some((f, p)) => self.types.schema(self.loaded, *f, p, &hint),
                None => Ty::Json,
            };
            match declared.iter_mut().find(|d| d.ty == ty) {
                Some(d) => d.statuses.push(status),
                None => declared.push(DeclaredBody { statuses: vec![status], ty }),
            }
        }
        declared
    }

    /// The success criteria of a step.
    pub(super) fn checks(&self, s: &Step, scope: &Scope, r: &mut Reporter) -> Vec<Check> {
        s.success_criteria
            .iter()
            .map(|c| Check { tokens: criterion(c, scope, r), text: c.condition.clone() })
            .collect()
    }

    /// A step's `onSuccess` or `onFailure` list, then the workflow's actions that fit the step
    /// and that it does not override by name; nothing after an action that always runs.
    pub(super) fn actions(
        &self,
        s: &Step,
        success: bool,
        scope: &Scope,
        r: &mut Reporter,
    ) -> Vec<ActionPlan> {
        let components = &self.doc.components;
        let (own, workflow) = if success {
            (&s.on_success, &self.w.success_actions)
        } else {
            (&s.on_failure, &self.w.failure_actions)
        };
        let mut list: Vec<(&Action, Vec<TokenStream>)> = own
            .iter()
            .filter_map(|a| inline_action(a, components))
            .map(|a| (a, a.criteria.iter().map(|c| criterion(c, scope, r)).collect()))
            .collect();
        let own_names: Vec<String> = list.iter().map(|(a, _)| a.name.clone()).collect();
        for a in workflow
            .iter()
            .filter_map(|a| inline_action(a, components))
            .filter(|a| !own_names.contains(&a.name))
        {
            let mut found = Diagnostics::default();
            let mut scratch = Reporter { file: r.file, tree: r.tree, diags: &mut found };
            let conds = a.criteria.iter().map(|c| criterion(c, scope, &mut scratch)).collect();
            if found.has_errors() {
                // Criteria that cannot hold for this step (a field its response does not have,
                // the `$statusCode` of a step that runs a workflow) leave the action out here;
                // they are reported only if they fit no step at all.
                self.workflow_actions.borrow_mut().entry(a.ptr.clone()).or_insert(Some(found));
                continue;
            }
            self.workflow_actions.borrow_mut().insert(a.ptr.clone(), None);
            r.diags.extend(found);
            list.push((a, conds));
        }
        if let Some(i) = list.iter().position(|(a, _)| a.criteria.is_empty() && a.kind != ActionKind::Retry) {
            list.truncate(i + 1);
        }
        list.into_iter().map(|(a, criteria)| self.action(s, a, criteria, scope, r)).collect()
    }

    fn action(
        &self,
        s: &Step,
        a: &Action,
        criteria: Vec<TokenStream>,
        scope: &Scope,
        r: &mut Reporter,
    ) -> ActionPlan {
        let callee = |id: &str| calls::callee(self.loaded, self.doc_idx, id);
        // 1.1: the action's `parameters` are the workflow's inputs; without them, this
        // workflow's inputs are passed by name.
        let inputs = if a.parameters.is_empty() {
            quote!(&inputs)
        } else {
            let rt = self.rt;
            let args =
                a.parameters.iter().filter_map(|p| resolve_parameter(p, &self.doc.components)).map(|p| {
                    let v = self.json_tokens(&p.value, &child(&p.ptr, "value"), scope, None, r);
                    let name = &p.name;
                    quote!(#name: #v)
                });
            let args: Vec<TokenStream> = args.collect();
            quote!(&#rt::serde_json::json!({ #(#args),* }))
        };
        let run_workflow = |wf: &str| {
            callee(wf).map(|c| WorkflowCall {
                name: wf.to_string(),
                key: c.key,
                call: call_tokens(&c, &s.id, inputs.clone()),
            })
        };
        let act = match a.kind {
            ActionKind::End => Act::End,
            ActionKind::Goto => match (&a.step_id, &a.workflow_id) {
                (Some((_, target)), _) => match self.w.steps.iter().position(|x| &x.id == target) {
                    Some(i) => Act::Goto(i, target.clone()),
                    None => Act::End, // Reported by validation.
                },
                (None, Some((_, wf))) => match run_workflow(wf) {
                    Some(wf) => Act::GotoWorkflow(wf),
                    None => Act::End,
                },
                _ => Act::End,
            },
            ActionKind::Retry => {
                let limit = a.retry_limit.unwrap_or(1).min(u64::from(u32::MAX)) as u32;
                let mut locals = self.locals.borrow_mut();
                let counter = (limit > 0).then(|| {
                    let key = (s.id.clone(), a.ptr.clone());
                    self.counters
                        .borrow_mut()
                        .entry(key)
                        .or_insert_with(|| ident(&locals.snake(&format!("{} retries", a.name))))
                        .clone()
                });
                let due = (!criteria.is_empty()).then(|| ident(&locals.snake(&a.name)));
                let workflow = a.workflow_id.as_ref().and_then(|(_, wf)| run_workflow(wf));
                Act::Retry { limit, after: a.retry_after.unwrap_or(0.0), counter, due, workflow }
            }
        };
        let text = a.criteria.iter().map(|c| c.condition.as_str()).collect::<Vec<_>>().join(" && ");
        ActionPlan { name: a.name.clone(), criteria, text, act }
    }
}

/// A criterion as `bool` tokens; its mistakes are reported (every leaf of a simple condition).
pub fn criterion(c: &Criterion, scope: &Scope, r: &mut Reporter) -> TokenStream {
    let cptr = child(&c.ptr, "condition");
    let context = c.context.as_deref().and_then(|t| expr::parse_expression(t).ok()).map(|p| p.value);
    // A mistake in the context is reported at the context.
    if let Some(Err(e)) =
        context.as_ref().filter(|_| c.kind != CriterionKind::Simple).map(|ctx| scope.value(ctx))
    {
        report(r, &child(&c.ptr, "context"), &e);
        return quote!(false);
    }
    let result = match &c.kind {
        CriterionKind::Simple => match expr::parse_condition(&c.condition) {
            Ok(p) => scope.condition(&p.value),
            Err(_) => return quote!(false),
        },
        CriterionKind::Regex | CriterionKind::JsonPath(_) | CriterionKind::XPath(_)
            if let Some(parts) = expr::embedded(&c.condition) =>
        {
            match (&context, &c.kind) {
                (Some(ctx), CriterionKind::Regex) => scope.regex_template(ctx, &parts),
                (Some(ctx), CriterionKind::XPath(_)) => scope.xpath_template(ctx, &parts),
                (Some(ctx), _) => scope.jsonpath_template(ctx, &parts),
                (None, _) => return quote!(false),
            }
        }
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
        CriterionKind::XPath(_) => match &context {
            Some(ctx) => {
                let condition = &c.condition;
                scope.xpath(ctx, quote!(#condition))
            }
            None => return quote!(false),
        },
    };
    match result {
        Ok(t) => crate::lower::unparen(t),
        Err(e) => {
            report(r, &cptr, &e);
            // Every other leaf of `a || b && c` with a mistake of its own is reported too.
            if let (CriterionKind::Simple, Ok(p)) = (&c.kind, expr::parse_condition(&c.condition)) {
                for leaf in leaves(&p.value) {
                    if let Err(more) = scope.condition(leaf) {
                        report(r, &cptr, &more);
                    }
                }
            }
            quote!(false)
        }
    }
}

/// The comparisons and operands of a condition, left to right.
fn leaves(c: &expr::Condition) -> Vec<&expr::Condition> {
    match c {
        expr::Condition::Or(a, b) | expr::Condition::And(a, b) => [leaves(a), leaves(b)].concat(),
        expr::Condition::Not(a) => leaves(a),
        leaf => vec![leaf],
    }
}
