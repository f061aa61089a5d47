//! The one error type of the store, and the outcome of a lost compare-and-swap.

use std::fmt;
use std::path::PathBuf;

use crate::Table;

/// Why a storage operation failed.
///
/// No engine type leaks through: a backend maps its own errors onto these variants.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// Reading or writing the store's files failed.
    #[error("storage I/O failed: {source}")]
    Io {
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// Another process (or another handle in this one) holds the store open.
    #[error("store at {} is locked by another process", path.display())]
    Locked {
        /// The store's directory.
        path: PathBuf,
    },
    /// The store's files are damaged or are not a Rosette store; nothing was read from them.
    #[error("store files are corrupted: {reason}")]
    StoreCorrupted {
        /// What was found wrong.
        reason: String,
    },
    /// One stored record cannot be decoded; the rest of the store is usable.
    #[error("record {table}/{} is corrupted: {reason}", KeyDisplay(key))]
    Corrupted {
        /// The record's table.
        table: Table,
        /// The record's key.
        key: Vec<u8>,
        /// What is wrong with its bytes.
        reason: String,
    },
    /// A record was written in a format version this build cannot read or migrate.
    #[error(
        "record {table}/{} has format version {found}; this build writes version {current} and \
         cannot migrate from {found}",
        KeyDisplay(key)
    )]
    UnsupportedVersion {
        /// The record's table.
        table: Table,
        /// The record's key.
        key: Vec<u8>,
        /// The version found in the stored envelope.
        found: u32,
        /// The version this build writes.
        current: u32,
    },
    /// A record could not be encoded (its `Serialize` impl failed).
    #[error("record for table {table} could not be encoded: {reason}")]
    Encode {
        /// The record's table.
        table: Table,
        /// The serializer's message.
        reason: String,
    },
    /// The engine was used in a way it does not support.
    #[error("unsupported storage operation: {reason}")]
    Unsupported {
        /// The engine's message.
        reason: String,
    },
    /// The engine reported an internal bug.
    #[error("storage engine bug: {reason}")]
    EngineBug {
        /// The engine's message.
        reason: String,
    },
    /// A requirement of a batch given to [`Store::apply`](crate::Store::apply) did not hold;
    /// nothing was written.
    #[error(
        "batch requirement on {table}/{} does not hold; nothing was written",
        KeyDisplay(key)
    )]
    RequirementFailed {
        /// The required key's table.
        table: Table,
        /// The required key.
        key: Vec<u8>,
    },
    /// The database server cannot be reached or stopped answering (PostgreSQL down,
    /// restarting, or out of connections). Nothing is known to be written; retrying later is
    /// safe.
    #[error("the database is unavailable: {reason}")]
    Unavailable {
        /// What failed, for logs.
        reason: String,
    },
    /// The database was set up by a newer Rosette than this one (its schema version is higher
    /// than any this build knows); nothing was changed.
    #[error(
        "the database schema is version {found}, newer than this build knows ({known}): \
         run the newer rosette-agent, or restore a backup made before the upgrade"
    )]
    SchemaTooNew {
        /// The version found in the database.
        found: i32,
        /// The newest version this build knows.
        known: i32,
    },
    /// A read-modify-write kept losing races and gave up.
    #[error("update of {table}/{} lost {attempts} races in a row", KeyDisplay(key))]
    Contended {
        /// The record's table.
        table: Table,
        /// The record's key.
        key: Vec<u8>,
        /// How many attempts were made.
        attempts: u32,
    },
}

impl From<crate::InvalidTableName> for StorageError {
    /// A table name read from a store that no table can have: the store holds foreign data.
    fn from(e: crate::InvalidTableName) -> Self {
        StorageError::StoreCorrupted {
            reason: format!("the store holds a table no Rosette build writes: {e}"),
        }
    }
}

/// A compare-and-swap found a value other than the expected one, and wrote nothing.
///
/// This is an expected outcome, not a failure: when 50 requests redeem one single-use code,
/// 49 of them get this. `Debug` shows only the length of the current value, since values may
/// hold secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct CasConflict {
    /// The value found in place of the expected one (`None`: the key was absent).
    pub current: Option<Vec<u8>>,
}

impl fmt::Debug for CasConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CasConflict")
            .field("current_len", &self.current.as_ref().map(Vec::len))
            .finish()
    }
}

impl fmt::Display for CasConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.current {
            Some(_) => f.write_str("compare-and-swap conflict: the key holds another value"),
            None => f.write_str("compare-and-swap conflict: the key is absent"),
        }
    }
}

impl std::error::Error for CasConflict {}

/// A requirement of a batch did not hold, and the batch wrote nothing.
///
/// Like [`CasConflict`], an expected outcome; `Debug` shows only the current value's length.
#[derive(Clone, PartialEq, Eq)]
pub struct RequirementFailed {
    /// The table of the first requirement that failed.
    pub table: Table,
    /// Its key.
    pub key: Vec<u8>,
    /// The value found there (`None`: absent).
    pub current: Option<Vec<u8>>,
}

impl fmt::Debug for RequirementFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequirementFailed")
            .field("table", &self.table)
            .field("key", &format_args!("{}", KeyDisplay(&self.key)))
            .field("current_len", &self.current.as_ref().map(Vec::len))
            .finish()
    }
}

impl fmt::Display for RequirementFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "batch requirement on {}/{} does not hold",
            self.table,
            KeyDisplay(&self.key)
        )
    }
}

impl std::error::Error for RequirementFailed {}

/// Shows a key in messages: printable ASCII as is, other bytes as `\xNN`, cut after 64 bytes.
pub(crate) struct KeyDisplay<'a>(pub(crate) &'a [u8]);

impl fmt::Display for KeyDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 64;
        for &b in self.0.iter().take(SHOWN) {
            if b.is_ascii_graphic() && b != b'\\' {
                write!(f, "{}", char::from(b))?;
            } else {
                write!(f, "\\x{b:02x}")?;
            }
        }
        if self.0.len() > SHOWN {
            write!(f, "…({} bytes)", self.0.len())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_print_escaped_and_cut() {
        assert_eq!(KeyDisplay(b"offer/1").to_string(), "offer/1");
        assert_eq!(
            KeyDisplay(b"a b\\\x00\xff").to_string(),
            "a\\x20b\\x5c\\x00\\xff"
        );
        let long = vec![b'k'; 100];
        assert_eq!(
            KeyDisplay(&long).to_string(),
            format!("{}…(100 bytes)", "k".repeat(64))
        );
    }

    #[test]
    fn cas_conflict_debug_hides_the_value() {
        let conflict = CasConflict {
            current: Some(b"secret-hash".to_vec()),
        };
        assert_eq!(
            format!("{conflict:?}"),
            "CasConflict { current_len: Some(11) }"
        );
    }
}
