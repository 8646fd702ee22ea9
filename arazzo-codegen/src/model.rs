//! The Arazzo 1.0.x and 1.1.x document model. Every object keeps the JSON pointer it was read from, so
//! later stages can report findings at the right line.

use serde_json::Value;

/// A whole Arazzo document.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The `arazzo` version string.
    pub arazzo: String,
    /// The feature set `arazzo` declares (1.0 when it is missing or unsupported).
    pub version: Version,
    /// `$self` (1.1): its pointer and the URI-reference.
    pub self_uri: Option<(String, String)>,
    /// `info.title`.
    pub title: String,
    /// `info.summary`.
    pub summary: Option<String>,
    /// `info.description`.
    pub description: Option<String>,
    /// `sourceDescriptions`, in order.
    pub sources: Vec<SourceDescription>,
    /// `workflows`, in order.
    pub workflows: Vec<Workflow>,
    /// `components`.
    pub components: Components,
    /// Lint levels of the root extension `x-arazzo-codegen`: code, level, pointer of the entry.
    pub lints: Vec<(String, crate::lints::Level, String)>,
}

/// The feature set of an Arazzo version. Spec 1.1.0 "Versions": the `major.minor` portion
/// designates the feature set and tooling does not consider the patch version.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Version {
    /// Arazzo 1.0.x.
    #[default]
    V1_0,
    /// Arazzo 1.1.x.
    V1_1,
}

/// A `sourceDescriptions` entry.
#[derive(Debug, Clone, Default)]
pub struct SourceDescription {
    /// Pointer of the entry.
    pub ptr: String,
    /// `name`.
    pub name: String,
    /// `url`.
    pub url: String,
    /// `type` (`openapi` when absent).
    pub kind: SourceKind,
}

/// What a source description points at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SourceKind {
    /// An OpenAPI description.
    #[default]
    OpenApi,
    /// Another Arazzo document.
    Arazzo,
    /// An AsyncAPI description (1.1).
    AsyncApi,
}

/// `components`.
#[derive(Debug, Clone, Default)]
pub struct Components {
    /// `components.inputs`: name, pointer, schema.
    pub inputs: Vec<(String, String, Value)>,
    /// `components.parameters`.
    pub parameters: Vec<(String, Parameter)>,
    /// `components.successActions`.
    pub success_actions: Vec<(String, Action)>,
    /// `components.failureActions`.
    pub failure_actions: Vec<(String, Action)>,
}

/// A workflow.
#[derive(Debug, Clone, Default)]
pub struct Workflow {
    /// Pointer of the workflow.
    pub ptr: String,
    /// `workflowId`.
    pub id: String,
    /// `summary`.
    pub summary: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `inputs` (a JSON Schema), with its pointer.
    pub inputs: Option<(String, Value)>,
    /// `dependsOn`, with pointers.
    pub depends_on: Vec<(String, String)>,
    /// `steps`.
    pub steps: Vec<Step>,
    /// `successActions`.
    pub success_actions: Vec<ActionRef>,
    /// `failureActions`.
    pub failure_actions: Vec<ActionRef>,
    /// `outputs`: name, pointer, value.
    pub outputs: Vec<(String, String, OutputValue)>,
    /// `parameters`.
    pub parameters: Vec<ParamRef>,
}

/// What a step calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `operationId`.
    OperationId(String),
    /// `operationPath`.
    OperationPath(String),
    /// `workflowId`.
    WorkflowId(String),
    /// `channelPath` (1.1, AsyncAPI).
    ChannelPath(String),
}

/// `action` of an AsyncAPI step (1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAction {
    /// Publish a message.
    Send,
    /// Wait for a message.
    Receive,
}

/// A step.
#[derive(Debug, Clone)]
pub struct Step {
    /// Pointer of the step.
    pub ptr: String,
    /// `stepId`.
    pub id: String,
    /// `description`.
    pub description: Option<String>,
    /// The operation or workflow it calls, with the pointer of that field.
    pub target: Option<(String, Target)>,
    /// `parameters`.
    pub parameters: Vec<ParamRef>,
    /// `requestBody`.
    pub request_body: Option<RequestBody>,
    /// `successCriteria`.
    pub success_criteria: Vec<Criterion>,
    /// `onSuccess`.
    pub on_success: Vec<ActionRef>,
    /// `onFailure`.
    pub on_failure: Vec<ActionRef>,
    /// `outputs`: name, pointer, value.
    pub outputs: Vec<(String, String, OutputValue)>,
    /// `timeout` in milliseconds (1.1), with its pointer.
    pub timeout: Option<(String, u64)>,
    /// Step-level `dependsOn` (1.1), with pointers: a stepId, `$workflows.<id>.steps.<id>` or
    /// `$sourceDescriptions.<name>.<workflowId>.steps.<id>`.
    pub depends_on: Vec<(String, String)>,
    /// `action` of an AsyncAPI step (1.1), with its pointer.
    pub action: Option<(String, MessageAction)>,
    /// `correlationId` of an AsyncAPI receive step (1.1), with its pointer.
    pub correlation_id: Option<(String, Value)>,
}

/// An output: a runtime expression, or (Arazzo 1.1) a Selector Object.
#[derive(Debug, Clone)]
pub enum OutputValue {
    /// A runtime expression's text.
    Expr(String),
    /// A Selector Object.
    Selector(Selector),
}

/// A Selector Object (Arazzo 1.1): `selector`, of `kind`, applied to the value of `context`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// Pointer of the object.
    pub ptr: String,
    /// `context`: the runtime expression the selector is applied to.
    pub context: String,
    /// `selector`.
    pub selector: String,
    /// `type`, with its version.
    pub kind: ExprType,
}

impl Selector {
    /// The Selector Object `v` is, when it is one: a mapping with `context`, `selector` and a
    /// known `type`, and no other field than extensions. Anything else is a plain value
    /// (structural mistakes in a mapping with a `selector` field are reported by the reader).
    #[must_use]
    pub fn of(v: &Value, ptr: &str) -> Option<Selector> {
        let map = v.as_object()?;
        if map.keys().any(|k| !matches!(k.as_str(), "context" | "selector" | "type") && !k.starts_with("x-"))
        {
            return None;
        }
        let text = |k: &str| map.get(k)?.as_str().map(str::to_string);
        let kind = match map.get("type")? {
            Value::String(t) => ExprType::parse(t, None)?,
            Value::Object(o) => {
                ExprType::parse(o.get("type")?.as_str()?, o.get("version").and_then(Value::as_str))?
            }
            _ => return None,
        };
        Some(Selector { ptr: ptr.to_string(), context: text("context")?, selector: text("selector")?, kind })
    }
}

/// An expression language and its version: a selector's `type`, or an Expression Type Object
/// (Arazzo 1.1 §Expression Type Object).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprType {
    /// `jsonpath`: RFC 9535 (the default) or `draft-goessner-dispatch-jsonpath-00`.
    JsonPath(JsonPathVersion),
    /// `xpath`: `xpath-31` (the default), `xpath-30`, `xpath-20` or `xpath-10`.
    XPath(XPathVersion),
    /// `jsonpointer`: RFC 6901.
    JsonPointer,
}

/// A JSONPath version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonPathVersion {
    /// `rfc9535`.
    Rfc9535,
    /// `draft-goessner-dispatch-jsonpath-00`.
    Goessner,
}

/// An XPath version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XPathVersion {
    /// `xpath-31`.
    V31,
    /// `xpath-30`.
    V30,
    /// `xpath-20`.
    V20,
    /// `xpath-10`.
    V10,
}

impl ExprType {
    /// The type named `kind` at `version` (its default when `None`); `None` for an unknown
    /// type or a version the type does not have.
    #[must_use]
    pub fn parse(kind: &str, version: Option<&str>) -> Option<ExprType> {
        Some(match (kind, version) {
            ("jsonpath", None | Some("rfc9535")) => ExprType::JsonPath(JsonPathVersion::Rfc9535),
            ("jsonpath", Some("draft-goessner-dispatch-jsonpath-00")) => {
                ExprType::JsonPath(JsonPathVersion::Goessner)
            }
            ("xpath", None | Some("xpath-31")) => ExprType::XPath(XPathVersion::V31),
            ("xpath", Some("xpath-30")) => ExprType::XPath(XPathVersion::V30),
            ("xpath", Some("xpath-20")) => ExprType::XPath(XPathVersion::V20),
            ("xpath", Some("xpath-10")) => ExprType::XPath(XPathVersion::V10),
            ("jsonpointer", None | Some("rfc6901")) => ExprType::JsonPointer,
            _ => return None,
        })
    }

    /// The versions `kind` has, for help texts; empty for an unknown type.
    #[must_use]
    pub fn versions(kind: &str) -> &'static [&'static str] {
        match kind {
            "jsonpath" => &["rfc9535", "draft-goessner-dispatch-jsonpath-00"],
            "xpath" => &["xpath-31", "xpath-30", "xpath-20", "xpath-10"],
            "jsonpointer" => &["rfc6901"],
            _ => &[],
        }
    }
}

/// A parameter, or a reference to a reusable one.
#[derive(Debug, Clone)]
pub enum ParamRef {
    /// An inline parameter.
    Inline(Parameter),
    /// `reference: $components.parameters.x` with an optional `value` override.
    Reusable {
        /// Pointer of the entry.
        ptr: String,
        /// The component name.
        name: String,
        /// `value` override and its pointer.
        value: Option<(String, Value)>,
    },
}

/// A parameter.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Pointer of the parameter.
    pub ptr: String,
    /// `name`.
    pub name: String,
    /// `in`.
    pub location: Option<String>,
    /// `value`.
    pub value: Value,
}

/// `requestBody`.
#[derive(Debug, Clone)]
pub struct RequestBody {
    /// Pointer of the request body.
    pub ptr: String,
    /// `contentType`.
    pub content_type: Option<String>,
    /// `payload`.
    pub payload: Option<Value>,
    /// `replacements`.
    pub replacements: Vec<Replacement>,
}

/// A Payload Replacement Object.
#[derive(Debug, Clone)]
pub struct Replacement {
    /// Pointer of the entry.
    pub ptr: String,
    /// `target`.
    pub target: String,
    /// `targetSelectorType`; without one, the target is a JSON pointer into a JSON payload and
    /// an XPath expression into an XML one.
    pub kind: Option<ExprType>,
    /// `value`.
    pub value: Value,
}

impl Replacement {
    /// What `target` is in a payload of `form`: its `targetSelectorType`, else (Arazzo 1.1) an
    /// XPath 3.1 expression in XML text and a JSON pointer elsewhere.
    pub fn target_kind(&self, form: PayloadForm) -> ExprType {
        self.kind.clone().unwrap_or(match form {
            PayloadForm::Xml => ExprType::XPath(XPathVersion::V31),
            PayloadForm::Value | PayloadForm::Text => ExprType::JsonPointer,
        })
    }
}

/// How a payload is sent, which decides what a replacement target addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadForm {
    /// A value (YAML/JSON, or one expression), sent as JSON, form or multipart fields: its
    /// targets are JSON pointers or JSONPath queries.
    Value,
    /// Text for an XML media type: its targets are XPath expressions.
    Xml,
    /// Other text: its replacements are not applied (W0306).
    Text,
}

impl RequestBody {
    /// The content type the body is sent with: its `contentType`, else the operation's first
    /// declared one (`declared`), else JSON.
    pub fn media_type(&self, declared: Option<&str>) -> String {
        self.content_type.as_deref().or(declared).unwrap_or("application/json").to_string()
    }

    /// How the payload is sent with `content_type`: text is a string that is not one runtime
    /// expression.
    pub fn form(&self, content_type: &str) -> PayloadForm {
        let Some(Value::String(text)) = &self.payload else { return PayloadForm::Value };
        let one_expr =
            matches!(crate::expr::parse_value(text), Ok(p) if matches!(p.value, crate::expr::Value::Expr(_)));
        match (one_expr, is_xml(content_type)) {
            (true, _) => PayloadForm::Value,
            (false, true) => PayloadForm::Xml,
            (false, false) => PayloadForm::Text,
        }
    }
}

/// A media type without its parameters, in lower case.
pub fn essence(content_type: &str) -> String {
    content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase()
}

/// Whether `content_type` is an XML media type: `application/xml`, `text/xml` or `…+xml`.
pub fn is_xml(content_type: &str) -> bool {
    let essence = essence(content_type);
    essence == "application/xml" || essence == "text/xml" || essence.ends_with("+xml")
}

/// How a criterion's condition is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CriterionKind {
    /// `simple` (the default).
    Simple,
    /// `regex`.
    Regex,
    /// `jsonpath`, with an optional version.
    JsonPath(Option<String>),
    /// `xpath`, with an optional version.
    XPath(Option<String>),
}

/// A criterion.
#[derive(Debug, Clone)]
pub struct Criterion {
    /// Pointer of the criterion.
    pub ptr: String,
    /// `condition`.
    pub condition: String,
    /// `context`.
    pub context: Option<String>,
    /// `type`.
    pub kind: CriterionKind,
}

/// What an action does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// End the workflow.
    End,
    /// Jump to a step or workflow.
    Goto,
    /// Run the step again.
    Retry,
}

/// A success or failure action.
#[derive(Debug, Clone)]
pub struct Action {
    /// Pointer of the action.
    pub ptr: String,
    /// `name`.
    pub name: String,
    /// `type`.
    pub kind: ActionKind,
    /// `stepId`, with its pointer.
    pub step_id: Option<(String, String)>,
    /// `workflowId`, with its pointer.
    pub workflow_id: Option<(String, String)>,
    /// `retryAfter` in seconds.
    pub retry_after: Option<f64>,
    /// `retryLimit`.
    pub retry_limit: Option<u64>,
    /// `criteria`.
    pub criteria: Vec<Criterion>,
    /// `parameters` (1.1): the inputs of the workflow named by `workflowId`.
    pub parameters: Vec<ParamRef>,
}

/// An action, or a reference to a reusable one.
#[derive(Debug, Clone)]
pub enum ActionRef {
    /// An inline action.
    Inline(Action),
    /// `reference: $components.successActions.x`.
    Reusable {
        /// Pointer of the entry.
        ptr: String,
        /// `successActions` or `failureActions`.
        kind: String,
        /// The component name.
        name: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_media_types() {
        for xml in ["application/xml", "text/xml; charset=utf-8", "application/soap+xml", "Application/XML"] {
            assert!(is_xml(xml), "{xml}");
        }
        for other in
            ["application/json", "text/plain", "application/xml-dtd", "application/x-www-form-urlencoded"]
        {
            assert!(!is_xml(other), "{other}");
        }
    }

    #[test]
    fn payload_forms() {
        let body = |payload: Value| RequestBody {
            ptr: String::new(),
            content_type: None,
            payload: Some(payload),
            replacements: Vec::new(),
        };
        let xml = Value::from("<a>{$inputs.b}</a>");
        assert_eq!(body(xml.clone()).form("application/xml"), PayloadForm::Xml);
        assert_eq!(body(xml).form("text/plain"), PayloadForm::Text);
        assert_eq!(
            body(Value::from("$inputs.doc")).form("application/xml"),
            PayloadForm::Value,
            "one expression"
        );
        assert_eq!(body(serde_json::json!({"a": 1})).form("application/xml"), PayloadForm::Value);
        assert_eq!(body(Value::Null).media_type(Some("text/xml")), "text/xml");
        let typed = RequestBody { content_type: Some("application/xml".into()), ..body(Value::Null) };
        assert_eq!(typed.media_type(Some("application/json")), "application/xml");
    }
}
