//! Every storage key the registry uses is built here, and nowhere else.
//!
//! ```text
//! <bucket>
//! ├── _catalog/<name>                                  a repository exists (empty object)
//! ├── blobs/<alg>/<hex>/link                           a blob exists: custom {size, location}
//! ├── blobs/<alg>/<hex>/data                           bytes of a blob written in one piece
//! ├── data/<upload-id>                                 bytes of a blob assembled from parts
//! ├── uploads/<upload-id>/state                        upload session (JSON)
//! ├── uploads/<upload-id>/tail/<offset>                bytes received but not yet in a part
//! ├── gc/run.json                                      the collection run in progress (JSON)
//! ├── gc/last-report.json                              the last run's report, for the dashboard
//! ├── gc/clock                                         scratch: written, its time read, removed
//! └── repositories/<name>/
//!     ├── _layers/<alg>/<hex>/link                     blob linked here: custom {size, location}
//!     └── _manifests/
//!         ├── tags/<tag>                               body and custom {digest}: where it points
//!         ├── revisions/<alg>/<hex>/data               the manifest's bytes, as pushed
//!         ├── revisions/<alg>/<hex>/tags/<tag>         index: <tag> was pointed here
//!         └── referrers/<alg>/<hex>/<alg>:<hex>        a referrer of the subject <alg>/<hex>
//! ```
//!
//! The tree follows distribution's `paths.go` (`repositories/…/_manifests/tags`, `…/revisions`,
//! `…/_layers`, content-addressed blobs shared by all repositories) and departs from it where R2
//! asks for it:
//! - A tag is one object, `tags/<tag>`, not `tags/<tag>/current/link`: one listing of
//!   `tags/` then yields the tags in lexical order (with `/` after the tag, `b-x/` would sort
//!   before `b/`), and the digest rides in the custom metadata, so a listing with metadata
//!   learns every tag's target without reading it.
//! - A revision keeps the manifest's bytes itself (`revisions/…/data`) instead of a link to a
//!   blob: a pull by digest is one read.
//! - `revisions/…/tags/` is this registry's own index of the tags pointed at a revision, so a
//!   delete by digest finds its tags without reading every tag of the repository.
//! - A blob assembled from multipart parts stays where the upload wrote it (`data/<upload-id>`):
//!   R2 can neither rename nor copy, and a blob is never written twice. Links carry the
//!   location and size, so reading a blob is a head of the link and a read of the data.
//! - `_catalog/` lists the repositories without walking the tree.
//!
//! Names cannot collide: repository components never start with `_`, tags never contain `/`.

use crate::oci::{Digest, RepoName, Tag};

pub const CATALOG: &str = "_catalog/";
pub const BLOBS: &str = "blobs/";
pub const UPLOADS: &str = "uploads/";
pub const REPOSITORIES: &str = "repositories/";
pub const GC: &str = "gc/";

fn digest_path(digest: &Digest) -> String {
    format!("{}/{}", digest.algorithm().as_str(), digest.hex())
}

pub fn catalog_entry(name: &RepoName) -> String {
    format!("{CATALOG}{name}")
}

/// The repository name a catalog key stands for.
pub fn catalog_name(key: &str) -> Option<&str> {
    key.strip_prefix(CATALOG)
}

pub fn blob_link(digest: &Digest) -> String {
    format!("{BLOBS}{}/link", digest_path(digest))
}

pub fn blob_data(digest: &Digest) -> String {
    format!("{BLOBS}{}/data", digest_path(digest))
}

pub fn upload_data(upload_id: &str) -> String {
    format!("data/{upload_id}")
}

pub fn upload_state(upload_id: &str) -> String {
    format!("{UPLOADS}{upload_id}/state")
}

pub fn upload_tail(upload_id: &str, offset: u64) -> String {
    format!("{UPLOADS}{upload_id}/tail/{offset}")
}

/// Where a collection run keeps its progress between invocations.
pub fn gc_run() -> String {
    format!("{GC}run.json")
}

/// The report of the last collection run (finished or not).
pub fn gc_last_report() -> String {
    format!("{GC}last-report.json")
}

/// An empty object the collector writes to learn the storage's current time.
pub fn gc_clock() -> String {
    format!("{GC}clock")
}

pub fn repository(name: &RepoName) -> String {
    format!("{REPOSITORIES}{name}/")
}

/// The blob links of a repository, listed together.
pub fn layers(name: &RepoName) -> String {
    format!("{REPOSITORIES}{name}/_layers/")
}

pub fn layer_link(name: &RepoName, digest: &Digest) -> String {
    format!("{}{}/link", layers(name), digest_path(digest))
}

pub fn tags(name: &RepoName) -> String {
    format!("{REPOSITORIES}{name}/_manifests/tags/")
}

pub fn tag(name: &RepoName, tag: &Tag) -> String {
    format!("{}{tag}", tags(name))
}

pub fn revisions(name: &RepoName) -> String {
    format!("{REPOSITORIES}{name}/_manifests/revisions/")
}

pub fn revision(name: &RepoName, digest: &Digest) -> String {
    format!("{}{}/data", revisions(name), digest_path(digest))
}

pub fn revision_tags(name: &RepoName, digest: &Digest) -> String {
    format!("{}{}/tags/", revisions(name), digest_path(digest))
}

pub fn revision_tag(name: &RepoName, digest: &Digest, tag: &Tag) -> String {
    format!("{}{tag}", revision_tags(name, digest))
}

pub fn referrers(name: &RepoName, subject: &Digest) -> String {
    format!("{REPOSITORIES}{name}/_manifests/referrers/{}/", digest_path(subject))
}

pub fn referrer(name: &RepoName, subject: &Digest, referrer: &Digest) -> String {
    format!("{}{referrer}", referrers(name, subject))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route_words_in_names_do_not_collide() {
        let x = RepoName::parse("x").unwrap();
        let xm = RepoName::parse("x/manifests").unwrap();
        let t = Tag::parse("latest").unwrap();
        assert_ne!(tag(&x, &t), tag(&xm, &t));
        assert!(!tag(&xm, &t).starts_with(&tags(&x)));
    }
}
