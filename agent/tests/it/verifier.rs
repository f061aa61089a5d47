//! The verifier role over HTTP: presentation requests (signed request_uri fetched twice,
//! unsigned redirect_uri, signed by value), wallet answers built with rosette-oid4vp's wallet
//! functions and rosette-proof presentation signing, polling by transaction id, and the
//! attacks the verifier must refuse.

use rosette_did::resolve::DidKeyResolver;
use rosette_did::{DidResolver, SigningKey};
use rosette_oid4vp::{
    AuthorizationRequest, RequestReference, RequestUrlOptions, direct_post_form,
    parse_request_url_with, validate_request, verify_request_object,
};
use rosette_proof::Canonicalizer;
use rosette_proof::presentation::{Binding, PresentedCredential, sign_jwt_vp, sign_ldp_vp};
use serde_json::{Value, json};

use crate::common::*;

/// Claims a credential of `config` for `holder` from `slug` (one fresh offer).
async fn issue(
    server: &TestServer,
    slug: &str,
    admin: &str,
    achievement: &str,
    holder: &SigningKey,
    config: &str,
) -> PresentedCredential {
    let offer = server.offer(slug, admin, achievement, json!({})).await;
    let access = server.access_token(slug, &offer).await;
    let nonce = server.nonce(slug).await;
    let jwt = proof(holder, &server.issuer(slug), &nonce, server.now());
    let (status, body) = server
        .credential_request(slug, &access, request(config, vec![jwt]))
        .await;
    assert_eq!(status, 200, "{body}");
    match &body["credentials"][0]["credential"] {
        Value::String(jwt) => PresentedCredential::Jwt(jwt.clone()),
        other => PresentedCredential::Json(other.clone()),
    }
}

struct Setup {
    server: TestServer,
    admin: String,
    achievement: String,
    holder: SigningKey,
    did: String,
}

async fn setup() -> Setup {
    let server = start().await;
    let admin = server.institution("acme").await;
    let achievement = server.achievement("acme", &admin).await;
    let (_, list) = server.get_json("/admin/institutions", OPERATOR).await;
    let did = list["items"][0]["did"].as_str().unwrap().to_owned();
    Setup {
        server,
        admin,
        achievement,
        holder: holder_key(),
        did,
    }
}

impl Setup {
    async fn create(&self, body: Value) -> Value {
        let (status, created) = self
            .server
            .post_json(
                "/verifiers/acme/admin/presentation-requests",
                &self.admin,
                body,
            )
            .await;
        assert_eq!(status, 201, "{created}");
        created
    }

    /// The wallet side: resolves the QR payload into a verified, validated request.
    async fn resolve(&self, request_url: &str) -> AuthorizationRequest {
        let options = RequestUrlOptions::danger_allow_http_loopback();
        let resolver = DidResolver::did_key_only(DidKeyResolver::new());
        let request = match parse_request_url_with(request_url, &options).unwrap() {
            RequestReference::ByValue(r) => *r,
            RequestReference::ByValueSigned { client_id, request } => {
                verify_request_object(&request, &client_id, &resolver)
                    .await
                    .unwrap()
            }
            RequestReference::ByReference {
                client_id,
                request_uri,
                ..
            } => {
                let r = self
                    .server
                    .http
                    .get(request_uri.as_str())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                assert_eq!(
                    r.headers()["content-type"],
                    "application/oauth-authz-req+jwt"
                );
                let jwt = r.text().await.unwrap();
                verify_request_object(&jwt, &client_id, &resolver)
                    .await
                    .unwrap()
            }
            _ => panic!("unexpected request reference"),
        };
        validate_request(&request).unwrap();
        request
    }

    /// The holder's `vp_token` answer to `request` for query `id`, bound to `binding`.
    fn answer(
        &self,
        request: &AuthorizationRequest,
        credential: PresentedCredential,
        binding: &Binding,
    ) -> String {
        let did = self.holder.did_key();
        let vm = self.holder.did_key_verification_method();
        let (id, vp) = match credential {
            c @ PresentedCredential::Json(_) => (
                "badge_ldp_vc",
                sign_ldp_vp(
                    &Canonicalizer::bundled(),
                    did.as_str(),
                    vm.as_str(),
                    &self.holder,
                    &[c],
                    binding,
                    rosette_core::Timestamp::from_unix(self.server.now()).unwrap(),
                )
                .unwrap(),
            ),
            c @ PresentedCredential::Jwt(_) => (
                "badge_jwt_vc_json",
                Value::String(
                    sign_jwt_vp(
                        did.as_str(),
                        vm.as_str(),
                        &self.holder,
                        &[c],
                        binding,
                        rosette_core::Timestamp::from_unix(self.server.now()).unwrap(),
                    )
                    .unwrap(),
                ),
            ),
        };
        let mut token = rosette_oid4vp::VpToken::new();
        token.insert(id.to_owned(), vec![vp]);
        direct_post_form(&token, request.state.as_ref().map(|s| s.expose_secret()))
    }

    async fn post(&self, request: &AuthorizationRequest, form: String) -> (u16, Value) {
        let r = self
            .server
            .http
            .post(request.response_uri.as_deref().unwrap())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store")
        );
        status_json(r).await
    }

    async fn poll(&self, created: &Value) -> (u16, Value) {
        let r = self
            .server
            .http
            .get(created["poll"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        status_json(r).await
    }
}

fn binding(request: &AuthorizationRequest) -> Binding {
    Binding {
        nonce: request.nonce.as_ref().unwrap().expose_secret().to_owned(),
        audience: request.client_id.as_str().to_owned(),
    }
}

#[tokio::test]
async fn signed_request_uri_fetched_twice_and_jwt_presentation_accepted() {
    let s = setup().await;
    let created = s.create(json!({"achievement_id": s.achievement, "trusted_issuers": [s.did], "formats": ["jwt_vc_json"]})).await;
    let url = created["request_url"].as_str().unwrap();
    assert!(
        url.starts_with("openid4vp://?client_id=decentralized_identifier%3Adid%3Akey%3A"),
        "{url}"
    );
    assert_eq!(
        created["client_id"],
        format!("decentralized_identifier:{}", s.did)
    );
    // The request_uri may be fetched more than once (OIDF request-uri-fetched-twice).
    let first = s.resolve(url).await;
    let second = s.resolve(url).await;
    assert_eq!(first.nonce, second.nonce);
    assert_eq!(first.state, second.state);
    assert!(first.nonce.as_ref().unwrap().expose_secret().len() >= 22);
    let query = first.dcql_query.clone().unwrap();
    assert_eq!(
        query["credentials"][0]["claims"][0]["values"][0],
        format!("{}/achievements/{}", s.server.issuer("acme"), s.achievement)
    );

    // Nothing to see before the answer.
    let (status, pending) = s.poll(&created).await;
    assert_eq!((status, pending["status"].as_str()), (200, Some("pending")));

    let credential = issue(&s.server, "acme", &s.admin, &s.achievement, &s.holder, JWT).await;
    let form = s.answer(&first, credential, &binding(&first));
    let (status, ack) = s.post(&first, form.clone()).await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(ack, json!({}));

    let (status, done) = s.poll(&created).await;
    assert_eq!(status, 200);
    assert_eq!(done["status"], "accepted", "{done}");
    let c = &done["result"]["credentials"][0];
    assert_eq!(c["issuer"], s.did);
    assert_eq!(c["subject"], s.holder.did_key().as_str());
    assert_eq!(c["achievement"], "Rust Practitioner");
    assert_eq!(done["result"]["query"]["outcome"], "passed");

    // vp_replayed_response: the same answer again is refused and changes nothing.
    let (status, replay) = s.post(&first, form).await;
    assert_eq!(status, 400);
    assert_eq!(replay["error"], "invalid_request");
    assert_eq!(replay["violation"], "unknown_state");
    assert_eq!(s.poll(&created).await.1["status"], "accepted");
    // The request object is gone once answered.
    let r = s
        .server
        .http
        .get(created["request_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn redirect_uri_unsigned_request_and_ldp_presentation_accepted() {
    let s = setup().await;
    let created = s.create(json!({"achievement_name": "Rust Practitioner", "formats": ["ldp_vc"], "mode": "redirect_uri"})).await;
    let url = created["request_url"].as_str().unwrap();
    assert!(url.contains("client_id=redirect_uri%3Ahttp"), "{url}");
    assert!(created.get("request_uri").is_none());
    let request = s.resolve(url).await;
    assert_eq!(
        request.client_id.identifier(),
        request.response_uri.as_deref().unwrap()
    );
    let credential = issue(&s.server, "acme", &s.admin, &s.achievement, &s.holder, LDP).await;
    let (status, ack) = s
        .post(&request, s.answer(&request, credential, &binding(&request)))
        .await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(s.poll(&created).await.1["status"], "accepted");
}

#[tokio::test]
async fn signed_request_by_value_accepted() {
    let s = setup().await;
    let created = s.create(json!({"mode": "signed_by_value"})).await;
    let url = created["request_url"].as_str().unwrap();
    assert!(url.contains("&request=ey"), "{url}");
    let request = s.resolve(url).await;
    let credential = issue(&s.server, "acme", &s.admin, &s.achievement, &s.holder, JWT).await;
    let (status, ack) = s
        .post(&request, s.answer(&request, credential, &binding(&request)))
        .await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(s.poll(&created).await.1["status"], "accepted");
}

#[tokio::test]
async fn polling_with_state_or_request_id_reveals_nothing() {
    let s = setup().await;
    let created = s.create(json!({})).await;
    let request = s.resolve(created["request_url"].as_str().unwrap()).await;
    let state = request.state.as_ref().unwrap().expose_secret().to_owned();
    for guess in [state.as_str(), created["id"].as_str().unwrap(), "AAAA"] {
        let r = s
            .server
            .http
            .get(format!(
                "{}/verifiers/acme/transactions/{guess}",
                s.server.url
            ))
            .send()
            .await
            .unwrap();
        let (status, body) = status_json(r).await;
        assert_eq!(status, 404);
        assert!(!body.to_string().contains(&state));
        let r = s
            .server
            .http
            .get(format!("{}/verifiers/acme/present/{guess}", s.server.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }
    // Another institution's path does not find it either.
    s.server.institution("other").await;
    let tx = created["transaction_id"].as_str().unwrap();
    let r = s
        .server
        .http
        .get(format!(
            "{}/verifiers/other/transactions/{tx}",
            s.server.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn vp_wrong_nonce_over_http_is_rejected_and_recorded() {
    let s = setup().await;
    let created = s.create(json!({"formats": ["ldp_vc"]})).await;
    let request = s.resolve(created["request_url"].as_str().unwrap()).await;
    let credential = issue(&s.server, "acme", &s.admin, &s.achievement, &s.holder, LDP).await;
    let mut b = binding(&request);
    b.nonce = "not-the-nonce".into();
    let (status, body) = s.post(&request, s.answer(&request, credential, &b)).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["violation"], "wrong_nonce");
    let (_, done) = s.poll(&created).await;
    assert_eq!(done["status"], "rejected");
    assert_eq!(done["result"]["error"]["violation"], "wrong_nonce");
    // The page shows the verdict.
    let page = s
        .server
        .http
        .get(created["page"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Rejected"), "{page}");
}

#[tokio::test]
async fn vp_untrusted_issuer_over_http() {
    let s = setup().await;
    let other = SigningKey::generate(rosette_did::KeyType::Ed25519, &mut rand::rngs::OsRng);
    let created = s
        .create(json!({"trusted_issuers": [other.did_key().as_str()], "formats": ["jwt_vc_json"]}))
        .await;
    let request = s.resolve(created["request_url"].as_str().unwrap()).await;
    let credential = issue(&s.server, "acme", &s.admin, &s.achievement, &s.holder, JWT).await;
    let (status, body) = s
        .post(&request, s.answer(&request, credential, &binding(&request)))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "access_denied");
    assert_eq!(body["violation"], "untrusted_issuer");
}

#[tokio::test]
async fn bad_direct_posts_are_400_never_5xx() {
    let s = setup().await;
    let created = s.create(json!({})).await;
    let request = s.resolve(created["request_url"].as_str().unwrap()).await;
    let state = request.state.as_ref().unwrap().expose_secret().to_owned();
    let bodies = [
        String::new(),
        "vp_token=%7B".to_owned(),
        "state=unknown&vp_token=%7B%7D".to_owned(),
        format!("state={state}&vp_token=x.y.z"),
        format!("vp_token=%7B%22badge_ldp_vc%22%3A%5B%5D%7D&state={state}"),
        "\u{0}\u{1}%%%".to_owned(),
    ];
    for body in bodies {
        let (status, answer) = s.post(&request, body.clone()).await;
        assert_eq!(status, 400, "{body} → {answer}");
        assert_eq!(answer["error"], "invalid_request", "{body} → {answer}");
    }
    // Malformed bodies with an unknown state did not consume the request.
    assert_eq!(s.poll(&created).await.1["status"], "pending");
    // A wallet error with the right state is an answer: 200, recorded as rejected.
    let (status, _) = s
        .post(&request, format!("error=access_denied&state={state}"))
        .await;
    assert_eq!(status, 200);
    let (_, done) = s.poll(&created).await;
    assert_eq!(done["status"], "rejected");
    assert_eq!(done["result"]["error"]["error"], "access_denied");
}

#[tokio::test]
async fn admin_api_needs_the_institution_token_and_validates_templates() {
    let s = setup().await;
    let path = "/verifiers/acme/admin/presentation-requests";
    let (status, _) = s.server.post_json(path, "wrong", json!({})).await;
    assert_eq!(status, 401);
    let other = s.server.institution("other").await;
    let (status, _) = s.server.post_json(path, &other, json!({})).await;
    assert_eq!(status, 403);
    for bad in [
        json!({"formats": ["mso_mdoc"]}),
        json!({"trusted_issuers": ["not a did"]}),
        json!({"achievement_id": "nope"}),
        json!({"expires_in_seconds": 0}),
        json!({"unknown": 1}),
    ] {
        let (status, body) = s.server.post_json(path, &s.admin, bad.clone()).await;
        assert!(status == 400 || status == 404, "{bad} → {status} {body}");
    }
    s.create(json!({})).await;
    let (status, list) = s.server.get_json(path, &s.admin).await;
    assert_eq!(status, 200);
    assert_eq!(list["presentation_requests"].as_array().unwrap().len(), 1);
    assert_eq!(list["presentation_requests"][0]["status"], "pending");
}

#[tokio::test]
async fn pages_and_qr_code_carry_the_request_url() {
    let s = setup().await;
    let created = s.create(json!({})).await;
    let r = s
        .server
        .http
        .get(created["page"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("qr.svg"));
    let png = s
        .server
        .http
        .get(created["qr_png"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        rosette_qr::decode_image(&png).unwrap(),
        vec![created["request_url"].as_str().unwrap().to_owned()]
    );
    let r = s
        .server
        .http
        .get(format!("{}/verifiers/acme/new", s.server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("presentation-requests"));
}

#[tokio::test]
async fn expired_request_is_refused() {
    let s = setup().await;
    let created = s.create(json!({"expires_in_seconds": 60})).await;
    let request = s.resolve(created["request_url"].as_str().unwrap()).await;
    s.server.clock.advance(120);
    let r = s
        .server
        .http
        .get(created["request_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let credential = issue(&s.server, "acme", &s.admin, &s.achievement, &s.holder, LDP).await;
    let (status, body) = s
        .post(&request, s.answer(&request, credential, &binding(&request)))
        .await;
    assert_eq!(
        (status, body["violation"].as_str()),
        (400, Some("unknown_state"))
    );
    assert_eq!(s.poll(&created).await.1["status"], "expired");
}

#[tokio::test]
async fn request_uri_post_echoes_wallet_nonce() {
    let s = setup().await;
    let created = s.create(json!({})).await;
    let r = s
        .server
        .http
        .post(created["request_uri"].as_str().unwrap())
        .header("content-type", "application/x-www-form-urlencoded")
        .body("wallet_nonce=wn-123&wallet_metadata=%7B%7D")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let jwt = r.text().await.unwrap();
    let client = rosette_oid4vp::ClientId::new(created["client_id"].as_str().unwrap());
    let resolver = DidResolver::did_key_only(DidKeyResolver::new());
    let request = verify_request_object(&jwt, &client, &resolver)
        .await
        .unwrap();
    assert_eq!(request.wallet_nonce.as_deref(), Some("wn-123"));
    // Unknown request ids are 404, not a signed object.
    let r = s
        .server
        .http
        .get(format!("{}/verifiers/acme/requests/nope", s.server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn oversized_direct_post_is_413() {
    let s = setup().await;
    let created = s.create(json!({})).await;
    let request = s.resolve(created["request_url"].as_str().unwrap()).await;
    let body = format!(
        "vp_token={}",
        "a".repeat(rosette_agent::verifier::http::BODY_LIMIT + 1)
    );
    let (status, answer) = s.post(&request, body).await;
    assert_eq!(status, 413, "{answer}");
    assert_eq!(answer["error"], "invalid_request");
    assert_eq!(answer["violation"], "body_too_large");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vp_concurrent_replay_is_accepted_exactly_once() {
    let s = setup().await;
    let created = s.create(json!({"formats": ["jwt_vc_json"]})).await;
    let request = s.resolve(created["request_url"].as_str().unwrap()).await;
    let credential = issue(&s.server, "acme", &s.admin, &s.achievement, &s.holder, JWT).await;
    let form = s.answer(&request, credential, &binding(&request));
    let attempts: Vec<_> = (0..6).map(|_| s.post(&request, form.clone())).collect();
    let results = futures_join_all(attempts).await;
    let accepted = results.iter().filter(|(status, _)| *status == 200).count();
    assert_eq!(accepted, 1, "{results:?}");
    for (status, body) in results.iter().filter(|(status, _)| *status != 200) {
        assert_eq!(*status, 400);
        assert_eq!(body["violation"], "unknown_state", "{body}");
    }
    assert_eq!(s.poll(&created).await.1["status"], "accepted");
}

/// Runs the futures concurrently on this task (no extra dependency).
async fn futures_join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut pinned: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut out: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, slot) in pinned.iter_mut().zip(out.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|o| o.expect("every future finished"))
        .collect()
}

/// The `credential` member of the wallet's view of `credential` (for its id).
fn credential_id(credential: &PresentedCredential) -> String {
    match credential {
        PresentedCredential::Json(v) => v["id"].as_str().unwrap().to_owned(),
        PresentedCredential::Jwt(jwt) => {
            use base64::Engine as _;
            let payload = jwt.split('.').nth(1).unwrap();
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap();
            let claims: Value = serde_json::from_slice(&bytes).unwrap();
            claims["vc"]["id"]
                .as_str()
                .or(claims["jti"].as_str())
                .unwrap()
                .to_owned()
        }
    }
}

#[tokio::test]
async fn vp_revoked_credential_is_refused() {
    let s = setup().await;
    for config in [LDP, JWT] {
        let credential = issue(
            &s.server,
            "acme",
            &s.admin,
            &s.achievement,
            &s.holder,
            config,
        )
        .await;
        let (status, body) = s
            .server
            .post_json(
                "/issuers/acme/admin/credentials/status",
                &s.admin,
                json!({"credential_id": credential_id(&credential), "action": "revoke", "reason": "cheated"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let created = s.create(json!({"trusted_issuers": [s.did]})).await;
        let request = s.resolve(created["request_url"].as_str().unwrap()).await;
        let (status, body) = s
            .post(&request, s.answer(&request, credential, &binding(&request)))
            .await;
        assert_eq!(status, 400, "{config}: {body}");
        assert_eq!(body["violation"], "credential_revoked", "{config}: {body}");
        let (_, done) = s.poll(&created).await;
        assert_eq!(done["status"], "rejected", "{done}");
    }
}

#[tokio::test]
async fn vp_expired_credential_is_refused() {
    let s = setup().await;
    let (status, achievement) = s
        .server
        .post_json(
            "/issuers/acme/admin/achievements",
            &s.admin,
            json!({"name": "Short-lived", "description": "Valid one day.",
                   "criteria": {"narrative": "Show up."}, "validity_days": 1}),
        )
        .await;
    assert_eq!(status, 201, "{achievement}");
    let achievement = achievement["id"].as_str().unwrap();
    for config in [LDP, JWT] {
        let credential = issue(&s.server, "acme", &s.admin, achievement, &s.holder, config).await;
        // Within its day: accepted.
        let created = s.create(json!({"trusted_issuers": [s.did]})).await;
        let request = s.resolve(created["request_url"].as_str().unwrap()).await;
        let (status, body) = s
            .post(
                &request,
                s.answer(&request, credential.clone(), &binding(&request)),
            )
            .await;
        assert_eq!(status, 200, "{config}: {body}");
        // Past validUntil (the test server's clock): refused as expired.
        s.server.clock.advance(86_400 + 60);
        let created = s.create(json!({"trusted_issuers": [s.did]})).await;
        let request = s.resolve(created["request_url"].as_str().unwrap()).await;
        let (status, body) = s
            .post(&request, s.answer(&request, credential, &binding(&request)))
            .await;
        assert_eq!(status, 400, "{config}: {body}");
        assert_eq!(body["violation"], "credential_expired", "{config}: {body}");
    }
}

// ---- verifier templates

async fn delete(server: &TestServer, path: &str, token: &str) -> u16 {
    server
        .http
        .delete(format!("{}{path}", server.url))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn templates_create_list_delete_and_make_requests() {
    let s = setup().await;
    let path = "/verifiers/acme/admin/templates";
    let (status, created) = s
        .server
        .post_json(
            path,
            &s.admin,
            json!({
                "name": "  Rust Practitioner (Acme)  ",
                "achievement_id": s.achievement,
                "trusted_issuers": [s.did],
                "formats": ["jwt_vc_json", "jwt_vc_json"],
                "mode": "redirect_uri",
                "expires_in_seconds": 300
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["name"], "Rust Practitioner (Acme)");
    assert_eq!(created["formats"], json!(["jwt_vc_json"]));
    assert_eq!(created["mode"], "redirect_uri");
    assert_eq!(created["version"], 1);
    assert!(created["created_at"].is_string());
    assert!(created.get("slug").is_none());
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, other) = s
        .server
        .post_json(path, &s.admin, json!({"name": "Any badge"}))
        .await;
    assert_eq!(status, 201, "{other}");

    let (status, list) = s.server.get_json(path, &s.admin).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Any badge", "Rust Practitioner (Acme)"]);

    // A request made from the template carries its fields.
    let (status, request) = s
        .server
        .post_json(&format!("{path}/{id}/requests"), &s.admin, json!({}))
        .await;
    assert_eq!(status, 201, "{request}");
    assert!(
        request["request_url"]
            .as_str()
            .unwrap()
            .contains("client_id=redirect_uri%3A")
    );
    assert_eq!(
        request["dcql_query"]["credentials"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (_, listed) = s
        .server
        .get_json("/verifiers/acme/admin/presentation-requests", &s.admin)
        .await;
    let template = &listed["presentation_requests"][0]["template"];
    assert_eq!(template["trusted_issuers"], json!([s.did]));
    assert_eq!(template["mode"], "redirect_uri");

    assert_eq!(
        delete(&s.server, &format!("{path}/{id}"), &s.admin).await,
        204
    );
    assert_eq!(
        delete(&s.server, &format!("{path}/{id}"), &s.admin).await,
        404
    );
    let (_, list) = s.server.get_json(path, &s.admin).await;
    assert_eq!(list["templates"].as_array().unwrap().len(), 1);
    let (status, _) = s
        .server
        .post_json(&format!("{path}/{id}/requests"), &s.admin, json!({}))
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn templates_are_validated_and_per_institution() {
    let s = setup().await;
    let other = s.server.institution("other").await;
    let path = "/verifiers/acme/admin/templates";
    for (body, expect) in [
        (json!({"name": ""}), "name must not be empty"),
        (
            json!({"name": "x", "formats": ["mso_mdoc"]}),
            "not supported",
        ),
        (
            json!({"name": "x", "trusted_issuers": ["acme"]}),
            "not a DID",
        ),
        (
            json!({"name": "x", "expires_in_seconds": 0}),
            "expires_in_seconds",
        ),
        (json!({"name": "x", "colour": "red"}), "unknown field"),
        (
            json!({"name": "x", "achievement_id": "nope"}),
            "achievement not found",
        ),
    ] {
        let (status, answer) = s.server.post_json(path, &s.admin, body.clone()).await;
        assert!(status == 400 || status == 404, "{body}: {status} {answer}");
        assert!(
            answer["error_description"]
                .as_str()
                .unwrap()
                .contains(expect),
            "{body}: {answer}"
        );
    }
    let (status, created) = s
        .server
        .post_json(path, &s.admin, json!({"name": "Acme's"}))
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap();

    // Another institution's token is refused on acme's paths, and acme's template does not
    // exist under its own.
    let (status, _) = s.server.get_json(path, &other).await;
    assert_eq!(status, 403);
    let (status, _) = s.server.post_json(path, &other, json!({"name": "x"})).await;
    assert_eq!(status, 403);
    assert_eq!(
        delete(&s.server, &format!("{path}/{id}"), &other).await,
        403
    );
    let (status, _) = s
        .server
        .post_json(&format!("{path}/{id}/requests"), &other, json!({}))
        .await;
    assert_eq!(status, 403);
    let theirs = "/verifiers/other/admin/templates";
    let (_, list) = s.server.get_json(theirs, &other).await;
    assert_eq!(list["templates"], json!([]));
    assert_eq!(
        delete(&s.server, &format!("{theirs}/{id}"), &other).await,
        404
    );
    let (status, _) = s
        .server
        .post_json(&format!("{theirs}/{id}/requests"), &other, json!({}))
        .await;
    assert_eq!(status, 404);
    let (status, _) = s.server.get_json(path, "wrong").await;
    assert_eq!(status, 401);
    let (_, list) = s.server.get_json(path, &s.admin).await;
    assert_eq!(list["templates"].as_array().unwrap().len(), 1);
}

// ---- the console's templates and verification pages (no browser)

fn unescape(html: &str) -> String {
    html.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&quot;", "\"")
        .replace("&#34;", "\"")
        .replace("&#39;", "'")
}

fn attribute_after(html: &str, marker: &str, attribute: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker}: {html}"));
    let rest = &html[at..];
    let start = rest.find(&format!("{attribute}=\"")).unwrap() + attribute.len() + 2;
    unescape(rest[start..].split('"').next().unwrap())
}

#[tokio::test]
async fn console_templates_then_verify_page_shows_the_verdict() {
    use crate::bulk::{console_get, console_login, console_post, form};
    const FORM: &str = "application/x-www-form-urlencoded";
    let s = setup().await;
    let staff = console_login(&s.server, "acme", &s.admin).await;
    let (status, html) = console_get(&s.server, &staff.cookie, "/console/acme/verify").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"no-templates\""), "{html}");
    let (status, html) = console_get(&s.server, &staff.cookie, "/console/acme/templates").await;
    assert_eq!(status, 200);
    assert!(html.contains(&s.did), "own DID offered: {html}");

    let fields = [
        ("name", "Rust Practitioner from Acme"),
        ("achievement_id", s.achievement.as_str()),
        ("own_did", s.did.as_str()),
        ("format", "jwt_vc_json"),
        ("mode", "signed"),
    ];
    // Without the CSRF token: refused, nothing stored.
    let (status, _, _) = console_post(
        &s.server,
        &staff.cookie,
        "/console/acme/templates",
        FORM,
        form(&fields),
    )
    .await;
    assert_eq!(status, 403);
    let (_, list) = s
        .server
        .get_json("/verifiers/acme/admin/templates", &s.admin)
        .await;
    assert_eq!(list["templates"], json!([]));
    let mut with_csrf = fields.to_vec();
    with_csrf.push(("csrf", &staff.csrf));
    let (status, _, location) = console_post(
        &s.server,
        &staff.cookie,
        "/console/acme/templates",
        FORM,
        form(&with_csrf),
    )
    .await;
    assert_eq!(
        (status, location.as_deref()),
        (303, Some("/console/acme/templates"))
    );
    let (_, list) = s
        .server
        .get_json("/verifiers/acme/admin/templates", &s.admin)
        .await;
    let template = list["templates"][0].clone();
    assert_eq!(template["trusted_issuers"], json!([s.did]));
    assert_eq!(template["formats"], json!(["jwt_vc_json"]));
    let id = template["id"].as_str().unwrap().to_owned();
    // A bad DID comes back as the form with the reason.
    let (status, html, _) = console_post(
        &s.server,
        &staff.cookie,
        "/console/acme/templates",
        FORM,
        form(&[
            ("csrf", &staff.csrf),
            ("name", "x"),
            ("trusted_issuers", "not-a-did"),
        ]),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        html.contains("trusted issuer not-a-did is not a DID"),
        "{html}"
    );

    // Pick the template: a request, then its page with the QR code and the link.
    let (status, _, _) = console_post(
        &s.server,
        &staff.cookie,
        "/console/acme/verify",
        FORM,
        form(&[("template", &id)]),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, location) = console_post(
        &s.server,
        &staff.cookie,
        "/console/acme/verify",
        FORM,
        form(&[("csrf", &staff.csrf), ("template", &id)]),
    )
    .await;
    assert_eq!(status, 303);
    let page = location.unwrap();
    let (status, html) = console_get(&s.server, &staff.cookie, &page).await;
    assert_eq!(status, 200, "{html}");
    let qr = attribute_after(&html, "id=\"verify-qr\"", "src");
    let request_url = attribute_after(&html, "id=\"verify-link\"", "href");
    assert!(request_url.starts_with("openid4vp://"), "{request_url}");
    assert!(html.contains("aria-live=\"polite\""));
    assert!(html.contains("src=\"/assets/verify.js\""));
    let png = s
        .server
        .http
        .get(format!(
            "{}{}",
            s.server.url,
            qr.replace("qr.svg", "qr.png")
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(
        rosette_qr::decode_image(&png).unwrap(),
        vec![request_url.clone()]
    );
    let result = format!("{page}/result");
    let (_, pending) = console_get(&s.server, &staff.cookie, &result).await;
    let pending: Value = serde_json::from_str(&pending).unwrap();
    assert_eq!(pending, json!({"status": "pending", "html": null}));

    // The wallet answers: the result carries the verdict, every check on its own line.
    let request = s.resolve(&request_url).await;
    let credential = issue(&s.server, "acme", &s.admin, &s.achievement, &s.holder, JWT).await;
    let (status, ack) = s
        .post(&request, s.answer(&request, credential, &binding(&request)))
        .await;
    assert_eq!(status, 200, "{ack}");
    let (_, done) = console_get(&s.server, &staff.cookie, &result).await;
    let done: Value = serde_json::from_str(&done).unwrap();
    assert_eq!(done["status"], "accepted");
    let fragment = done["html"].as_str().unwrap();
    assert!(fragment.contains("Accepted"), "{fragment}");
    let lines = fragment.matches("<li ").count();
    assert!(lines >= 4, "{fragment}");
    assert_eq!(lines, fragment.matches("data-outcome=\"").count());
    assert!(!fragment.contains("data-outcome=\"failed\""), "{fragment}");
    assert!(
        fragment.contains("data-check=\"trusted_issuer\""),
        "{fragment}"
    );
    assert!(
        fragment.contains(s.holder.did_key().as_str()),
        "holder shown: {fragment}"
    );
    assert!(fragment.contains("Rust Practitioner"));
    // Reloaded, the page shows the same verdict and no QR code.
    let (_, html) = console_get(&s.server, &staff.cookie, &page).await;
    assert!(html.contains("id=\"verdict-result\""));
    assert!(!html.contains("id=\"verify-qr\""));

    // Another institution's staff: neither the request nor the templates.
    let other = s.server.institution("other").await;
    let theirs = console_login(&s.server, "other", &other).await;
    for path in [
        page.clone(),
        result.clone(),
        "/console/acme/templates".into(),
    ] {
        let (status, _) = console_get(&s.server, &theirs.cookie, &path).await;
        assert_eq!(status, 404, "{path}");
        let foreign = path.replace("/console/acme/", "/console/other/");
        let (status, body) = console_get(&s.server, &theirs.cookie, &foreign).await;
        if foreign.ends_with("/templates") {
            assert!(!body.contains("Rust Practitioner from Acme"));
        } else {
            assert_eq!(status, 404, "{foreign}");
        }
    }
    let (status, _, _) = console_post(
        &s.server,
        &theirs.cookie,
        &format!("/console/other/templates/{id}/delete"),
        FORM,
        form(&[("csrf", &theirs.csrf)]),
    )
    .await;
    assert_eq!(status, 404);

    // Delete: CSRF first, then gone.
    let path = format!("/console/acme/templates/{id}/delete");
    let (status, _, _) = console_post(&s.server, &staff.cookie, &path, FORM, form(&[])).await;
    assert_eq!(status, 403);
    let (status, _, _) = console_post(
        &s.server,
        &staff.cookie,
        &path,
        FORM,
        form(&[("csrf", &staff.csrf)]),
    )
    .await;
    assert_eq!(status, 303);
    let (_, list) = s
        .server
        .get_json("/verifiers/acme/admin/templates", &s.admin)
        .await;
    assert_eq!(list["templates"], json!([]));
}

#[tokio::test]
async fn public_request_page_polls_a_verdict_fragment_under_the_csp() {
    let s = setup().await;
    let created = s.create(json!({"trusted_issuers": [s.did]})).await;
    let page = created["page"].as_str().unwrap();
    let r = s.server.http.get(page).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe"),
        "{csp}"
    );
    let html = r.text().await.unwrap();
    assert!(!html.contains("<script>"), "no inline script: {html}");
    assert!(html.contains("src=\"/assets/verify.js\""));
    assert!(html.contains(&format!(
        "data-result=\"/verifiers/acme/present/{}/result\"",
        created["transaction_id"].as_str().unwrap()
    )));
    let result = format!("{page}/result");
    let pending: Value = s
        .server
        .http
        .get(&result)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pending, json!({"status": "pending", "html": null}));

    let request = s.resolve(created["request_url"].as_str().unwrap()).await;
    let credential = issue(&s.server, "acme", &s.admin, &s.achievement, &s.holder, LDP).await;
    let (status, _) = s
        .post(&request, s.answer(&request, credential, &binding(&request)))
        .await;
    assert_eq!(status, 200);
    let done: Value = s
        .server
        .http
        .get(&result)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "accepted");
    let fragment = done["html"].as_str().unwrap();
    assert!(fragment.matches("<li ").count() >= 4, "{fragment}");
    // The page itself now shows the verdict, and no QR code.
    let html = s
        .server
        .http
        .get(page)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"verdict-result\"") && !html.contains("id=\"verify-qr\""));
    // The new-request form and an unknown transaction, under the same policy.
    let r = s
        .server
        .http
        .get(format!("{}/verifiers/acme/new", s.server.url))
        .send()
        .await
        .unwrap();
    assert!(r.headers().contains_key("content-security-policy"));
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("src=\"/assets/new-request.js\"")
    );
    let r = s
        .server
        .http
        .get(format!("{}/verifiers/acme/present/nope", s.server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.headers().contains_key("content-security-policy"));
    let r = s
        .server
        .http
        .get(format!(
            "{}/verifiers/acme/present/nope/result",
            s.server.url
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn verifier_new_form_puts_the_token_in_the_url() {
    // The "ask for a badge" form had no method: without its script a browser would send the
    // admin token in the query string (history, logs, Referer). It posts now, and the server
    // answers the post itself.
    let s = setup().await;
    let page = s
        .server
        .http
        .get(format!("{}/verifiers/acme/new", s.server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<form id="new-request" method="post" action="/verifiers/acme/new""#),
        "{page}"
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let post = |fields: Vec<(&'static str, String)>| {
        let client = client.clone();
        let url = format!("{}/verifiers/acme/new", s.server.url);
        async move {
            let body: String = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields.iter().map(|(k, v)| (*k, v.as_str())))
                .finish();
            let r = client
                .post(url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let location = r
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned());
            (status, location, r.text().await.unwrap())
        }
    };
    let (status, _, html) = post(vec![
        ("token", "not-the-token".into()),
        ("ldp_vc", "1".into()),
    ])
    .await;
    assert_eq!(status, 401, "{html}");
    assert!(
        html.contains("does not belong to this institution"),
        "{html}"
    );
    assert!(!html.contains("not-the-token"), "{html}");
    let (status, location, html) = post(vec![
        ("token", s.admin.clone()),
        ("achievement_id", s.achievement.clone()),
        ("ldp_vc", "1".into()),
        ("mode", "signed".into()),
    ])
    .await;
    assert_eq!(status, 303, "{html}");
    let location = location.unwrap();
    assert!(location.contains("/verifiers/acme/present/"), "{location}");
    let (_, list) = s
        .server
        .get_json("/verifiers/acme/admin/presentation-requests", &s.admin)
        .await;
    assert!(list.to_string().contains("ldp_vc"), "{list}");
}
