//! The spec-vector harness: every file under `tests/vectors/<kind>/` is parsed as `<kind>`,
//! checked, and re-serialised to the same JSON. Provenance: `tests/vectors/SOURCES.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rosette_core::Timestamp;
use rosette_oid4vci::{
    AuthorizationServerMetadata, CredentialConfiguration, CredentialIssuerMetadata,
    CredentialOffer, CredentialRequest, CredentialResponse, ErrorCode, ErrorResponse, GrantType,
    KeyProofExpectations, NonceResponse, NotificationRequest, OfferLocation, OfferParseOptions,
    TokenRequest, TokenResponse, parse_offer_url_with, validate_jwt_proof,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// Parses `text` as `T` and checks that serialising it gives back the same JSON.
fn round_trip<T: DeserializeOwned + Serialize>(text: &str) -> Result<T, String> {
    let original: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let parsed: T =
        serde_json::from_value(original.clone()).map_err(|e| format!("does not parse: {e}"))?;
    let again = serde_json::to_value(&parsed).map_err(|e| e.to_string())?;
    if again != original {
        return Err(format!("round trip differs:\n{original:#}\n---\n{again:#}"));
    }
    Ok(parsed)
}

#[derive(serde::Deserialize, Serialize)]
struct ConfigurationsOnly {
    credential_configurations_supported: BTreeMap<String, CredentialConfiguration>,
}

/// Runs one vector; `Ok` carries a note of what was checked beyond the round trip.
fn run(kind: &str, name: &str, text: &str) -> Result<(), String> {
    // Peer captures were served over http on loopback (see SOURCES.md).
    let peer = name.starts_with("oid4vc-ts");
    let options = if peer {
        OfferParseOptions::danger_allow_http_loopback()
    } else {
        OfferParseOptions::default()
    };
    match kind {
        "credential_offer" => {
            let offer: CredentialOffer = round_trip(text)?;
            offer.validate_with(options).map_err(|e| e.to_string())
        }
        "credential_configurations" => {
            let configs: ConfigurationsOnly = round_trip(text)?;
            if configs.credential_configurations_supported.is_empty() {
                return Err("no configurations".into());
            }
            Ok(())
        }
        "credential_issuer_metadata" => {
            let metadata: CredentialIssuerMetadata = round_trip(text)?;
            if peer {
                // oid4vc-ts detects 1.0 only with credential_metadata in a configuration.
                let all_v1 = metadata
                    .credential_configurations_supported
                    .values()
                    .all(|c| c.credential_metadata.is_some() && c.jwt_proof_algs().is_some());
                return all_v1.then_some(()).ok_or_else(|| "not 1.0-shaped".to_owned());
            }
            if metadata.batch_credential_issuance.map(|b| b.batch_size) != Some(10) {
                return Err("batch_size not read".into());
            }
            Ok(())
        }
        "authorization_server_metadata" => {
            let metadata: AuthorizationServerMetadata = round_trip(text)?;
            metadata
                .anonymous_access()
                .then_some(())
                .ok_or_else(|| "anonymous access not read".to_owned())
        }
        "offer_url" => match parse_offer_url_with(text.trim(), options).map_err(|e| e.to_string())? {
            OfferLocation::ByReference(uri) if peer => uri
                .starts_with("http://127.0.0.1:43663/offers/")
                .then_some(())
                .ok_or_else(|| format!("wrong uri {uri}")),
            OfferLocation::ByValue(offer) if name.starts_with("by_value") => {
                let grant = offer.pre_authorized_grant().ok_or("no pre-authorized grant")?;
                (grant.pre_authorized_code == "oaKazRN8I0IbtZ0C7JuMn5")
                    .then_some(())
                    .ok_or_else(|| "wrong code".to_owned())
            }
            OfferLocation::ByReference(uri) if name.starts_with("by_reference") => (uri
                == "https://server.example.com/credential-offer/GkurKxf5T0Y-mnPFCHqWOMiZi4VS138cQO_V7PZHAdM")
                .then_some(())
                .ok_or_else(|| format!("wrong uri {uri}")),
            other => Err(format!("unexpected {other:?}")),
        },
        "token_request" => {
            let request = TokenRequest::from_form(text.trim().as_bytes()).map_err(|e| e.to_string())?;
            let again = TokenRequest::from_form(request.to_form().as_bytes()).map_err(|e| e.to_string())?;
            if again != request {
                return Err("form round trip differs".into());
            }
            match name {
                "pre_authorized_6.1.txt" => (request.grant_type == Some(GrantType::PreAuthorizedCode)
                    && request.tx_code.as_deref() == Some("493536")
                    && request.authorization_details.is_some())
                .then_some(())
                .ok_or_else(|| format!("{request:?}")),
                _ => (request.grant_type == Some(GrantType::AuthorizationCode) && request.extra.contains_key("code"))
                    .then_some(())
                    .ok_or_else(|| format!("{request:?}")),
            }
        }
        "token_response" => round_trip::<TokenResponse>(text).map(drop),
        "error_response" => {
            let e: ErrorResponse = round_trip(text)?;
            match e.error {
                ErrorCode::Other(code) => Err(format!("code {code} not known")),
                _ => Ok(()),
            }
        }
        "nonce_response" => round_trip::<NonceResponse>(text).map(drop),
        "credential_request" => round_trip::<CredentialRequest>(text).map(drop),
        "credential_response" => round_trip::<CredentialResponse>(text).map(drop),
        "notification_request" => {
            NotificationRequest::from_json(text.as_bytes()).map_err(|e| e.to_string())?;
            round_trip::<NotificationRequest>(text).map(drop)
        }
        "jwt_proof" => {
            let algs = vec!["ES256".to_owned()];
            let expect = KeyProofExpectations::new(
                "https://credential-issuer.example.com",
                Some("LarRGSbmUPYtRYO6BQ4yn8"),
                Timestamp::from_unix(1_701_960_444).ok_or("time")?,
                &algs,
            );
            let key = validate_jwt_proof(text.trim(), &expect).map_err(|e| e.to_string())?;
            key.did.starts_with("did:key:zDn").then_some(()).ok_or_else(|| key.did.clone())
        }
        other => Err(format!("no runner for kind {other}")),
    }
}

#[test]
fn spec_vectors() {
    let dir = vectors_dir();
    let sources = std::fs::read_to_string(dir.join("SOURCES.md")).unwrap();
    let mut kinds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    kinds.sort();
    let (mut passed, mut failed) = (0, Vec::new());
    for kind_dir in kinds {
        let kind = kind_dir.file_name().unwrap().to_str().unwrap().to_owned();
        let mut files: Vec<_> = std::fs::read_dir(&kind_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap().to_str().unwrap().to_owned();
            let relative = format!("{kind}/{name}");
            assert!(
                sources.contains(&format!("`{relative}`")),
                "{relative} is not listed in SOURCES.md"
            );
            let text = std::fs::read_to_string(&file).unwrap();
            match run(&kind, &name, &text) {
                Ok(()) => passed += 1,
                Err(why) => failed.push(format!("{relative}: {why}")),
            }
        }
    }
    eprintln!("spec vectors: {passed} passed, {} failed", failed.len());
    assert!(failed.is_empty(), "failing vectors:\n{}", failed.join("\n"));
    assert!(passed >= 38, "expected all 38 vectors to run, ran {passed}");
}

/// The F.1 example proof is bound to its nonce and audience: any other value fails.
#[test]
fn spec_jwt_proof_rejects_other_nonce_and_audience() {
    let jwt = std::fs::read_to_string(vectors_dir().join("jwt_proof/jwt_proof_es256_jwk_F.1.txt"))
        .unwrap();
    let algs = vec!["ES256".to_owned()];
    let at = Timestamp::from_unix(1_701_960_444).unwrap();
    let wrong_nonce = KeyProofExpectations::new(
        "https://credential-issuer.example.com",
        Some("other"),
        at,
        &algs,
    );
    assert_eq!(
        validate_jwt_proof(jwt.trim(), &wrong_nonce),
        Err(rosette_oid4vci::ProofError::WrongNonce)
    );
    let wrong_aud = KeyProofExpectations::new(
        "https://credential-issuer.example.com/",
        Some("LarRGSbmUPYtRYO6BQ4yn8"),
        at,
        &algs,
    );
    assert_eq!(
        validate_jwt_proof(jwt.trim(), &wrong_aud),
        Err(rosette_oid4vci::ProofError::WrongAudience)
    );
    let eddsa_only = vec!["EdDSA".to_owned()];
    let wrong_alg = KeyProofExpectations::new(
        "https://credential-issuer.example.com",
        Some("LarRGSbmUPYtRYO6BQ4yn8"),
        at,
        &eddsa_only,
    );
    assert!(matches!(
        validate_jwt_proof(jwt.trim(), &wrong_alg),
        Err(rosette_oid4vci::ProofError::AlgNotAllowed(_))
    ));
}
