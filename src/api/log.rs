//! The one structured log line written per request.

use serde_json::json;

/// What a request did; `lib.rs` adds its duration and storage operations and prints it.
#[derive(Debug, Default)]
pub struct LogFields {
    pub method: String,
    pub path: String,
    pub route: &'static str,
    pub repository: Option<String>,
    pub reference: Option<String>,
    pub status: u16,
    /// The error answered, with its cause for server faults.
    pub error: Option<String>,
}

impl LogFields {
    pub fn new(method: &str, path: &str) -> Self {
        Self { method: method.to_owned(), path: path.to_owned(), route: "none", ..Self::default() }
    }

    /// Server faults are logged at error level; client mistakes are not errors.
    pub fn level(&self) -> &'static str {
        if self.status >= 500 { "error" } else { "info" }
    }

    pub fn to_json(&self, duration_ms: u64, ops: u64) -> String {
        json!({
            "level": self.level(),
            "method": self.method,
            "route": self.route,
            "path": self.path,
            "repository": self.repository,
            "reference": self.reference,
            "status": self.status,
            "duration_ms": duration_ms,
            "storage_ops": ops,
            "error": self.error,
        })
        .to_string()
    }
}
