//! Key proof validation (OpenID4VCI 1.0 Appendix F.1, F.4) and its attacks.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rosette_oid4vci::{
    ErrorCode, KeyProofExpectations, ProofError, unverified_proof_nonce, validate_jwt_proof,
};
use serde_json::json;

use crate::support::{
    DidKeyForms, ISSUER, NOW, TestKey, allowed_algs, claims, good_proof, kid_header, now, sign_jwt,
};

const NONCE: &str = "c-nonce-1";

fn check(jwt: &str) -> Result<rosette_oid4vci::HolderKey, ProofError> {
    let algs = allowed_algs();
    validate_jwt_proof(
        jwt,
        &KeyProofExpectations::new(ISSUER, Some(NONCE), now(), &algs),
    )
}

#[test]
fn valid_kid_proofs_for_both_key_types() {
    for key in [TestKey::ed25519(1), TestKey::p256(2)] {
        let holder = check(&good_proof(&key, NONCE)).unwrap();
        assert_eq!(holder.public_key, key.public());
        assert_eq!(holder.did, key.public().to_did_key());
        assert_eq!(holder.verification_method, key.public().to_did_key_url());
    }
}

#[test]
fn valid_jwk_proof_binds_to_the_did_key_of_that_key() {
    let key = TestKey::p256(3);
    let header =
        json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": key.public().to_jwk()});
    let holder = check(&sign_jwt(&header, &claims(NONCE), &key)).unwrap();
    assert!(holder.did.starts_with("did:key:zDn"));
    assert_eq!(holder.public_key, key.public());
}

#[test]
fn proof_wrong_audience() {
    let key = TestKey::ed25519(1);
    for aud in [
        json!("https://issuer.example.org/"),
        json!("https://evil.example"),
        json!(["https://evil.example"]),
    ] {
        let jwt = sign_jwt(
            &kid_header(&key),
            &json!({"aud": aud, "iat": NOW, "nonce": NONCE}),
            &key,
        );
        assert_eq!(check(&jwt), Err(ProofError::WrongAudience));
    }
    let jwt = sign_jwt(
        &kid_header(&key),
        &json!({"iat": NOW, "nonce": NONCE}),
        &key,
    );
    assert_eq!(check(&jwt), Err(ProofError::MissingAudience));
    assert_eq!(
        ProofError::WrongAudience.to_wire().1.error,
        ErrorCode::InvalidProof
    );
}

#[test]
fn proof_stale_iat() {
    let key = TestKey::ed25519(1);
    let jwt = sign_jwt(
        &kid_header(&key),
        &json!({"aud": ISSUER, "iat": NOW - 301, "nonce": NONCE}),
        &key,
    );
    assert_eq!(check(&jwt), Err(ProofError::IatTooOld));
    let jwt = sign_jwt(
        &kid_header(&key),
        &json!({"aud": ISSUER, "iat": NOW - 300, "nonce": NONCE}),
        &key,
    );
    assert!(check(&jwt).is_ok(), "the edge of the window is inside");
}

#[test]
fn proof_future_iat() {
    let key = TestKey::ed25519(1);
    let jwt = sign_jwt(
        &kid_header(&key),
        &json!({"aud": ISSUER, "iat": NOW + 61, "nonce": NONCE}),
        &key,
    );
    assert_eq!(check(&jwt), Err(ProofError::IatInFuture));
    let jwt = sign_jwt(
        &kid_header(&key),
        &json!({"aud": ISSUER, "iat": NOW + 60, "nonce": NONCE}),
        &key,
    );
    assert!(check(&jwt).is_ok(), "within the clock skew");
    let jwt = sign_jwt(
        &kid_header(&key),
        &json!({"aud": ISSUER, "iat": "1800000000", "nonce": NONCE}),
        &key,
    );
    assert_eq!(check(&jwt), Err(ProofError::MissingIat));
}

#[test]
fn proof_alg_none() {
    let key = TestKey::ed25519(1);
    let header =
        json!({"typ": "openid4vci-proof+jwt", "alg": "none", "kid": key.public().to_did_key_url()});
    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(NONCE)).unwrap())
    );
    assert_eq!(check(&unsigned), Err(ProofError::AlgNone));
    // Even if someone lists it.
    let algs = vec!["none".to_owned(), "HS256".to_owned()];
    let expect = KeyProofExpectations::new(ISSUER, Some(NONCE), now(), &algs);
    assert_eq!(
        validate_jwt_proof(&unsigned, &expect),
        Err(ProofError::AlgNone)
    );
    let hs = json!({"typ": "openid4vci-proof+jwt", "alg": "HS256", "kid": key.public().to_did_key_url()});
    assert_eq!(
        validate_jwt_proof(&sign_jwt(&hs, &claims(NONCE), &key), &expect),
        Err(ProofError::AlgNotAllowed("HS256".into()))
    );
}

#[test]
fn proof_alg_not_in_metadata_or_not_matching_key() {
    let key = TestKey::ed25519(1);
    let only_es256 = vec!["ES256".to_owned()];
    let expect = KeyProofExpectations::new(ISSUER, Some(NONCE), now(), &only_es256);
    assert_eq!(
        validate_jwt_proof(&good_proof(&key, NONCE), &expect),
        Err(ProofError::AlgNotAllowed("EdDSA".into()))
    );
    let lying = json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "kid": key.public().to_did_key_url()});
    assert_eq!(
        check(&sign_jwt(&lying, &claims(NONCE), &key)),
        Err(ProofError::AlgKeyMismatch)
    );
}

#[test]
fn proof_wrong_typ() {
    let key = TestKey::ed25519(1);
    for typ in [
        "JWT",
        "jwt",
        "dpop+jwt",
        "openid4vp-proof+jwt",
        "application/JWT",
    ] {
        let header = json!({"typ": typ, "alg": "EdDSA", "kid": key.public().to_did_key_url()});
        assert_eq!(
            check(&sign_jwt(&header, &claims(NONCE), &key)),
            Err(ProofError::WrongTyp(typ.into()))
        );
    }
    let header = json!({"alg": "EdDSA", "kid": key.public().to_did_key_url()});
    assert_eq!(
        check(&sign_jwt(&header, &claims(NONCE), &key)),
        Err(ProofError::MissingTyp)
    );
}

#[test]
fn proof_signed_by_other_key_than_kid() {
    let victim = TestKey::ed25519(1);
    let attacker = TestKey::ed25519(2);
    let jwt = sign_jwt(&kid_header(&victim), &claims(NONCE), &attacker);
    assert_eq!(check(&jwt), Err(ProofError::BadSignature));
    let jwk_header =
        json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "jwk": victim.public().to_jwk()});
    assert_eq!(
        check(&sign_jwt(&jwk_header, &claims(NONCE), &attacker)),
        Err(ProofError::BadSignature)
    );
    // A tampered payload breaks a good signature too.
    let good = good_proof(&victim, NONCE);
    let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&json!({"aud": ISSUER, "iat": NOW, "nonce": "other"})).unwrap());
    assert_eq!(check(&parts.join(".")), Err(ProofError::BadSignature));
}

#[test]
fn proof_with_kid_and_jwk() {
    let key = TestKey::ed25519(1);
    let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": key.public().to_did_key_url(), "jwk": key.public().to_jwk()});
    assert_eq!(
        check(&sign_jwt(&header, &claims(NONCE), &key)),
        Err(ProofError::AmbiguousKey)
    );
    let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "jwk": key.public().to_jwk(), "x5c": ["MIIB"]});
    assert_eq!(
        check(&sign_jwt(&header, &claims(NONCE), &key)),
        Err(ProofError::AmbiguousKey)
    );
    let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA"});
    assert_eq!(
        check(&sign_jwt(&header, &claims(NONCE), &key)),
        Err(ProofError::NoKey)
    );
    let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "x5c": ["MIIB"]});
    assert_eq!(
        check(&sign_jwt(&header, &claims(NONCE), &key)),
        Err(ProofError::X5cNotSupported)
    );
}

#[test]
fn proof_with_private_key_in_header() {
    let key = TestKey::ed25519(1);
    let TestKey::Ed(secret) = &key else {
        unreachable!()
    };
    let mut jwk = serde_json::to_value(key.public().to_jwk()).unwrap();
    jwk["d"] = json!(URL_SAFE_NO_PAD.encode(secret.to_bytes()));
    let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "jwk": jwk});
    assert_eq!(
        check(&sign_jwt(&header, &claims(NONCE), &key)),
        Err(ProofError::PrivateKeyInHeader)
    );
}

#[test]
fn proof_kid_must_be_a_did_key_url_with_its_fragment() {
    let key = TestKey::ed25519(1);
    for kid in [
        key.public().to_did_key(),
        "did:web:evil.example#key-1".to_owned(),
        "0".to_owned(),
    ] {
        let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": kid});
        assert!(
            matches!(
                check(&sign_jwt(&header, &claims(NONCE), &key)),
                Err(ProofError::UnresolvableKid(_))
            ),
            "{kid}"
        );
    }
}

#[test]
fn proof_nonce_missing_or_wrong() {
    let key = TestKey::ed25519(1);
    let jwt = sign_jwt(&kid_header(&key), &json!({"aud": ISSUER, "iat": NOW}), &key);
    let missing = check(&jwt).unwrap_err();
    assert_eq!(missing, ProofError::MissingNonce);
    assert_eq!(missing.to_wire().1.error, ErrorCode::InvalidProof);
    let wrong = check(&good_proof(&key, "some-other-nonce")).unwrap_err();
    assert_eq!(wrong, ProofError::WrongNonce);
    assert_eq!(wrong.to_wire().1.error, ErrorCode::InvalidNonce);
    // Without a nonce endpoint, no nonce is needed.
    let algs = allowed_algs();
    assert!(
        validate_jwt_proof(&jwt, &KeyProofExpectations::new(ISSUER, None, now(), &algs)).is_ok()
    );
}

#[test]
fn proof_iss_must_match_client_id_when_both_present() {
    let key = TestKey::ed25519(1);
    let algs = allowed_algs();
    let mut expect = KeyProofExpectations::new(ISSUER, Some(NONCE), now(), &algs);
    expect.client_id = Some("wallet-1");
    let jwt = sign_jwt(
        &kid_header(&key),
        &json!({"iss": "wallet-2", "aud": ISSUER, "iat": NOW, "nonce": NONCE}),
        &key,
    );
    assert_eq!(
        validate_jwt_proof(&jwt, &expect),
        Err(ProofError::WrongIssuer)
    );
    let jwt = sign_jwt(
        &kid_header(&key),
        &json!({"iss": "wallet-1", "aud": ISSUER, "iat": NOW, "nonce": NONCE}),
        &key,
    );
    assert!(validate_jwt_proof(&jwt, &expect).is_ok());
}

#[test]
fn proof_without_alg_or_with_a_malformed_header() {
    let key = TestKey::ed25519(1);
    let header = json!({"typ": "openid4vci-proof+jwt", "kid": key.public().to_did_key_url()});
    assert_eq!(
        check(&sign_jwt(&header, &claims(NONCE), &key)),
        Err(ProofError::MissingAlg)
    );
    // Duplicate header members are refused (RFC 7515 §4), not resolved either way.
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD
            .encode(br#"{"typ":"openid4vci-proof+jwt","alg":"EdDSA","alg":"ES256","kid":"x"}"#),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims(NONCE)).unwrap())
    );
    let jwt = format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(key.sign(input.as_bytes()))
    );
    assert_eq!(check(&jwt), Err(ProofError::InvalidHeader));
}

#[test]
fn proof_crit_header_is_refused() {
    let key = TestKey::ed25519(1);
    let header = json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": key.public().to_did_key_url(), "crit": ["exp"]});
    assert_eq!(
        check(&sign_jwt(&header, &claims(NONCE), &key)),
        Err(ProofError::UnsupportedCrit)
    );
}

#[test]
fn malformed_proofs_never_panic() {
    for junk in [
        "",
        ".",
        "..",
        "a.b.c",
        "e30.e30.",
        "e30.e30.AAAA",
        "W10.e30.AAAA",
        "!!.!!.!!",
        "a.b.c.d",
        "eyJ0eXAiOjF9.e30.AA",
    ] {
        assert!(check(junk).is_err(), "{junk}");
        assert!(unverified_proof_nonce(junk).is_err(), "{junk}");
    }
    assert_eq!(check(&"a".repeat(20_000)), Err(ProofError::TooLarge));
    let key = TestKey::ed25519(1);
    let not_object = sign_jwt(&kid_header(&key), &json!([1, 2]), &key);
    assert_eq!(check(&not_object), Err(ProofError::InvalidClaims));
}

#[test]
fn unverified_nonce_reads_the_claim() {
    let key = TestKey::ed25519(1);
    assert_eq!(
        unverified_proof_nonce(&good_proof(&key, "n-1")).as_deref(),
        Ok("n-1")
    );
    let without = sign_jwt(&kid_header(&key), &json!({"aud": ISSUER, "iat": NOW}), &key);
    assert_eq!(
        unverified_proof_nonce(&without),
        Err(ProofError::MissingNonce)
    );
}

#[test]
fn draft_error_body_can_carry_a_fresh_c_nonce() {
    let nonce = rosette_oid4vci::CNonce::generate(&mut crate::support::rng(8));
    let (_, body) = ProofError::MissingNonce.to_wire();
    let json = serde_json::to_value(body.with_c_nonce(&nonce, 300)).unwrap();
    assert_eq!(json["error"], "invalid_proof");
    assert_eq!(json["c_nonce"], nonce.expose_secret());
    assert_eq!(json["c_nonce_expires_in"], 300);
}

#[test]
fn proof_typ_is_compared_as_a_media_type() {
    // Case-insensitive, optional "application/" prefix (RFC 7515 §4.1.9).
    let key = TestKey::ed25519(1);
    for typ in ["openid4vci-proof+JWT", "application/openid4vci-proof+jwt"] {
        let header = json!({"typ": typ, "alg": "EdDSA", "kid": key.public().to_did_key_url()});
        assert!(
            check(&sign_jwt(&header, &claims(NONCE), &key)).is_ok(),
            "{typ}"
        );
    }
}
