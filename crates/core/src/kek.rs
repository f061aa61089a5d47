//! A key-encryption key (KEK): what seals the secrets a store keeps (institutions' private
//! signing keys, the server secret that offer tokens and PINs derive from) and keys the PIN
//! hashes. It lives outside the store — in a file the operator names, in `ROSETTE_KEK`, or by
//! default in `<data>/kek` (0600) — so a copied database alone yields no usable secret.
//!
//! Sealed text: `kek1.<kek id>.<base64url(nonce ‖ XChaCha20-Poly1305 ciphertext)>`, with the
//! value's purpose (e.g. `signing-key:acme`) as associated data, so a sealed value cannot be
//! moved to another row. The KEK id (8 hex digits of SHA-256 of the key) tells which KEK a value
//! was sealed under, for rotation.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use rand::rngs::OsRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

const PREFIX: &str = "kek1.";

/// A 256-bit key-encryption key. Never printed.
#[derive(Clone)]
pub struct Kek {
    key: Zeroizing<[u8; 32]>,
    id: String,
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kek")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Why a KEK or a sealed value could not be read.
#[derive(Debug, thiserror::Error)]
pub enum KekError {
    /// The KEK text is not 32 bytes in base64url or hex.
    #[error("the key-encryption key must be 32 bytes, as 64 hex digits or 43 base64url characters")]
    BadKek,
    /// The value was sealed under another KEK.
    #[error(
        "this value was sealed under key-encryption key {found}, not {expected}: start the agent with that key (or rotate with it)"
    )]
    OtherKek {
        /// The KEK id in the value.
        found: String,
        /// This KEK's id.
        expected: String,
    },
    /// Not sealed text, or altered.
    #[error("the sealed value is damaged or belongs to another record")]
    Damaged,
}

impl Kek {
    /// A fresh random KEK.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0_u8; 32]);
        OsRng.fill_bytes(key.as_mut());
        Self::from_bytes(key)
    }

    fn from_bytes(key: Zeroizing<[u8; 32]>) -> Self {
        let id = hex::encode(&Sha256::digest(key.as_ref())[..4]);
        Self { key, id }
    }

    /// From its text form: 64 hex digits or 43 base64url characters (whitespace trimmed).
    pub fn parse(text: &str) -> Result<Self, KekError> {
        let text = text.trim();
        let bytes = Zeroizing::new(if text.len() == 64 {
            hex::decode(text).map_err(|_| KekError::BadKek)?
        } else {
            URL_SAFE_NO_PAD
                .decode(text.trim_end_matches('='))
                .map_err(|_| KekError::BadKek)?
        });
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| KekError::BadKek)?;
        Ok(Self::from_bytes(Zeroizing::new(key)))
    }

    /// Its text form (base64url), for writing the KEK file.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(URL_SAFE_NO_PAD.encode(self.key.as_ref()))
    }

    /// The KEK's id: 8 hex digits, safe to log.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `plaintext` sealed for `purpose` (e.g. `signing-key:acme`).
    pub fn seal(&self, purpose: &str, plaintext: &[u8]) -> String {
        let cipher = XChaCha20Poly1305::new(self.key.as_ref().into());
        let mut nonce = [0_u8; 24];
        OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad: purpose.as_bytes(),
                },
            )
            // XChaCha20-Poly1305 encryption fails only past 256 GiB of plaintext.
            .unwrap_or_default();
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}.{}", self.id, URL_SAFE_NO_PAD.encode(out))
    }

    /// The plaintext of `sealed`, which must have been sealed for `purpose` under this KEK.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<Zeroizing<Vec<u8>>, KekError> {
        let rest = sealed.strip_prefix(PREFIX).ok_or(KekError::Damaged)?;
        let (id, body) = rest.split_once('.').ok_or(KekError::Damaged)?;
        if id != self.id {
            return Err(KekError::OtherKek {
                found: id.chars().take(8).collect(),
                expected: self.id.clone(),
            });
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| KekError::Damaged)?;
        if bytes.len() < 24 + 16 {
            return Err(KekError::Damaged);
        }
        let (nonce, ciphertext) = bytes.split_at(24);
        let cipher = XChaCha20Poly1305::new(self.key.as_ref().into());
        cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: purpose.as_bytes(),
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| KekError::Damaged)
    }

    /// The id of the KEK `sealed` was sealed under, if it is a sealed value.
    pub fn sealed_by(sealed: &str) -> Option<&str> {
        sealed
            .strip_prefix(PREFIX)?
            .split_once('.')
            .map(|(id, _)| id)
    }

    /// Whether `text` is a sealed value (else a value stored in clear by an older version).
    pub fn is_sealed(text: &str) -> bool {
        text.starts_with(PREFIX)
    }

    /// A sub-key for `label` (HMAC-SHA256 of the label under the KEK): keys that must not be
    /// in the store, e.g. the one PIN hashes are made with.
    pub fn derive(&self, label: &str) -> Zeroizing<[u8; 32]> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"rosette-kek-derive\0");
        mac.update(label.as_bytes());
        Zeroizing::new(mac.finalize().into_bytes().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_bound_to_purpose_and_kek() {
        let kek = Kek::generate();
        let sealed = kek.seal("signing-key:acme", b"secret jwk");
        assert!(Kek::is_sealed(&sealed));
        assert!(!sealed.contains("secret"));
        assert_eq!(
            kek.open("signing-key:acme", &sealed).unwrap().as_slice(),
            b"secret jwk"
        );
        // Moved to another row: refused.
        assert!(matches!(
            kek.open("signing-key:evil", &sealed),
            Err(KekError::Damaged)
        ));
        // Another KEK: refused, naming both ids.
        let other = Kek::generate();
        assert!(matches!(
            other.open("signing-key:acme", &sealed),
            Err(KekError::OtherKek { .. })
        ));
        // Text form round trip, hex too.
        let again = Kek::parse(&kek.to_text()).unwrap();
        assert_eq!(again.id(), kek.id());
        assert_eq!(
            Kek::parse(&hex::encode(kek.key.as_ref())).unwrap().id(),
            kek.id()
        );
        assert!(Kek::parse("short").is_err());
        assert!(!format!("{kek:?}").contains(&*kek.to_text()));
    }
}

/// Opens `sealed` with whichever of `keks` sealed it (the first when none matches, for its
/// error). During a rotation with several agents on one database, every agent opens values
/// sealed under the old and the new key while the store is re-sealed.
pub fn open_with_any<'k>(
    keks: impl IntoIterator<Item = &'k Kek>,
    purpose: &str,
    sealed: &str,
) -> Result<Zeroizing<Vec<u8>>, KekError> {
    let by = Kek::sealed_by(sealed).unwrap_or_default();
    let mut first = None;
    for kek in keks {
        if kek.id() == by {
            return kek.open(purpose, sealed);
        }
        first.get_or_insert(kek);
    }
    match first {
        Some(kek) => kek.open(purpose, sealed),
        None => Err(KekError::Damaged),
    }
}

#[cfg(test)]
mod ring_tests {
    use super::*;

    #[test]
    fn values_sealed_under_any_of_the_keys_open() {
        let (old, new) = (Kek::generate(), Kek::generate());
        let by_old = old.seal("p", b"secret");
        let by_new = new.seal("p", b"secret");
        let keks = [&new, &old];
        assert_eq!(
            open_with_any(keks, "p", &by_old).unwrap().as_slice(),
            b"secret"
        );
        assert_eq!(
            open_with_any(keks, "p", &by_new).unwrap().as_slice(),
            b"secret"
        );
        assert!(open_with_any(keks, "other purpose", &by_old).is_err());
        let stranger = Kek::generate().seal("p", b"secret");
        assert!(matches!(
            open_with_any(keks, "p", &stranger),
            Err(KekError::OtherKek { .. })
        ));
    }
}
