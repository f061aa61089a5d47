//! PNG baking: a careful chunk walker and writer; pixels are never decoded.

use crate::{
    BakeError, Baked, Credential, MAX_CREDENTIAL_BYTES, MAX_IMAGE_BYTES, OB2_PNG_KEYWORD,
    OB3_PNG_KEYWORD, PngError, UnbakeError, credential_text, parse_ob2_text, parse_ob3_text,
};

const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a];

/// One chunk as found in the input.
struct Chunk<'a> {
    ty: [u8; 4],
    data: &'a [u8],
    /// The whole chunk (length, type, data, CRC), for verbatim copying.
    raw: &'a [u8],
}

fn be_u32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

/// Walk and validate every chunk: signature, lengths, CRCs, IHDR first, IEND last.
fn parse_chunks(png: &[u8]) -> Result<Vec<Chunk<'_>>, PngError> {
    if png.get(..8) != Some(&SIGNATURE[..]) {
        return Err(PngError::BadSignature);
    }
    let mut chunks = Vec::new();
    let mut at = 8;
    loop {
        let length = be_u32(png, at).ok_or(PngError::Truncated(at))?;
        if length > 0x7fff_ffff {
            return Err(PngError::ChunkTooLong { length, offset: at });
        }
        let len = length as usize;
        let end = at
            .checked_add(12)
            .and_then(|e| e.checked_add(len))
            .ok_or(PngError::ChunkTooLong { length, offset: at })?;
        if end > png.len() {
            return Err(PngError::Truncated(at));
        }
        let raw = png.get(at..end).ok_or(PngError::Truncated(at))?;
        let ty_and_data = raw.get(4..8 + len).ok_or(PngError::Truncated(at))?;
        let crc = be_u32(raw, 8 + len).ok_or(PngError::Truncated(at))?;
        let ty = [raw[4], raw[5], raw[6], raw[7]];
        if crc32fast::hash(ty_and_data) != crc {
            return Err(PngError::BadCrc {
                chunk: String::from_utf8_lossy(&ty).into_owned(),
                offset: at,
            });
        }
        if chunks.is_empty() && &ty != b"IHDR" {
            return Err(PngError::MissingIhdr);
        }
        chunks.push(Chunk {
            ty,
            data: &ty_and_data[4..],
            raw,
        });
        at = end;
        if &ty == b"IEND" {
            return if at == png.len() {
                Ok(chunks)
            } else {
                Err(PngError::TrailingData)
            };
        }
        if at == png.len() {
            return Err(PngError::MissingIend);
        }
    }
}

/// Append a chunk (length, type, data, CRC) to `out`.
pub(crate) fn write_chunk(out: &mut Vec<u8>, ty: &[u8; 4], data: &[u8]) {
    // Callers bound data well below 2^31 (MAX_CREDENTIAL_BYTES, small images).
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut h = crc32fast::Hasher::new();
    h.update(ty);
    h.update(data);
    out.extend_from_slice(ty);
    out.extend_from_slice(data);
    out.extend_from_slice(&h.finalize().to_be_bytes());
}

/// A decoded text chunk's keyword and raw payload.
struct TextChunk<'a> {
    keyword: &'a [u8],
    /// iTXt: (compression flag, method, payload); tEXt: flag 0.
    flag: u8,
    method: u8,
    payload: &'a [u8],
}

fn split_nul(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let i = b.iter().position(|&c| c == 0)?;
    Some((b.get(..i)?, b.get(i + 1..)?))
}

fn parse_itxt(data: &[u8]) -> Result<TextChunk<'_>, PngError> {
    let bad = PngError::MalformedTextChunk("iTXt");
    let (keyword, rest) = split_nul(data).ok_or(bad.clone())?;
    if keyword.is_empty() || keyword.len() > 79 {
        return Err(bad);
    }
    let (&flag, rest) = rest.split_first().ok_or(bad.clone())?;
    let (&method, rest) = rest.split_first().ok_or(bad.clone())?;
    let (_lang, rest) = split_nul(rest).ok_or(bad.clone())?;
    let (_translated, payload) = split_nul(rest).ok_or(bad)?;
    Ok(TextChunk {
        keyword,
        flag,
        method,
        payload,
    })
}

fn parse_text(data: &[u8]) -> Result<TextChunk<'_>, PngError> {
    let bad = PngError::MalformedTextChunk("tEXt");
    let (keyword, payload) = split_nul(data).ok_or(bad.clone())?;
    if keyword.is_empty() || keyword.len() > 79 {
        return Err(bad);
    }
    Ok(TextChunk {
        keyword,
        flag: 0,
        method: 0,
        payload,
    })
}

/// Is this chunk an iTXt with the OB 3.0 keyword? Malformed iTXt chunks are not ours.
fn is_ob3_chunk(c: &Chunk<'_>) -> bool {
    &c.ty == b"iTXt" && split_nul(c.data).is_some_and(|(k, _)| k == OB3_PNG_KEYWORD.as_bytes())
}

/// Bake `credential` into a PNG: one uncompressed `openbadgecredential` iTXt chunk just before
/// IEND. Any existing `openbadgecredential` chunk is removed, so re-baking replaces.
pub fn bake_png(image: &[u8], credential: &Credential) -> Result<Vec<u8>, BakeError> {
    if image.len() > MAX_IMAGE_BYTES {
        return Err(BakeError::ImageTooLarge(image.len()));
    }
    let text = credential_text(credential)?;
    let chunks = parse_chunks(image)?;
    let mut data = Vec::with_capacity(OB3_PNG_KEYWORD.len() + 5 + text.len());
    data.extend_from_slice(OB3_PNG_KEYWORD.as_bytes());
    // NUL, flag 0, method 0, empty language tag NUL, empty translated keyword NUL.
    data.extend_from_slice(&[0, 0, 0, 0, 0]);
    data.extend_from_slice(text.as_bytes());

    let mut out = Vec::with_capacity(image.len() + data.len() + 12);
    out.extend_from_slice(&SIGNATURE);
    for c in &chunks {
        if is_ob3_chunk(c) {
            continue;
        }
        if &c.ty == b"IEND" {
            write_chunk(&mut out, b"iTXt", &data);
        }
        out.extend_from_slice(c.raw);
    }
    Ok(out)
}

fn inflate_bounded(payload: &[u8]) -> Result<Vec<u8>, UnbakeError> {
    use miniz_oxide::inflate::{TINFLStatus, decompress_to_vec_zlib_with_limit};
    decompress_to_vec_zlib_with_limit(payload, MAX_CREDENTIAL_BYTES).map_err(|e| match e.status {
        TINFLStatus::HasMoreOutput => UnbakeError::DecompressedTooLarge,
        _ => UnbakeError::BadCompression,
    })
}

fn text_of(t: &TextChunk<'_>, latin1: bool) -> Result<String, UnbakeError> {
    let bytes = match (t.flag, t.method) {
        (0, _) => t.payload.to_vec(),
        (1, 0) => inflate_bounded(t.payload)?,
        (flag, method) => return Err(UnbakeError::UnsupportedCompression { flag, method }),
    };
    if bytes.len() > MAX_CREDENTIAL_BYTES {
        return Err(UnbakeError::DecompressedTooLarge);
    }
    if latin1 {
        // tEXt is Latin-1 by definition.
        Ok(bytes.iter().map(|&b| char::from(b)).collect())
    } else {
        String::from_utf8(bytes).map_err(|_| UnbakeError::NotUtf8)
    }
}

/// Read the credential baked into a PNG: the first `openbadgecredential` iTXt chunk
/// (compressed or not); failing that, an OB 2.0 `openbadges` iTXt or tEXt chunk as
/// [`Baked::Ob2`]. `Ok(None)` means a valid PNG with no badge.
pub fn unbake_png(image: &[u8]) -> Result<Option<Baked>, UnbakeError> {
    if image.len() > MAX_IMAGE_BYTES {
        return Err(UnbakeError::ImageTooLarge(image.len()));
    }
    let chunks = parse_chunks(image)?;
    let mut ob2: Option<TextChunk<'_>> = None;
    let mut ob2_latin1 = false;
    for c in &chunks {
        // Other tools' text chunks are none of our business, even malformed ones.
        let keyword = c.data.split(|&b| b == 0).next().unwrap_or_default();
        if keyword != OB3_PNG_KEYWORD.as_bytes() && keyword != OB2_PNG_KEYWORD.as_bytes() {
            continue;
        }
        match &c.ty {
            b"iTXt" => {
                let t = parse_itxt(c.data)?;
                if t.keyword == OB3_PNG_KEYWORD.as_bytes() {
                    return parse_ob3_text(&text_of(&t, false)?).map(Some);
                }
                if t.keyword == OB2_PNG_KEYWORD.as_bytes() && ob2.is_none() {
                    ob2 = Some(t);
                }
            }
            b"tEXt" => {
                let t = parse_text(c.data)?;
                if t.keyword == OB2_PNG_KEYWORD.as_bytes() && ob2.is_none() {
                    ob2 = Some(t);
                    ob2_latin1 = true;
                }
            }
            _ => {}
        }
    }
    match ob2 {
        Some(t) => parse_ob2_text(&text_of(&t, ob2_latin1)?).map(Some),
        None => Ok(None),
    }
}
