//! `/api/gc`: garbage collection on demand, and its last report for the dashboard.
//!
//! - `POST /api/gc` starts a run, or continues the one in progress, and answers its report.
//!   Query: `dry_run=true` reports what would be removed and removes nothing;
//!   `delete_untagged=true` deletes unreachable untagged manifests first (for a run it starts);
//!   `max_operations=N` bounds the storage operations of this request.
//! - `GET /api/gc` answers the last saved report, or 404 before the first run.

use http::{Method, StatusCode};

use super::errors::{ApiError, ErrorCode};
use super::reply::Reply;
use super::{Request, query_param};
use crate::auth::{Action, Principal};
use crate::registry::Registry;
use crate::registry::gc::GcOptions;
use crate::storage::ObjectStore;

pub const PATH: &str = "/api/gc";

/// The one place that decides who may collect garbage: an account allowed to delete in every
/// repository. Anonymous callers are asked to sign in; other accounts are refused.
fn authorize(request: &Request) -> Result<(), ApiError> {
    if request.may_everywhere(Action::Delete) {
        return Ok(());
    }
    let anonymous = request.principal.as_ref().is_none_or(Principal::is_anonymous);
    let code = if anonymous { ErrorCode::Unauthorized } else { ErrorCode::Denied };
    Err(ApiError::new(code, "collecting garbage needs delete on every repository"))
}

pub async fn handle<S: ObjectStore>(
    registry: &Registry<S>,
    request: &Request,
) -> Result<Reply<S::Body>, ApiError> {
    authorize(request)?;
    match request.method {
        Method::POST => {
            let report = registry.collect_garbage(options(request)?).await?;
            Ok(json(&report))
        }
        Method::GET => match registry.last_gc_report().await? {
            Some(report) => Ok(json(&report)),
            None => Err(ApiError::new(ErrorCode::NotFound, "no collection has run yet")),
        },
        ref other => {
            Err(ApiError::new(ErrorCode::MethodNotAllowed, format!("{other} is not allowed here")))
        }
    }
}

fn options(request: &Request) -> Result<GcOptions, ApiError> {
    let flag = |name: &str| match query_param(request, name).as_deref() {
        None | Some("false" | "0") => Ok(false),
        Some("" | "true" | "1") => Ok(true),
        Some(other) => Err(invalid(format!("{name} must be true or false, not {other:?}"))),
    };
    let mut options = GcOptions {
        dry_run: flag("dry_run")?,
        delete_untagged: flag("delete_untagged")?,
        ..GcOptions::default()
    };
    if let Some(value) = query_param(request, "max_operations") {
        options.max_operations = match value.parse::<u64>() {
            Ok(n) if n > 0 => n,
            _ => {
                return Err(invalid(format!(
                    "max_operations must be a positive count, not {value:?}"
                )));
            }
        };
    }
    Ok(options)
}

fn invalid(message: String) -> ApiError {
    ApiError::new(ErrorCode::InvalidParameters, message)
}

fn json<B, T: serde::Serialize>(value: &T) -> Reply<B> {
    let body = serde_json::to_string(value).expect("a report serializes");
    Reply::json(StatusCode::OK, body)
}
