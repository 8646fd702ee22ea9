//! `cargo bench -p arazzo-tests --bench compile_time`: compile-time cost of the three ways to get the
//! seed workflows into a crate. Three throwaway crates in `$TMP/arazzo-compile-bench-<pid>` share one
//! target dir, depend on this workspace by path and generate both seeds:
//!
//! - `committed`: `include!`s copies of `generated-example/src/generated/*.rs`;
//! - `macro`: `arazzo_macros::workflows!` on copies of the seeds (and their OpenAPI files);
//! - `build_rs`: `arazzo_codegen::Builder` in build.rs on copies of the seeds.
//!
//! Each time is the wall clock of one `cargo build` (cargo's own overhead included). Runs
//! (`COMPILE_BENCH_RUNS`, default 5) apply to the no-op and incremental rebuilds; the first build runs once.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const SEEDS: [&str; 2] = ["batch-process-and-retrieve-results", "cancel-and-confirm-batch"];

/// Removes the temp dir on exit, panics included.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

struct Cargo {
    target: PathBuf,
    offline: bool,
}

impl Cargo {
    fn run(&self, dir: &Path, args: &[&str]) -> Result<(), String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.args(args).current_dir(dir).env("CARGO_TARGET_DIR", &self.target);
        if self.offline {
            cmd.arg("--offline");
        }
        let out = cmd.output().map_err(|e| e.to_string())?;
        if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
    }

    fn build(&self, dir: &Path) -> Duration {
        let t = Instant::now();
        self.run(dir, &["build"]).unwrap_or_else(|e| panic!("cargo build in {}:\n{e}", dir.display()));
        t.elapsed()
    }
}

fn module(seed: &str) -> String {
    seed.replace('-', "_")
}

fn append(path: &Path, text: &str) {
    let mut s = fs::read_to_string(path).unwrap();
    s.push_str(text);
    fs::write(path, s).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap().flatten() {
        fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// Writes crate `name` under `tmp`: Cargo.toml, src/lib.rs, the workspace's Cargo.lock (same
/// versions, and `--offline` works), and the seeds with their OpenAPI files when `seeds`.
fn write_crate(tmp: &Path, root: &Path, name: &str, deps: &str, lib: &str, seeds: bool) -> PathBuf {
    let dir = tmp.join(name);
    fs::create_dir_all(dir.join("src")).unwrap();
    let runtime = root.join("arazzo-runtime");
    let manifest = format!(
        "[package]\nname = \"bench_{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\narazzo-runtime = {{ path = {runtime:?} }}\n{deps}\n\n\
         [workspace]\n\n[profile.dev.package.\"*\"]\ndebug = false\n"
    );
    fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    fs::write(dir.join("src/lib.rs"), lib).unwrap();
    fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    if seeds {
        copy_dir(&root.join("workflows/arazzo"), &dir.join("workflows/arazzo"));
        copy_dir(&root.join("workflows/openapi"), &dir.join("workflows/openapi"));
    }
    dir
}

fn median(mut v: Vec<Duration>) -> f64 {
    v.sort();
    v[v.len() / 2].as_secs_f64() * 1e3
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` / `--all-targets` does not: skip there.
    if !std::env::args().any(|a| a == "--bench") {
        println!("compile_time: skipped (run with `cargo bench -p arazzo-tests --bench compile_time`)");
        return;
    }
    let runs: usize =
        std::env::var("COMPILE_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5).max(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().canonicalize().unwrap();
    let tmp = TempDir(std::env::temp_dir().join(format!("arazzo-compile-bench-{}", std::process::id())));
    let _ = fs::remove_dir_all(&tmp.0);

    let mods = |body: &dyn Fn(&str) -> String| {
        SEEDS.map(|s| format!("pub mod {} {{ {} }}\n", module(s), body(s))).concat()
    };
    let committed = write_crate(
        &tmp.0,
        &root,
        "committed",
        "",
        &mods(&|s| format!("include!(\"{}.rs\");", module(s))),
        false,
    );
    for s in SEEDS {
        let file = format!("{}.rs", module(s));
        fs::copy(root.join("generated-example/src/generated").join(&file), committed.join("src").join(&file))
            .unwrap();
    }
    let macro_deps = format!("arazzo-macros = {{ path = {:?} }}", root.join("arazzo-macros"));
    let macro_lib = mods(&|s| format!("arazzo_macros::workflows!(\"workflows/arazzo/{s}.arazzo.yaml\");"));
    let macro_crate = write_crate(&tmp.0, &root, "macro", &macro_deps, &macro_lib, true);
    let build_deps =
        format!("\n[build-dependencies]\narazzo-codegen = {{ path = {:?} }}", root.join("arazzo-codegen"));
    let build_lib = mods(&|s| format!("include!(concat!(env!(\"OUT_DIR\"), \"/{}.rs\"));", module(s)));
    let build_crate = write_crate(&tmp.0, &root, "build_rs", &build_deps, &build_lib, true);
    let docs = SEEDS.map(|s| format!(".document(\"workflows/arazzo/{s}.arazzo.yaml\")")).concat();
    let build_rs = format!(
        "fn main() {{\n    let base = std::path::PathBuf::from(std::env::var(\"CARGO_MANIFEST_DIR\").unwrap());\n    \
         let settings = arazzo_codegen::Settings {{ base_dir: base, ..Default::default() }};\n    \
         arazzo_codegen::Builder::new().settings(settings){docs}.generate().unwrap_or_else(|e| panic!(\"{{e}}\"));\n}}\n"
    );
    fs::write(build_crate.join("build.rs"), build_rs).unwrap();

    let mut cargo = Cargo { target: tmp.0.join("target"), offline: true };
    let crates =
        [("committed", &committed, false), ("macro", &macro_crate, true), ("build.rs", &build_crate, true)];

    // Warm-up: builds every dependency once into the shared target dir.
    println!("compile_time: warming up dependencies in {} (runs: {runs}) ...", tmp.0.display());
    for (_, dir, _) in &crates {
        if cargo.offline && cargo.run(dir, &["build"]).is_err() {
            println!("compile_time: `cargo build --offline` failed; retrying online");
            cargo.offline = false;
        }
        cargo.build(dir);
    }

    // (first build, nothing changed, lib.rs touched, seed touched) per crate, in ms.
    let mut rows = Vec::new();
    for (name, dir, has_seeds) in &crates {
        cargo.run(dir, &["clean", "-p", &format!("bench_{}", name.replace('.', "_"))]).unwrap();
        let first = cargo.build(dir).as_secs_f64() * 1e3;
        let noop = median((0..runs).map(|_| cargo.build(dir)).collect());
        let lib = (0..runs)
            .map(|i| {
                append(&dir.join("src/lib.rs"), &format!("// touch {i}\n"));
                cargo.build(dir)
            })
            .collect();
        let seed = has_seeds.then(|| {
            median(
                (0..runs)
                    .map(|i| {
                        append(
                            &dir.join(format!("workflows/arazzo/{}.arazzo.yaml", SEEDS[0])),
                            &format!("# touch {i}\n"),
                        );
                        cargo.build(dir)
                    })
                    .collect(),
            )
        });
        rows.push((*name, first, noop, median(lib), seed));
    }

    println!();
    println!(
        "Wall-clock ms of one `cargo build{}` of a tiny crate holding both seeds, deps already built:",
        if cargo.offline { " --offline" } else { "" }
    );
    println!(
        "  first    = first build of the crate itself (after `cargo clean -p`; build.rs: compiling and running it), 1 run"
    );
    println!("  no-op    = rebuild with nothing changed (cargo's own overhead), median of {runs}");
    println!("  lib.rs   = rebuild after appending a comment to src/lib.rs, median of {runs}");
    println!(
        "  seed     = rebuild after appending a comment to the batch seed YAML, median of {runs} (committed code does not read it)"
    );
    println!("  x first, x lib.rs = ratio to the committed-code crate in that column");
    println!();
    println!(
        "  {:<10} {:>7} {:>7} {:>7} {:>7}   {:>8} {:>8}",
        "crate", "first", "no-op", "lib.rs", "seed", "x first", "x lib.rs"
    );
    let (_, base_first, _, base_lib, _) = rows[0];
    for (name, first, noop, lib, seed) in &rows {
        let seed = seed.map_or("n/a".to_string(), |s| format!("{s:.0}"));
        println!(
            "  {name:<10} {first:>7.0} {noop:>7.0} {lib:>7.0} {seed:>7}   {:>8.2} {:>8.2}",
            first / base_first,
            lib / base_lib
        );
    }
}
