//! Attack tests, named after the attack; each asserts the spec error code and status, and
//! (through `status_json`) that no answer is a 5xx.

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn pre_authorized_code_replay() {
    let server = start().await;
    let (_, offer) = server.setup("acme").await;
    let code = server.pre_authorized_code(&offer).await;
    let pin = offer["tx_code"].as_str();
    assert_eq!(server.token_request("acme", &code, pin).await.0, 200);
    let (status, body) = server.token_request("acme", &code, pin).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_grant"));
}

#[tokio::test]
async fn pre_authorized_code_redeemed_by_50_concurrent_requests() {
    let server = std::sync::Arc::new(start().await);
    let (_, offer) = server.setup("acme").await;
    let code = server.pre_authorized_code(&offer).await;
    let pin = offer["tx_code"].as_str().unwrap().to_owned();
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let (server, code, pin) = (server.clone(), code.clone(), pin.clone());
        tasks.push(tokio::spawn(async move {
            server.token_request("acme", &code, Some(&pin)).await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        let (status, body) = t.await.unwrap();
        if status == 200 {
            ok += 1;
        } else {
            assert_eq!((status, error_code(&body)), (400, "invalid_grant"));
        }
    }
    assert_eq!(ok, 1, "exactly one token");
}

#[tokio::test]
async fn wrong_pin() {
    let server = start().await;
    let (_, offer) = server.setup("acme").await;
    let code = server.pre_authorized_code(&offer).await;
    let wrong = if offer["tx_code"] == "000000" {
        "111111"
    } else {
        "000000"
    };
    let (status, body) = server.token_request("acme", &code, Some(wrong)).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_grant"));
    // The right PIN still works after one mistake.
    assert_eq!(
        server
            .token_request("acme", &code, offer["tx_code"].as_str())
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn pin_lockout() {
    let server = start().await;
    let (admin, offer) = server.setup("acme").await;
    let code = server.pre_authorized_code(&offer).await;
    let wrong = if offer["tx_code"] == "000000" {
        "111111"
    } else {
        "000000"
    };
    for _ in 0..5 {
        let (status, body) = server.token_request("acme", &code, Some(wrong)).await;
        assert_eq!((status, error_code(&body)), (400, "invalid_grant"));
    }
    // Burned: even the right PIN is refused now.
    let (status, body) = server
        .token_request("acme", &code, offer["tx_code"].as_str())
        .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_grant"));
    // The admin sees it as locked, and the claim page says why.
    let (_, listed) = server
        .get_json("/issuers/acme/admin/offers?state=locked", &admin)
        .await;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{listed}");
    assert_eq!(items[0]["id"], offer["id"]);
    assert_eq!(items[0]["state"], "locked");
    assert!(items[0]["locked_at"].is_string(), "{listed}");
    let (_, open) = server
        .get_json("/issuers/acme/admin/offers?state=offered", &admin)
        .await;
    assert_eq!(open["items"].as_array().unwrap().len(), 0, "{open}");
    let page = server
        .http
        .get(offer["claim_page"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 410);
    let html = page.text().await.unwrap();
    assert!(html.contains("wrong PIN"), "{html}");
    assert!(!html.contains("qr.svg"), "a locked offer shows no QR code");
}

#[tokio::test]
async fn missing_pin() {
    let server = start().await;
    let (_, offer) = server.setup("acme").await;
    let code = server.pre_authorized_code(&offer).await;
    let (status, body) = server.token_request("acme", &code, None).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_request"));
}

/// Redeems an offer and fetches a nonce: (access token, nonce).
async fn ready(server: &TestServer) -> (String, String) {
    let (_, offer) = server.setup("acme").await;
    let access = server.access_token("acme", &offer).await;
    let nonce = server.nonce("acme").await;
    (access, nonce)
}

#[tokio::test]
async fn c_nonce_replay() {
    let server = start().await;
    let (access, nonce) = ready(&server).await;
    let aud = server.issuer("acme");
    let first = proof(&holder_key(), &aud, &nonce, server.now());
    assert_eq!(
        server
            .credential_request("acme", &access, request(JWT, vec![first]))
            .await
            .0,
        200
    );
    let second = proof(&holder_key(), &aud, &nonce, server.now());
    let (status, body) = server
        .credential_request("acme", &access, request(JWT, vec![second]))
        .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_nonce"));
}

#[tokio::test]
async fn c_nonce_expired_or_of_another_institution() {
    let server = start().await;
    let (access, nonce) = ready(&server).await;
    server.institution("other").await;
    // A nonce of another issuer does not open here.
    let foreign = server.nonce("other").await;
    let jwt = proof(
        &holder_key(),
        &server.issuer("acme"),
        &foreign,
        server.now(),
    );
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_nonce"),
        "{body}"
    );
    // Nor does a nonce past its 300 s lifetime.
    server.clock.advance(300);
    let jwt = proof(&holder_key(), &server.issuer("acme"), &nonce, server.now());
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_nonce"),
        "{body}"
    );
    // A fresh one works.
    let fresh = server.nonce("acme").await;
    let jwt = proof(&holder_key(), &server.issuer("acme"), &fresh, server.now());
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn c_nonces_are_stored_only_once_used() {
    let store: std::sync::Arc<dyn rosette_storage::Store> =
        std::sync::Arc::new(rosette_storage::MemoryStore::new());
    let server = start_with(std::sync::Arc::clone(&store), fixed_clock()).await;
    let used = rosette_storage::Table::new("used_nonces");
    let (access, _) = ready(&server).await;
    let mut nonces = Vec::new();
    for _ in 0..20 {
        nonces.push(server.nonce("acme").await);
    }
    assert_eq!(store.len(used).unwrap(), 0, "issuing nonces writes nothing");
    let jwt = proof(
        &holder_key(),
        &server.issuer("acme"),
        &nonces[3],
        server.now(),
    );
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(store.len(used).unwrap(), 1);
}

#[tokio::test]
async fn proof_wrong_audience() {
    let server = start().await;
    let (access, nonce) = ready(&server).await;
    let jwt = proof(
        &holder_key(),
        &format!("{}/", server.issuer("acme")),
        &nonce,
        server.now(),
    );
    let (status, body) = server
        .credential_request("acme", &access, request(JWT, vec![jwt]))
        .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_proof"));
}

#[tokio::test]
async fn proof_stale_iat() {
    let server = start().await;
    let (access, nonce) = ready(&server).await;
    let jwt = proof(
        &holder_key(),
        &server.issuer("acme"),
        &nonce,
        server.now() - 3600,
    );
    let (status, body) = server
        .credential_request("acme", &access, request(JWT, vec![jwt]))
        .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_proof"));
}

#[tokio::test]
async fn proof_alg_none() {
    let server = start().await;
    let (access, nonce) = ready(&server).await;
    let jwt = unsigned_proof(&holder_key(), &server.issuer("acme"), &nonce, server.now());
    let (status, body) = server
        .credential_request("acme", &access, request(JWT, vec![jwt]))
        .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_proof"));
}

#[tokio::test]
async fn proof_wrong_typ() {
    let server = start().await;
    let (access, nonce) = ready(&server).await;
    let key = holder_key();
    let jwt = proof_with(
        &key,
        &key,
        "JWT",
        &server.issuer("acme"),
        &nonce,
        server.now(),
    );
    let (status, body) = server
        .credential_request("acme", &access, request(JWT, vec![jwt]))
        .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_proof"));
}

#[tokio::test]
async fn proof_signed_by_other_key_than_kid() {
    let server = start().await;
    let (access, nonce) = ready(&server).await;
    let jwt = proof_with(
        &holder_key(),
        &holder_key(),
        "openid4vci-proof+jwt",
        &server.issuer("acme"),
        &nonce,
        server.now(),
    );
    let (status, body) = server
        .credential_request("acme", &access, request(JWT, vec![jwt]))
        .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_proof"));
}

#[tokio::test]
async fn access_token_of_another_offer() {
    let server = start().await;
    let admin = server.institution("acme").await;
    let achievement = server.achievement("acme", &admin).await;
    // Offer A grants only ldp_vc; offer B grants only jwt_vc_json.
    let a = server
        .offer(
            "acme",
            &admin,
            &achievement,
            json!({"configurations": [LDP], "recipient": {"name": "Alice"}}),
        )
        .await;
    let b = server
        .offer(
            "acme",
            &admin,
            &achievement,
            json!({"configurations": [JWT], "recipient": {"name": "Bob"}}),
        )
        .await;
    let token_a = server.access_token("acme", &a).await;
    let nonce = server.nonce("acme").await;
    // A's token cannot obtain what only B's offer grants.
    let jwt = proof(&holder_key(), &server.issuer("acme"), &nonce, server.now());
    let (status, body) = server
        .credential_request("acme", &token_a, request(JWT, vec![jwt]))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(
        matches!(
            error_code(&body),
            "credential_request_denied"
                | "unknown_credential_configuration"
                | "invalid_credential_request"
        ),
        "{body}"
    );
    // What A's token obtains is recorded against A, never B.
    let jwt = proof(&holder_key(), &server.issuer("acme"), &nonce, server.now());
    assert_eq!(
        server
            .credential_request("acme", &token_a, request(LDP, vec![jwt]))
            .await
            .0,
        200
    );
    let (_, records) = server
        .get_json("/issuers/acme/admin/credentials", &admin)
        .await;
    let records = records["items"].as_array().unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["offer_id"], a["id"]);
    assert_ne!(records[0]["offer_id"], b["id"]);
    // A made-up token is refused with 401.
    let (status, body) = server
        .credential_request("acme", "not-a-token", request(LDP, vec![]))
        .await;
    assert_eq!((status, error_code(&body)), (401, "invalid_token"));
}

#[tokio::test]
async fn token_of_one_institution_used_at_another() {
    let server = start().await;
    let (_, offer) = server.setup("acme").await;
    server.institution("other").await;
    // Acme's pre-authorized code at Other's token endpoint.
    let code = server.pre_authorized_code(&offer).await;
    let (status, body) = server
        .token_request("other", &code, offer["tx_code"].as_str())
        .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_grant"));
    // Acme's access token at Other's credential endpoint.
    let access = server.access_token("acme", &offer).await;
    let nonce = server.nonce("other").await;
    let jwt = proof(&holder_key(), &server.issuer("other"), &nonce, server.now());
    let (status, body) = server
        .credential_request("other", &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!((status, error_code(&body)), (401, "invalid_token"));
}

#[tokio::test]
async fn unknown_configuration_id() {
    let server = start().await;
    let (access, nonce) = ready(&server).await;
    let jwt = proof(&holder_key(), &server.issuer("acme"), &nonce, server.now());
    let (status, body) = server
        .credential_request("acme", &access, request("NoSuchCredential", vec![jwt]))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "unknown_credential_configuration")
    );
}

#[tokio::test]
async fn oversized_body() {
    let server = start().await;
    let (access, _) = ready(&server).await;
    let big = "a".repeat(100 * 1024);
    let r = server
        .http
        .post(format!("{}/credential", server.issuer("acme")))
        .bearer_auth(&access)
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(r).await;
    assert_eq!((status, error_code(&body)), (413, "invalid_request"));
    let r = server
        .http
        .post(format!("{}/token", server.issuer("acme")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    let (status, _) = status_json(r).await;
    assert_eq!(status, 413);
}

#[tokio::test]
async fn malformed_json() {
    let server = start().await;
    let (access, _) = ready(&server).await;
    let r = server
        .http
        .post(format!("{}/credential", server.issuer("acme")))
        .bearer_auth(&access)
        .header("content-type", "application/json")
        .body("{\"proofs\": [")
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(r).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_credential_request")
    );
    let r = server
        .http
        .post(format!("{}/issuers/acme/admin/offers", server.url))
        .bearer_auth(OPERATOR)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(r).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_request"));
}

#[tokio::test]
async fn pre_authorized_code_expired() {
    let server = start().await;
    let (_, offer) = server.setup("acme").await;
    let code = server.pre_authorized_code(&offer).await;
    server.clock.advance(8 * 24 * 3600);
    let (status, body) = server
        .token_request("acme", &code, offer["tx_code"].as_str())
        .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_grant"));
}

#[tokio::test]
async fn access_token_expired() {
    let server = start().await;
    let (access, _) = ready(&server).await;
    server.clock.advance(3600);
    let nonce = server.nonce("acme").await;
    let jwt = proof(&holder_key(), &server.issuer("acme"), &nonce, server.now());
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!((status, error_code(&body)), (401, "invalid_token"));
}

#[tokio::test]
async fn notification_with_unknown_id() {
    let server = start().await;
    let (access, _) = ready(&server).await;
    let r = server
        .http
        .post(format!("{}/notification", server.issuer("acme")))
        .bearer_auth(&access)
        .json(&json!({"notification_id": "made-up", "event": "credential_accepted"}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(r).await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_notification_id")
    );
}
