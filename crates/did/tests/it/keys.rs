use rosette_did::{KeyError, KeyType, PublicKey, SignatureError, SigningKey};

use crate::test_rng;

#[test]
fn ed25519_sign_verify_roundtrip() {
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(1));
    let sig = key.sign(b"hello");
    assert_eq!(sig.as_bytes().len(), 64);
    key.public_key().verify(b"hello", sig.as_bytes()).unwrap();
    assert_eq!(
        key.public_key().verify(b"hellO", sig.as_bytes()),
        Err(SignatureError::Invalid)
    );
    assert_eq!(
        key.public_key().verify(b"hello", &sig.as_bytes()[..63]),
        Err(SignatureError::Malformed(KeyType::Ed25519))
    );
}

#[test]
fn es256_sign_is_deterministic_and_verifies() {
    let key = SigningKey::generate(KeyType::P256, &mut test_rng(2));
    let a = key.sign(b"payload");
    let b = key.sign(b"payload");
    assert_eq!(a, b, "RFC 6979 signatures are deterministic");
    key.public_key().verify(b"payload", a.as_bytes()).unwrap();
    let mut bad = *a.as_bytes();
    bad[10] ^= 1;
    assert!(key.public_key().verify(b"payload", &bad).is_err());
    assert_eq!(
        key.public_key().verify(b"payload", &[0u8; 64]),
        Err(SignatureError::Malformed(KeyType::P256))
    );
}

#[test]
fn signature_from_other_key_type_does_not_verify() {
    let ed = SigningKey::generate(KeyType::Ed25519, &mut test_rng(3));
    let p = SigningKey::generate(KeyType::P256, &mut test_rng(4));
    let sig = ed.sign(b"m");
    assert!(p.public_key().verify(b"m", sig.as_bytes()).is_err());
}

#[test]
fn jwk_roundtrip_private_and_public() {
    for kt in [KeyType::Ed25519, KeyType::P256] {
        let key = SigningKey::generate(kt, &mut test_rng(5));
        let json = key.to_jwk_json();
        let back = SigningKey::from_jwk_str(&json).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert_eq!(back.sign(b"x").as_bytes().len(), 64);
        // The ssi JWK form parses to the same key.
        let priv_jwk = key.to_private_jwk();
        let back2 = SigningKey::from_jwk(priv_jwk.expose_secret()).unwrap();
        assert_eq!(back2.public_key(), key.public_key());
        // Public JWK → PublicKey.
        let public = key.public_jwk();
        assert!(public.is_public());
        assert_eq!(&PublicKey::from_jwk(&public).unwrap(), key.public_key());
        // Serialized JSON equals ssi's serialization of the same private JWK.
        let ours: serde_json::Value = serde_json::from_str(&json).unwrap();
        let theirs = serde_json::to_value(priv_jwk.expose_secret()).unwrap();
        assert_eq!(ours, theirs);
    }
}

#[test]
fn debug_never_prints_secret() {
    for kt in [KeyType::Ed25519, KeyType::P256] {
        let key = SigningKey::generate(kt, &mut test_rng(6));
        let jwk_json = key.to_jwk_json();
        let v: serde_json::Value = serde_json::from_str(&jwk_json).unwrap();
        let d = v["d"].as_str().unwrap().to_owned();
        let dbg = format!("{key:?} {:?}", key.to_private_jwk());
        assert!(!dbg.contains(&d), "secret leaked in {dbg}");
        assert!(dbg.contains("redacted"));
        assert!(dbg.contains(&key.public_key().to_multibase()));
    }
}

#[test]
fn jwk_import_rejects_bad_input() {
    // Public JWK where a private one is needed.
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(7));
    let public = serde_json::to_string(&key.public_jwk()).unwrap();
    assert!(matches!(
        SigningKey::from_jwk_str(&public),
        Err(KeyError::MissingPrivateKey)
    ));
    // Private JWK where a public one is needed.
    assert!(matches!(
        PublicKey::from_jwk(key.to_private_jwk().expose_secret()),
        Err(KeyError::UnexpectedPrivateKey)
    ));
    // x that does not match d.
    let other = SigningKey::generate(KeyType::Ed25519, &mut test_rng(8));
    let mut v: serde_json::Value = serde_json::from_str(&key.to_jwk_json()).unwrap();
    v["x"] = serde_json::from_str::<serde_json::Value>(&other.to_jwk_json()).unwrap()["x"].clone();
    assert!(matches!(
        SigningKey::from_jwk_str(&v.to_string()),
        Err(KeyError::PublicKeyMismatch)
    ));
    // Wrong curve, garbage, short d.
    assert!(matches!(
        SigningKey::from_jwk_str(r#"{"kty":"OKP","crv":"X25519","x":"AAAA","d":"AAAA"}"#),
        Err(KeyError::UnsupportedKeyType(_))
    ));
    assert!(matches!(
        SigningKey::from_jwk_str("{"),
        Err(KeyError::InvalidJwk(_))
    ));
    assert!(matches!(
        SigningKey::from_jwk_str(r#"{"kty":"OKP","crv":"Ed25519","x":"AAAA","d":"AAAA"}"#),
        Err(KeyError::MalformedKey(_))
    ));
    assert!(matches!(
        SigningKey::from_jwk_str(r#"{"kty":"RSA","n":"AQAB","e":"AQAB"}"#),
        Err(KeyError::UnsupportedKeyType(_))
    ));
    // P-256 point not on the curve.
    let bad_ec = r#"{"kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"}"#;
    assert!(PublicKey::from_jwk(&bad_ec.parse().unwrap()).is_err());
}

#[test]
fn public_key_bytes_roundtrip() {
    for kt in [KeyType::Ed25519, KeyType::P256] {
        let key = SigningKey::generate(kt, &mut test_rng(9));
        let bytes = key.public_key().to_bytes();
        assert_eq!(bytes.len(), if kt == KeyType::Ed25519 { 32 } else { 33 });
        assert_eq!(
            &PublicKey::from_bytes(kt, &bytes).unwrap(),
            key.public_key()
        );
    }
    assert!(PublicKey::from_bytes(KeyType::Ed25519, &[1, 2, 3]).is_err());
    assert!(PublicKey::from_bytes(KeyType::P256, &[]).is_err());
}
