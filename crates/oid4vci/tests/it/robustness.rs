//! Stable stand-in for the fuzz targets: thousands of seeded mutations of valid inputs go
//! through every untrusted parser; none may panic, and accepted inputs must round-trip.

use rand::{Rng, RngCore};
use rosette_oid4vci::{
    CredentialOffer, CredentialRequest, KeyProofExpectations, OfferLocation, TokenRequest,
    offer_url_by_reference, offer_url_by_value, parse_offer_url, unverified_proof_nonce,
    validate_jwt_proof,
};

use crate::support::{ISSUER, OB_CONFIG, TestKey, allowed_algs, good_proof, now, rng};

/// Flips, inserts, deletes or duplicates a few bytes.
fn mutate(seed: &[u8], r: &mut impl RngCore) -> Vec<u8> {
    let mut out = seed.to_vec();
    for _ in 0..r.gen_range(1..4) {
        let len = out.len().max(1);
        let at = r.gen_range(0..len);
        match r.gen_range(0..5) {
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] = r.r#gen();
            }
            1 => out.insert(
                at.min(out.len()),
                *b"%.{}\"=&#\\\x00".get(r.gen_range(0..10)).unwrap(),
            ),
            2 if !out.is_empty() => {
                out.remove(at.min(out.len() - 1));
            }
            3 => {
                let end = (at + r.gen_range(0..16)).min(out.len());
                let chunk = out[at.min(end)..end].to_vec();
                out.splice(at.min(out.len())..at.min(out.len()), chunk);
            }
            _ => out.truncate(at),
        }
    }
    out
}

#[test]
fn offer_url_parser_survives_mutations() {
    let offer = CredentialOffer::pre_authorized(ISSUER, vec![OB_CONFIG.into()], "code", None);
    let seeds = [
        offer_url_by_value(&offer).unwrap(),
        offer_url_by_reference("https://issuer.example.org/o/1"),
    ];
    let mut r = rng(1234);
    let mut accepted = 0;
    for i in 0..4000 {
        let input = mutate(seeds[i % 2].as_bytes(), &mut r);
        let Ok(text) = std::str::from_utf8(&input) else {
            continue;
        };
        match parse_offer_url(text) {
            Ok(OfferLocation::ByValue(o)) => {
                accepted += 1;
                let again = parse_offer_url(&offer_url_by_value(&o).unwrap()).unwrap();
                assert_eq!(again, OfferLocation::ByValue(o), "{text}");
            }
            Ok(OfferLocation::ByReference(uri)) => {
                accepted += 1;
                assert_eq!(
                    parse_offer_url(&offer_url_by_reference(&uri)).unwrap(),
                    OfferLocation::ByReference(uri)
                );
            }
            _ => {}
        }
    }
    assert!(
        accepted > 100,
        "mutations should not all be rejected ({accepted})"
    );
}

#[test]
fn key_proof_validator_survives_mutations() {
    let algs = allowed_algs();
    let seeds = [
        good_proof(&TestKey::ed25519(1), "n"),
        good_proof(&TestKey::p256(2), "n"),
    ];
    let mut r = rng(99);
    for i in 0..4000 {
        let input = mutate(seeds[i % 2].as_bytes(), &mut r);
        let Ok(text) = std::str::from_utf8(&input) else {
            continue;
        };
        let nonce = unverified_proof_nonce(text).ok();
        let expect = KeyProofExpectations::new(ISSUER, nonce.as_deref(), now(), &algs);
        // A mutated proof may only pass if the signed part is intact (e.g. a cut signature
        // padding byte cannot verify); never panic either way.
        if let Ok(key) = validate_jwt_proof(text, &expect) {
            assert!(
                text.starts_with(seeds[i % 2].split('.').next().unwrap()),
                "{text} → {key:?}"
            );
        }
    }
}

#[test]
fn request_parsers_survive_mutations() {
    let form = TokenRequest::pre_authorized("abc", Some("123456".into())).to_form();
    let json = serde_json::to_string(&CredentialRequest::with_jwt_proofs(
        OB_CONFIG,
        vec!["a.b.c".into()],
    ))
    .unwrap();
    let mut r = rng(7);
    for _ in 0..3000 {
        let input = mutate(form.as_bytes(), &mut r);
        if let Ok(request) = TokenRequest::from_form(&input) {
            assert_eq!(
                TokenRequest::from_form(request.to_form().as_bytes()),
                Ok(request)
            );
        }
        let _ = CredentialRequest::from_json(&mutate(json.as_bytes(), &mut r));
    }
}
