//! edge-registry: an OCI distribution registry for Cloudflare Workers, over R2 and KV.

pub mod api;
pub mod oci;
pub mod registry;
pub mod storage;
