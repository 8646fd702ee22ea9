//! The build.rs front end.

use std::path::{Path, PathBuf};

use crate::{Settings, generate, module_name};

/// Generates Rust from Arazzo documents in a build script.
///
/// ```no_run
/// // build.rs
/// arazzo_codegen::Builder::new()
///     .document("workflows/arazzo/cancel-and-confirm-batch.arazzo.yaml")
///     .generate()
///     .unwrap_or_else(|e| panic!("{e}"));
/// // src/lib.rs
/// // pub mod cancel { include!(concat!(env!("OUT_DIR"), "/cancel_and_confirm_batch.rs")); }
/// ```
#[derive(Debug, Clone, Default)]
pub struct Builder {
    documents: Vec<PathBuf>,
    settings: Settings,
    out_dir: Option<PathBuf>,
}

impl Builder {
    /// A builder with default [`Settings`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a document; its output file is `<out_dir>/<module_name>.rs`.
    pub fn document(mut self, path: impl Into<PathBuf>) -> Self {
        self.documents.push(path.into());
        self
    }

    /// Uses these settings (source mappings, lint levels, runtime path), replacing those set so far.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Does not report findings with this code (see [`Settings::allow`]).
    pub fn allow(mut self, code: impl Into<String>) -> Self {
        self.settings = self.settings.allow(code);
        self
    }

    /// Reports findings with this code as warnings (see [`Settings::warn`]).
    pub fn warn(mut self, code: impl Into<String>) -> Self {
        self.settings = self.settings.warn(code);
        self
    }

    /// Reports findings with this code as errors (see [`Settings::deny`]).
    pub fn deny(mut self, code: impl Into<String>) -> Self {
        self.settings = self.settings.deny(code);
        self
    }

    /// Reports every warning as an error (see [`Settings::deny_warnings`]).
    pub fn deny_warnings(mut self) -> Self {
        self.settings = self.settings.deny_warnings();
        self
    }

    /// Also emits each workflow as a Restate workflow service (see [`Settings::durable`]).
    pub fn durable(mut self, durable: bool) -> Self {
        self.settings.durable = durable;
        self
    }

    /// Writes into `dir` instead of `$OUT_DIR`.
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// Generates every document. Prints `cargo:rerun-if-changed` for each file read and
    /// `cargo:warning` lines for warnings; on errors, returns every finding of every document.
    pub fn generate(self) -> Result<Vec<PathBuf>, GenerateError> {
        let Some(out_dir) = self.out_dir.clone().or_else(|| std::env::var_os("OUT_DIR").map(PathBuf::from))
        else {
            return Err(GenerateError(
                "OUT_DIR is not set: call this from build.rs or set Builder::out_dir".into(),
            ));
        };
        let mut written = Vec::new();
        let mut errors = String::new();
        for doc in &self.documents {
            let checked = match generate(doc, &self.settings) {
                Ok(g) => {
                    for d in g.checked.diagnostics.sorted() {
                        println!("cargo:warning={}", d.one_line());
                    }
                    let path = out_dir.join(format!("{}.rs", module_name(doc)));
                    let text = g.to_file_string(&format!(
                        "cargo build (build.rs: arazzo_codegen::Builder on {})",
                        doc.display()
                    ));
                    write_if_changed(&path, &text)
                        .map_err(|e| GenerateError(format!("cannot write {}: {e}", path.display())))?;
                    written.push(path);
                    g.checked
                }
                Err(checked) => {
                    errors.push_str(&checked.render());
                    checked
                }
            };
            for f in checked.files_read() {
                println!("cargo:rerun-if-changed={}", self.settings.base_dir.join(f).display());
            }
        }
        if errors.is_empty() { Ok(written) } else { Err(GenerateError(errors)) }
    }
}

/// Why [`Builder::generate`] wrote nothing: every finding, rendered like rustc's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenerateError(String);

impl std::fmt::Display for GenerateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GenerateError {}

/// Writes `text` to `path` unless the file already has exactly that content.
pub fn write_if_changed(path: &Path, text: &str) -> std::io::Result<bool> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(false);
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)?;
    Ok(true)
}
