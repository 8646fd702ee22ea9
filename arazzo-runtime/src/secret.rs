//! A string that never shows itself in logs or errors.

use serde::{Deserialize, Serialize};

/// A secret string, such as an API key.
///
/// `Debug` and `Display` print `[redacted]`. When a `Secret` is sent in a header, the workflow run
/// remembers it and replaces it with `[redacted]` in every body excerpt of its errors, and the header
/// value is marked sensitive so HTTP layers do not log it.
///
/// `Deserialize` reads a plain string. `Serialize` writes the real value: a secret is serialized only
/// to be sent on the wire (for example in a JSON request body), where the server needs the real text.
#[derive(Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret string.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The real value. Use it only to send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacted_but_serialized() {
        let s = Secret::from("sk-ant-123");
        assert_eq!(format!("{s} {s:?}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "sk-ant-123");
        assert_eq!(serde_json::to_string(&s).ok().as_deref(), Some("\"sk-ant-123\""));
        let back: Result<Secret, _> = serde_json::from_str("\"x\"");
        assert_eq!(back.ok(), Some(Secret::new(String::from("x"))));
    }
}
