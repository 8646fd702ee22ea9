//! `cargo bench -p arazzo-tests --bench check`: median time (of 50 runs) to load and check each seed
//! and each Arazzo document of the shared corpus (`<workspace>/../shared/arazzo-corpus`, skipped when
//! absent), and to generate code for each seed and each corpus document that compiles.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use arazzo_codegen::Settings;

const RUNS: usize = 50;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time(mut f: impl FnMut()) -> Duration {
    f(); // warm up
    median(
        (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn is_arazzo(path: &Path) -> bool {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    matches!(ext, "yaml" | "yml" | "json")
        && std::fs::read_to_string(path)
            .is_ok_and(|t| t.lines().any(|l| l.starts_with("arazzo:") || l.contains("\"arazzo\":")))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            walk(&p, out);
        } else if is_arazzo(&p) {
            out.push(p);
        }
    }
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let settings = Settings { base_dir: root.clone(), ..Default::default() };
    let seeds = ["batch-process-and-retrieve-results", "cancel-and-confirm-batch"]
        .map(|n| PathBuf::from(format!("workflows/arazzo/{n}.arazzo.yaml")));

    println!("load + check, median of {RUNS} runs:");
    for seed in &seeds {
        let checked = arazzo_codegen::check(seed, &settings);
        let d = time(|| {
            std::hint::black_box(arazzo_codegen::check(seed, &settings));
        });
        let errors = if checked.diagnostics.has_errors() { "errors" } else { "ok" };
        println!("  {:>10.3} ms  {} ({errors})", d.as_secs_f64() * 1e3, seed.display());
    }

    let corpus = root.join("../shared/arazzo-corpus");
    if corpus.is_dir() {
        let mut files = Vec::new();
        walk(&corpus, &mut files);
        files.sort();
        // Remote sources whose documents the corpus holds are mapped to them.
        let plain = Settings::default()
            .source(
                "https://cafe.redocly.com/_bundle/openapi/cafe.yaml",
                corpus.join("Redocly__redocly-cli/resources/cafe.yaml"),
            )
            .source(
                "https://api.example.com/openapi.yaml",
                corpus.join("sv-tools__roas/crates/roas-arazzo-executor/tests/data/petstore.openapi.yaml"),
            );
        let mut total = Duration::ZERO;
        for f in &files {
            let checked = arazzo_codegen::check(f, &plain);
            let d = time(|| {
                std::hint::black_box(arazzo_codegen::check(f, &plain));
            });
            total += d;
            let errors = if checked.diagnostics.has_errors() { "errors" } else { "ok" };
            println!(
                "  {:>10.3} ms  {} ({errors})",
                d.as_secs_f64() * 1e3,
                f.strip_prefix(&corpus).unwrap_or(f).display()
            );
        }
        println!("  {:>10.3} ms  corpus total ({} documents)", total.as_secs_f64() * 1e3, files.len());
        println!("generate + format, corpus documents that compile, median of {RUNS} runs:");
        let mut total = Duration::ZERO;
        let compiling: Vec<&PathBuf> =
            files.iter().filter(|f| arazzo_codegen::generate(f, &plain).is_ok()).collect();
        for f in &compiling {
            let d = time(|| {
                let g = arazzo_codegen::generate(f, &plain).expect("compiled before");
                std::hint::black_box(g.to_file_string("regen"));
            });
            total += d;
            println!(
                "  {:>10.3} ms  {}",
                d.as_secs_f64() * 1e3,
                f.strip_prefix(&corpus).unwrap_or(f).display()
            );
        }
        println!("  {:>10.3} ms  total ({} documents)", total.as_secs_f64() * 1e3, compiling.len());
    } else {
        println!("  (corpus {} absent; skipped)", corpus.display());
    }

    println!("generate (load, check, emit tokens), median of {RUNS} runs:");
    for seed in &seeds {
        let d = time(|| {
            std::hint::black_box(arazzo_codegen::generate(seed, &settings).ok());
        });
        println!("  {:>10.3} ms  {}", d.as_secs_f64() * 1e3, seed.display());
    }
    println!("generate + format (to_file_string), median of {RUNS} runs:");
    for seed in &seeds {
        let d = time(|| {
            let g = arazzo_codegen::generate(seed, &settings).expect("seed compiles");
            std::hint::black_box(g.to_file_string("regen"));
        });
        println!("  {:>10.3} ms  {}", d.as_secs_f64() * 1e3, seed.display());
    }
}
