//! Building responses: the headers every answer carries, JSON bodies, errors.

use http::header::{CONTENT_LENGTH, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::errors::ApiError;
use super::http::{Body, Response};

/// A response under construction.
pub struct Reply<B> {
    status: StatusCode,
    headers: HeaderMap,
    body: Body<B>,
}

impl<B> Reply<B> {
    pub fn new(status: StatusCode) -> Self {
        Self { status, headers: HeaderMap::new(), body: Body::Empty }
    }

    pub fn json(status: StatusCode, body: String) -> Self {
        Self::new(status)
            .header(CONTENT_TYPE, "application/json")
            .with_length(body.len() as u64)
            .body(Body::Bytes(body.into_bytes()))
    }

    pub fn error(err: &ApiError) -> Self {
        let body = err.envelope();
        let reply = Self::new(err.status())
            .header(CONTENT_TYPE, "application/json")
            .with_length(body.len() as u64)
            .body(Body::Bytes(body));
        match &err.challenge {
            Some(challenge) => reply.header(WWW_AUTHENTICATE, challenge),
            None => reply,
        }
    }

    /// Sets a header; a name or value that is not valid in HTTP is skipped.
    pub fn header<N: TryInto<HeaderName>>(mut self, name: N, value: impl AsRef<str>) -> Self {
        if let (Ok(name), Ok(value)) = (name.try_into(), HeaderValue::from_str(value.as_ref())) {
            self.headers.insert(name, value);
        }
        self
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn with_length(self, length: u64) -> Self {
        self.header(CONTENT_LENGTH, length.to_string())
    }

    pub fn body(mut self, body: Body<B>) -> Self {
        self.body = body;
        self
    }

    pub fn into_response(mut self) -> Response<B> {
        self.headers.insert(
            HeaderName::from_static("docker-distribution-api-version"),
            HeaderValue::from_static("registry/2.0"),
        );
        Response { status: self.status, headers: self.headers, body: self.body }
    }
}
