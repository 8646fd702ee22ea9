//! The progress display, fed by the observer events of a real run against the local server.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arazzo_runtime::{Client, Secret};
use batches_server::{ServerConfig, TestServer};
use generated_example::generated::batch_process_and_retrieve_results as batch;
use generated_example::progress::Progress;

/// A writer whose lines the test reads back.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<u8>>>);

impl Write for Lines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lines").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_polled_batch_shows_its_wait_then_its_end() {
    let server = TestServer::start(ServerConfig { polls_until_ended: 2, ..ServerConfig::default() })
        .await
        .expect("server");
    let lines = Lines::default();
    let progress = Arc::new(Progress::plain(lines.clone()));
    let client = Client::builder()
        .base_url("claudeApi", server.base_url())
        .max_retry_delay(Some(Duration::from_millis(20)))
        .observer(progress.clone())
        .build()
        .expect("client");
    let inputs = batch::batch_process_and_retrieve_results::Inputs {
        api_key: Secret::new("sk-progress".to_string()),
        anthropic_version: None,
        requests: batches_server::sample_requests(3).as_array().cloned().unwrap_or_default(),
    };
    batch::batch_process_and_retrieve_results(&client, inputs).await.expect("the workflow runs");
    let workflow = "batch-process-and-retrieve-results";
    progress.finish(workflow);

    let text = String::from_utf8(lines.0.lock().expect("lines").clone()).expect("UTF-8");
    let waits: Vec<&str> = text.lines().filter(|l| l.contains("next request in")).collect();
    assert_eq!(waits.len(), 2, "one line per wait between the three polls:\n{text}");
    for w in waits {
        assert!(w.starts_with(&format!("{workflow}: pollBatchStatus · HTTP 200 · in_progress")), "{w}");
        assert!(w.ends_with("(retryWhileProcessing)"), "{w}");
    }
    let last = progress.line(workflow).expect("a line");
    assert!(last.starts_with("retrieveResults · HTTP 200 · ended · succeeded 3 · "), "{last}");
    assert!(!last.contains("next request"), "{last}");
    assert!(!text.contains("sk-progress"), "the key leaked:\n{text}");
}
