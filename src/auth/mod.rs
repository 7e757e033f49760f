//! Access control: accounts, the Docker registry token flow, and the check every request
//! passes.
//!
//! A request proves who it is with a token from `GET /token` (`Authorization: Bearer`), or
//! with plain Basic credentials, or not at all. [`Auth::authorize`] weighs that against the
//! scopes the request needs and answers with the caller ([`Principal`]) or a [`Denial`]: 401
//! with a challenge naming the scope to fetch a token for when credentials are missing or
//! wrong, 403 when the caller is known and may not (with a challenge when its token lacks
//! scopes it could get in another). [`Auth::issue_token`] answers `GET /token`, granting the
//! intersection of the requested scopes and the caller's rights.
//!
//! Who may do what comes from the operator: an administrator in the `ADMIN_*` secrets,
//! accounts in KV ([`account`]), anonymous pull where `ANONYMOUS_PULL` says ([`config`]). With
//! none of them configured nobody may push or delete, and refusals say how to add an account.

pub mod account;
pub mod challenge;
pub mod config;
pub mod credentials;
mod denial;
pub mod kv;
pub mod password;
pub mod policy;
mod principal;
pub mod scope;
pub mod token;

#[cfg(test)]
mod tests;

pub use self::account::{Account, Accounts};
pub use self::config::AuthConfig;
pub use self::credentials::Credentials;
pub use self::denial::{Denial, DenialKind};
pub use self::kv::{KeyValue, KvError, MemoryKv};
pub use self::policy::{Action, Actions, Grant, Pattern, Policy};
pub use self::principal::{Principal, Proof, Subject};
pub use self::scope::Scope;
pub use self::token::TokenResponse;

use http::HeaderMap;
use http::header::AUTHORIZATION;

use self::challenge::BearerError;
use self::token::{Access, Claims, SigningKey};

/// What refusals add when no account exists at all.
pub const NO_ACCOUNT_HINT: &str = "this registry has no account yet: set the ADMIN_USERNAME and \
    ADMIN_PASSWORD secrets (`npx wrangler secret put ADMIN_USERNAME`, then ADMIN_PASSWORD; \
    locally `make dev` writes them to .dev.vars) or add an account to KV (README, \"Access \
    control\")";

/// Anonymous tokens are signed with this when no key is configured. That is safe because an
/// anonymous token is always cut down to what anonymous callers may do anyway; a token naming
/// an account is refused when no key is configured.
const ANONYMOUS_ONLY_KEY: &[u8] = b"edge-registry: anonymous tokens only";

/// Access control for one request's origin. Cheap to build: a Worker builds one per request.
pub struct Auth<K> {
    config: AuthConfig,
    kv: K,
    origin: String,
    service: String,
}

/// Why a login failed, for the log; the client is only told that it failed.
enum LoginError {
    Rejected(String),
    Unavailable(account::AccountError),
}

impl<K: KeyValue> Auth<K> {
    /// `origin` is the registry's scheme and host as clients reach it
    /// (`https://registry.example`); the token realm is `<origin>/token` and the service (the
    /// audience of its tokens) is the host.
    pub fn new(config: AuthConfig, kv: K, origin: &str) -> Self {
        let origin = origin.trim_end_matches('/').to_owned();
        let host = origin.split_once("://").map_or(origin.as_str(), |(_, rest)| rest);
        let service = host.split('/').next().unwrap_or_default().to_owned();
        Self { config, kv, origin, service }
    }

    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The `service` of challenges and the audience of tokens.
    pub fn service(&self) -> &str {
        &self.service
    }

    /// The accounts in KV, for the administration endpoints.
    pub fn accounts(&self) -> Accounts<&K> {
        Accounts::new(&self.kv)
    }

    /// The `WWW-Authenticate` value asking for a token with `scopes`.
    pub fn challenge(&self, scopes: &[Scope]) -> String {
        challenge::bearer(&self.origin, &self.service, scopes, None)
    }

    /// Decides whether the request may have every scope of `required`. An empty `required`
    /// asks only for an authenticated caller (`/v2/`, `/api`): anonymous callers get a 401 with
    /// a challenge that names no scope, which is how clients learn to log in.
    pub async fn authorize(
        &self,
        headers: &HeaderMap,
        required: &[Scope],
    ) -> Result<Principal, Denial> {
        // A header that is not visible ASCII cannot be credentials.
        let header = headers.get(AUTHORIZATION).map(|v| v.to_str().unwrap_or("\u{1}"));
        let credentials = Credentials::parse(header).map_err(|why| {
            Denial::unauthorized(why, self.challenge(required), format!("authorization: {why}"))
        })?;

        let principal = match credentials {
            Credentials::None => Principal::anonymous(self.config.anonymous.clone()),
            Credentials::Basic { username, password } => {
                match self.login(&username, &password).await {
                    Ok(principal) => principal,
                    Err(err) => return Err(self.login_failed(err, self.challenge(required)).await),
                }
            }
            Credentials::Bearer(token) => self.bearer(&token, required).await?,
        };

        let missing: Vec<&Scope> = required.iter().filter(|s| !principal.allows(s)).collect();
        let bare_anonymous = required.is_empty() && principal.proof == Proof::None;
        if missing.is_empty() && !bare_anonymous {
            return Ok(principal);
        }
        Err(self.refuse(&principal, required, &missing).await)
    }

    /// Answers `GET /token`: a token for the caller of `authorization` (Basic credentials, or
    /// none for an anonymous token) granting, of `scopes`, what the caller may have. A scope
    /// the caller may not have at all is left out, not refused: the request it was for will be
    /// refused instead, with a status that says why.
    pub async fn issue_token(
        &self,
        authorization: Option<&str>,
        scopes: &[Scope],
        service: Option<&str>,
    ) -> Result<TokenResponse, Denial> {
        let basic = challenge::basic(&self.origin);
        if let Some(service) = service.filter(|s| *s != self.service) {
            return Err(Denial::forbidden(format!(
                "this registry's service is {:?}, not {service:?}",
                self.service
            )));
        }

        let credentials = Credentials::parse(authorization).map_err(|why| {
            Denial::unauthorized(why, basic.clone(), format!("token request: {why}"))
        })?;
        let principal = match credentials {
            Credentials::None => Principal::anonymous(self.config.anonymous.clone()),
            Credentials::Basic { username, password } => {
                match self.login(&username, &password).await {
                    Ok(principal) => principal,
                    Err(err) => return Err(self.login_failed(err, basic).await),
                }
            }
            Credentials::Bearer(_) => {
                let why = "the token endpoint takes Basic credentials, not a token";
                return Err(Denial::unauthorized(why, basic, why));
            }
        };

        let granted = grant(&principal, scopes);
        let key = match (self.config.signing_key(), principal.is_anonymous()) {
            (Some(key), _) => key,
            (None, true) => SigningKey::new(ANONYMOUS_ONLY_KEY),
            (None, false) => {
                return Err(Denial::forbidden(
                    "this registry cannot sign tokens: set the TOKEN_SECRET secret \
                     (`openssl rand -base64 32 | npx wrangler secret put TOKEN_SECRET`)",
                ));
            }
        };

        let now = now_secs();
        let claims = Claims {
            iss: token::ISSUER.to_owned(),
            sub: principal.name().unwrap_or_default().to_owned(),
            aud: self.service.clone(),
            exp: now + self.config.token_ttl_secs,
            nbf: now,
            iat: now,
            jti: password::random_secret(12).map_err(Denial::unavailable)?,
            access: granted.iter().map(Access::from_scope).collect(),
        };
        let token = token::sign(&key, &claims);
        Ok(TokenResponse {
            access_token: token.clone(),
            token,
            expires_in: self.config.token_ttl_secs,
            issued_at: token::rfc3339(now),
        })
    }

    /// Checks Basic credentials: the configured administrator first, then KV. An unknown name
    /// costs as much as a wrong password, so timing does not tell which names exist.
    async fn login(&self, username: &str, password: &str) -> Result<Principal, LoginError> {
        let shown: String = username.chars().take(account::MAX_NAME_LEN).collect();
        if let Some(admin) = &self.config.admin {
            if admin.matches(username, password) {
                let subject = Subject::Admin(admin.username.clone());
                return Ok(Principal::new(subject, Proof::Basic, Policy::everything(), true));
            }
            if admin.username == username {
                return Err(LoginError::Rejected(format!(
                    "login failed for {shown:?}: wrong password"
                )));
            }
        }

        let account = match self.accounts().get(username).await {
            Ok(account) => account,
            Err(account::AccountError::Corrupt { name, message }) => {
                password::spend(password);
                return Err(LoginError::Rejected(format!(
                    "login failed for {name:?}: stored account unreadable: {message}"
                )));
            }
            Err(err) => return Err(LoginError::Unavailable(err)),
        };
        let Some(account) = account else {
            password::spend(password);
            return Err(LoginError::Rejected(format!(
                "login failed for {shown:?}: no such account"
            )));
        };
        match password::verify(password, &account.password_hash) {
            Ok(true) => {
                let subject = Subject::Account(username.to_owned());
                Ok(Principal::new(subject, Proof::Basic, account.policy(), account.admin))
            }
            Ok(false) => {
                Err(LoginError::Rejected(format!("login failed for {shown:?}: wrong password")))
            }
            Err(why) => Err(LoginError::Rejected(format!("login failed for {shown:?}: {why}"))),
        }
    }

    /// The refusal of a failed login: the client learns only that it failed (and how to add an
    /// account when there is none), the log learns why.
    async fn login_failed(&self, err: LoginError, challenge: String) -> Denial {
        let reason = match err {
            LoginError::Rejected(reason) => reason,
            LoginError::Unavailable(err) => return Denial::unavailable(err),
        };
        let mut message = "incorrect username or password".to_owned();
        if let Some(hint) = self.setup_hint().await {
            message = format!("{message}; {hint}");
        }
        Denial::unauthorized(message, challenge, reason)
    }

    /// The holder of a bearer token, with what the token grants.
    async fn bearer(&self, token: &str, required: &[Scope]) -> Result<Principal, Denial> {
        let refused = |why: String| {
            let challenge = challenge::bearer(
                &self.origin,
                &self.service,
                required,
                Some(BearerError::InvalidToken),
            );
            Denial::unauthorized(why.clone(), challenge, format!("token refused: {why}"))
        };
        let configured = self.config.signing_key();
        let key = configured.clone().unwrap_or_else(|| SigningKey::new(ANONYMOUS_ONLY_KEY));
        let claims = token::verify(&key, token, &self.service, now_secs())
            .map_err(|e| refused(e.to_string()))?;

        let scopes = claims.scopes();
        let subject = match &self.config.admin {
            _ if claims.sub.is_empty() => Subject::Anonymous,
            _ if configured.is_none() => {
                return Err(refused(token::TokenError::Signature.to_string()));
            }
            Some(admin) if admin.username == claims.sub => Subject::Admin(claims.sub),
            _ => Subject::Account(claims.sub),
        };

        if subject == Subject::Anonymous {
            // Whatever an anonymous token says, it grants no more than anonymous pull does now.
            let anonymous = Principal::anonymous(self.config.anonymous.clone());
            let mut principal = Principal::from_scopes(subject, &grant(&anonymous, &scopes));
            if required.contains(&Scope::Catalog) && principal.allows(&Scope::Catalog) {
                principal = principal.with_listing(&anonymous);
            }
            return Ok(principal);
        }

        let principal = Principal::from_scopes(subject, &scopes);
        if required.contains(&Scope::Catalog) && principal.allows(&Scope::Catalog) {
            let full = self.principal_of(&principal.subject).await?;
            return Ok(principal.with_listing(&full));
        }
        Ok(principal)
    }

    /// Everything `subject` may do, as configured now.
    async fn principal_of(&self, subject: &Subject) -> Result<Principal, Denial> {
        let anonymous = || Principal::anonymous(self.config.anonymous.clone());
        Ok(match subject {
            Subject::Anonymous => anonymous(),
            Subject::Admin(_) => {
                Principal::new(subject.clone(), Proof::Basic, Policy::everything(), true)
            }
            Subject::Account(name) => match self.accounts().get(name).await {
                Ok(Some(account)) => {
                    Principal::new(subject.clone(), Proof::Basic, account.policy(), account.admin)
                }
                Ok(None) | Err(account::AccountError::Corrupt { .. }) => {
                    Principal::new(subject.clone(), Proof::Basic, Policy::default(), false)
                }
                Err(err) => return Err(Denial::unavailable(err)),
            },
        })
    }

    /// The refusal of a request that lacks `missing` of `required`.
    async fn refuse(
        &self,
        principal: &Principal,
        required: &[Scope],
        missing: &[&Scope],
    ) -> Denial {
        let wanted: Vec<String> = missing.iter().map(|s| describe(principal, s)).collect();
        let wanted = wanted.join(", ");

        if principal.is_anonymous() {
            let mut message = if required.is_empty() {
                "authentication required".to_owned()
            } else {
                format!("authentication required to {wanted}")
            };
            if let Some(hint) = self.setup_hint().await {
                message = format!("{message}; {hint}");
            }
            let reason = format!(
                "anonymous caller lacks {}",
                if wanted.is_empty() { "a login" } else { &wanted }
            );
            return Denial::unauthorized(message, self.challenge(required), reason);
        }

        if principal.proof == Proof::Bearer {
            // A token for other scopes, of a caller who may have these: 403 with a challenge
            // naming them (RFC 6750 section 3.1), so that the client fetches another token.
            // Docker and containers/image ask for every scope they need up front; oras-py
            // fetches a new token on a 403 only.
            let full = match self.principal_of(&principal.subject).await {
                Ok(full) => full,
                Err(denial) => return denial,
            };
            if missing.iter().all(|s| full.allows(s)) {
                let challenge = challenge::bearer(
                    &self.origin,
                    &self.service,
                    required,
                    Some(BearerError::InsufficientScope),
                );
                let message = format!("the token does not grant {wanted}");
                return Denial {
                    challenge: Some(challenge),
                    reason: format!("{principal}: {message}"),
                    ..Denial::forbidden(message)
                };
            }
        }
        Denial::forbidden(format!("{principal} may not {wanted}"))
    }

    /// [`NO_ACCOUNT_HINT`] when no administrator is configured and KV holds no account.
    async fn setup_hint(&self) -> Option<&'static str> {
        if self.config.admin.is_some() {
            return None;
        }
        matches!(self.accounts().any().await, Ok(false)).then_some(NO_ACCOUNT_HINT)
    }
}

/// Of `requested`, what `principal` may have: repository actions cut down to its rights
/// (scopes left with none dropped), the catalog and administration if it has them.
pub fn grant(principal: &Principal, requested: &[Scope]) -> Vec<Scope> {
    let mut granted = Vec::new();
    for scope in requested {
        let scope = match scope {
            Scope::Repository { name, actions } => {
                let actions = actions.intersection(principal.allowed(name));
                if actions.is_empty() {
                    continue;
                }
                Scope::repository(name, actions)
            }
            other if principal.allows(other) => other.clone(),
            _ => continue,
        };
        scope::merge(&mut granted, scope);
    }
    granted
}

/// `push on team/app`, `the catalog`, for refusals.
fn describe(principal: &Principal, scope: &Scope) -> String {
    match scope {
        Scope::Repository { name, actions } => {
            let lacking = principal.allowed(name).missing(*actions);
            format!("{lacking} on {name}")
        }
        Scope::Catalog => "list the catalog".to_owned(),
        Scope::Admin => "administer the registry".to_owned(),
    }
}

/// Seconds since the Unix epoch.
fn now_secs() -> u64 {
    web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
