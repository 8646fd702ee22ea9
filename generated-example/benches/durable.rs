//! `cargo bench -p generated-example --bench durable` (needs Node.js: restate-server comes from
//! the npm registry, like in `tests/durable.rs`):
//!
//! 1. Crash: the batch seed run durably while its worker is SIGKILLed 20 times mid-poll (every
//!    other time down for several poll intervals); checks one batch and the poll bound, prints
//!    the polls sent and journaled.
//! 2. Overhead: the cancel seed (10 `canceling` polls, 50 ms pacing) run directly in this process
//!    and durably through Restate and `durable-worker`, alternating, 10 runs each; medians, their
//!    difference per step.
//! 3. Journal size per poll: the bytes Restate journals per poll (the journaled exchange and its
//!    durable timer), for each seed.

#[path = "../tests/support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use arazzo_runtime::durable::start_or_attach;
use arazzo_runtime::{Client, Secret};
use batches_server::{Route, ServerConfig, TestServer};
use generated_example::durable::cancel_and_confirm_batch::cancel_and_confirm_batch as cancel;
use support::*;

const KILLS: usize = 20;
const RUNS: usize = 10;
const CANCEL_POLLS: u32 = 10;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Bytes journaled per run of `step`: its `ctx.run` command and completion, and the durable
/// timer after it (command and completion).
fn bytes_per_poll(journal: &[(String, String, u64)], step: &str) -> (usize, u64) {
    let (mut polls, mut bytes, mut after_poll) = (0, 0, false);
    for (i, (kind, name, len)) in journal.iter().enumerate() {
        let next = journal.get(i + 1).map_or(0, |e| e.2);
        match kind.as_str() {
            "Command: Run" if name == step => {
                (polls, bytes, after_poll) = (polls + 1, bytes + len + next, true);
            }
            "Command: Sleep" if after_poll => bytes += len + next,
            "Command: Run" => after_poll = false,
            _ => {}
        }
    }
    (polls, bytes / polls.max(1) as u64)
}

async fn crash() {
    let polls = KILLS as u32 * 25 + 50;
    let started = Instant::now();
    let crash = crash_run(KILLS, polls).await;
    let stderr = String::from_utf8_lossy(&crash.output.stderr);
    assert!(crash.output.status.success(), "{stderr}");
    assert!(!stderr.contains(KEY));
    let log = routes(&crash.server);
    let journal = crash.restate.journal(BATCH).await;
    let journaled = journal.iter().filter(|(t, n, _)| t == "Command: Run" && n == "pollBatchStatus").count();
    let sent = log.iter().filter(|r| **r == Route::Retrieve).count();
    assert_eq!(log.iter().filter(|r| **r == Route::Create).count(), 1, "one batch");
    assert!(sent > polls as usize && journaled <= sent && sent - journaled <= KILLS);
    println!(
        "crash: {KILLS} kills, {sent} polls sent, {journaled} journaled (the batch ends on poll {}), {:.1} s",
        polls + 1,
        started.elapsed().as_secs_f64()
    );
    let (n, per_poll) = bytes_per_poll(&journal, "pollBatchStatus");
    println!("journal: batch seed, {per_poll} bytes per poll over {n} polls");
}

async fn overhead() {
    let restate = Restate::start().await;
    let config = ServerConfig { cancel_polls_until_ended: CANCEL_POLLS, ..ServerConfig::default() };
    let server = TestServer::start(config).await.expect("server");
    let _worker = Worker::start(&server.base_url(), &restate.admin);
    let wait = Duration::from_secs_f64(WAIT.parse().expect("seconds"));
    let client = Client::builder()
        .base_url("messageBatchesApi", server.base_url())
        .loop_pacing(wait)
        .max_retry_delay(Some(wait))
        .build()
        .expect("client");
    let requests = batches_server::sample_requests(3).as_array().cloned().unwrap_or_default();
    let inputs = || cancel::Inputs { api_key: Secret::new(KEY.to_string()), requests: requests.clone() };
    let (mut direct, mut durable) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        let started = Instant::now();
        cancel::cancel_and_confirm_batch(&client, inputs()).await.expect("direct run");
        direct.push(started.elapsed());
        let started = Instant::now();
        let (input, _) = inputs().split();
        let out: cancel::durable::Outputs =
            start_or_attach(&restate.ingress, CANCEL, &format!("overhead-{i}"), &input)
                .await
                .expect("durable run");
        durable.push(started.elapsed());
        assert_eq!(out.processing_status.as_str(), "ended");
    }
    let (direct, durable) = (median(direct), median(durable));
    // createBatch, cancelBatch, and one poll per `canceling` answer plus the last.
    let steps = 2 + CANCEL_POLLS + 1;
    let per_step = durable.saturating_sub(direct) / steps;
    println!(
        "overhead: cancel seed ({steps} steps), median of {RUNS}: direct {:.1} ms, durable {:.1} ms, \
         +{:.1} ms per step",
        direct.as_secs_f64() * 1e3,
        durable.as_secs_f64() * 1e3,
        per_step.as_secs_f64() * 1e3
    );
    let (n, per_poll) = bytes_per_poll(&restate.journal(CANCEL).await, "confirmCanceled");
    println!("journal: cancel seed, {per_poll} bytes per poll over {n} polls");
}

#[tokio::main]
async fn main() {
    overhead().await;
    crash().await;
}
