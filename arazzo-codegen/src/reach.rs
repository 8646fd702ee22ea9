//! What the workflows reach in their OpenAPI files: the operations their steps call and,
//! through `$ref`s, everything those use. Warnings about the rest of a file are set aside, so
//! that a large description with problems no workflow touches does not bury the findings that
//! matter.

use std::collections::BTreeSet;

use crate::diag::{Diagnostic, Diagnostics};
use crate::load::{Loaded, collect_refs};
use crate::openapi::{resolve_ref, value_at};
use crate::resolve::{Resolution, resolve_target};

/// Splits the findings into those to show and the warnings about unreached parts of OpenAPI
/// files. Errors, and findings about Arazzo documents or a whole file, are always shown.
pub fn split(loaded: &Loaded, diags: Diagnostics) -> (Diagnostics, Diagnostics) {
    let reached = reached(loaded);
    let (mut shown, mut unreached) = (Diagnostics::default(), Diagnostics::default());
    for d in diags {
        if is_reached(loaded, &reached, &d) {
            shown.push(d);
        } else {
            unreached.push(d);
        }
    }
    (shown, unreached)
}

fn is_reached(loaded: &Loaded, reached: &BTreeSet<(usize, String)>, d: &Diagnostic) -> bool {
    let Some(file) = loaded.files.iter().position(|f| f.display == d.file) else { return true };
    d.is_error()
        || d.pointer.is_empty()
        || loaded.documents.contains_key(&file)
        || reached.iter().any(|(f, root)| {
            *f == file
                && d.pointer.strip_prefix(root.as_str()).is_some_and(|r| r.is_empty() || r.starts_with('/'))
        })
}

/// The nodes the steps of every Arazzo document reach, as (file, pointer): each operation
/// called (with its Path Item's parameters), then every `$ref` target under a reached node.
fn reached(loaded: &Loaded) -> BTreeSet<(usize, String)> {
    let mut todo = Vec::new();
    for (&doc, document) in &loaded.documents {
        for step in document.workflows.iter().flat_map(|w| &w.steps) {
            let Some((_, target)) = &step.target else { continue };
            let Ok(Resolution::Operation(op)) = resolve_target(loaded, doc, target) else { continue };
            for (file, ptr) in [(op.file, op.ptr.clone()), op.def.clone()] {
                if let Some((item, _)) = ptr.rsplit_once('/') {
                    todo.push((file, format!("{item}/parameters")));
                }
                todo.push((file, ptr));
            }
        }
    }
    let mut reached = BTreeSet::new();
    while let Some((file, ptr)) = todo.pop() {
        let Some(value) = value_at(loaded, file, &ptr) else { continue };
        if !reached.insert((file, ptr.clone())) {
            continue;
        }
        let mut refs = Vec::new();
        collect_refs(value, &ptr, &mut refs);
        todo.extend(refs.iter().filter_map(|(_, target)| resolve_ref(loaded, file, target)));
    }
    reached
}
