//! Badge lifecycle in the wallet: a re-issued badge (same `id`, later `validFrom`) replaces
//! the stored copy, an older copy is not stored, and an expired badge shows as `expired`.

mod common;

use common::*;
use rosette_core::Timestamp;
use rosette_did::{KeyType, SigningKey};
use rosette_proof::{Canonicalizer, CredentialFormat, CredentialSigner};

fn find<'a>(list: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == id)
        .unwrap_or_else(|| panic!("{id} not listed: {list}"))
}

#[test]
fn claiming_a_reissued_badge_replaces_the_older_copy() {
    let agent = start_agent();
    let url = agent.ready["url"].as_str().unwrap().to_owned();
    let admin = agent.ready["admin_token"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let (w, _) = new_wallet(dir.path(), "w");
    let claimed = wallet_json(
        &w,
        &[
            "claim",
            agent.ready["offer"].as_str().unwrap(),
            "--tx-code",
            agent.ready["tx_code"].as_str().unwrap(),
            "--allow-http",
        ],
    );
    assert_eq!(claimed["stored"].as_array().unwrap().len(), 2, "{claimed}");
    assert!(
        claimed["stored"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["replaced"] == false)
    );
    let badge = badge_id_of_format(&w, "ldp_vc");
    let shown = wallet_json(&w, &["show", &badge]);
    let old_issued = shown["summary"]["issued"].as_str().unwrap().to_owned();
    let old_text = exported(&w, &badge, "json");
    let old: serde_json::Value = serde_json::from_slice(&old_text).unwrap();
    let credential_id = old["id"].as_str().unwrap().to_owned();
    let old_file = dir.path().join("old.json");
    std::fs::write(&old_file, &old_text).unwrap();

    // validFrom has one-second precision: the re-issued copy must be strictly later.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let encoded: String = url::form_urlencoded::byte_serialize(credential_id.as_bytes()).collect();
    let (status, body) = http(
        "POST",
        &format!("{url}/issuers/demo/admin/credentials/{encoded}/reissue"),
        Some(&admin),
        Some(&serde_json::json!({"pin": false})),
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let reoffer: serde_json::Value = serde_json::from_slice(&body).unwrap();

    let out = wallet(
        &w,
        "pw",
        &[
            "claim",
            reoffer["offer_url"].as_str().unwrap(),
            "--allow-http",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(&format!(
            "as {badge}: replaced an older copy issued {old_issued}"
        )),
        "{text}"
    );

    // One badge per credential: the ldp one now holds the newer copy, same wallet id.
    assert_eq!(stored_copies(&w).len(), 2);
    let newer = wallet_json(&w, &["show", &badge]);
    let new_issued = newer["summary"]["issued"].as_str().unwrap();
    assert!(
        new_issued > old_issued.as_str(),
        "{old_issued} → {new_issued}"
    );
    let new: serde_json::Value = serde_json::from_slice(&exported(&w, &badge, "json")).unwrap();
    assert_eq!(new["id"], credential_id);
    assert_ne!(
        new["credentialStatus"]["statusListIndex"],
        old["credentialStatus"]["statusListIndex"]
    );

    // Importing the older copy again stores nothing and says why.
    let imported = wallet_json(&w, &["import", old_file.to_str().unwrap()]);
    assert_eq!(
        imported["stored"].as_array().unwrap().len(),
        0,
        "{imported}"
    );
    assert_eq!(
        imported["not_stored"][0]["reason"], "newer_stored",
        "{imported}"
    );
    assert_eq!(imported["not_stored"][0]["id"], badge.as_str());
    let out = wallet(&w, "pw", &["import", old_file.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("already has a newer copy"), "{text}");
    assert_eq!(stored_copies(&w).len(), 2);

    // The same (newer) copy again: already there.
    let new_file = dir.path().join("new.json");
    std::fs::write(&new_file, exported(&w, &badge, "json")).unwrap();
    let out = wallet(&w, "pw", &["import", new_file.to_str().unwrap()]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Already in the wallet"), "{text}");
}

/// An OB 3.0 credential signed by a fresh did:key issuer, valid from an hour ago until
/// `valid_until`.
fn signed(subject: &str, valid_until: Timestamp) -> String {
    let key = SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng);
    let issuer = key.did_key().to_string();
    let now = rosette_core::Clock::now(&rosette_core::SystemClock);
    let unsigned = serde_json::json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": "urn:uuid:7d7c1b2e-8a7e-4c1e-9d3e-2f1a0b9c8d70",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Short-lived Badge",
        "issuer": {"id": issuer, "type": ["Profile"], "name": "Test Institute"},
        "validFrom": now.plus_seconds(-3_600).to_rfc3339(),
        "validUntil": valid_until.to_rfc3339(),
        "credentialSubject": {
            "id": subject,
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://example.org/achievements/short",
                "type": ["Achievement"],
                "name": "Short-lived Badge",
                "description": "Valid for a few seconds.",
                "criteria": {"narrative": "Be quick."}
            }
        }
    });
    CredentialSigner::did_key(Canonicalizer::bundled(), key)
        .sign(&unsigned, CredentialFormat::LdpVc, now)
        .unwrap()
        .to_text()
}

#[test]
fn an_expired_badge_lists_and_verifies_as_expired() {
    let dir = tempfile::tempdir().unwrap();
    let (w, holder) = new_wallet(dir.path(), "w");
    let now = rosette_core::Clock::now(&rosette_core::SystemClock);

    // Already expired: import refuses it (the validity check fails), unless kept unverified.
    let expired = dir.path().join("expired.json");
    std::fs::write(&expired, signed(&holder, now.plus_seconds(-60))).unwrap();
    let out = wallet(&w, "pw", &["import", expired.to_str().unwrap()]);
    assert!(!out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("validity window"), "{err}");

    // Valid at import, expired a few seconds later (the wallet reads the system clock).
    let short = dir.path().join("short.json");
    std::fs::write(&short, signed(&holder, now.plus_seconds(3))).unwrap();
    let imported = wallet_json(&w, &["import", short.to_str().unwrap()]);
    let id = imported["stored"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(find(&wallet_json(&w, &["list"]), &id)["status"], "valid");
    std::thread::sleep(std::time::Duration::from_secs(5));

    let listed = wallet_json(&w, &["list"]);
    assert_eq!(find(&listed, &id)["status"], "expired", "{listed}");
    let out = wallet(&w, "pw", &["list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("expired"));
    let out = wallet(&w, "pw", &["--json", "verify", &id]);
    assert!(
        !out.status.success(),
        "an expired badge must not verify: {out:?}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report[0]["valid"], false, "{report}");
    let window = report[0]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "validity_window")
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(window["outcome"], "failed", "{report}");
    let out = wallet(&w, "pw", &["verify", &id]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("INVALID") && text.contains("expired"),
        "{text}"
    );
}
