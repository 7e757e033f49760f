//! `GET /api/repositories`, `/api/repositories/<name>` and `/api/repositories/<name>/_tags`.

use serde::Serialize;

use super::{authorize_pull, json, may_pull, page_size, param};
use crate::api::Request;
use crate::api::errors::ApiError;
use crate::api::reply::Reply;
use crate::oci::RepoName;
use crate::registry::Registry;
use crate::registry::inventory::{RepositorySummary, TagRow};
use crate::storage::ObjectStore;

/// Repositories a page holds by default and at most: each costs three listings or more.
const REPOSITORIES_PAGE: usize = 20;
const MAX_REPOSITORIES_PAGE: usize = 50;
/// Listing pages each of a summary's three listings reads in a list (up to 5,000 tags, 5,000
/// revision keys, 500 blob links); past them the summary says it is incomplete.
const LIST_SUMMARY_PAGES: usize = 5;
/// The same for a single repository's summary.
const SUMMARY_PAGES: usize = 50;
/// Tags a page holds by default and at most.
const TAGS_PAGE: usize = 50;
const MAX_TAGS_PAGE: usize = 100;

#[derive(Serialize)]
struct RepositoryList {
    repositories: Vec<RepositorySummary>,
    /// Pass as `last` for the next page; `null` at the end.
    next: Option<String>,
}

#[derive(Serialize)]
struct TagList<'a> {
    name: &'a str,
    tags: Vec<TagRow>,
    next: Option<String>,
}

/// `?q=` keeps the names containing it; `n` and `last` page as the catalog does.
pub(super) async fn list<S: ObjectStore>(
    registry: &Registry<S>,
    request: &Request,
) -> Result<Reply<S::Body>, ApiError> {
    let n = page_size(request, REPOSITORIES_PAGE, MAX_REPOSITORIES_PAGE)?;
    let filter = param(request, "q").unwrap_or_default();
    let last = param(request, "last");

    let visible = |name: &RepoName| may_pull(request, name);
    let page = registry
        .repository_summaries(&filter, last.as_deref(), n, LIST_SUMMARY_PAGES, visible)
        .await?;
    Ok(json(&RepositoryList { repositories: page.repositories, next: page.next }))
}

pub(super) async fn summary<S: ObjectStore>(
    registry: &Registry<S>,
    request: &Request,
    name: &RepoName,
) -> Result<Reply<S::Body>, ApiError> {
    authorize_pull(request, name)?;
    let summary = registry.repository_summary(name, SUMMARY_PAGES).await?;
    Ok(json(&summary))
}

pub(super) async fn tags<S: ObjectStore>(
    registry: &Registry<S>,
    request: &Request,
    name: &RepoName,
) -> Result<Reply<S::Body>, ApiError> {
    authorize_pull(request, name)?;
    let n = page_size(request, TAGS_PAGE, MAX_TAGS_PAGE)?;
    let last = param(request, "last");

    let page = registry.tag_rows(name, last.as_deref(), n).await?;
    let next = if page.more { page.tags.last().map(|t| t.name.clone()) } else { None };
    Ok(json(&TagList { name: name.as_str(), tags: page.tags, next }))
}
