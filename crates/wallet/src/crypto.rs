//! Passphrase → key-encryption key (Argon2id), and sealing with XChaCha20-Poly1305.

use std::fmt;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Length of an XChaCha20 nonce.
pub(crate) const NONCE_LEN: usize = 24;

/// The wallet passphrase. `Debug` is redacted; the text is zeroized on drop.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps a passphrase.
    pub fn new(text: impl Into<String>) -> Self {
        Self(Zeroizing::new(text.into()))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// Why this passphrase is too weak to protect a wallet, if it is: fewer than
    /// [`MIN_PASSPHRASE_CHARS`] characters, or fewer than 5 different characters
    /// ("aaaaaaaaaaaa", "121212121212"). Argon2id slows guessing; it cannot save "short".
    pub fn weakness(&self) -> Option<WeakPassphrase> {
        let text = self.0.as_str();
        let count = text.chars().count();
        if count < MIN_PASSPHRASE_CHARS {
            return Some(WeakPassphrase::TooShort { chars: count });
        }
        let mut distinct: Vec<char> = text.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 5 {
            return Some(WeakPassphrase::TooRepetitive);
        }
        None
    }

    /// Whether two passphrases are equal (constant time in the shorter length).
    pub fn same_as(&self, other: &Passphrase) -> bool {
        let (a, b) = (self.as_bytes(), other.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

/// The fewest characters a new wallet passphrase may have (NIST SP 800-63B asks at least 8
/// for memorised secrets; a passphrase guarding keys offline deserves more).
pub const MIN_PASSPHRASE_CHARS: usize = 12;

/// A new passphrase was refused, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WeakPassphrase {
    /// Too short.
    #[error(
        "the passphrase is too short ({chars} characters): use at least {min}, for instance four unrelated words",
        min = MIN_PASSPHRASE_CHARS
    )]
    TooShort {
        /// Its length in characters.
        chars: usize,
    },
    /// Too few different characters.
    #[error(
        "the passphrase repeats too few different characters: use at least {min} characters, for instance four unrelated words",
        min = MIN_PASSPHRASE_CHARS
    )]
    TooRepetitive,
}

/// Argon2id cost parameters, stored in the wallet header so they can be raised later.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_cost: u32,
    /// Iterations.
    pub t_cost: u32,
    /// Lanes.
    pub p_cost: u32,
}

impl Default for KdfParams {
    /// OWASP's Argon2id recommendation (19 MiB, 2 passes) with more memory: 64 MiB, 3 passes.
    fn default() -> Self {
        Self {
            m_cost: 64 * 1024,
            t_cost: 3,
            p_cost: 1,
        }
    }
}

impl KdfParams {
    /// Minimal costs, for tests only: a wallet made with them falls to a cheap guess.
    pub fn insecure_for_tests() -> Self {
        Self {
            m_cost: 8,
            t_cost: 1,
            p_cost: 1,
        }
    }
}

/// A 256-bit symmetric key, zeroized on drop.
pub(crate) struct SymmetricKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for SymmetricKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SymmetricKey(<redacted>)")
    }
}

/// Sealing or opening failed (wrong key, or altered data). Deliberately without detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AeadFailure;

impl SymmetricKey {
    pub(crate) fn generate<R: CryptoRng + RngCore>(rng: &mut R) -> Self {
        let mut bytes = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(&mut bytes[..]);
        Self(bytes)
    }

    pub(crate) fn from_slice(bytes: &[u8]) -> Option<Self> {
        let array: [u8; 32] = bytes.try_into().ok()?;
        Some(Self(Zeroizing::new(array)))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Argon2id(passphrase, salt) with `params`.
    pub(crate) fn derive(
        passphrase: &Passphrase,
        salt: &[u8],
        params: KdfParams,
    ) -> Result<Self, argon2::Error> {
        let argon = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(params.m_cost, params.t_cost, params.p_cost, Some(32))?,
        );
        let mut out = Zeroizing::new([0u8; 32]);
        argon.hash_password_into(passphrase.as_bytes(), salt, &mut out[..])?;
        Ok(Self(out))
    }

    /// `nonce || ciphertext+tag`, binding `aad`.
    pub(crate) fn seal<R: CryptoRng + RngCore>(
        &self,
        plaintext: &[u8],
        aad: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>, AeadFailure> {
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| AeadFailure)?;
        let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Opens what [`seal`](Self::seal) made; the plaintext is zeroized when dropped.
    pub(crate) fn open(
        &self,
        sealed: &[u8],
        aad: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, AeadFailure> {
        let (nonce, ct) = sealed.split_at_checked(NONCE_LEN).ok_or(AeadFailure)?;
        let cipher = XChaCha20Poly1305::new(self.0.as_ref().into());
        cipher
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
            .map(Zeroizing::new)
            .map_err(|_| AeadFailure)
    }
}
