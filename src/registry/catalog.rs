//! The catalog of repositories: one marker object per repository that holds a manifest.

use super::listing::{Names, list_names};
use super::{Registry, Result};
use crate::oci::RepoName;
use crate::storage::{ObjectStore, PutOptions, paths};

impl<S: ObjectStore> Registry<S> {
    /// Lists repository names in lexical order: at most `n`, after `last`.
    pub async fn list_repositories(&self, last: Option<&str>, n: Option<usize>) -> Result<Names> {
        Ok(list_names(&self.store, paths::CATALOG, last, n).await?)
    }

    pub(crate) async fn add_repository(&self, name: &RepoName) -> Result<()> {
        self.store.put(&paths::catalog_entry(name), Vec::new(), PutOptions::default()).await?;
        Ok(())
    }

    pub(crate) async fn repository_exists(&self, name: &RepoName) -> Result<bool> {
        Ok(self.store.head(&paths::catalog_entry(name)).await?.is_some())
    }
}
