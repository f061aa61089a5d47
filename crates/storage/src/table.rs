//! Table names.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Mutex, PoisonError};

/// Longest accepted table name, in bytes.
pub const MAX_TABLE_NAME_LEN: usize = 64;

/// The name of a table: a static, validated string such as `"offers"`.
///
/// Names are `[a-z][a-z0-9_]*`, at most [`MAX_TABLE_NAME_LEN`] bytes. Names starting with
/// an underscore are reserved for the store's own bookkeeping, so no table can collide with it.
///
/// Tables are declared once, as constants, next to the records that live in them:
///
/// ```
/// use rosette_storage::Table;
/// const OFFERS: Table = Table::new("offers");
/// assert_eq!(OFFERS.as_str(), "offers");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Table(&'static str);

/// A table name that breaks the naming rule of [`Table`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid table name {name:?}: must match [a-z][a-z0-9_]* and be at most 64 bytes")]
pub struct InvalidTableName {
    /// The rejected name.
    pub name: &'static str,
}

impl Table {
    /// A table name, checked at compile time when used in a `const`.
    ///
    /// # Panics
    ///
    /// If `name` breaks the naming rule. Names are literals written by programmers, so in a
    /// `const` item this is a compile error, never a runtime failure; use [`Table::try_new`]
    /// for names that are not literals.
    pub const fn new(name: &'static str) -> Self {
        match Self::try_new(name) {
            Ok(table) => table,
            Err(_) => {
                panic!("invalid table name: must match [a-z][a-z0-9_]* and be at most 64 bytes")
            }
        }
    }

    /// A table name, or the reason it is not one.
    pub const fn try_new(name: &'static str) -> Result<Self, InvalidTableName> {
        let bytes = name.as_bytes();
        if bytes.is_empty() || bytes.len() > MAX_TABLE_NAME_LEN || !bytes[0].is_ascii_lowercase() {
            return Err(InvalidTableName { name });
        }
        // A `while` loop because iterators are not const; `i` stays below the length.
        let mut i = 1;
        while i < bytes.len() {
            let b = bytes[i];
            if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return Err(InvalidTableName { name });
            }
            i += 1;
        }
        Ok(Self(name))
    }

    /// The table named `name`, for names read at run time (from a store's list of tables).
    ///
    /// Each distinct name is allocated once and kept for the life of the process, so only call
    /// this with names of tables that exist, never with names taken from requests.
    pub fn interned(name: &str) -> Result<Self, InvalidTableName> {
        static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
        let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&known) = names.get(name) {
            return Self::try_new(known);
        }
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let table = Self::try_new(leaked)?;
        names.insert(leaked);
        Ok(table)
    }

    /// The name as a string.
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Table({})", self.0)
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_lowercase_names() {
        for name in ["a", "offers", "access_tokens", "status_list_2"] {
            assert_eq!(Table::try_new(name).map(Table::as_str), Ok(name));
        }
        let longest: &'static str = "a".repeat(64).leak();
        assert!(Table::try_new(longest).is_ok());
    }

    #[test]
    fn rejects_reserved_and_malformed_names() {
        let too_long: &'static str = "a".repeat(65).leak();
        for name in [
            "",
            "_meta",
            "__sled__default",
            "Offers",
            "9lives",
            "a-b",
            "a b",
            "é",
            too_long,
        ] {
            assert_eq!(
                Table::try_new(name),
                Err(InvalidTableName { name }),
                "{name:?}"
            );
        }
    }
}
