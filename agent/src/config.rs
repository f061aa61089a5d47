//! Server configuration: TOML file, overlaid by `ROSETTE_*` environment variables and the
//! command line (command line wins, then environment, then file, then laptop defaults).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use rosette_core::SecretString;
use serde::Deserialize;

/// The default listen address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The default data directory.
pub const DEFAULT_DATA: &str = "./rosette-data";

/// The configuration file (all keys optional).
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    /// Listen address, e.g. `127.0.0.1:8080` (port 0: any free port).
    pub listen: Option<SocketAddr>,
    /// Data directory (the store, `store.redb`, and the operator token).
    pub data: Option<PathBuf>,
    /// Public base URL; default `http://<bound address>`.
    pub public_url: Option<String>,
    /// Operator token; default generated into `<data>/operator-token`.
    pub operator_token: Option<String>,
    /// Largest batch (proofs per credential request).
    pub batch_size: Option<u32>,
    /// Wrong PINs allowed per offer before the offer is burned.
    pub max_tx_code_attempts: Option<u32>,
    /// Access token lifetime in seconds.
    pub access_token_lifetime: Option<i64>,
    /// c_nonce lifetime in seconds.
    pub nonce_lifetime: Option<i64>,
    /// Seconds after which a storage call that has not returned is logged as stuck and
    /// `/health/ready` answers 503 (default 5).
    pub storage_stall_seconds: Option<u64>,
    /// When a storage write is on disk: `every-write` (default) or `flush`.
    pub storage_durability: Option<StorageDurability>,
}

/// When the agent's storage writes reach the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StorageDurability {
    /// Every write is on disk (fsynced, in the store's journal) when it returns; concurrent
    /// writes share one fsync.
    /// Survives a killed process and a power loss, like nothing less did before: sled kept
    /// returned writes through a killed process, and lost up to 500 ms of them on power loss.
    #[default]
    EveryWrite,
    /// sled's guarantee: a write survives a killed process when it returns, and a power loss
    /// after the next flush (explicit ones for status changes and index reservations, and one
    /// every 500 ms), losing whole batches. No fsync wait per write: for slow or shared disks.
    Flush,
}

impl From<StorageDurability> for rosette_storage::Durability {
    fn from(d: StorageDurability) -> Self {
        match d {
            StorageDurability::EveryWrite => rosette_storage::Durability::OnReturn,
            StorageDurability::Flush => rosette_storage::Durability::OnFlush,
        }
    }
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML of the expected shape.
    #[error("invalid configuration {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parse error.
        source: toml::de::Error,
    },
}

impl FileConfig {
    /// Reads and parses a TOML configuration file.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text).map_err(|source| ConfigError::Parse {
            path: path.to_owned(),
            source,
        })
    }

    /// Parses TOML text.
    pub fn parse(text: &str) -> Result<Self, toml::de::Error> {
        toml::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_key() {
        let config = FileConfig::parse(
            "listen = \"127.0.0.1:0\"\ndata = \"/tmp/x\"\npublic_url = \"https://badges.example\"\n\
             operator_token = \"t\"\nbatch_size = 3\nmax_tx_code_attempts = 2\n\
             access_token_lifetime = 60\nnonce_lifetime = 30\nstorage_stall_seconds = 7\n\
             storage_durability = \"flush\"\n",
        )
        .unwrap();
        assert_eq!(config.storage_stall_seconds, Some(7));
        assert_eq!(config.storage_durability, Some(StorageDurability::Flush));
        assert_eq!(config.listen, Some("127.0.0.1:0".parse().unwrap()));
        assert_eq!(config.public_url.as_deref(), Some("https://badges.example"));
        assert_eq!(
            (config.batch_size, config.max_tx_code_attempts),
            (Some(3), Some(2))
        );
    }

    #[test]
    fn empty_file_means_laptop_defaults() {
        let config = FileConfig::parse("").unwrap();
        assert!(
            config.listen.is_none() && config.data.is_none() && config.operator_token.is_none()
        );
    }

    #[test]
    fn durability_defaults_to_every_write_and_refuses_unknown_values() {
        assert_eq!(StorageDurability::default(), StorageDurability::EveryWrite);
        assert!(FileConfig::parse("storage_durability = \"sometimes\"").is_err());
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(FileConfig::parse("listen_addr = \"127.0.0.1:1\"").is_err());
    }
}

/// Runtime settings, shared by every role (see [`crate::directory::Directory::settings`]).
#[derive(Debug)]
pub struct Settings {
    /// Public base URL without trailing slash, e.g. `http://127.0.0.1:8080`.
    pub public_url: String,
    /// The operator token (full admin access).
    pub operator_token: SecretString,
    /// Largest batch (proofs per credential request).
    pub batch_size: u32,
    /// Wrong PINs allowed per offer.
    pub max_tx_code_attempts: u32,
    /// Access token lifetime in seconds.
    pub access_token_lifetime: i64,
    /// c_nonce lifetime in seconds.
    pub nonce_lifetime: i64,
}

impl Settings {
    /// Laptop defaults for `public_url` with the given operator token.
    pub fn new(public_url: impl Into<String>, operator_token: SecretString) -> Self {
        Self {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            operator_token,
            batch_size: 10,
            max_tx_code_attempts: 5,
            access_token_lifetime: 600,
            nonce_lifetime: 300,
        }
    }
}
