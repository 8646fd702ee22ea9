//! Generates the batch seed from build.rs, the first of the three front ends.

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let settings = arazzo_codegen::Settings { base_dir: root, ..Default::default() };
    // The seeds are verbatim, with their known quirks acknowledged here so that the build
    // prints no warnings; `arazzo-codegen check` still reports them.
    if let Err(diagnostics) = arazzo_codegen::Builder::new()
        .settings(settings)
        // JSONPath shorthand `$.processing_status == 'ended'` (both seeds).
        .allow("W0203")
        // `retry` in `onSuccess` (the batch seed).
        .allow("W0302")
        // A goto loop with no delay of its own (the cancel seed); the client paces and bounds it.
        .allow("W0304")
        .document("workflows/arazzo/batch-process-and-retrieve-results.arazzo.yaml")
        .document("workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml")
        .generate()
    {
        eprintln!("{diagnostics}");
        std::process::exit(1);
    }
}
