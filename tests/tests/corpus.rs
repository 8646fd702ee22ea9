//! The third-party acceptance corpus (`<workspace>/../shared/arazzo-corpus`, see its MANIFEST.md):
//! documents without known mistakes check with no errors; documented mistakes are reported at
//! the documented place. Skipped (with a note) when the corpus is absent, except under `CI=true`.

use std::path::{Path, PathBuf};

use arazzo_codegen::Settings;

fn corpus() -> Option<PathBuf> {
    arazzo_tests::shared("arazzo-corpus")
}

const BNPL_URL: &str =
    "https://raw.githubusercontent.com/OAI/Arazzo-Specification/main/examples/1.0.0/bnpl-openapi.yaml";
const BNPL_LOCAL: &str = "OAI__Arazzo-Specification/examples/1.0.0/bnpl-openapi.yaml";
const CAFE_URL: &str = "https://cafe.redocly.com/_bundle/openapi/cafe.yaml";
const CAFE_LOCAL: &str = "Redocly__redocly-cli/resources/cafe.yaml";
const PET_COUPONS_LOCAL: &str = "OAI__Arazzo-Specification/examples/1.0.0/pet-coupons.openapi.yaml";

/// Checks `rel` (relative to the corpus) with `sources` (name or URL -> corpus-relative file).
/// `expect` empty: no errors allowed. Otherwise every `(code, line)` must be reported.
fn case(rel: &str, sources: &[(&str, &str)], expect: &[(&str, u32)]) {
    let Some(dir) = corpus() else { return };
    let mut settings = Settings { base_dir: dir.clone(), ..Default::default() };
    for (name, local) in sources {
        settings = settings.source(*name, dir.join(local));
    }
    let path = if rel == SPEAKEASY_TEST {
        // A Go `fmt.Sprintf` template: strip the `%s` into a temp copy.
        let text = std::fs::read_to_string(dir.join(rel)).expect("readable").replace("%s", "");
        let tmp = std::env::temp_dir().join(format!("arazzo-corpus-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).expect("temp dir");
        let copy = tmp.join("test.arazzo.yaml");
        std::fs::write(&copy, text).expect("temp copy");
        copy
    } else {
        PathBuf::from(rel)
    };
    let checked = arazzo_codegen::check(&path, &settings);
    let rendered = checked.render();
    let diags = checked.diagnostics.sorted();
    if expect.is_empty() {
        assert!(!diags.iter().any(|d| d.is_error()), "{rel} should check without errors:\n{rendered}");
    }
    for (code, line) in expect {
        assert!(
            diags.iter().any(|d| d.code == *code && d.line == *line),
            "{rel}: expected {code} at line {line}:\n{rendered}"
        );
    }
}

const SPEAKEASY_TEST: &str = "speakeasy-api__openapi/arazzo/testdata/test.arazzo.yaml";

// ---- OAI official examples ----

#[test]
fn oai_invalid_arazzo_version() {
    case(
        "OAI__Arazzo-Specification/branch-v1.0-dev/tests/schema/fail/invalid-arazzo-version.yaml",
        &[],
        &[("E0106", 1)],
    );
}

#[test]
fn oai_bnpl_example_schema_pass() {
    // Keeps the BNPL example's bugs: the auth step reads its own output `redirectAuthToken`;
    // `loanTransactionId` is never defined.
    case(
        "OAI__Arazzo-Specification/branch-v1.0-dev/tests/schema/pass/bnpl-example.yaml",
        &[(BNPL_URL, BNPL_LOCAL)],
        &[("E0304", 242), ("E0304", 253)],
    );
}

#[test]
fn oai_extended_parameters_missing_openapi() {
    case(
        "OAI__Arazzo-Specification/examples/1.0.0/ExtendedParametersExample.arazzo.yaml",
        &[],
        &[("E0001", 8)],
    );
}

#[test]
fn oai_fapi_par() {
    // Not in the MANIFEST: the step names `$sourceDescriptions.auth-api.PAR`, the OpenAPI
    // operation is `Par` (operationIds are case-sensitive).
    case("OAI__Arazzo-Specification/examples/1.0.0/FAPI-PAR.arazzo.yaml", &[], &[("E0310", 102)]);
}

#[test]
/// OpenAPI: a `Content-Type` header parameter SHALL be ignored, so it is never required (E0319).
fn oai_fapi_par_content_type_header_not_required() {
    let Some(dir) = corpus() else { return };
    let settings = Settings { base_dir: dir, ..Default::default() };
    let checked = arazzo_codegen::check(
        Path::new("OAI__Arazzo-Specification/examples/1.0.0/FAPI-PAR.arazzo.yaml"),
        &settings,
    );
    assert!(!checked.diagnostics.sorted().iter().any(|d| d.code == "E0319"), "{}", checked.render());
}

#[test]
fn oai_login_and_retrieve_pets() {
    // The petstore description is remote and not in the corpus: no code for its steps (E0411).
    case(
        "OAI__Arazzo-Specification/examples/1.0.0/LoginAndRetrievePets.arazzo.yaml",
        &[],
        &[("E0411", 27), ("E0411", 46)],
    );
}

#[test]
fn oai_bnpl() {
    // MANIFEST bugs: reads its own output (line 231), undefined `loanTransactionId` (242, 253),
    // workflow output without `.outputs.` (260).
    case(
        "OAI__Arazzo-Specification/examples/1.0.0/bnpl-arazzo.yaml",
        &[(BNPL_URL, BNPL_LOCAL)],
        &[("E0304", 231), ("E0304", 242), ("E0304", 253), ("E0201", 260)],
    );
}

#[test]
fn oai_oauth() {
    case("OAI__Arazzo-Specification/examples/1.0.0/oauth.arazzo.yaml", &[], &[]);
}

#[test]
fn oai_pet_coupons() {
    // MANIFEST bug: `pet_tags` is not the OpenAPI's `tags` (W0303). Not in the MANIFEST: the
    // path parameter is written `pet_id`, the OpenAPI's is `petId` (E0323).
    case(
        "OAI__Arazzo-Specification/examples/1.0.0/pet-coupons.arazzo.yaml",
        &[],
        &[("W0303", 26), ("E0323", 38)],
    );
}

// ---- Redocly Respect fixtures ----

#[test]
fn redocly_museum_api() {
    case("Redocly__redocly-cli/resources/museum-api.arazzo.yaml", &[], &[]);
}

#[test]
fn redocly_museum_tickets() {
    case("Redocly__redocly-cli/resources/museum-tickets.arazzo.yaml", &[], &[]);
}

#[test]
fn redocly_max_steps() {
    case("Redocly__redocly-cli/tests/e2e/respect/max-steps/arazzo.yaml", &[], &[]);
}

#[test]
fn redocly_cafe_menu() {
    case("Redocly__redocly-cli/tests/e2e/respect/cafe-menu.arazzo.yaml", &[(CAFE_URL, CAFE_LOCAL)], &[]);
}

#[test]
fn redocly_reusable_components() {
    case(
        "Redocly__redocly-cli/tests/e2e/respect/reusable-components/reusable-components.arazzo.yaml",
        &[(CAFE_URL, CAFE_LOCAL)],
        // Not in the MANIFEST: `client-registration` reads `$workflows.get-menu-items.outputs`
        // but does not list `get-menu-items` in `dependsOn`, so nothing runs it first.
        &[("E0412", 91)],
    );
}

#[test]
fn redocly_step_on_failure_type_end_action() {
    case(
        "Redocly__redocly-cli/tests/e2e/respect/step-on-failure-type-end-action/step-on-failure-type-end-action.arazzo.yaml",
        &[(CAFE_URL, CAFE_LOCAL)],
        &[],
    );
}

#[test]
fn redocly_workflow_failure_actions() {
    case(
        "Redocly__redocly-cli/tests/e2e/respect/workflow-failure-actions/workflow-failure-actions.arazzo.yaml",
        &[(CAFE_URL, CAFE_LOCAL)],
        &[],
    );
}

// ---- speakeasy ----

#[test]
fn speakeasy_test_template() {
    // Its OpenAPI description is remote and not in the corpus (E0411).
    case(SPEAKEASY_TEST, &[], &[("E0411", 30)]);
}

#[test]
fn speakeasy_bar() {
    // Both sources are remote and not in the corpus (E0411).
    case(
        "speakeasy-api__openapi/arazzo/testdata/speakeasybar.arazzo.yaml",
        &[],
        &[("E0411", 36), ("E0411", 148)],
    );
}

#[test]
fn speakeasy_invalid() {
    // MANIFEST: `info.version` missing, a step with no operation, a parameter with no `in`.
    case(
        "speakeasy-api__openapi/arazzo/testdata/invalid.arazzo.yaml",
        &[],
        &[("E0101", 2), ("E0108", 13), ("E0318", 22)],
    );
}

// ---- jentic ----

#[test]
fn jentic_bnpl() {
    // Same bugs as the OAI example (only the source and some spellings changed).
    case(
        "jentic__arazzo-engine/runner/tests/fixtures/bnpl/bnpl-arazzo.yaml",
        &[("./bnpl-openapi.yaml", BNPL_LOCAL)],
        &[("E0304", 231), ("E0304", 242), ("E0304", 253), ("E0201", 260)],
    );
}

#[test]
fn jentic_pet_coupons() {
    // `tags` is fixed; the `pet_id` / `petId` path parameter mismatch remains (not in the MANIFEST).
    case(
        "jentic__arazzo-engine/runner/tests/fixtures/pet_coupons/pet-coupons.arazzo.yaml",
        &[("./pet-coupons.openapi.yaml", PET_COUPONS_LOCAL)],
        &[("E0323", 38)],
    );
}

// ---- sv-tools roas ----

#[test]
fn roas_buy_pet() {
    case(
        "sv-tools__roas/crates/roas-arazzo-executor/tests/data/buy_pet.arazzo.yaml",
        &[(
            "https://api.example.com/openapi.yaml",
            "sv-tools__roas/crates/roas-arazzo-executor/tests/data/petstore.openapi.yaml",
        )],
        &[],
    );
}

#[test]
fn roas_full_workflow_missing_other_document() {
    case("sv-tools__roas/crates/roas-arazzo/tests/v1_0_data/full_workflow.yaml", &[], &[("E0001", 13)]);
}
