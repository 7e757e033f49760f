//! Read models for the dashboard: repository summaries, tag rows, a manifest's detail and the
//! bucket's usage, each computed from listings and manifest reads within a stated bound.
//!
//! What each costs, in storage operations (R2 lists 1,000 keys an operation, 100 when the
//! listing includes custom metadata):
//!
//! - [`Registry::repository_summary`]: three listings run together, no manifest read: the tags
//!   (one operation per 1,000), the revisions with their tag markers (one per 1,000 keys) and
//!   the blob links with their sizes (one per 100). Each stops after `max_pages` pages; the
//!   summary then says it is incomplete and its numbers are lower bounds.
//! - [`Registry::repository_summaries`]: one operation per 1,000 catalog names scanned, at most
//!   [`MAX_NAMES_SCANNED`] names a call, then one summary per repository answered, two at once.
//! - [`Registry::tag_rows`]: one operation per 100 tags, then one read per distinct manifest
//!   and per distinct child of an index, at most [`MAX_MANIFEST_READS`] reads a call; sizes that
//!   would need more are left out.
//! - [`Registry::manifest_detail`]: the manifest (one read, two by tag), its image config (two),
//!   its children up to [`MAX_CHILDREN_READ`] (one each), its tag markers (one per 100, and one
//!   read per marker left pending) and its referrers (one per 100).
//! - [`Registry::storage_usage`]: one operation per 1,000 keys of the bucket, at most
//!   `max_pages` a call; the next call continues after the last key seen.
//!
//! Sizes are those manifests and blob links declare. A blob shared by two repositories counts in
//! the size of each and once in the bucket's usage; layers fetched from elsewhere (foreign or
//! non-distributable) count nowhere. An index's total covers one level of children.

mod detail;
mod repositories;
mod tags;
mod usage;

pub use self::detail::{
    BlobRow, ChildRow, ImageConfig, MAX_CHILDREN_READ, ManifestDetail, ReferrerRow, referrer_kind,
};
pub use self::repositories::{MAX_NAMES_SCANNED, RepositoryPage, RepositorySummary};
pub use self::tags::{MAX_MANIFEST_READS, TagPage, TagRow};
pub use self::usage::{StorageUsage, UsagePage};

use std::collections::{BTreeMap, BTreeSet, HashMap};

use futures::{StreamExt, TryStreamExt};
use serde_json::Value;

use super::manifests::INDEXED;
use super::{Error, Registry, Result};
use crate::oci::manifest::{self, Descriptor, Manifest};
use crate::oci::{Digest, RepoName, media};
use crate::storage::{ListOptions, ObjectMeta, ObjectStore, paths};

/// Storage operations in flight at once (the Workers limit on open connections).
const READ_CONCURRENCY: usize = 6;

/// How a bounded listing ended.
struct Scanned {
    complete: bool,
    last_key: Option<String>,
}

/// A manifest as read from its revision.
struct Read {
    size: u64,
    uploaded_ms: u64,
    indexed: bool,
    media_type: String,
    /// `None` when the stored bytes do not parse (not written by this registry).
    manifest: Option<Manifest>,
}

/// Manifests read so far: `None` for one that is not stored; an absent key was not read.
type Reads = HashMap<Digest, Option<Read>>;

impl<S: ObjectStore> Registry<S> {
    /// Lists `options` for at most `max_pages` pages, handing every object to `visit`.
    async fn scan(
        &self,
        mut options: ListOptions,
        max_pages: usize,
        mut visit: impl FnMut(&ObjectMeta),
    ) -> Result<Scanned> {
        let mut last_key = None;
        for _ in 0..max_pages.max(1) {
            let page = self.store.list(&options).await?;
            page.objects.iter().for_each(&mut visit);
            if let Some(last) = page.objects.last() {
                last_key = Some(last.key.clone());
            }
            match page.cursor {
                Some(cursor) => options.cursor = Some(cursor),
                None => return Ok(Scanned { complete: true, last_key }),
            }
        }
        Ok(Scanned { complete: false, last_key })
    }

    async fn read_manifest(&self, name: &RepoName, digest: &Digest) -> Result<Option<Read>> {
        let Some((meta, bytes)) = self.store.get_bytes(&paths::revision(name, digest)).await?
        else {
            return Ok(None);
        };
        let manifest = manifest::parse(meta.content_type.as_deref(), &bytes).ok();
        let media_type = match (&manifest, meta.content_type) {
            (Some(manifest), _) => manifest.media_type.clone(),
            (None, Some(content_type)) => content_type,
            (None, None) => media::OCI_MANIFEST.to_owned(),
        };
        Ok(Some(Read {
            size: meta.size,
            uploaded_ms: meta.uploaded_ms,
            indexed: meta.custom.contains_key(INDEXED),
            media_type,
            manifest,
        }))
    }

    /// Reads `digests` six at once, as many as `budget` allows, and takes them from it.
    async fn read_manifests(
        &self,
        name: &RepoName,
        digests: BTreeSet<Digest>,
        budget: &mut usize,
    ) -> Result<Reads> {
        let take = digests.len().min(*budget);
        *budget -= take;
        futures::stream::iter(digests.into_iter().take(take))
            .map(|digest| async move {
                let read = self.read_manifest(name, &digest).await?;
                Ok::<_, Error>((digest, read))
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await
    }
}

/// The digest of a revision's data key (`<revisions><alg>/<hex>/data`), rebuilt to check it.
fn revision_digest(name: &RepoName, revisions: &str, key: &str) -> Option<Digest> {
    let path = key.strip_prefix(revisions)?.strip_suffix("/data")?;
    let (algorithm, hex) = path.split_once('/')?;
    let digest = Digest::parse(&format!("{algorithm}:{hex}")).ok()?;
    (paths::revision(name, &digest) == key).then_some(digest)
}

/// The bytes a manifest stands for: its own, its config's and layers', and for an index those
/// of its children and theirs, each blob and child once. `None` when a child was not read.
fn total_size(read: &Read, reads: &Reads) -> Option<u64> {
    let manifest = read.manifest.as_ref()?;
    let mut blobs = BTreeMap::new();
    let mut add = |descriptors: &[Descriptor]| {
        for blob in descriptors.iter().filter(|d| !d.external) {
            blobs.insert(blob.digest.clone(), blob.size);
        }
    };
    add(&manifest.blobs);

    let mut total = read.size;
    let mut seen = BTreeSet::new();
    for child in manifest.children.iter().filter(|c| seen.insert(&c.digest)) {
        match reads.get(&child.digest)? {
            Some(child) => {
                total += child.size;
                add(child.manifest.as_ref().map_or(&[], |m| &m.blobs));
            }
            // Not stored (deleted since): only what the index declares.
            None => total += child.size,
        }
    }
    Some(total + blobs.values().sum::<u64>())
}

/// The distinct platforms of the images an index lists, in its order.
fn platforms(manifest: &Manifest) -> Vec<String> {
    let mut labels: Vec<String> = Vec::new();
    for label in
        manifest.children.iter().filter_map(|c| c.platform.as_ref().and_then(platform_label))
    {
        if !labels.contains(&label) {
            labels.push(label);
        }
    }
    labels
}

/// `os/architecture[/variant]`.
fn platform_label(platform: &Value) -> Option<String> {
    let os = platform.get("os")?.as_str()?;
    let architecture = platform.get("architecture")?.as_str()?;
    Some(match platform.get("variant").and_then(Value::as_str) {
        Some(variant) => format!("{os}/{architecture}/{variant}"),
        None => format!("{os}/{architecture}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::Tag;

    #[test]
    fn platforms_read_os_architecture_and_variant() {
        let arm = serde_json::json!({"os": "linux", "architecture": "arm64", "variant": "v8"});
        assert_eq!(platform_label(&arm).as_deref(), Some("linux/arm64/v8"));
        let amd = serde_json::json!({"os": "linux", "architecture": "amd64"});
        assert_eq!(platform_label(&amd).as_deref(), Some("linux/amd64"));
        assert_eq!(platform_label(&serde_json::json!({"os": "linux"})), None);
    }

    #[test]
    fn only_revision_data_keys_are_revisions() {
        let name = RepoName::parse("a/b").unwrap();
        let digest = Digest::of(crate::oci::Algorithm::Sha256, b"x");
        let tag = Tag::parse("v1").unwrap();
        let revisions = paths::revisions(&name);
        let data = paths::revision(&name, &digest);

        assert_eq!(revision_digest(&name, &revisions, &data), Some(digest.clone()));
        let marker = paths::revision_tag(&name, &digest, &tag);
        assert_eq!(revision_digest(&name, &revisions, &marker), None);
        assert_eq!(revision_digest(&name, &revisions, &format!("{revisions}sha256/zz/data")), None);
    }
}
