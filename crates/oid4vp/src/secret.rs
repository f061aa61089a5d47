//! Request-bound values: the `nonce` (§5.2) and `state` (§5.3). They are not secret from the
//! wallet, but an observer who learnt them could replay or poll, so they print redacted and
//! compare in constant time.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Random bytes in a generated nonce or state: 256 bits (OpenID4VP 1.0 errata: at least 128).
pub const RANDOM_BYTES: usize = 32;

fn random_text<R: CryptoRng + RngCore>(rng: &mut R) -> String {
    let mut bytes = [0u8; RANDOM_BYTES];
    rng.fill_bytes(&mut bytes);
    let text = URL_SAFE_NO_PAD.encode(bytes);
    bytes.zeroize();
    text
}

macro_rules! bound_value {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        ///
        /// `Debug` is redacted, `==` is constant-time, the text is zeroized on drop.
        #[derive(Clone, Zeroize, ZeroizeOnDrop)]
        pub struct $name(String);

        impl $name {
            /// A fresh value: 256 random bits, base64url (43 URL-safe characters).
            pub fn generate<R: CryptoRng + RngCore>(rng: &mut R) -> Self {
                Self(random_text(rng))
            }

            /// Wraps a value received from a peer or read from storage.
            pub fn from_presented(value: impl Into<String>) -> Self {
                Self(value.into())
            }

            /// The value itself; the name makes every use visible in review.
            pub fn expose_secret(&self) -> &str {
                &self.0
            }

            /// Constant-time comparison with a candidate.
            pub fn matches(&self, candidate: &str) -> bool {
                bool::from(self.0.as_bytes().ct_eq(candidate.as_bytes()))
            }
        }

        impl PartialEq for $name {
            fn eq(&self, other: &Self) -> bool {
                self.matches(&other.0)
            }
        }

        impl Eq for $name {}

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                String::deserialize(d).map(Self)
            }
        }
    };
}

bound_value! {
    /// The request `nonce` (OpenID4VP 1.0 §5.2, REQUIRED): the presentation must carry it
    /// (VP-JWT `nonce`, Data Integrity `challenge`, §14.1).
    Nonce
}

bound_value! {
    /// The request `state` (OpenID4VP 1.0 §5.3): echoed by the wallet in the response; the
    /// verifier looks the transaction up by it.
    State
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_values_are_long_and_distinct_and_redacted() {
        let mut rng = rand::rngs::OsRng;
        let a = Nonce::generate(&mut rng);
        let b = Nonce::generate(&mut rng);
        assert_eq!(a.expose_secret().len(), 43);
        assert_ne!(a, b);
        assert!(!format!("{a:?}").contains(a.expose_secret()));
        assert!(a.matches(a.expose_secret()));
        assert!(!a.matches("short"));
    }
}
