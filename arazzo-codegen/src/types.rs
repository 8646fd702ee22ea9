//! JSON Schema → Rust types, for the schemas the workflows actually use.
//!
//! Objects with properties become structs (required fields plain, others `Option`), string
//! enums become enums with an `Unknown(String)` catch-all, `oneOf` with a discriminator becomes
//! an internally tagged enum, and anything else stays `serde_json::Value`. Names come from the
//! component names (`MessageBatch`) or from the place a schema is used (`ParentField`).

use std::collections::{BTreeMap, HashMap};

use heck::{ToSnakeCase, ToUpperCamelCase};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;

use crate::load::Loaded;
use crate::openapi::{deref, value_at};
use crate::report::child;

/// A Rust type, as the generator reasons about it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// `String`.
    String,
    /// `i64`.
    Integer,
    /// `f64`.
    Number,
    /// `bool`.
    Bool,
    /// `serde_json::Value`: untyped.
    Json,
    /// A generated struct.
    Struct(String),
    /// A generated string enum with its wire values.
    Enum(String, Vec<String>),
    /// A generated tagged union.
    Union(String),
    /// `Vec<T>`.
    Array(Box<Ty>),
    /// `BTreeMap<String, T>`.
    Map(Box<Ty>),
    /// `Option<T>`: nullable or not required.
    Option(Box<Ty>),
    /// A JSONL stream of T (a response body read line by line).
    Stream(Box<Ty>),
    /// `Secret`.
    Secret,
    /// An HTTP status code (`u16`).
    Status,
}

impl Ty {
    /// The type without an outer `Option`.
    pub fn unwrapped(&self) -> &Ty {
        match self {
            Ty::Option(t) => t.unwrapped(),
            t => t,
        }
    }
}

/// A struct field.
#[derive(Debug, Clone)]
pub struct Field {
    /// Name on the wire.
    pub wire: String,
    /// Rust identifier text.
    pub ident: String,
    /// Its type (`Option` when not required or nullable).
    pub ty: Ty,
    /// Doc text.
    pub doc: Option<String>,
}

#[derive(Debug, Clone)]
enum Def {
    Struct { doc: Option<String>, fields: Vec<Field> },
    Enum { doc: Option<String>, values: Vec<String> },
    Union { doc: Option<String>, tag: String, variants: Vec<(String, String)> },
}

/// The types generated for one document, in a deterministic order.
#[derive(Debug, Default)]
pub struct TypeSpace {
    defs: BTreeMap<String, Def>,
    by_schema: HashMap<(usize, String), Ty>,
    rt: TokenStream,
}

/// Rust identifier for a wire name (snake case, keywords made raw).
pub fn field_ident(wire: &str) -> String {
    let mut s = wire.to_snake_case();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s = format!("f_{s}");
    }
    if syn::parse_str::<syn::Ident>(&s).is_err() {
        s = format!("r#{s}");
        if syn::parse_str::<syn::Ident>(&s).is_err() {
            s = format!("{}_", s.trim_start_matches("r#"));
        }
    }
    s
}

/// Rust type name for a wire name.
pub fn type_ident(wire: &str) -> String {
    let s = wire.to_upper_camel_case();
    match s.chars().next() {
        None => "Unnamed".into(),
        Some(c) if c.is_ascii_digit() => format!("T{s}"),
        _ if s == "Self" => "Self_".into(),
        _ => s,
    }
}

/// `syn::Ident` from identifier text that may be raw (`r#type`).
pub fn ident(text: &str) -> syn::Ident {
    match text.strip_prefix("r#") {
        Some(raw) => syn::Ident::new_raw(raw, proc_macro2::Span::call_site()),
        None => format_ident!("{}", text),
    }
}

impl TypeSpace {
    /// An empty space whose code names the runtime at `rt` (e.g. `::arazzo_runtime`).
    pub fn new(rt: TokenStream) -> Self {
        TypeSpace { rt, ..Default::default() }
    }

    /// The type of the schema at (file, ptr); `hint` names it when it has no component name.
    pub fn schema(&mut self, loaded: &Loaded, file: usize, ptr: &str, hint: &str) -> Ty {
        let Some((file, ptr)) = deref(loaded, file, ptr) else { return Ty::Json };
        if let Some(t) = self.by_schema.get(&(file, ptr.clone())) {
            return t.clone();
        }
        let Some(schema) = value_at(loaded, file, &ptr).cloned() else { return Ty::Json };
        let name = component_name(&ptr).map_or_else(|| type_ident(hint), type_ident);
        let ty = self.build(loaded, file, &ptr, &schema, &name);
        self.by_schema.insert((file, ptr), ty.clone());
        ty
    }

    /// The type of an inline schema value that lives outside any loaded file (workflow inputs).
    pub fn inline(&mut self, loaded: &Loaded, schema: &Value, hint: &str) -> Ty {
        self.build(loaded, usize::MAX, "", schema, &type_ident(hint))
    }

    fn sub(&mut self, loaded: &Loaded, file: usize, ptr: &str, schema: &Value, hint: &str) -> Ty {
        if file == usize::MAX {
            // Inline schemas (workflow inputs) have no file: no `$ref`s to follow.
            return self.build(loaded, file, ptr, schema, &type_ident(hint));
        }
        self.schema(loaded, file, ptr, hint)
    }

    fn build(&mut self, loaded: &Loaded, file: usize, ptr: &str, s: &Value, name: &str) -> Ty {
        let types: Vec<&str> = match s.get("type") {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let nullable = types.contains(&"null") || s.get("nullable") == Some(&Value::Bool(true));
        let non_null: Vec<&str> = types.iter().copied().filter(|t| *t != "null").collect();
        let ty = if let Some(t) = self.any_of_null(loaded, file, ptr, s, name) {
            return Ty::Option(Box::new(t));
        } else if let Some(t) = self.union(loaded, file, ptr, s, name) {
            t
        } else {
            match non_null.as_slice() {
                ["string"] => match s.get("enum").and_then(Value::as_array) {
                    Some(values) if !values.is_empty() && values.iter().all(Value::is_string) => {
                        let values: Vec<String> = values.iter().filter_map(Value::as_str).map(str::to_string).collect();
                        self.define(name, Def::Enum { doc: doc_of(s), values: values.clone() });
                        Ty::Enum(name.to_string(), values)
                    }
                    _ if s.get("format").and_then(Value::as_str) == Some("password") => Ty::Secret,
                    _ => Ty::String,
                },
                ["integer"] => Ty::Integer,
                ["number"] => Ty::Number,
                ["boolean"] => Ty::Bool,
                ["array"] => {
                    let item = match s.get("items") {
                        Some(items) => self.sub(loaded, file, &child(ptr, "items"), items, &format!("{name}Item")),
                        None => Ty::Json,
                    };
                    Ty::Array(Box::new(item))
                }
                ["object"] | [] if s.get("properties").is_some() => self.object(loaded, file, ptr, s, name),
                ["object"] => match s.get("additionalProperties") {
                    Some(ap @ Value::Object(_)) => {
                        Ty::Map(Box::new(self.sub(loaded, file, &child(ptr, "additionalProperties"), ap, &format!("{name}Value"))))
                    }
                    _ => Ty::Json,
                },
                _ => Ty::Json,
            }
        };
        if nullable { Ty::Option(Box::new(ty)) } else { ty }
    }

    /// `anyOf`/`oneOf` of one schema and `{type: null}`.
    fn any_of_null(&mut self, loaded: &Loaded, file: usize, ptr: &str, s: &Value, name: &str) -> Option<Ty> {
        for key in ["anyOf", "oneOf"] {
            let Some(list) = s.get(key).and_then(Value::as_array) else { continue };
            let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
            if list.len() == 2 && list.iter().any(is_null) {
                let i = list.iter().position(|v| !is_null(v))?;
                return Some(self.sub(loaded, file, &format!("{}/{i}", child(ptr, key)), &list[i], name));
            }
        }
        None
    }

    /// `oneOf` of `$ref`s with a discriminator: an internally tagged enum.
    fn union(&mut self, loaded: &Loaded, file: usize, ptr: &str, s: &Value, name: &str) -> Option<Ty> {
        let tag = s.pointer("/discriminator/propertyName")?.as_str()?.to_string();
        let list = s.get("oneOf")?.as_array()?;
        let mut variants = Vec::new();
        for i in 0..list.len() {
            let vptr = format!("{}/{i}", child(ptr, "oneOf"));
            let (vf, vp) = deref(loaded, file, &vptr)?;
            let schema = value_at(loaded, vf, &vp)?;
            let wire = schema.pointer(&format!("/properties/{tag}/const")).and_then(Value::as_str).or_else(|| {
                schema.pointer(&format!("/properties/{tag}/enum/0")).and_then(Value::as_str)
            })?;
            let Ty::Struct(sname) = self.schema(loaded, file, &vptr, &format!("{name}{}", type_ident(wire))) else { return None };
            variants.push((wire.to_string(), sname));
        }
        self.define(name, Def::Union { doc: doc_of(s), tag, variants });
        Some(Ty::Union(name.to_string()))
    }

    fn object(&mut self, loaded: &Loaded, file: usize, ptr: &str, s: &Value, name: &str) -> Ty {
        // Reserve the name first so recursive schemas terminate.
        self.define(name, Def::Struct { doc: doc_of(s), fields: Vec::new() });
        if file != usize::MAX {
            self.by_schema.insert((file, ptr.to_string()), Ty::Struct(name.to_string()));
        }
        let required: Vec<&str> = s.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
        let mut fields = Vec::new();
        let props_ptr = child(ptr, "properties");
        if let Some(props) = s.get("properties").and_then(Value::as_object) {
            for (wire, prop) in props {
                if prop.get("const").is_some() {
                    continue; // A constant carries no information (and is the tag of unions).
                }
                let ty = self.sub(loaded, file, &child(&props_ptr, wire), prop, &format!("{name}{}", type_ident(wire)));
                let ty = if required.contains(&wire.as_str()) || matches!(ty, Ty::Option(_)) { ty } else { Ty::Option(Box::new(ty)) };
                let resolved_doc = if file == usize::MAX { None } else { deref(loaded, file, &child(&props_ptr, wire)).and_then(|(f, p)| value_at(loaded, f, &p)).and_then(doc_of) };
                fields.push(Field { wire: wire.clone(), ident: field_ident(wire), ty, doc: doc_of(prop).or(resolved_doc) });
            }
        }
        self.define(name, Def::Struct { doc: doc_of(s), fields });
        Ty::Struct(name.to_string())
    }

    fn define(&mut self, name: &str, def: Def) {
        self.defs.insert(name.to_string(), def);
    }

    /// Fields of a generated struct.
    pub fn fields(&self, name: &str) -> Option<&[Field]> {
        match self.defs.get(name) {
            Some(Def::Struct { fields, .. }) => Some(fields),
            _ => None,
        }
    }

    /// Tokens naming `ty`, with generated types under `types::`.
    pub fn tokens(&self, ty: &Ty) -> TokenStream {
        self.tokens_from(ty, true)
    }

    fn tokens_from(&self, ty: &Ty, outside: bool) -> TokenStream {
        let rt = &self.rt;
        match ty {
            Ty::String => quote!(String),
            Ty::Integer => quote!(i64),
            Ty::Number => quote!(f64),
            Ty::Bool => quote!(bool),
            Ty::Status => quote!(u16),
            Ty::Json => quote!(#rt::__private::serde_json::Value),
            Ty::Secret => quote!(#rt::Secret),
            Ty::Struct(n) | Ty::Enum(n, _) | Ty::Union(n) => {
                let i = format_ident!("{}", n);
                if outside { quote!(types::#i) } else { quote!(#i) }
            }
            Ty::Array(t) => {
                let t = self.tokens_from(t, outside);
                quote!(Vec<#t>)
            }
            Ty::Map(t) => {
                let t = self.tokens_from(t, outside);
                quote!(::std::collections::BTreeMap<String, #t>)
            }
            Ty::Option(t) => {
                let t = self.tokens_from(t, outside);
                quote!(Option<#t>)
            }
            Ty::Stream(t) => {
                let t = self.tokens_from(t, outside);
                quote!(#rt::JsonlStream<#t>)
            }
        }
    }

    /// The `types` module with every definition, sorted by name.
    pub fn module(&self) -> TokenStream {
        let rt = &self.rt;
        let serde_path = format!("{}::__private::serde", rt.to_string().replace(' ', ""));
        let items = self.defs.iter().map(|(name, def)| {
            let id = format_ident!("{}", name);
            match def {
                Def::Struct { doc, fields } => {
                    let doc = doc_attr(doc.as_deref());
                    let fields = fields.iter().map(|f| {
                        let fid = ident(&f.ident);
                        let ty = self.tokens_from(&f.ty, false);
                        let fdoc = doc_attr(f.doc.as_deref());
                        let rename = (f.ident.trim_start_matches("r#") != f.wire).then(|| {
                            let w = &f.wire;
                            quote!(#[serde(rename = #w)])
                        });
                        let default = matches!(f.ty, Ty::Option(_)).then(|| quote!(#[serde(default, skip_serializing_if = "Option::is_none")]));
                        quote! { #fdoc #rename #default pub #fid: #ty, }
                    });
                    quote! {
                        #doc
                        #[derive(Debug, Clone, PartialEq, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
                        #[serde(crate = #serde_path)]
                        pub struct #id { #(#fields)* }
                    }
                }
                Def::Enum { doc, values } => enum_tokens(rt, &id, doc.as_deref(), values),
                Def::Union { doc, tag, variants } => {
                    let doc = doc_attr(doc.as_deref());
                    let vs = variants.iter().map(|(wire, sname)| {
                        let v = format_ident!("{}", type_ident(wire));
                        let s = format_ident!("{}", sname);
                        quote! { #[serde(rename = #wire)] #v(#s), }
                    });
                    quote! {
                        #doc
                        #[derive(Debug, Clone, PartialEq, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
                        #[serde(crate = #serde_path, tag = #tag)]
                        pub enum #id {
                            #(#vs)*
                            /// A variant this client does not know yet.
                            #[serde(other)]
                            Unknown,
                        }
                    }
                }
            }
        });
        quote! {
            /// Types from the OpenAPI schemas the workflows use.
            pub mod types {
                #(#items)*
            }
        }
    }
}

fn enum_tokens(rt: &TokenStream, id: &syn::Ident, doc: Option<&str>, values: &[String]) -> TokenStream {
    let doc = doc_attr(doc);
    let idents: Vec<syn::Ident> = values.iter().map(|v| format_ident!("{}", type_ident(v))).collect();
    let serde_path = format!("{}::__private::serde", rt.to_string().replace(' ', ""));
    let docs = values.iter().map(|v| format!(" `{v}`"));
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
        #[serde(crate = #serde_path, from = "String", into = "String")]
        pub enum #id {
            #( #[doc = #docs] #idents, )*
            /// A value this client does not know yet.
            Unknown(String),
        }

        impl #id {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    #( Self::#idents => #values, )*
                    Self::Unknown(s) => s,
                }
            }
        }

        impl From<String> for #id {
            fn from(s: String) -> Self {
                match s.as_str() {
                    #( #values => Self::#idents, )*
                    _ => Self::Unknown(s),
                }
            }
        }

        impl From<#id> for String {
            fn from(v: #id) -> Self {
                v.as_str().to_string()
            }
        }

        impl ::std::fmt::Display for #id {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    }
}

fn component_name(ptr: &str) -> Option<&str> {
    ptr.strip_prefix("/components/schemas/").filter(|n| !n.contains('/')).or_else(|| ptr.strip_prefix("/definitions/").filter(|n| !n.contains('/')))
}

fn doc_of(s: &Value) -> Option<String> {
    s.get("description").or_else(|| s.get("title")).and_then(Value::as_str).map(str::to_string)
}

/// `#[doc = ...]` lines for a text, one attribute per line.
pub fn doc_attr(text: Option<&str>) -> TokenStream {
    let Some(text) = text else { return TokenStream::new() };
    let lines = text.trim_end().lines().map(|l| format!(" {}", l.trim_end()));
    quote! { #( #[doc = #lines] )* }
}
