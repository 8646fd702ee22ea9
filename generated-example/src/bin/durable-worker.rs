//! Serves the seed workflows as Restate workflow services (durable runs): register it with
//! Restate (`--register`), then start runs with `generated-example --restate-ingress URL`. It
//! also serves the durable tests' workflows that run workflows (`nested`) and one whose output
//! is a binary download (`files`).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use arazzo_runtime::durable::restate_sdk::endpoint::Endpoint;
use arazzo_runtime::durable::restate_sdk::http_server::HttpServer;
use arazzo_runtime::durable::{register, service};
use arazzo_runtime::{Client, Secret};
use clap::Parser;
use generated_example::durable::batch_process_and_retrieve_results::batch_process_and_retrieve_results as batch;
use generated_example::durable::cancel_and_confirm_batch::cancel_and_confirm_batch as cancel;
use generated_example::durable::{files, nested};
use generated_example::progress::Progress;

#[derive(Parser)]
#[command(about = "Serve the Message Batches seed workflows as Restate workflow services")]
struct Args {
    /// Port to listen on (loopback); 0 picks a free one, printed on stderr.
    #[arg(long, default_value_t = 9080)]
    port: u16,
    /// Base URL of the Message Batches API.
    #[arg(long)]
    base_url: String,
    /// API key (default: $ANTHROPIC_API_KEY). It stays in this process: never in Restate's journal.
    #[arg(long)]
    api_key: Option<String>,
    /// Cap on any single wait (retryAfter, Retry-After, loop pacing), in seconds.
    #[arg(long, value_name = "SECONDS")]
    max_retry_delay: Option<f64>,
    /// Least time between two runs of a step in a goto loop, in seconds (default 1).
    #[arg(long, value_name = "SECONDS", default_value_t = 1.0)]
    loop_pacing: f64,
    /// Register this worker with Restate's admin API at this URL once it listens
    /// (for example http://127.0.0.1:9070).
    #[arg(long, value_name = "ADMIN_URL")]
    register: Option<String>,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let Some(api_key) = args.api_key.clone().or_else(|| std::env::var("ANTHROPIC_API_KEY").ok()) else {
        return fail("an API key is needed: pass --api-key or set ANTHROPIC_API_KEY");
    };
    let seconds = |s: f64, flag: &str| Duration::try_from_secs_f64(s).map_err(|e| format!("{flag}: {e}"));
    let max_delay = match args.max_retry_delay.map(|s| seconds(s, "--max-retry-delay")).transpose() {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let pacing = match seconds(args.loop_pacing, "--loop-pacing") {
        Ok(d) => d,
        Err(e) => return fail(e),
    };
    let client = Client::builder()
        .base_url("claudeApi", &args.base_url)
        .base_url("messageBatchesApi", &args.base_url)
        .base_url("files", &args.base_url)
        .max_retry_delay(max_delay)
        .loop_pacing(pacing)
        // The run's progress shows here, where its requests are sent: one line per event.
        .observer(Arc::new(Progress::plain(std::io::stderr())))
        .build();
    let client = match client {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let api_key = Secret::new(api_key);
    let batch_secrets = batch::durable::Secrets { api_key: api_key.clone() };
    let cancel_secrets = cancel::durable::Secrets { api_key: api_key.clone() };
    // The durable tests' workflow that runs workflows, and its callees as services of their own.
    let create_then_read = nested::create_then_read::durable::Secrets { api_key: api_key.clone() };
    let create_batch = nested::create_batch::durable::Secrets { api_key: api_key.clone() };
    let confirm_batch = nested::confirm_batch::durable::Secrets { api_key: api_key.clone() };
    // And a workflow whose output is a binary download.
    let upload = files::upload_and_read_back::durable::Secrets { api_key };
    let endpoint = Endpoint::builder()
        .bind(service(batch::durable::Workflow::new(client.clone(), batch_secrets)))
        .bind(service(cancel::durable::Workflow::new(client.clone(), cancel_secrets)))
        .bind(service(nested::create_then_read::durable::Workflow::new(client.clone(), create_then_read)))
        .bind(service(nested::create_batch::durable::Workflow::new(client.clone(), create_batch)))
        .bind(service(nested::confirm_batch::durable::Workflow::new(client.clone(), confirm_batch)))
        .bind(service(files::upload_and_read_back::durable::Workflow::new(client, upload)))
        .build();
    let listener = match tokio::net::TcpListener::bind(("127.0.0.1", args.port)).await {
        Ok(l) => l,
        Err(e) => return fail(format!("cannot listen on port {}: {e}", args.port)),
    };
    let url = match listener.local_addr() {
        Ok(addr) => format!("http://{addr}"),
        Err(e) => return fail(e),
    };
    eprintln!("durable-worker listening on {url}");
    let server = tokio::spawn(HttpServer::new(endpoint).serve(listener));
    if let Some(admin) = &args.register {
        if let Err(e) = register(admin, &url).await {
            return fail(e);
        }
        eprintln!("registered {url} with {admin}");
    }
    match server.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(e),
    }
}
