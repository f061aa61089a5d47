//! The institution console over HTTP (no browser): sign-in, session cookie, CSRF, isolation
//! between institutions, session end, and junk input.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, ORIGIN, SET_COOKIE};
use serde_json::{Value, json};

use crate::common::*;

/// A signed-in browser: its session cookie and the CSRF token of its pages.
struct Staff {
    cookie: String,
    csrf: String,
}

const FORM: &str = "application/x-www-form-urlencoded";

fn encode(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn login_response(server: &TestServer, slug: &str, token: &str) -> reqwest::Response {
    no_redirects()
        .post(format!("{}/console/login", server.url))
        .header(CONTENT_TYPE, FORM)
        .body(encode(&[("slug", slug), ("token", token)]))
        .send()
        .await
        .unwrap()
}

/// Signs in and reads the CSRF token off the dashboard.
async fn login(server: &TestServer, slug: &str, token: &str) -> Staff {
    let r = login_response(server, slug, token).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], format!("/console/{slug}").as_str());
    let set = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let cookie = set.split(';').next().unwrap().to_owned();
    let html = get_page(server, &cookie, &format!("/console/{slug}"))
        .await
        .1;
    Staff {
        cookie,
        csrf: csrf_of(&html),
    }
}

fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

async fn get_page(server: &TestServer, cookie: &str, path: &str) -> (StatusCode, String) {
    let r = no_redirects()
        .get(format!("{}{path}", server.url))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.as_u16() < 500, "{path}: {status}: {text}");
    (status, text)
}

async fn post_form(
    server: &TestServer,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let r = no_redirects()
        .post(format!("{}{path}", server.url))
        .header(COOKIE, cookie)
        .header(CONTENT_TYPE, FORM)
        .body(encode(fields))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.as_u16() < 500, "{path}: {status}: {text}");
    (status, text)
}

/// [`post_form`], then the page its 303 points at (post-redirect-get): the page's status and
/// HTML. Anything but a 303 is returned as it came.
async fn post_and_follow(
    server: &TestServer,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (StatusCode, String) {
    let r = no_redirects()
        .post(format!("{}{path}", server.url))
        .header(COOKIE, cookie)
        .header(CONTENT_TYPE, FORM)
        .body(encode(fields))
        .send()
        .await
        .unwrap();
    if r.status() != StatusCode::SEE_OTHER {
        let status = r.status();
        return (status, r.text().await.unwrap());
    }
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    get_page(server, cookie, &location).await
}

#[tokio::test]
async fn console_login_with_wrong_token_is_refused() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    server.institution("uni-b").await;
    for (slug, token) in [
        ("uni-a", "not-a-token"),
        ("uni-a", ""),
        ("uni-b", token.as_str()),
        ("no-such", OPERATOR),
        ("", token.as_str()),
    ] {
        let r = login_response(&server, slug, token).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{slug}");
        assert!(r.headers().get(SET_COOKIE).is_none(), "{slug}");
        let html = r.text().await.unwrap();
        assert!(html.contains("do not match"), "{html}");
    }
    assert_eq!(
        server
            .app
            .directory
            .store()
            .len(rosette_storage::Table::new("console_sessions"))
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn console_session_cookie_flags() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let r = login_response(&server, "uni-a", &token).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let set = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let value = set
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("rosette_console=")
        .unwrap();
    // 32 random bytes, base64url without padding.
    assert_eq!(value.len(), 43, "{set}");
    let flags: Vec<&str> = set.split(';').skip(1).map(str::trim).collect();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(flags.contains(&flag), "{flag} missing: {set}");
    }
    // Plain-HTTP public URL: no Secure flag (the browser would drop the cookie).
    assert!(!flags.contains(&"Secure"), "{set}");
    // The session id is not what is stored: the key is its SHA-256.
    let rows = server
        .app
        .directory
        .store()
        .scan_prefix(
            rosette_storage::Table::new("console_sessions"),
            b"",
            None,
            10,
        )
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        !rows[0]
            .0
            .windows(value.len())
            .any(|w| w == value.as_bytes())
    );
    assert!(
        !rows[0]
            .1
            .windows(value.len())
            .any(|w| w == value.as_bytes())
    );
    // The operator token opens any institution.
    let staff = login(&server, "uni-a", OPERATOR).await;
    let (status, html) = get_page(&server, &staff.cookie, "/console/uni-a").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("operator"));
}

/// A 1x1 PNG.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

const BOUNDARY: &str = "----rosette-console-test";

/// A multipart body of text fields and (name, file name, bytes) files.
fn multipart(fields: &[(&str, &str)], files: &[(&str, &str, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, filename, bytes) in files {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_multipart(
    server: &TestServer,
    cookie: &str,
    path: &str,
    body: Vec<u8>,
) -> (StatusCode, String) {
    let r = no_redirects()
        .post(format!("{}{path}", server.url))
        .header(COOKIE, cookie)
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert!(status.as_u16() < 500, "{path}: {status}: {text}");
    (status, text)
}

/// Issues one credential from a fresh offer (API + protocol); returns its `id`.
async fn claimed_credential(server: &TestServer, slug: &str, token: &str) -> String {
    let achievement = server.achievement(slug, token).await;
    let offer = server.offer(slug, token, &achievement, json!({})).await;
    let access = server.access_token(slug, &offer).await;
    let nonce = server.nonce(slug).await;
    let jwt = proof(&holder_key(), &server.issuer(slug), &nonce, server.now());
    let (status, body) = server
        .credential_request(slug, &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!(status, 200, "{body}");
    body["credentials"][0]["credential"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn offer_count(server: &TestServer, slug: &str, token: &str) -> usize {
    let (status, body) = server
        .get_json(&format!("/issuers/{slug}/admin/offers"), token)
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().len()
}

async fn status_changes(server: &TestServer, slug: &str, token: &str) -> Vec<Value> {
    let (status, body) = server
        .get_json(&format!("/issuers/{slug}/admin/status/changes"), token)
        .await;
    assert_eq!(status, 200, "{body}");
    body["items"].as_array().unwrap().clone()
}

async fn achievement_names(server: &TestServer, slug: &str, token: &str) -> Vec<String> {
    let (status, body) = server
        .get_json(&format!("/issuers/{slug}/admin/achievements"), token)
        .await;
    assert_eq!(status, 200, "{body}");
    body["achievements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn console_unauthenticated_get_redirects_to_login() {
    let server = start().await;
    server.institution("uni-a").await;
    for cookie in ["", "rosette_console=forged-session-id", "other=1"] {
        for path in [
            "/console/uni-a",
            "/console/uni-a/credentials",
            "/console/no-such",
        ] {
            let r = no_redirects()
                .get(format!("{}{path}", server.url))
                .header(COOKIE, cookie)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path} {cookie}");
            assert_eq!(r.headers()[LOCATION], "/console/login");
        }
    }
    // The sign-in page itself is open, labelled and strict about scripts.
    let r = server
        .http
        .get(format!("{}/console/login", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let html = r.text().await.unwrap();
    assert!(html.contains("<label for=\"slug\"") && html.contains("<label for=\"token\""));
}

#[tokio::test]
async fn csrf_token_missing() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let achievement = server.achievement("uni-a", &token).await;
    let credential = claimed_credential(&server, "uni-a", &token).await;
    let staff = login(&server, "uni-a", &token).await;
    let offers = offer_count(&server, "uni-a", &token).await;
    let issue = [
        ("achievement_id", achievement.as_str()),
        ("name", "Grace Hopper"),
        ("pin", "1"),
    ];
    let (status, html) = post_form(&server, &staff.cookie, "/console/uni-a/issue", &issue).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{html}");
    assert!(html.contains("nothing was changed"));
    let mut empty = issue.to_vec();
    empty.push(("csrf", ""));
    let (status, _) = post_form(&server, &staff.cookie, "/console/uni-a/issue", &empty).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let revoke = [
        ("credential_id", credential.as_str()),
        ("action", "revoke"),
        ("reason", "no token"),
    ];
    let (status, _) = post_form(
        &server,
        &staff.cookie,
        "/console/uni-a/credentials/action",
        &revoke,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_multipart(
        &server,
        &staff.cookie,
        "/console/uni-a/achievements/new",
        multipart(
            &[
                ("name", "No token"),
                ("description", "d"),
                ("narrative", "n"),
            ],
            &[],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_form(&server, &staff.cookie, "/console/logout", &[]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nothing changed.
    assert_eq!(offer_count(&server, "uni-a", &token).await, offers);
    assert!(status_changes(&server, "uni-a", &token).await.is_empty());
    assert!(
        !achievement_names(&server, "uni-a", &token)
            .await
            .contains(&"No token".to_owned())
    );
    // The session still works, and with the token the same form goes through.
    let mut with = issue.to_vec();
    with.push(("csrf", &staff.csrf));
    let (status, html) = post_form(&server, &staff.cookie, "/console/uni-a/issue", &with).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(offer_count(&server, "uni-a", &token).await, offers + 1);
}

#[tokio::test]
async fn csrf_token_of_another_session() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let achievement = server.achievement("uni-a", &token).await;
    let credential = claimed_credential(&server, "uni-a", &token).await;
    let first = login(&server, "uni-a", &token).await;
    let second = login(&server, "uni-a", &token).await;
    assert_ne!(first.csrf, second.csrf);
    assert_ne!(first.cookie, second.cookie);
    let offers = offer_count(&server, "uni-a", &token).await;
    let (status, _) = post_form(
        &server,
        &first.cookie,
        "/console/uni-a/issue",
        &[
            ("csrf", &second.csrf),
            ("achievement_id", &achievement),
            ("name", "Grace Hopper"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = post_form(
        &server,
        &first.cookie,
        "/console/uni-a/credentials/action",
        &[
            ("csrf", &second.csrf),
            ("credential_id", &credential),
            ("action", "revoke"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // A token of the same length but one character off.
    let mut off = first.csrf.clone().into_bytes();
    off[0] = if off[0] == b'a' { b'b' } else { b'a' };
    let off = String::from_utf8(off).unwrap();
    let (status, _) = post_form(
        &server,
        &first.cookie,
        "/console/uni-a/credentials/action",
        &[
            ("csrf", &off),
            ("credential_id", &credential),
            ("action", "revoke"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(offer_count(&server, "uni-a", &token).await, offers);
    assert!(status_changes(&server, "uni-a", &token).await.is_empty());
    // Each session's own token works in its own session.
    let (status, _) = post_form(
        &server,
        &second.cookie,
        "/console/uni-a/credentials/action",
        &[
            ("csrf", &second.csrf),
            ("credential_id", &credential),
            ("action", "revoke"),
            ("confirm", "yes"),
            ("reason", "right session"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let changes = status_changes(&server, "uni-a", &token).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0]["reason"], "right session");
}

#[tokio::test]
async fn cross_origin_form_post() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let achievement = server.achievement("uni-a", &token).await;
    let staff = login(&server, "uni-a", &token).await;
    let offers = offer_count(&server, "uni-a", &token).await;
    let fields = encode(&[
        ("csrf", &staff.csrf),
        ("achievement_id", &achievement),
        ("name", "Grace Hopper"),
    ]);
    let post = |origin: Option<&'static str>, site: Option<&'static str>| {
        let mut request = no_redirects()
            .post(format!("{}/console/uni-a/issue", server.url))
            .header(COOKIE, &staff.cookie)
            .header(CONTENT_TYPE, FORM)
            .body(fields.clone());
        if let Some(origin) = origin {
            request = request.header(ORIGIN, origin);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        request.send()
    };
    for (origin, site) in [
        (Some("https://evil.example"), None),
        (Some("https://evil.example"), Some("same-origin")),
        (Some("http://127.0.0.1:1"), None),
        (None, Some("cross-site")),
        (None, Some("same-site")),
        // A sandboxed or no-referrer page sends `null`: the fetch metadata decides.
        (Some("null"), Some("cross-site")),
    ] {
        let r = post(origin, site).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{origin:?} {site:?}");
    }
    // Sign-in from another site is refused too (no session to carry a token yet).
    let r = no_redirects()
        .post(format!("{}/console/login", server.url))
        .header(CONTENT_TYPE, FORM)
        .header(ORIGIN, "https://evil.example")
        .body(encode(&[("slug", "uni-a"), ("token", &token)]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers().get(SET_COOKIE).is_none());
    assert_eq!(offer_count(&server, "uni-a", &token).await, offers);
    // Our own origin, same-origin fetch metadata: accepted.
    let own: &'static str = Box::leak(server.url.clone().into_boxed_str());
    let r = post(Some(own), Some("same-origin")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(offer_count(&server, "uni-a", &token).await, offers + 1);
    // What Chromium sends from our own no-referrer pages: `Origin: null`, same-origin.
    let r = post(Some("null"), Some("same-origin")).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(offer_count(&server, "uni-a", &token).await, offers + 2);
}

#[tokio::test]
async fn console_of_another_institution() {
    let server = start().await;
    let token_a = server.institution("uni-a").await;
    let token_b = server.institution("uni-b").await;
    let achievement_b = server.achievement("uni-b", &token_b).await;
    let credential_b = claimed_credential(&server, "uni-b", &token_b).await;
    let offers_b = offer_count(&server, "uni-b", &token_b).await;
    let staff = login(&server, "uni-a", &token_a).await;
    // B's pages with A's session: 404, B's name nowhere.
    for path in [
        "/console/uni-b".to_owned(),
        "/console/uni-b/achievements".to_owned(),
        "/console/uni-b/achievements/new".to_owned(),
        format!("/console/uni-b/achievements/{achievement_b}/edit"),
        "/console/uni-b/issue".to_owned(),
        "/console/uni-b/credentials".to_owned(),
        format!("/console/uni-b/credentials?q={credential_b}"),
        "/console/uni-b/settings".to_owned(),
        "/console/no-such-uni".to_owned(),
    ] {
        let (status, html) = get_page(&server, &staff.cookie, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!html.contains("uni-b University"), "{path}");
    }
    // B's actions with A's session (and A's valid token): 404, nothing changed.
    let b_actions: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            "/console/uni-b/issue".into(),
            vec![("achievement_id", &achievement_b), ("name", "Mallory")],
        ),
        (
            "/console/uni-b/credentials/action".into(),
            vec![("credential_id", &credential_b), ("action", "revoke")],
        ),
        (
            "/console/uni-b/credentials/action".into(),
            vec![("credential_id", &credential_b), ("action", "reissue")],
        ),
        (
            format!("/console/uni-b/achievements/{achievement_b}/archive"),
            vec![],
        ),
        (
            "/console/uni-b/settings".into(),
            vec![("status_purpose", "suspension")],
        ),
    ];
    for (path, mut fields) in b_actions {
        fields.push(("csrf", &staff.csrf));
        let (status, _) = post_form(&server, &staff.cookie, &path, &fields).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    // B's ids through A's own console: not found either (every lookup is scoped to A).
    let (status, _) = get_page(
        &server,
        &staff.cookie,
        &format!("/console/uni-a/achievements/{achievement_b}/edit"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for action in ["revoke", "reissue"] {
        let (status, _) = post_form(
            &server,
            &staff.cookie,
            "/console/uni-a/credentials/action",
            &[
                ("csrf", &staff.csrf),
                ("credential_id", &credential_b),
                ("action", action),
            ],
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{action}");
    }
    let (status, _) = post_form(
        &server,
        &staff.cookie,
        "/console/uni-a/issue",
        &[
            ("csrf", &staff.csrf),
            ("achievement_id", &achievement_b),
            ("name", "Mallory"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, html) = get_page(
        &server,
        &staff.cookie,
        &format!("/console/uni-a/credentials?q={credential_b}"),
    )
    .await;
    assert!(html.contains("0 found"), "{html}");
    // Nothing of B changed.
    assert_eq!(offer_count(&server, "uni-b", &token_b).await, offers_b);
    assert!(status_changes(&server, "uni-b", &token_b).await.is_empty());
    let (_, purpose) = server
        .get_json("/issuers/uni-b/admin/status/settings", &token_b)
        .await;
    assert_eq!(purpose["status_purpose"], "revocation");
    let (_, list) = server
        .get_json("/issuers/uni-b/admin/achievements", &token_b)
        .await;
    assert_eq!(list["achievements"][0]["archived"], false);
    // B's admin API with A's token: refused, as before.
    for path in [
        "/issuers/uni-b/admin/achievements",
        "/issuers/uni-b/admin/offers",
        "/issuers/uni-b/admin/credentials",
    ] {
        let (status, _) = server.get_json(path, &token_a).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, _) = server
        .post_json(
            "/issuers/uni-b/admin/credentials/status",
            &token_a,
            json!({"credential_id": credential_b, "action": "revoke"}),
        )
        .await;
    assert_eq!(status, 403);
    // An operator session opens either console.
    let operator = login(&server, "uni-a", OPERATOR).await;
    let (status, html) = get_page(&server, &operator.cookie, "/console/uni-b").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("uni-b University"));
}

#[tokio::test]
async fn logout_ends_the_session() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let staff = login(&server, "uni-a", &token).await;
    let r = no_redirects()
        .post(format!("{}/console/logout", server.url))
        .header(COOKIE, &staff.cookie)
        .header(CONTENT_TYPE, FORM)
        .body(encode(&[("csrf", &staff.csrf)]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/console/login");
    let cleared = r.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with("rosette_console=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
    // The old cookie is worthless now.
    let (status, _) = get_page(&server, &staff.cookie, "/console/uni-a").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        server
            .app
            .directory
            .store()
            .len(rosette_storage::Table::new("console_sessions"))
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn idle_session_expires_and_redirects_to_login() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let staff = login(&server, "uni-a", &token).await;
    // Use keeps it alive: 7 h, a page, 7 h, a page.
    for _ in 0..2 {
        server.clock.advance(7 * 3600);
        let (status, _) = get_page(&server, &staff.cookie, "/console/uni-a").await;
        assert_eq!(status, StatusCode::OK);
    }
    // 8 h and a second idle: over.
    server.clock.advance(8 * 3600 + 1);
    let (status, _) = get_page(&server, &staff.cookie, "/console/uni-a/credentials").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (status, _) = get_page(&server, &staff.cookie, "/console/uni-a").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    // An expired session cannot post either.
    let (status, _) = post_form(
        &server,
        &staff.cookie,
        "/console/uni-a/settings",
        &[("csrf", &staff.csrf), ("status_purpose", "suspension")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, purpose) = server
        .get_json("/issuers/uni-a/admin/status/settings", &token)
        .await;
    assert_eq!(purpose["status_purpose"], "revocation");
    // Idle sessions nobody signed out of are dropped by later sign-ins.
    let sessions = || {
        server
            .app
            .directory
            .store()
            .len(rosette_storage::Table::new("console_sessions"))
            .unwrap()
    };
    for _ in 0..20 {
        login_response(&server, "uni-a", &token).await;
    }
    server.clock.advance(9 * 3600);
    let before = sessions();
    for _ in 0..20 {
        login_response(&server, "uni-a", &token).await;
    }
    assert!(sessions() < before + 20, "{} then {}", before, sessions());
}

#[tokio::test]
async fn console_flow_over_http() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let staff = login(&server, "uni-a", &token).await;
    // Create with an image and an alignment.
    let (status, html) = post_multipart(
        &server,
        &staff.cookie,
        "/console/uni-a/achievements/new",
        multipart(
            &[
                ("csrf", &staff.csrf),
                ("name", "Data Steward"),
                ("description", "Keeps research data tidy."),
                ("narrative", "Curated three data sets."),
                ("tags", "data, research"),
                ("achievement_type", "Badge"),
                ("validity_days", "365"),
                ("align_name", "Data management"),
                ("align_url", "https://example.org/skills/dm"),
                ("align_framework", "ESCO"),
                ("align_code", "S1.2"),
                ("align_name", ""),
                ("align_url", ""),
            ],
            &[("image", "badge.png", PNG)],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let (_, list) = server
        .get_json("/issuers/uni-a/admin/achievements", &token)
        .await;
    let a = &list["achievements"][0];
    assert_eq!(a["name"], "Data Steward");
    assert!(
        a["image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    assert_eq!(a["tags"], json!(["data", "research"]));
    assert_eq!(a["validity_days"], 365);
    assert_eq!(a["alignment"][0]["targetFramework"], "ESCO");
    assert_eq!(a["alignment"][0]["targetCode"], "S1.2");
    let id = a["id"].as_str().unwrap().to_owned();
    // Not an image: refused, the form comes back filled in.
    let (status, html) = post_multipart(
        &server,
        &staff.cookie,
        &format!("/console/uni-a/achievements/{id}/edit"),
        multipart(
            &[
                ("csrf", &staff.csrf),
                ("name", "Data Steward II"),
                ("description", "Keeps research data tidy."),
                ("narrative", "Curated three data sets."),
            ],
            &[("image", "x.gif", b"GIF89a....")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("PNG, JPEG or SVG") && html.contains("Data Steward II"));
    let big = vec![0x89u8; 300 * 1024];
    let (status, _) = post_multipart(
        &server,
        &staff.cookie,
        &format!("/console/uni-a/achievements/{id}/edit"),
        multipart(
            &[
                ("csrf", &staff.csrf),
                ("name", "x"),
                ("description", "d"),
                ("narrative", "n"),
            ],
            &[("image", "big.png", &big)],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Edit without a new image keeps the old one.
    let (status, _) = post_multipart(
        &server,
        &staff.cookie,
        &format!("/console/uni-a/achievements/{id}/edit"),
        multipart(
            &[
                ("csrf", &staff.csrf),
                ("name", "Data Steward"),
                ("description", "Keeps research data tidy and findable."),
                ("narrative", "Curated three data sets."),
            ],
            &[("image", "", b"")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, list) = server
        .get_json("/issuers/uni-a/admin/achievements", &token)
        .await;
    assert_eq!(
        list["achievements"][0]["description"],
        "Keeps research data tidy and findable."
    );
    assert!(
        list["achievements"][0]["image"]
            .as_str()
            .unwrap()
            .starts_with("data:image/png")
    );
    let (_, html) = get_page(&server, &staff.cookie, "/console/uni-a/achievements").await;
    assert!(html.contains("Data Steward") && html.contains("aria-current=\"page\""));
    // Issue to one learner: the result page (after a redirect, so a reload does not post
    // again) has the QR, the links and the PIN.
    let (status, html) = post_and_follow(
        &server,
        &staff.cookie,
        "/console/uni-a/issue",
        &[
            ("csrf", &staff.csrf),
            ("achievement_id", &id),
            ("name", "Grace Hopper"),
            ("email", "grace@example.org"),
            ("pin", "1"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("hand this over separately") || html.contains("Hand this over separately")
    );
    let pin_at = html.find("id=\"pin\">").unwrap() + 9;
    let pin = &html[pin_at..pin_at + 6];
    assert!(pin.bytes().all(|b| b.is_ascii_digit()), "{pin}");
    assert!(html.contains("/qr.svg\""));
    let (_, offers) = server.get_json("/issuers/uni-a/admin/offers", &token).await;
    let offer_id = offers["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(html.contains(&format!("/issuers/uni-a/claim/{offer_id}")));
    // Claim it over the protocol with the PIN the page showed.
    let offer_url = {
        let marker = "id=\"offer-link\" class=\"mono\" href=\"";
        let at = html.find(marker).unwrap() + marker.len();
        html[at..].split('"').next().unwrap().replace("&amp;", "&")
    };
    let offer = json!({"offer_url": offer_url, "tx_code": pin});
    let access = server.access_token("uni-a", &offer).await;
    let nonce = server.nonce("uni-a").await;
    let jwt = proof(&holder_key(), &server.issuer("uni-a"), &nonce, server.now());
    let (status, body) = server
        .credential_request("uni-a", &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!(status, 200, "{body}");
    let credential = body["credentials"][0]["credential"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The table shows it claimed; search by name, e-mail and id; filter by state.
    for q in ["grace", "grace@example.org", credential.as_str()] {
        let (_, html) = get_page(
            &server,
            &staff.cookie,
            &format!(
                "/console/uni-a/credentials?q={}",
                encode(&[("", q)]).trim_start_matches('=')
            ),
        )
        .await;
        assert!(html.contains("1 found"), "{q}: {html}");
        assert!(html.contains("data-state=\"claimed\""), "{q}");
    }
    let (_, html) = get_page(
        &server,
        &staff.cookie,
        "/console/uni-a/credentials?state=offered",
    )
    .await;
    assert!(html.contains("0 found"));
    // Revoke: first the question (nothing changes), then, confirmed, with a reason; back to
    // the whole list with a notice.
    let (status, html) = post_form(
        &server,
        &staff.cookie,
        "/console/uni-a/credentials/action",
        &[
            ("csrf", &staff.csrf),
            ("credential_id", &credential),
            ("action", "revoke"),
            ("reason", "issued in error"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Revoke this credential?") && html.contains("Grace Hopper"));
    assert!(html.contains("value=\"issued in error\""), "{html}");
    assert!(status_changes(&server, "uni-a", &token).await.is_empty());
    let (status, html) = post_and_follow(
        &server,
        &staff.cookie,
        "/console/uni-a/credentials/action",
        &[
            ("csrf", &staff.csrf),
            ("credential_id", &credential),
            ("action", "revoke"),
            ("confirm", "yes"),
            ("reason", "issued in error"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("The credential was revoked."), "{html}");
    let (_, html) = get_page(
        &server,
        &staff.cookie,
        "/console/uni-a/credentials?state=revoked",
    )
    .await;
    assert!(
        html.contains("1 found") && html.contains("issued in error"),
        "{html}"
    );
    let changes = status_changes(&server, "uni-a", &token).await;
    assert_eq!(changes[0]["action"], "revoke");
    assert_eq!(changes[0]["credential_id"], credential.as_str());
    // Revoked cannot be suspended (no form shown) and a revoke again is a clear refusal.
    let (status, _) = post_form(
        &server,
        &staff.cookie,
        "/console/uni-a/credentials/action",
        &[
            ("csrf", &staff.csrf),
            ("credential_id", &credential),
            ("action", "revoke"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Re-issue: a new offer for the same recipient, with its own PIN.
    let (status, html) = post_and_follow(
        &server,
        &staff.cookie,
        "/console/uni-a/credentials/action",
        &[
            ("csrf", &staff.csrf),
            ("credential_id", &credential),
            ("action", "reissue"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Re-issue offer created") && html.contains("Grace Hopper"));
    // Settings: switch new credentials to suspension.
    let (status, _) = post_form(
        &server,
        &staff.cookie,
        "/console/uni-a/settings",
        &[("csrf", &staff.csrf), ("status_purpose", "suspension")],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, purpose) = server
        .get_json("/issuers/uni-a/admin/status/settings", &token)
        .await;
    assert_eq!(purpose["status_purpose"], "suspension");
    let (_, html) = get_page(&server, &staff.cookie, "/console/uni-a/settings").await;
    assert!(html.contains("did:key:z6Mk") && !html.contains("Saved"));
    // Dashboard figures.
    let (_, html) = get_page(&server, &staff.cookie, "/console/uni-a").await;
    let figure = |id: &str| {
        let at = html.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
        html[at..].split('<').next().unwrap().to_owned()
    };
    assert_eq!(figure("count-achievements"), "1");
    assert_eq!(figure("count-offers"), "2");
    assert_eq!(figure("count-claimed"), "1");
    assert_eq!(figure("count-revoked"), "1");
    assert_eq!(figure("count-verifications"), "0");
    assert_eq!(html.matches("<th scope=\"row\">").count(), 14);
    // Archive: gone from the issue form.
    let (status, _) = post_form(
        &server,
        &staff.cookie,
        &format!("/console/uni-a/achievements/{id}/archive"),
        &[("csrf", &staff.csrf)],
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = get_page(&server, &staff.cookie, "/console/uni-a/issue").await;
    assert!(html.contains("no active achievement"));
}

#[tokio::test]
async fn console_junk_input_never_500s() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let achievement = server.achievement("uni-a", &token).await;
    let staff = login(&server, "uni-a", &token).await;
    let long = "x".repeat(20_000);
    for path in [
        "/console/uni-a/achievements/%00%ff/edit".to_owned(),
        format!("/console/uni-a/achievements/{long}/edit"),
        "/console/uni-a/achievements/..%2F..%2Funi-b/edit".to_owned(),
        "/console/uni-a/credentials?page=-1&state=bogus&q=%ff%fe".to_owned(),
        "/console/uni-a/credentials?page=99999999999999999999999".to_owned(),
        format!("/console/uni-a/credentials?q={}", "y".repeat(5000)),
        "/console/uni-a/settings?saved=%%%".to_owned(),
        "/console/UNI-A".to_owned(),
        "/console/uni-a/nothing-here".to_owned(),
        "/console/uni-a/achievements/x/y/z".to_owned(),
        "/console/%ff/credentials".to_owned(),
    ] {
        let (status, html) = get_page(&server, &staff.cookie, &path).await;
        assert!([200, 404].contains(&status.as_u16()), "{path}: {status}");
        if status == StatusCode::NOT_FOUND {
            assert!(html.contains("<h1>Not found</h1>"), "{path}: {html}");
        }
    }
    let posts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/console/uni-a/issue",
            vec![("achievement_id", "nope"), ("name", "A")],
        ),
        (
            "/console/uni-a/issue",
            vec![("achievement_id", &achievement), ("name", &long)],
        ),
        (
            "/console/uni-a/issue",
            vec![("achievement_id", &achievement), ("name", " ")],
        ),
        (
            "/console/uni-a/issue",
            vec![
                ("achievement_id", &achievement),
                ("name", "A"),
                ("email", "not-an-email"),
            ],
        ),
        (
            "/console/uni-a/credentials/action",
            vec![("credential_id", "urn:uuid:nope"), ("action", "revoke")],
        ),
        (
            "/console/uni-a/credentials/action",
            vec![("credential_id", "x"), ("action", "explode")],
        ),
        (
            "/console/uni-a/credentials/action",
            vec![
                ("credential_id", "x"),
                ("action", "suspend"),
                ("reason", &long),
            ],
        ),
        ("/console/uni-a/credentials/action", vec![]),
        ("/console/uni-a/settings", vec![("status_purpose", "chaos")]),
        ("/console/uni-a/achievements/nope/archive", vec![]),
        (
            "/console/uni-a/achievements/new",
            vec![("name", "only a name")],
        ),
        (
            "/console/uni-a/achievements/new",
            vec![
                ("name", "A"),
                ("description", "d"),
                ("narrative", "n"),
                ("validity_days", "-5"),
            ],
        ),
        (
            "/console/uni-a/achievements/new",
            vec![
                ("name", "A"),
                ("description", "d"),
                ("narrative", "n"),
                ("align_name", "no url"),
            ],
        ),
        (
            "/console/uni-a/achievements/new",
            vec![
                ("name", "A"),
                ("description", "d"),
                ("criteria_url", "not a url"),
            ],
        ),
        (
            "/console/uni-a/achievements/new",
            vec![
                ("name", "A"),
                ("description", "d"),
                ("narrative", "n"),
                ("achievement_type", "Bogus"),
            ],
        ),
    ];
    for (path, mut fields) in posts {
        fields.push(("csrf", &staff.csrf));
        let (status, html) = post_form(&server, &staff.cookie, path, &fields).await;
        assert!(
            [400, 404, 409, 413].contains(&status.as_u16()),
            "{path} {fields:?}: {status}: {html}"
        );
    }
    // Wrong content types, broken multipart, an oversized body.
    for (content_type, body) in [
        ("application/json", b"{\"csrf\": \"x\"}".to_vec()),
        ("text/plain", b"hello".to_vec()),
        ("multipart/form-data", b"--x\r\n".to_vec()),
        (
            "multipart/form-data; boundary=zz",
            b"--zz\r\nno header end".to_vec(),
        ),
        ("application/x-www-form-urlencoded", vec![b'a'; 500 * 1024]),
        (
            "application/x-www-form-urlencoded",
            b"csrf=%ff%fe&name=%00".to_vec(),
        ),
    ] {
        for path in [
            "/console/uni-a/issue",
            "/console/uni-a/achievements/new",
            "/console/login",
        ] {
            let r = no_redirects()
                .post(format!("{}{path}", server.url))
                .header(COOKIE, &staff.cookie)
                .header(CONTENT_TYPE, content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            assert!(
                [400, 401, 403, 413, 415].contains(&status),
                "{path} {content_type}: {status}"
            );
        }
    }
    // Still only the one achievement; nothing issued.
    assert_eq!(achievement_names(&server, "uni-a", &token).await.len(), 1);
    assert_eq!(offer_count(&server, "uni-a", &token).await, 0);
}

/// How long the console's heaviest pages take with 1,000 offers (500 claimed): printed, and
/// bounded generously so a quadratic slip fails. Measure with
/// `cargo test -p rosette-agent --test it console_pages_at_scale -- --nocapture`.
#[tokio::test]
async fn console_pages_at_scale() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let achievement = server.achievement("uni-a", &token).await;
    let mut offers = Vec::new();
    for i in 0..1000 {
        let service = std::sync::Arc::clone(&server.app.issuer);
        let achievement = achievement.clone();
        let offer = tokio::task::spawn_blocking(move || {
            service
                .create_offer(
                    "uni-a",
                    serde_json::from_value(json!({
                        "achievement_id": achievement,
                        "recipient": {"name": format!("Learner {i:04}"), "email": format!("l{i}@example.org")},
                        "pin": false
                    }))
                    .unwrap(),
                )
                .unwrap()
        })
        .await
        .unwrap();
        offers.push(offer);
    }
    for offer in offers.iter().take(500) {
        let object = json!({"offer_url": offer.offer_url});
        let access = server.access_token("uni-a", &object).await;
        let nonce = server.nonce("uni-a").await;
        let jwt = proof(&holder_key(), &server.issuer("uni-a"), &nonce, server.now());
        let (status, body) = server
            .credential_request("uni-a", &access, request(LDP, vec![jwt]))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let staff = login(&server, "uni-a", &token).await;
    for path in [
        "/console/uni-a",
        "/console/uni-a/credentials",
        "/console/uni-a/credentials?q=Learner%200999",
        "/console/uni-a/credentials?q=l7%40example.org",
        "/console/uni-a/credentials?state=claimed&page=20",
    ] {
        let mut best = std::time::Duration::MAX;
        for _ in 0..3 {
            let started = std::time::Instant::now();
            let (status, html) = get_page(&server, &staff.cookie, path).await;
            best = best.min(started.elapsed());
            assert_eq!(status, StatusCode::OK, "{path}");
            assert!(html.contains("</html>"));
        }
        println!("{path}: {:.1} ms (best of 3)", best.as_secs_f64() * 1000.0);
        assert!(best < std::time::Duration::from_secs(3), "{path}: {best:?}");
    }
    let (_, html) = get_page(
        &server,
        &staff.cookie,
        "/console/uni-a/credentials?q=l7%40example.org",
    )
    .await;
    assert!(
        html.contains("1 found") && html.contains("Learner 0007"),
        "{html}"
    );
    let (_, html) = get_page(
        &server,
        &staff.cookie,
        "/console/uni-a/credentials?state=claimed",
    )
    .await;
    assert!(html.contains("500 found") && html.contains("Page 1 of 20"));
}

async fn act(
    server: &TestServer,
    staff: &Staff,
    credential: &str,
    action: &str,
) -> (StatusCode, String) {
    let reason = format!("console test: {action}");
    post_form(
        server,
        &staff.cookie,
        "/console/uni-a/credentials/action",
        &[
            ("csrf", &staff.csrf),
            ("credential_id", credential),
            ("action", action),
            ("reason", &reason),
        ],
    )
    .await
}

#[tokio::test]
async fn console_suspend_and_reinstate() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let (status, _) = server
        .http
        .put(format!(
            "{}/issuers/uni-a/admin/status/settings",
            server.url
        ))
        .bearer_auth(&token)
        .json(&json!({"status_purpose": "suspension"}))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    let credential = claimed_credential(&server, "uni-a", &token).await;
    let staff = login(&server, "uni-a", &token).await;
    let row = |html: &str| {
        let at = html
            .find(&format!("data-credential=\"{credential}\""))
            .unwrap();
        html[at..].split("</tr>").next().unwrap().to_owned()
    };
    let path = format!("/console/uni-a/credentials?q={credential}");
    let (_, html) = get_page(&server, &staff.cookie, &path).await;
    let line = row(&html);
    assert!(line.contains("value=\"suspend\"") && line.contains("value=\"revoke\""));
    assert!(!line.contains("value=\"reinstate\""));
    let (status, _) = act(&server, &staff, &credential, "suspend").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = get_page(&server, &staff.cookie, &path).await;
    let line = row(&html);
    assert!(line.contains("data-state=\"suspended\"") && line.contains("value=\"reinstate\""));
    assert!(line.contains("console test: suspend"));
    let (status, _) = act(&server, &staff, &credential, "reinstate").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, html) = get_page(&server, &staff.cookie, &path).await;
    assert!(row(&html).contains("data-state=\"claimed\""));
    let (_, html) = get_page(&server, &staff.cookie, &format!("{path}&notice=reinstated")).await;
    assert!(html.contains("The credential was reinstated."));
    // Both changes are logged (the fixed clock gives them the same second, so no order).
    let mut actions: Vec<String> = status_changes(&server, "uni-a", &token)
        .await
        .iter()
        .map(|c| c["action"].as_str().unwrap().to_owned())
        .collect();
    actions.sort();
    assert_eq!(actions, ["reinstate", "suspend"]);
    // Reinstating an active credential: the status service's refusal, as a page.
    let (status, html) = act(&server, &staff, &credential, "reinstate").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("not suspended"), "{html}");
}

async fn issuer_display_name(server: &TestServer, slug: &str) -> String {
    let metadata: Value = reqwest::get(format!(
        "{}/.well-known/openid-credential-issuer/issuers/{slug}",
        server.url
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    metadata["display"][0]["name"]
        .as_str()
        .expect("display name in the issuer metadata")
        .to_owned()
}

/// The settings page changes the institution's display: the issuer metadata (served from the
/// agent's institution cache) shows the new name at once; a bad logo or URL is refused with
/// the form shown again; without the CSRF token nothing changes; another institution's staff
/// cannot change it, through the console or the admin API.
#[tokio::test]
async fn console_settings_change_the_institution_display() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let other = server.institution("uni-b").await;
    let before = issuer_display_name(&server, "uni-a").await;
    let staff = login(&server, "uni-a", &token).await;
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"8\" height=\"8\"/>";

    let (status, _) = post_multipart(
        &server,
        &staff.cookie,
        "/console/uni-a/settings/display",
        multipart(&[("name", "No token")], &[]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(issuer_display_name(&server, "uni-a").await, before);

    let (status, html) = post_multipart(
        &server,
        &staff.cookie,
        "/console/uni-a/settings/display",
        multipart(
            &[
                ("csrf", &staff.csrf),
                ("name", "Harbour College of Arts"),
                ("url", "javascript:alert(1)"),
            ],
            &[],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains("url must be an https:// or http:// URL"));
    let (status, html) = post_multipart(
        &server,
        &staff.cookie,
        "/console/uni-a/settings/display",
        multipart(
            &[("csrf", &staff.csrf), ("name", "Harbour College of Arts")],
            &[("logo", "logo.txt", b"not an image")],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    assert_eq!(issuer_display_name(&server, "uni-a").await, before);

    let (status, html) = post_multipart(
        &server,
        &staff.cookie,
        "/console/uni-a/settings/display",
        multipart(
            &[
                ("csrf", &staff.csrf),
                ("name", "Harbour College of Arts"),
                ("url", "https://harbour.example"),
            ],
            &[("logo", "logo.svg", svg)],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert_eq!(
        issuer_display_name(&server, "uni-a").await,
        "Harbour College of Arts"
    );
    let (_, page) = get_page(&server, &staff.cookie, "/console/uni-a/settings").await;
    assert!(page.contains("value=\"Harbour College of Arts\""));
    assert!(page.contains("data:image/svg+xml;base64,"));

    // Another institution: its console session cannot post here, its token cannot use the API.
    let staff_b = login(&server, "uni-b", &other).await;
    let (status, _) = post_multipart(
        &server,
        &staff_b.cookie,
        "/console/uni-a/settings/display",
        multipart(&[("csrf", &staff_b.csrf), ("name", "Taken over")], &[]),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let r = reqwest::Client::new()
        .put(format!("{}/issuers/uni-a/admin/institution", server.url))
        .bearer_auth(&other)
        .json(&json!({"name": "Taken over"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Its own token can, through the API.
    let r = reqwest::Client::new()
        .put(format!("{}/issuers/uni-a/admin/institution", server.url))
        .bearer_auth(&token)
        .json(&json!({"name": "Harbour College", "logo": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["logo"], Value::Null);
    assert_eq!(
        issuer_display_name(&server, "uni-a").await,
        "Harbour College"
    );
}

/// Starts a bulk job through the admin API and waits for its end; the job id.
async fn bulk_job(server: &TestServer, slug: &str, token: &str, csv: &str) -> String {
    let r = server
        .http
        .post(format!("{}/admin/offers/bulk-jobs", server.issuer(slug)))
        .bearer_auth(token)
        .header(CONTENT_TYPE, "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let (status, started) = status_json(r).await;
    assert_eq!(status, 202, "{started}");
    let id = started["job_id"].as_str().unwrap().to_owned();
    loop {
        let (_, p) = server
            .get_json(
                &format!("/issuers/{slug}/admin/offers/bulk-jobs/{id}"),
                token,
            )
            .await;
        if p["done"] == true {
            return id;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// The handouts CSV of a job as rows of fields (no field of these tests is quoted).
async fn handouts_csv(server: &TestServer, staff: &Staff, path: &str) -> Vec<Vec<String>> {
    let r = no_redirects()
        .get(format!("{}{path}", server.url))
        .header(COOKIE, &staff.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{path}: {:?}", r.headers());
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let text = r.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("line,name,state,claim_page,offer_url,pin,qr_svg,expires_at")
    );
    lines
        .map(|l| l.split(',').map(str::to_owned).collect())
        .collect()
}

#[tokio::test]
async fn bulk_handouts_by_key_survive_a_restart_and_close_with_their_offers() {
    use rosette_storage::{RedbStore, Store};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let clock = fixed_clock();
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(dir.path().join("store.redb")).unwrap());
    let server = start_with(store, clock.clone()).await;
    let token = server.institution("uni-a").await;
    let id = server.achievement("uni-a", &token).await;
    // The bulk page's own example: the achievement by its key ("Rust Practitioner").
    let csv = format!(
        "name,email,achievement_id,pin\nAda Lovelace,ada@example.org,rust-practitioner,true\n\
         Alan Turing,,{id},false\nNo One,,rust-pracitioner,true\n"
    );
    let job = bulk_job(&server, "uni-a", &token, &csv).await;
    let (_, report) = server
        .get_json(
            &format!("/issuers/uni-a/admin/offers/bulk-jobs/{job}"),
            &token,
        )
        .await;
    assert_eq!(report["created_count"], 2, "{report}");
    assert_eq!(
        report["errors"][0]["message"],
        "achievement \"rust-pracitioner\" not found: use an id or key shown on the Achievements page"
    );
    server.app.directory.flush().unwrap();
    server.stop().await;

    // After a restart the report, the handouts and their PINs are still there.
    let store: Arc<dyn Store> = Arc::new(RedbStore::open(dir.path().join("store.redb")).unwrap());
    let server = start_with(store, clock.clone()).await;
    let staff = login(&server, "uni-a", &token).await;
    let (status, html) = get_page(
        &server,
        &staff.cookie,
        &format!("/console/uni-a/bulk/{job}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("2 offers created; 1 row refused."), "{html}");
    assert!(html.contains("rust-pracitioner"), "{html}");
    let (_, html) = get_page(&server, &staff.cookie, "/console/uni-a/bulk").await;
    assert!(
        html.contains(&format!("/console/uni-a/bulk/{job}")),
        "{html}"
    );
    assert!(html.contains(",rust-practitioner,true"), "{html}");
    let path = format!("/console/uni-a/bulk/{job}/handouts.csv");
    let rows = handouts_csv(&server, &staff, &path).await;
    assert_eq!(rows.len(), 2);
    let (ada, alan) = (&rows[0], &rows[1]);
    assert_eq!(
        (ada[0].as_str(), ada[1].as_str(), ada[2].as_str()),
        ("2", "Ada Lovelace", "offered")
    );
    assert_eq!(ada[5].len(), 6, "{ada:?}");
    assert!(ada[4].starts_with("openid-credential-offer://"), "{ada:?}");
    assert!(ada[6].ends_with("/qr.svg"));
    assert_eq!(alan[5], "", "no PIN asked, none given");
    let (status, page) = get_page(
        &server,
        &staff.cookie,
        &format!("/console/uni-a/bulk/{job}/handouts"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page.matches("<article class=\"handout\"").count(), 2);
    assert!(page.contains(&ada[5]) && page.contains("data:image/svg+xml;base64,"));

    // The PIN the handout gives works: the learner claims.
    let offer = json!({"offer_url": ada[4], "tx_code": ada[5]});
    let access = server.access_token("uni-a", &offer).await;
    let nonce = server.nonce("uni-a").await;
    let jwt = proof(&holder_key(), &server.issuer("uni-a"), &nonce, server.now());
    let (status, body) = server
        .credential_request("uni-a", &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!(status, 200, "{body}");
    // Claimed: its handout keeps the name and state, no longer the link or PIN.
    let rows = handouts_csv(&server, &staff, &path).await;
    assert_eq!(rows[0][2], "claimed");
    assert_eq!((rows[0][4].as_str(), rows[0][5].as_str()), ("", ""));
    // Past the offers' lifetime every handout is closed.
    clock.advance(8 * 86_400);
    // (The console session has ended too, after 8 idle hours: sign in again.)
    let staff = login(&server, "uni-a", &token).await;
    let rows = handouts_csv(&server, &staff, &path).await;
    assert_eq!(rows[1][2], "expired");
    assert!(
        rows.iter().all(|r| r[4].is_empty() && r[5].is_empty()),
        "{rows:?}"
    );
    // Another institution's console does not see the job.
    let other = server.institution("uni-b").await;
    let staff_b = login(&server, "uni-b", &other).await;
    let (status, _) = get_page(
        &server,
        &staff_b.cookie,
        &format!("/console/uni-b/bulk/{job}/handouts.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The expired offer gets a new one, to the same learner, with a fresh PIN.
    let expired = alan[3].rsplit('/').next().unwrap().to_owned();
    let (status, html) = post_and_follow(
        &server,
        &staff.cookie,
        "/console/uni-a/credentials/action",
        &[
            ("csrf", &staff.csrf),
            ("offer_id", &expired),
            ("action", "renew"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("A new offer was created") && html.contains("Alan Turing"),
        "{html}"
    );
    assert!(html.contains("id=\"offer-link\""), "{html}");
    // A claimed offer is not renewed.
    let claimed = ada[3].rsplit('/').next().unwrap().to_owned();
    let (status, html) = post_form(
        &server,
        &staff.cookie,
        "/console/uni-a/credentials/action",
        &[
            ("csrf", &staff.csrf),
            ("offer_id", &claimed),
            ("action", "renew"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    assert!(html.contains(&claimed), "{html}");
}

#[tokio::test]
async fn achievements_show_key_and_id_and_give_a_csv_template() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let id = server.achievement("uni-a", &token).await;
    let staff = login(&server, "uni-a", &token).await;
    let (_, html) = get_page(&server, &staff.cookie, "/console/uni-a/achievements").await;
    assert!(html.contains(">rust-practitioner</code>") && html.contains(&format!(">{id}</code>")));
    let r = no_redirects()
        .get(format!(
            "{}/console/uni-a/achievements/{id}/template.csv",
            server.url
        ))
        .header(COOKIE, &staff.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(
        text.starts_with("name,email,achievement_id,pin\r\n"),
        "{text}"
    );
    assert!(text.contains(",rust-practitioner,true"), "{text}");
    let (status, _) = get_page(
        &server,
        &staff.cookie,
        "/console/uni-a/achievements/nope/template.csv",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn operator_page_creates_an_institution_and_refuses_bad_input_readably() {
    let server = start().await;
    server.institution("taken").await;
    let create = |fields: Vec<(&'static str, String)>| {
        let server = &server;
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let r = no_redirects()
                .post(format!("{}/console/login/new-institution", server.url))
                .header(CONTENT_TYPE, FORM)
                .body(encode(&fields))
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let op = OPERATOR.to_owned();
    for (slug, name, token, status, says) in [
        (
            "new-one",
            "New One",
            "an-admin-guess",
            StatusCode::UNAUTHORIZED,
            "not the operator token",
        ),
        (
            "Not Valid!",
            "New One",
            OPERATOR,
            StatusCode::BAD_REQUEST,
            "lowercase letters, digits and hyphens",
        ),
        (
            "new-one",
            " ",
            OPERATOR,
            StatusCode::BAD_REQUEST,
            "name must not be empty",
        ),
        (
            "taken",
            "Taken Again",
            OPERATOR,
            StatusCode::CONFLICT,
            "already exists",
        ),
    ] {
        let (got, html) = create(vec![
            ("slug", slug.to_owned()),
            ("name", name.to_owned()),
            ("operator_token", token.to_owned()),
        ])
        .await;
        assert_eq!(got, status, "{slug}: {html}");
        assert!(html.contains(says), "{slug}: {html}");
        // The form comes back filled in, never with the token.
        assert!(html.contains("id=\"new-institution-form\""), "{html}");
        assert!(!html.contains(OPERATOR), "{html}");
    }
    let (got, html) = create(vec![
        ("slug", "new-one".into()),
        ("name", "New One".into()),
        ("url", "https://new-one.example.edu".into()),
        ("operator_token", op),
    ])
    .await;
    assert_eq!(got, StatusCode::CREATED, "{html}");
    let token = html
        .split("id=\"admin-token\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the admin token is shown")
        .to_owned();
    // The token shown signs in to the new console.
    let staff = login(&server, "new-one", &token).await;
    let (status, html) = get_page(&server, &staff.cookie, "/console/new-one").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("New One"), "{html}");
    // The sign-in page leads operators here.
    let html = reqwest::get(format!("{}/console/login", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("href=\"/console/login/new-institution\""),
        "{html}"
    );
}

#[tokio::test]
async fn console_admin_tokens_create_show_once_replace_and_revoke() {
    let server = start().await;
    let token = server.institution("uni-a").await;
    let staff = login(&server, "uni-a", &token).await;
    let (status, html) = get_page(&server, &staff.cookie, "/console/uni-a/tokens").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("created with the institution"), "{html}");
    assert!(!html.contains(&token), "a stored token is shown");
    // Create: shown once, in the answer.
    let (status, html) = post_form(
        &server,
        &staff.cookie,
        "/console/uni-a/tokens",
        &[
            ("csrf", &staff.csrf),
            ("action", "create"),
            ("name", "nightly import"),
            ("expires_in_days", "30"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let made = html
        .split("id=\"token-value\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the new token is shown")
        .to_owned();
    assert!(made.starts_with("rosette_at_"), "{made}");
    assert_eq!(
        server
            .get_json("/issuers/uni-a/admin/achievements", &made)
            .await
            .0,
        200
    );
    let (_, html) = get_page(&server, &staff.cookie, "/console/uni-a/tokens").await;
    assert!(!html.contains(&made), "shown again");
    assert!(html.contains("nightly import"), "{html}");
    // Bad input: a readable refusal, nothing made.
    let (status, html) = post_form(
        &server,
        &staff.cookie,
        "/console/uni-a/tokens",
        &[
            ("csrf", &staff.csrf),
            ("action", "create"),
            ("expires_in_days", "99999"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{html}");
    assert!(
        html.contains("expires_in_days must be between 1 and 3650"),
        "{html}"
    );
    // Revoke the new one: it stops working.
    let listed = server
        .get_json("/issuers/uni-a/admin/tokens", &token)
        .await
        .1;
    let id = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "nightly import")
        .and_then(|t| t["id"].as_str())
        .unwrap()
        .to_owned();
    let (status, _) = post_and_follow(
        &server,
        &staff.cookie,
        "/console/uni-a/tokens",
        &[("csrf", &staff.csrf), ("action", "revoke"), ("id", &id)],
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        server
            .get_json("/issuers/uni-a/admin/achievements", &made)
            .await
            .0,
        401
    );
    // Without the CSRF token nothing changes.
    let (status, _) = post_form(
        &server,
        &staff.cookie,
        "/console/uni-a/tokens",
        &[("action", "create")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}
