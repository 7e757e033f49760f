//! Repository names and tags, as the distribution spec's grammar defines them.

use std::fmt;

/// Longest repository name accepted, in characters (the spec's recommended limit).
pub const MAX_NAME_LEN: usize = 255;
/// Longest tag accepted, in characters.
pub const MAX_TAG_LEN: usize = 128;

/// Why a name or tag was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidName(pub String);

impl fmt::Display for InvalidName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A repository name: `/`-separated components of `[a-z0-9]+` joined by `.`, `_`, `__` or runs
/// of `-`, at most [`MAX_NAME_LEN`] characters in all.
///
/// No component starts with `_`, so a name never collides with the `_manifests` and `_layers`
/// keys stored under it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RepoName(String);

impl RepoName {
    pub fn parse(name: &str) -> Result<Self, InvalidName> {
        if name.is_empty() || name.len() > MAX_NAME_LEN {
            return Err(InvalidName(format!(
                "repository name must be 1 to {MAX_NAME_LEN} characters"
            )));
        }
        if let Some(component) = name.split('/').find(|c| !valid_component(c)) {
            return Err(InvalidName(format!(
                "invalid repository name component {component:?}: lowercase letters and digits \
                 separated by '.', '_', '__' or '-'"
            )));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RepoName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`
fn valid_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let mut i = 0;
    loop {
        let start = i;
        while i < bytes.len() && alnum(bytes[i]) {
            i += 1;
        }
        if i == start {
            return false;
        }
        if i == bytes.len() {
            return true;
        }
        let sep = i;
        match bytes[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if i < bytes.len() && bytes[i] == b'_' {
                    i += 1;
                }
            }
            b'-' => {
                while i < bytes.len() && bytes[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
        if i == sep {
            return false;
        }
    }
}

/// A tag: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Tag(String);

impl Tag {
    pub fn parse(tag: &str) -> Result<Self, InvalidName> {
        let bytes = tag.as_bytes();
        let first_ok = bytes.first().is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
        let rest_ok =
            bytes.iter().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !first_ok || !rest_ok || bytes.len() > MAX_TAG_LEN {
            return Err(InvalidName(format!(
                "invalid tag {tag:?}: up to {MAX_TAG_LEN} of [a-zA-Z0-9_.-], not starting with \
                 '.' or '-'"
            )));
        }
        Ok(Self(tag.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_spec_grammar() {
        for ok in ["a", "t/app", "a/b/c/d/e/f", "x/manifests", "a.b_c__d---e", "0/9"] {
            assert!(RepoName::parse(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(300);
        for bad in ["", "Test/x", "test/Someproject", "a//b", "a/-b", "a/", "/a", "a___b", "_a"] {
            assert!(RepoName::parse(bad).is_err(), "{bad}");
        }
        assert!(RepoName::parse(&long).is_err());
        assert!(RepoName::parse(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn tags_follow_the_spec_grammar() {
        assert!(Tag::parse(&"t".repeat(128)).is_ok());
        assert!(Tag::parse("_x.Y-1").is_ok());
        for bad in ["", ".hidden", "-x", "a/b", "a:b"] {
            assert!(Tag::parse(bad).is_err(), "{bad}");
        }
        assert!(Tag::parse(&"t".repeat(129)).is_err());
    }
}
