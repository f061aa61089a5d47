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

/// The commented example configuration `rosette-agent config example` prints. Every key of
/// [`FileConfig`] is in it with its default (the operator token commented out: a secret is
/// better kept in `ROSETTE_OPERATOR_TOKEN` or the generated file); the tests parse it back.
pub const CONFIG_EXAMPLE: &str = r#"# rosette-agent configuration (TOML). Use with: rosette-agent serve --config FILE
# Every key is optional. The command line wins over the environment (ROSETTE_LISTEN,
# ROSETTE_DATA, ROSETTE_PUBLIC_URL, ROSETTE_OPERATOR_TOKEN, ...), which wins over this file.

# Address and port to listen on (port 0: any free port).
listen = "127.0.0.1:8080"

# Data directory: the store (store.redb) and the generated operator token.
data = "./rosette-data"

# The address wallets, learners and employers reach the agent at: it goes into every QR code,
# offer, credential and status list URL. A phone cannot reach 127.0.0.1: use the https address
# of a reverse proxy in front of the agent (https://badges.example.edu), or, for a quick trial
# on one network, the computer's LAN address (http://192.168.1.20:8080, with listen =
# "0.0.0.0:8080"). Default: http://<the listening address>.
# public_url = "https://badges.example.edu"

# The operator token (full admin access, creates institutions). Default: generated once into
# <data>/operator-token. Prefer the ROSETTE_OPERATOR_TOKEN environment variable to writing it here.
# operator_token = "a-long-random-secret"

# Credentials one credential request may ask for, one per key proof (OpenID4VCI batch
# issuance). 1 (the default): one credential per format per offer. Larger values let a wallet
# take several copies in its one request (keys of its choosing, e.g. for unlinkable copies);
# they all belong to the one award, revoked together. Later requests never issue more.
batch_size = 1

# Wrong PINs allowed per offer, from all clients together, before the offer is locked. One
# client address gets 5 wrong PINs per offer and hour (then 429), so a stranger who sees a
# learner's QR code cannot lock the learner out.
max_tx_code_attempts = 20

# Lifetime of an access token, in seconds.
access_token_lifetime = 600

# Lifetime of a c_nonce, in seconds.
nonce_lifetime = 300

# Seconds after which a storage call that has not returned is logged as stuck and
# /health/ready answers 503.
storage_stall_seconds = 5

# When a storage write is on disk: "every-write" (survives a killed process and power loss) or
# "flush" (within 500 ms; faster).
storage_durability = "every-write"

# The key-encryption key (32 bytes, base64url) that seals the signing keys and the server
# secret in the store and keys the PIN hashes: a copied database is useless without it. Keep it
# apart from the data and back both up. The ROSETTE_KEK environment variable wins over this.
# Default: generated once into <data>/kek (0600).
# kek_file = "/etc/rosette/kek"
# During a KEK rotation with several agents on one database (docs/deploy.md): another key that
# opens sealed values but never seals. ROSETTE_KEK_OTHER wins over this.
# kek_other_file = "/etc/rosette/kek.next"

# Connections open at once; more clients wait until one closes.
max_connections = 1024

# Seconds a connection has to send a request's headers (and may stay idle between requests);
# slower or silent connections are closed.
header_read_timeout = 10

# Seconds a request has to send its body and be answered (408 after).
request_timeout = 120

# Requests per minute per client address (429 with Retry-After past them): the token endpoint,
# /verify, public-badge challenges, console sign-in, presentation polling. Loopback clients are
# not limited; behind a reverse proxy, list its addresses so X-Forwarded-For names the client.
rate_limit_token = 10
rate_limit_verify = 20
rate_limit_challenge = 20
rate_limit_sign_in = 10
rate_limit_poll = 120
# trusted_proxies = ["127.0.0.1", "::1"]

# GET /metrics (Prometheus text format: requests, OpenID4VCI steps, storage calls, credentials
# issued and revoked, presentations verified, bulk rows). It needs no credentials: let the
# reverse proxy keep it from the internet, or turn it off here.
metrics = true

# Where the data lives. Without database_url: the embedded store in the data directory (one
# agent per directory). With it: PostgreSQL, which several agents (replicas behind a load
# balancer) share; give every replica the same database_url, KEK and operator token. The URL
# may hold the password: prefer the ROSETTE_DATABASE_URL environment variable. sslmode=require
# makes the connection use TLS (rustls, the system's certificate authorities).
[storage]
# database_url = "postgres://rosette:password@db.example.edu:5432/rosette?sslmode=require"
# Connections each agent keeps open to the database.
pool_size = 16
"#;

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
    /// The key-encryption key's file (default `<data>/kek`; `ROSETTE_KEK` wins).
    pub kek_file: Option<PathBuf>,
    /// Another KEK that opens (never seals): the next or previous key during a rotation
    /// (`ROSETTE_KEK_OTHER` wins).
    pub kek_other_file: Option<PathBuf>,
    /// Connections open at once.
    pub max_connections: Option<usize>,
    /// Token endpoint requests per minute per client.
    pub rate_limit_token: Option<u32>,
    /// `/verify` uploads per minute per client.
    pub rate_limit_verify: Option<u32>,
    /// Public-badge challenges per minute per client.
    pub rate_limit_challenge: Option<u32>,
    /// Console sign-ins per minute per client.
    pub rate_limit_sign_in: Option<u32>,
    /// Result polls per minute per client.
    pub rate_limit_poll: Option<u32>,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Option<Vec<std::net::IpAddr>>,
    /// Seconds to send request headers; also the keep-alive idle limit.
    pub header_read_timeout: Option<u64>,
    /// Seconds to send a request body and be answered.
    pub request_timeout: Option<u64>,
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
    /// Serve `GET /metrics` (default true).
    pub metrics: Option<bool>,
    /// `[storage]`: PostgreSQL instead of the embedded store.
    pub storage: Option<StorageSection>,
}

/// The `[storage]` table of the configuration file.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSection {
    /// `postgres://…`: PostgreSQL shared by several agents; absent: the embedded store.
    pub database_url: Option<String>,
    /// Connections each agent keeps open to the database (default 16).
    pub pool_size: Option<usize>,
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
    fn the_printed_example_parses_to_the_defaults() {
        let config = FileConfig::parse(CONFIG_EXAMPLE).unwrap();
        let defaults = Settings::new("http://x", SecretString::new("t"));
        assert_eq!(config.listen, Some(DEFAULT_LISTEN.parse().unwrap()));
        assert_eq!(config.data, Some(PathBuf::from(DEFAULT_DATA)));
        assert_eq!(config.batch_size, Some(defaults.batch_size));
        assert_eq!(
            config.max_tx_code_attempts,
            Some(defaults.max_tx_code_attempts)
        );
        assert_eq!(
            config.access_token_lifetime,
            Some(defaults.access_token_lifetime)
        );
        assert_eq!(config.nonce_lifetime, Some(defaults.nonce_lifetime));
        assert_eq!(
            config.storage_stall_seconds,
            Some(rosette_storage::watch::DEFAULT_STALL_AFTER.as_secs())
        );
        assert_eq!(
            config.storage_durability,
            Some(StorageDurability::EveryWrite)
        );
        assert_eq!(config.metrics, Some(defaults.metrics));
        // The commented keys are real keys: uncommented, they parse too.
        let uncommented = CONFIG_EXAMPLE
            .replace("# public_url =", "public_url =")
            .replace("# operator_token =", "operator_token =");
        let config = FileConfig::parse(&uncommented).unwrap();
        assert_eq!(
            config.public_url.as_deref(),
            Some("https://badges.example.edu")
        );
        assert!(config.operator_token.is_some());
    }

    #[test]
    fn loopback_public_urls_are_unreachable_from_phones() {
        let token = || SecretString::new("t");
        for url in [
            "http://127.0.0.1:8080",
            "http://localhost:8080/",
            "http://[::1]:80",
        ] {
            assert!(
                Settings::new(url, token()).phone_warning().is_some(),
                "{url}"
            );
        }
        let lan = Settings::new("http://192.168.1.20:8080", token());
        assert!(lan.phone_warning().unwrap().contains("https"));
        assert!(
            Settings::new("https://badges.example.edu", token())
                .phone_warning()
                .is_none()
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        assert!(FileConfig::parse("listen_addr = \"127.0.0.1:1\"").is_err());
    }
}

/// Requests per minute per client address on the routes strangers can hammer (see
/// `crate::web::limits`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// `POST …/token` (PIN guessing).
    pub token: u32,
    /// `POST /verify`.
    pub verify: u32,
    /// Public-badge challenges.
    pub challenge: u32,
    /// Console sign-in.
    pub sign_in: u32,
    /// Presentation result polling.
    pub poll: u32,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Limit loopback clients too (off: tests and the operator's own machine).
    pub limit_loopback: bool,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            token: 10,
            verify: 20,
            challenge: 20,
            sign_in: 10,
            poll: 120,
            trusted_proxies: Vec::new(),
            limit_loopback: false,
        }
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
    /// Seals the store's secrets (see [`rosette_core::kek`]).
    pub kek: rosette_core::kek::Kek,
    /// Other KEKs that still open sealed values (not used to seal): the next or previous key
    /// during a rotation (`ROSETTE_KEK_OTHER`, `kek_other_file`).
    pub other_keks: Vec<rosette_core::kek::Kek>,
    /// Per-client rate limits.
    pub rate_limits: RateLimits,
    /// Whether `GET /metrics` is served.
    pub metrics: bool,
}

impl Settings {
    /// Opens a value sealed under the KEK or one of [`Settings::other_keks`].
    pub fn open_sealed(
        &self,
        purpose: &str,
        sealed: &str,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, rosette_core::kek::KekError> {
        rosette_core::kek::open_with_any(
            std::iter::once(&self.kek).chain(&self.other_keks),
            purpose,
            sealed,
        )
    }

    /// Why a phone wallet may not get through to [`Self::public_url`], if it may not: a
    /// loopback address only this computer reaches, or plain http (which wallets refuse outside
    /// development). `None` for an https address.
    pub fn phone_warning(&self) -> Option<String> {
        let url = url::Url::parse(&self.public_url).ok()?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
            Some(url::Host::Ipv4(ip)) => ip.is_loopback() || ip.is_unspecified(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback() || ip.is_unspecified(),
            None => true,
        };
        if loopback {
            Some(format!(
                "QR codes and links point at {}, which only this computer can reach: a phone \
                 wallet cannot claim from it. Start the agent with --public-url set to an address \
                 phones reach, usually https (a reverse proxy, e.g. https://badges.example.edu), \
                 or for a quick trial the computer's LAN address (--listen 0.0.0.0:8080 \
                 --public-url http://192.168.1.20:8080).",
                self.public_url
            ))
        } else if url.scheme() != "https" {
            Some(format!(
                "QR codes and links point at {}, plain http: most phone wallets accept only \
                 https. Put an https reverse proxy in front of the agent and pass its address \
                 as --public-url.",
                self.public_url
            ))
        } else {
            None
        }
    }

    /// Laptop defaults for `public_url` with the given operator token.
    pub fn new(public_url: impl Into<String>, operator_token: SecretString) -> Self {
        Self {
            public_url: public_url.into().trim_end_matches('/').to_owned(),
            operator_token,
            batch_size: 1,
            // All clients together; one client gets PIN_TRIES_PER_CLIENT (web::limits).
            max_tx_code_attempts: 20,
            access_token_lifetime: 600,
            nonce_lifetime: 300,
            // Tests and embedders get a fresh KEK; `serve` loads the operator's.
            kek: rosette_core::kek::Kek::generate(),
            other_keks: Vec::new(),
            rate_limits: RateLimits::default(),
            metrics: true,
        }
    }
}
