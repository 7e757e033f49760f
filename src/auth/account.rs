//! Accounts kept in KV: one JSON value per account under `accounts/<name>`.
//!
//! ```json
//! {"password_hash": "$pbkdf2-sha256$i=5000,l=32$<salt>$<hash>",
//!  "grants": [{"repository": "team/*", "actions": ["pull", "push"]}],
//!  "admin": false}
//! ```
//!
//! An operator may write that value with `wrangler kv key put` (the `account` example prints
//! it), or an administrator may `POST /api/accounts`. `admin` accounts may do everything,
//! managing accounts included. Changes reach every location within KV's propagation delay
//! (a minute or so); a token already issued stays valid until it expires.

use serde::{Deserialize, Serialize};

use super::kv::{KeyValue, KvError};
use super::password;
use super::policy::{Grant, Policy};

/// Where accounts live in KV; the rest of the key is the account name.
pub const PREFIX: &str = "accounts/";
/// Longest account name accepted.
pub const MAX_NAME_LEN: usize = 64;

/// An account name: 1 to [`MAX_NAME_LEN`] letters, digits, `.`, `_`, `-` or `@`. No `:`
/// (Basic credentials split at the first one) and no `/` (it is the rest of a KV key).
pub fn check_name(name: &str) -> Result<(), String> {
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@');
    if name.is_empty() || name.len() > MAX_NAME_LEN || !name.chars().all(valid) {
        return Err(format!(
            "invalid account name {name:?}: 1 to {MAX_NAME_LEN} of letters, digits, '.', '_', \
             '-' and '@'"
        ));
    }
    Ok(())
}

/// What KV holds for an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    /// A PBKDF2 PHC string (see [`password`]).
    pub password_hash: String,
    #[serde(default)]
    pub grants: Vec<Grant>,
    /// Everything on every repository, and managing accounts.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
}

impl Account {
    /// An account whose password is hashed with [`password::DEFAULT_ROUNDS`].
    pub fn new(password: &str, grants: Vec<Grant>, admin: bool) -> Result<Self, String> {
        let password_hash = password::hash(password, password::DEFAULT_ROUNDS)?;
        Ok(Self { password_hash, grants, admin })
    }

    pub fn policy(&self) -> Policy {
        if self.admin { Policy::everything() } else { Policy::new(self.grants.clone()) }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountError {
    /// The name or the account is not acceptable; the text says why.
    Invalid(String),
    /// KV holds something under the account's key that is not an account.
    Corrupt {
        name: String,
        message: String,
    },
    Store(KvError),
}

impl std::fmt::Display for AccountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Invalid(message) => f.write_str(message),
            Self::Corrupt { name, message } => {
                write!(f, "the stored account {name:?} is unreadable: {message}")
            }
            Self::Store(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for AccountError {}

impl From<KvError> for AccountError {
    fn from(err: KvError) -> Self {
        Self::Store(err)
    }
}

/// The accounts in a key-value store.
pub struct Accounts<K> {
    kv: K,
}

impl<K: KeyValue> Accounts<K> {
    pub fn new(kv: K) -> Self {
        Self { kv }
    }

    fn key(name: &str) -> Result<String, AccountError> {
        check_name(name).map_err(AccountError::Invalid)?;
        Ok(format!("{PREFIX}{name}"))
    }

    /// `None` when there is no such account (or the name could not be one).
    pub async fn get(&self, name: &str) -> Result<Option<Account>, AccountError> {
        let Ok(key) = Self::key(name) else {
            return Ok(None);
        };
        let Some(text) = self.kv.get(&key).await? else {
            return Ok(None);
        };
        let account = serde_json::from_str(&text)
            .map_err(|e| AccountError::Corrupt { name: name.to_owned(), message: e.to_string() })?;
        Ok(Some(account))
    }

    /// Creates or replaces an account.
    pub async fn put(&self, name: &str, account: &Account) -> Result<(), AccountError> {
        let key = Self::key(name)?;
        password::check(&account.password_hash).map_err(AccountError::Invalid)?;
        let text = serde_json::to_string(account).expect("accounts serialise");
        Ok(self.kv.put(&key, &text).await?)
    }

    pub async fn delete(&self, name: &str) -> Result<(), AccountError> {
        Ok(self.kv.delete(&Self::key(name)?).await?)
    }

    /// One page of account names, in lexical order, after `cursor`.
    pub async fn names(
        &self,
        cursor: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), AccountError> {
        let page = self.kv.list(PREFIX, cursor).await?;
        let names = page.keys.iter().filter_map(|k| k.strip_prefix(PREFIX)).map(str::to_owned);
        Ok((names.collect(), page.cursor))
    }

    /// Whether at least one account is stored.
    pub async fn any(&self) -> Result<bool, AccountError> {
        Ok(!self.kv.list(PREFIX, None).await?.keys.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::kv::MemoryKv;
    use crate::auth::policy::Action;

    fn account() -> Account {
        let grants = vec![Grant::parse("team/*:pull,push").unwrap()];
        Account { password_hash: password::hash("pw", 1_000).unwrap(), grants, admin: false }
    }

    #[tokio::test]
    async fn accounts_round_trip_through_kv_as_documented_json() {
        let kv = MemoryKv::new();
        let accounts = Accounts::new(&kv);
        let alice = account();
        accounts.put("alice", &alice).await.unwrap();

        let stored = kv.get("accounts/alice").await.unwrap().unwrap();
        assert!(stored.contains(r#""grants":[{"repository":"team/*","actions":["pull","push"]}]"#));
        assert!(!stored.contains("admin"), "{stored}");
        assert_eq!(accounts.get("alice").await.unwrap(), Some(alice));
        assert_eq!(accounts.names(None).await.unwrap(), (vec!["alice".to_owned()], None));
        assert!(accounts.any().await.unwrap());

        accounts.delete("alice").await.unwrap();
        assert_eq!(accounts.get("alice").await.unwrap(), None);
        assert!(!accounts.any().await.unwrap());
    }

    #[tokio::test]
    async fn hand_written_values_are_checked() {
        let kv = MemoryKv::new();
        let accounts = Accounts::new(&kv);
        kv.put(
            "accounts/bob",
            r#"{"password_hash":"x","grants":[{"repository":"*","actions":["fly"]}]}"#,
        )
        .await
        .unwrap();
        assert!(matches!(accounts.get("bob").await, Err(AccountError::Corrupt { .. })));

        let bad_hash = Account { password_hash: "plain".into(), ..account() };
        assert!(matches!(accounts.put("bob", &bad_hash).await, Err(AccountError::Invalid(_))));
        assert!(matches!(accounts.put("a:b", &account()).await, Err(AccountError::Invalid(_))));
        assert!(matches!(accounts.put("a/b", &account()).await, Err(AccountError::Invalid(_))));
        assert_eq!(accounts.get("../x").await.unwrap(), None);
    }

    #[test]
    fn new_accounts_hash_with_the_default_rounds() {
        let account = Account::new("pw", vec![], false).unwrap();
        assert!(account.password_hash.starts_with("$pbkdf2-sha256$i=5000,l=32$"));
        assert_eq!(password::verify("pw", &account.password_hash), Ok(true));
    }

    #[test]
    fn an_admin_account_may_do_everything() {
        let admin = Account { admin: true, grants: vec![], ..account() };
        assert!(admin.policy().may(Action::Delete, "any/repo"));
        assert!(!account().policy().may(Action::Pull, "other/x"));
    }
}
