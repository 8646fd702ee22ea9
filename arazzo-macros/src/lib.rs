//! `workflows!("path/to/x.arazzo.yaml")` expands an Arazzo document into typed async Rust in
//! place: the same items `arazzo-codegen` writes from build.rs or its CLI.
//!
//! The path is relative to the crate's `CARGO_MANIFEST_DIR`. Every file read (the document, its
//! OpenAPI descriptions, external `$ref`s) is `include_str!`-ed so that rustc rebuilds when one
//! changes. Every diagnostic becomes a compile error whose message starts with `file:line:column`.
//!
//! ```ignore
//! mod cancel {
//!     arazzo_macros::workflows!("workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml");
//! }
//! ```

// Bad input must never panic the compiler: every failure is a diagnostic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::path::PathBuf;

use proc_macro::TokenStream;
use quote::quote;
use syn::LitStr;

/// Expands the workflows of an Arazzo document. See the crate docs.
#[proc_macro]
pub fn workflows(input: TokenStream) -> TokenStream {
    let lit = match syn::parse::<LitStr>(input) {
        Ok(l) => l,
        Err(e) => return e.to_compile_error().into(),
    };
    let base = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let settings = arazzo_codegen::Settings { base_dir: base.clone(), ..Default::default() };
    match arazzo_codegen::generate(std::path::Path::new(&lit.value()), &settings) {
        Ok(generated) => {
            let tokens = generated.tokens;
            let includes = generated.files_read.iter().map(|f| {
                let abs = base.join(f).to_string_lossy().into_owned();
                quote!(
                    const _: &str = include_str!(#abs);
                )
            });
            quote!(#tokens #(#includes)*).into()
        }
        Err(checked) => {
            let errors = checked.diagnostics.sorted().into_iter().filter(|d| d.is_error()).map(|d| {
                // rustc prefixes `error: `; the rest is the rustc-like rendering with the source line.
                let rendered = checked.render_one(d);
                let message = match rendered.split_once('\n') {
                    Some((_, rest)) => format!("{} [{}]\n{}", d.message, d.code, rest.trim_end()),
                    None => d.one_line(),
                };
                quote::quote_spanned!(lit.span()=> compile_error!(#message);)
            });
            let includes = checked.files_read().into_iter().map(|f| {
                let abs = base.join(f).to_string_lossy().into_owned();
                quote!(
                    const _: &str = include_str!(#abs);
                )
            });
            quote!(#(#errors)* #(#includes)*).into()
        }
    }
}
