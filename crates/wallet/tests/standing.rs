//! Issue 14 (learner): a badge is never "valid" without a recent status check, checks are
//! remembered in the store, copies of one award group together, `details` reads what `show`
//! prints, and weak passphrases are refused.

use rosette_core::Timestamp;
use rosette_did::KeyType;
use rosette_wallet_core::{
    BadgeSummary, CredentialFormat, KdfParams, Passphrase, Revocation, STATUS_FRESH_SECONDS,
    Standing, StatusCheck, StoredBadge, Wallet, WeakPassphrase, details, summarize,
};

fn credential(with_status: bool) -> String {
    let mut value = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "id": "urn:uuid:1",
        "issuer": {"id": "did:key:z6MkIssuer", "name": "Example College", "url": "https://college.example/"},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "did:key:z6MkLearner",
            "identifier": [{"type": "IdentityObject", "hashed": false, "identityHash": "Ada Learner", "identityType": "name"}],
            "achievement": {
                "id": "https://example.org/a/1",
                "name": "Data Stewardship",
                "description": "Keeps data safe.",
                "achievementType": "Certificate",
                "criteria": {"id": "https://example.org/a/1/criteria", "narrative": "Publish a plan."},
                "alignment": [{"type": ["Alignment"], "targetName": "Manage data", "targetFramework": "ESCO", "targetCode": "S1"}],
                "tag": ["data"]
            }
        },
        "evidence": [{"id": "https://example.org/work/7", "type": ["Evidence"], "name": "Plan", "narrative": "The plan as submitted."}],
        "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022", "verificationMethod": "did:key:z6MkIssuer#z6MkIssuer", "created": "2026-01-01T00:00:00Z"}
    });
    if with_status {
        value["credentialStatus"] = serde_json::json!({"type": "BitstringStatusListEntry",
            "statusPurpose": "revocation", "statusListIndex": "7",
            "statusListCredential": "https://college.example/status/1"});
    }
    value.to_string()
}

fn at(text: &str) -> Timestamp {
    Timestamp::parse(text).unwrap()
}

fn checked(result: Revocation, when: &str) -> Option<StatusCheck> {
    Some(StatusCheck {
        result,
        checked_at: when.to_owned(),
    })
}

#[test]
fn never_valid_without_a_recent_check() {
    let now = at("2026-03-01T12:00:00Z");
    let mut s = summarize(&credential(true)).unwrap();
    assert!(s.has_status);
    assert_eq!(s.standing(now), Standing::NotChecked);
    assert_eq!(s.standing(now).describe(), "not checked");

    s.status_check = checked(Revocation::Active, "2026-03-01T11:58:00Z");
    assert_eq!(s.standing(now).code(), "valid");
    assert_eq!(s.standing(now).describe(), "valid (checked 2 min ago)");

    s.status_check = checked(Revocation::Active, "2026-02-25T12:00:00Z");
    let stale = s.standing(now);
    assert_eq!(stale.code(), "not_checked_recently");
    assert_eq!(stale.describe(), "not checked since 4 days ago");
    const { assert!(4 * 86_400 > STATUS_FRESH_SECONDS) };

    s.status_check = checked(Revocation::Suspended, "2026-03-01T11:00:00Z");
    assert_eq!(s.standing(now).describe(), "suspended");
    // A revocation stays, however old the check.
    s.status_check = checked(Revocation::Revoked, "2026-01-02T00:00:00Z");
    assert_eq!(s.standing(now).describe(), "revoked");
    assert_eq!(s.standing(now).checked_at(), Some("2026-01-02T00:00:00Z"));

    // No status list: nothing to check.
    let plain = summarize(&credential(false)).unwrap();
    assert!(!plain.has_status);
    assert_eq!(plain.standing(now).describe(), "valid (no status list)");

    // Summaries stored before status checks existed are "not checked", never "valid".
    let old: BadgeSummary =
        serde_json::from_str(r#"{"name":"n","issuer":"did:key:z6MkIssuer","format":"ldp_vc"}"#)
            .unwrap();
    assert_eq!(old.standing(now), Standing::NotChecked);
}

#[test]
fn status_checks_are_remembered_encrypted_in_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let pass = Passphrase::new("pw");
    let mut rng = rand::rngs::OsRng;
    let mut wallet = Wallet::init(
        dir.path(),
        &pass,
        KeyType::Ed25519,
        KdfParams::insecure_for_tests(),
        &mut rng,
    )
    .unwrap();
    let text = credential(true);
    let badge = StoredBadge {
        format: CredentialFormat::LdpVc,
        summary: summarize(&text).unwrap(),
        credential: text.clone(),
        received_at: "2026-02-01T00:00:00Z".into(),
        source: "test".into(),
    };
    let ids = wallet.add(&[badge], &mut rng).unwrap();
    let check = StatusCheck {
        result: Revocation::Revoked,
        checked_at: "2026-03-01T00:00:00Z".into(),
    };
    wallet
        .record_status_checks(&[(ids[0].clone(), check.clone())], &mut rng)
        .unwrap();
    drop(wallet);
    let wallet = Wallet::open(dir.path(), &pass).unwrap();
    assert_eq!(
        wallet.list().unwrap()[0].1.status_check,
        Some(check.clone())
    );
    let stored = wallet.get(&ids[0]).unwrap();
    assert_eq!(stored.summary.status_check, Some(check));
    assert_eq!(
        stored.credential, text,
        "the credential itself is unchanged"
    );
}

#[test]
fn copies_of_one_award_share_a_key() {
    let mut ldp = summarize(&credential(true)).unwrap();
    let mut jwt = ldp.clone();
    jwt.format = CredentialFormat::JwtVcJson;
    ldp.offer = Some("claim-1".into());
    jwt.offer = Some("claim-1".into());
    assert_eq!(ldp.award_key("a"), jwt.award_key("b"));
    // Another claim of the same achievement is another award.
    jwt.offer = Some("claim-2".into());
    assert_ne!(ldp.award_key("a"), jwt.award_key("b"));
    // Imported badges (no offer) stand alone.
    ldp.offer = None;
    jwt.offer = None;
    assert_ne!(ldp.award_key("a"), jwt.award_key("b"));
}

#[test]
fn details_read_what_show_prints() {
    let d = details(&credential(true)).unwrap();
    assert_eq!(d.achievement.as_deref(), Some("Data Stewardship"));
    assert_eq!(d.description.as_deref(), Some("Keeps data safe."));
    assert_eq!(d.achievement_type.as_deref(), Some("Certificate"));
    assert_eq!(d.criteria.as_deref(), Some("Publish a plan."));
    assert_eq!(
        d.criteria_url.as_deref(),
        Some("https://example.org/a/1/criteria")
    );
    assert_eq!(d.alignments.len(), 1);
    assert_eq!(d.alignments[0].name, "Manage data");
    assert_eq!(d.alignments[0].framework.as_deref(), Some("ESCO"));
    assert_eq!(d.tags, ["data"]);
    assert_eq!(d.evidence.len(), 1);
    assert_eq!(d.evidence[0].name.as_deref(), Some("Plan"));
    assert_eq!(
        d.evidence[0].description.as_deref(),
        Some("The plan as submitted.")
    );
    assert_eq!(d.issuer_name.as_deref(), Some("Example College"));
    assert_eq!(d.issuer_url.as_deref(), Some("https://college.example/"));
    assert_eq!(d.learner_name.as_deref(), Some("Ada Learner"));
    assert_eq!(d.learner_id.as_deref(), Some("did:key:z6MkLearner"));
    assert_eq!(d.proof.len(), 1);
    assert_eq!(d.proof[0].kind, "DataIntegrityProof");
    assert_eq!(d.proof[0].suite.as_deref(), Some("eddsa-rdfc-2022"));
    assert_eq!(
        d.proof[0].verification_method.as_deref(),
        Some("did:key:z6MkIssuer#z6MkIssuer")
    );
}

#[test]
fn weak_passphrases_are_refused_with_a_reason() {
    assert_eq!(
        Passphrase::new("short").weakness(),
        Some(WeakPassphrase::TooShort { chars: 5 })
    );
    assert!(
        Passphrase::new("short")
            .weakness()
            .unwrap()
            .to_string()
            .contains("at least 12")
    );
    assert_eq!(
        Passphrase::new("abababababababab").weakness(),
        Some(WeakPassphrase::TooRepetitive)
    );
    assert_eq!(
        Passphrase::new("correct horse battery staple").weakness(),
        None
    );
}
