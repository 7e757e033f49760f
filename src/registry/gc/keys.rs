//! Recognising the keys a collection run lists.
//!
//! Each key is taken apart, then rebuilt through `storage::paths` and compared with itself, so
//! the collector acts only on keys of exactly the layout `paths` writes; anything else is left
//! alone.

use crate::oci::{Digest, RepoName, Tag};
use crate::storage::paths;

/// A key under `blobs/`.
pub(super) enum BlobKey {
    Link(Digest),
    Data(Digest),
}

/// What a key under `repositories/<name>/` is, for the collector.
pub(super) enum RepoKey {
    /// `_layers/<alg>/<hex>/link`
    Layer(Digest),
    /// `_manifests/revisions/<alg>/<hex>/data`
    Revision(Digest),
    /// `_manifests/revisions/<alg>/<hex>/tags/<tag>`: a tag may point at the revision.
    Marker(Digest),
    /// Tags, referrer entries: nothing the collector needs.
    Other,
}

/// A key under `uploads/<id>/`.
pub(super) enum UploadKey<'a> {
    State(&'a str),
    Tail(&'a str),
}

/// `<alg>/<hex>` as a digest.
fn digest_path(path: &str) -> Option<Digest> {
    let (algorithm, hex) = path.split_once('/')?;
    Digest::parse(&format!("{algorithm}:{hex}")).ok()
}

pub(super) fn blob_key(key: &str) -> Option<BlobKey> {
    let rest = key.strip_prefix(paths::BLOBS)?;
    let (path, part) = rest.rsplit_once('/')?;
    let digest = digest_path(path)?;
    match part {
        "link" if paths::blob_link(&digest) == key => Some(BlobKey::Link(digest)),
        "data" if paths::blob_data(&digest) == key => Some(BlobKey::Data(digest)),
        _ => None,
    }
}

/// The repository a key belongs to, and what the key is. Repository name components never
/// start with `_`, so the name ends where the first `/_` begins.
pub(super) fn repository_key(key: &str) -> Option<(RepoName, RepoKey)> {
    let rest = key.strip_prefix(paths::REPOSITORIES)?;
    let end = rest.find("/_")?;
    let name = RepoName::parse(&rest[..end]).ok()?;
    let tail = &rest[end + 1..];

    if let Some(path) = tail.strip_prefix("_layers/").and_then(|p| p.strip_suffix("/link")) {
        let digest = digest_path(path)?;
        return (paths::layer_link(&name, &digest) == key)
            .then_some((name, RepoKey::Layer(digest)));
    }
    let Some(path) = tail.strip_prefix("_manifests/revisions/") else {
        return Some((name, RepoKey::Other));
    };
    let mut parts = path.splitn(4, '/');
    let (algorithm, hex, part) = (parts.next()?, parts.next()?, parts.next()?);
    let digest = Digest::parse(&format!("{algorithm}:{hex}")).ok()?;
    let kind = match (part, parts.next()) {
        ("data", None) if paths::revision(&name, &digest) == key => RepoKey::Revision(digest),
        ("tags", Some(tag)) => {
            let tag = Tag::parse(tag).ok()?;
            if paths::revision_tag(&name, &digest, &tag) != key {
                return None;
            }
            RepoKey::Marker(digest)
        }
        _ => return None,
    };
    Some((name, kind))
}

pub(super) fn upload_key(key: &str) -> Option<UploadKey<'_>> {
    let rest = key.strip_prefix(paths::UPLOADS)?;
    let (id, part) = rest.split_once('/')?;
    if part == "state" && paths::upload_state(id) == key {
        return Some(UploadKey::State(id));
    }
    let offset = part.strip_prefix("tail/")?.parse::<u64>().ok()?;
    (paths::upload_tail(id, offset) == key).then_some(UploadKey::Tail(id))
}

/// The prefix of the objects multipart uploads complete into (`data/`).
pub(super) fn upload_data_prefix() -> String {
    paths::upload_data("")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oci::Algorithm;

    #[test]
    fn keys_built_by_paths_are_recognised_and_others_are_not() {
        let digest = Digest::of(Algorithm::Sha256, b"x");
        let name = RepoName::parse("a/b").unwrap();
        let tag = Tag::parse("v1").unwrap();

        assert!(
            matches!(blob_key(&paths::blob_link(&digest)), Some(BlobKey::Link(d)) if d == digest)
        );
        assert!(matches!(blob_key(&paths::blob_data(&digest)), Some(BlobKey::Data(_))));
        assert!(blob_key("blobs/sha256/zz/link").is_none());

        let layer = repository_key(&paths::layer_link(&name, &digest)).unwrap();
        assert_eq!(layer.0, name);
        assert!(matches!(layer.1, RepoKey::Layer(d) if d == digest));
        let revision = repository_key(&paths::revision(&name, &digest)).unwrap();
        assert!(matches!(revision.1, RepoKey::Revision(_)));
        let marker = repository_key(&paths::revision_tag(&name, &digest, &tag)).unwrap();
        assert!(matches!(marker.1, RepoKey::Marker(_)));
        assert!(matches!(repository_key(&paths::tag(&name, &tag)).unwrap().1, RepoKey::Other));

        assert!(matches!(upload_key(&paths::upload_state("ab")), Some(UploadKey::State("ab"))));
        assert!(matches!(upload_key(&paths::upload_tail("ab", 7)), Some(UploadKey::Tail("ab"))));
        assert!(upload_key("uploads/ab/other").is_none());
        assert_eq!(upload_data_prefix(), "data/");
    }
}
