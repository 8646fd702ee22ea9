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
//!
//! Lint levels follow the path, as lists of codes (`warnings` names every warning), like
//! `Settings::allow`, `warn` and `deny`:
//!
//! ```ignore
//! arazzo_macros::workflows!("x.arazzo.yaml", allow = ["W0203"], warn = ["E0401"], deny = ["warnings"]);
//! ```
//!
//! `durable = true` also expands each workflow's Restate workflow service (`Settings::durable`;
//! needs arazzo-runtime's `restate` feature).

// Bad input must never panic the compiler: every failure is a diagnostic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::path::PathBuf;

use arazzo_codegen::Settings;
use proc_macro::TokenStream;
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{Ident, LitStr, Token, bracketed};

/// `"path", allow = ["W0203"], warn = [..], deny = [..], durable = true`.
struct Input {
    path: LitStr,
    levels: Vec<(Ident, Vec<LitStr>)>,
    durable: bool,
}

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        let path = input.parse()?;
        let (mut levels, mut durable) = (Vec::new(), false);
        while input.parse::<Option<Token![,]>>()?.is_some() && !input.is_empty() {
            let level: Ident = input.parse()?;
            if level == "durable" {
                input.parse::<Token![=]>()?;
                durable = input.parse::<syn::LitBool>()?.value;
                continue;
            }
            if !["allow", "warn", "deny"].contains(&level.to_string().as_str()) {
                return Err(syn::Error::new(level.span(), "expected `allow`, `warn`, `deny` or `durable`"));
            }
            input.parse::<Token![=]>()?;
            let codes;
            bracketed!(codes in input);
            let codes = Punctuated::<LitStr, Token![,]>::parse_terminated(&codes)?;
            levels.push((level, codes.into_iter().collect()));
        }
        Ok(Input { path, levels, durable })
    }
}

/// Expands the workflows of an Arazzo document. See the crate docs.
#[proc_macro]
pub fn workflows(input: TokenStream) -> TokenStream {
    let Input { path: lit, levels, durable } = match syn::parse::<Input>(input) {
        Ok(i) => i,
        Err(e) => return e.to_compile_error().into(),
    };
    let base = std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from).unwrap_or_default();
    let mut settings = Settings { base_dir: base.clone(), durable, ..Default::default() };
    for (level, codes) in levels {
        for code in codes.iter().map(LitStr::value) {
            settings = match level.to_string().as_str() {
                "allow" => settings.allow(code),
                "warn" => settings.warn(code),
                _ => settings.deny(code),
            };
        }
    }
    match arazzo_codegen::generate(std::path::Path::new(&lit.value()), &settings) {
        // A macro cannot warn on stable Rust, and a lint setting that does nothing would go
        // unnoticed: unknown codes (W0001) and errors that cannot be lowered (W0002) stop it.
        Ok(generated) if generated.checked.diagnostics.sorted().iter().any(|d| is_bad_setting(d)) => {
            let errors =
                generated.checked.diagnostics.sorted().into_iter().filter(|d| is_bad_setting(d)).map(|d| {
                    let message = d.one_line();
                    quote::quote_spanned!(lit.span()=> compile_error!(#message);)
                });
            quote!(#(#errors)*).into()
        }
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

fn is_bad_setting(d: &arazzo_codegen::Diagnostic) -> bool {
    d.code == "W0001" || d.code == "W0002"
}
