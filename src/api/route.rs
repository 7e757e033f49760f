//! Parsing a request path into the resource it names.
//!
//! Repository names may contain route words (`x/manifests` is a valid name), so a path is read
//! from its end: the last segments name the resource, everything before them the repository.

use super::errors::{ApiError, ErrorCode};
use crate::oci::RepoName;

#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// `/v2/`
    Base,
    /// `/v2/_catalog`
    Catalog,
    /// `/v2/<name>/tags/list`
    Tags(RepoName),
    /// `/v2/<name>/manifests/<reference>`
    Manifest(RepoName, String),
    /// `/v2/<name>/blobs/<digest>`
    Blob(RepoName, String),
    /// `/v2/<name>/blobs/uploads/`
    Uploads(RepoName),
    /// `/v2/<name>/blobs/uploads/<id>`
    Upload(RepoName, String),
    /// `/v2/<name>/referrers/<digest>`
    Referrers(RepoName, String),
}

impl Route {
    /// The route's name in log lines.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Base => "base",
            Self::Catalog => "catalog",
            Self::Tags(_) => "tags",
            Self::Manifest(..) => "manifest",
            Self::Blob(..) => "blob",
            Self::Uploads(_) | Self::Upload(..) => "upload",
            Self::Referrers(..) => "referrers",
        }
    }

    pub fn repository(&self) -> Option<&RepoName> {
        match self {
            Self::Base | Self::Catalog => None,
            Self::Tags(name) | Self::Uploads(name) => Some(name),
            Self::Manifest(name, _)
            | Self::Blob(name, _)
            | Self::Upload(name, _)
            | Self::Referrers(name, _) => Some(name),
        }
    }

    pub fn reference(&self) -> Option<&str> {
        match self {
            Self::Manifest(_, r)
            | Self::Blob(_, r)
            | Self::Upload(_, r)
            | Self::Referrers(_, r) => Some(r),
            _ => None,
        }
    }

    /// Parses a path under `/v2/`; `None` when it is not a registry path at all.
    pub fn parse(path: &str) -> Option<Result<Self, ApiError>> {
        let rest = path.strip_prefix("/v2")?;
        if rest.is_empty() || rest == "/" {
            return Some(Ok(Self::Base));
        }
        let rest = rest.strip_prefix('/')?;
        if rest == "_catalog" {
            return Some(Ok(Self::Catalog));
        }

        let segments: Vec<&str> = rest.split('/').collect();
        let n = segments.len();
        let at = |i: usize| if i <= n && i > 0 { segments[n - i] } else { "" };
        let name_before = |count: usize| segments[..n.saturating_sub(count)].join("/");

        let (name, route, reference): (String, fn(RepoName, String) -> Route, String) = if n >= 3
            && at(3) == "blobs"
            && at(2) == "uploads"
        {
            if at(1).is_empty() {
                (name_before(3), |name, _| Route::Uploads(name), String::new())
            } else {
                (name_before(3), Route::Upload, at(1).to_owned())
            }
        } else if n >= 3 && at(2) == "tags" && at(1) == "list" {
            (name_before(2), |name, _| Route::Tags(name), String::new())
        } else if n >= 3 && at(2) == "manifests" {
            (name_before(2), Route::Manifest, at(1).to_owned())
        } else if n >= 3 && at(2) == "blobs" && at(1) == "uploads" {
            // No digest is called "uploads": the upload path without its trailing slash.
            (name_before(2), |name, _| Route::Uploads(name), String::new())
        } else if n >= 3 && at(2) == "blobs" {
            (name_before(2), Route::Blob, at(1).to_owned())
        } else if n >= 3 && at(2) == "referrers" {
            (name_before(2), Route::Referrers, at(1).to_owned())
        } else {
            return Some(Err(ApiError::new(ErrorCode::NotFound, format!("no route for {path}"))));
        };

        Some(match RepoName::parse(&name) {
            Ok(name) => Ok(route(name, reference)),
            Err(err) => Err(ApiError::new(ErrorCode::NameInvalid, err.0)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> RepoName {
        RepoName::parse(s).unwrap()
    }

    #[test]
    fn paths_are_read_from_their_end() {
        let parse = |p: &str| Route::parse(p).unwrap().unwrap();
        assert_eq!(parse("/v2/"), Route::Base);
        assert_eq!(parse("/v2/_catalog"), Route::Catalog);
        assert_eq!(parse("/v2/a/b/c/d/e/f/tags/list"), Route::Tags(name("a/b/c/d/e/f")));
        assert_eq!(
            parse("/v2/x/manifests/manifests/v1"),
            Route::Manifest(name("x/manifests"), "v1".into())
        );
        assert_eq!(
            parse("/v2/x/blobs/blobs/sha256:a"),
            Route::Blob(name("x/blobs"), "sha256:a".into())
        );
        assert_eq!(parse("/v2/x/tags/tags/list"), Route::Tags(name("x/tags")));
        assert_eq!(parse("/v2/x/blobs/uploads/"), Route::Uploads(name("x")));
        assert_eq!(parse("/v2/x/blobs/uploads"), Route::Uploads(name("x")));
        assert_eq!(parse("/v2/x/blobs/uploads/abc"), Route::Upload(name("x"), "abc".into()));
        assert_eq!(
            parse("/v2/x/referrers/sha256:a"),
            Route::Referrers(name("x"), "sha256:a".into())
        );
    }

    #[test]
    fn bad_names_and_paths_are_errors_not_panics() {
        for path in [
            "/v2/Test/x/tags/list",
            "/v2/a//b/tags/list",
            "/v2/a/-b/tags/list",
            "/v2/blobs/uploads/",
        ] {
            let err = Route::parse(path).unwrap().unwrap_err();
            assert_eq!(err.code, ErrorCode::NameInvalid, "{path}");
        }
        assert_eq!(Route::parse("/v2/x").unwrap().unwrap_err().code, ErrorCode::NotFound);
        assert!(Route::parse("/other").is_none());
    }
}
