//! Secret values: never printed, zeroized on drop, compared in constant time.

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A secret string (token, PIN, passphrase). `Debug` is redacted; equality is constant-time.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct SecretString(String);

impl SecretString {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself; the name makes every use visible in review.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }

    /// Constant-time comparison with a candidate.
    pub fn matches(&self, candidate: &str) -> bool {
        bool::from(self.0.as_bytes().ct_eq(candidate.as_bytes()))
    }
}

impl fmt::Debug for SecretString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretString(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_secret() {
        let s = SecretString::new("hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn matches_compares_whole_value() {
        let s = SecretString::new("123456");
        assert!(s.matches("123456"));
        assert!(!s.matches("12345"));
        assert!(!s.matches("1234567"));
    }
}
