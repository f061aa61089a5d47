use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rosette_did::did_web::{DidWebOptions, DidWebResolver};
use rosette_did::resolve::{DidKeyResolver, danger_fragment_key_resolver, method_from_document};
use rosette_did::{
    DidResolver, KeyType, ProofPurpose, ResolveError, SigningKey, VerificationMethodResolver,
};
use serde_json::json;

use crate::did_web::serve_doc_for;
use crate::test_rng;

#[test]
fn did_key_fast_path_resolves_for_every_purpose() {
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(30));
    let vm = key.did_key_verification_method();
    let r = DidKeyResolver::new();
    for purpose in [
        ProofPurpose::AssertionMethod,
        ProofPurpose::Authentication,
        ProofPurpose::CapabilityInvocation,
        ProofPurpose::CapabilityDelegation,
    ] {
        let m = r.resolve_sync(vm.as_str(), purpose).unwrap();
        assert_eq!(&m.public_key, key.public_key());
        assert_eq!(m.id, vm.as_str());
        assert_eq!(m.controller, key.did_key().as_str());
    }
    // A bare DID names no method unless explicitly allowed.
    let did = key.did_key();
    assert!(
        r.resolve_sync(did.as_str(), ProofPurpose::AssertionMethod)
            .is_err()
    );
    let m = DidKeyResolver::allowing_bare_did()
        .resolve_sync(did.as_str(), ProofPurpose::AssertionMethod)
        .unwrap();
    assert_eq!(&m.public_key, key.public_key());
}

#[tokio::test]
async fn did_resolver_dispatches_and_refuses_other_methods() {
    let resolver = DidResolver::did_key_only(DidKeyResolver::new());
    let key = SigningKey::generate(KeyType::P256, &mut test_rng(31));
    let vm = key.did_key_verification_method();
    let m = resolver
        .resolve(vm.as_str(), ProofPurpose::Authentication)
        .await
        .unwrap();
    assert_eq!(&m.public_key, key.public_key());
    for other in [
        "did:web:example.com#key-1",
        "did:ion:abc#key",
        "https://example.com/issuers/1#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        "",
    ] {
        let err = resolver
            .resolve(other, ProofPurpose::AssertionMethod)
            .await
            .unwrap_err();
        assert!(
            matches!(err, ResolveError::UnsupportedMethod(_)),
            "{other}: {err:?}"
        );
    }
}

#[tokio::test]
async fn did_web_method_resolves_through_local_server() {
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(32));
    let (_port, _hits, did) = serve_doc_for(&key).await;
    let web = DidWebResolver::new(DidWebOptions {
        allow_http: true,
        ..DidWebOptions::default()
    })
    .unwrap();
    let clock = Arc::new(|| SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000));
    let resolver = DidResolver::with_did_web(DidKeyResolver::new(), web, clock);
    let vm = format!("{did}#{}", key.public_key().to_multibase());
    let m = resolver
        .resolve(&vm, ProofPurpose::AssertionMethod)
        .await
        .unwrap();
    assert_eq!(&m.public_key, key.public_key());
    assert_eq!(m.controller, did);
    let err = resolver
        .resolve(&format!("{did}#other"), ProofPurpose::AssertionMethod)
        .await
        .unwrap_err();
    assert!(matches!(err, ResolveError::NotFound(_)), "{err:?}");
    let err = resolver
        .resolve(&did, ProofPurpose::AssertionMethod)
        .await
        .unwrap_err();
    assert!(
        matches!(err, ResolveError::NotAMethodReference(_)),
        "{err:?}"
    );
}

fn doc_with(vm: serde_json::Value, rels: &[(&str, serde_json::Value)]) -> serde_json::Value {
    let mut doc = json!({ "id": "did:web:example.com", "verificationMethod": [vm] });
    for (rel, v) in rels {
        doc[*rel] = v.clone();
    }
    doc
}

#[test]
fn relationship_is_enforced() {
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(33));
    let vm = json!({
        "id": "did:web:example.com#k1",
        "type": "Multikey",
        "controller": "did:web:example.com",
        "publicKeyMultibase": key.public_key().to_multibase(),
    });
    let doc = doc_with(vm, &[("authentication", json!(["#k1"]))]);
    let m =
        method_from_document(&doc, "did:web:example.com#k1", ProofPurpose::Authentication).unwrap();
    assert_eq!(&m.public_key, key.public_key());
    let err = method_from_document(
        &doc,
        "did:web:example.com#k1",
        ProofPurpose::AssertionMethod,
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            ResolveError::NotAuthorized {
                relationship: "assertionMethod",
                ..
            }
        ),
        "{err:?}"
    );
    // A method of another DID is never taken from this document.
    let err = method_from_document(
        &doc,
        "did:web:other.example#k1",
        ProofPurpose::Authentication,
    )
    .unwrap_err();
    assert!(matches!(err, ResolveError::NotFound(_)), "{err:?}");
}

#[test]
fn embedded_and_jwk_methods() {
    let key = SigningKey::generate(KeyType::P256, &mut test_rng(34));
    let jwk = serde_json::to_value(key.public_jwk()).unwrap();
    let doc = json!({
        "id": "did:web:example.com",
        "assertionMethod": [{
            "id": "#jwk",
            "type": "JsonWebKey2020",
            "controller": "did:web:example.com",
            "publicKeyJwk": jwk,
        }]
    });
    let m = method_from_document(
        &doc,
        "did:web:example.com#jwk",
        ProofPurpose::AssertionMethod,
    )
    .unwrap();
    assert_eq!(&m.public_key, key.public_key());

    // A JWK carrying `d` is refused.
    let private = serde_json::to_value(key.to_private_jwk().expose_secret()).unwrap();
    let doc = json!({
        "id": "did:web:example.com",
        "verificationMethod": [{
            "id": "did:web:example.com#jwk",
            "type": "JsonWebKey2020",
            "controller": "did:web:example.com",
            "publicKeyJwk": private,
        }],
        "assertionMethod": ["did:web:example.com#jwk"]
    });
    let err = method_from_document(
        &doc,
        "did:web:example.com#jwk",
        ProofPurpose::AssertionMethod,
    )
    .unwrap_err();
    assert!(matches!(err, ResolveError::Key(_)), "{err:?}");
}

#[test]
fn ed25519_2020_and_2018_methods() {
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(35));
    let raw = bs58::encode(key.public_key().to_bytes()).into_string();
    let doc = json!({
        "id": "did:web:example.com",
        "verificationMethod": [
            { "id": "#a", "type": "Ed25519VerificationKey2020", "controller": "did:web:example.com",
              "publicKeyMultibase": key.public_key().to_multibase() },
            { "id": "#b", "type": "Ed25519VerificationKey2018", "controller": "did:web:example.com",
              "publicKeyBase58": raw },
            { "id": "#c", "type": "SomethingElse", "controller": "did:web:example.com",
              "publicKeyMultibase": key.public_key().to_multibase() },
            { "id": "#d", "type": "Multikey",
              "publicKeyMultibase": key.public_key().to_multibase() }
        ],
        "assertionMethod": ["#a", "#b", "#c", "#d"]
    });
    for id in ["a", "b"] {
        let m = method_from_document(
            &doc,
            &format!("did:web:example.com#{id}"),
            ProofPurpose::AssertionMethod,
        )
        .unwrap();
        assert_eq!(&m.public_key, key.public_key());
    }
    for id in ["c", "d"] {
        let err = method_from_document(
            &doc,
            &format!("did:web:example.com#{id}"),
            ProofPurpose::AssertionMethod,
        )
        .unwrap_err();
        assert!(
            matches!(err, ResolveError::InvalidDocument(_)),
            "{id}: {err:?}"
        );
    }
}

#[test]
fn danger_fragment_resolver_only_takes_http_urls() {
    let r = danger_fragment_key_resolver();
    let m = r
        .resolve_sync(
            "https://example.com/issuers/876543#z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
        )
        .unwrap();
    assert_eq!(m.controller, "https://example.com/issuers/876543");
    assert_eq!(m.public_key.key_type(), KeyType::Ed25519);
    assert!(
        r.resolve_sync("did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi")
            .is_err()
    );
    assert!(
        r.resolve_sync("https://example.com/issuers/876543")
            .is_err()
    );
    assert!(r.resolve_sync("https://example.com/#not-a-key").is_err());
}
