//! Offer → token → nonce → credential over HTTP, both formats and a batch; the credentials
//! are verified with rosette-proof's Verifier.

use std::sync::Arc;

use rosette_core::Clock;
use rosette_proof::{Canonicalizer, Verifier};
use serde_json::Value;

use crate::common::*;

fn verifier(server: &TestServer) -> Verifier {
    Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(rosette_proof::offline_resolver()),
        server.clock.clone() as Arc<dyn Clock>,
    )
}

async fn verify(server: &TestServer, credential: &Value) {
    let text = match credential {
        Value::String(jwt) => jwt.clone(),
        other => other.to_string(),
    };
    let verdict = verifier(server).verify_text(&text).await;
    assert!(verdict.is_valid(), "{:#?}", verdict.checks);
}

fn subject_of(credential: &Value) -> Value {
    match credential {
        Value::String(jwt) => {
            use base64::Engine as _;
            let payload = jwt.split('.').nth(1).unwrap();
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap();
            let claims: Value = serde_json::from_slice(&bytes).unwrap();
            claims.get("vc").map_or_else(
                || claims["credentialSubject"].clone(),
                |vc| vc["credentialSubject"].clone(),
            )
        }
        other => other["credentialSubject"].clone(),
    }
}

#[tokio::test]
async fn metadata_at_both_well_known_locations() {
    let server = start().await;
    server.institution("acme").await;
    for path in [
        "/.well-known/openid-credential-issuer/issuers/acme",
        "/issuers/acme/.well-known/openid-credential-issuer",
    ] {
        let (status, body) = server.get_json(path, "").await;
        assert_eq!(status, 200);
        assert_eq!(body["credential_issuer"], server.issuer("acme"));
        for id in [LDP, JWT] {
            assert!(
                body["credential_configurations_supported"][id]["credential_metadata"]["display"]
                    .is_array(),
                "{body}"
            );
        }
        assert_eq!(
            body["credential_endpoint"],
            format!("{}/credential", server.issuer("acme"))
        );
        assert_eq!(
            body["nonce_endpoint"],
            format!("{}/nonce", server.issuer("acme"))
        );
    }
    for path in [
        "/.well-known/oauth-authorization-server/issuers/acme",
        "/issuers/acme/.well-known/oauth-authorization-server",
    ] {
        let (status, body) = server.get_json(path, "").await;
        assert_eq!(status, 200);
        assert_eq!(body["issuer"], server.issuer("acme"));
        assert_eq!(
            body["token_endpoint"],
            format!("{}/token", server.issuer("acme"))
        );
    }
    let (status, _) = server
        .get_json("/.well-known/openid-credential-issuer/issuers/nobody", "")
        .await;
    assert_eq!(status, 404);
    let (status, body) = server.get_json("/health", "").await;
    assert_eq!((status, body), (200, serde_json::json!({"status": "ok"})));
}

async fn issue_one(format: &str) {
    let server = start().await;
    let (admin, offer) = server.setup("acme").await;
    let access = server.access_token("acme", &offer).await;
    let nonce = server.nonce("acme").await;
    let holder = holder_key();
    let jwt = proof(&holder, &server.issuer("acme"), &nonce, server.now());
    let (status, body) = server
        .credential_request("acme", &access, request(format, vec![jwt]))
        .await;
    assert_eq!(status, 200, "{body}");
    let credentials = body["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 1);
    let credential = &credentials[0]["credential"];
    if format == JWT {
        assert!(credential.is_string());
    } else {
        assert!(credential.is_object());
    }
    verify(&server, credential).await;
    let subject = subject_of(credential);
    assert_eq!(subject["id"], holder.did_key().as_str());
    let identifiers = subject["identifier"].as_array().unwrap();
    assert!(
        identifiers
            .iter()
            .any(|i| i["identityType"] == "name" && i["identityHash"] == "Ada Lovelace")
    );
    let email = identifiers
        .iter()
        .find(|i| i["identityType"] == "emailAddress")
        .unwrap();
    assert_eq!(email["hashed"], true);
    assert_eq!(
        email["identityHash"],
        rosette_openbadges::identity_hash_sha256(
            "ada@example.org",
            email["salt"].as_str().unwrap()
        )
    );

    // The issuance record says what was issued to whom, in which format.
    let (status, records) = server
        .get_json("/issuers/acme/admin/credentials", &admin)
        .await;
    assert_eq!(status, 200);
    let records = records["items"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["subject_did"], holder.did_key().as_str());
    assert_eq!(records[0]["offer_id"], offer["id"]);
    assert_eq!(
        records[0]["format"],
        if format == JWT {
            "jwt_vc_json"
        } else {
            "ldp_vc"
        }
    );
    let (_, claimed) = server
        .get_json("/issuers/acme/admin/offers?state=claimed", &admin)
        .await;
    assert_eq!(claimed["items"].as_array().unwrap().len(), 1);

    // Notification for the issued credential.
    let r = server
        .http
        .post(format!("{}/notification", server.issuer("acme")))
        .bearer_auth(&access)
        .json(&serde_json::json!({"notification_id": body["notification_id"], "event": "credential_accepted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
}

#[tokio::test]
async fn issues_ldp_vc_bound_to_the_proof_key() {
    issue_one(LDP).await;
}

#[tokio::test]
async fn issues_jwt_vc_json_bound_to_the_proof_key() {
    issue_one(JWT).await;
}

#[tokio::test]
async fn batch_of_two_proofs_gives_two_credentials() {
    let server = start().await;
    let (_, offer) = server.setup("acme").await;
    let access = server.access_token("acme", &offer).await;
    let nonce = server.nonce("acme").await;
    let (a, b) = (holder_key(), holder_key());
    let proofs = vec![
        proof(&a, &server.issuer("acme"), &nonce, server.now()),
        proof(&b, &server.issuer("acme"), &nonce, server.now()),
    ];
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, proofs))
        .await;
    assert_eq!(status, 200, "{body}");
    let credentials = body["credentials"].as_array().unwrap();
    assert_eq!(credentials.len(), 2);
    let subjects: Vec<_> = credentials
        .iter()
        .map(|c| subject_of(&c["credential"])["id"].clone())
        .collect();
    assert_eq!(
        subjects,
        vec![
            Value::from(a.did_key().as_str()),
            Value::from(b.did_key().as_str())
        ]
    );
    for c in credentials {
        verify(&server, &c["credential"]).await;
    }
}

#[tokio::test]
async fn draft_singular_proof_and_token_c_nonce_are_accepted() {
    let server = start().await;
    let (_, offer) = server.setup("acme").await;
    let code = server.pre_authorized_code(&offer).await;
    let (status, token) = server
        .token_request("acme", &code, offer["tx_code"].as_str())
        .await;
    assert_eq!(status, 200);
    let nonce = token["c_nonce"].as_str().unwrap();
    let holder = holder_key();
    let body = serde_json::json!({
        "credential_configuration_id": JWT,
        "proof": {"proof_type": "jwt", "jwt": proof(&holder, &server.issuer("acme"), nonce, server.now())}
    });
    let (status, body) = server
        .credential_request("acme", token["access_token"].as_str().unwrap(), body)
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["credential"].is_string() || body["credentials"].is_array());
}

#[tokio::test]
async fn claim_page_and_qr_codes() {
    let server = start().await;
    let (_, offer) = server.setup("acme").await;
    let r = server
        .http
        .get(offer["claim_page"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Rust Practitioner"));
    assert!(html.contains("PIN"));
    assert!(!html.contains(offer["tx_code"].as_str().unwrap()));
    let r = server
        .http
        .get(offer["qr_svg"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("<svg"));
    let r = server
        .http
        .get(offer["qr_png"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.bytes().await.unwrap().starts_with(b"\x89PNG"));
    // Expired offer: a clear page, no QR.
    server.clock.advance(8 * 24 * 3600);
    let r = server
        .http
        .get(offer["claim_page"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 410);
    assert!(r.text().await.unwrap().contains("expired"));
    let r = server
        .http
        .get(offer["qr_svg"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// A used nonce's row is kept while the nonce could still be presented, and dropped by the
/// sweeper once the nonce has expired (its seal refuses it from then on), so the table does not
/// grow by one row per issuance forever.
#[tokio::test]
async fn used_nonces_are_swept_once_expired() {
    let server = start().await;
    let (_, offer) = server.setup("acme").await;
    let access = server.access_token("acme", &offer).await;
    let nonce = server.nonce("acme").await;
    let jwt = proof(&holder_key(), &server.issuer("acme"), &nonce, server.now());
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, vec![jwt.clone()]))
        .await;
    assert_eq!(status, 200, "{body}");

    assert_eq!(
        server.app.issuer.sweep_used_nonces(100).unwrap(),
        0,
        "still live"
    );
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, vec![jwt.clone()]))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_nonce"),
        "{body}"
    );

    server.clock.advance(301);
    assert_eq!(server.app.issuer.sweep_used_nonces(100).unwrap(), 1);
    assert_eq!(server.app.issuer.sweep_used_nonces(100).unwrap(), 0);
    // Swept, and still refused: the nonce has expired.
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!(status, 400, "{body}");
}
