//! `rosette-wallet verify` against the agent's Bitstring Status List: a badge the institution
//! revoked verifies as revoked; a list that cannot be fetched (plain http without the
//! development flag) is a warning, never a pass.

mod common;

use common::*;

fn status_check(report: &serde_json::Value) -> (String, String) {
    let check = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "status")
        .unwrap_or_else(|| panic!("no status check: {report}"));
    (
        check["outcome"].as_str().unwrap().to_owned(),
        check["detail"].as_str().unwrap().to_owned(),
    )
}

#[test]
fn verify_reports_a_revoked_badge() {
    let agent = start_agent();
    let offer = agent.ready["offer"].as_str().unwrap();
    let pin = agent.ready["tx_code"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (w, _) = new_wallet(dir.path(), "w");
    let claimed = wallet_json(&w, &["claim", offer, "--tx-code", pin, "--allow-http"]);
    assert_eq!(claimed["stored"].as_array().unwrap().len(), 2, "{claimed}");

    let badge = badge_id_of_format(&w, "ldp_vc");
    let credential: serde_json::Value =
        serde_json::from_slice(&exported(&w, &badge, "json")).unwrap();
    let credential_id = credential["id"].as_str().unwrap();
    assert_eq!(
        credential["credentialStatus"]["type"],
        "BitstringStatusListEntry"
    );

    // Before: the status checks out.
    let report = wallet_json(&w, &["verify", &badge, "--allow-http-did-web"]);
    assert_eq!(status_check(&report[0]).0, "passed", "{report}");

    let url = agent.ready["url"].as_str().unwrap();
    let (status, body) = http(
        "POST",
        &format!("{url}/issuers/demo/admin/credentials/status"),
        agent.ready["admin_token"].as_str(),
        Some(
            &serde_json::json!({"credential_id": credential_id, "action": "revoke", "reason": "test"}),
        ),
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));

    let out = wallet(
        &w,
        "pw",
        &["--json", "verify", &badge, "--allow-http-did-web"],
    );
    assert!(
        !out.status.success(),
        "a revoked badge must not verify: {out:?}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["valid"], false);
    assert_eq!(
        status_check(&report[0]),
        ("failed".to_owned(), "revoked".to_owned())
    );
    let out = wallet(&w, "pw", &["verify", &badge, "--allow-http-did-web"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("INVALID") && text.contains("revoked"),
        "{text}"
    );

    // `list --status` shows it too (one row for the award: one revoked copy makes it
    // revoked), and the offline `list` remembers the last check.
    let listed = wallet_json(&w, &["list", "--status", "--allow-http-did-web"]);
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["status"], "revoked", "{listed}");
    let offline = wallet_json(&w, &["list"]);
    assert_eq!(offline[0]["status"], "revoked", "{offline}");

    // Without the development flag the http list is not fetched: a warning, not a pass.
    let report = wallet_json(&w, &["verify", &badge]);
    let (outcome, detail) = status_check(&report[0]);
    assert_eq!(outcome, "warning", "{detail}");
    assert!(detail.contains("https"), "{detail}");
}
