//! The one harness for data-file vectors under `tests/vectors/` (see its SOURCES.md).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rosette_did::did_key::{self, DidKeyError};
use rosette_did::jws::{JwsAlgorithm, JwsHeader, decode_compact, sign_compact};
use rosette_did::resolve::{DidKeyResolver, danger_fragment_key_resolver, method_from_document};
use rosette_did::{KeyType, ProofPurpose, PublicKey, SigningKey, verification_method_id};
use serde::Deserialize;
use serde_json::Value;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(vectors().join(rel)).unwrap()
}

#[derive(Deserialize)]
#[serde(tag = "type")]
enum RfcCase {
    Ed25519Sign {
        id: String,
        seed: String,
        public: String,
        message: String,
        signature: String,
    },
    P256Sign {
        id: String,
        secret: String,
        public_x: String,
        public_y: String,
        message_utf8: String,
        r: String,
        s: String,
    },
    JwsSign {
        id: String,
        jwk: Value,
        payload_utf8: String,
        jws: String,
    },
    JwkThumbprint {
        id: String,
        jwk: Value,
        thumbprint: String,
    },
}

#[test]
fn rfc_cases() {
    let cases: Vec<RfcCase> = serde_json::from_str(&read("rfc/cases.json")).unwrap();
    assert_eq!(cases.len(), 5);
    for case in cases {
        match case {
            RfcCase::Ed25519Sign {
                id,
                seed,
                public,
                message,
                signature,
            } => {
                let key =
                    SigningKey::from_secret_bytes(KeyType::Ed25519, &hex::decode(seed).unwrap())
                        .unwrap();
                assert_eq!(hex::encode(key.public_key().to_bytes()), public, "{id}");
                let msg = hex::decode(message).unwrap();
                let sig = key.sign(&msg);
                assert_eq!(hex::encode(sig.as_bytes()), signature, "{id}");
                key.public_key().verify(&msg, sig.as_bytes()).unwrap();
            }
            RfcCase::P256Sign {
                id,
                secret,
                public_x,
                public_y,
                message_utf8,
                r,
                s,
            } => {
                let key =
                    SigningKey::from_secret_bytes(KeyType::P256, &hex::decode(secret).unwrap())
                        .unwrap();
                let jwk = serde_json::to_value(key.public_jwk()).unwrap();
                let x = rosette_b64url_to_hex(jwk["x"].as_str().unwrap());
                let y = rosette_b64url_to_hex(jwk["y"].as_str().unwrap());
                assert_eq!((x, y), (public_x, public_y), "{id}");
                let sig = key.sign(message_utf8.as_bytes());
                assert_eq!(hex::encode(sig.as_bytes()), format!("{r}{s}"), "{id}");
                key.public_key()
                    .verify(message_utf8.as_bytes(), sig.as_bytes())
                    .unwrap();
            }
            RfcCase::JwsSign {
                id,
                jwk,
                payload_utf8,
                jws,
            } => {
                let key = SigningKey::from_jwk_str(&jwk.to_string()).unwrap();
                let ours = sign_compact(
                    &JwsHeader::new(JwsAlgorithm::EdDSA),
                    payload_utf8.as_bytes(),
                    &key,
                )
                .unwrap();
                assert_eq!(ours, jws, "{id}");
                let d = decode_compact(&jws).unwrap();
                assert_eq!(d.payload, payload_utf8.as_bytes());
                d.verify(key.public_key()).unwrap();
            }
            RfcCase::JwkThumbprint {
                id,
                jwk,
                thumbprint,
            } => {
                let jwk: ssi_jwk::JWK = serde_json::from_value(jwk).unwrap();
                let key = PublicKey::from_jwk(&jwk).unwrap();
                assert_eq!(key.to_jwk().thumbprint().unwrap(), thumbprint, "{id}");
            }
        }
    }
}

fn rosette_b64url_to_hex(s: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    hex::encode(URL_SAFE_NO_PAD.decode(s).unwrap())
}

/// did:key spec Ed25519 vectors: seed → DID, key and document.
#[test]
fn did_key_spec_ed25519() {
    let file: serde_json::Map<String, Value> =
        serde_json::from_str(&read("did-key-spec/ed25519-x25519.json")).unwrap();
    assert_eq!(file.len(), 5);
    for (did, v) in file {
        let seed = hex::decode(v["seed"].as_str().unwrap()).unwrap();
        let key = SigningKey::from_secret_bytes(KeyType::Ed25519, &seed).unwrap();
        assert_eq!(key.did_key().as_str(), did);
        let pair = &v["verificationKeyPair"];
        match pair["publicKeyBase58"].as_str() {
            Some(b58) => assert_eq!(bs58::encode(key.public_key().to_bytes()).into_string(), b58),
            None => {
                // JsonWebKey2020 entry: public and private JWK forms.
                assert_eq!(
                    serde_json::to_value(key.public_jwk()).unwrap(),
                    pair["publicKeyJwk"]
                );
                let from_jwk =
                    SigningKey::from_jwk_str(&pair["privateKeyJwk"].to_string()).unwrap();
                assert_eq!(from_jwk.public_key(), key.public_key());
            }
        }
        assert_eq!(&did_key::parse_did_key(&did).unwrap(), key.public_key());
        // The published document (2018 suite) and ours agree on the method id and on
        // assertionMethod/authentication; our resolver reads the published one too.
        let published = &v["didDocument"];
        let vm_id = key.did_key_verification_method();
        assert_eq!(published["assertionMethod"][0], vm_id.as_str());
        for doc in [
            published.clone(),
            did_key::did_key_document(key.public_key()),
        ] {
            for purpose in [ProofPurpose::AssertionMethod, ProofPurpose::Authentication] {
                let m = method_from_document(&doc, vm_id.as_str(), purpose).unwrap();
                assert_eq!(&m.public_key, key.public_key());
            }
        }
    }
}

/// did:key spec NIST-curve vectors: P-256 keys round-trip; P-384 and P-521 are refused.
#[test]
fn did_key_spec_nist_curves() {
    let file: serde_json::Map<String, Value> =
        serde_json::from_str(&read("did-key-spec/nist-curves.json")).unwrap();
    let (mut p256, mut refused) = (0, 0);
    for (did, v) in file {
        let vm = &v["verificationMethod"];
        if vm["type"] == "P256Key2021" {
            // Raw base58 keys: a 32-byte secret and the 33-byte compressed point. Our document
            // resolver does not read this method type, so only the key and DID are checked.
            let secret = bs58::decode(vm["privateKeyBase58"].as_str().unwrap())
                .into_vec()
                .unwrap();
            let key = SigningKey::from_secret_bytes(KeyType::P256, &secret).unwrap();
            let public = bs58::decode(vm["publicKeyBase58"].as_str().unwrap())
                .into_vec()
                .unwrap();
            assert_eq!(key.public_key().to_bytes(), public);
            assert_eq!(key.did_key().as_str(), did);
            p256 += 1;
            continue;
        }
        let crv = vm["publicKeyJwk"]["crv"].as_str().unwrap();
        if crv != "P-256" {
            // We implement Ed25519 and P-256 only.
            assert_eq!(
                did_key::parse_did_key(&did),
                Err(DidKeyError::UnsupportedCodec),
                "{did}"
            );
            refused += 1;
            continue;
        }
        let key = SigningKey::from_jwk_str(&vm["privateKeyJwk"].to_string()).unwrap();
        assert_eq!(key.did_key().as_str(), did);
        let decoded = did_key::parse_did_key(&did).unwrap();
        assert_eq!(
            serde_json::to_value(decoded.to_jwk()).unwrap(),
            vm["publicKeyJwk"]
        );
        let m = method_from_document(
            &v["didDocument"],
            key.did_key_verification_method().as_str(),
            ProofPurpose::AssertionMethod,
        )
        .unwrap();
        assert_eq!(&m.public_key, key.public_key());
        p256 += 1;
    }
    assert_eq!((p256, refused), (3, 4));
}

/// ssi's did:key resolver, recorded: our DID, VM id and document must agree with it on every
/// property it sets.
#[test]
fn ssi_did_method_key_documents() {
    let cases: Vec<Value> = serde_json::from_str(&read("ssi/did-method-key-0.5.0.json")).unwrap();
    let mut curves = Vec::new();
    for case in &cases {
        let jwk: rosette_did::JWK = serde_json::from_value(case["publicKeyJwk"].clone()).unwrap();
        let key = PublicKey::from_jwk(&jwk).unwrap();
        curves.push(key.key_type());
        assert_eq!(did_key::did_key(&key).as_str(), case["did"]);
        assert_eq!(
            verification_method_id(&key).as_str(),
            case["verificationMethod"]
        );
        let theirs = &case["didDocument"];
        let ours = did_key::did_key_document(&key);
        for prop in ["@context", "id", "assertionMethod", "authentication"] {
            assert_eq!(ours[prop], theirs[prop], "{prop}");
        }
        assert_eq!(theirs["verificationMethod"].as_array().unwrap().len(), 1);
        let (our_vm, their_vm) = (
            &ours["verificationMethod"][0],
            &theirs["verificationMethod"][0],
        );
        for prop in ["id", "type", "controller", "publicKeyMultibase"] {
            assert_eq!(our_vm[prop], their_vm[prop], "{prop}");
        }
        // ssi leaves these out; the did:key spec also lists the key for capabilities.
        assert_eq!(ours["capabilityInvocation"], ours["assertionMethod"]);
        assert_eq!(ours["capabilityDelegation"], ours["assertionMethod"]);
    }
    assert_eq!(curves, [KeyType::Ed25519, KeyType::P256]);
}

/// 1EdTech OB 3.0 VC-JWT signed with RS256, public key in the `jwk` header.
#[test]
fn ob3_validator_simple_rs256_jwt() {
    let jwt = read("ob3/validator-simple.vc-jwt-rs256.jwt");
    let jwt = jwt.trim();
    let d = decode_compact(jwt).unwrap();
    assert_eq!(d.header.alg, JwsAlgorithm::RS256);
    assert!(d.header.jwk.is_some());
    d.verify_with_embedded_jwk().unwrap();
    let payload: Value = serde_json::from_slice(&d.payload).unwrap();
    assert!(payload["type"].to_string().contains("OpenBadgeCredential"));
    // A flipped payload byte fails.
    let (h, rest) = jwt.split_once('.').unwrap();
    let (p, s) = rest.split_once('.').unwrap();
    let mut pb = p.as_bytes().to_vec();
    pb[10] = if pb[10] == b'A' { b'B' } else { b'A' };
    let forged = format!("{h}.{}.{s}", String::from_utf8(pb).unwrap());
    assert!(
        decode_compact(&forged)
            .unwrap()
            .verify_with_embedded_jwk()
            .is_err()
    );
    // An RS256 JWS can never be checked against an Ed25519/P-256 key.
    let ed = SigningKey::generate(KeyType::Ed25519, &mut crate::test_rng(50));
    assert!(d.verify(ed.public_key()).is_err());
}

/// OB 2.0 signed assertion (RS256) with its PEM CryptographicKey.
#[test]
fn ob2_signed_assertion_rs256() {
    let jws = read("ob3/ob2-signed-assertion.rs256.jws");
    let key: Value = serde_json::from_str(&read("ob3/ob2-cryptographic-key.json")).unwrap();
    let pem = key["publicKeyPem"].as_str().unwrap();
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let spki = STANDARD.decode(b64).unwrap();
    // SubjectPublicKeyInfo for rsaEncryption, 2048-bit: a fixed 24-byte prefix, then the
    // PKCS#1 RSAPublicKey that ssi-jwk parses.
    let prefix = hex::decode("30820122300d06092a864886f70d01010105000382010f00").unwrap();
    assert_eq!(&spki[..24], &prefix[..]);
    let jwk = ssi_jwk::rsa_x509_pub_parse(&spki[24..]).unwrap();
    let d = decode_compact(jws.trim()).unwrap();
    assert_eq!(d.header.alg, JwsAlgorithm::RS256);
    d.verify_with_jwk(&jwk).unwrap();
}

/// The 1EdTech samples' verification methods: `https://…#z6Mk…` (danger resolver) and a bare
/// `did:key:` (only with `allowing_bare_did`).
#[test]
fn ob3_sample_verification_methods() {
    let simple: Value =
        serde_json::from_str(&read("ob3/validator-simple.eddsa-rdfc-2022.json")).unwrap();
    let vm = simple["proof"]["verificationMethod"]
        .as_str()
        .or_else(|| simple["proof"][0]["verificationMethod"].as_str())
        .unwrap();
    let m = danger_fragment_key_resolver().resolve_sync(vm).unwrap();
    assert_eq!(m.public_key.key_type(), KeyType::Ed25519);

    let didkey: Value =
        serde_json::from_str(&read("ob3/validator-simple-did-key.eddsa-rdfc-2022.json")).unwrap();
    let vm = didkey["proof"]["verificationMethod"]
        .as_str()
        .or_else(|| didkey["proof"][0]["verificationMethod"].as_str())
        .unwrap();
    assert!(
        DidKeyResolver::new()
            .resolve_sync(vm, ProofPurpose::AssertionMethod)
            .is_err()
    );
    let m = DidKeyResolver::allowing_bare_did()
        .resolve_sync(vm, ProofPurpose::AssertionMethod)
        .unwrap();
    // Same test key in both samples.
    assert_eq!(
        m.public_key.to_multibase(),
        "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"
    );
}
