//! Durable runs for real: `restate-server` from the npm registry (installed once under the target
//! directory), `durable-worker` processes to kill, and the example binary as the caller. Shared
//! by `tests/durable.rs` and `benches/crash.rs`.

#![allow(dead_code)] // Each of the two targets uses part of it.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use batches_server::{Route, ServerConfig, TestServer};
use serde_json::Value;

/// The server version this SDK (restate-sdk 0.13, service protocol v5/v6) is tested against.
pub const RESTATE_VERSION: &str = "1.7.12";
/// The API key: it must never reach Restate's data directory.
pub const KEY: &str = "sk-durable-4f9c2a71e0-never-journaled";
/// Every wait of a run (the batch seed's 30 s retry, the cancel seed's loop pacing), in seconds.
pub const WAIT: &str = "0.05";

/// The `restate-server` binary: `$RESTATE_SERVER_BIN`, or the npm package installed once into
/// the target directory (`npm install`, so the registry and its cache are npm's own).
pub fn restate_binary() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("RESTATE_SERVER_BIN") {
            return bin.into();
        }
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("restate-server-{RESTATE_VERSION}"));
        if let Some(bin) = find_binary(&dir) {
            return bin;
        }
        // Installed next to it, then renamed: a concurrent test never sees half an install.
        let partial = dir.with_extension(format!("partial-{}", std::process::id()));
        let status = Command::new("npm")
            .args(["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
            .arg(&partial)
            .arg(format!("@restatedev/restate-server@{RESTATE_VERSION}"))
            .status()
            .expect("npm runs (Node.js is needed for the durable tests)");
        assert!(status.success(), "npm install @restatedev/restate-server@{RESTATE_VERSION} failed");
        if std::fs::rename(&partial, &dir).is_err() {
            // Another process installed it first.
            let _ = std::fs::remove_dir_all(&partial);
        }
        find_binary(&dir).expect("the npm package holds a restate-server binary for this platform")
    })
    .clone()
}

/// `node_modules/@restatedev/restate-server-<platform>/bin/restate-server` under `dir`.
fn find_binary(dir: &Path) -> Option<PathBuf> {
    let scope = dir.join("node_modules/@restatedev");
    std::fs::read_dir(scope).ok()?.flatten().find_map(|entry| {
        let bin = entry.path().join("bin/restate-server");
        let platform = entry.file_name().to_string_lossy().starts_with("restate-server-");
        (platform && bin.is_file()).then_some(bin)
    })
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// A unique directory under the target directory, removed by its owner's `Drop`.
fn temp_dir(what: &str) -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{what}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// A `restate-server` on free loopback ports with its own data directory; killed and removed
/// on drop.
pub struct Restate {
    child: Child,
    dir: PathBuf,
    /// Fabric, ingress, admin, Postgres ports.
    ports: [u16; 4],
    pub ingress: String,
    pub admin: String,
}

impl Restate {
    pub async fn start() -> Restate {
        let ports = [free_port(), free_port(), free_port(), free_port()];
        let dir = temp_dir("restate");
        let child = spawn_restate(&dir, ports);
        let restate = Restate {
            child,
            ingress: format!("http://127.0.0.1:{}", ports[1]),
            admin: format!("http://127.0.0.1:{}", ports[2]),
            dir,
            ports,
        };
        restate.ready().await;
        restate
    }

    /// Kills the server (SIGKILL) and starts it again on the same data directory and ports.
    pub async fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn_restate(&self.dir, self.ports);
        self.ready().await;
    }

    async fn ready(&self) {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        for url in [format!("{}/health", self.admin), format!("{}/restate/health", self.ingress)] {
            while !http.get(&url).send().await.is_ok_and(|r| r.status().is_success()) {
                assert!(Instant::now() < deadline, "restate-server not ready; see {}", self.dir.display());
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// The rows of a query of Restate's introspection tables (`sys_journal`, `sys_invocation`).
    pub async fn query(&self, sql: &str) -> Vec<Value> {
        let response = reqwest::Client::new()
            .post(format!("{}/query", self.admin))
            .header("accept", "application/json")
            .json(&serde_json::json!({ "query": sql }))
            .send()
            .await
            .expect("the admin API answers");
        let body: Value = response.json().await.expect("a JSON answer");
        body["rows"].as_array().cloned().unwrap_or_else(|| panic!("no rows: {body}"))
    }

    /// The journal entries of every run of `workflow`: (entry type, name, raw length).
    pub async fn journal(&self, workflow: &str) -> Vec<(String, String, u64)> {
        let sql = format!(
            "SELECT j.entry_type, j.name, j.raw_length FROM sys_journal j JOIN sys_invocation i ON j.id = i.id \
             WHERE i.target_service_name = '{workflow}' ORDER BY j.id, j.index"
        );
        let rows = self.query(&sql).await;
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        rows.iter()
            .map(|r| (text(&r["entry_type"]), text(&r["name"]), r["raw_length"].as_u64().unwrap_or(0)))
            .collect()
    }
}

fn spawn_restate(dir: &Path, [fabric, ingress, admin, pg]: [u16; 4]) -> Child {
    let log =
        std::fs::OpenOptions::new().create(true).append(true).open(dir.join("restate.log")).expect("a log");
    Command::new(restate_binary())
        .args(["--no-logo", "--listen-mode", "tcp", "--default-num-partitions", "1", "--base-dir"])
        .arg(dir.join("data"))
        .env("RESTATE_BIND_ADDRESS", format!("127.0.0.1:{fabric}"))
        .env("RESTATE_INGRESS__BIND_ADDRESS", format!("127.0.0.1:{ingress}"))
        .env("RESTATE_ADMIN__BIND_ADDRESS", format!("127.0.0.1:{admin}"))
        .env("RESTATE_ADMIN__QUERY_ENGINE__PGSQL_BIND_ADDRESS", format!("127.0.0.1:{pg}"))
        // Uncompressed, so that the test's search of the data directory for the key would find it.
        .env("RESTATE_ROCKSDB_DISABLE_WAL_COMPRESSION", "true")
        .env("RESTATE_ROCKSDB_DISABLE_L0_L1_COMPRESSION", "true")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("restate-server starts")
}

impl Drop for Restate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Whether any file under `dir` holds `needle`.
pub fn dir_contains(dir: &Path, needle: &str) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    entries.flatten().any(|entry| {
        let path = entry.path();
        if path.is_dir() {
            return dir_contains(&path, needle);
        }
        let bytes = std::fs::read(&path).unwrap_or_default();
        bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
    })
}

/// A `durable-worker` process serving both seeds against `base_url`.
pub struct Worker {
    child: Child,
    base_url: String,
    pub port: u16,
}

impl Worker {
    /// Starts a worker on a free port and registers it with Restate's admin API.
    pub fn start(base_url: &str, admin: &str) -> Worker {
        let (child, port) = spawn_worker(base_url, 0, Some(admin));
        Worker { child, base_url: base_url.into(), port }
    }

    /// SIGKILL: no chance to finish what it was doing.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Starts it again on the same port (Restate knows it there).
    pub fn restart(&mut self) {
        self.kill();
        self.child = spawn_worker(&self.base_url, self.port, None).0;
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Spawns a worker and waits until it listens (and is registered); its stderr is drained by a
/// thread so that it never blocks.
fn spawn_worker(base_url: &str, port: u16, admin: Option<&str>) -> (Child, u16) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_durable-worker"));
    command.args(["--base-url", base_url, "--port", &port.to_string(), "--max-retry-delay", WAIT]);
    command.args(["--loop-pacing", WAIT]).env("ANTHROPIC_API_KEY", KEY);
    if let Some(admin) = admin {
        command.args(["--register", admin]);
    }
    let mut child = command.stderr(Stdio::piped()).spawn().expect("durable-worker starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut port = 0;
    for line in lines.by_ref() {
        let line = line.expect("a line");
        if let Some(url) = line.strip_prefix("durable-worker listening on http://127.0.0.1:") {
            port = url.parse().expect("a port");
        }
        assert!(!line.starts_with("error:"), "{line}");
        if port != 0 && (admin.is_none() || line.starts_with("registered")) {
            break;
        }
    }
    assert_ne!(port, 0, "the worker did not start");
    std::thread::spawn(move || lines.for_each(drop));
    (child, port)
}

/// The example binary's arguments for `workflow` against `server` (`--json`); durable with
/// `ingress` and `run_id`.
pub fn example_args(server: &TestServer, workflow: &str, durable: Option<(&str, &str)>) -> Vec<String> {
    let mut args = vec!["--base-url", &server.base_url(), "--workflow", workflow, "--json"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    args.extend(["--max-retry-delay", WAIT].map(String::from));
    if let Some((ingress, run_id)) = durable {
        args.extend(["--restate-ingress", ingress, "--run-id", run_id].map(String::from));
    }
    args
}

/// Starts the example binary.
pub fn spawn_example(args: &[String]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_generated-example"))
        .args(args)
        .env("ANTHROPIC_API_KEY", KEY)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example starts")
}

/// Runs the example binary to its end.
pub async fn run_example(args: Vec<String>) -> Output {
    tokio::task::spawn_blocking(move || spawn_example(&args).wait_with_output().expect("it ends"))
        .await
        .expect("joined")
}

/// The `--json` lines with the server's base URL taken out, so that two servers' runs compare.
pub fn outputs(out: &Output, server: &TestServer) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(KEY), "the key leaked: {stderr}");
    String::from_utf8_lossy(&out.stdout).replace(&server.base_url(), "BASE")
}

/// The routes of the requests `server` saw, in order.
pub fn routes(server: &TestServer) -> Vec<Route> {
    server.requests().iter().map(|r| r.route).collect()
}

/// The local server for the batch seed: `polls` answers `in_progress` before the batch ends.
pub async fn batches_server(polls: u32) -> TestServer {
    let config =
        ServerConfig { api_key: Some(KEY.into()), polls_until_ended: polls, ..ServerConfig::default() };
    TestServer::start(config).await.expect("the local server starts")
}

pub const BATCH: &str = "batch-process-and-retrieve-results";
pub const CANCEL: &str = "cancel-and-confirm-batch";

/// A durable run of the batch seed whose worker was SIGKILLed `kills` times while it polled.
pub struct Crash {
    pub restate: Restate,
    pub server: TestServer,
    pub output: Output,
    pub kills: usize,
}

/// Runs the batch seed durably (`polls` answers `in_progress`), killing the worker `kills` times
/// at random moments while it polls and starting it again, every other time only after several
/// poll intervals.
pub async fn crash_run(kills: usize, polls: u32) -> Crash {
    let restate = Restate::start().await;
    let server = batches_server(polls).await;
    let mut worker = Worker::start(&server.base_url(), &restate.admin);
    let caller = spawn_example(&example_args(&server, BATCH, Some((&restate.ingress, "crash"))));
    while !routes(&server).contains(&Route::Retrieve) {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for i in 0..kills {
        tokio::time::sleep(Duration::from_millis(fastrand::u64(20..300))).await;
        worker.kill();
        if i % 2 == 1 {
            tokio::time::sleep(Duration::from_millis(fastrand::u64(100..400))).await;
        }
        worker.restart();
    }
    let output = tokio::task::spawn_blocking(move || caller.wait_with_output().expect("it ends"))
        .await
        .expect("joined");
    Crash { restate, server, output, kills }
}
