//! Shared test support: a client over the in-process registry or the built worker, and the
//! cases from shared/cases that run against both.
#![allow(dead_code, reason = "each test crate uses part of the support code")]

pub mod access;
pub mod auth;
pub mod cases;
pub mod client;
pub mod clients;
pub mod images;
pub mod latency;
pub mod memory;
pub mod worker;
