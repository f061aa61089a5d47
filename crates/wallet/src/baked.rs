//! Baked badges (OB 3.0 §5.3): a stored credential baked into its achievement image for
//! export, and the credential read back out of a baked PNG or SVG for import.
//!
//! No network: the achievement image is used only when the credential carries it as a `data:`
//! URI of the wanted type; otherwise a generated image ([`rosette_baking::default_badge_png`] /
//! [`rosette_baking::default_badge_svg`]) is baked.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rosette_baking::{Baked, Credential};
use serde_json::Value;

use crate::badge::CredentialFormat;

/// The PNG signature; import detects PNG by it, whatever the file is called.
const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Which image type to bake into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImageKind {
    /// PNG: the credential goes in an `openbadgecredential` iTXt chunk.
    Png,
    /// SVG: the credential goes in an `openbadges:credential` element.
    Svg,
}

impl ImageKind {
    /// `png` or `svg`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Svg => "svg",
        }
    }
}

/// Where the image of a baked badge came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImageSource {
    /// The achievement's own image (a `data:` URI in the credential).
    Achievement,
    /// Generated from the badge name: the credential has no embedded image of this type.
    Generated,
}

/// A baked badge image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BakedImage {
    /// The image bytes (UTF-8 text for SVG).
    pub bytes: Vec<u8>,
    /// Where the image came from.
    pub source: ImageSource,
}

/// Why a badge could not be baked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BakeBadgeError {
    /// The stored JSON credential does not parse (the store is damaged).
    #[error("the stored credential is not valid JSON: {0}")]
    StoredJson(serde_json::Error),
    /// The baking library refused (image or credential too large, malformed image).
    #[error("cannot bake: {0}")]
    Bake(#[from] rosette_baking::BakeError),
}

/// Bakes `credential` (as stored: JSON text for `ldp_vc`, the compact JWS for `jwt_vc_json`)
/// into a `kind` image: the achievement's `data:` image when it has one of that type (and it
/// bakes), otherwise an image generated from `name`.
pub fn bake_badge(
    credential: &str,
    format: CredentialFormat,
    name: &str,
    kind: ImageKind,
) -> Result<BakedImage, BakeBadgeError> {
    let (to_bake, document) = match format {
        CredentialFormat::LdpVc => {
            let value: Value =
                serde_json::from_str(credential.trim()).map_err(BakeBadgeError::StoredJson)?;
            (Credential::Json(value.clone()), Some(value))
        }
        CredentialFormat::JwtVcJson => {
            let jwt = credential.trim().to_owned();
            let payload = jwt_payload(&jwt);
            (Credential::Jwt(jwt), payload)
        }
    };
    let own = document
        .as_ref()
        .and_then(achievement_image_uri)
        .and_then(|uri| decode_data_uri(&uri, kind));
    if let Some(image) = own {
        // A broken embedded image is not worth failing the export for.
        let baked = match kind {
            ImageKind::Png => rosette_baking::bake_png(&image, &to_bake).ok(),
            ImageKind::Svg => String::from_utf8(image)
                .ok()
                .and_then(|svg| rosette_baking::bake_svg(&svg, &to_bake).ok())
                .map(String::into_bytes),
        };
        if let Some(bytes) = baked {
            return Ok(BakedImage {
                bytes,
                source: ImageSource::Achievement,
            });
        }
    }
    let bytes = match kind {
        ImageKind::Png => {
            rosette_baking::bake_png(&rosette_baking::default_badge_png(name), &to_bake)?
        }
        ImageKind::Svg => {
            rosette_baking::bake_svg(&rosette_baking::default_badge_svg(name), &to_bake)?
                .into_bytes()
        }
    };
    Ok(BakedImage {
        bytes,
        source: ImageSource::Generated,
    })
}

/// The VC-JWT payload (or its VCDM 1.1 `vc` claim) as JSON, if it decodes.
fn jwt_payload(jwt: &str) -> Option<Value> {
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    match claims.get("vc") {
        Some(vc) if vc.is_object() => Some(vc.clone()),
        _ => Some(claims),
    }
}

/// `credentialSubject.achievement.image` (a string or an `Image` object's `id`), if present.
fn achievement_image_uri(credential: &Value) -> Option<String> {
    let subject = match credential.get("credentialSubject")? {
        Value::Array(items) => items.first()?,
        other => other,
    };
    match subject.get("achievement")?.get("image")? {
        Value::String(s) => Some(s.clone()),
        Value::Object(image) => image.get("id")?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// The bytes of a `data:` URI whose media type is `kind`'s (base64 or percent-encoded).
fn decode_data_uri(uri: &str, kind: ImageKind) -> Option<Vec<u8>> {
    let rest = uri.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mut params = meta.split(';');
    let media = params.next()?.trim().to_ascii_lowercase();
    let wanted = match kind {
        ImageKind::Png => "image/png",
        ImageKind::Svg => "image/svg+xml",
    };
    if media != wanted {
        return None;
    }
    if params.any(|p| p.trim().eq_ignore_ascii_case("base64")) {
        let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        STANDARD.decode(compact).ok()
    } else {
        percent_decode(data)
    }
}

fn percent_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Some(out)
}

/// What an import file turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportSource {
    /// A plain credential file (JSON or a compact JWS).
    Text,
    /// A baked image of this kind.
    Baked(ImageKind),
}

/// A credential read from an import file, ready to be summarised and verified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedCredential {
    /// The credential text: JSON (compact, as serialised from the image) or a compact JWS.
    pub text: String,
    /// What the file was.
    pub source: ImportSource,
}

/// Why an import file holds nothing the wallet can keep.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadImportError {
    /// An OB 2.0 baked assertion: not a verifiable credential.
    #[error("Open Badges 2.0 assertion, not a verifiable credential: not imported")]
    Ob2Assertion,
    /// A valid image without any baked credential.
    #[error("the {} image has no baked credential", .0.as_str())]
    NotBaked(ImageKind),
    /// The image is malformed or its embedded credential unreadable.
    #[error("cannot read the baked {} image: {source}", .kind.as_str())]
    Unbake {
        /// The image kind.
        kind: ImageKind,
        /// What the baking library found.
        source: rosette_baking::UnbakeError,
    },
    /// Not an image, and not UTF-8 text.
    #[error("neither a PNG, an SVG nor a UTF-8 credential file")]
    Binary,
    /// Baked JSON that cannot be serialised back to text (cannot happen; kept total).
    #[error("the baked credential cannot be serialised: {0}")]
    Serialise(serde_json::Error),
}

/// Reads an import file: a baked PNG (by its signature), a baked SVG (by content: an XML
/// document whose root is `<svg>`), or a plain credential (JSON or VC-JWT text, returned as is).
pub fn read_import(bytes: &[u8]) -> Result<ImportedCredential, ReadImportError> {
    if bytes.starts_with(PNG_MAGIC) {
        let baked =
            rosette_baking::unbake_png(bytes).map_err(|source| ReadImportError::Unbake {
                kind: ImageKind::Png,
                source,
            })?;
        return from_baked(baked, ImageKind::Png);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| ReadImportError::Binary)?;
    let text = text.trim_start_matches('\u{feff}');
    if looks_like_svg(text) {
        let baked = rosette_baking::unbake_svg(text).map_err(|source| ReadImportError::Unbake {
            kind: ImageKind::Svg,
            source,
        })?;
        return from_baked(baked, ImageKind::Svg);
    }
    Ok(ImportedCredential {
        text: text.trim().to_owned(),
        source: ImportSource::Text,
    })
}

/// XML (declaration, comment or DOCTYPE first) or a bare `<svg` start: an SVG candidate. The
/// baking library then checks the root element really is `svg`.
fn looks_like_svg(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("<?xml") || t.starts_with("<svg") || t.starts_with("<!DOCTYPE svg") || {
        t.starts_with("<!--") && t.contains("<svg")
    }
}

fn from_baked(
    baked: Option<Baked>,
    kind: ImageKind,
) -> Result<ImportedCredential, ReadImportError> {
    let text = match baked {
        None => return Err(ReadImportError::NotBaked(kind)),
        Some(Baked::Ob2(_)) => return Err(ReadImportError::Ob2Assertion),
        Some(Baked::Json(value)) => {
            serde_json::to_string(&value).map_err(ReadImportError::Serialise)?
        }
        Some(Baked::Jwt(jwt)) => jwt,
    };
    Ok(ImportedCredential {
        text,
        source: ImportSource::Baked(kind),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TINY_PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

    fn credential(image: Option<&str>) -> String {
        let mut achievement = serde_json::json!({"name": "Knot Tying", "type": ["Achievement"]});
        if let Some(uri) = image {
            achievement["image"] = serde_json::json!({"id": uri, "type": "Image"});
        }
        serde_json::json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "issuer": "did:key:z6Mkexample",
            "credentialSubject": {"achievement": achievement},
            "proof": {"proofValue": "z123"}
        })
        .to_string()
    }

    #[test]
    fn png_round_trip_keeps_the_json_bytes_and_uses_the_data_uri_image() {
        let text = credential(Some(&format!("data:image/png;base64,{TINY_PNG}")));
        let baked = bake_badge(&text, CredentialFormat::LdpVc, "Knot Tying", ImageKind::Png)
            .expect("bakes");
        assert_eq!(baked.source, ImageSource::Achievement);
        // IHDR width 1: the 1x1 achievement image, not the generated one.
        assert_eq!(baked.bytes.get(16..20), Some(&[0u8, 0, 0, 1][..]));
        let read = read_import(&baked.bytes).expect("reads");
        assert_eq!(read.source, ImportSource::Baked(ImageKind::Png));
        assert_eq!(read.text, text);
    }

    #[test]
    fn svg_without_an_svg_image_is_generated_and_round_trips_a_jwt() {
        let jwt = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJkaWQ6a2V5OnoifQ.c2ln";
        let baked = bake_badge(
            jwt,
            CredentialFormat::JwtVcJson,
            "Knot Tying",
            ImageKind::Svg,
        )
        .expect("bakes");
        assert_eq!(baked.source, ImageSource::Generated);
        let read = read_import(&baked.bytes).expect("reads");
        assert_eq!(read.source, ImportSource::Baked(ImageKind::Svg));
        assert_eq!(read.text, jwt);
    }

    #[test]
    fn percent_encoded_svg_data_uri_is_used() {
        let uri =
            "data:image/svg+xml,%3Csvg%20xmlns%3D%22http%3A%2F%2Fwww.w3.org%2F2000%2Fsvg%22%2F%3E";
        let baked = bake_badge(
            &credential(Some(uri)),
            CredentialFormat::LdpVc,
            "x",
            ImageKind::Svg,
        )
        .expect("bakes");
        assert_eq!(baked.source, ImageSource::Achievement);
        // The PNG data URI is not used for an SVG, nor an https image (no fetching).
        for uri in [
            format!("data:image/png;base64,{TINY_PNG}"),
            "https://example.org/badge.svg".to_owned(),
        ] {
            let baked = bake_badge(
                &credential(Some(&uri)),
                CredentialFormat::LdpVc,
                "x",
                ImageKind::Svg,
            )
            .expect("bakes");
            assert_eq!(baked.source, ImageSource::Generated, "{uri}");
        }
    }

    #[test]
    fn import_detects_by_content_and_names_what_it_refuses() {
        let plain = read_import(b"  {\"a\": 1}\n").expect("text");
        assert_eq!(plain.source, ImportSource::Text);
        assert_eq!(plain.text, "{\"a\": 1}");
        let blank = rosette_baking::default_badge_png("x");
        assert!(matches!(
            read_import(&blank),
            Err(ReadImportError::NotBaked(ImageKind::Png))
        ));
        assert!(matches!(
            read_import(&[0xff, 0xfe, 0x00, 0x80]),
            Err(ReadImportError::Binary)
        ));
        let truncated = &blank[..blank.len() / 2];
        assert!(matches!(
            read_import(truncated),
            Err(ReadImportError::Unbake { .. })
        ));
        let ob2 = "<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:openbadges=\"http://openbadges.org\">\
                   <openbadges:assertion verify=\"https://example.org/assertions/1\"/></svg>";
        let err = read_import(ob2.as_bytes()).expect_err("OB 2.0");
        assert_eq!(
            err.to_string(),
            "Open Badges 2.0 assertion, not a verifiable credential: not imported"
        );
    }
}
