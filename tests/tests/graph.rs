//! `arazzo_codegen::graph`: snapshots of the Mermaid and DOT diagrams of both seeds, the composed
//! document and torture documents (`tests/graphs/`); every DOT diagram parses and its edges join
//! declared nodes; the README shows the batch seed's diagram as the command draws it.
//!
//! Refresh the snapshots (and the README's copy) with
//! `EXPECTORATE=overwrite cargo test -p arazzo-tests --test graph`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arazzo_codegen::{Format, GraphError, Settings};
use layout::gv::parser::ast::{Graph, Stmt};

/// (snapshot name, document relative to the workspace root).
const DOCUMENTS: &[(&str, &str)] = &[
    ("batch", "workflows/arazzo/batch-process-and-retrieve-results.arazzo.yaml"),
    ("cancel", "workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml"),
    ("composed", "tests/workflows/composed.arazzo.yaml"),
    ("flow", "tests/workflows/torture/flow.arazzo.yaml"),
    ("actions-and-payloads", "tests/workflows/torture/actions-and-payloads.arazzo.yaml"),
    (
        "workflow-action-status-call-step",
        "tests/workflows/torture/workflow-action-status-call-step.arazzo.yaml",
    ),
    ("dotted-ids", "tests/workflows/torture/dotted-ids.arazzo.yaml"),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn draw(doc: &str, format: Format, workflow: Option<&str>) -> Result<String, GraphError> {
    let settings = Settings { base_dir: root(), ..Default::default() };
    arazzo_codegen::graph(Path::new(doc), &settings, format, workflow)
}

fn drawn(doc: &str, format: Format) -> String {
    draw(doc, format, None).unwrap_or_else(|e| panic!("{doc}: {e}"))
}

#[test]
fn diagrams_match_their_snapshots() {
    for (name, doc) in DOCUMENTS {
        for (format, ext) in [(Format::Mermaid, "mmd"), (Format::Dot, "dot")] {
            let text = drawn(doc, format);
            assert_eq!(text, drawn(doc, format), "{doc}: the diagram is not deterministic");
            expectorate::assert_contents(root().join(format!("tests/graphs/{name}.{ext}")), &text);
        }
    }
}

/// Node ids declared in `g` and its subgraphs, and the endpoints of its edges.
fn collect(g: &Graph, nodes: &mut BTreeSet<String>, ends: &mut Vec<String>) {
    for stmt in &g.list.list {
        match stmt {
            Stmt::Node(n) => {
                nodes.insert(n.id.name.clone());
            }
            Stmt::Edge(e) => {
                ends.push(e.from.name.clone());
                ends.extend(e.to.iter().map(|(n, _)| n.name.clone()));
            }
            Stmt::SubGraph(sub) => collect(sub, nodes, ends),
            Stmt::Attribute(_) => {}
        }
    }
}

#[test]
fn dot_diagrams_parse_and_their_edges_join_declared_nodes() {
    for (_, doc) in DOCUMENTS {
        let text = drawn(doc, Format::Dot);
        let graph = layout::gv::DotParser::new(&text)
            .process()
            .unwrap_or_else(|e| panic!("{doc}: the DOT diagram does not parse: {e}\n{text}"));
        let (mut nodes, mut ends) = (BTreeSet::new(), Vec::new());
        collect(&graph, &mut nodes, &mut ends);
        assert!(!ends.is_empty(), "{doc}: no edges");
        for end in &ends {
            assert!(nodes.contains(end), "{doc}: an edge names undeclared node `{end}`");
        }
    }
}

#[test]
fn one_workflow_is_drawn_with_the_workflows_it_runs() {
    let text = drawn_one("tests/workflows/composed.arazzo.yaml", "cancel-then-process");
    let titles: Vec<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("subgraph ")).collect();
    assert_eq!(
        titles,
        [
            "w0 [\"cancel-then-process\"]",
            "w1 [\"cancel-and-confirm-batch\"]",
            "w2 [\"process-then-check\"]",
            "w3 [\"batch-process-and-retrieve-results\"]",
        ]
    );
}

fn drawn_one(doc: &str, workflow: &str) -> String {
    draw(doc, Format::Mermaid, Some(workflow)).unwrap_or_else(|e| panic!("{doc}: {e}"))
}

#[test]
fn an_unknown_workflow_is_an_error_that_lists_the_known_ones() {
    let err = draw("workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml", Format::Dot, Some("nope"));
    let Err(GraphError::UnknownWorkflow { id, known }) = err else { panic!("expected an error") };
    assert_eq!((id.as_str(), known), ("nope", vec!["cancel-and-confirm-batch".to_string()]));
}

#[test]
fn a_document_with_errors_draws_nothing() {
    let err = draw("tests/workflows/torture/unsupported-request-body.arazzo.yaml", Format::Mermaid, None);
    assert!(matches!(err, Err(GraphError::Invalid(_))), "{err:?}");
}

/// The README's ```` ```mermaid ```` block under "Workflow diagrams" is the batch seed's diagram.
#[test]
fn readme_shows_the_batch_seed_diagram() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let chart = drawn(DOCUMENTS[0].1, Format::Mermaid);
    let section = readme.find("## Workflow diagrams").expect("a `Workflow diagrams` section");
    let start =
        section + readme[section..].find("```mermaid\n").expect("a mermaid block") + "```mermaid\n".len();
    let end = start + readme[start..].find("```").expect("the end of the mermaid block");
    if readme[start..end] == chart {
        return;
    }
    if std::env::var("EXPECTORATE").is_ok_and(|v| v == "overwrite") {
        std::fs::write(&path, format!("{}{chart}{}", &readme[..start], &readme[end..]))
            .expect("write README.md");
        return;
    }
    panic!(
        "the README's diagram is stale; run `EXPECTORATE=overwrite cargo test -p arazzo-tests --test graph`\n{chart}"
    );
}
