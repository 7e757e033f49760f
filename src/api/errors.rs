//! The one table of OCI error codes and their HTTP statuses, and the JSON envelope they use.

use http::StatusCode;
use serde_json::json;

use crate::auth::{Denial, DenialKind};
use crate::registry::Error;

/// The error codes of the distribution spec, plus the two this registry adds for its limits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    BlobUnknown,
    BlobUploadInvalid,
    BlobUploadUnknown,
    RangeInvalid,
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestInvalid,
    ManifestUnknown,
    NameInvalid,
    NameUnknown,
    SizeInvalid,
    Unauthorized,
    Denied,
    Unsupported,
    /// A request to the JSON API (`/api`) whose body or parameters cannot be used.
    InvalidParameters,
    NotFound,
    MethodNotAllowed,
    TooManyRequests,
    PaginationNumberInvalid,
    Internal,
}

impl ErrorCode {
    /// The code's name in the envelope and the status it is answered with.
    pub fn describe(self) -> (&'static str, StatusCode) {
        use ErrorCode::*;
        match self {
            BlobUnknown => ("BLOB_UNKNOWN", StatusCode::NOT_FOUND),
            BlobUploadInvalid => ("BLOB_UPLOAD_INVALID", StatusCode::BAD_REQUEST),
            BlobUploadUnknown => ("BLOB_UPLOAD_UNKNOWN", StatusCode::NOT_FOUND),
            RangeInvalid => ("BLOB_UPLOAD_INVALID", StatusCode::RANGE_NOT_SATISFIABLE),
            DigestInvalid => ("DIGEST_INVALID", StatusCode::BAD_REQUEST),
            ManifestBlobUnknown => ("MANIFEST_BLOB_UNKNOWN", StatusCode::BAD_REQUEST),
            ManifestInvalid => ("MANIFEST_INVALID", StatusCode::BAD_REQUEST),
            ManifestUnknown => ("MANIFEST_UNKNOWN", StatusCode::NOT_FOUND),
            NameInvalid => ("NAME_INVALID", StatusCode::BAD_REQUEST),
            NameUnknown => ("NAME_UNKNOWN", StatusCode::NOT_FOUND),
            SizeInvalid => ("SIZE_INVALID", StatusCode::PAYLOAD_TOO_LARGE),
            Unauthorized => ("UNAUTHORIZED", StatusCode::UNAUTHORIZED),
            Denied => ("DENIED", StatusCode::FORBIDDEN),
            Unsupported => ("UNSUPPORTED", StatusCode::METHOD_NOT_ALLOWED),
            // The spec's UNSUPPORTED covers "an invalid set of parameters"; that is the client's
            // mistake, so 400.
            InvalidParameters => ("UNSUPPORTED", StatusCode::BAD_REQUEST),
            NotFound => ("NOT_FOUND", StatusCode::NOT_FOUND),
            MethodNotAllowed => ("UNSUPPORTED", StatusCode::METHOD_NOT_ALLOWED),
            TooManyRequests => ("TOOMANYREQUESTS", StatusCode::TOO_MANY_REQUESTS),
            PaginationNumberInvalid => ("PAGINATION_NUMBER_INVALID", StatusCode::BAD_REQUEST),
            Internal => ("UNKNOWN", StatusCode::INTERNAL_SERVER_ERROR),
        }
    }
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    /// For server faults and refusals: the cause, logged but not sent.
    pub cause: Option<String>,
    /// The `WWW-Authenticate` value saying how to authenticate: on every 401, and on a 403 for
    /// a token that lacks scopes its holder could get in another.
    pub challenge: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), cause: None, challenge: None }
    }

    pub fn status(&self) -> StatusCode {
        self.code.describe().1
    }

    /// `{"errors":[{"code","message","detail"}]}`
    pub fn envelope(&self) -> Vec<u8> {
        let (code, _) = self.code.describe();
        let body = json!({"errors": [{"code": code, "message": self.message, "detail": null}]});
        body.to_string().into_bytes()
    }
}

impl From<Error> for ApiError {
    fn from(err: Error) -> Self {
        let code = match &err {
            Error::NameUnknown { .. } => ErrorCode::NameUnknown,
            Error::BlobUnknown { .. } => ErrorCode::BlobUnknown,
            Error::BlobUploadUnknown { .. } => ErrorCode::BlobUploadUnknown,
            Error::BlobUploadInvalid { .. } | Error::BodyInterrupted { .. } => {
                ErrorCode::BlobUploadInvalid
            }
            Error::RangeInvalid { .. } => ErrorCode::RangeInvalid,
            Error::DigestInvalid { .. } => ErrorCode::DigestInvalid,
            Error::ManifestUnknown { .. } => ErrorCode::ManifestUnknown,
            Error::ManifestInvalid { .. } => ErrorCode::ManifestInvalid,
            Error::ManifestBlobUnknown { .. } => ErrorCode::ManifestBlobUnknown,
            Error::ManifestTooLarge { .. } => ErrorCode::SizeInvalid,
            Error::Unsupported { .. } => ErrorCode::Unsupported,
            Error::Storage(_) => ErrorCode::Internal,
        };
        let cause = match &err {
            Error::Storage(storage) => Some(storage.to_string()),
            _ => None,
        };
        Self { code, message: err.to_string(), cause, challenge: None }
    }
}

impl From<Denial> for ApiError {
    /// 401 `UNAUTHORIZED` with its challenge, 403 `DENIED`, or a fault; why goes to the log.
    fn from(denial: Denial) -> Self {
        let code = match denial.kind {
            DenialKind::Unauthorized => ErrorCode::Unauthorized,
            DenialKind::Forbidden => ErrorCode::Denied,
            DenialKind::Unavailable => ErrorCode::Internal,
        };
        let cause = Some(denial.reason).filter(|reason| *reason != denial.message);
        Self { code, message: denial.message, cause, challenge: denial.challenge }
    }
}
