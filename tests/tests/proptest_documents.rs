//! Random valid Arazzo documents over `tests/workflows/proptest/items.openapi.yaml`: random
//! workflows and steps, parameters (path, query, header; literal and expression values),
//! request bodies, success criteria of every kind, `end`/`goto`/`retry` actions and outputs.
//! `check` must not panic and must report no error for any of them, and the modules generated
//! for all documents of a run must compile, warning-free, in one temporary crate (under the
//! target directory, so its dependencies compile once).
//!
//! `PROPTEST_CASES` sets the number of documents (default 200); the bench-style run is
//! `PROPTEST_CASES=2000 cargo test -p arazzo-tests --release --test proptest_documents`.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use arazzo_codegen::Settings;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Get,
    List,
    Create,
}

impl Op {
    fn id(self) -> &'static str {
        match self {
            Op::Get => "getItem",
            Op::List => "listItems",
            Op::Create => "createItem",
        }
    }

    fn status(self) -> u16 {
        if self == Op::Create { 201 } else { 200 }
    }

    /// Whether the response body is an `Item`.
    fn item(self) -> bool {
        self != Op::List
    }
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![Just(Op::Get), Just(Op::List), Just(Op::Create)]
}

/// One of the `strings`, as YAML text.
fn pick(strings: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(strings).prop_map(str::to_string)
}

fn parameters(op: Op) -> BoxedStrategy<String> {
    let param = |name: &'static str, location: &'static str, values: &'static [&'static str]| {
        pick(values).prop_map(move |v| {
            format!("          - name: {name}\n            in: {location}\n            value: {v}\n")
        })
    };
    match op {
        Op::Get => (
            param("id", "path", &["item-1", "$inputs.name", "'{$inputs.name}-x'"]),
            prop::option::of(param("verbose", "query", &["true", "false", "$inputs.flag"])),
            prop::option::of(param("X-Trace", "header", &["trace-1", "$inputs.name"])),
        )
            .prop_map(|(id, verbose, trace)| {
                format!("        parameters:\n{id}{}{}", verbose.unwrap_or_default(), trace.unwrap_or_default())
            })
            .boxed(),
        Op::List => prop::option::of(param("limit", "query", &["5", "$inputs.limit"]))
            .prop_map(|p| p.map(|p| format!("        parameters:\n{p}")).unwrap_or_default())
            .boxed(),
        Op::Create => prop_oneof![
            (pick(&["widget", "$inputs.name"]), prop::option::of(pick(&["3", "$inputs.limit"]))).prop_map(
                |(name, size)| {
                    let size = size.map(|s| format!("\n            size: {s}")).unwrap_or_default();
                    format!(
                        "        requestBody:\n          contentType: application/json\n          payload:\n            name: {name}{size}\n"
                    )
                }
            ),
            Just(
                "        requestBody:\n          contentType: application/json\n          payload: '{\"name\": \"{$inputs.name}\", \"size\": {$inputs.limit}}'\n"
                    .to_string()
            ),
        ]
        .boxed(),
    }
}

/// A criterion's context, condition and type (`None`: simple).
type Criterion = (Option<&'static str>, String, Option<&'static str>);

/// A criterion, as the lines of a list item: simple (compound, negated), regex, jsonpath.
fn criterion(op: Op) -> BoxedStrategy<String> {
    let status = op.status();
    let mut kinds: Vec<BoxedStrategy<Criterion>> = vec![
        Just((None, format!("$statusCode == {status}"), None)).boxed(),
        Just((Some("$statusCode"), "^2\\d\\d$".to_string(), Some("regex"))).boxed(),
        Just((None, "$statusCode >= 200 && $statusCode < 300".to_string(), None)).boxed(),
        Just((None, "!($statusCode == 404)".to_string(), None)).boxed(),
        Just((None, format!("!($statusCode == 404 || $statusCode != {status})"), None)).boxed(),
        Just((None, format!("($statusCode == 404 || $statusCode == {status}) && $statusCode != 500"), None))
            .boxed(),
    ];
    if op.item() {
        kinds.extend([
            pick(&["done", "queued"])
                .prop_map(|s| (None, format!("$response.body#/status == '{s}'"), None))
                .boxed(),
            (0..10i32).prop_map(|n| (None, format!("$response.body#/count > {n}"), None)).boxed(),
            Just((Some("$response.body#/id"), "^item-[0-9]+$".to_string(), Some("regex"))).boxed(),
            Just((Some("$response.body"), "$[?@.count > 1]".to_string(), Some("jsonpath"))).boxed(),
            // The shorthand `PATH OP LITERAL` (warning W0203).
            Just((Some("$response.body"), "$.status == \"done\"".to_string(), Some("jsonpath"))).boxed(),
            Just((
                Some("$response.body"),
                "$.tags[0]".to_string(),
                Some("\n    type: jsonpath\n    version: draft-goessner-dispatch-jsonpath-00"),
            ))
            .boxed(),
        ]);
    } else {
        kinds.push(
            Just((Some("$response.body"), "$.items[?@.status == 'done']".to_string(), Some("jsonpath")))
                .boxed(),
        );
    }
    prop::strategy::Union::new(kinds)
        .prop_map(|(context, condition, kind)| {
            let mut s = format!("- condition: '{}'\n", condition.replace('\'', "''"));
            if let Some(c) = context {
                writeln!(s, "  context: {c}").unwrap();
            }
            match kind {
                Some(k) if k.starts_with('\n') => writeln!(s, "  type:{k}").unwrap(),
                Some(k) => writeln!(s, "  type: {k}").unwrap(),
                None => {}
            }
            s
        })
        .boxed()
}

fn indent(text: &str, by: usize) -> String {
    text.lines().map(|l| format!("{}{l}\n", " ".repeat(by))).collect()
}

/// An action of step `step` of `steps` in one workflow; `retry` only on failure.
fn action(op: Op, steps: usize, failure: bool) -> BoxedStrategy<String> {
    let target = (0..steps).prop_map(|s| format!("s{s}"));
    let kind = if failure {
        prop_oneof![
            Just("type: end".to_string()),
            target.prop_map(|t| format!("type: goto\nstepId: {t}")),
            (pick(&["0", "0.5", "1"]), 1..4u32)
                .prop_map(|(after, limit)| format!("type: retry\nretryAfter: {after}\nretryLimit: {limit}")),
        ]
        .boxed()
    } else {
        prop_oneof![Just("type: end".to_string()), target.prop_map(|t| format!("type: goto\nstepId: {t}"))]
            .boxed()
    };
    (0..3u8, kind, prop::option::of(criterion(op)))
        .prop_map(|(name, kind, criteria)| {
            let mut s = format!("- name: a{name}\n{}", indent(&kind, 2));
            if let Some(c) = criteria {
                s += &format!("  criteria:\n{}", indent(&c, 4));
            }
            s
        })
        .boxed()
}

fn step(index: usize, steps: usize) -> BoxedStrategy<String> {
    op().prop_flat_map(move |op| {
        (
            parameters(op),
            prop::collection::vec(criterion(op), 0..3),
            prop::collection::vec(action(op, steps, false), 0..3),
            prop::collection::vec(action(op, steps, true), 0..3),
            any::<bool>(),
        )
            .prop_map(move |(parameters, criteria, on_success, on_failure, outputs)| {
                let mut s =
                    format!("      - stepId: s{index}\n        operationId: {}\n{parameters}", op.id());
                let list = |name: &str, items: &[String]| {
                    if items.is_empty() {
                        String::new()
                    } else {
                        format!("        {name}:\n{}", indent(&items.concat(), 10))
                    }
                };
                s += &list("successCriteria", &criteria);
                s += &list("onSuccess", &on_success);
                s += &list("onFailure", &on_failure);
                s += "        outputs:\n          code: $statusCode\n";
                if outputs && op.item() {
                    s += "          id: $response.body#/id\n          status: $response.body#/status\n";
                }
                s
            })
    })
    .boxed()
}

fn workflow(index: usize, steps: usize) -> impl Strategy<Value = String> {
    ((0..steps).map(|i| step(i, steps)).collect::<Vec<_>>(), 0..steps).prop_map(move |(steps, out)| {
        format!(
            "  - workflowId: w{index}
    inputs:
      type: object
      required: [name]
      properties:
        name:
          type: string
        limit:
          type: integer
        flag:
          type: boolean
    steps:
{}    outputs:
      code: $steps.s{out}.outputs.code
",
            steps.concat()
        )
    })
}

fn document() -> impl Strategy<Value = String> {
    prop::collection::vec(1usize..=4, 1..=3)
        .prop_flat_map(|counts| {
            counts.into_iter().enumerate().map(|(w, n)| workflow(w, n)).collect::<Vec<_>>()
        })
        .prop_map(|workflows| {
            format!(
                "arazzo: 1.0.1
info:
  title: Random
  version: 1.0.0
sourceDescriptions:
  - name: items
    url: ./items.openapi.yaml
workflows:
{}",
                workflows.concat()
            )
        })
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn random_documents_check_clean_and_compile() {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("proptest-documents");
    let src = dir.join("src");
    let docs = dir.join("docs");
    let _ = std::fs::remove_dir_all(&src);
    let _ = std::fs::remove_dir_all(&docs);
    std::fs::create_dir_all(&src).expect("crate directory");
    std::fs::create_dir_all(&docs).expect("documents directory");
    std::fs::copy(
        workspace().join("tests/workflows/proptest/items.openapi.yaml"),
        docs.join("items.openapi.yaml"),
    )
    .expect("copy the OpenAPI file");

    let settings = Settings { base_dir: docs.clone(), ..Default::default() };
    let modules = RefCell::new(Vec::new());
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&document(), |text| {
        let name = format!("doc_{:04}", modules.borrow().len());
        let path = PathBuf::from(format!("{name}.arazzo.yaml"));
        std::fs::write(docs.join(&path), &text).expect("write the document");
        let checked = arazzo_codegen::check(&path, &settings);
        if checked.diagnostics.has_errors() {
            return Err(TestCaseError::fail(format!("{}\n{text}", checked.render())));
        }
        let generated = arazzo_codegen::generate(&path, &settings).map_err(|c| {
            TestCaseError::fail(format!("generate failed after a clean check:\n{}", c.render()))
        })?;
        modules.borrow_mut().push((name, generated.to_file_string("proptest_documents")));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }

    let modules = modules.into_inner();
    let mut lib = String::from("#![deny(warnings)]\n");
    for (name, code) in &modules {
        writeln!(lib, "pub mod {name};").unwrap();
        std::fs::write(src.join(format!("{name}.rs")), code).expect("write a module");
    }
    std::fs::write(src.join("lib.rs"), lib).expect("write lib.rs");
    let manifest = format!(
        "[package]\nname = \"proptest-documents\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
         [dependencies]\narazzo-runtime = {{ path = {:?} }}\n\n[workspace]\n",
        workspace().join("arazzo-runtime").canonicalize().expect("arazzo-runtime")
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("write Cargo.toml");
    // The workspace's lock file pins the versions this machine already has.
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).expect("copy Cargo.lock");
    let out = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet", "--message-format=short"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo check");
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut failing: Vec<&str> = modules
            .iter()
            .map(|(n, _)| n.as_str())
            .filter(|n| stderr.contains(&format!("src/{n}.rs")))
            .collect();
        failing.dedup();
        let first = failing.first().map(|n| std::fs::read_to_string(docs.join(format!("{n}.arazzo.yaml"))));
        panic!(
            "generated code does not compile for {} (documents in {}):\n{}\nfirst document:\n{}",
            failing.join(", "),
            docs.display(),
            stderr.lines().take(60).collect::<Vec<_>>().join("\n"),
            first.and_then(Result::ok).unwrap_or_default()
        );
    }
}
