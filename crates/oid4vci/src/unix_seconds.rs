//! Serde for [`Timestamp`] as integer seconds since the Unix epoch (storage form of records).

use rosette_core::Timestamp;
use serde::{Deserialize, Deserializer, Serializer};

/// Writes seconds since the epoch.
pub(crate) fn serialize<S: Serializer>(t: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_i64(t.unix())
}

/// Reads seconds since the epoch.
pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Timestamp, D::Error> {
    let seconds = i64::deserialize(deserializer)?;
    Timestamp::from_unix(seconds).ok_or_else(|| serde::de::Error::custom("timestamp out of range"))
}
