//! Upload sessions: chunks of any size in, equal R2 parts out, the digest computed as bytes pass.
//!
//! A session's state lives in R2 (`uploads/<id>/state`): the running hash state, the byte count,
//! the multipart upload and its parts. Bytes that do not fill a part yet wait in a tail object
//! named after the offset it ends at, so a state and its tail are always replaced together: a
//! crash between the two leaves the old state naming the old tail, never a torn session.
//! Finishing never re-reads the blob: the hash is already known, and the last part completes the
//! multipart upload where it was written.

use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};

use super::blobs::BlobInfo;
use super::{Error, Registry, Result, now_ms, random_id};
use crate::oci::digest::Hasher;
use crate::oci::{Algorithm, Digest, RepoName};
use crate::storage::{
    Checksum, MIN_PART_SIZE, ObjectStore, PutMode, PutOptions, StorageError, StorageErrorKind,
    UploadedPart, paths,
};

/// Size of every non-final multipart part. R2 wants them equal and at least 5 MiB; 8 MiB parts
/// reach 78 GiB within R2's 10,000 parts, and a request holds at most one part in memory.
pub const PART_SIZE: u64 = 8 * 1024 * 1024;
const _: () = assert!(PART_SIZE >= MIN_PART_SIZE);

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Session {
    repository: String,
    /// The hash state so far ([`Hasher::save`]).
    hash: String,
    /// Bytes received so far.
    offset: u64,
    /// The multipart upload, once the first part was written.
    multipart: Option<String>,
    parts: Vec<UploadedPart>,
    /// The etag of the tail object as this session wrote it: a tail overwritten since (by a
    /// request that lost the race for the session) is refused, never taken as the upload's bytes.
    #[serde(default)]
    tail_etag: Option<String>,
    /// Whether a request is appending to the session now. A PATCH claims the session before it
    /// writes and gives it back when done (or, failing, puts back the state it found), so no
    /// other request writes parts or a tail at the same offsets meanwhile: they are refused.
    #[serde(default)]
    writing: bool,
    updated_ms: u64,
}

impl Session {
    fn new(name: &RepoName, algorithm: Algorithm) -> Self {
        Self {
            repository: name.to_string(),
            hash: Hasher::new(algorithm).save(),
            offset: 0,
            multipart: None,
            parts: Vec::new(),
            tail_etag: None,
            writing: false,
            updated_ms: now_ms(),
        }
    }

    /// When a request last wrote to the session, in ms since the epoch (the Worker's clock).
    pub(crate) fn updated_ms(&self) -> u64 {
        self.updated_ms
    }

    /// The multipart upload under `data/<id>`, once the first part was written.
    pub(crate) fn multipart(&self) -> Option<&str> {
        self.multipart.as_deref()
    }

    /// Bytes received but not yet in a part: they are in the tail object.
    fn tail_len(&self) -> u64 {
        self.offset - self.parts.len() as u64 * PART_SIZE
    }

    fn tail_key(&self, id: &str) -> Option<String> {
        (self.tail_len() > 0).then(|| paths::upload_tail(id, self.offset))
    }
}

/// Refuses a session another request is appending to.
fn ensure_idle(session: &Session) -> Result<()> {
    if session.writing {
        return Err(Error::BlobUploadInvalid {
            message: "another request is writing to this upload; ask for its status".into(),
        });
    }
    Ok(())
}

/// A storage refusal while writing the upload's multipart parts: the upload was cancelled or
/// closed meanwhile (no such upload), or its parts are not the ones the session names.
fn upload_gone(id: &str, err: StorageError) -> Error {
    match err.kind {
        StorageErrorKind::NoSuchUpload => Error::BlobUploadUnknown { id: id.to_owned() },
        StorageErrorKind::Refused => Error::BlobUploadInvalid {
            message: format!("the upload's stored parts were refused ({err}); start it again"),
        },
        _ => Error::Storage(err),
    }
}

fn valid_upload_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Streams bytes into parts of [`PART_SIZE`], hashing them on the way.
struct Writer<'a, S> {
    registry: &'a Registry<S>,
    id: &'a str,
    session: Session,
    hasher: Hasher,
    buffer: Vec<u8>,
}

impl<'a, S: ObjectStore> Writer<'a, S> {
    fn new(registry: &'a Registry<S>, id: &'a str, session: Session, tail: Vec<u8>) -> Self {
        let hasher =
            Hasher::restore(&session.hash).unwrap_or_else(|| Hasher::new(Algorithm::Sha256));
        Self { registry, id, session, hasher, buffer: tail }
    }

    async fn write_all(
        &mut self,
        body: &mut (impl Stream<Item = std::result::Result<Vec<u8>, String>> + Unpin),
    ) -> Result<u64> {
        let mut written = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|message| Error::BodyInterrupted { message })?;
            written += chunk.len() as u64;
            self.hasher.update(&chunk);
            self.session.offset += chunk.len() as u64;
            self.buffer.extend_from_slice(&chunk);
            while self.buffer.len() as u64 >= PART_SIZE {
                let rest = self.buffer.split_off(PART_SIZE as usize);
                let part = std::mem::replace(&mut self.buffer, rest);
                self.upload_part(part).await?;
            }
        }
        Ok(written)
    }

    async fn upload_part(&mut self, bytes: Vec<u8>) -> Result<()> {
        let store = self.registry.store();
        let key = paths::upload_data(self.id);
        let upload_id = match &self.session.multipart {
            Some(upload_id) => upload_id.clone(),
            None => {
                let upload_id = store.create_multipart(&key, PutOptions::default()).await?;
                self.session.multipart = Some(upload_id.clone());
                upload_id
            }
        };
        let number = self.session.parts.len() as u16 + 1;
        let part = store
            .upload_part(&key, &upload_id, number, bytes)
            .await
            .map_err(|err| upload_gone(self.id, err))?;
        self.session.parts.push(part);
        Ok(())
    }

    /// The digest of everything written, in `algorithm`. Bytes already sent on in parts were
    /// hashed with the session's algorithm only; a different one is possible while all bytes
    /// are still in the buffer.
    fn digest(&self, algorithm: Algorithm) -> Option<Digest> {
        if self.hasher.algorithm() == algorithm {
            Some(self.hasher.clone().finish())
        } else if self.session.parts.is_empty() {
            Some(Digest::of(algorithm, &self.buffer))
        } else {
            None
        }
    }

    /// Gives up the bytes written so far (the multipart upload); the caller drops the tail.
    async fn discard(&self) -> Result<()> {
        if let Some(upload_id) = &self.session.multipart {
            let key = paths::upload_data(self.id);
            self.registry.store().abort_multipart(&key, upload_id).await?;
        }
        Ok(())
    }

    /// Stores what was written as the blob `digest`, unless that blob exists already.
    async fn store_as(self, digest: &Digest) -> Result<BlobInfo> {
        let store = self.registry.store();
        let link_key = paths::blob_link(digest);
        if let Some(existing) = store.head(&link_key).await?
            && let Some(blob) = BlobInfo::from_link(digest, &existing)
        {
            self.discard().await?;
            return Ok(blob);
        }

        let size = self.session.offset;
        let location = match &self.session.multipart {
            None => {
                let key = paths::blob_data(digest);
                let checksum = Some(match digest.algorithm() {
                    Algorithm::Sha256 => Checksum::Sha256(digest.bytes()),
                    Algorithm::Sha512 => Checksum::Sha512(digest.bytes()),
                });
                let options = PutOptions { checksum, ..PutOptions::default() };
                store.put(&key, self.buffer, options).await?;
                key
            }
            Some(upload_id) => {
                let key = paths::upload_data(self.id);
                let mut parts = self.session.parts.clone();
                if !self.buffer.is_empty() {
                    let number = parts.len() as u16 + 1;
                    let part = store.upload_part(&key, upload_id, number, self.buffer).await;
                    parts.push(part.map_err(|err| upload_gone(self.id, err))?);
                }
                let completed = store.complete_multipart(&key, upload_id, &parts).await;
                completed.map_err(|err| upload_gone(self.id, err))?;
                key
            }
        };

        let blob = BlobInfo { digest: digest.clone(), size, location };
        let options = PutOptions {
            mode: PutMode::Create,
            custom: blob.link_metadata(),
            ..PutOptions::default()
        };
        if store.put(&link_key, Vec::new(), options).await?.is_none() {
            // Stored concurrently by another upload: use that copy; ours is left to collection.
            let existing = store.head(&link_key).await?;
            return existing
                .and_then(|meta| BlobInfo::from_link(digest, &meta))
                .ok_or_else(|| Error::BlobUnknown { digest: digest.to_string() });
        }
        Ok(blob)
    }
}

impl<S: ObjectStore> Registry<S> {
    /// Opens an upload session in `name`; returns its id.
    pub async fn start_upload(&self, name: &RepoName) -> Result<String> {
        let id = random_id()?;
        let session = Session::new(name, Algorithm::Sha256);
        self.save_session(&id, &session, PutMode::Create).await?;
        Ok(id)
    }

    /// Bytes received so far by the session.
    pub async fn upload_status(&self, name: &RepoName, id: &str) -> Result<u64> {
        Ok(self.load_session(name, id).await?.0.offset)
    }

    /// Appends a chunk. `start`, when the client gave a Content-Range, must be where the upload
    /// stands; `length`, when given, must be the number of bytes the body carries.
    pub async fn append_upload(
        &self,
        name: &RepoName,
        id: &str,
        start: Option<u64>,
        length: Option<u64>,
        mut body: impl Stream<Item = std::result::Result<Vec<u8>, String>> + Unpin,
    ) -> Result<u64> {
        let (found, etag) = self.load_session(name, id).await?;
        ensure_idle(&found)?;
        if start.is_some_and(|start| start != found.offset) {
            return Err(Error::RangeInvalid { offset: found.offset });
        }
        let mut claimed = found.clone();
        claimed.writing = true;
        let etag = self.save_session(id, &claimed, PutMode::UpdateIfMatch(etag)).await?;

        match self.append_claimed(id, claimed, &etag, length, &mut body).await {
            Ok(offset) => Ok(offset),
            Err(err) => {
                // Put back the state found: the parts and tail this request wrote are left
                // unnamed, and the next PATCH writes over them from the offset the client is
                // told. Should this fail too, the session stays claimed until it expires.
                let _restored = self.save_session(id, &found, PutMode::UpdateIfMatch(etag)).await;
                Err(err)
            }
        }
    }

    /// The body of [`Registry::append_upload`] once the session is claimed (state `etag`).
    async fn append_claimed(
        &self,
        id: &str,
        session: Session,
        etag: &str,
        length: Option<u64>,
        body: &mut (impl Stream<Item = std::result::Result<Vec<u8>, String>> + Unpin),
    ) -> Result<u64> {
        let old_tail = session.tail_key(id);
        let tail = self.read_tail(&session, old_tail.as_deref()).await?;
        let mut writer = Writer::new(self, id, session, tail);
        let written = writer.write_all(body).await?;
        if length.is_some_and(|length| length != written) {
            return Err(Error::BlobUploadInvalid {
                message: format!("the chunk carried {written} bytes, not the {length:?} announced"),
            });
        }

        let mut session = writer.session;
        session.hash = writer.hasher.save();
        session.updated_ms = now_ms();
        session.writing = false;
        // An empty chunk leaves the tail as it was.
        if written > 0 {
            session.tail_etag = match session.tail_key(id) {
                Some(key) => self.store.put(&key, writer.buffer, PutOptions::default()).await?,
                None => None,
            }
            .map(|meta| meta.etag);
        }
        self.save_session(id, &session, PutMode::UpdateIfMatch(etag.to_owned())).await?;
        if let Some(old) = old_tail.filter(|old| session.tail_key(id).as_ref() != Some(old)) {
            self.store.delete_many(&[old]).await?;
        }
        Ok(session.offset)
    }

    /// Closes a session with its last bytes (possibly none) and stores the blob as `digest`,
    /// which must describe every byte of the upload. `start`, when the client gave a
    /// Content-Range, must be where the upload stands; if not, the session is kept as it was.
    pub async fn finish_upload(
        &self,
        name: &RepoName,
        id: &str,
        start: Option<u64>,
        digest: &Digest,
        mut body: impl Stream<Item = std::result::Result<Vec<u8>, String>> + Unpin,
    ) -> Result<BlobInfo> {
        let (session, _) = self.load_session(name, id).await?;
        ensure_idle(&session)?;
        if start.is_some_and(|start| start != session.offset) {
            return Err(Error::RangeInvalid { offset: session.offset });
        }
        let old_tail = session.tail_key(id);
        let tail = self.read_tail(&session, old_tail.as_deref()).await?;
        let mut writer = Writer::new(self, id, session, tail);
        let stored = match writer.write_all(&mut body).await {
            Ok(_) => self.verify_and_store(writer, digest).await,
            Err(err) => Err(err),
        };
        if !matches!(stored, Err(Error::BodyInterrupted { .. }) | Err(Error::Storage(_))) {
            self.forget_session(id, old_tail).await?;
        }
        let blob = stored?;
        self.link_blob(name, &blob).await?;
        Ok(blob)
    }

    /// Uploads a whole blob in one request (POST with `?digest=`, no session kept).
    pub async fn upload_blob(
        &self,
        name: &RepoName,
        digest: &Digest,
        mut body: impl Stream<Item = std::result::Result<Vec<u8>, String>> + Unpin,
    ) -> Result<BlobInfo> {
        let id = random_id()?;
        let session = Session::new(name, digest.algorithm());
        let mut writer = Writer::new(self, &id, session, Vec::new());
        if let Err(err) = writer.write_all(&mut body).await {
            writer.discard().await?;
            return Err(err);
        }
        let blob = self.verify_and_store(writer, digest).await?;
        self.link_blob(name, &blob).await?;
        Ok(blob)
    }

    /// Cancels a session and frees what it stored.
    pub async fn cancel_upload(&self, name: &RepoName, id: &str) -> Result<()> {
        let (session, _) = self.load_session(name, id).await?;
        let tail = session.tail_key(id);
        Writer::new(self, id, session, Vec::new()).discard().await?;
        self.forget_session(id, tail).await
    }

    async fn verify_and_store(&self, writer: Writer<'_, S>, digest: &Digest) -> Result<BlobInfo> {
        let computed = writer.digest(digest.algorithm());
        if computed.as_ref() != Some(digest) {
            writer.discard().await?;
            let message = match computed {
                Some(computed) => format!("the upload's digest is {computed}, not {digest}"),
                None => format!(
                    "an upload sent in chunks is hashed with {}; close it with a digest of that \
                     algorithm or send the blob in one request",
                    writer.hasher.algorithm().as_str()
                ),
            };
            return Err(Error::DigestInvalid { message });
        }
        writer.store_as(digest).await
    }

    async fn load_session(&self, name: &RepoName, id: &str) -> Result<(Session, String)> {
        let unknown = || Error::BlobUploadUnknown { id: id.to_owned() };
        if !valid_upload_id(id) {
            return Err(unknown());
        }
        let (meta, bytes) =
            self.store.get_bytes(&paths::upload_state(id)).await?.ok_or_else(unknown)?;
        let session: Session = serde_json::from_slice(&bytes).map_err(|_| unknown())?;
        let expired = session.updated_ms + self.config.upload_ttl_ms < now_ms();
        if session.repository != name.as_str() || expired {
            return Err(unknown());
        }
        Ok((session, meta.etag))
    }

    /// Writes the session state; answers its new etag.
    async fn save_session(&self, id: &str, session: &Session, mode: PutMode) -> Result<String> {
        let bytes = serde_json::to_vec(session).expect("a session serializes");
        let options = PutOptions { mode, ..PutOptions::default() };
        match self.store.put(&paths::upload_state(id), bytes, options).await? {
            Some(meta) => Ok(meta.etag),
            None => Err(Error::BlobUploadInvalid {
                message: "the upload was changed by a concurrent request; ask for its status"
                    .into(),
            }),
        }
    }

    async fn read_tail(&self, session: &Session, key: Option<&str>) -> Result<Vec<u8>> {
        let Some(key) = key else {
            return Ok(Vec::new());
        };
        match self.store.get_bytes(key).await? {
            Some((meta, _)) if session.tail_etag.as_ref().is_some_and(|e| *e != meta.etag) => {
                Err(Error::BlobUploadInvalid {
                    message: "the upload's buffered bytes were overwritten by a concurrent \
                              request; start the upload again"
                        .into(),
                })
            }
            Some((_, bytes)) => Ok(bytes),
            None => Err(Error::BlobUploadInvalid {
                message: "the upload's buffered bytes are lost".into(),
            }),
        }
    }

    async fn forget_session(&self, id: &str, tail: Option<String>) -> Result<()> {
        let mut keys = vec![paths::upload_state(id)];
        keys.extend(tail);
        self.store.delete_many(&keys).await?;
        Ok(())
    }
}
