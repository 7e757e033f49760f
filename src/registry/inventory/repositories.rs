//! Repository summaries: counts, size and last push from listings alone, and a filtered page
//! of them over the catalog.

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;

use super::revision_digest;
use crate::oci::{Digest, RepoName};
use crate::registry::blobs::BlobInfo;
use crate::registry::{Error, Registry, Result};
use crate::storage::{ListOptions, ObjectStore, paths};

/// Catalog names one call of [`Registry::repository_summaries`] looks at, matching or not.
pub const MAX_NAMES_SCANNED: usize = 10_000;
/// Summaries computed at once: three listings each, so six connections in all.
const SUMMARY_CONCURRENCY: usize = 2;

/// A repository at a glance.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RepositorySummary {
    pub name: String,
    pub tag_count: u64,
    pub manifest_count: u64,
    /// Bytes of the blobs linked into the repository and of its manifests.
    pub size: u64,
    /// The latest manifest put or tag move (storage clock, ms since the epoch).
    pub last_push_ms: Option<u64>,
    /// False when a listing stopped at its page bound: the numbers are then lower bounds.
    pub complete: bool,
}

/// A page of repository summaries.
pub struct RepositoryPage {
    pub repositories: Vec<RepositorySummary>,
    /// The name to continue after when more names follow, matching or not.
    pub next: Option<String>,
}

impl<S: ObjectStore> Registry<S> {
    /// Counts, size and last push of one repository, each listing at most `max_pages` pages.
    pub async fn repository_summary(
        &self,
        name: &RepoName,
        max_pages: usize,
    ) -> Result<RepositorySummary> {
        let options = |prefix: String, include_metadata: bool| ListOptions {
            prefix,
            include_metadata,
            ..ListOptions::default()
        };
        let (mut tag_count, mut tag_ms) = (0, 0);
        let (mut manifest_count, mut manifest_bytes, mut manifest_ms) = (0, 0, 0);
        let mut blob_bytes = 0;
        let revisions = paths::revisions(name);
        let layers = paths::layers(name);

        let (tags, revisions_scan, layers_scan) = futures::try_join!(
            self.scan(options(paths::tags(name), false), max_pages, |object| {
                tag_count += 1;
                tag_ms = tag_ms.max(object.uploaded_ms);
            }),
            self.scan(options(revisions.clone(), false), max_pages, |object| {
                if revision_digest(name, &revisions, &object.key).is_some() {
                    manifest_count += 1;
                    manifest_bytes += object.size;
                    manifest_ms = manifest_ms.max(object.uploaded_ms);
                }
            }),
            self.scan(options(layers.clone(), true), max_pages, |object| {
                let digest = object.key.strip_prefix(&layers).and_then(|rest| {
                    let (path, _) = rest.rsplit_once('/')?;
                    let (algorithm, hex) = path.split_once('/')?;
                    Digest::parse(&format!("{algorithm}:{hex}")).ok()
                });
                if let Some(blob) = digest.and_then(|d| BlobInfo::from_link(&d, object)) {
                    blob_bytes += blob.size;
                }
            }),
        )?;

        if tag_count == 0 && manifest_count == 0 && !self.repository_exists(name).await? {
            return Err(Error::NameUnknown { name: name.to_string() });
        }
        let last_push = tag_ms.max(manifest_ms);
        Ok(RepositorySummary {
            name: name.to_string(),
            tag_count,
            manifest_count,
            size: blob_bytes + manifest_bytes,
            last_push_ms: (last_push > 0).then_some(last_push),
            complete: tags.complete && revisions_scan.complete && layers_scan.complete,
        })
    }

    /// Summaries of the repositories after `last` whose names contain `filter` and that
    /// `visible` lets through: at most `n`, scanning at most [`MAX_NAMES_SCANNED`] names.
    pub async fn repository_summaries(
        &self,
        filter: &str,
        last: Option<&str>,
        n: usize,
        max_pages: usize,
        visible: impl Fn(&RepoName) -> bool,
    ) -> Result<RepositoryPage> {
        let n = n.max(1);
        let needle = filter.trim().to_ascii_lowercase();
        let mut options = ListOptions {
            prefix: paths::CATALOG.to_owned(),
            start_after: last.map(|last| format!("{}{last}", paths::CATALOG)),
            ..ListOptions::default()
        };
        let mut names: Vec<RepoName> = Vec::new();
        let mut last_seen = None;
        let mut scanned = 0;
        let next = 'scan: loop {
            let page = self.store.list(&options).await?;
            for object in &page.objects {
                let Some(name) = paths::catalog_name(&object.key) else { continue };
                let Ok(name) = RepoName::parse(name) else { continue };
                if name.as_str().contains(&needle) && visible(&name) {
                    if names.len() == n {
                        break 'scan names.last().map(ToString::to_string);
                    }
                    names.push(name.clone());
                }
                last_seen = Some(name);
            }
            scanned += page.objects.len();
            match page.cursor {
                None => break None,
                Some(_) if scanned >= MAX_NAMES_SCANNED => break last_seen.map(|n| n.to_string()),
                Some(cursor) => options.cursor = Some(cursor),
            }
        };

        let summaries: Vec<Option<RepositorySummary>> = futures::stream::iter(names)
            .map(|name| async move {
                match self.repository_summary(&name, max_pages).await {
                    Ok(summary) => Ok(Some(summary)),
                    // Listed a moment ago, gone now.
                    Err(Error::NameUnknown { .. }) => Ok(None),
                    Err(err) => Err(err),
                }
            })
            .buffered(SUMMARY_CONCURRENCY)
            .try_collect()
            .await?;
        Ok(RepositoryPage { repositories: summaries.into_iter().flatten().collect(), next })
    }
}
