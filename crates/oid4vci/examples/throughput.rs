//! Single-thread throughput of the hot paths:
//! `cargo run --release -p rosette-oid4vci --example throughput`.

use std::hint::black_box;
use std::time::Instant;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rosette_core::Timestamp;
use rosette_oid4vci::{
    CredentialOffer, CredentialRequest, KeyProofExpectations, PreAuthorizedCode,
    PreAuthorizedCodeState, PublicKey, TokenRequest, TokenSettings, TxCode, issue_nonce,
    offer_url_by_value, parse_offer_url, redeem, validate_jwt_proof,
};
use serde_json::json;

const ISSUER: &str = "https://issuer.example.org";

fn sign(
    header: &serde_json::Value,
    claims: &serde_json::Value,
    sign: impl Fn(&[u8]) -> Vec<u8>,
) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(header).unwrap_or_default()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap_or_default())
    );
    let sig = sign(input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

fn bench(name: &str, iterations: u32, mut f: impl FnMut()) {
    for _ in 0..iterations / 10 {
        f();
    }
    let start = Instant::now();
    for _ in 0..iterations {
        f();
    }
    let per = start.elapsed().as_secs_f64() / f64::from(iterations);
    println!(
        "{name:<48} {:>10.0} ops/s {:>9.2} µs/op",
        1.0 / per,
        per * 1e6
    );
}

fn main() {
    let mut rng = StdRng::seed_from_u64(1);
    let now = Timestamp::from_unix(1_800_000_000).unwrap_or_else(|| unreachable!());
    let algs = vec!["EdDSA".to_owned(), "ES256".to_owned()];
    let claims = json!({"aud": ISSUER, "iat": 1_800_000_000, "nonce": "n"});

    let ed = ed25519_dalek::SigningKey::generate(&mut rng);
    let ed_kid = rosette_did::verification_method_id(&PublicKey::Ed25519(ed.verifying_key()))
        .as_str()
        .to_owned();
    let ed_proof = sign(
        &json!({"typ": "openid4vci-proof+jwt", "alg": "EdDSA", "kid": ed_kid}),
        &claims,
        |m| {
            use ed25519_dalek::Signer;
            ed.sign(m).to_bytes().to_vec()
        },
    );
    let p = p256::ecdsa::SigningKey::random(&mut rng);
    let p_jwk = PublicKey::P256(*p.verifying_key()).to_jwk();
    let p_proof = sign(
        &json!({"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": p_jwk}),
        &claims,
        |m| {
            use p256::ecdsa::signature::Signer;
            let s: p256::ecdsa::Signature = p.sign(m);
            s.to_bytes().to_vec()
        },
    );
    let expect = KeyProofExpectations::new(ISSUER, Some("n"), now, &algs);
    assert!(
        validate_jwt_proof(&ed_proof, &expect).is_ok()
            && validate_jwt_proof(&p_proof, &expect).is_ok()
    );

    bench("validate_jwt_proof EdDSA, did:key kid", 20_000, || {
        black_box(validate_jwt_proof(black_box(&ed_proof), &expect).is_ok());
    });
    bench("validate_jwt_proof ES256, jwk header", 5_000, || {
        black_box(validate_jwt_proof(black_box(&p_proof), &expect).is_ok());
    });

    let code = PreAuthorizedCode::generate(&mut rng);
    let pin = TxCode::generate_numeric(6, &mut rng);
    let fresh = PreAuthorizedCodeState::new(&code, vec!["ob".into()], Some(&pin), now, 600);
    let form =
        TokenRequest::pre_authorized(code.expose_secret(), Some(pin.expose_secret().to_owned()))
            .to_form();
    let settings = TokenSettings::default();
    bench(
        "TokenRequest::from_form + redeem (+token, c_nonce)",
        50_000,
        || {
            let mut state = fresh.clone();
            let request = TokenRequest::from_form(form.as_bytes()).unwrap_or_default();
            black_box(redeem(&mut state, &request, &settings, now, &mut rng).is_ok());
        },
    );
    bench("issue_nonce", 100_000, || {
        black_box(issue_nonce(&mut rng, now, 300));
    });

    let offer =
        CredentialOffer::pre_authorized(ISSUER, vec!["ob".into()], code.expose_secret(), None);
    let url = offer_url_by_value(&offer).unwrap_or_default();
    bench("offer_url_by_value", 100_000, || {
        black_box(offer_url_by_value(black_box(&offer)).is_ok());
    });
    bench("parse_offer_url (by value)", 100_000, || {
        black_box(parse_offer_url(black_box(&url)).is_ok());
    });
    let body = serde_json::to_vec(&CredentialRequest::with_jwt_proofs(
        "ob",
        vec![ed_proof.clone()],
    ))
    .unwrap_or_default();
    bench("CredentialRequest::from_json", 100_000, || {
        black_box(CredentialRequest::from_json(black_box(&body)).is_ok());
    });
}
