//! AsyncAPI steps (Arazzo 1.1: `channelPath`, `action`, `correlationId`): checked against the
//! AsyncAPI description (2.x and 3.x), then refused for code generation with one error per step
//! (E0350), until AsyncAPI execution is implemented.
//!
//! Since the step is refused anyway, what the check finds in its target is a warning
//! (W0350-W0352): each AsyncAPI step gets exactly one error, the refusal, which says what the
//! generator cannot do yet.

use serde_json::Value;

use crate::diag::Severity;
use crate::load::{Loaded, Resolved};
use crate::model::*;
use crate::report::{Part, Reporter};
use crate::resolve::operation_path_parts;

/// Whether step `s` of document `doc_idx` is an AsyncAPI step: it names a channel, or its
/// operation is qualified by an `asyncapi` source, or it has an `action` and no OpenAPI
/// source of the document could hold its operation.
pub fn is_async(loaded: &Loaded, doc_idx: usize, s: &Step) -> bool {
    let Some(doc) = loaded.documents.get(&doc_idx) else { return false };
    let kind_of = |name: &str| doc.sources.iter().find(|x| x.name == name).map(|x| x.kind);
    match &s.target {
        Some((_, Target::ChannelPath(_))) => true,
        Some((_, Target::OperationId(t) | Target::OperationPath(t))) => match source_name(t) {
            Some(name) => kind_of(name) == Some(SourceKind::AsyncApi),
            None => s.action.is_some() && doc.sources.iter().all(|x| x.kind != SourceKind::OpenApi),
        },
        _ => false,
    }
}

/// The source a target names: `$sourceDescriptions.<name>.<rest>`, `{$sourceDescriptions.<name>.url}#…`
/// or `$sourceDescriptions.<name>#…`.
fn source_name(target: &str) -> Option<&str> {
    if let Some((name, _, _)) = operation_path_parts(target) {
        return Some(name);
    }
    let rest = target.strip_prefix("$sourceDescriptions.")?;
    Some(rest.split(['.', '#']).next().unwrap_or(rest))
}

/// Checks the 1.1 step fields that belong to AsyncAPI steps, on any step.
pub fn check_fields(s: &Step, is_async: bool, r: &mut Reporter) {
    let workflow_step = matches!(s.target, Some((_, Target::WorkflowId(_))));
    let mut misplaced = |ptr: &str, field: &str, why: &str| {
        r.report(Severity::Error, "E0351", ptr, Part::Key, format!("`{field}` {why}"), None)
    };
    if !is_async || workflow_step {
        let why = "belongs to AsyncAPI steps only";
        if let Some((ptr, _)) = &s.correlation_id {
            misplaced(ptr, "correlationId", why);
        }
        if workflow_step && let Some((ptr, _)) = &s.action {
            misplaced(ptr, "action", why);
        }
        return;
    }
    if let (Some((ptr, _)), Some((_, MessageAction::Send))) = (&s.correlation_id, &s.action) {
        misplaced(ptr, "correlationId", "applies to `action: receive` steps only (it matches a reply)");
    }
    if s.action.is_none() {
        let at = s.target.as_ref().map_or(s.ptr.as_str(), |(p, _)| p.as_str());
        r.error(
            "E0351",
            at,
            format!("AsyncAPI step `{}` has no `action`", s.id),
            Some("add `action: send` or `action: receive`".into()),
        );
    }
}

/// Checks AsyncAPI step `s` against its description, then refuses it (E0350).
pub fn check_step(loaded: &Loaded, doc_idx: usize, s: &Step, r: &mut Reporter) {
    check_fields(s, true, r);
    // 1.1 schema, `operation-step-parameters`: a Parameter Object of an operation step requires `in`.
    for p in &s.parameters {
        if let ParamRef::Inline(p) = p
            && p.location.is_none()
        {
            r.report(
                Severity::Error,
                "E0318",
                &p.ptr,
                Part::Key,
                format!("parameter `{}` of an operation step has no `in`", p.name),
                Some("add `in: header` or `in: channel`".into()),
            );
        }
    }
    let Some((ptr, target)) = &s.target else { return };
    if let Some((file, text)) = description(loaded, doc_idx, target) {
        let v = &loaded.file(file).tree.value;
        match find(v, target, text) {
            Some(op) => check_operation(&op, s, r),
            None => r.warn(
                "W0350",
                ptr,
                format!("`{text}` names no {} of the AsyncAPI description", what(target)),
                Some(format!("its {}s: {}", what(target), known(v, target))),
            ),
        }
    }
    r.error(
        "E0350",
        ptr,
        format!("step `{}` is an AsyncAPI step: AsyncAPI execution is not supported yet", s.id),
        Some(
            "only OpenAPI operations and workflows can be generated; run this step with another tool".into(),
        ),
    );
}

fn what(target: &Target) -> &'static str {
    if matches!(target, Target::ChannelPath(_)) { "channel" } else { "operation" }
}

/// The AsyncAPI file a target's source resolved to, and the target's text.
fn description<'t>(loaded: &Loaded, doc_idx: usize, target: &'t Target) -> Option<(usize, &'t str)> {
    let (Target::OperationId(t) | Target::OperationPath(t) | Target::ChannelPath(t)) = target else {
        return None;
    };
    let doc = loaded.documents.get(&doc_idx)?;
    let source = match source_name(t) {
        Some(name) => doc.sources.iter().find(|x| x.name == name)?,
        None => doc.sources.iter().find(|x| x.kind == SourceKind::AsyncApi)?,
    };
    match loaded.sources.get(&(doc_idx, source.name.clone()))? {
        Resolved::File(f)
            if source.kind == SourceKind::AsyncApi && supported(&loaded.file(*f).tree.value) =>
        {
            Some((*f, t))
        }
        _ => None,
    }
}

/// `asyncapi: 2.x | 3.x` (E0133 otherwise).
fn supported(v: &Value) -> bool {
    v.get("asyncapi").and_then(Value::as_str).is_some_and(|s| s.starts_with("2.") || s.starts_with("3."))
}

/// What a target found: the operation (3.x `operations` entry, 2.x `publish`/`subscribe`
/// object) or the channel, with the messages it carries and the AsyncAPI action that the
/// Arazzo `action` must mirror.
struct Found {
    /// `send`/`receive` in the description's own terms (the application's side).
    action: Option<String>,
    /// The messages, `$ref`s followed.
    messages: Vec<Value>,
}

fn find(v: &Value, target: &Target, text: &str) -> Option<Found> {
    // A pointer (`…#/channels/x`, `…#/operations/x`) is followed as written; otherwise the
    // last segment names an operation (3.x: its key; 2.x: its `operationId`).
    if let Some((_, pointer)) = text.split_once('#') {
        let node = v.pointer(pointer)?;
        return Some(found(v, node));
    }
    if matches!(target, Target::ChannelPath(_)) {
        return None;
    }
    let id =
        text.strip_prefix("$sourceDescriptions.").and_then(|r| r.split_once('.')).map_or(text, |(_, id)| id);
    if let Some(op) = v.get("operations").and_then(|o| o.get(id)) {
        return Some(found(v, op));
    }
    let channels = v.get("channels")?.as_object()?;
    channels.values().find_map(|c| {
        ["publish", "subscribe"].into_iter().find_map(|k| {
            let op = c.get(k)?;
            (op.get("operationId")?.as_str()? == id).then(|| Found {
                // 2.x names the side of the other party: `publish` = clients send.
                action: Some(if k == "publish" { "receive" } else { "send" }.into()),
                messages: messages(v, op.get("message")),
            })
        })
    })
}

fn found(v: &Value, node: &Value) -> Found {
    let node = deref(v, node);
    let mut messages = messages(v, node.get("messages"));
    if messages.is_empty()
        && let Some(channel) = node.get("channel")
    {
        messages = messages_of_channel(v, deref(v, channel));
    }
    if messages.is_empty() {
        messages = messages_of_channel(v, node);
    }
    Found { action: node.get("action").and_then(Value::as_str).map(str::to_string), messages }
}

fn messages_of_channel(v: &Value, channel: &Value) -> Vec<Value> {
    let mut out = messages(v, channel.get("messages"));
    for k in ["publish", "subscribe"] {
        out.extend(messages(v, channel.get(k).and_then(|op| op.get("message"))));
    }
    out
}

/// A message, a list or map of messages, or 2.x `oneOf`, each `$ref` followed.
fn messages(v: &Value, m: Option<&Value>) -> Vec<Value> {
    let Some(m) = m.map(|m| deref(v, m)) else { return Vec::new() };
    match m {
        Value::Array(a) => a.iter().map(|x| deref(v, x).clone()).collect(),
        Value::Object(o) if o.contains_key("oneOf") => messages(v, o.get("oneOf")),
        Value::Object(o) if o.contains_key("payload") || o.contains_key("correlationId") => vec![m.clone()],
        Value::Object(o) => o.values().map(|x| deref(v, x).clone()).collect(),
        _ => Vec::new(),
    }
}

/// Follows local `$ref`s (a few levels: enough for message → component).
fn deref<'v>(root: &'v Value, mut node: &'v Value) -> &'v Value {
    for _ in 0..8 {
        match node.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
            Some(p) => match root.pointer(p) {
                Some(n) => node = n,
                None => break,
            },
            None => break,
        }
    }
    node
}

fn check_operation(op: &Found, s: &Step, r: &mut Reporter) {
    // The description speaks for the application; the workflow is its peer, so a step that
    // sends uses an operation whose application receives (3.0.0 example: `placeOrder`).
    if let (Some((aptr, action)), Some(theirs)) = (&s.action, &op.action) {
        let expected = match action {
            MessageAction::Send => "receive",
            MessageAction::Receive => "send",
        };
        if theirs != expected {
            r.warn(
                "W0352",
                aptr,
                format!(
                    "the AsyncAPI operation has `action: {theirs}`, so a workflow cannot {}",
                    mirror(*action)
                ),
                Some(format!(
                    "the step's `action` is the opposite of the operation's: use `{}`",
                    mirror_of(theirs)
                )),
            );
        }
    }
    if let Some((cptr, _)) = &s.correlation_id
        && !op.messages.iter().any(|m| m.get("correlationId").is_some())
    {
        r.warn(
            "W0351",
            cptr,
            "no message of the AsyncAPI operation defines a `correlationId`",
            Some(
                "add a Correlation ID Object to the message, or remove `correlationId` from the step".into(),
            ),
        );
    }
}

fn mirror(a: MessageAction) -> &'static str {
    match a {
        MessageAction::Send => "send to it",
        MessageAction::Receive => "receive from it",
    }
}

fn mirror_of(theirs: &str) -> &'static str {
    if theirs == "send" { "receive" } else { "send" }
}

/// The operations or channels a description has, for the help line.
fn known(v: &Value, target: &Target) -> String {
    let key = if matches!(target, Target::ChannelPath(_)) { "channels" } else { "operations" };
    let mut names: Vec<String> = match v.get(key).and_then(Value::as_object) {
        Some(m) => m.keys().map(|k| format!("`{k}`")).collect(),
        None => v
            .get("channels")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|c| c.values())
            .flat_map(|c| ["publish", "subscribe"].map(|k| c.get(k).and_then(|o| o.get("operationId"))))
            .flatten()
            .filter_map(Value::as_str)
            .map(|id| format!("`{id}`"))
            .collect(),
    };
    names.truncate(8);
    if names.is_empty() { "none".into() } else { names.join(", ") }
}

/// Reports an AsyncAPI description of a version other than 2.x or 3.x (E0133).
pub fn check_version(v: &Value, r: &mut Reporter) {
    if supported(v) {
        return;
    }
    let (ptr, message) = match v.get("asyncapi").and_then(Value::as_str) {
        Some(s) => ("/asyncapi", format!("unsupported AsyncAPI version `{s}`")),
        None => ("", "the `asyncapi` source description has no `asyncapi` version field".into()),
    };
    r.error("E0133", ptr, message, Some("this generator reads AsyncAPI 2.x and 3.x descriptions".into()));
}
