//! Public badge pages (publish with a proof of holding, withdraw) and the drop-a-file
//! verification page, over HTTP.

use rosette_did::SigningKey;
use rosette_proof::Canonicalizer;
use rosette_proof::presentation::{Binding, PresentedCredential, sign_jwt_vp, sign_ldp_vp};
use rosette_storage::Table;
use serde_json::{Value, json};

use crate::common::*;

/// Every table the agent writes (counted to show `/verify` stores nothing).
const TABLES: &[&str] = &[
    "access_tokens",
    "achievements",
    "admin_tokens",
    "codes",
    "institutions",
    "issuance",
    "nonces",
    "notifications",
    "offer_tokens",
    "offers",
    "server",
    "signing_keys",
    "vp_requests",
    "vp_states",
    "vp_transactions",
    "public_badges",
    "public_badge_challenges",
];

fn record_count(server: &TestServer) -> usize {
    TABLES
        .iter()
        .map(|t| server.app.directory.store().len(Table::new(t)).unwrap())
        .sum()
}

/// Issues one badge of `format` to a fresh holder key.
async fn issued(server: &TestServer, slug: &str, format: &str) -> (SigningKey, Value) {
    let token = server.institution(slug).await;
    let achievement = server.achievement(slug, &token).await;
    let offer = server.offer(slug, &token, &achievement, json!({})).await;
    let access = server.access_token(slug, &offer).await;
    let nonce = server.nonce(slug).await;
    let holder = holder_key();
    let jwt = proof(&holder, &server.issuer(slug), &nonce, server.now());
    let (status, body) = server
        .credential_request(slug, &access, request(format, vec![jwt]))
        .await;
    assert_eq!(status, 200, "{body}");
    (holder, body["credentials"][0]["credential"].clone())
}

async fn challenge(server: &TestServer, slug: &str) -> (String, String) {
    let r = server
        .http
        .post(format!("{}/public-badges/challenge", server.issuer(slug)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["audience"], server.issuer(slug));
    (
        body["nonce"].as_str().unwrap().to_owned(),
        body["audience"].as_str().unwrap().to_owned(),
    )
}

/// A presentation of `credential` by `holder_did`, signed with `signer`.
fn present(
    server: &TestServer,
    holder_did: &str,
    signer: &SigningKey,
    credential: &Value,
    nonce: &str,
    audience: &str,
) -> Value {
    let binding = Binding {
        nonce: nonce.to_owned(),
        audience: audience.to_owned(),
    };
    let vm = signer.did_key_verification_method().as_str().to_owned();
    let now = rosette_core::Timestamp::from_unix(server.now()).unwrap();
    match credential {
        Value::String(jwt) => Value::String(
            sign_jwt_vp(
                holder_did,
                &vm,
                signer,
                &[PresentedCredential::Jwt(jwt.clone())],
                &binding,
                now,
            )
            .unwrap(),
        ),
        other => sign_ldp_vp(
            &Canonicalizer::bundled(),
            holder_did,
            &vm,
            signer,
            &[PresentedCredential::Json(other.clone())],
            &binding,
            now,
        )
        .unwrap(),
    }
}

async fn post(server: &TestServer, path: &str, body: Value) -> (u16, Value) {
    let r = server
        .http
        .post(format!("{}{path}", server.url))
        .json(&body)
        .send()
        .await
        .unwrap();
    status_json(r).await
}

async fn get_page(server: &TestServer, url: &str) -> (u16, String, reqwest::header::HeaderMap) {
    let r = server.http.get(url).send().await.unwrap();
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, r.text().await.unwrap(), headers)
}

async fn publish_and_view(format: &str) {
    let server = start().await;
    let (holder, credential) = issued(&server, "acme", format).await;
    let did = holder.did_key().as_str().to_owned();
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp, "display_name": "Ada <b>Lovelace</b>"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let url = body["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with(&format!("{}/badges/", server.issuer("acme"))));

    let (status, html, headers) = get_page(&server, &url).await;
    assert_eq!(status, 200);
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    // The chosen name, escaped; the live verdict, each check on its own line.
    assert!(
        html.contains("Ada &#60;b&#62;Lovelace&#60;/b&#62;"),
        "{html}"
    );
    assert!(!html.contains("<b>Lovelace"));
    assert!(html.contains("Verified"), "{html}");
    assert!(html.contains("data-outcome=\"passed\" data-check=\"proof\""));
    assert!(html.contains("Rust Practitioner"));
    assert!(html.contains("Ship an issuer."));
    assert!(html.contains("acme University"));
    for og in ["og:title", "og:description", "og:image", "og:url"] {
        assert!(html.contains(&format!("property=\"{og}\"")), "{og}");
    }
    assert!(html.contains(&format!("property=\"og:url\" content=\"{url}\"")));
    assert!(html.contains("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME"));
    assert!(html.contains("organizationName=acme+University"));
    // LinkedIn links the page at the agent's public URL (the page's own address).
    let cert_url: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
    assert!(html.contains(&format!("certUrl={cert_url}")), "{html}");
    assert!(!html.contains("<script"));
    // Nothing personal but the chosen name: not the holder's DID, e-mail or recipient name.
    assert!(!html.contains("email") && !html.contains("ada@example.org"));
    assert!(!html.contains(&did), "the holder DID is on the page");
    assert!(!html.contains("Ada Lovelace"));

    // The QR code decodes to the page's own URL.
    let png = server
        .http
        .get(format!("{url}/qr.png"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(rosette_qr::decode_image(&png).unwrap(), vec![url.clone()]);
    let image = server
        .http
        .get(format!("{url}/image"))
        .send()
        .await
        .unwrap();
    assert_eq!(image.status(), 200);

    // Withdraw with a fresh proof of holding: the page is gone.
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges/withdraw",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, html, _) = get_page(&server, &url).await;
    assert_eq!(status, 404);
    assert!(html.contains("withdrew"));
    assert_eq!(
        server
            .http
            .get(format!("{url}/qr.png"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges/withdraw",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!((status, error_code(&body)), (404, "not_published"));
}

#[tokio::test]
async fn publish_ldp_badge_with_proof_of_holding_then_withdraw() {
    publish_and_view(LDP).await;
}

#[tokio::test]
async fn publish_jwt_badge_with_vp_jwt_then_withdraw() {
    publish_and_view(JWT).await;
}

#[tokio::test]
async fn share_without_proof_of_holding() {
    let server = start().await;
    let (_, credential) = issued(&server, "acme", LDP).await;
    let (nonce, _) = challenge(&server, "acme").await;
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "display_name": "Mallory"}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "proof_of_holding_required")
    );
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("proof of holding")
    );
    // The bare credential is not a proof of holding either.
    let (nonce, _) = challenge(&server, "acme").await;
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": credential}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "proof_of_holding_required")
    );
    // Nor is a bare VC-JWT.
    let (_, jwt) = issued(&server, "beta", JWT).await;
    let (nonce, _) = challenge(&server, "beta").await;
    let (status, body) = post(
        &server,
        "/issuers/beta/public-badges",
        json!({"nonce": nonce, "presentation": jwt}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (401, "proof_of_holding_required")
    );
    assert_eq!(
        server
            .app
            .directory
            .store()
            .len(Table::new("public_badges"))
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn share_with_someone_elses_badge() {
    let server = start().await;
    let (victim, credential) = issued(&server, "acme", LDP).await;
    let mallory = holder_key();
    // Mallory presents Ada's badge as herself.
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(
        &server,
        mallory.did_key().as_str(),
        &mallory,
        &credential,
        &nonce,
        &audience,
    );
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "not_the_holder"),
        "{body}"
    );
    // Mallory claims to be Ada but signs with her own key.
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(
        &server,
        victim.did_key().as_str(),
        &mallory,
        &credential,
        &nonce,
        &audience,
    );
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "invalid_proof_of_holding"),
        "{body}"
    );
    // A JWT badge, the same attack.
    let (_, jwt_credential) = issued(&server, "beta", JWT).await;
    let (nonce, audience) = challenge(&server, "beta").await;
    let vp = present(
        &server,
        mallory.did_key().as_str(),
        &mallory,
        &jwt_credential,
        &nonce,
        &audience,
    );
    let (status, body) = post(
        &server,
        "/issuers/beta/public-badges",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (403, "not_the_holder"),
        "{body}"
    );
    assert_eq!(
        server
            .app
            .directory
            .store()
            .len(Table::new("public_badges"))
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn share_with_wrong_nonce_or_audience_or_issuer() {
    let server = start().await;
    let (holder, credential) = issued(&server, "acme", LDP).await;
    let did = holder.did_key().as_str().to_owned();
    let audience = server.issuer("acme");

    // A nonce we never issued.
    let vp = present(&server, &did, &holder, &credential, "made-up", &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": "made-up", "presentation": vp}),
    )
    .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_nonce"));

    // Signed for another nonce than the one sent.
    let (nonce, _) = challenge(&server, "acme").await;
    let vp = present(&server, &did, &holder, &credential, "other", &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_binding"),
        "{body}"
    );
    // A refused attempt does not spend the challenge (only a verified presentation writes
    // anything); the holder's own presentation with it succeeds once, and its replay fails.
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp.clone()}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_nonce"));

    // Bound to another audience.
    let (nonce, _) = challenge(&server, "acme").await;
    let vp = present(
        &server,
        &did,
        &holder,
        &credential,
        &nonce,
        "https://evil.example",
    );
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_binding"),
        "{body}"
    );

    // An expired challenge.
    let (nonce, audience) = challenge(&server, "acme").await;
    server.clock.advance(301);
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!((status, error_code(&body)), (400, "invalid_nonce"));

    // A badge of acme presented to another institution's endpoint.
    server.institution("other").await;
    let (nonce, audience) = challenge(&server, "other").await;
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/other/public-badges",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "not_our_badge"),
        "{body}"
    );

    // Unknown institution.
    let r = server
        .http
        .post(format!(
            "{}/public-badges/challenge",
            server.issuer("nobody")
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        server
            .app
            .directory
            .store()
            .len(Table::new("public_badges"))
            .unwrap(),
        // Only the page the holder's own, correctly bound presentation published.
        1
    );
    // A page that never existed.
    let (status, _, _) = get_page(&server, &format!("{}/badges/nope", server.issuer("acme"))).await;
    assert_eq!(status, 404);
}

/// A file field: (file name, bytes).
type FileField<'a> = Option<(&'a str, &'a [u8])>;

fn multipart(file: FileField<'_>, text: &str) -> (String, Vec<u8>) {
    let boundary = "----rosette-test-boundary";
    let mut body = Vec::new();
    let (name, bytes) = file.unwrap_or(("", b""));
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n{text}\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn verify_upload(
    server: &TestServer,
    file: Option<(&str, &[u8])>,
    text: &str,
) -> (u16, String) {
    let (content_type, body) = multipart(file, text);
    let r = server
        .http
        .post(format!("{}/verify", server.url))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert!(r.headers().contains_key("content-security-policy"));
    (status, r.text().await.unwrap())
}

#[tokio::test]
async fn verify_page_checks_every_form_and_stores_nothing() {
    let server = start().await;
    let (_, ldp) = issued(&server, "acme", LDP).await;
    let (_, jwt) = issued(&server, "beta", JWT).await;
    let (status, form, _) = get_page(&server, &format!("{}/verify", server.url)).await;
    assert_eq!(status, 200);
    assert!(form.contains("type=\"file\"") && form.contains("<textarea"));
    let before = record_count(&server);

    let json_text = ldp.to_string();
    let jwt_text = jwt.as_str().unwrap().to_owned();
    let png = rosette_baking::bake_png(
        &rosette_baking::default_badge_png("Rust"),
        &rosette_baking::Credential::Json(ldp.clone()),
    )
    .unwrap();
    let svg = rosette_baking::bake_svg(
        &rosette_baking::default_badge_svg("Rust"),
        &rosette_baking::Credential::Jwt(jwt_text.clone()),
    )
    .unwrap();
    let cases: Vec<(&str, FileField<'_>, &str, &str)> = vec![
        ("JSON", Some(("b.json", json_text.as_bytes())), "", "JSON"),
        ("pasted JSON", None, &json_text, "JSON"),
        ("JWT", None, &jwt_text, "VC-JWT"),
        ("PNG", Some(("b.png", &png)), "", "baked PNG"),
        ("SVG", Some(("b.svg", svg.as_bytes())), "", "baked SVG"),
    ];
    for (what, file, text, source) in cases {
        let (status, html) = verify_upload(&server, file, text).await;
        assert_eq!(status, 200, "{what}: {html}");
        assert!(
            html.contains(&format!("Checked a {source}.")),
            "{what}: {html}"
        );
        assert!(html.contains("</span> Verified"), "{what}: {html}");
        assert!(html.contains("issues its badges from this site"), "{what}");
        assert!(!html.contains("data-outcome=\"failed\""), "{what}: {html}");
    }

    // Tampered: the verdict says which check failed.
    let mut tampered = ldp.clone();
    tampered["credentialSubject"]["achievement"]["name"] = json!("Rust Grandmaster");
    let (status, html) = verify_upload(&server, None, &tampered.to_string()).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Not verified: the content was changed after it was signed"),
        "{html}"
    );
    // The forged content is a claim under the failed verdict, never the badge's title.
    assert!(!html.contains("id=\"achievement\""), "{html}");
    assert!(html.contains("What this file claims"), "{html}");
    assert!(html.contains("data-outcome=\"failed\""));
    assert!(html.contains("Rust Grandmaster"));
    // Markup inside a credential is shown as text, never interpreted.
    let mut hostile = ldp.clone();
    hostile["credentialSubject"]["achievement"]["name"] = json!("<img src=x onerror=alert(1)>");
    hostile["issuer"]["name"] = json!("\"><script>alert(2)</script>");
    let (status, html) = verify_upload(&server, None, &hostile.to_string()).await;
    assert_eq!(status, 200);
    assert!(
        !html.contains("<img src=x") && !html.contains("<script>"),
        "{html}"
    );
    assert!(
        html.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "{html}"
    );

    // Junk, an empty form, an image without a badge: a clear error.
    for (file, text, expect) in [
        (None, "hello, world", "this is not a badge"),
        (None, "", "nothing to verify"),
        (
            Some(("x.png", &rosette_baking::default_badge_png("x")[..])),
            "",
            "carries no badge",
        ),
    ] {
        let (status, html) = verify_upload(&server, file, text).await;
        assert_eq!(status, 400, "{html}");
        assert!(html.contains(expect), "{expect}: {html}");
    }
    // Too large.
    let big = vec![b'a'; rosette_agent::public::UPLOAD_LIMIT + 70 * 1024];
    let (status, _) = verify_upload(&server, Some(("big.json", &big)), "").await;
    assert_eq!(status, 413);
    // JSON answers for scripts.
    let r = server
        .http
        .post(format!("{}/verify", server.url))
        .header("accept", "application/json")
        .body(jwt_text.clone())
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["source"], "VC-JWT");
    assert_eq!(body["known_issuer"], "beta University");

    assert_eq!(
        record_count(&server),
        before,
        "the verify page stored something"
    );
}

#[tokio::test]
async fn unknown_issuer_with_valid_signature_is_a_warning() {
    let server = start().await;
    let (_, ldp) = issued(&server, "acme", LDP).await;
    // A second agent that does not know acme.
    let other = start().await;
    let (status, html) = verify_upload(&other, None, &ldp.to_string()).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Valid signature, but an issuer this site does not know"),
        "{html}"
    );
    assert!(html.contains("data-outcome=\"warning\""));
    assert!(!html.contains("data-outcome=\"failed\""));
}

#[tokio::test]
async fn public_badge_challenges_flood_the_store() {
    // 2,000 challenges in 3 s grew the store by 1.8 MB, unauthenticated. Challenges are sealed
    // now: asking stores nothing; only a verified presentation records its challenge as used,
    // and those records are swept once expired.
    let server = start().await;
    let table = Table::new("public_badge_challenges");
    let (holder, credential) = issued(&server, "acme", LDP).await;
    for _ in 0..2000 {
        challenge(&server, "acme").await;
    }
    assert_eq!(server.app.directory.store().len(table).unwrap(), 0);
    let did = holder.did_key().as_str().to_owned();
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(server.app.directory.store().len(table).unwrap(), 1);
    // An expired challenge is refused, and the next use sweeps the expired record.
    let (old_nonce, _) = challenge(&server, "acme").await;
    server.clock.advance(301);
    let vp = present(&server, &did, &holder, &credential, &old_nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges/withdraw",
        json!({"nonce": old_nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(
        (status, error_code(&body)),
        (400, "invalid_nonce"),
        "{body}"
    );
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges/withdraw",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(server.app.directory.store().len(table).unwrap(), 1);
}

#[tokio::test]
async fn a_revoked_badge_page_shows_the_revocation() {
    let server = start().await;
    let (holder, credential) = issued(&server, "acme", LDP).await;
    let did = holder.did_key().as_str().to_owned();
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp, "display_name": "Ada"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let url = body["url"].as_str().unwrap().to_owned();
    let (_, html, _) = get_page(&server, &url).await;
    assert!(html.contains("data-valid=\"true\""), "{html}");
    // The status line is a real check now (the agent's own list), not a skipped one.
    assert!(
        html.contains("data-outcome=\"passed\" data-check=\"status\""),
        "{html}"
    );

    // The institution revokes it: the page, verified at view time, says so.
    let admin = server.app.issuer.mint_admin_token("acme").unwrap();
    let (status, body) = server
        .post_json(
            "/issuers/acme/admin/credentials/status",
            &admin,
            json!({"credential_id": credential["id"], "action": "revoke", "reason": "test"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, html, _) = get_page(&server, &url).await;
    assert_eq!(status, 200);
    assert!(html.contains("data-valid=\"false\""), "{html}");
    assert!(
        html.contains("Not verified: the issuer revoked or suspended it"),
        "{html}"
    );
    assert!(html.to_lowercase().contains("revoked"), "{html}");
}

#[tokio::test]
async fn revoked_badge_page_withdrawn_by_its_holder() {
    // Withdrawing needed a badge that still verified: after a revocation the holder's name
    // stayed public (400 invalid_badge). Proof of holding is enough now.
    let server = start().await;
    let (holder, credential) = issued(&server, "acme", LDP).await;
    let did = holder.did_key().as_str().to_owned();
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp, "display_name": "Ada"}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let url = body["url"].as_str().unwrap().to_owned();
    let admin = server.app.issuer.mint_admin_token("acme").unwrap();
    let (status, body) = server
        .post_json(
            "/issuers/acme/admin/credentials/status",
            &admin,
            json!({"credential_id": credential["id"], "action": "revoke", "reason": "test"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Publishing it again is refused (it no longer verifies) ...
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_badge")),
        "{body}"
    );
    // A stranger presenting the revoked badge with their own key cannot take it down ...
    let stranger = holder_key();
    let stranger_did = stranger.did_key().as_str().to_owned();
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(
        &server,
        &stranger_did,
        &stranger,
        &credential,
        &nonce,
        &audience,
    );
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges/withdraw",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("not_the_holder")),
        "{body}"
    );
    let (status, _, _) = get_page(&server, &url).await;
    assert_eq!(status, 200);
    // ... but the holder can.
    let (nonce, audience) = challenge(&server, "acme").await;
    let vp = present(&server, &did, &holder, &credential, &nonce, &audience);
    let (status, body) = post(
        &server,
        "/issuers/acme/public-badges/withdraw",
        json!({"nonce": nonce, "presentation": vp}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (status, _, _) = get_page(&server, &url).await;
    assert_eq!(status, 404);
}

/// A loopback listener that counts the connections it accepts.
struct Listener {
    port: u16,
    accepted: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

fn counting_listener() -> Listener {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = std::sync::Arc::clone(&accepted);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if stream.is_ok() {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }
    });
    Listener { port, accepted }
}

/// A validly signed OB 3.0 credential (its own did:key) whose status list is at `url`.
fn signed_with_status_at(url: &str) -> String {
    let key = SigningKey::generate(rosette_did::KeyType::Ed25519, &mut rand::rngs::OsRng);
    let issuer = key.did_key();
    let learner = holder_key().did_key();
    let mut vc = serde_json::to_value(
        rosette_openbadges::demo_credential(&rosette_openbadges::DemoParams {
            issuer_did: issuer.as_str(),
            issuer_name: "Forger",
            subject_did: learner.as_str(),
            email: "x@example.org",
            salt: "salt",
            valid_from: "2026-01-01T00:00:00Z",
            uuid: "7d3c9e1a-2b4f-4c8d-9e6a-1f2b3c4d5e6f",
        })
        .unwrap(),
    )
    .unwrap();
    vc["credentialStatus"] = json!({
        "id": format!("{url}#5"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": "5",
        "statusListCredential": url,
    });
    let signer = rosette_proof::CredentialSigner::did_key(Canonicalizer::bundled(), key);
    let signed = signer
        .sign(
            &vc,
            rosette_proof::CredentialFormat::LdpVc,
            rosette_core::Timestamp::from_unix(1_800_000_000).unwrap(),
        )
        .unwrap();
    match signed {
        rosette_proof::SignedCredential::Json(v) => v.to_string(),
        rosette_proof::SignedCredential::Jwt(jwt) => jwt,
    }
}

#[tokio::test]
async fn verify_page_status_list_points_at_loopback() {
    // POST /verify (no sign-in) with a credential whose statusListCredential named a loopback
    // port made the agent connect there and echo what it answered (a port scanner). Every
    // spelling of an internal address is refused now, and the listener sees no connection.
    let server = start().await;
    let listener = counting_listener();
    let p = listener.port;
    for url in [
        format!("https://127.0.0.1:{p}/x"),
        format!("http://127.0.0.1:{p}/x"),
        format!("https://localhost:{p}/x"),
        format!("https://2130706433:{p}/x"),
        format!("https://0x7f000001:{p}/x"),
        format!("https://0177.0.0.1:{p}/x"),
        format!("https://127.1:{p}/x"),
        format!("https://0.0.0.0:{p}/x"),
        format!("https://[::1]:{p}/x"),
        format!("https://[::ffff:127.0.0.1]:{p}/x"),
        format!("https://169.254.169.254:{p}/latest/meta-data"),
    ] {
        let credential = signed_with_status_at(&url);
        let (status, html) = verify_upload(&server, None, &credential).await;
        assert_eq!(status, 200, "{url}: {html}");
        assert!(html.contains("data-check=\"status\""), "{url}: {html}");
        assert!(
            !html.contains("404") && !html.contains("Connection refused"),
            "{url}: {html}"
        );
    }
    // A forged credential (its proof fails) has its status URL ignored altogether.
    let mut forged: Value =
        serde_json::from_str(&signed_with_status_at(&format!("https://127.0.0.1:{p}/y"))).unwrap();
    forged["name"] = json!("Forged name");
    let (_, html) = verify_upload(&server, None, &forged.to_string()).await;
    assert!(html.contains("proof did not verify"), "{html}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        listener.accepted.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the agent connected to the loopback listener"
    );
}
