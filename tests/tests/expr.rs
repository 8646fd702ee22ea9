//! Arazzo 1.1 expressions (`tests/workflows/expr/`): Selector Objects, Expression Type Objects
//! and criteria semantics, compiled by the proc-macro and run over loopback; the forms real
//! documents write (`tests/workflows/real-forms/`). The generated code of each document is
//! snapshotted in `tests/workflows/expr/snapshots/`: refresh with
//! `EXPECTORATE=overwrite cargo test -p arazzo-tests --test expr`.

#![deny(warnings)]

mod common;

use std::path::Path;

use arazzo_codegen::Settings;
use arazzo_runtime::{Client, ErrorKind};
use common::{Server, client, json_reply};
use serde_json::json;

mod selectors {
    arazzo_macros::workflows!("workflows/expr/selectors.arazzo.yaml");
}

fn api(server: &Server) -> Client {
    client(&["api"], &server.url, 50)
}

#[tokio::test]
async fn selectors_in_outputs_parameters_and_payloads() {
    let server = Server::start(|req| match req.line().as_str() {
        "GET /items" => json_reply(
            200,
            json!({"total": 2, "items": [
                {"id": "a1", "name": "Apple", "price": 3},
                {"id": "b2", "name": "Bread", "price": 7, "extra": true}
            ]}),
        ),
        "GET /items/b2" if req.query.as_deref() == Some("label=Bread") => {
            json_reply(200, json!({"id": "b2", "name": "Bread", "tags": ["fresh", "local"]}))
        }
        "POST /orders" => json_reply(201, json!({"orderId": "o1"})),
        other => json_reply(404, json!({"unexpected": other})),
    })
    .await;
    let out =
        selectors::select(&api(&server), selectors::select::Inputs {}).await.expect("the workflow runs");
    // A JSON pointer selector is typed like `$response.body#/pointer`.
    let first_id: Option<String> = out.first_id;
    let total: i64 = out.total;
    assert_eq!((first_id.as_deref(), total), (Some("a1"), 2));
    // A JSONPath selector gives the one node it selects, as JSON.
    assert_eq!(out.cheap, Some(json!("Apple")));
    let first_tag: Option<String> = out.first_tag;
    assert_eq!(first_tag.as_deref(), Some("fresh"));
    let requests = server.requests();
    // A JSONPath replacement target sets every node it selects.
    assert_eq!(requests[2].json(), json!({"itemId": "b2", "note": "fresh", "tags": ["checked", "checked"]}));
}

/// Two items under 5: the `cheap` selector (`$.items[?@.price < 5].name`) selects two nodes, and
/// a selector names one value, so the workflow fails with the query and the count.
#[tokio::test]
async fn a_jsonpath_selector_that_selects_several_nodes_fails_the_workflow() {
    let server = Server::start(|req| match req.line().as_str() {
        "GET /items" => json_reply(
            200,
            json!({"total": 2, "items": [
                {"id": "a1", "name": "Apple", "price": 3},
                {"id": "b2", "name": "Bread", "price": 4}
            ]}),
        ),
        "GET /items/b2" => json_reply(200, json!({"id": "b2", "name": "Bread", "tags": ["fresh"]})),
        "POST /orders" => json_reply(201, json!({"orderId": "o1"})),
        other => json_reply(404, json!({"unexpected": other})),
    })
    .await;
    let e =
        selectors::select(&api(&server), selectors::select::Inputs {}).await.expect_err("two cheap items");
    let query = "$.items[?@.price < 5].name";
    assert!(matches!(e.kind(), ErrorKind::SeveralSelected { query: q, count: 2 } if q == query), "{e}");
    let message = format!("workflow `select`: selector `{query}` selected 2 values, where it names one");
    assert_eq!(e.to_string().lines().next(), Some(&*message));
}

mod real_forms {
    arazzo_macros::workflows!("workflows/real-forms/length-and-whole-context.arazzo.yaml");
}

#[tokio::test]
async fn javascript_length_and_whole_object_contexts() {
    use real_forms::*;
    let server = Server::start(|req| match req.line().as_str() {
        "GET /items" => json_reply(
            200,
            json!({"total": 2, "items": [{"id": "a1", "name": "Apple"}, {"id": "b2", "name": "Bread"}]}),
        ),
        "GET /items/b2" => json_reply(200, json!({"id": "b2", "name": "Bread", "tags": ["fresh", "local"]})),
        other => json_reply(404, json!({"unexpected": other})),
    })
    .await;
    let client = api(&server);
    let inputs = || second::Inputs { wanted: Some("BREAD".into()) };
    // `context: $inputs` compares the input by name (case-insensitively); lengths are counted.
    second(&client, inputs()).await.expect("every criterion holds");
    let wrong = second(&client, second::Inputs { wanted: Some("Apple".into()) }).await;
    assert!(wrong.is_err(), "the `$inputs` criterion fails for another value");
    assert_eq!(server.lines(), ["GET /items", "GET /items/b2", "GET /items"]);
}

mod grammar {
    arazzo_macros::workflows!("workflows/expr/grammar.arazzo.yaml");
}

#[tokio::test]
async fn runtime_expressions_and_criteria_of_arazzo_1_1() {
    use arazzo_runtime::ErrorKind;
    use grammar::grammar::{Inputs, grammar};
    let server = Server::start(|req| match req.line().as_str() {
        "GET /items/b2" => json_reply(200, json!({"id": "b2", "name": "Bread", "price": 3})),
        other => json_reply(404, json!({"unexpected": other})),
    })
    .await;
    let client = api(&server);
    let inputs = |pattern: &str| Inputs { name_pattern: Some(pattern.into()), wanted_id: Some("b2".into()) };
    let out = grammar(&client, inputs("Br.ad")).await.expect("every criterion holds");
    assert_eq!(out.name, "Bread");
    assert_eq!(out.description, "./expr.openapi.yaml");
    assert_eq!(out.self_, "grammar.arazzo.yaml");
    let label = server.requests()[0].query.clone();
    assert_eq!(label.as_deref(), Some("label=openapi+at+grammar.arazzo.yaml"));
    // A pattern that does not compile once its value is substituted fails the criterion.
    let err = grammar(&client, inputs("(")).await.expect_err("an invalid pattern fails");
    let ErrorKind::CriteriaFailed { criteria } = err.kind() else { panic!("{err}") };
    assert_eq!(criteria, &["^({$inputs.namePattern})$"]);
}

#[test]
fn generated_code_snapshots() {
    let documents = ["expr/selectors", "expr/grammar", "expr/xpath", "real-forms/length-and-whole-context"];
    let settings =
        Settings { base_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows"), ..Default::default() };
    for doc in documents {
        let generated = arazzo_codegen::generate(Path::new(&format!("{doc}.arazzo.yaml")), &settings)
            .unwrap_or_else(|checked| panic!("{doc}:\n{}", checked.render()));
        let stem = doc.rsplit('/').next().unwrap_or(doc);
        let text = generated.to_file_string("EXPECTORATE=overwrite cargo test -p arazzo-tests --test expr");
        expectorate::assert_contents(format!("workflows/expr/snapshots/{stem}.rs"), &text);
    }
}
