//! Garbage and byte-flipped inputs never panic any parser (a fixed pseudo-random walk, so the
//! test is stable).

use rosette_did::DidResolver;
use rosette_did::resolve::DidKeyResolver;
use rosette_oid4vp::{
    AuthorizationRequest, ClientId, TrustedIssuers, parse_direct_post, parse_request_url,
    sign_request_object, validate_request, verify_request_object, verify_response_report,
};
use rosette_proof::CredentialFormat;

use crate::support::*;

/// xorshift: deterministic "random" mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutations(seed: &[u8], rounds: usize) -> Vec<Vec<u8>> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut out = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let mut m = seed.to_vec();
        for _ in 0..=rng.below(4) {
            match rng.below(4) {
                0 if !m.is_empty() => {
                    let i = rng.below(m.len());
                    m[i] ^= 1 << rng.below(8);
                }
                1 if !m.is_empty() => {
                    let i = rng.below(m.len());
                    m.truncate(i);
                }
                2 => {
                    let i = rng.below(m.len() + 1);
                    m.insert(i, b"%{}[]\"&=.:"[rng.below(10)]);
                }
                _ => m.extend_from_slice(b"&vp_token=%5B%5D"),
            }
        }
        out.push(m);
    }
    out
}

#[test]
fn request_url_parser_survives_garbage() {
    let client = ClientId::decentralized_identifier(key(3).did_key().as_str());
    let request = request(&client, &[], Some("x"));
    let seeds = [
        rosette_oid4vp::request_url(&client, "https://v.example/r/1", None),
        rosette_oid4vp::request_url_by_value(&request),
    ];
    for seed in seeds {
        for m in mutations(seed.as_bytes(), 400) {
            let text = String::from_utf8_lossy(&m);
            if let Ok(rosette_oid4vp::RequestReference::ByValue(r)) = parse_request_url(&text) {
                let _ = validate_request(&r);
            }
        }
    }
    for junk in [
        "",
        "openid4vp://",
        "openid4vp://?",
        "openid4vp://?%",
        "https://",
        "\u{0}",
        "openid4vp:?request=&request_uri=",
    ] {
        let _ = parse_request_url(junk);
    }
}

#[test]
fn direct_post_parser_survives_garbage() {
    let vp = serde_json::Value::String("a.b.c".into());
    let seed = rosette_oid4vp::direct_post_form(&token("badge_jwt_vc_json", vp), Some("s"));
    for m in mutations(seed.as_bytes(), 800) {
        let _ = parse_direct_post(&m);
    }
    let _ = parse_direct_post(&vec![b'a'; rosette_oid4vp::MAX_RESPONSE_LEN + 1]);
}

#[test]
fn json_request_parser_survives_garbage() {
    let client = ClientId::redirect_uri("https://v.example/response");
    let seed = serde_json::to_vec(&request(&client, &[], None)).unwrap();
    for m in mutations(&seed, 400) {
        if let Ok(v) = serde_json::from_slice(&m) {
            let _ = AuthorizationRequest::from_json(v);
        }
    }
}

#[tokio::test]
async fn request_object_and_response_verification_survive_flips() {
    let k = key(3);
    let client = ClientId::decentralized_identifier(k.did_key().as_str());
    let request = request(&client, &["jwt_vc_json"], None);
    let jwt = sign_request_object(
        &request,
        &k,
        k.did_key_verification_method().as_str(),
        now(),
        300,
    )
    .unwrap();
    let resolver = DidResolver::did_key_only(DidKeyResolver::new());
    for m in mutations(jwt.as_bytes(), 200) {
        let text = String::from_utf8_lossy(&m);
        let verified = verify_request_object(&text, &client, &resolver).await;
        // A flip inside the signed part must never verify.
        if text.len() == jwt.len() && text != jwt {
            assert!(verified.is_err());
        }
    }
    let holder = key(2);
    let cred = credential(&key(1), holder.did_key().as_str(), "n", None);
    let vp = present(
        &holder,
        sign(1, &cred, CredentialFormat::JwtVcJson),
        "jwt_vc_json",
        &binding_for(&request),
    );
    let form = rosette_oid4vp::direct_post_form(
        &token("badge_jwt_vc_json", vp),
        request.state.as_ref().map(|s| s.expose_secret()),
    );
    let verifier = verifier();
    for m in mutations(form.as_bytes(), 60) {
        if let Ok(response) = parse_direct_post(&m) {
            let _ = verify_response_report(
                &request,
                &response,
                &verifier,
                &TrustedIssuers::any(),
                now(),
            )
            .await;
        }
    }
}
