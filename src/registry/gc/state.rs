//! A run's progress as kept in R2 between invocations (`gc/run.json`).
//!
//! Everything a later invocation needs to continue exactly where the last one stopped is here;
//! it is saved only at the end of an invocation, so an invocation cut off half-way is redone
//! from the last save, and every step of a run can be done twice with the same result.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{GcOptions, GcReport, Phase};
use crate::oci::Digest;

/// A blob's or a location's 64-bit fingerprint: the first 8 bytes of its hash.
///
/// Sets of fingerprints stand for sets of digests at an eighth of the memory, so a run over
/// millions of blobs fits a Worker. Two digests sharing a fingerprint only makes the collector
/// keep a blob it could have removed (about one chance in 2^64 / n), never the reverse.
pub(super) fn fingerprint(digest: &Digest) -> u64 {
    digest.hex().get(..16).and_then(|h| u64::from_str_radix(h, 16).ok()).unwrap_or_default()
}

/// The fingerprint of a storage key (a blob's location).
pub(super) fn key_fingerprint(key: &str) -> u64 {
    fingerprint(&Digest::of(crate::oci::Algorithm::Sha256, key.as_bytes()))
}

/// A revision of the repository being read, while `delete_untagged` decides what it keeps.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Revision {
    /// Kept whatever references it: tagged (a marker exists), copied from elsewhere without the
    /// tag index, or written after the run's cutoff.
    pub root: bool,
    /// Fingerprints of the blobs, children and subject it references.
    pub refs: Vec<u64>,
    pub children: Vec<String>,
    pub subject: Option<String>,
}

/// The repository whose revisions are being read (only when deleting untagged manifests).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Repository {
    pub name: String,
    /// By digest.
    pub revisions: BTreeMap<String, Revision>,
}

/// An untagged manifest no kept manifest reaches, to be deleted.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct Doomed {
    pub repository: String,
    pub digest: String,
    /// Marked after all if the manifest turns out to have been pushed again meanwhile.
    pub refs: Vec<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(super) struct RunState {
    /// Nothing written at or after this time (storage clock, ms) is removed by the run.
    pub cutoff_ms: u64,
    pub delete_untagged: bool,
    pub phase: Phase,
    /// The last key the current phase has finished with.
    pub after: Option<String>,
    /// The current phase's listing reached its end.
    pub listed: bool,
    /// Fingerprints of every blob a kept manifest references (complete once `Mark` is done).
    pub marks: BTreeSet<u64>,
    /// Fingerprints of the locations of the blob links kept (complete once `Blobs` is done).
    pub locations: BTreeSet<u64>,
    pub repository: Option<Repository>,
    pub doomed: Vec<Doomed>,
    pub report: GcReport,
}

impl RunState {
    pub fn new(now_ms: u64, grace_ms: u64, options: &GcOptions) -> Self {
        let report = GcReport {
            started_ms: now_ms,
            dry_run: options.dry_run,
            delete_untagged: options.delete_untagged,
            ..GcReport::default()
        };
        Self {
            cutoff_ms: now_ms.saturating_sub(grace_ms),
            delete_untagged: options.delete_untagged,
            phase: Phase::Sessions,
            after: None,
            listed: false,
            marks: BTreeSet::new(),
            locations: BTreeSet::new(),
            repository: None,
            doomed: Vec::new(),
            report,
        }
    }

    /// Moves to the next phase, with its listing from the start.
    pub fn advance(&mut self) {
        self.phase = match self.phase {
            Phase::Sessions => Phase::Mark,
            Phase::Mark => Phase::Blobs,
            Phase::Blobs => Phase::Data,
            Phase::Data | Phase::Done => Phase::Done,
        };
        self.after = None;
        self.listed = false;
        if self.phase == Phase::Done {
            self.marks.clear();
            self.locations.clear();
        }
    }
}
