//! URI-references resolved against a base (RFC 3986 §5.2), for `$self` and source description
//! URLs (Arazzo 1.1.0, "Relative References in Arazzo Description URIs" and Appendix B). A base
//! without a scheme is a file path, resolved the same way.

/// Where a source description of `doc` lives, as far as the document says: its `url`, resolved
/// against `$self` when `$self` is an absolute URI (1.1.0, "Establishing the Base URI"). A
/// relative `$self` needs the document's own location: [`resolve`] it against that first.
pub fn source_location(doc: &crate::model::Document, url: &str) -> String {
    match &doc.self_uri {
        Some((_, own)) if has_scheme(own) && !has_scheme(url) => resolve(own, url),
        _ => url.to_string(),
    }
}

/// Whether `s` starts with a scheme (`https:`, `file:`, `urn:`): an absolute URI.
pub fn has_scheme(s: &str) -> bool {
    let Some((scheme, _)) = s.split_once(':') else { return false };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// `reference` resolved against `base` (RFC 3986 §5.2.2), without fragment.
pub fn resolve(base: &str, reference: &str) -> String {
    let reference = reference.split('#').next().unwrap_or(reference);
    if has_scheme(reference) {
        let (scheme, rest) = reference.split_once(':').unwrap_or_default();
        let (authority, path, query) = split(rest);
        return join(Some(scheme), authority, &remove_dot_segments(path), query);
    }
    let (scheme, rest) = if has_scheme(base) {
        base.split_once(':').map_or((None, base), |(s, r)| (Some(s), r))
    } else {
        (None, base)
    };
    let (b_authority, b_path, b_query) = split(rest.split('#').next().unwrap_or(rest));
    let (authority, path, query) = split(reference);
    if authority.is_some() {
        return join(scheme, authority, &remove_dot_segments(path), query);
    }
    if path.is_empty() {
        return join(scheme, b_authority, b_path, query.or(b_query));
    }
    let path = if path.starts_with('/') {
        remove_dot_segments(path)
    } else {
        // §5.2.3: merge with the base path up to its last `/`.
        let merged = match b_path.rfind('/') {
            Some(i) => format!("{}{path}", &b_path[..=i]),
            None if b_authority.is_some() => format!("/{path}"),
            None => path.to_string(),
        };
        remove_dot_segments(&merged)
    };
    join(scheme, b_authority, &path, query)
}

/// (`//authority`, path, `?query`) of the part of a URI-reference after its scheme.
fn split(s: &str) -> (Option<&str>, &str, Option<&str>) {
    let (s, query) = match s.split_once('?') {
        Some((s, q)) => (s, Some(q)),
        None => (s, None),
    };
    match s.strip_prefix("//") {
        Some(rest) => {
            let end = rest.find('/').unwrap_or(rest.len());
            (Some(&rest[..end]), &rest[end..], query)
        }
        None => (None, s, query),
    }
}

fn join(scheme: Option<&str>, authority: Option<&str>, path: &str, query: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(s) = scheme {
        out.push_str(s);
        out.push(':');
    }
    if let Some(a) = authority {
        out.push_str("//");
        out.push_str(a);
    }
    out.push_str(path);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// RFC 3986 §5.2.4; a relative path keeps the `..` that climb above its start.
fn remove_dot_segments(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').collect();
    for (i, seg) in segments.iter().enumerate() {
        let last = i + 1 == segments.len();
        match *seg {
            "." => {
                if last {
                    out.push("");
                }
            }
            ".." => {
                match out.last() {
                    Some(&s) if s != ".." && !(s.is_empty() && out.len() == 1 && absolute) => {
                        out.pop();
                    }
                    _ if !absolute => out.push(".."),
                    _ => {}
                }
                if last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let joined = out.join("/");
    if absolute && !joined.starts_with('/') { format!("/{joined}") } else { joined }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appendix_b_cases_resolve_as_the_spec_says() {
        // Base URI within content (`$self`).
        let base = "https://api.example.com/workflows/purchase.arazzo.yaml";
        assert_eq!(resolve(base, "../specs/petstore.yaml"), "https://api.example.com/specs/petstore.yaml");
        // From the retrieval URI.
        let file = "file:///Users/dev/projects/workflows/purchase.arazzo.yaml";
        assert_eq!(resolve(file, "../specs/petstore.yaml"), "file:///Users/dev/projects/specs/petstore.yaml");
        // An application default.
        let app = "https://workflows.example.com/a7b3c4d5";
        assert_eq!(resolve(app, "specs/petstore.yaml"), "https://workflows.example.com/specs/petstore.yaml");
        // A relative `$self`, resolved first.
        let retrieved = "https://api.example.com/v2/api-description.yaml";
        let own = resolve(retrieved, "workflows/purchase.arazzo.yaml");
        assert_eq!(own, "https://api.example.com/v2/workflows/purchase.arazzo.yaml");
        assert_eq!(resolve(&own, "../specs/petstore.yaml"), "https://api.example.com/v2/specs/petstore.yaml");
    }

    #[test]
    fn file_paths_resolve_like_uris_without_scheme() {
        assert_eq!(resolve("tests/v11/a.arazzo.yaml", "b.yaml"), "tests/v11/b.yaml");
        assert_eq!(resolve("tests/v11/a.arazzo.yaml", "../../b.yaml"), "b.yaml");
        assert_eq!(resolve("a.arazzo.yaml", "../b.yaml"), "../b.yaml");
        assert_eq!(resolve("x/a.yaml", "https://h/x.yaml#/frag"), "https://h/x.yaml");
        assert!(has_scheme("urn:example:x") && !has_scheme("./a:b") && !has_scheme("C"));
    }
}
