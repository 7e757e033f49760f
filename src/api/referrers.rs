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
    let descriptors = registry.list_referrers(name, &subject, artifact_type.as_deref()).await?;
    let reply = Reply::json(StatusCode::OK, referrers_index(descriptors).to_string())
        .header(CONTENT_TYPE, media::OCI_INDEX);
    Ok(match artifact_type {
        Some(_) => reply.header("oci-filters-applied", "artifactType"),
        None => reply,
    })
}
