//! The caller of a request, once authenticated, and what it may do.

use std::fmt;

use super::policy::{Action, Actions, Grant, Pattern, Policy};
use super::scope::Scope;
use crate::oci::RepoName;

/// Who the caller is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subject {
    Anonymous,
    /// The administrator of `ADMIN_USERNAME`.
    Admin(String),
    /// An account stored in KV.
    Account(String),
}

/// How the caller proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proof {
    None,
    Basic,
    Bearer,
}

/// An authenticated caller and its rights for this request.
///
/// With Basic credentials the rights are the account's whole policy; with a token they are
/// what the token grants (its scopes, already cut down to the account's rights when issued).
#[derive(Clone, Debug)]
pub struct Principal {
    pub subject: Subject,
    pub proof: Proof,
    rights: Policy,
    catalog: bool,
    admin: bool,
}

impl Principal {
    pub(crate) fn new(subject: Subject, proof: Proof, rights: Policy, admin: bool) -> Self {
        Self { subject, proof, rights, catalog: true, admin }
    }

    /// Someone without credentials: what anonymous pull allows, and the catalog of that.
    pub(crate) fn anonymous(policy: Policy) -> Self {
        let catalog = !policy.is_empty();
        Self {
            subject: Subject::Anonymous,
            proof: Proof::None,
            rights: policy,
            catalog,
            admin: false,
        }
    }

    /// The holder of a token granting `scopes`.
    pub(crate) fn from_scopes(subject: Subject, scopes: &[Scope]) -> Self {
        let mut rights = Policy::default();
        for scope in scopes {
            if let Scope::Repository { name, actions } = scope {
                rights.push(Grant::new(Pattern::exact(name.as_str()), *actions));
            }
        }
        Self {
            subject,
            proof: Proof::Bearer,
            rights,
            catalog: scopes.contains(&Scope::Catalog),
            admin: scopes.contains(&Scope::Admin),
        }
    }

    /// Adds pull rights for listing: a token grants the catalog, the caller's whole rights
    /// (`full`) decide which repositories it shows.
    pub(crate) fn with_listing(mut self, full: &Principal) -> Self {
        for grant in full.rights.only(Actions::of(&[Action::Pull])).grants() {
            self.rights.push(grant.clone());
        }
        self
    }

    /// The account name; `None` for an anonymous caller.
    pub fn name(&self) -> Option<&str> {
        match &self.subject {
            Subject::Anonymous => None,
            Subject::Admin(name) | Subject::Account(name) => Some(name),
        }
    }

    pub fn is_anonymous(&self) -> bool {
        self.subject == Subject::Anonymous
    }

    /// Whether the caller may manage accounts (`/api`).
    pub fn is_admin(&self) -> bool {
        self.admin
    }

    /// What the caller may do on `repository`.
    pub fn allowed(&self, repository: &RepoName) -> Actions {
        self.rights.allowed(repository.as_str())
    }

    /// Whether the caller may do `action` on `repository`: filters `_catalog` (pull), decides
    /// whether a cross-repository mount may read its source (pull).
    pub fn may(&self, action: Action, repository: &RepoName) -> bool {
        self.allowed(repository).contains(action)
    }

    /// Whether the caller may do `action` on every repository, present and future: an
    /// administrator, or an account granted `action` on `*` (e.g. to collect garbage).
    pub fn may_everywhere(&self, action: Action) -> bool {
        self.admin
            || self
                .rights
                .grants()
                .iter()
                .any(|g| g.repository.as_str() == "*" && g.actions.contains(action))
    }

    /// Whether the caller may do `action` on at least one repository pattern.
    pub fn may_somewhere(&self, action: Action) -> bool {
        self.admin || self.rights.grants().iter().any(|g| g.actions.contains(action))
    }

    pub fn allows(&self, scope: &Scope) -> bool {
        match scope {
            Scope::Repository { name, actions } => self.allowed(name).covers(*actions),
            Scope::Catalog => self.catalog,
            Scope::Admin => self.admin,
        }
    }
}

impl fmt::Display for Principal {
    /// The caller in a log line: its name, or `anonymous`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name().unwrap_or("anonymous"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> RepoName {
        RepoName::parse(s).unwrap()
    }

    #[test]
    fn a_token_principal_has_exactly_its_scopes() {
        let pull = Actions::of(&[Action::Pull]);
        let p = Principal::from_scopes(
            Subject::Account("alice".into()),
            &[Scope::repository(&name("team/app"), pull), Scope::Catalog],
        );
        assert!(p.may(Action::Pull, &name("team/app")));
        assert!(!p.may(Action::Push, &name("team/app")));
        assert!(!p.may(Action::Pull, &name("team/app2")));
        assert!(p.allows(&Scope::Catalog));
        assert!(!p.is_admin());

        assert!(!p.may_everywhere(Action::Pull));

        let policy = Policy::new(vec![Grant::parse("team/*:pull,push").unwrap()]);
        let full = Principal::new(Subject::Account("alice".into()), Proof::Basic, policy, false);
        let p = p.with_listing(&full);
        assert!(p.may(Action::Pull, &name("team/db")));
        assert!(!p.may(Action::Push, &name("team/db")), "listing adds pull only");
    }

    #[test]
    fn everywhere_means_the_star_pattern_or_an_administrator() {
        let account = |grants: &[&str], admin| {
            let policy = Policy::new(grants.iter().map(|g| Grant::parse(g).unwrap()).collect());
            Principal::new(Subject::Account("a".into()), Proof::Basic, policy, admin)
        };
        assert!(account(&["*:delete"], false).may_everywhere(Action::Delete));
        assert!(!account(&["*:pull", "team/*:delete"], false).may_everywhere(Action::Delete));
        assert!(account(&[], true).may_everywhere(Action::Delete));
    }

    #[test]
    fn anonymous_callers_see_a_catalog_only_where_something_is_public() {
        assert!(!Principal::anonymous(Policy::default()).allows(&Scope::Catalog));
        let public = Policy::new(vec![Grant::parse("public/*:pull").unwrap()]);
        let p = Principal::anonymous(public);
        assert!(p.allows(&Scope::Catalog));
        assert_eq!(p.to_string(), "anonymous");
        assert_eq!(p.name(), None);
    }
}
