//! `cargo bench -p arazzo-tests --bench adversarial`: for documents of adversarial shapes at
//! 0.25, 0.5 and 1 MB, built in memory and written to a temporary directory, the time to check
//! them and render the findings (what `arazzo-codegen check` does) and, where a document is
//! valid, to generate and format its code. Time per MB that stays flat across the sizes means
//! the cost grows linearly with the input. Other sizes, in MB, can be given as arguments:
//! `cargo bench -p arazzo-tests --bench adversarial -- 0.05 0.1`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arazzo_codegen::Settings;

const RUNS: usize = 3;
const MB: usize = 1 << 20;

const OPENAPI: &str = "openapi: 3.1.0
info: {title: things, version: '1'}
servers: [{url: 'http://localhost'}]
paths:
  /things/{id}:
    get:
      operationId: getThing
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: a thing
          content:
            application/json:
              schema:
                type: object
                properties:
                  status: {type: string}
";

/// A valid document: `workflows` is the text of its workflow list, `extra` of an `x-data` value.
fn document(description: &str, workflows: &str, extra: &str) -> String {
    format!(
        "arazzo: 1.0.1
info: {{title: adversarial, version: '1', description: {description}}}
sourceDescriptions:
  - {{name: api, url: ./api.openapi.yaml}}
workflows:
{workflows}x-data: {extra}
"
    )
}

fn step(id: &str, condition: &str) -> String {
    format!(
        "      - stepId: {id}
        operationId: getThing
        parameters:
          - {{name: id, in: path, value: x}}
        successCriteria:
          - condition: {condition}
        outputs:
          status: $response.body#/status
"
    )
}

fn workflow(id: &str, steps: &str) -> String {
    format!("  - workflowId: {id}\n    steps:\n{steps}")
}

fn one_step() -> String {
    workflow("w", &step("s", "$statusCode == 200"))
}

/// Repeats `unit` until `size` bytes are reached.
fn fill(unit: &str, size: usize) -> String {
    unit.repeat(size / unit.len().max(1) + 1)
}

fn shapes(size: usize) -> Vec<(&'static str, String)> {
    let half = size / 2;
    let steps = {
        let per_workflow: String = (0..100).map(|i| step(&format!("s{i}"), "$statusCode == 200")).collect();
        let count = size / per_workflow.len() + 1;
        (0..count).map(|w| workflow(&format!("w{w}"), &per_workflow)).collect::<String>()
    };
    // One comparison with a long literal. Not a long `&&` chain for now: lowering recurses once
    // per operator, and about 4,000 of them overflow the stack (bug reported with issue 8).
    let condition = format!("$response.header.X-Trace == '{}'", fill("x", size));
    vec![
        ("deep flow nesting", format!("{}{}", "[".repeat(half), "]".repeat(half))),
        ("deep block nesting", fill("- ", size)),
        ("one long line", document(&fill("x", size), &one_step(), "1")),
        (
            "many aliases",
            document(
                "d",
                &one_step(),
                &format!("{{a: &a [{}], b: [{}]}}", fill("1, ", 200), fill("*a, ", size)),
            ),
        ),
        // Implicit keys are at most 1024 characters long; an explicit one has no limit.
        (
            "huge key",
            document("d", &one_step(), &format!("\n  ? {}\n  : [{}1]", fill("k", half), fill("1, ", half))),
        ),
        ("many tiny steps", document("d", &steps, "1")),
        // One finding per step: collecting and rendering findings must stay linear too.
        (
            "one error per step",
            document(
                "d",
                &steps.replace("operationId: getThing", "operationId: getThing\n        bogus: 1"),
                "1",
            ),
        ),
        ("long condition", document("d", &workflow("w", &step("s", &condition)), "1")),
    ]
}

fn median(mut f: impl FnMut()) -> Duration {
    let mut v: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[v.len() / 2]
}

fn per_mb(d: Duration, bytes: usize) -> f64 {
    d.as_secs_f64() * 1e3 * MB as f64 / bytes as f64
}

fn main() {
    let dir: PathBuf = std::env::temp_dir().join(format!("arazzo-adversarial-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temporary directory");
    std::fs::write(dir.join("api.openapi.yaml"), OPENAPI).expect("write the OpenAPI file");
    let settings = Settings { base_dir: dir.clone(), ..Default::default() };
    println!("median of {RUNS} runs; ms/MB flat across sizes = linear");
    println!(
        "{:<20} {:>8} {:>10} {:>9} {:>12} {:>9}  result",
        "shape", "size KB", "check ms", "ms/MB", "generate ms", "ms/MB"
    );
    let mut sizes: Vec<usize> =
        std::env::args().filter_map(|a| a.parse::<f64>().ok()).map(|mb| (mb * MB as f64) as usize).collect();
    if sizes.is_empty() {
        sizes = vec![MB / 4, MB / 2, MB];
    }
    for size in sizes {
        for (name, text) in shapes(size) {
            let path = Path::new("doc.arazzo.yaml");
            std::fs::write(dir.join(path), &text).expect("write the document");
            let checked = arazzo_codegen::check(path, &settings);
            let result = match checked.diagnostics.sorted().iter().find(|d| d.is_error()) {
                Some(d) => format!("{} at {}:{}", d.code, d.line, d.column),
                None => "valid".to_string(),
            };
            let check = median(|| {
                std::hint::black_box(arazzo_codegen::check(path, &settings).render());
            });
            let generate = (!checked.diagnostics.has_errors()).then(|| {
                median(|| {
                    let g = arazzo_codegen::generate(path, &settings).expect("valid");
                    std::hint::black_box(g.to_file_string("adversarial"));
                })
            });
            let (gen_ms, gen_per_mb) = match generate {
                Some(d) => (format!("{:.1}", d.as_secs_f64() * 1e3), format!("{:.1}", per_mb(d, text.len()))),
                None => ("-".into(), "-".into()),
            };
            println!(
                "{name:<20} {:>8} {:>10.1} {:>9.1} {gen_ms:>12} {gen_per_mb:>9}  {result}",
                text.len() / 1024,
                check.as_secs_f64() * 1e3,
                per_mb(check, text.len()),
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
