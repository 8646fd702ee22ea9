//! Live progress of running workflows, fed by the runtime's [`Observer`] events: on a terminal,
//! one updating line per workflow (indicatif); elsewhere, one plain line per event.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use arazzo_runtime::{Observer, StepFinished, StepStarted, WaitReason, Waiting};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value;

/// What is known of one running workflow.
#[derive(Debug, Clone)]
pub struct Row {
    /// When its first request started.
    pub started: Instant,
    /// The step running, or last run.
    pub step: String,
    /// The last response's HTTP status.
    pub http: Option<u16>,
    /// The batch's `processing_status`, from the last response that had one.
    pub batch_status: Option<String>,
    /// The batch's `request_counts`, from the last response that had them.
    pub counts: Option<Value>,
    /// The wait in progress: when it ends, and why.
    pub waiting: Option<(Instant, WaitReason)>,
}

impl Row {
    fn new(step: &str) -> Row {
        Row {
            started: Instant::now(),
            step: step.to_string(),
            http: None,
            batch_status: None,
            counts: None,
            waiting: None,
        }
    }

    /// The row as one line at `now`: step, HTTP status, batch status, request counts, elapsed
    /// time and, while waiting, a countdown to the next request.
    pub fn text(&self, now: Instant) -> String {
        let mut parts = vec![self.step.clone()];
        if let Some(http) = self.http {
            parts.push(format!("HTTP {http}"));
        }
        parts.extend(self.batch_status.clone());
        parts.extend(self.counts.as_ref().and_then(counts_text));
        parts.push(format!("{}s", now.saturating_duration_since(self.started).as_secs()));
        if let Some((until, reason)) = self.waiting {
            let left = until.saturating_duration_since(now);
            parts.push(format!("next request in {}s ({})", left.as_secs_f64().ceil(), reason_text(reason)));
        }
        parts.join(" · ")
    }
}

/// `request_counts` with its non-zero members: `processing 2, succeeded 1`.
fn counts_text(counts: &Value) -> Option<String> {
    let members = counts.as_object()?;
    let nonzero: Vec<String> = members
        .iter()
        .filter_map(|(k, v)| v.as_u64().filter(|n| *n > 0).map(|n| format!("{k} {n}")))
        .collect();
    Some(if nonzero.is_empty() { "no requests".into() } else { nonzero.join(", ") })
}

fn reason_text(reason: WaitReason) -> String {
    match reason {
        WaitReason::RetryDelay(action) => action.to_string(),
        WaitReason::RetryAfterHeader => "Retry-After".into(),
        WaitReason::LoopPacing => "loop pacing".into(),
        WaitReason::Backoff => "backoff".into(),
        _ => "waiting".into(),
    }
}

enum Output {
    /// A bar per workflow, redrawn in place.
    Bars { multi: MultiProgress, bars: Mutex<BTreeMap<String, ProgressBar>> },
    /// A line per event.
    Plain(Mutex<Box<dyn Write + Send>>),
}

/// The progress display: an [`Observer`] to give the client.
pub struct Progress {
    rows: Mutex<BTreeMap<String, Row>>,
    output: Output,
}

impl Progress {
    /// Updating lines on stderr, which must be a terminal.
    pub fn terminal() -> Progress {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        Progress { rows: Mutex::default(), output: Output::Bars { multi, bars: Mutex::default() } }
    }

    /// One plain line per event, written to `out`.
    pub fn plain(out: impl Write + Send + 'static) -> Progress {
        Progress { rows: Mutex::default(), output: Output::Plain(Mutex::new(Box::new(out))) }
    }

    /// The line of `workflow` now, if it has started.
    pub fn line(&self, workflow: &str) -> Option<String> {
        let rows = self.rows.lock().ok()?;
        rows.get(workflow).map(|r| r.text(Instant::now()))
    }

    /// Redraws the updating lines (their countdowns); call it a few times a second.
    pub fn tick(&self) {
        let Output::Bars { bars, .. } = &self.output else { return };
        let (Ok(rows), Ok(bars)) = (self.rows.lock(), bars.lock()) else { return };
        let now = Instant::now();
        for (workflow, bar) in bars.iter() {
            if let Some(row) = rows.get(workflow) {
                bar.set_message(row.text(now));
            }
        }
    }

    /// Leaves the line of `workflow` on screen as it is, once the workflow is done.
    pub fn finish(&self, workflow: &str) {
        let Ok(mut rows) = self.rows.lock() else { return };
        let Some(row) = rows.get_mut(workflow) else { return };
        row.waiting = None;
        let text = row.text(Instant::now());
        drop(rows); // `tick` locks the rows first, then the bars.
        if let Output::Bars { bars, .. } = &self.output
            && let Ok(mut bars) = bars.lock()
            && let Some(bar) = bars.remove(workflow)
        {
            bar.finish_with_message(text);
        }
    }

    /// Applies `change` to the row of `workflow`, then shows it.
    fn update(&self, workflow: &str, step: &str, change: impl FnOnce(&mut Row)) {
        let Ok(mut rows) = self.rows.lock() else { return };
        let row = rows.entry(workflow.to_string()).or_insert_with(|| Row::new(step));
        change(row);
        let text = row.text(Instant::now());
        drop(rows);
        match &self.output {
            Output::Bars { multi, bars } => {
                let Ok(mut bars) = bars.lock() else { return };
                let bar = bars.entry(workflow.to_string()).or_insert_with(|| {
                    let style = ProgressStyle::with_template("{spinner} {prefix:.bold} {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner());
                    let bar = multi.add(ProgressBar::new_spinner().with_style(style));
                    bar.set_prefix(workflow.to_string());
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar
                });
                bar.set_message(text);
            }
            Output::Plain(out) => {
                if let Ok(mut out) = out.lock() {
                    // Progress is best effort: a closed stderr must not stop the workflows.
                    let _ = writeln!(out, "{workflow}: {text}");
                }
            }
        }
    }
}

impl Observer for Progress {
    fn step_started(&self, e: &StepStarted<'_>) {
        self.update(e.workflow, e.step, |row| {
            row.step = e.step.to_string();
            row.waiting = None;
        });
    }

    fn step_finished(&self, e: &StepFinished<'_>) {
        let body: Value = serde_json::from_slice(e.body).unwrap_or(Value::Null);
        self.update(e.workflow, e.step, |row| {
            row.http = e.status;
            if let Some(status) = body.get("processing_status").and_then(Value::as_str) {
                row.batch_status = Some(status.to_string());
            }
            if let Some(counts) = body.get("request_counts") {
                row.counts = Some(counts.clone());
            }
        });
    }

    fn waiting(&self, e: &Waiting<'_>) {
        self.update(e.workflow, e.step, |row| row.waiting = Some((e.until, e.reason)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_counts_down_to_the_next_request() {
        let start = Instant::now();
        let row = Row {
            started: start,
            step: "pollBatchStatus".into(),
            http: Some(200),
            batch_status: Some("in_progress".into()),
            counts: Some(json!({ "processing": 2, "succeeded": 1, "errored": 0 })),
            waiting: Some((start + Duration::from_secs(30), WaitReason::RetryDelay("retryWhileProcessing"))),
        };
        assert_eq!(
            row.text(start + Duration::from_millis(12_500)),
            "pollBatchStatus · HTTP 200 · in_progress · processing 2, succeeded 1 · 12s · next request in 18s (retryWhileProcessing)"
        );
        assert!(
            row.text(start + Duration::from_secs(40)).ends_with("next request in 0s (retryWhileProcessing)")
        );
    }
}
