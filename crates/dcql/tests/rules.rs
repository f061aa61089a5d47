//! Validation errors by name, the verifier-side `check_presented`, and selection rules.

use std::collections::BTreeMap;

use rosette_dcql::{Candidate, DcqlError, DcqlQuery, check_presented, evaluate, w3c};
use serde_json::{Value, json};

fn query(v: Value) -> DcqlQuery {
    serde_json::from_value(v).expect("parses")
}

fn ob(id: &str) -> Value {
    json!({"id": id, "format": "ldp_vc", "meta": {"type_values": w3c::ob3_type_values()}})
}

fn badge(name: &str) -> Candidate {
    Candidate {
        format: "ldp_vc".into(),
        expanded_types: w3c::ob3_type_values().remove(0),
        claims: json!({"name": name, "credentialSubject": {"id": "did:example:1"}}),
        holder_binding: true,
    }
}

#[test]
fn validation_names_the_rule() {
    let cases = [
        (json!({"credentials": []}), DcqlError::NoCredentialQueries),
        (
            json!({"credentials": [ob("a"), ob("a")]}),
            DcqlError::DuplicateCredentialId("a".into()),
        ),
        (
            json!({"credentials": [ob("a.b")]}),
            DcqlError::InvalidId("a.b".into()),
        ),
        (
            json!({"credentials": [{"id": "a", "format": "ldp_vc"}]}),
            DcqlError::MissingMeta("a".into()),
        ),
        (
            json!({"credentials": [{"id": "a", "format": "jwt_vc_json", "meta": {"type_values": [[]]}}]}),
            DcqlError::MissingTypeValues("a".into()),
        ),
        (
            json!({"credentials": [{"id": "a", "format": "ldp_vc", "meta": {"type_values": [["x"]]},
                "claims": [{"id": "n", "path": ["name"]}, {"id": "n", "path": ["id"]}]}]}),
            DcqlError::DuplicateClaimId {
                query: "a".into(),
                claim: "n".into(),
            },
        ),
        (
            json!({"credentials": [{"id": "a", "format": "ldp_vc", "meta": {"type_values": [["x"]]},
                "claim_sets": [["n"]]}]}),
            DcqlError::UnknownClaimId {
                query: "a".into(),
                claim: "n".into(),
            },
        ),
        (
            json!({"credentials": [{"id": "a", "format": "ldp_vc", "meta": {"type_values": [["x"]]},
                "claims": [{"path": ["name"], "values": [{"nested": 1}]}]}]}),
            DcqlError::InvalidClaimValue("a".into()),
        ),
        (
            json!({"credentials": [{"id": "m", "format": "mso_mdoc", "meta": {},
                "claims": [{"path": ["ns", "a", "b"]}]}]}),
            DcqlError::InvalidPath {
                query: "m".into(),
                reason: "an mdoc path is a namespace and an element name",
            },
        ),
        (
            json!({"credentials": [ob("a")], "credential_sets": [{"options": [["a"], ["z"]]}]}),
            DcqlError::UnknownCredentialSetId {
                set: 0,
                id: "z".into(),
            },
        ),
        (
            json!({"credentials": [ob("a")], "credential_sets": [{"options": []}]}),
            DcqlError::EmptyArray {
                what: "options",
                at: "credential set 0".into(),
            },
        ),
    ];
    for (q, want) in cases {
        assert_eq!(query(q.clone()).validate(), Err(want), "{q}");
    }
    // meta {} is fine for a non-W3C format.
    query(json!({"credentials": [{"id": "p", "format": "dc+sd-jwt", "meta": {}}]}))
        .validate()
        .unwrap();
}

#[test]
fn defaults_and_unknown_members_survive_a_round_trip() {
    let q =
        query(json!({"credentials": [ob("a")], "credential_sets": [{"options": [["a"]]}], "x": 1}));
    let c = &q.credentials[0];
    assert!(c.require_cryptographic_holder_binding);
    assert!(!c.multiple);
    assert!(q.credential_sets.as_ref().unwrap()[0].required);
    let back = serde_json::to_value(&q).unwrap();
    assert_eq!(back["x"], 1);
    assert_eq!(query(back), q);
}

#[test]
fn holder_binding_is_required_by_default() {
    let mut unbound = badge("A");
    unbound.holder_binding = false;
    let q = query(json!({"credentials": [ob("a")]}));
    assert!(!evaluate(&q, std::slice::from_ref(&unbound)).can_be_satisfied);
    let mut relaxed = ob("a");
    relaxed["require_cryptographic_holder_binding"] = json!(false);
    let q = query(json!({"credentials": [relaxed]}));
    assert!(evaluate(&q, &[unbound]).can_be_satisfied);
}

#[test]
fn selection_takes_the_first_match_or_all_with_multiple() {
    let cands = [badge("A"), badge("B")];
    let q = query(json!({"credentials": [ob("a")]}));
    let e = evaluate(&q, &cands);
    assert_eq!(e.matching("a"), &[0, 1]);
    assert_eq!(
        e.selection().unwrap(),
        BTreeMap::from([("a".to_owned(), vec![0])])
    );
    let mut many = ob("a");
    many["multiple"] = json!(true);
    let e = evaluate(&query(json!({"credentials": [many]})), &cands);
    assert_eq!(e.selection().unwrap()["a"], vec![0, 1]);
    assert_eq!(e.matching("nope"), &[] as &[usize]);
}

fn presented(pairs: &[(&str, Vec<Candidate>)]) -> BTreeMap<String, Vec<Candidate>> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect()
}

#[test]
fn check_presented_accepts_a_correct_answer() {
    let q = query(json!({"credentials": [ob("a")]}));
    check_presented(&q, &presented(&[("a", vec![badge("A")])])).unwrap();
}

#[test]
fn check_presented_refuses_each_violation() {
    let mut named = ob("a");
    named["claims"] = json!([{"path": ["name"], "values": ["A"]}]);
    let q = query(json!({"credentials": [named, ob("b")]}));
    let both = |a: Vec<Candidate>| presented(&[("a", a), ("b", vec![badge("B")])]);
    assert_eq!(
        check_presented(
            &q,
            &presented(&[
                ("a", vec![badge("A")]),
                ("b", vec![badge("B")]),
                ("c", vec![badge("C")])
            ])
        ),
        Err(DcqlError::UnknownPresentedId("c".into()))
    );
    assert_eq!(
        check_presented(&q, &both(vec![])),
        Err(DcqlError::EmptyPresentation("a".into()))
    );
    assert_eq!(
        check_presented(&q, &both(vec![badge("A"), badge("A")])),
        Err(DcqlError::MultipleNotAllowed("a".into()))
    );
    assert_eq!(
        check_presented(&q, &both(vec![badge("Z")])),
        Err(DcqlError::PresentedMismatch {
            id: "a".into(),
            index: 0
        })
    );
    assert_eq!(
        check_presented(&q, &presented(&[("a", vec![badge("A")])])),
        Err(DcqlError::MissingCredential("b".into()))
    );
    check_presented(&q, &both(vec![badge("A")])).unwrap();
}

#[test]
fn check_presented_applies_credential_sets() {
    let q = query(json!({
        "credentials": [ob("a"), ob("b"), ob("c")],
        "credential_sets": [{"options": [["a"], ["b"]]}, {"required": false, "options": [["c"]]}]
    }));
    check_presented(&q, &presented(&[("b", vec![badge("B")])])).unwrap();
    assert_eq!(
        check_presented(&q, &presented(&[("c", vec![badge("C")])])),
        Err(DcqlError::RequiredSetUnmet(0))
    );
    let e = evaluate(&q, &[badge("X")]);
    assert!(e.can_be_satisfied);
    assert_eq!(e.sets[0].matching_options, vec![0, 1]);
    // First option of the required set, plus the satisfiable optional set.
    let sel = e.selection().unwrap();
    assert_eq!(sel.keys().collect::<Vec<_>>(), ["a", "c"]);
}

#[test]
fn type_expansion_refuses_unknown_contexts_and_non_objects() {
    assert!(w3c::expanded_types(&json!([1])).is_err());
    assert!(
        w3c::expanded_types(&json!({"@context": ["https://www.w3.org/ns/credentials/v2"]}))
            .is_err()
    );
    assert!(
        w3c::expanded_types(&json!({"@context": ["https://unknown.example/ctx"], "type": ["X"]}))
            .is_err()
    );
    // AchievementCredential is an alias of OpenBadgeCredential in the OB 3.0 context.
    let t = w3c::expanded_types(&json!({
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "type": ["VerifiableCredential", "AchievementCredential"]
    }))
    .unwrap();
    assert_eq!(t, w3c::ob3_type_values().remove(0));
}
