//! Helpers shared by the issuer test binaries: admin API calls that must succeed, the oid4vc-ts
//! wallet, and reading claimed credentials. Failures panic with the agent's answer (test code).

#![allow(dead_code, unreachable_pub)] // each test binary uses a different subset

use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rosette_tests::agent::{Agent, Client, Response};
use rosette_tests::bins::{self, Binaries};
use rosette_tests::interop::{Harness, Pending, Run, Script};
use serde_json::{Value, json};

pub mod browser;

pub fn harness() -> Harness {
    Harness::locate().unwrap_or_else(|e| panic!("{e}"))
}

pub fn binaries() -> &'static Binaries {
    bins::binaries().unwrap_or_else(|e| panic!("cannot build the CLI binaries: {e}"))
}

pub fn start(data: &Path, demo: bool) -> Agent {
    Agent::start(&binaries().agent, data, demo).unwrap_or_else(|e| panic!("{e}"))
}

pub fn operator(agent: &Agent) -> Client {
    let token = agent.operator_token().unwrap_or_else(|e| panic!("{e}"));
    Client::new(agent.url(), Some(&token))
}

pub fn expect(
    res: Result<Response, rosette_tests::agent::AgentError>,
    status: u16,
    what: &str,
) -> Value {
    let res = res.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(res.status, status, "{what}: {} {}", res.status, res.body);
    res.body
}

pub fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string {key:?} in {v}"))
}

/// A created institution.
#[derive(Debug, Clone)]
pub struct Institution {
    pub slug: String,
    pub did: String,
    pub issuer: String,
    pub admin_token: String,
}

impl Institution {
    /// `/issuers/<slug>`.
    pub fn base(&self) -> String {
        format!("/issuers/{}", self.slug)
    }
}

pub fn create_institution(op: &Client, slug: &str, name: &str) -> Institution {
    let body = expect(
        op.post_json(
            "/admin/institutions",
            &json!({"slug": slug, "name": name, "url": "https://college.example.org", "did_method": "key"}),
        ),
        201,
        "POST /admin/institutions",
    );
    assert_eq!(str_field(&body, "slug"), slug, "{body}");
    assert_eq!(str_field(&body, "name"), name, "{body}");
    Institution {
        slug: slug.to_owned(),
        did: str_field(&body, "did").to_owned(),
        issuer: str_field(&body, "issuer").to_owned(),
        admin_token: str_field(&body, "admin_token").to_owned(),
    }
}

pub fn create_achievement(admin: &Client, slug: &str, name: &str) -> String {
    let body = expect(
        admin.post_json(
            &format!("/issuers/{slug}/admin/achievements"),
            &json!({
                "name": name,
                "description": format!("Awarded for completing {name}."),
                "criteria": {"narrative": "Pass the final assessment with at least 60%."},
                "tags": ["rosette-test", "interop"],
                "achievement_type": "Course",
            }),
        ),
        201,
        "POST achievements",
    );
    str_field(&body, "id").to_owned()
}

pub fn create_offer(
    admin: &Client,
    slug: &str,
    achievement_id: &str,
    pin: bool,
    who: &str,
) -> Value {
    let body = expect(
        admin.post_json(
            &format!("/issuers/{slug}/admin/offers"),
            &json!({
                "achievement_id": achievement_id,
                "recipient": {"name": who, "email": format!("{}@example.org", who.to_lowercase().replace(' ', "."))},
                "pin": pin,
            }),
        ),
        201,
        "POST offers",
    );
    assert_eq!(str_field(&body, "state"), "offered", "{body}");
    for key in [
        "id",
        "offer_url",
        "offer_url_by_value",
        "claim_page",
        "qr_svg",
        "qr_png",
        "expires_at",
    ] {
        assert!(body.get(key).is_some(), "offer lacks {key}: {body}");
    }
    assert_eq!(
        body.get("tx_code").is_some_and(|t| !t.is_null()),
        pin,
        "tx_code iff pin: {body}"
    );
    body
}

/// Starts the oid4vc-ts wallet on `offer_url` writing credentials to `out`.
pub fn spawn_wallet(h: &Harness, offer_url: &str, tx_code: Option<&str>, out: &Path) -> Pending {
    let mut args = vec![
        "--offer".to_owned(),
        offer_url.to_owned(),
        "--allow-http".to_owned(),
        "--out".to_owned(),
        out.to_str().expect("UTF-8 temp path").to_owned(),
    ];
    if let Some(pin) = tx_code {
        args.extend(["--tx-code".to_owned(), pin.to_owned()]);
    }
    h.spawn(Script::Oid4vciWallet, &args, &[] as &[&Path])
        .unwrap_or_else(|e| panic!("{e}"))
}

/// A finished claim: the wallet's holder DID and the credential files it wrote.
#[derive(Debug, Clone)]
pub struct Claim {
    pub holder: String,
    pub files: Vec<PathBuf>,
    pub run: Run,
}

pub fn claimed(run: Run) -> Claim {
    assert!(run.passed(), "wallet failed: {run}");
    let holder = str_field(&run.report, "holder").to_owned();
    let files = run
        .report
        .get("credentials")
        .and_then(Value::as_array)
        .map(|c| {
            c.iter()
                .filter_map(|c| c.get("file").and_then(Value::as_str).map(PathBuf::from))
                .collect()
        })
        .unwrap_or_default();
    Claim { holder, files, run }
}

/// The credential in a wallet output file: the JSON document, or a JWT's payload.
pub fn credential_of(file: &Path) -> (Value, Option<Value>) {
    let text = std::fs::read_to_string(file).expect("read credential file");
    if file.extension().is_some_and(|e| e == "jwt") {
        let payload = text.trim().split('.').nth(1).expect("compact JWS");
        let payload: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url"))
                .expect("JSON payload");
        let vc = payload
            .get("vc")
            .cloned()
            .unwrap_or_else(|| payload.clone());
        (vc, Some(payload))
    } else {
        (serde_json::from_str(&text).expect("credential JSON"), None)
    }
}

pub fn subject_id(vc: &Value) -> Option<&str> {
    let subject = vc.get("credentialSubject")?;
    let subject = subject
        .as_array()
        .and_then(|a| a.first())
        .unwrap_or(subject);
    subject.get("id")?.as_str()
}

pub fn issuer_id(vc: &Value) -> Option<&str> {
    let issuer = vc.get("issuer")?;
    issuer.as_str().or_else(|| issuer.get("id")?.as_str())
}

/// The `openid-credential-offer://` URL of the same-device link on a claim page (HTML), if any.
pub fn offer_url_on_claim_page(html: &str) -> Option<String> {
    let start = html.find("openid-credential-offer://")?;
    let rest = html.get(start..)?;
    let end = rest.find(['"', '\'', '<', ' '])?;
    let raw = rest.get(..end)?;
    Some(
        raw.replace("&amp;", "&")
            .replace("&#x3D;", "=")
            .replace("&#61;", "=")
            .replace("&quot;", "\"")
            .replace("&#39;", "'")
            .replace("&#x27;", "'"),
    )
}

/// GETs a claim page (must answer 200) and returns the offer URL it links to.
pub fn offer_url_via_claim_page(anon: &Client, claim_page: &str) -> String {
    let page = anon.get(claim_page).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(page.status, 200, "claim page {claim_page}: {}", page.body);
    let html = page.body.as_str().unwrap_or_default();
    offer_url_on_claim_page(html).unwrap_or_else(|| {
        panic!("claim page {claim_page} has no openid-credential-offer:// link:\n{html}")
    })
}
