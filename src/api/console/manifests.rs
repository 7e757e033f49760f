//! `GET /api/repositories/<name>/_manifests/<reference>`: one manifest, all the dashboard shows.

use super::{authorize_pull, json};
use crate::api::Request;
use crate::api::errors::{ApiError, ErrorCode};
use crate::api::reply::Reply;
use crate::oci::{Reference, RepoName};
use crate::registry::Registry;
use crate::storage::ObjectStore;

pub(super) async fn detail<S: ObjectStore>(
    registry: &Registry<S>,
    request: &Request,
    name: &RepoName,
    reference: &str,
) -> Result<Reply<S::Body>, ApiError> {
    authorize_pull(request, name)?;
    let reference = Reference::parse(reference).map_err(|message| {
        let code = if reference.contains(':') {
            ErrorCode::DigestInvalid
        } else {
            ErrorCode::ManifestInvalid
        };
        ApiError::new(code, message)
    })?;

    let detail = registry.manifest_detail(name, &reference).await?;
    Ok(json(&detail))
}
