//! Diagrams of workflows, drawn from their plans (what the code is generated from): Mermaid
//! flowcharts and Graphviz DOT graphs.
//!
//! Each workflow is a cluster with a start node, an end node and a node per step. Edges: the
//! default next step (plain); each success action (labelled with its name, what it does and its
//! shortened criteria); each failure action (red, thick); a workflow that a step or an action
//! runs (dotted, to that workflow's start); `dependsOn` (dashed). A failure that no action
//! handles ends the run with an error and is not drawn. The output is deterministic: the
//! workflows asked for in document order, then the ones they run, as first met.

use crate::calls::WfKey;
use crate::plan::{Act, ActionPlan, StepKind, Unit, WorkflowPlan};

/// The language of a diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A [Mermaid](https://mermaid.js.org) flowchart.
    Mermaid,
    /// A [Graphviz](https://graphviz.org) DOT digraph.
    Dot,
}

/// Draws workflows `roots` of `unit`, and every workflow they run.
pub fn draw(unit: &Unit, roots: &[WfKey], format: Format) -> String {
    let graph = Graph::of(unit, roots);
    match format {
        Format::Mermaid => graph.mermaid(),
        Format::Dot => graph.dot(),
    }
}

/// Criteria longer than this many characters are cut.
const CRITERIA_CHARS: usize = 40;

struct Graph {
    clusters: Vec<Cluster>,
    edges: Vec<Edge>,
}

struct Cluster {
    id: String,
    title: String,
    nodes: Vec<Node>,
}

struct Node {
    id: String,
    lines: Vec<String>,
    shape: NodeShape,
}

enum NodeShape {
    /// Start or end.
    Terminal,
    /// A step that sends a request.
    Step,
    /// A step that runs a workflow.
    Call,
}

struct Edge {
    from: String,
    to: String,
    lines: Vec<String>,
    kind: EdgeKind,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum EdgeKind {
    Next,
    Success,
    Failure,
    Runs,
    DependsOn,
}

impl Graph {
    fn of(unit: &Unit, roots: &[WfKey]) -> Graph {
        let mut order: Vec<WfKey> = Vec::new();
        let mut pending: Vec<WfKey> = roots.iter().rev().copied().collect();
        while let Some(key) = pending.pop() {
            if order.contains(&key) {
                continue;
            }
            order.push(key);
            if let Some(w) = unit.workflows.get(&key) {
                pending.extend(runs(w).into_iter().rev());
            }
        }
        let mut graph = Graph { clusters: Vec::new(), edges: Vec::new() };
        for (n, key) in order.iter().enumerate() {
            if let Some(w) = unit.workflows.get(key) {
                let start_of = |k: WfKey| order.iter().position(|o| *o == k).map(|m| format!("w{m}_start"));
                graph.workflow(n, w, &start_of);
            }
        }
        graph
    }

    /// Workflow `w` as cluster `n`; `start_of` names the start node of another workflow.
    fn workflow(&mut self, n: usize, w: &WorkflowPlan, start_of: &dyn Fn(WfKey) -> Option<String>) {
        let (start, end) = (format!("w{n}_start"), format!("w{n}_end"));
        let step = |i: usize| format!("w{n}_s{i}");
        let mut nodes =
            vec![Node { id: start.clone(), lines: vec!["start".into()], shape: NodeShape::Terminal }];
        for d in &w.depends_on {
            self.edge(&start, start_of(d.key), vec!["dependsOn".into()], EdgeKind::DependsOn);
        }
        let first = if w.steps.is_empty() { end.clone() } else { step(0) };
        self.edge(&start, Some(first), Vec::new(), EdgeKind::Next);
        for (i, s) in w.steps.iter().enumerate() {
            let from = step(i);
            let (what, shape) = match &s.kind {
                StepKind::Request(r) => (format!("{} {}", r.method, r.template), NodeShape::Step),
                StepKind::Call(wf) => {
                    self.edge(&from, start_of(wf.key), Vec::new(), EdgeKind::Runs);
                    (format!("runs {}", wf.name), NodeShape::Call)
                }
                StepKind::Unresolved => ("unresolved".into(), NodeShape::Step),
            };
            nodes.push(Node { id: from.clone(), lines: vec![s.id.clone(), what], shape });
            for (list, kind) in [(&s.on_success, EdgeKind::Success), (&s.on_failure, EdgeKind::Failure)] {
                for a in list {
                    self.action(a, &from, kind, &step, &end, start_of);
                }
            }
            if !s.on_success.last().is_some_and(ActionPlan::always) {
                let next = s.next.map_or_else(|| end.clone(), step);
                self.edge(&from, Some(next), Vec::new(), EdgeKind::Next);
            }
        }
        nodes.push(Node { id: end, lines: vec!["end".into()], shape: NodeShape::Terminal });
        self.clusters.push(Cluster { id: format!("w{n}"), title: w.id.clone(), nodes });
    }

    fn action(
        &mut self,
        a: &ActionPlan,
        from: &str,
        kind: EdgeKind,
        step: &dyn Fn(usize) -> String,
        end: &str,
        start_of: &dyn Fn(WfKey) -> Option<String>,
    ) {
        let mut lines = vec![a.name.clone()];
        let to = match &a.act {
            Act::End => Some(end.to_string()),
            Act::Goto(i, _) => Some(step(*i)),
            Act::GotoWorkflow(wf) => {
                lines.push("then end".into());
                start_of(wf.key)
            }
            Act::Retry { limit, after, workflow, .. } => {
                if let Some(wf) = workflow {
                    self.edge(from, start_of(wf.key), vec![format!("{} runs first", a.name)], EdgeKind::Runs);
                }
                lines.push(format!("retry after {after} s, at most {limit} times"));
                Some(from.to_string())
            }
        };
        if !a.text.is_empty() {
            lines.push(format!("when {}", shorten(&a.text)));
        }
        self.edge(from, to, lines, kind);
    }

    /// An edge to `to`, when that node is drawn.
    fn edge(&mut self, from: &str, to: Option<String>, lines: Vec<String>, kind: EdgeKind) {
        if let Some(to) = to {
            self.edges.push(Edge { from: from.to_string(), to, lines, kind });
        }
    }

    fn mermaid(&self) -> String {
        let label =
            |lines: &[String]| lines.iter().map(|l| mermaid_text(l)).collect::<Vec<_>>().join("<br/>");
        let mut out = String::from("flowchart TD\n");
        for c in &self.clusters {
            out.push_str(&format!("    subgraph {} [\"{}\"]\n", c.id, mermaid_text(&c.title)));
            for node in &c.nodes {
                let text = label(&node.lines);
                let shaped = match node.shape {
                    NodeShape::Terminal => format!("([\"{text}\"])"),
                    NodeShape::Step => format!("[\"{text}\"]"),
                    NodeShape::Call => format!("[[\"{text}\"]]"),
                };
                out.push_str(&format!("        {}{shaped}\n", node.id));
            }
            out.push_str("    end\n");
        }
        let mut failures = Vec::new();
        for (i, e) in self.edges.iter().enumerate() {
            let arrow = match e.kind {
                EdgeKind::Next | EdgeKind::Success => "-->",
                EdgeKind::Failure => {
                    failures.push(i.to_string());
                    "==>"
                }
                EdgeKind::Runs | EdgeKind::DependsOn => "-.->",
            };
            let text = if e.lines.is_empty() { String::new() } else { format!("|\"{}\"|", label(&e.lines)) };
            out.push_str(&format!("    {} {arrow}{text} {}\n", e.from, e.to));
        }
        if !failures.is_empty() {
            out.push_str(&format!("    linkStyle {} stroke:#c62828,color:#c62828\n", failures.join(",")));
        }
        out
    }

    fn dot(&self) -> String {
        let label = |lines: &[String]| lines.iter().map(|l| dot_text(l)).collect::<Vec<_>>().join("\\n");
        let mut out = String::from("digraph arazzo {\n    node [shape=box];\n");
        for c in &self.clusters {
            out.push_str(&format!("    subgraph cluster_{} {{\n", c.id));
            out.push_str(&format!("        label=\"{}\";\n", dot_text(&c.title)));
            for node in &c.nodes {
                let shape = match node.shape {
                    NodeShape::Terminal => ", shape=oval",
                    NodeShape::Step => "",
                    NodeShape::Call => ", peripheries=2",
                };
                out.push_str(&format!("        {} [label=\"{}\"{shape}];\n", node.id, label(&node.lines)));
            }
            out.push_str("    }\n");
        }
        for e in &self.edges {
            let mut attrs = Vec::new();
            if !e.lines.is_empty() {
                attrs.push(format!("label=\"{}\"", label(&e.lines)));
            }
            attrs.extend(
                match e.kind {
                    EdgeKind::Next | EdgeKind::Success => None,
                    EdgeKind::Failure => Some("color=red3, fontcolor=red3, penwidth=2"),
                    EdgeKind::Runs => Some("style=dotted"),
                    EdgeKind::DependsOn => Some("style=dashed"),
                }
                .map(str::to_string),
            );
            let attrs = if attrs.is_empty() { String::new() } else { format!(" [{}]", attrs.join(", ")) };
            out.push_str(&format!("    {} -> {}{attrs};\n", e.from, e.to));
        }
        out.push_str("}\n");
        out
    }
}

/// The workflows that `w` runs: `dependsOn`, then those of its steps and actions, in order.
fn runs(w: &WorkflowPlan) -> Vec<WfKey> {
    let mut out: Vec<WfKey> = w.depends_on.iter().map(|d| d.key).collect();
    for s in &w.steps {
        if let StepKind::Call(wf) = &s.kind {
            out.push(wf.key);
        }
        for a in s.on_success.iter().chain(&s.on_failure) {
            match &a.act {
                Act::GotoWorkflow(wf) | Act::Retry { workflow: Some(wf), .. } => out.push(wf.key),
                _ => {}
            }
        }
    }
    out
}

/// `text` on one line, cut to [`CRITERIA_CHARS`] characters.
fn shorten(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= CRITERIA_CHARS {
        return line;
    }
    let mut cut: String = line.chars().take(CRITERIA_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// Text for a quoted Mermaid label: characters that would end the label or be read as markup
/// become entity codes (and a backtick would end a rustdoc code block).
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '&' => out.push_str("#amp;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '|' => out.push_str("#124;"),
            '`' => out.push_str("#96;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for a quoted DOT string.
fn dot_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn criteria_are_cut_on_a_character_boundary() {
        assert_eq!(shorten("$statusCode  ==\n 200"), "$statusCode == 200");
        let long = "é".repeat(CRITERIA_CHARS + 5);
        let cut = shorten(&long);
        assert_eq!(cut.chars().count(), CRITERIA_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn labels_cannot_escape_their_quotes() {
        assert_eq!(
            mermaid_text(r#"$.a == "x" || `b` <c>"#),
            "$.a == #quot;x#quot; #124;#124; #96;b#96; #lt;c#gt;"
        );
        assert_eq!(dot_text(r#"a "b" \n"#), r#"a \"b\" \\n"#);
    }
}
