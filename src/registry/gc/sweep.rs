//! The `Blobs` and `Data` phases: what no manifest reaches is deleted, unless it is recent.
//!
//! A blob is a candidate when no revision marked it and both its link (`blobs/…/link`) and every
//! repository link to it (`_layers/…/link`, listed afresh by each invocation of this phase) were
//! written before the cutoff, the run's start less the grace period. Just before a group of six
//! candidates is deleted, their repository links are read again; a candidate with one recent now
//! stays. The others lose their repository links, their link and their data in one batched
//! delete, links first, so that a delete cut off half-way never leaves a link to missing data.
//! The blob's own link needs no second read: uploads write it only where it is absent.
//!
//! Why a push running meanwhile keeps its blobs:
//! - A blob uploaded during the run, or within the grace period, has a recent link.
//! - A blob mounted, or uploaded again, has a recent repository link, which the listing sees when
//!   it was written before it.
//! - A manifest put checks a repository link, then writes its revision, which this run's mark
//!   may have passed already. The put rewrites a link older than half the grace period
//!   ([`Registry::keep_alive`]), so the link is recent for every run that could have missed the
//!   revision: a run that started before the put has its cutoff a whole grace period before
//!   the put, and a link the put did not rewrite is younger than half of one; a run that starts
//!   after the put reads the revision. The rewrite is conditional on the etag the check read, so
//!   a put that loses the race against the delete is refused (`MANIFEST_BLOB_UNKNOWN`) instead
//!   of stored.
//!
//! What remains, for a blob unreferenced and older than the grace period:
//! - a put whose check and rewrite both fall between the second read of the blob's repository
//!   links and the delete (one storage round trip) is stored with the blob gone;
//! - a mount or re-upload of it during the invocation, after the listing of repository links,
//!   leaves a repository link without data, which the next run removes; a manifest put relying on
//!   that link in between is stored with the blob gone;
//! - a client that saw it with `HEAD` before the delete and sends its manifest after gets
//!   `MANIFEST_BLOB_UNKNOWN` and must push the blob again.

use std::collections::BTreeMap;
use std::ops::Bound;

use futures::{StreamExt, TryStreamExt};

use super::keys::{BlobKey, RepoKey, blob_key, repository_key, upload_data_prefix};
use super::state::{fingerprint, key_fingerprint};
use super::{CONCURRENCY, Run, paths};
use crate::oci::Digest;
use crate::registry::Result;
use crate::registry::blobs::BlobInfo;
use crate::storage::{
    ListOptions, MAX_LIST_KEYS, MAX_LIST_KEYS_WITH_METADATA, ObjectMeta, ObjectStore,
};

/// A repository link to a blob, as listed.
pub(super) struct Link {
    key: String,
    uploaded_ms: u64,
}

/// Repository links to blobs the run did not mark, by blob.
pub(super) type Links = BTreeMap<Digest, Vec<Link>>;

/// The blobs a listing page covers.
type DigestRange = (Bound<Digest>, Bound<Digest>);

/// A blob's keys on a listing page.
struct Entry {
    digest: Digest,
    link: Option<ObjectMeta>,
    data: Option<ObjectMeta>,
}

impl<S: ObjectStore> Run<'_, '_, S> {
    pub(super) async fn blobs_step(&mut self) -> Result<bool> {
        if self.links.is_none() {
            self.links = Some(self.list_links().await?);
        }
        let lower = self.state.after.as_deref().and_then(blob_key).map(|key| match key {
            BlobKey::Link(digest) | BlobKey::Data(digest) => digest,
        });

        let options = ListOptions {
            prefix: paths::BLOBS.to_owned(),
            start_after: self.state.after.clone(),
            limit: (self.room() / 2).clamp(1, MAX_LIST_KEYS_WITH_METADATA as u64) as u32,
            include_metadata: true,
            ..ListOptions::default()
        };
        let page = self.registry.store.list(&options).await?;
        let mut entries: Vec<Entry> = Vec::new();
        for object in &page.objects {
            let (digest, is_link) = match blob_key(&object.key) {
                Some(BlobKey::Link(digest)) => (digest, true),
                Some(BlobKey::Data(digest)) => (digest, false),
                None => continue,
            };
            if entries.last().is_none_or(|e| e.digest != digest) {
                entries.push(Entry { digest, link: None, data: None });
            }
            let entry = entries.last_mut().expect("just pushed");
            if is_link {
                entry.link = Some(object.clone());
            } else {
                entry.data = Some(object.clone());
            }
        }
        let mut after = page.objects.last().map(|o| o.key.clone());

        // A blob's data sorts before its link: when a page ends between them, read the link.
        if page.cursor.is_some()
            && let Some(last) = entries.last_mut()
            && last.link.is_none()
        {
            let key = paths::blob_link(&last.digest);
            last.link = self.registry.store.head(&key).await?;
            after = Some(key);
        }

        // The blobs this page covers, for finding repository links whose blob is gone.
        let upper = match (&page.cursor, entries.last()) {
            (Some(_), None) => None,
            (Some(_), Some(last)) if lower.as_ref().is_some_and(|l| &last.digest <= l) => None,
            (Some(_), Some(last)) => Some(Bound::Included(last.digest.clone())),
            (None, _) => Some(Bound::Unbounded),
        };
        let range = upper.map(|upper| (lower.map_or(Bound::Unbounded, Bound::Excluded), upper));
        self.sweep(entries, range).await?;

        if after.is_some() {
            self.state.after = after;
        }
        Ok(page.cursor.is_none())
    }

    /// Lists every repository link to a blob the run did not mark.
    async fn list_links(&self) -> Result<Links> {
        let mut options = ListOptions {
            prefix: paths::REPOSITORIES.to_owned(),
            limit: MAX_LIST_KEYS,
            ..ListOptions::default()
        };
        let mut links = Links::new();
        loop {
            let page = self.registry.store.list(&options).await?;
            for object in page.objects {
                if let Some((_, RepoKey::Layer(digest))) = repository_key(&object.key)
                    && !self.state.marks.contains(&fingerprint(&digest))
                {
                    let link = Link { key: object.key, uploaded_ms: object.uploaded_ms };
                    links.entry(digest).or_default().push(link);
                }
            }
            match page.cursor {
                Some(cursor) => options.cursor = Some(cursor),
                None => return Ok(links),
            }
        }
    }

    /// Sorts a page's blobs into kept and candidates, deletes the candidates that are still
    /// unused once read again, and the repository links in `range` whose blob is gone.
    async fn sweep(&mut self, entries: Vec<Entry>, range: Option<DigestRange>) -> Result<()> {
        let links = self.links.take().unwrap_or_default();
        let mut orphans = Vec::new();
        let mut candidates = Vec::new();
        let mut present = Vec::new();

        for entry in entries {
            let Some(link) = entry.link else {
                if let Some(data) = entry.data.filter(|d| !self.recent(d.uploaded_ms)) {
                    self.orphan(&data, &mut orphans);
                }
                continue;
            };
            present.push(entry.digest.clone());
            let blob = BlobInfo::from_link(&entry.digest, &link);
            let report = &mut self.state.report;
            report.blobs_scanned += 1;
            report.bytes_scanned += blob.as_ref().map_or(0, |b| b.size);
            if let Some(data) = entry.data
                && blob.as_ref().is_some_and(|b| b.location != data.key)
                && !self.recent(data.uploaded_ms)
            {
                // Bytes stored under the digest while the link points elsewhere.
                self.orphan(&data, &mut orphans);
            }
            let Some(blob) = blob else {
                // A link this registry did not write: keep it, it is not understood.
                self.state.report.blobs_kept += 1;
                continue;
            };
            if blob.location.starts_with(&upload_data_prefix()) {
                self.state.locations.insert(key_fingerprint(&blob.location));
            }

            let used = self.state.marks.contains(&fingerprint(&blob.digest))
                || self.recent(link.uploaded_ms)
                || links
                    .get(&blob.digest)
                    .is_some_and(|l| l.iter().any(|l| self.recent(l.uploaded_ms)));
            if used {
                self.keep(&blob);
            } else {
                candidates.push(blob);
            }
        }
        self.delete(&orphans).await?;

        for group in candidates.chunks(CONCURRENCY) {
            self.collect(group, &links).await?;
        }
        let dangling: Vec<&Digest> = match range {
            Some(range) => {
                links.range(range).map(|(d, _)| d).filter(|d| !present.contains(d)).collect()
            }
            None => Vec::new(),
        };
        for group in dangling.chunks(CONCURRENCY) {
            self.unlink(group, &links).await?;
        }
        self.links = Some(links);
        Ok(())
    }

    fn keep(&mut self, blob: &BlobInfo) {
        self.state.report.blobs_kept += 1;
        self.state.report.bytes_kept += blob.size;
    }

    fn orphan(&mut self, data: &ObjectMeta, orphans: &mut Vec<String>) {
        self.state.report.orphans_deleted += 1;
        self.state.report.orphan_bytes_deleted += data.size;
        orphans.push(data.key.clone());
    }

    /// Reads the repository links of a group of candidates again and deletes the candidates
    /// still unused, in one call: the time between the reads and the delete is the window a
    /// manifest put can race. A blob's own link needs no second read: it is written only where
    /// absent, so the listing this step just made is current.
    async fn collect(&mut self, group: &[BlobInfo], links: &Links) -> Result<()> {
        let this = &*self;
        let verdicts: Vec<Option<Vec<String>>> = futures::stream::iter(group)
            .map(|blob| this.old_links(links.get(&blob.digest)))
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;

        let mut doomed = Vec::new();
        for (blob, verdict) in group.iter().zip(verdicts) {
            let Some(layer_links) = verdict else {
                self.keep(blob);
                continue;
            };
            let report = &mut self.state.report;
            report.blobs_deleted += 1;
            report.bytes_deleted += blob.size;
            report.layer_links_deleted += layer_links.len() as u64;
            doomed.extend(layer_links);
            doomed.push(paths::blob_link(&blob.digest));
            doomed.push(blob.location.clone());
        }
        self.delete(&doomed).await
    }

    /// Deletes repository links whose blob no longer exists (left by a crash, or by a mount that
    /// raced an earlier run), when they predate the run and the blob is still missing.
    async fn unlink(&mut self, group: &[&Digest], links: &Links) -> Result<()> {
        let this = &*self;
        let verdicts: Vec<Option<Vec<String>>> = futures::stream::iter(group)
            .map(|digest| async move {
                let started = this.state.report.started_ms;
                let listed = links.get(*digest);
                if listed.is_some_and(|l| l.iter().any(|l| l.uploaded_ms >= started))
                    || this.registry.store.head(&paths::blob_link(digest)).await?.is_some()
                {
                    return Ok(None);
                }
                this.old_links(listed).await
            })
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;

        let doomed: Vec<String> = verdicts.into_iter().flatten().flatten().collect();
        self.state.report.layer_links_deleted += doomed.len() as u64;
        self.delete(&doomed).await
    }

    /// Reads `links` again: the keys of those still there, or `None` if one is recent now.
    async fn old_links(&self, links: Option<&Vec<Link>>) -> Result<Option<Vec<String>>> {
        let mut keys = Vec::new();
        for link in links.into_iter().flatten() {
            match self.registry.store.head(&link.key).await? {
                Some(meta) if self.recent(meta.uploaded_ms) => return Ok(None),
                Some(_) => keys.push(link.key.clone()),
                None => {}
            }
        }
        Ok(Some(keys))
    }

    pub(super) async fn data_step(&mut self) -> Result<bool> {
        let options = ListOptions {
            prefix: upload_data_prefix(),
            start_after: self.state.after.clone(),
            limit: MAX_LIST_KEYS,
            ..ListOptions::default()
        };
        let page = self.registry.store.list(&options).await?;
        let mut orphans = Vec::new();
        for object in &page.objects {
            if !self.state.locations.contains(&key_fingerprint(&object.key))
                && !self.recent(object.uploaded_ms)
            {
                self.orphan(object, &mut orphans);
            }
        }
        self.delete(&orphans).await?;
        if let Some(last) = page.objects.last() {
            self.state.after = Some(last.key.clone());
        }
        Ok(page.cursor.is_none())
    }
}
