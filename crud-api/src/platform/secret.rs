//! Secrets from the environment or from files, never printed.

use std::fmt;
use std::str::FromStr;

/// A secret string. `Debug` and `Display` print `***`, so a secret can't leak through logs or
/// `--help`. A value written `file:/path` is read from that file (trailing newline trimmed), so
/// Kubernetes Secrets mounted as files work without putting the secret in the environment.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Secret {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("file:") {
            Some(path) => std::fs::read_to_string(path)
                .map(|v| Secret(v.trim_end_matches(['\n', '\r']).to_string()))
                .map_err(|e| format!("cannot read secret file {path}: {e}")),
            None => Ok(Secret(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s: Secret = "hunter2".parse().unwrap();
        assert_eq!(format!("{s:?} {s}"), "Secret(***) ***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn reads_file_values() {
        let dir = std::env::temp_dir().join(format!("secret-test-{}", std::process::id()));
        std::fs::write(&dir, "from-file\n").unwrap();
        let s: Secret = format!("file:{}", dir.display()).parse().unwrap();
        assert_eq!(s.expose(), "from-file");
        std::fs::remove_file(&dir).ok();
        assert!("file:/nonexistent/x".parse::<Secret>().is_err());
    }
}
