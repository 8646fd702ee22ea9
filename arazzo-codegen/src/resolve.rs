//! Resolving a step's target (`operationId`, `operationPath`, `workflowId`) to an OpenAPI
//! operation or a workflow, across the source descriptions of a document.

use crate::diag::did_you_mean;
use crate::load::{Loaded, Resolved};
use crate::model::*;
use crate::openapi::{self, Operation};

/// A step's target, resolved.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// An OpenAPI operation.
    Operation(Operation),
    /// A workflow in this document (index).
    LocalWorkflow(usize),
    /// A workflow in another Arazzo document (file index, workflow index).
    ExternalWorkflow(usize, usize),
    /// A remote source that was not fetched.
    Unchecked,
}

/// Why a target did not resolve: code, message, help.
pub type Unresolved = (&'static str, String, Option<String>);

/// Resolves a step's `operationId` / `operationPath` / `workflowId` in document `doc`.
pub fn resolve_target(loaded: &Loaded, doc: usize, target: &Target) -> Result<Resolution, Unresolved> {
    let d = &loaded.documents[&doc];
    match target {
        Target::OperationId(id) => resolve_operation_id(loaded, doc, id),
        Target::OperationPath(path) => resolve_operation_path(loaded, doc, path),
        Target::ChannelPath(path) => Err((
            "E0350",
            format!("`{path}` names an AsyncAPI channel: AsyncAPI execution is not supported yet"),
            None,
        )),
        Target::WorkflowId(id) => {
            if let Some((source, wf)) = qualified(id) {
                let (file, _) = source_file(loaded, doc, source)?;
                let Some(file) = file else { return Ok(Resolution::Unchecked) };
                let Some(other) = loaded.documents.get(&file) else {
                    return Err((
                        "E0312",
                        format!("source `{source}` is not an Arazzo document"),
                        Some("give it `type: arazzo`".into()),
                    ));
                };
                // `…name.workflows.<id>` (a form documents use) names `<id>`.
                let found = |id: &str| other.workflows.iter().position(|w| w.id == id);
                return match found(wf).or_else(|| workflows_segment(wf).and_then(found)) {
                    Some(i) => Ok(Resolution::ExternalWorkflow(file, i)),
                    None => Err(unknown("workflow", wf, other.workflows.iter().map(|w| w.id.as_str()))),
                };
            }
            match d.workflows.iter().position(|w| &w.id == id) {
                Some(i) => Ok(Resolution::LocalWorkflow(i)),
                None => Err(unknown("workflow", id, d.workflows.iter().map(|w| w.id.as_str()))),
            }
        }
    }
}

pub fn unknown<'a>(what: &str, name: &str, candidates: impl Iterator<Item = &'a str>) -> Unresolved {
    let candidates: Vec<&str> = candidates.collect();
    let help = match did_you_mean(name, candidates.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if candidates.is_empty() => format!("there is no {what} to refer to"),
        None => format!("known: {}", crate::report::list(&candidates[..candidates.len().min(8)])),
    };
    ("E0310", format!("unknown {what} `{name}`"), Some(help))
}

/// Splits `$sourceDescriptions.<name>.<rest>`.
fn qualified(s: &str) -> Option<(&str, &str)> {
    s.strip_prefix("$sourceDescriptions.")?.split_once('.')
}

/// The source name and JSON pointer of an operationPath, and whether it is written the
/// portable way, `{$sourceDescriptions.<name>.url}#<pointer>`. Documents also write
/// `$sourceDescriptions.<name>#<pointer>` (no braces, no `.url`), which is read the same.
pub fn operation_path_parts(path: &str) -> Option<(&str, &str, bool)> {
    if let Some(rest) = path.strip_prefix("{$sourceDescriptions.") {
        let (source, pointer) = rest.split_once(".url}#")?;
        return Some((source, pointer, true));
    }
    let (source, pointer) = path.strip_prefix("$sourceDescriptions.")?.split_once('#')?;
    let source = source.strip_suffix(".url").unwrap_or(source);
    (!source.is_empty()).then_some((source, pointer, false))
}

/// A qualified workflowId written `$sourceDescriptions.<name>.workflows.<id>`: `<id>`.
pub fn workflows_segment(wf: &str) -> Option<&str> {
    wf.strip_prefix("workflows.").filter(|id| !id.is_empty())
}

/// The file a source of document `doc` resolved to (`None` when remote).
fn source_file(loaded: &Loaded, doc: usize, name: &str) -> Result<(Option<usize>, SourceKind), Unresolved> {
    let d = &loaded.documents[&doc];
    let Some(s) = d.sources.iter().find(|s| s.name == name) else {
        return Err(unknown("source description", name, d.sources.iter().map(|s| s.name.as_str())));
    };
    match loaded.sources.get(&(doc, name.to_string())) {
        Some(Resolved::File(f)) => Ok((Some(*f), s.kind)),
        Some(Resolved::Broken) => Err(("E0311", format!("source `{name}` could not be read"), None)),
        _ => Ok((None, s.kind)),
    }
}

fn openapi_files(loaded: &Loaded, doc: usize) -> (Vec<(String, usize)>, bool) {
    let d = &loaded.documents[&doc];
    let mut files = Vec::new();
    let mut remote = false;
    for s in d.sources.iter().filter(|s| s.kind == SourceKind::OpenApi) {
        match loaded.sources.get(&(doc, s.name.clone())) {
            Some(Resolved::File(f)) => files.push((s.name.clone(), *f)),
            _ => remote = true,
        }
    }
    (files, remote)
}

fn resolve_operation_id(loaded: &Loaded, doc: usize, id: &str) -> Result<Resolution, Unresolved> {
    let (files, remote) = openapi_files(loaded, doc);
    let (scope, op_id): (Vec<(String, usize)>, &str) = if let Some((source, op)) = qualified(id) {
        match source_file(loaded, doc, source)? {
            (Some(f), _) => (vec![(source.to_string(), f)], op),
            (None, _) => return Ok(Resolution::Unchecked),
        }
    } else if let Some((source, op)) = id.split_once('.').filter(|(s, op)| {
        // Redocly's `source.operationId` form, unless the whole id is an operationId (`pets.list`).
        let has =
            |f: &usize, op: &str| openapi::operations(loaded, *f).iter().any(|o| o.id.as_deref() == Some(op));
        files.iter().any(|(n, f)| n == s && has(f, op)) && !files.iter().any(|(_, f)| has(f, id))
    }) {
        (files.iter().filter(|(n, _)| n == source).cloned().collect(), op)
    } else {
        (files.clone(), id)
    };
    let found: Vec<(String, Operation)> = scope
        .iter()
        .flat_map(|(name, f)| openapi::operations(loaded, *f).into_iter().map(move |o| (name.clone(), o)))
        .filter(|(_, o)| o.id.as_deref() == Some(op_id))
        .collect();
    match found.len() {
        1 => Ok(Resolution::Operation(found[0].1.clone())),
        0 if remote && !id.starts_with('$') => Ok(Resolution::Unchecked),
        0 => {
            let all: Vec<String> = scope
                .iter()
                .flat_map(|(_, f)| openapi::operations(loaded, *f))
                .filter_map(|o| o.id)
                .collect();
            let (code, message, help) = unknown("operationId", op_id, all.iter().map(String::as_str));
            Err((code, message, help))
        }
        _ => {
            let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
            Err((
                "E0313",
                format!(
                    "operationId `{op_id}` is ambiguous: it is in the sources {}",
                    crate::report::list(&names)
                ),
                Some(format!("qualify it: `$sourceDescriptions.{}.{op_id}`", names[0])),
            ))
        }
    }
}

fn resolve_operation_path(loaded: &Loaded, doc: usize, path: &str) -> Result<Resolution, Unresolved> {
    let help = Some("write it as `{$sourceDescriptions.<name>.url}#/paths/~1pets/get`".to_string());
    let Some((source, pointer, _)) = operation_path_parts(path) else {
        let message = if path.starts_with("{$sourceDescriptions.") || path.starts_with("$sourceDescriptions.")
        {
            format!(
                "operationPath `{path}` is not of the form `{{$sourceDescriptions.<name>.url}}#<pointer>`"
            )
        } else {
            format!("operationPath `{path}` does not start with a source URL expression")
        };
        return Err(("E0314", message, help));
    };
    let Some(file) = source_file(loaded, doc, source)?.0 else { return Ok(Resolution::Unchecked) };
    // A URI fragment may percent-encode what the pointer holds (`~1pets~1%7Bid%7D`).
    let decoded = openapi::decode_fragment(pointer);
    match openapi::operation_at(loaded, file, &decoded) {
        Some(op) => Ok(Resolution::Operation(op)),
        None => Err((
            "E0315",
            format!("operationPath pointer `{pointer}` does not name an operation in source `{source}`"),
            Some("path segments are escaped (`/` as `~1`) and end in a lower-case method, e.g. `#/paths/~1pet~1findByStatus/get`".into()),
        )),
    }
}
