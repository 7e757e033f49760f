//! The storage trait the registry speaks to, and its backends (R2 in a Worker, memory on the host).
//!
//! A backend implements a handful of primitives with R2's semantics; everything the registry
//! needs beyond them is built in `registry` on top. Every backend passes the behaviour suite in
//! [`suite`], so what the memory backend accepts on the host is what R2 accepts in production.

pub mod counted;
pub mod etag;
#[cfg(target_arch = "wasm32")]
pub mod kv;
pub mod memory;
pub mod paths;
#[cfg(target_arch = "wasm32")]
pub mod r2;
pub mod suite;

use std::collections::BTreeMap;
use std::fmt;

/// R2 refuses non-final multipart parts smaller than this.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// R2 refuses a multipart part larger than this.
pub const MAX_PART_SIZE: u64 = 5 * 1024 * 1024 * 1024;
/// R2 refuses a multipart upload of more parts than this.
pub const MAX_PARTS: u16 = 10_000;
/// R2 returns at most this many keys a list page.
pub const MAX_LIST_KEYS: u32 = 1_000;
/// R2 returns at most this many keys a list page when custom metadata is included.
pub const MAX_LIST_KEYS_WITH_METADATA: u32 = 100;
/// R2 deletes at most this many keys in one call.
pub const MAX_DELETE_KEYS: usize = 1_000;
/// R2 refuses custom metadata larger than this (keys and values together, in bytes).
pub const MAX_CUSTOM_METADATA: usize = 2_048;

/// What a backend knows about a stored object.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    pub key: String,
    /// Size of the whole object, even when a range of it was read.
    pub size: u64,
    pub etag: String,
    /// Upload time in milliseconds since the Unix epoch.
    pub uploaded_ms: u64,
    pub content_type: Option<String>,
    /// Custom metadata; a list fills it only when asked to include metadata.
    pub custom: BTreeMap<String, String>,
}

/// How a put treats an object that already exists under the key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum PutMode {
    /// Replace whatever is there.
    #[default]
    Overwrite,
    /// Write only if nothing is stored under the key.
    Create,
    /// Write only if the stored object still has this etag.
    UpdateIfMatch(String),
}

/// A checksum the backend verifies before it stores an object; a mismatch refuses the put.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Checksum {
    Sha256(Vec<u8>),
    Sha512(Vec<u8>),
}

#[derive(Clone, Debug, Default)]
pub struct PutOptions {
    pub mode: PutMode,
    pub content_type: Option<String>,
    pub custom: BTreeMap<String, String>,
    pub checksum: Option<Checksum>,
}

/// A byte range of an object to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteRange {
    /// `length` bytes from `offset` (to the end when `None`).
    From { offset: u64, length: Option<u64> },
    /// The last `n` bytes.
    Suffix(u64),
}

#[derive(Clone, Debug, Default)]
pub struct ListOptions {
    pub prefix: String,
    pub delimiter: Option<String>,
    /// Only keys strictly greater than this one.
    pub start_after: Option<String>,
    pub cursor: Option<String>,
    /// At most [`MAX_LIST_KEYS`] (or [`MAX_LIST_KEYS_WITH_METADATA`] with metadata).
    pub limit: u32,
    pub include_metadata: bool,
}

#[derive(Clone, Debug, Default)]
pub struct ListPage {
    pub objects: Vec<ObjectMeta>,
    /// With a delimiter: the distinct key prefixes up to and including it.
    pub prefixes: Vec<String>,
    /// Set when more keys follow; pass it back to continue.
    pub cursor: Option<String>,
}

/// A part of a multipart upload, as the backend acknowledged it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct UploadedPart {
    pub number: u16,
    pub etag: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageErrorKind {
    /// The request broke one of the store's rules (part sizes, list limits, metadata size).
    Refused,
    /// A checksum given with a put did not match the bytes.
    ChecksumMismatch,
    /// The multipart upload does not exist (completed, aborted or expired).
    NoSuchUpload,
    /// The store failed or could not be reached.
    Backend,
}

/// A failed storage operation. `Display` is short; the key says where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageError {
    pub kind: StorageErrorKind,
    pub op: &'static str,
    pub key: String,
    pub message: String,
}

impl StorageError {
    pub fn new(
        kind: StorageErrorKind,
        op: &'static str,
        key: &str,
        message: impl Into<String>,
    ) -> Self {
        Self { kind, op, key: key.to_owned(), message: message.into() }
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "storage {} of {:?} failed: {}", self.op, self.key, self.message)
    }
}

impl std::error::Error for StorageError {}

pub type StorageResult<T> = Result<T, StorageError>;

/// An object store with R2's semantics: strongly consistent reads, lists and conditional puts.
///
/// Methods take `&self` and return futures that are not `Send` (JS values are not).
#[allow(async_fn_in_trait, reason = "single-threaded wasm: the futures need not be Send")]
pub trait ObjectStore {
    /// A readable object body, handed to the HTTP layer without being buffered.
    type Body;

    async fn head(&self, key: &str) -> StorageResult<Option<ObjectMeta>>;

    /// Reads an object, or the given range of it; `None` when the key is absent.
    async fn get(
        &self,
        key: &str,
        range: Option<ByteRange>,
    ) -> StorageResult<Option<(ObjectMeta, Self::Body)>>;

    /// Reads a small object whole.
    async fn get_bytes(&self, key: &str) -> StorageResult<Option<(ObjectMeta, Vec<u8>)>>;

    /// Stores an object; `None` when the put mode's condition did not hold.
    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        options: PutOptions,
    ) -> StorageResult<Option<ObjectMeta>>;

    /// Deletes up to [`MAX_DELETE_KEYS`] keys; absent keys are not an error.
    async fn delete_many(&self, keys: &[String]) -> StorageResult<()>;

    async fn list(&self, options: &ListOptions) -> StorageResult<ListPage>;

    /// Starts a multipart upload that will complete under `key`; returns its upload id.
    async fn create_multipart(&self, key: &str, options: PutOptions) -> StorageResult<String>;

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u16,
        bytes: Vec<u8>,
    ) -> StorageResult<UploadedPart>;

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> StorageResult<ObjectMeta>;

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> StorageResult<()>;
}
