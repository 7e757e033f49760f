//! The one place tests get their credentials: the secrets the registry under test is started
//! with (the launcher's bindings, or the in-process [`AuthConfig`]), read from `.dev.vars` as
//! `make dev` reads them, and the administrator every test client authenticates as unless a test
//! says otherwise.
//!
//! A test that wants another caller passes its own `authorization` header; an empty one sends
//! none, as an anonymous client would.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use edge_registry::auth::{AuthConfig, Credentials};

/// The secrets of `.dev.vars`, the file `make dev` keeps the local administrator in: the tests
/// log in as the developer does. A checkout without one gets it from the script `make dev` runs.
fn dev_vars() -> &'static [(String, String)] {
    static VARS: OnceLock<Vec<(String, String)>> = OnceLock::new();
    VARS.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let file = root.join(".dev.vars");
        if !file.exists() {
            let status = Command::new("node")
                .arg(root.join("scripts/dev-vars.mjs"))
                .stdout(std::process::Stdio::null())
                .status()
                .expect("node runs scripts/dev-vars.mjs");
            assert!(status.success(), "scripts/dev-vars.mjs failed: {status}");
        }
        let text = std::fs::read_to_string(&file).expect(".dev.vars is readable");
        let vars: Vec<(String, String)> = text
            .lines()
            .filter_map(|line| line.split_once('='))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        for name in ["ADMIN_USERNAME", "ADMIN_PASSWORD", "TOKEN_SECRET"] {
            assert!(vars.iter().any(|(k, _)| k == name), ".dev.vars lacks {name}");
        }
        vars
    })
}

fn dev_var(name: &str) -> &'static str {
    let (_, value) = dev_vars().iter().rev().find(|(k, _)| k == name).expect("checked on load");
    value
}

pub fn admin_username() -> &'static str {
    dev_var("ADMIN_USERNAME")
}

pub fn admin_password() -> &'static str {
    dev_var("ADMIN_PASSWORD")
}

pub fn token_secret() -> &'static str {
    dev_var("TOKEN_SECRET")
}

/// The registry's access-control secrets, as `(binding, value)`.
pub fn vars() -> Vec<(String, String)> {
    ["ADMIN_USERNAME", "ADMIN_PASSWORD", "TOKEN_SECRET"]
        .into_iter()
        .map(|name| (name.to_owned(), dev_var(name).to_owned()))
        .collect()
}

/// The administrator's `(user, password)`, for real clients' `--creds`.
pub fn admin() -> (String, String) {
    (admin_username().to_owned(), admin_password().to_owned())
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
        out.push(("authorization".into(), basic(admin_username(), admin_password())));
    }
    out
}
