//! The example program as a user runs it: `--base-url` against a separately started server
//! (with a 529 `retry-after: 0` on a poll), `--json` output, and one-line errors.

use std::process::{Command, Output};

use batches_server::{Fault, FaultKind, Route, ServerConfig, TestServer};
use serde_json::Value;

async fn run(args: Vec<String>) -> Output {
    let exe = env!("CARGO_BIN_EXE_generated-example");
    tokio::task::spawn_blocking(move || Command::new(exe).args(args).output().expect("the example runs"))
        .await
        .expect("joined")
}

#[tokio::test(flavor = "multi_thread")]
async fn json_outputs_against_another_server_survive_a_529_on_a_poll() {
    let server = TestServer::start(ServerConfig { polls_until_ended: 2, ..ServerConfig::default() })
        .await
        .expect("server");
    let overloaded = FaultKind::Status { status: 529, retry_after: Some("0".into()) };
    server.add_fault(Fault { skip: 1, ..Fault::new(Route::Retrieve, overloaded) });
    let args =
        ["--base-url", &server.base_url(), "--api-key", "sk-cli-test", "--max-retry-delay", "0", "--json"];
    let out = run(args.iter().map(|s| s.to_string()).collect()).await;

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("sk-cli-test"), "the key leaked: {stderr}");
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "one line per workflow");
    let (batch, cancel) = (&lines[0], &lines[1]);
    let keys = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>()).unwrap_or_default();
    assert_eq!(keys(batch), ["batchId", "requestCounts", "resultsUrl", "results"]);
    assert_eq!(keys(cancel), ["batchId", "processingStatus", "requestCounts"]);
    assert_eq!(batch["results"].as_array().map(Vec::len), Some(3), "the sample has 3 requests");
    assert_eq!(batch["requestCounts"]["succeeded"], 3);
    assert_eq!(cancel["processingStatus"], "ended");

    // The second poll got the 529 and was sent again; the batch seed still polled until ended.
    let log = server.requests();
    let statuses: Vec<(Route, u16)> = log.iter().map(|r| (r.route, r.status)).collect();
    assert!(statuses.contains(&(Route::Retrieve, 529)), "{statuses:?}");
    let first_results = statuses.iter().position(|(r, _)| *r == Route::Results).expect("results fetched");
    assert_eq!(statuses[0], (Route::Create, 200));
    assert!(statuses[1..first_results].iter().all(|(r, _)| *r == Route::Retrieve));
    assert_eq!(statuses[first_results - 1], (Route::Retrieve, 200));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_server_is_a_one_line_error() {
    let args = [
        "--base-url",
        "http://127.0.0.1:9",
        "--api-key",
        "sk-cli-test",
        "--workflow",
        "cancel-and-confirm-batch",
        "--json",
    ];
    let out = run(args.iter().map(|s| s.to_string()).collect()).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(errors[0].contains("transport error") && errors[0].contains("createBatch"), "{stderr}");
    assert!(!stderr.contains("sk-cli-test"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_another_origin_is_not_followed() {
    let home = TestServer::start(ServerConfig::default()).await.expect("server");
    let elsewhere = TestServer::start(ServerConfig::default()).await.expect("server");
    let to = elsewhere.base_url();
    home.add_fault(
        Fault::new(Route::Any, FaultKind::Redirect { status: 307, to: to.clone() }).times(u32::MAX),
    );
    let args = [
        "--base-url",
        &home.base_url(),
        "--api-key",
        "sk-cli-test",
        "--workflow",
        "cancel-and-confirm-batch",
    ];
    let out = run(args.iter().map(|s| s.to_string()).collect()).await;

    assert!(elsewhere.requests().is_empty(), "the key went to another origin");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    let expected =
        format!("HTTP 307: criteria not met: $statusCode == 200; redirect to {to}/v1/messages/batches");
    assert!(error.contains(&expected) && error.contains("not followed"), "{stderr}");
    assert!(!stderr.contains("sk-cli-test"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let args = ["--base-url", &url, "--api-key", "sk-cli-test", "--request-timeout", "1"];
    let out = run(args.iter().map(|s| s.to_string()).collect()).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let error = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
    assert!(error.contains("step `submitBatch`") && error.contains("request timed out"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_arguments_exit_non_zero() {
    let out = run(vec!["--workflow".into(), "nope".into()]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: invalid value 'nope'"));
}
