//! Two PATCHes racing for one upload session: whatever order their storage calls land in, the
//! session never ends up naming bytes it did not hash, so no blob is stored under a digest that
//! does not describe it.

use edge_registry::oci::{Algorithm, Digest, RepoName};
use edge_registry::registry::uploads::PART_SIZE;
use edge_registry::registry::{Config, Error, Registry};
use edge_registry::storage::ObjectStore;
use edge_registry::storage::memory::MemoryStore;
use futures::channel::{mpsc, oneshot};
use futures::{SinkExt, join};

type Chunk = std::result::Result<Vec<u8>, String>;

/// Runs two appends at offset 0 of one session: both claim the session, then B sends its bytes
/// and finishes, then A sends its bytes (as long as B's) and finishes, writing its buffered
/// bytes over B's. Answers what each append answered.
async fn race(
    registry: &Registry<MemoryStore>,
    name: &RepoName,
    id: &str,
    a_bytes: &[u8],
    b_bytes: &[u8],
) -> (Result<u64, Error>, Result<u64, Error>) {
    let (mut tx_a, rx_a) = mpsc::unbounded::<Chunk>();
    let (mut tx_b, rx_b) = mpsc::unbounded::<Chunk>();
    let (b_done, b_finished) = oneshot::channel();
    let a = registry.append_upload(name, id, Some(0), None, rx_a);
    let b = async {
        let answer = registry.append_upload(name, id, Some(0), None, rx_b).await;
        b_done.send(()).expect("the driver waits");
        answer
    };
    let driver = async {
        tx_b.send(Ok(b_bytes.to_vec())).await.expect("B reads its body");
        drop(tx_b);
        b_finished.await.expect("B finishes");
        tx_a.send(Ok(a_bytes.to_vec())).await.expect("A reads its body");
        drop(tx_a);
    };
    let (a, b, ()) = join!(a, b, driver);
    (a, b)
}

/// Bytes that stay in the tail object, and bytes that also fill a multipart part (where R2
/// does not check a checksum on completion).
const SIZES: [usize; 2] = [10, PART_SIZE as usize + 10];

#[test]
fn a_patch_that_loses_the_race_never_leaves_its_bytes_in_the_session() {
    for size in SIZES {
        futures::executor::block_on(race_and_finish(size));
    }
}

async fn race_and_finish(size: usize) {
    let registry = Registry::new(MemoryStore::new(), Config::default());
    let name = RepoName::parse("t/race").unwrap();
    let id = registry.start_upload(&name).await.unwrap();
    let (a_bytes, b_bytes) = (&vec![b'A'; size][..], &vec![b'B'; size][..]);

    let (a, b) = race(&registry, &name, &id, a_bytes, b_bytes).await;
    assert!(
        matches!(a, Err(Error::BlobUploadInvalid { .. })),
        "the append that saved last loses: {a:?}"
    );
    assert_eq!(b.unwrap(), b_bytes.len() as u64);

    // The session holds B's hash. Its buffered bytes were overwritten by A: closing the
    // upload must refuse them, not store A's bytes under B's digest.
    let b_digest = Digest::of(Algorithm::Sha256, b_bytes);
    let finished =
        registry.finish_upload(&name, &id, None, &b_digest, futures::stream::empty()).await;
    match finished {
        Err(Error::BlobUploadInvalid { .. }) => {}
        Ok(blob) => {
            let (_, stored) = registry.store().get_bytes(&blob.location).await.unwrap().unwrap();
            assert_eq!(stored, b_bytes, "the blob {b_digest} holds other bytes");
        }
        Err(other) => panic!("{size} bytes: unexpected answer: {other:?}"),
    }
}
