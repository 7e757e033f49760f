//! What can go wrong in a registry operation, with the name or digest it concerns.
//!
//! The HTTP status and OCI error code are chosen from these in `api::errors`, nowhere else.

use std::fmt;

use crate::storage::StorageError;

#[derive(Debug)]
pub enum Error {
    NameUnknown {
        name: String,
    },
    BlobUnknown {
        digest: String,
    },
    BlobUploadUnknown {
        id: String,
    },
    BlobUploadInvalid {
        message: String,
    },
    /// A chunk does not start where the upload stands.
    RangeInvalid {
        offset: u64,
    },
    DigestInvalid {
        message: String,
    },
    ManifestUnknown {
        reference: String,
    },
    ManifestInvalid {
        message: String,
    },
    ManifestBlobUnknown {
        digest: String,
    },
    ManifestTooLarge {
        limit: u64,
    },
    /// The operation is switched off or not offered.
    Unsupported {
        message: String,
    },
    /// The client's request body broke off.
    BodyInterrupted {
        message: String,
    },
    Storage(StorageError),
}

impl From<StorageError> for Error {
    fn from(err: StorageError) -> Self {
        Self::Storage(err)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NameUnknown { name } => write!(f, "repository {name:?} is not known"),
            Self::BlobUnknown { digest } => write!(f, "blob {digest} is not known here"),
            Self::BlobUploadUnknown { id } => write!(f, "upload {id:?} is not known"),
            Self::BlobUploadInvalid { message } => f.write_str(message),
            Self::RangeInvalid { offset } => {
                write!(f, "the chunk must start at byte {offset}, where the upload stands")
            }
            Self::DigestInvalid { message } => f.write_str(message),
            Self::ManifestUnknown { reference } => write!(f, "manifest {reference:?} is not known"),
            Self::ManifestInvalid { message } => write!(f, "invalid manifest: {message}"),
            Self::ManifestBlobUnknown { digest } => {
                write!(f, "the manifest references {digest}, which is not in the repository")
            }
            Self::ManifestTooLarge { limit } => write!(f, "manifests are limited to {limit} bytes"),
            Self::Unsupported { message } => f.write_str(message),
            Self::BodyInterrupted { message } => write!(f, "request body interrupted: {message}"),
            Self::Storage(err) => write!(f, "storage failure in {}", err.op),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Storage(err) => Some(err),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
