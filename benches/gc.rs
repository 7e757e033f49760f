//! `make bench`: what a collection of the whole bucket costs, in storage operations and in
//! simulated time, under the latency model of `support::latency` (every operation takes
//! [`LATENCY`], at most [`CONNECTIONS`] at once per invocation).
//!
//! The bucket is [`fixture::seed`]'s: 10,000 blobs in 100 repositories, images of five blobs of
//! their own, every other one deleted, all written three days ago. The collector runs as the
//! Cron Trigger runs it, one invocation after another with the default budget of operations,
//! each invocation a Worker request of its own (its own six connections), until the run is done.
//! The run is checked against the fixture afterwards (exactly the deleted images' blobs go); the
//! figures are printed, never asserted.

mod support;

use edge_registry::registry::gc::{GcOptions, GcReport, fixture};
use edge_registry::registry::{Config, Registry};
use edge_registry::storage::memory::MemoryStore;
use support::latency::{CONNECTIONS, LATENCY, modelled, run_simulated};

const BLOBS: usize = 10_000;
const REPOSITORIES: usize = 100;
const DAY_MS: u64 = 24 * 3600 * 1000;

fn now_ms() -> u64 {
    web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// The fixture's bucket, written three days ago (past the default grace period of a day).
async fn seeded() -> MemoryStore {
    let store = MemoryStore::new();
    store.set_now_ms(Some(now_ms() - 3 * DAY_MS));
    let registry = Registry::new(store.clone(), Config::default());
    fixture::seed(&registry, BLOBS, REPOSITORIES).await.expect("the fixture is pushed");
    store.set_now_ms(None);
    store
}

/// Invocations until the run is done; answers the last report and the simulated time.
async fn collect(store: &MemoryStore, options: GcOptions) -> (GcReport, u128) {
    let start = tokio::time::Instant::now();
    loop {
        let registry = Registry::new(modelled(store), Config::default());
        let report = registry.collect_garbage(options).await.expect("collection runs");
        if report.finished {
            return (report, start.elapsed().as_millis());
        }
        assert!(report.invocations < 1_000, "the run never finishes");
    }
}

async fn bench() {
    println!(
        "# garbage collection: latency {} ms per operation, {CONNECTIONS} at once per invocation",
        LATENCY.as_millis()
    );
    for dry_run in [true, false] {
        let store = seeded().await;
        let before = store.keys().len();
        // A dry run writes no progress: give it the budget to finish in one invocation.
        let max_operations = if dry_run { u64::MAX } else { GcOptions::default().max_operations };
        let options = GcOptions { dry_run, max_operations, ..GcOptions::default() };
        let (report, ms) = collect(&store, options).await;

        let garbage = BLOBS / 2;
        assert_eq!(report.blobs_scanned as usize, BLOBS, "every blob is scanned");
        assert_eq!(report.blobs_deleted as usize, garbage, "the deleted images' blobs go");
        assert_eq!(report.blobs_kept as usize, BLOBS - garbage, "the live images' blobs stay");
        if dry_run {
            assert_eq!(store.keys().len(), before, "a dry run removes nothing");
        }
        println!(
            "gc blobs={BLOBS} repositories={REPOSITORIES} dry_run={dry_run} invocations={} \
             ops={} ms={ms} manifests_scanned={} blobs_deleted={} bytes_deleted={} \
             layer_links_deleted={}",
            report.invocations,
            report.storage_operations,
            report.manifests_scanned,
            report.blobs_deleted,
            report.bytes_deleted,
            report.layer_links_deleted,
        );
    }
}

fn main() {
    run_simulated(bench());
}
