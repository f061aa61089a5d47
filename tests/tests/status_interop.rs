//! Bitstring Status List interop with the independent peer `@digitalbazaar/vc-bitstring-status-list`
//! 2.0.1 (`tests/interop/status-list.mjs`): it reads our `encodedList` and our signed list
//! credential and agrees on every revoked index; we read a list it created.
//!
//! Needs Node.js >= 20 and `scripts/interop-install.sh`; without them every test fails with that hint.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use rosette_core::{FixedClock, Timestamp};
use rosette_did::{KeyType, SigningKey};
use rosette_proof::{
    Canonicalizer, CheckName, CredentialFormat, CredentialSigner, FetchedStatusList,
    MapStatusSource, Outcome, Verifier,
};
use rosette_status::{MIN_LIST_LENGTH, StatusList, StatusListEntry, StatusPurpose};
use rosette_tests::interop::Harness;
use serde_json::{Value, json};

const LIST_URL: &str = "https://college.example.org/status/revocation/1";

/// Runs `node status-list.mjs <args>` and returns its report; panics (test code) unless it passed.
fn peer(args: &[&str]) -> Value {
    let harness = Harness::locate().unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new("node")
        .arg(harness.dir().join("status-list.mjs"))
        .args(args)
        .current_dir(harness.dir())
        .output()
        .unwrap_or_else(|e| panic!("cannot run node: {e}"));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "status-list.mjs {args:?} printed no report (exit {:?}): {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(
        out.status.success() && report["pass"] == json!(true),
        "status-list.mjs {args:?}: {report:#}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    report
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_string_lossy().into_owned()
}

fn set_indices(report: &Value) -> Vec<u64> {
    report["results"][0]["set"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect()
}

#[test]
fn the_peer_decodes_our_encoded_list_to_the_same_bits() {
    let dir = tempfile::tempdir().unwrap();
    let mut list = StatusList::new(MIN_LIST_LENGTH * 2).unwrap();
    let set = [0u64, 7, 8, 23, 4_097, 99_999, 131_071, 131_072, 262_143];
    for i in set {
        list.set(i, true).unwrap();
    }
    let file = write(dir.path(), "encoded.txt", &list.encode());
    let report = peer(&["decode", &file]);
    assert_eq!(report["results"][0]["length"], json!(MIN_LIST_LENGTH * 2));
    assert_eq!(set_indices(&report), set);
}

#[test]
fn we_decode_a_list_the_peer_created() {
    let report = peer(&["create", "--length", "131072", "--set", "1,23,500,131071"]);
    let encoded = report["results"][0]["encodedList"].as_str().unwrap();
    let list = StatusList::decode_default(encoded).unwrap();
    assert_eq!(list.len(), MIN_LIST_LENGTH);
    assert_eq!(list.count_set(), 4);
    for i in [1, 23, 500, 131_071] {
        assert!(list.get(i).unwrap(), "bit {i}");
    }
}

#[test]
fn the_peer_reads_the_1edtech_example_list_as_we_do() {
    let path = rosette_tests::workspace_root().join(
        "crates/proof/tests/vectors/ob3/validator-bitstring-status-list-credential.eddsa-rdfc-2022.json",
    );
    let report = peer(&["decode", &path.to_string_lossy()]);
    assert_eq!(set_indices(&report), [23]);
}

#[test]
fn the_peer_checks_our_signed_list_credential_and_agrees_on_the_revoked_index() {
    let dir = tempfile::tempdir().unwrap();
    let now = Timestamp::parse("2026-06-01T12:00:00Z").unwrap();
    let signer = CredentialSigner::did_key(
        Canonicalizer::bundled(),
        SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng),
    );
    let did = signer.key().did_key().as_str().to_owned();
    let (revoked_index, clear_index) = (94_567u64, 1_234u64);

    let mut list = StatusList::new(MIN_LIST_LENGTH).unwrap();
    list.set(revoked_index, true).unwrap();
    let list_credential = json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": LIST_URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": did,
        "validFrom": "2026-05-01T00:00:00Z",
        "credentialSubject": {
            "id": format!("{LIST_URL}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": list.encode()
        }
    });
    let signed_list = signer
        .sign(&list_credential, CredentialFormat::LdpVc, now)
        .unwrap()
        .to_text();
    let list_file = write(dir.path(), "list.json", &signed_list);

    let mut files = Vec::new();
    let mut texts = Vec::new();
    for (name, index) in [("revoked", revoked_index), ("clear", clear_index)] {
        let mut unsigned = serde_json::to_value(
            rosette_openbadges::demo_credential(&rosette_openbadges::DemoParams {
                issuer_did: &did,
                issuer_name: "Rosette Demo University",
                subject_did: "did:example:learner",
                email: "learner@example.org",
                salt: "salt",
                valid_from: "2026-01-01T00:00:00Z",
                uuid: "0b5f3b1e-0000-4000-8000-000000000003",
            })
            .unwrap(),
        )
        .unwrap();
        unsigned["credentialStatus"] =
            StatusListEntry::new(StatusPurpose::Revocation, index, LIST_URL).to_json();
        let text = signer
            .sign(&unsigned, CredentialFormat::LdpVc, now)
            .unwrap()
            .to_text();
        files.push(write(dir.path(), &format!("{name}.json"), &text));
        texts.push(text);
    }

    let mut args = vec!["check", list_file.as_str()];
    args.extend(files.iter().map(String::as_str));
    let report = peer(&args);
    let results = report["results"].as_array().unwrap();
    assert_eq!(results[0]["set"], json!(true), "{report:#}");
    assert_eq!(results[1]["set"], json!(false), "{report:#}");

    // And our verifier says the same of the same files.
    let verifier = Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(rosette_proof::offline_resolver()),
        Arc::new(FixedClock::new(now)),
    )
    .with_status_source(Arc::new(
        MapStatusSource::new().with(LIST_URL, FetchedStatusList::fresh(signed_list)),
    ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let revoked = runtime.block_on(verifier.verify_text(&texts[0]));
    let clear = runtime.block_on(verifier.verify_text(&texts[1]));
    assert_eq!(revoked.outcome(CheckName::Status), Some(Outcome::Failed));
    assert_eq!(clear.outcome(CheckName::Status), Some(Outcome::Passed));
}
