//! Typed model: round trips of the example credentials, accessors, hashed identities.

use crate::{OB3_EXAMPLES, load_json};
use rosette_openbadges::validate::typed_credential;
use rosette_openbadges::{
    AchievementCredential, AchievementType, DateTimeStamp, IdentityMatchError, IdentityObject,
    IdentityType, OpenBadgesCredential, ProfileRef, StatusMethod, VcVersion, identity_hash_sha256,
};
use serde_json::json;

#[test]
fn every_example_round_trips_to_an_equal_json_value() {
    for file in OB3_EXAMPLES {
        let input = load_json(file);
        let typed = typed_credential(input.clone()).unwrap_or_else(|e| panic!("{file}: {e}"));
        let output = match &typed {
            OpenBadgesCredential::Achievement(c) => serde_json::to_value(c).unwrap(),
            OpenBadgesCredential::Endorsement(c) => serde_json::to_value(c).unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(output, input, "{file}");
        // Deterministic: serialising twice gives the same bytes.
        let a = match &typed {
            OpenBadgesCredential::Achievement(c) => serde_json::to_string(c).unwrap(),
            OpenBadgesCredential::Endorsement(c) => serde_json::to_string(c).unwrap(),
            _ => unreachable!(),
        };
        let reparsed = typed_credential(serde_json::from_str(&a).unwrap()).unwrap();
        assert_eq!(reparsed, typed, "{file}");
    }
}

#[test]
fn complete_example_exposes_typed_fields() {
    let c: AchievementCredential =
        serde_json::from_value(load_json(crate::OB3_EXAMPLES[3])).unwrap();
    assert_eq!(c.vc_version(), Some(VcVersion::V2_0));
    assert_eq!(c.valid_from().unwrap().as_str(), "2010-01-01T00:00:00Z");
    assert_eq!(c.issuer.id(), "https://1edtech.edu/issuers/565049");
    let a = &c.credential_subject.achievement;
    assert_eq!(a.achievement_type, Some(AchievementType::Degree));
    assert_eq!(a.result_description.len(), 3);
    assert_eq!(
        a.result_description.as_slice()[0].allowed_value.as_slice(),
        ["D", "C", "B", "A"]
    );
    assert!(matches!(a.creator, Some(ProfileRef::Profile(_))));
    assert_eq!(a.endorsement.len(), 1);
    assert_eq!(
        c.credential_status.as_ref().unwrap().method(),
        StatusMethod::RevocationList1EdTech
    );
    assert_eq!(c.credential_subject.identifier.len(), 2);
    assert_eq!(c.credential_subject.result.len(), 3);
    assert_eq!(c.endorsement.len(), 1);
}

#[test]
fn vc11_credentials_expose_issuance_date_as_valid_from() {
    let c: AchievementCredential =
        serde_json::from_value(load_json(crate::OB3_EXAMPLES[6])).unwrap();
    assert_eq!(c.vc_version(), Some(VcVersion::V1_1));
    assert!(c.valid_from.is_none());
    assert_eq!(c.valid_from(), c.issuance_date.as_ref());
    assert!(c.valid_from().is_some());
}

#[test]
fn vc11_is_read_with_semantic_checks_only() {
    use rosette_openbadges::{ReadError, SchemaVariant, read_credential};
    let path = crate::crate_path(crate::OB3_EXAMPLES[7]);
    let bytes = std::fs::read(path).unwrap();
    let read = read_credential(&bytes, SchemaVariant::Strict).unwrap();
    assert!(matches!(read, OpenBadgesCredential::Achievement(_)));
    // VC 1.1 requires name; its absence is reported even without a schema.
    let mut v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    v.as_object_mut().unwrap().remove("name");
    v["credentialSubject"].as_object_mut().unwrap().remove("id");
    match read_credential(&serde_json::to_vec(&v).unwrap(), SchemaVariant::Strict) {
        Err(ReadError::Invalid(violations)) => {
            let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
            assert_eq!(paths, ["/name", "/credentialSubject"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bitstring_status_entry_is_typed() {
    let c: AchievementCredential =
        serde_json::from_value(load_json(crate::OB3_EXAMPLES[4])).unwrap();
    let s = c.credential_status.unwrap();
    assert_eq!(s.method(), StatusMethod::BitstringStatusList);
    assert_eq!(s.status_list_index.unwrap().as_u64(), Some(23));
    assert_eq!(s.status_purpose.as_deref(), Some("revocation"));
    assert!(c.proof.is_compact());
}

#[test]
fn dates_keep_their_lexical_form() {
    let mut v = load_json(crate::OB3_EXAMPLES[1]);
    v["validFrom"] = json!("2010-01-01T01:00:00.000+01:00");
    let c: AchievementCredential = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(serde_json::to_value(&c).unwrap(), v);
    assert_eq!(
        c.valid_from().unwrap(),
        &DateTimeStamp::parse("2010-01-01T00:00:00Z").unwrap()
    );
}

#[test]
fn extension_properties_survive() {
    let mut v = load_json(crate::OB3_EXAMPLES[1]);
    v["credentialSubject"]["achievement"]["ext:level"] = json!({"deep": [1, 2.5, "x"]});
    v["credentialSubject"]["achievement"]["achievementType"] = json!("ext:Hackathon");
    v["myExtension"] = json!(true);
    let c: AchievementCredential = serde_json::from_value(v.clone()).unwrap();
    assert_eq!(
        c.credential_subject.achievement.achievement_type,
        Some(AchievementType::Other("ext:Hackathon".into()))
    );
    assert_eq!(c.extra["myExtension"], json!(true));
    assert_eq!(serde_json::to_value(&c).unwrap(), v);
}

// OB 2.0 hosted assertion: recipient sha256$ecf5…, salt "deadsea", plaintext nobody@example.org.
#[test]
fn hashed_email_matches_ob2_vector() {
    let assertion = load_json("../proof/tests/vectors/ob2/ob2-hosted-assertion.json");
    let recipient = &assertion["recipient"];
    let expected = recipient["identity"].as_str().unwrap();
    let salt = recipient["salt"].as_str().unwrap();
    assert_eq!(salt, "deadsea");
    assert_eq!(identity_hash_sha256("nobody@example.org", salt), expected);

    let id = IdentityObject::hashed_email("nobody@example.org", salt);
    assert_eq!(id.identity_hash, expected);
    assert!(id.hashed);
    assert_eq!(id.identity_type, IdentityType::EmailAddress);
    assert_eq!(
        serde_json::to_value(&id).unwrap(),
        json!({"type": "IdentityObject", "hashed": true, "identityHash": expected,
               "identityType": "emailAddress", "salt": "deadsea"})
    );
    assert_eq!(
        id.matches(&IdentityType::EmailAddress, "nobody@example.org"),
        Ok(true)
    );
    assert_eq!(
        id.matches(&IdentityType::EmailAddress, "somebody@example.org"),
        Ok(false)
    );
    assert_eq!(
        id.matches(&IdentityType::Name, "nobody@example.org"),
        Ok(false)
    );

    // Upper-case hex from another issuer still matches.
    let mut upper = id.clone();
    upper.identity_hash = expected.to_uppercase().replacen("SHA256", "sha256", 1);
    assert_eq!(
        upper.matches(&IdentityType::EmailAddress, "nobody@example.org"),
        Ok(true)
    );
}

#[test]
fn identity_matcher_handles_plaintext_and_bad_hashes() {
    let plain = IdentityObject::plaintext(IdentityType::EmailAddress, "student@1edtech.edu");
    assert_eq!(
        plain.matches(&IdentityType::EmailAddress, "student@1edtech.edu"),
        Ok(true)
    );
    let mut md5 = IdentityObject::hashed_email("a@b.example", "s");
    md5.identity_hash = "md5$0123456789abcdef0123456789abcdef".into();
    assert_eq!(
        md5.matches(&IdentityType::EmailAddress, "a@b.example"),
        Err(IdentityMatchError::UnsupportedAlgorithm("md5".into()))
    );
    md5.identity_hash = "no-dollar".into();
    assert!(matches!(
        md5.matches(&IdentityType::EmailAddress, "a@b.example"),
        Err(IdentityMatchError::MalformedHash(_))
    ));
    md5.identity_hash = "sha256$abc".into();
    assert!(matches!(
        md5.matches(&IdentityType::EmailAddress, "a@b.example"),
        Err(IdentityMatchError::MalformedHash(_))
    ));
}
