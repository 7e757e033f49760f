//! Who may call what: the scopes each request needs, checked before it is dispatched.
//!
//! | request | needs |
//! |---|---|
//! | `/v2/` | an authenticated caller (anonymous callers get a 401 naming no scope) |
//! | `GET`/`HEAD` on a repository | `pull` |
//! | `PUT`/`POST`/`PATCH` on a repository, and every upload request | `pull` and `push` |
//! | `DELETE` on a manifest or blob | `delete` |
//! | `GET /v2/_catalog` | the catalog scope; the answer lists only what the caller may pull |
//! | `/api/accounts` | an administrator |
//! | other `/api/…` | an authenticated caller; the handler decides more with [`Request::may`] |
//!
//! The caller is attached to the request ([`Request::principal`]) for handlers that decide
//! more: a cross-repository mount needs `pull` on its source, the catalog is filtered.

use futures::StreamExt;
use http::Method;

use super::Request;
use super::errors::ApiError;
use super::route::Route;
use crate::auth::{Action, Actions, Auth, KeyValue, Scope};

/// The scopes a registry request needs.
pub fn required(route: &Route, method: &Method) -> Vec<Scope> {
    let Some(name) = route.repository() else {
        return match route {
            Route::Catalog => vec![Scope::Catalog],
            _ => Vec::new(),
        };
    };
    let pull = Actions::of(&[Action::Pull]);
    let push = Actions::of(&[Action::Pull, Action::Push]);
    let actions = match (route, method) {
        (Route::Uploads(_) | Route::Upload(..), _) => push,
        (_, &Method::PUT | &Method::POST | &Method::PATCH) => push,
        (_, &Method::DELETE) => Actions::of(&[Action::Delete]),
        _ => pull,
    };
    vec![Scope::repository(name, actions)]
}

/// Bytes of a refused request's body read and dropped, so that the client's connection can
/// carry its next request (as Go's net/http does); a longer body is left unread, and the
/// runtime closes the connection instead.
const DRAIN_LIMIT: usize = 64 * 1024;

/// Checks the request's credentials against `required` and attaches the caller to it.
pub async fn admit<K: KeyValue>(
    auth: &Auth<K>,
    request: &mut Request,
    required: &[Scope],
) -> Result<(), ApiError> {
    match auth.authorize(&request.headers, required).await {
        Ok(principal) => {
            request.principal = Some(principal);
            Ok(())
        }
        Err(denial) => {
            let mut read = 0;
            while read <= DRAIN_LIMIT {
                match request.body.next().await {
                    Some(Ok(chunk)) => read += chunk.len(),
                    _ => break,
                }
            }
            Err(denial.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(path: &str, method: Method) -> Vec<String> {
        let route = Route::parse(path).unwrap().unwrap();
        required(&route, &method).iter().map(ToString::to_string).collect()
    }

    #[test]
    fn each_request_needs_the_scope_of_its_route_and_method() {
        assert!(scope("/v2/", Method::GET).is_empty());
        assert_eq!(scope("/v2/_catalog", Method::GET), ["registry:catalog:*"]);
        assert_eq!(scope("/v2/a/b/tags/list", Method::GET), ["repository:a/b:pull"]);
        assert_eq!(scope("/v2/a/manifests/v1", Method::HEAD), ["repository:a:pull"]);
        assert_eq!(scope("/v2/a/manifests/v1", Method::PUT), ["repository:a:pull,push"]);
        assert_eq!(scope("/v2/a/manifests/v1", Method::DELETE), ["repository:a:delete"]);
        assert_eq!(scope("/v2/a/blobs/sha256:x", Method::DELETE), ["repository:a:delete"]);
        assert_eq!(scope("/v2/a/blobs/uploads/", Method::POST), ["repository:a:pull,push"]);
        assert_eq!(scope("/v2/a/blobs/uploads/id", Method::GET), ["repository:a:pull,push"]);
        assert_eq!(scope("/v2/a/blobs/uploads/id", Method::DELETE), ["repository:a:pull,push"]);
        assert_eq!(scope("/v2/a/referrers/sha256:x", Method::GET), ["repository:a:pull"]);
    }
}
