//! The bucket's usage: counts and bytes by kind of key, a stretch of keys a call.

use serde::Serialize;

use super::revision_digest;
use crate::oci::RepoName;
use crate::registry::gc::GcReport;
use crate::registry::{Registry, Result};
use crate::storage::{ListOptions, ObjectMeta, ObjectStore, paths};

/// Counts and bytes over a stretch of the bucket's keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StorageUsage {
    pub keys_scanned: u64,
    /// Every object's bytes, as R2 bills them.
    pub total_bytes: u64,
    pub repositories: u64,
    pub blobs: u64,
    /// Bytes of blob data, referenced or not (garbage collection removes what is not).
    pub blob_bytes: u64,
    pub manifests: u64,
    pub manifest_bytes: u64,
    pub tags: u64,
    /// Bytes of uploads in progress.
    pub upload_bytes: u64,
}

pub struct UsagePage {
    pub usage: StorageUsage,
    /// The key to continue after, when the bucket has more.
    pub next: Option<String>,
    /// The last collection's report, on a first page only.
    pub last_collection: Option<GcReport>,
}

impl<S: ObjectStore> Registry<S> {
    /// Counts and bytes of the keys after `after`, at most `max_pages` listing pages of them.
    pub async fn storage_usage(&self, after: Option<&str>, max_pages: usize) -> Result<UsagePage> {
        let options =
            ListOptions { start_after: after.map(str::to_owned), ..ListOptions::default() };
        let mut usage = StorageUsage::default();
        let scanned = self.scan(options, max_pages, |object| usage.count(object)).await?;
        let last_collection = match after {
            None => self.last_gc_report().await?,
            Some(_) => None,
        };
        let next = if scanned.complete { None } else { scanned.last_key };
        Ok(UsagePage { usage, next, last_collection })
    }
}

impl StorageUsage {
    /// Adds one object to the counts, by what its key is.
    fn count(&mut self, object: &ObjectMeta) {
        let key = object.key.as_str();
        self.keys_scanned += 1;
        self.total_bytes += object.size;
        if key.starts_with(paths::CATALOG) {
            self.repositories += 1;
        } else if let Some(rest) = key.strip_prefix(paths::BLOBS) {
            if rest.ends_with("/link") {
                self.blobs += 1;
            } else if rest.ends_with("/data") {
                self.blob_bytes += object.size;
            }
        } else if key.starts_with(&paths::upload_data("")) {
            self.blob_bytes += object.size;
        } else if key.starts_with(paths::UPLOADS) {
            self.upload_bytes += object.size;
        } else if let Some(rest) = key.strip_prefix(paths::REPOSITORIES) {
            let Some((name, tail)) = rest.split_once("/_") else { return };
            let Ok(name) = RepoName::parse(name) else { return };
            if revision_digest(&name, &paths::revisions(&name), key).is_some() {
                self.manifests += 1;
                self.manifest_bytes += object.size;
            } else if tail.strip_prefix("manifests/tags/").is_some_and(|t| !t.contains('/')) {
                self.tags += 1;
            }
        }
    }
}
