//! Open Badges baked images (OB 3.0 §5.3): embed a credential in a PNG or SVG and read it back.
//!
//! Sans-I/O: every function takes bytes or text and returns bytes or text. Readers also accept
//! Open Badges 2.0 baked images and report them as [`Baked::Ob2`].

mod default_image;
mod png;
mod svg;

pub use default_image::{default_badge_png, default_badge_svg};
pub use png::{bake_png, unbake_png};
pub use svg::{bake_svg, unbake_svg};

/// Largest image accepted by any function here; badge images are small.
pub const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;
/// Largest embedded credential text, after any decompression.
pub const MAX_CREDENTIAL_BYTES: usize = 8 * 1024 * 1024;

/// PNG iTXt keyword and SVG element of OB 3.0.
pub const OB3_PNG_KEYWORD: &str = "openbadgecredential";
/// Namespace of the OB 3.0 SVG `credential` element.
pub const OB3_SVG_NAMESPACE: &str = "https://purl.imsglobal.org/ob/v3p0";
/// PNG iTXt/tEXt keyword of OB 2.0 (and earlier).
pub const OB2_PNG_KEYWORD: &str = "openbadges";
/// Namespace of the OB 2.0 SVG `assertion` element.
pub const OB2_SVG_NAMESPACE: &str = "http://openbadges.org";

/// A credential to bake: the JSON-LD document or a compact JWS (VC-JWT).
#[derive(Debug, Clone, PartialEq)]
pub enum Credential {
    /// An embedded-proof (or unsigned) credential, stored as JSON text.
    Json(serde_json::Value),
    /// A compact JWS, `header.payload.signature`.
    Jwt(String),
}

/// What an image carried.
#[derive(Debug, Clone, PartialEq)]
pub enum Baked {
    /// OB 3.0 credential as JSON.
    Json(serde_json::Value),
    /// OB 3.0 credential as a compact JWS.
    Jwt(String),
    /// An OB 2.0 (or earlier) assertion.
    Ob2(Ob2Assertion),
}

/// An OB 2.0 baked assertion, in whichever form the image held it.
#[derive(Debug, Clone, PartialEq)]
pub enum Ob2Assertion {
    /// The assertion JSON itself (hosted verification, or signed inline elsewhere).
    Json(serde_json::Value),
    /// A signed assertion as a compact JWS.
    Jws(String),
    /// The URL of a hosted assertion.
    Url(String),
}

impl From<Credential> for Baked {
    fn from(c: Credential) -> Self {
        match c {
            Credential::Json(v) => Baked::Json(v),
            Credential::Jwt(s) => Baked::Jwt(s),
        }
    }
}

/// Why an image could not be baked.
#[derive(Debug, thiserror::Error)]
pub enum BakeError {
    /// The image is larger than [`MAX_IMAGE_BYTES`].
    #[error("image is {0} bytes, more than the {MAX_IMAGE_BYTES}-byte limit")]
    ImageTooLarge(usize),
    /// The credential text is larger than [`MAX_CREDENTIAL_BYTES`].
    #[error("credential is {0} bytes, more than the {MAX_CREDENTIAL_BYTES}-byte limit")]
    CredentialTooLarge(usize),
    /// The JSON credential could not be serialised (cannot happen for a `Value`; kept total).
    #[error("credential JSON could not be serialised: {0}")]
    Serialise(serde_json::Error),
    /// `Credential::Jwt` is not a compact JWS.
    #[error("credential JWT is not a compact JWS (three base64url segments)")]
    NotCompactJws,
    /// The PNG is malformed.
    #[error("invalid PNG: {0}")]
    Png(#[from] PngError),
    /// The SVG is malformed or unsafe.
    #[error("invalid SVG: {0}")]
    Svg(#[from] SvgError),
}

/// Why an image could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UnbakeError {
    /// The image is larger than [`MAX_IMAGE_BYTES`].
    #[error("image is {0} bytes, more than the {MAX_IMAGE_BYTES}-byte limit")]
    ImageTooLarge(usize),
    /// The PNG is malformed.
    #[error("invalid PNG: {0}")]
    Png(#[from] PngError),
    /// The SVG is malformed or unsafe.
    #[error("invalid SVG: {0}")]
    Svg(#[from] SvgError),
    /// A compressed iTXt chunk inflates past [`MAX_CREDENTIAL_BYTES`] (a zip bomb, or just huge).
    #[error("compressed credential inflates past the {MAX_CREDENTIAL_BYTES}-byte limit")]
    DecompressedTooLarge,
    /// A compressed iTXt chunk is not valid zlib data.
    #[error("compressed credential is not valid zlib data")]
    BadCompression,
    /// The iTXt compression method is not 0 (zlib), or the flag is not 0/1.
    #[error("unsupported iTXt compression flag {flag} / method {method}")]
    UnsupportedCompression {
        /// Compression flag byte.
        flag: u8,
        /// Compression method byte.
        method: u8,
    },
    /// The embedded text is not UTF-8.
    #[error("embedded credential is not UTF-8")]
    NotUtf8,
    /// The embedded text looks like JSON but does not parse.
    #[error("embedded credential is not valid JSON: {0}")]
    BadJson(serde_json::Error),
    /// The embedded text is neither JSON nor a compact JWS (nor, for 2.0, a URL).
    #[error("embedded credential is neither JSON nor a compact JWS")]
    UnrecognisedPayload,
}

/// A structural PNG violation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PngError {
    /// The 8-byte PNG signature is missing.
    #[error("missing PNG signature")]
    BadSignature,
    /// The data ends inside a chunk.
    #[error("truncated chunk at byte {0}")]
    Truncated(usize),
    /// A chunk length exceeds 2^31-1 or the remaining data.
    #[error("chunk length {length} at byte {offset} is too large")]
    ChunkTooLong {
        /// Declared length.
        length: u32,
        /// Offset of the chunk.
        offset: usize,
    },
    /// A chunk's CRC does not match.
    #[error("bad CRC in {chunk} chunk at byte {offset}")]
    BadCrc {
        /// Chunk type, lossily as text.
        chunk: String,
        /// Offset of the chunk.
        offset: usize,
    },
    /// The first chunk is not IHDR.
    #[error("first chunk is not IHDR")]
    MissingIhdr,
    /// There is no IEND chunk.
    #[error("no IEND chunk")]
    MissingIend,
    /// Bytes follow IEND.
    #[error("data after IEND")]
    TrailingData,
    /// A text chunk is malformed (no keyword terminator, bad keyword length...).
    #[error("malformed {0} chunk")]
    MalformedTextChunk(&'static str),
}

/// An SVG/XML violation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SvgError {
    /// The XML does not parse.
    #[error("XML syntax: {0}")]
    Xml(String),
    /// The document has no root element, or the root is not `svg`.
    #[error("root element is not <svg>")]
    NoSvgRoot,
    /// The document ends with elements still open.
    #[error("document ends inside an element")]
    Unclosed,
    /// The DOCTYPE declares entities (XXE / billion laughs); refused outright.
    #[error("DOCTYPE declares entities; refused")]
    EntityDeclaration,
    /// Text or an attribute refers to an undeclared entity.
    #[error("undefined entity reference")]
    UndefinedEntity,
}

/// Serialise a credential to the text that goes in the image.
fn credential_text(credential: &Credential) -> Result<String, BakeError> {
    let text = match credential {
        // A Value has only string keys, so serialisation cannot fail; map anyway, no panic.
        Credential::Json(v) => serde_json::to_string(v).map_err(BakeError::Serialise)?,
        Credential::Jwt(s) => {
            if !is_compact_jws(s) {
                return Err(BakeError::NotCompactJws);
            }
            s.clone()
        }
    };
    if text.len() > MAX_CREDENTIAL_BYTES {
        return Err(BakeError::CredentialTooLarge(text.len()));
    }
    Ok(text)
}

/// Three base64url segments, header and payload non-empty.
fn is_compact_jws(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    let [h, p, sig] = parts.as_slice() else {
        return false;
    };
    let b64u = |t: &str| {
        t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    };
    !h.is_empty() && !p.is_empty() && b64u(h) && b64u(p) && b64u(sig)
}

/// Classify OB 3.0 embedded text: JSON object or compact JWS.
fn parse_ob3_text(text: &str) -> Result<Baked, UnbakeError> {
    let t = text.trim();
    if t.starts_with('{') {
        serde_json::from_str(t)
            .map(Baked::Json)
            .map_err(UnbakeError::BadJson)
    } else if is_compact_jws(t) {
        Ok(Baked::Jwt(t.to_owned()))
    } else {
        Err(UnbakeError::UnrecognisedPayload)
    }
}

/// Classify OB 2.0 embedded text: JSON, compact JWS or hosted-assertion URL.
fn parse_ob2_text(text: &str) -> Result<Baked, UnbakeError> {
    let t = text.trim();
    let a = if t.starts_with('{') {
        Ob2Assertion::Json(serde_json::from_str(t).map_err(UnbakeError::BadJson)?)
    } else if t.starts_with("https://") || t.starts_with("http://") {
        Ob2Assertion::Url(t.to_owned())
    } else if is_compact_jws(t) {
        Ob2Assertion::Jws(t.to_owned())
    } else {
        return Err(UnbakeError::UnrecognisedPayload);
    };
    Ok(Baked::Ob2(a))
}
