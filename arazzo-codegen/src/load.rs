//! Reading files: the Arazzo document, the source descriptions it names (OpenAPI or Arazzo),
//! and every file an external `$ref` reaches. The only stage besides `write` that does I/O.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde_json::Value;

use crate::Settings;
use crate::diag::{Diagnostic, Diagnostics, Severity};
use crate::model::{Document, SourceKind};
use crate::read;
use crate::report::{Part, Reporter, locate};
use crate::syntax::{self, ErrorKind, Tree};
use crate::uri;

/// One file that was read.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as opened (relative to the settings' base directory when relative).
    pub path: PathBuf,
    /// Path as shown in diagnostics and headers (relative, `/`-separated).
    pub display: String,
    /// Its text.
    pub text: String,
    /// Its parsed tree.
    pub tree: Tree,
}

/// What a source description of an Arazzo document resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A file in [`Loaded::files`].
    File(usize),
    /// A remote URL that was not fetched and has no local mapping.
    Remote,
    /// The file could not be read or parsed (already reported).
    Broken,
}

/// Everything read for one Arazzo document.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// Files in the order they were read; the entry document is first.
    pub files: Vec<SourceFile>,
    /// Arazzo documents by file index (the entry first).
    pub documents: BTreeMap<usize, Document>,
    /// For each (Arazzo file index, source name): what it resolved to.
    pub sources: BTreeMap<(usize, String), Resolved>,
    /// Files read that are not valid YAML or JSON: (path as opened, display path, text).
    pub unparsed: Vec<(PathBuf, String, String)>,
}

impl Loaded {
    /// The file at `idx`.
    pub fn file(&self, idx: usize) -> &SourceFile {
        &self.files[idx]
    }

    /// Index of the file opened at `path`, if it was read.
    pub fn index_of(&self, path: &Path) -> Option<usize> {
        self.files.iter().position(|f| f.path == path)
    }

    /// A reporter writing located findings about file `idx` into `diags`.
    pub fn reporter<'a>(&'a self, idx: usize, diags: &'a mut Diagnostics) -> Reporter<'a> {
        let f = &self.files[idx];
        Reporter { file: &f.display, tree: &f.tree, diags }
    }

    /// The text of each file by display name, for rendering diagnostics.
    pub fn text_of(&self, display: &str) -> Option<&str> {
        let unparsed = self.unparsed.iter().map(|(_, d, t)| (d, t));
        self.files
            .iter()
            .map(|f| (&f.display, &f.text))
            .chain(unparsed)
            .find(|(d, _)| *d == display)
            .map(|(_, t)| t.as_str())
    }

    /// Every file read, as opened, including those that did not parse: what a build must watch.
    pub fn paths_read(&self) -> impl Iterator<Item = &Path> {
        self.files.iter().map(|f| f.path.as_path()).chain(self.unparsed.iter().map(|(p, _, _)| p.as_path()))
    }
}

/// Loads `path` and everything it names. Findings go to `diags`; loading goes as far as it can.
pub fn load(path: &Path, settings: &Settings, diags: &mut Diagnostics) -> Loaded {
    let mut loaded = Loaded::default();
    let Some(root) = read_file(&mut loaded, &normalize(path), settings, diags, None) else { return loaded };
    load_arazzo(&mut loaded, root, settings, diags);
    dangling_refs(&loaded, diags);
    loaded
}

/// Warns about each `$ref` of an OpenAPI file that names nothing: the schema it stands for
/// would silently become untyped JSON.
fn dangling_refs(loaded: &Loaded, diags: &mut Diagnostics) {
    for (i, f) in loaded.files.iter().enumerate().filter(|(i, _)| !loaded.documents.contains_key(i)) {
        let mut refs = Vec::new();
        collect_refs(&f.tree.value, "", &mut refs);
        let mut r = Reporter { file: &f.display, tree: &f.tree, diags };
        for (ptr, target) in refs {
            let remote = target.starts_with("http://") || target.starts_with("https://");
            let (file, _) = target.split_once('#').unwrap_or((&target, ""));
            let unread = !file.is_empty()
                && loaded
                    .index_of(&normalize(&f.path.parent().unwrap_or(Path::new("")).join(file)))
                    .is_none();
            if !remote && !unread && crate::openapi::resolve_ref(loaded, i, &target).is_none() {
                let help = "point it at an existing component, e.g. `#/components/schemas/<Name>`";
                r.warn(
                    "W0105",
                    &ptr,
                    format!("`$ref: {target}` names nothing, so what it stands for is untyped JSON"),
                    Some(help.into()),
                );
            }
        }
    }
}

fn load_arazzo(loaded: &mut Loaded, idx: usize, settings: &Settings, diags: &mut Diagnostics) {
    let doc = {
        let f = &loaded.files[idx];
        let mut r = Reporter { file: &f.display, tree: &f.tree, diags };
        read::document(&f.tree.value, &mut r)
    };
    let sources: Vec<_> =
        doc.sources.iter().map(|s| (s.name.clone(), s.url.clone(), s.kind, s.ptr.clone())).collect();
    loaded.documents.insert(idx, doc);
    for (name, url, kind, ptr) in sources {
        let resolved = resolve_source(loaded, idx, &name, &url, &ptr, settings, diags);
        if let Resolved::File(file) = resolved {
            match kind {
                SourceKind::Arazzo if !loaded.documents.contains_key(&file) => {
                    load_arazzo(loaded, file, settings, diags)
                }
                SourceKind::Arazzo => {}
                SourceKind::AsyncApi => {
                    let f = &loaded.files[file];
                    crate::asyncapi::check_version(
                        &f.tree.value,
                        &mut Reporter { file: &f.display, tree: &f.tree, diags },
                    );
                }
                SourceKind::OpenApi => {
                    check_openapi(loaded, file, diags);
                    load_external_refs(loaded, file, settings, diags);
                }
            }
        }
        loaded.sources.insert((idx, name), resolved);
    }
}

fn resolve_source(
    loaded: &mut Loaded,
    from: usize,
    name: &str,
    url: &str,
    ptr: &str,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Resolved {
    let url_ptr = format!("{ptr}/url");
    // 1.1: a relative `url` resolves against `$self`, itself resolved against this file's path
    // when relative (Appendix B). Without `$self`, against this file's directory, as in 1.0.x.
    let own = loaded.documents.get(&from).and_then(|d| d.self_uri.as_ref()).map(|(_, s)| s.clone());
    let located = own.filter(|_| !uri::has_scheme(url)).map(|own| {
        let file = display_path(&loaded.files[from].path);
        uri::resolve(&uri::resolve(&file, &own), url)
    });
    let written = url;
    let url = located.as_deref().unwrap_or(url);
    let mapped = settings
        .sources
        .get(name)
        .or_else(|| settings.sources.get(url))
        .or_else(|| settings.sources.get(written));
    // Identity-based referencing (1.1.0): an Arazzo document already read whose `$self` is this URL.
    if mapped.is_none()
        && let Some(file) = by_identity(loaded, url)
    {
        return Resolved::File(file);
    }
    let target = match mapped {
        // Relative to `base_dir`, like every other path, so headers and diagnostics name it the same way.
        Some(p) => {
            p.strip_prefix(&settings.base_dir).ok().filter(|_| p.is_absolute()).unwrap_or(p).to_path_buf()
        }
        None if url.starts_with("http://") || url.starts_with("https://") => {
            let f = &loaded.files[from];
            diags.push(locate(
                &f.display,
                &f.tree,
                Severity::Warning,
                "W0103",
                &url_ptr,
                Part::Value,
                match &located {
                    Some(at) => format!("source `{name}` is the remote URL `{at}` (its `url` resolved against `$self`); it is not fetched, so the steps that use it can be neither checked nor generated"),
                    None => format!("source `{name}` is a remote URL; it is not fetched, so the steps that use it can be neither checked nor generated"),
                },
                Some(format!("vendor the file and map it: `Settings::source(\"{name}\", \"path/to/file.yaml\")` or `--source {name}=path/to/file.yaml`")),
            ));
            return Resolved::Remote;
        }
        None if located.is_some() => PathBuf::from(url.strip_prefix("file://").unwrap_or(url)),
        None => {
            let base = loaded.files[from].path.parent().map(Path::to_path_buf).unwrap_or_default();
            let rel = url.split('#').next().unwrap_or(url);
            base.join(rel)
        }
    };
    match read_file(loaded, &normalize(&target), settings, diags, Some((from, url_ptr))) {
        Some(i) => Resolved::File(i),
        None => Resolved::Broken,
    }
}

/// The Arazzo document read so far whose `$self`, resolved against its own path, is `uri`.
fn by_identity(loaded: &Loaded, uri: &str) -> Option<usize> {
    loaded.documents.iter().find_map(|(&i, d)| {
        let (_, own) = d.self_uri.as_ref()?;
        (uri::resolve(&display_path(&loaded.files[i].path), own) == uri).then_some(i)
    })
}

/// Reads and parses a file once; `cause` is the referring file and pointer for errors.
fn read_file(
    loaded: &mut Loaded,
    path: &Path,
    settings: &Settings,
    diags: &mut Diagnostics,
    cause: Option<(usize, String)>,
) -> Option<usize> {
    if let Some(i) = loaded.index_of(path) {
        return Some(i);
    }
    let display = display_path(path);
    let full = settings.base_dir.join(path);
    let (message, help) = match std::fs::read(&full).map(String::from_utf8) {
        // A UTF-8 byte order mark is allowed (YAML 1.2 §5.2) and carries nothing.
        Ok(Ok(t)) => {
            return parse_file(
                loaded,
                path,
                display,
                t.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(t),
                diags,
            );
        }
        Ok(Err(e)) => {
            let line =
                1 + e.as_bytes()[..e.utf8_error().valid_up_to()].iter().filter(|&&b| b == b'\n').count();
            (
                format!("`{display}` is not UTF-8 text (an invalid byte on line {line})"),
                "save the file as UTF-8",
            )
        }
        Err(e) if cause.is_some() => (
            format!("cannot read `{display}`: {e}"),
            "check the path; relative paths resolve against the file that names them",
        ),
        Err(e) => (
            format!(
                "cannot read `{display}` (looked for `{}`): {e}",
                std::path::absolute(&full).unwrap_or(full.clone()).display()
            ),
            "check the path; it is relative to the crate root (CARGO_MANIFEST_DIR) in build.rs and the macro, to the current directory in the CLI",
        ),
    };
    let help = Some(help.to_string());
    let d = match &cause {
        Some((from, ptr)) => {
            let f = &loaded.files[*from];
            locate(&f.display, &f.tree, Severity::Error, "E0001", ptr, Part::Value, message, help)
        }
        None => Diagnostic {
            severity: Severity::Error,
            code: "E0001",
            message,
            file: display,
            line: 1,
            column: 1,
            width: 1,
            pointer: String::new(),
            help,
        },
    };
    diags.push(d);
    None
}

/// Parses the text of a file read from `path`; an unparseable file is kept for rebuild tracking.
fn parse_file(
    loaded: &mut Loaded,
    path: &Path,
    display: String,
    text: String,
    diags: &mut Diagnostics,
) -> Option<usize> {
    match syntax::parse(&text) {
        Ok(tree) => {
            loaded.files.push(SourceFile { path: path.to_path_buf(), display, text, tree });
            Some(loaded.files.len() - 1)
        }
        Err(e) => {
            let (code, message, help) = match e.kind {
                ErrorKind::Syntax => {
                    ("E0002", format!("invalid YAML/JSON: {}", e.message), "fix the syntax at this position")
                }
                ErrorKind::TooDeep => (
                    "E0003",
                    e.message,
                    "nest less deeply: a schema can name a component with `$ref` instead of holding it",
                ),
                ErrorKind::Aliases => {
                    ("E0004", e.message, "write the repeated parts out, or alias fewer of them")
                }
            };
            diags.push(Diagnostic {
                severity: Severity::Error,
                code,
                message,
                file: display.clone(),
                line: e.pos.line,
                column: e.pos.column,
                width: 1,
                pointer: String::new(),
                help: Some(help.into()),
            });
            loaded.unparsed.push((path.to_path_buf(), display, text));
            None
        }
    }
}

fn check_openapi(loaded: &Loaded, idx: usize, diags: &mut Diagnostics) {
    let f = &loaded.files[idx];
    let mut r = Reporter { file: &f.display, tree: &f.tree, diags };
    let v = &f.tree.value;
    if let Some(s) = v.get("swagger") {
        r.error(
            "E0120",
            "/swagger",
            format!("Swagger {} is not supported", s.as_str().unwrap_or("2.0")),
            Some("convert the description to OpenAPI 3.0 or 3.1 (for example with swagger2openapi)".into()),
        );
    } else {
        match v.get("openapi").and_then(Value::as_str) {
            Some(s) if ["3.0.", "3.1.", "3.2."].iter().any(|v| s.starts_with(v)) => {}
            Some(s) => r.error(
                "E0121",
                "/openapi",
                format!("unsupported OpenAPI version `{s}`"),
                Some("this generator reads OpenAPI 3.0.x, 3.1.x and 3.2.x".into()),
            ),
            None => r.error(
                "E0121",
                "",
                "the source description has no `openapi` version field",
                Some("is this an OpenAPI 3.x document?".into()),
            ),
        }
    }
}

/// Reads every file that a `$ref` in file `idx` names, transitively.
fn load_external_refs(loaded: &mut Loaded, idx: usize, settings: &Settings, diags: &mut Diagnostics) {
    let mut refs = Vec::new();
    collect_refs(&loaded.files[idx].tree.value, "", &mut refs);
    let base = loaded.files[idx].path.parent().map(Path::to_path_buf).unwrap_or_default();
    for (ptr, r) in refs {
        let file = r.split('#').next().unwrap_or("");
        if file.is_empty() || file.starts_with("http://") || file.starts_with("https://") {
            continue;
        }
        let path = normalize(&base.join(file));
        let known = loaded.index_of(&path).is_some();
        if let Some(i) = read_file(loaded, &path, settings, diags, Some((idx, ptr)))
            && !known
        {
            load_external_refs(loaded, i, settings, diags);
        }
    }
}

/// Every `$ref` under `v`: (pointer of the `$ref` member, its target), `ptr` being `v`'s pointer.
pub(crate) fn collect_refs(v: &Value, ptr: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                let p = crate::report::child(ptr, k);
                match (k.as_str(), v) {
                    ("$ref", Value::String(s)) => out.push((p, s.clone())),
                    _ => collect_refs(v, &p, out),
                }
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                collect_refs(v, &format!("{ptr}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Collapses `.` and `..` without touching the filesystem.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if matches!(out.components().next_back(), Some(Component::Normal(_))) {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

fn display_path(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}
