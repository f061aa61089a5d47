//! Credential and nonce endpoints (OpenID4VCI 1.0 §7, §8, §11), and a full pre-authorized flow.

use rosette_oid4vci::{
    CredentialOffer, CredentialRequest, CredentialRequestError, CredentialResponse, ErrorCode,
    KeyProofExpectations, NonceError, NonceResponse, NotificationError, NotificationRequest,
    OfferLocation, PreAuthorizedCode, PreAuthorizedCodeState, RequestDialect, SecretHash,
    TokenRequest, TokenSettings, TxCode, check_distinct_keys, issue_nonce, offer_url_by_value,
    parse_offer_url, redeem, unverified_proof_nonce, validate_credential_request,
    validate_jwt_proof,
};
use serde_json::{Value, json};

use crate::support::{
    DidKeyForms, ISSUER, OB_CONFIG, OB_JWT_CONFIG, TestKey, allowed_algs, good_proof, metadata,
    now, rng, token_record,
};

fn parse(v: Value) -> CredentialRequest {
    CredentialRequest::from_json(v.to_string().as_bytes()).unwrap()
}

fn validate(
    v: Value,
) -> Result<rosette_oid4vci::ValidatedCredentialRequest, CredentialRequestError> {
    validate_credential_request(
        &parse(v),
        &metadata(Some(3)),
        &token_record(&[OB_CONFIG, OB_JWT_CONFIG], false),
    )
}

fn code(e: &CredentialRequestError) -> ErrorCode {
    e.to_wire().1.error
}

#[test]
fn one_point_zero_request_with_proofs() {
    let ok = validate(
        json!({"credential_configuration_id": OB_CONFIG, "proofs": {"jwt": ["a.b.c", "d.e.f"]}}),
    )
    .unwrap();
    assert_eq!(ok.credential_configuration_id, OB_CONFIG);
    assert_eq!(ok.jwt_proofs, vec!["a.b.c", "d.e.f"]);
    assert_eq!(ok.dialect, RequestDialect::V1);
}

#[test]
fn draft_singular_proof_is_accepted() {
    let ok = validate(json!({"credential_configuration_id": OB_CONFIG, "proof": {"proof_type": "jwt", "jwt": "a.b.c"}})).unwrap();
    assert_eq!(
        (ok.jwt_proofs, ok.dialect),
        (vec!["a.b.c".to_owned()], RequestDialect::Draft)
    );
    let response = serde_json::to_value(CredentialResponse::issued(
        vec![json!({"id": "urn:x"})],
        None,
        RequestDialect::Draft,
    ))
    .unwrap();
    assert_eq!(response["credential"], json!({"id": "urn:x"}));
    assert_eq!(
        response["credentials"][0]["credential"],
        json!({"id": "urn:x"})
    );
}

#[test]
fn unknown_credential_configuration() {
    let e = validate(
        json!({"credential_configuration_id": "NoSuchBadge", "proofs": {"jwt": ["a.b.c"]}}),
    )
    .unwrap_err();
    assert_eq!(
        (e.clone(), code(&e)),
        (
            CredentialRequestError::UnknownCredentialConfiguration,
            ErrorCode::UnknownCredentialConfiguration
        )
    );
}

#[test]
fn configuration_outside_the_grant_is_denied() {
    let e = validate_credential_request(
        &parse(json!({"credential_configuration_id": OB_JWT_CONFIG, "proofs": {"jwt": ["a.b.c"]}})),
        &metadata(None),
        &token_record(&[OB_CONFIG], false),
    )
    .unwrap_err();
    assert_eq!(
        (e.clone(), code(&e)),
        (
            CredentialRequestError::NotGranted,
            ErrorCode::CredentialRequestDenied
        )
    );
}

#[test]
fn malformed_json() {
    for body in [
        &b"{not json"[..],
        b"[]",
        b"{\"proofs\": {\"jwt\": \"not-an-array\"}}",
        b"\xff\xfe",
    ] {
        let e = CredentialRequest::from_json(body).unwrap_err();
        assert!(matches!(e, CredentialRequestError::Malformed(_)));
        let (status, wire) = e.to_wire();
        assert_eq!(
            (status, wire.error),
            (400, ErrorCode::InvalidCredentialRequest)
        );
        assert_eq!(
            wire.error_description.as_deref(),
            Some("malformed credential request")
        );
    }
    assert!(NotificationRequest::from_json(b"{").is_err());
    assert!(
        rosette_oid4vci::TokenRequest::from_form(b"%%%").is_ok(),
        "form decoding is lossy, never failing"
    );
}

#[test]
fn identifier_rules() {
    let both = validate(
        json!({"credential_configuration_id": OB_CONFIG, "credential_identifier": OB_CONFIG, "proofs": {"jwt": ["a"]}}),
    );
    assert_eq!(both.unwrap_err(), CredentialRequestError::BothIdentifiers);
    let draft_format =
        validate(json!({"format": "ldp_vc", "proof": {"proof_type": "jwt", "jwt": "a"}}))
            .unwrap_err();
    // A draft `format` without `credential_definition` names no configuration.
    assert_eq!(
        (draft_format.clone(), code(&draft_format)),
        (
            CredentialRequestError::UnsupportedCredentialFormat,
            ErrorCode::UnsupportedCredentialFormat
        )
    );
    let not_issued =
        validate(json!({"credential_identifier": OB_CONFIG, "proofs": {"jwt": ["a"]}}))
            .unwrap_err();
    assert_eq!(code(&not_issued), ErrorCode::UnknownCredentialIdentifier);
    // When identifiers were issued, they are required.
    let with_ids = token_record(&[OB_CONFIG], true);
    let ok = validate_credential_request(
        &parse(json!({"credential_identifier": OB_CONFIG, "proofs": {"jwt": ["a"]}})),
        &metadata(None),
        &with_ids,
    );
    assert_eq!(ok.unwrap().credential_configuration_id, OB_CONFIG);
    let e = validate_credential_request(
        &parse(json!({"credential_configuration_id": OB_CONFIG, "proofs": {"jwt": ["a"]}})),
        &metadata(None),
        &with_ids,
    );
    assert_eq!(
        e.unwrap_err(),
        CredentialRequestError::CredentialIdentifierRequired
    );
}

#[test]
fn draft_13_format_requests_map_to_the_one_matching_configuration() {
    let types = json!(["VerifiableCredential", "OpenBadgeCredential"]);
    // Each format has one configuration with these types: unambiguous.
    for (format, config) in [("ldp_vc", OB_CONFIG), ("jwt_vc_json", OB_JWT_CONFIG)] {
        let ok = validate(json!({
            "format": format,
            "credential_definition": {"type": types, "@context": ["https://www.w3.org/ns/credentials/v2"]},
            "proof": {"proof_type": "jwt", "jwt": "a.b.c"}
        }))
        .unwrap();
        assert_eq!(ok.credential_configuration_id, config, "{format}");
        assert_eq!(ok.dialect, RequestDialect::Draft);
    }
    // Types are compared as a set.
    let reordered = validate(json!({
        "format": "ldp_vc",
        "credential_definition": {"type": ["OpenBadgeCredential", "VerifiableCredential"]},
        "proof": {"proof_type": "jwt", "jwt": "a.b.c"}
    }));
    assert_eq!(reordered.unwrap().credential_configuration_id, OB_CONFIG);
    // No configuration of that format, or other types: unsupported_credential_format.
    for request in [
        json!({"format": "mso_mdoc", "credential_definition": {"type": types}, "proof": {"proof_type": "jwt", "jwt": "a"}}),
        json!({"format": "ldp_vc", "credential_definition": {"type": ["VerifiableCredential"]}, "proof": {"proof_type": "jwt", "jwt": "a"}}),
    ] {
        let e = validate(request.clone()).unwrap_err();
        assert_eq!(
            (e.clone(), code(&e)),
            (
                CredentialRequestError::UnsupportedCredentialFormat,
                ErrorCode::UnsupportedCredentialFormat
            ),
            "{request}"
        );
    }
    // Two configurations of the same format and types: ambiguous, refused.
    let mut twice = metadata(Some(3));
    let copy = twice.credential_configurations_supported[OB_CONFIG].clone();
    twice
        .credential_configurations_supported
        .insert("Another_ldp_vc".into(), copy);
    let e = validate_credential_request(
        &parse(json!({"format": "ldp_vc", "credential_definition": {"type": types}, "proof": {"proof_type": "jwt", "jwt": "a"}})),
        &twice,
        &token_record(&[OB_CONFIG, "Another_ldp_vc"], false),
    )
    .unwrap_err();
    assert_eq!(e, CredentialRequestError::UnsupportedCredentialFormat);
    // The mapped configuration must still be granted by the token.
    let e = validate_credential_request(
        &parse(json!({"format": "jwt_vc_json", "credential_definition": {"type": types}, "proof": {"proof_type": "jwt", "jwt": "a"}})),
        &metadata(None),
        &token_record(&[OB_CONFIG], false),
    )
    .unwrap_err();
    assert_eq!(e, CredentialRequestError::NotGranted);
}

#[test]
fn proof_form_rules() {
    let both = validate(
        json!({"credential_configuration_id": OB_CONFIG, "proofs": {"jwt": ["a"]}, "proof": {"proof_type": "jwt", "jwt": "a"}}),
    );
    assert_eq!(both.unwrap_err(), CredentialRequestError::ProofAndProofs);
    let none = validate(json!({"credential_configuration_id": OB_CONFIG})).unwrap_err();
    assert_eq!(
        (none.clone(), code(&none)),
        (
            CredentialRequestError::MissingProofs,
            ErrorCode::InvalidProof
        )
    );
    let empty = validate(json!({"credential_configuration_id": OB_CONFIG, "proofs": {"jwt": []}}))
        .unwrap_err();
    assert_eq!(code(&empty), ErrorCode::InvalidProof);
    let two_types = validate(
        json!({"credential_configuration_id": OB_CONFIG, "proofs": {"jwt": ["a"], "di_vp": [{}]}}),
    )
    .unwrap_err();
    assert_eq!(
        (two_types.clone(), code(&two_types)),
        (
            CredentialRequestError::MultipleProofTypes,
            ErrorCode::InvalidCredentialRequest
        )
    );
    let di_vp =
        validate(json!({"credential_configuration_id": OB_CONFIG, "proofs": {"di_vp": [{}]}}))
            .unwrap_err();
    assert_eq!(
        di_vp,
        CredentialRequestError::UnsupportedProofType("di_vp".into())
    );
    let ldp_vp = validate(json!({"credential_configuration_id": OB_CONFIG, "proof": {"proof_type": "ldp_vp", "ldp_vp": {}}})).unwrap_err();
    assert_eq!(
        ldp_vp,
        CredentialRequestError::UnsupportedProofType("di_vp".into())
    );
    let too_many = validate(
        json!({"credential_configuration_id": OB_CONFIG, "proofs": {"jwt": ["a", "b", "c", "d"]}}),
    )
    .unwrap_err();
    assert_eq!(
        (too_many.clone(), code(&too_many)),
        (
            CredentialRequestError::TooManyProofs { max: 3 },
            ErrorCode::InvalidCredentialRequest
        )
    );
    // Without batch issuance only one proof is allowed.
    let e = validate_credential_request(
        &parse(json!({"credential_configuration_id": OB_CONFIG, "proofs": {"jwt": ["a", "b"]}})),
        &metadata(None),
        &token_record(&[OB_CONFIG], false),
    );
    assert_eq!(
        e.unwrap_err(),
        CredentialRequestError::TooManyProofs { max: 1 }
    );
    let enc = validate(
        json!({"credential_configuration_id": OB_CONFIG, "proofs": {"jwt": ["a"]}, "credential_response_encryption": {"enc": "A128GCM"}}),
    );
    assert_eq!(
        code(&enc.unwrap_err()),
        ErrorCode::InvalidEncryptionParameters
    );
}

#[test]
fn unknown_request_members_are_ignored_and_kept() {
    let request = parse(
        json!({"credential_configuration_id": OB_CONFIG, "proofs": {"jwt": ["a"]}, "future": true}),
    );
    assert_eq!(request.extra.get("future"), Some(&json!(true)));
    assert!(
        validate_credential_request(
            &request,
            &metadata(None),
            &token_record(&[OB_CONFIG], false)
        )
        .is_ok()
    );
}

#[test]
fn c_nonce_replay() {
    let (nonce, mut record) = issue_nonce(&mut rng(5), now(), 300);
    assert!(record.consume(nonce.expose_secret(), now()).is_ok());
    let replay = record.consume(nonce.expose_secret(), now()).unwrap_err();
    assert_eq!(replay, NonceError::AlreadyUsed);
    assert_eq!(replay.to_wire().1.error, ErrorCode::InvalidNonce);
    let (nonce, mut record) = issue_nonce(&mut rng(6), now(), 300);
    assert_eq!(
        record.consume(nonce.expose_secret(), now().plus_seconds(300)),
        Err(NonceError::Expired)
    );
    assert_eq!(record.consume("forged", now()), Err(NonceError::Unknown));
    assert!(!record.used);
}

#[test]
fn duplicate_keys_in_a_batch_are_refused() {
    let key = TestKey::ed25519(9);
    let algs = allowed_algs();
    let expect = KeyProofExpectations::new(ISSUER, Some("n"), now(), &algs);
    let a = validate_jwt_proof(&good_proof(&key, "n"), &expect).unwrap();
    let b = validate_jwt_proof(&good_proof(&key, "n"), &expect).unwrap();
    let e = check_distinct_keys(&[a, b]).unwrap_err();
    assert_eq!(code(&e), ErrorCode::InvalidProof);
}

#[test]
fn notification_requests() {
    let ok = NotificationRequest::from_json(
        br#"{"notification_id":"n1","event":"credential_deleted","x":1}"#,
    )
    .unwrap();
    assert_eq!(ok.notification_id, "n1");
    let bad =
        NotificationRequest::from_json(br#"{"notification_id":"n1","event":"credential_lost"}"#)
            .unwrap_err();
    assert_eq!(bad.to_wire().1.error, ErrorCode::InvalidNotificationRequest);
    assert_eq!(
        NotificationError::UnknownNotificationId.to_wire().1.error,
        ErrorCode::InvalidNotificationId
    );
}

#[test]
fn metadata_has_credential_metadata_in_every_configuration() {
    let json = serde_json::to_value(metadata(Some(3))).unwrap();
    for (id, config) in json["credential_configurations_supported"]
        .as_object()
        .unwrap()
    {
        assert!(config["credential_metadata"]["display"].is_array(), "{id}");
        assert_eq!(
            config["cryptographic_binding_methods_supported"],
            json!(["did:key"])
        );
        assert!(
            config["proof_types_supported"]["jwt"]["proof_signing_alg_values_supported"].is_array()
        );
    }
    let ldp = &json["credential_configurations_supported"][OB_CONFIG];
    assert_eq!(ldp["format"], "ldp_vc");
    assert_eq!(
        ldp["credential_signing_alg_values_supported"],
        json!(["eddsa-rdfc-2022"])
    );
    assert!(ldp["credential_definition"]["@context"].is_array());
    let jwt = &json["credential_configurations_supported"][OB_JWT_CONFIG];
    assert!(jwt["credential_definition"].get("@context").is_none());
    assert_eq!(json["nonce_endpoint"], "https://issuer.example.org/nonce");
    assert_eq!(json["batch_credential_issuance"]["batch_size"], 3);
    assert_eq!(
        rosette_oid4vci::CredentialIssuerMetadata::well_known_url(
            "https://issuer.example.org/tenant"
        )
        .as_deref(),
        Some("https://issuer.example.org/.well-known/openid-credential-issuer/tenant")
    );
    let as_meta = serde_json::to_value(
        rosette_oid4vci::AuthorizationServerMetadata::pre_authorized_only(ISSUER, true),
    )
    .unwrap();
    assert_eq!(
        as_meta["pre-authorized_grant_anonymous_access_supported"],
        true
    );
    assert_eq!(
        as_meta["token_endpoint"],
        "https://issuer.example.org/token"
    );
}

/// Offer → QR URL → wallet parse → token → nonce → credential request → proof → response.
#[test]
fn full_pre_authorized_flow() {
    let mut r = rng(77);
    let code = PreAuthorizedCode::generate(&mut r);
    let pin = TxCode::generate_numeric(6, &mut r);
    let mut code_state =
        PreAuthorizedCodeState::new(&code, vec![OB_CONFIG.to_owned()], Some(&pin), now(), 600);
    let offer = CredentialOffer::pre_authorized(
        ISSUER,
        vec![OB_CONFIG.to_owned()],
        code.expose_secret(),
        Some(serde_json::from_value(json!({"length": 6})).unwrap()),
    );
    let url = offer_url_by_value(&offer).unwrap();

    // Wallet side.
    let OfferLocation::ByValue(received) = parse_offer_url(&url).unwrap() else {
        panic!()
    };
    let grant = received.pre_authorized_grant().unwrap();
    let form = TokenRequest::pre_authorized(
        grant.pre_authorized_code.clone(),
        Some(pin.expose_secret().to_owned()),
    )
    .to_form();

    // Issuer: token.
    let request = TokenRequest::from_form(form.as_bytes()).unwrap();
    assert_eq!(
        SecretHash::of(request.pre_authorized_code.as_deref().unwrap()),
        code_state.code_hash,
        "lookup key"
    );
    let token = redeem(
        &mut code_state,
        &request,
        &TokenSettings::default(),
        now(),
        &mut r,
    )
    .unwrap();
    let token_body = token.response();

    // Issuer: nonce.
    let (nonce, mut nonce_record) = issue_nonce(&mut r, now(), 120);
    let nonce_body: NonceResponse =
        serde_json::from_value(serde_json::to_value(NonceResponse::new(&nonce)).unwrap()).unwrap();

    // Wallet: credential request.
    let holder = TestKey::ed25519(11);
    let body = serde_json::to_vec(&CredentialRequest::with_jwt_proofs(
        OB_CONFIG,
        vec![good_proof(&holder, &nonce_body.c_nonce)],
    ))
    .unwrap();
    let header = format!("Bearer {}", token_body.access_token);

    // Issuer: credential endpoint.
    let presented = rosette_oid4vci::bearer_token(Some(&header)).unwrap();
    token.record.authorize(presented, now()).unwrap();
    let request = CredentialRequest::from_json(&body).unwrap();
    let metadata = metadata(None);
    let valid = validate_credential_request(&request, &metadata, &token.record).unwrap();
    let algs = metadata.credential_configurations_supported[OB_CONFIG]
        .jwt_proof_algs()
        .unwrap()
        .to_vec();
    let mut keys = Vec::new();
    for jwt in &valid.jwt_proofs {
        let claimed = unverified_proof_nonce(jwt).unwrap();
        nonce_record.check(&claimed, now()).unwrap();
        let key = validate_jwt_proof(
            jwt,
            &KeyProofExpectations::new(ISSUER, Some(&claimed), now(), &algs),
        )
        .unwrap();
        nonce_record.consume(&claimed, now()).unwrap();
        keys.push(key);
    }
    check_distinct_keys(&keys).unwrap();
    assert_eq!(keys[0].did, holder.public().to_did_key());
    let response = CredentialResponse::issued(
        vec![json!({"credentialSubject": {"id": keys[0].did}})],
        Some("n-1".into()),
        valid.dialect,
    );
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(
        json["credentials"][0]["credential"]["credentialSubject"]["id"],
        keys[0].did.as_str()
    );
    assert!(
        json.get("credential").is_none(),
        "1.0 response carries no draft member"
    );

    // Replays fail: the code, and the nonce in a second request.
    assert!(
        redeem(
            &mut code_state,
            &request_again(&form),
            &TokenSettings::default(),
            now(),
            &mut r
        )
        .is_err()
    );
    assert_eq!(
        nonce_record.check(&nonce_body.c_nonce, now()),
        Err(NonceError::AlreadyUsed)
    );
}

fn request_again(form: &str) -> TokenRequest {
    TokenRequest::from_form(form.as_bytes()).unwrap()
}
