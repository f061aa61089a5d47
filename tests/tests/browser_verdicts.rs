//! The employer's path in headless Chromium (issue 14, items 7, 11-13): the public badge page,
//! `/verify` of a valid, a tampered and a revoked badge, and the verifier's request and verdict
//! pages, each at desktop (1280×800) and phone (390×844) width.
//!
//! `rosette-agent serve --demo` issues a badge of an achievement made here (Markdown criteria, a
//! skill, tags, an expiry) to `rosette-wallet`, which publishes it, exports it (baked PNG,
//! JSON) and answers a presentation request. `tests/browser/verdicts.mjs` opens every page at
//! both widths and reports what it met; this test judges the report. Every screenshot is
//! rewritten on each run to `target/tmp/employer-pages/` (`CARGO_TARGET_TMPDIR`), named
//! `<page>-desktop.png`, `<page>-phone.png` and, with the checks unfolded, `<page>-phone-checks.png`.
//!
//! Needs Node.js >= 20, `tests/interop/node_modules` (scripts/interop-install.sh) and Chromium
//! (scripts/install-chromium.sh); without them the test fails saying so. Nothing is skipped.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use rosette_tests::agent::Client;
use serde_json::{Value, json};
use support::browser::*;
use support::*;

/// `target/tmp/employer-pages/`, emptied of last run's screenshots.
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("employer-pages");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir screenshots");
    dir
}

fn run_browser(dir: &Path, config: &Value) -> Value {
    let script = browser_script("verdicts.mjs");
    let path = dir.join(format!(
        "verdicts-{}.json",
        config["phase"].as_str().unwrap_or("run")
    ));
    std::fs::write(&path, config.to_string()).expect("write config");
    let run = Command::new("node")
        .arg(&script)
        .arg(&path)
        .env("ROSETTE_CHROMIUM", chromium())
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "no report from verdicts.mjs: {stdout}\n{}",
                String::from_utf8_lossy(&run.stderr)
            )
        });
    assert!(
        report.get("error").is_none(),
        "verdicts.mjs: {}",
        report["error"]
    );
    assert_eq!(report["console_errors"], json!([]), "{report}");
    assert_eq!(report["external_requests"], json!([]), "{report}");
    report
}

/// The report of page `name` at `width` (`desktop` or `phone`).
fn page<'a>(report: &'a Value, name: &str, width: &str) -> &'a Value {
    report["pages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["name"] == name && p["width"] == width))
        .unwrap_or_else(|| panic!("no {name} at {width}: {report}"))
}

/// What every page must do at both widths: no sideways scroll, every value labelled, a
/// screenshot on disk.
fn every_page_fits_and_labels(report: &Value) {
    for p in report["pages"].as_array().expect("pages") {
        let (scroll, inner) = (p["scroll_width"].as_u64(), p["inner_width"].as_u64());
        assert!(
            scroll.is_some() && scroll <= inner,
            "{} at {}: scrollWidth {scroll:?} > innerWidth {inner:?}",
            p["name"],
            p["width"]
        );
        if let Some(open) = p["scroll_width_open"].as_u64() {
            assert!(
                Some(open) <= inner,
                "{} with its checks open scrolls sideways",
                p["name"]
            );
        }
        assert_eq!(
            p["unlabelled"],
            json!([]),
            "{} at {}: unlabelled values",
            p["name"],
            p["width"]
        );
        let shot = std::fs::read(str_field(p, "screenshot")).expect("screenshot");
        assert!(shot.starts_with(b"\x89PNG"), "{}", p["name"]);
        // Technical checks are there, folded below the answer.
        if !p["checks"].as_array().is_some_and(Vec::is_empty) {
            assert_eq!(p["checks_folded"], true, "{}: checks not folded", p["name"]);
        }
        // Checks are named in words; ids stay in data- attributes.
        for c in p["checks"].as_array().into_iter().flatten() {
            let label = c["label"].as_str().unwrap_or("");
            assert!(
                !label.is_empty() && !label.contains('_'),
                "{}: check label {c}",
                p["name"]
            );
        }
        let text = p["unfolded_text"].as_str().unwrap_or("");
        for id in [
            "issuer_key",
            "dcql_query",
            "trusted_issuer",
            "jwt_vc_json",
            "ldp_vc",
            "redirect_uri",
        ] {
            assert!(
                !text.contains(id),
                "{}: internal id {id} shown: {text}",
                p["name"]
            );
        }
    }
}

#[test]
fn employer_pages_lead_with_the_verdict_at_desktop_and_phone_width() {
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let agent = start(&tmp.path().join("agent"), true);
    let token = agent.ready().admin_token.clone().expect("demo admin token");
    let admin = Client::new(agent.url(), Some(&token));
    let out = screenshot_dir();

    // An achievement as staff write it: Markdown criteria, a skill, tags, a year's validity.
    let created = expect(
        admin.post_json(
            "/issuers/demo/admin/achievements",
            &json!({
                "name": "Data Analysis with Rust",
                "description": "Cleans, analyses and reports on real data sets with Rust.",
                "criteria": {"narrative": "Learners must:\n\n- clean a messy data set\n- **publish** a reproducible report\n\n<script>alert('x')</script>"},
                "tags": ["rust", "data"],
                "alignment": [{
                    "type": ["Alignment"],
                    "targetName": "Data analysis",
                    "targetFramework": "ESCO",
                    "targetCode": "S7.1",
                    "targetUrl": "https://esco.ec.europa.eu/en/classification/skill"
                }],
                "validity_days": 365
            }),
        ),
        201,
        "achievement",
    );
    let achievement = str_field(&created, "id").to_owned();
    let offer = expect(
        admin.post_json(
            "/issuers/demo/admin/offers",
            &json!({"achievement_id": achievement, "recipient": {"name": "Ada Lovelace", "email": "ada@example.org"}}),
        ),
        201,
        "offer",
    );
    let w = tmp.path().join("wallet");
    wallet_json(&w, &["init", "--insecure-fast-kdf"]);
    wallet_json(
        &w,
        &[
            "claim",
            str_field(&offer, "offer_url"),
            "--tx-code",
            str_field(&offer, "tx_code"),
            "--allow-http",
        ],
    );
    let list = wallet_json(&w, &["list"]);
    let id = list
        .as_array()
        .and_then(|l| l.iter().find(|b| b["format"] == "ldp_vc"))
        .and_then(|b| b["id"].as_str())
        .unwrap_or_else(|| panic!("no ldp_vc badge: {list}"))
        .to_owned();
    let published = wallet_json(
        &w,
        &[
            "share",
            &id,
            "--publish",
            "--name",
            "Ada Lovelace",
            "--allow-http",
        ],
    );
    let page_url = str_field(&published, "published").to_owned();

    // The files an employer is handed: the baked PNG, and the JSON with a forged name.
    let png = tmp.path().join("badge.png");
    let outp = wallet(
        &w,
        &[
            "export",
            &id,
            "--format",
            "png",
            "--out",
            png.to_str().expect("utf-8"),
        ],
    );
    assert!(outp.status.success(), "{outp:?}");
    let shown = wallet(&w, &["export", &id, "--format", "json"]);
    assert!(shown.status.success(), "{shown:?}");
    let mut credential: Value = serde_json::from_slice(&shown.stdout).expect("credential JSON");
    let credential_id = str_field(&credential, "id").to_owned();
    credential["credentialSubject"]["achievement"]["name"] = json!("Rust Grandmaster");
    let tampered = tmp.path().join("tampered.json");
    std::fs::write(&tampered, credential.to_string()).expect("write");

    // A presentation request the wallet answers, and one still waiting.
    let ask = json!({"achievement_id": achievement});
    let answered = expect(
        admin.post_json("/verifiers/demo/admin/presentation-requests", &ask),
        201,
        "request",
    );
    let shared = wallet(
        &w,
        &[
            "present",
            str_field(&answered, "request_url"),
            "--yes",
            "--allow-http",
        ],
    );
    assert!(shared.status.success(), "present: {shared:?}");
    let waiting = expect(
        admin.post_json("/verifiers/demo/admin/presentation-requests", &ask),
        201,
        "request",
    );

    let own_host = url::Url::parse(agent.url())
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port()?)))
        .expect("agent host");
    let verify_url = format!("{}/verify", agent.url());
    let report = run_browser(
        tmp.path(),
        &json!({
            "phase": "valid",
            "out_dir": out,
            "verify_url": verify_url,
            "own_host": own_host,
            "pages": [
                {"name": "public-badge", "url": page_url},
                {"name": "verify-valid", "upload": png},
                {"name": "verify-tampered", "paste": tampered},
                {"name": "verifier-request", "url": str_field(&waiting, "page")},
                {"name": "verifier-verdict", "url": str_field(&answered, "page")},
                {"name": "verifier-new", "url": format!("{}/verifiers/demo/new", agent.url())},
            ],
        }),
    );
    every_page_fits_and_labels(&report);

    for width in ["desktop", "phone"] {
        // 11. A tampered file: the failed verdict is the first heading; the forged name is a
        // claim, never the badge's title.
        let bad = page(&report, "verify-tampered", width);
        let first = &bad["first_heading"];
        assert_eq!(first["tag"], "h1", "{bad}");
        assert!(
            first["text"]
                .as_str()
                .is_some_and(|t| t.contains("Not verified")),
            "first heading: {bad}"
        );
        assert_eq!(
            bad["achievement"],
            Value::Null,
            "the forged name as the badge: {bad}"
        );
        for h in bad["headings"].as_array().expect("headings") {
            assert!(
                !h["text"]
                    .as_str()
                    .unwrap_or("")
                    .contains("Rust Grandmaster"),
                "the forged name in a heading: {h}"
            );
        }
        assert!(
            bad["claims"]
                .as_str()
                .is_some_and(|c| c.contains("Rust Grandmaster") && c.contains("Do not rely on it")),
            "shown as claims: {bad}"
        );
        assert_eq!(bad["badge_image"], Value::Null, "no forged image: {bad}");
        assert!(
            bad["checks"].as_array().is_some_and(|c| c
                .iter()
                .any(|c| c["check"] == "proof" && c["outcome"] == "failed")),
            "{bad}"
        );

        // 12. A valid file names the learner, with the DID as a detail.
        let ok = page(&report, "verify-valid", width);
        assert!(
            ok["first_heading"]["text"]
                .as_str()
                .is_some_and(|t| t.contains("Verified")),
            "{ok}"
        );
        assert_eq!(ok["achievement"], "Data Analysis with Rust", "{ok}");
        assert!(
            ok["learner"]
                .as_str()
                .is_some_and(|l| l.starts_with("Ada Lovelace") && l.contains("did:")),
            "{ok}"
        );

        // 7. The public page: the badge leads; Markdown criteria rendered and sanitised;
        // skills, tags and human dates; 13. LinkedIn with the expiry.
        let public = page(&report, "public-badge", width);
        assert_eq!(
            public["first_heading"]["text"], "Data Analysis with Rust",
            "{public}"
        );
        assert!(
            public["verdict"]
                .as_str()
                .is_some_and(|v| v.contains("Verified")),
            "{public}"
        );
        assert_eq!(public["holder"], "Ada Lovelace");
        assert_eq!(public["badge_image"], true);
        let criteria = public["criteria_html"].as_str().unwrap_or("");
        assert!(
            criteria.contains("<ul>") && criteria.contains("<strong>publish</strong>"),
            "{criteria}"
        );
        assert!(!criteria.contains("<script"), "{criteria}");
        assert!(
            public["skills"][0]
                .as_str()
                .is_some_and(|s| s.contains("Data analysis")),
            "{public}"
        );
        assert_eq!(public["tags"], json!(["#rust", "#data"]), "{public}");
        let dates = public["dates"].as_str().unwrap_or("");
        assert!(
            !dates.contains('T') && dates.contains("valid until"),
            "{dates}"
        );
        let linkedin =
            url::Url::parse(public["linkedin"].as_str().expect("linkedin")).expect("url");
        let q: std::collections::BTreeMap<String, String> =
            linkedin.query_pairs().into_owned().collect();
        assert_eq!(q.get("certUrl"), Some(&page_url), "{q:?}");
        assert_eq!(q.get("certId"), Some(&credential_id), "{q:?}");
        assert!(
            q.get("expirationYear").is_some_and(|y| y.len() == 4)
                && q.contains_key("expirationMonth"),
            "{q:?}"
        );

        // 12. The verifier's verdict: the answer first, the learner by name, words not ids.
        let verdict = page(&report, "verifier-verdict", width);
        assert!(
            verdict["verdict"]
                .as_str()
                .is_some_and(|v| v.contains("Accepted: Ada Lovelace holds")),
            "{verdict}"
        );
        assert!(
            verdict["learner"]
                .as_str()
                .is_some_and(|l| l.starts_with("Ada Lovelace")),
            "{verdict}"
        );
        let text = verdict["main_text"].as_str().unwrap_or("");
        assert!(!text.contains("Issued to did:"), "{text}");
    }

    // Revoked: the page and the file say so, first.
    expect(
        admin.post_json(
            "/issuers/demo/admin/credentials/status",
            &json!({"credential_id": credential_id, "action": "revoke", "reason": "issued in error"}),
        ),
        200,
        "revoke",
    );
    let report = run_browser(
        tmp.path(),
        &json!({
            "phase": "revoked",
            "out_dir": out,
            "verify_url": verify_url,
            "own_host": own_host,
            "pages": [
                {"name": "public-badge-revoked", "url": page_url},
                {"name": "verify-revoked", "upload": png},
            ],
        }),
    );
    every_page_fits_and_labels(&report);
    for width in ["desktop", "phone"] {
        for name in ["public-badge-revoked", "verify-revoked"] {
            let p = page(&report, name, width);
            assert_eq!(p["first_heading"]["tag"], "h1", "{p}");
            assert!(
                p["first_heading"]["text"]
                    .as_str()
                    .is_some_and(|t| t.contains("Not verified") && t.contains("revoked")),
                "{p}"
            );
            // Authentic content, no longer valid: still the badge, below the verdict.
            assert_eq!(p["achievement"], "Data Analysis with Rust", "{p}");
        }
        let p = page(&report, "public-badge-revoked", width);
        assert_eq!(
            p["linkedin"],
            Value::Null,
            "no LinkedIn link for a revoked badge: {p}"
        );
    }
    eprintln!("employer pages: screenshots in {}", out.display());
}
