//! The `WWW-Authenticate` challenges of refusals: where to get a token, and for what.

use super::scope::Scope;

/// Why a bearer token was not enough (RFC 6750 section 3.1): `invalid_token` (401) asks for
/// credentials again, `insufficient_scope` (403) for a token with the scopes named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BearerError {
    InvalidToken,
    InsufficientScope,
}

impl BearerError {
    fn as_str(self) -> &'static str {
        match self {
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        }
    }
}

/// `Bearer realm="<origin>/token",service="<service>",scope="<scope> <scope>"`; the scope is
/// left out when the request needs none in particular (`/v2/`).
pub fn bearer(origin: &str, service: &str, scopes: &[Scope], error: Option<BearerError>) -> String {
    let mut header = format!(
        "Bearer realm=\"{}\",service=\"{}\"",
        quote(&format!("{origin}/token")),
        quote(service)
    );
    if !scopes.is_empty() {
        let scopes: Vec<String> = scopes.iter().map(Scope::to_string).collect();
        header.push_str(&format!(",scope=\"{}\"", quote(&scopes.join(" "))));
    }
    if let Some(error) = error {
        header.push_str(&format!(",error=\"{}\"", error.as_str()));
    }
    header
}

/// `Basic realm="<origin>/token"`: the token endpoint's own challenge, for a login that failed.
pub fn basic(origin: &str) -> String {
    format!("Basic realm=\"{}\",charset=\"UTF-8\"", quote(&format!("{origin}/token")))
}

/// Escapes a quoted-string's `"` and `\` (RFC 9110 section 5.6.4).
fn quote(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::policy::{Action, Actions};
    use crate::oci::RepoName;

    #[test]
    fn a_challenge_names_the_scope_the_request_needs() {
        let name = RepoName::parse("team/app").unwrap();
        let scope = Scope::repository(&name, Actions::of(&[Action::Pull, Action::Push]));
        assert_eq!(
            bearer("https://r.example", "r.example", &[scope], None),
            "Bearer realm=\"https://r.example/token\",service=\"r.example\",\
             scope=\"repository:team/app:pull,push\""
        );
    }

    #[test]
    fn the_base_challenge_has_no_scope() {
        assert_eq!(
            bearer("http://127.0.0.1:8787", "127.0.0.1:8787", &[], None),
            "Bearer realm=\"http://127.0.0.1:8787/token\",service=\"127.0.0.1:8787\""
        );
    }

    #[test]
    fn several_scopes_share_one_parameter_and_errors_are_named() {
        let header = bearer(
            "https://r",
            "r",
            &[Scope::Catalog, Scope::Admin],
            Some(BearerError::InsufficientScope),
        );
        assert!(header.ends_with(
            ",scope=\"registry:catalog:* registry:admin:*\",error=\"insufficient_scope\""
        ));
        assert_eq!(bearer("a\"b", "s", &[], None), "Bearer realm=\"a\\\"b/token\",service=\"s\"");
    }
}
