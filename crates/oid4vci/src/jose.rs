//! The little JOSE a key proof needs: compact JWS decoding, Ed25519 / P-256 public keys from
//! a JWK or a did:key URL, and signature checks.
//!
//! Self-contained until `rosette-did` (keys, did:key, JWS) lands on main; then [`PublicKey`]
//! can become a re-export of its type without changing this crate's API shape.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier as _;
use serde_json::{Map, Value};

/// A holder public key: the key a credential gets bound to.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PublicKey {
    /// Ed25519 (JWS `EdDSA` / `Ed25519`).
    Ed25519(ed25519_dalek::VerifyingKey),
    /// NIST P-256 (JWS `ES256`).
    P256(p256::ecdsa::VerifyingKey),
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_did_key())
    }
}

/// multicodec `ed25519-pub` (0xed) as an unsigned varint.
const ED25519_PREFIX: [u8; 2] = [0xed, 0x01];
/// multicodec `p256-pub` (0x1200) as an unsigned varint.
const P256_PREFIX: [u8; 2] = [0x80, 0x24];

/// Why a key could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The JWK carries private key material.
    #[error("JWK contains private key material")]
    PrivateKeyMaterial,
    /// Not an OKP/Ed25519 or EC/P-256 JWK, or bad coordinates.
    #[error("unsupported or invalid JWK: {0}")]
    InvalidJwk(&'static str),
    /// Not a `did:key:z…#z…` URL of an Ed25519 or P-256 key.
    #[error("unsupported or invalid did:key: {0}")]
    InvalidDidKey(&'static str),
}

impl PublicKey {
    /// Reads a public JWK (RFC 7517 / RFC 8037). Refuses any private member.
    pub fn from_jwk(jwk: &Map<String, Value>) -> Result<Self, KeyError> {
        // RFC 7518 §6.2.2 / §6.3.2 / RFC 8037 §2 private members.
        const PRIVATE: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
        if PRIVATE.iter().any(|m| jwk.contains_key(*m)) {
            return Err(KeyError::PrivateKeyMaterial);
        }
        let member = |name: &'static str| -> Result<Vec<u8>, KeyError> {
            let text = jwk
                .get(name)
                .and_then(Value::as_str)
                .ok_or(KeyError::InvalidJwk(name))?;
            URL_SAFE_NO_PAD
                .decode(text)
                .map_err(|_| KeyError::InvalidJwk(name))
        };
        match (
            jwk.get("kty").and_then(Value::as_str),
            jwk.get("crv").and_then(Value::as_str),
        ) {
            (Some("OKP"), Some("Ed25519")) => {
                let x: [u8; 32] = member("x")?
                    .try_into()
                    .map_err(|_| KeyError::InvalidJwk("x length"))?;
                ed25519_dalek::VerifyingKey::from_bytes(&x)
                    .map(Self::Ed25519)
                    .map_err(|_| KeyError::InvalidJwk("not an Ed25519 point"))
            }
            (Some("EC"), Some("P-256")) => {
                let x = member("x")?;
                let y = member("y")?;
                if x.len() != 32 || y.len() != 32 {
                    return Err(KeyError::InvalidJwk("coordinate length"));
                }
                // SEC1 uncompressed form: 0x04 ‖ x ‖ y.
                let mut sec1 = Vec::with_capacity(65);
                sec1.push(0x04);
                sec1.extend_from_slice(&x);
                sec1.extend_from_slice(&y);
                p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1)
                    .map(Self::P256)
                    .map_err(|_| KeyError::InvalidJwk("not a P-256 point"))
            }
            _ => Err(KeyError::InvalidJwk("kty/crv")),
        }
    }

    /// The public JWK.
    pub fn to_jwk(&self) -> Value {
        match self {
            Self::Ed25519(key) => serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "x": URL_SAFE_NO_PAD.encode(key.as_bytes()),
            }),
            Self::P256(key) => {
                let point = key.to_encoded_point(false);
                let coordinate = |c: Option<&p256::FieldBytes>| {
                    c.map(|b| URL_SAFE_NO_PAD.encode(b)).unwrap_or_default()
                };
                serde_json::json!({
                    "kty": "EC", "crv": "P-256", "x": coordinate(point.x()), "y": coordinate(point.y()),
                })
            }
        }
    }

    /// The multibase (`z` + base58btc) multicodec form used by did:key.
    pub fn to_multibase(&self) -> String {
        let mut bytes = Vec::with_capacity(35);
        match self {
            Self::Ed25519(key) => {
                bytes.extend_from_slice(&ED25519_PREFIX);
                bytes.extend_from_slice(key.as_bytes());
            }
            Self::P256(key) => {
                bytes.extend_from_slice(&P256_PREFIX);
                bytes.extend_from_slice(key.to_encoded_point(true).as_bytes());
            }
        }
        format!("z{}", bs58::encode(bytes).into_string())
    }

    /// `did:key:<multibase>`.
    pub fn to_did_key(&self) -> String {
        format!("did:key:{}", self.to_multibase())
    }

    /// `did:key:<multibase>#<multibase>`, the verification method id.
    pub fn to_did_key_url(&self) -> String {
        let mb = self.to_multibase();
        format!("did:key:{mb}#{mb}")
    }

    /// Reads a did:key verification method URL `did:key:X#X` (the fragment is required
    /// and must repeat the key, as the did:key spec defines the single method).
    pub fn from_did_key_url(url: &str) -> Result<Self, KeyError> {
        let rest = url
            .strip_prefix("did:key:")
            .ok_or(KeyError::InvalidDidKey("not did:key"))?;
        let (id, fragment) = rest
            .split_once('#')
            .ok_or(KeyError::InvalidDidKey("no fragment"))?;
        if id != fragment {
            return Err(KeyError::InvalidDidKey("fragment is not the key"));
        }
        Self::from_multibase(id)
    }

    /// Reads a multibase multicodec Ed25519 or P-256 public key.
    pub fn from_multibase(text: &str) -> Result<Self, KeyError> {
        let b58 = text
            .strip_prefix('z')
            .ok_or(KeyError::InvalidDidKey("not base58btc"))?;
        if b58.len() > 100 {
            return Err(KeyError::InvalidDidKey("too long"));
        }
        let bytes = bs58::decode(b58)
            .into_vec()
            .map_err(|_| KeyError::InvalidDidKey("bad base58"))?;
        match bytes.split_at_checked(2) {
            Some((prefix, key)) if prefix == ED25519_PREFIX => {
                let key: [u8; 32] = key
                    .try_into()
                    .map_err(|_| KeyError::InvalidDidKey("key length"))?;
                ed25519_dalek::VerifyingKey::from_bytes(&key)
                    .map(Self::Ed25519)
                    .map_err(|_| KeyError::InvalidDidKey("not an Ed25519 point"))
            }
            Some((prefix, key)) if prefix == P256_PREFIX && key.len() == 33 => {
                p256::ecdsa::VerifyingKey::from_sec1_bytes(key)
                    .map(Self::P256)
                    .map_err(|_| KeyError::InvalidDidKey("not a P-256 point"))
            }
            _ => Err(KeyError::InvalidDidKey("unsupported multicodec")),
        }
    }

    /// Whether JWS `alg` is this key's algorithm.
    pub fn accepts_alg(&self, alg: &str) -> bool {
        matches!(
            (self, alg),
            (Self::Ed25519(_), "EdDSA" | "Ed25519") | (Self::P256(_), "ES256")
        )
    }

    /// Verifies a JWS signature (Ed25519 strict; ES256 as fixed 64-byte r‖s).
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Ed25519(key) => ed25519_dalek::Signature::from_slice(signature)
                .map(|sig| key.verify_strict(message, &sig).is_ok())
                .unwrap_or(false),
            Self::P256(key) => p256::ecdsa::Signature::from_slice(signature)
                .map(|sig| key.verify(message, &sig).is_ok())
                .unwrap_or(false),
        }
    }
}

/// A compact JWS split and decoded, not yet verified.
#[derive(Debug)]
pub(crate) struct CompactJws<'a> {
    /// The protected header.
    pub(crate) header: Map<String, Value>,
    /// The payload bytes.
    pub(crate) payload: Vec<u8>,
    /// `BASE64URL(header) '.' BASE64URL(payload)`.
    pub(crate) signing_input: &'a str,
    /// The signature bytes.
    pub(crate) signature: Vec<u8>,
}

/// Why a compact JWS could not be split or decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JwsShapeError {
    /// Not three base64url segments.
    NotCompact,
    /// The header is not a JSON object.
    Header,
}

/// Splits and decodes `header.payload.signature` (RFC 7515 §7.1).
pub(crate) fn decode_compact(jws: &str) -> Result<CompactJws<'_>, JwsShapeError> {
    let mut parts = jws.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwsShapeError::NotCompact);
    };
    let decode = |segment: &str| {
        URL_SAFE_NO_PAD
            .decode(segment)
            .map_err(|_| JwsShapeError::NotCompact)
    };
    let header_bytes = decode(h)?;
    let payload = decode(p)?;
    let signature = decode(s)?;
    let header = match serde_json::from_slice::<Value>(&header_bytes) {
        Ok(Value::Object(map)) => map,
        _ => return Err(JwsShapeError::Header),
    };
    let signing_input = jws
        .get(..h.len() + 1 + p.len())
        .ok_or(JwsShapeError::NotCompact)?;
    Ok(CompactJws {
        header,
        payload,
        signing_input,
        signature,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_key_round_trip_ed25519_known_value() {
        // did:key spec test vector (w3c-ccg/did-key-spec, Ed25519 key 1).
        let url = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
        let key = PublicKey::from_did_key_url(url).unwrap();
        assert_eq!(key.to_did_key_url(), url);
        assert!(matches!(key, PublicKey::Ed25519(_)));
    }

    #[test]
    fn did_key_round_trip_p256_known_value() {
        // did:key spec test vector (P-256).
        let did = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169";
        let key = PublicKey::from_did_key_url(&format!("{did}#{}", &did[8..])).unwrap();
        assert_eq!(key.to_did_key(), did);
        let jwk = key.to_jwk();
        assert_eq!(PublicKey::from_jwk(jwk.as_object().unwrap()).unwrap(), key);
    }

    #[test]
    fn did_key_without_matching_fragment_is_refused() {
        let did = "did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp";
        assert!(PublicKey::from_did_key_url(did).is_err());
        assert!(PublicKey::from_did_key_url(&format!("{did}#other")).is_err());
    }

    #[test]
    fn private_jwk_is_refused() {
        let jwk = serde_json::json!({"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"});
        assert_eq!(
            PublicKey::from_jwk(jwk.as_object().unwrap()),
            Err(KeyError::PrivateKeyMaterial)
        );
    }
}
