//! The key-value store accounts live in: Workers KV in production (`storage::kv`, wasm32 only),
//! [`MemoryKv`] on the host.
//!
//! KV is eventually consistent: a write may take a minute or more to be seen by other
//! locations. That is acceptable for credentials (a new or changed account works everywhere
//! after that delay) and is why nothing a push reads back is kept here.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// Workers KV returns at most this many keys a list page.
pub const MAX_LIST_KEYS: usize = 1_000;
/// Workers KV refuses keys longer than this, in bytes.
pub const MAX_KEY_LEN: usize = 512;

/// A failed key-value operation. `Display` is short; the key says where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvError {
    pub op: &'static str,
    pub key: String,
    pub message: String,
}

impl KvError {
    pub fn new(op: &'static str, key: &str, message: impl Into<String>) -> Self {
        Self { op, key: key.to_owned(), message: message.into() }
    }
}

impl fmt::Display for KvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kv {} of {:?} failed: {}", self.op, self.key, self.message)
    }
}

impl std::error::Error for KvError {}

/// One page of keys, in lexical order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyPage {
    pub keys: Vec<String>,
    /// Set when more keys follow; pass it back to continue.
    pub cursor: Option<String>,
}

/// A store of small text values by key, with Workers KV's semantics.
#[allow(async_fn_in_trait, reason = "single-threaded wasm: the futures need not be Send")]
pub trait KeyValue {
    async fn get(&self, key: &str) -> Result<Option<String>, KvError>;

    async fn put(&self, key: &str, value: &str) -> Result<(), KvError>;

    /// Deleting an absent key is not an error.
    async fn delete(&self, key: &str) -> Result<(), KvError>;

    /// Up to [`MAX_LIST_KEYS`] keys starting with `prefix`, after `cursor`.
    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<KeyPage, KvError>;
}

impl<T: KeyValue> KeyValue for &T {
    async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        (**self).get(key).await
    }

    async fn put(&self, key: &str, value: &str) -> Result<(), KvError> {
        (**self).put(key, value).await
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        (**self).delete(key).await
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<KeyPage, KvError> {
        (**self).list(prefix, cursor).await
    }
}

/// An in-memory [`KeyValue`], strongly consistent, with KV's key length and page limits.
/// Clones share their contents.
#[derive(Clone, Debug, Default)]
pub struct MemoryKv {
    entries: Rc<RefCell<BTreeMap<String, String>>>,
}

impl MemoryKv {
    pub fn new() -> Self {
        Self::default()
    }

    fn check_key(op: &'static str, key: &str) -> Result<(), KvError> {
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return Err(KvError::new(op, key, format!("keys are 1 to {MAX_KEY_LEN} bytes")));
        }
        Ok(())
    }
}

impl KeyValue for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        Self::check_key("get", key)?;
        Ok(self.entries.borrow().get(key).cloned())
    }

    async fn put(&self, key: &str, value: &str) -> Result<(), KvError> {
        Self::check_key("put", key)?;
        self.entries.borrow_mut().insert(key.to_owned(), value.to_owned());
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), KvError> {
        Self::check_key("delete", key)?;
        self.entries.borrow_mut().remove(key);
        Ok(())
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<KeyPage, KvError> {
        let entries = self.entries.borrow();
        let after = cursor.unwrap_or_default();
        let mut keys: Vec<String> = entries
            .keys()
            .filter(|k| k.starts_with(prefix) && k.as_str() > after)
            .take(MAX_LIST_KEYS + 1)
            .cloned()
            .collect();
        let cursor = if keys.len() > MAX_LIST_KEYS {
            keys.truncate(MAX_LIST_KEYS);
            keys.last().cloned()
        } else {
            None
        };
        Ok(KeyPage { keys, cursor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_kv_pages_by_prefix_like_workers_kv() {
        let kv = MemoryKv::new();
        for i in 0..1_005 {
            kv.put(&format!("accounts/u{i:04}"), "{}").await.unwrap();
        }
        kv.put("other/x", "1").await.unwrap();

        let first = kv.list("accounts/", None).await.unwrap();
        assert_eq!(first.keys.len(), MAX_LIST_KEYS);
        let second = kv.list("accounts/", first.cursor.as_deref()).await.unwrap();
        assert_eq!(second.keys.len(), 5);
        assert_eq!(second.cursor, None);
        assert_eq!(second.keys.last().unwrap(), "accounts/u1004");
    }

    #[tokio::test]
    async fn memory_kv_reads_what_it_wrote_and_refuses_overlong_keys() {
        let kv = MemoryKv::new();
        assert_eq!(kv.get("k").await.unwrap(), None);
        kv.put("k", "v").await.unwrap();
        assert_eq!(kv.clone().get("k").await.unwrap().as_deref(), Some("v"));
        kv.delete("k").await.unwrap();
        kv.delete("k").await.unwrap();
        assert_eq!(kv.get("k").await.unwrap(), None);
        assert!(kv.put(&"k".repeat(513), "v").await.is_err());
    }
}
