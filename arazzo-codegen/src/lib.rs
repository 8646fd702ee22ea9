//! `arazzo-codegen` compiles [Arazzo 1.0.x](https://spec.openapis.org/arazzo/v1.0.1.html) and
//! [1.1.x](https://spec.openapis.org/arazzo/v1.1.0.html) workflow documents, and the OpenAPI
//! descriptions they name, into strongly typed async Rust.
//!
//! The stages run one way: load (files) → read (model) → validate (cross references and
//! expressions) → resolve and plan (control flow, every expression lowered and type-checked
//! against the OpenAPI schemas) → emit (tokens) → format (prettyplease). [`check`] stops after
//! the plan; [`generate`] emits. Only loading and writing touch the filesystem. The three front
//! ends ([`Builder`] for build.rs, the `arazzo-codegen` CLI, the `workflows!` macro) call the
//! same [`generate`] with the same [`Settings`]. No stage panics on user input: every mistake
//! becomes a [`Diagnostic`] with a code, a file, a line and column, a JSON pointer and a help
//! line, and all of them are reported at once.
//!
//! # The generated code
//!
//! One module per workflow: `Inputs` (optional inputs with a `default` get an accessor that
//! applies it), `Outputs`, and `pub async fn <workflow>(client, inputs)`. When the workflow's
//! steps run in order, repeat themselves (`retry`, a `goto` to the same step) or go on to the
//! next step, the function is straight-line Rust: each step is a private `async fn` that builds
//! and sends its request, checks its success criteria and returns its typed body (and its
//! response when later code reads it); a step that repeats is a `loop`; `end` is a `return`.
//! Its actions are listed in the step function's docs. Other graphs (a `goto` back to an earlier
//! step or past the next one, a step that runs a workflow, a `goto` to a workflow, failure
//! actions) become a `loop { match step { .. } }` state machine whose step outputs are `Option`
//! locals set after every attempt. Both shapes have the same run-time behaviour.
//!
//! # Durable runs
//!
//! With [`Settings::durable`] (CLI `--durable`, macro `durable = true`, [`Builder::durable`]) each
//! workflow module also gets a `durable` module: the same workflow body and step functions, from
//! the same plan, written against `arazzo_runtime::durable::Run`, and a `Workflow` that is a
//! [Restate](https://restate.dev) workflow service (arazzo-runtime's `restate` feature). From
//! Arazzo to Restate:
//!
//! - a step's HTTP exchange → one journaled action (`ctx.run`, named by the step id) keeping the
//!   status, the response headers the document reads (found in the plan's lowered expressions at
//!   build time) plus `Retry-After`/`retry-after-ms`, and the body;
//! - criteria, outputs and actions → plain Rust on the journaled response, so a replay decides
//!   the same way;
//! - a wait (`retryAfter`, `Retry-After`, a `goto` loop's pacing) → a durable timer (`ctx.sleep`);
//!   a retry or goto loop → a loop of journaled actions and timers; retry limits and the step
//!   budget count journaled events, so they hold across replays;
//! - `Inputs` → `Input` (journaled) and `Secrets` (the secret inputs, which the worker supplies
//!   and the journal never sees); `Outputs` → the run's result;
//! - a streamed body, JSONL items or a binary download (`ByteStream`), is not journaled: the
//!   step's journaled action keeps only its status and headers (the criteria run on them), and
//!   the result holds the request, secrets left out, that `durable::Outputs::open` sends again
//!   after the run to stream the body (reading it must be idempotent, as a `GET` is);
//! - a workflow call (a step with `workflowId`, `dependsOn`, a `goto` or `retry` to a workflow,
//!   in this document or another) → the callee's durable `run_in`, in the caller's Restate
//!   invocation: its exchanges and timers are journaled in the caller's journal, in order, and it
//!   shares the caller's step budget. Its secret inputs are the caller's values (never journaled:
//!   only responses are). A caller has a durable module only if every workflow it runs has one.
//!
//! A workflow gets no durable module when its `workflowId` is not a Restate service name
//! (`^([a-zA-Z]|_[a-zA-Z0-9])[a-zA-Z0-9._-]*$`), when a stream output does not come straight from
//! one of its steps' responses, when a step that runs a workflow has a `timeout` (a nested run
//! cannot be cut off at a point a replay would reproduce), or when it runs a workflow that has
//! none. [`Generated::not_durable`] lists them with the reason.
//!
//! A journaled step runs at least once: a request in flight when the worker dies is sent again
//! on replay (once more per crash at most); a journaled response is never requested again. A
//! `POST` that creates something is therefore exactly-once only with the API's own idempotency
//! key; `GET` polls are safe to repeat. See `arazzo_runtime::durable` for the run-time side.
//!
//! # Diagnostic codes
//!
//! | code | meaning |
//! |---|---|
//! | E0001 | a file cannot be read |
//! | E0002 | YAML/JSON syntax error |
//! | E0003 | collections nested more than 128 levels deep (real documents nest about 15) |
//! | E0004 | aliases that expand to more than 10,000 nodes beyond what the document writes |
//! | E0101 | a required field is missing |
//! | E0102 | unknown field (with did-you-mean) |
//! | E0103 | a field has the wrong type |
//! | E0104 | an OpenAPI file was given where an Arazzo document was expected |
//! | E0105 | `workflows` or `steps` is empty |
//! | E0106 | unsupported Arazzo version (not 1.0.x or 1.1.x) |
//! | E0107 | unknown source description type |
//! | E0108 | a step names no operation or workflow |
//! | E0109 | a step names more than one of operationId / operationPath / workflowId |
//! | E0110 | invalid output name |
//! | E0111 | unknown parameter location |
//! | E0112 | malformed `reference` |
//! | E0113 | unknown criterion type |
//! | E0114 | a typed criterion has no `context` |
//! | E0115 | unknown action type |
//! | E0116 | `retryAfter` / `retryLimit` not a non-negative number |
//! | E0117 | an action names both a step and a workflow |
//! | E0118 | a goto names no target |
//! | E0120 | Swagger 2.0 source description |
//! | E0121 | unknown OpenAPI version |
//! | E0130 | `$self` with a fragment, or not a URI-reference |
//! | E0131 | a stepId, workflowId or source name outside `[A-Za-z0-9_-]+` in a 1.1 document (`identifier-strict`) |
//! | E0132 | an empty `successCriteria` in a 1.1 document |
//! | E0133 | an AsyncAPI description of another version than 2.x or 3.x |
//! | E0134 | an empty `criteria` on a success action in a 1.1 document |
//! | E0201 | invalid runtime expression |
//! | E0202 | invalid JSON pointer in a runtime expression |
//! | E0203 | invalid simple condition |
//! | E0204 | invalid JSONPath query |
//! | E0205 | invalid regular expression |
//! | E0206 | an XPath expression that does not parse (XPath 3.1 grammar: "expected …, found …") |
//! | E0207 | invalid embedded expression in a string (`{$…}`) |
//! | E0230 | an unknown expression type or version (Selector or Expression Type Object) |
//! | E0231 | a malformed JSON pointer selector |
//! | E0232 | a JSON pointer selector on a value that is not JSON |
//! | E0233 | `.length` of a value that has none |
//! | E0234 | an XPath expression on a value that is not XML text |
//! | E0235 | `$self` in a document that declares no `$self` |
//! | E0236 | `$message` outside an AsyncAPI step |
//! | E0237 | a payload replacement target whose kind does not fit the payload (XPath on a JSON payload, a JSON pointer or JSONPath on XML text) |
//! | E0238 | `$sourceDescriptions.<name>.url` or `.type` as a value where the source has an operation or workflow of that id, which takes precedence |
//! | E0301 | `$response`/`$statusCode` where there is no response |
//! | E0302 | `$inputs.x` not declared in the workflow's inputs |
//! | E0303 | `$steps.x` names an unknown step |
//! | E0304 | a step or workflow has no such output |
//! | E0305 | the step read from cannot have run yet |
//! | E0306 | unknown workflow, source description or component in an expression |
//! | E0310 | unknown operationId, workflow, step, source or component |
//! | E0311 | a source description could not be read |
//! | E0312 | a workflow reference into a source that is not an Arazzo document |
//! | E0313 | ambiguous operationId (in several sources) |
//! | E0314 | malformed operationPath |
//! | E0315 | operationPath pointer names no operation |
//! | E0316 | duplicate id or name |
//! | E0317 | `dependsOn` cycle |
//! | E0318 | a parameter of an operation step has no `in` |
//! | E0319 | a required header, query or cookie parameter is not supplied (lowerable) |
//! | E0320 | a step passes an input the workflow it runs does not declare |
//! | E0321 | a step does not pass a required input of the workflow it runs |
//! | E0322 | a `goto`/`retry` to a workflow or `dependsOn` needs an input this workflow lacks |
//! | E0323 | a path parameter of the operation is not supplied |
//! | E0350 | an AsyncAPI step: AsyncAPI execution is not supported yet (one per step) |
//! | E0351 | `action`/`correlationId` misplaced: a step that is not AsyncAPI, a send step's `correlationId`, an AsyncAPI step without `action`, an unknown `action` |
//! | E0352 | a step `timeout` that is not a non-negative whole number of milliseconds |
//! | E0353 | a step-level `dependsOn` that is empty, lists a step twice or has an entry that is no step reference |
//! | E0354 | steps whose `dependsOn` and output references wait for each other (no order satisfies them) |
//! | E0355 | a step waits for a step of another workflow that its workflow does not run first (`dependsOn`) |
//! | E0356 | an `in` on a parameter of a success or failure action |
//! | E0357 | action `parameters` without a `workflowId` |
//! | E0358 | a step that sends a `querystring` parameter and `query` parameters |
//! | E0401 | a JSON pointer names a field the schema does not have (lowerable) |
//! | E0402 | an enum compared with a literal outside the enum |
//! | E0403 | a streamed (JSON Lines or binary) body read where only a step output can take it |
//! | E0404 | an expression that has no value where it is used |
//! | E0405 | `$outputs.x` that the called workflow does not have |
//! | E0406 | an enum compared with `<`, `<=`, `>` or `>=` |
//! | E0407 | `$statusCode` compared with a number that is no HTTP status |
//! | E0408 | a value compared with a literal of another type |
//! | E0410 | two Arazzo documents that run each other's workflows |
//! | E0411 | a step of a remote source description that was not read |
//! | E0412 | `$workflows.x.outputs` where `x` is not in `dependsOn` |
//! | E0413 | an input's `default` that does not fit the input's type |
//! | E0414 | a JSON pointer into a response body that is text or bytes, not JSON |
//! | W0001 | an unknown code in a lint level setting |
//! | W0002 | `allow` or `warn` given an error that cannot be lowered (it stays an error) |
//! | W0101 | a source name outside `[A-Za-z0-9_-]+` (1.0.x; E0131 in 1.1) |
//! | W0102 | a field that has no effect on this action type |
//! | W0103 | remote source description, not fetched |
//! | W0104 | a relative server URL with no absolute description URL to resolve it against |
//! | W0105 | a `$ref` in an OpenAPI file that names nothing (untyped) |
//! | W0130 | an Arazzo 1.1 field in a 1.0.x document (honoured as 1.1 defines it) |
//! | W0201 | `$request.headers.`/`$response.headers.` (plural) is not Arazzo syntax |
//! | W0202 | JSON pointer without a leading `/` (`$response.body#id`) |
//! | W0203 | JSONPath shorthand `PATH OP LITERAL` is not RFC 9535 |
//! | W0204 | double-quoted string literal in a simple condition |
//! | W0205 | runtime expression in a string without `{}` braces is not substituted |
//! | W0230 | an Arazzo 1.1 construct in a 1.0.x document (honoured) |
//! | W0231 | a draft-goessner JSONPath query that means something else under RFC 9535 |
//! | W0232 | JavaScript `.length` of a list or string in a condition (read as its length) |
//! | W0233 | a whole object as a criterion context (`$inputs`, `$steps.x.outputs`; members read by name) |
//! | W0234 | XPath syntax newer than the declared version (`let` under `xpath-10`); it runs on the XPath 3.1 engine |
//! | W0301 | replacement target is not a JSON pointer |
//! | W0302 | `retry` inside `onSuccess` (not Arazzo 1.0.1; accepted) |
//! | W0303 | a parameter the operation does not declare |
//! | W0304 | a goto loop with no delay and no bound of its own |
//! | W0305 | unknown JSONPath version |
//! | W0306 | `replacements` on a string payload that is not XML (not applied) |
//! | W0307 | an object payload for a content type other than JSON, form or multipart (sent as JSON) |
//! | W0308 | an operationPath without braces or `.url` (`$sourceDescriptions.api#/paths/…`; read as meant) |
//! | W0309 | a workflowId `$sourceDescriptions.<name>.workflows.<id>` (read as `<name>.<id>`) |
//! | W0350 | an AsyncAPI step's operation or channel is not in its description |
//! | W0351 | a `correlationId` on a step whose AsyncAPI messages define none |
//! | W0352 | a step's `action` that the AsyncAPI operation's `action` does not mirror |
//!
//! # Lint levels
//!
//! Like rustc's: each code can be allowed (not reported), warned or denied (an error); the
//! `warnings` group names every finding that is still a warning. They are set in [`Settings`] or
//! [`Builder`] (`.allow("W0203")`, `.warn("E0401")`, `.deny("W0304")`, `.deny_warnings()`), on
//! the command line (`-A`/`--allow CODE`, `-W`/`--warn CODE`, `-D`/`--deny CODE`, `-D warnings`),
//! in the macro (`workflows!("x.arazzo.yaml", allow = ["W0203"])`) and in the document itself:
//!
//! ```yaml
//! x-arazzo-codegen:
//!   allow: [W0203]
//!   warn: [E0401]
//!   deny: [warnings]
//! ```
//!
//! The most specific wins: for each code, the document's level, else the front end's, else the
//! code's default (warning for `W`, error for `E`). Then the `warnings` group (the document's,
//! else the front end's) applies to what is still a warning. An unknown code is W0001; `allow` or
//! `warn` of an error that cannot be lowered is W0002, and that error stays an error.
//!
//! Errors that can be lowered, and what the generated code does instead:
//!
//! | code | fallback |
//! |---|---|
//! | E0319 | the missing header, query or cookie parameter is not sent (a missing path parameter is E0323, which cannot be lowered) |
//! | E0401 | a step output that reads the response body through the unknown pointer reads the body as received, as untyped JSON: its type becomes `Option<serde_json::Value>` and the step's doc comment says why; elsewhere (criteria, pointers into inputs or outputs) E0401 stays an error |
//!
//! # What is reported about OpenAPI files
//!
//! Only what the workflows reach: the operations their steps call and, through `$ref`s,
//! everything those use. Warnings about the rest of a file are counted in one line per file
//! ([`Checked::render`]); `check --verbose` ([`Checked::render_verbose`]) shows them.
//!
//! # Semantics decided where the spec is silent
//!
//! - A step succeeds when all `successCriteria` hold; without criteria, on any 2xx status.
//! - After success, the first `onSuccess` action whose criteria hold runs; none: the next step.
//!   After failure, the first matching `onFailure` action runs; none: the workflow fails with
//!   an error naming the step, the status and each failed criterion's text (or, for a 2xx
//!   response whose body does not fit its schema, that decode error). Workflow-level actions
//!   are consulted after the step's own list, for the steps their criteria fit (a field that a
//!   step's response does not have, a `$statusCode` of a step that runs a workflow: not that
//!   step); criteria that fit no step are errors.
//! - `retry` waits `retryAfter` seconds (a `Retry-After` header wins) and runs the step again, at
//!   most `retryLimit` times (absent: 1); then the later actions of the list are tried.
//!   `retry` in `onSuccess` is accepted (warning W0302; an error with [`Settings::strict`]).
//! - `goto` to a step that already ran is a loop, bounded by the client's step budget and paced
//!   by its loop pacing. `end` returns the outputs whose steps have run. A workflow output is an
//!   `Option` unless its step succeeds before every successful return (a step whose failure action
//!   ends the run, goes forward or hands over may have no outputs: it timed out, or answered an error).
//! - A step with `workflowId` runs that workflow (of this document, or of an Arazzo source
//!   description, whose module is nested in the generated file) with its parameters without
//!   `in` as inputs; `$outputs.x` reads its outputs. It fails when that workflow fails (the
//!   error is passed on if no `onFailure` action matches) or a criterion does not hold.
//!   A `goto` to a workflow runs it, passing this workflow's inputs by name, then ends this
//!   one; a `retry` naming a workflow runs it before the retry. `dependsOn` workflows run
//!   first, in order, with this workflow's inputs by name; `$workflows.x.outputs.y` reads them.
//!   A dependency "MUST be completed before" its dependents, so within one top-level run it runs
//!   at most once: its outputs are kept in the run (`Run::completed`, shared with nested runs)
//!   and every later workflow depending on it reads them, whatever inputs it would pass (the
//!   first run's win). A dependency that fails fails its dependent and is not kept, so another
//!   dependent runs it again. Steps, `goto` and `retry` always run their workflow. A dependency
//!   with a stream output runs for each dependent (a stream has one reader). A durable replay
//!   takes the same path: what is kept depends only on the journaled results.
//!   Nested runs share the caller's step budget, so recursion through workflows is bounded.
//! - A transport error (no response, after the client's transport retries) ends the workflow
//!   with that error: criteria and actions need a response to be evaluated.
//! - JSONPath `PATH OP LITERAL` (both seeds) means "the single value at PATH compared with
//!   LITERAL" (warning W0203, naming the portable simple criterion).
//! - Simple conditions compare and order strings case-insensitively, coerce numeric strings under numeric
//!   operators (a header compared with a number), compare `true`/`false` text with booleans,
//!   and `null` equals only `null`.
//! - A JSONPath query that starts with a root filter (`$[?@.x == 1]`) tests an object context
//!   itself, as the only element of a list; other queries follow RFC 9535 and read the response
//!   as received (not its typed form). A JSON null context, for JSONPath and regex criteria, is
//!   no value, like an absent one.
//! - Success criteria and success actions type `$response.body#/…` against the success (2xx)
//!   response schema. Failure actions (a step's `onFailure`, a workflow's `failureActions`,
//!   inline or from components) may see any response, an error one too: in their criteria and
//!   parameters the body is read as received, and a pointer into it is checked against every
//!   response body schema the operation declares (2xx, 4XX, 5XX, `default`, specific codes).
//!   E0401 only when none has it (the help names each schema searched); a typed comparison when
//!   those that have it agree on a scalar type (text, number, boolean, enum), untyped JSON
//!   otherwise. A response that declares no JSON body is not searched.
//! - Names may contain dots: `$steps.s.outputs.pet.name` reads output `pet.name` when the step
//!   has one; a whole-value expression's JSON pointer may contain spaces.
//! - `$request.header|query|path.NAME` in a step's criteria and outputs is the value of the
//!   parameter the step sent (header names case-insensitive).
//! - A payload written as JSON text with `{$...}` templates gets each value escaped inside a
//!   string literal and written as JSON outside one.
//! - A response body is read by the media type its success response declares (JSON first,
//!   when it declares several): JSON (`application/json`, `*/*+json`) decoded into its schema's
//!   type; JSON Lines (`application/x-jsonl`, `application/jsonl`, `application/x-jsonlines`,
//!   `application/x-ndjson`) as a typed `JsonlStream`; `text/*` and XML as a `String`; anything
//!   else (`application/octet-stream`, `format: binary`, ...) as a `ByteStream` of chunks read as
//!   they arrive, so a download of any size is never held whole (like a JSON Lines body, it can
//!   only be a step output, whole: E0403). A wildcard (`*/*`)
//!   is JSON unless its schema is `format: binary`; a response without content is untyped JSON.
//!   A 2xx response whose `content-type` is of another kind is decoded as declared, with a
//!   `tracing` warning. A JSON pointer into a text or binary body is E0414. A string input of
//!   `format: binary` is `bytes::Bytes`.
//! - A `multipart/form-data` payload object is sent part by part: a text part per string,
//!   number or boolean member, a part per item of a list, an `application/json` part per object;
//!   a member whose value is bytes, or a string for a property of `format: binary` (or, in
//!   OpenAPI 3.1, `contentMediaType`), is a file part (`application/octet-stream`, its filename
//!   the field's name); a list of such values (an input of `type: array` whose items are
//!   binary, or a YAML list) is one file part per item. The operation's `encoding` sets a
//!   part's `contentType`, its filename
//!   (the `filename` of a `Content-Disposition` header) and its other headers, whose values are
//!   their schema's `const` or `default`, or their `example` (headers without one are not sent).
//!   A payload that is one expression is sent as its members, binary ones as file parts.
//!
//! # Arazzo 1.1
//!
//! Documents declare `arazzo: 1.0.x` or `1.1.x`; only `major.minor` counts (1.1.0 "Versions").
//! A 1.1 field in a 1.0.x document is warned about (W0130, naming the version to declare) and
//! honoured as 1.1 defines it: each has one meaning, and dropping it would silently change what
//! the workflow does. What 1.1 decides where 1.0.1 left us to:
//!
//! - `timeout` (milliseconds) bounds the step from its first request since it was entered: its
//!   transport retries, its `retry` actions and their waits are inside it (a wait never sleeps
//!   past it). When it runs out the step fails with `arazzo_runtime::ErrorKind::StepTimeout` and goes through
//!   `onFailure`: it has no response, so an action whose criteria read one does not match (1.1.0
//!   "Evaluation Errors": the condition fails) and a `retry` is passed over (the timeout covers
//!   retries); none matches: the workflow fails with the timeout. A `goto` back to the step
//!   starts its timeout again. On a step that runs a workflow, it bounds that run.
//! - Step-level `dependsOn`: a workflow that uses it runs its steps in the order closest to the
//!   document's in which each step comes after the steps it names and those whose
//!   `$steps.<id>.outputs` it reads ("Tool Behavior"); "the next step" follows that order. A step
//!   of another workflow (`$workflows.<id>.steps.<id>`, `$sourceDescriptions.<name>.<id>.steps.<id>`)
//!   must belong to a workflow in this one's `dependsOn`, which runs first (E0355). Without
//!   step-level `dependsOn`, reading a later step's outputs is E0305 ("Validation
//!   Recommendations").
//! - Steps run one at a time, never concurrently (`join!`), even when independent: the request
//!   order is then the order the document (or its dependencies) implies, which is what authors
//!   of synchronous workflows read and what servers with rate limits or order-dependent state
//!   see; one run's step budget, secrets and observer events stay in one sequence; and 1.1 meant
//!   `dependsOn` to join asynchronous work, which is not executed yet.
//! - `in: querystring` sends one value as the whole query string ("a string representing the
//!   complete query string"); in a template for form content (the operation's `content` is
//!   `application/x-www-form-urlencoded`, or absent), each embedded `{$…}` value is
//!   form-encoded, so `a&b` stays one value. OpenAPI 3.2 descriptions are read like 3.1.
//! - `$self` is the base URI of source description URLs: an absolute one as it is, a relative
//!   one first resolved against the document's path (Appendix B). A URL it makes remote is a
//!   remote source (W0103 names the resolved URL, which `Settings::source` may map); an Arazzo
//!   source whose URL is the `$self` of a document already read is that document
//!   ("Identity-Based Referencing"). Relative server URLs of an OpenAPI source resolve against
//!   its resolved URL.
//! - Success and failure actions with a `workflowId` may have `parameters`: the inputs of that
//!   workflow, checked like those of a step that runs it (E0320, E0321; `in` is E0356) and
//!   evaluated where the action's criteria are (the step's response is there). Without them,
//!   this workflow's inputs are passed by name, as in 1.0.x.
//! - AsyncAPI steps (`channelPath`, `action`, `correlationId`, or an operation of an `asyncapi`
//!   source) are checked against the AsyncAPI 2.x/3.x description (the operation or channel
//!   exists, `action` mirrors the operation's, a `correlationId` matches a message that defines
//!   one: warnings W0350-W0352) and refused with one error per step, E0350: AsyncAPI execution is
//!   not supported yet.
//!
//! # Arazzo 1.1 expressions
//!
//! - A Selector Object (step and workflow outputs, parameter values, payload and replacement
//!   values) with `type: jsonpointer` reads its `context` with the pointer appended, so
//!   `{context: $response.body, selector: /items/0/id}` is typed and checked exactly like
//!   `$response.body#/items/0/id`. A `jsonpath` selector gives the one node its query selects,
//!   as `serde_json::Value`, or none when it selects none. An `xpath` selector gives the string
//!   value of the one item it selects in an XML document. A selector that selects several
//!   values fails the step with `ErrorKind::SeveralSelected` (a selector names one value, and
//!   picking the first would hide the mistake); the spec is silent on both cases.
//!   A Selector Object in a 1.0.x document is honoured, with W0230.
//! - A payload replacement whose `targetSelectorType` is `jsonpath` sets every node its query
//!   selects in the JSON payload (none: the payload is unchanged), as the spec's own example
//!   does. An XML payload is a string with `{$…}` templates and an XML content type
//!   (`application/xml`, `text/xml`, `+xml`; the body's `contentType`, else the operation's
//!   first); its replacements are XPath (written, or by default, as the spec says for XML
//!   payloads), checked like XPath selectors (E0206/W0234) and applied after the template is
//!   rendered (runtime `xpath` feature): every node a target selects gets the value's text (an
//!   element's children become that text, an attribute or text node takes it; a string bare,
//!   another value as JSON text, `null` as none); selecting no node leaves the payload as it
//!   is, selecting a value that is not a node fails the step (`ErrorKind::InvalidInput`). A
//!   target whose kind does not fit the payload is E0237; other string payloads ignore their
//!   replacements (W0306).
//! - Expression Type Objects: JSONPath `rfc9535` (default) and
//!   `draft-goessner-dispatch-jsonpath-00`, which runs on the RFC 9535 engine (W0231 where a
//!   query means something else there: a filter also tests an object's members, `.length` is a
//!   member); XPath `xpath-31` (default), `xpath-30`, `xpath-20`, `xpath-10`; JSON Pointer
//!   `rfc6901`. An unknown version is E0230 in 1.1 (W0305, and the default, in 1.0.x).
//! - XPath criteria and selectors apply to XML text: an `application/xml`, `text/xml` or `+xml`
//!   response body is read as text. A criterion holds when the Effective Boolean Value of its
//!   expression is true. They need the runtime's `xpath` feature: generated code that
//!   evaluates XPath does not compile without it, and the error names the feature.
//! - Criteria follow Arazzo 1.1 §Condition Evaluation in both versions: an evaluation error
//!   fails the criterion and never aborts the workflow by itself; all criteria of a list must
//!   hold; strings compare case-insensitively; a numeric string compared with a number is
//!   coerced, a literal one included (`$response.body#/count == '3'`, an error E0408 before);
//!   `null` equals only `null`, so `$statusCode != null` holds (it did not before). `{$…}`
//!   values embedded in a regex, JSONPath or XPath condition are substituted first; the
//!   pattern or query is then compiled at run time, and one that does not compile fails the
//!   criterion.
//! - Accepted beyond the spec, with a warning naming the portable form: the JavaScript
//!   `.length` of a list or a string in a condition (W0232: `$response.body#/items.length > 0`,
//!   `$.transitions.length > 0`), read as its length (a member named `length` of an object is
//!   that member); a whole object as a criterion's context (W0233: `$inputs`,
//!   `$steps.x.outputs`, `$workflows.x.outputs`), whose members a JSONPath shorthand reads by
//!   name.
//!
//! # Limits
//!
//! - `$request.body` is not read back (E0404 says what to write instead); remote source
//!   descriptions are not fetched (W0103: map them to files).
//! - XPath expressions are parsed at build time against the XPath 3.1 grammar (E0206) and
//!   evaluated at run time. Static errors (an unknown function, prefix or variable) are found by
//!   the engine at run time only, where they fail the criterion. A `{$…}` value glued to a name
//!   in an XPath condition (`/a/b{$inputs.x}`) can form any token, so such a condition is only
//!   checked for balanced brackets and quotes. XPath 1.0, 2.0 and 3.0 expressions run on the
//!   XPath 3.1 engine; syntax newer than the declared version is a warning (W0234).
//! - Members named inside a general JSONPath filter (`$.items[?@.qty > 1]`) are not checked
//!   against the schema: such queries run on the response as received.
//! - Schemas become types where Rust can say it: objects (with `allOf` merged), string enums,
//!   `oneOf` with a discriminator whose tags are `const` or one-value enums; anything else
//!   (other unions, a schema that is a list of itself) stays `serde_json::Value`.

#![deny(missing_docs)]
// Bad input must never panic the compiler: every failure is a diagnostic.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod asyncapi;
mod builder;
mod calls;
mod diag;
mod docs;
mod emit;
mod expr;
mod generate;
mod graph;
mod lints;
mod load;
mod lower;
mod model;
mod names;
mod openapi;
mod order;
mod plan;
mod reach;
mod read;
mod report;
mod resolve;
mod syntax;
mod types;
mod uri;
mod validate;
mod version;

pub use builder::{Builder, GenerateError, write_if_changed};
pub use generate::{Generated, generate, module_name};
pub use graph::Format;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use diag::{Diagnostic, Diagnostics, Severity};
/// The build-time XPath 3.1 recognizer, for the test that compares it with the engine's parser.
#[doc(hidden)]
pub use expr::xpath::recognize as recognize_xpath;
pub use lints::{Level, Lints};

/// Settings shared by every front end (build.rs, CLI, proc-macro).
#[derive(Debug, Clone)]
pub struct Settings {
    /// Directory that relative document paths are resolved against (the crate root for the macro).
    pub base_dir: PathBuf,
    /// Local files for source descriptions, by source name or by URL.
    pub sources: BTreeMap<String, PathBuf>,
    /// Turn portability warnings that change meaning (retry in onSuccess) into errors.
    pub strict: bool,
    /// Warn about goto loops that have no delay of their own.
    pub loop_warning: bool,
    /// The path generated code uses to name the runtime crate.
    pub runtime_path: String,
    /// Lint levels by code (see "Lint levels" in the crate docs).
    pub lints: Lints,
    /// Also emit each workflow as a Restate workflow service (a `durable` module next to its
    /// function; see "Durable runs" in the crate docs). Generated code then needs
    /// `arazzo-runtime`'s `restate` feature.
    pub durable: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            base_dir: PathBuf::new(),
            sources: BTreeMap::new(),
            strict: false,
            loop_warning: true,
            runtime_path: "::arazzo_runtime".into(),
            lints: Lints::default(),
            durable: false,
        }
    }
}

impl Settings {
    /// Maps a source description (by name or URL) to a local file.
    pub fn source(mut self, name_or_url: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        self.sources.insert(name_or_url.into(), path.into());
        self
    }

    /// Does not report findings with this code (a lowerable error is lowered, silently).
    pub fn allow(mut self, code: impl Into<String>) -> Self {
        self.lints.set(code, Level::Allow);
        self
    }

    /// Reports findings with this code as warnings: a warning's default, or a lowerable error
    /// lowered to a warning with its fallback.
    pub fn warn(mut self, code: impl Into<String>) -> Self {
        self.lints.set(code, Level::Warn);
        self
    }

    /// Reports findings with this code (or, for `"warnings"`, every warning) as errors.
    pub fn deny(mut self, code: impl Into<String>) -> Self {
        self.lints.set(code, Level::Deny);
        self
    }

    /// Reports every finding that is still a warning as an error (`-D warnings`).
    pub fn deny_warnings(self) -> Self {
        self.deny(lints::WARNINGS)
    }
}

/// The result of checking one document.
#[derive(Debug, Clone)]
pub struct Checked {
    /// Everything that was read (boxed: `generate` returns a `Checked` as its error).
    loaded: Box<load::Loaded>,
    /// Every finding, at the levels the settings and the document set, except warnings about
    /// parts of OpenAPI files that no workflow reaches.
    pub diagnostics: Diagnostics,
    /// Warnings about parts of OpenAPI files that no workflow reaches.
    unreached: Diagnostics,
}

impl Checked {
    /// Renders every finding like rustc, in document order, with a summary line; warnings about
    /// parts of OpenAPI files that no workflow reaches are counted in one line per file.
    pub fn render(&self) -> String {
        let mut out = self.render_list(&self.diagnostics);
        let mut per_file: BTreeMap<&str, usize> = BTreeMap::new();
        for d in self.unreached.sorted() {
            *per_file.entry(&d.file).or_default() += 1;
        }
        for (file, n) in per_file {
            let s = if n == 1 { "" } else { "s" };
            let n = thousands(n);
            out.push_str(&format!(
                "{n} more finding{s} in {file} not reached by any workflow; --verbose shows them\n"
            ));
        }
        out
    }

    /// Renders every finding, those about parts no workflow reaches included.
    pub fn render_verbose(&self) -> String {
        let mut all = self.diagnostics.clone();
        all.extend(self.unreached.clone());
        self.render_list(&all)
    }

    /// Warnings about parts of OpenAPI files that no workflow reaches (not in [`Checked::diagnostics`]).
    pub fn unreached(&self) -> &Diagnostics {
        &self.unreached
    }

    fn render_list(&self, diagnostics: &Diagnostics) -> String {
        let mut out = String::new();
        // Each file's lines, split once: quoting the line of each finding costs no rescan.
        let mut lines: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for d in diagnostics.sorted() {
            let file_lines = lines.entry(&d.file).or_insert_with(|| {
                self.loaded.text_of(&d.file).map(|t| t.lines().collect()).unwrap_or_default()
            });
            out.push_str(&d.render_line(file_lines.get(d.line.saturating_sub(1) as usize).copied()));
            out.push('\n');
        }
        let (e, w) = diagnostics.counts();
        if e + w > 0 {
            let s = |n: usize| if n == 1 { "" } else { "s" };
            out.push_str(&format!("{e} error{}, {w} warning{}\n", s(e), s(w)));
        }
        out
    }

    /// Renders one finding like rustc, with its source line.
    pub fn render_one(&self, d: &Diagnostic) -> String {
        d.render(self.loaded.text_of(&d.file))
    }

    /// Every file read (relative to [`Settings::base_dir`] when relative), for rebuilds.
    pub fn files_read(&self) -> Vec<PathBuf> {
        self.loaded.paths_read().map(Path::to_path_buf).collect()
    }
}

/// Loads and checks an Arazzo document and everything it names: every finding `generate` would
/// report, without writing anything.
pub fn check(path: &Path, settings: &Settings) -> Checked {
    analyze(path, settings).0
}

/// Draws the workflows of an Arazzo document as a diagram, from the plan the code is generated
/// from: every workflow of the document, or only `workflow`; both with the workflows they run.
///
/// Steps are nodes labelled with their id and operation (`METHOD /path`) or the workflow they
/// run. Edges: the default next step, each `goto`/`retry`/`end` action labelled with its name,
/// its retry limit and delay, and its shortened criteria; `onFailure` actions in red; runs of
/// other workflows dotted, to their start; `dependsOn` dashed. The output is deterministic, so
/// a diagram can be committed next to the generated code.
pub fn graph(
    path: &Path,
    settings: &Settings,
    format: Format,
    workflow: Option<&str>,
) -> Result<String, GraphError> {
    let (checked, unit) = analyze(path, settings);
    let Some(unit) = unit else { return Err(GraphError::Invalid(Box::new(checked))) };
    let ids: Vec<_> =
        unit.root.workflows.iter().filter_map(|k| Some((*k, &unit.workflows.get(k)?.id))).collect();
    let roots: Vec<_> = match workflow {
        None => ids.iter().map(|(k, _)| *k).collect(),
        Some(id) => match ids.iter().find(|(_, i)| *i == id) {
            Some((key, _)) => vec![*key],
            None => {
                let known = ids.iter().map(|(_, i)| i.to_string()).collect();
                return Err(GraphError::UnknownWorkflow { id: id.to_string(), known });
            }
        },
    };
    Ok(graph::draw(&unit, &roots, format))
}

/// Why [`graph`] drew nothing.
#[derive(Debug)]
pub enum GraphError {
    /// The document has errors (each one rendered by [`Checked::render`]).
    Invalid(Box<Checked>),
    /// The document has no workflow `id`; it has `known`.
    UnknownWorkflow {
        /// The id asked for.
        id: String,
        /// The document's workflow ids, in order.
        known: Vec<String>,
    },
}

impl std::fmt::Display for GraphError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GraphError::Invalid(checked) => f.write_str(checked.render().trim_end()),
            GraphError::UnknownWorkflow { id, known } => {
                write!(f, "the document has no workflow `{id}`; it has: {}", known.join(", "))
            }
        }
    }
}

impl std::error::Error for GraphError {}

/// Loads, validates and plans; the plan when nothing is in error once the lint levels apply.
pub(crate) fn analyze(path: &Path, settings: &Settings) -> (Checked, Option<plan::Unit>) {
    let mut diagnostics = Diagnostics::default();
    let loaded = load::load(path, settings, &mut diagnostics);
    let shown = loaded.files.first().map_or_else(|| path.display().to_string(), |f| f.display.clone());
    lints::check_front_end(&settings.lints, &shown, &mut diagnostics);
    let docs: Vec<usize> = loaded.documents.keys().copied().collect();
    for doc in docs {
        validate::validate(&loaded, doc, settings, &mut diagnostics);
    }
    // Planning type-checks every expression against the OpenAPI schemas. It runs even when
    // validation found errors, so that all mistakes come out at once; it writes the fallback of
    // each lowerable error, which the unit keeps only when the levels lower them.
    let unit = loaded
        .documents
        .contains_key(&0)
        .then(|| plan::unit(&loaded, 0, &runtime_path(settings), &mut diagnostics));
    let mut document = Lints::default();
    for (code, level, _) in loaded.documents.get(&0).map(|d| d.lints.as_slice()).unwrap_or_default() {
        document.set(code.clone(), *level);
    }
    let diagnostics = lints::apply(diagnostics, &settings.lints, &document);
    let unit = unit.filter(|_| !diagnostics.has_errors());
    let (diagnostics, unreached) = reach::split(&loaded, diagnostics);
    (Checked { loaded: Box::new(loaded), diagnostics, unreached }, unit)
}

/// `3412` as `3,412`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The tokens naming the runtime crate.
pub(crate) fn runtime_path(settings: &Settings) -> proc_macro2::TokenStream {
    settings.runtime_path.parse().unwrap_or_else(|_| quote::quote!(::arazzo_runtime))
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts_have_thousands_separators() {
        let shown: Vec<String> = [7, 999, 3412, 1_234_567].into_iter().map(super::thousands).collect();
        assert_eq!(shown, ["7", "999", "3,412", "1,234,567"]);
    }
}
