//! Test helpers: keys, signed key proofs, a fixed clock, an issuer fixture.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rosette_core::Timestamp;
use rosette_oid4vci::{
    AccessTokenRecord, BatchCredentialIssuance, CredentialConfiguration, CredentialDisplay,
    CredentialIssuerMetadata, PublicKey, SecretHash,
};
use serde_json::{Value, json};

pub(crate) const ISSUER: &str = "https://issuer.example.org";
pub(crate) const OB_CONFIG: &str = "OpenBadgeCredential_ldp_vc";
pub(crate) const OB_JWT_CONFIG: &str = "OpenBadgeCredential_jwt_vc_json";
pub(crate) const NOW: i64 = 1_800_000_000;

pub(crate) fn now() -> Timestamp {
    Timestamp::from_unix(NOW).unwrap()
}

pub(crate) fn rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// did:key forms of a holder key, as the old `rosette_oid4vci::PublicKey` methods gave them.
pub(crate) trait DidKeyForms {
    /// `did:key:X`.
    fn to_did_key(&self) -> String;
    /// `did:key:X#X`.
    fn to_did_key_url(&self) -> String;
}

impl DidKeyForms for PublicKey {
    fn to_did_key(&self) -> String {
        rosette_did::did_key(self).as_str().to_owned()
    }

    fn to_did_key_url(&self) -> String {
        rosette_did::verification_method_id(self)
            .as_str()
            .to_owned()
    }
}

/// A holder key for signing proofs.
pub(crate) enum TestKey {
    Ed(ed25519_dalek::SigningKey),
    P256(p256::ecdsa::SigningKey),
}

impl TestKey {
    pub(crate) fn ed25519(seed: u64) -> Self {
        Self::Ed(ed25519_dalek::SigningKey::generate(&mut rng(seed)))
    }

    pub(crate) fn p256(seed: u64) -> Self {
        Self::P256(p256::ecdsa::SigningKey::random(&mut rng(seed)))
    }

    pub(crate) fn public(&self) -> PublicKey {
        match self {
            Self::Ed(k) => PublicKey::Ed25519(k.verifying_key()),
            Self::P256(k) => PublicKey::P256(*k.verifying_key()),
        }
    }

    pub(crate) fn alg(&self) -> &'static str {
        match self {
            Self::Ed(_) => "EdDSA",
            Self::P256(_) => "ES256",
        }
    }

    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Self::Ed(k) => {
                use ed25519_dalek::Signer;
                k.sign(message).to_bytes().to_vec()
            }
            Self::P256(k) => {
                use p256::ecdsa::signature::Signer;
                let sig: p256::ecdsa::Signature = k.sign(message);
                sig.to_bytes().to_vec()
            }
        }
    }
}

/// A compact JWS over `header` and `claims`, signed by `key`.
pub(crate) fn sign_jwt(header: &Value, claims: &Value, key: &TestKey) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    );
    let sig = key.sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// The header of a well-formed proof naming `key` by its did:key URL.
pub(crate) fn kid_header(key: &TestKey) -> Value {
    json!({"typ": "openid4vci-proof+jwt", "alg": key.alg(), "kid": key.public().to_did_key_url()})
}

/// Claims of a well-formed proof.
pub(crate) fn claims(nonce: &str) -> Value {
    json!({"aud": ISSUER, "iat": NOW - 10, "nonce": nonce})
}

/// A well-formed proof by `key` for `nonce`.
pub(crate) fn good_proof(key: &TestKey, nonce: &str) -> String {
    sign_jwt(&kid_header(key), &claims(nonce), key)
}

pub(crate) fn allowed_algs() -> Vec<String> {
    vec!["EdDSA".into(), "ES256".into()]
}

/// Issuer metadata with an OB 3.0 `ldp_vc` and a `jwt_vc_json` configuration.
pub(crate) fn metadata(batch_size: Option<u32>) -> CredentialIssuerMetadata {
    let display = CredentialDisplay::new("Open Badge", Some("en"));
    let mut configs = BTreeMap::new();
    configs.insert(
        OB_CONFIG.to_owned(),
        CredentialConfiguration::ldp_vc(
            vec![
                "https://www.w3.org/ns/credentials/v2".into(),
                "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json".into(),
            ],
            vec!["VerifiableCredential".into(), "OpenBadgeCredential".into()],
            allowed_algs(),
            display.clone(),
        ),
    );
    configs.insert(
        OB_JWT_CONFIG.to_owned(),
        CredentialConfiguration::jwt_vc_json(
            vec!["VerifiableCredential".into(), "OpenBadgeCredential".into()],
            vec!["EdDSA".into(), "ES256".into()],
            allowed_algs(),
            display,
        ),
    );
    let mut metadata = CredentialIssuerMetadata::new(ISSUER, configs);
    metadata.batch_credential_issuance = batch_size.map(|batch_size| {
        serde_json::from_value::<BatchCredentialIssuance>(json!({ "batch_size": batch_size }))
            .unwrap()
    });
    metadata
}

/// An access token record granting `ids`.
pub(crate) fn token_record(ids: &[&str], identifiers: bool) -> AccessTokenRecord {
    serde_json::from_value(json!({
        "token_hash": SecretHash::of("token").to_hex(),
        "expires_at": NOW + 300,
        "credential_configuration_ids": ids,
        "credential_identifiers_issued": identifiers,
        "client_id": null,
        "code_hash": SecretHash::of("code").to_hex(),
    }))
    .unwrap()
}
