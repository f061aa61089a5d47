//! Opaque random secrets (pre-authorized codes, access tokens, c_nonces, transaction codes)
//! and the SHA-256 digests the issuer stores instead of them.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{CryptoRng, RngCore};
use rosette_core::SecretString;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Random bytes in every generated opaque value: 256 bits (the floor is 128).
pub const SECRET_BYTES: usize = 32;

/// SHA-256 of a secret: what the issuer stores and looks secrets up by.
///
/// Equality is constant-time; `Debug` shows only a short prefix. Serialises as lowercase hex.
#[derive(Clone, Copy, PartialOrd, Ord)]
pub struct SecretHash([u8; 32]);

impl SecretHash {
    /// The digest of `secret` (as presented by a client, or as generated).
    pub fn of(secret: &str) -> Self {
        Self(Sha256::digest(secret.as_bytes()).into())
    }

    /// Constant-time check that `candidate` hashes to this digest.
    pub fn matches(&self, candidate: &str) -> bool {
        *self == Self::of(candidate)
    }

    /// The raw digest.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lowercase hex, the storage form.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Parses the storage form; `None` unless exactly 64 hex digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (slot, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
            let hi = char::from(*pair.first()?).to_digit(16)?;
            let lo = char::from(*pair.get(1)?).to_digit(16)?;
            *slot = u8::try_from(hi * 16 + lo).ok()?;
        }
        Some(Self(out))
    }
}

impl PartialEq for SecretHash {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.0.ct_eq(&other.0))
    }
}

impl Eq for SecretHash {}

impl fmt::Debug for SecretHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.to_hex();
        write!(f, "SecretHash({}…)", hex.get(..8).unwrap_or_default())
    }
}

impl Serialize for SecretHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for SecretHash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::from_hex(&text).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// `SECRET_BYTES` random bytes, base64url without padding (43 characters).
fn random_opaque<R: CryptoRng + RngCore>(rng: &mut R) -> SecretString {
    let mut bytes = [0u8; SECRET_BYTES];
    rng.fill_bytes(&mut bytes);
    let text = URL_SAFE_NO_PAD.encode(bytes);
    zeroize::Zeroize::zeroize(&mut bytes);
    SecretString::new(text)
}

macro_rules! opaque_secret {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// Not `Clone` (reuse is a bug), redacted `Debug`, zeroized on drop.
        pub struct $name(SecretString);

        impl $name {
            /// A fresh random value (256 bits, base64url).
            pub fn generate<R: CryptoRng + RngCore>(rng: &mut R) -> Self {
                Self(random_opaque(rng))
            }

            /// Wraps a value received from a client.
            pub fn from_presented(value: impl Into<String>) -> Self {
                Self(SecretString::new(value.into()))
            }

            /// The value itself, to send to the client exactly once.
            pub fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }

            /// The digest to store.
            pub fn hash(&self) -> SecretHash {
                SecretHash::of(self.0.expose_secret())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}

opaque_secret!(
    /// A pre-authorized code (OpenID4VCI 1.0 §4.1.1): goes into the offer, stored hashed.
    PreAuthorizedCode
);
opaque_secret!(
    /// An opaque Bearer access token (RFC 6750), stored hashed.
    AccessToken
);
opaque_secret!(
    /// A `c_nonce` (OpenID4VCI 1.0 §7.2), stored hashed.
    CNonce
);
opaque_secret!(
    /// A `notification_id` (OpenID4VCI 1.0 §8.3), stored hashed.
    NotificationId
);

/// The secret in a by-reference offer URI (`…/offers/<token>`, OpenID4VCI 1.0 §4.1.3).
///
/// The pre-authorized code is derived from it, so the issuer can serve the offer JSON on
/// every fetch while storing neither value: it stores [`OfferToken::hash`] (to find the offer
/// record) and the code's hash (in [`crate::PreAuthorizedCodeState`]). Whoever can fetch the
/// offer learns the code anyway; the code does not reveal the token.
pub struct OfferToken(SecretString);

impl OfferToken {
    /// A fresh random token (256 bits, base64url).
    pub fn generate<R: CryptoRng + RngCore>(rng: &mut R) -> Self {
        Self(random_opaque(rng))
    }

    /// Wraps the token from a request path.
    pub fn from_presented(value: impl Into<String>) -> Self {
        Self(SecretString::new(value.into()))
    }

    /// The token, for the offer URI.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The digest to store and look the offer up by.
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(self.0.expose_secret())
    }

    /// The pre-authorized code of this offer: base64url(SHA-256(label ‖ 0x00 ‖ token)).
    pub fn pre_authorized_code(&self) -> PreAuthorizedCode {
        let mut hasher = Sha256::new();
        hasher.update(b"rosette-oid4vci pre-authorized_code");
        hasher.update([0u8]);
        hasher.update(self.0.expose_secret().as_bytes());
        PreAuthorizedCode(SecretString::new(URL_SAFE_NO_PAD.encode(hasher.finalize())))
    }

    /// `<base>/<token>`: the `credential_offer_uri` (`base` without a trailing slash, e.g.
    /// `https://issuer.example.org/offers`).
    pub fn offer_uri(&self, base: &str) -> String {
        format!("{}/{}", base.trim_end_matches('/'), self.0.expose_secret())
    }
}

impl fmt::Debug for OfferToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OfferToken(<redacted>)")
    }
}

/// A Transaction Code (PIN) sent to the End-User on a second channel (OpenID4VCI 1.0 §4.1.1).
///
/// Its hash alone does not protect a 6-digit code from brute force; the attempt limit in
/// [`crate::redeem`] does.
pub struct TxCode(SecretString);

impl TxCode {
    /// A random numeric code of `length` digits (clamped to 4..=12).
    pub fn generate_numeric<R: CryptoRng + RngCore>(length: usize, rng: &mut R) -> Self {
        let length = length.clamp(4, 12);
        let digits: String = (0..length)
            .map(|_| {
                // Rejection sampling keeps the digits uniform.
                loop {
                    let byte = (rng.next_u32() & 0xff) as u8;
                    if byte < 250 {
                        return char::from(b'0' + byte % 10);
                    }
                }
            })
            .collect();
        Self(SecretString::new(digits))
    }

    /// The code, to deliver to the End-User.
    pub fn expose_secret(&self) -> &str {
        self.0.expose_secret()
    }

    /// The digest to store.
    pub fn hash(&self) -> SecretHash {
        SecretHash::of(self.0.expose_secret())
    }
}

impl fmt::Debug for TxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TxCode(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn generated_values_are_long_distinct_and_redacted() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let a = AccessToken::generate(&mut rng);
        let b = AccessToken::generate(&mut rng);
        assert_eq!(a.expose_secret().len(), 43);
        assert_ne!(a.expose_secret(), b.expose_secret());
        assert!(!format!("{a:?}").contains(a.expose_secret()));
        assert!(a.hash().matches(a.expose_secret()));
        assert!(!a.hash().matches(b.expose_secret()));
    }

    #[test]
    fn hash_hex_round_trip() {
        let h = SecretHash::of("abc");
        assert_eq!(
            h.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(SecretHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(SecretHash::from_hex("zz"), None);
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(serde_json::from_str::<SecretHash>(&json).unwrap(), h);
    }

    #[test]
    fn offer_token_derives_a_stable_code_unrelated_to_its_hash() {
        let token = OfferToken::generate(&mut rand::rngs::StdRng::seed_from_u64(3));
        let again = OfferToken::from_presented(token.expose_secret());
        let code = token.pre_authorized_code();
        assert_eq!(
            code.expose_secret(),
            again.pre_authorized_code().expose_secret()
        );
        assert_eq!(code.expose_secret().len(), 43);
        assert_ne!(code.hash(), token.hash());
        assert_ne!(code.expose_secret(), token.expose_secret());
        assert_eq!(
            token.offer_uri("https://issuer.example.org/offers/"),
            format!(
                "https://issuer.example.org/offers/{}",
                token.expose_secret()
            )
        );
        assert!(!format!("{token:?}").contains(token.expose_secret()));
    }

    #[test]
    fn tx_code_is_numeric() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let pin = TxCode::generate_numeric(6, &mut rng);
        assert_eq!(pin.expose_secret().len(), 6);
        assert!(pin.expose_secret().bytes().all(|b| b.is_ascii_digit()));
    }
}
