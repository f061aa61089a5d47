//! The hostile-request suite (issue 15): malformed, oversized, mistyped, unauthenticated and
//! cross-tenant requests against every route family — issuer protocol, admin API, console,
//! status lists, public pages, `/verify`, verifier. Each case asserts the status code (from the
//! family's expected set) and, for JSON answers, that the error code is one of the family's spec
//! codes; no answer may be a 5xx, every request must get an answer (a panicking handler
//! drops the connection), and no thread of the agent may panic (a panic hook records them).

use reqwest::Method;
use serde_json::{Value, json};

use crate::common::*;

/// One request of the suite and what may come back.
struct Case {
    method: Method,
    path: String,
    token: Option<String>,
    content_type: &'static str,
    body: Vec<u8>,
    statuses: &'static [u16],
    codes: &'static [&'static str],
}

/// Error codes of the OpenID4VCI endpoints (RFC 6749 §5.2 and OpenID4VCI 1.0 §8.3.1).
const OID4VCI: &[&str] = &[
    "invalid_request",
    "invalid_grant",
    "unsupported_grant_type",
    "invalid_client",
    "invalid_token",
    "invalid_credential_request",
    "unknown_credential_configuration",
    "unknown_credential_identifier",
    "invalid_proof",
    "invalid_nonce",
    "credential_request_denied",
    "invalid_notification_id",
    "invalid_notification_request",
    "not_found",
    "too_many_requests",
];
/// Error codes of the admin API.
const ADMIN: &[&str] = &[
    "invalid_request",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "invalid_token",
];
/// Error codes of the public badge API.
const PUBLIC: &[&str] = &[
    "invalid_request",
    "invalid_nonce",
    "proof_of_holding_required",
    "invalid_binding",
    "invalid_proof_of_holding",
    "not_the_holder",
    "invalid_badge",
    "not_our_badge",
    "not_published",
    "not_found",
];
/// Error codes of the verifier (OpenID4VP 1.0 §8.5 and ours).
const VERIFIER: &[&str] = &[
    "invalid_request",
    "invalid_request_object",
    "access_denied",
    "not_found",
    "invalid_token",
    "unauthorized",
    "forbidden",
];

/// JSON bodies that are wrong in every way a hand or a fuzzer makes them.
fn bad_json_bodies() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = [
        "",
        "{",
        "null",
        "[]",
        "[1,2,3]",
        "\"string\"",
        "42",
        "{\"name\": 5}",
        "{\"name\": null, \"description\": []}",
        "{\"a\": {\"b\": {\"c\": {\"d\": {\"e\": {\"f\": 1}}}}}}",
        "{\"name\": \"\\u0000\"}",
        "{\"name\": \"x\", \"validity_days\": -1}",
        "{\"name\": \"x\", \"validity_days\": 1e309}",
        "{\"name\": \"x\", \"validity_days\": 18446744073709551616}",
        "{\"achievement_id\": \"../../etc/passwd\"}",
        "{\"credential_id\": \"urn:uuid:nope\", \"action\": \"explode\"}",
        "\u{feff}{}",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    bodies.push(vec![0xff, 0xfe, 0x00, 0x80]);
    bodies.push(format!("{{\"name\": \"{}\"}}", "x".repeat(70_000)).into_bytes());
    bodies
}

/// Form bodies for the token endpoint and console forms.
fn bad_form_bodies() -> Vec<Vec<u8>> {
    [
        "",
        "grant_type=",
        "grant_type=password&username=a&password=b",
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code",
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=nope",
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code=nope&tx_code=%F0%9F%98%80",
        "grant_type=a&grant_type=b",
        "%zz=%zz",
        "pre-authorized_code=\u{0000}",
        "a=b&&&&=c",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

/// Path segments that are not what a route expects.
fn bad_segments() -> Vec<String> {
    [
        "nope",
        "..",
        "%2e%2e",
        "%00",
        "a%2Fb",
        "UPPER",
        "x".repeat(300).as_str(),
        "%F0%9F%98%80",
        "-1",
        "99999999999999999999",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

fn case(
    method: Method,
    path: impl Into<String>,
    token: Option<&str>,
    content_type: &'static str,
    body: Vec<u8>,
    statuses: &'static [u16],
    codes: &'static [&'static str],
) -> Case {
    Case {
        method,
        path: path.into(),
        token: token.map(str::to_owned),
        content_type,
        body,
        statuses,
        codes,
    }
}

/// Panics on the suite's own runtime threads (named [`AGENT_THREADS`]): the agent runs
/// in-process there, so any handler or background task that panics shows up here even when
/// its request still got an answer. Other tests' threads are not counted.
const AGENT_THREADS: &str = "hostile-agent";

fn record_agent_panics() -> std::sync::Arc<std::sync::Mutex<Vec<String>>> {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with(AGENT_THREADS))
        {
            record.lock().unwrap().push(info.to_string());
        }
        previous(info);
    }));
    seen
}

#[test]
fn hostile_requests_on_every_route_family_get_clear_answers() {
    let panics = record_agent_panics();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(AGENT_THREADS)
        .enable_all()
        .build()
        .unwrap()
        .block_on(hostile_suite());
    let panics = panics.lock().unwrap();
    assert!(
        panics.is_empty(),
        "the agent panicked:\n{}",
        panics.join("\n")
    );
}

async fn hostile_suite() {
    let server = start().await;
    let (admin, _) = server.setup("acme").await;
    let other = server.institution("beta").await;
    let achievement = server.achievement("acme", &admin).await;
    let access = server
        .access_token(
            "acme",
            &server.offer("acme", &admin, &achievement, json!({})).await,
        )
        .await;
    let mut cases = Vec::new();
    const JSON: &str = "application/json";
    const FORM: &str = "application/x-www-form-urlencoded";

    // ---- issuer protocol
    for body in bad_form_bodies() {
        cases.push(case(
            Method::POST,
            "/issuers/acme/token",
            None,
            FORM,
            body,
            &[400],
            OID4VCI,
        ));
    }
    for body in bad_json_bodies() {
        cases.push(case(
            Method::POST,
            "/issuers/acme/credential",
            Some(&access),
            JSON,
            body.clone(),
            &[400, 413],
            OID4VCI,
        ));
        cases.push(case(
            Method::POST,
            "/issuers/acme/credential",
            None,
            JSON,
            body.clone(),
            &[400, 401, 413],
            OID4VCI,
        ));
        cases.push(case(
            Method::POST,
            "/issuers/acme/notification",
            Some(&access),
            JSON,
            body,
            &[400, 413],
            OID4VCI,
        ));
    }
    for bad_token in ["", "Bearer", "nope", "rosette_at_forged", &admin] {
        cases.push(case(
            Method::POST,
            "/issuers/acme/credential",
            Some(bad_token),
            JSON,
            b"{}".to_vec(),
            &[400, 401],
            OID4VCI,
        ));
    }
    for seg in bad_segments() {
        cases.push(case(
            Method::GET,
            format!("/issuers/{seg}/.well-known/openid-credential-issuer"),
            None,
            JSON,
            Vec::new(),
            &[400, 404],
            OID4VCI,
        ));
        cases.push(case(
            Method::GET,
            format!("/.well-known/openid-credential-issuer/issuers/{seg}"),
            None,
            JSON,
            Vec::new(),
            &[400, 404],
            OID4VCI,
        ));
        cases.push(case(
            Method::GET,
            format!("/issuers/acme/offers/{seg}"),
            None,
            JSON,
            Vec::new(),
            &[400, 404, 410],
            OID4VCI,
        ));
        cases.push(case(
            Method::GET,
            format!("/issuers/acme/claim/{seg}"),
            None,
            JSON,
            Vec::new(),
            &[400, 404],
            OID4VCI,
        ));
        cases.push(case(
            Method::POST,
            format!("/issuers/{seg}/token"),
            None,
            FORM,
            b"grant_type=x".to_vec(),
            &[400, 404],
            OID4VCI,
        ));
        cases.push(case(
            Method::GET,
            format!("/issuers/{seg}/did.json"),
            None,
            JSON,
            Vec::new(),
            &[400, 404],
            OID4VCI,
        ));
    }

    // ---- admin API: every body on every write route, and every wrong caller
    let writes: [(Method, String); 6] = [
        (Method::POST, "/issuers/acme/admin/achievements".into()),
        (
            Method::PUT,
            format!("/issuers/acme/admin/achievements/{achievement}"),
        ),
        (Method::POST, "/issuers/acme/admin/offers".into()),
        (
            Method::POST,
            "/issuers/acme/admin/credentials/status".into(),
        ),
        (Method::PUT, "/issuers/acme/admin/institution".into()),
        (Method::POST, "/issuers/acme/admin/tokens".into()),
    ];
    for (method, path) in &writes {
        // A token needs nothing but the call: `{}` and an empty body make one (201).
        let statuses: &'static [u16] = if path.ends_with("/tokens") {
            &[201, 400, 413]
        } else {
            &[400, 404, 413]
        };
        for body in bad_json_bodies() {
            cases.push(case(
                method.clone(),
                path.clone(),
                Some(&admin),
                JSON,
                body,
                statuses,
                ADMIN,
            ));
        }
        for token in [None, Some("nope"), Some(other.as_str())] {
            cases.push(case(
                method.clone(),
                path.clone(),
                token,
                JSON,
                b"{}".to_vec(),
                &[400, 401, 403],
                ADMIN,
            ));
        }
    }
    cases.push(case(
        Method::POST,
        "/admin/institutions",
        Some(&admin),
        JSON,
        b"{\"slug\":\"x\",\"name\":\"X\"}".to_vec(),
        &[403],
        ADMIN,
    ));
    for body in bad_json_bodies() {
        cases.push(case(
            Method::POST,
            "/admin/institutions",
            Some(OPERATOR),
            JSON,
            body,
            &[400, 413],
            ADMIN,
        ));
    }
    for seg in bad_segments() {
        cases.push(case(
            Method::GET,
            format!("/issuers/{seg}/admin/achievements"),
            Some(OPERATOR),
            JSON,
            Vec::new(),
            &[400, 404],
            ADMIN,
        ));
        cases.push(case(
            Method::DELETE,
            format!("/issuers/acme/admin/tokens/{seg}"),
            Some(&admin),
            JSON,
            Vec::new(),
            &[400, 404],
            ADMIN,
        ));
        cases.push(case(
            Method::POST,
            format!("/issuers/acme/admin/credentials/{seg}/reissue"),
            Some(&admin),
            JSON,
            b"{}".to_vec(),
            &[400, 404],
            ADMIN,
        ));
        cases.push(case(
            Method::GET,
            format!("/issuers/acme/admin/offers?limit={seg}"),
            Some(&admin),
            JSON,
            Vec::new(),
            &[200, 400],
            ADMIN,
        ));
    }

    // ---- status lists
    for seg in bad_segments() {
        cases.push(case(
            Method::GET,
            format!("/issuers/acme/status/{seg}/1"),
            None,
            JSON,
            Vec::new(),
            &[400, 404],
            ADMIN,
        ));
        cases.push(case(
            Method::GET,
            format!("/issuers/acme/status/revocation/{seg}"),
            None,
            JSON,
            Vec::new(),
            &[400, 404],
            ADMIN,
        ));
    }

    // ---- public pages and the publish API
    for body in bad_json_bodies() {
        cases.push(case(
            Method::POST,
            "/issuers/acme/public-badges",
            None,
            JSON,
            body.clone(),
            &[400, 401, 413],
            PUBLIC,
        ));
        cases.push(case(
            Method::POST,
            "/issuers/acme/public-badges/withdraw",
            None,
            JSON,
            body,
            &[400, 401, 413],
            PUBLIC,
        ));
    }
    for seg in bad_segments() {
        cases.push(case(
            Method::GET,
            format!("/issuers/acme/badges/{seg}"),
            None,
            JSON,
            Vec::new(),
            &[400, 404],
            PUBLIC,
        ));
        cases.push(case(
            Method::GET,
            format!("/issuers/acme/badges/{seg}/image"),
            None,
            JSON,
            Vec::new(),
            &[400, 404],
            PUBLIC,
        ));
        cases.push(case(
            Method::POST,
            format!("/issuers/{seg}/public-badges/challenge"),
            None,
            JSON,
            Vec::new(),
            &[400, 404],
            PUBLIC,
        ));
    }

    // ---- /verify: anything uploaded is answered with a verdict or a reason
    for body in bad_json_bodies() {
        cases.push(case(
            Method::POST,
            "/verify",
            None,
            "text/plain",
            body.clone(),
            &[200, 400, 413, 415],
            PUBLIC,
        ));
        let mut multipart =
            b"--b\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n".to_vec();
        multipart.extend_from_slice(&body);
        multipart.extend_from_slice(b"\r\n--b--\r\n");
        cases.push(case(
            Method::POST,
            "/verify",
            None,
            "multipart/form-data; boundary=b",
            multipart,
            &[200, 400, 413],
            PUBLIC,
        ));
    }
    for junk in [
        &b"\x89PNG\r\n\x1a\nnot a png"[..],
        b"<svg><script>alert(1)</script></svg>",
        b"a.b.c",
        b"--b\r\n",
    ] {
        cases.push(case(
            Method::POST,
            "/verify",
            None,
            "multipart/form-data; boundary=b",
            junk.to_vec(),
            &[200, 400],
            PUBLIC,
        ));
    }

    // ---- verifier
    for body in bad_form_bodies() {
        cases.push(case(
            Method::POST,
            "/verifiers/acme/response",
            None,
            FORM,
            body,
            &[400, 404],
            VERIFIER,
        ));
    }
    for body in bad_json_bodies() {
        // `{}` is a valid request (any badge, any issuer): 201.
        cases.push(case(
            Method::POST,
            "/verifiers/acme/admin/presentation-requests",
            Some(&admin),
            JSON,
            body.clone(),
            &[201, 400, 404, 413],
            VERIFIER,
        ));
        cases.push(case(
            Method::POST,
            "/verifiers/acme/admin/templates",
            Some(&admin),
            JSON,
            body,
            &[400, 404, 413],
            VERIFIER,
        ));
    }
    for seg in bad_segments() {
        cases.push(case(
            Method::GET,
            format!("/verifiers/acme/requests/{seg}"),
            None,
            JSON,
            Vec::new(),
            &[400, 404],
            VERIFIER,
        ));
        cases.push(case(
            Method::GET,
            format!("/verifiers/acme/transactions/{seg}"),
            None,
            JSON,
            Vec::new(),
            &[400, 404],
            VERIFIER,
        ));
        cases.push(case(
            Method::GET,
            format!("/verifiers/{seg}/new"),
            None,
            JSON,
            Vec::new(),
            &[200, 400, 404],
            VERIFIER,
        ));
        cases.push(case(
            Method::GET,
            format!("/verifiers/acme/present/{seg}"),
            None,
            JSON,
            Vec::new(),
            &[200, 400, 404],
            VERIFIER,
        ));
    }

    // ---- console: no session, no CSRF, junk sign-ins
    for seg in bad_segments() {
        cases.push(case(
            Method::GET,
            format!("/console/{seg}"),
            None,
            JSON,
            Vec::new(),
            &[303, 400, 404],
            ADMIN,
        ));
        cases.push(case(
            Method::GET,
            format!("/console/acme/{seg}"),
            None,
            JSON,
            Vec::new(),
            &[303, 400, 404],
            ADMIN,
        ));
    }
    for body in bad_form_bodies() {
        cases.push(case(
            Method::POST,
            "/console/login",
            None,
            FORM,
            body.clone(),
            &[400, 401],
            ADMIN,
        ));
        cases.push(case(
            Method::POST,
            "/console/login/new-institution",
            None,
            FORM,
            body.clone(),
            &[400, 401],
            ADMIN,
        ));
        cases.push(case(
            Method::POST,
            "/console/acme/achievements/new",
            None,
            FORM,
            body,
            &[303, 400, 403],
            ADMIN,
        ));
    }

    assert!(cases.len() >= 300, "{} cases", cases.len());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut wrong = Vec::new();
    for c in &cases {
        let mut request = client
            .request(c.method.clone(), format!("{}{}", server.url, c.path))
            .header("content-type", c.content_type)
            .header("origin", &server.url)
            .body(c.body.clone());
        if let Some(token) = &c.token {
            request = request.bearer_auth(token);
        }
        let label = format!(
            "{} {} ({} bytes)",
            c.method,
            c.path.chars().take(80).collect::<String>(),
            c.body.len()
        );
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                wrong.push(format!("{label}: no answer ({e})"));
                continue;
            }
        };
        let status = response.status().as_u16();
        let is_json = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let text = response.text().await.unwrap_or_default();
        if status >= 500 || !c.statuses.contains(&status) {
            wrong.push(format!(
                "{label}: {status} {}",
                text.chars().take(200).collect::<String>()
            ));
            continue;
        }
        if is_json && status >= 400 {
            let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            let code = body["error"].as_str().unwrap_or("<none>");
            if !c.codes.contains(&code) {
                wrong.push(format!("{label}: {status} with error code {code:?}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} hostile requests got a wrong answer:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
