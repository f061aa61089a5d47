//! The issuer agent (`rosette-agent serve`) against an independent OpenID4VCI wallet (oid4vc-ts
//! `@openid4vc/openid4vci` 0.4.6, `tests/interop/oid4vci-wallet.mjs`): every kind of offer the
//! contract promises is claimed for two institutions, and every credential then passes the
//! independent verifiers (Digital Bazaar + DCC for ldp_vc, jose + did-jwt-vc for VC-JWT, the
//! 1EdTech schemas) with the wallet's holder DID as its subject.
//!
//! Needs Node.js >= 20 and `scripts/interop-install.sh`; without them every test fails with that hint.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use rosette_tests::agent::{Client, offer_uri_of, offer_value_of};
use rosette_tests::interop::Script;
use serde_json::{Value, json};
use support::*;
use tempfile::TempDir;

/// One claim to make: which institution, which offer URL, which PIN.
struct Case {
    label: String,
    institution_did: String,
    offer_id: Option<String>,
    offer_url: String,
    tx_code: Option<String>,
}

fn check_metadata(anon: &Client, agent_url: &str, slug: &str) {
    let issuer = format!("{agent_url}/issuers/{slug}");
    for path in [
        format!("/.well-known/openid-credential-issuer/issuers/{slug}"),
        format!("/issuers/{slug}/.well-known/openid-credential-issuer"),
    ] {
        let md = expect(anon.get(&path), 200, &path);
        assert_eq!(str_field(&md, "credential_issuer"), issuer, "{path}: {md}");
        let configs = md
            .get("credential_configurations_supported")
            .and_then(Value::as_object)
            .unwrap_or_else(|| panic!("{path}: no configurations: {md}"));
        for (id, format) in [
            ("OpenBadgeCredential_ldp_vc", "ldp_vc"),
            ("OpenBadgeCredential_jwt_vc_json", "jwt_vc_json"),
        ] {
            let c = configs
                .get(id)
                .unwrap_or_else(|| panic!("{path}: no {id}: {md}"));
            assert_eq!(str_field(c, "format"), format, "{path} {id}");
            assert!(
                c.get("credential_metadata").is_some(),
                "{path} {id} lacks credential_metadata"
            );
        }
        let sigs = |id: &str| configs[id]["credential_signing_alg_values_supported"].to_string();
        assert!(
            sigs("OpenBadgeCredential_ldp_vc").contains("eddsa-rdfc-2022"),
            "{md}"
        );
        assert!(
            sigs("OpenBadgeCredential_jwt_vc_json").contains("EdDSA"),
            "{md}"
        );
    }
    for path in [
        format!("/.well-known/oauth-authorization-server/issuers/{slug}"),
        format!("/issuers/{slug}/.well-known/oauth-authorization-server"),
    ] {
        let md = expect(anon.get(&path), 200, &path);
        assert!(
            md.get("token_endpoint").and_then(Value::as_str).is_some(),
            "{path}: {md}"
        );
    }
}

#[test]
fn oid4vc_ts_wallet_claims_every_offer_kind_for_two_institutions_and_verifiers_accept() {
    let h = harness();
    let data = TempDir::new().expect("tempdir");
    let agent = start(data.path(), true);
    let ready = agent.ready().clone();
    let anon = Client::new(agent.url(), None);
    let op = operator(&agent);

    assert_eq!(
        expect(anon.get("/health"), 200, "health"),
        json!({"status": "ok"})
    );
    // --demo adds the demo offer, its PIN and issuer to the ready line
    let demo_offer = ready
        .offer
        .clone()
        .unwrap_or_else(|| panic!("no offer in {}", ready.raw));
    let demo_pin = ready
        .tx_code
        .clone()
        .unwrap_or_else(|| panic!("no tx_code in {}", ready.raw));
    assert_eq!(
        ready.issuer.as_deref(),
        Some(format!("{}/issuers/demo", agent.url()).as_str())
    );
    assert!(
        demo_offer.starts_with("openid-credential-offer://"),
        "{demo_offer}"
    );
    assert!(
        offer_uri_of(&demo_offer).is_some(),
        "demo offer is not by reference: {demo_offer}"
    );

    // the operator lists the demo institution and creates a second one
    let list = expect(
        op.get_all_pages("/admin/institutions"),
        200,
        "GET /admin/institutions",
    );
    let list = list
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_else(|| panic!("institution list has no items array: {list}"));
    let demo = list
        .iter()
        .find(|i| i["slug"] == "demo")
        .unwrap_or_else(|| panic!("no demo in {list:?}"));
    assert_eq!(demo["name"], "Rosette Demo University");
    let demo_did = str_field(demo, "did").to_owned();
    let second = create_institution(&op, "second-college", "Second College of Testing");
    assert_eq!(
        second.issuer,
        format!("{}/issuers/second-college", agent.url())
    );
    assert!(second.did.starts_with("did:key:z6Mk"), "{}", second.did);
    assert_ne!(second.did, demo_did);
    // the same slug twice is a client error, not a second institution
    let dup = op
        .post_json(
            "/admin/institutions",
            &json!({"slug": "second-college", "name": "Again"}),
        )
        .expect("response");
    assert!(
        (400..500).contains(&dup.status),
        "duplicate slug: {} {}",
        dup.status,
        dup.body
    );
    // an institution's admin token is not an operator token
    let not_op = op
        .with_token(&second.admin_token)
        .get("/admin/institutions")
        .expect("response");
    assert!(
        matches!(not_op.status, 401 | 403),
        "admin token listed institutions: {}",
        not_op.status
    );

    check_metadata(&anon, agent.url(), "demo");
    check_metadata(&anon, agent.url(), "second-college");

    // offers for both institutions: PIN on/off x by reference/by value
    let mut cases = vec![Case {
        label: "demo offer from the ready line (reference, PIN)".into(),
        institution_did: demo_did.clone(),
        offer_id: None,
        offer_url: demo_offer,
        tx_code: Some(demo_pin),
    }];
    for (inst_did, slug, admin) in [
        (demo_did.clone(), "demo", op.clone()),
        (
            second.did.clone(),
            "second-college",
            op.with_token(&second.admin_token),
        ),
    ] {
        let achievement = create_achievement(&admin, slug, &format!("Interop Testing at {slug}"));
        for (pin, by_value) in [(true, false), (false, false), (true, true), (false, true)] {
            let who = format!("Learner {slug} {pin} {by_value}");
            let offer = create_offer(&admin, slug, &achievement, pin, &who);
            let url = str_field(
                &offer,
                if by_value {
                    "offer_url_by_value"
                } else {
                    "offer_url"
                },
            )
            .to_owned();
            if by_value {
                let inline = offer_value_of(&url).unwrap_or_else(|| panic!("not by value: {url}"));
                assert_eq!(
                    inline["credential_issuer"],
                    format!("{}/issuers/{slug}", agent.url())
                );
            } else {
                let uri = offer_uri_of(&url).unwrap_or_else(|| panic!("not by reference: {url}"));
                assert!(
                    uri.starts_with(&format!("{}/issuers/{slug}/offers/", agent.url())),
                    "{uri}"
                );
            }
            cases.push(Case {
                label: format!("{slug}: pin={pin} by_value={by_value}"),
                institution_did: inst_did.clone(),
                offer_id: Some(str_field(&offer, "id").to_owned()),
                offer_url: url,
                tx_code: offer
                    .get("tx_code")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
    }

    let out = TempDir::new().expect("tempdir");
    let pending: Vec<_> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let dir = out.path().join(format!("claim-{i}"));
            spawn_wallet(&h, &c.offer_url, c.tx_code.as_deref(), &dir)
        })
        .collect();
    let claims: Vec<Claim> = pending
        .into_iter()
        .zip(&cases)
        .map(|(p, c)| {
            let run = p.wait().unwrap_or_else(|e| panic!("{}: {e}", c.label));
            assert!(
                run.passed(),
                "{}: wallet failed: {run}\nagent stderr:\n{}",
                c.label,
                agent.stderr()
            );
            claimed(run)
        })
        .collect();

    let mut ldp: Vec<PathBuf> = Vec::new();
    let mut jwt: Vec<PathBuf> = Vec::new();
    let mut holders = BTreeSet::new();
    for (claim, case) in claims.iter().zip(&cases) {
        assert_eq!(
            claim.files.len(),
            2,
            "{}: one credential per format: {}",
            case.label,
            claim.run
        );
        holders.insert(claim.holder.clone());
        for file in &claim.files {
            let (vc, payload) = credential_of(file);
            assert_eq!(
                subject_id(&vc),
                Some(claim.holder.as_str()),
                "{}: subject of {}",
                case.label,
                file.display()
            );
            assert_eq!(
                issuer_id(&vc),
                Some(case.institution_did.as_str()),
                "{}: issuer of {}",
                case.label,
                file.display()
            );
            let types = vc["type"].to_string();
            assert!(
                types.contains("OpenBadgeCredential"),
                "{}: type {types}",
                case.label
            );
            match payload {
                Some(p) => {
                    assert_eq!(
                        p.get("iss").and_then(Value::as_str),
                        Some(case.institution_did.as_str()),
                        "{}",
                        case.label
                    );
                    jwt.push(file.clone());
                }
                None => ldp.push(file.clone()),
            }
        }
    }
    assert_eq!(
        holders.len(),
        cases.len(),
        "every wallet run has its own holder"
    );
    assert_eq!(ldp.len(), cases.len());
    assert_eq!(jwt.len(), cases.len());

    let all: Vec<PathBuf> = ldp.iter().chain(&jwt).cloned().collect();
    let runs = [
        h.spawn(Script::VerifyLdp, &[] as &[&str], &ldp)
            .expect("spawn"),
        h.spawn(Script::VerifyJwt, &[] as &[&str], &jwt)
            .expect("spawn"),
        h.spawn(Script::SchemaCheck, &[] as &[&str], &all)
            .expect("spawn"),
    ];
    for pending in runs {
        let run = pending.wait().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            run.passed(),
            "independent verifier rejected an issued credential: {run}"
        );
        assert_eq!(
            run.results().len(),
            if run.script == Script::SchemaCheck {
                all.len()
            } else {
                cases.len()
            },
            "{run}"
        );
    }

    // the admin API shows what happened: offers claimed, one issuance record per credential
    for (slug, admin) in [
        ("demo", op.clone()),
        ("second-college", op.with_token(&second.admin_token)),
    ] {
        let claimed_list = expect(
            admin.get_all_pages(&format!("/issuers/{slug}/admin/offers?state=claimed")),
            200,
            "claimed offers",
        );
        let text = claimed_list.to_string();
        for case in cases
            .iter()
            .filter(|c| c.label.starts_with(&format!("{slug}:")))
        {
            let id = case.offer_id.as_deref().unwrap_or_default();
            assert!(
                text.contains(id),
                "{}: offer {id} not in state=claimed: {text}",
                case.label
            );
        }
        let open = expect(
            admin.get_all_pages(&format!("/issuers/{slug}/admin/offers?state=offered")),
            200,
            "offered offers",
        )
        .to_string();
        for case in cases
            .iter()
            .filter(|c| c.label.starts_with(&format!("{slug}:")))
        {
            assert!(
                !open.contains(case.offer_id.as_deref().unwrap_or("-")),
                "{}: still offered",
                case.label
            );
        }
        let records = expect(
            admin.get_all_pages(&format!("/issuers/{slug}/admin/credentials")),
            200,
            "credentials",
        )
        .to_string();
        for (claim, case) in claims.iter().zip(&cases) {
            if case.label.starts_with(&format!("{slug}:")) {
                assert!(
                    records.contains(&claim.holder),
                    "{}: no issuance record for {}: {records}",
                    case.label,
                    claim.holder
                );
            }
        }
    }
    // an institution's admin token does not reach another institution's data
    let cross = op
        .with_token(&second.admin_token)
        .get("/issuers/demo/admin/offers")
        .expect("response");
    assert!(
        matches!(cross.status, 401 | 403 | 404),
        "cross-institution read: {} {}",
        cross.status,
        cross.body
    );

    let status = agent
        .terminate(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "agent exit after SIGTERM: {status}");
}

#[test]
fn wrong_pin_is_refused_and_an_offer_is_claimed_once() {
    let h = harness();
    let data = TempDir::new().expect("tempdir");
    let agent = start(data.path(), false);
    let op = operator(&agent);
    let inst = create_institution(&op, "pin-school", "PIN School");
    let admin = op.with_token(&inst.admin_token);
    let achievement = create_achievement(&admin, "pin-school", "PIN Handling");
    let offer = create_offer(&admin, "pin-school", &achievement, true, "Pat Pin");
    let url = str_field(&offer, "offer_url").to_owned();
    let pin = str_field(&offer, "tx_code").to_owned();
    let wrong: String = pin
        .chars()
        .map(|c| if c == '9' { '0' } else { '9' })
        .collect();
    let out = TempDir::new().expect("tempdir");

    let refused = spawn_wallet(&h, &url, Some(&wrong), &out.path().join("wrong"))
        .wait()
        .expect("report");
    assert!(!refused.passed(), "a wrong PIN was accepted: {refused}");
    assert!(
        refused.report.to_string().contains("invalid_grant"),
        "wrong PIN should be invalid_grant: {refused}"
    );
    let refused = spawn_wallet(&h, &url, None, &out.path().join("none"))
        .wait()
        .expect("report");
    assert!(!refused.passed(), "a missing PIN was accepted: {refused}");

    let claim = claimed(
        spawn_wallet(&h, &url, Some(&pin), &out.path().join("right"))
            .wait()
            .expect("report"),
    );
    assert_eq!(claim.files.len(), 2, "{}", claim.run);

    let again = spawn_wallet(&h, &url, Some(&pin), &out.path().join("again"))
        .wait()
        .expect("report");
    assert!(!again.passed(), "an offer was claimed twice: {again}");

    // the claim page now says clearly that the offer is used (the contract leaves the status open:
    // 200 or 410 Gone), with no wallet link left on it
    let page = Client::new(agent.url(), None)
        .get(str_field(&offer, "claim_page"))
        .expect("claim page");
    assert!(
        matches!(page.status, 200 | 410),
        "{} {}",
        page.status,
        page.body
    );
    let html = page.body.as_str().unwrap_or_default();
    assert!(
        offer_url_on_claim_page(html).is_none(),
        "a used offer still links to the wallet: {html}"
    );
    assert!(
        html.contains("already"),
        "the page does not say the offer was used: {html}"
    );
    let status = agent
        .terminate(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "agent exit after SIGTERM: {status}");
}

#[test]
fn protocol_and_admin_errors_are_client_errors_with_oauth_codes() {
    let data = TempDir::new().expect("tempdir");
    let agent = start(data.path(), false);
    let op = operator(&agent);
    let anon = Client::new(agent.url(), None);
    let inst = create_institution(&op, "errors-u", "Errors University");
    let b = "/issuers/errors-u";

    // admin API without or with a wrong token
    for client in [anon.clone(), anon.with_token("not-a-token")] {
        let r = client.get("/admin/institutions").expect("response");
        assert_eq!(r.status, 401, "{}", r.body);
        let r = client.get(&format!("{b}/admin/offers")).expect("response");
        assert_eq!(r.status, 401, "{}", r.body);
    }
    // bad institution input
    for body in [
        json!({"slug": "Upper-Case", "name": "x"}),
        json!({"slug": "", "name": "x"}),
        json!({"slug": "a".repeat(41), "name": "x"}),
        json!({"name": "no slug"}),
        json!({"slug": "bad-method", "name": "x", "did_method": "ion"}),
    ] {
        let r = op
            .post_json("/admin/institutions", &body)
            .expect("response");
        assert!(
            (400..500).contains(&r.status),
            "{body} -> {} {}",
            r.status,
            r.body
        );
        assert!(r.body.get("error").is_some(), "{body} -> {}", r.body);
    }
    // an offer for an unknown achievement
    let admin = op.with_token(&inst.admin_token);
    let r = admin
        .post_json(
            &format!("{b}/admin/offers"),
            &json!({"achievement_id": "nope", "recipient": {"name": "X"}}),
        )
        .expect("response");
    assert!((400..500).contains(&r.status), "{} {}", r.status, r.body);

    // token endpoint: unknown code, wrong grant type, no body
    let pre = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
    for (form, code) in [
        (
            format!(
                "grant_type={}&pre-authorized_code=unknown",
                pre.replace(':', "%3A")
            ),
            "invalid_grant",
        ),
        (
            "grant_type=password&username=a&password=b".to_owned(),
            "unsupported_grant_type",
        ),
        (String::new(), "invalid_request"),
    ] {
        let r = anon
            .post_raw(
                &format!("{b}/token"),
                "application/x-www-form-urlencoded",
                form.clone().into_bytes(),
            )
            .expect("response");
        assert_eq!(r.status, 400, "token {form:?}: {}", r.body);
        assert_eq!(r.body["error"], code, "token {form:?}: {}", r.body);
    }
    // credential endpoint without / with a bogus access token
    let r = anon
        .post_json(
            &format!("{b}/credential"),
            &json!({"credential_configuration_id": "OpenBadgeCredential_jwt_vc_json"}),
        )
        .expect("response");
    assert_eq!(r.status, 401, "{}", r.body);
    let r = anon
        .with_token("bogus")
        .post_json(
            &format!("{b}/credential"),
            &json!({"credential_configuration_id": "OpenBadgeCredential_jwt_vc_json"}),
        )
        .expect("response");
    assert_eq!(r.status, 401, "{}", r.body);
    // unknown offer token, unknown institution, garbage JSON, oversized body
    let r = anon.get(&format!("{b}/offers/unknown")).expect("response");
    assert_eq!(r.status, 404, "{}", r.body);
    let r = anon
        .get("/.well-known/openid-credential-issuer/issuers/no-such")
        .expect("response");
    assert_eq!(r.status, 404, "{}", r.body);
    let r = op
        .post_raw(
            "/admin/institutions",
            "application/json",
            b"{not json".to_vec(),
        )
        .expect("response");
    assert_eq!(r.status, 400, "{}", r.body);
    let big = json!({"slug": "big", "name": "x".repeat(70 * 1024)});
    let r = op.post_json("/admin/institutions", &big).expect("response");
    assert_eq!(r.status, 413, "64 KiB body limit: {}", r.body);

    // the OpenAPI document of the admin API
    let api = expect(anon.get("/admin/openapi.json"), 200, "openapi");
    assert!(
        api["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{api}"
    );
    let paths = api["paths"].to_string();
    for p in [
        "/admin/institutions",
        "admin/achievements",
        "admin/offers",
        "admin/offers/bulk",
        "admin/credentials",
    ] {
        assert!(paths.contains(p), "openapi lacks {p}");
    }
    let status = agent
        .terminate(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "agent exit after SIGTERM: {status}");
}

#[test]
fn claim_page_and_qr_codes_and_did_web_document() {
    let data = TempDir::new().expect("tempdir");
    let agent = start(data.path(), false);
    let op = operator(&agent);
    let anon = Client::new(agent.url(), None);
    let created = expect(
        op.post_json(
            "/admin/institutions",
            &json!({"slug": "web-u", "name": "Web University", "did_method": "web"}),
        ),
        201,
        "did:web institution",
    );
    let host = agent
        .url()
        .trim_start_matches("http://")
        .replace(':', "%3A");
    assert_eq!(
        str_field(&created, "did"),
        format!("did:web:{host}:issuers:web-u")
    );
    let doc = expect(anon.get("/issuers/web-u/did.json"), 200, "did.json");
    assert_eq!(doc["id"], created["did"], "{doc}");
    assert!(
        doc["verificationMethod"]
            .as_array()
            .is_some_and(|v| !v.is_empty()),
        "{doc}"
    );
    assert!(
        doc["assertionMethod"]
            .as_array()
            .is_some_and(|v| !v.is_empty()),
        "{doc}"
    );

    let admin = op.with_token(str_field(&created, "admin_token"));
    let achievement = create_achievement(&admin, "web-u", "Web Presence");
    let offer = create_offer(&admin, "web-u", &achievement, true, "Quinn QR");
    let page = anon
        .get(str_field(&offer, "claim_page"))
        .expect("claim page");
    assert_eq!(page.status, 200);
    assert!(
        page.content_type.starts_with("text/html"),
        "{}",
        page.content_type
    );
    let html = page.body.as_str().unwrap_or_default();
    assert_eq!(
        offer_url_on_claim_page(html).as_deref(),
        Some(str_field(&offer, "offer_url")),
        "same-device link"
    );
    assert!(html.contains("Web Presence"), "badge preview");
    assert!(html.contains("PIN"), "PIN guidance");
    assert!(
        !html.contains(str_field(&offer, "tx_code")),
        "the PIN itself must not be on the claim page"
    );

    let svg = anon.get(str_field(&offer, "qr_svg")).expect("qr.svg");
    assert_eq!(svg.status, 200);
    assert!(
        svg.content_type.starts_with("image/svg+xml"),
        "{}",
        svg.content_type
    );
    assert!(
        svg.body.as_str().is_some_and(|s| s.contains("<svg")),
        "not SVG"
    );
    let png = anon.get(str_field(&offer, "qr_png")).expect("qr.png");
    assert_eq!(png.status, 200);
    assert_eq!(png.content_type, "image/png");
    let status = agent
        .terminate(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "agent exit after SIGTERM: {status}");
}
