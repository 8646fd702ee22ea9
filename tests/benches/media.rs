//! `cargo bench -p arazzo-tests --bench media`: a file uploaded as `multipart/form-data` by the
//! generated Files workflow (`tests/workflows/media/files.arazzo.yaml`: upload, metadata, download
//! as bytes) against a hand-written reqwest client doing the same three requests, both against an
//! in-process `batches_server::TestServer`, alternating; medians and the ratio, for 64 KiB, 1 MiB
//! and 16 MiB files.

use std::time::{Duration, Instant};

use arazzo_runtime::{Client, Secret};
use arazzo_tests::media::files::upload_and_read_back as workflow;
use batches_server::{ServerConfig, TestServer};
use bytes::Bytes;
use reqwest::multipart::{Form, Part};

const ITERATIONS: usize = 20;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

async fn run_generated(client: &Client, file: &Bytes) -> usize {
    let inputs = workflow::Inputs { api_key: Secret::new("bench-key"), file: file.clone(), purpose: None };
    let mut content =
        workflow::upload_and_read_back(client, inputs).await.expect("generated workflow").content;
    let mut len = 0;
    while let Some(chunk) = content.next_chunk().await {
        len += chunk.expect("a chunk").len();
    }
    len
}

async fn run_hand_written(http: &reqwest::Client, base: &str, file: &Bytes) -> usize {
    let with_headers = |r: reqwest::RequestBuilder| {
        r.header("x-api-key", "bench-key").header("anthropic-version", "2023-06-01")
    };
    let part = Part::stream_with_length(file.clone(), file.len() as u64)
        .file_name("orders.csv")
        .mime_str("text/csv")
        .expect("a media type");
    let form = Form::new().text("purpose", "batch-input").part("file", part);
    let sent = with_headers(http.post(format!("{base}/v1/files"))).multipart(form).send().await;
    let meta: serde_json::Value = sent.expect("upload").json().await.expect("metadata");
    let id = meta["id"].as_str().expect("an id").to_owned();
    let again = with_headers(http.get(format!("{base}/v1/files/{id}"))).send().await.expect("metadata");
    assert!(again.status().is_success());
    let content = with_headers(http.get(format!("{base}/v1/files/{id}/content"))).send().await;
    content.expect("download").bytes().await.expect("content").len()
}

async fn upload(size: usize) {
    let server = TestServer::start(ServerConfig::default()).await.expect("server");
    let base = server.base_url();
    let client = Client::builder().base_url("files", &base).build().expect("a client");
    let http = reqwest::Client::new();
    let file = Bytes::from((0..size).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    assert_eq!(run_generated(&client, &file).await, size);
    assert_eq!(run_hand_written(&http, &base, &file).await, size);
    let (mut generated, mut hand) = (Vec::new(), Vec::new());
    for _ in 0..ITERATIONS {
        let t = Instant::now();
        assert_eq!(run_generated(&client, &file).await, size);
        generated.push(t.elapsed());
        let t = Instant::now();
        assert_eq!(run_hand_written(&http, &base, &file).await, size);
        hand.push(t.elapsed());
    }
    let (g, h) = (median(generated), median(hand));
    println!(
        "  {:>6} KiB: generated {:>8.3} ms, hand-written {:>8.3} ms, ratio {:.3}",
        size / 1024,
        g.as_secs_f64() * 1e3,
        h.as_secs_f64() * 1e3,
        g.as_secs_f64() / h.as_secs_f64()
    );
    server.shutdown().await;
}

#[tokio::main]
async fn main() {
    println!("multipart upload + metadata + download, median of {ITERATIONS} alternating runs:");
    for size in [64 << 10, 1 << 20, 16 << 20] {
        upload(size).await;
    }
}
