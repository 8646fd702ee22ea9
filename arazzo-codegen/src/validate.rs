//! Cross-reference checks over a loaded Arazzo document: ids, targets, operations, parameters,
//! expressions and what they refer to. All findings are collected; nothing stops at the first.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;

use crate::Settings;
use crate::diag::{Diagnostics, Severity, did_you_mean};
use crate::expr::{self, Condition, Expr, ExprIssue, Operand, TemplatePart};
use crate::load::Loaded;
use crate::model::*;
use crate::openapi::{self, Operation};
use crate::report::{Part, Reporter, child};
use crate::resolve::{Resolution, operation_path_parts, resolve_target, unknown, workflows_segment};

/// Where an expression appears: decides which roots are available.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Request parameters and bodies: no response yet.
    Request,
    /// Criteria and step outputs: the response is there.
    Response,
    /// Workflow outputs.
    WorkflowOutput,
}

struct Ctx<'a> {
    loaded: &'a Loaded,
    doc_idx: usize,
    doc: &'a Document,
    settings: &'a Settings,
}

/// Runs every check on document `doc_idx` of `loaded`.
pub fn validate(loaded: &Loaded, doc_idx: usize, settings: &Settings, diags: &mut Diagnostics) {
    let Some(doc) = loaded.documents.get(&doc_idx) else { return };
    let ctx = Ctx { loaded, doc_idx, doc, settings };
    let mut r = loaded.reporter(doc_idx, diags);
    unique(
        doc.sources.iter().map(|s| (s.name.as_str(), format!("{}/name", s.ptr))),
        "source description name",
        &mut r,
    );
    unique(
        doc.workflows.iter().map(|w| (w.id.as_str(), format!("{}/workflowId", w.ptr))),
        "workflowId",
        &mut r,
    );
    for w in &doc.workflows {
        ctx.workflow(w, &mut r);
    }
    depends_on_cycles(doc, &mut r);
}

fn unique<'a>(items: impl Iterator<Item = (&'a str, String)>, what: &str, r: &mut Reporter) {
    let mut seen: HashMap<&str, ()> = HashMap::new();
    for (name, ptr) in items {
        if seen.insert(name, ()).is_some() {
            r.error(
                "E0316",
                &ptr,
                format!("duplicate {what} `{name}`"),
                Some(format!("each {what} must be unique")),
            );
        }
    }
}

fn depends_on_cycles(doc: &Document, r: &mut Reporter) {
    let ids: BTreeMap<&str, usize> =
        doc.workflows.iter().enumerate().map(|(i, w)| (w.id.as_str(), i)).collect();
    for w in &doc.workflows {
        for (ptr, dep) in &w.depends_on {
            if dep.starts_with("$sourceDescriptions.") {
                continue;
            }
            if !ids.contains_key(dep.as_str()) {
                let (code, message, help) = unknown("workflow", dep, ids.keys().copied());
                r.error(code, ptr, message, help);
            } else if reaches(doc, &ids, dep, &w.id) {
                r.error(
                    "E0317",
                    ptr,
                    format!("`dependsOn` forms a cycle: `{dep}` depends on `{}` again", w.id),
                    Some("remove one of the dependencies".into()),
                );
            }
        }
    }
}

fn reaches(doc: &Document, ids: &BTreeMap<&str, usize>, from: &str, to: &str) -> bool {
    let mut stack = vec![from];
    let mut seen = BTreeSet::new();
    while let Some(cur) = stack.pop() {
        if cur == to {
            return true;
        }
        if !seen.insert(cur) {
            continue;
        }
        if let Some(&i) = ids.get(cur) {
            stack.extend(doc.workflows[i].depends_on.iter().map(|(_, d)| d.as_str()));
        }
    }
    false
}

/// Step indices that can run after step `from` (transitively), by sequence, goto and retry.
pub fn successors(w: &Workflow, components: &Components) -> Vec<BTreeSet<usize>> {
    let index: HashMap<&str, usize> = w.steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let n = w.steps.len();
    let mut direct: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n];
    for (i, s) in w.steps.iter().enumerate() {
        if i + 1 < n {
            direct[i].insert(i + 1);
        }
        let all =
            s.on_success.iter().chain(&s.on_failure).chain(&w.success_actions).chain(&w.failure_actions);
        for a in all.filter_map(|a| inline_action(a, components)) {
            match a.kind {
                ActionKind::Retry => {
                    direct[i].insert(i);
                }
                ActionKind::Goto => {
                    if let Some(t) = a.step_id.as_ref().and_then(|(_, id)| index.get(id.as_str())) {
                        direct[i].insert(*t);
                    }
                }
                ActionKind::End => {}
            }
        }
    }
    (0..n)
        .map(|start| {
            let mut seen = BTreeSet::new();
            let mut stack: Vec<usize> = direct[start].iter().copied().collect();
            while let Some(c) = stack.pop() {
                if seen.insert(c) {
                    stack.extend(direct[c].iter().copied());
                }
            }
            seen
        })
        .collect()
}

/// The action an action entry stands for (components resolved).
pub fn inline_action<'a>(a: &'a ActionRef, components: &'a Components) -> Option<&'a Action> {
    match a {
        ActionRef::Inline(a) => Some(a),
        ActionRef::Reusable { kind, name, .. } => {
            let list = if kind == "failureActions" {
                &components.failure_actions
            } else {
                &components.success_actions
            };
            list.iter().find(|(n, _)| n == name).map(|(_, a)| a)
        }
    }
}

/// Property names of a workflow's inputs schema (`None` when it cannot be known).
pub fn input_names(doc: &Document, w: &Workflow) -> Option<Vec<String>> {
    let schema = input_schema(doc, w)?;
    let props = schema.get("properties")?.as_object()?;
    Some(props.keys().cloned().collect())
}

/// A workflow's inputs schema with a `$ref` into `components.inputs` resolved.
pub fn input_schema<'a>(doc: &'a Document, w: &'a Workflow) -> Option<&'a Value> {
    let (_, schema) = w.inputs.as_ref()?;
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.strip_prefix("#/components/inputs/")?;
            doc.components.inputs.iter().find(|(n, _, _)| n == name).map(|(_, _, v)| v)
        }
        None => Some(schema),
    }
}

impl Ctx<'_> {
    fn workflow(&self, w: &Workflow, r: &mut Reporter) {
        unique(w.steps.iter().map(|s| (s.id.as_str(), format!("{}/stepId", s.ptr))), "stepId", r);
        self.distinct_params(&w.parameters, r);
        if let Some((ptr, schema)) = &w.inputs
            && let Some(reference) = schema.get("$ref").and_then(Value::as_str)
            && input_schema(self.doc, w).is_none()
        {
            let names = self.doc.components.inputs.iter().map(|(n, _, _)| n.as_str());
            let name = reference.rsplit('/').next().unwrap_or(reference);
            let (code, message, help) = unknown("input component", name, names);
            r.error(code, &child(ptr, "$ref"), message, help);
        }
        for (ptr, id) in &w.depends_on {
            if id.starts_with("$sourceDescriptions.")
                && let Err((code, message, help)) =
                    resolve_target(self.loaded, self.doc_idx, &Target::WorkflowId(id.clone()))
            {
                r.error(code, ptr, message, help);
            }
            self.inputs_by_name(w, ptr, id, "`dependsOn`", r);
        }
        let reach = successors(w, &self.doc.components);
        for a in w.success_actions.iter().chain(&w.failure_actions) {
            self.action_ref(w, None, a, &reach, r);
        }
        for (si, s) in w.steps.iter().enumerate() {
            self.step(w, si, s, &reach, r);
        }
        for p in &w.parameters {
            self.param_values(w, None, p, &reach, r);
        }
        for (_, ptr, v) in &w.outputs {
            self.output(w, None, ptr, v, Place::WorkflowOutput, &reach, r);
        }
    }

    fn step(&self, w: &Workflow, si: usize, s: &Step, reach: &[BTreeSet<usize>], r: &mut Reporter) {
        self.distinct_params(&s.parameters, r);
        crate::order::external(self.loaded, self.doc_idx, w, s, r);
        // An AsyncAPI step is checked against its description and refused; its expressions
        // (`$message`) are checked when AsyncAPI steps are generated.
        if crate::asyncapi::is_async(self.loaded, self.doc_idx, s) {
            crate::asyncapi::check_step(self.loaded, self.doc_idx, s, r);
            return;
        }
        crate::asyncapi::check_fields(s, false, r);
        self.querystring_alone(w, s, r);
        self.target_spelling(s, r);
        let resolution =
            s.target.as_ref().map(|(ptr, t)| match resolve_target(self.loaded, self.doc_idx, t) {
                Ok(res) => Some(res),
                Err((code, message, help)) => {
                    r.error(code, ptr, message, help);
                    None
                }
            });
        let op = match &resolution {
            Some(Some(Resolution::Operation(op))) => Some(op),
            _ => None,
        };
        let is_workflow_step = matches!(s.target, Some((_, Target::WorkflowId(_))));
        let mut supplied: Vec<(String, String)> = Vec::new();
        let params = w.parameters.iter().chain(&s.parameters);
        for p in params.clone() {
            let Some(param) = self.param(p, r) else { continue };
            if let Some(loc) = &param.location {
                supplied.push((param.name.clone(), loc.clone()));
            } else if !is_workflow_step && s.parameters.iter().any(|q| std::ptr::eq(q, p)) {
                // Counted as supplied wherever it may belong, so E0319 does not repeat this error.
                supplied.extend(
                    ["path", "query", "header", "cookie"].map(|l| (param.name.clone(), l.to_string())),
                );
                r.report(
                    Severity::Error,
                    "E0318",
                    &param.ptr,
                    Part::Key,
                    format!("parameter `{}` of an operation step has no `in`", param.name),
                    Some("add `in: path`, `query`, `header` or `cookie`".into()),
                );
            }
        }
        for p in &s.parameters {
            self.param_values(w, Some(si), p, reach, r);
        }
        if let Some(op) = op {
            self.operation_params(s, op, &supplied, r);
        }
        if let (Some((ptr, _)), Some(Some(Resolution::LocalWorkflow(_) | Resolution::ExternalWorkflow(..)))) =
            (&s.target, &resolution)
        {
            self.call_params(w, s, ptr, r);
        }
        if let Some(b) = &s.request_body {
            if let Some(payload) = &b.payload {
                self.values(w, Some(si), &child(&b.ptr, "payload"), payload, reach, r);
            }
            let declared = op.and_then(|op| openapi::request_media(self.loaded, op).into_iter().next());
            let media_type = b.media_type(declared.as_ref().map(|m| m.content_type.as_str()));
            let form = b.form(&media_type);
            for rep @ Replacement { ptr, target, value, .. } in &b.replacements {
                let tptr = child(ptr, "target");
                match (rep.target_kind(form), form) {
                    (ExprType::XPath(_), PayloadForm::Value)
                    | (ExprType::JsonPath(_) | ExprType::JsonPointer, PayloadForm::Xml) => {
                        target_mismatch(ptr, form, &media_type, r);
                    }
                    (kind @ (ExprType::JsonPath(_) | ExprType::XPath(_)), _) => {
                        match expr::parse_selector(&kind, target) {
                            Ok(parsed) => self.issues(&tptr, &parsed.warnings, r),
                            Err(e) => self.issue(&tptr, &e, r),
                        }
                    }
                    _ if !target.is_empty() && !target.starts_with('/') && !target.starts_with('$') => {
                        r.warn(
                            "W0301",
                            &tptr,
                            format!("replacement target `{target}` is not a JSON pointer"),
                            Some(format!("write `/{target}`")),
                        );
                    }
                    _ => {}
                }
                self.values(w, Some(si), &child(ptr, "value"), value, reach, r);
            }
        }
        for c in &s.success_criteria {
            self.criterion(w, Some(si), c, reach, r);
        }
        for a in s.on_success.iter().chain(&s.on_failure) {
            self.action_ref(w, Some(si), a, reach, r);
        }
        for a in s.on_success.iter().filter_map(|a| inline_action(a, &self.doc.components)) {
            if a.kind == ActionKind::Retry {
                let level = if self.settings.strict { Severity::Error } else { Severity::Warning };
                r.report(
                    level,
                    "W0302",
                    &child(&a.ptr, "type"),
                    Part::Value,
                    format!("`retry` in `onSuccess` (action `{}`) is not in Arazzo 1.0.1", a.name),
                    Some("the portable spelling is a `goto` to this same step; arazzo-rs runs it as a retry with its `retryAfter` and `retryLimit`".into()),
                );
            }
        }
        unique(s.outputs.iter().map(|(n, p, _)| (n.as_str(), p.clone())), "output name", r);
        for (_, ptr, v) in &s.outputs {
            self.output(w, Some(si), ptr, v, Place::Response, reach, r);
        }
    }

    /// Targets written in forms that documents use but the spec does not (read as meant).
    fn target_spelling(&self, s: &Step, r: &mut Reporter) {
        match &s.target {
            Some((ptr, Target::OperationPath(path))) => {
                if let Some((source, pointer, false)) = operation_path_parts(path) {
                    let help = format!("write `{{$sourceDescriptions.{source}.url}}#{pointer}`");
                    let message = format!(
                        "operationPath `{path}` is not a runtime expression in braces with `.url`; it is read as source `{source}`, pointer `{pointer}`"
                    );
                    r.warn("W0308", ptr, message, Some(help));
                }
            }
            Some((ptr, Target::WorkflowId(id))) => {
                if let Some((source, wf)) =
                    id.strip_prefix("$sourceDescriptions.").and_then(|r| r.split_once('.'))
                    && let Some(short) = workflows_segment(wf)
                    && resolve_target(
                        self.loaded,
                        self.doc_idx,
                        &Target::WorkflowId(format!("$sourceDescriptions.{source}.{short}")),
                    )
                    .is_ok()
                {
                    let help = format!("write `$sourceDescriptions.{source}.{short}`");
                    r.warn(
                        "W0309",
                        ptr,
                        format!(
                            "`{id}` names workflow `{short}` of source `{source}` with an extra `workflows.`"
                        ),
                        Some(help),
                    );
                }
            }
            _ => {}
        }
    }

    fn param<'p>(&'p self, p: &'p ParamRef, r: &mut Reporter) -> Option<&'p Parameter> {
        let found = self.param_quiet(p);
        if let (None, ParamRef::Reusable { ptr, name, .. }) = (found, p) {
            let (code, message, help) = unknown(
                "parameter component",
                name,
                self.doc.components.parameters.iter().map(|(n, _)| n.as_str()),
            );
            r.error(code, &child(ptr, "reference"), message, help);
        }
        found
    }

    fn param_values(
        &self,
        w: &Workflow,
        si: Option<usize>,
        p: &ParamRef,
        reach: &[BTreeSet<usize>],
        r: &mut Reporter,
    ) {
        match p {
            ParamRef::Inline(p) => self.values(w, si, &child(&p.ptr, "value"), &p.value, reach, r),
            ParamRef::Reusable { value: Some((ptr, v)), .. } => self.values(w, si, ptr, v, reach, r),
            ParamRef::Reusable { .. } => {}
        }
    }

    fn operation_params(&self, s: &Step, op: &Operation, supplied: &[(String, String)], r: &mut Reporter) {
        // OpenAPI: header parameters named Accept, Content-Type or Authorization are ignored.
        let ignored = |d: &openapi::OpParam| {
            d.location == "header"
                && ["accept", "content-type", "authorization"].contains(&d.name.to_ascii_lowercase().as_str())
        };
        let declared: Vec<_> =
            openapi::parameters(self.loaded, op).into_iter().filter(|d| !ignored(d)).collect();
        let api_keys = openapi::api_keys(self.loaded, op);
        let same =
            |a: &str, b: &str, loc: &str| if loc == "header" { a.eq_ignore_ascii_case(b) } else { a == b };
        for d in declared.iter().filter(|d| d.required) {
            if !supplied.iter().any(|(n, l)| l == &d.location && same(n, &d.name, l)) {
                let at = s.target.as_ref().map(|(p, _)| p.clone()).unwrap_or_else(|| s.ptr.clone());
                // Without a path parameter there is no URL; other parameters can be left out
                // (E0319 is lowerable).
                r.error(
                    if d.location == "path" { "E0323" } else { "E0319" },
                    &at,
                    format!(
                        "step `{}` does not supply the required {} parameter `{}` of `{}`",
                        s.id,
                        d.location,
                        d.name,
                        op_name(op)
                    ),
                    Some(format!(
                        "add `- name: {}` with `in: {}` and a `value` to the step's parameters",
                        d.name, d.location
                    )),
                );
            }
        }
        for p in &s.parameters {
            let ParamRef::Inline(p) = p else { continue };
            let Some(loc) = &p.location else { continue };
            let known = declared.iter().any(|d| &d.location == loc && same(&d.name, &p.name, loc))
                || api_keys.iter().any(|(l, k)| l == loc && same(k, &p.name, loc));
            if !known {
                let names: Vec<&str> =
                    declared.iter().filter(|d| &d.location == loc).map(|d| d.name.as_str()).collect();
                let help =
                    did_you_mean(&p.name, names.iter().copied()).map(|s| format!("did you mean `{s}`?"));
                r.warn(
                    "W0303",
                    &child(&p.ptr, "name"),
                    format!("`{}` does not declare the {loc} parameter `{}`", op_name(op), p.name),
                    help,
                );
            }
        }
    }

    fn action_ref(
        &self,
        w: &Workflow,
        si: Option<usize>,
        a: &ActionRef,
        reach: &[BTreeSet<usize>],
        r: &mut Reporter,
    ) {
        let action = match a {
            ActionRef::Inline(a) => a,
            ActionRef::Reusable { ptr, kind, name } => match inline_action(a, &self.doc.components) {
                Some(a) => a,
                None => {
                    let list = if kind == "failureActions" {
                        &self.doc.components.failure_actions
                    } else {
                        &self.doc.components.success_actions
                    };
                    let (code, message, help) =
                        unknown(&format!("{kind} component"), name, list.iter().map(|(n, _)| n.as_str()));
                    r.error(code, &child(ptr, "reference"), message, help);
                    return;
                }
            },
        };
        if let Some((ptr, id)) = &action.step_id
            && !w.steps.iter().any(|s| &s.id == id)
        {
            let (code, message, help) = unknown("step", id, w.steps.iter().map(|s| s.id.as_str()));
            r.error(code, ptr, format!("{message} in workflow `{}`", w.id), help);
        }
        if let Some((ptr, id)) = &action.workflow_id
            && let Err((code, message, help)) =
                resolve_target(self.loaded, self.doc_idx, &Target::WorkflowId(id.clone()))
        {
            r.error(code, ptr, message, help);
        }
        match &action.workflow_id {
            Some((ptr, id)) if !action.parameters.is_empty() => self.action_params(action, ptr, id, r),
            Some((ptr, id)) => {
                self.inputs_by_name(w, ptr, id, &format!("a `{:?}` action", action.kind).to_lowercase(), r)
            }
            None => {
                if let Some(p) = action.parameters.first() {
                    let at = match p {
                        ParamRef::Inline(p) => p.ptr.as_str(),
                        ParamRef::Reusable { ptr, .. } => ptr.as_str(),
                    };
                    r.error(
                        "E0357",
                        at.rsplit_once('/').map_or(at, |(list, _)| list),
                        format!("action `{}` has `parameters` but names no workflow", action.name),
                        Some("action parameters are the inputs of the workflow in `workflowId`; remove them or name the workflow".into()),
                    );
                }
            }
        }
        for c in &action.criteria {
            self.criterion(w, si, c, reach, r);
        }
        if let (Some(si), ActionKind::Goto, Some((_, target))) = (si, action.kind, &action.step_id) {
            let target_idx = w.steps.iter().position(|s| &s.id == target);
            if target_idx.is_some_and(|t| t <= si) && self.settings.loop_warning {
                r.warn(
                    "W0304",
                    &child(&action.ptr, "stepId"),
                    format!("goto `{target}` loops with no delay and no bound of its own"),
                    Some("arazzo-rs paces re-entries (Client loop pacing) and bounds them (step budget); for a fixed delay use `type: retry` with `retryAfter` and `retryLimit`".into()),
                );
            }
        }
    }

    /// A workflow of another document that `w` lists in `dependsOn`, by its id.
    fn dependency(&self, w: &Workflow, id: &str) -> Option<&Workflow> {
        w.depends_on.iter().find_map(|(_, dep)| {
            match resolve_target(self.loaded, self.doc_idx, &Target::WorkflowId(dep.clone())).ok()? {
                Resolution::ExternalWorkflow(f, i) => {
                    Some(&self.loaded.documents[&f].workflows[i]).filter(|x| x.id == id)
                }
                _ => None,
            }
        })
    }

    /// The inputs of the workflow `id` resolves to: (names, required names), when it declares some.
    fn callee_inputs(&self, id: &str) -> Option<(Vec<String>, Vec<String>)> {
        let (d, w) =
            match resolve_target(self.loaded, self.doc_idx, &Target::WorkflowId(id.to_string())).ok()? {
                Resolution::LocalWorkflow(i) => (self.doc, &self.doc.workflows[i]),
                Resolution::ExternalWorkflow(f, i) => {
                    (&self.loaded.documents[&f], &self.loaded.documents[&f].workflows[i])
                }
                _ => return None,
            };
        let schema = input_schema(d, w)?;
        let names = schema
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        let required = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        Some((names, required))
    }

    /// A step running a workflow passes its parameters without `in` as that workflow's inputs.
    fn call_params(&self, w: &Workflow, s: &Step, target_ptr: &str, r: &mut Reporter) {
        let Some((_, Target::WorkflowId(id))) = &s.target else { return };
        let Some((names, required)) = self.callee_inputs(id) else { return };
        let mut given = Vec::new();
        for p in w.parameters.iter().chain(&s.parameters) {
            let Some(param) = self.param_quiet(p) else { continue };
            if param.location.is_some() {
                continue;
            }
            given.push(param.name.clone());
            if !names.contains(&param.name) {
                let (_, _, help) = unknown("input", &param.name, names.iter().map(String::as_str));
                r.error(
                    "E0320",
                    &child(&param.ptr, "name"),
                    format!("workflow `{id}` has no input `{}`", param.name),
                    help,
                );
            }
        }
        for name in required.iter().filter(|n| !given.contains(n)) {
            r.error(
                "E0321",
                target_ptr,
                format!("step `{}` does not pass the required input `{name}` of workflow `{id}`", s.id),
                Some(format!("add `- name: {name}` with a `value` (and no `in`) to the step's parameters")),
            );
        }
    }

    /// 1.1 action `parameters`: the inputs of the workflow the action runs, with no `in`
    /// ("The `in` field MUST NOT be used"), checked like those of a step that runs it.
    fn action_params(&self, action: &Action, target_ptr: &str, id: &str, r: &mut Reporter) {
        self.distinct_params(&action.parameters, r);
        let callee = self.callee_inputs(id);
        let mut given = Vec::new();
        for p in &action.parameters {
            let Some(param) = self.param(p, r) else { continue };
            if param.location.is_some() {
                r.report(
                    Severity::Error,
                    "E0356",
                    &child(&param.ptr, "in"),
                    Part::Key,
                    format!("parameter `{}` of action `{}` has an `in`", param.name, action.name),
                    Some("an action's parameters are the inputs of the workflow it runs: remove `in`".into()),
                );
            }
            given.push(param.name.clone());
            if let Some((names, _)) = &callee
                && !names.contains(&param.name)
            {
                let (_, _, help) = unknown("input", &param.name, names.iter().map(String::as_str));
                r.error(
                    "E0320",
                    &child(&param.ptr, "name"),
                    format!("workflow `{id}` has no input `{}`", param.name),
                    help,
                );
            }
            // Their values are lowered (and checked) in the scope of the action's step, where
            // the response is there (plan/actions.rs).
        }
        for name in callee.iter().flat_map(|(_, required)| required).filter(|n| !given.contains(n)) {
            r.error(
                "E0321",
                target_ptr,
                format!(
                    "action `{}` does not pass the required input `{name}` of workflow `{id}`",
                    action.name
                ),
                Some(format!("add `- name: {name}` with a `value` to the action's parameters")),
            );
        }
    }

    /// A `goto`/`retry` to a workflow and `dependsOn` pass the current inputs by name.
    fn inputs_by_name(&self, w: &Workflow, ptr: &str, id: &str, via: &str, r: &mut Reporter) {
        let Some((_, required)) = self.callee_inputs(id) else { return };
        let own = input_names(self.doc, w).unwrap_or_default();
        for name in required.iter().filter(|n| !own.contains(n)) {
            r.error(
                "E0322",
                ptr,
                format!(
                    "workflow `{id}` requires the input `{name}`, which workflow `{}` does not have",
                    w.id
                ),
                Some(format!(
                    "{via} passes the inputs of `{}` by name: declare `{name}` in its inputs",
                    w.id
                )),
            );
        }
    }

    /// 1.1.0, Parameter Object: "The `querystring` location cannot coexist with `query`
    /// parameters in the same operation" (it is the whole query string).
    fn querystring_alone(&self, w: &Workflow, s: &Step, r: &mut Reporter) {
        let sent: Vec<&Parameter> =
            w.parameters.iter().chain(&s.parameters).filter_map(|p| self.param_quiet(p)).collect();
        let at = |l: &str| sent.iter().find(|p| p.location.as_deref() == Some(l));
        if let (Some(whole), Some(one)) = (at("querystring"), at("query")) {
            r.report(
                Severity::Error,
                "E0358",
                &child(&whole.ptr, "in"),
                Part::Value,
                format!(
                    "step `{}` sends the whole query string `{}` and the query parameter `{}`",
                    s.id, whole.name, one.name
                ),
                Some(
                    "a `querystring` parameter is the whole query: write the other parameter into its value"
                        .into(),
                ),
            );
        }
    }

    /// "The list MUST NOT include duplicate parameters" (Step and Workflow Objects, 1.0.1 and
    /// 1.1.0): a parameter is its `name` and `in`.
    fn distinct_params(&self, params: &[ParamRef], r: &mut Reporter) {
        let mut seen: Vec<(&str, Option<&str>)> = Vec::new();
        for p in params {
            let Some(param) = self.param_quiet(p) else { continue };
            let key = (param.name.as_str(), param.location.as_deref());
            if seen.contains(&key) {
                let at = match p {
                    ParamRef::Inline(p) => p.ptr.as_str(),
                    ParamRef::Reusable { ptr, .. } => ptr.as_str(),
                };
                let place = key.1.map(|l| format!(" (`in: {l}`)")).unwrap_or_default();
                r.error(
                    "E0316",
                    at,
                    format!("parameter `{}`{place} is listed twice", key.0),
                    Some("remove one".into()),
                );
            }
            seen.push(key);
        }
    }

    fn param_quiet<'p>(&'p self, p: &'p ParamRef) -> Option<&'p Parameter> {
        match p {
            ParamRef::Inline(p) => Some(p),
            ParamRef::Reusable { name, .. } => {
                self.doc.components.parameters.iter().find(|(n, _)| n == name).map(|(_, p)| p)
            }
        }
    }

    fn criterion(
        &self,
        w: &Workflow,
        si: Option<usize>,
        c: &Criterion,
        reach: &[BTreeSet<usize>],
        r: &mut Reporter,
    ) {
        let cptr = child(&c.ptr, "condition");
        if let Some(ctx) = &c.context {
            let ctx_ptr = child(&c.ptr, "context");
            self.expression(w, si, &ctx_ptr, ctx, Place::Response, reach, r);
            if let Ok(parsed) = expr::parse_expression(ctx)
                && parsed.value.is_whole_object()
            {
                r.warn(
                    "W0233",
                    &ctx_ptr,
                    format!("`{ctx}` is a whole object, not a runtime expression for one value; its members are read by name"),
                    Some(format!("give the criterion one value as its context, e.g. `{ctx}.<name>`, or compare `{ctx}.<name>` in a simple condition")),
                );
            }
        }
        match &c.kind {
            CriterionKind::Simple => match expr::parse_condition(&c.condition) {
                Ok(parsed) => {
                    self.issues(&cptr, &parsed.warnings, r);
                    let mut operands = Vec::new();
                    collect_operands(&parsed.value, &mut operands);
                    for (e, offset, len) in operands {
                        self.reference(w, si, &cptr, e, Some((offset, len)), Place::Response, reach, r);
                    }
                }
                Err(e) => self.issue(&cptr, &e, r),
            },
            // Arazzo 1.1: `{$…}` values are substituted first; the result is checked at run time,
            // where an invalid pattern or query fails the criterion.
            CriterionKind::Regex | CriterionKind::JsonPath(_)
                if let Some(parts) = expr::embedded(&c.condition) =>
            {
                self.embedded_references(w, si, &cptr, &parts, reach, r);
            }
            CriterionKind::Regex => {
                if let Err(e) = expr::check_regex(&c.condition) {
                    self.issue(&cptr, &e, r);
                }
            }
            CriterionKind::JsonPath(version) => {
                self.criterion_version(c, "jsonpath", version.as_deref(), r);
                match expr::parse_jsonpath(&c.condition, c.context.as_deref()) {
                    Ok(parsed) => self.issues(&cptr, &parsed.warnings, r),
                    Err(e) => self.issue(&cptr, &e, r),
                }
                if version.as_deref() == Some("draft-goessner-dispatch-jsonpath-00") {
                    self.issues(&cptr, &expr::selector::goessner_differences(&c.condition), r);
                }
            }
            // `{$…}` values are checked as references, and the query around them as XPath.
            CriterionKind::XPath(version) => {
                self.criterion_version(c, "xpath", version.as_deref(), r);
                if let Some(parts) = expr::embedded(&c.condition) {
                    self.embedded_references(w, si, &cptr, &parts, reach, r);
                }
                let version = match ExprType::parse("xpath", version.as_deref()) {
                    Some(ExprType::XPath(v)) => v,
                    _ => XPathVersion::V31,
                };
                match expr::check_xpath(&c.condition, version) {
                    Ok(parsed) => self.issues(&cptr, &parsed.warnings, r),
                    Err(e) => self.issue(&cptr, &e, r),
                }
            }
        }
    }

    /// Checks the `{$…}` expressions embedded in a regex, JSONPath or XPath condition.
    fn embedded_references(
        &self,
        w: &Workflow,
        si: Option<usize>,
        cptr: &str,
        parts: &[TemplatePart],
        reach: &[BTreeSet<usize>],
        r: &mut Reporter,
    ) {
        for part in parts {
            if let TemplatePart::Expr(e) = part {
                self.reference(w, si, cptr, e, None, Place::Response, reach, r);
            }
        }
    }

    /// A criterion's expression version that `kind` does not have: an error in Arazzo 1.1,
    /// whose schema lists the versions; in 1.0.x, where it was free text, a warning (W0305) and
    /// the default version.
    fn criterion_version(&self, c: &Criterion, kind: &str, version: Option<&str>, r: &mut Reporter) {
        let Some(v) = version.filter(|v| ExprType::parse(kind, Some(v)).is_none()) else { return };
        let ptr = child(&child(&c.ptr, "type"), "version");
        let known = ExprType::versions(kind).iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ");
        if self.doc.version >= Version::V1_1 {
            r.error(
                "E0230",
                &ptr,
                format!("`{v}` is not a version of `{kind}`"),
                Some(format!("use one of {known}")),
            );
        } else {
            let default = ExprType::versions(kind)[0];
            r.warn("W0305", &ptr, format!("unknown {kind} version `{v}`; evaluated as `{default}`"), None);
        }
    }

    /// Checks every string inside a parameter value or payload.
    fn values(
        &self,
        w: &Workflow,
        si: Option<usize>,
        ptr: &str,
        v: &Value,
        reach: &[BTreeSet<usize>],
        r: &mut Reporter,
    ) {
        match v {
            Value::String(s) => match expr::parse_value(s) {
                Ok(parsed) => {
                    self.issues(ptr, &parsed.warnings, r);
                    match &parsed.value {
                        expr::Value::Expr(e) => self.reference(w, si, ptr, e, None, Place::Request, reach, r),
                        expr::Value::Template(parts) => {
                            for part in parts {
                                if let TemplatePart::Expr(e) = part {
                                    self.reference(w, si, ptr, e, None, Place::Request, reach, r);
                                }
                            }
                        }
                        expr::Value::Literal(_) => {}
                    }
                }
                Err(e) => self.issue(ptr, &e, r),
            },
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.values(w, si, &format!("{ptr}/{i}"), item, reach, r);
                }
            }
            Value::Object(_) if let Some(s) = Selector::of(v, ptr) => {
                self.selector(w, si, &s, Place::Request, reach, r);
            }
            Value::Object(m) => {
                for (k, item) in m {
                    self.values(w, si, &child(ptr, k), item, reach, r);
                }
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn output(
        &self,
        w: &Workflow,
        si: Option<usize>,
        ptr: &str,
        v: &OutputValue,
        place: Place,
        reach: &[BTreeSet<usize>],
        r: &mut Reporter,
    ) {
        match v {
            OutputValue::Expr(text) => self.expression(w, si, ptr, text, place, reach, r),
            OutputValue::Selector(s) => self.selector(w, si, s, place, reach, r),
        }
    }

    /// Checks a Selector Object: its context, its selector, and the version it needs.
    fn selector(
        &self,
        w: &Workflow,
        si: Option<usize>,
        s: &Selector,
        place: Place,
        reach: &[BTreeSet<usize>],
        r: &mut Reporter,
    ) {
        if self.doc.version < Version::V1_1 {
            r.warn(
                "W0230",
                &s.ptr,
                format!(
                    "a Selector Object is Arazzo 1.1; this document declares `arazzo: {}`",
                    self.doc.arazzo
                ),
                Some("declare `arazzo: 1.1.0`".into()),
            );
        }
        self.expression(w, si, &child(&s.ptr, "context"), &s.context, place, reach, r);
        match expr::parse_selector(&s.kind, &s.selector) {
            Ok(parsed) => self.issues(&child(&s.ptr, "selector"), &parsed.warnings, r),
            Err(e) => self.issue(&child(&s.ptr, "selector"), &e, r),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn expression(
        &self,
        w: &Workflow,
        si: Option<usize>,
        ptr: &str,
        text: &str,
        place: Place,
        reach: &[BTreeSet<usize>],
        r: &mut Reporter,
    ) {
        match expr::parse_expression(text) {
            Ok(parsed) => {
                self.issues(ptr, &parsed.warnings, r);
                self.reference(w, si, ptr, &parsed.value, None, place, reach, r);
            }
            Err(e) => self.issue(ptr, &e, r),
        }
    }

    /// Checks what an expression refers to.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        &self,
        w: &Workflow,
        si: Option<usize>,
        ptr: &str,
        e: &Expr,
        span: Option<(usize, usize)>,
        place: Place,
        reach: &[BTreeSet<usize>],
        r: &mut Reporter,
    ) {
        let part = span.map_or(Part::Value, |(o, l)| Part::Inner(o, l));
        let mut fail = |code: &'static str, message: String, help: Option<String>| {
            r.report(Severity::Error, code, ptr, part, message, help)
        };
        match e {
            Expr::Response(_) | Expr::StatusCode if place != Place::Response => {
                let why = if place == Place::Request {
                    "the request has not been sent yet"
                } else {
                    "workflow outputs are read after the steps"
                };
                fail("E0301", format!("`{e}` is not available here: {why}"), Some("read the value in a step's `outputs` and refer to it as `$steps.<id>.outputs.<name>`".into()));
            }
            Expr::Inputs { name, path } => {
                if let Some(names) = input_names(self.doc, w) {
                    if expr::dotted_name(name, path, |n| names.iter().any(|x| x == n)).is_none() {
                        let (_, _, help) = unknown("input", name, names.iter().map(String::as_str));
                        fail(
                            "E0302",
                            format!("input `{name}` is not declared in the inputs of workflow `{}`", w.id),
                            help,
                        );
                    }
                } else if w.inputs.is_none() {
                    fail(
                        "E0302",
                        format!("workflow `{}` declares no inputs, but `{e}` reads one", w.id),
                        Some("declare it under the workflow's `inputs.properties`".into()),
                    );
                }
            }
            Expr::Steps { step, name, path, .. } => {
                let Some(xi) = w.steps.iter().position(|s| &s.id == step) else {
                    let (_, message, help) = unknown("step", step, w.steps.iter().map(|s| s.id.as_str()));
                    fail("E0303", format!("{message} in `{e}`"), help);
                    return;
                };
                if let Some(name) = name
                    && expr::dotted_name(name, path, |n| w.steps[xi].outputs.iter().any(|(o, _, _)| o == n))
                        .is_none()
                {
                    let (_, _, help) =
                        unknown("output", name, w.steps[xi].outputs.iter().map(|(n, _, _)| n.as_str()));
                    fail("E0304", format!("step `{step}` has no output `{name}`"), help);
                    return;
                }
                if let Some(si) = si {
                    let own_outputs = place == Place::Response && xi == si;
                    if !own_outputs && !reach[xi].contains(&si) {
                        let why = if xi == si {
                            "a step cannot read its own outputs before it has run"
                        } else {
                            "it runs later, and no goto leads back here"
                        };
                        fail(
                            "E0305",
                            format!("step `{step}` cannot have run before step `{}`: {why}", w.steps[si].id),
                            Some("refer to a step that runs earlier".into()),
                        );
                    }
                }
            }
            Expr::Workflows { workflow, field, name, path } => match self
                .doc
                .workflows
                .iter()
                .find(|x| &x.id == workflow)
                .or_else(|| self.dependency(w, workflow))
            {
                None => {
                    let (_, message, help) =
                        unknown("workflow", workflow, self.doc.workflows.iter().map(|x| x.id.as_str()));
                    fail("E0306", message, help);
                }
                Some(x) => {
                    if let (Some(name), "outputs") = (name, field.as_str())
                        && expr::dotted_name(name, path, |n| x.outputs.iter().any(|(o, _, _)| o == n))
                            .is_none()
                    {
                        fail("E0304", format!("workflow `{workflow}` has no output `{name}`"), None);
                    }
                }
            },
            Expr::SourceDescriptions { name, rest: Some(field) }
                if matches!(field.as_str(), "url" | "type")
                    && let Some(what) = self.source_reference(name, field) =>
            {
                fail(
                    "E0238",
                    format!("`{e}` names the {what} `{field}` of `{name}`, not the source's `{field}` field"),
                    Some(format!(
                        "an operationId or workflowId comes first (Arazzo 1.1 §Source Description \
                         Expression Resolution); write the {field} literally, or rename the {what}"
                    )),
                );
            }
            Expr::SourceDescriptions { name, .. } if !self.doc.sources.iter().any(|s| &s.name == name) => {
                let (_, message, help) =
                    unknown("source description", name, self.doc.sources.iter().map(|s| s.name.as_str()));
                fail("E0306", message, help);
            }
            Expr::Components { kind, name } => {
                let c = &self.doc.components;
                let names: Vec<&str> = match kind.as_str() {
                    "inputs" => c.inputs.iter().map(|(n, _, _)| n.as_str()).collect(),
                    "parameters" => c.parameters.iter().map(|(n, _)| n.as_str()).collect(),
                    "successActions" => c.success_actions.iter().map(|(n, _)| n.as_str()).collect(),
                    "failureActions" => c.failure_actions.iter().map(|(n, _)| n.as_str()).collect(),
                    _ => Vec::new(),
                };
                if !names.contains(&name.as_str()) {
                    let (_, message, help) = unknown(&format!("{kind} component"), name, names.into_iter());
                    fail("E0306", message, help);
                }
            }
            _ => {}
        }
    }

    /// What `$sourceDescriptions.<source>.<reference>` names in that source, when it names an
    /// operation (`operationId`) or a workflow (`workflowId`) rather than a field.
    fn source_reference(&self, source: &str, reference: &str) -> Option<&'static str> {
        let id = format!("$sourceDescriptions.{source}.{reference}");
        match resolve_target(self.loaded, self.doc_idx, &Target::OperationId(id.clone())) {
            Ok(Resolution::Operation(_)) => Some("operation"),
            _ => matches!(
                resolve_target(self.loaded, self.doc_idx, &Target::WorkflowId(id)),
                Ok(Resolution::ExternalWorkflow(..))
            )
            .then_some("workflow"),
        }
    }

    fn issues(&self, ptr: &str, issues: &[ExprIssue], r: &mut Reporter) {
        for i in issues {
            self.issue(ptr, i, r);
        }
    }

    fn issue(&self, ptr: &str, i: &ExprIssue, r: &mut Reporter) {
        let severity = if i.is_warning() { Severity::Warning } else { Severity::Error };
        r.report(severity, i.code, ptr, Part::Inner(i.offset, i.len), i.message.clone(), i.help.clone());
    }
}

fn collect_operands<'a>(c: &'a Condition, out: &mut Vec<(&'a Expr, usize, usize)>) {
    let operand = |o: &'a Operand, out: &mut Vec<(&'a Expr, usize, usize)>| {
        if let Operand::Expr { expr, offset, len } | Operand::Length { expr, offset, len } = o {
            out.push((expr, *offset, *len));
        }
    };
    match c {
        Condition::Or(a, b) | Condition::And(a, b) => {
            collect_operands(a, out);
            collect_operands(b, out);
        }
        Condition::Not(a) => collect_operands(a, out),
        Condition::Compare { lhs, rhs, .. } => {
            operand(lhs, out);
            operand(rhs, out);
        }
        Condition::Truthy(o) => operand(o, out),
    }
}

fn op_name(op: &Operation) -> String {
    op.id.clone().unwrap_or_else(|| format!("{} {}", op.method.to_uppercase(), op.path))
}

/// E0237: a replacement target whose kind does not fit the payload: XPath in a payload that is
/// a value, or a JSON pointer or JSONPath in XML text.
fn target_mismatch(ptr: &str, form: PayloadForm, media_type: &str, r: &mut Reporter) {
    let (message, help) = if form == PayloadForm::Xml {
        (
            format!(
                "this payload is XML text (`{media_type}`): a JSON pointer or JSONPath target cannot address it"
            ),
            "write an XPath target (`targetSelectorType: xpath`, the default for an XML payload)",
        )
    } else {
        (
            "an XPath target addresses XML text; this payload is a value, sent as JSON or as fields"
                .to_string(),
            "use a JSON pointer or `jsonpath` target, or write the XML payload as a string with an XML `contentType`",
        )
    };
    r.error("E0237", &child(ptr, "targetSelectorType"), message, Some(help.into()));
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    fn diagnostics(doc: &str) -> Vec<(&'static str, String)> {
        let base_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/workflows");
        let settings = crate::Settings { base_dir, ..Default::default() };
        let checked = crate::check(Path::new(doc), &settings);
        checked.diagnostics.sorted().into_iter().map(|d| (d.code, d.pointer.clone())).collect()
    }

    /// The kind of a replacement target must fit the payload (E0237); on XML text a target
    /// without a selector type is XPath, and its syntax is checked as such.
    #[test]
    fn replacement_targets_fit_the_payload() {
        let at =
            |step: usize, tail: &str| format!("/workflows/0/steps/{step}/requestBody/replacements/0/{tail}");
        let want = vec![
            ("E0237", at(0, "targetSelectorType")),
            ("E0237", at(1, "targetSelectorType")),
            ("E0237", at(2, "targetSelectorType")),
            ("E0206", at(3, "target")),
        ];
        assert_eq!(diagnostics("expr/xml-replacement-mismatch.arazzo.yaml"), want);
    }

    #[test]
    fn xpath_targets_on_xml_text_check_clean() {
        assert_eq!(diagnostics("expr/xml-replacements.arazzo.yaml"), Vec::new());
    }
}
