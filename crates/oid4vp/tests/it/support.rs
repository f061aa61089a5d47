//! Shared fixtures: keys, an OB 3.0 credential, a verifier, a wallet answer.

use std::sync::Arc;

use rosette_core::{FixedClock, Timestamp};
use rosette_did::{KeyType, SigningKey};
use rosette_oid4vp::{
    AuthorizationRequest, BadgeQuery, ClientId, ClientMetadata, Nonce, State, VpToken,
};
use rosette_proof::presentation::{Binding, PresentedCredential, sign_jwt_vp, sign_ldp_vp};
use rosette_proof::{
    Canonicalizer, CredentialFormat, CredentialSigner, SignedCredential, Verifier,
};
use serde_json::{Value, json};

pub const NOW: i64 = 1_800_000_000;

pub fn now() -> Timestamp {
    Timestamp::from_unix(NOW).unwrap()
}

pub fn key(seed: u8) -> SigningKey {
    SigningKey::from_secret_bytes(KeyType::Ed25519, &[seed; 32]).unwrap()
}

pub fn verifier() -> Verifier {
    Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(rosette_proof::offline_resolver()),
        Arc::new(FixedClock::new(now())),
    )
}

/// An OB 3.0 credential from `issuer` to `subject` for an achievement called `name`.
pub fn credential(
    issuer: &SigningKey,
    subject: &str,
    name: &str,
    valid_until: Option<i64>,
) -> Value {
    let mut c = json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": "urn:uuid:2d3c0b1e-4c7a-4d6e-9f20-6f1e0c6a9b11",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": name,
        "issuer": {"id": issuer.did_key().as_str(), "type": ["Profile"], "name": "Test University"},
        "validFrom": Timestamp::from_unix(NOW - 86_400).unwrap().to_rfc3339(),
        "credentialSubject": {
            "id": subject,
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://issuer.example/achievements/rust",
                "type": ["Achievement"],
                "name": name,
                "description": "Builds verifiable credentials in Rust.",
                "criteria": {"narrative": "Ship an issuer."}
            }
        }
    });
    if let Some(until) = valid_until {
        c["validUntil"] = json!(Timestamp::from_unix(until).unwrap().to_rfc3339());
    }
    c
}

/// Signs `credential` with the key of `issuer_seed`.
pub fn sign(issuer_seed: u8, credential: &Value, format: CredentialFormat) -> PresentedCredential {
    let signer = CredentialSigner::did_key(Canonicalizer::bundled(), key(issuer_seed));
    match signer.sign(credential, format, now()).unwrap() {
        SignedCredential::Json(v) => PresentedCredential::Json(v),
        SignedCredential::Jwt(j) => PresentedCredential::Jwt(j),
    }
}

/// A verifier request for `formats` from `client` (a did:key client by default).
pub fn request(client: &ClientId, formats: &[&str], name: Option<&str>) -> AuthorizationRequest {
    let query = BadgeQuery::new(
        None,
        name.map(str::to_owned),
        formats.iter().map(|f| (*f).to_owned()).collect(),
    );
    AuthorizationRequest::direct_post(
        client.clone(),
        "https://verifier.example/response",
        Nonce::generate(&mut rand::rngs::OsRng),
        State::generate(&mut rand::rngs::OsRng),
        query.to_dcql(),
        ClientMetadata::rosette(formats),
    )
}

/// The holder's presentation of `credential` in the format of query `format`, bound to
/// `binding`.
pub fn present(
    holder: &SigningKey,
    credential: PresentedCredential,
    format: &str,
    binding: &Binding,
) -> Value {
    let did = holder.did_key();
    let vm = holder.did_key_verification_method();
    match format {
        "ldp_vc" => sign_ldp_vp(
            &Canonicalizer::bundled(),
            did.as_str(),
            vm.as_str(),
            holder,
            &[credential],
            binding,
            now(),
        )
        .unwrap(),
        _ => Value::String(
            sign_jwt_vp(
                did.as_str(),
                vm.as_str(),
                holder,
                &[credential],
                binding,
                now(),
            )
            .unwrap(),
        ),
    }
}

pub fn binding_for(request: &AuthorizationRequest) -> Binding {
    Binding {
        nonce: request.nonce.as_ref().unwrap().expose_secret().to_owned(),
        audience: request.client_id.as_str().to_owned(),
    }
}

pub fn token(id: &str, presentation: Value) -> VpToken {
    let mut t = VpToken::new();
    t.insert(id.to_owned(), vec![presentation]);
    t
}
