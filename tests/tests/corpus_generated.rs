//! Snapshots of the code generated for every corpus document that `check` accepts
//! (`<workspace>/../shared/arazzo-corpus`, see its MANIFEST.md). The snapshots are modules of
//! this crate's library (`src/corpus/`), so they also compile, warning-free, with the workspace.
//! Skipped (with a note) when the corpus is absent, except under `CI=true`.
//!
//! Refresh them with `EXPECTORATE=overwrite cargo test -p arazzo-tests --test corpus_generated`.

use std::path::Path;

use arazzo_codegen::Settings;

/// A corpus document: (module, document relative to the corpus, sources mapped to corpus files).
type Accepted = (&'static str, &'static str, &'static [(&'static str, &'static str)]);

const ACCEPTED: &[Accepted] = &[
    ("oauth", "OAI__Arazzo-Specification/examples/1.0.0/oauth.arazzo.yaml", &[]),
    ("museum_api", "Redocly__redocly-cli/resources/museum-api.arazzo.yaml", &[]),
    ("museum_tickets", "Redocly__redocly-cli/resources/museum-tickets.arazzo.yaml", &[]),
    ("max_steps", "Redocly__redocly-cli/tests/e2e/respect/max-steps/arazzo.yaml", &[]),
    ("cafe_menu", "Redocly__redocly-cli/tests/e2e/respect/cafe-menu.arazzo.yaml", &[(CAFE_URL, CAFE_LOCAL)]),
    (
        "step_on_failure_type_end_action",
        "Redocly__redocly-cli/tests/e2e/respect/step-on-failure-type-end-action/step-on-failure-type-end-action.arazzo.yaml",
        &[(CAFE_URL, CAFE_LOCAL)],
    ),
    (
        "workflow_failure_actions",
        "Redocly__redocly-cli/tests/e2e/respect/workflow-failure-actions/workflow-failure-actions.arazzo.yaml",
        &[(CAFE_URL, CAFE_LOCAL)],
    ),
    (
        "buy_pet",
        "sv-tools__roas/crates/roas-arazzo-executor/tests/data/buy_pet.arazzo.yaml",
        &[(
            "https://api.example.com/openapi.yaml",
            "sv-tools__roas/crates/roas-arazzo-executor/tests/data/petstore.openapi.yaml",
        )],
    ),
];

const CAFE_URL: &str = "https://cafe.redocly.com/_bundle/openapi/cafe.yaml";
const CAFE_LOCAL: &str = "Redocly__redocly-cli/resources/cafe.yaml";

#[test]
fn corpus_snapshots_are_up_to_date() {
    let Some(dir) = arazzo_tests::shared("arazzo-corpus") else { return };
    let mut listed = Vec::new();
    for (module, rel, sources) in ACCEPTED {
        let mut settings = Settings { base_dir: dir.clone(), ..Default::default() };
        for (name, local) in *sources {
            settings = settings.source(*name, local);
        }
        let generated = match arazzo_codegen::generate(Path::new(rel), &settings) {
            Ok(g) => g,
            Err(checked) => panic!("{rel} does not compile:\n{}", checked.render()),
        };
        let text = generated
            .to_file_string("EXPECTORATE=overwrite cargo test -p arazzo-tests --test corpus_generated");
        expectorate::assert_contents(format!("src/corpus/{module}.rs"), &text);
        listed.push(format!("pub mod {module};"));
    }
    // Every snapshot is a module of the library, so it is compiled with deny(warnings).
    let mod_rs = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/corpus/mod.rs"))
        .expect("src/corpus/mod.rs");
    for line in listed {
        assert!(mod_rs.contains(&line), "src/corpus/mod.rs lacks `{line}`");
    }
}
