//! A delete by digest racing pushes that point tags at the same digest: over many orders of
//! their storage calls, no tag is left naming a missing manifest, and every tag keeps a marker
//! in its revision's index (so a later delete still finds it).

mod support;

use std::time::Duration;

use edge_registry::oci::{Digest, Reference, RepoName, Tag};
use edge_registry::registry::{Config, Registry};
use edge_registry::storage::{ObjectStore, paths};
use support::cases::{D1, M1, OCI_MANIFEST, m2, push_image, tag_list};
use support::client::Client;
use support::latency::Latency;
use support::memory::MemoryClient;

const REPO: &str = "t/app";
/// Orders of storage calls tried: each seed draws every call's latency and when the pushes start.
const SEEDS: u64 = 400;
/// Longest simulated round trip, in ms.
const MAX_LATENCY_MS: u64 = 40;

fn seeded() -> MemoryClient {
    let c = MemoryClient::new();
    push_image(&c, REPO, M1, &["a", "b"]);
    push_image(&c, REPO, &m2(), &["c"]);
    c
}

/// One request's registry: the shared store behind latencies of its own.
fn request(
    c: &MemoryClient,
    seed: u64,
) -> Registry<Latency<edge_registry::storage::memory::MemoryStore>> {
    Registry::new(Latency::random(c.store.clone(), seed, MAX_LATENCY_MS), Config::default())
}

/// Pushes M1 under `tag` after `delay`.
async fn push_later(
    registry: &Registry<Latency<edge_registry::storage::memory::MemoryStore>>,
    tag: &str,
    delay: Duration,
) {
    tokio::time::sleep(delay).await;
    let name = RepoName::parse(REPO).unwrap();
    let reference = Reference::Tag(Tag::parse(tag).unwrap());
    let put = registry.put_manifest(&name, &reference, Some(OCI_MANIFEST), M1.to_vec()).await;
    assert!(put.is_ok(), "push of {tag}: {:?}", put.err());
}

/// Every listed tag resolves, and its revision's index holds a marker for it.
fn assert_consistent(c: &MemoryClient, seed: u64) {
    let name = RepoName::parse(REPO).unwrap();
    for tag in tag_list(c, REPO, "").0 {
        let resp = c.get(&format!("/v2/{REPO}/manifests/{tag}"));
        assert_eq!(resp.status, 200, "seed {seed}: tag {tag} names a missing manifest");
        let digest = Digest::parse(resp.header("docker-content-digest").unwrap()).unwrap();
        let marker = paths::revision_tag(&name, &digest, &Tag::parse(&tag).unwrap());
        let found = futures::executor::block_on(c.store.head(&marker)).unwrap();
        assert!(found.is_some(), "seed {seed}: tag {tag} lost its index marker");
    }
}

#[test]
fn a_delete_racing_pushes_of_its_digest_leaves_no_tag_naming_a_missing_manifest() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let name = RepoName::parse(REPO).unwrap();
    let d1 = Digest::parse(D1).unwrap();
    for seed in 1..=SEEDS {
        let c = seeded();
        let (deleter, new_tag, moved_tag) =
            (request(&c, seed * 3), request(&c, seed * 3 + 1), request(&c, seed * 3 + 2));
        let start = |n: u64| Duration::from_millis((seed * 7919 + n * 104_729) % 200);
        runtime.block_on(async {
            let (deleted, (), ()) = tokio::join!(
                deleter.delete_manifest(&name, &d1),
                push_later(&new_tag, "x", start(1)),
                push_later(&moved_tag, "c", start(2)),
            );
            assert!(deleted.is_ok(), "seed {seed}: {:?}", deleted.err());
        });
        assert_consistent(&c, seed);

        // Whatever the pushes left pointing at D1 goes with a second delete.
        let second = c.delete(&format!("/v2/{REPO}/manifests/{D1}")).status;
        assert!(second == 202 || second == 404, "seed {seed}: second delete answered {second}");
        assert_consistent(&c, seed);
        let tags = tag_list(&c, REPO, "").0;
        assert!(!tags.iter().any(|t| t == "a" || t == "b"), "seed {seed}: {tags:?}");
    }
}
