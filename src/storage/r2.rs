//! The R2 backend: [`ObjectStore`] over a Worker's R2 bucket binding.
//!
//! R2 reports failures as JS errors whose message ends in an R2 error code, e.g.
//! `put: The SHA-256 checksum you specified did not match what we received. (10037)`; the code
//! picks the [`StorageErrorKind`]. A put whose `onlyIf` condition fails resolves to `null`
//! rather than failing, which is how [`PutMode`] conditions surface as `Ok(None)`.

use std::collections::{BTreeMap, HashMap};

use worker::{Bucket, Conditional, HttpMetadata, Include, Object, Range};

use super::{
    ByteRange, Checksum, ListOptions, ListPage, MAX_DELETE_KEYS, MAX_LIST_KEYS, ObjectMeta,
    ObjectStore, PutMode, PutOptions, StorageError, StorageErrorKind, StorageResult, UploadedPart,
};

/// R2 error codes (the number at the end of the message) and what they mean to the registry.
const CHECKSUM_MISMATCH: &[u32] = &[10037];
const NO_SUCH_UPLOAD: &[u32] = &[10024];
/// Entity too small/large, metadata too large, bad key, bad list limit, unknown part, bad
/// argument, unsatisfiable range, unequal multipart parts.
const REFUSED: &[u32] = &[10011, 10012, 10020, 10022, 10025, 10029, 10039, 10048, 100100];

/// Offsets and lengths beyond this cannot cross into JS without losing precision (workers-rs
/// panics on them), so they are refused before the call.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// An R2 bucket seen as an [`ObjectStore`].
pub struct R2Store {
    bucket: Bucket,
}

impl R2Store {
    pub fn new(bucket: Bucket) -> Self {
        Self { bucket }
    }
}

impl ObjectStore for R2Store {
    type Body = Object;

    async fn head(&self, key: &str) -> StorageResult<Option<ObjectMeta>> {
        let object = self.bucket.head(key).await.map_err(|e| error("head", key, e))?;
        object.map(|o| meta(&o, true, "head")).transpose()
    }

    async fn get(
        &self,
        key: &str,
        range: Option<ByteRange>,
    ) -> StorageResult<Option<(ObjectMeta, Object)>> {
        let mut request = self.bucket.get(key);
        if let Some(range) = range {
            request = request.range(r2_range(range).map_err(|m| refused("get", key, m))?);
        }

        let Some(object) = request.execute().await.map_err(|e| error("get", key, e))? else {
            return Ok(None);
        };
        Ok(Some((meta(&object, true, "get")?, object)))
    }

    async fn get_bytes(&self, key: &str) -> StorageResult<Option<(ObjectMeta, Vec<u8>)>> {
        let Some((meta, object)) = self.get(key, None).await? else {
            return Ok(None);
        };

        let body = object.body().ok_or_else(|| backend("get", key, "object has no body"))?;
        let bytes = body.bytes().await.map_err(|e| error("get", key, e))?;
        Ok(Some((meta, bytes)))
    }

    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        options: PutOptions,
    ) -> StorageResult<Option<ObjectMeta>> {
        let mut request = self
            .bucket
            .put(key, bytes)
            .http_metadata(http_metadata(options.content_type))
            .custom_metadata(HashMap::from_iter(options.custom));

        request = match options.checksum {
            Some(Checksum::Sha256(hash)) => request.sha256(hash),
            Some(Checksum::Sha512(hash)) => request.sha512(hash),
            None => request,
        };

        // "*" is the wildcard etag: `etagDoesNotMatch: "*"` holds only when the key is absent.
        request = match options.mode {
            PutMode::Overwrite => request,
            PutMode::Create => request.only_if(Conditional {
                etag_does_not_match: Some("*".to_owned()),
                ..Conditional::default()
            }),
            PutMode::UpdateIfMatch(etag) => {
                request.only_if(Conditional { etag_matches: Some(etag), ..Conditional::default() })
            }
        };

        let object = request.execute().await.map_err(|e| error("put", key, e))?;
        object.map(|o| meta(&o, true, "put")).transpose()
    }

    async fn delete_many(&self, keys: &[String]) -> StorageResult<()> {
        for chunk in keys.chunks(MAX_DELETE_KEYS) {
            let batch: Vec<&str> = chunk.iter().map(String::as_str).collect();
            self.bucket.delete_multiple(batch).await.map_err(|e| error("delete", &chunk[0], e))?;
        }
        Ok(())
    }

    async fn list(&self, options: &ListOptions) -> StorageResult<ListPage> {
        let mut request = self.bucket.list().prefix(options.prefix.clone());
        if let Some(delimiter) = &options.delimiter {
            request = request.delimiter(delimiter.clone());
        }
        if let Some(start_after) = &options.start_after {
            request = request.start_after(start_after.clone());
        }
        if let Some(cursor) = &options.cursor {
            request = request.cursor(cursor.clone());
        }
        // R2 refuses a limit over 1,000 where the memory store clamps it: clamp here too. With
        // metadata R2 returns fewer keys a page by itself.
        if options.limit > 0 {
            request = request.limit(options.limit.min(MAX_LIST_KEYS));
        }
        if options.include_metadata {
            request = request.include(vec![Include::CustomMetadata, Include::HttpMetadata]);
        }

        let listed = request.execute().await.map_err(|e| error("list", &options.prefix, e))?;
        let objects = listed
            .objects()
            .iter()
            .map(|o| meta(o, options.include_metadata, "list"))
            .collect::<StorageResult<Vec<_>>>()?;

        Ok(ListPage {
            objects,
            prefixes: listed.delimited_prefixes(),
            cursor: if listed.truncated() { listed.cursor() } else { None },
        })
    }

    async fn create_multipart(&self, key: &str, options: PutOptions) -> StorageResult<String> {
        // R2 can neither condition nor checksum a multipart upload as a whole.
        if options.mode != PutMode::Overwrite || options.checksum.is_some() {
            let message = "multipart uploads take neither a put condition nor a checksum";
            return Err(refused("create_multipart", key, message));
        }

        let upload = self
            .bucket
            .create_multipart_upload(key)
            .http_metadata(http_metadata(options.content_type))
            .custom_metadata(HashMap::from_iter(options.custom))
            .execute()
            .await
            .map_err(|e| error("create_multipart", key, e))?;
        Ok(upload.upload_id().await)
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u16,
        bytes: Vec<u8>,
    ) -> StorageResult<UploadedPart> {
        let op = "upload_part";
        let upload =
            self.bucket.resume_multipart_upload(key, upload_id).map_err(|e| error(op, key, e))?;

        let part = upload.upload_part(number, bytes).await.map_err(|e| error(op, key, e))?;
        Ok(UploadedPart { number: part.part_number(), etag: part.etag() })
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> StorageResult<ObjectMeta> {
        let op = "complete_multipart";
        let upload =
            self.bucket.resume_multipart_upload(key, upload_id).map_err(|e| error(op, key, e))?;

        let parts = parts.iter().map(|p| worker::UploadedPart::new(p.number, p.etag.clone()));
        let object = upload.complete(parts).await.map_err(|e| error(op, key, e))?;
        meta(&object, true, op)
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> StorageResult<()> {
        let op = "abort_multipart";
        let upload =
            self.bucket.resume_multipart_upload(key, upload_id).map_err(|e| error(op, key, e))?;

        upload.abort().await.map_err(|e| error(op, key, e))
    }
}

/// Reads an object's metadata. Listed objects carry HTTP and custom metadata only when the list
/// asked for them (workers-rs panics reading them otherwise), hence `with_metadata`.
fn meta(object: &Object, with_metadata: bool, op: &'static str) -> StorageResult<ObjectMeta> {
    let key = object.key();
    let (content_type, custom) = if with_metadata {
        let custom = object.custom_metadata().map_err(|e| error(op, &key, e))?;
        (object.http_metadata().content_type, custom.into_iter().collect())
    } else {
        (None, BTreeMap::new())
    };

    Ok(ObjectMeta {
        size: object.size(),
        etag: object.etag(),
        uploaded_ms: object.uploaded().as_millis(),
        content_type,
        custom,
        key,
    })
}

fn http_metadata(content_type: Option<String>) -> HttpMetadata {
    HttpMetadata { content_type, ..HttpMetadata::default() }
}

fn r2_range(range: ByteRange) -> Result<Range, String> {
    let safe = |n: u64| {
        if n <= MAX_SAFE_INTEGER { Ok(n) } else { Err(format!("range bound {n} is too large")) }
    };

    Ok(match range {
        ByteRange::From { offset, length: Some(length) } => {
            Range::OffsetWithLength { offset: safe(offset)?, length: safe(length)? }
        }
        ByteRange::From { offset, length: None } => Range::OffsetToEnd { offset: safe(offset)? },
        ByteRange::Suffix(suffix) => Range::Suffix { suffix: safe(suffix)? },
    })
}

fn error(op: &'static str, key: &str, error: worker::Error) -> StorageError {
    let message = error.to_string();
    let kind = match r2_code(&message) {
        Some(code) if CHECKSUM_MISMATCH.contains(&code) => StorageErrorKind::ChecksumMismatch,
        Some(code) if NO_SUCH_UPLOAD.contains(&code) => StorageErrorKind::NoSuchUpload,
        Some(code) if REFUSED.contains(&code) => StorageErrorKind::Refused,
        _ => StorageErrorKind::Backend,
    };
    StorageError::new(kind, op, key, message)
}

/// The code R2 appends to its error messages: `... (10037)`.
fn r2_code(message: &str) -> Option<u32> {
    let (_, code) = message.trim_end().strip_suffix(')')?.rsplit_once('(')?;
    code.parse().ok()
}

fn refused(op: &'static str, key: &str, message: impl Into<String>) -> StorageError {
    StorageError::new(StorageErrorKind::Refused, op, key, message)
}

fn backend(op: &'static str, key: &str, message: impl Into<String>) -> StorageError {
    StorageError::new(StorageErrorKind::Backend, op, key, message)
}
