//! Reading one credential's status from a list credential
//! ([§ 3.2 Validate Algorithm](https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm),
//! steps after the list credential is fetched and verified).

use serde_json::{Map, Value};

use crate::bitstring::{DecodeError, StatusList};
use crate::wire::{
    BITSTRING_STATUS_LIST, BITSTRING_STATUS_LIST_CREDENTIAL, BITSTRING_STATUS_LIST_ENTRY,
    StatusListCredentialSubject, StatusListEntry, StatusPurpose,
};

/// A credential's status on one list.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status {
    /// The entry's purpose: what a set bit means.
    pub purpose: StatusPurpose,
    /// Whether the bit is set.
    pub set: bool,
    /// The list's size in entries.
    pub list_len: usize,
}

impl Status {
    /// Set on a revocation list.
    pub fn is_revoked(&self) -> bool {
        self.set && self.purpose == StatusPurpose::Revocation
    }

    /// Set on a suspension list.
    pub fn is_suspended(&self) -> bool {
        self.set && self.purpose == StatusPurpose::Suspension
    }
}

/// Why a status could not be read. Each variant names the violated rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusError {
    /// The credential's `credentialStatus` is not a `BitstringStatusListEntry` we can read.
    #[error("malformed BitstringStatusListEntry: {0}")]
    MalformedEntry(String),
    /// The entry uses more than one bit per credential.
    #[error("statusSize {0} is not supported (only 1)")]
    UnsupportedStatusSize(u64),
    /// The list credential is not a JSON object.
    #[error("the status list credential is not a JSON object")]
    NotAnObject,
    /// The list credential's `type` lacks `BitstringStatusListCredential`.
    #[error("the status list credential's type does not include BitstringStatusListCredential")]
    NotAListCredential,
    /// The list credential's subject is missing or malformed.
    #[error("the status list credential's subject is not a BitstringStatusList: {0}")]
    MalformedSubject(String),
    /// The list is for another purpose than the entry (`STATUS_VERIFICATION_ERROR`).
    #[error("the entry's purpose {entry} is not among the list's purposes ({list})")]
    PurposeMismatch {
        /// The entry's purpose.
        entry: StatusPurpose,
        /// The list's purposes, comma-separated.
        list: String,
    },
    /// `encodedList` does not decode.
    #[error("encodedList: {0}")]
    Decode(#[from] DecodeError),
    /// The index is past the end of the list (`RANGE_ERROR`).
    #[error("statusListIndex {index} is outside the list of {len} entries")]
    IndexOutOfRange {
        /// The entry's index.
        index: u64,
        /// The list's length.
        len: usize,
    },
}

/// The `BitstringStatusListEntry` values of a credential's `credentialStatus` (an object, or an
/// array in VC 2.0). Entries of other types are left out; a malformed Bitstring entry is an
/// error.
pub fn entries_of(credential: &Map<String, Value>) -> Result<Vec<StatusListEntry>, StatusError> {
    let raw: Vec<&Value> = match credential.get("credentialStatus") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(one) => vec![one],
    };
    raw.into_iter()
        .filter(|v| v.get("type").and_then(Value::as_str) == Some(BITSTRING_STATUS_LIST_ENTRY))
        .map(|v| {
            serde_json::from_value::<StatusListEntry>(v.clone())
                .map_err(|e| StatusError::MalformedEntry(e.to_string()))
        })
        .collect()
}

/// The status of `entry` in `list_credential`, a `BitstringStatusListCredential` the caller
/// has already verified (proof, issuer = the credential's issuer, validity window). Decodes
/// with the [`crate::DEFAULT_MAX_DECODED_BYTES`] cap.
pub fn check(entry: &StatusListEntry, list_credential: &Value) -> Result<Status, StatusError> {
    if let Some(size) = entry.status_size.filter(|s| *s != 1) {
        return Err(StatusError::UnsupportedStatusSize(size));
    }
    let object = list_credential
        .as_object()
        .ok_or(StatusError::NotAnObject)?;
    let is_list = match object.get("type") {
        Some(Value::Array(types)) => types
            .iter()
            .any(|t| t.as_str() == Some(BITSTRING_STATUS_LIST_CREDENTIAL)),
        Some(Value::String(t)) => t == BITSTRING_STATUS_LIST_CREDENTIAL,
        _ => false,
    };
    if !is_list {
        return Err(StatusError::NotAListCredential);
    }
    let subject = match object.get("credentialSubject") {
        Some(Value::Array(items)) if items.len() == 1 => items.first(),
        Some(Value::Array(_)) => {
            return Err(StatusError::MalformedSubject(
                "expected exactly one subject".into(),
            ));
        }
        other => other,
    }
    .ok_or_else(|| StatusError::MalformedSubject("no credentialSubject".into()))?;
    let subject: StatusListCredentialSubject = serde_json::from_value(subject.clone())
        .map_err(|e| StatusError::MalformedSubject(e.to_string()))?;
    if subject.kind != BITSTRING_STATUS_LIST {
        return Err(StatusError::MalformedSubject(format!(
            "type is {}, not {BITSTRING_STATUS_LIST}",
            subject.kind
        )));
    }
    if !subject.status_purpose.contains(&entry.status_purpose) {
        let list = subject
            .status_purpose
            .iter()
            .map(StatusPurpose::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        return Err(StatusError::PurposeMismatch {
            entry: entry.status_purpose.clone(),
            list,
        });
    }
    let list = StatusList::decode_default(&subject.encoded_list)?;
    let index = entry.status_list_index.0;
    let set = list.get(index).map_err(|_| StatusError::IndexOutOfRange {
        index,
        len: list.len(),
    })?;
    Ok(Status {
        purpose: entry.status_purpose.clone(),
        set,
        list_len: list.len(),
    })
}
