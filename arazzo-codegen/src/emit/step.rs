//! What every step that sends a request does: build it, send it, read its body, check its
//! criteria.

use proc_macro2::TokenStream;
use quote::quote;

use super::mentions;
use crate::plan::{Body, BodyKind, Check, Request, StepPlan};
use crate::types::TypeSpace;

/// Building and sending the request; binds `response` (`mut` when a stream is taken from it
/// while the response is kept).
pub fn send(s: &StepPlan, r: &Request, keeps_response: bool) -> TokenStream {
    send_or(s, r, keeps_response, None)
}

/// Like [`send`]; when the step's `timeout` runs out, `on_timeout` runs (with the error as `e`)
/// instead of returning the error.
pub fn send_or(
    s: &StepPlan,
    r: &Request,
    keeps_response: bool,
    on_timeout: Option<TokenStream>,
) -> TokenStream {
    let (step, operation, source) = (&r.step, &r.operation, &r.source);
    let (prelude, method, path, calls) = (&r.prelude, &r.method, &r.path, &r.calls);
    let (mutable, send) = match s.body {
        Body::Stream(_) if keeps_response => (quote!(mut), quote!(send_streaming)),
        Body::Stream(_) => (TokenStream::new(), quote!(send_streaming)),
        _ => (TokenStream::new(), quote!(send)),
    };
    let sent = match on_timeout {
        None => quote!(run.#send(request).await?),
        Some(handle) => quote! {
            match run.#send(request).await {
                Ok(response) => response,
                Err(e) if matches!(e.kind(), rt::ErrorKind::StepTimeout { .. }) => { #handle }
                Err(e) => return Err(e),
            }
        },
    };
    quote! {
        const STEP: rt::StepInfo = rt::StepInfo::new(#step, #operation, #source);
        #(#prelude)*
        let request = run.step(STEP, rt::Method::#method, #path) #(#calls)*;
        let #mutable response = #sent;
    }
}

/// `let body = ..;` when `used`: the decoded JSON body as a `Result`, or the text or bytes
/// (as an `Ok` when `raw_result`, for code that takes every body as a `Result`).
pub fn body(s: &StepPlan, types: &TypeSpace, raw_result: bool) -> TokenStream {
    let Body::Decoded { ty, kind } = &s.body else { return TokenStream::new() };
    let t = types.tokens(ty);
    let read = match kind {
        BodyKind::Json => return quote!(let body = response.json::<#t>();),
        BodyKind::Text => quote!(response.text()),
    };
    if raw_result { quote!(let body: Result<#t, Error> = Ok(#read);) } else { quote!(let body = #read;) }
}

/// `let failed = ..;`: the texts of the criteria that do not hold.
pub fn failed(criteria: &[Check]) -> TokenStream {
    let checks = checks(criteria);
    quote!(let failed = rt::unmet(#checks);)
}

/// `&[(holds, "source text"), ..]`; without criteria, the status must be 2xx.
pub fn checks(criteria: &[Check]) -> TokenStream {
    if criteria.is_empty() {
        return quote!(&[((200..300).contains(&response.status()), "status is 2xx")]);
    }
    let checks = criteria.iter().map(|c| {
        let (t, text) = (&c.tokens, &c.text);
        quote!((#t, #text))
    });
    quote!(&[#(#checks),*])
}

/// Whether the criteria read the body.
pub fn criteria_read_body(criteria: &[Check]) -> bool {
    criteria.iter().any(|c| mentions(&c.tokens, "body"))
}
