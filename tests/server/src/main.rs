//! `batches-server`: serves the local Message Batches API until Ctrl-C.

use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use batches_server::{ServerConfig, TestServer};
use clap::Parser;

/// A local Anthropic Message Batches API server on 127.0.0.1.
#[derive(Debug, Parser)]
#[command(name = "batches-server", version)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Accept only this x-api-key (default: any non-empty key).
    #[arg(long)]
    api_key: Option<String>,
    /// Retrieves answered `in_progress` before a batch ends.
    #[arg(long, default_value_t = 3)]
    polls: u32,
    /// Retrieves answered `canceling` after a cancel before the batch ends.
    #[arg(long, default_value_t = 2)]
    cancel_polls: u32,
    /// Also end batches this many milliseconds after creation.
    #[arg(long)]
    processing_ms: Option<u64>,
    /// The content type of batch results.
    #[arg(long, default_value = "application/x-jsonl")]
    results_content_type: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let config = ServerConfig {
        api_key: args.api_key,
        polls_until_ended: args.polls,
        cancel_polls_until_ended: args.cancel_polls,
        processing_time: args.processing_ms.map(Duration::from_millis),
        faults: Vec::new(),
        results_content_type: args.results_content_type,
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let server = match TestServer::start_on(config, addr).await {
        Ok(server) => server,
        Err(error) => {
            eprintln!("batches-server: cannot listen on {addr}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", server.base_url());
    if let Err(error) = tokio::signal::ctrl_c().await {
        eprintln!("batches-server: cannot wait for Ctrl-C: {error}");
    }
    server.shutdown().await;
    ExitCode::SUCCESS
}
