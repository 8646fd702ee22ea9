//! Runs the seed workflows end to end: against an in-process local Message Batches server by
//! default, or against `--base-url` (for example the real API).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use arazzo_runtime::durable::start_or_attach;
use arazzo_runtime::{Client, Error, Secret};
use clap::{Parser, ValueEnum};
use generated_example::durable::{
    batch_process_and_retrieve_results as batch, cancel_and_confirm_batch as cancel,
};
use generated_example::progress::Progress;
use serde_json::{Value, json};

#[derive(Parser)]
#[command(about = "Run the Message Batches seed workflows, compiled from workflows/arazzo/")]
struct Args {
    /// Base URL of the Message Batches API; without it a local server is started in-process.
    #[arg(long)]
    base_url: Option<String>,
    /// API key (default: $ANTHROPIC_API_KEY; any value works against the local server).
    #[arg(long)]
    api_key: Option<String>,
    /// Which workflow to run.
    #[arg(long, value_enum, default_value = "all")]
    workflow: Which,
    /// A JSON array of batch requests (default: a small built-in sample).
    #[arg(long)]
    requests: Option<PathBuf>,
    /// Cap on any single wait (retryAfter, Retry-After, loop pacing), in seconds.
    #[arg(long)]
    max_retry_delay: Option<f64>,
    /// Timeout of each request, in seconds (default 600).
    #[arg(long, value_name = "SECONDS")]
    request_timeout: Option<f64>,
    /// Print each workflow's outputs as one JSON object per line on stdout, keyed by the Arazzo
    /// output names (the batch workflow's line first when both run); progress in plain lines.
    #[arg(long)]
    json: bool,
    /// Run durably: start the workflow through Restate's ingress at this URL (for example
    /// http://127.0.0.1:8080), served by `durable-worker`, and wait for its result. Needs
    /// --base-url, from which the batch workflow's results are read after the run.
    #[arg(long, value_name = "URL", requires = "base_url")]
    restate_ingress: Option<String>,
    /// With --restate-ingress: the run's id. A run with this id that exists already is joined,
    /// not started again. Default: a new id, printed on stderr.
    #[arg(long, value_name = "ID", requires = "restate_ingress")]
    run_id: Option<String>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Which {
    #[value(name = "batch-process-and-retrieve-results")]
    Batch,
    #[value(name = "cancel-and-confirm-batch")]
    Cancel,
    All,
}

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let requests = match &args.requests {
        Some(path) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_str::<Vec<Value>>(&t).map_err(|e| e.to_string()))
        {
            Ok(r) => r,
            Err(e) => return fail(format!("--requests {}: {e}", path.display())),
        },
        None => batches_server::sample_requests(3).as_array().cloned().unwrap_or_default(),
    };
    let api_key = args.api_key.clone().or_else(|| std::env::var("ANTHROPIC_API_KEY").ok());
    let max_delay = match args.max_retry_delay.map(Duration::try_from_secs_f64).transpose() {
        Ok(d) => d,
        Err(e) => return fail(format!("--max-retry-delay: {e}")),
    };
    let request_timeout = match args.request_timeout.map(Duration::try_from_secs_f64).transpose() {
        Ok(d) => d,
        Err(e) => return fail(format!("--request-timeout: {e}")),
    };
    let (base_url, _server, api_key, max_delay, pacing) = match args.base_url.clone() {
        Some(url) => {
            let Some(key) = api_key else {
                return fail("an API key is needed: pass --api-key or set ANTHROPIC_API_KEY");
            };
            (url, None, key, max_delay, Duration::from_secs(1))
        }
        None => {
            let server =
                match batches_server::TestServer::start(batches_server::ServerConfig::default()).await {
                    Ok(s) => s,
                    Err(e) => return fail(format!("cannot start the local server: {e}")),
                };
            eprintln!("local Message Batches server on {}", server.base_url());
            let delay = max_delay.or(Some(Duration::from_millis(200)));
            (
                server.base_url(),
                Some(server),
                api_key.unwrap_or_else(|| "local-test-key".into()),
                delay,
                Duration::from_millis(200),
            )
        }
    };
    // Updating lines need a terminal; pipes, CI logs and `--json` runs get a line per event.
    let progress = Arc::new(if std::io::stderr().is_terminal() && !args.json {
        Progress::terminal()
    } else {
        Progress::plain(std::io::stderr())
    });
    let ticker = {
        let progress = Arc::clone(&progress);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(Duration::from_millis(250));
            loop {
                every.tick().await;
                progress.tick();
            }
        })
    };
    let mut client = Client::builder()
        .base_url("claudeApi", &base_url)
        .base_url("messageBatchesApi", &base_url)
        .max_retry_delay(max_delay)
        .loop_pacing(pacing)
        .observer(progress.clone());
    if let Some(timeout) = request_timeout {
        client = client.timeout(timeout);
    }
    let client = match client.build() {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    // Both workflows may share one id: each workflow is its own Restate service.
    let run_id = |workflow: &str| {
        let id = args.run_id.clone().unwrap_or_else(new_run_id);
        eprintln!("durable run `{id}` of {workflow}");
        id
    };
    // One after the other (the server's request log in tests/cli.rs is read in that order).
    let run_batch = async {
        if !matches!(args.workflow, Which::Batch | Which::All) {
            return Ok(None);
        }
        let workflow = "batch-process-and-retrieve-results";
        let inputs = batch::batch_process_and_retrieve_results::Inputs {
            api_key: Secret::new(api_key.clone()),
            anthropic_version: None,
            requests: requests.clone(),
        };
        let out = match &args.restate_ingress {
            Some(ingress) => {
                let (input, secrets) = inputs.split();
                let run_id = run_id(workflow);
                let out: batch::batch_process_and_retrieve_results::durable::Outputs =
                    start_or_attach(ingress, workflow, &run_id, &input).await?;
                out.open(&client, &secrets).await?
            }
            None => batch::batch_process_and_retrieve_results(&client, inputs).await?,
        };
        let results = out.results.try_collect().await?;
        progress.finish(workflow);
        Ok::<_, Error>(Some(json!({
            "batchId": out.batch_id,
            "requestCounts": out.request_counts,
            "resultsUrl": out.results_url,
            "results": results,
        })))
    };
    let run_cancel = async {
        if !matches!(args.workflow, Which::Cancel | Which::All) {
            return Ok(None);
        }
        let workflow = "cancel-and-confirm-batch";
        let inputs = cancel::cancel_and_confirm_batch::Inputs {
            api_key: Secret::new(api_key.clone()),
            requests: requests.clone(),
        };
        let out = match &args.restate_ingress {
            Some(ingress) => {
                let (input, _) = inputs.split();
                let run_id = run_id(workflow);
                let out: cancel::cancel_and_confirm_batch::durable::Outputs =
                    start_or_attach(ingress, workflow, &run_id, &input).await?;
                out.into()
            }
            None => cancel::cancel_and_confirm_batch(&client, inputs).await?,
        };
        progress.finish(workflow);
        Ok::<_, Error>(Some(json!({
            "batchId": out.batch_id,
            "processingStatus": out.processing_status,
            "requestCounts": out.request_counts,
        })))
    };
    match run_batch.await {
        Ok(outputs) => {
            outputs.into_iter().for_each(|o| report("batch-process-and-retrieve-results", o, args.json))
        }
        Err(e) => return fail(e),
    }
    match run_cancel.await {
        Ok(outputs) => outputs.into_iter().for_each(|o| report("cancel-and-confirm-batch", o, args.json)),
        Err(e) => return fail(e),
    }
    ticker.abort();
    ExitCode::SUCCESS
}

/// A run id unlikely to have been used before: the time in nanoseconds and the process id.
fn new_run_id() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    format!("run-{:x}-{:x}", now.as_nanos(), std::process::id())
}

fn report(workflow: &str, outputs: Value, as_json: bool) {
    if as_json {
        println!("{outputs}");
    } else {
        println!("{workflow}:");
        if let Some(map) = outputs.as_object() {
            for (k, v) in map {
                match v.as_array() {
                    Some(items) => println!("  {k}: {} item(s)", items.len()),
                    None => println!("  {k}: {v}"),
                }
            }
        }
    }
}
