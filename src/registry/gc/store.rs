//! A borrowed store that is itself a store, so a collection run can count its operations.

use crate::storage::{
    ByteRange, ListOptions, ListPage, ObjectMeta, ObjectStore, PutOptions, StorageResult,
    UploadedPart,
};

/// Forwards every call to the store it borrows. Wrapped in `Counted`, it lets a run measure its
/// own operations, the registry calls it makes (deleting a manifest) included.
pub(super) struct ByRef<'a, S>(pub &'a S);

impl<S: ObjectStore> ObjectStore for ByRef<'_, S> {
    type Body = S::Body;

    async fn head(&self, key: &str) -> StorageResult<Option<ObjectMeta>> {
        self.0.head(key).await
    }

    async fn get(
        &self,
        key: &str,
        range: Option<ByteRange>,
    ) -> StorageResult<Option<(ObjectMeta, Self::Body)>> {
        self.0.get(key, range).await
    }

    async fn get_bytes(&self, key: &str) -> StorageResult<Option<(ObjectMeta, Vec<u8>)>> {
        self.0.get_bytes(key).await
    }

    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        options: PutOptions,
    ) -> StorageResult<Option<ObjectMeta>> {
        self.0.put(key, bytes, options).await
    }

    async fn delete_many(&self, keys: &[String]) -> StorageResult<()> {
        self.0.delete_many(keys).await
    }

    async fn list(&self, options: &ListOptions) -> StorageResult<ListPage> {
        self.0.list(options).await
    }

    async fn create_multipart(&self, key: &str, options: PutOptions) -> StorageResult<String> {
        self.0.create_multipart(key, options).await
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u16,
        bytes: Vec<u8>,
    ) -> StorageResult<UploadedPart> {
        self.0.upload_part(key, upload_id, number, bytes).await
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> StorageResult<ObjectMeta> {
        self.0.complete_multipart(key, upload_id, parts).await
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> StorageResult<()> {
        self.0.abort_multipart(key, upload_id).await
    }
}
