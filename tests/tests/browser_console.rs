//! The institution console in headless Chromium, end to end.
//!
//! `tests/browser/console.mjs` (playwright-core from `tests/interop/node_modules`, Debian
//! `/usr/bin/chromium`) signs in with the keyboard, creates an achievement with an image
//! upload, issues it to one learner and screenshots the claim page's QR code. This test decodes
//! that screenshot with `rosette-qr` (it must be the offer URL the console showed), and
//! `rosette-wallet claim` claims it with the PIN the console showed. The script then finds the
//! credentials claimed in the console, revokes them, and checks settings, the dashboard, a
//! phone-width layout and sign-out; `rosette-wallet list --status` must then say revoked.
//!
//! Screenshots of every console page: `target/screenshots/console-*.png` (always), copied to
//! `docs/screenshots/` with `ROSETTE_UPDATE_SCREENSHOTS=1`.
//!
//! Needs Node.js >= 20, `tests/interop/node_modules` (scripts/interop-install.sh) and Chromium
//! (scripts/install-chromium.sh); without them the test fails saying so. Nothing is skipped.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use support::browser::*;
use support::*;

/// The achievement image the browser uploads.
const BADGE_SVG: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120"><circle cx="60" cy="60" r="56" fill="#1e40af"/><circle cx="60" cy="60" r="44" fill="#fff"/><path d="M60 26l9 20 22 2-17 15 5 22-19-11-19 11 5-22-17-15 22-2z" fill="#f59e0b"/></svg>"##;

/// The next JSON line the script prints (its other output is ignored).
fn next_report(lines: &mut impl Iterator<Item = std::io::Result<String>>) -> Option<Value> {
    lines
        .map_while(Result::ok)
        .find_map(|line| serde_json::from_str::<Value>(&line).ok())
}

#[test]
fn console_issue_claim_revoke_in_chromium() {
    let script = browser_script("console.mjs");
    let browser = chromium();
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let agent = start(&tmp.path().join("agent"), false);
    let op = operator(&agent);
    let inst = create_institution(&op, "harbour-college", "Harbour College");
    let w = tmp.path().join("wallet");
    wallet_json(&w, &["init", "--insecure-fast-kdf"]);

    let image = tmp.path().join("badge.svg");
    std::fs::write(&image, BADGE_SVG).expect("write");
    let out_dir = tmp.path().join("browser");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    let shots = screenshots();
    let config = json!({
        "base_url": agent.url(),
        "slug": inst.slug,
        "admin_token": inst.admin_token,
        "image": image,
        "out_dir": out_dir,
        "screenshots": shots,
        "achievement": "Research Data Steward",
        "recipient": "Grace Hopper",
        "email": "grace@example.org",
    });
    let config_path = tmp.path().join("browser.json");
    std::fs::write(&config_path, config.to_string()).expect("write");
    let mut node = Command::new("node")
        .arg(&script)
        .arg(&config_path)
        .env("ROSETTE_CHROMIUM", &browser)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs");
    let stdout = node.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();

    // Phase 1: the offer is on screen.
    let issued = next_report(&mut lines);
    let Some(issued) = issued.clone().filter(|r| r["phase"] == "issued") else {
        let _ = node.kill();
        let rest = next_report(&mut lines);
        let stderr = node
            .wait_with_output()
            .map(|o| o.stderr)
            .unwrap_or_default();
        panic!(
            "the script did not reach the issued offer: {issued:?} {rest:?}\n{}",
            String::from_utf8_lossy(&stderr)
        );
    };
    let offer_url = issued["offer_url"].as_str().expect("offer_url").to_owned();
    let pin = issued["pin"].as_str().expect("pin").to_owned();
    // The claim page's QR code, as Chromium rendered it, is the offer the console showed.
    let qr = std::fs::read(issued["qr_screenshot"].as_str().expect("qr path")).expect("qr image");
    let decoded = rosette_qr::decode_image(&qr).unwrap_or_else(|e| panic!("QR: {e}"));
    assert_eq!(decoded, vec![offer_url.clone()]);
    // The wallet claims what the QR says, with the PIN the console showed.
    let claimed = wallet_json(
        &w,
        &["claim", &decoded[0], "--tx-code", &pin, "--allow-http"],
    );
    let stored = claimed["stored"].as_array().map_or(0, Vec::len);
    assert!(stored >= 1, "{claimed}");
    let mut stdin = node.stdin.take().expect("stdin");
    stdin.write_all(b"claimed\n").expect("tell the script");
    drop(stdin);

    // Phase 2: the console's view of it.
    let report = next_report(&mut lines);
    let output = node.wait_with_output().expect("node ends");
    let report = report.unwrap_or_else(|| {
        panic!(
            "no report from {}\n{}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let checks = report["checks"].as_array().expect("checks");
    let failed: Vec<&Value> = checks.iter().filter(|c| c["ok"] != true).collect();
    assert!(failed.is_empty(), "browser checks failed: {failed:#?}");
    for name in [
        "signed_in",
        "keyboard_tab_reaches_slug",
        "session_cookie_httponly_strict",
        "achievement_image_shows",
        "pin_shown_large",
        "claim_page_qr_loads",
        "credentials_show_claimed",
        "one_row_per_award",
        "credentials_show_revoked",
        "one_revoke_covers_the_award",
        "dashboard_counts",
        "fits_a_phone",
        "signed_out_redirects_to_login",
        "no_csp_violations",
        "no_server_errors",
    ] {
        assert!(
            checks.iter().any(|c| c["name"] == name && c["ok"] == true),
            "{name} did not run: {report}"
        );
    }
    assert!(
        checks
            .iter()
            .filter(|c| c["name"]
                .as_str()
                .is_some_and(|n| n.ends_with("_inputs_labelled")))
            .count()
            >= 7,
        "{report}"
    );

    // The award's row lists every credential the wallet stored, one per format.
    assert_eq!(report["copies"].as_u64(), Some(stored as u64), "{report}");

    // The wallet sees the revocation at the issuer.
    let listed = wallet_json(&w, &["list", "--status", "--allow-http-did-web"]);
    let badges = listed.as_array().expect("list");
    // One row per award (the wallet groups the formats of one claim).
    assert_eq!(badges.len(), 1, "{listed}");
    assert!(badges.iter().all(|b| b["status"] == "revoked"), "{listed}");

    // Screenshots: every console page, and a copy for the docs on request.
    let names = [
        "login",
        "dashboard",
        "achievements",
        "achievement-new",
        "issue",
        "issued",
        "claim-page",
        "credentials",
        "credentials-revoked",
        "credentials-phone",
        "settings",
    ];
    for name in names {
        let path = shots.join(format!("console-{name}.png"));
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(bytes.starts_with(b"\x89PNG"), "{}", path.display());
    }
    let files: Vec<String> = names.iter().map(|n| format!("console-{n}.png")).collect();
    publish(&files.iter().map(String::as_str).collect::<Vec<_>>());
}
