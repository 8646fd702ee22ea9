//! Arazzo 1.1 documents: the specification's schema tests (`tests/spec-1.1/schema-tests`,
//! copied from the OAI repository), its official AsyncAPI example, and the 1.1 fixtures of
//! `tests/workflows/v11/` compiled by the macro and run over loopback.

mod common;

use std::path::{Path, PathBuf};

use arazzo_codegen::{Checked, Settings};
use arazzo_runtime::ErrorKind;
use common::{Server, client, json_reply};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check(rel: &Path) -> Checked {
    arazzo_codegen::check(rel, &Settings { base_dir: root(), ..Default::default() })
}

fn documents(folder: &str) -> Vec<PathBuf> {
    let dir = Path::new("tests/spec-1.1/schema-tests").join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(&dir))
        .expect("schema tests are there")
        .map(|e| dir.join(e.expect("readable folder").file_name()))
        .collect();
    files.sort();
    files
}

/// What a schema test may report beyond its own content: its sources are mostly remote URLs or
/// files that are not there (the folder's README says so).
fn unread_source(code: &str) -> bool {
    matches!(code, "E0001" | "E0311" | "E0411")
}

/// Every `pass/` document reads as Arazzo 1.1: no error in reading it (E00xx but an unread
/// source, E01xx) or in its expressions' syntax (E02xx). What the schema cannot see (a
/// reference to a step or source that does not exist, E03xx and E04xx) and the refusal of
/// AsyncAPI steps (E0350) are not reading errors.
#[test]
fn schema_pass_documents_read_without_errors() {
    // Expression Type Objects and XPath belong to issue 10 items 3 and 4.
    let later = ["criterion-with-extended-xpath.arazzo.yaml"];
    let mut failures = Vec::new();
    for rel in documents("pass") {
        if later.iter().any(|l| rel.ends_with(l)) {
            continue;
        }
        let checked = check(&rel);
        let reading: Vec<String> = checked
            .diagnostics
            .sorted()
            .iter()
            .filter(|d| d.is_error() && !unread_source(d.code) && d.code < "E0300")
            .map(|d| format!("{} at {}: {}", d.code, d.line, d.message))
            .collect();
        if !reading.is_empty() {
            failures.push(format!("{}: {}", rel.display(), reading.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every `fail/` document gets an error for its own mistake: not only an unread source, and
/// not only the refusal of an AsyncAPI step.
#[test]
fn schema_fail_documents_get_an_error_of_their_own() {
    let mut failures = Vec::new();
    for rel in documents("fail") {
        let checked = check(&rel);
        let own = checked
            .diagnostics
            .sorted()
            .iter()
            .any(|d| d.is_error() && !unread_source(d.code) && d.code != "E0350");
        if !own {
            failures.push(format!("{}:\n{}", rel.display(), checked.render()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The official 1.1 example (the Arazzo Specification Object Example with the official
/// `pet-asyncapi.yaml`): each AsyncAPI step gets exactly one error, the refusal, naming the
/// step; the only other errors are the example's own misspelled source name.
#[test]
fn official_asyncapi_example_refuses_each_asyncapi_step_once() {
    let settings = Settings { base_dir: root(), ..Default::default() }.source(
        "https://raw.githubusercontent.com/OAI/Arazzo-Specification/main/examples/1.1.0/pet-asyncapi.yaml",
        "tests/spec-1.1/example-1.1.0-pet-asyncapi.yaml",
    );
    let checked = arazzo_codegen::check(Path::new("tests/workflows/v11/pet-asyncapi.arazzo.yaml"), &settings);
    let errors: Vec<_> = checked.diagnostics.sorted().into_iter().filter(|d| d.is_error()).collect();
    let refusals: Vec<_> = errors.iter().filter(|d| d.code == "E0350").map(|d| d.message.as_str()).collect();
    assert_eq!(
        refusals,
        [
            "step `purchasePetStep` is an AsyncAPI step: AsyncAPI execution is not supported yet",
            "step `confirmPetPurchaseStep` is an AsyncAPI step: AsyncAPI execution is not supported yet",
        ],
        "{}",
        checked.render()
    );
    for d in errors.iter().filter(|d| d.code != "E0350") {
        assert!(
            d.code == "E0310" && d.message.contains("`petstoreDescription`"),
            "unexpected error:\n{}",
            checked.render()
        );
    }
    expectorate::assert_contents(root().join("tests/workflows/v11/pet-asyncapi.txt"), &checked.render());
}

mod querystring {
    arazzo_macros::workflows!("workflows/v11/querystring.arazzo.yaml");
}
mod depends_on {
    arazzo_macros::workflows!("workflows/v11/depends-on.arazzo.yaml");
}
mod timeout {
    arazzo_macros::workflows!("workflows/v11/timeout.arazzo.yaml");
}
mod action_parameters {
    arazzo_macros::workflows!("workflows/v11/action-parameters.arazzo.yaml");
}

/// The generated code of each 1.1 fixture, as committed next to it.
#[test]
fn generated_code_of_the_fixtures_is_up_to_date() {
    for name in ["querystring", "depends-on", "timeout", "action-parameters"] {
        let rel = format!("tests/workflows/v11/{name}.arazzo.yaml");
        let settings = Settings { base_dir: root(), ..Default::default() };
        let generated = arazzo_codegen::generate(Path::new(&rel), &settings)
            .unwrap_or_else(|checked| panic!("{rel}:\n{}", checked.render()));
        let text = generated.to_file_string("EXPECTORATE=overwrite cargo test -p arazzo-tests --test v11");
        expectorate::assert_contents(root().join(format!("tests/workflows/v11/{name}.rs.snap")), &text);
    }
}

fn item(id: &str, name: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "name": name})
}

#[tokio::test]
async fn a_querystring_parameter_is_the_whole_query_with_each_embedded_value_encoded() {
    let server = Server::start(|_| json_reply(200, serde_json::json!({"items": [item("1", "Rex")]}))).await;
    let inputs = querystring::search::Inputs { category: "dogs & cats".into() };

    let out = querystring::search(&client(&["items"], &server.url, 10), inputs).await.expect("runs");

    assert_eq!(out.first.as_deref(), Some("Rex"));
    let query: Vec<_> = server.requests().iter().map(|r| r.query.clone()).collect();
    assert_eq!(query, [Some("category=dogs+%26+cats&limit=2".to_string())]);
}

async fn one_item_server() -> Server {
    Server::start(|r| match r.path.as_str() {
        "/items" => json_reply(200, serde_json::json!({"items": [item("7", "Rex")]})),
        "/items/7" => json_reply(200, item("7", "Rex")),
        _ => (204, Vec::new(), String::new()),
    })
    .await
}

#[tokio::test]
async fn steps_run_after_what_they_depend_on_explicitly_and_implicitly() {
    let server = one_item_server().await;
    let inputs = depends_on::audited_lookup::Inputs { category: "dogs".into() };

    let out = depends_on::audited_lookup(&client(&["items"], &server.url, 10), inputs).await.expect("runs");

    assert_eq!(out.name, "Rex");
    assert_eq!(server.lines(), ["GET /items", "GET /items/7", "POST /audit"]);
}

#[tokio::test]
async fn a_step_waits_for_a_step_of_the_workflow_its_workflow_depends_on() {
    let server = one_item_server().await;
    let inputs = depends_on::after_lookup::Inputs { category: "dogs".into() };

    depends_on::after_lookup(&client(&["items"], &server.url, 10), inputs).await.expect("runs");

    assert_eq!(server.lines(), ["GET /items", "GET /items/7", "POST /audit", "POST /audit"]);
    assert_eq!(server.requests()[3].query.as_deref(), Some("reason=after+Rex"));
}

/// `fetch` answers 404 (retried until the timeout runs out); `fallback` answers.
async fn items_missing_but_the_fallback() -> Server {
    Server::start(|r| match r.path.as_str() {
        "/items/fallback" => json_reply(200, item("fallback", "Spare")),
        _ => (404, Vec::new(), String::new()),
    })
    .await
}

#[tokio::test]
async fn a_step_timeout_covers_its_retries() {
    let server = items_missing_but_the_fallback().await;
    let inputs = timeout::slow_item::Inputs { item_id: "1".into(), fallback: false };

    let err =
        timeout::slow_item(&client(&["items"], &server.url, u32::MAX), inputs).await.expect_err("times out");

    assert_eq!(err.kind(), &ErrorKind::StepTimeout { ms: 300 });
    assert!(server.lines().len() > 1, "the retries ran within the timeout");
    assert!(server.lines().iter().all(|l| l == "GET /items/1"));
}

#[tokio::test]
async fn a_step_that_timed_out_goes_through_its_failure_actions() {
    let server = items_missing_but_the_fallback().await;
    let inputs = timeout::slow_item::Inputs { item_id: "1".into(), fallback: true };

    let out =
        timeout::slow_item(&client(&["items"], &server.url, u32::MAX), inputs).await.expect("falls back");

    assert_eq!(out.fallback_name.as_deref(), Some("Spare"));
    assert_eq!(server.lines().last().map(String::as_str), Some("GET /items/fallback"));
}

/// A server that accepts connections and never answers.
async fn silent_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    url
}

#[tokio::test]
async fn a_step_timeout_bounds_the_workflow_the_step_runs() {
    let url = silent_server().await;
    let inputs = timeout::slow_call::Inputs { item_id: "1".into() };

    let err = timeout::slow_call(&client(&["items"], &url, 10), inputs).await.expect_err("times out");

    assert_eq!(err.kind(), &ErrorKind::StepTimeout { ms: 100 });
    assert_eq!(err.step(), Some("call"));
}

#[tokio::test]
async fn a_step_timeout_ends_a_request_that_gets_no_answer() {
    let url = silent_server().await;
    let inputs = timeout::slow_item::Inputs { item_id: "1".into(), fallback: false };

    let err = timeout::slow_item(&client(&["items"], &url, 10), inputs).await.expect_err("times out");

    assert_eq!(err.kind(), &ErrorKind::StepTimeout { ms: 300 });
}

#[tokio::test]
async fn a_goto_to_a_workflow_passes_the_action_parameters_as_its_inputs() {
    let server = Server::start(|r| match r.path.as_str() {
        "/items/42" => json_reply(200, item("42", "Rex")),
        "/items/7" => (404, Vec::new(), String::new()),
        _ => (204, Vec::new(), String::new()),
    })
    .await;
    let client = client(&["items"], &server.url, 10);
    let run = |id: &str| {
        action_parameters::lookup(&client, action_parameters::lookup::Inputs { item_id: id.into() })
    };

    run("42").await.expect("found");
    run("7").await.expect("reported");

    let audits: Vec<_> = server.requests().into_iter().filter(|r| r.path == "/audit").collect();
    assert_eq!(audits.len(), 1);
    assert_eq!(audits[0].query.as_deref(), Some("reason=no+item+7+%28404%29"));
}

/// `$self` as the base URI of source description URLs (1.1.0 Appendix B): a relative one is
/// resolved against where the document was read; an absolute one is used as it is, so the
/// source it locates is remote unless mapped, and the mapping may name the resolved URL.
#[test]
fn source_urls_resolve_against_self() {
    let relative = check(Path::new("tests/workflows/v11/self/relative-self.arazzo.yaml"));
    assert!(relative.diagnostics.sorted().is_empty(), "{}", relative.render());

    let rel = Path::new("tests/workflows/v11/self/absolute-self.arazzo.yaml");
    let remote = check(rel);
    let w0103: Vec<_> = remote.diagnostics.sorted().into_iter().filter(|d| d.code == "W0103").collect();
    assert_eq!(w0103.len(), 1, "{}", remote.render());
    assert!(w0103[0].message.contains("`https://api.example.com/specs/items.yaml`"), "{}", remote.render());

    let settings = Settings { base_dir: root(), ..Default::default() }
        .source("https://api.example.com/specs/items.yaml", "tests/workflows/v11/items.openapi.yaml");
    let mapped = arazzo_codegen::check(rel, &settings);
    assert!(mapped.diagnostics.sorted().is_empty(), "{}", mapped.render());
}

/// AsyncAPI 3 channel pointers resolve and their messages' correlation IDs are found: each step
/// gets the refusal and nothing else.
#[test]
fn asyncapi_channel_paths_are_checked_then_refused() {
    let checked = check(Path::new("tests/workflows/v11/asyncapi/channel-path.arazzo.yaml"));
    let codes: Vec<_> = checked.diagnostics.sorted().iter().map(|d| d.code).collect();
    assert_eq!(codes, ["E0350", "E0350"], "{}", checked.render());
}
