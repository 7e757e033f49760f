//! `GET`, `HEAD` and `DELETE /v2/<name>/blobs/<digest>`, with range reads.

use http::header::{ACCEPT_RANGES, CONTENT_RANGE, CONTENT_TYPE, ETAG, RANGE};
use http::{Method, StatusCode};

use super::Request;
use super::errors::{ApiError, ErrorCode};
use super::http::Body;
use super::reply::Reply;
use crate::oci::{Digest, RepoName};
use crate::registry::Registry;
use crate::storage::{ByteRange, ObjectStore};

pub const DOCKER_CONTENT_DIGEST: &str = "docker-content-digest";

pub(super) fn parse_digest(digest: &str) -> Result<Digest, ApiError> {
    Digest::parse(digest).map_err(|e| ApiError::new(ErrorCode::DigestInvalid, e.0))
}

/// A satisfiable byte range of an object of `size` bytes: first and last byte, inclusive.
/// `Ok(None)` when the header asks for no range this code serves (then the whole blob is sent).
fn parse_range(header: &str, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(spec) = header.trim().strip_prefix("bytes=") else { return Ok(None) };
    if spec.contains(',') {
        return Ok(None);
    }
    let Some((first, last)) = spec.split_once('-') else { return Ok(None) };
    let (first, last) = (first.trim(), last.trim());
    let range = if first.is_empty() {
        let n: u64 = last.parse().map_err(|_| ())?;
        if n == 0 || size == 0 {
            return Err(());
        }
        (size.saturating_sub(n), size - 1)
    } else {
        let first: u64 = first.parse().map_err(|_| ())?;
        let last = if last.is_empty() { u64::MAX } else { last.parse().map_err(|_| ())? };
        if first >= size || last < first {
            return Err(());
        }
        (first, last.min(size - 1))
    };
    Ok(Some(range))
}

pub async fn handle<S: ObjectStore>(
    registry: &Registry<S>,
    name: &RepoName,
    digest: &str,
    method: Method,
    request: &Request,
) -> Result<Reply<S::Body>, ApiError> {
    let digest = parse_digest(digest)?;
    match method {
        Method::GET | Method::HEAD => {}
        Method::DELETE => {
            registry.delete_blob(name, &digest).await?;
            return Ok(Reply::new(StatusCode::ACCEPTED).with_length(0));
        }
        other => {
            return Err(ApiError::new(ErrorCode::MethodNotAllowed, format!("{other} on a blob")));
        }
    }

    let blob = registry.stat_blob(name, &digest).await?;
    let reply = Reply::new(StatusCode::OK)
        .header(DOCKER_CONTENT_DIGEST, digest.to_string())
        .header(CONTENT_TYPE, "application/octet-stream")
        .header(ACCEPT_RANGES, "bytes")
        .header(ETAG, format!("\"{digest}\""));

    let range = match request.header_str(RANGE.as_str()).map(|h| parse_range(h, blob.size)) {
        None | Some(Ok(None)) => None,
        Some(Ok(Some(range))) => Some(range),
        Some(Err(())) => {
            let err = ApiError::new(ErrorCode::RangeInvalid, "the range is not satisfiable");
            return Ok(Reply::error(&err).header(CONTENT_RANGE, format!("bytes */{}", blob.size)));
        }
    };

    let Some((first, last)) = range else {
        let reply = reply.with_length(blob.size);
        if method == Method::HEAD {
            return Ok(reply);
        }
        let (_, body) = registry.read_blob(&blob, None).await?;
        return Ok(reply.body(Body::Object(body)));
    };

    let length = last - first + 1;
    let reply = reply
        .status(StatusCode::PARTIAL_CONTENT)
        .with_length(length)
        .header(CONTENT_RANGE, format!("bytes {first}-{last}/{}", blob.size));
    if method == Method::HEAD {
        return Ok(reply);
    }
    let range = ByteRange::From { offset: first, length: Some(length) };
    let (_, body) = registry.read_blob(&blob, Some(range)).await?;
    Ok(reply.body(Body::Object(body)))
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range("bytes=0-1023", 2048), Ok(Some((0, 1023))));
        assert_eq!(parse_range("bytes=1024-", 2048), Ok(Some((1024, 2047))));
        assert_eq!(parse_range("bytes=-100", 2048), Ok(Some((1948, 2047))));
        assert_eq!(parse_range("bytes=0-99999", 2048), Ok(Some((0, 2047))));
        assert_eq!(parse_range("bytes=4096-5000", 2048), Err(()));
        assert_eq!(parse_range("bytes=5-1", 2048), Err(()));
        assert_eq!(parse_range("bytes=0-1,4-5", 2048), Ok(None));
        assert_eq!(parse_range("items=0-1", 2048), Ok(None));
    }
}
