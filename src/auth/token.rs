//! Registry tokens: JWTs signed with HMAC-SHA256, carrying the Docker registry token claims
//! (`access: [{type, name, actions}]`).
//!
//! Clients treat a token as opaque and only hand it back, so only this registry reads them;
//! a shared secret (HS256) is enough and costs one SHA-256 per request to check. The check is
//! strict: the header must say HS256 (no `none`, no algorithm chosen by the token), the
//! signature is compared in constant time before the claims are read, and the issuer,
//! audience and validity window must all hold.

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::policy::Actions;
use super::scope::Scope;
use crate::oci::RepoName;

/// The `iss` of every token this registry signs.
pub const ISSUER: &str = "edge-registry";
/// Longer tokens are refused unread.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;
/// How far ahead of its `nbf` a token is still accepted (clocks of two locations may differ).
const CLOCK_SKEW_SECS: u64 = 30;
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// The HMAC key tokens are signed with. `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey(Vec<u8>);

impl SigningKey {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length; this cannot fail.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0).expect("HMAC accepts any key length")
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

/// One entry of a token's `access` claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

impl Access {
    pub fn from_scope(scope: &Scope) -> Self {
        let (kind, name, actions) = match scope {
            Scope::Repository { name, actions } => {
                ("repository", name.to_string(), actions.iter().map(|a| a.to_string()).collect())
            }
            Scope::Catalog => ("registry", "catalog".to_owned(), vec!["*".to_owned()]),
            Scope::Admin => ("registry", "admin".to_owned(), vec!["*".to_owned()]),
        };
        Self { kind: kind.to_owned(), name, actions }
    }

    /// The scope this entry grants; `None` for entries this registry never signs.
    pub fn to_scope(&self) -> Option<Scope> {
        let text = format!("{}:{}:{}", self.kind, self.name, self.actions.join(","));
        Scope::parse(&text).ok().flatten()
    }
}

/// The claims of a registry token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The account name; empty for an anonymous caller.
    pub sub: String,
    /// The service the token is for (the registry's host).
    pub aud: String,
    pub exp: u64,
    pub nbf: u64,
    pub iat: u64,
    pub jti: String,
    #[serde(default)]
    pub access: Vec<Access>,
}

impl Claims {
    /// The scopes the token grants, repository entries merged by name.
    pub fn scopes(&self) -> Vec<Scope> {
        let mut scopes = Vec::new();
        for scope in self.access.iter().filter_map(Access::to_scope) {
            super::scope::merge(&mut scopes, scope);
        }
        scopes
    }

    /// The actions the token grants on `name`.
    pub fn actions_on(&self, name: &RepoName) -> Actions {
        self.scopes().iter().fold(Actions::NONE, |set, scope| match scope {
            Scope::Repository { name: n, actions } if n == name => set.union(*actions),
            _ => set,
        })
    }
}

/// Why a token was refused. The text is safe to show the client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    Algorithm,
    Signature,
    Expired,
    NotYetValid,
    Issuer,
    Audience,
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Malformed => "the token is not a registry token",
            Self::Algorithm => "the token is not signed with HS256",
            Self::Signature => "the token's signature does not match",
            Self::Expired => "the token has expired",
            Self::NotYetValid => "the token is not valid yet",
            Self::Issuer => "the token was issued by someone else",
            Self::Audience => "the token is for another service",
        })
    }
}

impl std::error::Error for TokenError {}

/// `<header>.<claims>.<signature>`, each part URL-safe base64 without padding.
pub fn sign(key: &SigningKey, claims: &Claims) -> String {
    let claims = serde_json::to_vec(claims).expect("claims serialise");
    let mut token = Base64UrlUnpadded::encode_string(HEADER.as_bytes());
    token.push('.');
    token.push_str(&Base64UrlUnpadded::encode_string(&claims));

    let mut mac = key.mac();
    mac.update(token.as_bytes());
    let signature = mac.finalize().into_bytes();
    token.push('.');
    token.push_str(&Base64UrlUnpadded::encode_string(&signature));
    token
}

/// Checks a token's algorithm, signature, issuer, audience and validity window at `now`
/// (seconds since the Unix epoch), and returns its claims.
pub fn verify(
    key: &SigningKey,
    token: &str,
    audience: &str,
    now: u64,
) -> Result<Claims, TokenError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(TokenError::Malformed);
    }
    let mut parts = token.split('.');
    let (Some(header_part), Some(claims_part), Some(signature_part), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed);
    };

    let header: serde_json::Value =
        serde_json::from_slice(&decode(header_part)?).map_err(|_| TokenError::Malformed)?;
    if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") || header.get("crit").is_some() {
        return Err(TokenError::Algorithm);
    }

    let mut mac = key.mac();
    mac.update(&token.as_bytes()[..header_part.len() + 1 + claims_part.len()]);
    mac.verify_slice(&decode(signature_part)?).map_err(|_| TokenError::Signature)?;

    let claims: Claims =
        serde_json::from_slice(&decode(claims_part)?).map_err(|_| TokenError::Malformed)?;
    if claims.iss != ISSUER {
        return Err(TokenError::Issuer);
    }
    if claims.aud != audience {
        return Err(TokenError::Audience);
    }
    if now >= claims.exp {
        return Err(TokenError::Expired);
    }
    if now + CLOCK_SKEW_SECS < claims.nbf {
        return Err(TokenError::NotYetValid);
    }
    Ok(claims)
}

fn decode(part: &str) -> Result<Vec<u8>, TokenError> {
    Base64UrlUnpadded::decode_vec(part).map_err(|_| TokenError::Malformed)
}

/// The answer of `GET /token`. `token` and `access_token` are the same: Docker reads the
/// first, OAuth2 clients the second.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    pub token: String,
    pub access_token: String,
    pub expires_in: u64,
    /// RFC 3339, UTC.
    pub issued_at: String,
}

/// `1970-01-01T00:00:00Z` for seconds since the Unix epoch.
pub fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::policy::Action;

    const NOW: u64 = 1_700_000_000;

    fn claims() -> Claims {
        let name = RepoName::parse("team/app").unwrap();
        Claims {
            iss: ISSUER.into(),
            sub: "alice".into(),
            aud: "registry.example".into(),
            exp: NOW + 300,
            nbf: NOW,
            iat: NOW,
            jti: "j1".into(),
            access: vec![
                Access::from_scope(&Scope::repository(&name, Actions::of(&[Action::Pull]))),
                Access::from_scope(&Scope::Catalog),
            ],
        }
    }

    fn key() -> SigningKey {
        SigningKey::new(b"0123456789abcdef0123456789abcdef".to_vec())
    }

    #[test]
    fn a_signed_token_verifies_and_keeps_its_claims() {
        let token = sign(&key(), &claims());
        assert_eq!(verify(&key(), &token, "registry.example", NOW + 10), Ok(claims()));
        let name = RepoName::parse("team/app").unwrap();
        assert_eq!(claims().actions_on(&name), Actions::of(&[Action::Pull]));
        assert!(claims().scopes().contains(&Scope::Catalog));
    }

    #[test]
    fn expired_and_premature_tokens_are_refused() {
        let token = sign(&key(), &claims());
        assert_eq!(verify(&key(), &token, "registry.example", NOW + 300), Err(TokenError::Expired));
        let early = NOW - CLOCK_SKEW_SECS - 1;
        assert_eq!(verify(&key(), &token, "registry.example", early), Err(TokenError::NotYetValid));
    }

    #[test]
    fn tampered_tokens_are_refused() {
        let token = sign(&key(), &claims());
        let other_key = SigningKey::new(b"another key".to_vec());
        assert_eq!(verify(&other_key, &token, "registry.example", NOW), Err(TokenError::Signature));

        // Claims rewritten to grant push, signature kept.
        let mut forged = claims();
        forged.access[0].actions.push("push".into());
        let forged_claims = Base64UrlUnpadded::encode_string(&serde_json::to_vec(&forged).unwrap());
        let parts: Vec<&str> = token.split('.').collect();
        let tampered = format!("{}.{forged_claims}.{}", parts[0], parts[2]);
        assert_eq!(verify(&key(), &tampered, "registry.example", NOW), Err(TokenError::Signature));

        for bad in ["", "a.b", "a.b.c.d", "!!.??.##", &token[..token.len() - 3]] {
            assert!(verify(&key(), bad, "registry.example", NOW).is_err(), "{bad}");
        }
    }

    #[test]
    fn unsigned_and_foreign_algorithm_tokens_are_refused() {
        let none = Base64UrlUnpadded::encode_string(br#"{"alg":"none","typ":"JWT"}"#);
        let body = Base64UrlUnpadded::encode_string(&serde_json::to_vec(&claims()).unwrap());
        let unsigned = format!("{none}.{body}.");
        assert_eq!(verify(&key(), &unsigned, "registry.example", NOW), Err(TokenError::Algorithm));
    }

    #[test]
    fn tokens_for_another_service_or_issuer_are_refused() {
        let token = sign(&key(), &claims());
        assert_eq!(verify(&key(), &token, "other.example", NOW), Err(TokenError::Audience));
        let foreign = sign(&key(), &Claims { iss: "someone".into(), ..claims() });
        assert_eq!(verify(&key(), &foreign, "registry.example", NOW), Err(TokenError::Issuer));
    }

    #[test]
    fn issued_at_is_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
