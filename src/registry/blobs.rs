//! Blobs as a repository sees them: linked, read, mounted from elsewhere, unlinked.

use std::collections::BTreeMap;

use super::{Error, Registry, Result};
use crate::oci::{Digest, RepoName};
use crate::storage::{ByteRange, ObjectMeta, ObjectStore, PutOptions, paths};

/// A stored blob: where its bytes live and how many there are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobInfo {
    pub digest: Digest,
    pub size: u64,
    /// The key of the object holding the bytes.
    pub location: String,
}

impl BlobInfo {
    /// The custom metadata a link carries, so that a read needs no other lookup.
    pub(crate) fn link_metadata(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("size".to_owned(), self.size.to_string()),
            ("location".to_owned(), self.location.clone()),
        ])
    }

    pub(crate) fn from_link(digest: &Digest, meta: &ObjectMeta) -> Option<Self> {
        Some(Self {
            digest: digest.clone(),
            size: meta.custom.get("size")?.parse().ok()?,
            location: meta.custom.get("location")?.clone(),
        })
    }
}

impl<S: ObjectStore> Registry<S> {
    /// The blob `digest` as linked into `name`.
    pub async fn stat_blob(&self, name: &RepoName, digest: &Digest) -> Result<BlobInfo> {
        let link = self.store.head(&paths::layer_link(name, digest)).await?;
        link.and_then(|meta| BlobInfo::from_link(digest, &meta))
            .ok_or_else(|| Error::BlobUnknown { digest: digest.to_string() })
    }

    /// Reads a blob found by [`Registry::stat_blob`], whole or a range of it.
    pub async fn read_blob(
        &self,
        blob: &BlobInfo,
        range: Option<ByteRange>,
    ) -> Result<(ObjectMeta, S::Body)> {
        self.store
            .get(&blob.location, range)
            .await?
            .ok_or_else(|| Error::BlobUnknown { digest: blob.digest.to_string() })
    }

    /// Links a stored blob into a repository.
    pub(crate) async fn link_blob(&self, name: &RepoName, blob: &BlobInfo) -> Result<()> {
        let options = PutOptions { custom: blob.link_metadata(), ..PutOptions::default() };
        self.store.put(&paths::layer_link(name, &blob.digest), Vec::new(), options).await?;
        Ok(())
    }

    /// Links `digest` from `from` into `to` when `from` has it; `None` when it does not.
    pub async fn mount_blob(
        &self,
        from: &RepoName,
        to: &RepoName,
        digest: &Digest,
    ) -> Result<Option<BlobInfo>> {
        let blob = match self.stat_blob(from, digest).await {
            Ok(blob) => blob,
            Err(Error::BlobUnknown { .. }) => return Ok(None),
            Err(err) => return Err(err),
        };
        self.link_blob(to, &blob).await?;
        Ok(Some(blob))
    }

    /// Unlinks a blob from a repository; its bytes stay until garbage collection.
    pub async fn delete_blob(&self, name: &RepoName, digest: &Digest) -> Result<()> {
        if !self.config.delete_enabled {
            return Err(Error::Unsupported { message: "deletes are disabled".into() });
        }
        self.stat_blob(name, digest).await?;
        self.store.delete_many(&[paths::layer_link(name, digest)]).await?;
        Ok(())
    }
}
