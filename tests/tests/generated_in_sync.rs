//! The committed generated code (`generated-example/src/generated/*.rs`) is what the CLI writes
//! today; generation is deterministic; the macro and build.rs front ends produce the same tokens.
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
    let settings = Settings { base_dir, ..Default::default() };
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
    for name in SEEDS {
        // build.rs: base_dir = workspace root, path relative to it.
        let built = generate(&rel(name), root()).tokens.to_string();
        // proc-macro in generated-example: base_dir = its CARGO_MANIFEST_DIR, path `../workflows/...`.
        let macro_base = root().join("generated-example");
        let macro_path = PathBuf::from(format!("../workflows/arazzo/{name}.arazzo.yaml"));
        let expanded = generate(&macro_path, macro_base).tokens.to_string();
        assert_eq!(built, expanded, "{name}: macro and build.rs tokens differ");
    }
}
