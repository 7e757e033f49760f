//! The Workers KV backend: [`KeyValue`] over a Worker's KV namespace binding.
//!
//! Reads are served from the location's cache and writes take a minute or more to reach other
//! locations; only what tolerates that is kept here (accounts, see [`crate::auth::kv`]).

use worker::kv::KvStore;

use crate::auth::kv::{KeyPage, KeyValue, KvError, MAX_LIST_KEYS};

/// A KV namespace seen as a [`KeyValue`].
pub struct WorkersKv {
    store: KvStore,
}

impl WorkersKv {
    pub fn new(store: KvStore) -> Self {
        Self { store }
    }
}

fn error(op: &'static str, key: &str, err: worker::kv::KvError) -> KvError {
    KvError::new(op, key, err.to_string())
}

impl KeyValue for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        self.store.get(key).text().await.map_err(|e| error("get", key, e))
    }

    async fn put(&self, key: &str, value: &str) -> Result<(), KvError> {
        let put = self.store.put(key, value).map_err(|e| error("put", key, e))?;
        put.execute().await.map_err(|e| error("put", key, e))
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        self.store.delete(key).await.map_err(|e| error("delete", key, e))
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<KeyPage, KvError> {
        let mut list = self.store.list().prefix(prefix.to_owned()).limit(MAX_LIST_KEYS as u64);
        if let Some(cursor) = cursor {
            list = list.cursor(cursor.to_owned());
        }
        let page = list.execute().await.map_err(|e| error("list", prefix, e))?;
        let cursor = if page.list_complete { None } else { page.cursor.filter(|c| !c.is_empty()) };
        Ok(KeyPage { keys: page.keys.into_iter().map(|k| k.name).collect(), cursor })
    }
}
