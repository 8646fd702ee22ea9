//! The batch seed, as generated and committed, against servers that misbehave at the transport level:
//! redirects to another origin.

use std::time::Duration;

use arazzo_runtime::{Client, ClientBuilder, ErrorKind, Secret};
use batches_server::{Fault, FaultKind, Route, ServerConfig, TestServer};
use generated_example::generated::batch_process_and_retrieve_results::{
    batch_process_and_retrieve_results, batch_process_and_retrieve_results::Inputs,
};

const KEY: &str = "sk-hardening-key";

async fn server() -> TestServer {
    TestServer::start(ServerConfig { polls_until_ended: 1, ..ServerConfig::default() })
        .await
        .expect("server starts")
}

fn builder(server: &TestServer) -> ClientBuilder {
    Client::builder()
        .base_url("claudeApi", server.base_url())
        .max_retry_delay(Some(Duration::ZERO))
        .loop_pacing(Duration::ZERO)
}

fn inputs() -> Inputs {
    let requests = batches_server::sample_requests(2).as_array().cloned().unwrap_or_default();
    Inputs { api_key: Secret::new(KEY), anthropic_version: None, requests }
}

#[tokio::test]
async fn a_redirect_to_another_origin_keeps_the_key_home_and_names_the_location() {
    let (home, elsewhere) = (server().await, server().await);
    let to = elsewhere.base_url();
    home.add_fault(
        Fault::new(Route::Any, FaultKind::Redirect { status: 307, to: to.clone() }).times(u32::MAX),
    );
    let client = builder(&home).build().expect("a client");
    let err = batch_process_and_retrieve_results(&client, inputs()).await.expect_err("not followed");

    assert!(elsewhere.requests().is_empty(), "the other origin was contacted: {:?}", elsewhere.requests());
    assert_eq!((err.step(), err.status()), (Some("submitBatch"), Some(307)));
    assert!(matches!(err.kind(), ErrorKind::CriteriaFailed { .. }), "{err}");
    let location = format!("{to}/v1/messages/batches");
    assert_eq!(err.location(), Some(location.as_str()));
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("redirect to {location} not followed")) && !shown.contains(KEY),
        "{shown}"
    );
}

#[tokio::test]
async fn a_redirect_within_the_origin_is_followed() {
    let home = server().await;
    // The create and the first poll are redirected to the same URL on the same server.
    let fault = |route| Fault::new(route, FaultKind::Redirect { status: 307, to: home.base_url() });
    home.add_fault(fault(Route::Create));
    home.add_fault(fault(Route::Retrieve));
    let client = builder(&home).build().expect("a client");
    let out = batch_process_and_retrieve_results(&client, inputs()).await.expect("the workflow completes");
    assert_eq!(out.results.try_collect().await.map(|r| r.len()).ok(), Some(2));
    let statuses: Vec<(Route, u16)> = home.requests().iter().map(|r| (r.route, r.status)).collect();
    assert_eq!(statuses[..3], [(Route::Create, 307), (Route::Create, 200), (Route::Retrieve, 307)]);
    assert!(home.requests().iter().all(|r| r.header("x-api-key") == Some(KEY)));
}
