//! Deleting a manifest by digest, at a cost that grows with what it removes.
//!
//! 1. Head the revision (404 when absent). A revision written here carries `indexed`.
//! 2. List its tag markers (one operation for up to 100). Confirmed markers are true; pending
//!    ones (left by a tag write or delete that did not finish) are verified by reading their
//!    tags with joined futures, at most `delete_concurrency` at once; the first real error
//!    cancels the rest.
//! 3. Delete the matching tags, then their markers, then the referrer entry and the revision, in
//!    batches of up to 1,000 keys. Tags go first, so no tag is ever left naming a missing
//!    manifest; a crash anywhere leaves the revision in place and a retried DELETE finishes.
//! 4. List the markers once more and remove the tags a concurrent push pointed at the digest
//!    meanwhile (in the usual case the listing is empty: one operation).
//!
//! A revision without `indexed` (content copied from another registry's bucket) falls back to
//! a scan of the repository's tags: a listing page of up to 1,000 links tells from each link's
//! size and etag whether it names the digest, so a link is read only when those cannot tell.

use futures::{StreamExt, TryStreamExt};

use super::manifests::{INDEXED, SUBJECT};
use super::tags::{CONFIRMED, MARKER_STATE};
use super::{Error, Registry, Result};
use crate::oci::{Digest, RepoName, Tag};
use crate::storage::{ListOptions, MAX_DELETE_KEYS, ObjectMeta, ObjectStore, etag, paths};

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
            // A delete cut off after the revision went may have left latecomers: finish it.
            self.untag_latecomers(name, digest).await?;
            return Err(Error::ManifestUnknown { reference: digest.to_string() });
        };

        let (path, mut tags) = if revision.custom.contains_key(INDEXED) {
            (DeletePath::Index, self.tags_from_index(name, digest).await?)
        } else {
            (DeletePath::Scan, self.tags_from_scan(name, digest).await?)
        };
        self.untag(name, digest, &tags).await?;
        if let Some(subject) = revision.custom.get(SUBJECT).and_then(|s| Digest::parse(s).ok()) {
            self.remove_referrer(name, &subject, digest).await?;
        }
        self.delete_keys(&[revision_key]).await?;
        tags.extend(self.untag_latecomers(name, digest).await?);

        tags.sort();
        let tags_removed = tags.iter().map(|t| t.to_string()).collect();
        Ok(DeleteReport { path, tags_removed })
    }

    /// The tags that point at `digest` now, found through the revision's tag index.
    async fn tags_from_index(&self, name: &RepoName, digest: &Digest) -> Result<Vec<Tag>> {
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

        confirmed.extend(self.pointing_at(name, digest, pending).await?);
        Ok(confirmed)
    }

    /// Tags pointed at `digest` while it was being deleted, by a push whose tag index marker the
    /// first listing missed or whose tag was read before it moved. Once the revision is gone,
    /// every marker left is listed again and its tag read, confirmed or not, and the tags that
    /// point at `digest` go with their markers. A push that finds the revision gone after
    /// moving its tag writes the revision again (`put_manifest`), so no tag is left naming a
    /// missing manifest either way. Markers of tags that point elsewhere stay: they are pending,
    /// and a pending marker is never trusted.
    async fn untag_latecomers(&self, name: &RepoName, digest: &Digest) -> Result<Vec<Tag>> {
        let prefix = paths::revision_tags(name, digest);
        let markers = self.list_all(&prefix, false).await?;
        let candidates =
            markers.iter().filter_map(|marker| Tag::parse(&marker.key[prefix.len()..]).ok());
        let latecomers = self.pointing_at(name, digest, candidates.collect()).await?;
        self.untag(name, digest, &latecomers).await?;
        Ok(latecomers)
    }

    /// Removes `tags`, then their markers under `digest`: a failure between the two leaves a
    /// marker without its tag, which the index tolerates, never a tag without its marker.
    async fn untag(&self, name: &RepoName, digest: &Digest, tags: &[Tag]) -> Result<()> {
        let tag_keys: Vec<String> = tags.iter().map(|t| paths::tag(name, t)).collect();
        self.delete_keys(&tag_keys).await?;
        let markers: Vec<String> =
            tags.iter().map(|t| paths::revision_tag(name, digest, t)).collect();
        self.delete_keys(&markers).await
    }

    /// Those of `candidates` that point at `digest` now: their links are read with joined
    /// futures, `delete_concurrency` at once; the first error cancels the rest.
    async fn pointing_at(
        &self,
        name: &RepoName,
        digest: &Digest,
        candidates: Vec<Tag>,
    ) -> Result<Vec<Tag>> {
        let read: Vec<Option<Tag>> = futures::stream::iter(candidates)
            .map(|tag| async move {
                let current = self.resolve_tag(name, &tag).await?;
                Ok::<_, Error>((current.as_ref() == Some(digest)).then_some(tag))
            })
            .buffer_unordered(self.config.delete_concurrency)
            .try_collect()
            .await?;
        Ok(read.into_iter().flatten().collect())
    }

    /// The tags that point at `digest`, found by listing every tag of the repository.
    ///
    /// The listing decides most links without a read: a link's bytes are the digest it names,
    /// and R2's etag of bytes written whole is their MD5 ([`etag`]). So a link as long as
    /// `digest`'s text names it exactly when its etag is that text's MD5, and a shorter one never
    /// does. Links the listing cannot decide (longer, or written in parts) are read with joined
    /// futures. One read first checks that this store's etags are MD5s; if not, every link is read.
    async fn tags_from_scan(&self, name: &RepoName, digest: &Digest) -> Result<Vec<Tag>> {
        let prefix = paths::tags(name);
        let links = self.list_all(&prefix, false).await?;
        let text = digest.to_string();
        let wanted = etag::of_bytes(text.as_bytes());

        let mut decided = Vec::new();
        let mut unknown = Vec::new();
        for link in &links {
            let Ok(tag) = Tag::parse(&link.key[prefix.len()..]) else {
                continue;
            };
            match listing_names(link, text.len(), &wanted) {
                Some(names) => decided.push((tag, link, names)),
                None => unknown.push(tag),
            }
        }
        if let Some((_, link, _)) = decided.iter().find(|(_, link, _)| etag::is_md5(&link.etag))
            && !self.etag_is_md5_of_body(&link.key).await?
        {
            unknown.extend(decided.drain(..).map(|(tag, _, _)| tag));
        }

        let mut matching: Vec<Tag> =
            decided.into_iter().filter_map(|(tag, _, names)| names.then_some(tag)).collect();
        matching.extend(self.pointing_at(name, digest, unknown).await?);
        Ok(matching)
    }

    /// Whether the object's etag is the MD5 of its bytes, as R2 makes it for a single put.
    async fn etag_is_md5_of_body(&self, key: &str) -> Result<bool> {
        Ok(match self.store.get_bytes(key).await? {
            Some((meta, body)) => meta.etag == etag::of_bytes(&body),
            // Deleted meanwhile: it names nothing, and says nothing of the other etags.
            None => false,
        })
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

/// Whether a listed tag link names the digest whose text is `len` bytes long with MD5 `wanted`,
/// as far as its size and etag tell; `None` when they cannot.
fn listing_names(link: &ObjectMeta, len: usize, wanted: &str) -> Option<bool> {
    let size = link.size;
    if size < len as u64 {
        // A link resolves to the digest its bytes hold once trimmed: these hold too few.
        return Some(false);
    }
    (size == len as u64 && etag::is_md5(&link.etag)).then(|| link.etag == wanted)
}
