//! Deleting a manifest by digest, at a cost that grows with what it removes.
//!
//! 1. Head the revision (404 when absent). A revision written here carries `indexed`.
//! 2. List its tag markers (one operation for up to 100). Confirmed markers are true; pending
//!    ones (left by a tag write or delete that did not finish) are verified by reading their
//!    tags with joined futures, at most `delete_concurrency` at once; the first real error
//!    cancels the rest.
//! 3. Delete the matching tags, then the markers, then the referrer entry and the revision, in
//!    batches of up to 1,000 keys. Tags go first, so no tag is ever left naming a missing
//!    manifest; a crash anywhere leaves the revision in place and a retried DELETE finishes.
//!
//! A revision without `indexed` (content copied from another registry's bucket) falls back to
//! a scan of the repository's tags: listings carry each tag's digest in custom metadata, so
//! only links without it are read (concurrently, and rewritten with it for the next scan).

use futures::{StreamExt, TryStreamExt};

use super::manifests::{INDEXED, SUBJECT};
use super::tags::{CONFIRMED, LINK_DIGEST, MARKER_STATE, link_target};
use super::{Error, Registry, Result};
use crate::oci::{Digest, RepoName, Tag};
use crate::storage::{
    ListOptions, MAX_DELETE_KEYS, ObjectMeta, ObjectStore, PutMode, PutOptions, paths,
};

/// How a delete found the tags it removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletePath {
    /// Through the revision's tag index.
    Index,
    /// Through a scan of every tag of the repository.
    Scan,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeleteReport {
    pub path: DeletePath,
    pub tags_removed: Vec<String>,
}

impl<S: ObjectStore> Registry<S> {
    /// Deletes the manifest `digest` from `name` with every tag that points at it now.
    pub async fn delete_manifest(&self, name: &RepoName, digest: &Digest) -> Result<DeleteReport> {
        if !self.config.delete_enabled {
            return Err(Error::Unsupported { message: "deletes are disabled".into() });
        }
        let revision_key = paths::revision(name, digest);
        let Some(revision) = self.store.head(&revision_key).await? else {
            return Err(Error::ManifestUnknown { reference: digest.to_string() });
        };

        let (path, tags, markers) = if revision.custom.contains_key(INDEXED) {
            let (tags, markers) = self.tags_from_index(name, digest).await?;
            (DeletePath::Index, tags, markers)
        } else {
            (DeletePath::Scan, self.tags_from_scan(name, digest).await?, Vec::new())
        };

        let tag_keys: Vec<String> = tags.iter().map(|t| paths::tag(name, t)).collect();
        self.delete_keys(&tag_keys).await?;
        self.delete_keys(&markers).await?;
        if let Some(subject) = revision.custom.get(SUBJECT).and_then(|s| Digest::parse(s).ok()) {
            self.remove_referrer(name, &subject, digest).await?;
        }
        self.delete_keys(&[revision_key]).await?;

        let tags_removed = tags.iter().map(|t| t.to_string()).collect();
        Ok(DeleteReport { path, tags_removed })
    }

    /// The tags that point at `digest` now, and every marker key of the revision.
    async fn tags_from_index(
        &self,
        name: &RepoName,
        digest: &Digest,
    ) -> Result<(Vec<Tag>, Vec<String>)> {
        let prefix = paths::revision_tags(name, digest);
        let markers = self.list_all(&prefix, true).await?;

        let mut confirmed = Vec::new();
        let mut pending = Vec::new();
        for marker in &markers {
            let Ok(tag) = Tag::parse(&marker.key[prefix.len()..]) else {
                continue;
            };
            match marker.custom.get(MARKER_STATE).map(String::as_str) {
                Some(CONFIRMED) => confirmed.push(tag),
                _ => pending.push(tag),
            }
        }

        let verified: Vec<Option<Tag>> = futures::stream::iter(pending)
            .map(|tag| async move {
                let current = self.resolve_tag(name, &tag).await?;
                Ok::<_, Error>((current.as_ref() == Some(digest)).then_some(tag))
            })
            .buffer_unordered(self.config.delete_concurrency)
            .try_collect()
            .await?;
        confirmed.extend(verified.into_iter().flatten());
        confirmed.sort();

        Ok((confirmed, markers.into_iter().map(|m| m.key).collect()))
    }

    /// The tags that point at `digest`, found by listing every tag of the repository.
    async fn tags_from_scan(&self, name: &RepoName, digest: &Digest) -> Result<Vec<Tag>> {
        let prefix = paths::tags(name);
        let links = self.list_all(&prefix, true).await?;

        let mut matching = Vec::new();
        let mut unknown = Vec::new();
        for link in links {
            let Ok(tag) = Tag::parse(&link.key[prefix.len()..]) else {
                continue;
            };
            match link_target(&link, None) {
                Some(target) if &target == digest => matching.push(tag),
                Some(_) => {}
                None => unknown.push(tag),
            }
        }

        let read: Vec<Option<Tag>> = futures::stream::iter(unknown)
            .map(|tag| async move {
                let key = paths::tag(name, &tag);
                let Some((target, etag)) = self.read_tag(&key).await? else {
                    return Ok(None);
                };
                if &target == digest {
                    return Ok(Some(tag));
                }
                self.add_link_metadata(&key, &target, etag).await?;
                Ok::<_, Error>(None)
            })
            .buffer_unordered(self.config.delete_concurrency)
            .try_collect()
            .await?;
        matching.extend(read.into_iter().flatten());
        matching.sort();
        Ok(matching)
    }

    /// Rewrites a tag link with its digest in custom metadata, so later scans need not read it;
    /// only if the link is unchanged since it was read (a tag moved meanwhile is left alone).
    async fn add_link_metadata(&self, key: &str, target: &Digest, etag: String) -> Result<()> {
        let options = PutOptions {
            mode: PutMode::UpdateIfMatch(etag),
            custom: [(LINK_DIGEST.to_owned(), target.to_string())].into(),
            ..PutOptions::default()
        };
        self.store.put(key, target.to_string().into_bytes(), options).await?;
        Ok(())
    }

    async fn list_all(&self, prefix: &str, include_metadata: bool) -> Result<Vec<ObjectMeta>> {
        let mut options =
            ListOptions { prefix: prefix.to_owned(), include_metadata, ..ListOptions::default() };
        let mut objects = Vec::new();
        loop {
            let page = self.store.list(&options).await?;
            objects.extend(page.objects);
            match page.cursor {
                Some(cursor) => options.cursor = Some(cursor),
                None => return Ok(objects),
            }
        }
    }

    async fn delete_keys(&self, keys: &[String]) -> Result<()> {
        for batch in keys.chunks(MAX_DELETE_KEYS) {
            self.store.delete_many(batch).await?;
        }
        Ok(())
    }
}
