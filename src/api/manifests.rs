//! `GET`, `HEAD`, `PUT` and `DELETE /v2/<name>/manifests/<reference>`.
//!
//! `Accept` is honoured as distribution 3 honours it: a client that lists types and not the
//! stored one gets 404 for an OCI manifest or index, and the linux/amd64 image of a tagged
//! manifest list or index when it accepts only single images. No `Accept`, or `*/*`, takes
//! whatever is stored.

use futures::StreamExt;
use http::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use http::{Method, StatusCode};
use serde_json::Value;

use super::Request;
use super::blobs::DOCKER_CONTENT_DIGEST;
use super::errors::{ApiError, ErrorCode};
use super::http::Body;
use super::reply::Reply;
use crate::oci::{Reference, RepoName, media};
use crate::registry::manifests::{MAX_MANIFEST_SIZE, StoredManifest};
use crate::registry::{Error, Registry};
use crate::storage::ObjectStore;

fn parse_reference(reference: &str) -> Result<Reference, ApiError> {
    Reference::parse(reference).map_err(|message| {
        let code = if reference.contains(':') {
            ErrorCode::DigestInvalid
        } else {
            ErrorCode::ManifestInvalid
        };
        ApiError::new(code, message)
    })
}

pub async fn handle<S: ObjectStore>(
    registry: &Registry<S>,
    name: &RepoName,
    reference: &str,
    method: Method,
    request: Request,
) -> Result<Reply<S::Body>, ApiError> {
    let reference = parse_reference(reference)?;
    match method {
        Method::GET | Method::HEAD => get(registry, name, &reference, &request, method).await,
        Method::PUT => put(registry, name, &reference, request).await,
        Method::DELETE => {
            match &reference {
                Reference::Digest(digest) => {
                    registry.delete_manifest(name, digest).await?;
                }
                Reference::Tag(tag) => registry.delete_tag(name, tag).await?,
            }
            Ok(Reply::new(StatusCode::ACCEPTED).with_length(0))
        }
        other => Err(ApiError::new(ErrorCode::MethodNotAllowed, format!("{other} on a manifest"))),
    }
}

/// The media types a client lists in `Accept`; `None` when it takes anything.
fn accepted(request: &Request) -> Option<Vec<String>> {
    let mut types = Vec::new();
    for value in request.headers.get_all(ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        types.extend(value.split(',').map(media::essence).filter(|t| !t.is_empty()));
    }
    let anything = types.is_empty() || types.iter().any(|t| t == "*/*");
    (!anything).then_some(types)
}

async fn get<S: ObjectStore>(
    registry: &Registry<S>,
    name: &RepoName,
    reference: &Reference,
    request: &Request,
    method: Method,
) -> Result<Reply<S::Body>, ApiError> {
    let with_bytes = method == Method::GET;
    let mut manifest = registry.get_manifest(name, reference, true).await?;

    if let Some(types) = accepted(request)
        && !types.contains(&manifest.media_type)
    {
        let single_only = !types.iter().any(|t| media::is_index(t));
        if media::is_index(&manifest.media_type)
            && single_only
            && matches!(reference, Reference::Tag(_))
            && let Some(child) = amd64_child(&manifest)
        {
            manifest = registry.get_manifest(name, &Reference::Digest(child), true).await?;
        }
        if !types.contains(&manifest.media_type)
            && (manifest.media_type == media::OCI_MANIFEST
                || manifest.media_type == media::OCI_INDEX)
        {
            return Err(ApiError::new(
                ErrorCode::ManifestUnknown,
                format!(
                    "the manifest is {}, which the Accept header does not list",
                    manifest.media_type
                ),
            ));
        }
    }

    let reply = Reply::new(StatusCode::OK)
        .header(CONTENT_TYPE, &manifest.media_type)
        .header(DOCKER_CONTENT_DIGEST, manifest.digest.to_string())
        .header(http::header::ETAG, format!("\"{}\"", manifest.digest))
        .with_length(manifest.size);
    match (with_bytes, manifest.bytes) {
        (true, Some(bytes)) => Ok(reply.body(Body::Bytes(bytes))),
        _ => Ok(reply),
    }
}

/// The digest of the linux/amd64 image an index lists, for clients that take only images.
fn amd64_child(index: &StoredManifest) -> Option<crate::oci::Digest> {
    let value: Value = serde_json::from_slice(index.bytes.as_deref()?).ok()?;
    value.get("manifests")?.as_array()?.iter().find_map(|entry| {
        let platform = entry.get("platform")?;
        let is_amd64 = platform.get("architecture")? == "amd64" && platform.get("os")? == "linux";
        is_amd64.then(|| crate::oci::Digest::parse(entry.get("digest")?.as_str()?).ok())?
    })
}

async fn put<S: ObjectStore>(
    registry: &Registry<S>,
    name: &RepoName,
    reference: &Reference,
    mut request: Request,
) -> Result<Reply<S::Body>, ApiError> {
    let declared: Option<u64> =
        request.header_str("content-length").and_then(|v| v.trim().parse().ok());
    if declared.is_some_and(|length| length > MAX_MANIFEST_SIZE) {
        return Err(Error::ManifestTooLarge { limit: MAX_MANIFEST_SIZE }.into());
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = request.body.next().await {
        let chunk = chunk.map_err(|message| Error::BodyInterrupted { message })?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > MAX_MANIFEST_SIZE {
            return Err(Error::ManifestTooLarge { limit: MAX_MANIFEST_SIZE }.into());
        }
    }

    let content_type = request.header_str(CONTENT_TYPE.as_str()).map(str::to_owned);
    let stored = registry.put_manifest(name, reference, content_type.as_deref(), bytes).await?;
    let reply = Reply::new(StatusCode::CREATED)
        .header(LOCATION, format!("/v2/{name}/manifests/{}", stored.digest))
        .header(DOCKER_CONTENT_DIGEST, stored.digest.to_string())
        .with_length(0);
    Ok(match stored.subject {
        Some(subject) => reply.header("oci-subject", subject.to_string()),
        None => reply,
    })
}
