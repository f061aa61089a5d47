//! Measures the verifier's hot paths on this machine: building and signing a request object,
//! and judging a `direct_post` response (parse + presentation proof + credential proof +
//! DCQL), per format. `cargo run --release -p rosette-oid4vp --example throughput [N]`.

use std::sync::Arc;
use std::time::Instant;

use rosette_core::{FixedClock, Timestamp};
use rosette_did::{KeyType, SigningKey};
use rosette_oid4vp::{
    AuthorizationRequest, BadgeQuery, ClientId, ClientMetadata, Nonce, State, TrustedIssuers,
    VpToken, direct_post_form, parse_direct_post, sign_request_object, verify_response,
};
use rosette_proof::presentation::{Binding, PresentedCredential, sign_jwt_vp, sign_ldp_vp};
use rosette_proof::{
    Canonicalizer, CredentialFormat, CredentialSigner, SignedCredential, Verifier,
};
use serde_json::json;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200);
    let now = Timestamp::from_unix(1_800_000_000).ok_or("time")?;
    let mut rng = rand::rngs::OsRng;
    let verifier_key = SigningKey::generate(KeyType::Ed25519, &mut rng);
    let issuer = SigningKey::generate(KeyType::Ed25519, &mut rng);
    let holder = SigningKey::generate(KeyType::Ed25519, &mut rng);
    let client = ClientId::decentralized_identifier(verifier_key.did_key().as_str());
    let kid = verifier_key.did_key_verification_method();
    let canon = Canonicalizer::bundled();
    let verifier = Verifier::new(
        canon.clone(),
        Arc::new(rosette_proof::offline_resolver()),
        Arc::new(FixedClock::new(now)),
    );
    let issuer_did = issuer.did_key().as_str().to_owned();
    let signer = CredentialSigner::did_key(canon.clone(), issuer);
    let credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "id": "urn:uuid:0b7e3b0c-5d2b-4c3a-9d53-1f0e2a3b4c5d",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Throughput Badge",
        "issuer": {"id": issuer_did, "type": ["Profile"], "name": "Bench University"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"id": holder.did_key().as_str(), "type": ["AchievementSubject"],
            "achievement": {"id": "https://bench.example/a/1", "type": ["Achievement"], "name": "Throughput Badge",
                "description": "d", "criteria": {"narrative": "n"}}}
    });
    let trusted = TrustedIssuers::from_list([issuer_did.clone()]);
    let rt = tokio::runtime::Builder::new_current_thread().build()?;

    let started = Instant::now();
    for _ in 0..n {
        let request = AuthorizationRequest::direct_post(
            client.clone(),
            "https://verifier.example/response",
            Nonce::generate(&mut rng),
            State::generate(&mut rng),
            BadgeQuery::any_badge().to_dcql(),
            ClientMetadata::rosette(&["ldp_vc", "jwt_vc_json"]),
        );
        sign_request_object(&request, &verifier_key, kid.as_str(), now, 300)?;
    }
    report("request object build + sign", n, started);

    for format in ["jwt_vc_json", "ldp_vc"] {
        let presented = match signer.sign(
            &credential,
            CredentialFormat::parse(format).ok_or("format")?,
            now,
        )? {
            SignedCredential::Json(v) => PresentedCredential::Json(v),
            SignedCredential::Jwt(j) => PresentedCredential::Jwt(j),
        };
        let request = AuthorizationRequest::direct_post(
            client.clone(),
            "https://verifier.example/response",
            Nonce::generate(&mut rng),
            State::generate(&mut rng),
            BadgeQuery::new(None, None, vec![format.to_owned()]).to_dcql(),
            ClientMetadata::rosette(&[format]),
        );
        let binding = Binding {
            nonce: request
                .nonce
                .as_ref()
                .ok_or("nonce")?
                .expose_secret()
                .to_owned(),
            audience: client.as_str().to_owned(),
        };
        let hdid = holder.did_key();
        let hvm = holder.did_key_verification_method();
        let vp = if format == "ldp_vc" {
            sign_ldp_vp(
                &canon,
                hdid.as_str(),
                hvm.as_str(),
                &holder,
                &[presented],
                &binding,
                now,
            )?
        } else {
            json!(sign_jwt_vp(
                hdid.as_str(),
                hvm.as_str(),
                &holder,
                &[presented],
                &binding,
                now
            )?)
        };
        let mut token = VpToken::new();
        token.insert(format!("badge_{format}"), vec![vp]);
        let form = direct_post_form(&token, request.state.as_ref().map(State::expose_secret));
        let started = Instant::now();
        for _ in 0..n {
            let response = parse_direct_post(form.as_bytes())?;
            rt.block_on(verify_response(
                &request, &response, &verifier, &trusted, now,
            ))?;
        }
        report(
            &format!("direct_post parse + verify ({format})"),
            n,
            started,
        );
    }
    Ok(())
}

fn report(what: &str, n: u32, started: Instant) {
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what}: {n} in {secs:.2} s = {:.0}/s ({:.2} ms each)",
        f64::from(n) / secs,
        secs * 1000.0 / f64::from(n)
    );
}
