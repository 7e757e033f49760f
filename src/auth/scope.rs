//! Scopes: what a request needs and what a token grants, in the Docker token format
//! (`repository:<name>:<actions>`, `registry:catalog:*`).

use std::fmt;

use super::policy::Actions;
use crate::oci::RepoName;

/// One thing a request needs, or a token request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// `repository:<name>:<actions>`
    Repository { name: RepoName, actions: Actions },
    /// `registry:catalog:*`: list repositories (the answer shows only those the caller may pull).
    Catalog,
    /// `registry:admin:*`: manage accounts through `/api`; administrators only.
    Admin,
}

impl Scope {
    pub fn repository(name: &RepoName, actions: Actions) -> Self {
        Self::Repository { name: name.clone(), actions }
    }

    /// Reads one scope. `Ok(None)` for a well-formed scope of a kind this registry does not
    /// grant (`repository(plugin):…`, `registry:other:*`): such a scope is granted nothing.
    pub fn parse(text: &str) -> Result<Option<Self>, String> {
        let malformed = || format!("scope {text:?} must read <type>:<name>:<actions>");
        let (kind, rest) = text.split_once(':').ok_or_else(malformed)?;
        let (name, actions) = rest.rsplit_once(':').ok_or_else(malformed)?;
        match kind {
            "repository" => {
                let name = RepoName::parse(name).map_err(|e| format!("scope {text:?}: {e}"))?;
                Ok(Some(Self::Repository { name, actions: Actions::parse_list(actions) }))
            }
            "registry" => Ok(match name {
                "catalog" => Some(Self::Catalog),
                "admin" => Some(Self::Admin),
                _ => None,
            }),
            _ => Ok(None),
        }
    }

    /// Reads every scope of the `scope` parameters of a token request. Each value may hold
    /// several scopes separated by spaces; scopes on the same repository are merged.
    pub fn parse_all<'a>(values: impl IntoIterator<Item = &'a str>) -> Result<Vec<Self>, String> {
        let mut scopes: Vec<Scope> = Vec::new();
        for text in values.into_iter().flat_map(str::split_whitespace) {
            let Some(scope) = Self::parse(text)? else {
                continue;
            };
            merge(&mut scopes, scope);
        }
        Ok(scopes)
    }
}

/// Adds `scope` to `scopes`, uniting its actions with an entry for the same repository.
pub(crate) fn merge(scopes: &mut Vec<Scope>, scope: Scope) {
    if let Scope::Repository { name, actions } = &scope {
        for existing in scopes.iter_mut() {
            if let Scope::Repository { name: n, actions: a } = existing
                && n == name
            {
                *a = a.union(*actions);
                return;
            }
        }
    }
    if !scopes.contains(&scope) {
        scopes.push(scope);
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Repository { name, actions } => write!(f, "repository:{name}:{actions}"),
            Self::Catalog => f.write_str("registry:catalog:*"),
            Self::Admin => f.write_str("registry:admin:*"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::policy::Action;

    fn repo(name: &str, actions: &[Action]) -> Scope {
        Scope::Repository { name: RepoName::parse(name).unwrap(), actions: Actions::of(actions) }
    }

    #[test]
    fn scopes_read_and_write_the_docker_format() {
        let scope = Scope::parse("repository:team/app:pull,push").unwrap().unwrap();
        assert_eq!(scope, repo("team/app", &[Action::Pull, Action::Push]));
        assert_eq!(scope.to_string(), "repository:team/app:pull,push");
        assert_eq!(Scope::parse("registry:catalog:*").unwrap(), Some(Scope::Catalog));
        assert_eq!(Scope::Catalog.to_string(), "registry:catalog:*");
        assert_eq!(Scope::parse("repository:a:*").unwrap(), Some(repo("a", &Action::ALL)));
    }

    #[test]
    fn foreign_scope_kinds_are_skipped_and_malformed_ones_refused() {
        assert_eq!(Scope::parse("repository(plugin):x:pull").unwrap(), None);
        assert_eq!(Scope::parse("registry:other:*").unwrap(), None);
        assert!(Scope::parse("repository:Bad:pull").is_err());
        assert!(Scope::parse("repository:pull").is_err());
        assert!(Scope::parse("nonsense").is_err());
    }

    #[test]
    fn several_scopes_in_several_parameters_merge_by_repository() {
        let scopes = Scope::parse_all([
            "repository:a:pull repository:b:pull",
            "repository:a:push",
            "registry:catalog:*",
            "registry:catalog:*",
        ])
        .unwrap();
        assert_eq!(
            scopes,
            vec![
                repo("a", &[Action::Pull, Action::Push]),
                repo("b", &[Action::Pull]),
                Scope::Catalog
            ]
        );
    }
}
