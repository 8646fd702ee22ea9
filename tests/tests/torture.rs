//! Torture fixtures (`tests/workflows/torture/`): valid Arazzo documents with OpenAPI
//! descriptions that stress names, schemas, expressions and control flow. Each is expanded by
//! the proc-macro under `#![deny(warnings)]` (clippy runs on it in CI too); the tests build
//! the inputs, check that the futures are `Send`, and run the smaller ones over loopback.
//!
//! - `names`, `schemas`, `flow`: the main fixtures.
//! - one document per construct that the checker once refused or the generator crashed on
//!   (recursive schemas, `²` in a name, allOf, unions, dotted names, ...).
//! - `openapi/`: OpenAPI details (constant and one-value-enum properties, `pets.list`
//!   operationIds, percent-encoded operationPaths, boolean headers, containers nested three
//!   deep, Markdown descriptions that trip rustdoc and clippy, a union tag with two values,
//!   Path Items by `$ref`, a 200 and a 201 with different bodies).
//! - `unsupported-request-body`: refused, with diagnostics that say what to do.

#![deny(warnings)]

mod common;

use arazzo_runtime::{Client, ErrorKind, Secret};
use common::{Server, client, json_reply};
use serde_json::json;

fn send<T: Send>(_: T) {}

macro_rules! fixtures {
    ($($module:ident: $file:literal;)*) => {
        $(mod $module {
            arazzo_macros::workflows!($file);
        })*
    };
}

include!("common/torture_documents.rs");

fn api(server: &Server) -> Client {
    client(&["api"], &server.url, 50)
}

#[test]
fn names_inputs_and_send() {
    use names::*;
    let client = Client::builder().build().expect("a client");
    // The `get-pet` workflow's inputs have names that collide after snake_case (`self`/`Self`,
    // `pet.name`/`pet name`/`pet-name`/`petName`, `🐶`/`🐱`/`_`): built from JSON by wire name.
    let inputs: get_pet::Inputs = serde_json::from_value(json!({
        "client": "c", "type": "t", "inputs": "i", "run": "r", "step": "s", "response": "resp",
        "body": "b", "path": "p", "request": "req", "failed": "f", "result": "res",
        "outputs": "o", "exhausted": "e", "payload": "pl", "self": "s1", "Self": "s2",
        "crate": "c", "super": "s", "async": "a", "move": "m", "fn": "f", "r#": "r", "gen": "g",
        "try": "t", "1st": 1, "pet.name": "a", "pet name": "b", "pet-name": "c", "petName": "d",
        "名前": "n", "café": "c", "🐶": "d", "🐱": "c", "_": "u"
    }))
    .expect("inputs from JSON");
    send(get_pet(&client, inputs));
    send(types_workflow::types_workflow(&client, types_workflow::Inputs {}));
    send(self_(&client, self_::Inputs {}));
    send(crate_(&client, crate_::Inputs {}));
    send(super_(&client, super_::Inputs {}));
    send(r#async(&client, r#async::Inputs {}));
    send(r#move(&client, r#move::Inputs {}));
    send(r#fn(&client, r#fn::Inputs {}));
    send(r(&client, r::Inputs {}));
    send(r#gen(&client, r#gen::Inputs {}));
    send(f_1st_workflow(&client, f_1st_workflow::Inputs {}));
    send(pet_name(&client, pet_name::Inputs {}));
    send(名前(&client, 名前::Inputs {}));
    send(run_in_2(&client, run_in_2::Inputs {}));
    send(caller(&client, caller::Inputs {}));
    send(dep(&client, dep::Inputs {}));
    send(locals(&client, locals::Inputs { x: Some("x".into()) }));
    send(std_names(&client, std_names::Inputs {}));
    send(hint_collisions(&client, hint_collisions::Inputs {}));
}

#[test]
fn schemas_inputs_and_send() {
    use schemas::*;
    let client = Client::builder().build().expect("a client");
    let inputs = every_schema::Inputs {
        id: 42,
        name: Some("Rex".into()),
        ratio: Some(0.25),
        limit: Some(3),
        verbose: Some(true),
        config: Some(types::EverySchemaConfig {
            depth: Some(1),
            mode: Some(types::EverySchemaConfigMode::Slow),
        }),
        tags: Some(vec!["a".into()]),
        mode: Some(types::EverySchemaMode::Fast),
        nickname: None,
        password: Some(Secret::new("pw")),
        email: Some("a@example.com".into()),
        matrix: Some(vec![vec![1, 2], vec![3]]),
        lookup: Some([("k".to_string(), 1)].into_iter().collect()),
        untyped: Some(json!({"any": ["thing"]})),
    };
    send(every_schema(&client, inputs));
}

#[test]
fn flow_inputs_and_send() {
    use flow::*;
    let client = Client::builder().build().expect("a client");
    send(login(&client, login::Inputs { user: "u".into(), password: Secret::new("p") }));
    send(place_order(
        &client,
        place_order::Inputs {
            user: "u".into(),
            password: Secret::new("p"),
            api_key: Secret::new("k"),
            customer: "c".into(),
            trace: Some(1),
            quantity: None,
            express: Some(true),
            discount: None,
        },
    ));
    send(order_flow(
        &client,
        order_flow::Inputs {
            user: "u".into(),
            password: "p".into(),
            api_key: Secret::new("k"),
            customer: "c".into(),
            trace: None,
        },
    ));
    send(chain_a(&client, chain_a::Inputs { api_key: Secret::new("k") }));
    send(chain_b(&client, chain_b::Inputs { api_key: Secret::new("k") }));
    send(chain_c(&client, chain_c::Inputs { api_key: Secret::new("k") }));
    send(bodies(&client, bodies::Inputs { pet_id: Some("p".into()), coupon: None, quantity: Some(2) }));
}

#[test]
fn recursive_schemas_and_odd_names_compile() {
    let client = Client::builder().build().expect("a client");
    send(recursive_array::recursive_array(&client, recursive_array::recursive_array::Inputs {}));
    send(recursive_map::recursive_map(&client, recursive_map::recursive_map::Inputs {}));
    send(recursive_anyof_null::recursive_anyof_null(
        &client,
        recursive_anyof_null::recursive_anyof_null::Inputs {},
    ));
    send(superscript_name::superscript_name(&client, superscript_name::superscript_name::Inputs {}));
}

#[tokio::test]
async fn schemas_whose_names_collide_get_distinct_types() {
    use type_name_collision_doc::*;
    let server = Server::start(|r| {
        json_reply(
            200,
            match r.path.as_str() {
                "/e" => json!({"inner": {"x": "x1"}}),
                _ => json!({"a": "a1", "b": 2, "id": "i1", "code": 7, "y": 3}),
            },
        )
    })
    .await;

    let out = type_name_collision(&api(&server), type_name_collision::Inputs {}).await.expect("runs");

    assert_eq!(server.lines(), ["GET /a", "GET /b", "GET /c", "GET /d", "GET /e", "GET /f"]);
    assert_eq!(
        (out.a.as_deref(), out.b, out.id.as_deref(), out.code),
        (Some("a1"), Some(2), Some("i1"), Some(7))
    );
    assert_eq!((out.x.as_deref(), out.y), (Some("x1"), Some(3)));
}

#[tokio::test]
async fn all_of_members_and_own_properties_make_one_struct() {
    use allof_properties_doc::*;
    let server = Server::start(|_| json_reply(200, json!({"name": "Rex", "bark": true}))).await;

    let out = allof_properties(&api(&server), allof_properties::Inputs {}).await.expect("runs");

    assert_eq!(out.name, "Rex");
    let dog = types::Dog { name: "Rex".into(), bark: Some(true) };
    assert_eq!(serde_json::to_value(&dog).expect("serializes"), json!({"name": "Rex", "bark": true}));

    // A 200 without the required `name`: the criterion on it cannot hold, and the error says why.
    let nameless = Server::start(|_| json_reply(200, json!({"bark": true}))).await;
    let err = allof_properties(&api(&nameless), allof_properties::Inputs {}).await.expect_err("no name");
    assert_eq!(err.kind(), &ErrorKind::Decode);
    assert!(err.to_string().contains("missing field `name`"), "{err}");
}

#[tokio::test]
async fn a_pointer_into_a_union_reads_the_tag_and_the_fields_of_the_variants() {
    use union_navigation_doc::*;
    let circle = Server::start(|_| json_reply(200, json!({"kind": "circle", "radius": 1.5}))).await;
    let out = union_navigation(&api(&circle), union_navigation::Inputs {}).await.expect("a circle");
    assert_eq!(out.radius, Some(1.5));

    let square = Server::start(|_| json_reply(200, json!({"kind": "square", "side": 2}))).await;
    let err = union_navigation(&api(&square), union_navigation::Inputs {}).await.expect_err("not a circle");
    assert_eq!(err.kind(), &ErrorKind::CriteriaFailed { criteria: vec!["$response.body#/kind == 'circle'"] });
}

#[tokio::test]
async fn a_numeric_header_compares_as_a_number() {
    use header_numeric_compare_doc::*;
    for (remaining, passes) in [("12", true), ("0", false), ("many", false)] {
        let server = Server::start(move |_| {
            let (status, mut headers, body) = json_reply(200, json!({"items": []}));
            headers.push(("x-rate-limit-remaining", remaining.to_owned()));
            (status, headers, body)
        })
        .await;
        let result = header_numeric_compare(&api(&server), header_numeric_compare::Inputs {}).await;
        assert_eq!(result.is_ok(), passes, "X-Rate-Limit-Remaining: {remaining}");
    }
}

#[tokio::test]
async fn names_with_dots_and_pointers_with_spaces() {
    let server = Server::start(|_| json_reply(200, json!({"name": "Rex", "pet name": "Rex"}))).await;

    let out = pointer_space::pointer_space(&api(&server), pointer_space::pointer_space::Inputs {})
        .await
        .expect("runs");
    assert_eq!(out.pet_name.as_deref(), Some("Rex"));

    let inputs = dotted_output::dotted_output::Inputs { owner_name: Some("Ann".into()) };
    let out = dotted_output::dotted_output(&api(&server), inputs).await.expect("runs");
    assert_eq!((out.pet_name.as_deref(), out.owner_name.as_deref()), (Some("Rex"), Some("Ann")));
}

#[tokio::test]
async fn a_workflow_output_points_into_a_step_output() {
    use workflow_output_pointer_doc::*;
    let server = Server::start(|_| json_reply(200, json!({"items": [{"sku": "s-1"}, {"sku": "s-2"}]}))).await;
    let out = workflow_output_pointer(&api(&server), workflow_output_pointer::Inputs {}).await.expect("runs");
    assert_eq!(out.first_sku.as_deref(), Some("s-1"));
    assert_eq!(out.items.map(|items| items.len()), Some(2));

    let empty = Server::start(|_| json_reply(200, json!({"items": []}))).await;
    let out = workflow_output_pointer(&api(&empty), workflow_output_pointer::Inputs {}).await.expect("runs");
    assert_eq!(out.first_sku, None);
}

#[tokio::test]
async fn workflow_level_actions_apply_to_the_steps_they_fit() {
    use workflow_action_field_doc::*;
    // `end-when-shipped` fits the order step only: a shipped order ends the workflow there.
    let shipped = Server::start(|_| json_reply(200, json!({"status": "shipped", "qty": 1}))).await;
    workflow_action_field(&api(&shipped), workflow_action_field::Inputs {}).await.expect("runs");
    assert_eq!(shipped.lines(), ["GET /orders"]);

    let open = Server::start(|_| json_reply(200, json!({"status": "open", "qty": 1}))).await;
    workflow_action_field(&api(&open), workflow_action_field::Inputs {}).await.expect("runs");
    assert_eq!(open.lines(), ["GET /orders", "GET /lines"]);

    // `$statusCode == 503` retries the HTTP step, not the step that runs a workflow.
    use workflow_action_status_call_step_doc::*;
    let first = common::counter();
    let busy_once =
        Server::start(
            move |_| if first() == 0 { json_reply(503, json!({})) } else { json_reply(200, json!({})) },
        )
        .await;
    outer(&api(&busy_once), outer::Inputs {}).await.expect("retried once, then runs inner");
    assert_eq!(busy_once.lines(), ["GET /orders/o2", "GET /orders/o2", "GET /orders/o1"]);
}

#[tokio::test]
async fn responses_may_omit_write_only_fields_and_one_value_enum_tags_select_variants() {
    use schema_edges::user_and_pet;
    let server = Server::start(|r| match r.path.as_str() {
        "/users/u1" => json_reply(200, json!({"name": "Ann"})),
        _ => json_reply(200, json!({"petType": "cat", "lives": 9})),
    })
    .await;
    // `user` defaults to null: no default value is applied; `pet` defaults to `p1`, in outputs too.
    let inputs = user_and_pet::Inputs { user: Some("u1".into()), pet: None };

    let out = user_and_pet(&api(&server), inputs).await.expect("runs");

    assert_eq!(server.lines(), ["GET /users/u1", "GET /pets/p1"]);
    assert_eq!((out.name.as_str(), out.lives, out.pet.as_deref()), ("Ann", Some(9), Some("p1")));
}

#[tokio::test]
async fn payloads_reach_the_wire_as_valid_json() {
    use flow::bodies;
    let server =
        Server::start(|_| json_reply(200, json!({"petOrder": {"status": "placed"}, "sku": "s", "qty": 1})))
            .await;
    // A quote in a value that a JSON-text template puts inside a string literal.
    let inputs = bodies::Inputs { pet_id: Some("p\"1".into()), coupon: None, quantity: Some(2) };

    let out = bodies(&client(&["flowApi"], &server.url, 50), inputs).await.expect("runs");

    assert_eq!(out.echo, Some(json!("placed")));
    let requests = server.requests();
    let bodies: Vec<&str> = requests.iter().map(|r| r.body.as_str()).collect();
    let order: serde_json::Value = serde_json::from_str(bodies[0]).expect("the templated JSON text is JSON");
    assert_eq!(
        order["petOrder"],
        json!({"petId": "p\"1", "couponCode": "", "quantity": 2, "status": "placed", "complete": false})
    );
    assert_eq!(bodies[1], r#""p\"1""#, "a whole-value payload is sent as JSON");
    assert_eq!(bodies[2], "42");
    assert_eq!(requests[3].json(), json!([1, "", 2, null, {"a": [null]}]));
    assert_eq!(requests[4].line(), "GET /orders/order-p%221/lines/1");
    assert_eq!(bodies[5], "null");
    assert_eq!(bodies[6], r#"{"a": 1}"#, "replacements do not apply to a string payload (W0306)");
}

#[tokio::test]
async fn request_values_read_back_what_the_step_sent() {
    use request_in_output_doc::*;
    let server = Server::start(|_| json_reply(200, json!({"items": []}))).await;

    let out = request_in_output(&api(&server), request_in_output::Inputs { order_id: "o1".into() })
        .await
        .expect("runs");

    assert_eq!(server.requests()[0].header("x-request-id"), Some("req-o1"));
    assert_eq!(
        (out.request_id.as_str(), out.order_id.as_str(), out.trace.as_str(), out.verbose.as_str()),
        ("req-o1", "o1", "7", "yes")
    );
    assert_eq!(out.url, format!("{}/orders/o1?verbose=yes", server.url));
    let err = request_in_output(&api(&server), request_in_output::Inputs { order_id: "o2".into() })
        .await
        .expect_err("criterion");
    assert_eq!(err.kind(), &ErrorKind::CriteriaFailed { criteria: vec!["$request.path.orderId == 'o1'"] });
}

#[tokio::test]
async fn retry_actions_that_share_a_name_keep_their_own_counts() {
    use actions_and_payloads::same_name_retries;
    let n = common::counter();
    // 503 once (the first `again` allows 1 retry), then 429 three times (the second allows 3).
    let server = Server::start(move |_| match n() {
        0 => json_reply(503, json!({})),
        1..=3 => json_reply(429, json!({})),
        _ => json_reply(200, json!({"count": 3})),
    })
    .await;

    let out =
        same_name_retries(&api(&server), same_name_retries::Inputs {}).await.expect("both retries suffice");

    assert_eq!(server.lines().len(), 5);
    assert_eq!(out.count, Some(3));
}

#[tokio::test]
async fn a_step_action_overrides_the_workflow_action_of_the_same_name() {
    use actions_and_payloads::overrides;
    // Step `s` replaces the workflow's `handle: end` by a conditional goto that does not match;
    // step `next` has no `handle` of its own, so the workflow's `end` applies there.
    let server = Server::start(|_| json_reply(200, json!({"status": "x"}))).await;
    overrides(&api(&server), overrides::Inputs {}).await.expect("runs");
    assert_eq!(server.lines(), ["GET /items/s", "GET /items/next"]);

    // A 500 on `s`: its `recover` (retry on 503) replaces the workflow's `recover` goto; nothing
    // matches, so the workflow fails instead of going to `fallback`.
    let failing = Server::start(|r| {
        if r.path == "/items/s" { json_reply(500, json!({})) } else { json_reply(200, json!({})) }
    })
    .await;
    let err = overrides(&api(&failing), overrides::Inputs {}).await.expect_err("no action matches");
    assert_eq!(err.status(), Some(500));
    assert_eq!(failing.lines(), ["GET /items/s"]);
}

#[tokio::test]
async fn a_payload_that_is_one_expression_is_sent_as_its_json_value() {
    use actions_and_payloads::whole_payloads;
    let server = Server::start(|r| {
        if r.path.starts_with("/items") {
            json_reply(200, json!({"nested": {"a": {"b": {"c": "C"}}}, "tags": ["t1"]}))
        } else {
            json_reply(200, json!({}))
        }
    })
    .await;
    let inputs = serde_json::from_value(json!({"obj": {"k": "v"}, "n": 3, "flag": true, "list": [1, 2]}))
        .expect("inputs");

    whole_payloads(&api(&server), inputs).await.expect("runs");

    let bodies: Vec<serde_json::Value> =
        server.requests().iter().filter(|r| r.path == "/echo").map(common::Recorded::json).collect();
    assert_eq!(
        bodies,
        [
            json!({"k": "v"}),
            json!(3),
            json!(true),
            json!([1, 2]),
            json!({"k": "v"}),
            json!({"wrap": {"k": "v"}, "l": [1, 2]}),
            json!({"a": {"b": {"c": "C"}}}),
            json!(["t1"]),
            json!({"a": {"b": {"c": {"k": "v"}}}}),
        ]
    );
}

#[tokio::test]
async fn constant_properties_and_boolean_headers_are_read() {
    let thing = Server::start(|_| json_reply(200, json!({"kind": "thing", "only": "single"}))).await;
    let out = constant_properties::r#const(&api(&thing), constant_properties::r#const::Inputs {})
        .await
        .expect("`kind` is read");
    assert_eq!(out, constant_properties::r#const::Outputs {});

    for (value, passes) in [("true", true), ("TRUE", true), ("false", false), ("", false)] {
        let server = Server::start(move |_| {
            let (status, mut headers, body) = json_reply(200, json!({}));
            headers.push(("x-enabled", value.to_owned()));
            (status, headers, body)
        })
        .await;
        let result = boolean_header::hdr(&api(&server), boolean_header::hdr::Inputs {}).await;
        assert_eq!(result.is_ok(), passes, "X-Enabled: {value:?}");
    }
}

#[tokio::test]
async fn lists_go_as_one_pair_per_item_unless_explode_is_false() {
    use list_parameters::lists;
    let server = Server::start(|_| json_reply(200, json!({}))).await;
    let inputs = lists::Inputs { ids: Some(vec![1, 2]), csv: Some(vec!["a".into(), "b".into()]) };

    lists(&api(&server), inputs).await.expect("runs");

    let requests = server.requests();
    assert_eq!(requests[0].query.as_deref(), Some("ids=1&ids=2&csv=a%2Cb"));
    assert_eq!(requests[1].body, "tag=a&tag=b&name=x");
}

#[tokio::test]
async fn path_items_by_ref_and_two_success_bodies() {
    let server = Server::start(|r| match r.path.as_str() {
        "/jobs" => json_reply(201, json!({"created": "2026-12-02"})),
        _ => json_reply(200, json!([])),
    })
    .await;

    path_item_ref::things(&api(&server), path_item_ref::things::Inputs {}).await.expect("runs");
    let out = two_success_responses::create(&api(&server), two_success_responses::create::Inputs {})
        .await
        .expect("runs");

    // The 200 and the 201 have different schemas: the body is untyped JSON.
    assert_eq!(out, two_success_responses::create::Outputs {});
    assert_eq!(server.lines(), ["GET /things", "GET /local", "POST /jobs"]);
}

#[tokio::test]
async fn ids_with_dots_are_referred_to_whole() {
    use dotted_ids::v1_after;
    let server = Server::start(|r| {
        json_reply(200, json!({"id": r.path.trim_start_matches("/items/").to_owned() + "1"}))
    })
    .await;

    v1_after(&api(&server), v1_after::Inputs {}).await.expect("runs");

    assert_eq!(server.lines(), ["GET /items/x", "GET /items/x1"]);
}

#[tokio::test]
async fn a_text_body_is_read_as_a_string() {
    use text_body::ping;
    for (text, passes) in [("pong 42", true), ("{\"not\": \"pong\"}", false)] {
        let server =
            Server::start(move |_| (200, vec![("content-type", "text/plain".to_owned())], text.to_owned()))
                .await;
        let result = ping(&api(&server), ping::Inputs {}).await;
        assert_eq!(result.as_ref().ok().map(|o| o.reply.as_str()), passes.then_some(text), "{result:?}");
    }
}

#[test]
fn relative_server_urls_resolve_against_the_description_url_or_warn() {
    // Both sources are the same file: each step keeps the source its operationId names.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows/torture/openapi");
    let settings = arazzo_codegen::Settings { base_dir: dir, ..Default::default() }
        .source("https://api.example.com/specs/openapi.yaml", "relative-server.openapi.yaml");
    let generated = arazzo_codegen::generate(std::path::Path::new("relative-server.arazzo.yaml"), &settings)
        .expect("generates");

    let code = generated.to_file_string("regenerate");
    assert!(code.contains(r#"run.default_base_url("remote", "https://api.example.com/api/v3");"#), "{code}");
    assert!(!code.contains(r#"default_base_url("local""#), "{code}");
    let warnings = generated.checked.render();
    assert!(
        warnings.contains(
            "warning[W0104]: the server URL `/api/v3` of source `local` is relative to a local file"
        ),
        "{warnings}"
    );
}

#[tokio::test]
async fn criteria_follow_the_spec_and_the_documented_decisions() {
    use criteria::*;
    async fn passes<F: std::future::Future<Output = Result<O, arazzo_runtime::Error>>, O>(
        body: serde_json::Value,
        run: impl FnOnce(Client) -> F,
    ) -> bool {
        let server = Server::start(move |_| json_reply(200, body.clone())).await;
        run(api(&server)).await.is_ok()
    }
    // Ordering of strings is case-insensitive, typed or not ("B" > "a").
    assert!(
        passes(json!({"s": "B"}), |c| async move { typed_order(&c, typed_order::Inputs {}).await }).await
    );
    assert!(
        !passes(json!({"s": "zz"}), |c| async move { typed_order(&c, typed_order::Inputs {}).await }).await
    );
    assert!(
        passes(json!({"s": "B", "flag": "TRUE"}), |c| async move {
            untyped_order_and_bool(&c, untyped_order_and_bool::Inputs {}).await
        })
        .await
    );
    assert!(
        !passes(json!({"s": "B", "flag": "no"}), |c| async move {
            untyped_order_and_bool(&c, untyped_order_and_bool::Inputs {}).await
        })
        .await
    );
    // `extra` is not in the schema: the query sees the response as received.
    assert!(
        passes(json!({"extra": 1}), |c| async move { jsonpath_raw(&c, jsonpath_raw::Inputs {}).await }).await
    );
    assert!(
        !passes(json!({"extra": 2}), |c| async move { jsonpath_raw(&c, jsonpath_raw::Inputs {}).await })
            .await
    );
    // A null context is no value; a present one is.
    assert!(
        !passes(json!({"missing": null}), |c| async move { null_context(&c, null_context::Inputs {}).await })
            .await
    );
    assert!(
        passes(json!({"missing": 0}), |c| async move { null_context(&c, null_context::Inputs {}).await })
            .await
    );
}

#[test]
fn a_request_body_or_an_unsent_parameter_is_refused_with_a_hint() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let settings = arazzo_codegen::Settings { base_dir: dir.to_path_buf(), ..Default::default() };
    let checked = arazzo_codegen::check(
        std::path::Path::new("workflows/torture/unsupported-request-body.arazzo.yaml"),
        &settings,
    );
    let rendered = checked.render();
    assert!(
        rendered.contains(
            "error[E0404]: `$request.body#/items`: arazzo-rs does not read back the request body it sent"
        ),
        "{rendered}"
    );
    assert!(
        rendered.contains(
            "error[E0404]: `$request.header.X-Missing`: the step sends no header parameter `X-Missing`"
        ),
        "{rendered}"
    );
    assert!(rendered.ends_with("2 errors, 0 warnings\n"), "{rendered}");
}
