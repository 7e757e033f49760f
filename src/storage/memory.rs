//! An in-memory store that enforces R2's rules, for host tests, benchmarks and fault injection.
//!
//! Clones share the same contents, so a test can hand one clone to each request. Etags are R2's
//! (see [`etag`]): equal bytes give equal etags, which conditional puts must live with.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use sha2::{Digest as _, Sha256, Sha512};

use super::{
    ByteRange, Checksum, ListOptions, ListPage, MAX_CUSTOM_METADATA, MAX_DELETE_KEYS,
    MAX_LIST_KEYS, MAX_LIST_KEYS_WITH_METADATA, MAX_PART_SIZE, MAX_PARTS, MIN_PART_SIZE,
    ObjectMeta, ObjectStore, PutMode, PutOptions, StorageError, StorageErrorKind, StorageResult,
    UploadedPart, etag,
};

#[derive(Clone)]
struct Stored {
    meta: ObjectMeta,
    bytes: Rc<Vec<u8>>,
}

struct Multipart {
    key: String,
    options: PutOptions,
    parts: BTreeMap<u16, (String, Vec<u8>)>,
}

#[derive(Default)]
struct State {
    objects: BTreeMap<String, Stored>,
    uploads: HashMap<String, Multipart>,
    next_id: u64,
}

#[derive(Clone, Default)]
pub struct MemoryStore {
    state: Rc<RefCell<State>>,
    /// Operations made so far, failed ones included.
    ops: Rc<Cell<u64>>,
    /// When set, the operation with this number (counting from 1) fails.
    fail_at: Rc<Cell<Option<u64>>>,
    /// When set, the time objects are stamped with, in ms since the epoch.
    now_ms: Rc<Cell<Option<u64>>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes operation number `n` from now (1 = the next one) fail with a backend error.
    pub fn fail_nth_operation(&self, n: Option<u64>) {
        self.fail_at.set(n.map(|n| self.ops.get() + n));
    }

    pub fn operations(&self) -> u64 {
        self.ops.get()
    }

    pub fn set_now_ms(&self, now: Option<u64>) {
        self.now_ms.set(now);
    }

    /// Every stored key, in order (for tests that check nothing was left behind).
    pub fn keys(&self) -> Vec<String> {
        self.state.borrow().objects.keys().cloned().collect()
    }

    /// Multipart uploads begun and neither completed nor aborted.
    pub fn open_multipart_uploads(&self) -> usize {
        self.state.borrow().uploads.len()
    }

    fn now(&self) -> u64 {
        self.now_ms.get().unwrap_or_else(|| {
            web_time::SystemTime::now()
                .duration_since(web_time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or_default()
        })
    }

    fn begin(&self, op: &'static str, key: &str) -> StorageResult<()> {
        let n = self.ops.get() + 1;
        self.ops.set(n);
        if self.fail_at.get() == Some(n) {
            return Err(StorageError::new(StorageErrorKind::Backend, op, key, "injected failure"));
        }
        Ok(())
    }

    fn next_id(state: &mut State) -> u64 {
        state.next_id += 1;
        state.next_id
    }
}

fn refused(op: &'static str, key: &str, message: impl Into<String>) -> StorageError {
    StorageError::new(StorageErrorKind::Refused, op, key, message)
}

fn check_metadata(op: &'static str, key: &str, options: &PutOptions) -> StorageResult<()> {
    let size: usize = options.custom.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_CUSTOM_METADATA {
        return Err(refused(op, key, format!("custom metadata of {size} bytes is too large")));
    }
    Ok(())
}

fn checksum_matches(checksum: &Checksum, bytes: &[u8]) -> bool {
    match checksum {
        Checksum::Sha256(expected) => Sha256::digest(bytes).as_slice() == expected.as_slice(),
        Checksum::Sha512(expected) => Sha512::digest(bytes).as_slice() == expected.as_slice(),
    }
}

/// The bytes of `range`; R2 refuses a range that selects nothing (an offset at or past the end,
/// a zero length or suffix, any range of an empty object), and so does this.
fn slice(key: &str, bytes: &[u8], range: Option<ByteRange>) -> StorageResult<Vec<u8>> {
    let len = bytes.len() as u64;
    let (start, end) = match range {
        None => (0, len),
        Some(ByteRange::From { offset, length }) => {
            (offset, length.map_or(len, |l| offset.saturating_add(l).min(len)))
        }
        Some(ByteRange::Suffix(n)) => (len.saturating_sub(n), len),
    };
    if range.is_some() && (start >= len || end <= start) {
        return Err(refused("get", key, "the range is not satisfiable"));
    }
    Ok(bytes[start as usize..end as usize].to_vec())
}

impl ObjectStore for MemoryStore {
    type Body = Vec<u8>;

    async fn head(&self, key: &str) -> StorageResult<Option<ObjectMeta>> {
        self.begin("head", key)?;
        Ok(self.state.borrow().objects.get(key).map(|s| s.meta.clone()))
    }

    async fn get(
        &self,
        key: &str,
        range: Option<ByteRange>,
    ) -> StorageResult<Option<(ObjectMeta, Vec<u8>)>> {
        self.begin("get", key)?;
        let state = self.state.borrow();
        match state.objects.get(key) {
            Some(stored) => Ok(Some((stored.meta.clone(), slice(key, &stored.bytes, range)?))),
            None => Ok(None),
        }
    }

    async fn get_bytes(&self, key: &str) -> StorageResult<Option<(ObjectMeta, Vec<u8>)>> {
        self.begin("get", key)?;
        let state = self.state.borrow();
        Ok(state.objects.get(key).map(|s| (s.meta.clone(), s.bytes.to_vec())))
    }

    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        options: PutOptions,
    ) -> StorageResult<Option<ObjectMeta>> {
        self.begin("put", key)?;
        check_metadata("put", key, &options)?;
        if let Some(checksum) = &options.checksum
            && !checksum_matches(checksum, &bytes)
        {
            return Err(StorageError::new(
                StorageErrorKind::ChecksumMismatch,
                "put",
                key,
                "the checksum does not match the bytes",
            ));
        }

        let mut state = self.state.borrow_mut();
        let existing = state.objects.get(key).map(|s| s.meta.etag.clone());
        let allowed = match &options.mode {
            PutMode::Overwrite => true,
            PutMode::Create => existing.is_none(),
            PutMode::UpdateIfMatch(etag) => existing.as_ref() == Some(etag),
        };
        if !allowed {
            return Ok(None);
        }

        let meta = ObjectMeta {
            key: key.to_owned(),
            size: bytes.len() as u64,
            etag: etag::of_bytes(&bytes),
            uploaded_ms: self.now(),
            content_type: options.content_type,
            custom: options.custom,
        };
        state.objects.insert(key.to_owned(), Stored { meta: meta.clone(), bytes: Rc::new(bytes) });
        Ok(Some(meta))
    }

    async fn delete_many(&self, keys: &[String]) -> StorageResult<()> {
        let first = keys.first().map(String::as_str).unwrap_or_default();
        self.begin("delete", first)?;
        if keys.len() > MAX_DELETE_KEYS {
            return Err(refused("delete", first, format!("{} keys in one delete", keys.len())));
        }
        let mut state = self.state.borrow_mut();
        for key in keys {
            state.objects.remove(key);
        }
        Ok(())
    }

    async fn list(&self, options: &ListOptions) -> StorageResult<ListPage> {
        self.begin("list", &options.prefix)?;
        let max =
            if options.include_metadata { MAX_LIST_KEYS_WITH_METADATA } else { MAX_LIST_KEYS };
        let limit = if options.limit == 0 { max } else { options.limit.min(max) } as usize;
        let after = match (&options.cursor, &options.start_after) {
            (Some(cursor), _) => Some(cursor.clone()),
            (None, start_after) => start_after.clone(),
        };

        let state = self.state.borrow();
        let mut page = ListPage::default();
        let mut last = None;
        let candidates = state.objects.range(options.prefix.clone()..);
        for (key, stored) in candidates.take_while(|(k, _)| k.starts_with(&options.prefix)) {
            if after.as_ref().is_some_and(|a| key <= a) {
                continue;
            }
            let rest = &key[options.prefix.len()..];
            let grouped = options.delimiter.as_deref().and_then(|d| {
                rest.find(d).map(|i| format!("{}{}", options.prefix, &rest[..i + d.len()]))
            });
            if let Some(prefix) = &grouped
                && page.prefixes.last() == Some(prefix)
            {
                continue;
            }
            if page.objects.len() + page.prefixes.len() == limit {
                page.cursor = last;
                return Ok(page);
            }
            match grouped {
                Some(prefix) => {
                    // Continue after every key under this prefix.
                    last = Some(format!("{prefix}\u{10FFFF}"));
                    page.prefixes.push(prefix);
                }
                None => {
                    let mut meta = stored.meta.clone();
                    if !options.include_metadata {
                        meta.custom.clear();
                    }
                    last = Some(key.clone());
                    page.objects.push(meta);
                }
            }
        }
        Ok(page)
    }

    async fn create_multipart(&self, key: &str, options: PutOptions) -> StorageResult<String> {
        self.begin("create_multipart", key)?;
        check_metadata("create_multipart", key, &options)?;
        if options.mode != PutMode::Overwrite || options.checksum.is_some() {
            return Err(refused("create_multipart", key, "no condition or checksum on multipart"));
        }
        let mut state = self.state.borrow_mut();
        let id = format!("upload-{:016x}", Self::next_id(&mut state));
        let upload = Multipart { key: key.to_owned(), options, parts: BTreeMap::new() };
        state.uploads.insert(id.clone(), upload);
        Ok(id)
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u16,
        bytes: Vec<u8>,
    ) -> StorageResult<UploadedPart> {
        self.begin("upload_part", key)?;
        if number == 0 || number > MAX_PARTS {
            return Err(refused("upload_part", key, format!("part number {number}")));
        }
        if bytes.len() as u64 > MAX_PART_SIZE {
            return Err(refused("upload_part", key, "part larger than 5 GiB"));
        }
        let etag = etag::of_bytes(&bytes);
        let mut state = self.state.borrow_mut();
        let upload = state
            .uploads
            .get_mut(upload_id)
            .filter(|u| u.key == key)
            .ok_or_else(|| no_such_upload("upload_part", key))?;
        upload.parts.insert(number, (etag.clone(), bytes));
        Ok(UploadedPart { number, etag })
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> StorageResult<ObjectMeta> {
        self.begin("complete_multipart", key)?;
        let mut state = self.state.borrow_mut();
        let upload = state
            .uploads
            .get(upload_id)
            .filter(|u| u.key == key)
            .ok_or_else(|| no_such_upload("complete_multipart", key))?;
        if parts.is_empty() {
            return Err(refused("complete_multipart", key, "no parts"));
        }

        let mut bytes = Vec::new();
        let mut part_size = None;
        for (i, part) in parts.iter().enumerate() {
            let (etag, data) = upload
                .parts
                .get(&part.number)
                .filter(|(etag, _)| *etag == part.etag)
                .ok_or_else(|| refused("complete_multipart", key, "unknown part"))?;
            debug_assert_eq!(*etag, part.etag);
            if i > 0 && parts[i - 1].number >= part.number {
                return Err(refused("complete_multipart", key, "parts out of order"));
            }
            let size = data.len() as u64;
            let is_last = i + 1 == parts.len();
            if !is_last && size < MIN_PART_SIZE {
                return Err(refused("complete_multipart", key, "non-final part below 5 MiB"));
            }
            match part_size {
                None => part_size = Some(size),
                Some(first) if !is_last && size != first => {
                    return Err(refused("complete_multipart", key, "non-final parts differ"));
                }
                Some(first) if is_last && size > first => {
                    return Err(refused("complete_multipart", key, "final part larger"));
                }
                Some(_) => {}
            }
            bytes.extend_from_slice(data);
        }

        let upload = state.uploads.remove(upload_id).expect("checked above");
        let meta = ObjectMeta {
            key: key.to_owned(),
            size: bytes.len() as u64,
            etag: etag::of_multipart(parts.iter().map(|p| p.etag.as_str())),
            uploaded_ms: self.now(),
            content_type: upload.options.content_type,
            custom: upload.options.custom,
        };
        state.objects.insert(key.to_owned(), Stored { meta: meta.clone(), bytes: Rc::new(bytes) });
        Ok(meta)
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> StorageResult<()> {
        self.begin("abort_multipart", key)?;
        let mut state = self.state.borrow_mut();
        // R2 answers an abort of a completed or aborted upload with success.
        if state.uploads.get(upload_id).is_some_and(|upload| upload.key == key) {
            state.uploads.remove(upload_id);
        }
        Ok(())
    }
}

fn no_such_upload(op: &'static str, key: &str) -> StorageError {
    StorageError::new(StorageErrorKind::NoSuchUpload, op, key, "no such multipart upload")
}
