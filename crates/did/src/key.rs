//! Signing and public keys (Ed25519, P-256) and their JWK forms.
//!
//! Raw signing and verification run directly on `ed25519-dalek` and `p256` key objects: the
//! keys are parsed once, so the hot path does no conversion or allocation.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signer as _;
use p256::ecdsa::signature::Verifier as _;
use rand::{CryptoRng, RngCore};
use ssi_jwk::{Base64urlUInt, ECParams, JWK, OctetParams, Params};
use zeroize::{Zeroize, Zeroizing};

use crate::did_key;

/// Multicodec varint prefix of an Ed25519 public key (`ed25519-pub`, 0xed).
pub(crate) const ED25519_PUB_PREFIX: [u8; 2] = [0xed, 0x01];
/// Multicodec varint prefix of a P-256 public key (`p256-pub`, 0x1200).
pub(crate) const P256_PUB_PREFIX: [u8; 2] = [0x80, 0x24];

/// The key algorithms Rosette signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum KeyType {
    /// Ed25519 (JWS `EdDSA`, did:key `z6Mk…`).
    Ed25519,
    /// NIST P-256 (JWS `ES256`, did:key `zDn…`).
    P256,
}

impl KeyType {
    /// The JWS `alg` used with this key type.
    pub fn jws_algorithm(self) -> &'static str {
        match self {
            KeyType::Ed25519 => "EdDSA",
            KeyType::P256 => "ES256",
        }
    }
}

/// Errors when importing or exporting keys.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The text is not a JWK.
    #[error("not a JWK: {0}")]
    InvalidJwk(String),
    /// The JWK has a key type or curve we do not handle.
    #[error("unsupported key type or curve: {0}")]
    UnsupportedKeyType(String),
    /// A multibase (Multikey) value could not be decoded.
    #[error("invalid multibase key: {0}")]
    InvalidMultibase(#[from] did_key::DidKeyError),
    /// A private JWK was expected but has no `d`.
    #[error("the JWK has no private key (`d`)")]
    MissingPrivateKey,
    /// A public key was expected but the JWK carries private material.
    #[error("the JWK carries private key material")]
    UnexpectedPrivateKey,
    /// A coordinate or the private scalar is missing or malformed.
    #[error("malformed key material: {0}")]
    MalformedKey(&'static str),
    /// The public part of the JWK does not match its private key.
    #[error("the JWK public key does not match its private key")]
    PublicKeyMismatch,
}

/// A signature could not be verified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signature has the wrong length or encoding for the key type.
    #[error("malformed signature for {0:?}")]
    Malformed(KeyType),
    /// The signature does not verify under the key.
    #[error("signature does not verify")]
    Invalid,
}

/// A 64-byte signature: Ed25519, or ES256 as `r || s` (the JWS encoding).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 64]);

impl Signature {
    /// The signature bytes.
    pub fn as_bytes(&self) -> &[u8; 64] {
        &self.0
    }
}

impl AsRef<[u8]> for Signature {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", URL_SAFE_NO_PAD.encode(self.0))
    }
}

/// A public key: Ed25519 (32 bytes) or P-256 (SEC1 point).
#[derive(Clone, PartialEq, Eq)]
pub enum PublicKey {
    /// Ed25519 verifying key.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// P-256 ECDSA verifying key.
    P256(p256::ecdsa::VerifyingKey),
}

impl PublicKey {
    /// The key type.
    pub fn key_type(&self) -> KeyType {
        match self {
            PublicKey::Ed25519(_) => KeyType::Ed25519,
            PublicKey::P256(_) => KeyType::P256,
        }
    }

    /// Parses raw key bytes: 32 bytes for Ed25519, a SEC1 point (compressed or not) for P-256.
    pub fn from_bytes(key_type: KeyType, bytes: &[u8]) -> Result<Self, KeyError> {
        match key_type {
            KeyType::Ed25519 => {
                let arr: &[u8; 32] = bytes
                    .try_into()
                    .map_err(|_| KeyError::MalformedKey("Ed25519 public key must be 32 bytes"))?;
                ed25519_dalek::VerifyingKey::from_bytes(arr)
                    .map(PublicKey::Ed25519)
                    .map_err(|_| KeyError::MalformedKey("Ed25519 public key is not a curve point"))
            }
            KeyType::P256 => p256::ecdsa::VerifyingKey::from_sec1_bytes(bytes)
                .map(PublicKey::P256)
                .map_err(|_| KeyError::MalformedKey("P-256 public key is not a SEC1 point")),
        }
    }

    /// Raw key bytes: 32 bytes (Ed25519) or the 33-byte compressed SEC1 point (P-256).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            PublicKey::Ed25519(k) => k.to_bytes().to_vec(),
            PublicKey::P256(k) => k.to_encoded_point(true).as_bytes().to_vec(),
        }
    }

    /// The multicodec-prefixed key bytes (`0xed01 || key` or `0x8024 || compressed point`).
    pub fn to_multicodec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(35);
        match self {
            PublicKey::Ed25519(k) => {
                out.extend_from_slice(&ED25519_PUB_PREFIX);
                out.extend_from_slice(k.as_bytes());
            }
            PublicKey::P256(k) => {
                out.extend_from_slice(&P256_PUB_PREFIX);
                out.extend_from_slice(k.to_encoded_point(true).as_bytes());
            }
        }
        out
    }

    /// The Multikey `publicKeyMultibase` value (base58btc, `z6Mk…` or `zDn…`).
    pub fn to_multibase(&self) -> String {
        let mut s = String::with_capacity(52);
        s.push('z');
        s.push_str(&bs58::encode(self.to_multicodec()).into_string());
        s
    }

    /// Parses a Multikey / Ed25519VerificationKey2020 `publicKeyMultibase` value.
    pub fn from_multibase(value: &str) -> Result<Self, KeyError> {
        did_key::decode_multibase_key(value).map_err(KeyError::InvalidMultibase)
    }

    /// The public JWK (`OKP`/`Ed25519` or `EC`/`P-256`).
    pub fn to_jwk(&self) -> JWK {
        match self {
            PublicKey::Ed25519(k) => JWK::from(Params::OKP(OctetParams {
                curve: "Ed25519".to_owned(),
                public_key: Base64urlUInt(k.to_bytes().to_vec()),
                private_key: None,
            })),
            PublicKey::P256(k) => {
                let point = k.to_encoded_point(false);
                JWK::from(Params::EC(ECParams {
                    curve: Some("P-256".to_owned()),
                    x_coordinate: point.x().map(|x| Base64urlUInt(x.to_vec())),
                    y_coordinate: point.y().map(|y| Base64urlUInt(y.to_vec())),
                    ecc_private_key: None,
                }))
            }
        }
    }

    /// Imports a public JWK. A JWK carrying private material is refused so that a
    /// secret is never silently treated as public data.
    pub fn from_jwk(jwk: &JWK) -> Result<Self, KeyError> {
        match &jwk.params {
            Params::OKP(okp) => {
                if okp.private_key.is_some() {
                    return Err(KeyError::UnexpectedPrivateKey);
                }
                if okp.curve != "Ed25519" {
                    return Err(KeyError::UnsupportedKeyType(format!("OKP/{}", okp.curve)));
                }
                Self::from_bytes(KeyType::Ed25519, &okp.public_key.0)
            }
            Params::EC(ec) => {
                if ec.ecc_private_key.is_some() {
                    return Err(KeyError::UnexpectedPrivateKey);
                }
                p256_public_from_ec(ec).map(PublicKey::P256)
            }
            Params::RSA(_) => Err(KeyError::UnsupportedKeyType("RSA".to_owned())),
            Params::Symmetric(_) => Err(KeyError::UnsupportedKeyType("oct".to_owned())),
        }
    }

    /// Verifies `sig` over `msg`. Ed25519 uses `verify_strict` (rejects small-order keys and
    /// non-canonical signatures); ES256 expects the 64-byte `r || s` form.
    pub fn verify(&self, msg: &[u8], sig: &[u8]) -> Result<(), SignatureError> {
        match self {
            PublicKey::Ed25519(k) => {
                let arr: &[u8; 64] = sig
                    .try_into()
                    .map_err(|_| SignatureError::Malformed(KeyType::Ed25519))?;
                let sig = ed25519_dalek::Signature::from_bytes(arr);
                k.verify_strict(msg, &sig)
                    .map_err(|_| SignatureError::Invalid)
            }
            PublicKey::P256(k) => {
                if sig.len() != 64 {
                    return Err(SignatureError::Malformed(KeyType::P256));
                }
                let sig = p256::ecdsa::Signature::from_slice(sig)
                    .map_err(|_| SignatureError::Malformed(KeyType::P256))?;
                k.verify(msg, &sig).map_err(|_| SignatureError::Invalid)
            }
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PublicKey({:?}, {})",
            self.key_type(),
            self.to_multibase()
        )
    }
}

fn p256_public_from_ec(ec: &ECParams) -> Result<p256::ecdsa::VerifyingKey, KeyError> {
    match ec.curve.as_deref() {
        Some("P-256") => {}
        Some(other) => return Err(KeyError::UnsupportedKeyType(format!("EC/{other}"))),
        None => return Err(KeyError::MalformedKey("EC JWK without crv")),
    }
    let x = ec
        .x_coordinate
        .as_ref()
        .ok_or(KeyError::MalformedKey("EC JWK without x"))?;
    let y = ec
        .y_coordinate
        .as_ref()
        .ok_or(KeyError::MalformedKey("EC JWK without y"))?;
    if x.0.len() != 32 || y.0.len() != 32 {
        return Err(KeyError::MalformedKey("P-256 coordinates must be 32 bytes"));
    }
    let point = p256::EncodedPoint::from_affine_coordinates(
        p256::FieldBytes::from_slice(&x.0),
        p256::FieldBytes::from_slice(&y.0),
        false,
    );
    p256::ecdsa::VerifyingKey::from_encoded_point(&point)
        .map_err(|_| KeyError::MalformedKey("P-256 point is not on the curve"))
}

enum SecretKey {
    // Both types zeroize their secret scalar on drop (dalek `zeroize` feature; ecdsa always).
    Ed25519(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

/// A private signing key. Zeroized on drop; `Debug` shows only the type and public key;
/// neither `Clone` nor `PartialEq`.
pub struct SigningKey {
    secret: SecretKey,
    public: PublicKey,
}

impl SigningKey {
    /// Generates a fresh key from a cryptographic RNG.
    pub fn generate<R: CryptoRng + RngCore>(key_type: KeyType, rng: &mut R) -> Self {
        match key_type {
            KeyType::Ed25519 => Self::from_ed25519(ed25519_dalek::SigningKey::generate(rng)),
            KeyType::P256 => Self::from_p256(p256::ecdsa::SigningKey::random(rng)),
        }
    }

    /// Builds a key from a 32-byte secret (Ed25519 seed or P-256 scalar).
    pub fn from_secret_bytes(key_type: KeyType, secret: &[u8]) -> Result<Self, KeyError> {
        match key_type {
            KeyType::Ed25519 => {
                let seed: Zeroizing<[u8; 32]> = Zeroizing::new(
                    secret
                        .try_into()
                        .map_err(|_| KeyError::MalformedKey("Ed25519 secret must be 32 bytes"))?,
                );
                Ok(Self::from_ed25519(ed25519_dalek::SigningKey::from_bytes(
                    &seed,
                )))
            }
            KeyType::P256 => {
                if secret.len() != 32 {
                    return Err(KeyError::MalformedKey("P-256 secret must be 32 bytes"));
                }
                p256::ecdsa::SigningKey::from_slice(secret)
                    .map(Self::from_p256)
                    .map_err(|_| KeyError::MalformedKey("P-256 secret is not a valid scalar"))
            }
        }
    }

    fn from_ed25519(k: ed25519_dalek::SigningKey) -> Self {
        let public = PublicKey::Ed25519(k.verifying_key());
        Self {
            secret: SecretKey::Ed25519(k),
            public,
        }
    }

    fn from_p256(k: p256::ecdsa::SigningKey) -> Self {
        let public = PublicKey::P256(*k.verifying_key());
        Self {
            secret: SecretKey::P256(k),
            public,
        }
    }

    /// The key type.
    pub fn key_type(&self) -> KeyType {
        self.public.key_type()
    }

    /// The public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Imports a private JWK from its JSON text.
    pub fn from_jwk_str(json: &str) -> Result<Self, KeyError> {
        let jwk: JWK = serde_json::from_str(json).map_err(|e| {
            // serde's message may quote input; keep only the position.
            KeyError::InvalidJwk(format!("line {} column {}", e.line(), e.column()))
        })?;
        Self::from_jwk(&jwk)
    }

    /// Imports a private JWK (`OKP`/`Ed25519` or `EC`/`P-256`, with `d`). The public part, if
    /// present, must match the private key.
    pub fn from_jwk(jwk: &JWK) -> Result<Self, KeyError> {
        match &jwk.params {
            Params::OKP(okp) => {
                if okp.curve != "Ed25519" {
                    return Err(KeyError::UnsupportedKeyType(format!("OKP/{}", okp.curve)));
                }
                let d = okp
                    .private_key
                    .as_ref()
                    .ok_or(KeyError::MissingPrivateKey)?;
                let key = Self::from_secret_bytes(KeyType::Ed25519, &d.0)?;
                if key.public.to_bytes() != okp.public_key.0 {
                    return Err(KeyError::PublicKeyMismatch);
                }
                Ok(key)
            }
            Params::EC(ec) => {
                let d = ec
                    .ecc_private_key
                    .as_ref()
                    .ok_or(KeyError::MissingPrivateKey)?;
                let public = p256_public_from_ec(ec)?;
                let key = Self::from_secret_bytes(KeyType::P256, &d.0)?;
                if key.public != PublicKey::P256(public) {
                    return Err(KeyError::PublicKeyMismatch);
                }
                Ok(key)
            }
            Params::RSA(_) => Err(KeyError::UnsupportedKeyType("RSA".to_owned())),
            Params::Symmetric(_) => Err(KeyError::UnsupportedKeyType("oct".to_owned())),
        }
    }

    /// The public JWK.
    pub fn public_jwk(&self) -> JWK {
        self.public.to_jwk()
    }

    /// The private JWK, wrapped so it cannot be printed by accident.
    pub fn to_private_jwk(&self) -> PrivateJwk {
        let mut jwk = self.public.to_jwk();
        let secret = self.secret_bytes();
        match &mut jwk.params {
            Params::OKP(okp) => okp.private_key = Some(Base64urlUInt(secret.to_vec())),
            Params::EC(ec) => ec.ecc_private_key = Some(Base64urlUInt(secret.to_vec())),
            // to_jwk only builds OKP or EC.
            Params::RSA(_) | Params::Symmetric(_) => {}
        }
        PrivateJwk(jwk)
    }

    /// The private JWK as compact JSON (for a key file). Written directly into one
    /// pre-sized buffer so no unzeroized copy of the secret is left behind by reallocation.
    pub fn to_jwk_json(&self) -> Zeroizing<String> {
        let secret = self.secret_bytes();
        let mut out = Zeroizing::new(String::with_capacity(256));
        match &self.public {
            PublicKey::Ed25519(k) => {
                out.push_str(r#"{"kty":"OKP","crv":"Ed25519","x":""#);
                URL_SAFE_NO_PAD.encode_string(k.as_bytes(), &mut out);
            }
            PublicKey::P256(k) => {
                let point = k.to_encoded_point(false);
                out.push_str(r#"{"kty":"EC","crv":"P-256","x":""#);
                if let Some(x) = point.x() {
                    URL_SAFE_NO_PAD.encode_string(x, &mut out);
                }
                out.push_str(r#"","y":""#);
                if let Some(y) = point.y() {
                    URL_SAFE_NO_PAD.encode_string(y, &mut out);
                }
            }
        }
        out.push_str(r#"","d":""#);
        URL_SAFE_NO_PAD.encode_string(&secret[..], &mut out);
        out.push_str(r#""}"#);
        out
    }

    fn secret_bytes(&self) -> Zeroizing<[u8; 32]> {
        match &self.secret {
            SecretKey::Ed25519(k) => Zeroizing::new(k.to_bytes()),
            SecretKey::P256(k) => {
                let mut bytes = k.to_bytes();
                let mut out = [0u8; 32];
                out.copy_from_slice(&bytes);
                bytes.as_mut_slice().zeroize();
                Zeroizing::new(out)
            }
        }
    }

    /// Signs `msg`: Ed25519, or ES256 (SHA-256, deterministic RFC 6979 nonce) as `r || s`.
    pub fn sign(&self, msg: &[u8]) -> Signature {
        match &self.secret {
            SecretKey::Ed25519(k) => Signature(k.sign(msg).to_bytes()),
            SecretKey::P256(k) => {
                let sig: p256::ecdsa::Signature = k.sign(msg);
                let mut out = [0u8; 64];
                out.copy_from_slice(&sig.to_bytes());
                Signature(out)
            }
        }
    }

    /// The did:key DID of this key.
    pub fn did_key(&self) -> crate::Did {
        did_key::did_key(&self.public)
    }

    /// The did:key verification method id (`did:key:X#X`), the usual JWS `kid`.
    pub fn did_key_verification_method(&self) -> crate::DidUrl {
        did_key::verification_method_id(&self.public)
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("type", &self.key_type())
            .field("public", &self.public.to_multibase())
            .finish_non_exhaustive()
    }
}

/// A private JWK. `Debug` is redacted; `ssi-jwk`'s `JWK` zeroizes `d` on drop.
pub struct PrivateJwk(JWK);

impl PrivateJwk {
    /// The JWK, including its private key. Handle with care: `JWK`'s own `Debug` prints `d`.
    pub fn expose_secret(&self) -> &JWK {
        &self.0
    }
}

impl fmt::Debug for PrivateJwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateJwk(<redacted>)")
    }
}
