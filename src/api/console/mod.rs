//! `/api/…`: the JSON the dashboard in www/ reads, beside the OCI API and `/api/gc`.
//!
//! Every endpoint is a `GET` that answers JSON with `cache-control: no-store`; errors use the OCI
//! envelope of [`ApiError`]. Changes go through the OCI API (`DELETE /v2/…/manifests/…`) and
//! `/api/gc`, under their access control. Routes, with repository names that may hold `/`
//! (a name component never starts with `_`, so `/_tags` and `/_manifests/` cannot be part of one):
//!
//! - `GET /api/info`: what the registry offers this caller.
//! - `GET /api/repositories?q=&n=&last=`: summaries of repositories, filtered and paged.
//! - `GET /api/repositories/<name>`: one repository's summary.
//! - `GET /api/repositories/<name>/_tags?n=&last=`: its tags with what they point at.
//! - `GET /api/repositories/<name>/_manifests/<reference>`: a manifest's detail.
//! - `GET /api/storage?cursor=`: the bucket's usage, a stretch of keys a call.
//!
//! Access: [`required`] names the scope each route needs, checked before the handler runs (the
//! catalog for the list, `pull` on the repository for its views, administration for the
//! storage overview); the list then shows only what the caller may pull, as `/v2/_catalog`
//! does. What each costs in storage operations is written in `registry::inventory`.

mod manifests;
mod repositories;
mod storage;

use http::{Method, StatusCode};

use super::errors::{ApiError, ErrorCode};
use super::reply::Reply;
use super::{LogFields, Request, query_param};
use crate::auth::{Action, Actions, Scope};
use crate::oci::RepoName;
use crate::registry::Registry;
use crate::storage::ObjectStore;

/// Paths under this prefix other than `/api/gc` are the console's.
pub const PREFIX: &str = "/api/";

/// What a console path names.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Info,
    Storage,
    Repositories,
    Repository(RepoName),
    Tags(RepoName),
    Manifest(RepoName, String),
}

impl Route {
    fn parse(path: &str) -> Result<Self, ApiError> {
        let not_found = || ApiError::new(ErrorCode::NotFound, format!("no route for {path}"));
        let rest = path.strip_prefix(PREFIX).ok_or_else(not_found)?;
        match rest {
            "info" => return Ok(Self::Info),
            "storage" => return Ok(Self::Storage),
            "repositories" | "repositories/" => return Ok(Self::Repositories),
            _ => {}
        }
        let rest = rest.strip_prefix("repositories/").ok_or_else(not_found)?;
        let (name, suffix) = match rest.split_once("/_") {
            Some((name, suffix)) => (name, Some(suffix)),
            None => (rest, None),
        };
        let name = RepoName::parse(name).map_err(|e| ApiError::new(ErrorCode::NameInvalid, e.0))?;
        match suffix {
            None => Ok(Self::Repository(name)),
            Some("tags") => Ok(Self::Tags(name)),
            Some(suffix) => match suffix.strip_prefix("manifests/") {
                Some(reference) if !reference.is_empty() && !reference.contains('/') => {
                    Ok(Self::Manifest(name, reference.to_owned()))
                }
                _ => Err(not_found()),
            },
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Self::Info => "console.info",
            Self::Storage => "console.storage",
            Self::Repositories => "console.repositories",
            Self::Repository(_) => "console.repository",
            Self::Tags(_) => "console.tags",
            Self::Manifest(..) => "console.manifest",
        }
    }
}

/// Answers a console request and fills in its log line's route, repository and reference.
pub async fn handle<S: ObjectStore>(
    registry: &Registry<S>,
    request: &Request,
    log: &mut LogFields,
) -> Result<Reply<S::Body>, ApiError> {
    let route = Route::parse(&request.path)?;
    log.route = route.label();
    if request.method != Method::GET {
        let method = &request.method;
        return Err(ApiError::new(
            ErrorCode::MethodNotAllowed,
            format!("{method} on {}", request.path),
        ));
    }

    match route {
        Route::Info => storage::info(registry, request),
        Route::Storage => storage::usage(registry, request).await,
        Route::Repositories => repositories::list(registry, request).await,
        Route::Repository(name) => {
            log.repository = Some(name.to_string());
            repositories::summary(registry, request, &name).await
        }
        Route::Tags(name) => {
            log.repository = Some(name.to_string());
            repositories::tags(registry, request, &name).await
        }
        Route::Manifest(name, reference) => {
            log.repository = Some(name.to_string());
            log.reference = Some(reference.clone());
            manifests::detail(registry, request, &name, &reference).await
        }
    }
}

/// The scopes a console request needs, for the access check that runs before [`handle`]. A
/// path that names no route needs only an authenticated caller, and is answered 404.
pub fn required(path: &str) -> Vec<Scope> {
    let pull = Actions::of(&[Action::Pull]);
    match Route::parse(path) {
        Ok(Route::Repositories) => vec![Scope::Catalog],
        Ok(Route::Repository(name) | Route::Tags(name) | Route::Manifest(name, _)) => {
            vec![Scope::repository(&name, pull)]
        }
        Ok(Route::Storage) => vec![Scope::Admin],
        Ok(Route::Info) | Err(_) => Vec::new(),
    }
}

/// Whether the caller may see repository `name` (the list shows only those).
fn may_pull(request: &Request, name: &RepoName) -> bool {
    request.may(Action::Pull, name)
}

/// Refuses a caller who may not pull from `name`, as the OCI API would.
fn authorize_pull(request: &Request, name: &RepoName) -> Result<(), ApiError> {
    if may_pull(request, name) {
        return Ok(());
    }
    Err(ApiError::new(ErrorCode::Denied, format!("no pull access to {name}")))
}

/// Whether the caller may see the whole bucket's usage and collect garbage.
fn may_administer(request: &Request) -> bool {
    request.is_admin()
}

/// `n` from the query: `default` when absent, at most `max`, at least 1.
fn page_size(request: &Request, default: usize, max: usize) -> Result<usize, ApiError> {
    match query_param(request, "n") {
        None => Ok(default),
        Some(n) => match n.parse::<usize>() {
            Ok(n) => Ok(n.clamp(1, max)),
            Err(_) => Err(ApiError::new(
                ErrorCode::PaginationNumberInvalid,
                format!("n={n:?} is not a count"),
            )),
        },
    }
}

/// A non-empty query parameter.
fn param(request: &Request, key: &str) -> Option<String> {
    query_param(request, key).filter(|value| !value.is_empty())
}

fn json<B, T: serde::Serialize>(value: &T) -> Reply<B> {
    let body = serde_json::to_string(value).expect("a read model serializes");
    Reply::json(StatusCode::OK, body).header(http::header::CACHE_CONTROL, "no-store")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> RepoName {
        RepoName::parse(s).unwrap()
    }

    #[test]
    fn names_end_where_an_underscore_component_begins() {
        let parse = |p: &str| Route::parse(p).unwrap();
        assert_eq!(parse("/api/repositories"), Route::Repositories);
        assert_eq!(parse("/api/repositories/a/tags"), Route::Repository(name("a/tags")));
        assert_eq!(parse("/api/repositories/a/tags/_tags"), Route::Tags(name("a/tags")));
        assert_eq!(
            parse("/api/repositories/x/_manifests/sha256:ab"),
            Route::Manifest(name("x"), "sha256:ab".into())
        );
        assert_eq!(parse("/api/storage"), Route::Storage);
    }

    #[test]
    fn each_route_needs_its_scope() {
        let scopes = |p: &str| required(p).iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(scopes("/api/repositories"), ["registry:catalog:*"]);
        assert_eq!(scopes("/api/repositories/a/b"), ["repository:a/b:pull"]);
        assert_eq!(scopes("/api/repositories/a/_tags"), ["repository:a:pull"]);
        assert_eq!(scopes("/api/repositories/a/_manifests/v1"), ["repository:a:pull"]);
        assert_eq!(scopes("/api/storage"), ["registry:admin:*"]);
        assert!(scopes("/api/info").is_empty());
        assert!(scopes("/api/nothing").is_empty());
    }

    #[test]
    fn unknown_paths_and_bad_names_are_errors() {
        let code = |p: &str| Route::parse(p).unwrap_err().code;
        assert_eq!(code("/api/nothing"), ErrorCode::NotFound);
        assert_eq!(code("/api/repositories/x/_other"), ErrorCode::NotFound);
        assert_eq!(code("/api/repositories/x/_manifests/"), ErrorCode::NotFound);
        assert_eq!(code("/api/repositories/X"), ErrorCode::NameInvalid);
    }
}
