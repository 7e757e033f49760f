//! `GET /v2/_catalog` and `GET /v2/<name>/tags/list`, paged with `n` and `last`.

use http::StatusCode;
use serde_json::json;

use super::errors::{ApiError, ErrorCode};
use super::reply::Reply;
use super::{Request, query_param};
use crate::auth::Action;
use crate::oci::RepoName;
use crate::registry::Registry;
use crate::storage::ObjectStore;

/// Most listings one catalog page reads to find `n` repositories the caller may pull.
const MAX_CATALOG_ROUNDS: usize = 10;

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

/// The reply with a `Link` to the next page, after `last`, when there is one.
fn page<B>(
    path: &str,
    more: bool,
    n: Option<usize>,
    last: Option<&str>,
    body: serde_json::Value,
) -> Reply<B> {
    let reply = Reply::json(StatusCode::OK, body.to_string());
    match (more, n, last) {
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
    let may_pull =
        |name: &String| RepoName::parse(name).is_ok_and(|name| request.may(Action::Pull, &name));

    // Only the repositories the caller may pull are listed: read on while a page shows fewer
    // than `n` of them, for a few listings at most, and continue after the last name read.
    let (mut visible, mut last, mut more) = (Vec::new(), paging.last.clone(), false);
    for _ in 0..MAX_CATALOG_ROUNDS {
        let wanted = paging.n.map(|n| n - visible.len());
        let names = registry.list_repositories(last.as_deref(), wanted).await?;
        last = names.names.last().cloned().or(last);
        more = names.more;
        visible.extend(names.names.into_iter().filter(may_pull));
        if !more || paging.n.is_some_and(|n| visible.len() >= n) {
            break;
        }
    }
    let body = json!({ "repositories": visible });
    Ok(page("/v2/_catalog", more, paging.n, last.as_deref(), body))
}

pub async fn tags<S: ObjectStore>(
    registry: &Registry<S>,
    name: &RepoName,
    request: &Request,
) -> Result<Reply<S::Body>, ApiError> {
    let paging = paging(request)?;
    let names = registry.list_tags(name, paging.last.as_deref(), paging.n).await?;
    let body = json!({ "name": name.as_str(), "tags": names.names });
    let last = names.names.last().map(String::as_str);
    Ok(page(&format!("/v2/{name}/tags/list"), names.more, paging.n, last, body))
}
