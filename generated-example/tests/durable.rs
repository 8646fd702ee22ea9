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

/// `create-then-read` (tests/workflows/durable/nested.arazzo.yaml) runs `create-batch` as a step
/// and hands over to `confirm-batch` with a goto; the callees' requests are journaled in the
/// caller's journal.
mod nested {
    use super::*;
    use arazzo_runtime::durable::start_or_attach;
    use arazzo_runtime::{Client, Secret};
    use generated_example::durable::nested::create_then_read::{self, Inputs, Outputs, durable};
    use std::time::{Duration, Instant};

    pub const WORKFLOW: &str = "create-then-read";

    pub fn inputs() -> Inputs {
        let requests = batches_server::sample_requests(3).as_array().cloned().unwrap_or_default();
        Inputs { api_key: Secret::new(KEY), requests }
    }

    /// A direct run on `server`, with the worker's waits.
    pub async fn direct(server: &batches_server::TestServer) -> Outputs {
        let wait = Duration::from_secs_f64(WAIT.parse().expect("seconds"));
        let client = Client::builder()
            .base_url("claudeApi", server.base_url())
            .max_retry_delay(Some(wait))
            .loop_pacing(wait)
            .build()
            .expect("a client");
        create_then_read::create_then_read(&client, inputs()).await.expect("the direct run succeeds")
    }

    /// A durable run through Restate's ingress, as run `key`.
    pub async fn durable(ingress: &str, key: &str) -> Outputs {
        let (input, _) = inputs().split();
        let out: durable::Outputs =
            start_or_attach(ingress, WORKFLOW, key, &input).await.expect("the durable run succeeds");
        out.into()
    }

    /// The median of `runs` timings of `f`.
    pub async fn median<F: Future<Output = ()>>(runs: usize, mut f: impl FnMut(usize) -> F) -> Duration {
        let mut times = Vec::new();
        for i in 0..runs {
            let start = Instant::now();
            f(i).await;
            times.push(start.elapsed());
        }
        times.sort();
        times[runs / 2]
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_workflow_that_runs_workflows_survives_a_worker_killed_mid_callee() {
    const POLLS: u32 = 60;
    let restate = Restate::start().await;
    let server = batches_server(POLLS).await;
    let mut worker = Worker::start(&server.base_url(), &restate.admin);
    let ingress = restate.ingress.clone();
    let run = tokio::spawn(async move { nested::durable(&ingress, "nested-crash").await });
    // The callee polls: kill the worker three times while it does.
    while count(&routes(&server), Route::Retrieve) < 3 {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let kills = 3;
    for _ in 0..kills {
        tokio::time::sleep(std::time::Duration::from_millis(fastrand::u64(20..200))).await;
        worker.kill();
        worker.restart();
    }
    let durable = run.await.expect("joined");
    assert!(count(&routes(&server), Route::Retrieve) > POLLS as usize, "the worker died mid-callee");

    let direct_server = batches_server(POLLS).await;
    assert_eq!(durable, nested::direct(&direct_server).await);
    assert_eq!(count(&routes(&server), Route::Create), 1, "one batch, however often the worker died");

    // The callees' exchanges are in the caller's journal, in order: create-batch's, then the
    // caller's read, then confirm-batch's.
    let journal = restate.journal(nested::WORKFLOW).await;
    let runs: Vec<&str> =
        journal.iter().filter(|(t, ..)| t == "Command: Run").map(|(_, name, _)| name.as_str()).collect();
    let mut order = runs.clone();
    order.dedup();
    assert_eq!(order, ["submit", "poll", "read", "confirm"], "{runs:?}");
    assert!(restate.journal("create-batch").await.is_empty(), "the callee ran in the caller's invocation");
    for (step, (n, bytes)) in journal_size(&journal) {
        eprintln!("journal: {step}: {n} entries, {} bytes each on average", bytes / n);
    }
    assert!(!dir_contains(&restate.data_dir(), KEY), "the key is in Restate's data directory");
}

/// The journal's `Run` entries per step: (count, total raw length of each command and the entry
/// after it, its completion).
fn journal_size(journal: &[(String, String, u64)]) -> std::collections::BTreeMap<String, (u64, u64)> {
    let mut sizes = std::collections::BTreeMap::new();
    for (i, (kind, name, len)) in journal.iter().enumerate() {
        if kind == "Command: Run" {
            let completion = journal.get(i + 1).map_or(0, |e| e.2);
            let entry = sizes.entry(name.clone()).or_insert((0, 0));
            *entry = (entry.0 + 1, entry.1 + len + completion);
        }
    }
    sizes
}

/// Direct vs durable time of `create-then-read` (medians of 5 runs), printed, not asserted:
/// `cargo test -p generated-example --test durable -- --ignored --nocapture timings`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a measurement"]
async fn timings_of_a_workflow_that_runs_workflows() {
    const POLLS: u32 = 3;
    let restate = Restate::start().await;
    let server = batches_server(POLLS).await;
    let _worker = Worker::start(&server.base_url(), &restate.admin);
    let direct = nested::median(5, |_| async {
        let server = batches_server(POLLS).await;
        nested::direct(&server).await;
    })
    .await;
    let durable = nested::median(5, |i| {
        let ingress = restate.ingress.clone();
        async move {
            nested::durable(&ingress, &format!("timing-{i}")).await;
        }
    })
    .await;
    eprintln!("create-then-read, {POLLS} polls: direct {direct:?}, durable {durable:?} (medians of 5)");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_binary_download_output_runs_durably_with_the_content_of_a_direct_run() {
    use arazzo_runtime::durable::start_or_attach;
    use arazzo_runtime::{Client, Secret};
    use generated_example::durable::files::upload_and_read_back::{self as upload, Inputs, Outputs, durable};

    const WORKFLOW: &str = "upload-and-read-back";
    let restate = Restate::start().await;
    let server = batches_server(0).await;
    let _worker = Worker::start(&server.base_url(), &restate.admin);
    // More than one chunk, every byte value.
    let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    let inputs = || Inputs { api_key: Secret::new(KEY), file: content.clone().into(), purpose: None };
    let client = |server: &batches_server::TestServer| {
        Client::builder().base_url("files", server.base_url()).build().expect("a client")
    };
    async fn read(out: Outputs) -> (String, String, Option<String>, i64, Vec<u8>) {
        let bytes = out.content.try_collect().await.expect("the download reads");
        (out.file_id, out.filename, out.mime_type, out.size_bytes, bytes.to_vec())
    }

    let (input, secrets) = inputs().split();
    let result: durable::Outputs = start_or_attach(&restate.ingress, WORKFLOW, "download", &input)
        .await
        .expect("the durable run succeeds");
    let opened = result.open(&client(&server), &secrets).await.expect("the download is sent again");
    let durable = read(opened).await;

    let direct_server = batches_server(0).await;
    let direct = upload::upload_and_read_back(&client(&direct_server), inputs()).await.expect("a direct run");
    let direct = read(direct).await;
    assert_eq!(durable, direct);
    assert_eq!(durable.4, content);

    // The download is sent twice: in the run for its status, by the caller for the body.
    assert_eq!(count(&routes(&server), Route::FileContent), 2);
    assert_eq!(count(&routes(&server), Route::Upload), 1);
    let journal = restate.journal(WORKFLOW).await;
    let download = journal.iter().position(|(t, name, _)| t == "Command: Run" && name == "download");
    let journaled = download.and_then(|i| journal.get(i + 1)).map_or(0, |e| e.2);
    assert!(journaled < 10_000, "the download's body is not journaled: {journaled} bytes");
    assert!(!dir_contains(&restate.data_dir(), KEY), "the key is in Restate's data directory");
}
