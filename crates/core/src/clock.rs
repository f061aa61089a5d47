//! Time is a parameter: logic takes a [`Clock`] so tests can fix "now".

use std::fmt;
use std::sync::Mutex;

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

/// A point in time, UTC, with whole-second precision (what credentials carry).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// 1970-01-01T00:00:00Z.
    pub const UNIX_EPOCH: Self = Self(OffsetDateTime::UNIX_EPOCH);

    /// From seconds since the Unix epoch; `None` when out of range.
    pub fn from_unix(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds).ok().map(Self)
    }

    /// Seconds since the Unix epoch.
    pub fn unix(self) -> i64 {
        self.0.unix_timestamp()
    }

    /// Parses an XML Schema `dateTimeStamp` / RFC 3339 date-time (an offset is required).
    pub fn parse(text: &str) -> Option<Self> {
        let parsed = OffsetDateTime::parse(text, &Rfc3339).ok()?;
        Some(Self(parsed.to_offset(UtcOffset::UTC)))
    }

    /// `2026-11-26T23:05:58Z`: the form we write into credentials.
    pub fn to_rfc3339(self) -> String {
        let t = self.0.replace_nanosecond(0).unwrap_or(self.0);
        let (y, mo, d) = (t.year(), u8::from(t.month()), t.day());
        let (h, mi, s) = (t.hour(), t.minute(), t.second());
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }

    /// This time plus `seconds`; `None` past the years -9999..=9999 the type holds.
    pub fn checked_plus_seconds(self, seconds: i64) -> Option<Self> {
        self.0
            .checked_add(time::Duration::seconds(seconds))
            .map(Self)
    }

    /// This time plus `seconds`, clamped to the range the type holds: never panics, whatever
    /// the input (a lifetime or a validity from a request could be anything). Code that must
    /// refuse an out-of-range result uses [`Self::checked_plus_seconds`].
    pub fn plus_seconds(self, seconds: i64) -> Self {
        self.checked_plus_seconds(seconds)
            .unwrap_or(if seconds < 0 {
                Self(time::PrimitiveDateTime::MIN.assume_utc())
            } else {
                Self(time::PrimitiveDateTime::MAX.assume_utc())
            })
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// A source of the current time.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> Timestamp;
}

/// The real clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // The one sanctioned read of the system time.
    fn now(&self) -> Timestamp {
        Timestamp(
            OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or_else(|_| OffsetDateTime::now_utc()),
        )
    }
}

/// A clock that stands still until told to move; for tests.
#[derive(Debug)]
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    /// A clock stopped at `at`.
    pub fn new(at: Timestamp) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock by `seconds`.
    pub fn advance(&self, seconds: i64) {
        let mut now = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *now = now.plus_seconds(seconds);
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip_normalises_to_utc_seconds() {
        let t = Timestamp::parse("2024-01-02T03:04:05.678+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-02T02:04:05Z");
        assert_eq!(
            Timestamp::parse("2024-01-02T02:04:05Z").unwrap().unix(),
            t.unix()
        );
    }

    #[test]
    fn validity_days_overflow_never_panics() {
        // 2,930,000 days (the value that crashed issuance) and the extremes of i64.
        let now = Timestamp::from_unix(1_800_000_000).unwrap();
        assert!(now.checked_plus_seconds(2_930_000 * 86_400).is_none());
        assert!(now.checked_plus_seconds(i64::MAX).is_none());
        assert!(now.checked_plus_seconds(i64::MIN).is_none());
        assert!(now.plus_seconds(i64::MAX) > now);
        assert!(now.plus_seconds(i64::MIN) < now);
        assert_eq!(now.plus_seconds(60).unix(), 1_800_000_060);
    }

    #[test]
    fn date_without_offset_is_rejected() {
        assert!(Timestamp::parse("2024-01-02T03:04:05").is_none());
        assert!(Timestamp::parse("yesterday").is_none());
    }

    #[test]
    fn fixed_clock_advances_only_when_told() {
        let clock = FixedClock::new(Timestamp::from_unix(1_700_000_000).unwrap());
        assert_eq!(clock.now().unix(), 1_700_000_000);
        clock.advance(60);
        assert_eq!(clock.now().unix(), 1_700_000_060);
    }
}
