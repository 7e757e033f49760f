//! The one place tests get their credentials: the secrets the registry under test is started
//! with (the launcher's bindings, or the in-process [`AuthConfig`]), and the administrator every
//! test client authenticates as unless a test says otherwise.
//!
//! A test that wants another caller passes its own `authorization` header; an empty one sends
//! none, as an anonymous client would.

use edge_registry::auth::{AuthConfig, Credentials};

pub const ADMIN_USERNAME: &str = "admin";
pub const ADMIN_PASSWORD: &str = "test-admin-password-0123456789";
pub const TOKEN_SECRET: &str = "test-token-secret-0123456789abcdef0123456789";

/// The registry's access-control secrets, as `(binding, value)`.
pub fn vars() -> Vec<(String, String)> {
    let secrets = [
        ("ADMIN_USERNAME", ADMIN_USERNAME),
        ("ADMIN_PASSWORD", ADMIN_PASSWORD),
        ("TOKEN_SECRET", TOKEN_SECRET),
    ];
    secrets.into_iter().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}

/// The administrator's `(user, password)`, for real clients' `--creds`.
pub fn admin() -> (String, String) {
    (ADMIN_USERNAME.to_owned(), ADMIN_PASSWORD.to_owned())
}

/// The in-process registry's access control, with `extra` bindings (e.g. `ANONYMOUS_PULL`).
pub fn config(extra: &[(&str, &str)]) -> AuthConfig {
    let mut vars = vars();
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let var = |name: &str| vars.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    AuthConfig::from_vars(var).expect("the test secrets are valid")
}

/// `Basic …` for `user`.
pub fn basic(user: &str, password: &str) -> String {
    Credentials::basic_header(user, password)
}

/// The headers a test client sends: `headers`, with the administrator's Basic credentials added
/// unless they carry an `authorization` of their own (an empty one is dropped: no credentials).
pub fn with_credentials(headers: &[(&str, &str)]) -> Vec<(String, String)> {
    let own = headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("authorization"));
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, value)| !(name.eq_ignore_ascii_case("authorization") && value.is_empty()))
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    if !own {
        out.push(("authorization".into(), basic(ADMIN_USERNAME, ADMIN_PASSWORD)));
    }
    out
}
