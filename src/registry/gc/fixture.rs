//! A bucket of a chosen shape, for benchmarks of collection (`make bench`).

use super::super::{Registry, Result};
use crate::oci::{Algorithm, Digest, Reference, RepoName, Tag, media};
use crate::storage::ObjectStore;

/// Blobs an image of the fixture references: a config and four layers.
const BLOBS_PER_IMAGE: usize = 5;

/// Fills `registry` with about `blobs` blobs spread over `repositories` repositories: images of
/// a config and four layers of their own, each pushed under a tag, of which every other one is
/// then deleted, so that half the blobs are garbage. The store's clock is whatever the caller
/// set: set it more than the grace period in the past for that garbage to be collectable.
pub async fn seed<S: ObjectStore>(
    registry: &Registry<S>,
    blobs: usize,
    repositories: usize,
) -> Result<()> {
    let repositories = repositories.max(1);
    let images = (blobs / BLOBS_PER_IMAGE / repositories).max(1);
    for r in 0..repositories {
        let name = RepoName::parse(&format!("bench/repo{r}")).expect("a valid name");
        for i in 0..images {
            let mut descriptors = Vec::new();
            for b in 0..BLOBS_PER_IMAGE {
                let bytes = format!("repository {r} image {i} blob {b}").into_bytes();
                let digest = Digest::of(Algorithm::Sha256, &bytes);
                let size = bytes.len();
                let body = futures::stream::iter([Ok(bytes)]);
                registry.upload_blob(&name, &digest, body).await?;
                descriptors.push(serde_json::json!({
                    "mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": digest.to_string(),
                    "size": size,
                }));
            }
            let config = descriptors.remove(0);
            let manifest = serde_json::json!({
                "schemaVersion": 2,
                "mediaType": media::OCI_MANIFEST,
                "config": config,
                "layers": descriptors,
            });
            let tag = Tag::parse(&format!("v{i}")).expect("a valid tag");
            let bytes = manifest.to_string().into_bytes();
            let put = registry
                .put_manifest(&name, &Reference::Tag(tag), Some(media::OCI_MANIFEST), bytes)
                .await?;
            if i % 2 == 1 {
                registry.delete_manifest(&name, &put.digest).await?;
            }
        }
    }
    Ok(())
}
