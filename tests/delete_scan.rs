//! The full-scan fallback: a repository copied from another registry's bucket has no tag index,
//! and a delete by digest still removes exactly the tags that point at the manifest.

mod support;

use std::collections::BTreeMap;

use edge_registry::oci::{Digest, RepoName, Tag};
use edge_registry::storage::{ObjectStore, PutOptions, paths};
use support::cases::{D1, D2, M1, OCI_MANIFEST, m2, tag_list};
use support::client::Client;
use support::memory::MemoryClient;

/// Writes a revision and tag links the way a copied bucket holds them: no index, links with or
/// without the digest in their metadata, and one (`e`) whose digest ends with a newline.
fn seed_copied_repository(c: &MemoryClient) {
    let name = RepoName::parse("t/app").unwrap();
    let d1_newline = format!("{D1}\n");
    let links = [
        ("a", D1, true),
        ("b", D1, false),
        ("c", D2, false),
        ("d", D2, true),
        ("e", d1_newline.as_str(), false),
    ];
    futures::executor::block_on(async {
        for (digest, bytes) in [(D1, M1.to_vec()), (D2, m2())] {
            let digest = Digest::parse(digest).unwrap();
            let options =
                PutOptions { content_type: Some(OCI_MANIFEST.into()), ..PutOptions::default() };
            c.store.put(&paths::revision(&name, &digest), bytes, options).await.unwrap();
        }
        for (tag, digest, with_metadata) in links {
            let key = paths::tag(&name, &Tag::parse(tag).unwrap());
            let custom = if with_metadata {
                BTreeMap::from([("digest".to_owned(), digest.trim().to_owned())])
            } else {
                BTreeMap::new()
            };
            let options = PutOptions { custom, ..PutOptions::default() };
            c.store.put(&key, digest.as_bytes().to_vec(), options).await.unwrap();
        }
        c.store.put(&paths::catalog_entry(&name), Vec::new(), PutOptions::default()).await.unwrap();
    });
}

#[test]
fn a_delete_without_the_index_scans_the_tags_and_removes_only_matching_ones() {
    let c = MemoryClient::new();
    seed_copied_repository(&c);
    assert_eq!(tag_list(&c, "t/app", "").0, ["a", "b", "c", "d", "e"]);

    let before = c.store.operations();
    assert_eq!(c.delete(&format!("/v2/t/app/manifests/{D1}")).status, 202);
    let ops = c.store.operations() - before;

    assert_eq!(tag_list(&c, "t/app", "").0, ["c", "d"]);
    assert_eq!(c.get(&format!("/v2/t/app/manifests/{D1}")).status, 404);
    let c_tag = c.head("/v2/t/app/manifests/c");
    assert_eq!(c_tag.header("docker-content-digest"), Some(D2));

    // Head the revision, one list page, one read to check the etags are MD5s, one read of `e`
    // (its size cannot tell), one delete of the tags, one of their markers (a push racing the
    // delete may have written some), one of the revision, one listing of markers written since.
    assert_eq!(ops, 8, "the listing decided every link but `e`");
}
