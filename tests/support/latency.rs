//! A latency model of R2 seen from one Worker request, for the benchmarks and for tests of
//! concurrent requests: every operation takes simulated time ([`LATENCY`], or a random time
//! drawn from a seed) and at most [`CONNECTIONS`] run at once (more wait their turn, first come
//! first served). Time is tokio's paused clock on a current-thread runtime, so a hundred
//! thousand sequential reads cost simulated seconds and no real ones, and two requests over
//! random latencies interleave their storage calls in an order the seed fixes. Operations are
//! counted with [`Counted`], as the registry counts them for its log line.

use std::cell::Cell;
use std::time::Duration;

use edge_registry::storage::counted::Counted;
use edge_registry::storage::memory::MemoryStore;
use edge_registry::storage::{
    ByteRange, ListOptions, ListPage, ObjectMeta, ObjectStore, PutOptions, StorageResult,
    UploadedPart,
};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Simulated time of one storage operation.
pub const LATENCY: Duration = Duration::from_millis(20);
/// Storage operations a Worker request may have in flight at once.
pub const CONNECTIONS: usize = 6;
/// A store whose every operation takes some tokio time, at most [`CONNECTIONS`] at once.
pub struct Latency<S> {
    inner: S,
    delay: Delay,
    connections: Semaphore,
}

enum Delay {
    Fixed(Duration),
    /// Uniform in 0..=`max_ms` milliseconds, from a xorshift generator's state.
    Random {
        state: Cell<u64>,
        max_ms: u64,
    },
}

impl<S> Latency<S> {
    /// Every operation takes `delay`.
    pub fn new(inner: S, delay: Duration) -> Self {
        Self { inner, delay: Delay::Fixed(delay), connections: Semaphore::new(CONNECTIONS) }
    }

    /// Every operation takes a random time of up to `max_ms`, drawn from `seed`.
    pub fn random(inner: S, seed: u64, max_ms: u64) -> Self {
        let delay = Delay::Random { state: Cell::new(seed.max(1)), max_ms };
        Self { inner, delay, connections: Semaphore::new(CONNECTIONS) }
    }

    fn next_delay(&self) -> Duration {
        match &self.delay {
            Delay::Fixed(delay) => *delay,
            Delay::Random { state, max_ms } => {
                let mut x = state.get();
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                state.set(x);
                Duration::from_millis(x % (max_ms + 1))
            }
        }
    }

    /// Waits for a connection, then for the round trip; the operation runs holding the permit.
    async fn round_trip(&self) -> SemaphorePermit<'_> {
        let permit = self.connections.acquire().await.expect("the semaphore is never closed");
        tokio::time::sleep(self.next_delay()).await;
        permit
    }
}

impl<S: ObjectStore> ObjectStore for Latency<S> {
    type Body = S::Body;

    async fn head(&self, key: &str) -> StorageResult<Option<ObjectMeta>> {
        let _connection = self.round_trip().await;
        self.inner.head(key).await
    }

    async fn get(
        &self,
        key: &str,
        range: Option<ByteRange>,
    ) -> StorageResult<Option<(ObjectMeta, Self::Body)>> {
        let _connection = self.round_trip().await;
        self.inner.get(key, range).await
    }

    async fn get_bytes(&self, key: &str) -> StorageResult<Option<(ObjectMeta, Vec<u8>)>> {
        let _connection = self.round_trip().await;
        self.inner.get_bytes(key).await
    }

    async fn put(
        &self,
        key: &str,
        bytes: Vec<u8>,
        options: PutOptions,
    ) -> StorageResult<Option<ObjectMeta>> {
        let _connection = self.round_trip().await;
        self.inner.put(key, bytes, options).await
    }

    async fn delete_many(&self, keys: &[String]) -> StorageResult<()> {
        let _connection = self.round_trip().await;
        self.inner.delete_many(keys).await
    }

    async fn list(&self, options: &ListOptions) -> StorageResult<ListPage> {
        let _connection = self.round_trip().await;
        self.inner.list(options).await
    }

    async fn create_multipart(&self, key: &str, options: PutOptions) -> StorageResult<String> {
        let _connection = self.round_trip().await;
        self.inner.create_multipart(key, options).await
    }

    async fn upload_part(
        &self,
        key: &str,
        upload_id: &str,
        number: u16,
        bytes: Vec<u8>,
    ) -> StorageResult<UploadedPart> {
        let _connection = self.round_trip().await;
        self.inner.upload_part(key, upload_id, number, bytes).await
    }

    async fn complete_multipart(
        &self,
        key: &str,
        upload_id: &str,
        parts: &[UploadedPart],
    ) -> StorageResult<ObjectMeta> {
        let _connection = self.round_trip().await;
        self.inner.complete_multipart(key, upload_id, parts).await
    }

    async fn abort_multipart(&self, key: &str, upload_id: &str) -> StorageResult<()> {
        let _connection = self.round_trip().await;
        self.inner.abort_multipart(key, upload_id).await
    }
}

/// The store one benchmarked request sees.
pub type Modelled = Counted<Latency<MemoryStore>>;

pub fn modelled(store: &MemoryStore) -> Modelled {
    Counted::new(Latency::new(store.clone(), LATENCY))
}

/// Runs `bench` on a current-thread runtime whose clock is paused, and says how long it took
/// for real.
pub fn run_simulated(bench: impl std::future::Future<Output = ()>) {
    let started = std::time::Instant::now();
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("a current-thread runtime")
        .block_on(bench);
    eprintln!("bench: {:.1} s real time", started.elapsed().as_secs_f64());
}
