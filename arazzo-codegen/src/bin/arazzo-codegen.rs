//! The `arazzo-codegen` command line: `check` documents, `generate` Rust from them.

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
        #[command(flatten)]
        options: Options,
    },
}

#[derive(clap::Args)]
struct Options {
    /// Map a source description (by name or URL) to a local file: NAME=PATH.
    #[arg(long = "source", value_name = "NAME=PATH")]
    sources: Vec<String>,
    /// Treat `retry` inside `onSuccess` as an error.
    #[arg(long)]
    strict: bool,
}

impl Options {
    fn settings(&self) -> Result<arazzo_codegen::Settings, String> {
        let mut s = arazzo_codegen::Settings { strict: self.strict, ..Default::default() };
        for m in &self.sources {
            let (name, path) = m.split_once('=').ok_or_else(|| format!("--source expects NAME=PATH, got `{m}`"))?;
            s = s.source(name, path);
        }
        Ok(s)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Check { files, options } => {
            let settings = match options.settings() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            };
            let mut failed = false;
            for f in &files {
                let checked = arazzo_codegen::check(f, &settings);
                eprint!("{}", checked.render());
                failed |= checked.diagnostics.has_errors();
            }
            if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
        }
    }
}
