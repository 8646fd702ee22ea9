//! The durable target of the generator (`Settings::durable`): the committed durable code
//! (`generated-example/src/durable/*.rs`) is what the CLI writes with `--durable`, it is the plain
//! code plus `durable` modules (the plain items are untouched), and the macro's `durable = true`
//! expands them, for the seeds, the composed document and every torture fixture, without a
//! warning. The durable runs themselves are tested in `generated-example/tests/durable.rs`, which
//! can start the worker binary.
//!
//! Refresh the committed files with `EXPECTORATE=overwrite cargo test -p arazzo-tests --test durable`.

#![deny(warnings)]

use std::path::{Path, PathBuf};

use arazzo_codegen::Settings;
use proc_macro2::{TokenStream, TokenTree};

/// The documents whose durable code is committed in `OUT_DIR`: the seeds, a workflow that runs
/// workflows and binary downloads (generated-example/tests/durable.rs runs them).
const COMMITTED: [&str; 4] = [
    "workflows/arazzo/batch-process-and-retrieve-results.arazzo.yaml",
    "workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml",
    "tests/workflows/durable/nested.arazzo.yaml",
    "tests/workflows/media/files.arazzo.yaml",
];
const OUT_DIR: &str = "generated-example/src/durable";

mod expanded {
    arazzo_macros::workflows!(
        "../workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml",
        allow = ["W0203", "W0304"],
        durable = true
    );
}

macro_rules! fixtures {
    ($($module:ident: $file:literal;)*) => {
        $(mod $module {
            arazzo_macros::workflows!($file, durable = true);
        })*
    };
}

// The documents of tests/torture.rs, durable, and the composed document.
include!("common/torture_documents.rs");
fixtures! {
    composed: "workflows/composed.arazzo.yaml";
    nested: "workflows/durable/nested.arazzo.yaml";
    action_parameters: "workflows/v11/action-parameters.arazzo.yaml";
    depends_on: "workflows/v11/depends-on.arazzo.yaml";
    timeout: "workflows/v11/timeout.arazzo.yaml";
    refusals: "workflows/durable/refusals.arazzo.yaml";
    files: "workflows/media/files.arazzo.yaml";
}

/// `file` (relative to the workspace root) generated, durable or not.
fn generate(file: &str, durable: bool) -> arazzo_codegen::Generated {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let settings = Settings { base_dir: root, durable, ..Default::default() };
    arazzo_codegen::generate(&PathBuf::from(file), &settings)
        .unwrap_or_else(|c| panic!("{file}: {}", c.render()))
}

/// `tokens` without its `pub mod durable { .. }` items, at any depth.
fn without_durable_modules(tokens: TokenStream) -> TokenStream {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < trees.len() {
        let is = |j: usize, word: &str| matches!(trees.get(j), Some(TokenTree::Ident(id)) if id == word);
        if is(i, "pub") && is(i + 1, "mod") && is(i + 2, "durable") {
            // The doc comment before it (one `#[doc = ..]` attribute per line) goes too.
            while out.len() >= 2
                && matches!(out[out.len() - 2], TokenTree::Punct(ref p) if p.as_char() == '#')
            {
                out.truncate(out.len() - 2);
            }
            i += 4;
            continue;
        }
        out.push(match &trees[i] {
            TokenTree::Group(g) => {
                let mut inner = proc_macro2::Group::new(g.delimiter(), without_durable_modules(g.stream()));
                inner.set_span(g.span());
                TokenTree::Group(inner)
            }
            t => t.clone(),
        });
        i += 1;
    }
    out.into_iter().collect()
}

#[test]
fn committed_durable_code_is_up_to_date() {
    for file in COMMITTED {
        let command = format!("cargo run -p arazzo-codegen-cli -- generate --durable {file} -o {OUT_DIR}");
        let text = generate(file, true).to_file_string(&command);
        let module = arazzo_codegen::module_name(Path::new(&file));
        expectorate::assert_contents(format!("../{OUT_DIR}/{module}.rs"), &text);
    }
}

#[test]
fn durable_modules_leave_the_plain_code_as_it_is() {
    let composed =
        ["tests/workflows/composed.arazzo.yaml", "tests/workflows/v11/action-parameters.arazzo.yaml"];
    for file in COMMITTED.into_iter().chain(composed) {
        let (plain, durable) = (generate(file, false).tokens, generate(file, true).tokens);
        assert_ne!(plain.to_string(), durable.to_string(), "{file}: no durable module");
        assert_eq!(without_durable_modules(durable).to_string(), plain.to_string(), "{file}");
    }
}

/// The documents of the durable expansion tests, with the workflows that get no durable module
/// and why; every other workflow has one.
const REFUSED: &[(&str, &[(&str, &str)])] = &[
    (
        "workflows/torture/names.arazzo.yaml",
        &[
            ("r#", NOT_A_SERVICE_NAME),
            ("1st-workflow", NOT_A_SERVICE_NAME),
            ("pet name", NOT_A_SERVICE_NAME),
            ("名前", NOT_A_SERVICE_NAME),
        ],
    ),
    ("workflows/v11/timeout.arazzo.yaml", &[("slow-call", "a step that runs a workflow has a timeout")]),
    (
        "workflows/durable/refusals.arazzo.yaml",
        &[
            ("2fa-check", NOT_A_SERVICE_NAME),
            ("outer", "it runs workflow `2fa-check`, which has no durable module"),
            ("outermost", "it runs workflow `outer`, which has no durable module"),
        ],
    ),
];
const NOT_A_SERVICE_NAME: &str = "its workflowId is not a Restate service name";

/// How many workflow modules (`pub use m::m;`) and durable modules `tokens` holds.
fn count_modules(tokens: &str) -> (usize, usize) {
    let workflows = tokens
        .split("pub use ")
        .skip(1)
        .filter(|rest| {
            rest.split(" ;").next().and_then(|p| p.split_once(" :: ")).is_some_and(|(a, b)| a == b)
        })
        .count();
    (workflows, tokens.matches("pub mod durable").count())
}

#[test]
fn workflows_without_a_durable_module_are_the_expected_ones_for_the_expected_reasons() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let torture =
        std::fs::read_to_string(root.join("tests/tests/common/torture_documents.rs")).expect("the list");
    let torture = torture.lines().filter_map(|l| Some(l.split_once('"')?.1.split_once('"')?.0.to_string()));
    let others = ["workflows/composed.arazzo.yaml", "workflows/durable/nested.arazzo.yaml"]
        .into_iter()
        .chain(["workflows/v11/action-parameters.arazzo.yaml", "workflows/v11/depends-on.arazzo.yaml"])
        .chain(["workflows/v11/timeout.arazzo.yaml", "workflows/durable/refusals.arazzo.yaml"])
        .chain(["workflows/media/files.arazzo.yaml"])
        .map(String::from);
    let mut found = Vec::new();
    for doc in torture.chain(others) {
        let generated = generate(&format!("tests/{doc}"), true);
        let (workflows, durable) = count_modules(&generated.tokens.to_string());
        assert_eq!(workflows - durable, generated.not_durable.len(), "{doc}: {:?}", generated.not_durable);
        if !generated.not_durable.is_empty() {
            found.push((doc, generated.not_durable));
        }
    }
    let expected: Vec<(String, Vec<(String, String)>)> = REFUSED
        .iter()
        .map(|(doc, refused)| {
            let refused = refused.iter().map(|(id, why)| (id.to_string(), why.to_string())).collect();
            (doc.to_string(), refused)
        })
        .collect();
    assert_eq!(found, expected, "{found:#?}");
}

#[test]
fn the_macro_expands_durable_modules() {
    use expanded::cancel_and_confirm_batch::{Inputs, durable};
    let inputs = Inputs { api_key: arazzo_runtime::Secret::new("sk-x"), requests: Vec::new() };
    let (input, secrets) = inputs.split();
    assert_eq!(input, durable::Input { requests: Vec::new() });
    assert_eq!(secrets.api_key.expose(), "sk-x");
    assert_eq!(<durable::Workflow as arazzo_runtime::durable::Workflow>::NAME, "cancel-and-confirm-batch");
}
