//! The `Mark` phase: every revision is read and what it references is marked.
//!
//! One listing of `repositories/` walks every repository's keys in order (a repository's keys
//! are contiguous: names never contain `/_`), so it finds the revisions of repositories the
//! catalog misses too, at one operation per 1,000 keys. Revisions are read six at once.
//!
//! With `delete_untagged`, a repository's revisions are collected until its last key, then
//! settled: the roots are the revisions with a tag marker (markers are a superset of the tags,
//! so a stale one only keeps a manifest), those written without the tag index (copied from
//! elsewhere: their tags are unknown) and those written after the cutoff; an index keeps its
//! children, a manifest its referrers. The rest are deleted through
//! [`Registry::delete_manifest`] once their revision, read again, is still older than the cutoff
//! (a manifest put rewrites its revision, and an index put rewrites the old child revisions it
//! names through [`Registry::keep_alive`], so neither is deleted under a push).
//!
//! A revision that no longer parses is kept and marks every digest written in it.

use std::collections::{BTreeMap, BTreeSet};

use futures::{StreamExt, TryStreamExt};

use super::keys::{RepoKey, repository_key};
use super::state::{Doomed, Repository, Revision, fingerprint};
use super::{CONCURRENCY, Run, paths};
use crate::oci::manifest;
use crate::oci::{Digest, RepoName};
use crate::registry::manifests::INDEXED;
use crate::registry::{Error, Result};
use crate::storage::{ListOptions, MAX_LIST_KEYS, ObjectStore};

/// What a revision references, as read.
struct Read {
    uploaded_ms: u64,
    indexed: bool,
    parsed: bool,
    blobs: Vec<Digest>,
    children: Vec<Digest>,
    subject: Option<Digest>,
}

/// What became of an untagged manifest due for deletion.
enum Fate {
    Deleted,
    /// Pushed again since it was judged: it stays, and so does what it references.
    Kept,
    /// Deleted by someone else meanwhile.
    Gone,
}

/// Every digest written in a manifest that cannot be parsed, so that it marks too much rather
/// than too little.
fn digests_in(bytes: &[u8]) -> Vec<Digest> {
    let text = String::from_utf8_lossy(bytes);
    let mut found = Vec::new();
    for (algorithm, hex_len) in [("sha256:", 64), ("sha512:", 128)] {
        for (at, _) in text.match_indices(algorithm) {
            let candidate = text.get(at..at + algorithm.len() + hex_len);
            found.extend(candidate.and_then(|c| Digest::parse(c).ok()));
        }
    }
    found
}

impl<S: ObjectStore> Run<'_, '_, S> {
    pub(super) async fn mark_step(&mut self) -> Result<bool> {
        if !self.state.doomed.is_empty() {
            self.delete_doomed().await?;
            return Ok(false);
        }
        if self.state.listed {
            return Ok(true);
        }

        let options = ListOptions {
            prefix: paths::REPOSITORIES.to_owned(),
            start_after: self.state.after.clone(),
            limit: self.room().clamp(1, MAX_LIST_KEYS as u64) as u32,
            ..ListOptions::default()
        };
        let page = self.registry.store.list(&options).await?;
        let keys: Vec<(RepoName, RepoKey)> =
            page.objects.iter().filter_map(|o| repository_key(&o.key)).collect();

        let to_read = keys.iter().filter_map(|(name, key)| match key {
            RepoKey::Revision(digest) => Some((name, digest)),
            _ => None,
        });
        let this = &*self;
        let reads: Vec<Option<Read>> = futures::stream::iter(to_read)
            .map(|(name, digest)| this.read_revision(name, digest))
            .buffered(CONCURRENCY)
            .try_collect()
            .await?;

        let mut reads = reads.into_iter();
        for (name, key) in keys {
            if self.state.delete_untagged {
                self.enter(&name);
            }
            match key {
                RepoKey::Revision(digest) => {
                    if let Some(read) = reads.next().flatten() {
                        self.state.report.manifests_scanned += 1;
                        self.record(&digest, read);
                    }
                }
                RepoKey::Marker(digest) => {
                    let revisions = self.state.repository.as_mut().map(|r| &mut r.revisions);
                    if let Some(revision) = revisions.and_then(|r| r.get_mut(&digest.to_string())) {
                        revision.root = true;
                    }
                }
                RepoKey::Layer(_) | RepoKey::Other => {}
            }
        }

        if let Some(last) = page.objects.last() {
            self.state.after = Some(last.key.clone());
        }
        if page.cursor.is_none() {
            self.state.listed = true;
            if let Some(repository) = self.state.repository.take() {
                self.settle(repository);
            }
        }
        Ok(self.state.listed && self.state.doomed.is_empty())
    }

    async fn read_revision(&self, name: &RepoName, digest: &Digest) -> Result<Option<Read>> {
        let key = paths::revision(name, digest);
        let Some((meta, bytes)) = self.registry.store.get_bytes(&key).await? else {
            return Ok(None);
        };
        let mut read = Read {
            uploaded_ms: meta.uploaded_ms,
            indexed: meta.custom.contains_key(INDEXED),
            parsed: true,
            blobs: Vec::new(),
            children: Vec::new(),
            subject: None,
        };
        match manifest::parse(meta.content_type.as_deref(), &bytes) {
            Ok(parsed) => {
                read.blobs = parsed.blobs.into_iter().map(|d| d.digest).collect();
                read.children = parsed.children.into_iter().map(|d| d.digest).collect();
                read.subject = parsed.subject.map(|d| d.digest);
            }
            Err(_) => {
                read.parsed = false;
                read.children = digests_in(&bytes);
            }
        }
        Ok(Some(read))
    }

    /// Makes `name` the repository being collected, settling the previous one.
    fn enter(&mut self, name: &RepoName) {
        if self.state.repository.as_ref().is_some_and(|r| r.name == name.as_str()) {
            return;
        }
        if let Some(previous) = self.state.repository.take() {
            self.settle(previous);
        }
        self.state.repository = Some(Repository { name: name.to_string(), ..Default::default() });
    }

    /// Marks what a revision references, or, when untagged manifests are deleted, keeps it for
    /// its repository to be settled.
    fn record(&mut self, digest: &Digest, read: Read) {
        let referenced = read.blobs.iter().chain(&read.children).chain(&read.subject);
        let refs: Vec<u64> = referenced.map(fingerprint).collect();
        let Some(repository) = self.state.repository.as_mut() else {
            self.state.marks.extend(refs);
            return;
        };
        let root = !read.indexed || !read.parsed || read.uploaded_ms >= self.state.cutoff_ms;
        let revision = Revision {
            root,
            refs,
            children: read.children.iter().map(ToString::to_string).collect(),
            subject: read.subject.as_ref().map(ToString::to_string),
        };
        repository.revisions.insert(digest.to_string(), revision);
    }

    /// Keeps what the repository's roots reach and dooms the rest.
    fn settle(&mut self, repository: Repository) {
        let revisions = &repository.revisions;
        let mut referrers: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (digest, revision) in revisions {
            if let Some(subject) = &revision.subject {
                referrers.entry(subject.as_str()).or_default().push(digest.as_str());
            }
        }

        let mut kept: BTreeSet<&str> =
            revisions.iter().filter(|(_, r)| r.root).map(|(d, _)| d.as_str()).collect();
        let mut queue: Vec<&str> = kept.iter().copied().collect();
        while let Some(digest) = queue.pop() {
            let children = revisions[digest].children.iter().map(String::as_str);
            let referring = referrers.get(digest).into_iter().flatten().copied();
            for next in children.chain(referring) {
                if let Some((next, _)) = revisions.get_key_value(next)
                    && kept.insert(next.as_str())
                {
                    queue.push(next.as_str());
                }
            }
        }

        for (digest, revision) in revisions {
            if kept.contains(digest.as_str()) {
                self.state.marks.extend(&revision.refs);
            } else {
                self.state.doomed.push(Doomed {
                    repository: repository.name.clone(),
                    digest: digest.clone(),
                    refs: revision.refs.clone(),
                });
            }
        }
    }

    /// Deletes as many doomed manifests as the budget allows, six at once.
    async fn delete_doomed(&mut self) -> Result<()> {
        let count = ((self.room() / 6).max(1) as usize).min(self.state.doomed.len());
        let batch: Vec<Doomed> = self.state.doomed.drain(..count).collect();
        let this = &*self;
        let fates: Vec<(Doomed, Fate)> = futures::stream::iter(batch)
            .map(|doomed| async move {
                let fate = this.delete_untagged(&doomed).await?;
                Ok::<_, Error>((doomed, fate))
            })
            .buffer_unordered(CONCURRENCY)
            .try_collect()
            .await?;

        for (doomed, fate) in fates {
            match fate {
                Fate::Deleted => self.state.report.manifests_deleted += 1,
                Fate::Kept => self.state.marks.extend(doomed.refs),
                Fate::Gone => {}
            }
        }
        Ok(())
    }

    async fn delete_untagged(&self, doomed: &Doomed) -> Result<Fate> {
        let (Ok(name), Ok(digest)) =
            (RepoName::parse(&doomed.repository), Digest::parse(&doomed.digest))
        else {
            return Ok(Fate::Gone);
        };
        let Some(meta) = self.registry.store.head(&paths::revision(&name, &digest)).await? else {
            return Ok(Fate::Gone);
        };
        // Deletes switched off since the run started keep the manifest, as a recent write does.
        if self.recent(meta.uploaded_ms) || !self.registry.config.delete_enabled {
            return Ok(Fate::Kept);
        }
        if self.dry_run {
            return Ok(Fate::Deleted);
        }
        match self.registry.delete_manifest(&name, &digest).await {
            Ok(_) => Ok(Fate::Deleted),
            Err(Error::ManifestUnknown { .. }) => Ok(Fate::Gone),
            Err(err) => Err(err),
        }
    }
}
