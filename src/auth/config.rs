//! Access-control settings, read from the Worker's secrets and variables.
//!
//! | name | kind | meaning |
//! |---|---|---|
//! | `ADMIN_USERNAME`, `ADMIN_PASSWORD` | secrets | an administrator: every action everywhere |
//! | `TOKEN_SECRET` | secret | the key registry tokens are signed with |
//! | `ANONYMOUS_PULL` | variable | comma-separated repository patterns anyone may pull |
//! | `TOKEN_TTL_SECONDS` | variable | how long a token lives (default 900) |
//!
//! Without `TOKEN_SECRET` the signing key is derived from `ADMIN_PASSWORD` with PBKDF2 (so
//! changing the password revokes every token); without either, only anonymous tokens exist.

use std::cell::RefCell;
use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::account::check_name;
use super::password::DEFAULT_ROUNDS;
use super::policy::{Actions, Grant, Pattern, Policy};
use super::token::SigningKey;

/// Shortest `ADMIN_PASSWORD` accepted: the administrator is compared with no hash rounds to
/// slow guessing, so its password must be hard to guess on its own.
pub const MIN_ADMIN_PASSWORD_LEN: usize = 16;
/// Shortest `TOKEN_SECRET` accepted (`openssl rand -base64 32` gives 44 characters).
pub const MIN_TOKEN_SECRET_LEN: usize = 32;
/// Default token lifetime: long enough for a slow push between two token fetches.
pub const DEFAULT_TOKEN_TTL_SECS: u64 = 900;

/// The administrator the operator configured. `Debug` does not show the password.
#[derive(Clone)]
pub struct Admin {
    pub username: String,
    password: String,
}

impl Admin {
    /// Whether the credentials are this administrator's, compared in constant time.
    pub fn matches(&self, username: &str, password: &str) -> bool {
        let digest = |s: &str| Sha256::digest(s.as_bytes());
        let name = digest(username).ct_eq(&digest(&self.username));
        let secret = digest(password).ct_eq(&digest(&self.password));
        (name & secret).into()
    }
}

impl fmt::Debug for Admin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Admin({:?}, <password>)", self.username)
    }
}

/// Where the token signing key comes from.
#[derive(Clone, PartialEq, Eq)]
enum KeySource {
    Secret(String),
    AdminPassword { username: String, password: String },
    None,
}

#[derive(Clone)]
pub struct AuthConfig {
    pub admin: Option<Admin>,
    /// What anyone may do without credentials: pull where `ANONYMOUS_PULL` says.
    pub anonymous: Policy,
    pub token_ttl_secs: u64,
    key: KeySource,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("admin", &self.admin)
            .field("anonymous", &self.anonymous)
            .field("token_ttl_secs", &self.token_ttl_secs)
            .field("key", &self.key_description())
            .finish()
    }
}

impl Default for AuthConfig {
    /// Safe by default: no administrator, no anonymous access, no signing key.
    fn default() -> Self {
        Self {
            admin: None,
            anonymous: Policy::default(),
            token_ttl_secs: DEFAULT_TOKEN_TTL_SECS,
            key: KeySource::None,
        }
    }
}

impl AuthConfig {
    /// Reads the settings through `var`; a set but invalid value is an error naming it.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let set = |name: &str| var(name).filter(|v| !v.trim().is_empty());

        let admin = match (set("ADMIN_USERNAME"), set("ADMIN_PASSWORD")) {
            (None, None) => None,
            (Some(username), Some(password)) => {
                let username = username.trim().to_owned();
                check_name(&username).map_err(|e| format!("ADMIN_USERNAME: {e}"))?;
                if password.chars().count() < MIN_ADMIN_PASSWORD_LEN {
                    return Err(format!(
                        "ADMIN_PASSWORD must be at least {MIN_ADMIN_PASSWORD_LEN} characters"
                    ));
                }
                Some(Admin { username, password })
            }
            _ => return Err("set both ADMIN_USERNAME and ADMIN_PASSWORD, or neither".into()),
        };

        let mut anonymous = Policy::default();
        if let Some(patterns) = set("ANONYMOUS_PULL") {
            for pattern in patterns.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let pattern =
                    Pattern::parse(pattern).map_err(|e| format!("ANONYMOUS_PULL: {e}"))?;
                anonymous.push(Grant::new(pattern, Actions::of(&[super::Action::Pull])));
            }
        }

        let token_ttl_secs = match set("TOKEN_TTL_SECONDS") {
            None => DEFAULT_TOKEN_TTL_SECS,
            Some(ttl) => match ttl.trim().parse::<u64>() {
                Ok(n) if (60..=86_400).contains(&n) => n,
                _ => {
                    return Err(format!("TOKEN_TTL_SECONDS must be 60 to 86400, not {ttl:?}"));
                }
            },
        };

        let key = match (set("TOKEN_SECRET"), &admin) {
            (Some(secret), _) if secret.len() < MIN_TOKEN_SECRET_LEN => {
                return Err(format!(
                    "TOKEN_SECRET must be at least {MIN_TOKEN_SECRET_LEN} characters \
                     (try `openssl rand -base64 32`)"
                ));
            }
            (Some(secret), _) => KeySource::Secret(secret),
            (None, Some(admin)) => KeySource::AdminPassword {
                username: admin.username.clone(),
                password: admin.password.clone(),
            },
            (None, None) => KeySource::None,
        };
        Ok(Self { admin, anonymous, token_ttl_secs, key })
    }

    /// The key tokens are signed and checked with; `None` when nothing to derive one from is
    /// configured. A key derived from `ADMIN_PASSWORD` is computed once per isolate.
    pub fn signing_key(&self) -> Option<SigningKey> {
        match &self.key {
            KeySource::Secret(secret) => Some(SigningKey::new(secret.as_bytes())),
            KeySource::AdminPassword { username, password } => {
                Some(derived_key(username, password))
            }
            KeySource::None => None,
        }
    }

    /// Where the signing key comes from, for the log (never the key itself).
    pub fn key_description(&self) -> &'static str {
        match self.key {
            KeySource::Secret(_) => "tokens are signed with TOKEN_SECRET",
            KeySource::AdminPassword { .. } => {
                "tokens are signed with a key derived from ADMIN_PASSWORD (set TOKEN_SECRET to \
                 keep tokens valid across password changes)"
            }
            KeySource::None => "no TOKEN_SECRET nor ADMIN_PASSWORD: only anonymous tokens",
        }
    }
}

thread_local! {
    /// The last derived key, by the SHA-256 of what it was derived from. A Worker isolate runs
    /// one request at a time on one thread, so this is a per-isolate cache.
    static DERIVED: RefCell<Option<([u8; 32], SigningKey)>> = const { RefCell::new(None) };
}

/// PBKDF2-HMAC-SHA256 of the administrator's password, salted with a fixed label and the
/// administrator's name, at the rounds of account passwords: a token then allows guessing the
/// password no faster than a stored account hash would.
fn derived_key(username: &str, password: &str) -> SigningKey {
    let mut id = Sha256::new();
    id.update(username.as_bytes());
    id.update([0]);
    id.update(password.as_bytes());
    let id: [u8; 32] = id.finalize().into();

    DERIVED.with(|cache| {
        if let Some((cached_id, key)) = &*cache.borrow()
            && *cached_id == id
        {
            return key.clone();
        }
        let salt = format!("edge-registry token signing key v1\0{username}");
        let mut key = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(
            password.as_bytes(),
            salt.as_bytes(),
            DEFAULT_ROUNDS,
            &mut key,
        );
        let key = SigningKey::new(key.to_vec());
        *cache.borrow_mut() = Some((id, key.clone()));
        key
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::policy::Action;

    fn config(vars: &[(&str, &str)]) -> Result<AuthConfig, String> {
        let vars: Vec<(String, String)> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        AuthConfig::from_vars(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    const PASSWORD: &str = "a-long-admin-password";

    #[test]
    fn nothing_configured_means_no_admin_no_anonymous_access_no_key() {
        let c = config(&[]).unwrap();
        assert!(c.admin.is_none());
        assert!(c.anonymous.is_empty());
        assert!(c.signing_key().is_none());
        assert_eq!(c.token_ttl_secs, DEFAULT_TOKEN_TTL_SECS);
    }

    #[test]
    fn the_admin_needs_both_secrets_and_a_long_password() {
        assert!(config(&[("ADMIN_USERNAME", "admin")]).is_err());
        assert!(config(&[("ADMIN_PASSWORD", PASSWORD)]).is_err());
        let short = config(&[("ADMIN_USERNAME", "admin"), ("ADMIN_PASSWORD", "short")]);
        assert!(short.unwrap_err().contains("at least 16"));
        assert!(config(&[("ADMIN_USERNAME", "a:b"), ("ADMIN_PASSWORD", PASSWORD)]).is_err());

        let c = config(&[("ADMIN_USERNAME", "admin"), ("ADMIN_PASSWORD", PASSWORD)]).unwrap();
        let admin = c.admin.as_ref().unwrap();
        assert!(admin.matches("admin", PASSWORD));
        assert!(!admin.matches("admin", "a-long-admin-passworD"));
        assert!(!admin.matches("root", PASSWORD));
        assert!(!format!("{c:?}").contains(PASSWORD));
    }

    #[test]
    fn anonymous_pull_lists_patterns_for_pull_only() {
        let c = config(&[("ANONYMOUS_PULL", "public/*, library/alpine,")]).unwrap();
        assert!(c.anonymous.may(Action::Pull, "public/x"));
        assert!(c.anonymous.may(Action::Pull, "library/alpine"));
        assert!(!c.anonymous.may(Action::Push, "public/x"));
        assert!(!c.anonymous.may(Action::Pull, "private/x"));
        assert!(config(&[("ANONYMOUS_PULL", "Public/*")]).is_err());
    }

    #[test]
    fn the_signing_key_is_the_secret_or_derived_from_the_admin_password() {
        let secret = "s".repeat(MIN_TOKEN_SECRET_LEN);
        let c = config(&[("TOKEN_SECRET", &secret)]).unwrap();
        assert_eq!(c.signing_key(), Some(SigningKey::new(secret.as_bytes())));
        assert!(config(&[("TOKEN_SECRET", "short")]).is_err());

        let admin = [("ADMIN_USERNAME", "admin"), ("ADMIN_PASSWORD", PASSWORD)];
        let derived = config(&admin).unwrap().signing_key().unwrap();
        assert_eq!(config(&admin).unwrap().signing_key().unwrap(), derived, "stable");
        assert_ne!(derived, SigningKey::new(PASSWORD.as_bytes()));
        let other = [("ADMIN_USERNAME", "admin"), ("ADMIN_PASSWORD", "another-long-password")];
        assert_ne!(config(&other).unwrap().signing_key().unwrap(), derived);
        assert!(config(&admin).unwrap().key_description().contains("derived from ADMIN_PASSWORD"));
    }

    #[test]
    fn token_lifetime_is_bounded() {
        assert_eq!(config(&[("TOKEN_TTL_SECONDS", "300")]).unwrap().token_ttl_secs, 300);
        assert!(config(&[("TOKEN_TTL_SECONDS", "5")]).is_err());
        assert!(config(&[("TOKEN_TTL_SECONDS", "forever")]).is_err());
    }
}
