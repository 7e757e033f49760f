//! `/api/accounts`: administrators manage the accounts kept in KV.
//!
//! - `GET /api/accounts?cursor=`: account names, up to 1,000 a page, and the next page's cursor.
//! - `GET /api/accounts/<name>`: an account's grants and whether it is an administrator.
//! - `POST /api/accounts` with `{"name", "password"?, "grants": [{"repository", "actions"}],
//!   "admin"?}`: creates or replaces an account. Without a password one is generated and
//!   answered, once.
//! - `DELETE /api/accounts/<name>`: removes an account.
//!
//! KV is eventually consistent: a change is seen at once where it was made, and within about a
//! minute everywhere else. Tokens already issued stay valid until they expire.

use futures::StreamExt;
use http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::errors::{ApiError, ErrorCode};
use super::reply::Reply;
use super::{Request, query_param};
use crate::auth::account::AccountError;
use crate::auth::{Account, Auth, Grant, KeyValue, password};

pub const PATH: &str = "/api/accounts";
/// Largest request body accepted.
const MAX_BODY: usize = 64 * 1024;
/// Shortest password an administrator may set; generated ones are 40 characters.
const MIN_PASSWORD_LEN: usize = 12;

/// Whether `path` is one of this module's.
pub fn matches(path: &str) -> bool {
    path == PATH || path.strip_prefix(PATH).is_some_and(|rest| rest.starts_with('/'))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAccount {
    name: String,
    password: Option<String>,
    #[serde(default)]
    grants: Vec<Grant>,
    #[serde(default)]
    admin: bool,
}

/// Answers an account request; the caller was admitted as an administrator.
pub async fn handle<K: KeyValue, B>(
    auth: &Auth<K>,
    request: Request,
) -> Result<Reply<B>, ApiError> {
    let name = request.path.strip_prefix(PATH).unwrap_or_default().trim_matches('/').to_owned();
    let accounts = auth.accounts();
    match (request.method.clone(), name.is_empty()) {
        (Method::GET, true) => {
            let cursor = query_param(&request, "cursor");
            let (names, cursor) = accounts.names(cursor.as_deref()).await.map_err(error)?;
            Ok(json(StatusCode::OK, &json!({ "accounts": names, "cursor": cursor })))
        }
        (Method::GET, false) => {
            let account =
                accounts.get(&name).await.map_err(error)?.ok_or_else(|| unknown(&name))?;
            let body = json!({ "name": name, "grants": account.grants, "admin": account.admin });
            Ok(json(StatusCode::OK, &body))
        }
        (Method::POST, true) => create(auth, request).await,
        (Method::DELETE, false) => {
            if accounts.get(&name).await.map_err(error)?.is_none() {
                return Err(unknown(&name));
            }
            accounts.delete(&name).await.map_err(error)?;
            Ok(Reply::new(StatusCode::NO_CONTENT).with_length(0))
        }
        (method, _) => {
            Err(ApiError::new(ErrorCode::MethodNotAllowed, format!("{method} on {}", request.path)))
        }
    }
}

async fn create<K: KeyValue, B>(
    auth: &Auth<K>,
    mut request: Request,
) -> Result<Reply<B>, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = request.body.next().await {
        let chunk = chunk.map_err(|message| invalid(format!("the body broke off: {message}")))?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_BODY {
            return Err(invalid(format!("an account is at most {MAX_BODY} bytes of JSON")));
        }
    }
    let new: NewAccount =
        serde_json::from_slice(&bytes).map_err(|e| invalid(format!("not an account: {e}")))?;
    if auth.config().admin.as_ref().is_some_and(|admin| admin.username == new.name) {
        return Err(invalid(format!(
            "{:?} is the administrator of ADMIN_USERNAME; an account of that name could never log in",
            new.name
        )));
    }

    let (secret, generated) = match new.password {
        Some(secret) if secret.chars().count() < MIN_PASSWORD_LEN => {
            return Err(invalid(format!("a password has at least {MIN_PASSWORD_LEN} characters")));
        }
        Some(secret) => (secret, false),
        None => (password::random_password().map_err(internal)?, true),
    };
    let account = Account::new(&secret, new.grants, new.admin).map_err(internal)?;
    auth.accounts().put(&new.name, &account).await.map_err(error)?;

    let mut body = json!({ "name": new.name, "grants": account.grants, "admin": account.admin });
    if generated {
        body["password"] = secret.into();
    }
    Ok(json(StatusCode::CREATED, &body))
}

fn json<B>(status: StatusCode, body: &serde_json::Value) -> Reply<B> {
    Reply::json(status, body.to_string()).header(http::header::CACHE_CONTROL, "no-store")
}

fn unknown(name: &str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, format!("no account {name:?}"))
}

fn invalid(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameters, message)
}

fn internal(cause: String) -> ApiError {
    ApiError {
        cause: Some(cause),
        ..ApiError::new(ErrorCode::Internal, "the account was not saved")
    }
}

fn error(err: AccountError) -> ApiError {
    match err {
        AccountError::Invalid(message) => invalid(message),
        other => internal(other.to_string()),
    }
}
