//! A manifest reference: a tag or a digest.

use std::fmt;

use super::digest::Digest;
use super::name::Tag;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reference {
    Tag(Tag),
    Digest(Digest),
}

impl Reference {
    /// A reference containing `:` is a digest, anything else a tag.
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.contains(':') {
            Digest::parse(s).map(Self::Digest).map_err(|e| e.0)
        } else {
            Tag::parse(s).map(Self::Tag).map_err(|e| e.0)
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tag(tag) => tag.fmt(f),
            Self::Digest(digest) => digest.fmt(f),
        }
    }
}
