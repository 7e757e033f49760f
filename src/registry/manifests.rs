//! Manifests: validated and stored byte for byte per repository, read by tag or digest.

use std::collections::BTreeMap;

use futures::{StreamExt, TryStreamExt};

use super::{Error, Registry, Result};
use crate::oci::manifest::{self, Descriptor};
use crate::oci::{Algorithm, Digest, Reference, RepoName};
use crate::storage::{ObjectStore, PutOptions, paths};

/// Largest manifest accepted, in bytes (distribution's limit).
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;

/// Storage operations a manifest put runs at once to check what it references (the Workers
/// limit on simultaneous connections).
const CHECK_CONCURRENCY: usize = 6;

/// Custom metadata of a revision written with its tag index kept.
pub(crate) const INDEXED: &str = "indexed";
pub(crate) const SUBJECT: &str = "subject";

/// A stored manifest as read back.
pub struct StoredManifest {
    pub digest: Digest,
    pub media_type: String,
    pub size: u64,
    /// `None` when only the metadata was asked for.
    pub bytes: Option<Vec<u8>>,
}

/// What a manifest put did.
pub struct PutManifest {
    pub digest: Digest,
    pub subject: Option<Digest>,
}

impl<S: ObjectStore> Registry<S> {
    /// Stores a manifest under `reference` (a tag, or the digest its bytes must have).
    pub async fn put_manifest(
        &self,
        name: &RepoName,
        reference: &Reference,
        content_type: Option<&str>,
        bytes: Vec<u8>,
    ) -> Result<PutManifest> {
        if bytes.len() as u64 > MAX_MANIFEST_SIZE {
            return Err(Error::ManifestTooLarge { limit: MAX_MANIFEST_SIZE });
        }
        let digest = match reference {
            Reference::Digest(expected) => {
                let actual = Digest::of(expected.algorithm(), &bytes);
                if &actual != expected {
                    return Err(Error::DigestInvalid {
                        message: format!("the manifest's digest is {actual}, not {expected}"),
                    });
                }
                actual
            }
            Reference::Tag(_) => Digest::of(Algorithm::Sha256, &bytes),
        };
        let parsed = manifest::parse(content_type, &bytes)
            .map_err(|message| Error::ManifestInvalid { message })?;
        self.check_references(name, &parsed.blobs, &parsed.children).await?;

        let mut custom = BTreeMap::from([(INDEXED.to_owned(), "1".to_owned())]);
        if let Some(subject) = &parsed.subject {
            custom.insert(SUBJECT.to_owned(), subject.digest.to_string());
        }
        let options = PutOptions {
            content_type: Some(parsed.media_type.clone()),
            custom,
            ..PutOptions::default()
        };
        let size = bytes.len() as u64;
        let revision = paths::revision(name, &digest);
        let kept = matches!(reference, Reference::Tag(_)).then(|| bytes.clone());
        self.store.put(&revision, bytes, options.clone()).await?;
        if let Some(subject) = &parsed.subject {
            self.add_referrer(name, &subject.digest, &digest, size, &parsed).await?;
        }

        if let (Reference::Tag(tag), Some(bytes)) = (reference, kept) {
            self.set_tag(name, tag, &digest).await?;
            // A delete of this digest that ran meanwhile may have removed the revision after
            // its last look for tags: the tag now points here, so the revision comes back.
            if self.store.head(&revision).await?.is_none() {
                self.store.put(&revision, bytes, options).await?;
                if let Some(subject) = &parsed.subject {
                    self.add_referrer(name, &subject.digest, &digest, size, &parsed).await?;
                }
            }
        }
        self.add_repository(name).await?;
        Ok(PutManifest { digest, subject: parsed.subject.map(|s| s.digest) })
    }

    /// Every blob and child manifest must be in the repository already.
    async fn check_references(
        &self,
        name: &RepoName,
        blobs: &[Descriptor],
        children: &[Descriptor],
    ) -> Result<()> {
        let blob_keys = blobs
            .iter()
            .filter(|d| !d.external)
            .map(|d| (paths::layer_link(name, &d.digest), &d.digest));
        let child_keys = children.iter().map(|d| (paths::revision(name, &d.digest), &d.digest));
        let mut checks: Vec<_> = blob_keys.chain(child_keys).collect();
        checks.sort();
        checks.dedup();

        futures::stream::iter(checks)
            .map(|(key, digest)| async move {
                match self.store.head(&key).await? {
                    Some(meta) => self.keep_alive(&key, meta, digest).await,
                    None => Err(Error::ManifestBlobUnknown { digest: digest.to_string() }),
                }
            })
            .buffer_unordered(CHECK_CONCURRENCY)
            .try_collect::<()>()
            .await
    }

    /// Reads a manifest by tag or digest; with `with_bytes` false only its metadata.
    pub async fn get_manifest(
        &self,
        name: &RepoName,
        reference: &Reference,
        with_bytes: bool,
    ) -> Result<StoredManifest> {
        let unknown = || Error::ManifestUnknown { reference: reference.to_string() };
        let digest = match reference {
            Reference::Digest(digest) => digest.clone(),
            Reference::Tag(tag) => self.resolve_tag(name, tag).await?.ok_or_else(unknown)?,
        };
        let key = paths::revision(name, &digest);
        let (meta, bytes) = if with_bytes {
            let (meta, bytes) = self.store.get_bytes(&key).await?.ok_or_else(unknown)?;
            (meta, Some(bytes))
        } else {
            (self.store.head(&key).await?.ok_or_else(unknown)?, None)
        };
        Ok(StoredManifest {
            digest,
            media_type: meta.content_type.unwrap_or_else(|| crate::oci::media::OCI_MANIFEST.into()),
            size: meta.size,
            bytes,
        })
    }
}
