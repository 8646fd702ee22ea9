//! Compile-fail tests for `arazzo_macros::workflows!`: each diagnostic is a compile error that
//! names `file:line:column`. Refresh the `.stderr` files with `TRYBUILD=overwrite`.
//!
//! trybuild builds the cases in `target/tests/trybuild/arazzo-tests`, and the macro resolves its
//! path against that crate's `CARGO_MANIFEST_DIR`, so the cases climb `../../../../` back to the
//! workspace root (this assumes the default target directory, `<workspace>/target`).

#[test]
fn ui() {
    let target = std::env::var_os("CARGO_TARGET_DIR").map(std::path::PathBuf::from);
    let default = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target");
    if let Some(t) = target
        && std::fs::canonicalize(&t).ok() != std::fs::canonicalize(&default).ok()
    {
        eprintln!(
            "skipping: CARGO_TARGET_DIR is not <workspace>/target, the relative paths in tests/ui would not resolve"
        );
        return;
    }
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
    t.pass("ui/pass/*.rs");
}
