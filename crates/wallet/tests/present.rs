//! Stored badges answer a DCQL query only when the holder is their subject, and the
//! presentations built for them verify with the binding the verifier expects.

use std::collections::BTreeMap;
use std::sync::Arc;

use rosette_core::{FixedClock, Timestamp};
use rosette_dcql::{DcqlQuery, evaluate, w3c};
use rosette_did::{KeyType, SigningKey};
use rosette_proof::presentation::Binding;
use rosette_proof::{Canonicalizer, CredentialFormat, CredentialSigner, Verifier};
use rosette_wallet_core::{StoredBadge, build_vp_token, dcql_candidate, summarize};
use serde_json::json;

fn now() -> Timestamp {
    Timestamp::parse("2026-11-27T00:00:00Z").unwrap()
}

fn badge(issuer: &CredentialSigner, subject: &str, format: CredentialFormat) -> StoredBadge {
    let issuer_did = issuer.key().did_key().to_string();
    let unsigned = serde_json::to_value(
        rosette_openbadges::demo_credential(&rosette_openbadges::DemoParams {
            issuer_did: &issuer_did,
            issuer_name: "Test University",
            subject_did: subject,
            email: "learner@example.org",
            salt: "salt",
            valid_from: "2026-01-01T00:00:00Z",
            uuid: "3f1b6a0e-5a6f-4d8e-9a4c-000000000009",
        })
        .unwrap(),
    )
    .unwrap();
    let text = issuer.sign(&unsigned, format, now()).unwrap().to_text();
    let summary = summarize(&text).unwrap();
    StoredBadge {
        format: summary.format,
        credential: text,
        received_at: now().to_rfc3339(),
        summary,
        source: "test".into(),
    }
}

fn query(format: &str) -> DcqlQuery {
    serde_json::from_value(json!({"credentials": [{
        "id": "badge", "format": format, "meta": {"type_values": w3c::ob3_type_values()},
        "claims": [{"path": ["credentialSubject", "achievement", "name"]}]
    }]}))
    .unwrap()
}

#[tokio::test]
async fn presentations_of_both_formats_verify_with_the_binding() {
    let mut rng = rand::rngs::OsRng;
    let issuer = CredentialSigner::did_key(
        Canonicalizer::bundled(),
        SigningKey::generate(KeyType::Ed25519, &mut rng),
    );
    let holder = SigningKey::generate(KeyType::Ed25519, &mut rng);
    let holder_did = holder.did_key().to_string();
    let stranger = SigningKey::generate(KeyType::Ed25519, &mut rng)
        .did_key()
        .to_string();
    let badges = vec![
        badge(&issuer, &stranger, CredentialFormat::LdpVc),
        badge(&issuer, &holder_did, CredentialFormat::LdpVc),
        badge(&issuer, &holder_did, CredentialFormat::JwtVcJson),
    ];
    let candidates: Vec<_> = badges
        .iter()
        .map(|b| dcql_candidate(b, &holder_did).unwrap())
        .collect();
    assert!(!candidates[0].holder_binding, "someone else's badge");
    assert!(candidates[1].holder_binding && candidates[2].holder_binding);

    let verifier = Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(rosette_proof::offline_resolver()),
        Arc::new(FixedClock::new(now())),
    );
    let binding = Binding {
        nonce: "n-0S6_WzA2Mj".into(),
        audience: "redirect_uri:https://verifier.example/response".into(),
    };
    for (format, expected) in [("ldp_vc", 1), ("jwt_vc_json", 2)] {
        let q = query(format);
        let selection = evaluate(&q, &candidates).selection().unwrap();
        assert_eq!(
            selection,
            BTreeMap::from([("badge".to_owned(), vec![expected])])
        );
        let token = build_vp_token(&holder, &q, &selection, &badges, &binding, now()).unwrap();
        let vp = &token["badge"][0];
        let verdict = verifier.verify_presentation(vp, &binding).await;
        assert!(verdict.is_valid(), "{format}: {verdict:?}");
        assert_eq!(verdict.holder.as_deref(), Some(holder_did.as_str()));
        // Another verifier (or a replay with another nonce) must not accept it.
        let other = Binding {
            nonce: binding.nonce.clone(),
            audience: "redirect_uri:https://evil.example/response".into(),
        };
        assert!(
            !verifier.verify_presentation(vp, &other).await.is_valid(),
            "{format}"
        );
    }
}
