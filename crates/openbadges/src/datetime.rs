//! `DateTimeStamp`: an XML Schema `dateTimeStamp` kept in its lexical form.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// Why a timestamp string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateTimeError {
    /// Not of the form `YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)`.
    #[error("not an XML Schema dateTimeStamp (YYYY-MM-DDThh:mm:ss[.f](Z|±hh:mm)): {0:?}")]
    Syntax(String),
    /// The timezone is missing (VC DateTimeZ requires it).
    #[error("timestamp has no timezone: {0:?}")]
    MissingTimezone(String),
    /// A field is out of range (e.g. month 13, 31 February).
    #[error("{field} out of range in {value:?}")]
    OutOfRange {
        /// Which component: month, day, hour, minute, second, timezone.
        field: &'static str,
        /// The rejected input.
        value: String,
    },
}

/// A timestamp with a timezone (VC `dateTimeStamp`, OB `DateTimeZ`), e.g.
/// `2010-01-01T00:00:00Z` or `2021-09-07T02:09:59.5+02:00`.
///
/// The string is validated but never re-formatted, so a signed value is emitted byte for
/// byte as it was read. Comparison and ordering use the instant it denotes.
#[derive(Clone)]
pub struct DateTimeStamp {
    text: String,
    // Seconds since 1970-01-01T00:00:00Z and the fractional part in nanoseconds.
    seconds: i64,
    nanos: u32,
}

impl DateTimeStamp {
    /// Validates `text` and keeps it verbatim.
    pub fn parse(text: &str) -> Result<Self, DateTimeError> {
        let (seconds, nanos) = parse_instant(text)?;
        Ok(Self {
            text: text.to_owned(),
            seconds,
            nanos,
        })
    }

    /// The lexical form, exactly as given.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whole seconds since the Unix epoch (UTC).
    pub fn unix_seconds(&self) -> i64 {
        self.seconds
    }

    /// The fractional second in nanoseconds (digits beyond nanoseconds are ignored).
    pub fn subsec_nanos(&self) -> u32 {
        self.nanos
    }
}

impl fmt::Debug for DateTimeStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DateTimeStamp").field(&self.text).finish()
    }
}

impl fmt::Display for DateTimeStamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for DateTimeStamp {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for DateTimeStamp {}
impl PartialOrd for DateTimeStamp {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for DateTimeStamp {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.seconds, self.nanos).cmp(&(other.seconds, other.nanos))
    }
}

impl std::str::FromStr for DateTimeStamp {
    type Err = DateTimeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for DateTimeStamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for DateTimeStamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn digits(bytes: &[u8], start: usize, len: usize) -> Option<i64> {
    let slice = bytes.get(start..start + len)?;
    slice.iter().try_fold(0i64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

fn expect(bytes: &[u8], at: usize, ch: u8) -> bool {
    bytes.get(at) == Some(&ch)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_instant(text: &str) -> Result<(i64, u32), DateTimeError> {
    let syntax = || DateTimeError::Syntax(text.to_owned());
    let range = |field| DateTimeError::OutOfRange {
        field,
        value: text.to_owned(),
    };
    let b = text.as_bytes();
    let year = digits(b, 0, 4).ok_or_else(syntax)?;
    let ok = expect(b, 4, b'-')
        && expect(b, 7, b'-')
        && (expect(b, 10, b'T') || expect(b, 10, b't'))
        && expect(b, 13, b':')
        && expect(b, 16, b':');
    if !ok {
        return Err(syntax());
    }
    let month = digits(b, 5, 2).ok_or_else(syntax)?;
    let day = digits(b, 8, 2).ok_or_else(syntax)?;
    let hour = digits(b, 11, 2).ok_or_else(syntax)?;
    let minute = digits(b, 14, 2).ok_or_else(syntax)?;
    let second = digits(b, 17, 2).ok_or_else(syntax)?;
    let mut pos = 19;
    let mut nanos: u32 = 0;
    if expect(b, pos, b'.') {
        pos += 1;
        let start = pos;
        while b.get(pos).is_some_and(u8::is_ascii_digit) {
            if pos - start < 9 {
                nanos = nanos * 10 + u32::from(b.get(pos).map_or(0, |d| d - b'0'));
            }
            pos += 1;
        }
        let n = pos - start;
        if n == 0 {
            return Err(syntax());
        }
        for _ in n..9 {
            nanos *= 10;
        }
    }
    let offset_minutes = match b.get(pos) {
        None => return Err(DateTimeError::MissingTimezone(text.to_owned())),
        Some(b'Z' | b'z') if pos + 1 == b.len() => 0,
        Some(sign @ (b'+' | b'-')) if pos + 6 == b.len() && expect(b, pos + 3, b':') => {
            let oh = digits(b, pos + 1, 2).ok_or_else(syntax)?;
            let om = digits(b, pos + 4, 2).ok_or_else(syntax)?;
            if oh > 14 || om > 59 || (oh == 14 && om != 0) {
                return Err(range("timezone"));
            }
            let total = oh * 60 + om;
            if *sign == b'-' { -total } else { total }
        }
        Some(_) => return Err(syntax()),
    };
    if !(1..=12).contains(&month) {
        return Err(range("month"));
    }
    if day < 1 || day > days_in_month(year, month) {
        return Err(range("day"));
    }
    if hour > 23 {
        return Err(range("hour"));
    }
    if minute > 59 {
        return Err(range("minute"));
    }
    // 60 admits a leap second; it is counted as the next second.
    if second > 60 {
        return Err(range("second"));
    }
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60;
    Ok((seconds, nanos))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_lexical_form_and_orders_by_instant() {
        let a = DateTimeStamp::parse("2010-01-01T00:00:00Z").unwrap();
        assert_eq!(a.unix_seconds(), 1_262_304_000);
        let b = DateTimeStamp::parse("2010-01-01T01:00:00.500+01:00").unwrap();
        assert_eq!(b.as_str(), "2010-01-01T01:00:00.500+01:00");
        assert_eq!(b.unix_seconds(), 1_262_304_000);
        assert_eq!(b.subsec_nanos(), 500_000_000);
        assert!(a < b);
        let c = DateTimeStamp::parse("2010-01-01T01:00:00+01:00").unwrap();
        assert_eq!(a, c);
        assert_eq!(
            serde_json::to_string(&b).unwrap(),
            "\"2010-01-01T01:00:00.500+01:00\""
        );
    }

    #[test]
    fn rejects_malformed_and_out_of_range() {
        for bad in [
            "",
            "2010-01-01",
            "2010-01-01T00:00:00",
            "2010-01-01 00:00:00Z",
            "2010-13-01T00:00:00Z",
            "2011-02-29T00:00:00Z",
            "2010-01-01T24:00:00Z",
            "2010-01-01T00:00:00.Z",
            "2010-01-01T00:00:00+1:00",
            "2010-01-01T00:00:00Zjunk",
            "2010-01-01T00:00:00+15:00",
            "２０１０-01-01T00:00:00Z",
        ] {
            assert!(DateTimeStamp::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(DateTimeStamp::parse("2012-02-29T23:59:60-05:30").is_ok());
        assert!(matches!(
            DateTimeStamp::parse("2010-01-01T00:00:00"),
            Err(DateTimeError::MissingTimezone(_))
        ));
    }
}
