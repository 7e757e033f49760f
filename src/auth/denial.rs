//! A refused request: the status to answer, what to tell the client, and what to log.

/// Which answer a refusal gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DenialKind {
    /// 401 `UNAUTHORIZED`, with a challenge: authenticating (again, or for more scopes) may help.
    Unauthorized,
    /// 403 `DENIED`: the caller is known and may not do this (with a token: not with this
    /// one, when a challenge names the scopes to fetch another for).
    Forbidden,
    /// 500: nothing could be decided (the account store could not be read, say).
    Unavailable,
}

/// Why access was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    pub kind: DenialKind,
    /// For the client: says what was missing, and how to get it when it can.
    pub message: String,
    /// The `WWW-Authenticate` value: with every 401, and with a 403 for a token that lacks
    /// scopes its holder may have.
    pub challenge: Option<String>,
    /// For the log line: who, and why (the account name, never a password or token).
    pub reason: String,
}

impl Denial {
    pub fn unauthorized(
        message: impl Into<String>,
        challenge: String,
        reason: impl Into<String>,
    ) -> Self {
        Self {
            kind: DenialKind::Unauthorized,
            message: message.into(),
            challenge: Some(challenge),
            reason: reason.into(),
        }
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        let message = message.into();
        Self { kind: DenialKind::Forbidden, reason: message.clone(), message, challenge: None }
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        Self {
            kind: DenialKind::Unavailable,
            message: "the registry could not check access".into(),
            challenge: None,
            reason: format!("access check failed: {cause}"),
        }
    }

    /// The HTTP status this refusal is answered with.
    pub fn status(&self) -> u16 {
        match self.kind {
            DenialKind::Unauthorized => 401,
            DenialKind::Forbidden => 403,
            DenialKind::Unavailable => 500,
        }
    }
}
