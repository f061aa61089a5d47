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
            .service
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
        .service
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
