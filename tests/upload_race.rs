//! Two PATCHes racing for one upload session, over many orders of their storage calls: at most
//! one is taken, the other is refused without writing, and the session then holds exactly the
//! bytes it hashed, so closing it stores the winner's bytes under the winner's digest.

mod support;

use std::time::Duration;

use edge_registry::oci::{Algorithm, Digest, RepoName};
use edge_registry::registry::uploads::PART_SIZE;
use edge_registry::registry::{Config, Error, Registry};
use edge_registry::storage::ObjectStore;
use edge_registry::storage::memory::MemoryStore;
use support::latency::Latency;

/// Longest simulated round trip, in ms.
const MAX_LATENCY_MS: u64 = 40;

type Modelled = Registry<Latency<MemoryStore>>;

/// Appends `bytes` at offset 0 after `delay`.
async fn append_later(
    registry: &Modelled,
    id: &str,
    bytes: &[u8],
    delay: Duration,
) -> Result<u64, Error> {
    tokio::time::sleep(delay).await;
    let name = RepoName::parse("t/race").unwrap();
    let body = futures::stream::iter([Ok(bytes.to_vec())]);
    registry.append_upload(&name, id, Some(0), None, body).await
}

fn race(size: usize, seed: u64, runtime: &tokio::runtime::Runtime) {
    let store = MemoryStore::new();
    let request = |seed| {
        Registry::new(Latency::random(store.clone(), seed, MAX_LATENCY_MS), Config::default())
    };
    let (first, second, bare) =
        (request(seed * 2), request(seed * 2 + 1), Registry::new(store.clone(), Config::default()));
    let name = RepoName::parse("t/race").unwrap();
    let (a_bytes, b_bytes) = (vec![b'A'; size], vec![b'B'; size]);
    let start = |n: u64| Duration::from_millis((seed * 7919 + n * 104_729) % 60);

    runtime.block_on(async {
        let id = bare.start_upload(&name).await.unwrap();
        let (a, b) = tokio::join!(
            append_later(&first, &id, &a_bytes, start(1)),
            append_later(&second, &id, &b_bytes, start(2)),
        );
        let winner = match (&a, &b) {
            (Ok(_), Ok(_)) => panic!("seed {seed}: both appends were taken"),
            (Ok(_), Err(_)) => Some(&a_bytes),
            (Err(_), Ok(_)) => Some(&b_bytes),
            (Err(_), Err(_)) => None,
        };
        for refused in [&a, &b].into_iter().filter_map(|r| r.as_ref().err()) {
            assert!(
                matches!(refused, Error::BlobUploadInvalid { .. } | Error::RangeInvalid { .. }),
                "seed {seed}: refused with {refused:?}"
            );
        }

        let Some(winner) = winner else {
            assert_eq!(bare.upload_status(&name, &id).await.unwrap(), 0, "seed {seed}");
            return;
        };
        let digest = Digest::of(Algorithm::Sha256, winner);
        let blob = bare.finish_upload(&name, &id, None, &digest, futures::stream::empty()).await;
        let blob = blob.unwrap_or_else(|err| panic!("seed {seed}, {size} bytes: {err:?}"));
        let (_, stored) = bare.store().get_bytes(&blob.location).await.unwrap().unwrap();
        assert!(stored == *winner, "seed {seed}, {size} bytes: {digest} holds other bytes");
    });
}

#[test]
fn racing_patches_leave_a_session_that_holds_the_bytes_it_hashed() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    // Bytes that stay in the tail object, and bytes that also fill a multipart part (whose
    // completion R2 does not check against a checksum).
    for (size, seeds) in [(10, 200), (PART_SIZE as usize + 10, 8)] {
        for seed in 1..=seeds {
            race(size, seed, &runtime);
        }
    }
}

/// A PATCH still sending while its session is closed or cancelled: the close is refused while
/// the PATCH holds the session, the cancel is not, and the PATCH then learns its upload is gone
/// (404 `BLOB_UPLOAD_UNKNOWN`), never a storage failure.
#[test]
fn closing_or_cancelling_a_session_under_a_patch_refuses_cleanly() {
    use futures::channel::mpsc;
    use futures::{SinkExt, join};

    futures::executor::block_on(async {
        let registry = Registry::new(MemoryStore::new(), Config::default());
        let name = RepoName::parse("t/race").unwrap();
        let id = registry.start_upload(&name).await.unwrap();
        let first = vec![1u8; PART_SIZE as usize];
        let body = futures::stream::iter([Ok(first.clone())]);
        registry.append_upload(&name, &id, Some(0), None, body).await.unwrap();

        let (mut tx, rx) = mpsc::unbounded::<Result<Vec<u8>, String>>();
        let patch = registry.append_upload(&name, &id, None, None, rx);
        let others = async {
            let digest = Digest::of(Algorithm::Sha256, &first);
            let close = registry.finish_upload(&name, &id, None, &digest, futures::stream::empty());
            let close = close.await;
            assert!(matches!(close, Err(Error::BlobUploadInvalid { .. })), "{close:?}");
            registry.cancel_upload(&name, &id).await.unwrap();
            tx.send(Ok(vec![2u8; PART_SIZE as usize + 10])).await.unwrap();
            drop(tx);
        };
        let (patch, ()) = join!(patch, others);
        assert!(matches!(patch, Err(Error::BlobUploadUnknown { .. })), "{patch:?}");
        let status = registry.upload_status(&name, &id).await;
        assert!(matches!(status, Err(Error::BlobUploadUnknown { .. })), "{status:?}");
    });
}
