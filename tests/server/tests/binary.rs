//! The `batches-server` binary prints its address and serves requests.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn binary_prints_address_and_serves() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_batches-server"))
        .args(["--port", "0", "--api-key", "k", "--polls", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let mut line = String::new();
    let stdout = child.stdout.take().expect("stdout");
    BufReader::new(stdout).read_line(&mut line).expect("first line");
    let base = line.trim().strip_prefix("listening on ").map(str::to_owned);

    let result = async {
        let base = base.ok_or("no address line")?;
        if !base.starts_with("http://127.0.0.1:") {
            return Err("unexpected address");
        }
        let response = reqwest::Client::new()
            .get(format!("{base}/v1/messages/batches"))
            .header("x-api-key", "k")
            .header("anthropic-version", "2023-06-01")
            .send()
            .await
            .map_err(|_| "request failed")?;
        Ok(response.status().as_u16())
    }
    .await;
    child.kill().expect("kill child");
    let _ = child.wait();
    assert_eq!(result, Ok(200));
}
