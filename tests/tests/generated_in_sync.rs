//! The committed generated code (`generated-example/src/generated/*.rs`) is what the CLI writes
//! today; generation is deterministic; the three front ends produce the same tokens, build.rs and
//! the macro with the seeds' quirks acknowledged as `generated-example` does.
//!
//! Refresh the committed files with `EXPECTORATE=overwrite cargo test -p arazzo-tests --test generated_in_sync`.

use std::path::{Path, PathBuf};

use arazzo_codegen::{Generated, Settings};

const SEEDS: [&str; 2] = ["batch-process-and-retrieve-results", "cancel-and-confirm-batch"];
const OUT_DIR: &str = "generated-example/src/generated";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn rel(name: &str) -> PathBuf {
    PathBuf::from(format!("workflows/arazzo/{name}.arazzo.yaml"))
}

fn generate(path: &Path, base_dir: PathBuf) -> Generated {
    generate_with(path, Settings { base_dir, ..Default::default() })
}

fn generate_with(path: &Path, settings: Settings) -> Generated {
    match arazzo_codegen::generate(path, &settings) {
        Ok(g) => g,
        Err(checked) => panic!("{} does not compile:\n{}", path.display(), checked.render()),
    }
}

/// The same header line the CLI writes (`regenerate_command` in arazzo-codegen/cli/src/main.rs).
fn regenerate_command(file: &Path) -> String {
    format!("cargo run -p arazzo-codegen-cli -- generate {} -o {}", file.display(), OUT_DIR)
}

#[test]
fn committed_generated_code_is_up_to_date() {
    for name in SEEDS {
        let file = rel(name);
        let generated = generate(&file, root());
        let text = generated.to_file_string(&regenerate_command(&file));
        let module = arazzo_codegen::module_name(&file);
        expectorate::assert_contents(format!("../{OUT_DIR}/{module}.rs"), &text);
    }
}

#[test]
fn generation_is_deterministic() {
    for name in SEEDS {
        let file = rel(name);
        let first = generate(&file, root()).tokens.to_string();
        let second = generate(&file, root()).tokens.to_string();
        assert_eq!(first, second, "{name}: two runs differ");
        let absolute = root().join(&file);
        let third = generate(&absolute, PathBuf::new()).tokens.to_string();
        assert_eq!(first, third, "{name}: an absolute path with an empty base_dir differs");
    }
}

#[test]
fn macro_and_build_rs_front_ends_agree() {
    for (name, acknowledged) in SEEDS.into_iter().zip([["W0203", "W0302"], ["W0203", "W0304"]]) {
        // build.rs: base_dir = workspace root, path relative to it, the quirks of both seeds allowed.
        let settings = Settings { base_dir: root(), ..Default::default() };
        let built = generate_with(&rel(name), settings.allow("W0203").allow("W0302").allow("W0304"));
        assert!(built.checked.diagnostics.is_empty(), "{name}: {}", built.checked.render());
        // proc-macro in generated-example: base_dir = its CARGO_MANIFEST_DIR, path `../workflows/...`.
        let macro_base = root().join("generated-example");
        let macro_path = PathBuf::from(format!("../workflows/arazzo/{name}.arazzo.yaml"));
        let settings = Settings { base_dir: macro_base, ..Default::default() };
        let expanded = generate_with(&macro_path, settings.allow(acknowledged[0]).allow(acknowledged[1]));
        assert!(expanded.checked.diagnostics.is_empty(), "{name}: {}", expanded.checked.render());
        // The CLI: default settings, so `check` reports the quirks.
        let cli = generate(&rel(name), root());
        assert!(!cli.checked.diagnostics.is_empty(), "{name}: the CLI reports the quirks");
        let built = built.tokens.to_string();
        assert_eq!(built, expanded.tokens.to_string(), "{name}: macro and build.rs tokens differ");
        assert_eq!(built, cli.tokens.to_string(), "{name}: CLI and build.rs tokens differ");
    }
}
