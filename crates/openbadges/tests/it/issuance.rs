//! `prepare_for_issuance` and `demo_credential`.

use rosette_openbadges::context::{OB_CONTEXT_3_0_3, OB_EXTENSIONS_CONTEXT, VC_V2_CONTEXT};
use rosette_openbadges::issue::DEMO_BADGE_SVG_DATA_URI;
use rosette_openbadges::{
    DemoParams, IdentityType, IssuanceError, SchemaVariant, demo_credential, prepare_for_issuance,
    validate_credential,
};
use serde_json::{Value, json};

const ISSUER: &str = "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi";
const NOW: &str = "2026-11-26T12:00:00Z";
const UUID: &str = "5b3c7e9a-2f41-4c8e-9d1a-0e6f3b2a7c10";

fn unsigned() -> Value {
    json!({
        "name": "Teamwork Badge",
        "issuer": {"type": ["Profile"], "name": "Example Corp"},
        "credentialSubject": {
            "id": "did:example:holder",
            "achievement": {
                "id": "https://example.com/achievements/teamwork",
                "type": ["Achievement"],
                "criteria": {"narrative": "Nominated by peers."},
                "description": "Collaboration within a group.",
                "name": "Teamwork"
            }
        }
    })
}

fn demo_params() -> DemoParams<'static> {
    DemoParams {
        issuer_did: ISSUER,
        issuer_name: "Rosette Academy",
        subject_did: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        email: "conformance@imsglobal.org",
        salt: "pepper-0001",
        valid_from: NOW,
        uuid: UUID,
    }
}

#[test]
fn fills_id_issuer_valid_from_contexts_and_types() {
    let c = prepare_for_issuance(
        unsigned(),
        ISSUER,
        NOW,
        || UUID.to_owned(),
        SchemaVariant::Strict,
    )
    .unwrap();
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["@context"], json!([VC_V2_CONTEXT, OB_CONTEXT_3_0_3]));
    assert_eq!(v["id"], json!(format!("urn:uuid:{UUID}")));
    assert_eq!(
        v["type"],
        json!(["VerifiableCredential", "OpenBadgeCredential"])
    );
    assert_eq!(v["issuer"]["id"], json!(ISSUER));
    assert_eq!(v["validFrom"], json!(NOW));
    assert_eq!(
        v["credentialSubject"]["type"],
        json!(["AchievementSubject"])
    );
    assert!(validate_credential(&v, SchemaVariant::Strict).is_ok());
}

#[test]
fn keeps_existing_values_and_does_not_call_the_generator() {
    let mut u = unsigned();
    u["id"] = json!("urn:uuid:11111111-2222-3333-4444-555555555555");
    u["validFrom"] = json!("2020-01-01T00:00:00+02:00");
    u["issuer"] = json!(ISSUER);
    u["type"] = json!("AchievementCredential");
    u["@context"] = json!([
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json",
        {"ex": "https://example.com/ns#"}
    ]);
    let c = prepare_for_issuance(
        u,
        ISSUER,
        NOW,
        || panic!("id already set"),
        SchemaVariant::Strict,
    )
    .unwrap();
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(
        v["id"],
        json!("urn:uuid:11111111-2222-3333-4444-555555555555")
    );
    assert_eq!(v["validFrom"], json!("2020-01-01T00:00:00+02:00"));
    assert_eq!(
        v["type"],
        json!(["AchievementCredential", "VerifiableCredential"])
    );
    assert_eq!(
        v["@context"],
        json!([VC_V2_CONTEXT, OB_CONTEXT_3_0_3, {"ex": "https://example.com/ns#"}])
    );
}

#[test]
fn adds_extensions_context_for_1edtech_types() {
    let mut u = unsigned();
    u["credentialStatus"] =
        json!({"id": "https://example.com/revocations", "type": "1EdTechRevocationList"});
    let c =
        prepare_for_issuance(u, ISSUER, NOW, || UUID.to_owned(), SchemaVariant::Strict).unwrap();
    let v = serde_json::to_value(&c).unwrap();
    assert_eq!(v["@context"][2], json!(OB_EXTENSIONS_CONTEXT));
}

#[test]
fn issuer_mismatch_is_named() {
    let mut u = unsigned();
    u["issuer"]["id"] = json!("did:example:someone-else");
    match prepare_for_issuance(u, ISSUER, NOW, || UUID.to_owned(), SchemaVariant::Strict) {
        Err(IssuanceError::IssuerMismatch { expected, found }) => {
            assert_eq!(expected, ISSUER);
            assert_eq!(found, "did:example:someone-else");
        }
        other => panic!("{other:?}"),
    }
    let mut u = unsigned();
    u["issuer"] = json!("https://evil.example");
    let err = prepare_for_issuance(u, ISSUER, NOW, || UUID.to_owned(), SchemaVariant::Strict)
        .unwrap_err();
    assert!(err.to_string().contains("https://evil.example"), "{err}");
}

#[test]
fn rejects_bad_inputs_with_named_errors() {
    let bad_time = prepare_for_issuance(
        unsigned(),
        ISSUER,
        "now",
        || UUID.to_owned(),
        SchemaVariant::Strict,
    );
    assert!(matches!(bad_time, Err(IssuanceError::Timestamp(_))));
    let bad_uuid = prepare_for_issuance(
        unsigned(),
        ISSUER,
        NOW,
        || "not-a-uuid".into(),
        SchemaVariant::Strict,
    );
    assert!(matches!(bad_uuid, Err(IssuanceError::InvalidUuid(_))));
    let not_obj = prepare_for_issuance(
        json!([1]),
        ISSUER,
        NOW,
        || UUID.to_owned(),
        SchemaVariant::Strict,
    );
    assert!(matches!(not_obj, Err(IssuanceError::NotAnObject)));
    let mut legacy = unsigned();
    legacy["@context"] = json!(["https://www.w3.org/2018/credentials/v1"]);
    assert!(matches!(
        prepare_for_issuance(
            legacy,
            ISSUER,
            NOW,
            || UUID.to_owned(),
            SchemaVariant::Strict
        ),
        Err(IssuanceError::LegacyVcContext)
    ));
    let mut no_criteria = unsigned();
    no_criteria["credentialSubject"]["achievement"]
        .as_object_mut()
        .unwrap()
        .remove("criteria");
    match prepare_for_issuance(
        no_criteria,
        ISSUER,
        NOW,
        || UUID.to_owned(),
        SchemaVariant::Strict,
    ) {
        Err(IssuanceError::Invalid(v)) => {
            assert_eq!(v.len(), 1, "{v:?}");
            assert_eq!(v[0].path, "/credentialSubject/achievement/criteria");
        }
        other => panic!("{other:?}"),
    }
    let mut anonymous = unsigned();
    anonymous["credentialSubject"]
        .as_object_mut()
        .unwrap()
        .remove("id");
    match prepare_for_issuance(
        anonymous,
        ISSUER,
        NOW,
        || UUID.to_owned(),
        SchemaVariant::Strict,
    ) {
        Err(IssuanceError::Invalid(v)) => assert_eq!(v[0].path, "/credentialSubject"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn demo_credential_is_valid_everywhere_and_deterministic() {
    let c = demo_credential(&demo_params()).unwrap();
    let v = serde_json::to_value(&c).unwrap();
    for variant in [
        SchemaVariant::Purl,
        SchemaVariant::Strict,
        SchemaVariant::JsonLd,
    ] {
        assert!(validate_credential(&v, variant).is_ok(), "{variant:?}");
    }
    assert_eq!(
        serde_json::to_string(&c).unwrap(),
        serde_json::to_string(&demo_credential(&demo_params()).unwrap()).unwrap()
    );
    let a = &c.credential_subject.achievement;
    assert_eq!(a.image.as_ref().unwrap().id, DEMO_BADGE_SVG_DATA_URI);
    assert!(DEMO_BADGE_SVG_DATA_URI.starts_with("data:image/svg+xml;base64,"));
    let rd = a.result_description.first().unwrap();
    assert_eq!(rd.allowed_value.as_slice(), ["D", "C", "B", "A"]);
    let result = c.credential_subject.result.first().unwrap();
    assert_eq!(result.result_description.as_deref(), Some(rd.id.as_str()));
    let email = c.credential_subject.identifier.first().unwrap();
    assert_eq!(
        email.matches(&IdentityType::EmailAddress, "conformance@imsglobal.org"),
        Ok(true)
    );
    assert_eq!(
        c.credential_subject.id.as_deref(),
        Some(demo_params().subject_did)
    );
    // A demo credential is ready for the signer: prepare_for_issuance leaves it unchanged.
    let again = prepare_for_issuance(
        v.clone(),
        ISSUER,
        NOW,
        || panic!("has id"),
        SchemaVariant::Strict,
    )
    .unwrap();
    assert_eq!(serde_json::to_value(&again).unwrap(), v);
}
