//! `GET /v2/<name>/referrers/<digest>`, with `?artifactType=` filtering.

use http::StatusCode;
use http::header::CONTENT_TYPE;

use super::blobs::parse_digest;
use super::errors::ApiError;
use super::reply::Reply;
use super::{Request, query_param};
use crate::oci::{RepoName, media};
use crate::registry::Registry;
use crate::registry::referrers::referrers_index;
use crate::storage::ObjectStore;

pub async fn list<S: ObjectStore>(
    registry: &Registry<S>,
    name: &RepoName,
    digest: &str,
    request: &Request,
) -> Result<Reply<S::Body>, ApiError> {
    let subject = parse_digest(digest)?;
    let artifact_type = query_param(request, "artifactType").filter(|t| !t.is_empty());
    let after = match query_param(request, "last") {
        Some(last) => Some(parse_digest(&last)?),
        None => None,
    };
    let page =
        registry.list_referrers(name, &subject, artifact_type.as_deref(), after.as_ref()).await?;
    let mut reply = Reply::json(StatusCode::OK, referrers_index(page.descriptors).to_string())
        .header(CONTENT_TYPE, media::OCI_INDEX);
    if let Some(next) = page.next {
        let filter = artifact_type.as_deref().map(|t| {
            let t: String = form_urlencoded::byte_serialize(t.as_bytes()).collect();
            format!("&artifactType={t}")
        });
        let link = format!(
            "</v2/{name}/referrers/{subject}?last={next}{}>; rel=\"next\"",
            filter.unwrap_or_default()
        );
        reply = reply.header(http::header::LINK, link);
    }
    Ok(match artifact_type {
        Some(_) => reply.header("oci-filters-applied", "artifactType"),
        None => reply,
    })
}
