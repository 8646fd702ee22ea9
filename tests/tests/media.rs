//! Bodies by media type (issue 12). The batch seed, verbatim, compiled against descriptions that
//! declare its results `application/binary` (`format: binary`: bytes) or
//! `application/x-jsonlines` (a typed stream), run to its end against the local server; and a
//! Files-API-like document that uploads `multipart/form-data` and reads the file back.
//!
//! The generated code is kept in `src/media/`, as modules of this crate's library, so that it
//! compiles (warning-free) with the workspace; refresh it with
//! `EXPECTORATE=overwrite cargo test -p arazzo-tests --test media`.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use arazzo_codegen::Settings;
use arazzo_runtime::{Client, Secret};
use arazzo_tests::media::{batch_binary, batch_jsonlines, files};
use batches_server::{Fault, Route, ServerConfig, TestServer, UploadedPart};
use serde_json::Value;

const SEED: &str = "workflows/arazzo/batch-process-and-retrieve-results.arazzo.yaml";

/// (module of `src/media/`, document, sources mapped to files), paths from the workspace root.
type Document = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

const DOCUMENTS: &[Document] = &[
    ("batch_binary", SEED, &[("claudeApi", "tests/workflows/media/claude-messages-api.binary.yml")]),
    ("batch_jsonlines", SEED, &[("claudeApi", "tests/workflows/media/claude-messages-api.jsonlines.yml")]),
    ("files", "tests/workflows/media/files.arazzo.yaml", &[]),
];

#[test]
fn generated_code_matches_its_snapshots() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mod_rs = std::fs::read_to_string(root.join("tests/src/media/mod.rs")).expect("src/media/mod.rs");
    for (module, document, sources) in DOCUMENTS {
        let mut settings = Settings { base_dir: root.clone(), ..Default::default() };
        for (name, file) in *sources {
            settings = settings.source(*name, *file);
        }
        let generated = arazzo_codegen::generate(Path::new(document), &settings)
            .unwrap_or_else(|checked| panic!("{document} does not compile:\n{}", checked.render()));
        let text = generated.to_file_string("EXPECTORATE=overwrite cargo test -p arazzo-tests --test media");
        expectorate::assert_contents(format!("src/media/{module}.rs"), &text);
        assert!(mod_rs.contains(&format!("pub mod {module};")), "src/media/mod.rs lacks `{module}`");
    }
}

async fn server(results_content_type: &str) -> TestServer {
    let config = ServerConfig {
        polls_until_ended: 1,
        results_content_type: results_content_type.into(),
        ..ServerConfig::default()
    };
    TestServer::start(config).await.expect("server starts")
}

fn client(server: &TestServer) -> Client {
    client_with_cap(server, 32 << 20)
}

/// A client that buffers no body over `max_body_bytes`.
fn client_with_cap(server: &TestServer, max_body_bytes: usize) -> Client {
    Client::builder()
        .base_url("claudeApi", server.base_url())
        .max_retry_delay(Some(Duration::ZERO))
        .loop_pacing(Duration::ZERO)
        .max_body_bytes(max_body_bytes)
        .build()
        .expect("a client")
}

fn requests(n: usize) -> Vec<Value> {
    batches_server::sample_requests(n).as_array().expect("an array").clone()
}

/// The results body as the server sends it to anyone who asks.
async fn results_sent(server: &TestServer, batch_id: &str) -> Vec<u8> {
    let url = format!("{}/v1/messages/batches/{batch_id}/results", server.base_url());
    let response = reqwest::Client::new()
        .get(url)
        .header("x-api-key", "sk-test")
        .header("anthropic-version", "2023-06-01")
        .send()
        .await
        .expect("results");
    response.bytes().await.expect("a body").to_vec()
}

/// The batch id and the results body of the batch seed compiled against the binary description.
async fn run_binary(client: &Client, n: usize) -> (String, bytes::Bytes) {
    use batch_binary::batch_process_and_retrieve_results as workflow;
    use batch_binary::batch_process_and_retrieve_results::Inputs;
    let inputs = Inputs { api_key: Secret::new("sk-test"), anthropic_version: None, requests: requests(n) };
    let out = workflow(client, inputs).await.expect("the workflow runs to its end");
    (out.batch_id, out.results.try_collect().await.expect("the whole body"))
}

#[tokio::test]
async fn results_declared_binary_are_the_bytes_the_server_sent() {
    let trace = trace_buffer();
    let server = server("application/binary").await;
    let (batch_id, results) = run_binary(&client(&server), 3).await;
    assert_eq!(results, results_sent(&server, &batch_id).await);
    let ids: Vec<String> = results
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| serde_json::from_slice::<Value>(line).expect("a JSON line")["custom_id"].to_string())
        .collect();
    assert_eq!(ids.len(), 3, "one line per request: {ids:?}");
    let traced = trace.text();
    // Batch ids repeat across servers; the URL (with its port) is this test's own.
    let warned = traced.lines().any(|l| l.contains(&server.base_url()) && l.contains("WARN"));
    assert!(!warned, "the content type agrees: no warning\n{traced}");
}

/// A binary body is streamed: it may be larger than any body the client buffers.
#[tokio::test]
async fn results_declared_binary_stream_past_the_buffered_body_cap() {
    let server = server("application/binary").await;
    let cap = 4096;
    let (batch_id, results) = run_binary(&client_with_cap(&server, cap), 40).await;
    assert!(results.len() > 4 * cap, "a body well over the cap: {} bytes", results.len());
    assert_eq!(results, results_sent(&server, &batch_id).await);
}

#[tokio::test]
async fn a_content_type_of_another_kind_warns_and_is_decoded_as_declared() {
    let trace = trace_buffer();
    let server = server("application/x-jsonl").await;
    let (batch_id, results) = run_binary(&client(&server), 3).await;
    assert_eq!(results, results_sent(&server, &batch_id).await);
    let traced = trace.text();
    let warning = traced.lines().find(|l| l.contains(&server.base_url()) && l.contains("WARN"));
    let warning = warning.unwrap_or_else(|| panic!("a warning names the results URL:\n{traced}"));
    assert!(warning.contains("declared=\"binary\"") && warning.contains("application/x-jsonl"), "{warning}");
    assert!(warning.contains("retrieveResults"), "{warning}");
}

#[tokio::test]
async fn results_declared_json_lines_are_a_typed_stream() {
    use batch_jsonlines::batch_process_and_retrieve_results as workflow;
    use batch_jsonlines::batch_process_and_retrieve_results::Inputs;
    use batch_jsonlines::types::MessageBatchResult;
    let server = server("application/x-jsonl").await;
    let inputs = Inputs { api_key: Secret::new("sk-test"), anthropic_version: None, requests: requests(2) };
    let out = workflow(&client(&server), inputs).await.expect("the workflow runs to its end");
    let mut results = out.results.try_collect().await.expect("every line decodes");
    results.sort_by(|a, b| a.custom_id.cmp(&b.custom_id));
    let ids: Vec<&str> = results.iter().map(|r| r.custom_id.as_str()).collect();
    assert_eq!(ids, ["req-0", "req-1"]);
    assert!(results.iter().all(|r| matches!(r.result, MessageBatchResult::Succeeded(_))));
}

#[tokio::test]
async fn a_multipart_upload_reaches_the_server_part_by_part() {
    use files::upload_and_read_back::{self as workflow, Inputs};
    let server = server("application/x-jsonl").await;
    let client = Client::builder().base_url("files", server.base_url()).build().expect("a client");
    // Not UTF-8: the file goes as bytes.
    let csv = bytes::Bytes::from_static(b"id,total\n1,9.50\n\xff\x00\n");
    let inputs = Inputs { api_key: Secret::new("sk-test"), file: csv.clone(), purpose: None };
    let out = workflow::upload_and_read_back(&client, inputs).await.expect("the workflow runs to its end");
    assert_eq!(out.content.try_collect().await.expect("the download"), csv, "the download is the upload");
    assert_eq!((out.filename.as_str(), out.mime_type.as_deref()), ("orders.csv", Some("text/csv")));
    assert_eq!(out.size_bytes, i64::try_from(csv.len()).expect("small"));

    let uploads = server.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].id, out.file_id);
    let part = |name: &str, filename: Option<&str>, content_type: Option<&str>, data: &[u8]| UploadedPart {
        name: name.into(),
        filename: filename.map(Into::into),
        content_type: content_type.map(Into::into),
        headers: Vec::new(),
        data: bytes::Bytes::copy_from_slice(data),
    };
    let metadata = serde_json::to_vec(&serde_json::json!({"source": "arazzo-rs", "purpose": "batch-input"}))
        .expect("JSON");
    let file = UploadedPart {
        headers: vec![("x-checksum".into(), "sha256-demo".into())],
        ..part("file", Some("orders.csv"), Some("text/csv"), &csv)
    };
    let expected = [
        part("purpose", None, None, b"batch-input"),
        part("labels", None, None, b"orders"),
        part("labels", None, None, b"2025"),
        part("metadata", None, Some("application/vnd.files.metadata+json"), &metadata),
        file,
        part("notes", Some("notes"), Some("application/octet-stream"), b"written by the workflow"),
    ];
    assert_eq!(uploads[0].parts, expected);

    // The same bytes through a step that runs again after a failure.
    server.add_fault(Fault::status(Route::FileContent, 404));
    use files::download_again as again;
    let inputs = again::Inputs { api_key: Secret::new("sk-test"), file_id: out.file_id };
    let again = again::download_again(&client, inputs).await.expect("the retry gets the content");
    assert_eq!(again.content.try_collect().await.expect("the download"), csv);
    let downloads = server.requests().iter().filter(|r| r.route == Route::FileContent).count();
    assert_eq!(downloads, 3, "one download, then a failed one and its retry");
}

#[tokio::test]
async fn the_binary_member_of_a_whole_payload_is_a_file_part() {
    use files::upload_whole::{self as workflow, Inputs};
    let server = server("application/x-jsonl").await;
    let client = Client::builder().base_url("files", server.base_url()).build().expect("a client");
    let file = bytes::Bytes::from_static(b"\x00\x01\xfe\xff");
    let upload = files::types::UploadWholeUpload { file: file.clone(), purpose: Some("tests".into()) };
    let out = workflow::upload_whole(&client, Inputs { api_key: Secret::new("sk-test"), upload })
        .await
        .expect("the workflow runs to its end");
    let uploads = server.uploads();
    assert_eq!(uploads[0].id, out.file_id);
    let part = uploads[0].part("file").expect("a file part");
    assert_eq!(
        (part.filename.as_deref(), part.content_type.as_deref()),
        (Some("orders.csv"), Some("text/csv"))
    );
    assert_eq!(part.data, file);
    assert_eq!(uploads[0].part("purpose").map(|p| &p.data[..]), Some(&b"tests"[..]));
}

#[tokio::test]
async fn a_list_of_files_is_one_file_part_per_item() {
    use files::upload_with_attachments::{self as workflow, Inputs};
    let server = server("application/x-jsonl").await;
    let client = Client::builder().base_url("files", server.base_url()).build().expect("a client");
    let file = bytes::Bytes::from_static(b"id\n1\n");
    let attachments = vec![bytes::Bytes::from_static(b"\x00first"), bytes::Bytes::from_static(b"second\xff")];
    let inputs =
        Inputs { api_key: Secret::new("sk-test"), file: file.clone(), attachments: attachments.clone() };
    let out = workflow::upload_with_attachments(&client, inputs).await.expect("the workflow runs to its end");
    let uploads = server.uploads();
    assert_eq!(uploads[0].id, out.file_id);
    let parts = |name: &str| -> Vec<(Option<String>, bytes::Bytes)> {
        let named = uploads[0].parts.iter().filter(|p| p.name == name);
        named.map(|p| (p.filename.clone(), p.data.clone())).collect()
    };
    let attachment = |data: &bytes::Bytes| (Some("attachments".to_owned()), data.clone());
    assert_eq!(parts("attachments"), attachments.iter().map(attachment).collect::<Vec<_>>());
    let note = bytes::Bytes::from_static(b"a note written by the workflow");
    assert_eq!(parts("notes"), [(Some("notes".to_owned()), note), (Some("notes".to_owned()), file)]);
}

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl Buf {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().map(|v| v.clone()).unwrap_or_default()).into_owned()
    }
}

impl Write for Buf {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(data);
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One global subscriber for the whole test binary: `tracing` caches callsite interest globally,
/// so a thread-local one could miss events first hit on another test's thread.
fn trace_buffer() -> Buf {
    static BUF: OnceLock<Buf> = OnceLock::new();
    BUF.get_or_init(|| {
        let buf = Buf::default();
        let writer = buf.clone();
        let subscriber =
            tracing_subscriber::fmt().with_ansi(false).with_writer(move || writer.clone()).finish();
        tracing::subscriber::set_global_default(subscriber).expect("only this test sets one");
        buf
    })
    .clone()
}
