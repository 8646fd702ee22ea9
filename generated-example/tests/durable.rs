//! Durable runs against a real `restate-server` (from the npm registry): both seeds to their end
//! with the outputs of a direct run, the key never in Restate's data directory, one run per run
//! id, and runs that survive SIGKILLed workers and a restarted Restate.

mod support;

use batches_server::Route;
use support::*;

/// The example's direct run of `workflow` on a fresh server: the outputs a durable run must give.
async fn direct(workflow: &str, polls: u32) -> (String, Vec<Route>) {
    let server = batches_server(polls).await;
    let out = run_example(example_args(&server, workflow, None)).await;
    (outputs(&out, &server), routes(&server))
}

fn count(routes: &[Route], route: Route) -> usize {
    routes.iter().filter(|r| **r == route).count()
}

#[tokio::test(flavor = "multi_thread")]
async fn both_seeds_run_durably_with_the_outputs_of_a_direct_run_and_the_key_stays_out() {
    let restate = Restate::start().await;
    let server = batches_server(3).await;
    let _worker = Worker::start(&server.base_url(), &restate.admin);
    let out = run_example(example_args(&server, "all", Some((&restate.ingress, "seeds")))).await;

    let (expected, direct_routes) = direct("all", 3).await;
    assert_eq!(outputs(&out, &server), expected);
    // The same requests, but the results request is sent twice: once in the run for its status,
    // once by the caller for the body.
    let durable_routes = routes(&server);
    let results = direct_routes.iter().position(|r| *r == Route::Results).expect("results read");
    let mut twice = direct_routes.clone();
    twice.insert(results, Route::Results);
    assert_eq!(durable_routes, twice);

    let data = restate.data_dir();
    let batch_id = server.requests().iter().find(|r| r.route == Route::Retrieve).map(|r| r.path.clone());
    let batch_id = batch_id.and_then(|p| p.rsplit('/').next().map(String::from)).expect("a batch id");
    assert!(dir_contains(&data, &batch_id), "the journal is searchable: it holds the batch id");
    assert!(!dir_contains(&data, KEY), "the key is in Restate's data directory");
}

#[tokio::test(flavor = "multi_thread")]
async fn two_starts_with_one_run_id_are_one_run() {
    let restate = Restate::start().await;
    let server = batches_server(3).await;
    let _worker = Worker::start(&server.base_url(), &restate.admin);
    let args = example_args(&server, CANCEL, Some((&restate.ingress, "once")));
    let (first, second) = tokio::join!(run_example(args.clone()), run_example(args.clone()));
    let third = run_example(args).await;
    let first = outputs(&first, &server);
    assert_eq!(outputs(&second, &server), first);
    assert_eq!(outputs(&third, &server), first);
    assert_eq!(count(&routes(&server), Route::Create), 1);
    assert_eq!(count(&routes(&server), Route::Cancel), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_batch_seed_survives_a_worker_killed_mid_poll() {
    const POLLS: u32 = 120;
    let crash = crash_run(5, POLLS).await;
    let (expected, _) = direct(BATCH, POLLS).await;
    assert_eq!(outputs(&crash.output, &crash.server), expected);

    let log = routes(&crash.server);
    assert_eq!(count(&log, Route::Create), 1, "one batch, however often the worker died");
    // The document polls until the batch ends: the server ends it on poll POLLS + 1. A poll in
    // flight when the worker died is sent again on replay (at least once), so the server may see
    // one more per kill than the journal holds; a journaled poll is never sent again.
    let journal = crash.restate.journal(BATCH).await;
    let journaled =
        journal.iter().filter(|(t, name, _)| t == "Command: Run" && name == "pollBatchStatus").count();
    let sent = count(&log, Route::Retrieve);
    assert!(sent > POLLS as usize, "{sent} polls sent: the batch ends on poll {}", POLLS + 1);
    assert!(journaled <= sent && sent - journaled <= crash.kills, "{sent} polls sent, {journaled} journaled");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_survives_a_restart_of_restate() {
    const POLLS: u32 = 40;
    let mut restate = Restate::start().await;
    let server = batches_server(POLLS).await;
    let _worker = Worker::start(&server.base_url(), &restate.admin);
    let args = example_args(&server, BATCH, Some((&restate.ingress, "restarted")));
    let first = spawn_example(&args);
    while count(&routes(&server), Route::Retrieve) < 5 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    restate.restart().await;
    // The first caller lost its connection to the ingress and attached again; the run went on.
    // Joining it by its id later gives the same result.
    let first = tokio::task::spawn_blocking(move || first.wait_with_output().expect("it ends"));
    let first = first.await.expect("joined");
    let again = run_example(args).await;
    let (expected, _) = direct(BATCH, POLLS).await;
    assert_eq!(outputs(&first, &server), expected);
    assert_eq!(outputs(&again, &server), expected);
    assert_eq!(count(&routes(&server), Route::Create), 1);
}
