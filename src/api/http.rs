//! The HTTP request and response the API layer works on, free of any runtime's types.
//!
//! `lib.rs` converts a Worker request into [`Request`] and a [`Response`] back; host tests build
//! them directly, without a socket.

use std::pin::Pin;

use futures::Stream;
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use crate::auth::{Action, Principal};
use crate::oci::RepoName;

/// A request body arriving in chunks; an `Err` means the client's stream broke.
pub type BodyStream = Pin<Box<dyn Stream<Item = Result<Vec<u8>, String>>>>;

pub struct Request {
    pub method: Method,
    /// The path, percent-decoded, e.g. `/v2/library/alpine/manifests/latest`.
    pub path: String,
    /// The raw query string without `?`.
    pub query: String,
    pub headers: HeaderMap,
    pub body: BodyStream,
    /// The caller, once [`super::handle`] has checked its credentials; `None` before.
    pub principal: Option<Principal>,
}

impl Request {
    /// A request with a body held in memory (tests, small payloads).
    pub fn new(method: Method, path_and_query: &str, body: Vec<u8>) -> Self {
        let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
        let chunks: Vec<Result<Vec<u8>, String>> =
            if body.is_empty() { Vec::new() } else { vec![Ok(body)] };
        Self {
            method,
            path: path.to_owned(),
            query: query.to_owned(),
            headers: HeaderMap::new(),
            body: Box::pin(futures::stream::iter(chunks)),
            principal: None,
        }
    }

    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.append(name, value);
        }
        self
    }

    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Whether the caller may do `action` on `repository`; `false` before it was admitted.
    /// For handlers that decide more than their route's scope: `/api` views, mounts, listings.
    pub fn may(&self, action: Action, repository: &RepoName) -> bool {
        self.principal.as_ref().is_some_and(|p| p.may(action, repository))
    }

    /// Whether the caller may do `action` on every repository (`/api/gc` needs delete).
    pub fn may_everywhere(&self, action: Action) -> bool {
        self.principal.as_ref().is_some_and(|p| p.may_everywhere(action))
    }

    /// Whether the caller may do `action` on some repository (the dashboard offers deletes).
    pub fn may_somewhere(&self, action: Action) -> bool {
        self.principal.as_ref().is_some_and(|p| p.may_somewhere(action))
    }

    /// Whether the caller is an administrator (every action everywhere, and accounts).
    pub fn is_admin(&self) -> bool {
        self.principal.as_ref().is_some_and(Principal::is_admin)
    }
}

/// A response body: nothing, bytes built by the worker, or a stored object streamed as is.
pub enum Body<B> {
    Empty,
    Bytes(Vec<u8>),
    Object(B),
}

pub struct Response<B> {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Body<B>,
}
