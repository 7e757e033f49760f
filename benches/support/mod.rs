//! What the benchmarks share with the tests.
#![allow(dead_code, reason = "the latency model also serves tests of concurrent requests")]

#[path = "../../tests/support/latency.rs"]
pub mod latency;
