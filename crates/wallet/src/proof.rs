//! The OpenID4VCI key proof (`openid4vci-proof+jwt`, 1.0 Appendix F.1) of the holder key.

use rosette_core::Timestamp;
use rosette_did::SigningKey;
use rosette_did::jws::{JwsAlgorithm, JwsHeader, sign_compact};

/// The key proof could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyProofError {
    /// Signing failed.
    #[error("signing the key proof failed: {0}")]
    Sign(#[from] rosette_did::jws::JwsError),
    /// The claims could not be serialised.
    #[error("serialising the key proof failed: {0}")]
    Serialize(#[from] serde_json::Error),
}

/// A `jwt` key proof for `credential_issuer`: `kid` = the holder's did:key URL (so no `jwk`
/// header), `aud` = the issuer, `iat` = `now`, `nonce` = the c_nonce when the issuer has a
/// nonce endpoint. No `iss`: the pre-authorized flow here is anonymous.
pub fn key_proof_jwt(
    key: &SigningKey,
    credential_issuer: &str,
    c_nonce: Option<&str>,
    now: Timestamp,
) -> Result<String, KeyProofError> {
    let mut header = JwsHeader::new(JwsAlgorithm::for_key_type(key.key_type()));
    header.typ = Some(rosette_oid4vci::PROOF_JWT_TYP.to_owned());
    header.kid = Some(key.did_key_verification_method().to_string());
    let mut claims = serde_json::Map::new();
    claims.insert("aud".into(), credential_issuer.into());
    claims.insert("iat".into(), now.unix().into());
    if let Some(nonce) = c_nonce {
        claims.insert("nonce".into(), nonce.into());
    }
    let payload = serde_json::to_vec(&claims)?;
    Ok(sign_compact(&header, &payload, key)?)
}
