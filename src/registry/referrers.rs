//! The referrers of a subject: manifests whose `subject` names it, indexed as they are pushed.
//!
//! Each referrer is an entry `referrers/<subject>/<referrer>` whose custom metadata holds its
//! descriptor, so listing a subject's referrers reads 100 of them a storage operation. A
//! descriptor too large for custom metadata is kept in the entry's body instead.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};
use serde_json::{Map, Value, json};

use super::{Registry, Result};
use crate::oci::manifest::Manifest;
use crate::oci::{Digest, RepoName};
use crate::storage::{ListOptions, MAX_CUSTOM_METADATA, ObjectStore, PutOptions, paths};

const DESCRIPTOR: &str = "descriptor";
const IN_BODY: &str = "descriptor-in-body";
/// Concurrent reads of descriptors kept in entry bodies.
const READ_CONCURRENCY: usize = 6;
/// Referrer entries a page of the referrers API covers.
pub const REFERRERS_PAGE: usize = 1_000;

/// Referrers found, and the referrer to continue after when more follow.
pub struct ReferrersPage {
    pub descriptors: Vec<Value>,
    pub next: Option<Digest>,
}

impl<S: ObjectStore> Registry<S> {
    pub(crate) async fn add_referrer(
        &self,
        name: &RepoName,
        subject: &Digest,
        digest: &Digest,
        size: u64,
        manifest: &Manifest,
    ) -> Result<()> {
        let mut descriptor = json!({
            "mediaType": manifest.media_type,
            "digest": digest.to_string(),
            "size": size,
        });
        if let Some(artifact_type) = manifest.effective_artifact_type() {
            descriptor["artifactType"] = json!(artifact_type);
        }
        if let Some(annotations) = &manifest.annotations {
            descriptor["annotations"] = Value::Object(annotations.clone());
        }
        let text = descriptor.to_string();
        let (body, custom) = if text.len() + DESCRIPTOR.len() <= MAX_CUSTOM_METADATA {
            (Vec::new(), BTreeMap::from([(DESCRIPTOR.to_owned(), text)]))
        } else {
            (text.into_bytes(), BTreeMap::from([(IN_BODY.to_owned(), "1".to_owned())]))
        };
        let key = paths::referrer(name, subject, digest);
        self.store.put(&key, body, PutOptions { custom, ..PutOptions::default() }).await?;
        Ok(())
    }

    /// A page of the descriptors of `subject`'s referrers after the referrer `after`,
    /// optionally only those of `artifact_type`. A page scans at most [`REFERRERS_PAGE`] entries,
    /// one storage operation for every 100.
    pub async fn list_referrers(
        &self,
        name: &RepoName,
        subject: &Digest,
        artifact_type: Option<&str>,
        after: Option<&Digest>,
    ) -> Result<ReferrersPage> {
        let mut options = ListOptions {
            prefix: paths::referrers(name, subject),
            start_after: after.map(|after| paths::referrer(name, subject, after)),
            include_metadata: true,
            ..ListOptions::default()
        };
        let mut entries = Vec::new();
        let mut next = None;
        loop {
            let page = self.store.list(&options).await?;
            entries.extend(page.objects);
            match page.cursor {
                Some(_) if entries.len() >= REFERRERS_PAGE => {
                    let last = entries.last().map(|e| &e.key[options.prefix.len()..]);
                    next = last.and_then(|last| Digest::parse(last).ok());
                    break;
                }
                Some(cursor) => options.cursor = Some(cursor),
                None => break,
            }
        }

        let descriptors: Vec<Option<Value>> = futures::stream::iter(entries)
            .map(|entry| async move {
                if let Some(text) = entry.custom.get(DESCRIPTOR) {
                    return Ok(serde_json::from_str(text).ok());
                }
                let found = self.store.get_bytes(&entry.key).await?;
                Ok::<_, super::Error>(found.and_then(|(_, b)| serde_json::from_slice(&b).ok()))
            })
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        let mut descriptors: Vec<Value> = descriptors.into_iter().flatten().collect();
        if let Some(wanted) = artifact_type {
            descriptors.retain(|d| d.get("artifactType").and_then(Value::as_str) == Some(wanted));
        }
        Ok(ReferrersPage { descriptors, next })
    }

    pub(crate) async fn remove_referrer(
        &self,
        name: &RepoName,
        subject: &Digest,
        digest: &Digest,
    ) -> Result<()> {
        self.store.delete_many(&[paths::referrer(name, subject, digest)]).await?;
        Ok(())
    }
}

/// An OCI image index listing `descriptors`, as the referrers API answers.
pub fn referrers_index(descriptors: Vec<Value>) -> Value {
    let mut index = Map::new();
    index.insert("schemaVersion".into(), json!(2));
    index.insert("mediaType".into(), json!(crate::oci::media::OCI_INDEX));
    index.insert("manifests".into(), Value::Array(descriptors));
    Value::Object(index)
}
