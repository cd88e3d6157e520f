//! Relay configuration: TOML file, then environment overrides, then flags.

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Settings of one relay.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// UDP address to listen on for QUIC.
    pub listen: SocketAddr,
    /// Data directory (keys, users, realms' logs).
    pub data: PathBuf,
    /// Name of this relay, shown to clients.
    pub name: String,
    /// Most connections served at once.
    pub max_connections: usize,
    /// Decisions a subscriber may have queued before it is told to resync.
    pub subscriber_queue: usize,
    /// A subscriber further behind than this gets a snapshot instead of the tail.
    pub snapshot_threshold: u64,
    /// Write a state snapshot every this many decisions.
    pub snapshot_every: u64,
    /// Sign a checkpoint every this many decisions.
    pub checkpoint_every: u64,
    /// …and at least this often (seconds) while new decisions exist.
    pub checkpoint_interval_s: u64,
    /// Seconds without traffic before a connection is dropped.
    pub idle_timeout_s: u64,
    /// Start a new log segment past this size.
    pub segment_max_bytes: u64,
    /// TCP address for Prometheus metrics (`GET /metrics`); off when absent.
    pub metrics_listen: Option<SocketAddr>,
    /// Certificate chain (PEM) issued by the operator's CA; with `tls_key`,
    /// used instead of the self-signed identity.
    pub tls_cert: Option<PathBuf>,
    /// Private key (PEM) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4433)),
            data: PathBuf::from("relay-data"),
            name: "relay".into(),
            max_connections: 512,
            subscriber_queue: 4096,
            snapshot_threshold: 1024,
            snapshot_every: 10_000,
            checkpoint_every: 1000,
            checkpoint_interval_s: 60,
            idle_timeout_s: 30,
            segment_max_bytes: 64 << 20,
            metrics_listen: None,
            tls_cert: None,
            tls_key: None,
        }
    }
}

/// Why the configuration could not be read.
#[derive(Debug, Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// File.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema; the message names line and field.
    #[error("{path}: {message}")]
    Parse {
        /// File.
        path: PathBuf,
        /// Parser message.
        message: String,
    },
    /// An environment variable has a bad value.
    #[error("environment variable {name}: {message}")]
    Env {
        /// Variable.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl Config {
    /// Reads `path` (if given), then applies `RELAY_LISTEN`, `RELAY_DATA` and
    /// `RELAY_NAME` from the environment.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut cfg = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p).map_err(|source| ConfigError::Read {
                    path: p.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|e| ConfigError::Parse {
                    path: p.to_owned(),
                    message: e.to_string(),
                })?
            }
            None => Config::default(),
        };
        if let Ok(v) = std::env::var("RELAY_LISTEN") {
            cfg.listen = v.parse().map_err(|e| ConfigError::Env {
                name: "RELAY_LISTEN",
                message: format!("{e}"),
            })?;
        }
        if let Ok(v) = std::env::var("RELAY_DATA") {
            cfg.data = PathBuf::from(v);
        }
        if let Ok(v) = std::env::var("RELAY_NAME") {
            cfg.name = v;
        }
        Ok(cfg)
    }
}
