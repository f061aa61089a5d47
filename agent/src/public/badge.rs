//! What an uploaded or presented badge says: the credential inside a JSON file, a VC-JWT, a
//! baked PNG or SVG (or a presentation), and the facts a page shows of it. Everything here
//! reads untrusted input and must refuse it with a reason, never panic.

use base64::Engine as _;
use serde::Serialize;
use serde_json::{Map, Value};

use super::service::UPLOAD_LIMIT;
/// The one label layer (checks, formats, dates, the learner's name), for this role's pages.
pub(crate) use crate::verifier::labels;

/// What a badge says about itself, for display. Everything comes from the credential and must
/// be escaped before it reaches HTML.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BadgeFacts {
    /// Credential `id`.
    pub credential_id: Option<String>,
    /// Achievement name.
    pub name: Option<String>,
    /// Achievement description.
    pub description: Option<String>,
    /// Criteria narrative.
    pub criteria: Option<String>,
    /// Criteria URL.
    pub criteria_url: Option<String>,
    /// Achievement image (URL or data URI).
    pub image: Option<String>,
    /// Issuer id.
    pub issuer: Option<String>,
    /// Issuer name.
    pub issuer_name: Option<String>,
    /// Issuer image or logo (URL or data URI).
    pub issuer_image: Option<String>,
    /// Issuer web site.
    pub issuer_url: Option<String>,
    /// `validFrom` / `issuanceDate`.
    pub issued: Option<String>,
    /// `validUntil` / `expirationDate`.
    pub expires: Option<String>,
    /// The credential subject's `id` (the learner's DID).
    pub subject: Option<String>,
    /// The learner's name, when the credential gives it in plain text.
    pub subject_name: Option<String>,
    /// Skills and standards the achievement aligns to (`alignment`).
    pub alignments: Vec<Alignment>,
    /// The achievement's tags.
    pub tags: Vec<String>,
}

/// One `alignment` of an achievement: a skill or competency in a framework.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Alignment {
    /// `targetName`.
    pub name: String,
    /// `targetFramework`.
    pub framework: Option<String>,
    /// `targetCode`.
    pub code: Option<String>,
    /// `targetUrl`.
    pub url: Option<String>,
}

/// Why the verification page could not check an upload.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Nothing was uploaded or pasted.
    #[error("nothing to verify: choose a file or paste a badge")]
    Empty,
    /// Larger than [`UPLOAD_LIMIT`].
    #[error("the upload is larger than {UPLOAD_LIMIT} bytes")]
    TooLarge,
    /// The form could not be read.
    #[error("the form could not be read: {0}")]
    BadForm(String),
    /// An image without an embedded credential.
    #[error("this {0} image carries no badge (no baked credential found)")]
    NotBaked(&'static str),
    /// An image whose embedded credential cannot be read.
    #[error("the {0} image could not be read: {1}")]
    BadImage(&'static str, String),
    /// An Open Badges 2.0 assertion.
    #[error(
        "this is an Open Badges 2.0 assertion; only Open Badges 3.0 credentials are verified here"
    )]
    Ob2,
    /// Not JSON, a JWT, a PNG or an SVG.
    #[error("this is not a badge: expected a JSON credential, a VC-JWT, or a baked PNG or SVG")]
    Junk,
}

/// A JSON object typed `VerifiablePresentation` that carries a proof, or a JWS whose payload
/// has a `vp` claim (a bare credential is neither).
pub(super) fn is_signed_presentation(value: &Value) -> bool {
    if let Value::String(jwt) = value {
        return rosette_did::jws::decode_compact(jwt.trim())
            .ok()
            .and_then(|d| serde_json::from_slice::<Value>(&d.payload).ok())
            .is_some_and(|claims| claims.get("vp").is_some_and(Value::is_object));
    }
    let typed = match value.get("type") {
        Some(Value::String(t)) => t == "VerifiablePresentation",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "VerifiablePresentation"),
        _ => false,
    };
    typed && value.get("proof").is_some()
}

/// The one credential of a presentation, as text (JSON or compact JWT).
pub(super) fn presented_credential(presentation: &Value) -> Option<String> {
    let vc = match presentation {
        Value::String(jwt) => {
            let decoded = rosette_did::jws::decode_compact(jwt.trim()).ok()?;
            let claims: Value = serde_json::from_slice(&decoded.payload).ok()?;
            claims.get("vp")?.get("verifiableCredential")?.clone()
        }
        other => other.get("verifiableCredential")?.clone(),
    };
    let one = match vc {
        Value::Array(mut items) if items.len() == 1 => items.pop()?,
        Value::Array(_) => return None,
        one => one,
    };
    match one {
        Value::String(jwt) => Some(jwt),
        Value::Object(ref o) => {
            let enveloped = o
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| id.strip_prefix("data:application/vc+jwt,"));
            match enveloped {
                Some(jwt) => Some(jwt.to_owned()),
                None => Some(one.to_string()),
            }
        }
        _ => None,
    }
}

/// The credential object of `text` (JSON or VC-JWT), not verified.
fn credential_object(text: &str) -> Option<Map<String, Value>> {
    let trimmed = text.trim();
    let value = if trimmed.starts_with('{') {
        serde_json::from_str::<Value>(trimmed).ok()?
    } else {
        rosette_proof::jwt_vc::decode(trimmed).ok()?.credential
    };
    match value {
        Value::Object(o) => Some(o),
        _ => None,
    }
}

fn string_or_id(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn text_of(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_owned)
}

/// What the badge says about itself.
pub fn facts_of(text: &str) -> Option<BadgeFacts> {
    let c = credential_object(text)?;
    let subject = match c.get("credentialSubject") {
        Some(Value::Array(items)) => items.first().cloned(),
        other => other.cloned(),
    }
    .unwrap_or(Value::Null);
    let achievement = subject.get("achievement").cloned().unwrap_or(Value::Null);
    let criteria = achievement.get("criteria");
    let issuer = c.get("issuer");
    Some(BadgeFacts {
        credential_id: text_of(c.get("id")),
        name: text_of(achievement.get("name")).or_else(|| text_of(c.get("name"))),
        description: text_of(achievement.get("description"))
            .or_else(|| text_of(c.get("description"))),
        criteria: criteria.and_then(|cr| text_of(cr.get("narrative"))),
        criteria_url: criteria.and_then(|cr| text_of(cr.get("id"))),
        image: string_or_id(achievement.get("image")).or_else(|| string_or_id(c.get("image"))),
        issuer: string_or_id(issuer),
        issuer_name: issuer.and_then(|i| text_of(i.get("name"))),
        issuer_image: issuer.and_then(|i| string_or_id(i.get("image"))),
        issuer_url: issuer.and_then(|i| text_of(i.get("url"))),
        issued: text_of(c.get("validFrom")).or_else(|| text_of(c.get("issuanceDate"))),
        expires: text_of(c.get("validUntil")).or_else(|| text_of(c.get("expirationDate"))),
        subject: text_of(subject.get("id")),
        subject_name: labels::learner_name(&subject),
        alignments: list(achievement.get("alignment"))
            .filter_map(|a| {
                Some(Alignment {
                    name: text_of(a.get("targetName"))?,
                    framework: text_of(a.get("targetFramework")),
                    code: text_of(a.get("targetCode")),
                    url: text_of(a.get("targetUrl")),
                })
            })
            .collect(),
        tags: list(achievement.get("tag"))
            .filter_map(|t| t.as_str().map(str::to_owned))
            .collect(),
    })
}

/// The items of a value that may be one item or an array of them.
fn list(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    let items: &[Value] = match v {
        Some(Value::Array(items)) => items,
        Some(one) => std::slice::from_ref(one),
        None => &[],
    };
    items.iter()
}

/// `data:image/…` URIs (base64 or percent-encoded) of PNG, JPEG, GIF, WebP or SVG.
pub(super) fn decode_data_uri(uri: &str) -> Option<(&'static str, Vec<u8>)> {
    let rest = uri.strip_prefix("data:")?;
    let (meta, data) = rest.split_once(',')?;
    let mime = meta.split(';').next()?.trim().to_ascii_lowercase();
    let kind = match mime.as_str() {
        "image/png" => "image/png",
        "image/jpeg" => "image/jpeg",
        "image/gif" => "image/gif",
        "image/webp" => "image/webp",
        "image/svg+xml" => "image/svg+xml",
        _ => return None,
    };
    let bytes = if meta.ends_with(";base64") {
        base64::engine::general_purpose::STANDARD
            .decode(data.trim())
            .ok()?
    } else {
        url::form_urlencoded::parse(format!("x={}", data.replace('+', "%2B")).as_bytes())
            .next()
            .map(|(_, v)| v.into_owned().into_bytes())?
    };
    Some((kind, bytes))
}

/// The credential inside an upload: JSON or a VC-JWT as text, or baked into a PNG or SVG.
pub(super) fn extract_credential(bytes: &[u8]) -> Result<(&'static str, String), UploadError> {
    const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    let baked_text = |baked: rosette_baking::Baked| match baked {
        rosette_baking::Baked::Json(v) => Ok(v.to_string()),
        rosette_baking::Baked::Jwt(j) => Ok(j),
        rosette_baking::Baked::Ob2(_) => Err(UploadError::Ob2),
    };
    if bytes.starts_with(PNG_SIGNATURE) {
        return match rosette_baking::unbake_png(bytes) {
            Ok(Some(baked)) => Ok(("baked PNG", baked_text(baked)?)),
            Ok(None) => Err(UploadError::NotBaked("PNG")),
            Err(e) => Err(UploadError::BadImage("PNG", e.to_string())),
        };
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| UploadError::Junk)?
        .trim()
        .trim_start_matches('\u{feff}');
    if text.is_empty() {
        return Err(UploadError::Empty);
    }
    if text.starts_with('<') {
        if !text.contains("<svg") {
            return Err(UploadError::Junk);
        }
        return match rosette_baking::unbake_svg(text) {
            Ok(Some(baked)) => Ok(("baked SVG", baked_text(baked)?)),
            Ok(None) => Err(UploadError::NotBaked("SVG")),
            Err(e) => Err(UploadError::BadImage("SVG", e.to_string())),
        };
    }
    if text.starts_with('{') {
        // Too large to verify: handed on unread, the verifier says so without building it.
        if rosette_proof::json_too_large(text).is_some() {
            return Ok(("JSON", text.to_owned()));
        }
        let value: Value = serde_json::from_str(text).map_err(|_| UploadError::Junk)?;
        if value.get("@context").is_none() && value.get("type").is_none() {
            return Err(UploadError::Junk);
        }
        return Ok(("JSON", text.to_owned()));
    }
    let jws_like = text.split('.').count() == 3
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if jws_like {
        return Ok(("VC-JWT", text.to_owned()));
    }
    Err(UploadError::Junk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_is_refused_with_a_reason() {
        assert!(matches!(
            extract_credential(b"hello world"),
            Err(UploadError::Junk)
        ));
        assert!(matches!(extract_credential(b"  "), Err(UploadError::Empty)));
        assert!(matches!(
            extract_credential(b"{\"a\":1}"),
            Err(UploadError::Junk)
        ));
        assert!(matches!(
            extract_credential(b"\x89PNG\r\n\x1a\nrest"),
            Err(UploadError::BadImage("PNG", _))
        ));
        assert!(matches!(
            extract_credential(&[0xff, 0xfe, 0x00]),
            Err(UploadError::Junk)
        ));
    }

    #[test]
    fn data_uris_decode() {
        let (kind, bytes) = decode_data_uri("data:image/svg+xml;base64,PHN2Zy8+").unwrap();
        assert_eq!((kind, bytes.as_slice()), ("image/svg+xml", &b"<svg/>"[..]));
        let (_, bytes) = decode_data_uri("data:image/svg+xml,%3Csvg%2F%3E").unwrap();
        assert_eq!(bytes, b"<svg/>");
        assert!(decode_data_uri("data:text/html,<script>").is_none());
    }
}
