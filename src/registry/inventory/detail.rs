//! A manifest's detail: config and layers or children, image config, tags and referrers.

use std::collections::{BTreeSet, HashMap};

use futures::{StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::{Map, Value};

use super::{READ_CONCURRENCY, platform_label, total_size};
use crate::oci::manifest::Descriptor;
use crate::oci::{Digest, Reference, RepoName, Tag, media};
use crate::registry::tags::{CONFIRMED, MARKER_STATE, link_target};
use crate::registry::{Error, Registry, Result};
use crate::storage::{ListOptions, ObjectStore, paths};

/// Children of an index that a manifest's detail reads at most.
pub const MAX_CHILDREN_READ: usize = 64;
/// Listing pages of tags a detail scans for a manifest pushed without the tag index.
const DETAIL_TAG_PAGES: usize = 50;
/// Image configs larger than this are not read for the detail.
const MAX_CONFIG_SIZE: u64 = 1024 * 1024;

const IMAGE_CONFIG_TYPES: [&str; 2] =
    ["application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"];

/// A blob a manifest references.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BlobRow {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    /// Fetched from elsewhere, not stored here.
    pub external: bool,
    pub annotations: Option<Map<String, Value>>,
}

/// A manifest an index lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChildRow {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    pub platform: Option<String>,
    pub artifact_type: Option<String>,
    /// `None` when the child was not read (bound) or is not stored.
    pub total_size: Option<u64>,
}

/// What an image config says about the image.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImageConfig {
    pub os: Option<String>,
    pub architecture: Option<String>,
    pub variant: Option<String>,
    pub created: Option<String>,
    pub labels: Option<Map<String, Value>>,
}

/// A manifest that refers to another (signature, SBOM, attestation…).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReferrerRow {
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    pub artifact_type: Option<String>,
    /// `signature`, `sbom`, `attestation` or `artifact`, from the artifact type.
    pub kind: &'static str,
    pub annotations: Option<Map<String, Value>>,
}

/// Everything the dashboard shows about one manifest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ManifestDetail {
    pub repository: String,
    pub digest: String,
    pub media_type: String,
    pub artifact_type: Option<String>,
    pub size: u64,
    pub total_size: Option<u64>,
    /// When the manifest was last written (storage clock, ms since the epoch).
    pub pushed_ms: u64,
    pub annotations: Option<Map<String, Value>>,
    pub config: Option<BlobRow>,
    pub image: Option<ImageConfig>,
    pub layers: Vec<BlobRow>,
    pub manifests: Vec<ChildRow>,
    pub subject: Option<String>,
    /// The tags that point at it: the ones a delete by digest removes.
    pub tags: Vec<String>,
    /// False when the tags were found by a scan that stopped at its bound.
    pub tags_complete: bool,
    pub referrers: Vec<ReferrerRow>,
    /// More referrers follow than one listing page holds.
    pub referrers_more: bool,
}

impl<S: ObjectStore> Registry<S> {
    /// A manifest with its config, layers or children, tags and referrers.
    pub async fn manifest_detail(
        &self,
        name: &RepoName,
        reference: &Reference,
    ) -> Result<ManifestDetail> {
        let unknown = || Error::ManifestUnknown { reference: reference.to_string() };
        let digest = match reference {
            Reference::Digest(digest) => digest.clone(),
            Reference::Tag(tag) => self.resolve_tag(name, tag).await?.ok_or_else(unknown)?,
        };
        let read = self.read_manifest(name, &digest).await?.ok_or_else(unknown)?;
        let manifest = read.manifest.as_ref();
        let is_image = manifest.is_some_and(|m| !media::is_index(&m.media_type));
        let config = manifest.filter(|_| is_image).and_then(|m| m.blobs.first());
        let children: BTreeSet<Digest> =
            manifest.iter().flat_map(|m| &m.children).map(|c| c.digest.clone()).collect();

        let mut budget = MAX_CHILDREN_READ;
        let (children, image, (tags, tags_complete), referrers) = futures::try_join!(
            self.read_manifests(name, children, &mut budget),
            self.image_config(name, config),
            self.tags_pointing_at(name, &digest, read.indexed),
            self.list_referrers(name, &digest, None, None),
        )?;

        let row = |d: &Descriptor| BlobRow {
            media_type: d.media_type.clone(),
            digest: d.digest.to_string(),
            size: d.size,
            external: d.external,
            annotations: d.annotations.clone(),
        };
        let manifests = manifest
            .iter()
            .flat_map(|m| &m.children)
            .map(|child| {
                let read = children.get(&child.digest).and_then(Option::as_ref);
                ChildRow {
                    media_type: child.media_type.clone(),
                    digest: child.digest.to_string(),
                    size: child.size,
                    platform: child.platform.as_ref().and_then(platform_label),
                    artifact_type: child.artifact_type.clone(),
                    total_size: read.and_then(|r| total_size(r, &HashMap::new())),
                }
            })
            .collect();
        Ok(ManifestDetail {
            repository: name.to_string(),
            digest: digest.to_string(),
            media_type: read.media_type.clone(),
            artifact_type: manifest.and_then(|m| m.artifact_type.clone()),
            size: read.size,
            total_size: total_size(&read, &children),
            pushed_ms: read.uploaded_ms,
            annotations: manifest.and_then(|m| m.annotations.clone()),
            config: config.map(row),
            image,
            layers: manifest
                .filter(|_| is_image)
                .map(|m| m.blobs.iter().skip(1).map(row).collect())
                .unwrap_or_default(),
            manifests,
            subject: manifest.and_then(|m| m.subject.as_ref()).map(|s| s.digest.to_string()),
            tags: tags.iter().map(ToString::to_string).collect(),
            tags_complete,
            referrers: referrers.descriptors.iter().filter_map(referrer_row).collect(),
            referrers_more: referrers.next.is_some(),
        })
    }

    /// Platform, creation time and labels from an image config small enough to read.
    async fn image_config(
        &self,
        name: &RepoName,
        config: Option<&Descriptor>,
    ) -> Result<Option<ImageConfig>> {
        let Some(config) = config else { return Ok(None) };
        if !IMAGE_CONFIG_TYPES.contains(&config.media_type.as_str())
            || config.size > MAX_CONFIG_SIZE
        {
            return Ok(None);
        }
        let blob = match self.stat_blob(name, &config.digest).await {
            Ok(blob) => blob,
            Err(Error::BlobUnknown { .. }) => return Ok(None),
            Err(err) => return Err(err),
        };
        let Some((_, bytes)) = self.store.get_bytes(&blob.location).await? else {
            return Ok(None);
        };
        let Ok(value) = serde_json::from_slice::<Value>(&bytes) else { return Ok(None) };
        let text = |field: &str| value.get(field).and_then(Value::as_str).map(str::to_owned);
        let labels = value.pointer("/config/Labels").and_then(Value::as_object).cloned();
        Ok(Some(ImageConfig {
            os: text("os"),
            architecture: text("architecture"),
            variant: text("variant"),
            created: text("created"),
            labels: labels.filter(|l| !l.is_empty()),
        }))
    }

    /// The tags pointing at `digest` now, through the revision's tag index when it has one,
    /// else through a bounded scan of the repository's tags; and whether the answer is whole.
    async fn tags_pointing_at(
        &self,
        name: &RepoName,
        digest: &Digest,
        indexed: bool,
    ) -> Result<(Vec<Tag>, bool)> {
        let prefix = if indexed { paths::revision_tags(name, digest) } else { paths::tags(name) };
        let options = ListOptions {
            prefix: prefix.clone(),
            include_metadata: true,
            ..ListOptions::default()
        };
        let pages = if indexed { usize::MAX } else { DETAIL_TAG_PAGES };
        let mut sure = Vec::new();
        let mut unsure = Vec::new();
        let scanned = self
            .scan(options, pages, |object| {
                let Ok(tag) = Tag::parse(&object.key[prefix.len()..]) else { return };
                let known = if indexed {
                    (object.custom.get(MARKER_STATE).map(String::as_str) == Some(CONFIRMED))
                        .then_some(true)
                } else {
                    link_target(object, None).map(|target| &target == digest)
                };
                match known {
                    Some(true) => sure.push(tag),
                    Some(false) => {}
                    None => unsure.push(tag),
                }
            })
            .await?;

        let checked: Vec<Option<Tag>> = futures::stream::iter(unsure)
            .map(|tag| async move {
                let current = self.resolve_tag(name, &tag).await?;
                Ok::<_, Error>((current.as_ref() == Some(digest)).then_some(tag))
            })
            .buffer_unordered(READ_CONCURRENCY)
            .try_collect()
            .await?;
        sure.extend(checked.into_iter().flatten());
        sure.sort();
        Ok((sure, scanned.complete))
    }
}

fn referrer_row(descriptor: &Value) -> Option<ReferrerRow> {
    let text = |field: &str| descriptor.get(field).and_then(Value::as_str).map(str::to_owned);
    let artifact_type = text("artifactType");
    Some(ReferrerRow {
        media_type: text("mediaType")?,
        digest: text("digest")?,
        size: descriptor.get("size").and_then(Value::as_u64)?,
        kind: referrer_kind(artifact_type.as_deref().unwrap_or_default()),
        artifact_type,
        annotations: descriptor.get("annotations").and_then(Value::as_object).cloned(),
    })
}

/// What a referrer is, from its artifact type: cosign and notation signatures and sigstore
/// bundles, SPDX and CycloneDX SBOMs, in-toto attestations; anything else is an artifact.
pub fn referrer_kind(artifact_type: &str) -> &'static str {
    let t = artifact_type.to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if any(&["signature", ".sig.", "sigstore"]) {
        "signature"
    } else if any(&["spdx", "cyclonedx", "sbom", "syft"]) {
        "sbom"
    } else if any(&["in-toto", "attestation", "provenance", "vex"]) {
        "attestation"
    } else {
        "artifact"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrers_are_told_apart_by_artifact_type() {
        assert_eq!(referrer_kind("application/vnd.dev.cosign.artifact.sig.v1+json"), "signature");
        assert_eq!(referrer_kind("application/vnd.cncf.notary.signature"), "signature");
        assert_eq!(referrer_kind("application/spdx+json"), "sbom");
        assert_eq!(referrer_kind("application/vnd.cyclonedx+json"), "sbom");
        assert_eq!(referrer_kind("application/vnd.in-toto+json"), "attestation");
        assert_eq!(referrer_kind("application/vnd.example.thing"), "artifact");
        assert_eq!(referrer_kind(""), "artifact");
    }
}
