//! Badge lifecycle: re-issuance of a credential (same `id`, newer `validFrom`, the
//! achievement's current definition, a fresh status entry) over the admin API.

use std::sync::Arc;

use rosette_core::Clock;
use rosette_proof::{Canonicalizer, CheckName, Outcome, Verifier};
use serde_json::{Value, json};

use crate::common::*;

/// Claims `offer` as an `ldp_vc` for the shared test holder key.
async fn claim(server: &TestServer, slug: &str, offer: &Value) -> Value {
    let access = server.access_token(slug, offer).await;
    let nonce = server.nonce(slug).await;
    let jwt = proof(&holder_key(), &server.issuer(slug), &nonce, server.now());
    let (status, body) = server
        .credential_request(slug, &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!(status, 200, "{body}");
    body["credentials"][0]["credential"].clone()
}

/// The status check of `credential` as the agent's own lists say (read from storage).
async fn status_outcome(server: &TestServer, credential: &Value) -> Outcome {
    let verifier = Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(rosette_proof::offline_resolver()),
        Arc::clone(&server.clock) as Arc<dyn Clock>,
    )
    .with_status_source(Arc::new(rosette_agent::status::LocalStatusSource::new(
        Arc::clone(&server.app.directory),
    )));
    let verdict = verifier.verify_text(&credential.to_string()).await;
    assert_eq!(
        verdict
            .checks
            .iter()
            .find(|c| c.name == CheckName::Proof)
            .unwrap()
            .outcome,
        Outcome::Passed,
        "{verdict:#?}"
    );
    verdict
        .checks
        .iter()
        .find(|c| c.name == CheckName::Status)
        .unwrap()
        .outcome
}

async fn reissue(
    server: &TestServer,
    slug: &str,
    token: &str,
    id: &str,
    body: Value,
) -> (u16, Value) {
    let r = server
        .http
        .post(format!(
            "{}/issuers/{slug}/admin/credentials/{}/reissue",
            server.url,
            urlencoding(id)
        ))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    status_json(r).await
}

/// Percent-encodes a path segment (credential ids are `urn:uuid:…`).
fn urlencoding(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn reissue_keeps_the_id_with_a_newer_valid_from_current_definition_and_fresh_status() {
    let server = start().await;
    let admin = server.institution("acme").await;
    let achievement = server.achievement("acme", &admin).await;
    let offer = server.offer("acme", &admin, &achievement, json!({})).await;
    let first = claim(&server, "acme", &offer).await;
    let id = first["id"].as_str().unwrap().to_owned();

    // The first copy is revoked (say, it had a typo); the achievement text changes.
    let (status, body) = server
        .post_json(
            "/issuers/acme/admin/credentials/status",
            &admin,
            json!({"credential_id": id, "action": "revoke", "reason": "typo"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let r = server
        .http
        .put(format!(
            "{}/issuers/acme/admin/achievements/{achievement}",
            server.url
        ))
        .bearer_auth(&admin)
        .json(&json!({
            "name": "Rust Practitioner",
            "description": "Builds verifiable credentials in Rust (revised).",
            "criteria": {"narrative": "Ship an issuer."},
            "achievement_type": "Badge"
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    server.clock.advance(3_600);
    let (status, reoffer) = reissue(&server, "acme", &admin, &id, json!({"pin": false})).await;
    assert_eq!(status, 201, "{reoffer}");
    assert_eq!(reoffer["state"], "offered");
    assert!(
        reoffer.get("tx_code").is_none_or(Value::is_null),
        "{reoffer}"
    );
    let second = claim(&server, "acme", &reoffer).await;

    assert_eq!(second["id"], first["id"], "same credential id");
    let (from1, from2) = (
        first["validFrom"].as_str().unwrap(),
        second["validFrom"].as_str().unwrap(),
    );
    assert!(from2 > from1, "{from1} → {from2}");
    assert_eq!(
        second["credentialSubject"]["achievement"]["description"],
        "Builds verifiable credentials in Rust (revised)."
    );
    // Same recipient (name and salted e-mail hash carry over).
    assert_eq!(
        second["credentialSubject"]["identifier"],
        first["credentialSubject"]["identifier"]
    );
    // A fresh status entry; the old one keeps its (revoked) state.
    assert_ne!(
        second["credentialStatus"]["statusListIndex"],
        first["credentialStatus"]["statusListIndex"]
    );
    assert_eq!(status_outcome(&server, &first).await, Outcome::Failed);
    assert_eq!(status_outcome(&server, &second).await, Outcome::Passed);

    // One issuance record, linked to the original.
    let (status, list) = server
        .get_json("/issuers/acme/admin/credentials", &admin)
        .await;
    assert_eq!(status, 200);
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    assert_eq!(items[0]["credential_id"], id);
    assert_eq!(items[0]["offer_id"], reoffer["id"]);
    assert_eq!(items[0]["reissue_of"]["credential_id"], id);
    assert_eq!(items[0]["reissue_of"]["offer_id"], offer["id"]);

    // The offer listing names what an offer re-issues.
    let (_, offers) = server.get_json("/issuers/acme/admin/offers", &admin).await;
    let listed = offers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == reoffer["id"])
        .unwrap();
    assert_eq!(listed["reissue_of"], id);
    assert_eq!(listed["state"], "claimed");

    // A re-issuance of the re-issued credential links to the latest.
    server.clock.advance(60);
    let (status, again) = reissue(&server, "acme", &admin, &id, json!({})).await;
    assert_eq!(status, 201, "{again}");
    assert!(again["tx_code"].is_string(), "PIN on by default: {again}");
    // Only the re-issued credential's format is offered, and one key proof per request.
    let object = server
        .fetch_offer(again["offer_url"].as_str().unwrap())
        .await;
    assert_eq!(object["credential_configuration_ids"], json!([LDP]));
    let access = server.access_token("acme", &again).await;
    let nonce = server.nonce("acme").await;
    let proofs = vec![
        proof(&holder_key(), &server.issuer("acme"), &nonce, server.now()),
        proof(&holder_key(), &server.issuer("acme"), &nonce, server.now()),
    ];
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, proofs))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "credential_request_denied"),
        "{body}"
    );
    // The same access token, one proof: issued, same id again.
    let nonce = server.nonce("acme").await;
    let one = proof(&holder_key(), &server.issuer("acme"), &nonce, server.now());
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, vec![one]))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["credentials"][0]["credential"]["id"], id);
    let (_, list) = server
        .get_json("/issuers/acme/admin/credentials", &admin)
        .await;
    assert_eq!(list["items"][0]["offer_id"], again["id"]);
    assert_eq!(list["items"][0]["reissue_of"]["offer_id"], reoffer["id"]);
}

#[tokio::test]
async fn reissue_of_unknown_or_foreign_credentials_is_404() {
    let server = start().await;
    let (admin, offer) = server.setup("acme").await;
    let credential = claim(&server, "acme", &offer).await;
    let id = credential["id"].as_str().unwrap();
    let other = server.institution("beta").await;

    let (status, body) = reissue(
        &server,
        "acme",
        &admin,
        "urn:uuid:00000000-0000-4000-8000-000000000000",
        json!({}),
    )
    .await;
    assert_eq!((status, error_code(&body)), (404, "not_found"), "{body}");
    // Another institution's credential is unknown at this one.
    let (status, body) = reissue(&server, "beta", &other, id, json!({})).await;
    assert_eq!((status, error_code(&body)), (404, "not_found"), "{body}");
    // And another institution's token may not act at this one.
    let (status, _) = reissue(&server, "acme", &other, id, json!({})).await;
    assert!(status == 401 || status == 403, "{status}");
    // An empty body is every default; a bad one is a 400.
    let r = server
        .http
        .post(format!(
            "{}/issuers/acme/admin/credentials/{}/reissue",
            server.url,
            urlencoding(id)
        ))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let (status, _) = reissue(
        &server,
        "acme",
        &admin,
        id,
        json!({"expires_in_seconds": 0}),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = reissue(&server, "acme", &admin, id, json!({"color": "red"})).await;
    assert_eq!(status, 400);
}

/// Re-issuing must not leave a way around revocation: revoking the credential after a
/// re-issue revokes every copy with its `id`, the superseded one included.
#[tokio::test]
async fn revoke_after_reissue_reaches_every_copy() {
    let server = start().await;
    let admin = server.institution("acme").await;
    let achievement = server.achievement("acme", &admin).await;
    let offer = server.offer("acme", &admin, &achievement, json!({})).await;
    let first = claim(&server, "acme", &offer).await;
    let id = first["id"].as_str().unwrap().to_owned();

    server.clock.advance(60);
    let (status, reoffer) = reissue(&server, "acme", &admin, &id, json!({"pin": false})).await;
    assert_eq!(status, 201, "{reoffer}");
    let second = claim(&server, "acme", &reoffer).await;
    assert_eq!(status_outcome(&server, &first).await, Outcome::Passed);
    assert_eq!(status_outcome(&server, &second).await, Outcome::Passed);

    let (status, body) = server
        .post_json(
            "/issuers/acme/admin/credentials/status",
            &admin,
            json!({"credential_id": id, "action": "revoke", "reason": "withdrawn"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(status_outcome(&server, &second).await, Outcome::Failed);
    assert_eq!(
        status_outcome(&server, &first).await,
        Outcome::Failed,
        "the superseded copy must be revoked too"
    );
}
