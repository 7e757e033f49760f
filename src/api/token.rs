//! `GET /token`: the token endpoint of the Docker registry token flow.
//!
//! Query: `service` (must be this registry's) and any number of `scope` parameters, each with
//! one or more space-separated scopes (`repository:team/app:pull,push`). Basic credentials
//! give the caller's token; no credentials give an anonymous one. The token grants, of the
//! requested scopes, what the caller may have.

use http::header::{AUTHORIZATION, CACHE_CONTROL};
use http::{Method, StatusCode};

use super::errors::{ApiError, ErrorCode};
use super::reply::Reply;
use super::{Request, query_param};
use crate::auth::{Auth, KeyValue, Scope};

pub const PATH: &str = "/token";

pub async fn handle<K: KeyValue, B>(
    auth: &Auth<K>,
    request: &Request,
) -> Result<Reply<B>, ApiError> {
    if request.method != Method::GET {
        let method = &request.method;
        return Err(ApiError::new(ErrorCode::MethodNotAllowed, format!("{method} on {PATH}")));
    }

    let values: Vec<String> = form_urlencoded::parse(request.query.as_bytes())
        .filter(|(key, _)| key == "scope")
        .map(|(_, value)| value.into_owned())
        .collect();
    let scopes = Scope::parse_all(values.iter().map(String::as_str))
        .map_err(|message| ApiError::new(ErrorCode::NameInvalid, message))?;
    let service = query_param(request, "service");

    let authorization = request.header_str(AUTHORIZATION.as_str());
    let token = auth.issue_token(authorization, &scopes, service.as_deref()).await?;
    let body = serde_json::to_string(&token).expect("a token response serializes");
    Ok(Reply::json(StatusCode::OK, body).header(CACHE_CONTROL, "no-store"))
}
