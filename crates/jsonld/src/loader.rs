//! Document loaders: the trait, the bundled (offline, hash-pinned) contexts, and a folder
//! loader for test suites. No loader here ever touches the network.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use serde_json::Value;

use crate::error::LoadError;

/// A loaded JSON-LD document: its parsed JSON and the URL it was finally served from
/// (the base for relative references inside it).
#[derive(Clone, Debug, PartialEq)]
pub struct RemoteDocument {
    /// The final URL of the document.
    pub document_url: String,
    /// The parsed document.
    pub document: Value,
}

/// Loads remote documents (contexts) by URL. Implementations must not block on the network in
/// signing paths; ours serve pinned copies.
pub trait DocumentLoader: Send + Sync {
    /// Returns the document at `url`.
    fn load(&self, url: &str) -> Result<Arc<RemoteDocument>, LoadError>;
}

/// One bundled context: the URL it stands for, its file and its pinned SHA-256.
#[derive(Debug)]
#[cfg_attr(not(test), allow(dead_code))] // file and hash are read by the pinning test
pub(crate) struct Bundled {
    pub(crate) url: &'static str,
    pub(crate) file: &'static str,
    pub(crate) text: &'static str,
    /// Hex SHA-256 of `text`; a changed file fails the `bundled_hashes_pinned` test.
    pub(crate) sha256: &'static str,
}

/// The contexts shipped in `contexts/` (provenance: `contexts/SOURCES.md`).
pub(crate) const BUNDLED: &[Bundled] = &[
    Bundled {
        url: "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        file: "ob-v3p0-context-3.0.3.json",
        text: include_str!("../contexts/ob-v3p0-context-3.0.3.json"),
        sha256: "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761",
    },
    Bundled {
        url: "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json",
        file: "ob-v3p0-context-3.0.2.json",
        text: include_str!("../contexts/ob-v3p0-context-3.0.2.json"),
        sha256: "00666ad080ba407687ed1846b7f5e7495f5019042b202a727de47c48a1755c53",
    },
    Bundled {
        url: "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        file: "ob-v3p0-context-3.0.1.json",
        text: include_str!("../contexts/ob-v3p0-context-3.0.1.json"),
        sha256: "d582f3564282fb3b709136d28412e78e70b678b4dbc2f0221f67d84932748355",
    },
    Bundled {
        url: "https://purl.imsglobal.org/spec/ob/v3p0/context.json",
        file: "ob-v3p0-context.json",
        text: include_str!("../contexts/ob-v3p0-context.json"),
        sha256: "b077fa134d909d92c1dcd1c153f2af1b244aeb415967fdc1467d7fc5dd48ac10",
    },
    Bundled {
        url: "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json",
        file: "ob-v3p0-extensions.json",
        text: include_str!("../contexts/ob-v3p0-extensions.json"),
        sha256: "146f85aa16effd7ca1da8056eb443f53ce1eca8a34186cb062832c0a97d889c3",
    },
    Bundled {
        url: "https://w3id.org/openbadges/v2",
        file: "ob-v2p0-context.json",
        text: include_str!("../contexts/ob-v2p0-context.json"),
        sha256: "3c0c25a0e581c64cbe632197377c4f334c6c0b95f0d90e3b74449781612b153d",
    },
    Bundled {
        url: "https://www.w3.org/ns/credentials/v2",
        file: "w3c-credentials-v2.jsonld",
        text: include_str!("../contexts/w3c-credentials-v2.jsonld"),
        sha256: "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    },
    Bundled {
        url: "https://www.w3.org/2018/credentials/v1",
        file: "w3c-credentials-v1.jsonld",
        text: include_str!("../contexts/w3c-credentials-v1.jsonld"),
        sha256: "ab4ddd9a531758807a79a5b450510d61ae8d147eab966cc9a200c07095b0cdcc",
    },
    Bundled {
        url: "https://www.w3.org/ns/credentials/undefined-terms/v2",
        file: "w3c-credentials-undefined-terms-v2.jsonld",
        text: include_str!("../contexts/w3c-credentials-undefined-terms-v2.jsonld"),
        sha256: "82dab514ba44eb18f5d1b0f638c5e140c6a556fbfb5089601bdc0fa5eb8b2581",
    },
    Bundled {
        url: "https://w3id.org/security/data-integrity/v2",
        file: "w3c-data-integrity-v2.jsonld",
        text: include_str!("../contexts/w3c-data-integrity-v2.jsonld"),
        sha256: "67f21e6e33a6c14e5ccfd2fc7865f7474fb71a04af7e94136cb399dfac8ae8f4",
    },
    Bundled {
        url: "https://w3id.org/security/data-integrity/v1",
        file: "w3c-data-integrity-v1.jsonld",
        text: include_str!("../contexts/w3c-data-integrity-v1.jsonld"),
        sha256: "b5d829bd09aa7c42abc6efa0c8ed7635313b5487f37ccfce3ecd149ca9418554",
    },
    Bundled {
        url: "https://w3id.org/security/multikey/v1",
        file: "w3c-multikey-v1.jsonld",
        text: include_str!("../contexts/w3c-multikey-v1.jsonld"),
        sha256: "ba2c182de2d92f7e47184bcca8fcf0beaee6d3986c527bf664c195bbc7c58597",
    },
    Bundled {
        url: "https://w3id.org/security/suites/ed25519-2020/v1",
        file: "ed25519-signature-2020-v1.jsonld",
        text: include_str!("../contexts/ed25519-signature-2020-v1.jsonld"),
        sha256: "b9e1ab971fd8bf2c7553e0c4a9438e0b9450afde1ea1ca5b2492368b9f549588",
    },
    Bundled {
        url: "https://www.w3.org/ns/credentials/status/v1",
        file: "w3c-bitstring-status-list-v1.jsonld",
        text: include_str!("../contexts/w3c-bitstring-status-list-v1.jsonld"),
        sha256: "fda5add353231e6a6884a46b12e6c75464281900cb348284d9c360f62381d9f7",
    },
    Bundled {
        url: "https://w3id.org/vc/status-list/2021/v1",
        file: "w3c-status-list-2021-v1.jsonld",
        text: include_str!("../contexts/w3c-status-list-2021-v1.jsonld"),
        sha256: "6dd06a52bedb771e059c1083ba8ba7848dce22f6b4a8cfa0b98ba3fc188870e4",
    },
];

/// Serves the contexts of [`BUNDLED`] (W3C VC 1.1/2.0, Data Integrity, Multikey, status lists,
/// Open Badges 2.0/3.0). Any other URL is [`LoadError::UnknownContext`].
#[derive(Debug, Default)]
pub struct BundledContexts {
    parsed: [OnceLock<Arc<RemoteDocument>>; BUNDLED.len()],
}

impl BundledContexts {
    /// A loader over the bundled contexts (each parsed on first use, then shared).
    pub fn new() -> Self {
        Self::default()
    }

    /// The URLs this loader serves.
    pub fn urls() -> impl Iterator<Item = &'static str> {
        BUNDLED.iter().map(|b| b.url)
    }
}

impl DocumentLoader for BundledContexts {
    fn load(&self, url: &str) -> Result<Arc<RemoteDocument>, LoadError> {
        let Some(i) = BUNDLED.iter().position(|b| b.url == url) else {
            return Err(LoadError::UnknownContext(url.to_owned()));
        };
        let (Some(entry), Some(slot)) = (BUNDLED.get(i), self.parsed.get(i)) else {
            return Err(LoadError::UnknownContext(url.to_owned()));
        };
        if let Some(doc) = slot.get() {
            return Ok(doc.clone());
        }
        let document: Value = serde_json::from_str(entry.text).map_err(|e| LoadError::NotJson {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        let doc = Arc::new(RemoteDocument {
            document_url: entry.url.to_owned(),
            document,
        });
        Ok(slot.get_or_init(|| doc).clone())
    }
}

/// Maps URLs starting with a prefix onto files in a folder (for test suites): the rest of the
/// URL after the prefix is the relative path. Other URLs are [`LoadError::UnknownContext`].
#[derive(Clone, Debug)]
pub struct PrefixDirLoader {
    prefix: String,
    dir: PathBuf,
}

impl PrefixDirLoader {
    /// Serves `prefix` + `path` from `dir/path`.
    pub fn new(prefix: impl Into<String>, dir: impl Into<PathBuf>) -> Self {
        Self {
            prefix: prefix.into(),
            dir: dir.into(),
        }
    }
}

impl DocumentLoader for PrefixDirLoader {
    fn load(&self, url: &str) -> Result<Arc<RemoteDocument>, LoadError> {
        let unknown = || LoadError::UnknownContext(url.to_owned());
        let rest = url.strip_prefix(self.prefix.as_str()).ok_or_else(unknown)?;
        // No escaping the folder, whatever the URL says.
        if rest.split('/').any(|s| s == ".." || s.is_empty()) || rest.contains(['?', '#', '\\']) {
            return Err(unknown());
        }
        let path = self.dir.join(rest);
        let text = std::fs::read_to_string(&path).map_err(|e| LoadError::Io {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        let document = serde_json::from_str(&text).map_err(|e| LoadError::NotJson {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Arc::new(RemoteDocument {
            document_url: url.to_owned(),
            document,
        }))
    }
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    use super::*;

    #[test]
    fn bundled_hashes_pinned() {
        for b in BUNDLED {
            let got = Sha256::digest(b.text.as_bytes());
            let hex: String = got.iter().map(|x| format!("{x:02x}")).collect();
            assert_eq!(hex, b.sha256, "{} ({}) changed", b.file, b.url);
        }
    }

    #[test]
    fn bundled_serves_every_url_and_nothing_else() {
        let l = BundledContexts::new();
        for b in BUNDLED {
            let d = l.load(b.url).unwrap();
            assert_eq!(d.document_url, b.url);
            assert!(d.document.get("@context").is_some(), "{}", b.file);
        }
        assert_eq!(BUNDLED.len(), 15);
        assert_eq!(
            l.load("https://example.com/ctx").unwrap_err(),
            LoadError::UnknownContext("https://example.com/ctx".into())
        );
    }

    #[test]
    fn prefix_loader_refuses_escape() {
        let l = PrefixDirLoader::new("https://x/", env!("CARGO_MANIFEST_DIR"));
        assert!(l.load("https://x/contexts/w3c-multikey-v1.jsonld").is_ok());
        assert!(matches!(
            l.load("https://x/../Cargo.toml"),
            Err(LoadError::UnknownContext(_))
        ));
        assert!(matches!(
            l.load("https://y/Cargo.toml"),
            Err(LoadError::UnknownContext(_))
        ));
    }
}
