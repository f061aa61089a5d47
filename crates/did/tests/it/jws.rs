use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rosette_did::jws::{
    JwsAlgorithm, JwsError, JwsHeader, MAX_COMPACT_LEN, decode_compact, sign_compact,
};
use rosette_did::{KeyType, SigningKey};
use serde_json::json;

use crate::test_rng;

fn b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(s)
}

#[test]
fn sign_decode_verify_both_algorithms() {
    for (kt, alg) in [
        (KeyType::Ed25519, JwsAlgorithm::EdDSA),
        (KeyType::P256, JwsAlgorithm::ES256),
    ] {
        let key = SigningKey::generate(kt, &mut test_rng(40));
        let mut header = JwsHeader::new(alg.clone());
        header.kid = Some(key.did_key_verification_method().to_string());
        header.typ = Some("JWT".to_owned());
        header.extra.insert("x-custom".to_owned(), json!(1));
        let payload = br#"{"iss":"did:example:1"}"#;
        let jws = sign_compact(&header, payload, &key).unwrap();
        let decoded = decode_compact(&jws).unwrap();
        assert_eq!(decoded.header, header);
        assert_eq!(decoded.payload, payload);
        assert_eq!(decoded.signature.len(), 64);
        assert_eq!(
            decoded.signing_input(),
            jws.rsplit_once('.').unwrap().0.as_bytes()
        );
        decoded.verify(key.public_key()).unwrap();
        decoded.verify_with_jwk(&key.public_jwk()).unwrap();

        // Another key of the same type fails.
        let other = SigningKey::generate(kt, &mut test_rng(41));
        assert!(matches!(
            decoded.verify(other.public_key()),
            Err(JwsError::Signature(_))
        ));

        // Tampered payload fails.
        let (h, rest) = jws.split_once('.').unwrap();
        let (_, s) = rest.split_once('.').unwrap();
        let forged = format!("{h}.{}.{s}", b64(r#"{"iss":"did:example:2"}"#));
        assert!(
            decode_compact(&forged)
                .unwrap()
                .verify(key.public_key())
                .is_err()
        );
    }
}

#[test]
fn algorithm_key_mismatch_rejected() {
    let ed = SigningKey::generate(KeyType::Ed25519, &mut test_rng(42));
    let p = SigningKey::generate(KeyType::P256, &mut test_rng(43));
    // Signing: header alg must fit the key.
    assert!(matches!(
        sign_compact(&JwsHeader::new(JwsAlgorithm::ES256), b"x", &ed),
        Err(JwsError::AlgorithmKeyMismatch { .. })
    ));
    assert!(matches!(
        sign_compact(&JwsHeader::new(JwsAlgorithm::RS256), b"x", &p),
        Err(JwsError::AlgorithmKeyMismatch { .. })
    ));
    // Verifying: an EdDSA JWS is not checked against a P-256 key, and vice versa.
    let jws = sign_compact(&JwsHeader::new(JwsAlgorithm::EdDSA), b"x", &ed).unwrap();
    assert!(matches!(
        decode_compact(&jws).unwrap().verify(p.public_key()),
        Err(JwsError::AlgorithmKeyMismatch { .. })
    ));
    // Relabelling an EdDSA signature as ES256 does not help.
    let relabelled = format!(
        "{}.{}",
        b64(r#"{"alg":"ES256"}"#),
        jws.split_once('.').unwrap().1
    );
    assert!(
        decode_compact(&relabelled)
            .unwrap()
            .verify(ed.public_key())
            .is_err()
    );
}

#[test]
fn alg_none_rejected() {
    for alg in ["none", "None", "NONE"] {
        let jws = format!(
            "{}.{}.AAAA",
            b64(&format!(r#"{{"alg":"{alg}"}}"#)),
            b64("{}")
        );
        assert!(
            matches!(decode_compact(&jws), Err(JwsError::AlgNone)),
            "{alg}"
        );
    }
    // Unsigned form with an empty signature part.
    let jws = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64("{}"));
    assert!(decode_compact(&jws).is_err());
}

#[test]
fn crit_rejected() {
    let jws = format!(
        "{}.{}.AAAA",
        b64(r#"{"alg":"EdDSA","crit":["exp"],"exp":1}"#),
        b64("{}")
    );
    assert!(matches!(decode_compact(&jws), Err(JwsError::UnsupportedCritical(c)) if c == "exp"));
    let jws = format!("{}.{}.AAAA", b64(r#"{"alg":"EdDSA","crit":[]}"#), b64("{}"));
    assert!(matches!(
        decode_compact(&jws),
        Err(JwsError::UnsupportedCritical(_))
    ));
}

#[test]
fn private_jwk_header_rejected() {
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(44));
    let header = format!(r#"{{"alg":"EdDSA","jwk":{}}}"#, &*key.to_jwk_json());
    let jws = format!("{}.{}.AAAA", b64(&header), b64("{}"));
    assert!(matches!(
        decode_compact(&jws),
        Err(JwsError::PrivateKeyInHeader)
    ));
    // And we refuse to sign one.
    let mut h = JwsHeader::new(JwsAlgorithm::EdDSA);
    h.jwk = Some(key.to_private_jwk().expose_secret().clone());
    assert!(matches!(
        sign_compact(&h, b"{}", &key),
        Err(JwsError::PrivateKeyInHeader)
    ));
    // Debug of such a header does not print the secret.
    let d = serde_json::from_str::<serde_json::Value>(&key.to_jwk_json()).unwrap()["d"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!format!("{h:?}").contains(&d));
    // A public jwk header is fine and verifies with the embedded key.
    let mut h = JwsHeader::new(JwsAlgorithm::EdDSA);
    h.jwk = Some(key.public_jwk());
    let jws = sign_compact(&h, b"{}", &key).unwrap();
    decode_compact(&jws)
        .unwrap()
        .verify_with_embedded_jwk()
        .unwrap();
}

#[test]
fn garbage_never_panics() {
    let huge = "a".repeat(MAX_COMPACT_LEN + 1);
    let inputs: Vec<String> = vec![
        "e30.e30.AAAA".into(),
        "".into(),
        ".".into(),
        "..".into(),
        "...".into(),
        "a.b".into(),
        "a.b.c.d".into(),
        "e30..AAAA".into(),
        ".e30.AAAA".into(),
        "e30.e30.".into(),
        "!!!.e30.AAAA".into(),
        "eyJhbGciOiJFZERTQSJ9=.e30.AAAA".into(),
        "eyJhbGciOiJFZERTQSJ9.e30=.AAAA".into(),
        format!("{}.e30.AAAA", b64("[]")),
        format!("{}.e30.AAAA", b64("null")),
        format!("{}.e30.AAAA", b64(r#"{"alg":1}"#)),
        format!("{}.e30.AAAA", b64(r#"{"alg":"EdDSA","jwk":"x"}"#)),
        format!("{}.e30.AAAA", b64(r#"{"alg":"EdDSA","kid":{}}"#)),
        format!("{}.e30.AAAA", b64("\u{0}\u{ff}")),
        format!("{}.e30.AAAA", URL_SAFE_NO_PAD.encode([0xff, 0xfe, 0x00])),
        "é.é.é".into(),
        huge,
    ];
    let ed = SigningKey::generate(KeyType::Ed25519, &mut test_rng(45));
    for input in &inputs {
        // Must return, never panic; if a header decodes, verification must fail.
        if let Ok(d) = decode_compact(input) {
            assert!(d.verify(ed.public_key()).is_err(), "{input:.40}");
            assert!(d.verify_with_embedded_jwk().is_err(), "{input:.40}");
        }
    }
    assert!(matches!(
        decode_compact(&inputs[0]),
        Err(JwsError::InvalidHeader(_))
    ));
    assert!(matches!(
        decode_compact(inputs.last().unwrap()),
        Err(JwsError::TooLarge(_))
    ));
    assert!(matches!(decode_compact("a.b"), Err(JwsError::NotCompact)));
    assert!(matches!(
        decode_compact("a.b.c.d"),
        Err(JwsError::NotCompact)
    ));
    assert!(matches!(
        decode_compact("eyJhbGciOiJFZERTQSJ9=.e30.AAAA"),
        Err(JwsError::InvalidBase64("header"))
    ));
}

#[test]
fn unknown_algorithm_decodes_but_does_not_verify() {
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(46));
    let jws = format!("{}.{}.AAAA", b64(r#"{"alg":"HS256"}"#), b64("{}"));
    let d = decode_compact(&jws).unwrap();
    assert_eq!(d.header.alg, JwsAlgorithm::Other("HS256".to_owned()));
    assert!(matches!(
        d.verify(key.public_key()),
        Err(JwsError::AlgorithmKeyMismatch { .. })
    ));
    assert!(d.verify_with_jwk(&key.public_jwk()).is_err());
}

#[test]
fn duplicate_header_members_rejected() {
    // A second `alg` must not silently override the first (algorithm confusion).
    for header in [
        r#"{"alg":"EdDSA","alg":"none"}"#,
        r#"{"alg":"ES256","alg":"EdDSA"}"#,
        r#"{"alg":"EdDSA","kid":"a","kid":"b"}"#,
        r#"{"alg":"EdDSA","\u0061lg":"none"}"#,
        r#"{"alg":"EdDSA","x":1,"x":2}"#,
    ] {
        let jws = format!("{}.{}.AAAA", b64(header), b64("{}"));
        assert!(
            matches!(decode_compact(&jws), Err(JwsError::InvalidHeader(_))),
            "{header}"
        );
    }
}
