//! Step-level `dependsOn` (Arazzo 1.1.0, "Step Dependencies and Execution Order"): "Tools
//! supporting only sequential execution MUST execute steps in an order that satisfies both
//! explicit (`dependsOn`) and implicit (output reference) dependencies."
//!
//! The generated code runs steps one at a time, so a workflow whose steps declare `dependsOn`
//! runs them in the first order, closest to the document's, in which every step comes after
//! the steps it names and the steps whose `$steps.<id>.outputs` it reads; that order is also
//! what "the next step" means there. A workflow without step-level `dependsOn` keeps the
//! document's order, where reading a later step's outputs is E0305 (the error the spec
//! recommends for such a forward reference).

use serde_json::Value;

use crate::load::Loaded;
use crate::model::*;
use crate::report::Reporter;
use crate::resolve::{Resolution, resolve_target, unknown};

/// Checks every step-level `dependsOn` of `doc` (read from `root`) and puts the steps of each
/// workflow that uses one in an order that satisfies them.
pub fn steps(root: &Value, doc: &mut Document, r: &mut Reporter) {
    let ids: Vec<(String, Vec<String>, Vec<String>)> = doc
        .workflows
        .iter()
        .map(|w| {
            let deps = w.depends_on.iter().map(|(_, d)| d.clone()).collect();
            (w.id.clone(), w.steps.iter().map(|s| s.id.clone()).collect(), deps)
        })
        .collect();
    for w in &mut doc.workflows {
        if w.steps.iter().all(|s| s.depends_on.is_empty()) {
            continue;
        }
        let local: Vec<String> = w.steps.iter().map(|s| s.id.clone()).collect();
        let mut needs: Vec<Vec<usize>> = Vec::new();
        for s in &w.steps {
            let mut mine = Vec::new();
            for (ptr, entry) in &s.depends_on {
                match entry.strip_prefix("$workflows.") {
                    Some(rest) => other_workflow(w, rest, ptr, &ids, r),
                    // `$sourceDescriptions.…` is checked with the other documents (validate.rs).
                    None if entry.starts_with('$') => {}
                    None => match local.iter().position(|id| id == entry) {
                        Some(i) => mine.push(i),
                        None => {
                            let (code, message, help) =
                                unknown("step", entry, local.iter().map(String::as_str));
                            r.error(code, ptr, message, help);
                        }
                    },
                }
            }
            let mut text = Vec::new();
            if let Some(v) = root.pointer(&s.ptr) {
                step_references(v, &mut text);
            }
            mine.extend(text.iter().filter_map(|id| local.iter().position(|l| l == id)));
            needs.push(mine);
        }
        match sequence(&needs) {
            Some(order) => {
                let mut steps: Vec<Option<Step>> =
                    std::mem::take(&mut w.steps).into_iter().map(Some).collect();
                w.steps = order.into_iter().filter_map(|i| steps[i].take()).collect();
            }
            None => {
                let at = w.steps.iter().find(|s| !s.depends_on.is_empty()).map(|s| s.ptr.clone());
                r.error(
                    "E0354",
                    &format!("{}/dependsOn", at.unwrap_or_else(|| w.ptr.clone())),
                    format!("the steps of workflow `{}` wait for each other: no order runs each after what it needs", w.id),
                    Some("a step waits for the steps in its `dependsOn` and those whose outputs it reads; break the cycle".into()),
                );
            }
        }
    }
}

/// `$workflows.<workflowId>.steps.<stepId>`: the step exists, and its workflow runs before this
/// one (it is in this workflow's `dependsOn`), since a step of a workflow that does not run
/// cannot complete.
fn other_workflow(
    w: &Workflow,
    rest: &str,
    ptr: &str,
    ids: &[(String, Vec<String>, Vec<String>)],
    r: &mut Reporter,
) {
    let Some((wf, step)) = rest.split_once(".steps.") else { return };
    let Some((_, steps, _)) = ids.iter().find(|(id, ..)| id == wf) else {
        let (code, message, help) = unknown("workflow", wf, ids.iter().map(|(id, ..)| id.as_str()));
        r.error(code, ptr, message, help);
        return;
    };
    if !steps.iter().any(|s| s == step) {
        let (code, message, help) = unknown("step", step, steps.iter().map(String::as_str));
        r.error(code, ptr, message, help);
    } else if !w.depends_on.iter().any(|(_, d)| d == wf) {
        r.error(
            "E0355",
            ptr,
            format!(
                "step `{step}` of workflow `{wf}` cannot have completed: `{}` does not run `{wf}` first",
                w.id
            ),
            Some(format!("add `{wf}` to the `dependsOn` of workflow `{}`", w.id)),
        );
    }
}

/// `$sourceDescriptions.<name>.<workflowId>.steps.<stepId>` entries of step `s`: the step exists
/// in that document, and its workflow runs before this one.
pub fn external(loaded: &Loaded, doc_idx: usize, w: &Workflow, s: &Step, r: &mut Reporter) {
    for (ptr, entry) in s.depends_on.iter().filter(|(_, e)| e.starts_with("$sourceDescriptions.")) {
        let Some((workflow, step)) = entry.split_once(".steps.") else { continue };
        let (file, wi) = match resolve_target(loaded, doc_idx, &Target::WorkflowId(workflow.to_string())) {
            Ok(Resolution::ExternalWorkflow(file, wi)) => (file, wi),
            Ok(_) => continue,
            Err((code, message, help)) => {
                r.error(code, ptr, message, help);
                continue;
            }
        };
        let steps = &loaded.documents[&file].workflows[wi].steps;
        if !steps.iter().any(|x| x.id == step) {
            let (code, message, help) = unknown("step", step, steps.iter().map(|x| x.id.as_str()));
            r.error(code, ptr, message, help);
        } else if !w.depends_on.iter().any(|(_, d)| d == workflow) {
            r.error(
                "E0355",
                ptr,
                format!(
                    "step `{step}` of `{workflow}` cannot have completed: `{}` does not run it first",
                    w.id
                ),
                Some(format!("add `{workflow}` to the `dependsOn` of workflow `{}`", w.id)),
            );
        }
    }
}

/// The step ids named by `$steps.<id>.` in the strings under `v`.
fn step_references(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            for (at, _) in s.match_indices("$steps.") {
                let rest = &s[at + "$steps.".len()..];
                let id: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
                    .collect();
                if rest[id.len()..].starts_with('.') && !id.is_empty() {
                    out.push(id);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| step_references(x, out)),
        Value::Object(m) => m.values().for_each(|x| step_references(x, out)),
        _ => {}
    }
}

/// The order closest to `0..n` in which every step comes after the steps it needs (`needs[i]`):
/// each time, the first step in document order whose needs are met. `None` for a cycle.
fn sequence(needs: &[Vec<usize>]) -> Option<Vec<usize>> {
    let mut placed = vec![false; needs.len()];
    let mut order = Vec::with_capacity(needs.len());
    while order.len() < needs.len() {
        let next = (0..needs.len()).find(|&i| !placed[i] && needs[i].iter().all(|&d| d == i || placed[d]))?;
        placed[next] = true;
        order.push(next);
    }
    Some(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_keep_the_document_order_where_their_needs_allow() {
        assert_eq!(sequence(&[vec![], vec![], vec![]]), Some(vec![0, 1, 2]));
        assert_eq!(sequence(&[vec![2], vec![], vec![]]), Some(vec![1, 2, 0]));
        assert_eq!(sequence(&[vec![1], vec![0]]), None);
        // A step that reads its own outputs (a retry loop) does not wait for itself.
        assert_eq!(sequence(&[vec![0], vec![0]]), Some(vec![0, 1]));
    }

    #[test]
    fn step_references_are_read_from_every_string() {
        let v = serde_json::json!({"a": "$steps.one.outputs.x", "b": ["{$steps.two-2.outputs.y} and $steps.bad"]});
        let mut out = Vec::new();
        step_references(&v, &mut out);
        assert_eq!(out, ["one", "two-2"]);
    }
}
