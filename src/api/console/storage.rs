//! `GET /api/info` and `GET /api/storage`.

use serde::Serialize;

use super::{json, may_administer, param};
use crate::api::Request;
use crate::api::errors::{ApiError, ErrorCode};
use crate::api::reply::Reply;
use crate::auth::Action;
use crate::oci::RepoName;
use crate::registry::Registry;
use crate::registry::gc::GcReport;
use crate::registry::inventory::StorageUsage;
use crate::storage::ObjectStore;

/// Listing pages of 1,000 keys one call of `/api/storage` reads: a bucket of a million keys
/// takes fifty calls, each a second or two.
const STORAGE_PAGES: usize = 20;

#[derive(Serialize)]
struct Info {
    version: &'static str,
    /// The account signed in; `null` for an anonymous caller.
    account: Option<String>,
    /// Deletes are switched on (`DELETE_ENABLED`).
    delete_enabled: bool,
    /// What this caller's credentials allow.
    actions: Actions,
}

#[derive(Serialize)]
struct Actions {
    delete: bool,
    collect_garbage: bool,
    storage_overview: bool,
}

#[derive(Serialize)]
struct Usage {
    usage: StorageUsage,
    /// Pass as `cursor` for the next stretch; `null` once the whole bucket is counted.
    cursor: Option<String>,
    /// On the first call only: the report of the last collection, if one ran.
    last_collection: Option<GcReport>,
}

/// `?repository=<name>` asks whether the caller may delete there; without it, whether the caller
/// may delete somewhere. Both are `false` while deletes are switched off.
pub(super) fn info<S: ObjectStore>(
    registry: &Registry<S>,
    request: &Request,
) -> Result<Reply<S::Body>, ApiError> {
    let repository = match param(request, "repository") {
        None => None,
        Some(name) => {
            Some(RepoName::parse(&name).map_err(|e| ApiError::new(ErrorCode::NameInvalid, e.0))?)
        }
    };
    let delete_enabled = registry.config().delete_enabled;
    let may_delete = match &repository {
        Some(name) => request.may(Action::Delete, name),
        None => request.may_somewhere(Action::Delete),
    };
    let admin = may_administer(request);
    Ok(json(&Info {
        version: env!("CARGO_PKG_VERSION"),
        account: request.principal.as_ref().and_then(|p| p.name()).map(str::to_owned),
        delete_enabled,
        actions: Actions {
            delete: delete_enabled && may_delete,
            collect_garbage: admin,
            storage_overview: admin,
        },
    }))
}

pub(super) async fn usage<S: ObjectStore>(
    registry: &Registry<S>,
    request: &Request,
) -> Result<Reply<S::Body>, ApiError> {
    if !may_administer(request) {
        return Err(ApiError::new(ErrorCode::Denied, "the storage overview is for administrators"));
    }
    // The cursor is the last key counted, hex-encoded: opaque to clients, and no key text in URLs.
    let after = match param(request, "cursor") {
        None => None,
        Some(cursor) => Some(
            hex::decode(&cursor).ok().and_then(|bytes| String::from_utf8(bytes).ok()).ok_or_else(
                || ApiError::new(ErrorCode::InvalidParameters, "cursor is not one this API gave"),
            )?,
        ),
    };

    let page = registry.storage_usage(after.as_deref(), STORAGE_PAGES).await?;
    let cursor = page.next.map(hex::encode);
    Ok(json(&Usage { usage: page.usage, cursor, last_collection: page.last_collection }))
}
