//! Who may do what: actions, repository name patterns, and the grants that pair them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Something done to a repository.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    /// Read manifests, blobs, tags and referrers; list the repository in the catalog.
    Pull,
    /// Upload blobs, write manifests and tags, mount blobs into the repository.
    Push,
    /// Delete manifests, tags and blobs.
    Delete,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Pull, Action::Push, Action::Delete];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::Push => "push",
            Self::Delete => "delete",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == word)
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of [`Action`]s. Serialised as a list of names (`["pull","push"]`).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Actions(u8);

impl Actions {
    pub const NONE: Actions = Actions(0);
    pub const ALL: Actions = Actions(0b111);

    pub fn of(actions: &[Action]) -> Self {
        Self(actions.iter().fold(0, |bits, a| bits | a.bit()))
    }

    /// Reads `pull,push` (the action list of a scope); `*` means every action. Words that name
    /// no action are skipped: a client asking for more than exists is granted what exists.
    pub fn parse_list(list: &str) -> Self {
        list.split(',').map(str::trim).fold(Self::NONE, |set, word| match word {
            "*" => Self::ALL,
            word => Action::parse(word).map_or(set, |a| set.with(a)),
        })
    }

    pub fn with(self, action: Action) -> Self {
        Self(self.0 | action.bit())
    }

    pub fn contains(self, action: Action) -> bool {
        self.0 & action.bit() != 0
    }

    /// Whether every action of `other` is in this set.
    pub fn covers(self, other: Actions) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn union(self, other: Actions) -> Self {
        Self(self.0 | other.0)
    }

    pub fn intersection(self, other: Actions) -> Self {
        Self(self.0 & other.0)
    }

    /// The actions of `other` missing from this set.
    pub fn missing(self, other: Actions) -> Self {
        Self(other.0 & !self.0)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.contains(*a))
    }
}

impl fmt::Display for Actions {
    /// `pull,push`, the form scopes use.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let words: Vec<&str> = self.iter().map(Action::as_str).collect();
        f.write_str(&words.join(","))
    }
}

impl fmt::Debug for Actions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{self}]")
    }
}

impl Serialize for Actions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(Action::as_str))
    }
}

impl<'de> Deserialize<'de> for Actions {
    /// Unlike a scope, a stored grant must name real actions: a typo is an error, not nothing.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let words = Vec::<String>::deserialize(deserializer)?;
        words.iter().try_fold(Self::NONE, |set, word| match word.as_str() {
            "*" => Ok(Self::ALL),
            word => Action::parse(word).map(|a| set.with(a)).ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown action {word:?}: expected pull, push, delete or *"
                ))
            }),
        })
    }
}

/// A set of repository names: `*` (every repository), a prefix ending in `*` (`team/*` is
/// every repository under `team/`, at any depth, but not `team` itself), or one exact name.
///
/// Only the last character may be `*`; the rest uses the characters of repository names.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Pattern(String);

impl Pattern {
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let body = pattern.strip_suffix('*').unwrap_or(pattern);
        let valid = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b);
        if pattern.is_empty() || pattern.len() > crate::oci::name::MAX_NAME_LEN {
            return Err("a repository pattern must be 1 to 255 characters".into());
        }
        if !body.bytes().all(valid) {
            return Err(format!(
                "invalid repository pattern {pattern:?}: a repository name, or a name prefix \
                 followed by one final '*' (e.g. \"team/*\", \"*\")"
            ));
        }
        Ok(Self(pattern.to_owned()))
    }

    /// The pattern matching exactly one repository.
    pub fn exact(name: &str) -> Self {
        Self(name.trim_end_matches('*').to_owned())
    }

    pub fn matches(&self, repository: &str) -> bool {
        match self.0.strip_suffix('*') {
            Some(prefix) => repository.starts_with(prefix),
            None => repository == self.0,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Pattern::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Some actions on the repositories a pattern matches.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub repository: Pattern,
    pub actions: Actions,
}

impl Grant {
    pub fn new(repository: Pattern, actions: Actions) -> Self {
        Self { repository, actions }
    }

    /// Reads `team/*:pull,push` (the form the account tool and `ANONYMOUS_PULL` take).
    pub fn parse(text: &str) -> Result<Self, String> {
        let (pattern, actions) = text.rsplit_once(':').ok_or_else(|| {
            format!("grant {text:?} must read <pattern>:<actions>, e.g. \"team/*:pull,push\"")
        })?;
        let actions = Actions::parse_list(actions);
        if actions.is_empty() {
            return Err(format!("grant {text:?} names no action (pull, push, delete or *)"));
        }
        Ok(Self::new(Pattern::parse(pattern)?, actions))
    }
}

/// The union of some grants: a repository may have what any matching grant gives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    grants: Vec<Grant>,
}

impl Policy {
    pub fn new(grants: Vec<Grant>) -> Self {
        Self { grants }
    }

    /// Every action on every repository.
    pub fn everything() -> Self {
        Self::new(vec![Grant::new(Pattern("*".into()), Actions::ALL)])
    }

    pub fn grants(&self) -> &[Grant] {
        &self.grants
    }

    pub fn is_empty(&self) -> bool {
        self.grants.iter().all(|g| g.actions.is_empty())
    }

    /// What this policy allows on `repository`.
    pub fn allowed(&self, repository: &str) -> Actions {
        self.grants
            .iter()
            .filter(|g| g.repository.matches(repository))
            .fold(Actions::NONE, |set, g| set.union(g.actions))
    }

    pub fn may(&self, action: Action, repository: &str) -> bool {
        self.allowed(repository).contains(action)
    }

    /// This policy with every grant cut down to `actions`.
    pub fn only(&self, actions: Actions) -> Self {
        let grants = self
            .grants
            .iter()
            .map(|g| Grant::new(g.repository.clone(), g.actions.intersection(actions)))
            .filter(|g| !g.actions.is_empty());
        Self::new(grants.collect())
    }

    pub fn push(&mut self, grant: Grant) {
        self.grants.push(grant);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(grants: &[&str]) -> Policy {
        Policy::new(grants.iter().map(|g| Grant::parse(g).unwrap()).collect())
    }

    #[test]
    fn a_prefix_pattern_covers_everything_below_it_and_nothing_beside_it() {
        let team = Pattern::parse("team/*").unwrap();
        assert!(team.matches("team/app"));
        assert!(team.matches("team/a/b/c"));
        assert!(!team.matches("team"));
        assert!(!team.matches("teamx/app"));
        assert!(!team.matches("other/x"));
        assert!(Pattern::parse("*").unwrap().matches("anything/at/all"));

        let exact = Pattern::parse("library/alpine").unwrap();
        assert!(exact.matches("library/alpine"));
        assert!(!exact.matches("library/alpine2"));
    }

    #[test]
    fn malformed_patterns_are_refused() {
        for bad in ["", "Team/*", "a*b", "**", "team/*/x", "a b", "a:b"] {
            assert!(Pattern::parse(bad).is_err(), "{bad}");
        }
        assert!(Grant::parse("team/*").is_err());
        assert!(Grant::parse("team/*:admin").is_err());
    }

    #[test]
    fn actions_parse_skips_unknown_words_and_star_means_all() {
        assert_eq!(Actions::parse_list("pull,push"), Actions::of(&[Action::Pull, Action::Push]));
        assert_eq!(Actions::parse_list("pull,fly"), Actions::of(&[Action::Pull]));
        assert_eq!(Actions::parse_list("*"), Actions::ALL);
        assert_eq!(Actions::parse_list(""), Actions::NONE);
        assert_eq!(Actions::ALL.to_string(), "pull,push,delete");
    }

    #[test]
    fn stored_actions_must_be_real() {
        let ok: Actions = serde_json::from_str(r#"["push","pull"]"#).unwrap();
        assert_eq!(ok, Actions::of(&[Action::Pull, Action::Push]));
        assert!(serde_json::from_str::<Actions>(r#"["pul"]"#).is_err());
        assert_eq!(serde_json::to_string(&ok).unwrap(), r#"["pull","push"]"#);
    }

    #[test]
    fn a_policy_is_the_union_of_its_matching_grants() {
        let p = policy(&["team/*:pull", "team/app:push", "*:pull"]);
        assert_eq!(p.allowed("team/app"), Actions::of(&[Action::Pull, Action::Push]));
        assert_eq!(p.allowed("team/db"), Actions::of(&[Action::Pull]));
        assert!(p.may(Action::Pull, "other/x"));
        assert!(!p.may(Action::Delete, "team/app"));
        assert!(Policy::default().allowed("x").is_empty());
        assert_eq!(Policy::everything().allowed("x"), Actions::ALL);
    }

    #[test]
    fn only_cuts_a_policy_down_to_some_actions() {
        let p = policy(&["team/*:pull,push", "ops/*:delete"]).only(Actions::of(&[Action::Pull]));
        assert_eq!(p.allowed("team/a"), Actions::of(&[Action::Pull]));
        assert!(p.allowed("ops/a").is_empty());
        assert_eq!(p.grants().len(), 1);
    }
}
