//! HTTP: routing, one module per OCI resource, and the one place errors become responses.

pub mod access;
pub mod accounts;
pub mod console;
pub mod errors;
pub mod gc;
pub mod http;
pub mod log;
pub mod route;
pub mod token;

mod blobs;
mod listing;
mod manifests;
mod referrers;
mod reply;
mod uploads;

pub use self::http::{Body, BodyStream, Request, Response};
pub use self::log::LogFields;

use ::http::{Method, StatusCode};

use self::errors::{ApiError, ErrorCode};
use self::reply::Reply;
use self::route::Route;
use crate::auth::{Auth, KeyValue, Scope};
use crate::registry::Registry;
use crate::storage::ObjectStore;

/// Answers one request; also returns the fields of its log line. Every request but `/token`
/// passes [`access`] first: its credentials are checked against what it needs.
pub async fn handle<S: ObjectStore, K: KeyValue>(
    registry: &Registry<S>,
    auth: &Auth<K>,
    mut request: Request,
) -> (Response<S::Body>, LogFields) {
    let mut log = LogFields::new(request.method.as_str(), &request.path);
    let result = match Route::parse(&request.path) {
        None if request.path == token::PATH => {
            log.route = "token";
            token::handle(auth, &request).await
        }
        None if accounts::matches(&request.path) => {
            log.route = "accounts";
            async {
                access::admit(auth, &mut request, &[Scope::Admin]).await?;
                accounts::handle(auth, request).await
            }
            .await
        }
        None if request.path == gc::PATH => {
            log.route = "gc";
            async {
                access::admit(auth, &mut request, &[]).await?;
                gc::handle(registry, &request).await
            }
            .await
        }
        None if request.path.starts_with(console::PREFIX) => {
            async {
                let required = console::required(&request.path);
                access::admit(auth, &mut request, &required).await?;
                console::handle(registry, &request, &mut log).await
            }
            .await
        }
        None => Err(ApiError::new(ErrorCode::NotFound, "not a registry path")),
        Some(Err(err)) => Err(err),
        Some(Ok(route)) => {
            log.route = route.label();
            log.repository = route.repository().map(ToString::to_string);
            log.reference = route.reference().map(str::to_owned);
            let required = access::required(&route, &request.method);
            async {
                access::admit(auth, &mut request, &required).await?;
                dispatch(registry, route, request).await
            }
            .await
        }
    };
    let response = match result {
        Ok(reply) => reply.into_response(),
        Err(err) => {
            log.error = Some(match &err.cause {
                Some(cause) => format!("{}: {cause}", err.message),
                None => err.message.clone(),
            });
            Reply::error(&err).into_response()
        }
    };
    log.status = response.status.as_u16();
    (response, log)
}

async fn dispatch<S: ObjectStore>(
    registry: &Registry<S>,
    route: Route,
    request: Request,
) -> Result<Reply<S::Body>, ApiError> {
    let method = request.method.clone();
    match (route, method) {
        (Route::Base, Method::GET | Method::HEAD) => Ok(Reply::json(StatusCode::OK, "{}".into())),
        (Route::Catalog, Method::GET) => listing::catalog(registry, &request).await,
        (Route::Tags(name), Method::GET) => listing::tags(registry, &name, &request).await,
        (Route::Manifest(name, reference), method) => {
            manifests::handle(registry, &name, &reference, method, request).await
        }
        (Route::Blob(name, digest), method) => {
            blobs::handle(registry, &name, &digest, method, &request).await
        }
        (Route::Uploads(name), Method::POST) => uploads::start(registry, &name, request).await,
        (Route::Upload(name, id), method) => {
            uploads::handle(registry, &name, &id, method, request).await
        }
        (Route::Referrers(name, digest), Method::GET) => {
            referrers::list(registry, &name, &digest, &request).await
        }
        (_, method) => {
            Err(ApiError::new(ErrorCode::MethodNotAllowed, format!("{method} is not allowed here")))
        }
    }
}

/// The answer when the Worker's own setup is broken (bindings, configuration); the cause goes
/// to the log, not to the client.
pub fn misconfigured<B>() -> Response<B> {
    let err = ApiError::new(ErrorCode::Internal, "the registry is misconfigured; see its log");
    Reply::error(&err).into_response()
}

/// The value of query parameter `key`, percent-decoded.
pub(crate) fn query_param(request: &Request, key: &str) -> Option<String> {
    form_urlencoded::parse(request.query.as_bytes())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}
