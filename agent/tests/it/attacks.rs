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

/// `PUT path` with a JSON body and a bearer token.
async fn put_json(
    server: &TestServer,
    path: &str,
    token: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let r = server
        .http
        .put(format!("{}{path}", server.url))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    status_json(r).await
}

fn achievement_body(extra: serde_json::Value) -> serde_json::Value {
    let mut body = json!({
        "name": "Rust Practitioner",
        "description": "Builds verifiable credentials in Rust.",
        "criteria": {"narrative": "Ship an issuer."},
    });
    for (k, v) in extra.as_object().unwrap() {
        body[k] = v.clone();
    }
    body
}

#[tokio::test]
async fn validity_days_overflow() {
    // 2,930,000 days panicked in the date arithmetic (a 500) on create and on update.
    let server = start().await;
    let token = server.institution("acme").await;
    let achievement = server.achievement("acme", &token).await;
    for days in [0_u64, 36_501, 2_930_000, u64::from(u32::MAX)] {
        let body = achievement_body(json!({"validity_days": days}));
        let (status, answer) = server
            .post_json("/issuers/acme/admin/achievements", &token, body.clone())
            .await;
        assert_eq!(
            (status, error_code(&answer)),
            (400, "invalid_request"),
            "{days}: {answer}"
        );
        assert!(answer.to_string().contains("validity_days"), "{answer}");
        let (status, answer) = put_json(
            &server,
            &format!("/issuers/acme/admin/achievements/{achievement}"),
            &token,
            body,
        )
        .await;
        assert_eq!(status, 400, "{days}: {answer}");
    }
    // The largest allowed validity issues (no panic signing validUntil).
    let body = achievement_body(json!({"validity_days": 36_500}));
    let (status, answer) = put_json(
        &server,
        &format!("/issuers/acme/admin/achievements/{achievement}"),
        &token,
        body,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let offer = server.offer("acme", &token, &achievement, json!({})).await;
    let access = server.access_token("acme", &offer).await;
    let nonce = server.nonce("acme").await;
    let key = holder_key();
    let (status, issued) = server
        .credential_request(
            "acme",
            &access,
            request(
                JWT,
                vec![proof(&key, &server.issuer("acme"), &nonce, server.now())],
            ),
        )
        .await;
    assert_eq!(status, 200, "{issued}");
}

#[tokio::test]
async fn javascript_url_in_institution_and_achievement() {
    let server = start().await;
    for body in [
        json!({"slug": "evil", "name": "Evil", "url": "javascript:alert(1)"}),
        json!({"slug": "evil", "name": "Evil", "logo": "javascript:alert(1)"}),
        json!({"slug": "evil", "name": "Evil", "url": "data:text/html,<script>alert(1)</script>"}),
    ] {
        let (status, answer) = server
            .post_json("/admin/institutions", OPERATOR, body.clone())
            .await;
        assert_eq!(
            (status, error_code(&answer)),
            (400, "invalid_request"),
            "{body}: {answer}"
        );
    }
    let token = server.institution("acme").await;
    let achievement = server.achievement("acme", &token).await;
    for extra in [
        json!({"criteria": {"narrative": "x", "id": "javascript:alert(1)"}}),
        json!({"image": "javascript:alert(1)"}),
        json!({"alignment": [{"type": ["Alignment"], "targetName": "Skill", "targetUrl": "javascript:alert(1)"}]}),
        json!({"alignment": [{"type": ["Alignment"], "targetName": "Skill", "targetUrl": "file:///etc/passwd"}]}),
    ] {
        let body = achievement_body(extra.clone());
        let (status, answer) = server
            .post_json("/issuers/acme/admin/achievements", &token, body.clone())
            .await;
        assert_eq!(
            (status, error_code(&answer)),
            (400, "invalid_request"),
            "{extra}: {answer}"
        );
        let (status, _) = put_json(
            &server,
            &format!("/issuers/acme/admin/achievements/{achievement}"),
            &token,
            body,
        )
        .await;
        assert_eq!(status, 400, "{extra}");
    }
    // The update path says the same as the create path.
    let (status, answer) = put_json(
        &server,
        "/issuers/acme/admin/institution",
        &token,
        json!({"name": "Acme", "url": "javascript:alert(1)"}),
    )
    .await;
    assert_eq!(status, 400, "{answer}");
}

#[tokio::test]
async fn bidi_override_in_display_names() {
    let server = start().await;
    let spoof = "Alice \u{202e}gnp.exe";
    let (status, answer) = server
        .post_json(
            "/admin/institutions",
            OPERATOR,
            json!({"slug": "evil", "name": spoof}),
        )
        .await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.to_string().contains("U+202E"), "{answer}");
    let token = server.institution("acme").await;
    let (status, _) = server
        .post_json(
            "/issuers/acme/admin/achievements",
            &token,
            achievement_body(json!({"name": "Rust\u{200b}Practitioner"})),
        )
        .await;
    assert_eq!(status, 400);
    let achievement = server.achievement("acme", &token).await;
    let (status, answer) = server
        .post_json(
            "/issuers/acme/admin/offers",
            &token,
            json!({"achievement_id": achievement, "recipient": {"name": spoof}}),
        )
        .await;
    assert_eq!(
        (status, error_code(&answer)),
        (400, "invalid_request"),
        "{answer}"
    );
    let (status, _) = server
        .post_json(
            "/verifiers/acme/admin/templates",
            &token,
            json!({"name": "Template \u{2066}x\u{2069}"}),
        )
        .await;
    assert_eq!(status, 400);
    // Full-width and ligature forms are folded (NFKC), not refused.
    let offer = server
        .offer(
            "acme",
            &token,
            &achievement,
            json!({"recipient": {"name": "\u{ff21}da \u{fb01}eld"}}),
        )
        .await;
    let (_, listed) = server.get_json("/issuers/acme/admin/offers", &token).await;
    assert!(listed.to_string().contains("Ada field"), "{offer} {listed}");
}

#[tokio::test]
async fn one_offer_many_holder_keys() {
    // One access token used for request after request, a fresh nonce and a new holder key
    // each time, minted one credential per key (7 seen). Now: one per configuration, and the
    // other configuration only for the first holder.
    let server = start().await;
    let (_, offer) = server.setup("acme").await;
    let access = server.access_token("acme", &offer).await;
    let aud = server.issuer("acme");
    let first = holder_key();
    let nonce = server.nonce("acme").await;
    let (status, body) = server
        .credential_request(
            "acme",
            &access,
            request(LDP, vec![proof(&first, &aud, &nonce, server.now())]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for config in [LDP, JWT] {
        for _ in 0..3 {
            let other = holder_key();
            let nonce = server.nonce("acme").await;
            let (status, body) = server
                .credential_request(
                    "acme",
                    &access,
                    request(config, vec![proof(&other, &aud, &nonce, server.now())]),
                )
                .await;
            assert_eq!(
                (status, error_code(&body)),
                (400, "credential_request_denied"),
                "{config}: {body}"
            );
        }
    }
    // The same holder again for the same format: refused; for the other format: issued once.
    let nonce = server.nonce("acme").await;
    let (status, body) = server
        .credential_request(
            "acme",
            &access,
            request(LDP, vec![proof(&first, &aud, &nonce, server.now())]),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "credential_request_denied"),
        "{body}"
    );
    let nonce = server.nonce("acme").await;
    let (status, body) = server
        .credential_request(
            "acme",
            &access,
            request(JWT, vec![proof(&first, &aud, &nonce, server.now())]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let nonce = server.nonce("acme").await;
    let (status, body) = server
        .credential_request(
            "acme",
            &access,
            request(JWT, vec![proof(&first, &aud, &nonce, server.now())]),
        )
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "credential_request_denied"),
        "{body}"
    );
}

#[tokio::test]
async fn one_offer_many_holder_keys_in_parallel() {
    // 20 concurrent requests for one configuration, each with its own key and nonce: one wins.
    let server = std::sync::Arc::new(start().await);
    let (_, offer) = server.setup("acme").await;
    let access = server.access_token("acme", &offer).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let (server, access) = (server.clone(), access.clone());
        tasks.push(tokio::spawn(async move {
            let key = holder_key();
            let nonce = server.nonce("acme").await;
            let proof = proof(&key, &server.issuer("acme"), &nonce, server.now());
            server
                .credential_request("acme", &access, request(LDP, vec![proof]))
                .await
        }));
    }
    let mut issued = 0;
    for task in tasks {
        let (status, body) = task.await.unwrap();
        if status == 200 {
            issued += 1;
        } else {
            assert_eq!(
                (status, error_code(&body)),
                (400, "credential_request_denied"),
                "{body}"
            );
        }
    }
    assert_eq!(issued, 1);
}

#[tokio::test]
async fn reissue_offer_many_copies() {
    // A re-issuance offer carries one credential id: it issues exactly one credential.
    let server = start().await;
    let (token, offer) = server.setup("acme").await;
    let access = server.access_token("acme", &offer).await;
    let aud = server.issuer("acme");
    let key = holder_key();
    let nonce = server.nonce("acme").await;
    let (status, body) = server
        .credential_request(
            "acme",
            &access,
            request(LDP, vec![proof(&key, &aud, &nonce, server.now())]),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let credential_id = body["credentials"][0]["credential"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, reissue) = server
        .post_json(
            &format!("/issuers/acme/admin/credentials/{credential_id}/reissue"),
            &token,
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{reissue}");
    let access = server.access_token("acme", &reissue).await;
    let mut issued = 0;
    for config in [LDP, JWT, LDP, JWT] {
        let nonce = server.nonce("acme").await;
        let (status, body) = server
            .credential_request(
                "acme",
                &access,
                request(config, vec![proof(&key, &aud, &nonce, server.now())]),
            )
            .await;
        if status == 200 {
            issued += 1;
        } else {
            assert_eq!(error_code(&body), "credential_request_denied", "{body}");
        }
    }
    assert_eq!(issued, 1);
}

#[tokio::test]
async fn batch_of_proofs_on_default_settings() {
    // Up to 10 proofs per request (10 credentials for 10 keys) was the default; batch issuance
    // is now off unless configured: two proofs are refused and the metadata offers no batch.
    let server = start_configured(
        std::sync::Arc::new(rosette_storage::MemoryStore::new()),
        fixed_clock(),
        |_| {},
    )
    .await;
    let (_, offer) = server.setup("acme").await;
    let (_, metadata) = server
        .get_json("/.well-known/openid-credential-issuer/issuers/acme", "")
        .await;
    assert!(
        metadata.get("batch_credential_issuance").is_none(),
        "{metadata}"
    );
    let access = server.access_token("acme", &offer).await;
    let nonce = server.nonce("acme").await;
    let aud = server.issuer("acme");
    let proofs = vec![
        proof(&holder_key(), &aud, &nonce, server.now()),
        proof(&holder_key(), &aud, &nonce, server.now()),
    ];
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, proofs))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_credential_request"),
        "{body}"
    );
}

#[tokio::test]
async fn oversized_body_on_every_route_answers_413() {
    // Each route family keeps its own limit (64 KiB protocol and admin, 256 KiB verifier,
    // 400 KiB console, 2 MiB /verify uploads, 8 MiB CSV); past it, every one answers 413.
    let server = start().await;
    let (admin, _) = server.setup("acme").await;
    let big = vec![b'a'; 9 * 1024 * 1024];
    let routes: &[(&str, &str, &str)] = &[
        (
            "POST",
            "/issuers/acme/token",
            "application/x-www-form-urlencoded",
        ),
        ("POST", "/issuers/acme/credential", "application/json"),
        ("POST", "/issuers/acme/nonce", "application/json"),
        ("POST", "/issuers/acme/notification", "application/json"),
        ("POST", "/admin/institutions", "application/json"),
        (
            "POST",
            "/issuers/acme/admin/achievements",
            "application/json",
        ),
        ("PUT", "/issuers/acme/admin/institution", "application/json"),
        ("POST", "/issuers/acme/admin/offers", "application/json"),
        ("POST", "/issuers/acme/admin/offers/bulk", "text/csv"),
        ("POST", "/issuers/acme/admin/offers/bulk-jobs", "text/csv"),
        (
            "POST",
            "/issuers/acme/admin/credentials/status",
            "application/json",
        ),
        ("POST", "/issuers/acme/public-badges", "application/json"),
        (
            "POST",
            "/issuers/acme/public-badges/withdraw",
            "application/json",
        ),
        ("POST", "/verify", "application/json"),
        (
            "POST",
            "/verifiers/acme/admin/presentation-requests",
            "application/json",
        ),
        (
            "POST",
            "/verifiers/acme/admin/templates",
            "application/json",
        ),
        (
            "POST",
            "/verifiers/acme/response",
            "application/x-www-form-urlencoded",
        ),
        (
            "POST",
            "/verifiers/acme/new",
            "application/x-www-form-urlencoded",
        ),
        (
            "POST",
            "/console/login",
            "application/x-www-form-urlencoded",
        ),
        (
            "POST",
            "/console/login/new-institution",
            "application/x-www-form-urlencoded",
        ),
    ];
    let mut wrong = Vec::new();
    for (method, path, content_type) in routes {
        let r = server
            .http
            .request(method.parse().unwrap(), format!("{}{path}", server.url))
            .bearer_auth(&admin)
            .header("content-type", *content_type)
            .header("origin", &server.url)
            .body(big.clone())
            .send()
            .await;
        let status = match r {
            Ok(r) => r.status().as_u16(),
            // The server may close the connection after answering 413 mid-upload.
            Err(e) => {
                wrong.push(format!("{method} {path}: {e}"));
                continue;
            }
        };
        if status != 413 {
            wrong.push(format!("{method} {path}: {status}"));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A server behind a trusted reverse proxy on loopback (so `X-Forwarded-For` names the
/// client), on the default limits otherwise.
async fn behind_proxy(edit: impl FnOnce(&mut rosette_agent::config::Settings)) -> TestServer {
    start_configured(
        std::sync::Arc::new(rosette_storage::MemoryStore::new()),
        fixed_clock(),
        |s| {
            s.rate_limits.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
            edit(s);
        },
    )
    .await
}

#[tokio::test]
async fn pin_lockout_by_a_stranger() {
    // Whoever saw a learner's QR code could lock the offer with five wrong PINs. Now one
    // client gets five wrong PINs per offer (then 429); the offer itself locks only after 20
    // from all clients together, and the learner's right PIN still works.
    let server = behind_proxy(|s| s.rate_limits.token = 1000).await;
    let (_, offer) = server.setup("acme").await;
    let code = server.pre_authorized_code(&offer).await;
    let pin = offer["tx_code"].as_str().unwrap();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (status, body, _) = server
            .token_request_from("203.0.113.9", "acme", &code, Some(wrong))
            .await;
        assert_eq!(
            (status, error_code(&body)),
            (400, "invalid_grant"),
            "{body}"
        );
    }
    let (status, body, retry) = server
        .token_request_from("203.0.113.9", "acme", &code, Some(wrong))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (429, "too_many_requests"),
        "{body}"
    );
    assert!(retry.is_some_and(|r| r.parse::<u64>().unwrap() > 0));
    // The stranger's sixth try did not count against the offer: the learner gets in.
    let (status, body, _) = server
        .token_request_from("198.51.100.7", "acme", &code, Some(pin))
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn pin_lockout_needs_many_clients_and_then_holds() {
    // The slower global limit: 20 wrong PINs from (here) four addresses lock the offer.
    let server = behind_proxy(|s| s.rate_limits.token = 1000).await;
    let (_, offer) = server.setup("acme").await;
    let code = server.pre_authorized_code(&offer).await;
    let pin = offer["tx_code"].as_str().unwrap();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4"] {
        for _ in 0..5 {
            let (status, _, _) = server
                .token_request_from(client, "acme", &code, Some(wrong))
                .await;
            assert_eq!(status, 400);
        }
    }
    let (status, body, _) = server
        .token_request_from("198.51.100.7", "acme", &code, Some(pin))
        .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_grant"),
        "{body}"
    );
}

#[tokio::test]
async fn pre_authorized_code_guessing_is_rate_limited() {
    // 1,000 random codes in 0.7 s were all answered. Now 10 per minute per client, then 429
    // with Retry-After; another client is not affected.
    let server = behind_proxy(|_| {}).await;
    server.setup("acme").await;
    let mut limited = 0;
    for i in 0..30 {
        let (status, body, retry) = server
            .token_request_from("203.0.113.50", "acme", &format!("guess-{i}"), None)
            .await;
        match status {
            400 => assert_eq!(error_code(&body), "invalid_grant", "{body}"),
            429 => {
                assert!(retry.is_some(), "{body}");
                limited += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(limited, 20);
    let (status, _, _) = server
        .token_request_from("203.0.113.51", "acme", "guess", None)
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn forwarded_for_from_an_untrusted_peer_is_ignored() {
    // Without a trusted proxy, X-Forwarded-For is the client's own claim: changing it on every
    // request must not buy a fresh bucket.
    let server = start_configured(
        std::sync::Arc::new(rosette_storage::MemoryStore::new()),
        fixed_clock(),
        |s| s.rate_limits.limit_loopback = true,
    )
    .await;
    server.setup("acme").await;
    let mut statuses = Vec::new();
    for i in 0..15 {
        let (status, _, _) = server
            .token_request_from(&format!("203.0.113.{i}"), "acme", "guess", None)
            .await;
        statuses.push(status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn admin_tokens_never_expire_and_cannot_be_revoked() {
    // Admin tokens could be neither listed, revoked, rotated nor made to expire. Now they
    // can, through the API, and they carry a prefix secret scanners recognise.
    let server = start().await;
    let first = server.institution("acme").await;
    let other = server.institution("beta").await;
    assert!(first.starts_with("rosette_at_"), "{first}");
    let can = |token: String| {
        let server = &server;
        async move {
            server
                .get_json("/issuers/acme/admin/achievements", &token)
                .await
                .0
        }
    };
    // A token that expires in one day.
    let (status, made) = server
        .post_json(
            "/issuers/acme/admin/tokens",
            &first,
            json!({"name": "import script", "expires_in_days": 1}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let short = made["token"].as_str().unwrap().to_owned();
    assert!(short.starts_with("rosette_at_"));
    assert_eq!(can(short.clone()).await, 200);
    // Listing shows ids and names, never a token.
    let (status, listed) = server.get_json("/issuers/acme/admin/tokens", &first).await;
    assert_eq!(status, 200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");
    assert!(!listed.to_string().contains(&short) && !listed.to_string().contains(&first));
    assert!(listed.to_string().contains("import script"));
    // Another institution's token can neither list nor revoke these.
    let (status, _) = server.get_json("/issuers/acme/admin/tokens", &other).await;
    assert_eq!(status, 403);
    // Rotation: the new token works, the old one stops in the same write.
    let id = made["id"].as_str().unwrap();
    let (status, rotated) = server
        .post_json(
            &format!("/issuers/acme/admin/tokens/{id}/rotate"),
            &first,
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{rotated}");
    let renewed = rotated["token"].as_str().unwrap().to_owned();
    assert_eq!(can(short.clone()).await, 401);
    assert_eq!(can(renewed.clone()).await, 200);
    // Expiry: a day later it is refused.
    server.clock.advance(86_401);
    assert_eq!(can(renewed.clone()).await, 401);
    // Revocation: the first token revokes itself (a leaked token is retired this way).
    let first_id = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "created with the institution")
        .and_then(|t| t["id"].as_str())
        .unwrap()
        .to_owned();
    let r = server
        .http
        .delete(format!(
            "{}/issuers/acme/admin/tokens/{first_id}",
            server.url
        ))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(can(first.clone()).await, 401);
    // Bad input is refused with the reason.
    let (status, answer) = server
        .post_json(
            "/issuers/acme/admin/tokens",
            OPERATOR,
            json!({"expires_in_days": 0}),
        )
        .await;
    assert_eq!(
        (status, error_code(&answer)),
        (400, "invalid_request"),
        "{answer}"
    );
}
