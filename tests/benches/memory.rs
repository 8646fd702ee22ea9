//! `cargo bench -p arazzo-tests --bench memory`: the memory of workflows in flight.
//!
//! This process serves the local Message Batches API (`batches_server::TestServer`) and starts
//! itself once per size as a client process, which runs that many batch-seed workflows at once
//! (the committed `generated_example::generated` code: create, 3 polls, stream the results) and
//! reports its peak RSS (VmHWM), so each size has its own high-water mark. The 30 s `retryAfter`
//! of the seed is capped at 500 ms, so every workflow stays in flight for about 2 s and all of
//! them overlap.
//!
//! Reported per size: workflows completed, peak RSS, RSS before the first workflow started, and
//! (peak - before) / workflows, the cost of one workflow in flight. Also the size of one
//! workflow's future, which lives in its task for as long as the workflow runs.

use std::process::Command;
use std::time::{Duration, Instant};

use arazzo_runtime::{Client, Secret};
use batches_server::{ServerConfig, TestServer};
use generated_example::generated::batch_process_and_retrieve_results::{
    batch_process_and_retrieve_results as workflow, batch_process_and_retrieve_results::Inputs,
};

const SIZES: [usize; 2] = [1_000, 10_000];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.iter().position(|a| a == "--client") {
        Some(i) => client(args[i + 1].parse().expect("a count"), &args[i + 2]),
        None => serve_and_measure(),
    }
}

fn serve_and_measure() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let server = rt
        .block_on(TestServer::start(ServerConfig { polls_until_ended: 3, ..ServerConfig::default() }))
        .expect("the server starts");
    let exe = std::env::current_exe().expect("this bench's path");
    println!(
        "{:>8} {:>9} {:>9} {:>9} {:>12} {:>8}",
        "runs", "completed", "peak MiB", "base MiB", "B/workflow", "time"
    );
    for n in SIZES {
        let out = Command::new(&exe)
            .args(["--client", &n.to_string(), &server.base_url()])
            .output()
            .expect("the client process runs");
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{report}{}", String::from_utf8_lossy(&out.stderr));
        let v: Vec<f64> = report.split_whitespace().map(|x| x.parse().expect("a number")).collect();
        let [completed, peak, base, future, secs] = v[..] else { panic!("unexpected report: {report}") };
        let per = (peak - base) / n as f64;
        let mib = |b: f64| b / f64::from(1 << 20);
        println!(
            "{n:>8} {completed:>9} {:>9.1} {:>9.1} {per:>12.0} {secs:>7.2}s   (future: {future} B)",
            mib(peak),
            mib(base)
        );
    }
}

/// Runs `n` workflows at once against `url` and prints: completed, peak RSS, RSS before, the size
/// of one workflow future, seconds.
fn client(n: usize, url: &str) {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    rt.block_on(async {
        let client = Client::builder()
            .base_url("claudeApi", url)
            .max_retry_delay(Some(Duration::from_millis(500)))
            .build()
            .expect("a client");
        let requests = batches_server::sample_requests(1).as_array().cloned().unwrap_or_default();
        let inputs = || Inputs {
            api_key: Secret::new("bench-key"),
            anthropic_version: None,
            requests: requests.clone(),
        };
        let future = std::mem::size_of_val(&workflow(&client, inputs()));
        let base = status_bytes("VmRSS");
        let started = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (client, inputs) = (client.clone(), inputs());
                tokio::spawn(async move {
                    let out = workflow(&client, inputs).await.ok()?;
                    out.results.try_collect().await.ok().filter(|r| r.len() == 1)
                })
            })
            .collect();
        let mut completed = 0;
        for task in tasks {
            completed += usize::from(matches!(task.await, Ok(Some(_))));
        }
        let secs = started.elapsed().as_secs_f64();
        println!("{completed} {} {base} {future} {secs}", status_bytes("VmHWM"));
    });
}

/// A `/proc/self/status` field, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status.lines().find(|l| l.starts_with(field)).expect("the field");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("a number of kB");
    kib * 1024
}
