//! Configuration: defaults ← JSON file (`--config`) ← environment ← flags.
//!
//! ```json
//! { "listen": "0.0.0.0:8080",
//!   "database": "postgres://kasa@127.0.0.1/kasa",
//!   "admin_token": "long random string",
//!   "metrics_token": "another long random string",
//!   "enrolment_code_ttl_minutes": 1440,
//!   "rate_limit": { "burst": 10, "per_minute": 10 },
//!   "log_format": "json",
//!   "tls_cert": "/etc/kasa/hq.crt", "tls_key": "/etc/kasa/hq.key" }
//! ```
//!
//! Environment: `KASA_SERVER_LISTEN`, `KASA_SERVER_DATABASE`,
//! `KASA_SERVER_ADMIN_TOKEN`, `KASA_SERVER_METRICS_TOKEN`,
//! `KASA_SERVER_ENROLMENT_CODE_TTL_MINUTES`,
//! `KASA_SERVER_LOG_FORMAT` (`text` | `json`), `KASA_SERVER_TLS_CERT`,
//! `KASA_SERVER_TLS_KEY` (both set = HTTPS only); log filter in `RUST_LOG`
//! (default `info`). With no admin token the admin API answers
//! `auth.admin_disabled`. With no metrics token `/metrics` is open (fine on
//! the default loopback address; set one when listening on a network).

use std::path::Path;

use serde::Deserialize;

/// Default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Default database: an SQLite file in the working directory.
pub const DEFAULT_DATABASE: &str = "sqlite:kasa-server.db";

/// Failed-attempt limits per client address (token bucket).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RateLimitConfig {
    /// Failures allowed in a burst.
    pub burst: u32,
    /// Failures allowed per minute after the burst.
    pub per_minute: u32,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            burst: 10,
            per_minute: 10,
        }
    }
}

/// Everything the server reads at start.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// `host:port` to listen on.
    pub listen: String,
    /// `sqlite:PATH` or `postgres://…`.
    pub database: String,
    /// Bearer token of the admin API; `None` disables it.
    pub admin_token: Option<String>,
    /// Bearer token `/metrics` requires; `None` leaves it open.
    pub metrics_token: Option<String>,
    /// How long an enrolment code stays valid.
    pub enrolment_code_ttl_minutes: u64,
    /// Limits on failed enrolment and authentication.
    pub rate_limit: RateLimitConfig,
    /// `text` or `json` logs.
    pub log_format: String,
    /// PEM certificate chain; with `tls_key` the server speaks HTTPS only.
    pub tls_cert: Option<std::path::PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<std::path::PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: DEFAULT_LISTEN.to_owned(),
            database: DEFAULT_DATABASE.to_owned(),
            admin_token: None,
            metrics_token: None,
            enrolment_code_ttl_minutes: 24 * 60,
            rate_limit: RateLimitConfig::default(),
            log_format: "text".to_owned(),
            tls_cert: None,
            tls_key: None,
        }
    }
}

impl ServerConfig {
    /// Defaults, then the file (if any), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Self> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("cannot read config {}: {e}", path.display()))?;
                serde_json::from_str(&text)
                    .map_err(|e| anyhow::anyhow!("config {} is not valid: {e}", path.display()))?
            }
            None => ServerConfig::default(),
        };
        config.apply_env(|name| std::env::var(name).ok())?;
        Ok(config)
    }

    /// Override from environment variables (`get` is `std::env::var` in production).
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> anyhow::Result<()> {
        if let Some(v) = get("KASA_SERVER_LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("KASA_SERVER_DATABASE") {
            self.database = v;
        }
        if let Some(v) = get("KASA_SERVER_ADMIN_TOKEN") {
            self.admin_token = Some(v).filter(|t| !t.is_empty());
        }
        if let Some(v) = get("KASA_SERVER_METRICS_TOKEN") {
            self.metrics_token = Some(v).filter(|t| !t.is_empty());
        }
        if let Some(v) = get("KASA_SERVER_ENROLMENT_CODE_TTL_MINUTES") {
            self.enrolment_code_ttl_minutes = v.parse().map_err(|_| {
                anyhow::anyhow!(
                    "KASA_SERVER_ENROLMENT_CODE_TTL_MINUTES must be a whole number of minutes"
                )
            })?;
        }
        if let Some(v) = get("KASA_SERVER_LOG_FORMAT") {
            self.log_format = v;
        }
        if let Some(v) = get("KASA_SERVER_TLS_CERT") {
            self.tls_cert = Some(v.into());
        }
        if let Some(v) = get("KASA_SERVER_TLS_KEY") {
            self.tls_key = Some(v.into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_file_and_defaults() {
        let mut config: ServerConfig =
            serde_json::from_str(r#"{"database":"sqlite:/tmp/x.db","rate_limit":{"burst":3}}"#)
                .unwrap();
        assert_eq!(config.listen, DEFAULT_LISTEN);
        assert_eq!(
            config.rate_limit,
            RateLimitConfig {
                burst: 3,
                per_minute: 10
            }
        );
        config
            .apply_env(|name| match name {
                "KASA_SERVER_DATABASE" => Some("postgres://h/db".into()),
                "KASA_SERVER_ADMIN_TOKEN" => Some("secret".into()),
                "KASA_SERVER_METRICS_TOKEN" => Some("scrape".into()),
                "KASA_SERVER_TLS_CERT" => Some("/etc/kasa/hq.crt".into()),
                _ => None,
            })
            .unwrap();
        assert_eq!(config.database, "postgres://h/db");
        assert_eq!(config.admin_token.as_deref(), Some("secret"));
        assert_eq!(config.metrics_token.as_deref(), Some("scrape"));
        let from_file: ServerConfig = serde_json::from_str(r#"{"metrics_token":"t"}"#).unwrap();
        assert_eq!(from_file.metrics_token.as_deref(), Some("t"));
        assert_eq!(
            config.tls_cert.as_deref(),
            Some(Path::new("/etc/kasa/hq.crt"))
        );
        assert_eq!(config.tls_key, None);
        assert!(serde_json::from_str::<ServerConfig>(r#"{"listn":"x"}"#).is_err());
        assert!(
            config
                .apply_env(
                    |n| (n == "KASA_SERVER_ENROLMENT_CODE_TTL_MINUTES").then(|| "soon".into())
                )
                .is_err()
        );
    }
}
