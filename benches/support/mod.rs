//! What the benchmarks share.

pub mod latency;
