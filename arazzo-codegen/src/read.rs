//! Reading an Arazzo document out of its JSON value, reporting every structural mistake.

use serde_json::Value;

use crate::diag::Severity;
use crate::lints::Level;
use crate::model::*;
use crate::report::{Obj, Part, Reporter, child, type_name};

const ROOT: &[&str] = &["arazzo", "$self", "info", "sourceDescriptions", "workflows", "components"];
const INFO: &[&str] = &["title", "summary", "description", "version"];
const SOURCE: &[&str] = &["name", "url", "type"];
const WORKFLOW: &[&str] = &[
    "workflowId",
    "summary",
    "description",
    "inputs",
    "dependsOn",
    "steps",
    "successActions",
    "failureActions",
    "outputs",
    "parameters",
];
const STEP: &[&str] = &[
    "stepId",
    "description",
    "operationId",
    "operationPath",
    "workflowId",
    "parameters",
    "requestBody",
    "successCriteria",
    "onSuccess",
    "onFailure",
    "outputs",
    // Arazzo 1.1 (`version::since_1_1` warns about them in a 1.0.x document).
    "timeout",
    "dependsOn",
    "channelPath",
    "action",
    "correlationId",
];
const PARAMETER: &[&str] = &["name", "in", "value"];
const BODY: &[&str] = &["contentType", "payload", "replacements"];
const REPLACEMENT: &[&str] = &["target", "targetSelectorType", "value"];
// `version` beside `type` is the flat form the 1.0 JSON Schema accepts (OAI issue #336).
const CRITERION: &[&str] = &["context", "condition", "type", "version"];
const ACTION: &[&str] =
    &["name", "type", "workflowId", "stepId", "retryAfter", "retryLimit", "criteria", "parameters"];
const COMPONENTS: &[&str] = &["inputs", "parameters", "successActions", "failureActions"];

/// Reads a document; structural findings go to the reporter.
pub fn document(root: &Value, r: &mut Reporter) -> Document {
    let mut doc = Document::default();
    let Some(o) = Obj::of(root, "", "an Arazzo document", r) else { return doc };
    if o.get("swagger").is_some() || o.get("openapi").is_some() {
        r.error(
            "E0104",
            "",
            "this is an OpenAPI description, not an Arazzo document",
            Some("pass the `.arazzo.yaml` file; OpenAPI files are named in its `sourceDescriptions`".into()),
        );
        return doc;
    }
    o.check_fields(ROOT, "the document root", r);
    (doc.arazzo, doc.version) = version(&o, r);
    doc.self_uri = o.string("$self", false, "the document root", r).map(|s| ("/$self".to_string(), s));
    if let Some(info) = o.get("info").and_then(|v| Obj::of(v, "/info", "`info`", r)) {
        info.check_fields(INFO, "`info`", r);
        doc.title = info.string("title", true, "`info`", r).unwrap_or_default();
        doc.summary = info.string("summary", false, "`info`", r);
        doc.description = info.string("description", false, "`info`", r);
        info.string("version", true, "`info`", r);
    } else if o.get("info").is_none() {
        o.missing("info", "the document", r);
    }
    if o.get("sourceDescriptions").is_none() {
        o.missing("sourceDescriptions", "the document", r);
    }
    for (ptr, v) in o.list("sourceDescriptions", r) {
        if let Some(s) = source(v, &ptr, doc.version, r) {
            doc.sources.push(s);
        }
    }
    match o.get("workflows") {
        None => o.missing("workflows", "the document", r),
        Some(Value::Array(a)) if a.is_empty() => {
            r.error(
                "E0105",
                "/workflows",
                "`workflows` is empty",
                Some("an Arazzo document describes at least one workflow".into()),
            );
        }
        _ => {}
    }
    for (ptr, v) in o.list("workflows", r) {
        if let Some(w) = workflow(v, &ptr, r) {
            doc.workflows.push(w);
        }
    }
    if let Some(c) = o.get("components").and_then(|v| Obj::of(v, "/components", "`components`", r)) {
        doc.components = components(c, r);
    }
    if let Some(x) = o.get(EXTENSION).and_then(|v| Obj::of(v, "/x-arazzo-codegen", "`x-arazzo-codegen`", r)) {
        doc.lints = lints(x, r);
    }
    crate::version::check(root, &doc, r);
    crate::order::steps(root, &mut doc, r);
    doc
}

/// The root extension that sets lint levels for this document.
const EXTENSION: &str = "x-arazzo-codegen";

/// `x-arazzo-codegen: { allow: [W0203], warn: [E0401], deny: [warnings] }`; each code checked.
fn lints(x: Obj, r: &mut Reporter) -> Vec<(String, Level, String)> {
    x.check_fields(&["allow", "warn", "deny"], "`x-arazzo-codegen`", r);
    let mut out = Vec::new();
    for level in [Level::Allow, Level::Warn, Level::Deny] {
        for (ptr, v) in x.list(level.name(), r) {
            let Value::String(code) = v else {
                r.error(
                    "E0103",
                    &ptr,
                    format!("a diagnostic code must be a string, found {}", type_name(v)),
                    None,
                );
                continue;
            };
            match crate::lints::check_setting(code, level) {
                Some((c, message, help)) => r.warn(c, &ptr, message, help),
                None => out.push((code.clone(), level, ptr)),
            }
        }
    }
    out
}

/// The `arazzo` field: its text and the feature set it declares (spec 1.1.0 "Versions": only
/// `major.minor` counts; the 1.1 schema's pattern is `^1\.1\.\d+(-.+)?$`).
fn version(o: &Obj, r: &mut Reporter) -> (String, Version) {
    let Some(v) = o.get("arazzo") else {
        o.missing("arazzo", "the document", r);
        return (String::new(), Version::default());
    };
    let text = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let patch = |rest: &str| {
        rest.split('-').next().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
    };
    let version = match (text.strip_prefix("1.0."), text.strip_prefix("1.1.")) {
        (Some(rest), _) if patch(rest) => Some(Version::V1_0),
        (_, Some(rest)) if patch(rest) => Some(Version::V1_1),
        _ => None,
    };
    match version {
        Some(version) if v.is_string() => (text, version),
        _ => {
            r.error(
                "E0106",
                "/arazzo",
                format!("unsupported Arazzo version `{text}`"),
                Some(
                    "this generator reads Arazzo 1.0.x and 1.1.x; write the version as a string, e.g. `arazzo: 1.1.0`"
                        .into(),
                ),
            );
            (text, version.unwrap_or_default())
        }
    }
}

fn source(v: &Value, ptr: &str, version: Version, r: &mut Reporter) -> Option<SourceDescription> {
    let o = Obj::of(v, ptr, "a source description", r)?;
    o.check_fields(SOURCE, "a source description", r);
    let name = o.string("name", true, "a source description", r)?;
    let url = o.string("url", true, "a source description", r)?;
    let kind = match o.string("type", false, "a source description", r).as_deref() {
        None | Some("openapi") => SourceKind::OpenApi,
        Some("arazzo") => SourceKind::Arazzo,
        Some("asyncapi") => SourceKind::AsyncApi,
        Some(other) => {
            r.error(
                "E0107",
                &child(ptr, "type"),
                format!("unknown source type `{other}`"),
                Some("use `openapi`, `asyncapi` or `arazzo`".into()),
            );
            SourceKind::OpenApi
        }
    };
    // In 1.1 the ABNF makes it `identifier-strict`: E0131 (version.rs).
    if version == Version::V1_0 && !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        r.warn(
            "W0101",
            &child(ptr, "name"),
            format!("source name `{name}` should match [A-Za-z0-9_-]+"),
            None,
        );
    }
    Some(SourceDescription { ptr: ptr.to_string(), name, url, kind })
}

fn workflow(v: &Value, ptr: &str, r: &mut Reporter) -> Option<Workflow> {
    let o = Obj::of(v, ptr, "a workflow", r)?;
    o.check_fields(WORKFLOW, "a workflow", r);
    let id = o.string("workflowId", true, "a workflow", r).unwrap_or_default();
    let mut w = Workflow {
        ptr: ptr.to_string(),
        id,
        summary: o.string("summary", false, "a workflow", r),
        description: o.string("description", false, "a workflow", r),
        inputs: o.get("inputs").map(|v| (child(ptr, "inputs"), v.clone())),
        ..Workflow::default()
    };
    for (p, v) in o.list("dependsOn", r) {
        match v {
            Value::String(s) => w.depends_on.push((p, s.clone())),
            other => r.error(
                "E0103",
                &p,
                format!("`dependsOn` entries must be workflow ids, found {}", type_name(other)),
                None,
            ),
        }
    }
    match o.get("steps") {
        None => o.missing("steps", "a workflow", r),
        Some(Value::Array(a)) if a.is_empty() => r.error(
            "E0105",
            &child(ptr, "steps"),
            "`steps` is empty",
            Some("a workflow has at least one step".into()),
        ),
        _ => {}
    }
    w.steps = o.list("steps", r).into_iter().filter_map(|(p, v)| step(v, &p, r)).collect();
    w.success_actions = actions(&o, "successActions", false, r);
    w.failure_actions = actions(&o, "failureActions", true, r);
    w.outputs = outputs(&o, r);
    w.parameters = o.list("parameters", r).into_iter().filter_map(|(p, v)| param_ref(v, &p, r)).collect();
    Some(w)
}

/// A note for a step whose target key YAML read into its folded `description` (the key was
/// indented under it): where it is and how to fix it.
fn swallowed_target(o: &Obj, ptr: &str, r: &Reporter) -> Option<String> {
    let text = o.get("description")?.as_str()?;
    // A more-indented line keeps its line break in a folded scalar, so lines can be counted.
    let (at, key) = ["operationId:", "operationPath:", "workflowId:"].into_iter().find_map(|k| {
        text.match_indices(k).find(|(i, _)| *i == 0 || text[..*i].trim_end_matches(' ').ends_with('\n'))
    })?;
    let line = r.tree.span(&child(ptr, "description")).value.line + text[..at].matches('\n').count() as u32;
    let name = key.trim_end_matches(':');
    Some(format!(
        "line {line} holds `{name}`, but it is indented under `description`, so YAML reads it as part of \
         the text; indent `{name}` like `description`"
    ))
}

fn step(v: &Value, ptr: &str, r: &mut Reporter) -> Option<Step> {
    let o = Obj::of(v, ptr, "a step", r)?;
    o.check_fields(STEP, "a step", r);
    let id = o.string("stepId", true, "a step", r).unwrap_or_default();
    let mut targets = Vec::new();
    for (key, make) in [
        ("operationId", Target::OperationId as fn(String) -> Target),
        ("operationPath", Target::OperationPath),
        ("workflowId", Target::WorkflowId),
        ("channelPath", Target::ChannelPath),
    ] {
        if let Some(s) = o.string(key, false, "a step", r) {
            targets.push((child(ptr, key), make(s)));
        }
    }
    if targets.is_empty() {
        let mut help = String::from("add exactly one of `operationId`, `operationPath` or `workflowId`");
        if let Some(note) = swallowed_target(&o, ptr, r) {
            help = note;
        }
        r.report(
            Severity::Error,
            "E0108",
            &if o.map.contains_key("stepId") { child(ptr, "stepId") } else { ptr.to_string() },
            Part::Value,
            format!("step `{id}` names no operation or workflow"),
            Some(help),
        );
    } else if targets.len() > 1 {
        r.report(
            Severity::Error,
            "E0109",
            &targets[1].0,
            Part::Key,
            format!("step `{id}` names more than one target"),
            Some("keep exactly one of `operationId`, `operationPath` or `workflowId`".into()),
        );
    }
    let request_body = o.get("requestBody").and_then(|b| body(b, &child(ptr, "requestBody"), r));
    Some(Step {
        ptr: ptr.to_string(),
        id,
        description: o.string("description", false, "a step", r),
        target: targets.into_iter().next(),
        parameters: o.list("parameters", r).into_iter().filter_map(|(p, v)| param_ref(v, &p, r)).collect(),
        request_body,
        success_criteria: o
            .list("successCriteria", r)
            .into_iter()
            .filter_map(|(p, v)| criterion(v, &p, r))
            .collect(),
        on_success: actions(&o, "onSuccess", false, r),
        on_failure: actions(&o, "onFailure", true, r),
        outputs: outputs(&o, r),
        timeout: timeout(&o, r),
        depends_on: step_depends_on(&o, r),
        action: message_action(&o, r),
        correlation_id: o.get("correlationId").map(|v| (child(ptr, "correlationId"), v.clone())),
    })
}

/// `timeout`: "the maximum number of milli-seconds to wait for the step to complete" (1.1.0,
/// Step Object), an integer in the schema.
fn timeout(o: &Obj, r: &mut Reporter) -> Option<(String, u64)> {
    let ptr = child(o.ptr, "timeout");
    let v = o.get("timeout")?;
    match v.as_u64() {
        Some(ms) => Some((ptr, ms)),
        None => {
            r.error(
                "E0352",
                &ptr,
                format!("`timeout` must be a non-negative whole number of milliseconds, found {v}"),
                Some(
                    "write the milliseconds the step may take, retries included, e.g. `timeout: 5000`".into(),
                ),
            );
            None
        }
    }
}

/// Step-level `dependsOn` (1.1.0): a non-empty list of distinct step references.
fn step_depends_on(o: &Obj, r: &mut Reporter) -> Vec<(String, String)> {
    if matches!(o.get("dependsOn"), Some(Value::Array(a)) if a.is_empty()) {
        r.error(
            "E0353",
            &child(o.ptr, "dependsOn"),
            "`dependsOn` is empty",
            Some("list the steps this one waits for, or remove `dependsOn`".into()),
        );
    }
    let mut out: Vec<(String, String)> = Vec::new();
    for (p, v) in o.list("dependsOn", r) {
        let Value::String(s) = v else {
            r.error(
                "E0103",
                &p,
                format!("`dependsOn` entries must be step ids, found {}", type_name(v)),
                None,
            );
            continue;
        };
        if !step_reference(s) {
            r.error(
                "E0353",
                &p,
                format!("`{s}` is not a step reference"),
                Some("write a stepId of this workflow, `$workflows.<workflowId>.steps.<stepId>` or `$sourceDescriptions.<name>.<workflowId>.steps.<stepId>`".into()),
            );
        } else if out.iter().any(|(_, seen)| seen == s) {
            r.error("E0353", &p, format!("`{s}` is listed twice in `dependsOn`"), Some("remove one".into()));
        } else {
            out.push((p, s.clone()));
        }
    }
    out
}

/// The three forms of a step-level `dependsOn` entry (1.1 schema: `^(?!\$).+$`,
/// `^\$workflows\.[^.]+\.steps\.[^.]+$`, `^\$sourceDescriptions\.[^.]+\.[^.]+\.steps\.[^.]+$`).
fn step_reference(s: &str) -> bool {
    let parts = |rest: &str, n: usize| {
        let p: Vec<&str> = rest.split('.').collect();
        p.len() == n && p.iter().all(|x| !x.is_empty()) && p[n - 2] == "steps"
    };
    match (s.strip_prefix("$workflows."), s.strip_prefix("$sourceDescriptions.")) {
        (Some(rest), _) => parts(rest, 3),
        (_, Some(rest)) => parts(rest, 4),
        _ => !s.is_empty() && !s.starts_with('$'),
    }
}

/// `action: send | receive` of an AsyncAPI step.
fn message_action(o: &Obj, r: &mut Reporter) -> Option<(String, MessageAction)> {
    let ptr = child(o.ptr, "action");
    let action = match o.string("action", false, "a step", r)?.as_str() {
        "send" => MessageAction::Send,
        "receive" => MessageAction::Receive,
        other => {
            r.error(
                "E0351",
                &ptr,
                format!("unknown step action `{other}`"),
                Some("an AsyncAPI step's `action` is `send` or `receive`".into()),
            );
            return None;
        }
    };
    Some((ptr, action))
}

fn outputs(o: &Obj, r: &mut Reporter) -> Vec<(String, String, OutputValue)> {
    let mut out = Vec::new();
    for (name, p, v) in o.entries("outputs", r) {
        if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')) {
            r.report(
                Severity::Error,
                "E0110",
                &p,
                Part::Key,
                format!("output name `{name}` must match ^[a-zA-Z0-9.\\-_]+$"),
                None,
            );
        }
        match v {
            Value::String(s) => out.push((name, p, OutputValue::Expr(s.clone()))),
            Value::Object(_) => {
                if let Some(s) = selector(v, &p, r) {
                    out.push((name, p, OutputValue::Selector(s)));
                }
            }
            other => r.error(
                "E0103",
                &p,
                format!(
                    "output `{name}` must be a runtime expression or a Selector Object, found {}",
                    type_name(other)
                ),
                None,
            ),
        }
    }
    out
}

fn param_ref(v: &Value, ptr: &str, r: &mut Reporter) -> Option<ParamRef> {
    let o = Obj::of(v, ptr, "a parameter", r)?;
    if o.get("reference").is_some() {
        // Reusable objects ignore unknown fields (spec 1.0.1).
        let reference = o.string("reference", true, "a reusable object", r)?;
        let name = component_name(&reference, "parameters", &child(ptr, "reference"), r)?;
        let value = o.get("value").map(|v| (child(ptr, "value"), v.clone()));
        return Some(ParamRef::Reusable { ptr: ptr.to_string(), name, value });
    }
    parameter(o, r).map(ParamRef::Inline)
}

fn parameter(o: Obj, r: &mut Reporter) -> Option<Parameter> {
    o.check_fields(PARAMETER, "a parameter", r);
    let name = o.string("name", true, "a parameter", r)?;
    let location = o.string("in", false, "a parameter", r);
    if let Some(l) = &location
        && !["path", "query", "querystring", "header", "cookie", "channel"].contains(&l.as_str())
    {
        let help = if l == "body" {
            "`in: body` was removed in Arazzo 1.0.1; use `requestBody`"
        } else {
            "use `path`, `query`, `querystring`, `header` or `cookie` (`channel` for AsyncAPI steps)"
        };
        r.error("E0111", &child(o.ptr, "in"), format!("unknown parameter location `{l}`"), Some(help.into()));
    }
    let Some(value) = o.get("value") else {
        o.missing("value", "a parameter", r);
        return None;
    };
    selectors_in(value, &child(o.ptr, "value"), r);
    Some(Parameter { ptr: o.ptr.to_string(), name, location, value: value.clone() })
}

/// Reads a Selector Object (Arazzo 1.1 §Selector Object: `context`, `selector` and `type`
/// are all required).
pub fn selector(v: &Value, ptr: &str, r: &mut Reporter) -> Option<Selector> {
    let o = Obj::of(v, ptr, "a Selector Object", r)?;
    o.check_fields(&["context", "selector", "type"], "a Selector Object", r);
    let context = o.string("context", true, "a Selector Object", r);
    let selector = o.string("selector", true, "a Selector Object", r);
    let kind = match o.get("type") {
        Some(t) => expr_type(t, &child(ptr, "type"), &["jsonpath", "xpath", "jsonpointer"], r),
        None => {
            o.missing("type", "a Selector Object", r);
            None
        }
    };
    Some(Selector { ptr: ptr.to_string(), context: context?, selector: selector?, kind: kind? })
}

/// Reads a selector `type`: one of `kinds`, or an Expression Type Object (`type` and
/// `version`, both required) of one of them. E0230 for an unknown type or version.
fn expr_type(v: &Value, ptr: &str, kinds: &[&str], r: &mut Reporter) -> Option<ExprType> {
    let (kind, version, kptr) = match v {
        Value::String(t) => (t.clone(), None, ptr.to_string()),
        Value::Object(_) => {
            let o = Obj::of(v, ptr, "an Expression Type Object", r)?;
            o.check_fields(&["type", "version"], "an Expression Type Object", r);
            let version = o.string("version", true, "an Expression Type Object", r);
            (o.string("type", true, "an Expression Type Object", r)?, version, child(ptr, "type"))
        }
        other => {
            r.error(
                "E0103",
                ptr,
                format!("`type` must be a string or a mapping, found {}", type_name(other)),
                None,
            );
            return None;
        }
    };
    if !kinds.contains(&kind.as_str()) {
        let help = format!("use {}", crate::report::list(kinds));
        r.error("E0230", &kptr, format!("unknown expression type `{kind}`"), Some(help));
        return None;
    }
    let parsed = ExprType::parse(&kind, version.as_deref());
    if parsed.is_none() {
        let versions = ExprType::versions(&kind).iter().map(|v| format!("`{v}`")).collect::<Vec<_>>();
        r.error(
            "E0230",
            &child(ptr, "version"),
            format!("`{}` is not a version of `{kind}`", version.unwrap_or_default()),
            Some(format!("use one of {}", versions.join(", "))),
        );
    }
    parsed
}

/// Reports the mistakes of every Selector Object inside a parameter value, payload or
/// replacement value: a mapping with both `context` and `selector` is taken for one.
fn selectors_in(v: &Value, ptr: &str, r: &mut Reporter) {
    match v {
        Value::Object(map) if map.contains_key("context") && map.contains_key("selector") => {
            selector(v, ptr, r);
        }
        Value::Object(map) => map.iter().for_each(|(k, v)| selectors_in(v, &child(ptr, k), r)),
        Value::Array(items) => {
            items.iter().enumerate().for_each(|(i, v)| selectors_in(v, &format!("{ptr}/{i}"), r))
        }
        _ => {}
    }
}

/// Parses `$components.<kind>.<name>`, reporting E0112 when the reference has another shape.
fn component_name(reference: &str, kind: &str, ptr: &str, r: &mut Reporter) -> Option<String> {
    let prefix = format!("$components.{kind}.");
    match reference.strip_prefix(&prefix) {
        Some(name) if !name.is_empty() => Some(name.to_string()),
        _ => {
            r.error(
                "E0112",
                ptr,
                format!("`{reference}` is not a reference to `components.{kind}`"),
                Some(format!("write `{prefix}<name>`")),
            );
            None
        }
    }
}

fn body(v: &Value, ptr: &str, r: &mut Reporter) -> Option<RequestBody> {
    let o = Obj::of(v, ptr, "a request body", r)?;
    o.check_fields(BODY, "a request body", r);
    let mut replacements = Vec::new();
    for (p, v) in o.list("replacements", r) {
        let Some(ro) = Obj::of(v, &p, "a payload replacement", r) else { continue };
        ro.check_fields(REPLACEMENT, "a payload replacement", r);
        let target = ro.string("target", true, "a payload replacement", r);
        // Arazzo 1.1: a JSON pointer, a JSONPath query or an XPath expression; whether it fits
        // the payload is checked with the operation's media types (E0237).
        let kind = ro.get("targetSelectorType").and_then(|t| {
            expr_type(t, &child(&p, "targetSelectorType"), &["jsonpointer", "jsonpath", "xpath"], r)
        });
        let value = ro.get("value").cloned();
        if let Some(v) = &value {
            selectors_in(v, &child(&p, "value"), r);
        }
        if value.is_none() {
            ro.missing("value", "a payload replacement", r);
        }
        if let (Some(target), Some(value)) = (target, value) {
            replacements.push(Replacement { ptr: p, target, kind, value });
        }
    }
    if let Some(payload) = o.get("payload") {
        selectors_in(payload, &child(ptr, "payload"), r);
    }
    Some(RequestBody {
        ptr: ptr.to_string(),
        content_type: o.string("contentType", false, "a request body", r),
        payload: o.get("payload").cloned(),
        replacements,
    })
}

/// Reads a criterion.
pub fn criterion(v: &Value, ptr: &str, r: &mut Reporter) -> Option<Criterion> {
    let o = Obj::of(v, ptr, "a criterion", r)?;
    o.check_fields(CRITERION, "a criterion", r);
    let condition = o.string("condition", true, "a criterion", r)?;
    let context = o.string("context", false, "a criterion", r);
    let tptr = child(ptr, "type");
    let kind = match o.get("type") {
        None => CriterionKind::Simple,
        Some(Value::String(t)) => match t.as_str() {
            "simple" => CriterionKind::Simple,
            "regex" => CriterionKind::Regex,
            "jsonpath" => CriterionKind::JsonPath(None),
            "xpath" => CriterionKind::XPath(None),
            other => {
                r.error(
                    "E0113",
                    &tptr,
                    format!("unknown criterion type `{other}`"),
                    Some("use `simple`, `regex`, `jsonpath` or `xpath`".into()),
                );
                return None;
            }
        },
        Some(Value::Object(_)) => {
            let to = Obj::of(&o.map["type"], &tptr, "a criterion expression type", r)?;
            to.check_fields(&["type", "version"], "a criterion expression type", r);
            let version = to.string("version", true, "a criterion expression type", r);
            match to.string("type", true, "a criterion expression type", r)?.as_str() {
                "jsonpath" => CriterionKind::JsonPath(version),
                "xpath" => CriterionKind::XPath(version),
                other => {
                    r.error(
                        "E0113",
                        &child(&tptr, "type"),
                        format!("unknown criterion expression type `{other}`"),
                        Some("use `jsonpath` or `xpath`".into()),
                    );
                    return None;
                }
            }
        }
        Some(other) => {
            r.error(
                "E0103",
                &tptr,
                format!("`type` must be a string or a mapping, found {}", type_name(other)),
                None,
            );
            return None;
        }
    };
    if kind != CriterionKind::Simple && context.is_none() {
        r.error(
            "E0114",
            ptr,
            "a criterion with a `type` needs a `context`",
            Some("add `context: $response.body` (the value the condition is evaluated against)".into()),
        );
    }
    Some(Criterion { ptr: ptr.to_string(), condition, context, kind })
}

fn actions(o: &Obj, key: &str, failure: bool, r: &mut Reporter) -> Vec<ActionRef> {
    let kind = if failure { "failureActions" } else { "successActions" };
    o.list(key, r)
        .into_iter()
        .filter_map(|(p, v)| {
            let ao = Obj::of(v, &p, "an action", r)?;
            if ao.get("reference").is_some() {
                let reference = ao.string("reference", true, "a reusable object", r)?;
                let name = component_name(&reference, kind, &child(&p, "reference"), r)?;
                return Some(ActionRef::Reusable { ptr: p, kind: kind.to_string(), name });
            }
            action(ao, failure, r).map(ActionRef::Inline)
        })
        .collect()
}

fn action(o: Obj, failure: bool, r: &mut Reporter) -> Option<Action> {
    o.check_fields(ACTION, "an action", r);
    let name = o.string("name", true, "an action", r).unwrap_or_default();
    let kind = match o.string("type", true, "an action", r)?.as_str() {
        "end" => ActionKind::End,
        "goto" => ActionKind::Goto,
        "retry" => ActionKind::Retry,
        other => {
            let help = if failure { "use `end`, `goto` or `retry`" } else { "use `end` or `goto`" };
            r.error(
                "E0115",
                &child(o.ptr, "type"),
                format!("unknown action type `{other}`"),
                Some(help.into()),
            );
            return None;
        }
    };
    let step_id = o.string("stepId", false, "an action", r).map(|s| (child(o.ptr, "stepId"), s));
    let workflow_id = o.string("workflowId", false, "an action", r).map(|s| (child(o.ptr, "workflowId"), s));
    let retry_after = number_field(&o, "retryAfter", r);
    let retry_limit = number_field(&o, "retryLimit", r).and_then(|n| {
        if n.fract() != 0.0 {
            r.error(
                "E0116",
                &child(o.ptr, "retryLimit"),
                format!("`retryLimit` must be a whole number, found {n}"),
                None,
            );
            None
        } else {
            Some(n as u64)
        }
    });
    if kind != ActionKind::Retry {
        for key in ["retryAfter", "retryLimit"] {
            if o.get(key).is_some() {
                r.warn(
                    "W0102",
                    &child(o.ptr, key),
                    format!("`{key}` has no effect on a `{}` action", kind_name(kind)),
                    Some("remove it, or make the action `type: retry`".into()),
                );
            }
        }
    }
    if step_id.is_some() && workflow_id.is_some() {
        r.report(
            Severity::Error,
            "E0117",
            &child(o.ptr, "workflowId"),
            Part::Key,
            format!("action `{name}` names both a `stepId` and a `workflowId`"),
            Some("keep one of them".into()),
        );
    }
    if kind == ActionKind::Goto && step_id.is_none() && workflow_id.is_none() {
        r.error(
            "E0118",
            o.ptr,
            format!("goto action `{name}` names no target"),
            Some("add `stepId:` or `workflowId:`".into()),
        );
    }
    if kind == ActionKind::End && (step_id.is_some() || workflow_id.is_some()) {
        r.warn(
            "W0102",
            o.ptr,
            format!("end action `{name}` ignores its `stepId`/`workflowId`"),
            Some("remove the target, or make it `type: goto`".into()),
        );
    }
    let criteria = o.list("criteria", r).into_iter().filter_map(|(p, v)| criterion(v, &p, r)).collect();
    let parameters = o.list("parameters", r).into_iter().filter_map(|(p, v)| param_ref(v, &p, r)).collect();
    Some(Action {
        ptr: o.ptr.to_string(),
        name,
        kind,
        step_id,
        workflow_id,
        retry_after,
        retry_limit,
        criteria,
        parameters,
    })
}

fn kind_name(k: ActionKind) -> &'static str {
    match k {
        ActionKind::End => "end",
        ActionKind::Goto => "goto",
        ActionKind::Retry => "retry",
    }
}

fn number_field(o: &Obj, key: &str, r: &mut Reporter) -> Option<f64> {
    let p = child(o.ptr, key);
    match o.get(key)? {
        Value::Number(n) => match n.as_f64() {
            Some(f) if f >= 0.0 && f.is_finite() => Some(f),
            _ => {
                r.error(
                    "E0116",
                    &p,
                    format!("`{key}` must not be negative, found {n}"),
                    Some(format!("`{key}` is a non-negative number")),
                );
                None
            }
        },
        other => {
            let help = match other {
                Value::String(s) if s.trim().parse::<f64>().is_ok() => {
                    format!("write it without quotes: `{key}: {}`", s.trim())
                }
                _ => format!("`{key}` is a non-negative number (seconds for `retryAfter`)"),
            };
            r.error("E0116", &p, format!("`{key}` must be a number, found {}", type_name(other)), Some(help));
            None
        }
    }
}

fn components(o: Obj, r: &mut Reporter) -> Components {
    o.check_fields(COMPONENTS, "`components`", r);
    let mut c = Components::default();
    for (name, p, v) in o.entries("inputs", r) {
        c.inputs.push((name, p, v.clone()));
    }
    for (name, p, v) in o.entries("parameters", r) {
        if let Some(po) = Obj::of(v, &p, "a parameter", r)
            && let Some(param) = parameter(po, r)
        {
            c.parameters.push((name, param));
        }
    }
    for (key, failure) in [("successActions", false), ("failureActions", true)] {
        for (name, p, v) in o.entries(key, r) {
            let Some(ao) = Obj::of(v, &p, "an action", r) else { continue };
            if let Some(a) = action(ao, failure, r) {
                if failure { c.failure_actions.push((name, a)) } else { c.success_actions.push((name, a)) }
            }
        }
    }
    c
}
