//! Blob uploads: `POST /v2/<name>/blobs/uploads/` (with `?digest=` or `?mount=&from=`), and
//! `GET`, `PATCH`, `PUT` and `DELETE` on `/v2/<name>/blobs/uploads/<id>`.

use http::header::{CONTENT_LENGTH, LOCATION, RANGE};
use http::{Method, StatusCode};

use super::blobs::{DOCKER_CONTENT_DIGEST, parse_digest};
use super::errors::{ApiError, ErrorCode};
use super::reply::Reply;
use super::{Request, query_param};
use crate::auth::Action;
use crate::oci::RepoName;
use crate::registry::Registry;
use crate::registry::blobs::BlobInfo;
use crate::registry::uploads::PART_SIZE;
use crate::storage::ObjectStore;

/// The `Range` header of an upload that holds `offset` bytes: `0-<last byte>` (`0-0` when
/// empty, as distribution answers).
fn range(offset: u64) -> String {
    format!("0-{}", offset.saturating_sub(1))
}

fn session_reply<B>(name: &RepoName, id: &str, offset: u64, status: StatusCode) -> Reply<B> {
    Reply::new(status)
        .header(LOCATION, format!("/v2/{name}/blobs/uploads/{id}"))
        .header(RANGE, range(offset))
        .header("docker-upload-uuid", id)
        .header("oci-chunk-min-length", PART_SIZE.to_string())
        .with_length(0)
}

fn created<B>(name: &RepoName, blob: &BlobInfo) -> Reply<B> {
    Reply::new(StatusCode::CREATED)
        .header(LOCATION, format!("/v2/{name}/blobs/{}", blob.digest))
        .header(DOCKER_CONTENT_DIGEST, blob.digest.to_string())
        .with_length(0)
}

fn content_length(request: &Request) -> Option<u64> {
    request.header_str(CONTENT_LENGTH.as_str()).and_then(|v| v.trim().parse().ok())
}

/// `Content-Range: <first>-<last>` (also with a `bytes ` prefix and a `/<total>` suffix).
fn content_range(request: &Request) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(value) = request.header_str("content-range") else { return Ok(None) };
    let invalid = || ApiError::new(ErrorCode::RangeInvalid, format!("bad Content-Range {value:?}"));
    let spec = value.trim().trim_start_matches("bytes").trim_start_matches(['=', ' ']);
    let spec = spec.split('/').next().unwrap_or_default();
    let (first, last) = spec.split_once('-').ok_or_else(invalid)?;
    let first: u64 = first.trim().parse().map_err(|_| invalid())?;
    let last: u64 = last.trim().parse().map_err(|_| invalid())?;
    if last < first {
        return Err(invalid());
    }
    Ok(Some((first, last)))
}

pub async fn start<S: ObjectStore>(
    registry: &Registry<S>,
    name: &RepoName,
    request: Request,
) -> Result<Reply<S::Body>, ApiError> {
    if let Some(mount) = query_param(&request, "mount") {
        let digest = parse_digest(&mount)?;
        let from = query_param(&request, "from").and_then(|from| RepoName::parse(&from).ok());
        // A mount reads its source: without pull there, it is a new upload like any other.
        if let Some(from) = from
            && request.may(Action::Pull, &from)
            && let Some(blob) = registry.mount_blob(&from, name, &digest).await?
        {
            return Ok(created(name, &blob));
        }
    } else if let Some(digest) = query_param(&request, "digest") {
        let digest = parse_digest(&digest)?;
        let blob = registry.upload_blob(name, &digest, request.body).await?;
        return Ok(created(name, &blob));
    }
    let id = registry.start_upload(name).await?;
    Ok(session_reply(name, &id, 0, StatusCode::ACCEPTED))
}

pub async fn handle<S: ObjectStore>(
    registry: &Registry<S>,
    name: &RepoName,
    id: &str,
    method: Method,
    request: Request,
) -> Result<Reply<S::Body>, ApiError> {
    match method {
        Method::GET => {
            let offset = registry.upload_status(name, id).await?;
            Ok(session_reply(name, id, offset, StatusCode::NO_CONTENT))
        }
        Method::PATCH => {
            let range = content_range(&request)?;
            let length = match (range, content_length(&request)) {
                (Some((first, last)), Some(length)) if length != last - first + 1 => {
                    return Err(ApiError::new(
                        ErrorCode::RangeInvalid,
                        "Content-Range and Content-Length disagree",
                    ));
                }
                (Some((first, last)), _) => Some(last - first + 1),
                (None, length) => length,
            };
            let start = range.map(|(first, _)| first);
            let offset = registry.append_upload(name, id, start, length, request.body).await?;
            Ok(session_reply(name, id, offset, StatusCode::ACCEPTED))
        }
        Method::PUT => {
            let digest = query_param(&request, "digest").ok_or_else(|| {
                ApiError::new(ErrorCode::DigestInvalid, "closing an upload needs ?digest=")
            })?;
            let digest = parse_digest(&digest)?;
            let start = content_range(&request)?.map(|(first, _)| first);
            let blob = registry.finish_upload(name, id, start, &digest, request.body).await?;
            Ok(created(name, &blob))
        }
        Method::DELETE => {
            registry.cancel_upload(name, id).await?;
            Ok(Reply::new(StatusCode::NO_CONTENT).with_length(0))
        }
        other => Err(ApiError::new(ErrorCode::MethodNotAllowed, format!("{other} on an upload"))),
    }
}
