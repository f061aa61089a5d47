//! rosette-qr: QR codes for credential offers (`openid-credential-offer://…`) and
//! presentation requests (`openid4vp://…`), sans I/O: bytes in, bytes or strings out.
//!
//! | Output | Function | Notes |
//! |---|---|---|
//! | SVG | [`svg`], [`svg_with`] | `role="img"` + `<title>`, one `<path>`, crisp edges, 4-module quiet zone |
//! | PNG | [`png`], [`png_with`] | 8-bit greyscale, whole pixels per module, at least `min_px` wide |
//! | terminal | [`terminal`], [`terminal_with`] | half blocks, black on an explicit white background (ANSI) |
//! | decode | [`decode_image`] | PNG or JPEG, every payload found; bounded work on big images |
//!
//! Error correction is level M unless [`Options::ec_level`] says otherwise; data that does
//! not fit even a version-40 symbol gives [`QrError::DataTooLong`].
//!
//! ```
//! let url = "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Fo%2F1";
//! let png = rosette_qr::png(url, 300)?;
//! assert_eq!(rosette_qr::decode_image(&png)?, vec![url.to_owned()]);
//! let svg = rosette_qr::svg(url)?;
//! assert!(svg.contains("role=\"img\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt::Write as _;
use std::io::Cursor;

use image::{GrayImage, ImageFormat, ImageReader, Limits, Luma};
use qrcode::types::QrError as EncodeError;
use qrcode::{Color, EcLevel, QrCode};

/// Quiet zone around the symbol, in modules (ISO/IEC 18004 asks for 4).
pub const QUIET_ZONE: usize = 4;

/// Largest PNG side [`png`] will render, in pixels: bounds memory for a caller-chosen size.
pub const MAX_PNG_PX: u32 = 8192;

/// Largest image [`decode_image`] accepts, in pixels (40 megapixels).
pub const MAX_DECODE_PIXELS: u64 = 40_000_000;

/// Longest side an image is scaled down to before the first detection pass.
const DETECT_SIDE: u32 = 1024;

/// Longest side of the second, finer pass (only when the first finds nothing).
const DETECT_SIDE_FINE: u32 = 2048;

/// Error-correction level: how much of the symbol may be damaged and still decode.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ErrorCorrection {
    /// About 7 % recoverable; the most data.
    Low,
    /// About 15 % recoverable; the default.
    #[default]
    Medium,
    /// About 25 % recoverable.
    Quartile,
    /// About 30 % recoverable; the least data.
    High,
}

impl ErrorCorrection {
    fn level(self) -> EcLevel {
        match self {
            Self::Low => EcLevel::L,
            Self::Medium => EcLevel::M,
            Self::Quartile => EcLevel::Q,
            Self::High => EcLevel::H,
        }
    }
}

/// Encoding options shared by every output.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Error-correction level (default [`ErrorCorrection::Medium`]).
    pub ec_level: ErrorCorrection,
    /// Accessible name for the SVG `<title>` (default "QR code").
    pub title: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            ec_level: ErrorCorrection::default(),
            title: "QR code".to_owned(),
        }
    }
}

impl Options {
    /// Options with the given error-correction level and the default title.
    pub fn with_ec_level(ec_level: ErrorCorrection) -> Self {
        Self {
            ec_level,
            ..Self::default()
        }
    }
}

/// Why a QR code could not be made.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrError {
    /// The data does not fit in the largest QR symbol (version 40) at this level.
    #[error(
        "data too long for a QR code: {len} bytes at error correction {ec_level:?} (version 40 holds at most {max} bytes)"
    )]
    DataTooLong {
        /// Length of the data, in bytes.
        len: usize,
        /// The level that was asked for.
        ec_level: ErrorCorrection,
        /// Byte-mode capacity of version 40 at that level.
        max: usize,
    },
    /// The PNG size asked for is larger than [`MAX_PNG_PX`].
    #[error("requested PNG size {min_px} px exceeds the maximum of {MAX_PNG_PX} px")]
    SizeTooLarge {
        /// The requested minimum side.
        min_px: u32,
    },
    /// The encoder rejected the data for another reason.
    #[error("QR encoder rejected the data: {0}")]
    Encoder(String),
    /// PNG encoding failed.
    #[error("PNG encoding failed: {0}")]
    Png(String),
}

/// Why [`decode_image`] found no payload.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum QrDecodeError {
    /// The bytes are not a PNG or JPEG image.
    #[error("not a PNG or JPEG image")]
    NotAnImage,
    /// The image is larger than [`MAX_DECODE_PIXELS`].
    #[error("image of {width}x{height} pixels exceeds the {MAX_DECODE_PIXELS}-pixel limit")]
    TooLarge {
        /// Width in pixels.
        width: u32,
        /// Height in pixels.
        height: u32,
    },
    /// The image header was recognised but its data could not be decoded.
    #[error("image could not be decoded: {0}")]
    Corrupt(String),
    /// No QR code was found in the image.
    #[error("no QR code found in the image")]
    NoQrFound,
    /// The detector itself failed on this image (a panic inside rqrr, caught here; see rqrr
    /// issue 54: an assertion in its perspective fitting fires on some real photos).
    #[error("the QR detector failed on this image")]
    DetectorFailed,
    /// QR finder patterns were found but no symbol decoded (damaged, blurred, or not UTF-8).
    #[error("{found} QR code(s) found but none could be read: {reason}")]
    Unreadable {
        /// How many candidate symbols were located.
        found: usize,
        /// The decoder's reason for the first failure.
        reason: String,
    },
}

/// Byte-mode capacity of a version-40 symbol (ISO/IEC 18004 table 7).
fn max_bytes(ec: ErrorCorrection) -> usize {
    match ec {
        ErrorCorrection::Low => 2953,
        ErrorCorrection::Medium => 2331,
        ErrorCorrection::Quartile => 1663,
        ErrorCorrection::High => 1273,
    }
}

fn encode(data: &str, opts: &Options) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(data.as_bytes(), opts.ec_level.level()).map_err(|e| match e
    {
        EncodeError::DataTooLong => QrError::DataTooLong {
            len: data.len(),
            ec_level: opts.ec_level,
            max: max_bytes(opts.ec_level),
        },
        other => QrError::Encoder(other.to_string()),
    })
}

/// The symbol as rows of "is dark", quiet zone included.
fn modules(code: &QrCode) -> (usize, Vec<bool>) {
    let w = code.width();
    let side = w + 2 * QUIET_ZONE;
    let mut out = vec![false; side * side];
    for (i, c) in code.to_colors().into_iter().enumerate() {
        let (x, y) = (i % w + QUIET_ZONE, i / w + QUIET_ZONE);
        if let Some(cell) = out.get_mut(y * side + x) {
            *cell = c == Color::Dark;
        }
    }
    (side, out)
}

/// An SVG of `data` with error correction M; see [`svg_with`].
pub fn svg(data: &str) -> Result<String, QrError> {
    svg_with(data, &Options::default())
}

/// An SVG of `data`: a `viewBox` in modules (so it scales crisply), a white background with
/// the quiet zone, one `<path>` of horizontal runs, `role="img"` with a `<title>`, and a
/// default rendered size of at least 256 px (CSS may override `width`/`height`).
pub fn svg_with(data: &str, opts: &Options) -> Result<String, QrError> {
    let code = encode(data, opts)?;
    let (side, dark) = modules(&code);
    // Whole pixels per module at the default size keep edges sharp without CSS.
    let px = side * 256usize.div_ceil(side).max(2);
    let mut path = String::with_capacity(side * side);
    for (y, row) in dark.chunks(side).enumerate() {
        let mut x = 0;
        while x < side {
            if row.get(x).copied().unwrap_or(false) {
                let start = x;
                while row.get(x).copied().unwrap_or(false) {
                    x += 1;
                }
                let _ = write!(path, "M{start} {y}h{}v1h-{}z", x - start, x - start);
            } else {
                x += 1;
            }
        }
    }
    let mut out = String::with_capacity(path.len() + 400);
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" width=\"{px}\" height=\"{px}\" \
         role=\"img\" aria-labelledby=\"qr-title\" shape-rendering=\"crispEdges\">\
         <title id=\"qr-title\">{}</title>\
         <rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>",
        xml_escape(&opts.title)
    );
    Ok(out)
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A greyscale PNG of `data` with error correction M; see [`png_with`].
pub fn png(data: &str, min_px: u32) -> Result<Vec<u8>, QrError> {
    png_with(data, min_px, &Options::default())
}

/// A greyscale PNG of `data`, with the quiet zone, whole pixels per module (at least one) and
/// a side of at least `min_px` (up to [`MAX_PNG_PX`]).
pub fn png_with(data: &str, min_px: u32, opts: &Options) -> Result<Vec<u8>, QrError> {
    if min_px > MAX_PNG_PX {
        return Err(QrError::SizeTooLarge { min_px });
    }
    let code = encode(data, opts)?;
    let (side, dark) = modules(&code);
    let side_u32 = u32::try_from(side).map_err(|e| QrError::Encoder(e.to_string()))?;
    let scale = min_px.div_ceil(side_u32).max(1);
    let img = GrayImage::from_fn(side_u32 * scale, side_u32 * scale, |x, y| {
        let (mx, my) = ((x / scale) as usize, (y / scale) as usize);
        let is_dark = dark.get(my * side + mx).copied().unwrap_or(false);
        Luma([if is_dark { 0 } else { 255 }])
    });
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, ImageFormat::Png)
        .map_err(|e| QrError::Png(e.to_string()))?;
    Ok(out.into_inner())
}

/// A terminal rendering of `data` with error correction M; see [`terminal_with`].
pub fn terminal(data: &str) -> Result<String, QrError> {
    terminal_with(data, &Options::default())
}

/// A terminal rendering of `data`: two modules per character cell with Unicode half blocks,
/// each line drawn black-on-white with ANSI colours (`ESC[30;107m` … `ESC[0m`) so the quiet
/// zone is light and the code scans on dark and light terminals alike. Lines end in `\n`.
pub fn terminal_with(data: &str, opts: &Options) -> Result<String, QrError> {
    let code = encode(data, opts)?;
    let (side, dark) = modules(&code);
    let at = |x: usize, y: usize| y < side && dark.get(y * side + x).copied().unwrap_or(false);
    let mut out = String::with_capacity((side + 12) * side.div_ceil(2) * 3);
    for y in (0..side).step_by(2) {
        out.push_str("\x1b[30;107m");
        for x in 0..side {
            out.push(match (at(x, y), at(x, y + 1)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push_str("\x1b[0m\n");
    }
    Ok(out)
}

/// Every QR payload in a PNG or JPEG image, in detection order without duplicates.
///
/// Images over [`MAX_DECODE_PIXELS`] are refused before their pixels are decoded; larger
/// photos are scaled down (longest side 1024 px, then 2048 px if nothing was found) so the
/// work per call stays bounded.
pub fn decode_image(bytes: &[u8]) -> Result<Vec<String>, QrDecodeError> {
    let reader = || {
        ImageReader::new(Cursor::new(bytes))
            .with_guessed_format()
            .map_err(|e| QrDecodeError::Corrupt(e.to_string()))
    };
    let probe = reader()?;
    if !matches!(probe.format(), Some(ImageFormat::Png | ImageFormat::Jpeg)) {
        return Err(QrDecodeError::NotAnImage);
    }
    let (width, height) = probe
        .into_dimensions()
        .map_err(|e| QrDecodeError::Corrupt(e.to_string()))?;
    if u64::from(width) * u64::from(height) > MAX_DECODE_PIXELS {
        return Err(QrDecodeError::TooLarge { width, height });
    }
    let mut full = reader()?;
    let mut limits = Limits::default();
    // The header is trusted only this far: the decoder must also stop at the same bound.
    limits.max_image_width = Some(width);
    limits.max_image_height = Some(height);
    limits.max_alloc = Some(MAX_DECODE_PIXELS * 8 + (64 << 20));
    full.limits(limits);
    let gray = full
        .decode()
        .map_err(|e| QrDecodeError::Corrupt(e.to_string()))?
        .into_luma8();

    if width.max(height) <= DETECT_SIDE {
        return detect(gray);
    }
    let first = detect(fit(&gray, DETECT_SIDE));
    match first {
        Err(QrDecodeError::NoQrFound | QrDecodeError::Unreadable { .. }) => {
            // A small code in a big photo may vanish at 1024 px; one finer pass, still bounded.
            match detect(fit(&gray, DETECT_SIDE_FINE)) {
                // Keep "unreadable" from the first pass over "nothing found" from the second.
                Err(QrDecodeError::NoQrFound) => first,
                fine => fine,
            }
        }
        found => found,
    }
}

/// `img` scaled down (area-averaged) so its longest side is at most `side`.
fn fit(img: &GrayImage, side: u32) -> GrayImage {
    let (w, h) = img.dimensions();
    if w.max(h) <= side {
        return img.clone();
    }
    // Lossy float maths is fine here: the result only needs to be within a pixel.
    let scale = f64::from(side) / f64::from(w.max(h));
    let nw = ((f64::from(w) * scale).round() as u32).max(1);
    let nh = ((f64::from(h) * scale).round() as u32).max(1);
    image::imageops::thumbnail(img, nw, nh)
}

/// [`detect_unguarded`] with a panic in the detector turned into an error: rqrr asserts on
/// some degenerate finder-pattern groups, and a hostile image must not take the caller down.
fn detect(img: GrayImage) -> Result<Vec<String>, QrDecodeError> {
    std::panic::catch_unwind(move || detect_unguarded(img))
        .unwrap_or(Err(QrDecodeError::DetectorFailed))
}

fn detect_unguarded(img: GrayImage) -> Result<Vec<String>, QrDecodeError> {
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    if grids.is_empty() {
        return Err(QrDecodeError::NoQrFound);
    }
    let mut found: Vec<String> = Vec::new();
    let mut first_err = None;
    for grid in &grids {
        match grid.decode() {
            Ok((_, text)) => {
                if !found.contains(&text) {
                    found.push(text);
                }
            }
            Err(e) => {
                first_err.get_or_insert_with(|| e.to_string());
            }
        }
    }
    if found.is_empty() {
        return Err(QrDecodeError::Unreadable {
            found: grids.len(),
            reason: first_err.unwrap_or_default(),
        });
    }
    Ok(found)
}
