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
    /// `outputs`: name, pointer, expression text.
    pub outputs: Vec<(String, String, String)>,
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
    /// `outputs`: name, pointer, expression text.
    pub outputs: Vec<(String, String, String)>,
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
    /// `replacements`: pointer of the entry, target, value.
    pub replacements: Vec<(String, String, Value)>,
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
