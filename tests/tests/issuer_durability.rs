//! Crash and restart behaviour of `rosette-agent serve`, observed only through its HTTP API:
//! offers and issuance records survive a graceful restart, and a bulk import killed with SIGKILL
//! leaves every offer either complete or absent.
//!
//! Needs Node.js >= 20 and `scripts/interop-install.sh` (the oid4vc-ts wallet claims an offer).

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rosette_tests::agent::{Client, offer_uri_of};
use serde_json::Value;
use support::*;
use tempfile::TempDir;

const BULK_ROWS: usize = 5_000;
const ROUNDS: usize = 3;

/// The items of a paged `GET …/admin/offers` answer (`{items, next_cursor}`, all pages).
fn offers_in(body: &Value) -> Vec<Value> {
    body.get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_else(|| panic!("offer list has no items array: {body}"))
}

fn records_in(body: &Value) -> Vec<Value> {
    body.get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_else(|| panic!("credential list has no items array: {body}"))
}

#[test]
fn offers_and_issuance_records_survive_a_restart() {
    let h = harness();
    let data = TempDir::new().expect("tempdir");
    let agent = start(data.path(), false);
    let token_before = agent.operator_token().expect("operator token");
    let op = operator(&agent);
    let inst = create_institution(&op, "durable-u", "Durable University");
    let admin = op.with_token(&inst.admin_token);
    let achievement = create_achievement(&admin, "durable-u", "Persistence");
    let claimed_offer = create_offer(&admin, "durable-u", &achievement, false, "Claire Claimed");
    let open_offer = create_offer(&admin, "durable-u", &achievement, true, "Otto Open");
    let out = TempDir::new().expect("tempdir");
    let claim = claimed(
        spawn_wallet(
            &h,
            str_field(&claimed_offer, "offer_url"),
            None,
            &out.path().join("first"),
        )
        .wait()
        .expect("wallet report"),
    );
    assert_eq!(claim.files.len(), 2, "{}", claim.run);
    let status = agent
        .terminate(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "agent exit after SIGTERM: {status}");

    let agent = start(data.path(), false);
    assert_eq!(
        agent.operator_token().expect("operator token"),
        token_before,
        "operator token changed"
    );
    let op = operator(&agent);
    // the port changed; the institution's own token still works
    let admin = Client::new(agent.url(), Some(&inst.admin_token));
    let all = offers_in(&expect(
        admin.get_all_pages("/issuers/durable-u/admin/offers"),
        200,
        "offers",
    ));
    let ids: BTreeSet<&str> = all.iter().filter_map(|o| o["id"].as_str()).collect();
    for offer in [&claimed_offer, &open_offer] {
        assert!(
            ids.contains(str_field(offer, "id")),
            "offer lost in restart: {offer}"
        );
    }
    let claimed_now = offers_in(&expect(
        admin.get_all_pages("/issuers/durable-u/admin/offers?state=claimed"),
        200,
        "claimed",
    ));
    assert_eq!(claimed_now.len(), 1, "{claimed_now:?}");
    assert_eq!(claimed_now[0]["id"], claimed_offer["id"]);
    let open_now = offers_in(&expect(
        admin.get_all_pages("/issuers/durable-u/admin/offers?state=offered"),
        200,
        "offered",
    ));
    assert_eq!(open_now.len(), 1, "{open_now:?}");
    assert_eq!(open_now[0]["id"], open_offer["id"]);

    let records = records_in(&expect(
        admin.get_all_pages("/issuers/durable-u/admin/credentials"),
        200,
        "credentials",
    ));
    assert_eq!(
        records.len(),
        2,
        "one record per issued format: {records:?}"
    );
    let text = serde_json::to_string(&records).unwrap_or_default();
    assert!(text.contains(&claim.holder), "subject DID lost: {text}");
    assert!(
        text.contains(str_field(&claimed_offer, "id")),
        "offer id lost: {text}"
    );
    assert!(
        text.contains("ldp_vc") && text.contains("jwt_vc_json"),
        "formats lost: {text}"
    );
    let institutions =
        expect(op.get_all_pages("/admin/institutions"), 200, "institutions").to_string();
    assert!(
        institutions.contains(&inst.did),
        "institution DID changed: {institutions}"
    );

    // the offer created before the restart is still claimable (with its PIN) at the new address,
    // reached through its claim page as listed after the restart
    let anon = Client::new(agent.url(), None);
    let page = open_now[0]["claim_page"].as_str().map_or_else(
        || format!("/issuers/durable-u/claim/{}", str_field(&open_offer, "id")),
        str::to_owned,
    );
    let open_listed = offer_url_via_claim_page(&anon, &page);
    assert!(
        offer_uri_of(&open_listed).is_some_and(|u| u.starts_with(agent.url())),
        "offer URL not at the new address {}: {open_listed}",
        agent.url()
    );
    let second = claimed(
        spawn_wallet(
            &h,
            &open_listed,
            open_offer["tx_code"].as_str(),
            &out.path().join("second"),
        )
        .wait()
        .expect("wallet report"),
    );
    assert_eq!(second.files.len(), 2, "{}", second.run);
    for file in &second.files {
        let (vc, _) = credential_of(file);
        assert_eq!(
            issuer_id(&vc),
            Some(inst.did.as_str()),
            "issuer key changed over the restart"
        );
    }
    let status = agent
        .terminate(Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "agent exit after SIGTERM: {status}");
}

/// A delay in [lo, hi) ms from the clock (the tests need no rand dependency for one number).
fn jitter_ms(lo: u64, hi: u64) -> u64 {
    // only a source of jitter for the kill delay, not logic under test
    #[allow(clippy::disallowed_methods)]
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    lo + u64::from(nanos) % (hi - lo)
}

/// Checks one listed offer is complete: recipient, achievement, a working offer URI and claim page.
fn assert_complete(
    anon: &Client,
    slug: &str,
    achievement: &str,
    offer: &Value,
    names: &BTreeSet<String>,
) {
    let id = offer["id"]
        .as_str()
        .unwrap_or_else(|| panic!("offer without id: {offer}"));
    let recipient_name = offer
        .pointer("/recipient/name")
        .or_else(|| offer.get("recipient_name"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("offer {id} without recipient name: {offer}"));
    assert!(
        names.contains(recipient_name),
        "offer {id} names an unknown recipient: {offer}"
    );
    let listed_achievement = offer
        .get("achievement_id")
        .or_else(|| offer.pointer("/achievement/id"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("offer {id} without achievement: {offer}"));
    assert_eq!(listed_achievement, achievement, "offer {id}");
    // the list need not carry the offer URL (its secret may be stored only hashed); the claim page
    // links to it, and going through it checks the page too
    let claim_page = offer["claim_page"]
        .as_str()
        .map_or_else(|| format!("/issuers/{slug}/claim/{id}"), str::to_owned);
    let offer_url = offer_url_via_claim_page(anon, &claim_page);
    if let Some(listed) = offer["offer_url"].as_str() {
        assert_eq!(
            listed, offer_url,
            "offer {id}: list and claim page disagree"
        );
    }
    let offer_url = offer_url.as_str();
    let uri = offer_uri_of(offer_url)
        .unwrap_or_else(|| panic!("offer {id}: not by reference: {offer_url}"));
    let resolved = anon.get(&uri).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        resolved.status, 200,
        "offer {id}: {uri} -> {} {}",
        resolved.status, resolved.body
    );
    assert!(
        resolved.body["credential_issuer"]
            .as_str()
            .is_some_and(|i| i.ends_with(&format!("/issuers/{slug}"))),
        "offer {id}: {}",
        resolved.body
    );
    assert!(
        resolved
            .body
            .pointer(
                "/grants/urn:ietf:params:oauth:grant-type:pre-authorized_code/pre-authorized_code"
            )
            .is_some(),
        "offer {id}: no pre-authorized code: {}",
        resolved.body
    );
}

#[test]
fn bulk_import_sigkill_leaves_every_offer_complete_or_absent() {
    // a fresh data dir per round: each round is one import interrupted by SIGKILL
    for round in 0..ROUNDS {
        let data = TempDir::new().expect("tempdir");
        let agent = start(data.path(), false);
        let op = operator(&agent);
        let inst = create_institution(&op, "bulk-u", "Bulk University");
        let achievement =
            create_achievement(&op.with_token(&inst.admin_token), "bulk-u", "Bulk Imports");
        let mut names = BTreeSet::new();
        let mut csv = String::from("name,email,achievement_id,pin\n");
        for row in 0..BULK_ROWS {
            let name = format!("Learner {round}-{row}");
            csv.push_str(&format!(
                "{name},learner.{round}.{row}@example.org,{achievement},{}\n",
                row % 2 == 0
            ));
            names.insert(name);
        }
        let admin = Client::new(agent.url(), Some(&inst.admin_token));
        let upload = std::thread::spawn(move || {
            // the connection dies with the agent; the outcome is judged after the restart
            admin
                .post_raw(
                    "/issuers/bulk-u/admin/offers/bulk",
                    "text/csv",
                    csv.into_bytes(),
                )
                .map(|r| r.status)
        });
        let delay = jitter_ms(150, 1_500);
        std::thread::sleep(Duration::from_millis(delay));
        let status = agent.kill().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !status.success(),
            "round {round}: agent exited by itself: {status}"
        );
        // the upload ends without a response when the kill lands mid-import
        let upload = match upload.join() {
            Ok(Ok(status)) => format!("answered {status}"),
            Ok(Err(_)) => "no response".to_owned(),
            Err(_) => "upload thread panicked".to_owned(),
        };

        let agent = start(data.path(), false);
        let anon = Client::new(agent.url(), None);
        let admin = Client::new(agent.url(), Some(&inst.admin_token));
        let offers = offers_in(&expect(
            admin.get_all_pages("/issuers/bulk-u/admin/offers"),
            200,
            "offers after SIGKILL",
        ));
        let ids: BTreeSet<&str> = offers.iter().filter_map(|o| o["id"].as_str()).collect();
        assert_eq!(
            ids.len(),
            offers.len(),
            "round {round}: duplicate offer ids"
        );
        assert!(
            offers.len() <= BULK_ROWS,
            "round {round}: more offers than rows"
        );
        for offer in &offers {
            assert_complete(&anon, "bulk-u", &achievement, offer, &names);
        }
        eprintln!(
            "round {round}: SIGKILL after {delay} ms (upload: {upload}), {} of {BULK_ROWS} rows imported",
            offers.len()
        );
        // the agent still works after the crash: a small import completes and its offers resolve
        let small = format!(
            "name,email,achievement_id\nAfter Crash,after@example.org,{achievement}\nAlso After,,{achievement}\n"
        );
        let done = expect(
            admin.post_raw(
                "/issuers/bulk-u/admin/offers/bulk",
                "text/csv",
                small.into_bytes(),
            ),
            200,
            "bulk after restart",
        );
        let created = done["created"].as_array().cloned().unwrap_or_default();
        assert_eq!(created.len(), 2, "{done}");
        for offer in &created {
            let url = str_field(offer, "offer_url");
            let uri = offer_uri_of(url).unwrap_or_else(|| panic!("not by reference: {url}"));
            assert_eq!(anon.get(&uri).expect("offer").status, 200, "{uri}");
        }
        let status = agent
            .terminate(Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            status.success(),
            "round {round}: agent exit after SIGTERM: {status}"
        );
    }
}
