//! `make bench`: what a delete by digest costs, in storage operations and in simulated time.
//!
//! The store is the latency model of `support::latency`: every operation takes [`LATENCY`] of
//! simulated time, at most [`CONNECTIONS`] at once, and is counted as the registry counts them
//! for its log line.
//!
//! Strategies, for T tags of which k point at the deleted manifest:
//! - `sequential` (distribution 2.x): stat and delete the revision, list the tag links in pages of
//!   1,000, read every link one after another, then untag the matching ones one by one;
//! - `concurrent-8` (distribution 3.x): the same, with the link reads 8 at once (an errgroup
//!   with a limit of 8; the six-connection cap still applies);
//! - `edge-registry`: [`Registry::delete_manifest`] through the tag index;
//! - `edge-registry-scan`: its full-scan fallback, on a repository laid out as a copied bucket
//!   (revisions without `indexed`, no index); `link-digests=` says which tag links carry the
//!   `digest` custom metadata: all, half, or none of them (as a bucket copied from distribution
//!   holds them). The scan decides links from their listed size and etag, so it should not care.
//!
//! Every run is checked afterwards against the bare memory store: exactly the k tags are gone,
//! the others still point where they did, the revision (and its index) is gone. A wrong delete
//! panics; the figures are printed, never asserted.

mod support;

use std::collections::BTreeSet;
use std::fmt::Write as _;

use edge_registry::oci::{Algorithm, Digest, Reference, RepoName, Tag};
use edge_registry::registry::delete::DeletePath;
use edge_registry::registry::{Config, Registry};
use edge_registry::storage::memory::MemoryStore;
use edge_registry::storage::{
    ListOptions, MAX_LIST_KEYS, ObjectStore, PutOptions, StorageResult, paths,
};
use futures::{StreamExt, TryStreamExt};
use support::latency::{CONNECTIONS, LATENCY, modelled, run_simulated};

/// How many link reads distribution 3.x runs at once in the `concurrent-8` baseline.
const ERRGROUP_LIMIT: usize = 8;
/// Manifests the tags that do not match point at, round robin.
const OTHER_MANIFESTS: usize = 10;
const TAG_COUNTS: [usize; 3] = [1_000, 10_000, 100_000];
const MATCHING_COUNTS: [usize; 2] = [1, 100];
const REPO: &str = "bench/app";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The custom metadata a tag link carries its digest in (`registry::tags::LINK_DIGEST`).
const LINK_DIGEST: &str = "digest";

/// Which tag links of a copied repository carry their digest in custom metadata.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LinkDigests {
    All,
    Half,
    None,
}

impl LinkDigests {
    fn label(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Half => "half",
            Self::None => "none",
        }
    }

    /// Half: every other non-matching tag, and every other matching one (the first one lacks
    /// it, so with k = 1 the matching link must be read).
    fn carried(self, i: usize, case: Case) -> bool {
        match self {
            Self::All => true,
            Self::None => false,
            Self::Half if case.matches(i) => (i / case.step()) % 2 == 1,
            Self::Half => i.is_multiple_of(2),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Strategy {
    Sequential,
    Concurrent8,
    EdgeRegistry,
    EdgeRegistryScan(LinkDigests),
}

impl Strategy {
    const ALL: [Strategy; 6] = [
        Self::Sequential,
        Self::Concurrent8,
        Self::EdgeRegistry,
        Self::EdgeRegistryScan(LinkDigests::All),
        Self::EdgeRegistryScan(LinkDigests::Half),
        Self::EdgeRegistryScan(LinkDigests::None),
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Sequential => "sequential",
            Self::Concurrent8 => "concurrent-8",
            Self::EdgeRegistry => "edge-registry",
            Self::EdgeRegistryScan(_) => "edge-registry-scan",
        }
    }
}

/// T tags, of which k (every T/k-th, from the first) point at the deleted manifest.
#[derive(Clone, Copy)]
struct Case {
    tags: usize,
    matching: usize,
}

impl Case {
    fn step(self) -> usize {
        self.tags / self.matching
    }

    fn matches(self, i: usize) -> bool {
        i.is_multiple_of(self.step()) && i / self.step() < self.matching
    }

    /// The manifest tag `i` points at: 0 is the one deleted.
    fn manifest_of(self, i: usize) -> usize {
        if self.matches(i) { 0 } else { 1 + i % OTHER_MANIFESTS }
    }
}

fn tag_name(i: usize) -> String {
    format!("t{i:06}")
}

/// A small image index, distinct per `n`, that references nothing the store must hold.
fn manifest(n: usize) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[],"annotations":{{"bench":"{n}"}}}}"#
    )
    .into_bytes()
}

struct Fixture {
    store: MemoryStore,
    name: RepoName,
    case: Case,
    manifests: Vec<Digest>,
}

impl Fixture {
    fn target(&self) -> &Digest {
        &self.manifests[0]
    }

    fn matching_tags(&self) -> Vec<String> {
        (0..self.case.tags).filter(|&i| self.case.matches(i)).map(tag_name).collect()
    }
}

fn new_fixture(case: Case) -> Fixture {
    Fixture {
        store: MemoryStore::new(),
        name: RepoName::parse(REPO).expect("a valid name"),
        case,
        manifests: (0..=OTHER_MANIFESTS)
            .map(|n| Digest::of(Algorithm::Sha256, &manifest(n)))
            .collect(),
    }
}

/// A repository pushed through this registry (latency off): revisions indexed, markers kept.
async fn seed_indexed(case: Case) -> Fixture {
    let fixture = new_fixture(case);
    let registry = Registry::new(fixture.store.clone(), Config::default());
    for (n, digest) in fixture.manifests.iter().enumerate() {
        let reference = Reference::Digest(digest.clone());
        let put = registry.put_manifest(&fixture.name, &reference, Some(OCI_INDEX), manifest(n));
        put.await.expect("seeding a manifest put");
    }
    for i in 0..case.tags {
        let tag = Tag::parse(&tag_name(i)).expect("a valid tag");
        let bytes = manifest(case.manifest_of(i));
        let put = registry
            .put_manifest(&fixture.name, &Reference::Tag(tag), Some(OCI_INDEX), bytes)
            .await
            .expect("seeding a manifest put");
        assert_eq!(put.digest, fixture.manifests[case.manifest_of(i)]);
    }
    fixture
}

/// A repository as a bucket copied from distribution looks once in this layout: revisions
/// without `indexed`, tag links holding their digest, no tag index.
async fn seed_copied(case: Case, digests: LinkDigests) -> Fixture {
    let fixture = new_fixture(case);
    let store = &fixture.store;
    for (n, digest) in fixture.manifests.iter().enumerate() {
        let options =
            PutOptions { content_type: Some(OCI_INDEX.to_owned()), ..PutOptions::default() };
        store.put(&paths::revision(&fixture.name, digest), manifest(n), options).await.unwrap();
    }
    for i in 0..case.tags {
        let tag = Tag::parse(&tag_name(i)).expect("a valid tag");
        let digest = fixture.manifests[case.manifest_of(i)].to_string();
        let mut options = PutOptions::default();
        if digests.carried(i, case) {
            options.custom.insert(LINK_DIGEST.to_owned(), digest.clone());
        }
        store.put(&paths::tag(&fixture.name, &tag), digest.into_bytes(), options).await.unwrap();
    }
    let catalog = paths::catalog_entry(&fixture.name);
    store.put(&catalog, Vec::new(), PutOptions::default()).await.unwrap();
    fixture
}

/// distribution's delete by digest: the revision goes first (a crash then leaves tags naming a
/// missing manifest), then every tag link is read, `concurrency` at once, and each matching tag
/// is untagged in turn (one delete each: distribution's driver spends two, a list and a delete).
async fn distribution_delete<S: ObjectStore>(
    store: &S,
    name: &RepoName,
    digest: &Digest,
    concurrency: usize,
) -> StorageResult<Vec<String>> {
    let revision = paths::revision(name, digest);
    store.head(&revision).await?.expect("the revision exists");
    store.delete_many(&[revision]).await?;

    let prefix = paths::tags(name);
    let mut options =
        ListOptions { prefix: prefix.clone(), limit: MAX_LIST_KEYS, ..ListOptions::default() };
    let mut keys = Vec::new();
    loop {
        let page = store.list(&options).await?;
        keys.extend(page.objects.into_iter().map(|o| o.key));
        match page.cursor {
            Some(cursor) => options.cursor = Some(cursor),
            None => break,
        }
    }

    let matching: Vec<Option<String>> = futures::stream::iter(keys)
        .map(|key| async move {
            let Some((_, body)) = store.get_bytes(&key).await? else {
                return Ok(None);
            };
            let target = std::str::from_utf8(&body).ok().and_then(|s| Digest::parse(s.trim()).ok());
            Ok((target.as_ref() == Some(digest)).then_some(key))
        })
        .buffered(concurrency)
        .try_collect()
        .await?;
    let matching: Vec<String> = matching.into_iter().flatten().collect();
    for key in &matching {
        store.delete_many(std::slice::from_ref(key)).await?;
    }
    Ok(matching.iter().map(|key| key[prefix.len()..].to_owned()).collect())
}

struct Measured {
    ops: u64,
    ms: u128,
}

async fn run(strategy: Strategy, fixture: &Fixture) -> Measured {
    let start = tokio::time::Instant::now();
    let (ops, removed) = match strategy {
        Strategy::Sequential | Strategy::Concurrent8 => {
            let store = modelled(&fixture.store);
            let concurrency = if strategy == Strategy::Sequential { 1 } else { ERRGROUP_LIMIT };
            let removed = distribution_delete(&store, &fixture.name, fixture.target(), concurrency)
                .await
                .expect("the baseline delete");
            (store.ops(), removed)
        }
        Strategy::EdgeRegistry | Strategy::EdgeRegistryScan(_) => {
            let registry = Registry::new(modelled(&fixture.store), Config::default());
            let report = registry
                .delete_manifest(&fixture.name, fixture.target())
                .await
                .expect("Registry::delete_manifest");
            let expected_path = match strategy {
                Strategy::EdgeRegistry => DeletePath::Index,
                _ => DeletePath::Scan,
            };
            assert_eq!(report.path, expected_path, "{} took the wrong path", strategy.name());
            (registry.store().ops(), report.tags_removed)
        }
    };
    let ms = start.elapsed().as_millis();
    verify(strategy, fixture, removed).await;
    Measured { ops, ms }
}

/// Panics unless exactly the matching tags, and the revision, are gone and every other tag
/// still points where it did. Reads the bare store: no latency, not counted.
async fn verify(strategy: Strategy, fixture: &Fixture, mut removed: Vec<String>) {
    let what = format!(
        "{} tags={} matching={}",
        strategy.name(),
        fixture.case.tags,
        fixture.case.matching
    );
    let expected = fixture.matching_tags();
    removed.sort();
    assert_eq!(removed, expected, "{what}: reported the wrong tags");

    let store = &fixture.store;
    let keys = store.keys();
    let prefix = paths::tags(&fixture.name);
    let remaining: Vec<&str> =
        keys.iter().filter_map(|key| key.strip_prefix(prefix.as_str())).collect();
    assert_eq!(remaining.len(), fixture.case.tags - fixture.case.matching, "{what}: tag count");
    let gone: BTreeSet<&str> = expected.iter().map(String::as_str).collect();
    for tag in remaining {
        assert!(!gone.contains(tag), "{what}: tag {tag} survived");
        let i: usize = tag[1..].parse().expect("a bench tag");
        let want = fixture.manifests[fixture.case.manifest_of(i)].to_string();
        let (meta, body) = store.get_bytes(&format!("{prefix}{tag}")).await.unwrap().unwrap();
        assert_eq!(String::from_utf8_lossy(&body), want, "{what}: tag {tag} moved");
        if let Some(carried) = meta.custom.get(LINK_DIGEST) {
            assert_eq!(*carried, want, "{what}: tag {tag}'s metadata disagrees with its body");
        }
    }

    let revision = paths::revision(&fixture.name, fixture.target());
    assert!(store.head(&revision).await.unwrap().is_none(), "{what}: the revision survived");
    for other in &fixture.manifests[1..] {
        let key = paths::revision(&fixture.name, other);
        assert!(store.head(&key).await.unwrap().is_some(), "{what}: another revision went");
    }
    if strategy == Strategy::EdgeRegistry {
        let index = paths::revision_tags(&fixture.name, fixture.target());
        assert!(!keys.iter().any(|k| k.starts_with(&index)), "{what}: tag index left behind");
    }
}

struct Row {
    strategy: Strategy,
    case: Case,
    measured: Measured,
}

fn find(rows: &[Row], strategy: Strategy, tags: usize, matching: usize) -> &Measured {
    let row = rows
        .iter()
        .find(|r| r.strategy == strategy && r.case.tags == tags && r.case.matching == matching);
    &row.expect("every case was run").measured
}

fn ratio(baseline: f64, ours: f64) -> String {
    if ours == 0.0 { "n/a".to_owned() } else { format!("{:.0}×", baseline / ours) }
}

fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    out.push_str(
        "| tags | matching | edge-registry | sequential | ×time | ×ops | concurrent-8 | ×time | ×ops |\n",
    );
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for tags in TAG_COUNTS {
        for matching in MATCHING_COUNTS {
            let ours = find(rows, Strategy::EdgeRegistry, tags, matching);
            let seq = find(rows, Strategy::Sequential, tags, matching);
            let con = find(rows, Strategy::Concurrent8, tags, matching);
            let cell = |m: &Measured| format!("{} ops, {} ms", m.ops, m.ms);
            let time = |m: &Measured| ratio(m.ms as f64, ours.ms as f64);
            let ops = |m: &Measured| ratio(m.ops as f64, ours.ops as f64);
            let _ = writeln!(
                out,
                "| {tags} | {matching} | {} | {} | {} | {} | {} | {} | {} |",
                cell(ours),
                cell(seq),
                time(seq),
                ops(seq),
                cell(con),
                time(con),
                ops(con),
            );
        }
    }
    out
}

fn targets(rows: &[Row]) -> String {
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    let mut out = String::new();
    let k1 = find(rows, Strategy::EdgeRegistry, 100_000, 1);
    let _ = writeln!(
        out,
        "target edge-registry tags=100000 matching=1: ops={} (<= 10) ms={} (<= 200): {}",
        k1.ops,
        k1.ms,
        verdict(k1.ops <= 10 && k1.ms <= 200)
    );
    let k100 = find(rows, Strategy::EdgeRegistry, 100_000, 100);
    let _ = writeln!(
        out,
        "target edge-registry tags=100000 matching=100: ops={} (<= 40): {}",
        k100.ops,
        verdict(k100.ops <= 40)
    );
    let budget = 2 * 10_000u64.div_ceil(100) + 10;
    for digests in [LinkDigests::All, LinkDigests::Half, LinkDigests::None] {
        for matching in MATCHING_COUNTS {
            let scan = find(rows, Strategy::EdgeRegistryScan(digests), 10_000, matching);
            let _ = writeln!(
                out,
                "target edge-registry-scan tags=10000 matching={matching} link-digests={}: \
                 ops={} (<= {budget}): {}",
                digests.label(),
                scan.ops,
                verdict(scan.ops <= budget)
            );
        }
    }
    out
}

async fn bench() {
    println!(
        "# delete by digest: latency {} ms per operation, {CONNECTIONS} at once",
        LATENCY.as_millis()
    );
    let mut rows = Vec::new();
    for tags in TAG_COUNTS {
        for matching in MATCHING_COUNTS {
            let case = Case { tags, matching };
            for strategy in Strategy::ALL {
                let fixture = match strategy {
                    Strategy::EdgeRegistryScan(digests) => seed_copied(case, digests).await,
                    _ => seed_indexed(case).await,
                };
                let measured = run(strategy, &fixture).await;
                let extra = match strategy {
                    Strategy::EdgeRegistryScan(digests) => {
                        format!(" link-digests={}", digests.label())
                    }
                    _ => String::new(),
                };
                println!(
                    "delete strategy={} tags={tags} matching={matching} ops={} ms={}{extra}",
                    strategy.name(),
                    measured.ops,
                    measured.ms
                );
                rows.push(Row { strategy, case, measured });
            }
        }
    }
    println!();
    print!("{}", table(&rows));
    println!();
    print!("{}", targets(&rows));
}

fn main() {
    run_simulated(bench());
}
