//! Presentations in both forms: holder binding, nonce/challenge, audience/domain, and the
//! attacks a verifier must catch (replay to another verifier, stale nonce, swapped holder).

use std::sync::Arc;

use rosette_core::{FixedClock, Timestamp};
use rosette_did::{KeyType, SigningKey};
use rosette_proof::presentation::{self, Binding, PresentedCredential};
use rosette_proof::{
    Canonicalizer, CheckName, CredentialFormat, CredentialSigner, Outcome, Verifier,
};
use serde_json::Value;

struct World {
    now: Timestamp,
    issuer: CredentialSigner,
    holder: SigningKey,
    verifier: Verifier,
    binding: Binding,
}

fn world() -> World {
    let now = Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
    let issuer = CredentialSigner::did_key(
        Canonicalizer::bundled(),
        SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng),
    );
    let holder = SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng);
    let verifier = Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(rosette_proof::offline_resolver()),
        Arc::new(FixedClock::new(now)),
    );
    let binding = Binding {
        nonce: "n-0S6_WzA2Mj".into(),
        audience: "decentralized_identifier:did:key:z6MkverifierExample".into(),
    };
    World {
        now,
        issuer,
        holder,
        verifier,
        binding,
    }
}

fn credential_for(w: &World, subject: &str, format: CredentialFormat) -> PresentedCredential {
    let unsigned = serde_json::to_value(
        rosette_openbadges::demo_credential(&rosette_openbadges::DemoParams {
            issuer_did: w.issuer.key().did_key().as_str(),
            issuer_name: "Rosette Demo University",
            subject_did: subject,
            email: "learner@example.org",
            salt: "rosette-demo-salt",
            valid_from: "2026-01-01T00:00:00Z",
            uuid: "0b5f3b1e-0000-4000-8000-000000000001",
        })
        .expect("the demo credential is valid"),
    )
    .expect("a credential serialises");
    match w.issuer.sign(&unsigned, format, w.now).unwrap() {
        rosette_proof::SignedCredential::Json(v) => PresentedCredential::Json(v),
        rosette_proof::SignedCredential::Jwt(j) => PresentedCredential::Jwt(j),
    }
}

fn ldp_vp(w: &World, credentials: &[PresentedCredential], binding: &Binding) -> Value {
    let did = w.holder.did_key();
    let vm = w.holder.did_key_verification_method();
    presentation::sign_ldp_vp(
        &Canonicalizer::bundled(),
        did.as_str(),
        vm.as_str(),
        &w.holder,
        credentials,
        binding,
        w.now,
    )
    .unwrap()
}

fn jwt_vp(w: &World, credentials: &[PresentedCredential], binding: &Binding) -> Value {
    let did = w.holder.did_key();
    let vm = w.holder.did_key_verification_method();
    Value::String(
        presentation::sign_jwt_vp(
            did.as_str(),
            vm.as_str(),
            &w.holder,
            credentials,
            binding,
            w.now,
        )
        .unwrap(),
    )
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

type Present = fn(&World, &[PresentedCredential], &Binding) -> Value;
const FORMS: [(&str, Present, CredentialFormat); 2] = [
    ("ldp_vp", ldp_vp, CredentialFormat::LdpVc),
    ("jwt_vp", jwt_vp, CredentialFormat::JwtVcJson),
];

#[test]
fn honest_presentations_verify_in_both_forms() {
    let w = world();
    for (name, present, format) in FORMS {
        let holder = w.holder.did_key();
        let vp = present(
            &w,
            &[credential_for(&w, holder.as_str(), format)],
            &w.binding,
        );
        let verdict = block_on(w.verifier.verify_presentation(&vp, &w.binding));
        assert!(verdict.is_valid(), "{name}: {verdict:#?}");
        assert_eq!(verdict.holder.as_deref(), Some(holder.as_str()));
        assert_eq!(verdict.credentials.len(), 1);
    }
}

#[test]
fn presentation_wrong_nonce() {
    let w = world();
    for (name, present, format) in FORMS {
        let holder = w.holder.did_key();
        let vp = present(
            &w,
            &[credential_for(&w, holder.as_str(), format)],
            &w.binding,
        );
        let expected = Binding {
            nonce: "a-different-nonce".into(),
            ..w.binding.clone()
        };
        let verdict = block_on(w.verifier.verify_presentation(&vp, &expected));
        assert!(!verdict.is_valid(), "{name}");
        assert_eq!(
            verdict.presentation.outcome(CheckName::Binding),
            Some(Outcome::Failed),
            "{name}"
        );
    }
}

#[test]
fn presentation_wrong_audience() {
    let w = world();
    for (name, present, format) in FORMS {
        let holder = w.holder.did_key();
        let vp = present(
            &w,
            &[credential_for(&w, holder.as_str(), format)],
            &w.binding,
        );
        let expected = Binding {
            audience: "redirect_uri:https://other-verifier.example/cb".into(),
            ..w.binding.clone()
        };
        let verdict = block_on(w.verifier.verify_presentation(&vp, &expected));
        assert_eq!(
            verdict.presentation.outcome(CheckName::Binding),
            Some(Outcome::Failed),
            "{name}"
        );
        assert!(!verdict.is_valid(), "{name}");
    }
}

#[test]
fn presentation_of_someone_elses_credential() {
    let w = world();
    for (name, present, format) in FORMS {
        let someone_else = SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng).did_key();
        let vp = present(
            &w,
            &[credential_for(&w, someone_else.as_str(), format)],
            &w.binding,
        );
        let verdict = block_on(w.verifier.verify_presentation(&vp, &w.binding));
        assert!(!verdict.is_valid(), "{name}");
        assert_eq!(
            verdict.credentials[0].outcome(CheckName::Binding),
            Some(Outcome::Failed),
            "{name}"
        );
    }
}

#[test]
fn presentation_with_altered_challenge_fails_its_proof() {
    let w = world();
    let holder = w.holder.did_key();
    let mut vp = ldp_vp(
        &w,
        &[credential_for(&w, holder.as_str(), CredentialFormat::LdpVc)],
        &w.binding,
    );
    vp["proof"][0]["challenge"] = "replayed-nonce".into();
    let expected = Binding {
        nonce: "replayed-nonce".into(),
        ..w.binding.clone()
    };
    let verdict = block_on(w.verifier.verify_presentation(&vp, &expected));
    assert_eq!(
        verdict.presentation.outcome(CheckName::Proof),
        Some(Outcome::Failed)
    );
}

#[test]
fn presentation_with_tampered_credential() {
    let w = world();
    let holder = w.holder.did_key();
    let PresentedCredential::Json(mut vc) =
        credential_for(&w, holder.as_str(), CredentialFormat::LdpVc)
    else {
        unreachable!()
    };
    vc["credentialSubject"]["achievement"]["name"] = "A badge I did not earn".into();
    let vp = ldp_vp(&w, &[PresentedCredential::Json(vc)], &w.binding);
    let verdict = block_on(w.verifier.verify_presentation(&vp, &w.binding));
    assert_eq!(
        verdict.presentation.outcome(CheckName::Proof),
        Some(Outcome::Passed)
    );
    assert_eq!(
        verdict.credentials[0].outcome(CheckName::Proof),
        Some(Outcome::Failed)
    );
    assert!(!verdict.is_valid());
}

#[test]
fn presentation_signed_by_another_key_than_the_holder() {
    let w = world();
    let holder = w.holder.did_key();
    let creds = [credential_for(
        &w,
        holder.as_str(),
        CredentialFormat::JwtVcJson,
    )];
    let thief = SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng);
    let vp = presentation::sign_jwt_vp(
        holder.as_str(),
        thief.did_key_verification_method().as_str(),
        &thief,
        &creds,
        &w.binding,
        w.now,
    )
    .unwrap();
    let verdict = block_on(
        w.verifier
            .verify_presentation(&Value::String(vp), &w.binding),
    );
    assert_eq!(
        verdict.presentation.outcome(CheckName::Proof),
        Some(Outcome::Failed)
    );
}
