//! A workflow's inputs: their types from the `inputs` JSON Schema, the ones sent as credentials
//! (secrets), and the accessors that apply `default`s.

use std::collections::{BTreeSet, HashMap};

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::expr::{self, Expr, TemplatePart};
use crate::load::Loaded;
use crate::lower::Lowered;
use crate::model::*;
use crate::names::Names;
use crate::openapi;
use crate::report::{Reporter, child};
use crate::resolve::{Resolution, resolve_target};
use crate::types::{Ty, TypeSpace, ident};
use crate::validate::input_schema;

/// A workflow input.
pub struct InputPlan {
    /// Its name in the document.
    pub name: String,
    /// Its field of `Inputs`.
    pub field: syn::Ident,
    /// Its type (`Option` when not required).
    pub ty: Ty,
    pub doc: Option<String>,
    pub default: Option<InputDefault>,
}

/// An optional input's `default`: an accessor `fn <field>(&self) -> <ret> { <body> }`.
pub struct InputDefault {
    pub ret: TokenStream,
    pub body: TokenStream,
    /// The default as JSON, for the docs.
    pub text: String,
}

/// The inputs of a workflow, from its `inputs` JSON Schema; a `default` that does not fit the
/// input's type is E0413.
pub fn inputs(
    loaded: &Loaded,
    doc_idx: usize,
    w: &Workflow,
    types: &mut TypeSpace,
    r: &mut Reporter,
) -> Vec<InputPlan> {
    let doc = &loaded.documents[&doc_idx];
    let Some(schema) = input_schema(doc, w) else { return Vec::new() };
    let schema_ptr = match w.inputs.as_ref() {
        Some((_, s)) if s.get("$ref").is_some() => {
            let name =
                s.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/inputs/"));
            doc.components.inputs.iter().find(|(n, ..)| Some(n.as_str()) == name).map(|(_, p, _)| p.clone())
        }
        Some((p, _)) => Some(p.clone()),
        None => None,
    }
    .unwrap_or_default();
    let secrets = secret_inputs(loaded, doc_idx, w);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut fields = Names::default();
    let mut out = Vec::new();
    for (name, prop) in schema.get("properties").and_then(Value::as_object).into_iter().flatten() {
        // Read from the document itself, where a `$ref` (into `components.inputs`) resolves.
        let prop_ptr = child(&child(&schema_ptr, "properties"), name);
        let mut ty = types.schema(loaded, doc_idx, &prop_ptr, &format!("{} {name}", w.id));
        if secrets.contains(name) && ty == Ty::String {
            ty = Ty::Secret;
        }
        if !required.contains(&name.as_str()) && !matches!(ty, Ty::Option(_)) {
            ty = Ty::Option(Box::new(ty));
        }
        let field = ident(&fields.snake(name));
        let default = match (prop.get("default").filter(|d| !d.is_null()), &ty) {
            (Some(d), Ty::Option(inner)) => match types.literal(inner, d) {
                Ok(lit) => Some(accessor(&field, inner, lit, d)),
                Err(why) => {
                    let ptr = child(&prop_ptr, "default");
                    r.error(
                        "E0413",
                        &ptr,
                        format!("the default of input `{name}` does not fit its type: {why}"),
                        Some("make the default a value of the input's schema, or remove it".into()),
                    );
                    None
                }
            },
            _ => None,
        };
        let doc = prop.get("description").and_then(Value::as_str).map(str::to_string);
        out.push(InputPlan { name: name.clone(), field, ty, doc, default });
    }
    out
}

/// The accessor that applies an optional input's default.
fn accessor(field: &syn::Ident, ty: &Ty, lit: TokenStream, default: &Value) -> InputDefault {
    let (ret, body) = match ty {
        Ty::String => (quote!(&str), quote!(self.#field.as_deref().unwrap_or(#lit))),
        Ty::Integer | Ty::Number | Ty::Bool => {
            let t = match ty {
                Ty::Integer => quote!(i64),
                Ty::Number => quote!(f64),
                _ => quote!(bool),
            };
            (t, quote!(self.#field.unwrap_or(#lit)))
        }
        // Clippy wants a value that allocates built lazily, and a cheap one built eagerly.
        _ if lit.to_string().contains("from")
            || lit.to_string().contains('!')
            || lit.to_string().contains("new") =>
        {
            (TokenStream::new(), quote!(self.#field.clone().unwrap_or_else(|| #lit)))
        }
        _ => (TokenStream::new(), quote!(self.#field.clone().unwrap_or(#lit))),
    };
    InputDefault { ret, body, text: default.to_string() }
}

/// What `$inputs.<name>` reads: the field, or its accessor when it has a default.
pub fn input_bindings(inputs: &[InputPlan]) -> HashMap<String, Lowered> {
    inputs
        .iter()
        .map(|i| {
            let f = &i.field;
            let ty = i.ty.unwrapped().clone();
            let l = match (&i.ty, &i.default) {
                (_, Some(_)) if ty == Ty::String => {
                    Lowered { tokens: quote!(Some(inputs.#f())), ty, optional: false, str_ref: true }
                }
                (_, Some(_)) => Lowered::new(quote!(Some(&inputs.#f())), ty, false),
                (Ty::Option(_), None) => Lowered::new(quote!(inputs.#f.as_ref()), ty, true),
                _ => Lowered::new(quote!(Some(&inputs.#f)), ty, false),
            };
            (i.name.clone(), l)
        })
        .collect()
}

/// Inputs sent as credentials: an `x-api-key` or `Authorization` header, or the parameter of an
/// `apiKey` security scheme.
fn secret_inputs(loaded: &Loaded, doc_idx: usize, w: &Workflow) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for s in &w.steps {
        let api_keys = match s.target.as_ref().and_then(|(_, t)| resolve_target(loaded, doc_idx, t).ok()) {
            Some(Resolution::Operation(op)) => openapi::api_keys(loaded, &op),
            _ => Vec::new(),
        };
        for p in w.parameters.iter().chain(&s.parameters) {
            let ParamRef::Inline(p) = p else { continue };
            let auth = p.location.as_deref() == Some("header")
                && (p.name.eq_ignore_ascii_case("x-api-key") || p.name.eq_ignore_ascii_case("authorization"))
                || api_keys
                    .iter()
                    .any(|(l, k)| p.location.as_deref() == Some(l) && k.eq_ignore_ascii_case(&p.name));
            if !auth {
                continue;
            }
            let exprs = match p.value.as_str().map(expr::parse_value) {
                Some(Ok(v)) => match v.value {
                    expr::Value::Expr(e) => vec![e],
                    expr::Value::Template(parts) => parts
                        .into_iter()
                        .filter_map(|p| if let TemplatePart::Expr(e) = p { Some(e) } else { None })
                        .collect(),
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            out.extend(exprs.into_iter().filter_map(|e| match e {
                Expr::Inputs { name, .. } => Some(name),
                _ => None,
            }));
        }
    }
    out
}
