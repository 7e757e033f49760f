//! The `Sessions` phase: upload sessions idle past their time to live are removed.
//!
//! A session is expired when both its state object (by the storage's clock) and the time it
//! records (by the Worker's clock, which `load_session` judges by) are older than the upload time
//! to live: then no request can use it any more. Its multipart upload is aborted, then its state
//! and tail are deleted. Tails left without a state, older than the time to live, go too.

use std::collections::BTreeMap;

use super::keys::{UploadKey, upload_key};
use super::{Run, paths};
use crate::registry::Result;
use crate::registry::uploads::Session;
use crate::storage::{ListOptions, MAX_LIST_KEYS, ObjectMeta, ObjectStore, StorageErrorKind};

/// The keys of one session seen on a listing page.
#[derive(Default)]
struct Keys {
    state: Option<ObjectMeta>,
    tails: Vec<ObjectMeta>,
}

impl<S: ObjectStore> Run<'_, '_, S> {
    pub(super) async fn sessions_step(&mut self) -> Result<bool> {
        let limit = (self.room() / 3).clamp(1, MAX_LIST_KEYS as u64) as u32;
        let options = ListOptions {
            prefix: paths::UPLOADS.to_owned(),
            start_after: self.state.after.clone(),
            limit,
            ..ListOptions::default()
        };
        let page = self.registry.store.list(&options).await?;

        let mut sessions: BTreeMap<String, Keys> = BTreeMap::new();
        for object in page.objects.iter() {
            match upload_key(&object.key) {
                Some(UploadKey::State(id)) => {
                    sessions.entry(id.to_owned()).or_default().state = Some(object.clone());
                }
                Some(UploadKey::Tail(id)) => {
                    sessions.entry(id.to_owned()).or_default().tails.push(object.clone());
                }
                None => {}
            }
        }

        let ttl = self.registry.config.upload_ttl_ms;
        let expired = |uploaded_ms: u64| uploaded_ms.saturating_add(ttl) < self.now_ms;
        let mut doomed = Vec::new();
        for (id, keys) in sessions {
            let tails = keys.tails.iter().filter(|t| expired(t.uploaded_ms));
            let Some(state) = keys.state else {
                // A tail whose state is on another page, or left by a crash: stale when old.
                doomed.extend(tails.map(|t| t.key.clone()));
                continue;
            };
            if !expired(state.uploaded_ms) || !self.abandon(&id, &state.key, ttl).await? {
                continue;
            }
            self.state.report.sessions_cleaned += 1;
            doomed.push(state.key);
            doomed.extend(keys.tails.into_iter().map(|t| t.key));
        }
        self.delete(&doomed).await?;

        if let Some(last) = page.objects.last() {
            self.state.after = Some(last.key.clone());
        }
        Ok(page.cursor.is_none())
    }

    /// Aborts the multipart upload of the session `id` if it is expired by its own record too;
    /// answers whether it is.
    async fn abandon(&self, id: &str, state_key: &str, ttl: u64) -> Result<bool> {
        let Some((_, bytes)) = self.registry.store.get_bytes(state_key).await? else {
            return Ok(false);
        };
        let session = serde_json::from_slice::<Session>(&bytes).ok();
        if session.as_ref().is_some_and(|s| s.updated_ms().saturating_add(ttl) >= self.now_ms) {
            return Ok(false);
        }
        let multipart = session.as_ref().and_then(Session::multipart);
        if let Some(upload_id) = multipart
            && !self.dry_run
        {
            let key = paths::upload_data(id);
            match self.registry.store.abort_multipart(&key, upload_id).await {
                Err(err) if err.kind != StorageErrorKind::NoSuchUpload => return Err(err.into()),
                _ => {}
            }
        }
        Ok(true)
    }
}
