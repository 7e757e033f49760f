//! A store wrapper that counts the operations a request makes, for its log line.

use std::cell::Cell;

use super::{
    ByteRange, ListOptions, ListPage, ObjectMeta, ObjectStore, PutOptions, StorageResult,
    UploadedPart,
};

/// Counts every call into the inner store; a delete of many keys counts once, as R2 bills it.
pub struct Counted<S> {
    inner: S,
    ops: Cell<u64>,
}

impl<S> Counted<S> {
    pub fn new(inner: S) -> Self {
        Self { inner, ops: Cell::new(0) }
    }

    pub fn ops(&self) -> u64 {
        self.ops.get()
    }

    pub fn inner(&self) -> &S {
        &self.inner
    }

    fn tick(&self) {
        self.ops.set(self.ops.get() + 1);
    }
}

impl<S: ObjectStore> ObjectStore for Counted<S> {
    type Body = S::Body;

    async fn head(&self, key: &str) -> StorageResult<Option<ObjectMeta>> {
        self.tick();
        self.inner.head(key).await
    }

    async fn get(
        &self,
        key: &str,
        range: Option<ByteRange>,
    ) -> StorageResult<Option<(ObjectMeta, Self::Body)>> {
        self.tick();
        self.inner.get(key, range).await
    }

    async fn get_bytes(&self, key: &str) -> StorageResult<Option<(ObjectMeta, Vec<u8>)>> {
        self.tick();
        self.inner.get_bytes(key).await
    }

    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        options: PutOptions,
    ) -> StorageResult<Option<ObjectMeta>> {
        self.tick();
        self.inner.put(key, bytes, options).await
    }

    async fn delete_many(&self, keys: &[String]) -> StorageResult<()> {
        self.tick();
        self.inner.delete_many(keys).await
    }

    async fn list(&self, options: &ListOptions) -> StorageResult<ListPage> {
        self.tick();
        self.inner.list(options).await
    }

    async fn create_multipart(&self, key: &str, options: PutOptions) -> StorageResult<String> {
        self.tick();
        self.inner.create_multipart(key, options).await
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u16,
        bytes: Vec<u8>,
    ) -> StorageResult<UploadedPart> {
        self.tick();
        self.inner.upload_part(key, upload_id, number, bytes).await
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> StorageResult<ObjectMeta> {
        self.tick();
        self.inner.complete_multipart(key, upload_id, parts).await
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> StorageResult<()> {
        self.tick();
        self.inner.abort_multipart(key, upload_id).await
    }
}
