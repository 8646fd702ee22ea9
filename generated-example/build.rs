//! Generates the batch seed from build.rs, the first of the three front ends.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let settings = arazzo_codegen::Settings { base_dir: root, ..Default::default() };
    if let Err(diagnostics) = arazzo_codegen::Builder::new()
        .settings(settings)
        .document("workflows/arazzo/batch-process-and-retrieve-results.arazzo.yaml")
        .document("workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml")
        .generate()
    {
        eprintln!("{diagnostics}");
        std::process::exit(1);
    }
}
