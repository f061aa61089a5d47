//! The staff path end to end, from `rosette-agent serve` WITHOUT `--demo` on a fresh data dir
//! (issue 14): the agent says what to do next and that phones cannot reach it;
//! `rosette-agent institution create` (the printed command) makes the institution; then
//! `tests/browser/staff.mjs` in headless Chromium signs in, creates an achievement, bulk-issues
//! 50 learners with PINs by the achievement's key and downloads the handouts CSV; this test
//! claims one learner's badge with `rosette-wallet claim` using only that CSV's link and PIN and
//! publishes its public page (`share --publish`); the script revokes the award through the
//! confirmation page and sees the public page say "Not verified"; then the wallet's `list
//! --status` shows it revoked, and a presentation of each format to the agent's verifier is
//! refused.
//!
//! Screenshots, every run: `$CARGO_TARGET_DIR/screenshots/staff-<page>-{desktop,phone}.png`
//! (`target/screenshots/` by default); copied to `docs/screenshots/` with
//! `ROSETTE_UPDATE_SCREENSHOTS=1`.
//!
//! Needs Node.js >= 20, `tests/interop/node_modules` (scripts/interop-install.sh) and Chromium
//! (scripts/install-chromium.sh); without them the test fails saying so.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::browser::*;
use support::*;

const LEARNERS: usize = 50;
/// The learner (0-based) whose badge the wallet claims.
const CLAIMANT: usize = 6;

fn next_report(lines: &mut impl Iterator<Item = std::io::Result<String>>) -> Option<Value> {
    lines
        .map_while(Result::ok)
        .find_map(|line| serde_json::from_str::<Value>(&line).ok())
}

/// Waits (at most 15 s) until the agent's stderr holds every one of `wanted`.
fn agent_said(agent: &rosette_tests::agent::Agent, wanted: &[&str]) -> String {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let text = agent.stderr();
        if wanted.iter().all(|w| text.contains(w)) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "the agent did not print {wanted:?}:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The handouts CSV's rows as (name, offer_url, pin), checking its header.
fn handouts(csv: &str) -> Vec<(String, String, String, String)> {
    let mut lines = csv.lines();
    assert_eq!(
        lines.next(),
        Some("line,name,state,claim_page,offer_url,pin,qr_svg,expires_at"),
        "{csv}"
    );
    lines
        .map(|line| {
            // Our learners' names hold no comma, so no field here is quoted.
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 8, "{line}");
            assert_eq!(f[2], "offered", "{line}");
            assert!(f[6].ends_with("/qr.svg"), "{line}");
            (
                f[1].to_owned(),
                f[3].to_owned(),
                f[4].to_owned(),
                f[5].to_owned(),
            )
        })
        .collect()
}

#[test]
fn staff_path_without_demo_bulk_handouts_claim_revoke() {
    let script = browser_script("staff.mjs");
    let browser = chromium();
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let data = tmp.path().join("agent");
    let agent = start(&data, false);
    let url = agent.url().to_owned();

    // The first start tells the operator the next step and warns about phones.
    let said = agent_said(
        &agent,
        &[
            "Rosette agent listening on http://127.0.0.1:",
            "no institution yet",
            "warning: no --public-url set.",
        ],
    );
    assert!(
        said.contains(&format!("Staff console: {url}/console/login")),
        "{said}"
    );
    assert!(said.contains("rosette-agent institution create"), "{said}");

    // The printed next step: create the institution through the running agent.
    let created = Command::new(&binaries().agent)
        .args(["institution", "create", "--json", "--data"])
        .arg(&data)
        .args([
            "--agent",
            &url,
            "--slug",
            "fieldwork-college",
            "--name",
            "Fieldwork College",
        ])
        .env_remove("ROSETTE_OPERATOR_TOKEN")
        .output()
        .expect("rosette-agent institution create runs");
    assert!(created.status.success(), "{created:?}");
    let created: Value = serde_json::from_slice(&created.stdout).expect("JSON");
    let admin_token = created["admin_token"].as_str().expect("admin token");

    let w = tmp.path().join("wallet");
    wallet_json(&w, &["init", "--insecure-fast-kdf"]);
    let out_dir = tmp.path().join("browser");
    let shots = screenshots();
    let learners: Vec<String> = (1..=LEARNERS)
        .map(|i| format!("Learner {i:02} Okafor"))
        .collect();
    let config = json!({
        "base_url": url,
        "slug": "fieldwork-college",
        "admin_token": admin_token,
        "operator_token": agent.operator_token().expect("operator token"),
        "out_dir": out_dir,
        "screenshots": shots,
        "achievement": "Field Survey Lead",
        "learners": learners,
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
    let mut lines = BufReader::new(node.stdout.take().expect("stdout")).lines();

    // Phase 1: the handouts CSV is downloaded.
    let first = next_report(&mut lines);
    let Some(phase) = first.clone().filter(|r| r["phase"] == "handouts") else {
        let _ = node.kill();
        let output = node.wait_with_output().expect("node ends");
        panic!(
            "the script did not reach the handouts: {first:#?}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let csv = std::fs::read_to_string(phase["handouts_csv"].as_str().expect("path")).expect("csv");
    let rows = handouts(&csv);
    assert_eq!(rows.len(), LEARNERS, "{csv}");
    let (name, claim_page, offer_url, pin) = rows[CLAIMANT].clone();
    assert_eq!(name, learners[CLAIMANT]);
    assert!(
        offer_url.starts_with("openid-credential-offer://"),
        "{offer_url}"
    );
    assert!(
        pin.len() == 6 && pin.bytes().all(|b| b.is_ascii_digit()),
        "{pin}"
    );

    // The learner claims with only what the handout gives: the link and the PIN.
    let claimed = wallet_json(
        &w,
        &["claim", &offer_url, "--tx-code", &pin, "--allow-http"],
    );
    let stored = claimed["stored"].as_array().map_or(0, Vec::len);
    assert!(stored >= 1, "{claimed}");
    // The learner publishes a public page for the award, to show employers.
    let award = wallet_json(&w, &["list"]);
    let badge_id = award[0]["id"].as_str().expect("badge id").to_owned();
    let published = wallet_json(
        &w,
        &[
            "share",
            &badge_id,
            "--publish",
            "--name",
            &name,
            "--allow-http",
        ],
    );
    let public_page = published["published"].as_str().expect("page URL");
    let mut stdin = node.stdin.take().expect("stdin");
    let go = json!({"learner": name, "claim_page": claim_page, "public_page": public_page});
    writeln!(stdin, "{go}").expect("tell the script");

    // Phase 2: the award is revoked in the console.
    let revoked = next_report(&mut lines);
    if revoked.as_ref().is_none_or(|r| r["phase"] != "revoked") {
        let _ = node.kill();
        let output = node.wait_with_output().expect("node ends");
        panic!(
            "the script did not reach the revocation: {revoked:#?}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    // A presentation of either format to the institution's verifier is refused: revoked.
    let admin = rosette_tests::agent::Client::new(&url, Some(admin_token));
    let mut verdict_pages = Vec::new();
    for format in ["ldp_vc", "jwt_vc_json"] {
        let created = expect(
            admin.post_json(
                "/verifiers/fieldwork-college/admin/presentation-requests",
                &json!({"formats": [format]}),
            ),
            201,
            "POST presentation-requests",
        );
        let request = created["request_url"].as_str().expect("request_url");
        verdict_pages.push(created["page"].clone());
        let out = wallet(&w, &["--json", "present", request, "--yes", "--allow-http"]);
        let answer: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{format}: {e}: {out:?}"));
        assert!(!out.status.success(), "{format} accepted: {answer}");
        assert_eq!(answer["accepted"], false, "{format}: {answer}");
        assert_eq!(
            answer["response"]["body"]["violation"], "credential_revoked",
            "{format}: {answer}"
        );
    }

    writeln!(stdin, "{}", json!({"verdict_pages": verdict_pages})).expect("tell the script");
    drop(stdin);

    // Phase 3: the console's checks, revocation included.
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
        "console_warns_phones_cannot_reach",
        "favicon_served",
        "save_confirmed",
        "achievement_key_shown",
        "criteria_markdown_rendered",
        "skill_listed",
        "template_names_the_key",
        "bulk_example_uses_a_real_key",
        "bulk_summary_plural",
        "bulk_error_repeats_the_value",
        "handouts_csv_one_row_per_learner",
        "handouts_one_card_per_learner",
        "handouts_qr_images",
        "handouts_pins",
        "handouts_print_one_per_page",
        "claim_page_greets_the_learner",
        "claim_page_says_collected",
        "public_page_valid_before",
        "credentials_show_claimed",
        "revoke_asks_first_0",
        "one_revoke_covers_the_award",
        "credentials_show_revoked",
        "public_page_not_valid_after_revoke",
        "issued_offer_page",
        "presentation_0_refused_on_its_page",
        "presentation_1_refused_on_its_page",
        "operator_page_refuses_a_wrong_token",
        "operator_page_shows_the_admin_token",
        "operator_page_opens_the_new_console",
        "dashboard_short_on_a_phone",
        "no_server_errors",
    ] {
        assert!(
            checks.iter().any(|c| c["name"] == name && c["ok"] == true),
            "{name} did not run: {report}"
        );
    }
    let pages = [
        "login",
        "achievements",
        "bulk",
        "bulk-report",
        "handouts",
        "claim",
        "claim-collected",
        "public-badge",
        "credentials",
        "revoke-confirm",
        "public-badge-revoked",
        "dashboard",
        "achievement-new",
        "achievement-edit",
        "issue",
        "issued",
        "settings",
        "tokens",
        "templates-empty",
        "templates",
        "verify-choose",
        "verify-request",
        "public-verify",
        "verifier-new",
        "console-not-found",
        "claim-not-found",
        "badge-not-found",
        "new-institution",
        "institution-created",
        "verdict-refused-0",
        "verdict-refused-1",
    ];
    for page in pages {
        for check in ["fits_a_phone", "phone_values_labelled"] {
            let name = format!("{page}_{check}");
            assert!(
                checks.iter().any(|c| c["name"] == name && c["ok"] == true),
                "{name} did not run: {report}"
            );
        }
    }

    // The wallet sees the revocation at the issuer.
    let listed = wallet_json(&w, &["list", "--status", "--allow-http"]);
    let badges = listed.as_array().expect("list");
    // One award, one row, holding every format the learner claimed.
    assert_eq!(badges.len(), 1, "{listed}");
    assert_eq!(
        badges[0]["ids"].as_array().map(Vec::len),
        Some(stored),
        "{listed}"
    );
    assert!(badges.iter().all(|b| b["status"] == "revoked"), "{listed}");

    let mut files = Vec::new();
    for page in pages {
        for width in ["desktop", "phone"] {
            let file = format!("staff-{page}-{width}.png");
            let bytes = std::fs::read(shots.join(&file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(bytes.starts_with(b"\x89PNG"), "{file}");
            files.push(file);
        }
    }
    publish(&files.iter().map(String::as_str).collect::<Vec<_>>());
}
