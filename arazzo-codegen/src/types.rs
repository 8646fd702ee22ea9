//! JSON Schema → Rust types, for the schemas the workflows actually use.
//!
//! Objects with properties become structs (required fields plain, others `Option`), string
//! enums become enums with an `Unknown(String)` catch-all, `oneOf` with a discriminator becomes
//! an internally tagged enum, and anything else stays `serde_json::Value`. Names come from the
//! component names (`MessageBatch`) or from the place a schema is used (`ParentField`).

use std::collections::{BTreeMap, HashMap, HashSet};

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use serde_json::Value;

use crate::load::Loaded;
use crate::names::Names;
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
    /// `bytes::Bytes`: a binary body, or a string of `format: binary`.
    Bytes,
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
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// Name on the wire.
    pub wire: String,
    /// Rust identifier text.
    pub ident: String,
    /// Its type (`Option` when not required or nullable).
    pub ty: Ty,
    /// Doc text.
    pub doc: Option<String>,
    /// Held in a `Box`: the field's struct contains this one (a recursive schema).
    pub boxed: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Def {
    Struct {
        doc: Option<String>,
        fields: Vec<Field>,
    },
    /// (wire value, variant) pairs; `Unknown` is the catch-all.
    Enum {
        doc: Option<String>,
        values: Vec<(String, String)>,
    },
    /// `Unknown` is the catch-all.
    Union {
        doc: Option<String>,
        tag: String,
        variants: Vec<UnionVariant>,
    },
}

/// A variant of a tagged union: (tag value, variant, struct).
pub type UnionVariant = (String, String, String);

/// Names that code inside `mod types` uses unqualified; a schema of that name is renamed.
const PRELUDE: &[&str] = &["Box", "From", "Option", "Self", "String", "Vec"];

/// The types generated for one document, in a deterministic order.
#[derive(Debug, Default)]
pub struct TypeSpace {
    defs: BTreeMap<String, Def>,
    by_schema: HashMap<(usize, String), Ty>,
    names: Names,
    /// Schemas being built: a `$ref` back to one of them is a cycle.
    building: HashSet<(usize, String)>,
    /// Structs and unions being built: a field of one of these types needs a `Box`.
    open: Vec<String>,
    rt: TokenStream,
}

pub use crate::docs::doc_attr;
pub use crate::names::{field_ident, ident, type_ident};

impl TypeSpace {
    /// An empty space whose code names the runtime at `rt` (e.g. `::arazzo_runtime`).
    pub fn new(rt: TokenStream) -> Self {
        TypeSpace { rt, names: Names::reserving(PRELUDE), ..Default::default() }
    }

    /// The type of the schema at (file, ptr); `hint` names it when it has no component name.
    pub fn schema(&mut self, loaded: &Loaded, file: usize, ptr: &str, hint: &str) -> Ty {
        let Some((file, ptr)) = deref(loaded, file, ptr) else { return Ty::Json };
        let key = (file, ptr.clone());
        if let Some(t) = self.by_schema.get(&key) {
            return t.clone();
        }
        if self.building.contains(&key) {
            return Ty::Json; // A cycle through no struct (a list of itself): no Rust type is finite.
        }
        let Some(schema) = value_at(loaded, file, &ptr).cloned() else { return Ty::Json };
        let name = component_name(&ptr).unwrap_or(hint).to_string();
        self.building.insert(key.clone());
        let ty = self.build(loaded, file, &ptr, &schema, &name);
        self.building.remove(&key);
        self.by_schema.insert(key, ty.clone());
        ty
    }

    /// The type of schema `s`; `name` (a wire name) names the struct, enum or union it defines.
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
        } else if let Some(list) = s.get("allOf").and_then(Value::as_array) {
            if list.len() == 1 && s.get("properties").is_none() {
                // `allOf: [$ref]`, the usual way to add a description to a reference.
                self.schema(loaded, file, &format!("{}/0", child(ptr, "allOf")), name)
            } else {
                match object_parts(loaded, file, ptr, s, 0) {
                    Some(parts) => self.object(loaded, file, ptr, s, name, &parts),
                    None => Ty::Json, // A member that is not an object: no struct holds them all.
                }
            }
        } else if let (Some(c), []) = (s.get("const"), non_null.as_slice()) {
            match c {
                Value::String(_) => Ty::String,
                Value::Bool(_) => Ty::Bool,
                Value::Number(n) if n.is_i64() => Ty::Integer,
                Value::Number(_) => Ty::Number,
                _ => Ty::Json,
            }
        } else {
            match non_null.as_slice() {
                ["string"] => match s.get("enum").and_then(Value::as_array) {
                    Some(values) if !values.is_empty() && values.iter().all(Value::is_string) => {
                        let (base, name) = self.type_name(name);
                        let mut variants = Names::reserving(&["Unknown"]);
                        let mut wires: Vec<String> = Vec::new();
                        for v in values.iter().filter_map(Value::as_str) {
                            if !wires.iter().any(|w| w == v) {
                                wires.push(v.to_string());
                            }
                        }
                        let pairs = wires.iter().map(|w| (w.clone(), variants.camel(w))).collect();
                        Ty::Enum(self.finish(&base, name, Def::Enum { doc: doc_of(s), values: pairs }), wires)
                    }
                    _ if s.get("format").and_then(Value::as_str) == Some("password") => Ty::Secret,
                    _ if s.get("format").and_then(Value::as_str) == Some("binary") => Ty::Bytes,
                    _ => Ty::String,
                },
                ["integer"] => Ty::Integer,
                ["number"] => Ty::Number,
                ["boolean"] => Ty::Bool,
                ["array"] => {
                    let item = match s.get("items") {
                        Some(_) => self.schema(loaded, file, &child(ptr, "items"), &format!("{name} item")),
                        None => Ty::Json,
                    };
                    Ty::Array(Box::new(item))
                }
                ["object"] | [] if s.get("properties").is_some() => {
                    self.object(loaded, file, ptr, s, name, &[(file, ptr.to_string(), s.clone())])
                }
                ["object"] => match s.get("additionalProperties") {
                    Some(Value::Object(_)) => Ty::Map(Box::new(self.schema(
                        loaded,
                        file,
                        &child(ptr, "additionalProperties"),
                        &format!("{name} value"),
                    ))),
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
                return Some(self.schema(loaded, file, &format!("{}/{i}", child(ptr, key)), name));
            }
        }
        None
    }

    /// `oneOf` of `$ref`s with a discriminator: an internally tagged enum.
    fn union(&mut self, loaded: &Loaded, file: usize, ptr: &str, s: &Value, name: &str) -> Option<Ty> {
        let tag = s.pointer("/discriminator/propertyName")?.as_str()?.to_string();
        let list = s.get("oneOf")?.as_array()?;
        let mut wires = Vec::new();
        for i in 0..list.len() {
            let (vf, vp) = deref(loaded, file, &format!("{}/{i}", child(ptr, "oneOf")))?;
            let schema = value_at(loaded, vf, &vp)?;
            let one_value = schema
                .pointer(&format!("/properties/{tag}/enum"))
                .and_then(Value::as_array)
                .filter(|e| e.len() == 1);
            let wire = schema
                .pointer(&format!("/properties/{tag}/const"))
                .or_else(|| one_value?.first())
                .and_then(Value::as_str)?;
            if schema.pointer(&format!("/properties/{tag}")).is_some_and(|p| p.get("$ref").is_some()) {
                return None;
            }
            wires.push(wire.to_string());
        }
        let (base, name) = self.type_name(name);
        self.define(&name, Def::Union { doc: doc_of(s), tag: tag.clone(), variants: Vec::new() });
        self.by_schema.insert((file, ptr.to_string()), Ty::Union(name.clone()));
        self.open.push(name.clone());
        let mut names = Names::reserving(&["Unknown"]);
        let mut variants = Vec::new();
        for (i, wire) in wires.into_iter().enumerate() {
            let vptr = format!("{}/{i}", child(ptr, "oneOf"));
            let ty = self.schema(loaded, file, &vptr, &format!("{name} {wire}"));
            let Ty::Struct(sname) = ty else {
                // Not an object: no tagged variant can hold it, so the union stays untyped.
                self.open.pop();
                self.defs.remove(&name);
                self.by_schema.remove(&(file, ptr.to_string()));
                return None;
            };
            variants.push((wire.clone(), names.camel(&wire), sname));
        }
        self.open.pop();
        Some(Ty::Union(self.finish(&base, name, Def::Union { doc: doc_of(s), tag, variants })))
    }

    /// A type name for `wire`, distinct from every other type and from the prelude names the
    /// generated code uses (`String` becomes `StringType`): (the name if it were free, the name).
    fn type_name(&mut self, wire: &str) -> (String, String) {
        let mut base = type_ident(wire);
        if PRELUDE.contains(&base.as_str()) {
            base.push_str("Type");
        }
        let name = self.names.unique(base.clone());
        (base, name)
    }

    /// Defines `name`; or, when `base` already names the same type (the schema is repeated in
    /// another file), drops `name` and returns `base`.
    fn finish(&mut self, base: &str, name: String, def: Def) -> String {
        if name != base && self.defs.get(base) == Some(&def) {
            self.defs.remove(&name);
            self.names.release(&name);
            return base.to_string();
        }
        self.define(&name, def);
        name
    }

    /// A struct for schema `s` at (file, ptr), with the properties of `parts` (its `allOf`
    /// members, then itself).
    fn object(
        &mut self,
        loaded: &Loaded,
        file: usize,
        ptr: &str,
        s: &Value,
        name: &str,
        parts: &[Part],
    ) -> Ty {
        // Reserve the name first so recursive schemas terminate.
        let (base, name) = self.type_name(name);
        self.define(&name, Def::Struct { doc: doc_of(s), fields: Vec::new() });
        self.by_schema.insert((file, ptr.to_string()), Ty::Struct(name.clone()));
        self.open.push(name.clone());
        let mut idents = Names::default();
        let required: Vec<&str> = parts
            .iter()
            .flat_map(|(_, _, p)| p.get("required").and_then(Value::as_array))
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut fields: Vec<Field> = Vec::new();
        for (file, ptr, part) in parts {
            let (file, props_ptr) = (*file, child(ptr, "properties"));
            let Some(props) = part.get("properties").and_then(Value::as_object) else { continue };
            for (wire, prop) in props {
                if fields.iter().any(|f| &f.wire == wire) {
                    continue; // Defined by an earlier `allOf` part.
                }
                // A constant may be the tag of a union, which serde takes out before the variant
                // reads its fields: it is optional even when required.
                let constant = prop.get("const").is_some()
                    || prop.get("enum").and_then(Value::as_array).is_some_and(|e| e.len() == 1);
                let ty = self.schema(loaded, file, &child(&props_ptr, wire), &format!("{name} {wire}"));
                // A readOnly/writeOnly property is absent in one direction even when required.
                let one_way =
                    ["readOnly", "writeOnly"].iter().any(|k| prop.get(*k) == Some(&Value::Bool(true)));
                let ty = if (required.contains(&wire.as_str()) && !one_way && !constant)
                    || matches!(ty, Ty::Option(_))
                {
                    ty
                } else {
                    Ty::Option(Box::new(ty))
                };
                let boxed = matches!(ty.unwrapped(), Ty::Struct(n) | Ty::Union(n) if self.open.contains(n));
                let resolved_doc = deref(loaded, file, &child(&props_ptr, wire))
                    .and_then(|(f, p)| value_at(loaded, f, &p))
                    .and_then(doc_of);
                fields.push(Field {
                    wire: wire.clone(),
                    ident: idents.snake(wire),
                    ty,
                    doc: doc_of(prop).or(resolved_doc),
                    boxed,
                });
            }
        }
        self.open.pop();
        Ty::Struct(self.finish(&base, name, Def::Struct { doc: doc_of(s), fields }))
    }

    fn define(&mut self, name: &str, def: Def) {
        self.defs.insert(name.to_string(), def);
    }

    /// The variant of enum `name` for wire value `wire`.
    pub fn enum_variant(&self, name: &str, wire: &str) -> Option<&str> {
        match self.defs.get(name) {
            Some(Def::Enum { values, .. }) => values.iter().find(|(w, _)| w == wire).map(|(_, v)| v.as_str()),
            _ => None,
        }
    }

    /// The tag and the (tag value, variant, struct) triples of a generated union.
    pub fn union_variants(&self, name: &str) -> Option<(&str, &[UnionVariant])> {
        match self.defs.get(name) {
            Some(Def::Union { tag, variants, .. }) => Some((tag, variants)),
            _ => None,
        }
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

    /// `Box<T>` or `Option<Box<T>>` for a recursive field inside `mod types`.
    fn boxed_tokens(&self, ty: &Ty) -> TokenStream {
        match ty {
            Ty::Option(inner) => {
                let t = self.boxed_tokens(inner);
                quote!(Option<#t>)
            }
            t => {
                let t = self.tokens_from(t, false);
                quote!(Box<#t>)
            }
        }
    }

    fn tokens_from(&self, ty: &Ty, outside: bool) -> TokenStream {
        // Workflow modules name the runtime's `__private` module `rt`.
        let rt = &self.rt;
        let rt = if outside { quote!(rt) } else { quote!(#rt::__private) };
        match ty {
            Ty::String => quote!(String),
            Ty::Integer => quote!(i64),
            Ty::Number => quote!(f64),
            Ty::Bool => quote!(bool),
            Ty::Status => quote!(u16),
            Ty::Json => quote!(#rt::serde_json::Value),
            Ty::Secret => quote!(#rt::Secret),
            Ty::Bytes => quote!(#rt::bytes::Bytes),
            Ty::Struct(n) | Ty::Enum(n, _) | Ty::Union(n) => {
                let i = ident(n);
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
            Ty::Stream(t) if **t == Ty::Bytes => quote!(#rt::ByteStream),
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
            let id = ident(name);
            match def {
                Def::Struct { doc, fields: defs } => {
                    let doc = doc_attr(doc.as_deref());
                    let fields = defs.iter().map(|f| {
                        let fid = ident(&f.ident);
                        let ty = if f.boxed { self.boxed_tokens(&f.ty) } else { self.tokens_from(&f.ty, false) };
                        let fdoc = doc_attr(f.doc.as_deref());
                        let rename = (f.ident.trim_start_matches("r#") != f.wire).then(|| {
                            let w = &f.wire;
                            quote!(#[serde(rename = #w)])
                        });
                        let default = matches!(f.ty, Ty::Option(_)).then(|| quote!(#[serde(default, skip_serializing_if = "Option::is_none")]));
                        quote! { #fdoc #rename #default pub #fid: #ty, }
                    });
                    let complex = complex_types(defs.iter().map(|f| &f.ty));
                    quote! {
                        #doc
                        #[derive(Debug, Clone, PartialEq, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
                        #[serde(crate = #serde_path)]
                        #complex
                        pub struct #id { #(#fields)* }
                    }
                }
                Def::Enum { doc, values } => enum_tokens(rt, &id, doc.as_deref(), values),
                Def::Union { doc, tag, variants } => {
                    let doc = doc_attr(doc.as_deref());
                    let vs = variants.iter().map(|(wire, variant, sname)| {
                        let v = ident(variant);
                        let s = ident(sname);
                        quote! { #[serde(rename = #wire)] #v(#s), }
                    });
                    // serde matches the catch-all by its own name too: it must differ from every tag.
                    let other = ["Unknown", "", "unknown variant"].into_iter().find(|o| variants.iter().all(|(w, ..)| w != o)).unwrap_or_default();
                    let other = if other == "Unknown" { quote!(#[serde(other)]) } else { quote!(#[serde(other, rename = #other)]) };
                    quote! {
                        #doc
                        #[derive(Debug, Clone, PartialEq, #rt::__private::serde::Serialize, #rt::__private::serde::Deserialize)]
                        #[serde(crate = #serde_path, tag = #tag)]
                        #[allow(clippy::large_enum_variant)] // Boxing would change the API for a size hint.
                        pub enum #id {
                            #(#vs)*
                            /// A variant this client does not know yet.
                            #other
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

fn enum_tokens(
    rt: &TokenStream,
    id: &syn::Ident,
    doc: Option<&str>,
    pairs: &[(String, String)],
) -> TokenStream {
    let doc = doc_attr(doc);
    let values: Vec<&str> = pairs.iter().map(|(w, _)| w.as_str()).collect();
    let idents: Vec<syn::Ident> = pairs.iter().map(|(_, v)| ident(v)).collect();
    let serde_path = format!("{}::__private::serde", rt.to_string().replace(' ', ""));
    let docs = values.iter().map(|v| format!(" `{}`", v.escape_debug()));
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

/// A schema that is part of an object: (file, pointer, schema).
type Part = (usize, String, Value);

/// The parts of an `allOf` object: its members (their own members first), then itself; `None`
/// when a member is not an object.
fn object_parts(loaded: &Loaded, file: usize, ptr: &str, s: &Value, depth: usize) -> Option<Vec<Part>> {
    let mut parts = Vec::new();
    let members = s.get("allOf").and_then(Value::as_array).map_or(0, Vec::len);
    for i in 0..members {
        let mptr = format!("{}/{i}", child(ptr, "allOf"));
        let (mf, mp) = deref(loaded, file, &mptr)?;
        let m = value_at(loaded, mf, &mp)?.clone();
        let object = m.get("properties").is_some()
            || m.get("allOf").is_some()
            || m.get("type").and_then(Value::as_str) == Some("object");
        if !object || m.get("$ref").is_some() || depth > 32 {
            return None;
        }
        parts.extend(object_parts(loaded, mf, &mp, &m, depth + 1)?);
    }
    parts.push((file, ptr.to_string(), s.clone()));
    Some(parts)
}

/// `#[allow(clippy::type_complexity)]` when one of `tys` nests containers three deep
/// (`Option<BTreeMap<String, Vec<..>>>`): the generated code spells such types out in full.
pub fn complex_types<'t>(tys: impl IntoIterator<Item = &'t Ty>) -> TokenStream {
    fn depth(ty: &Ty) -> usize {
        match ty {
            Ty::Option(t) | Ty::Array(t) | Ty::Map(t) | Ty::Stream(t) => 1 + depth(t),
            _ => 0,
        }
    }
    if tys.into_iter().any(|t| depth(t) >= 3) {
        quote!(#[allow(clippy::type_complexity)])
    } else {
        TokenStream::new()
    }
}

fn component_name(ptr: &str) -> Option<&str> {
    // OpenAPI schemas, and an Arazzo document's reusable input schemas.
    ["/components/schemas/", "/components/inputs/"]
        .iter()
        .find_map(|prefix| ptr.strip_prefix(prefix))
        .filter(|n| !n.contains('/'))
        .or_else(|| ptr.strip_prefix("/definitions/").filter(|n| !n.contains('/')))
}

fn doc_of(s: &Value) -> Option<String> {
    s.get("description").or_else(|| s.get("title")).and_then(Value::as_str).map(str::to_string)
}

impl TypeSpace {
    /// A Rust expression of type `ty` for the JSON `value` (an input's `default`), for use in a
    /// workflow module; why not when the value does not fit the type. A top-level string is a
    /// `&str` literal.
    pub fn literal(&self, ty: &Ty, value: &Value) -> Result<TokenStream, String> {
        match (ty, value) {
            (Ty::String, Value::String(s)) => Ok(quote!(#s)),
            _ => self.owned_literal(ty, value),
        }
    }

    fn owned_literal(&self, ty: &Ty, value: &Value) -> Result<TokenStream, String> {
        let mismatch = || format!("`{value}` is not {}", crate::lower::ty_name(ty));
        Ok(match (ty, value) {
            (Ty::Option(_), Value::Null) => quote!(None),
            (Ty::Option(inner), v) => {
                let t = self.owned_literal(inner, v)?;
                quote!(Some(#t))
            }
            (Ty::String, Value::String(s)) => quote!(String::from(#s)),
            (Ty::Secret, Value::String(s)) => quote!(rt::Secret::new(#s)),
            (Ty::Integer, Value::Number(n)) => match n.as_i64() {
                Some(i) => proc_macro2::Literal::i64_unsuffixed(i).into_token_stream(),
                None => return Err(mismatch()),
            },
            (Ty::Number, Value::Number(n)) => {
                proc_macro2::Literal::f64_unsuffixed(n.as_f64().unwrap_or_default()).into_token_stream()
            }
            (Ty::Bool, Value::Bool(b)) => quote!(#b),
            (Ty::Json, v) => json_literal(v),
            (Ty::Enum(name, _), Value::String(s)) => {
                let variant = self.enum_variant(name, s).ok_or_else(mismatch)?;
                let (ty, variant) = (ident(name), ident(variant));
                quote!(types::#ty::#variant)
            }
            (Ty::Array(item), Value::Array(items)) => {
                let items =
                    items.iter().map(|v| self.owned_literal(item, v)).collect::<Result<Vec<_>, _>>()?;
                quote!(vec![#(#items),*])
            }
            (Ty::Map(item), Value::Object(m)) => {
                let entries = m
                    .iter()
                    .map(|(k, v)| self.owned_literal(item, v).map(|t| quote!((String::from(#k), #t))))
                    .collect::<Result<Vec<_>, _>>()?;
                quote!(::std::collections::BTreeMap::from([#(#entries),*]))
            }
            (Ty::Struct(name), Value::Object(m)) => {
                let fields = self.fields(name).unwrap_or_default();
                let mut inits = Vec::new();
                for f in fields {
                    let t = match (m.get(&f.wire), &f.ty) {
                        (Some(v), ty) => self.owned_literal(ty, v)?,
                        (None, Ty::Option(_)) => quote!(None),
                        (None, _) => return Err(format!("it lacks the required field `{}`", f.wire)),
                    };
                    let t = if f.boxed { quote!(Box::new(#t)) } else { t };
                    let id = ident(&f.ident);
                    inits.push(quote!(#id: #t));
                }
                let id = ident(name);
                quote!(types::#id { #(#inits),* })
            }
            _ => return Err(mismatch()),
        })
    }
}

/// `serde_json::json!` tokens for a JSON value.
fn json_literal(v: &Value) -> TokenStream {
    fn inner(v: &Value) -> TokenStream {
        match v {
            Value::Null => quote!(null),
            Value::Bool(b) => quote!(#b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => proc_macro2::Literal::i64_unsuffixed(i).into_token_stream(),
                (_, Some(f)) => proc_macro2::Literal::f64_unsuffixed(f).into_token_stream(),
                _ => quote!(null),
            },
            Value::String(s) => quote!(#s),
            Value::Array(a) => {
                let items = a.iter().map(inner);
                quote!([#(#items),*])
            }
            Value::Object(m) => {
                let entries = m.iter().map(|(k, v)| {
                    let v = inner(v);
                    quote!(#k: #v)
                });
                quote!({ #(#entries),* })
            }
        }
    }
    let t = inner(v);
    quote!(rt::serde_json::json!(#t))
}
