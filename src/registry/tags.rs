//! Tags: where they point, how they move, and the index of tags kept under each revision.
//!
//! Every revision keeps a marker per tag that may point at it (`revisions/…/tags/<tag>`). A
//! marker is *pending* while the tag is moving to or away from the revision and *confirmed* once
//! the tag is known to point there. Moving tag `t` from `O` to `N`:
//!
//! 1. read `t` (its digest `O` and etag);
//! 2. mark `O/t` pending: from now on the old marker is not trusted;
//! 3. write `N/t` pending;
//! 4. point `t` at `N`, only if `t` is unchanged since step 1 (else start again);
//! 5. delete `O/t`;
//! 6. confirm `N/t`, only if nobody touched that marker since step 3.
//!
//! So markers are a superset of the truth, and a confirmed marker is true: a crash between any
//! two steps leaves at worst a pending marker, which a delete verifies by reading the tag. A
//! delete by digest therefore reads only the pending markers' tags, and in the usual case none.

use std::collections::BTreeMap;

use super::listing::{Names, list_names};
use super::{Error, Registry, Result, random_id};
use crate::oci::{Digest, RepoName, Tag};
use crate::storage::{ObjectMeta, ObjectStore, PutMode, PutOptions, paths};

/// How many times a tag write starts again when a concurrent write moved the tag under it.
const TAG_WRITE_ATTEMPTS: usize = 5;

pub(crate) const MARKER_STATE: &str = "state";
pub(crate) const PENDING: &str = "pending";
pub(crate) const CONFIRMED: &str = "confirmed";
pub(crate) const LINK_DIGEST: &str = "digest";

fn marker_options(state: &str, mode: PutMode) -> PutOptions {
    PutOptions {
        mode,
        custom: BTreeMap::from([(MARKER_STATE.to_owned(), state.to_owned())]),
        ..PutOptions::default()
    }
}

/// The digest a tag link names: from its custom metadata, else from its body.
pub(crate) fn link_target(meta: &ObjectMeta, body: Option<&[u8]>) -> Option<Digest> {
    let text = match meta.custom.get(LINK_DIGEST) {
        Some(digest) => digest.as_str(),
        None => std::str::from_utf8(body?).ok()?,
    };
    Digest::parse(text.trim()).ok()
}

impl<S: ObjectStore> Registry<S> {
    /// The digest `tag` points at, if the tag exists.
    pub async fn resolve_tag(&self, name: &RepoName, tag: &Tag) -> Result<Option<Digest>> {
        Ok(self.read_tag(&paths::tag(name, tag)).await?.map(|(digest, _)| digest))
    }

    /// Reads a tag link: its target and etag.
    pub(crate) async fn read_tag(&self, key: &str) -> Result<Option<(Digest, String)>> {
        let Some((meta, body)) = self.store.get_bytes(key).await? else {
            return Ok(None);
        };
        let digest = link_target(&meta, Some(&body)).ok_or_else(|| Error::ManifestInvalid {
            message: format!("tag link {key:?} does not hold a digest"),
        })?;
        Ok(Some((digest, meta.etag)))
    }

    /// Points `tag` at the revision `digest`, keeping the revision's tag index a superset of
    /// the truth at every step.
    pub(crate) async fn set_tag(&self, name: &RepoName, tag: &Tag, digest: &Digest) -> Result<()> {
        let key = paths::tag(name, tag);
        for _ in 0..TAG_WRITE_ATTEMPTS {
            let current = self.read_tag(&key).await?;
            if let Some((old, _)) = &current {
                if old == digest {
                    return Ok(());
                }
                let old_marker = paths::revision_tag(name, old, tag);
                self.store
                    .put(&old_marker, Vec::new(), marker_options(PENDING, PutMode::Overwrite))
                    .await?;
            }

            // R2's etag is the MD5 of the bytes alone: a marker body of its own makes any later
            // rewrite of the marker, by another writer, change the etag step 6 checks.
            let marker = paths::revision_tag(name, digest, tag);
            let pending = self
                .store
                .put(
                    &marker,
                    random_id()?.into_bytes(),
                    marker_options(PENDING, PutMode::Overwrite),
                )
                .await?;
            let pending_etag = pending.map(|meta| meta.etag).unwrap_or_default();

            let mode = match &current {
                Some((_, etag)) => PutMode::UpdateIfMatch(etag.clone()),
                None => PutMode::Create,
            };
            let options = PutOptions {
                mode,
                custom: BTreeMap::from([(LINK_DIGEST.to_owned(), digest.to_string())]),
                ..PutOptions::default()
            };
            if self.store.put(&key, digest.to_string().into_bytes(), options).await?.is_none() {
                continue;
            }

            if let Some((old, _)) = &current {
                self.store.delete_many(&[paths::revision_tag(name, old, tag)]).await?;
            }
            let confirm = marker_options(CONFIRMED, PutMode::UpdateIfMatch(pending_etag));
            self.store.put(&marker, Vec::new(), confirm).await?;
            return Ok(());
        }
        Err(Error::ManifestInvalid {
            message: format!("tag {tag:?} is being written by other requests; try again"),
        })
    }

    /// Lists the tags of `name` in lexical order: at most `n`, after `last`.
    pub async fn list_tags(
        &self,
        name: &RepoName,
        last: Option<&str>,
        n: Option<usize>,
    ) -> Result<Names> {
        let names = list_names(&self.store, &paths::tags(name), last, n).await?;
        if names.names.is_empty() && !self.repository_exists(name).await? {
            return Err(Error::NameUnknown { name: name.to_string() });
        }
        Ok(names)
    }

    /// Removes one tag; the manifest it pointed at stays.
    pub async fn delete_tag(&self, name: &RepoName, tag: &Tag) -> Result<()> {
        if !self.config.delete_enabled {
            return Err(Error::Unsupported { message: "deletes are disabled".into() });
        }
        let key = paths::tag(name, tag);
        let Some((digest, _)) = self.read_tag(&key).await? else {
            return Err(Error::ManifestUnknown { reference: tag.to_string() });
        };
        let marker = paths::revision_tag(name, &digest, tag);
        self.store.put(&marker, Vec::new(), marker_options(PENDING, PutMode::Overwrite)).await?;
        self.store.delete_many(&[key]).await?;
        self.store.delete_many(&[marker]).await?;
        Ok(())
    }
}
