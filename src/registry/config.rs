//! Operator settings, read from the Worker's variables.

/// Settings with their defaults; [`Config::from_vars`] reads and checks them.
#[derive(Clone, Debug)]
pub struct Config {
    /// `DELETE_ENABLED`: whether manifests and blobs may be deleted (default true).
    pub delete_enabled: bool,
    /// `DELETE_CONCURRENCY`: tag links a delete reads at once (1 to 64, default 6, the number of
    /// connections a Worker request may hold open).
    pub delete_concurrency: usize,
    /// `UPLOAD_TTL_SECONDS`: how long an idle upload session lives (default 24 hours).
    pub upload_ttl_ms: u64,
    /// `GC_GRACE_SECONDS`: how old an unreferenced blob must be before garbage collection removes
    /// it (default 24 hours). It must exceed the longest push: a blob uploaded longer ago than
    /// this and not yet referenced by a manifest may be collected.
    pub gc_grace_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            delete_enabled: true,
            delete_concurrency: 6,
            upload_ttl_ms: 24 * 3600 * 1000,
            gc_grace_ms: 24 * 3600 * 1000,
        }
    }
}

impl Config {
    /// Reads the settings through `var`; a set but invalid value is an error naming it.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut config = Self::default();
        if let Some(value) = var("DELETE_ENABLED") {
            config.delete_enabled = match value.trim() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                other => {
                    return Err(format!("DELETE_ENABLED must be true or false, not {other:?}"));
                }
            };
        }
        if let Some(value) = var("DELETE_CONCURRENCY") {
            config.delete_concurrency = match value.trim().parse::<usize>() {
                Ok(n) if (1..=64).contains(&n) => n,
                _ => return Err(format!("DELETE_CONCURRENCY must be 1 to 64, not {value:?}")),
            };
        }
        if let Some(value) = var("UPLOAD_TTL_SECONDS") {
            config.upload_ttl_ms = match value.trim().parse::<u64>() {
                Ok(n) if n > 0 => n * 1000,
                _ => {
                    return Err(format!(
                        "UPLOAD_TTL_SECONDS must be a positive integer, not {value:?}"
                    ));
                }
            };
        }
        if let Some(value) = var("GC_GRACE_SECONDS") {
            config.gc_grace_ms = match value.trim().parse::<u64>() {
                Ok(n) if n > 0 && n <= u64::MAX / 1000 => n * 1000,
                _ => {
                    return Err(format!(
                        "GC_GRACE_SECONDS must be a positive integer, not {value:?}"
                    ));
                }
            };
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_settings_are_reported_not_ignored() {
        let with = |name: &'static str, value: &'static str| {
            Config::from_vars(move |n| (n == name).then(|| value.to_owned()))
        };
        assert!(with("DELETE_CONCURRENCY", "0").is_err());
        assert!(with("DELETE_CONCURRENCY", "lots").is_err());
        assert_eq!(with("DELETE_CONCURRENCY", "8").unwrap().delete_concurrency, 8);
        assert!(with("DELETE_ENABLED", "maybe").is_err());
        assert!(!with("DELETE_ENABLED", "false").unwrap().delete_enabled);
        assert!(with("UPLOAD_TTL_SECONDS", "-1").is_err());
        assert!(with("GC_GRACE_SECONDS", "0").is_err());
        assert!(with("GC_GRACE_SECONDS", "1d").is_err());
        assert_eq!(with("GC_GRACE_SECONDS", "3600").unwrap().gc_grace_ms, 3_600_000);
    }
}
