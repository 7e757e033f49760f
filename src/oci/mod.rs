//! Pure OCI types: repository names, tags, digests, references, manifests and error codes.
//!
//! Nothing here does I/O. Each name type is parsed once at the edge and is valid wherever it is
//! held afterwards.

pub mod digest;
pub mod manifest;
pub mod media;
pub mod name;
pub mod reference;

pub use digest::{Algorithm, Digest};
pub use name::{RepoName, Tag};
pub use reference::Reference;
