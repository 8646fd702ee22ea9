//! Integration tests live in `tests/`. The library holds the code generated from the corpus
//! documents ([`corpus`]) and from the media-type documents ([`media`]), so that it is compiled
//! with the workspace, and the tests call it; and [`shared`], which finds the shared corpus for
//! the tests that read it.

use std::path::{Path, PathBuf};

pub mod corpus;
pub mod media;

/// `<workspace>/../shared/<rel>`: the shared corpus and spec, beside the checkout.
///
/// `None` when it is absent, after a note on stderr: the caller skips what reads it. Under
/// `CI=true` absence panics instead, since CI lays the folder beside the clone and a test that
/// skipped there would pass having checked nothing.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared").join(rel);
    if path.exists() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{} is absent: CI=true needs the shared folder beside the checkout", path.display());
    }
    eprintln!("note: {} is absent; what reads it is skipped (a failure under CI=true)", path.display());
    None
}
