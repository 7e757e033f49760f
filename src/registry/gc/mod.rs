//! Online garbage collection: mark and sweep over the whole bucket while the registry serves.
//!
//! A run goes through its phases in order, each a listing continued from where it stopped:
//! 1. `Sessions`: upload sessions idle past their time to live lose their multipart upload, tail
//!    and state.
//! 2. `Mark`: every revision under `repositories/` is read (six at once) and the blobs, child
//!    manifests and subject it references are marked. With `delete_untagged`, a repository's
//!    untagged manifests that no tag reaches through an index or a subject are deleted first,
//!    through [`Registry::delete_manifest`], and mark nothing.
//! 3. `Blobs`: every blob no manifest reaches, whose link and repository links were all written
//!    before the run's cutoff (its start minus the grace period), is deleted with its data and
//!    its repository links, after those are read once more. Repository links to blobs that no
//!    longer exist go too.
//! 4. `Data`: objects under `data/` no blob link points at, older than the cutoff, are deleted.
//!
//! An invocation works until its operation budget is spent, then saves the run's progress in
//! `gc/run.json`; the next one continues it. The run's report, kept in `gc/last-report.json`,
//! adds up every invocation. Ages are judged by the storage's clock (the upload time of
//! objects against the time R2 stamps on `gc/clock`), never the Worker's.
//!
//! Safety against concurrent pushes (see `sweep` for the argument): nothing written after the
//! cutoff is removed, a manifest put refreshes the links and child revisions it references when
//! they are older than half the grace period ([`Registry::keep_alive`]), and a blob's repository
//! links are read again just before it is deleted.
//!
//! A dry run goes through the same phases and deletes nothing; it writes nothing either but the
//! scratch `gc/clock`, removed at once, and keeps no progress.

pub mod fixture;
mod keys;
mod mark;
mod sessions;
mod state;
mod store;
mod sweep;

use serde::{Deserialize, Serialize};

use self::state::RunState;
use self::store::ByRef;
use super::{Error, Registry, Result, now_ms};
use crate::oci::Digest;
use crate::storage::counted::Counted;
use crate::storage::{ObjectMeta, ObjectStore, PutMode, PutOptions, paths};

/// Operations an invocation uses by default: the free plan's 1,000 subrequests, less a margin
/// for the request around it.
pub const DEFAULT_MAX_OPERATIONS: u64 = 900;

/// Storage operations at most in flight at once (the Workers limit on open connections).
const CONCURRENCY: usize = 6;

/// Operations kept back for saving the run at the end of an invocation.
const RESERVE: u64 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GcOptions {
    /// Report what would be removed and remove nothing. A dry run writes no progress: it starts
    /// afresh each time and reports `finished: false` when its budget ran out first.
    pub dry_run: bool,
    /// Delete untagged manifests unreachable from a tag before collecting blobs. Applies to runs
    /// started with it; a run in progress keeps the setting it started with.
    pub delete_untagged: bool,
    /// Storage operations this invocation may use. A step under way finishes, so an invocation
    /// can exceed it by one listing page's work.
    pub max_operations: u64,
}

impl Default for GcOptions {
    fn default() -> Self {
        Self { dry_run: false, delete_untagged: false, max_operations: DEFAULT_MAX_OPERATIONS }
    }
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    #[default]
    Sessions,
    Mark,
    Blobs,
    Data,
    Done,
}

/// What a run did, added up over its invocations. In a dry run, "deleted" means "would be".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GcReport {
    /// When the run started (storage clock, ms since the epoch).
    pub started_ms: u64,
    pub dry_run: bool,
    pub delete_untagged: bool,
    pub phase: Phase,
    pub finished: bool,
    pub invocations: u64,
    pub manifests_scanned: u64,
    pub manifests_deleted: u64,
    pub blobs_scanned: u64,
    pub bytes_scanned: u64,
    pub blobs_kept: u64,
    pub bytes_kept: u64,
    pub blobs_deleted: u64,
    pub bytes_deleted: u64,
    /// Repository links removed with their blob, or because their blob no longer exists.
    pub layer_links_deleted: u64,
    /// Data objects no blob link points at.
    pub orphans_deleted: u64,
    pub orphan_bytes_deleted: u64,
    pub sessions_cleaned: u64,
    /// Time spent in the run's invocations (the Worker's clock).
    pub duration_ms: u64,
    pub storage_operations: u64,
}

/// The registry a run works through: every operation it makes is counted.
type Metered<'a, S> = Registry<Counted<ByRef<'a, S>>>;

/// One invocation's work on a run.
struct Run<'r, 's, S> {
    registry: &'r Metered<'s, S>,
    dry_run: bool,
    max_operations: u64,
    state: RunState,
    /// The etag of `gc/run.json` as read, so that a concurrent invocation's save is not undone.
    etag: Option<String>,
    /// The storage's clock when this invocation began.
    now_ms: u64,
    /// Whether this invocation has finished a step yet (each makes at least one).
    progressed: bool,
    /// Repository links to unmarked blobs, listed afresh by each invocation in `Blobs`.
    links: Option<sweep::Links>,
}

impl<S: ObjectStore> Registry<S> {
    /// Starts a collection run, or continues the one in progress, for at most
    /// `options.max_operations` storage operations; answers the run's report so far.
    pub async fn collect_garbage(&self, options: GcOptions) -> Result<GcReport> {
        if options.delete_untagged && !self.config.delete_enabled {
            return Err(Error::Unsupported {
                message: "deleting untagged manifests needs deletes enabled".into(),
            });
        }
        let started = now_ms();
        let registry = Registry::new(Counted::new(ByRef(&self.store)), self.config.clone());
        let mut run = Run::load(&registry, options).await?;
        run.work().await?;
        run.save(now_ms().saturating_sub(started)).await
    }

    /// The report of the last run that saved one, for the dashboard.
    pub async fn last_gc_report(&self) -> Result<Option<GcReport>> {
        let Some((_, bytes)) = self.store.get_bytes(&paths::gc_last_report()).await? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&bytes).ok())
    }

    /// Called by a manifest put for every link or child revision it found: one written more
    /// than half the grace period ago is written again, unchanged, so that no collection run
    /// under way takes it for unused. The rewrite is conditional on the etag just read; when it
    /// fails because the object was deleted meanwhile, the reference is unknown.
    pub(crate) async fn keep_alive(
        &self,
        key: &str,
        meta: ObjectMeta,
        digest: &Digest,
    ) -> Result<()> {
        if now_ms().saturating_sub(meta.uploaded_ms) <= self.config.gc_grace_ms / 2 {
            return Ok(());
        }
        let (meta, bytes) = if meta.size == 0 {
            (meta, Vec::new())
        } else {
            match self.store.get_bytes(key).await? {
                Some(found) => found,
                None => return Err(Error::ManifestBlobUnknown { digest: digest.to_string() }),
            }
        };
        let options = PutOptions {
            mode: PutMode::UpdateIfMatch(meta.etag),
            content_type: meta.content_type,
            custom: meta.custom,
            checksum: None,
        };
        if self.store.put(key, bytes, options).await?.is_some()
            || self.store.head(key).await?.is_some()
        {
            return Ok(());
        }
        Err(Error::ManifestBlobUnknown { digest: digest.to_string() })
    }
}

impl<'r, 's, S: ObjectStore> Run<'r, 's, S> {
    async fn load(registry: &'r Metered<'s, S>, options: GcOptions) -> Result<Self> {
        let now_ms = storage_clock(registry).await?;
        let (saved, etag) = if options.dry_run {
            (None, None)
        } else {
            match registry.store.get_bytes(&paths::gc_run()).await? {
                Some((meta, bytes)) => {
                    let state = serde_json::from_slice::<RunState>(&bytes).ok();
                    (state.filter(|s| s.phase != Phase::Done), Some(meta.etag))
                }
                None => (None, None),
            }
        };
        let grace = registry.config.gc_grace_ms;
        let state = saved.unwrap_or_else(|| RunState::new(now_ms, grace, &options));
        Ok(Self {
            registry,
            dry_run: options.dry_run,
            max_operations: options.max_operations,
            state,
            etag,
            now_ms,
            progressed: false,
            links: None,
        })
    }

    fn used(&self) -> u64 {
        self.registry.store.ops()
    }

    /// Operations left for this invocation's steps, after the reserve for saving.
    fn room(&self) -> u64 {
        self.max_operations.saturating_sub(self.used() + RESERVE)
    }

    async fn work(&mut self) -> Result<()> {
        while self.state.phase != Phase::Done && (!self.progressed || self.room() > 0) {
            let finished = match self.state.phase {
                Phase::Sessions => self.sessions_step().await?,
                Phase::Mark => self.mark_step().await?,
                Phase::Blobs => self.blobs_step().await?,
                Phase::Data => self.data_step().await?,
                Phase::Done => true,
            };
            self.progressed = true;
            if finished {
                self.state.advance();
            }
        }
        Ok(())
    }

    /// Adds this invocation to the report and, unless dry, saves the run and the report.
    async fn save(mut self, duration_ms: u64) -> Result<GcReport> {
        let saves = if self.dry_run { 0 } else { RESERVE };
        let report = &mut self.state.report;
        report.phase = self.state.phase;
        report.finished = self.state.phase == Phase::Done;
        report.invocations += 1;
        report.duration_ms += duration_ms;
        report.storage_operations += self.registry.store.ops() + saves;
        let report = report.clone();
        if self.dry_run {
            return Ok(report);
        }

        let store = &self.registry.store;
        let mode = match self.etag.take() {
            Some(etag) => PutMode::UpdateIfMatch(etag),
            None => PutMode::Create,
        };
        let state = serde_json::to_vec(&self.state).expect("a run state serializes");
        let options = PutOptions { mode, ..json_options() };
        if store.put(&paths::gc_run(), state, options).await?.is_some() {
            let bytes = serde_json::to_vec(&report).expect("a report serializes");
            store.put(&paths::gc_last_report(), bytes, json_options()).await?;
        }
        // Otherwise another invocation saved the same run meanwhile: its progress stands.
        Ok(report)
    }

    /// Whether `uploaded_ms` is late enough for the run to keep whatever was written then.
    fn recent(&self, uploaded_ms: u64) -> bool {
        uploaded_ms >= self.state.cutoff_ms
    }

    /// Deletes `keys` in batches, unless the run is dry.
    async fn delete(&self, keys: &[String]) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        for batch in keys.chunks(crate::storage::MAX_DELETE_KEYS) {
            self.registry.store.delete_many(batch).await?;
        }
        Ok(())
    }
}

fn json_options() -> PutOptions {
    PutOptions { content_type: Some("application/json".into()), ..PutOptions::default() }
}

/// The storage's current time: the upload time R2 stamps on a scratch object, removed at once.
async fn storage_clock<S: ObjectStore>(registry: &Registry<S>) -> Result<u64> {
    let key = paths::gc_clock();
    let written = registry.store.put(&key, Vec::new(), PutOptions::default()).await?;
    registry.store.delete_many(&[key]).await?;
    Ok(written.map(|meta| meta.uploaded_ms).unwrap_or_else(now_ms))
}
