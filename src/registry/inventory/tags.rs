//! Tag rows: each tag with the digest, type, platforms, sizes and push time of what it names.

use std::collections::BTreeSet;

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::{READ_CONCURRENCY, platforms, total_size};
use crate::oci::{Digest, RepoName};
use crate::registry::tags::link_target;
use crate::registry::{Error, Registry, Result};
use crate::storage::{ListOptions, ObjectStore, paths};

/// Manifest reads one call of [`Registry::tag_rows`] makes at most.
pub const MAX_MANIFEST_READS: usize = 300;

/// A tag and what it points at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TagRow {
    pub name: String,
    pub digest: String,
    /// When the tag last moved (storage clock, ms since the epoch).
    pub pushed_ms: u64,
    /// `None` when the manifest was not read (read bound) or is gone.
    pub media_type: Option<String>,
    pub artifact_type: Option<String>,
    /// The manifest's own bytes.
    pub size: Option<u64>,
    /// The manifest, its config and layers, and for an index its children with theirs.
    pub total_size: Option<u64>,
    /// `os/architecture[/variant]` of each image an index lists.
    pub platforms: Vec<String>,
}

pub struct TagPage {
    pub tags: Vec<TagRow>,
    pub more: bool,
}

impl<S: ObjectStore> Registry<S> {
    /// The tags of `name` after `last`, at most `n`, with what each points at.
    pub async fn tag_rows(&self, name: &RepoName, last: Option<&str>, n: usize) -> Result<TagPage> {
        let n = n.max(1);
        let prefix = paths::tags(name);
        let mut options = ListOptions {
            prefix: prefix.clone(),
            start_after: last.map(|last| format!("{prefix}{last}")),
            include_metadata: true,
            ..ListOptions::default()
        };
        let mut links = Vec::new();
        let more = loop {
            let page = self.store.list(&options).await?;
            links.extend(page.objects);
            if links.len() > n {
                links.truncate(n);
                break true;
            }
            match page.cursor {
                Some(cursor) => options.cursor = Some(cursor),
                None => break false,
            }
        };
        if links.is_empty() && !self.repository_exists(name).await? {
            return Err(Error::NameUnknown { name: name.to_string() });
        }

        // Links written by this registry carry their digest; others are read.
        let prefix = &prefix;
        let targets: Vec<(String, u64, Option<Digest>)> = futures::stream::iter(links)
            .map(|link| async move {
                let tag = link.key[prefix.len()..].to_owned();
                let digest = match link_target(&link, None) {
                    Some(digest) => Some(digest),
                    None => self.read_tag(&link.key).await?.map(|(digest, _)| digest),
                };
                Ok::<_, Error>((tag, link.uploaded_ms, digest))
            })
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await?;

        let mut budget = MAX_MANIFEST_READS;
        let digests: BTreeSet<Digest> = targets.iter().filter_map(|t| t.2.clone()).collect();
        let mut reads = self.read_manifests(name, digests, &mut budget).await?;
        let children: BTreeSet<Digest> = reads
            .values()
            .flatten()
            .flat_map(|read| read.manifest.iter().flat_map(|m| &m.children))
            .map(|child| child.digest.clone())
            .filter(|digest| !reads.contains_key(digest))
            .collect();
        let child_reads = self.read_manifests(name, children, &mut budget).await?;
        reads.extend(child_reads);

        let tags = targets
            .into_iter()
            .filter_map(|(tag, pushed_ms, digest)| {
                let digest = digest?;
                let read = reads.get(&digest).and_then(Option::as_ref);
                let manifest = read.and_then(|r| r.manifest.as_ref());
                Some(TagRow {
                    name: tag,
                    digest: digest.to_string(),
                    pushed_ms,
                    media_type: read.map(|r| r.media_type.clone()),
                    artifact_type: manifest.and_then(|m| m.artifact_type.clone()),
                    size: read.map(|r| r.size),
                    total_size: read.and_then(|r| total_size(r, &reads)),
                    platforms: manifest.map(platforms).unwrap_or_default(),
                })
            })
            .collect();
        Ok(TagPage { tags, more })
    }
}
