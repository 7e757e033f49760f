//! `GET /v2/_catalog` and `GET /v2/<name>/tags/list`, paged with `n` and `last`.

use http::StatusCode;
use serde_json::json;

use super::errors::{ApiError, ErrorCode};
use super::reply::Reply;
use super::{Request, query_param};
use crate::oci::RepoName;
use crate::registry::{Names, Registry};
use crate::storage::ObjectStore;

struct Paging {
    n: Option<usize>,
    last: Option<String>,
}

fn paging(request: &Request) -> Result<Paging, ApiError> {
    let n = match query_param(request, "n") {
        None => None,
        Some(n) => Some(n.parse::<usize>().map_err(|_| {
            ApiError::new(ErrorCode::PaginationNumberInvalid, format!("n={n:?} is not a count"))
        })?),
    };
    Ok(Paging { n, last: query_param(request, "last").filter(|l| !l.is_empty()) })
}

/// The reply with a `Link` to the next page when there is one.
fn page<B>(path: &str, names: &Names, n: Option<usize>, body: serde_json::Value) -> Reply<B> {
    let reply = Reply::json(StatusCode::OK, body.to_string());
    match (names.more, n, names.names.last()) {
        (true, Some(n), Some(last)) => {
            let last: String = form_urlencoded::byte_serialize(last.as_bytes()).collect();
            reply.header(http::header::LINK, format!("<{path}?n={n}&last={last}>; rel=\"next\""))
        }
        _ => reply,
    }
}

pub async fn catalog<S: ObjectStore>(
    registry: &Registry<S>,
    request: &Request,
) -> Result<Reply<S::Body>, ApiError> {
    let paging = paging(request)?;
    let names = registry.list_repositories(paging.last.as_deref(), paging.n).await?;
    let body = json!({ "repositories": names.names });
    Ok(page("/v2/_catalog", &names, paging.n, body))
}

pub async fn tags<S: ObjectStore>(
    registry: &Registry<S>,
    name: &RepoName,
    request: &Request,
) -> Result<Reply<S::Body>, ApiError> {
    let paging = paging(request)?;
    let names = registry.list_tags(name, paging.last.as_deref(), paging.n).await?;
    let body = json!({ "name": name.as_str(), "tags": names.names });
    Ok(page(&format!("/v2/{name}/tags/list"), &names, paging.n, body))
}
