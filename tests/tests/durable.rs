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

const SEEDS: [&str; 2] = ["batch-process-and-retrieve-results", "cancel-and-confirm-batch"];
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
}

fn generate(name: &str, durable: bool) -> arazzo_codegen::Generated {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let settings = Settings { base_dir: root, durable, ..Default::default() };
    let path = PathBuf::from(format!("workflows/arazzo/{name}.arazzo.yaml"));
    arazzo_codegen::generate(&path, &settings).unwrap_or_else(|c| panic!("{name}: {}", c.render()))
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
    for name in SEEDS {
        let file = format!("workflows/arazzo/{name}.arazzo.yaml");
        let command = format!("cargo run -p arazzo-codegen-cli -- generate --durable {file} -o {OUT_DIR}");
        let text = generate(name, true).to_file_string(&command);
        let module = arazzo_codegen::module_name(Path::new(&file));
        expectorate::assert_contents(format!("../{OUT_DIR}/{module}.rs"), &text);
    }
}

#[test]
fn durable_modules_leave_the_plain_code_as_it_is() {
    for name in SEEDS {
        let (plain, durable) = (generate(name, false).tokens, generate(name, true).tokens);
        assert_ne!(plain.to_string(), durable.to_string(), "{name}: no durable module");
        assert_eq!(without_durable_modules(durable).to_string(), plain.to_string(), "{name}");
    }
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
