//! The store is encrypted at rest, refuses a wrong passphrase and reports damage.

use rosette_did::KeyType;
use rosette_wallet_core::{
    CredentialFormat, KdfParams, OpenError, Passphrase, Placement, StoredBadge, Wallet, summarize,
};

const BADGE_NAME: &str = "Quantum Basket Weaving Distinction";

fn badge() -> StoredBadge {
    let credential = serde_json::json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "id": "urn:uuid:1",
        "issuer": {"id": "did:key:z6MkIssuer", "name": "Example College"},
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": "2027-01-01T00:00:00Z",
        "credentialSubject": {"achievement": {"id": "https://example.org/a/1", "name": BADGE_NAME}}
    })
    .to_string();
    StoredBadge {
        format: CredentialFormat::LdpVc,
        summary: summarize(&credential).unwrap(),
        credential,
        received_at: "2026-02-01T00:00:00Z".into(),
        source: "test".into(),
    }
}

fn grep_dir(dir: &std::path::Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

#[test]
fn round_trip_and_nothing_readable_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let pass = Passphrase::new("correct horse");
    let mut rng = rand::rngs::OsRng;
    let mut wallet = Wallet::init(
        dir.path(),
        &pass,
        KeyType::Ed25519,
        KdfParams::insecure_for_tests(),
        &mut rng,
    )
    .unwrap();
    let secret_d = {
        let jwk: serde_json::Value =
            serde_json::from_str(&wallet.holder_key().to_jwk_json()).unwrap();
        jwk["d"].as_str().unwrap().to_owned()
    };
    let ids = wallet.add(&[badge()], &mut rng).unwrap();
    drop(wallet);

    assert!(!grep_dir(dir.path(), BADGE_NAME.as_bytes()));
    assert!(!grep_dir(dir.path(), b"Example College"));
    assert!(!grep_dir(dir.path(), secret_d.as_bytes()));

    let wallet = Wallet::open(dir.path(), &pass).unwrap();
    let list = wallet.list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].0, ids[0]);
    assert_eq!(list[0].1.name, BADGE_NAME);
    assert_eq!(list[0].1.issuer_name.as_deref(), Some("Example College"));
    assert_eq!(wallet.get(&ids[0]).unwrap(), badge());
    let prefix = &ids[0].as_str()[..8];
    assert_eq!(wallet.resolve(prefix).unwrap(), ids[0]);
}

#[test]
fn wrong_passphrase_and_truncation_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = rand::rngs::OsRng;
    let mut wallet = Wallet::init(
        dir.path(),
        &Passphrase::new("right"),
        KeyType::P256,
        KdfParams::insecure_for_tests(),
        &mut rng,
    )
    .unwrap();
    wallet.add(&[badge(), badge()], &mut rng).unwrap();
    drop(wallet);
    assert!(matches!(
        Wallet::open(dir.path(), &Passphrase::new("wrong")),
        Err(OpenError::WrongPassphrase)
    ));
    let store = dir.path().join("badges.bin");
    let bytes = std::fs::read(&store).unwrap();
    std::fs::write(&store, &bytes[..bytes.len() / 2]).unwrap();
    let err = Wallet::open(dir.path(), &Passphrase::new("right")).unwrap_err();
    assert!(matches!(err, OpenError::Corrupted(_)), "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");
}

#[test]
fn delete_removes_only_that_badge() {
    let dir = tempfile::tempdir().unwrap();
    let pass = Passphrase::new("p");
    let mut rng = rand::rngs::OsRng;
    let mut wallet = Wallet::init(
        dir.path(),
        &pass,
        KeyType::Ed25519,
        KdfParams::insecure_for_tests(),
        &mut rng,
    )
    .unwrap();
    let ids = wallet.add(&[badge(), badge()], &mut rng).unwrap();
    wallet.delete(&ids[0]).unwrap();
    let wallet = Wallet::open(dir.path(), &pass).unwrap();
    assert_eq!(wallet.len(), 1);
    assert!(wallet.get(&ids[0]).is_err());
    assert!(wallet.get(&ids[1]).is_ok());
}

#[test]
fn an_unverified_badge_keeps_its_reason_and_status() {
    use rosette_wallet_core::{BadgeStatus, BadgeSummary};
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
    let mut kept = badge();
    kept.summary.unverified = Some("proof: cannot resolve the key".into());
    let ids = wallet.add(&[kept, badge()], &mut rng).unwrap();
    drop(wallet);
    let wallet = Wallet::open(dir.path(), &pass).unwrap();
    let now = rosette_core::Timestamp::parse("2026-06-01T00:00:00Z").unwrap();
    let list: std::collections::BTreeMap<_, _> = wallet.list().unwrap().into_iter().collect();
    assert_eq!(list[&ids[0]].status(now), BadgeStatus::Unverified);
    assert_eq!(
        list[&ids[0]].unverified.as_deref(),
        Some("proof: cannot resolve the key")
    );
    assert_eq!(list[&ids[1]].status(now), BadgeStatus::Valid);
    // Summaries written before the field existed read as verified.
    let old: BadgeSummary =
        serde_json::from_str(r#"{"name":"n","issuer":"did:key:z6MkIssuer","format":"ldp_vc"}"#)
            .unwrap();
    assert_eq!(old.unverified, None);
    assert_eq!(old.status(now), BadgeStatus::Valid);
}

/// `badge()` with another `validFrom` (and issuer, when given).
fn copy(valid_from: &str, issuer: &str) -> StoredBadge {
    let mut value: serde_json::Value = serde_json::from_str(&badge().credential).unwrap();
    value["validFrom"] = valid_from.into();
    value["issuer"]["id"] = issuer.into();
    let credential = value.to_string();
    StoredBadge {
        summary: summarize(&credential).unwrap(),
        credential,
        ..badge()
    }
}

#[test]
fn add_newest_keeps_one_copy_the_latest_valid_from() {
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
    let issuer = "did:key:z6MkIssuer";
    let first = wallet.add_newest(&[badge()], &mut rng).unwrap();
    let [Placement::Added(id)] = first.as_slice() else {
        panic!("{first:?}")
    };
    // A re-issued copy (same id and issuer, later validFrom) replaces it under the same id.
    let newer = copy("2026-06-01T00:00:00Z", issuer);
    let placed = wallet
        .add_newest(std::slice::from_ref(&newer), &mut rng)
        .unwrap();
    assert_eq!(
        placed,
        vec![Placement::Replaced {
            id: id.clone(),
            previous_issued: Some("2026-01-01T00:00:00Z".into())
        }]
    );
    // An older or equal copy is not stored.
    let placed = wallet.add_newest(&[badge()], &mut rng).unwrap();
    assert_eq!(
        placed,
        vec![Placement::KeptNewer {
            id: id.clone(),
            stored_issued: Some("2026-06-01T00:00:00Z".into())
        }]
    );
    let placed = wallet
        .add_newest(std::slice::from_ref(&newer), &mut rng)
        .unwrap();
    assert_eq!(placed, vec![Placement::KeptSame { id: id.clone() }]);
    // The same id from another issuer is another badge.
    let other = wallet
        .add_newest(
            &[copy("2026-01-01T00:00:00Z", "did:key:z6MkOther")],
            &mut rng,
        )
        .unwrap();
    assert!(matches!(other.as_slice(), [Placement::Added(o)] if o != id));
    drop(wallet);

    let wallet = Wallet::open(dir.path(), &pass).unwrap();
    assert_eq!(wallet.len(), 2);
    assert_eq!(wallet.get(id).unwrap(), newer);
}
