//! `cargo bench -p arazzo-tests --bench runtime`:
//!
//! 1. Overhead: the generated batch seed (`generated_example::generated`) against a hand-written
//!    reqwest client doing the same requests (create, poll until `ended`, stream the results), both
//!    against an in-process `batches_server::TestServer`, alternating, 30 iterations each; medians
//!    and the ratio generated / hand-written, for 20 and 200 polls per batch.
//! 2. Memory: a 10 000- and a 100 000-line JSONL body, served chunked by a tiny HTTP responder in this
//!    process, streamed through `arazzo_runtime` (`send_streaming` + `into_jsonl`), with the growth
//!    of peak RSS (VmHWM, reset through /proc/self/clear_refs) and, for reference, the same body
//!    read buffered (`send`).

use std::time::{Duration, Instant};

use arazzo_runtime::{Client, Method, Secret};
use batches_server::{ServerConfig, TestServer};
use generated_example::generated::batch_process_and_retrieve_results as batch;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ITERATIONS: usize = 30;
const REQUESTS: usize = 3;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn run_generated(client: &Client, requests: &[Value]) -> usize {
    let inputs = batch::batch_process_and_retrieve_results::Inputs {
        api_key: Secret::new("bench-key".to_string()),
        anthropic_version: None,
        requests: requests.to_vec(),
    };
    let out = batch::batch_process_and_retrieve_results(client, inputs).await.expect("generated workflow");
    out.results.try_collect().await.expect("results").len()
}

async fn run_hand_written(http: &reqwest::Client, base: &str, requests: &[Value]) -> usize {
    let with_headers = |r: reqwest::RequestBuilder| {
        r.header("x-api-key", "bench-key").header("anthropic-version", "2023-06-01")
    };
    let created: Value = with_headers(http.post(format!("{base}/v1/messages/batches")))
        .json(&json!({ "requests": requests }))
        .send()
        .await
        .expect("create")
        .error_for_status()
        .expect("create status")
        .json()
        .await
        .expect("create body");
    let id = created["id"].as_str().expect("batch id").to_owned();
    loop {
        let batch: Value = with_headers(http.get(format!("{base}/v1/messages/batches/{id}")))
            .send()
            .await
            .expect("retrieve")
            .error_for_status()
            .expect("retrieve status")
            .json()
            .await
            .expect("retrieve body");
        if batch["processing_status"] == "ended" {
            break;
        }
    }
    let mut resp = with_headers(http.get(format!("{base}/v1/messages/batches/{id}/results")))
        .send()
        .await
        .expect("results")
        .error_for_status()
        .expect("results status");
    let (mut partial, mut count) = (Vec::new(), 0);
    while let Some(chunk) = resp.chunk().await.expect("results chunk") {
        partial.extend_from_slice(&chunk);
        while let Some(nl) = partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = partial.drain(..=nl).collect();
            if line.iter().any(|b| !b.is_ascii_whitespace()) {
                let _: Value = serde_json::from_slice(&line).expect("results line");
                count += 1;
            }
        }
    }
    if partial.iter().any(|b| !b.is_ascii_whitespace()) {
        let _: Value = serde_json::from_slice(&partial).expect("last results line");
        count += 1;
    }
    count
}

async fn overhead(polls: u32) {
    let server = TestServer::start(ServerConfig { polls_until_ended: polls, ..ServerConfig::default() })
        .await
        .expect("server");
    let base = server.base_url();
    let client = Client::builder()
        .base_url("claudeApi", &base)
        .max_retry_delay(Some(Duration::ZERO))
        .loop_pacing(Duration::ZERO)
        .build()
        .expect("a client");
    let http = reqwest::Client::new();
    let requests = batches_server::sample_requests(REQUESTS).as_array().cloned().unwrap_or_default();
    // Warm up both (connections, lazy statics).
    assert_eq!(run_generated(&client, &requests).await, REQUESTS);
    assert_eq!(run_hand_written(&http, &base, &requests).await, REQUESTS);
    let (mut generated, mut hand) = (Vec::new(), Vec::new());
    for _ in 0..ITERATIONS {
        let t = Instant::now();
        assert_eq!(run_generated(&client, &requests).await, REQUESTS);
        generated.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(run_hand_written(&http, &base, &requests).await, REQUESTS);
        hand.push(t.elapsed());
    }
    let (g, h) = (median(generated), median(hand));
    println!(
        "  polls_until_ended = {polls:>3} ({} requests/run): generated {:>8.3} ms, hand-written {:>8.3} ms, ratio {:.3}",
        polls + 3,
        g.as_secs_f64() * 1e3,
        h.as_secs_f64() * 1e3,
        g.as_secs_f64() / h.as_secs_f64()
    );
    server.shutdown().await;
}

/// Serves every connection one chunked JSONL body of `lines` lines, generated as it is written.
async fn jsonl_server(lines: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut head = Vec::new();
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let header = "HTTP/1.1 200 OK\r\ncontent-type: application/x-jsonl\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
                if sock.write_all(header.as_bytes()).await.is_err() {
                    return;
                }
                let mut chunk = String::new();
                for i in 0..lines {
                    chunk.push_str(&format!(
                        "{{\"custom_id\":\"req-{i}\",\"result\":{{\"type\":\"succeeded\",\"message\":{{\"id\":\"msg_{i:08}\",\"role\":\"assistant\",\"content\":[{{\"type\":\"text\",\"text\":\"Hello!\"}}]}}}}}}\n"
                    ));
                    if chunk.len() >= 16 * 1024 || i + 1 == lines {
                        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
                        if sock.write_all(framed.as_bytes()).await.is_err() {
                            return;
                        }
                        chunk.clear();
                    }
                }
                let _ = sock.write_all(b"0\r\n\r\n").await;
                let _ = sock.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

fn status_kb(field: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets VmHWM to the current RSS (Linux 4.0+); false when not possible.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

async fn stream_lines(lines: usize, streaming: bool) -> (usize, Duration, Option<u64>, Option<u64>) {
    let base = jsonl_server(lines).await;
    let client = Client::builder().base_url("bench", &base).build().expect("a client");
    let reset = reset_peak();
    let before = if reset { status_kb("VmHWM:") } else { status_kb("VmRSS:") };
    let t = Instant::now();
    let mut run = client.run("memory");
    let req = run.request("stream", "results", "bench", Method::GET, "/results");
    let resp = if streaming { run.send_streaming(req).await } else { run.send(req).await }.expect("response");
    let mut items = resp.into_jsonl::<Value>();
    let mut count = 0;
    while let Some(item) = items.next_item().await {
        std::hint::black_box(item.expect("line"));
        count += 1;
    }
    let elapsed = t.elapsed();
    let after = status_kb("VmHWM:");
    let growth = before.zip(after).map(|(b, a)| a.saturating_sub(b));
    (count, elapsed, growth, reset.then_some(0).and(after))
}

async fn memory() {
    for streaming in [true, false] {
        let how = if streaming { "send_streaming + into_jsonl" } else { "send (buffered) + into_jsonl" };
        for lines in [10_000, 100_000] {
            let (count, elapsed, growth, peak) = stream_lines(lines, streaming).await;
            assert_eq!(count, lines);
            println!(
                "  {how:<30} {lines:>7} lines: {count} items in {:>8.1} ms, peak RSS growth {} (VmHWM {})",
                elapsed.as_secs_f64() * 1e3,
                growth.map_or("n/a".into(), |g| format!("{g} kB")),
                peak.map_or("n/a".into(), |p| format!("{p} kB")),
            );
        }
    }
}

#[tokio::main]
async fn main() {
    println!("generated seed vs hand-written reqwest, median of {ITERATIONS} alternating runs:");
    for polls in [20, 200] {
        overhead(polls).await;
    }
    // The runtime awaits `tokio::time::sleep(delay)` even when the capped delay is zero; tokio's
    // timer rounds that up to its next 1 ms tick. This is the floor that adds to every poll above.
    let t = Instant::now();
    for _ in 0..200 {
        tokio::time::sleep(Duration::ZERO).await;
    }
    println!(
        "  for reference: 200 x tokio::time::sleep(Duration::ZERO) = {:.3} ms",
        t.elapsed().as_secs_f64() * 1e3
    );
    println!("JSONL memory (peak RSS growth of the whole process, including the in-process responder):");
    memory().await;
}
