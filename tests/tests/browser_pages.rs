//! The public badge page and the drop-a-file verification page in headless Chromium.
//!
//! `rosette-agent serve --demo` issues the demo badge; `rosette-wallet` claims it and publishes it
//! (`share --publish`, a proof of holding); `tests/browser/public-pages.mjs` (playwright-core from
//! `tests/interop/node_modules`, Debian `/usr/bin/chromium`) opens the page and the verification
//! page and reports what it saw; this test judges the report and decodes the page's QR code with
//! `rosette-qr`. Then the wallet withdraws the page and it answers 404.
//!
//! Needs Node.js >= 20, `tests/interop/node_modules` (scripts/interop-install.sh) and Chromium
//! (scripts/install-chromium.sh); without them the test fails saying so. Nothing is skipped.

mod support;

use std::process::Command;

use serde_json::{Value, json};
use support::browser::*;
use support::*;

#[test]
fn public_badge_page_and_verify_page_in_chromium() {
    let script = browser_script("public-pages.mjs");
    let browser = chromium();
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let agent = start(&tmp.path().join("agent"), true);
    let offer = agent.ready().offer.clone().expect("demo offer");
    let pin = agent.ready().tx_code.clone().expect("demo PIN");
    let w = tmp.path().join("wallet");
    wallet_json(&w, &["init", "--insecure-fast-kdf"]);
    wallet_json(&w, &["claim", &offer, "--tx-code", &pin, "--allow-http"]);
    let list = wallet_json(&w, &["list"]);
    let ldp = list
        .as_array()
        .and_then(|l| l.iter().find(|b| b["format"] == "ldp_vc"))
        .unwrap_or_else(|| panic!("no ldp_vc badge claimed: {list}"));
    let id = ldp["id"].as_str().expect("badge id").to_owned();

    // Not published yet: share says so.
    let shared = wallet_json(&w, &["share", &id]);
    assert_eq!(shared["published"], false, "{shared}");

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
    let page_url = published["published"]
        .as_str()
        .unwrap_or_else(|| panic!("{published}"))
        .to_owned();
    assert!(page_url.starts_with(&format!("{}/issuers/demo/badges/", agent.url())));
    let shared = wallet_json(&w, &["share", &id]);
    assert_eq!(shared["public_url"], page_url.as_str(), "{shared}");
    let linkedin = shared["linkedin"].as_str().expect("linkedin url");
    let certurl = url::form_urlencoded::byte_serialize(page_url.as_bytes()).collect::<String>();
    assert!(
        linkedin.contains(&format!("certUrl={certurl}")),
        "{linkedin}"
    );
    // The text form prints both lines.
    let text = wallet(&w, &["share", &id]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("LinkedIn: https://www.linkedin.com/profile/add?"),
        "{text}"
    );
    assert!(text.contains(&format!("Public:   {page_url}")), "{text}");

    // The files the browser uploads and pastes.
    let png = tmp.path().join("badge.png");
    let png_arg = png.to_str().expect("utf-8 path");
    let out = wallet(&w, &["export", &id, "--format", "png", "--out", png_arg]);
    assert!(out.status.success(), "{out:?}");
    let shown = wallet(&w, &["export", &id, "--format", "json"]);
    assert!(shown.status.success(), "{shown:?}");
    let mut credential: Value = serde_json::from_slice(&shown.stdout).expect("credential JSON");
    let credential_id = credential["id"].as_str().expect("credential id").to_owned();
    let achievement = credential["credentialSubject"]["achievement"]["name"]
        .as_str()
        .expect("achievement name")
        .to_owned();
    credential["credentialSubject"]["achievement"]["name"] = json!("Rust Grandmaster");
    let tampered = tmp.path().join("tampered.json");
    std::fs::write(&tampered, credential.to_string()).expect("write");

    let out_dir = tmp.path().join("browser");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    let config = json!({
        "page_url": page_url,
        "verify_url": format!("{}/verify", agent.url()),
        "baked_png": png,
        "tampered_json": tampered,
        "out_dir": out_dir,
        "screenshots": screenshots(),
        "display_name": "Ada Lovelace",
        "achievement": achievement,
        "issuer_name": "Rosette Demo University",
        "credential_id": credential_id,
    });
    let config_path = tmp.path().join("browser.json");
    std::fs::write(&config_path, config.to_string()).expect("write");
    let run = Command::new("node")
        .arg(&script)
        .arg(&config_path)
        .env("ROSETTE_CHROMIUM", &browser)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let report: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "no report from {}: {stdout}\n{}",
                script.display(),
                String::from_utf8_lossy(&run.stderr)
            )
        });
    let checks = report["checks"].as_array().expect("checks");
    let failed: Vec<&Value> = checks.iter().filter(|c| c["ok"] != true).collect();
    assert!(failed.is_empty(), "browser checks failed: {failed:#?}");
    for name in [
        "page_shows_verified",
        "linkedin_link",
        "qr_image_loads",
        "upload_png_verified",
        "paste_tampered_fails",
    ] {
        assert!(
            checks.iter().any(|c| c["name"] == name && c["ok"] == true),
            "{name} did not run: {report}"
        );
    }

    // The QR code on the page decodes to the page's own URL: as served, and as rendered.
    for key in ["qr_src", "qr_screenshot"] {
        let path = report[key].as_str().expect("qr path");
        let bytes = std::fs::read(path).expect("qr image");
        let texts = rosette_qr::decode_image(&bytes).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(texts, vec![page_url.clone()], "{key}");
    }

    // Withdrawn: the page is gone.
    let withdrawn = wallet_json(&w, &["share", &id, "--withdraw", "--allow-http"]);
    assert_eq!(withdrawn["withdrawn"], page_url.as_str(), "{withdrawn}");
    let status = reqwest::blocking::get(&page_url)
        .expect("GET page")
        .status();
    assert_eq!(status, 404);
    let shared = wallet_json(&w, &["share", &id]);
    assert_eq!(shared["published"], false, "{shared}");
    let shots = ["public-badge.png", "verify-passed.png", "verify-failed.png"];
    for name in shots {
        let bytes = std::fs::read(screenshots().join(name)).expect("screenshot");
        assert!(bytes.starts_with(b"\x89PNG"), "{name}");
    }
    publish(&shots);
}
