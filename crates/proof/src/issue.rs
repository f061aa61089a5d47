//! Signing credentials in the two formats Rosette issues.

use rosette_core::Timestamp;
use rosette_did::{KeyType, SigningKey};
use serde_json::Value;

use crate::canon::Canonicalizer;
use crate::data_integrity::{self, ProofOptions, ProofPurpose, SignError};
use crate::jwt_vc::{self, JwtSignError};

/// A credential format, named as OpenID4VCI 1.0 Appendix A names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CredentialFormat {
    /// `ldp_vc`: JSON-LD with an embedded Data Integrity proof (`eddsa-rdfc-2022`).
    LdpVc,
    /// `jwt_vc_json`: a VC-JWT.
    JwtVcJson,
}

impl CredentialFormat {
    /// The exact format identifier.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LdpVc => "ldp_vc",
            Self::JwtVcJson => "jwt_vc_json",
        }
    }

    /// Parses a format identifier.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ldp_vc" => Some(Self::LdpVc),
            "jwt_vc_json" => Some(Self::JwtVcJson),
            _ => None,
        }
    }
}

/// A signed credential.
#[derive(Clone, Debug, PartialEq)]
pub enum SignedCredential {
    /// `ldp_vc`: the credential with its proof.
    Json(Value),
    /// `jwt_vc_json`: the compact JWS.
    Jwt(String),
}

impl SignedCredential {
    /// The credential as text: compact JSON or the JWS.
    pub fn to_text(&self) -> String {
        match self {
            Self::Json(v) => v.to_string(),
            Self::Jwt(jwt) => jwt.clone(),
        }
    }
}

/// Why a credential could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// The Data Integrity proof could not be made.
    #[error(transparent)]
    DataIntegrity(#[from] SignError),
    /// The VC-JWT could not be made.
    #[error(transparent)]
    Jwt(#[from] JwtSignError),
}

/// Signs credentials with one key. Holds the canonicalizer (and its context cache).
#[derive(Debug)]
pub struct CredentialSigner {
    canon: Canonicalizer,
    key: SigningKey,
    verification_method: String,
}

impl CredentialSigner {
    /// A signer using `key`, naming `verification_method` in proofs (for did:key keys:
    /// `did:key:X#X`).
    pub fn new(canon: Canonicalizer, key: SigningKey, verification_method: String) -> Self {
        Self {
            canon,
            key,
            verification_method,
        }
    }

    /// A signer for a did:key key.
    pub fn did_key(canon: Canonicalizer, key: SigningKey) -> Self {
        let vm = key.did_key_verification_method().as_str().to_owned();
        Self::new(canon, key, vm)
    }

    /// The signing key.
    pub fn key(&self) -> &SigningKey {
        &self.key
    }

    /// The verification method named in proofs.
    pub fn verification_method(&self) -> &str {
        &self.verification_method
    }

    /// Signs `credential` in `format`; `created` is the proof's creation time.
    pub fn sign(
        &self,
        credential: &Value,
        format: CredentialFormat,
        created: Timestamp,
    ) -> Result<SignedCredential, IssueError> {
        match format {
            CredentialFormat::LdpVc => self.sign_owned(credential.clone(), format, created),
            CredentialFormat::JwtVcJson => Ok(SignedCredential::Jwt(jwt_vc::sign(
                credential,
                &self.key,
                &self.verification_method,
            )?)),
        }
    }

    /// [`Self::sign`] taking the credential by value, which saves a copy of it.
    pub fn sign_owned(
        &self,
        credential: Value,
        format: CredentialFormat,
        created: Timestamp,
    ) -> Result<SignedCredential, IssueError> {
        match format {
            CredentialFormat::LdpVc => {
                if self.key.key_type() != KeyType::Ed25519 {
                    return Err(SignError::WrongKeyType.into());
                }
                let options = ProofOptions {
                    verification_method: self.verification_method.clone(),
                    purpose: ProofPurpose::AssertionMethod,
                    created: created.to_rfc3339(),
                    challenge: None,
                    domain: None,
                };
                let signed =
                    data_integrity::sign_with(&self.canon, credential, &options, |data| {
                        *self.key.sign(data).as_bytes()
                    })?;
                Ok(SignedCredential::Json(signed))
            }
            CredentialFormat::JwtVcJson => Ok(SignedCredential::Jwt(jwt_vc::sign(
                &credential,
                &self.key,
                &self.verification_method,
            )?)),
        }
    }
}
