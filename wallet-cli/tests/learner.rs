//! The learner's path of issue 14, end to end against `rosette-agent serve --demo` (plain http
//! on loopback): one development switch for every fetching command, a status that is never
//! "valid" unchecked, one row per award, readable refusals, a PIN asked again and not echoed,
//! weak passphrases refused, a complete `show`, and a consent prompt that names the institution.

mod common;

use std::io::Write as _;
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

/// Every command that fetches something (issuers, verifiers, status lists, did:web).
const FETCHING: [&str; 7] = [
    "claim", "verify", "list", "show", "import", "share", "present",
];

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `text` with runs of spaces collapsed (the columns of `show` and `list` are padded).
fn squash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !(c == ' ' && out.ends_with(' ')) {
            out.push(c);
        }
    }
    out
}

/// A wallet holding the demo badge (both formats), claimed with the switch.
fn claimed(agent: &Server, parent: &std::path::Path) -> std::path::PathBuf {
    let (w, _) = new_wallet(parent, "w");
    let offer = agent.ready["offer"].as_str().unwrap();
    let pin = agent.ready["tx_code"].as_str().unwrap();
    let out = wallet(
        &w,
        "pw",
        &["--allow-http", "claim", offer, "--tx-code", pin],
    );
    assert!(out.status.success(), "{out:?}");
    w
}

fn admin_post(agent: &Server, path: &str, body: &Value) -> (u16, Value) {
    let url = agent.ready["url"].as_str().unwrap();
    let (status, bytes) = http(
        "POST",
        &format!("{url}/issuers/demo/admin/{path}"),
        agent.ready["admin_token"].as_str(),
        Some(body),
    );
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The demo achievement's id.
fn demo_achievement(agent: &Server) -> String {
    let url = agent.ready["url"].as_str().unwrap();
    let (status, body) = http(
        "GET",
        &format!("{url}/issuers/demo/admin/achievements"),
        agent.ready["admin_token"].as_str(),
        None,
    );
    assert_eq!(status, 200);
    let list: Value = serde_json::from_slice(&body).unwrap();
    let list = list
        .as_array()
        .or_else(|| list["achievements"].as_array())
        .unwrap()
        .clone();
    list[0]["id"].as_str().unwrap().to_owned()
}

/// A new offer of the demo achievement, with or without a PIN: (offer URL, PIN).
fn new_offer(agent: &Server, pin: bool) -> (String, Option<String>) {
    offer_of(agent, &demo_achievement(agent), pin)
}

/// A new offer of `achievement`: (offer URL, PIN).
fn offer_of(agent: &Server, achievement: &str, pin: bool) -> (String, Option<String>) {
    let (status, offer) = admin_post(
        agent,
        "offers",
        &serde_json::json!({"achievement_id": achievement, "pin": pin,
                            "recipient": {"name": "Quinn R. Code"}}),
    );
    assert_eq!(status, 201, "{offer}");
    (
        offer["offer_url"].as_str().unwrap().to_owned(),
        offer["tx_code"].as_str().map(str::to_owned),
    )
}

#[test]
fn every_fetching_command_documents_the_development_switch() {
    for command in FETCHING {
        let out = Command::new(env!("CARGO_BIN_EXE_rosette-wallet"))
            .args([command, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{command} --help: {out:?}");
        let help = stdout(&out);
        assert!(help.contains("--allow-http"), "{command} --help: {help}");
        assert!(
            help.contains("ROSETTE_WALLET_ALLOW_HTTP"),
            "{command} --help: {help}"
        );
        assert!(help.contains("plain http"), "{command} --help: {help}");
    }
    // The switch is accepted before or after the command name, and from the environment.
    let dir = tempfile::tempdir().unwrap();
    let (w, _) = new_wallet(dir.path(), "w");
    for args in [
        vec!["--allow-http", "list", "--status"],
        vec!["list", "--status", "--allow-http"],
        vec!["verify", "--allow-http"],
        vec!["show", "nothing", "--allow-http"],
    ] {
        let out = wallet(&w, "pw", &args);
        assert!(
            !stderr(&out).contains("unexpected argument"),
            "{args:?}: {out:?}"
        );
    }
    let out = Command::new(env!("CARGO_BIN_EXE_rosette-wallet"))
        .env("ROSETTE_WALLET_DIR", &w)
        .env("ROSETTE_WALLET_PASSPHRASE", "pw")
        .env("ROSETTE_WALLET_ALLOW_HTTP", "1")
        .args(["list", "--status"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn a_revoked_badge_shows_revoked_and_never_valid_unchecked() {
    let agent = start_agent();
    let dir = tempfile::tempdir().unwrap();
    let w = claimed(&agent, dir.path());

    // Just claimed: the status list was read while verifying, so "valid (checked …)".
    let listed = wallet_json(&w, &["list"]);
    let row = &listed[0];
    assert_eq!(row["status"], "valid", "{listed}");
    assert!(row["status_checked_at"].is_string(), "{listed}");
    let text = squash(&stdout(&wallet(&w, "pw", &["list"])));
    assert!(text.contains("valid (checked just now)"), "{text}");

    // Revoke the ldp_vc copy at the agent.
    let ldp = badge_id_of_format(&w, "ldp_vc");
    let credential: Value = serde_json::from_slice(&exported(&w, &ldp, "json")).unwrap();
    let (status, body) = admin_post(
        &agent,
        "credentials/status",
        &serde_json::json!({"credential_id": credential["id"], "action": "revoke", "reason": "test"}),
    );
    assert_eq!(status, 200, "{body}");

    // Without the switch the http status list is not read: "status unknown", and the message
    // names the switch.
    let out = wallet(&w, "pw", &["list", "--status"]);
    assert!(out.status.success(), "{out:?}");
    let text = stdout(&out);
    assert!(text.contains("status unknown"), "{text}");
    assert!(text.contains("--allow-http"), "{text}");
    assert!(!text.contains("revoked"), "{text}");
    let out = wallet(&w, "pw", &["verify", &ldp]);
    assert!(stdout(&out).contains("--allow-http"), "{out:?}");

    // With it (as a global switch, or from the environment): revoked.
    let out = wallet(&w, "pw", &["--allow-http", "list", "--status"]);
    let text = stdout(&out);
    assert!(text.contains("revoked"), "{text}");
    assert!(!text.contains("valid"), "{text}");
    let listed = wallet_json(&w, &["list"]);
    assert_eq!(listed[0]["status"], "revoked", "{listed}");

    // Remembered: the offline list and show say revoked too, with when it was checked.
    let text = stdout(&wallet(&w, "pw", &["list"]));
    assert!(
        text.contains("revoked") && !text.contains("valid"),
        "{text}"
    );
    let text = squash(&stdout(&wallet(&w, "pw", &["show", &ldp])));
    assert!(text.contains("Status: revoked; last checked"), "{text}");

    // verify refreshes it as well (here from the environment).
    let out = Command::new(env!("CARGO_BIN_EXE_rosette-wallet"))
        .env("ROSETTE_WALLET_DIR", &w)
        .env("ROSETTE_WALLET_PASSPHRASE", "pw")
        .env("ROSETTE_WALLET_ALLOW_HTTP", "true")
        .args(["--json", "verify", &ldp])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["valid"], false, "{report}");
}

#[test]
fn an_https_refusal_names_the_switch() {
    let agent = start_agent();
    let dir = tempfile::tempdir().unwrap();
    let (w, _) = new_wallet(dir.path(), "w");
    let out = wallet(&w, "pw", &["claim", agent.ready["offer"].as_str().unwrap()]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--allow-http"), "{out:?}");
    let out = wallet(
        &w,
        "pw",
        &["present", agent.ready["request"].as_str().unwrap(), "--yes"],
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--allow-http"), "{out:?}");
}

#[test]
fn one_row_per_award_and_the_preview_names_the_institution() {
    let agent = start_agent();
    let dir = tempfile::tempdir().unwrap();
    let (w, _) = new_wallet(dir.path(), "w");
    let offer = agent.ready["offer"].as_str().unwrap();
    let pin = agent.ready["tx_code"].as_str().unwrap();
    let out = wallet(
        &w,
        "pw",
        &["--allow-http", "claim", offer, "--tx-code", pin],
    );
    assert!(out.status.success(), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.contains("Badge offer from Rosette Demo University"),
        "{err}"
    );
    assert!(!err.contains("Open Badge (ldp_vc)"), "{err}");
    assert!(
        err.contains("Received \u{201c}Rust Verifiable Credentials Practitioner\u{201d} from Rosette Demo University"),
        "{err}"
    );

    let listed = wallet_json(&w, &["list"]);
    let rows = listed.as_array().unwrap();
    assert_eq!(rows.len(), 1, "one award, one row: {listed}");
    let mut formats: Vec<&str> = rows[0]["formats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    formats.sort_unstable();
    assert_eq!(formats, ["jwt_vc_json", "ldp_vc"], "{listed}");
    assert_eq!(rows[0]["ids"].as_array().unwrap().len(), 2, "{listed}");
    let text = stdout(&wallet(&w, "pw", &["list"]));
    assert_eq!(text.lines().count(), 2, "a header and one row: {text}");
    assert!(
        text.contains("ldp_vc") && text.contains("jwt_vc_json"),
        "{text}"
    );

    // A second award of the same achievement is a second row.
    let (offer, _) = new_offer(&agent, false);
    let out = wallet(&w, "pw", &["--allow-http", "claim", &offer]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(wallet_json(&w, &["list"]).as_array().unwrap().len(), 2);
}

#[test]
fn used_and_locked_offers_are_refused_in_the_claim_pages_words() {
    let agent = start_agent();
    let dir = tempfile::tempdir().unwrap();
    let w = claimed(&agent, dir.path());
    let offer = agent.ready["offer"].as_str().unwrap();
    let pin = agent.ready["tx_code"].as_str().unwrap();
    let out = wallet(
        &w,
        "pw",
        &["--allow-http", "claim", offer, "--tx-code", pin],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("already been collected"), "{err}");
    assert!(!err.contains("no such resource"), "{err}");

    // Wrong PINs until the offer locks (20 from all clients; loopback clients are not held to
    // the per-client five): each refusal says how many tries remain.
    let (offer, pin) = new_offer(&agent, true);
    let pin = pin.unwrap();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let mut locked = false;
    for _ in 0..25 {
        let out = wallet(
            &w,
            "pw",
            &["--allow-http", "claim", &offer, "--tx-code", wrong],
        );
        assert!(!out.status.success());
        let err = stderr(&out);
        if err.contains("locked after too many wrong PINs") {
            locked = true;
            break;
        }
        assert!(
            err.contains("wrong PIN") && (err.contains("tries left") || err.contains("1 try left")),
            "{err}"
        );
    }
    assert!(locked, "the offer never locked");
    let out = wallet(
        &w,
        "pw",
        &["--allow-http", "claim", &offer, "--tx-code", &pin],
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("locked after too many wrong PINs"), "{err}");
    assert!(err.contains("Ask the institution for a new offer"), "{err}");
}

/// A wrong PIN typed at the prompt is asked again; the PIN is not echoed (util-linux `script`
/// gives the wallet a pseudo-terminal).
#[test]
fn a_wrong_pin_at_the_prompt_is_asked_again_and_never_echoed() {
    assert!(
        Command::new("script").arg("--version").output().is_ok(),
        "the PIN prompt test needs util-linux `script` (apt-get install util-linux)"
    );
    let agent = start_agent();
    let (offer, pin) = new_offer(&agent, true);
    let pin = pin.unwrap();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let dir = tempfile::tempdir().unwrap();
    let (w, _) = new_wallet(dir.path(), "w");
    let cmd = format!(
        "{} --allow-http claim '{offer}'",
        env!("CARGO_BIN_EXE_rosette-wallet")
    );
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("ROSETTE_WALLET_DIR", &w)
        .env("ROSETTE_WALLET_PASSPHRASE", "pw")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    for typed in [wrong, pin.as_str()] {
        std::thread::sleep(std::time::Duration::from_millis(2000));
        writeln!(child.stdin.as_mut().unwrap(), "{typed}").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PIN (6 digits, not shown)"), "{text}");
    assert!(text.contains("Wrong PIN. 19 tries left."), "{text}");
    assert!(text.contains("Stored"), "{text}");
    assert!(!text.contains(&pin), "the PIN was echoed: {text}");
    assert!(!text.contains(wrong), "the PIN was echoed: {text}");
}

#[test]
fn a_weak_passphrase_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("w");
    let out = wallet(&w, "short", &["init"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("too short") && err.contains("12"), "{err}");
    assert!(!w.join("wallet.json").exists());
    let out = wallet(&w, "aaaaaaaaaaaaaaaa", &["init"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("too few different"), "{out:?}");
    let out = wallet(&w, "correct horse battery staple", &["init"]);
    assert!(out.status.success(), "{out:?}");
}

#[test]
fn show_prints_the_achievement_people_dates_status_and_proof() {
    let agent = start_agent();
    let (status, created) = admin_post(
        &agent,
        "achievements",
        &serde_json::json!({
            "name": "Data Stewardship",
            "description": "Keeps research data findable and safe.",
            "criteria": {"narrative": "Publish a data management plan."},
            "tags": ["data", "research"],
            "alignment": [{"type": ["Alignment"], "targetName": "Manage research data",
                           "targetFramework": "ESCO", "targetCode": "S1.2",
                           "targetUrl": "https://esco.example/s1.2"}],
            "achievement_type": "Certificate"
        }),
    );
    assert_eq!(status, 201, "{created}");
    let achievement = created["id"].as_str().unwrap().to_owned();
    let (offer, _) = offer_of(&agent, &achievement, false);
    let dir = tempfile::tempdir().unwrap();
    let (w, _) = new_wallet(dir.path(), "w");
    let out = wallet(&w, "pw", &["--allow-http", "claim", &offer]);
    assert!(out.status.success(), "{out:?}");
    let listed = wallet_json(&w, &["list"]);
    for id in listed[0]["ids"].as_array().unwrap() {
        let id = id.as_str().unwrap();
        let out = wallet(&w, "pw", &["--allow-http", "show", id, "--status"]);
        assert!(out.status.success(), "{out:?}");
        let text = squash(&stdout(&out));
        for expected in [
            "Badge: Data Stewardship",
            "Type: Certificate",
            "Description: Keeps research data findable and safe.",
            "Criteria: Publish a data management plan.",
            "Skills: Manage research data (ESCO, S1.2, https://esco.example/s1.2)",
            "Tags: data, research",
            "Evidence: (none)",
            "Issuer: Rosette Demo University",
            "Issuer id: did:",
            "Learner: Quinn R. Code",
            "Learner id: did:key:",
            "Issued: 20",
            "Expires: never",
            "Status: valid (checked just now); last checked 20",
            "Proof: ",
            "key: did:",
            "Also held as: ",
        ] {
            assert!(text.contains(expected), "{expected:?} missing: {text}");
        }
        let shown = wallet_json(&w, &["show", id]);
        let proof = &shown["details"]["proof"][0];
        if shown["summary"]["format"] == "ldp_vc" {
            assert!(
                text.contains("Proof: DataIntegrityProof, eddsa-rdfc-2022"),
                "{text}"
            );
            assert_eq!(proof["suite"], "eddsa-rdfc-2022", "{shown}");
        } else {
            assert!(text.contains("Proof: JWS (VC-JWT), EdDSA"), "{text}");
        }
        assert!(proof["verification_method"].is_string(), "{shown}");
        assert_eq!(shown["details"]["alignments"][0]["code"], "S1.2", "{shown}");
    }
}

#[test]
fn the_consent_prompt_names_the_institution_in_plain_words() {
    let agent = start_agent();
    let dir = tempfile::tempdir().unwrap();
    let w = claimed(&agent, dir.path());
    let request = agent.ready["request"].as_str().unwrap();
    let out = wallet(&w, "pw", &["--allow-http", "present", request, "--yes"]);
    assert!(out.status.success(), "{out:?}");
    let err = stderr(&out);
    let first = err.lines().next().unwrap_or_default();
    assert!(
        first.contains("\u{201c}Rosette Demo University\u{201d} at 127.0.0.1:"),
        "{err}"
    );
    assert!(first.contains("asks to see your badge"), "{err}");
    assert!(!first.contains("did:"), "{err}");
    for internal in [
        "decentralized_identifier:",
        "badge_jwt_vc_json",
        "badge_ldp_vc",
        "dcql",
    ] {
        assert!(!err.contains(internal), "{internal} shown: {err}");
    }
    assert!(
        err.contains("\u{201c}Rust Verifiable Credentials Practitioner\u{201d} issued by Rosette Demo University"),
        "{err}"
    );
    // The identifier stays available as a detail.
    assert!(err.contains("identifier did:"), "{err}");
}

#[test]
fn the_linkedin_link_carries_the_badge_expiry() {
    let tmp = tempfile::tempdir().unwrap();
    let agent =
        std::path::Path::new(env!("CARGO_BIN_EXE_rosette-wallet")).with_file_name("rosette-agent");
    let run = |args: &[&str]| {
        let out = Command::new(&agent)
            .args(args)
            .current_dir(tmp.path())
            .output()
            .expect("rosette-agent runs");
        assert!(out.status.success(), "rosette-agent {args:?}: {out:?}");
        out.stdout
    };
    // An offline-signed badge valid until March 2031.
    run(&[
        "keys",
        "generate",
        "--type",
        "ed25519",
        "--out",
        "issuer.jwk",
    ]);
    let mut unsigned: Value = serde_json::from_slice(&run(&["credential", "example"])).unwrap();
    unsigned["validUntil"] = Value::from("2031-03-31T23:59:59Z");
    std::fs::write(tmp.path().join("badge.json"), unsigned.to_string()).unwrap();
    let signed = run(&[
        "credential",
        "sign",
        "--key",
        "issuer.jwk",
        "--format",
        "ldp_vc",
        "--in",
        "badge.json",
    ]);
    let file = tmp.path().join("badge.signed.json");
    std::fs::write(&file, signed).unwrap();

    let (w, _) = new_wallet(tmp.path(), "w");
    let imported = wallet_json(&w, &["import", file.to_str().unwrap()]);
    let id = imported["stored"][0]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("{imported}"));
    let shared = wallet_json(&w, &["share", id]);
    let link = url::Url::parse(shared["linkedin"].as_str().unwrap()).unwrap();
    let q: std::collections::BTreeMap<String, String> = link.query_pairs().into_owned().collect();
    assert_eq!(
        q.get("expirationYear").map(String::as_str),
        Some("2031"),
        "{link}"
    );
    assert_eq!(
        q.get("expirationMonth").map(String::as_str),
        Some("3"),
        "{link}"
    );
}

#[test]
fn present_offers_the_new_badge_not_the_revoked_one() {
    let agent = start_agent();
    let dir = tempfile::tempdir().unwrap();
    let w = claimed(&agent, dir.path());
    let old: Value =
        serde_json::from_slice(&exported(&w, &badge_id_of_format(&w, "ldp_vc"), "json")).unwrap();
    let (status, body) = admin_post(
        &agent,
        "credentials/status",
        &serde_json::json!({"credential_id": old["id"], "action": "revoke", "reason": "wrong grade"}),
    );
    assert_eq!(status, 200, "{body}");
    // The institution sends a new offer of the same achievement; the learner claims it and
    // checks the statuses, so the wallet knows the first award is revoked.
    let (offer, _) = new_offer(&agent, false);
    wallet_json(&w, &["claim", &offer, "--allow-http"]);
    let listed = wallet_json(&w, &["list", "--status", "--allow-http"]);
    let states: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["status"].as_str())
        .collect();
    assert!(
        states.contains(&"revoked") && states.contains(&"valid"),
        "{listed}"
    );

    for format in ["ldp_vc", "jwt_vc_json"] {
        let url = agent.ready["url"].as_str().unwrap();
        let (status, created) = http(
            "POST",
            &format!("{url}/verifiers/demo/admin/presentation-requests"),
            agent.ready["admin_token"].as_str(),
            Some(&serde_json::json!({"formats": [format]})),
        );
        assert_eq!(status, 201);
        let created: Value = serde_json::from_slice(&created).unwrap();
        let answer = wallet_json(
            &w,
            &[
                "present",
                created["request_url"].as_str().unwrap(),
                "--yes",
                "--allow-http",
            ],
        );
        assert_eq!(answer["accepted"], true, "{format}: {answer}");
    }
}
