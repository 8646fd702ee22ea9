//! The `arazzo-codegen` command line: `check` documents, `generate` Rust from them, draw their
//! workflows as a `graph`.
//!
//! A package of its own so that build.rs and proc-macro users of the `arazzo-codegen` library
//! never compile clap. In this workspace: `cargo run -p arazzo-codegen-cli -- <command>`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "arazzo-codegen", version, about = "Compile Arazzo workflows into typed async Rust")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Report every mistake in the documents; exit 1 when there are errors.
    Check {
        /// Arazzo documents (YAML or JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Also show the warnings about parts of OpenAPI files that no workflow reaches.
        #[arg(short, long)]
        verbose: bool,
        #[command(flatten)]
        options: Options,
    },
    /// Write one formatted Rust file per document into a directory.
    Generate {
        /// Arazzo documents (YAML or JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Output directory.
        #[arg(short = 'o', long = "out-dir")]
        out_dir: PathBuf,
        /// Write nothing; exit 1 when a file on disk differs from what would be written.
        #[arg(long)]
        check: bool,
        #[command(flatten)]
        options: Options,
    },
    /// Draw the workflows of a document (and those they run) on stdout.
    Graph {
        /// An Arazzo document (YAML or JSON).
        file: PathBuf,
        /// Draw only this workflow (and those it runs).
        #[arg(long, value_name = "ID")]
        workflow: Option<String>,
        /// The diagram's language.
        #[arg(long, value_enum, default_value = "mermaid")]
        format: GraphFormat,
        #[command(flatten)]
        options: Options,
    },
}

/// The language of a diagram.
#[derive(Clone, Copy, clap::ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (renders in GitHub Markdown and at mermaid.live).
    Mermaid,
    /// A Graphviz digraph (`dot -Tsvg`).
    Dot,
}

#[derive(clap::Args)]
struct Options {
    /// Map a source description (by name or URL) to a local file: NAME=PATH.
    #[arg(long = "source", value_name = "NAME=PATH")]
    sources: Vec<String>,
    /// Treat `retry` inside `onSuccess` as an error.
    #[arg(long)]
    strict: bool,
    /// Do not report findings with this code (a lowerable error is lowered, silently).
    #[arg(short = 'A', long = "allow", value_name = "CODE")]
    allow: Vec<String>,
    /// Report findings with this code as warnings (lowers E0319 and E0401, with their fallbacks).
    #[arg(short = 'W', long = "warn", value_name = "CODE")]
    warn: Vec<String>,
    /// Report findings with this code as errors; `-D warnings` denies every warning.
    #[arg(short = 'D', long = "deny", value_name = "CODE")]
    deny: Vec<String>,
    /// Also emit each workflow as a Restate workflow service, in a `durable` module next to its
    /// function (needs arazzo-runtime's `restate` feature).
    #[arg(long)]
    durable: bool,
}

impl Options {
    fn settings(&self) -> Result<arazzo_codegen::Settings, String> {
        let mut s =
            arazzo_codegen::Settings { strict: self.strict, durable: self.durable, ..Default::default() };
        for m in &self.sources {
            let (name, path) =
                m.split_once('=').ok_or_else(|| format!("--source expects NAME=PATH, got `{m}`"))?;
            s = s.source(name, path);
        }
        // A code given to several flags: deny wins over warn, which wins over allow.
        for code in &self.allow {
            s = s.allow(code);
        }
        for code in &self.warn {
            s = s.warn(code);
        }
        for code in &self.deny {
            s = s.deny(code);
        }
        Ok(s)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let options = match &cli.command {
        Command::Check { options, .. }
        | Command::Generate { options, .. }
        | Command::Graph { options, .. } => options,
    };
    let settings = match options.settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Generate { files, out_dir, check, .. } => generate(&files, &out_dir, check, &settings),
        Command::Graph { file, workflow, format, .. } => {
            let format = match format {
                GraphFormat::Mermaid => arazzo_codegen::Format::Mermaid,
                GraphFormat::Dot => arazzo_codegen::Format::Dot,
            };
            match arazzo_codegen::graph(&file, &settings, format, workflow.as_deref()) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check { files, verbose, .. } => {
            let mut failed = false;
            for f in &files {
                let checked = arazzo_codegen::check(f, &settings);
                eprint!("{}", if verbose { checked.render_verbose() } else { checked.render() });
                failed |= checked.diagnostics.has_errors();
            }
            if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
        }
    }
}

/// The command line that regenerates `file` into `out_dir` (written into the header).
fn regenerate_command(file: &std::path::Path, out_dir: &std::path::Path, durable: bool) -> String {
    let flag = if durable { " --durable" } else { "" };
    format!("cargo run -p arazzo-codegen-cli -- generate{flag} {} -o {}", file.display(), out_dir.display())
}

fn generate(
    files: &[PathBuf],
    out_dir: &std::path::Path,
    check: bool,
    settings: &arazzo_codegen::Settings,
) -> ExitCode {
    let mut failed = false;
    for f in files {
        match arazzo_codegen::generate(f, settings) {
            Ok(g) => {
                eprint!("{}", g.checked.render());
                for (id, why) in &g.not_durable {
                    eprintln!("note: workflow `{id}` has no durable module: {why}");
                }
                let text = g.to_file_string(&regenerate_command(f, out_dir, settings.durable));
                let path = out_dir.join(format!("{}.rs", arazzo_codegen::module_name(f)));
                if check {
                    if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                        eprintln!(
                            "error: {} is stale; run: {}",
                            path.display(),
                            regenerate_command(f, out_dir, settings.durable)
                        );
                        failed = true;
                    }
                } else if let Err(e) = arazzo_codegen::write_if_changed(&path, &text) {
                    eprintln!("error: cannot write {}: {e}", path.display());
                    failed = true;
                }
            }
            Err(checked) => {
                eprint!("{}", checked.render());
                failed = true;
            }
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

#[cfg(test)]
mod tests {
    use arazzo_codegen::Level;
    use clap::Parser;

    use super::{Cli, Command};

    #[test]
    fn lint_flags_set_levels() {
        let args = ["arazzo-codegen", "check", "-A", "W0203", "--warn", "E0401", "-D", "warnings", "x.yaml"];
        let Command::Check { options, .. } = Cli::parse_from(args).command else { panic!("check") };
        let lints = options.settings().expect("settings").lints;
        let levels: Vec<(&str, Level)> = lints.iter().collect();
        assert_eq!(levels, [("E0401", Level::Warn), ("W0203", Level::Allow), ("warnings", Level::Deny)]);
    }
}
