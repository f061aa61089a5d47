//! Claims from an independent issuer: the oid4vc-ts reference issuer (`tests/interop/ref-issuer.mjs`,
//! @openid4vc/openid4vci 0.4.6, credentials signed by Digital Bazaar vc / jose with an Ed25519
//! did:key). Needs Node.js >= 20 and `scripts/interop-install.sh`; without them the tests fail.

mod common;

use common::{
    badge_id_of_format, jwt_credential, new_wallet, start_ref_issuer, stored_copies, wallet,
    wallet_json,
};

/// The `credentialSubject.id` of a stored badge, from `show --json`.
fn subject_of(dir: &std::path::Path, id: &str) -> (String, serde_json::Value) {
    let shown = wallet_json(dir, &["show", id]);
    let credential = match &shown["credential"] {
        serde_json::Value::String(jwt) => jwt_credential(jwt),
        other => other.clone(),
    };
    let subject = credential["credentialSubject"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no subject id: {credential}"))
        .to_owned();
    (subject, credential)
}

#[test]
fn claims_ldp_and_jwt_badges_from_the_reference_issuer_with_pin() {
    let issuer = start_ref_issuer(&[]);
    let offer = issuer.ready["offer"].as_str().expect("offer");
    let pin = issuer.ready["tx_code"].as_str().expect("tx_code");
    let issuer_did = issuer.ready["issuer_did"].as_str().expect("issuer_did");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (w, holder) = new_wallet(tmp.path(), "w");

    // A wrong PIN: the reference AS answers invalid_grant; nothing stored, the offer stays usable.
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let out = wallet(
        &w,
        "pw",
        &["claim", offer, "--tx-code", wrong, "--allow-http"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("wrong PIN"), "{stderr}");
    assert_eq!(wallet_json(&w, &["list"]), serde_json::json!([]));

    let stored = wallet_json(&w, &["claim", offer, "--tx-code", pin, "--allow-http"]);
    let stored = stored["stored"].as_array().expect("stored");
    assert_eq!(stored.len(), 2, "{stored:?}");

    // One award in two formats: one row.
    let list = wallet_json(&w, &["list"]);
    let list = list.as_array().expect("list");
    assert_eq!(list.len(), 1, "{list:?}");
    let badge = &list[0];
    let mut formats: Vec<&str> = badge["formats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    formats.sort_unstable();
    assert_eq!(formats, ["jwt_vc_json", "ldp_vc"]);
    assert_eq!(badge["status"], "valid", "{badge}");
    assert_eq!(badge["issuer_id"], issuer_did, "{badge}");
    assert_eq!(badge["issuer"], "oid4vc-ts Reference Issuer");
    assert_eq!(badge["badge"], "Interop 101");
    for (id, _) in stored_copies(&w) {
        // Bound to our holder key: the issuer took the subject from our key proof's kid.
        let (subject, _) = subject_of(&w, &id);
        assert_eq!(subject, holder);
    }

    // Every stored badge verifies again, and each one on its own.
    let report = wallet_json(&w, &["verify"]);
    let report = report.as_array().expect("report");
    assert_eq!(report.len(), 2);
    assert!(report.iter().all(|r| r["valid"] == true), "{report:?}");

    // The achievement image is a data: PNG, so a baked PNG export uses it.
    let png = tmp.path().join("ldp.png");
    let ldp_id = badge_id_of_format(&w, "ldp_vc");
    let ldp_id = ldp_id.as_str();
    let exported = wallet_json(
        &w,
        &[
            "export",
            ldp_id,
            "--format",
            "png",
            "--out",
            png.to_str().unwrap(),
        ],
    );
    assert_eq!(exported["image"], "achievement");

    // The offer is single-use.
    let out = wallet(
        &w,
        "pw",
        &["claim", offer, "--tx-code", pin, "--allow-http"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already used"),
        "{out:?}"
    );

    // One nonce per credential request: the reference issuer's nonces are single-use, and the
    // wallet used to spend a refused request (invalid_nonce) on the second credential.
    let log = issuer.stop();
    assert_eq!(log.matches("POST /credential").count(), 2, "{log}");
    assert_eq!(log.matches("POST /nonce").count(), 2, "{log}");
}

/// An offer by value without a PIN: the wallet must not send a `tx_code` (the reference AS
/// rejects one that was not offered).
#[test]
fn claims_from_the_reference_issuer_without_pin() {
    let issuer = start_ref_issuer(&[
        "--no-tx-code",
        "--by-value",
        "--configs",
        "OpenBadgeCredential_jwt_vc_json",
    ]);
    assert!(issuer.ready["tx_code"].is_null());
    let offer = issuer.ready["offer"].as_str().expect("offer");
    assert!(offer.contains("credential_offer="), "{offer}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (w, _) = new_wallet(tmp.path(), "w");
    let stored = wallet_json(&w, &["claim", offer, "--allow-http"]);
    assert_eq!(stored["stored"][0]["format"], "jwt_vc_json", "{stored}");
}
