//! Wire types: a credential's `credentialStatus` entry and the list credential's subject
//! ([§ 2.1](https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistentry),
//! [§ 2.2](https://www.w3.org/TR/vc-bitstring-status-list/#bitstringstatuslistcredential)).
//! The terms are defined by the VC 2.0 context (`https://www.w3.org/ns/credentials/v2`), so a
//! VC 2.0 credential needs no extra context for them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `type` of a `credentialStatus` entry.
pub const BITSTRING_STATUS_LIST_ENTRY: &str = "BitstringStatusListEntry";
/// A `type` of the status list credential (beside `VerifiableCredential`).
pub const BITSTRING_STATUS_LIST_CREDENTIAL: &str = "BitstringStatusListCredential";
/// `type` of the status list credential's subject.
pub const BITSTRING_STATUS_LIST: &str = "BitstringStatusList";

/// What a set bit means (`statusPurpose`). Open: unknown values round-trip.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum StatusPurpose {
    /// `revocation`: permanent; a set bit is never cleared.
    Revocation,
    /// `suspension`: temporary; a set bit may be cleared (reinstated).
    Suspension,
    /// `refresh`: a newer credential is available.
    Refresh,
    /// `message`: the status has a message (`statusSize`/`statusMessage`).
    Message,
    /// Any other value, kept as written.
    Extension(String),
}

impl StatusPurpose {
    /// The spec string.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Revocation => "revocation",
            Self::Suspension => "suspension",
            Self::Refresh => "refresh",
            Self::Message => "message",
            Self::Extension(s) => s,
        }
    }

    /// Parses a spec string; unknown values become [`Self::Extension`].
    pub fn parse(text: &str) -> Self {
        match text {
            "revocation" => Self::Revocation,
            "suspension" => Self::Suspension,
            "refresh" => Self::Refresh,
            "message" => Self::Message,
            other => Self::Extension(other.to_owned()),
        }
    }
}

impl fmt::Display for StatusPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for StatusPurpose {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for StatusPurpose {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| Self::parse(&s))
    }
}

/// `statusListIndex`: a position in the list. Written as a decimal string (the spec's form);
/// read from a string or, as some issuers (1EdTech's examples) write it, a JSON number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StatusListIndex(pub u64);

impl fmt::Display for StatusListIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for StatusListIndex {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for StatusListIndex {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s)
                if !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()) =>
            {
                s.parse().map(Self).map_err(D::Error::custom)
            }
            serde_json::Value::Number(n) => n
                .as_u64()
                .map(Self)
                .ok_or_else(|| D::Error::custom("statusListIndex must be a non-negative integer")),
            _ => Err(D::Error::custom(
                "statusListIndex must be a decimal string of a non-negative integer",
            )),
        }
    }
}

/// A `credentialStatus` entry of type `BitstringStatusListEntry`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StatusListEntry {
    /// OPTIONAL. A URL for the entry, by convention `<statusListCredential>#<index>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// REQUIRED. `BitstringStatusListEntry`.
    #[serde(rename = "type")]
    pub kind: String,
    /// REQUIRED. What a set bit means.
    pub status_purpose: StatusPurpose,
    /// REQUIRED. The credential's position in the list.
    pub status_list_index: StatusListIndex,
    /// REQUIRED. The URL of the `BitstringStatusListCredential`.
    pub status_list_credential: String,
    /// OPTIONAL. Bits per entry; only 1 (the default) is supported here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_size: Option<u64>,
}

impl StatusListEntry {
    /// An entry for position `index` of the list at `list_url`, with `id` = `<list_url>#<index>`.
    pub fn new(purpose: StatusPurpose, index: u64, list_url: impl Into<String>) -> Self {
        let list_url = list_url.into();
        Self {
            id: Some(format!("{list_url}#{index}")),
            kind: BITSTRING_STATUS_LIST_ENTRY.to_owned(),
            status_purpose: purpose,
            status_list_index: StatusListIndex(index),
            status_list_credential: list_url,
            status_size: None,
        }
    }

    /// The entry as JSON, ready to be the credential's `credentialStatus`.
    pub fn to_json(&self) -> serde_json::Value {
        // Serialising plain strings and a number cannot fail.
        serde_json::to_value(self).unwrap_or_default()
    }
}

/// The `credentialSubject` of a `BitstringStatusListCredential`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StatusListCredentialSubject {
    /// OPTIONAL. The list's id, by convention `<list credential URL>#list`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// REQUIRED. `BitstringStatusList`.
    #[serde(rename = "type")]
    pub kind: String,
    /// REQUIRED. What a set bit means; the spec allows one purpose or several.
    #[serde(with = "one_or_many")]
    pub status_purpose: Vec<StatusPurpose>,
    /// REQUIRED. The [`crate::StatusList::encode`] form of the bitstring.
    pub encoded_list: String,
    /// OPTIONAL. Milliseconds a verifier may cache the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<u64>,
}

impl StatusListCredentialSubject {
    /// A subject with one purpose.
    pub fn new(id: Option<String>, purpose: StatusPurpose, encoded_list: String) -> Self {
        Self {
            id,
            kind: BITSTRING_STATUS_LIST.to_owned(),
            status_purpose: vec![purpose],
            encoded_list,
            ttl: None,
        }
    }
}

mod one_or_many {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::StatusPurpose;

    pub(super) fn serialize<S: Serializer>(v: &[StatusPurpose], s: S) -> Result<S::Ok, S::Error> {
        match v {
            [one] => one.serialize(s),
            many => many.serialize(s),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<StatusPurpose>, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum OneOrMany {
            One(StatusPurpose),
            Many(Vec<StatusPurpose>),
        }
        Ok(match OneOrMany::deserialize(d)? {
            OneOrMany::One(p) => vec![p],
            OneOrMany::Many(ps) => ps,
        })
    }
}
