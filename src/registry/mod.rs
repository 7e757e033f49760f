//! The registry's use cases, written against the storage trait only.

pub mod blobs;
pub mod catalog;
pub mod config;
pub mod delete;
pub mod error;
pub mod gc;
pub mod inventory;
mod listing;
pub mod manifests;
pub mod referrers;
pub mod tags;
pub mod uploads;

pub use config::Config;
pub use error::{Error, Result};
pub use listing::Names;

use crate::storage::ObjectStore;

/// The registry over one store. Cheap to build: a Worker builds one per request.
pub struct Registry<S> {
    store: S,
    config: Config,
}

impl<S: ObjectStore> Registry<S> {
    pub fn new(store: S, config: Config) -> Self {
        Self { store, config }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn config(&self) -> &Config {
        &self.config
    }
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> u64 {
    web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// An unguessable id: 128 random bits in hex (upload sessions, tag index writes).
pub(crate) fn random_id() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| Error::Unsupported { message: format!("no randomness available: {e}") })?;
    Ok(hex::encode(bytes))
}
