// A crate of its own (trybuild's), depending only on arazzo-runtime and arazzo-macros: the macro's
// output for both seeds and for a document that runs them compiles there without warnings.
#![deny(warnings)]

mod batch {
    arazzo_macros::workflows!("../../../../workflows/arazzo/batch-process-and-retrieve-results.arazzo.yaml");
}
mod cancel {
    arazzo_macros::workflows!("../../../../workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml");
}
mod composed {
    arazzo_macros::workflows!("../../../../tests/workflows/composed.arazzo.yaml");
}

fn main() {
    let client = arazzo_runtime::Client::builder().build().expect("a client");
    let key = arazzo_runtime::Secret::new("sk-unused");
    let inputs = batch::batch_process_and_retrieve_results::Inputs { api_key: key.clone(), anthropic_version: None, requests: Vec::new() };
    drop(batch::batch_process_and_retrieve_results(&client, inputs));
    drop(cancel::cancel_and_confirm_batch(&client, cancel::cancel_and_confirm_batch::Inputs { api_key: key.clone(), requests: Vec::new() }));
    drop(composed::ping(&client, composed::ping::Inputs { api_key: key, batch_id: "msgbatch_x".into() }));
}
