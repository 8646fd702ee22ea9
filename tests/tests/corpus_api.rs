//! API-shape tests: the code generated from third-party corpus documents (`src/corpus/`) is called
//! like a user would call it, against a small scripted HTTP server on loopback. Each test checks
//! what went over the wire (method, path, query, headers, body) and the typed outputs or error.
//!
//! The documents are under `<workspace>/../shared/arazzo-corpus/` (paths in
//! `tests/corpus_generated.rs`). No test sleeps: every delay of the client is capped at zero.

mod common;

use arazzo_runtime::{Client, ErrorKind, Secret};
use common::{Recorded, Reply, Server, client, counter, json_reply};
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// buy_pet (sv-tools/roas): retry on 503, JSONPath criterion, replacements, `end`.

mod buy_pet {
    use super::*;
    use arazzo_tests::corpus::buy_pet::buy_pet;

    const TOKEN: &str = "tok-secret-123";

    fn inputs() -> buy_pet::Inputs {
        buy_pet::Inputs { pet_id: Some("42".into()), token: Some(Secret::new(TOKEN)) }
    }

    fn pet() -> Value {
        json!({"id": 42, "name": "Rex", "tags": [{"id": 1, "name": "good boy"}], "status": "available"})
    }

    /// The document's server is `https://{host}/v1`; the client keeps the `/v1` prefix.
    fn client(server: &Server) -> Client {
        super::client(&["petStore"], &format!("{}/v1", server.url), 100)
    }

    #[tokio::test]
    async fn retries_while_503_then_orders_and_ends_before_never_reached() {
        let calls = counter();
        let server = Server::start(move |r| match r.line().as_str() {
            "GET /v1/pets/42" if calls() < 2 => (503, vec![("retry-after", "1".into())], "store busy".into()),
            "GET /v1/pets/42" => json_reply(200, pet()),
            "POST /v1/pets/42/order" => json_reply(201, json!({"orderId": "ord-7", "status": "placed"})),
            _ => json_reply(404, json!({"error": "no route"})),
        })
        .await;

        let out = buy_pet(&client(&server), inputs()).await.expect("the pet is ordered");

        // Two `waitForTheStore` retries, then orderPet; its onSuccess `end` skips neverReached.
        assert_eq!(
            server.lines(),
            ["GET /v1/pets/42", "GET /v1/pets/42", "GET /v1/pets/42", "POST /v1/pets/42/order"]
        );
        let requests = server.requests();
        for r in &requests {
            assert_eq!(r.header("authorization"), Some("Bearer tok-secret-123"), "{}", r.line());
            assert_eq!(r.query, None);
        }
        // The payload takes `#/id` of the found pet (a number) and the replacement adds `/note`.
        let order = &requests[3];
        assert_eq!(order.header("content-type"), Some("application/json"));
        assert_eq!(order.json(), json!({"petId": 42, "quantity": 1, "note": "a gift for 42"}));
        assert_eq!(out.pet_name, Some(json!("Rex")));
        assert_eq!(out.order_id, Some(json!("ord-7")));
    }

    #[tokio::test]
    async fn gives_up_after_the_retry_limit() {
        let server = Server::start(|_| (503, vec![], "store busy".into())).await;

        let err = buy_pet(&client(&server), inputs()).await.expect_err("the store stays busy");

        // The first attempt and `retryLimit: 2` retries.
        assert_eq!(server.lines(), ["GET /v1/pets/42"; 3]);
        assert_eq!(err.kind(), &ErrorKind::RetryLimitReached { action: "waitForTheStore", limit: 2 });
        assert_eq!(err.step(), Some("findPet"));
        assert_eq!(err.status(), Some(503));
    }

    #[tokio::test]
    async fn a_pet_without_tags_fails_the_jsonpath_criterion() {
        let server = Server::start(|_| json_reply(200, json!({"id": 42, "name": "Rex", "tags": []}))).await;

        let err = buy_pet(&client(&server), inputs()).await.expect_err("`$.tags[*]` selects nothing");

        assert_eq!(server.lines(), ["GET /v1/pets/42"]);
        assert_eq!(err.kind(), &ErrorKind::CriteriaFailed { criteria: vec!["$.tags[*]"] });
        assert_eq!(err.step(), Some("findPet"));
        assert_eq!(err.status(), Some(200));
    }

    /// `Bearer {$inputs.token}` is a secret too: the body that echoes the header, or only the
    /// token, is redacted in the error.
    #[tokio::test]
    async fn a_secret_in_a_header_template_is_redacted_from_errors() {
        for echo_whole_header in [true, false] {
            let server = Server::start(move |r| {
                let sent = r.header("authorization").unwrap_or_default();
                let echoed = if echo_whole_header { sent } else { sent.trim_start_matches("Bearer ") };
                json_reply(401, json!({"error": format!("invalid credentials: {echoed}")}))
            })
            .await;

            let err = buy_pet(&client(&server), inputs()).await.expect_err("401");

            assert_eq!(
                server.requests()[0].header("authorization"),
                Some(format!("Bearer {TOKEN}").as_str())
            );
            assert_eq!(err.status(), Some(401));
            let excerpt = err.body_excerpt().expect("an excerpt of the 401 body");
            assert!(excerpt.contains("[redacted]"), "{excerpt}");
            assert!(
                !excerpt.contains(TOKEN)
                    && !err.to_string().contains(TOKEN)
                    && !format!("{err:?}").contains(TOKEN),
                "{err}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// oauth (OAI/Arazzo-Specification): form bodies, a step running another workflow, JSONPath filter.

mod oauth {
    use super::*;
    use arazzo_tests::corpus::oauth::{client_credentials_flow, refresh_token_flow};

    const REDIRECT: &str = "https://app.example.com/callback";

    fn client(server: &Server) -> Client {
        super::client(&["apim-auth"], &server.url, 100)
    }

    #[tokio::test]
    async fn refresh_flow_runs_the_authorization_code_flow_then_refreshes() {
        let server =
            Server::start(|r| match (r.line().as_str(), r.body.contains("grant_type=refresh_token")) {
                // The document's authorize step demands an access_token in the body and reads `code` from it.
                ("GET /authorize", _) => {
                    json_reply(200, json!({"code": "auth-code-1", "access_token": "at-0"}))
                }
                ("POST /oauth/token", false) => json_reply(
                    200,
                    json!({"access_token": "at-1", "refresh_token": "rt-1", "expires_in": 3600}),
                ),
                ("POST /oauth/token", true) => json_reply(
                    200,
                    json!({"access_token": "at-2", "refresh_token": "rt-2", "expires_in": 7200}),
                ),
                _ => json_reply(404, json!({"error": "no route"})),
            })
            .await;
        let inputs = refresh_token_flow::Inputs {
            my_client_id: Some("app-1".into()),
            my_client_secret: Some("s3cret&=".into()),
            my_redirect_uri: Some(REDIRECT.into()),
        };

        let out = refresh_token_flow(&client(&server), inputs).await.expect("tokens");

        assert_eq!(server.lines(), ["GET /authorize", "POST /oauth/token", "POST /oauth/token"]);
        let [authorize, code, refresh] =
            <[Recorded; 3]>::try_from(server.requests()).expect("three requests");
        // The called workflow got the caller's inputs under its own names.
        assert_eq!(
            authorize.query.as_deref(),
            Some(
                "client_id=app-1&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&response_type=code&scope=read&state=12345"
            )
        );
        assert_eq!(authorize.body, "");
        for form in [&code, &refresh] {
            assert_eq!(form.header("content-type"), Some("application/x-www-form-urlencoded"));
        }
        assert_eq!(
            code.body,
            "grant_type=authorization_code&code=auth-code-1\
             &redirect_uri=https%3A%2F%2Fapp.example.com%2Fcallback&client_id=app-1&client_secret=s3cret%26%3D"
        );
        // `$outputs.refresh_token` of the called workflow feeds the refresh.
        assert_eq!(refresh.body, "grant_type=refresh_token&refresh_token=rt-1");
        assert_eq!(out.access_token, Some(json!("at-2")));
        assert_eq!(out.refresh_token, Some(json!("rt-2")));
        assert_eq!(out.expires_in, Some(json!(7200)));
    }

    #[tokio::test]
    async fn an_error_of_the_called_workflow_is_passed_on() {
        let server = Server::start(|_| json_reply(400, json!({"error": "invalid_request"}))).await;
        let inputs = refresh_token_flow::Inputs {
            my_client_id: Some("app-1".into()),
            my_client_secret: None,
            my_redirect_uri: Some(REDIRECT.into()),
        };

        let err = refresh_token_flow(&client(&server), inputs).await.expect_err("authorize fails");

        assert_eq!(server.lines(), ["GET /authorize"]);
        assert_eq!(err.workflow(), "authorization-code-flow");
        assert_eq!(err.step(), Some("browser-authorize"));
        assert_eq!(err.status(), Some(400));
        let criteria = vec!["$statusCode == 200", "$response.body#/access_token != null"];
        assert_eq!(err.kind(), &ErrorKind::CriteriaFailed { criteria });
    }

    #[tokio::test]
    async fn client_credentials_posts_a_form_without_absent_inputs() {
        let server =
            Server::start(|_| json_reply(200, json!({"access_token": "cc-1", "token_type": "bearer"}))).await;
        let inputs = client_credentials_flow::Inputs { client_id: Some("svc a".into()), client_secret: None };

        let out = client_credentials_flow(&client(&server), inputs).await.expect("a token");

        let requests = server.requests();
        assert_eq!(server.lines(), ["POST /oauth/token"]);
        // `client_secret` has no value: left out, not sent empty.
        assert_eq!(requests[0].body, "client_id=svc+a&grant_type=client_credentials");
        assert_eq!(out.access_token, Some(json!("cc-1")));
    }

    #[tokio::test]
    async fn an_absent_token_passes_the_jsonpath_filter_as_rfc_9535_says() {
        // RFC 9535 §2.3.5.2.2: an absent member (Nothing) is `!=` to null, so `{}` passes the
        // filter; the output is then `None`, not an error.
        let server = Server::start(|_| json_reply(200, json!({}))).await;
        let inputs = client_credentials_flow::Inputs {
            client_id: Some("svc".into()),
            client_secret: Some("pw".into()),
        };

        let out = client_credentials_flow(&client(&server), inputs).await.expect("passes");

        assert_eq!(server.lines(), ["POST /oauth/token"]);
        assert_eq!(out.access_token, None);
    }

    #[tokio::test]
    async fn a_null_access_token_fails_the_jsonpath_filter() {
        let server =
            Server::start(|_| json_reply(200, json!({"access_token": null, "token_type": "bearer"}))).await;
        let inputs = client_credentials_flow::Inputs {
            client_id: Some("svc".into()),
            client_secret: Some("pw".into()),
        };

        let err = client_credentials_flow(&client(&server), inputs).await.expect_err("a null token");

        assert_eq!(err.kind(), &ErrorKind::CriteriaFailed { criteria: vec!["$[?@.access_token != null]"] });
    }
}

// ---------------------------------------------------------------------------------------------
// museum_api (Redocly): a workflow of another Arazzo document, regex criterion, array indexes.

mod museum {
    use super::*;
    use arazzo_tests::corpus::museum_api::tickets_from_museum_api::get_museum_tickets;
    use arazzo_tests::corpus::museum_api::types::TicketType;
    use arazzo_tests::corpus::museum_api::{events_crud, get_museum_hours};

    const EVENT_ID: &str = "dad4bce8-f5cb-4078-a211-995864315e39";
    const MERMAID: &str = "Mermaid Treasure Identification and Analysis";
    const ORCA: &str = "Orca Identification and Analysis";

    /// The document's server has a path (`…/museum-api/`); so has this base URL, with its `/`.
    fn client(server: &Server) -> Client {
        super::client(&["museum-api"], &format!("{}/museum-api/", server.url), 100)
    }

    fn ticket() -> Value {
        json!({
            "message": "Museum general entry ticket purchased",
            "ticketId": "382c0820-0530-4f4b-99af-13811ad0f17a",
            "ticketType": "general",
            "ticketDate": "2023-09-07",
            "confirmationCode": "ticket-general-e5e5c6-dce78"
        })
    }

    fn museum(r: &Recorded) -> Reply {
        match r.line().as_str() {
            "GET /museum-api/museum-hours" => json_reply(
                200,
                json!([{"date": "2023-09-11", "timeOpen": "09:00", "timeClose": "18:00"},
                       {"date": "2023-09-12", "timeOpen": "09:00", "timeClose": "18:00"}]),
            ),
            "POST /museum-api/tickets" => json_reply(201, ticket()),
            _ => json_reply(404, json!({"type": "object", "title": "Not found"})),
        }
    }

    #[tokio::test]
    async fn museum_hours_then_the_ticket_workflow_of_the_other_document() {
        let server = Server::start(museum).await;

        let out = get_museum_hours(&client(&server), get_museum_hours::Inputs {}).await.expect("runs");

        // The document declares no workflow outputs.
        assert_eq!(out, get_museum_hours::Outputs {});
        assert_eq!(server.lines(), ["GET /museum-api/museum-hours", "POST /museum-api/tickets"]);
        let requests = server.requests();
        // The calling workflow's header parameter; the called document sets the same one itself.
        for r in &requests {
            assert_eq!(r.header("authorization"), Some("Basic Og=="), "{}", r.line());
        }
        assert_eq!(
            requests[1].json(),
            json!({"ticketType": "general", "ticketDate": "2023-09-07", "email": "todd@example.com"})
        );
    }

    #[tokio::test]
    async fn the_nested_ticket_workflow_has_typed_outputs() {
        let server = Server::start(museum).await;

        let out =
            get_museum_tickets(&client(&server), get_museum_tickets::Inputs {}).await.expect("a ticket");

        assert_eq!(server.lines(), ["POST /museum-api/tickets"]);
        assert_eq!(out.ticket_id, "382c0820-0530-4f4b-99af-13811ad0f17a");
        let body = out.step_full_body;
        assert_eq!(body.ticket_id, out.ticket_id);
        assert_eq!(body.ticket_type, TicketType::General);
        assert_eq!(body.event_name, None);
        assert_eq!(body.confirmation_code, "ticket-general-e5e5c6-dce78");
    }

    fn event(name: &str, dates: &[&str]) -> Value {
        json!({
            "eventId": EVENT_ID,
            "name": name,
            "location": "Under the seaaa 🦀 🎶 🌊.",
            "eventDescription": "A rare collection of thingamabobs.",
            "dates": dates,
            "price": 0
        })
    }

    /// A correct events server: lists two events, creates, reads, updates and deletes one.
    fn events(r: &Recorded) -> Reply {
        let one = format!("/museum-api/special-events/{EVENT_ID}");
        match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/museum-api/special-events") => json_reply(
                200,
                json!([
                    event("Pirate Coding Workshop", &["2024-02-10", "2024-02-11", "2024-02-12"]),
                    event("Sea Shanty Night", &["2024-03-01"])
                ]),
            ),
            ("POST", "/museum-api/special-events") => {
                json_reply(201, event(MERMAID, &["2024-02-10", "2024-02-11"]))
            }
            ("GET", p) if p == one => json_reply(200, event(MERMAID, &["2024-02-10", "2024-02-11"])),
            ("PATCH", p) if p == one => json_reply(200, event(ORCA, &["2023-09-05", "2023-09-08"])),
            ("DELETE", p) if p == one => (204, vec![], String::new()),
            _ => json_reply(404, json!({"title": "Not found"})),
        }
    }

    /// The create request reads `$steps.list-events.outputs.events.0.dates.0` and `….dates.1`.
    fn assert_create_request(create: &Recorded) {
        assert_eq!(create.line(), "POST /museum-api/special-events");
        let body = create.json();
        assert_eq!(body["dates"], json!(["2024-02-10", "2024-02-11"]));
        assert_eq!(body["name"], MERMAID);
        assert_eq!(body["price"], 0);
        assert_eq!(body["location"], "Under the seaaa 🦀 🎶 🌊.");
        assert!(body["eventDescription"].as_str().is_some_and(|d| d.starts_with("Join us")));
    }

    #[tokio::test]
    async fn events_crud_builds_the_create_body_from_array_indexes() {
        let server = Server::start(events).await;

        // The outcome is checked by `events_crud_lists_creates_reads_updates_and_deletes`.
        let _ = events_crud(&client(&server), events_crud::Inputs {}).await;

        let requests = server.requests();
        assert!(requests.len() >= 2, "{:?}", server.lines());
        assert_eq!(requests[0].line(), "GET /museum-api/special-events");
        assert_create_request(&requests[1]);
    }

    #[tokio::test]
    async fn events_crud_lists_creates_reads_updates_and_deletes() {
        let server = Server::start(events).await;

        let out = events_crud(&client(&server), events_crud::Inputs {}).await.expect("runs");

        assert_eq!(out, events_crud::Outputs {});
        let one = format!("/museum-api/special-events/{EVENT_ID}");
        assert_eq!(
            server.lines(),
            [
                "GET /museum-api/special-events".to_owned(),
                "POST /museum-api/special-events".to_owned(),
                format!("GET {one}"),
                format!("PATCH {one}"),
                format!("DELETE {one}"),
            ]
        );
        let requests = server.requests();
        assert_create_request(&requests[1]);
        assert_eq!(requests[2].body, "");
        assert_eq!(requests[3].json()["name"], ORCA);
        assert_eq!(requests[3].json()["dates"], json!(["2023-09-05", "2023-09-08"]));
    }

    #[tokio::test]
    async fn events_crud_regex_criterion_rejects_a_404() {
        let server = Server::start(|r| match r.method.as_str() {
            "GET" if r.path != "/museum-api/special-events" => json_reply(404, json!({"title": "Not found"})),
            _ => events(r),
        })
        .await;

        let err = events_crud(&client(&server), events_crud::Inputs {}).await.expect_err("404");

        assert_eq!(server.lines().len(), 3);
        assert_eq!(err.step(), Some("get-event-by-id"));
        assert_eq!(err.status(), Some(404));
        assert_eq!(err.kind(), &ErrorKind::CriteriaFailed { criteria: vec!["^200$"] });
    }
}

// ---------------------------------------------------------------------------------------------
// max_steps (Redocly): a `goto` loop stopped by the client's step budget.

mod max_steps {
    use super::*;
    use arazzo_tests::corpus::max_steps::infinite;

    #[tokio::test]
    async fn the_step_budget_stops_an_endless_goto_loop() {
        let server = Server::start(|_| json_reply(500, json!({"error": "down"}))).await;
        let client = client(&["oas"], &server.url, 20);

        let err = infinite(&client, infinite::Inputs {}).await.expect_err("the loop never succeeds");

        // Budget 20 = pre-step (1) + the call of nested-workflow (1) + its step-1 and step-2 (2)
        // + 8 × (ping request + re-entry) (16); the 9th ping request is refused.
        assert_eq!(server.lines(), ["GET /ping"; 11]);
        assert_eq!(err.kind(), &ErrorKind::StepBudgetExceeded { budget: 20 });
        assert_eq!(err.workflow(), "infinite");
        assert_eq!(err.step(), Some("ping"));
        assert_eq!(err.status(), None);
    }

    #[tokio::test]
    async fn the_nested_workflow_spends_the_same_budget() {
        let server = Server::start(|_| json_reply(500, json!({"error": "down"}))).await;
        let client = client(&["oas"], &server.url, 3);

        let err = infinite(&client, infinite::Inputs {}).await.expect_err("over budget");

        // pre-step, the call, step-1; step-2 is refused, so the call fails, its `goto ping` runs,
        // and ping is refused too.
        assert_eq!(server.lines(), ["GET /ping"; 2]);
        assert_eq!(err.kind(), &ErrorKind::StepBudgetExceeded { budget: 3 });
        assert_eq!(err.step(), Some("ping"));
    }
}

// ---------------------------------------------------------------------------------------------
// Redocly Cafe documents: typed bodies, workflow failure actions, `end` in onFailure.

fn menu() -> Value {
    json!({
        "page": {"endCursor": null, "startCursor": null, "hasNextPage": false, "hasPrevPage": false, "limit": 10, "total": 1},
        "items": [{"id": "mermaid-treasure-latte", "name": "Mermaid Treasure Latte", "price": 550}]
    })
}

mod cafe {
    use super::*;
    use arazzo_tests::corpus::cafe_menu::search_menu_items;
    use arazzo_tests::corpus::step_on_failure_type_end_action::client_registration;
    use arazzo_tests::corpus::workflow_failure_actions::get_menu_items;

    fn client(server: &Server) -> Client {
        super::client(&["cafe-api"], &server.url, 100)
    }

    /// `(method + path, query)` of every request.
    fn calls(server: &Server) -> Vec<(String, Option<String>)> {
        server.requests().into_iter().map(|r| (r.line(), r.query)).collect()
    }

    fn get_menu() -> (String, Option<String>) {
        ("GET /menu".into(), None)
    }

    fn search() -> (String, Option<String>) {
        ("GET /menu".into(), Some("search=mermaid-treasure-latte".into()))
    }

    #[tokio::test]
    async fn search_menu_items_has_typed_outputs() {
        let server = Server::start(|_| json_reply(200, menu())).await;

        let out = search_menu_items(&client(&server), search_menu_items::Inputs {}).await.expect("a menu");

        assert_eq!(calls(&server), [search()]);
        assert_eq!(out.total, 1);
        let page = &out.step_full_body.page;
        assert_eq!((page.limit, page.has_next_page, page.end_cursor.as_deref()), (10, false, None));
        assert_eq!(out.step_full_body.items, [menu()["items"][0].clone()]);
    }

    #[tokio::test]
    async fn search_menu_items_reports_a_body_that_does_not_fit_the_schema() {
        let server = Server::start(|_| json_reply(200, json!({"items": []}))).await;

        let err =
            search_menu_items(&client(&server), search_menu_items::Inputs {}).await.expect_err("no page");

        assert_eq!(err.kind(), &ErrorKind::Decode);
        assert_eq!(err.step(), Some("search-menu"));
        assert_eq!(err.status(), Some(200));
    }

    #[tokio::test]
    async fn workflow_failure_actions_retry_with_a_workflow_then_goto_it() {
        // The cafe answers 200 where the document wants 201.
        let server = Server::start(|_| json_reply(200, menu())).await;

        get_menu_items(&client(&server), get_menu_items::Inputs {}).await.expect("ends by the goto");

        // get-menu-items fails; `repeated-failure-action-1` runs search-menu-items then retries
        // once; then `repeated-failure-action-2` runs search-menu-items and ends the workflow.
        assert_eq!(calls(&server), [get_menu(), search(), get_menu(), search()]);
    }

    #[tokio::test]
    async fn step_failure_actions_come_before_the_workflow_ones() {
        let first = counter();
        let server = Server::start(move |r| match r.query {
            None if first() == 0 => json_reply(201, menu()),
            _ => json_reply(200, menu()),
        })
        .await;

        get_menu_items(&client(&server), get_menu_items::Inputs {}).await.expect("ends by the goto");

        // get-menu-items passes; get-menu-items-2 fails: its own `step-onFailure-action` retries
        // once, then the workflow's retry-with-workflow once, then the workflow's goto.
        let expected = [get_menu(), get_menu(), get_menu(), search(), get_menu(), search()];
        assert_eq!(calls(&server), expected);
    }

    #[tokio::test]
    async fn on_failure_end_ends_the_workflow_without_error() {
        let server = Server::start(|_| json_reply(200, menu())).await;

        let out = client_registration(&client(&server), client_registration::Inputs {}).await;

        // 200 is not the 201 the step wants; `step-onFailure-action-end` matches and ends the
        // workflow, so create-client is never called.
        assert_eq!(out.expect("`end` returns the outputs"), client_registration::Outputs {});
        assert_eq!(calls(&server), [get_menu()]);
    }

    #[tokio::test]
    async fn on_failure_goto_registers_a_client() {
        let server = Server::start(|r| match r.line().as_str() {
            "GET /menu" => json_reply(500, json!({"title": "Internal Server Error"})),
            "POST /oauth2/register" => json_reply(201, json!({"clientId": "c-1"})),
            _ => json_reply(404, json!({})),
        })
        .await;

        client_registration(&client(&server), client_registration::Inputs {}).await.expect("registered");

        // A 500 does not match the `end` criteria, so the criteria-less goto runs.
        let requests = server.requests();
        assert_eq!(server.lines(), ["GET /menu", "POST /oauth2/register"]);
        assert_eq!(
            requests[1].json(),
            json!({"name": "respect-e2e-client", "grantTypes": ["client_credentials"]})
        );
        assert_eq!(requests[1].header("content-type"), Some("application/json"));
    }
}
