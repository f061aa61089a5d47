//! Data dirs written by the sled-era agent (issue 13): the default agent refuses them with the
//! exact command that migrates them, and after the migration every institution, achievement,
//! offer, credential and status bit is there, old credentials still verify and can still be
//! revoked, and an offer made before the migration can still be claimed by an independent
//! wallet (oid4vc-ts).
//!
//! The fixture `tests/fixtures/sled-store-v1/` was made by the agent of commit 714de57 (sled
//! 0.34.7) with `make_sled_fixture` below; its README says how, `contents.json` what it holds.
//! Credentials carry their status list's URL, so the agent runs at the fixture's address.
//!
//! Needs Node.js >= 20 and `scripts/interop-install.sh` (the oid4vc-ts wallet).

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use rosette_tests::agent::{Agent, Client};
use serde_json::{Value, json};
use support::*;
use tempfile::TempDir;

/// The address the fixture's agent served at; credentials point their status lists there.
const FIXTURE_LISTEN: &str = "127.0.0.1:47613";
const FIXTURE_URL: &str = "http://127.0.0.1:47613";

fn fixture_dir() -> PathBuf {
    rosette_tests::workspace_root().join("tests/fixtures/sled-store-v1")
}

fn contents() -> Value {
    let text = std::fs::read_to_string(fixture_dir().join("contents.json")).expect("contents.json");
    serde_json::from_str(&text).expect("contents.json is JSON")
}

/// A copy of the fixture's data dir (unpacked from `data.tar.gz`) in a fresh temp dir.
fn fixture_copy() -> (TempDir, PathBuf) {
    let tmp = TempDir::new().expect("tempdir");
    let status = Command::new("tar")
        .arg("-xzf")
        .arg(fixture_dir().join("data.tar.gz"))
        .arg("-C")
        .arg(tmp.path())
        .status()
        .expect("run tar");
    assert!(status.success(), "unpacking the fixture failed");
    let data = tmp.path().join("data");
    assert!(
        data.join("db").join("db").is_file(),
        "the fixture holds a sled store"
    );
    (tmp, data)
}

fn field<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    let mut at = v;
    for key in path {
        at = at.get(key).unwrap_or_else(|| panic!("no {path:?} in {v}"));
    }
    at.as_str()
        .unwrap_or_else(|| panic!("{path:?} is not a string in {v}"))
}

fn items(body: &Value) -> Vec<Value> {
    body.get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_else(|| panic!("no items array: {body}"))
}

/// `POST /verify` with the credential, asking for the JSON verdict.
fn verify(agent_url: &str, credential: &[u8]) -> Value {
    let res = reqwest::blocking::Client::new()
        .post(format!("{agent_url}/verify"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(credential.to_vec())
        .send()
        .expect("POST /verify");
    assert_eq!(res.status().as_u16(), 200);
    res.json().expect("verdict JSON")
}

/// The names of the verdict's failed checks (`[]`: the credential verifies).
fn failed_checks(verdict: &Value) -> Vec<String> {
    verdict
        .get("verdict")
        .and_then(|v| v.get("checks"))
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no checks in {verdict}"))
        .iter()
        .filter(|c| c.get("outcome").and_then(Value::as_str) == Some("failed"))
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

#[test]
fn the_default_agent_refuses_a_sled_data_dir_with_the_exact_command() {
    let (_tmp, data) = fixture_copy();
    let out = Command::new(&binaries().agent)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&data)
        .env_remove("ROSETTE_DATA")
        .env_remove("ROSETTE_LISTEN")
        .output()
        .expect("run the agent");
    assert!(
        !out.status.success(),
        "the agent started on a sled data dir"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let absolute = std::path::absolute(&data).expect("absolute path");
    let command = format!(
        "cargo run --release -p rosette-agent --features sled-migrate -- store migrate --data '{}'",
        absolute.display()
    );
    assert!(stderr.contains(&command), "no exact command in:\n{stderr}");
    // Nothing was created or changed: the sled store is still the only store.
    assert!(!data.join("store.redb").exists());
    // The default build's own `store migrate` says the same.
    let out = Command::new(&binaries().agent)
        .args(["store", "migrate", "--data"])
        .arg(&data)
        .output()
        .expect("run store migrate");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&command), "no exact command in:\n{stderr}");
}

#[test]
fn a_migrated_sled_data_dir_keeps_every_record_and_old_credentials_stay_usable() {
    let h = harness();
    let facts = contents();
    let (_tmp, data) = fixture_copy();

    // The migration the command runs (this test binary links rosette-storage with `sled`).
    let done = rosette_agent::server::migrate_sled_data_dir(&data).expect("migration");
    assert!(done.report.entries() > 0);
    for table in [
        "institutions",
        "achievements",
        "offers",
        "credential_status",
    ] {
        assert!(
            done.report.tables.contains_key(table),
            "{table} not migrated: {:?}",
            done.report.tables.keys().collect::<Vec<_>>()
        );
    }
    assert!(data.join("store.redb").is_file());
    assert!(
        !data.join("db").exists(),
        "the sled store was not moved aside"
    );
    assert!(
        data.join("db.sled-migrated").join("db").is_file(),
        "sled files not kept"
    );

    let agent = Agent::start_at(
        &binaries().agent,
        &data,
        false,
        FIXTURE_LISTEN,
        Some(FIXTURE_URL),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let op = operator(&agent);
    let slug = field(&facts, &["institution", "slug"]);
    let admin = op.with_token(field(&facts, &["institution", "admin_token"]));

    // Institution and achievement.
    let institutions = expect(op.get("/admin/institutions"), 200, "GET institutions");
    assert!(
        institutions.to_string().contains(slug),
        "institution {slug} missing: {institutions}"
    );
    let achievements = expect(
        admin.get(&format!("/issuers/{slug}/admin/achievements")),
        200,
        "GET achievements",
    );
    assert!(
        achievements
            .to_string()
            .contains(field(&facts, &["achievement_id"])),
        "{achievements}"
    );

    // Every offer, in its state.
    let offers = items(&expect(
        admin.get_all_pages(&format!("/issuers/{slug}/admin/offers")),
        200,
        "GET offers",
    ));
    let state_of = |id: &str| -> String {
        let offer = offers
            .iter()
            .find(|o| o.get("id").and_then(Value::as_str) == Some(id))
            .unwrap_or_else(|| panic!("offer {id} missing after migration"));
        field(offer, &["state"]).to_owned()
    };
    let expected_offers = facts
        .get("offers")
        .and_then(Value::as_object)
        .expect("offers");
    for (name, offer) in expected_offers {
        assert_eq!(
            state_of(field(offer, &["id"])),
            field(offer, &["state"]),
            "offer {name}"
        );
    }

    // Issued credentials and their status bits.
    let credentials = items(&expect(
        admin.get_all_pages(&format!("/issuers/{slug}/admin/credentials")),
        200,
        "GET credentials",
    ));
    let valid_id = field(&facts, &["credentials", "valid", "id"]);
    let revoked_id = field(&facts, &["credentials", "revoked", "id"]);
    for id in [valid_id, revoked_id] {
        assert!(
            credentials.iter().any(|c| c.to_string().contains(id)),
            "credential {id} missing: {credentials:?}"
        );
    }
    let valid_vc =
        std::fs::read(fixture_dir().join(field(&facts, &["credentials", "valid", "file"])))
            .expect("valid credential file");
    let revoked_vc =
        std::fs::read(fixture_dir().join(field(&facts, &["credentials", "revoked", "file"])))
            .expect("revoked credential file");
    let verdict = verify(agent.url(), &valid_vc);
    assert_eq!(
        failed_checks(&verdict),
        Vec::<String>::new(),
        "the pre-migration credential no longer verifies: {verdict}"
    );
    let verdict = verify(agent.url(), &revoked_vc);
    assert_eq!(
        failed_checks(&verdict),
        ["status"],
        "the credential revoked before the migration: {verdict}"
    );

    // The old credential can still be revoked, and then no longer verifies.
    expect(
        admin.post_json(
            &format!("/issuers/{slug}/admin/credentials/status"),
            &json!({"credential_id": valid_id, "action": "revoke", "reason": "after migration"}),
        ),
        200,
        "revoke after migration",
    );
    let verdict = verify(agent.url(), &valid_vc);
    assert_eq!(
        failed_checks(&verdict),
        ["status"],
        "revoked after migration: {verdict}"
    );

    // The unclaimed offer made before the migration is claimed by the oid4vc-ts wallet.
    let unclaimed = facts
        .get("offers")
        .and_then(|o| o.get("unclaimed"))
        .expect("unclaimed");
    let expires_at = field(unclaimed, &["expires_at"]);
    let expires = rosette_core::Timestamp::parse(expires_at).expect("expires_at");
    assert!(
        expires > rosette_core::Clock::now(&rosette_core::SystemClock),
        "the fixture's unclaimed offer expired at {expires_at}: regenerate the fixture (see its \
         README)"
    );
    let out = TempDir::new().expect("tempdir");
    let claim = claimed(
        spawn_wallet(
            &h,
            field(unclaimed, &["offer_url"]),
            Some(field(unclaimed, &["tx_code"])),
            &out.path().join("claim"),
        )
        .wait()
        .expect("wallet report"),
    );
    assert!(!claim.files.is_empty(), "{}", claim.run);
    assert_eq!(
        state_of_now(&admin, slug, field(unclaimed, &["id"])),
        "claimed"
    );

    // A clean restart keeps it all (the new store reopens with its checks).
    agent
        .terminate(Duration::from_secs(30))
        .expect("agent stops");
    let agent = Agent::start_at(
        &binaries().agent,
        &data,
        false,
        FIXTURE_LISTEN,
        Some(FIXTURE_URL),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let admin = Client::new(
        agent.url(),
        Some(field(&facts, &["institution", "admin_token"])),
    );
    assert_eq!(
        state_of_now(&admin, slug, field(unclaimed, &["id"])),
        "claimed"
    );
}

fn state_of_now(admin: &Client, slug: &str, id: &str) -> String {
    let offers = items(&expect(
        admin.get_all_pages(&format!("/issuers/{slug}/admin/offers")),
        200,
        "GET offers",
    ));
    offers
        .iter()
        .find(|o| o.get("id").and_then(Value::as_str) == Some(id))
        .and_then(|o| o.get("state"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("offer {id} missing"))
        .to_owned()
}

/// Makes the fixture with the sled-era agent. Run by hand (see the fixture's README):
/// `ROSETTE_AGENT_BIN=<old agent> ROSETTE_WALLET_BIN=<any rosette-wallet>
/// ROSETTE_FIXTURE_OUT=tests/fixtures/sled-store-v1 cargo test -p rosette-tests --test
/// store_migration -- --ignored make_sled_fixture`.
#[test]
#[ignore = "makes the fixture with the sled-era agent; run by hand"]
fn make_sled_fixture() {
    let out_dir = PathBuf::from(std::env::var("ROSETTE_FIXTURE_OUT").expect("ROSETTE_FIXTURE_OUT"));
    let out_dir = rosette_tests::workspace_root().join(out_dir);
    let h = harness();
    let work = TempDir::new().expect("tempdir");
    let data = work.path().join("data");
    let agent = Agent::start_at(
        &binaries().agent,
        &data,
        false,
        FIXTURE_LISTEN,
        Some(FIXTURE_URL),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let op = operator(&agent);
    let slug = "sled-era-u";
    let inst = create_institution(&op, slug, "Sled Era University");
    let admin = op.with_token(&inst.admin_token);
    let achievement = create_achievement(&admin, slug, "Migration Survivor");

    let claim_one = |who: &str, name: &str| -> (String, PathBuf, String) {
        let offer = create_offer(&admin, slug, &achievement, false, who);
        let claim = claimed(
            spawn_wallet(
                &h,
                str_field(&offer, "offer_url"),
                None,
                &work.path().join(name),
            )
            .wait()
            .expect("wallet report"),
        );
        let file = claim
            .files
            .iter()
            .find(|f| f.extension().is_some_and(|e| e == "json"))
            .cloned()
            .expect("an ldp_vc credential");
        let (vc, _) = credential_of(&file);
        let id = vc
            .get("id")
            .and_then(Value::as_str)
            .expect("credential id")
            .to_owned();
        (str_field(&offer, "id").to_owned(), file, id)
    };
    let (valid_offer, valid_file, valid_id) = claim_one("Vera Valid", "valid");
    let (revoked_offer, revoked_file, revoked_id) = claim_one("Rex Revoked", "revoked");
    expect(
        admin.post_json(
            &format!("/issuers/{slug}/admin/credentials/status"),
            &json!({"credential_id": revoked_id, "action": "revoke", "reason": "fixture"}),
        ),
        200,
        "revoke",
    );
    // The longest lifetime the agent allows (one year): the fixture's claim test works until
    // then.
    let unclaimed = expect(
        admin.post_json(
            &format!("/issuers/{slug}/admin/offers"),
            &json!({
                "achievement_id": achievement,
                "recipient": {"name": "Ursula Unclaimed", "email": "ursula@example.org"},
                "pin": true,
                "expires_in_seconds": 31_536_000,
            }),
        ),
        201,
        "POST unclaimed offer",
    );
    let status = agent
        .terminate(Duration::from_secs(30))
        .expect("agent stops");
    assert!(status.success(), "the agent did not stop cleanly: {status}");

    std::fs::create_dir_all(&out_dir).expect("fixture dir");
    let copy = |from: &Path, name: &str| {
        std::fs::copy(from, out_dir.join(name)).expect("copy credential");
    };
    copy(&valid_file, "valid-credential.json");
    copy(&revoked_file, "revoked-credential.json");
    let tar = Command::new("tar")
        .arg("-czf")
        .arg(out_dir.join("data.tar.gz"))
        .arg("-C")
        .arg(work.path())
        .arg("data")
        .status()
        .expect("tar");
    assert!(tar.success());
    let contents = json!({
        "made_by": "rosette-agent at commit 714de57 (sled 0.34.7), make_sled_fixture in tests/tests/store_migration.rs",
        "public_url": FIXTURE_URL,
        "institution": {"slug": slug, "admin_token": inst.admin_token},
        "achievement_id": achievement,
        "offers": {
            "valid": {"id": valid_offer, "state": "claimed"},
            "revoked": {"id": revoked_offer, "state": "claimed"},
            "unclaimed": {
                "id": str_field(&unclaimed, "id"),
                "state": "offered",
                "offer_url": str_field(&unclaimed, "offer_url"),
                "tx_code": str_field(&unclaimed, "tx_code"),
                "expires_at": str_field(&unclaimed, "expires_at"),
            },
        },
        "credentials": {
            "valid": {"id": valid_id, "file": "valid-credential.json", "status": "active"},
            "revoked": {"id": revoked_id, "file": "revoked-credential.json", "status": "revoked"},
        },
    });
    std::fs::write(
        out_dir.join("contents.json"),
        serde_json::to_string_pretty(&contents).expect("json") + "\n",
    )
    .expect("write contents.json");
}
