//! Rules that depend on the Arazzo version a document declares: the 1.1 fields a 1.0.x
//! document uses (a warning naming the version to declare; the fields are honoured, since each
//! has one meaning), and what 1.1 makes stricter (identifier-strict ids, non-empty
//! `successCriteria` and success action `criteria`, a `$self` without fragment).

use serde_json::Value;

use crate::diag::Severity;
use crate::model::*;
use crate::report::{Part, Reporter, child};

/// Runs the version rules on a document just read from `root`.
pub fn check(root: &Value, doc: &Document, r: &mut Reporter) {
    if let Some((ptr, uri)) = &doc.self_uri {
        self_uri(ptr, uri, r);
    }
    match doc.version {
        Version::V1_0 => since_1_1(doc, r),
        Version::V1_1 => strict_1_1(root, doc, r),
    }
}

/// Spec 1.1.0, Arazzo Specification Object: `$self` "MUST be in the form of a URI-reference" and
/// "MUST NOT contain a fragment identifier".
fn self_uri(ptr: &str, uri: &str, r: &mut Reporter) {
    let problem = if uri.contains('#') {
        "contains a fragment (`#…`)"
    } else if uri.is_empty() || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        "is not a URI-reference"
    } else {
        return;
    };
    r.error(
        "E0130",
        ptr,
        format!("`$self: {uri}` {problem}"),
        Some("`$self` is the document's own URI, without fragment, e.g. `https://example.com/flows.arazzo.yaml`".into()),
    );
}

/// W0130 for each 1.1 field of a 1.0.x document.
fn since_1_1(doc: &Document, r: &mut Reporter) {
    let mut found: Vec<(String, &str)> = Vec::new();
    if let Some((ptr, _)) = &doc.self_uri {
        found.push((ptr.clone(), "`$self`"));
    }
    for s in doc.sources.iter().filter(|s| s.kind == SourceKind::AsyncApi) {
        found.push((child(&s.ptr, "type"), "`type: asyncapi`"));
    }
    let mut params: Vec<&ParamRef> = Vec::new();
    for w in &doc.workflows {
        params.extend(&w.parameters);
        for s in &w.steps {
            params.extend(&s.parameters);
            if let Some((ptr, _)) = &s.timeout {
                found.push((ptr.clone(), "step `timeout`"));
            }
            if let Some((ptr, _)) = s.depends_on.first() {
                found.push((parent(ptr), "step `dependsOn`"));
            }
            if let Some((ptr, Target::ChannelPath(_))) = &s.target {
                found.push((ptr.clone(), "`channelPath`"));
            }
            if let Some((ptr, _)) = &s.action {
                found.push((ptr.clone(), "step `action`"));
            }
            if let Some((ptr, _)) = &s.correlation_id {
                found.push((ptr.clone(), "`correlationId`"));
            }
            action_params(s.on_success.iter().chain(&s.on_failure), &mut found);
        }
        action_params(w.success_actions.iter().chain(&w.failure_actions), &mut found);
    }
    for (_, a) in doc.components.success_actions.iter().chain(&doc.components.failure_actions) {
        if let Some(p) = a.parameters.first() {
            found.push((parent(param_ptr(p)), "action `parameters`"));
        }
    }
    for p in params {
        if let ParamRef::Inline(p) = p
            && p.location.as_deref() == Some("querystring")
        {
            found.push((child(&p.ptr, "in"), "`in: querystring`"));
        }
    }
    for (_, p) in &doc.components.parameters {
        if p.location.as_deref() == Some("querystring") {
            found.push((child(&p.ptr, "in"), "`in: querystring`"));
        }
    }
    for (ptr, what) in found {
        r.warn(
            "W0130",
            &ptr,
            format!("{what} is Arazzo 1.1; this document declares `arazzo: {}`", doc.arazzo),
            Some("declare `arazzo: 1.1.0` (it is read as 1.1 meant it)".into()),
        );
    }
}

fn action_params<'a>(actions: impl Iterator<Item = &'a ActionRef>, found: &mut Vec<(String, &str)>) {
    for a in actions {
        if let ActionRef::Inline(a) = a
            && let Some(p) = a.parameters.first()
        {
            found.push((parent(param_ptr(p)), "action `parameters`"));
        }
    }
}

fn param_ptr(p: &ParamRef) -> &str {
    match p {
        ParamRef::Inline(p) => &p.ptr,
        ParamRef::Reusable { ptr, .. } => ptr,
    }
}

/// The inline actions of a list (references are checked where their components are).
fn inline(actions: &[ActionRef]) -> impl Iterator<Item = &Action> {
    actions.iter().filter_map(|a| match a {
        ActionRef::Inline(a) => Some(a),
        ActionRef::Reusable { .. } => None,
    })
}

fn parent(ptr: &str) -> String {
    ptr.rsplit_once('/').map_or(ptr, |(p, _)| p).to_string()
}

/// What 1.1 requires that 1.0.x did not.
fn strict_1_1(root: &Value, doc: &Document, r: &mut Reporter) {
    // Runtime Expressions ABNF: `step-id`, `workflow-id` and `source-name` are
    // `identifier-strict = 1*( ALPHA / DIGIT / "-" / "_" )`; an id with another character
    // cannot be named in an expression.
    let mut ids: Vec<(String, &str, &str)> = Vec::new();
    for s in &doc.sources {
        ids.push((child(&s.ptr, "name"), "source name", &s.name));
    }
    let mut success_actions: Vec<&Action> = doc.components.success_actions.iter().map(|(_, a)| a).collect();
    for w in &doc.workflows {
        ids.push((child(&w.ptr, "workflowId"), "workflowId", &w.id));
        success_actions.extend(inline(&w.success_actions));
        for s in &w.steps {
            success_actions.extend(inline(&s.on_success));
            ids.push((child(&s.ptr, "stepId"), "stepId", &s.id));
            // Step Object, `successCriteria`: "If provided, it MUST contain at least one".
            let key = child(&s.ptr, "successCriteria");
            if matches!(root.pointer(&key), Some(Value::Array(a)) if a.is_empty()) {
                r.error(
                    "E0132",
                    &key,
                    "`successCriteria` is empty",
                    Some("Arazzo 1.1 requires at least one criterion here; remove the field to succeed on any 2xx".into()),
                );
            }
        }
    }
    // The 1.1 schema gives a Success Action's `criteria` `minItems: 1` (a Failure Action's may be
    // empty): an empty list is a mistake for "no criteria", which is written by leaving it out.
    for a in success_actions {
        let key = child(&a.ptr, "criteria");
        if matches!(root.pointer(&key), Some(Value::Array(c)) if c.is_empty()) {
            r.error(
                "E0134",
                &key,
                format!("success action `{}` has an empty `criteria`", a.name),
                Some("Arazzo 1.1 requires at least one criterion here; remove the field to run the action after every success".into()),
            );
        }
    }
    for (ptr, what, id) in ids {
        if id.is_empty() || id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            continue;
        }
        r.report(
            Severity::Error,
            "E0131",
            &ptr,
            Part::Value,
            format!("{what} `{id}` must match [A-Za-z0-9_-]+ in Arazzo 1.1"),
            Some("expressions name it through `identifier-strict`: use letters, digits, `-` and `_`".into()),
        );
    }
}
