//! The bitstring and its `encodedList` form
//! ([§ Bitstring Encoding](https://www.w3.org/TR/vc-bitstring-status-list/#bitstring-encoding)).

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};

/// The smallest list the spec allows: 16 KiB of bits (131,072 entries), the herd a credential
/// hides in.
pub const MIN_LIST_LENGTH: usize = 131_072;

/// The decompressed size [`StatusList::decode_default`] accepts at most: 16 MiB (134 million
/// entries), far beyond any real list, small enough that a "zip bomb" list cannot hurt.
pub const DEFAULT_MAX_DECODED_BYTES: usize = 16 * 1024 * 1024;

/// GZIP header of our output: no name, no mtime (so equal lists encode to equal strings),
/// OS "unknown".
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

// Peers differ on padding; the spec says none, so we write none and read both.
const BASE64URL_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// A bitstring of statuses: bit `i` is the status of the credential with `statusListIndex` `i`.
/// Bit 0 is the left-most (most significant) bit of the first byte.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusList {
    bytes: Vec<u8>,
}

impl std::fmt::Debug for StatusList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatusList")
            .field("len", &self.len())
            .field("set", &self.count_set())
            .finish()
    }
}

/// Creating or changing a [`StatusList`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusListError {
    /// The list would be shorter than the spec's 131,072 entries.
    #[error("a status list needs at least {MIN_LIST_LENGTH} entries, not {0}")]
    TooShort(usize),
    /// The length is not a whole number of bytes.
    #[error("a status list length must be a multiple of 8, not {0}")]
    NotWholeBytes(usize),
    /// The index is past the end of the list.
    #[error("index {index} is outside the list of {len} entries")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The list's length in entries.
        len: usize,
    },
}

/// Decoding an `encodedList` failed. Every malformed input ends here; none panics.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The multibase prefix is not `u` (base64url, no padding).
    #[error("encodedList must start with the multibase prefix 'u' (base64url)")]
    NotBase64UrlMultibase,
    /// The text after the prefix is not base64url.
    #[error("encodedList is not base64url: {0}")]
    Base64(String),
    /// The bytes do not start with a GZIP header.
    #[error("encodedList is not GZIP data")]
    NotGzip,
    /// The GZIP header or trailer is cut short or uses an unknown compression method.
    #[error("malformed GZIP container: {0}")]
    MalformedGzip(&'static str),
    /// The DEFLATE stream is corrupt.
    #[error("corrupt compressed data: {0}")]
    Inflate(String),
    /// The bitstring decompresses to more than the caller allows.
    #[error("the list decompresses to more than {max} bytes")]
    TooLarge {
        /// The cap that was hit.
        max: usize,
    },
    /// The CRC-32 or length in the GZIP trailer does not match the data.
    #[error("GZIP trailer mismatch ({0})")]
    Checksum(&'static str),
    /// The decoded list has fewer than 131,072 entries (`STATUS_LIST_LENGTH_ERROR`).
    #[error("the decoded list has {0} entries, fewer than the {MIN_LIST_LENGTH} the spec requires")]
    TooShort(usize),
}

impl StatusList {
    /// An all-clear list of `len` entries (at least [`MIN_LIST_LENGTH`], a multiple of 8).
    pub fn new(len: usize) -> Result<Self, StatusListError> {
        if len < MIN_LIST_LENGTH {
            return Err(StatusListError::TooShort(len));
        }
        if !len.is_multiple_of(8) {
            return Err(StatusListError::NotWholeBytes(len));
        }
        Ok(Self {
            bytes: vec![0; len / 8],
        })
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.bytes.len().saturating_mul(8)
    }

    /// Always false: a list has at least [`MIN_LIST_LENGTH`] entries.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// How many entries are set.
    pub fn count_set(&self) -> usize {
        self.bytes.iter().map(|b| b.count_ones() as usize).sum()
    }

    /// The status bit at `index`.
    pub fn get(&self, index: u64) -> Result<bool, StatusListError> {
        let (byte, mask) = self.locate(index)?;
        Ok(self.bytes.get(byte).is_some_and(|b| b & mask != 0))
    }

    /// Sets (`true`) or clears (`false`) the status bit at `index`.
    pub fn set(&mut self, index: u64, value: bool) -> Result<(), StatusListError> {
        let (byte, mask) = self.locate(index)?;
        let len = self.len();
        let slot = self
            .bytes
            .get_mut(byte)
            .ok_or(StatusListError::IndexOutOfRange { index, len })?;
        if value {
            *slot |= mask;
        } else {
            *slot &= !mask;
        }
        Ok(())
    }

    /// The raw bitstring, bit 0 first (most significant bit of byte 0).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A list from its raw bitstring (for storage); the length rules of [`Self::new`] apply.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, StatusListError> {
        let len = bytes.len().saturating_mul(8);
        if len < MIN_LIST_LENGTH {
            return Err(StatusListError::TooShort(len));
        }
        Ok(Self { bytes })
    }

    /// The `encodedList` value: `u` + base64url (no padding) of the GZIP of the bitstring.
    pub fn encode(&self) -> String {
        let deflated = miniz_oxide::deflate::compress_to_vec(&self.bytes, 9);
        let mut gzip = Vec::with_capacity(GZIP_HEADER.len() + deflated.len() + 8);
        gzip.extend_from_slice(&GZIP_HEADER);
        gzip.extend_from_slice(&deflated);
        gzip.extend_from_slice(&crc32fast::hash(&self.bytes).to_le_bytes());
        // ISIZE is the length modulo 2^32 (RFC 1952 §2.3.1).
        gzip.extend_from_slice(&(self.bytes.len() as u32).to_le_bytes());
        let mut out = String::with_capacity(1 + gzip.len() * 4 / 3 + 4);
        out.push('u');
        general_purpose::URL_SAFE_NO_PAD.encode_string(&gzip, &mut out);
        out
    }

    /// Decodes an `encodedList` with the [`DEFAULT_MAX_DECODED_BYTES`] cap.
    pub fn decode_default(encoded: &str) -> Result<Self, DecodeError> {
        Self::decode(encoded, DEFAULT_MAX_DECODED_BYTES)
    }

    /// Decodes an `encodedList`, refusing one that decompresses to more than `max_bytes`.
    pub fn decode(encoded: &str, max_bytes: usize) -> Result<Self, DecodeError> {
        let body = encoded
            .strip_prefix('u')
            .ok_or(DecodeError::NotBase64UrlMultibase)?;
        // Even incompressible data grows little in DEFLATE and by 4/3 in base64: text longer
        // than twice the cap (plus slack for the container) cannot be a list within the cap.
        if body.len() > max_bytes.saturating_mul(2).saturating_add(1024) {
            return Err(DecodeError::TooLarge { max: max_bytes });
        }
        let gzip = BASE64URL_LENIENT
            .decode(body)
            .map_err(|e| DecodeError::Base64(e.to_string()))?;
        let bytes = gunzip(&gzip, max_bytes)?;
        let entries = bytes.len().saturating_mul(8);
        if entries < MIN_LIST_LENGTH {
            return Err(DecodeError::TooShort(entries));
        }
        Ok(Self { bytes })
    }

    fn locate(&self, index: u64) -> Result<(usize, u8), StatusListError> {
        let len = self.len();
        match usize::try_from(index) {
            Ok(i) if i < len => Ok((i / 8, 0x80 >> (i % 8))),
            _ => Err(StatusListError::IndexOutOfRange { index, len }),
        }
    }
}

/// RFC 1952 single-member GZIP: header (with optional fields), DEFLATE, CRC-32 and ISIZE.
fn gunzip(data: &[u8], max_bytes: usize) -> Result<Vec<u8>, DecodeError> {
    const FHCRC: u8 = 0x02;
    const FEXTRA: u8 = 0x04;
    const FNAME: u8 = 0x08;
    const FCOMMENT: u8 = 0x10;
    let [0x1f, 0x8b, method, flags, _, _, _, _, _, _, rest @ ..] = data else {
        return Err(if data.starts_with(&[0x1f, 0x8b]) {
            DecodeError::MalformedGzip("header cut short")
        } else {
            DecodeError::NotGzip
        });
    };
    if *method != 8 {
        return Err(DecodeError::MalformedGzip(
            "compression method is not DEFLATE",
        ));
    }
    let mut rest = rest;
    if flags & FEXTRA != 0 {
        let [lo, hi, tail @ ..] = rest else {
            return Err(DecodeError::MalformedGzip("extra field cut short"));
        };
        let n = usize::from(u16::from_le_bytes([*lo, *hi]));
        rest = tail
            .get(n..)
            .ok_or(DecodeError::MalformedGzip("extra field cut short"))?;
    }
    for flag in [FNAME, FCOMMENT] {
        if flags & flag != 0 {
            let end = rest
                .iter()
                .position(|b| *b == 0)
                .ok_or(DecodeError::MalformedGzip("unterminated name or comment"))?;
            rest = rest.get(end + 1..).unwrap_or_default();
        }
    }
    if flags & FHCRC != 0 {
        rest = rest
            .get(2..)
            .ok_or(DecodeError::MalformedGzip("header CRC cut short"))?;
    }
    let split = rest
        .len()
        .checked_sub(8)
        .ok_or(DecodeError::MalformedGzip("trailer cut short"))?;
    let (deflated, trailer) = rest.split_at(split);
    let out = miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, max_bytes).map_err(
        |e| match e.status {
            miniz_oxide::inflate::TINFLStatus::HasMoreOutput => {
                DecodeError::TooLarge { max: max_bytes }
            }
            other => DecodeError::Inflate(format!("{other:?}")),
        },
    )?;
    let [c0, c1, c2, c3, s0, s1, s2, s3] = trailer else {
        return Err(DecodeError::MalformedGzip("trailer cut short"));
    };
    if u32::from_le_bytes([*c0, *c1, *c2, *c3]) != crc32fast::hash(&out) {
        return Err(DecodeError::Checksum("CRC-32"));
    }
    if u32::from_le_bytes([*s0, *s1, *s2, *s3]) != out.len() as u32 {
        return Err(DecodeError::Checksum("length"));
    }
    Ok(out)
}
