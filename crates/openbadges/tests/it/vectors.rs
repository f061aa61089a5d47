//! Data-driven harness over `tests/vectors/*.json` (see tests/vectors/SOURCES.md).

use crate::{crate_path, load_json};
use rosette_openbadges::schema::schema_violations;
use rosette_openbadges::validate::credential_kind;
use rosette_openbadges::{
    CredentialKind, ReadError, SchemaVariant, VcVersion, read_credential, semantic_violations,
    validate_credential,
};
use serde_json::Value;
use std::collections::BTreeSet;

fn variant(name: &str) -> SchemaVariant {
    match name {
        "Purl" => SchemaVariant::Purl,
        "Strict" => SchemaVariant::Strict,
        "JsonLd" => SchemaVariant::JsonLd,
        other => panic!("unknown variant {other}"),
    }
}

fn paths(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn ob3_examples_match_expectations() {
    let spec = load_json("tests/vectors/ob3-expectations.json");
    let mut checked = 0;
    for case in spec["vectors"].as_array().unwrap() {
        let file = case["file"].as_str().unwrap();
        let value = load_json(file);
        let bytes = std::fs::read(crate_path(file)).unwrap();
        if let Some(reason) = case.get("skip_reason") {
            // Not an OB credential: it must be refused, not mis-typed.
            assert_eq!(credential_kind(&value), None, "{file}: {reason}");
            let err = read_credential(&bytes, SchemaVariant::Purl).unwrap_err();
            assert!(
                matches!(err, ReadError::NotAnOpenBadge { .. }),
                "{file}: {err}"
            );
            continue;
        }
        let kind = match case["kind"].as_str().unwrap() {
            "Achievement" => CredentialKind::Achievement,
            _ => CredentialKind::Endorsement,
        };
        assert_eq!(credential_kind(&value), Some(kind), "{file}");
        let info = rosette_openbadges::check_contexts(&value["@context"]).unwrap();
        let vc = if case["vc"] == "1.1" {
            VcVersion::V1_1
        } else {
            VcVersion::V2_0
        };
        assert_eq!(info.vc, vc, "{file}");

        for (name, expected) in case["schema"].as_object().unwrap() {
            let got: BTreeSet<String> = schema_violations(&value, variant(name), kind)
                .into_iter()
                .map(|v| v.path)
                .collect();
            assert_eq!(got, paths(expected), "{file} schema {name}");
            let whole = validate_credential(&value, variant(name));
            assert_eq!(whole.is_ok(), got.is_empty(), "{file} {name}: {whole:?}");
            // VC 1.1 is read with the semantic checks only (no 1.1 schema is bundled).
            let read = read_credential(&bytes, variant(name));
            assert_eq!(
                read.is_ok(),
                got.is_empty() || vc == VcVersion::V1_1,
                "{file} {name}"
            );
        }
        let semantic: BTreeSet<String> = semantic_violations(&value)
            .into_iter()
            .map(|v| v.path)
            .collect();
        assert_eq!(semantic, paths(&case["semantic"]), "{file} semantic");
        checked += 1;
    }
    assert_eq!(checked, 8);
}

fn apply(doc: &mut Value, op: &Value) {
    let path = op["path"].as_str().unwrap();
    let (parent, key) = path.rsplit_once('/').unwrap();
    let target = doc
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no parent for {path}"));
    match (op["op"].as_str().unwrap(), target) {
        ("set", Value::Object(m)) => {
            m.insert(key.to_owned(), op["value"].clone());
        }
        ("set", Value::Array(a)) => a[key.parse::<usize>().unwrap()] = op["value"].clone(),
        ("remove", Value::Object(m)) => {
            m.remove(key).unwrap_or_else(|| panic!("nothing at {path}"));
        }
        (o, _) => panic!("unsupported op {o} at {path}"),
    }
}

#[test]
fn bad_inputs_report_the_right_paths() {
    let spec = load_json("tests/vectors/bad-inputs.json");
    let cases = spec["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let mut doc = load_json(case["base"].as_str().unwrap());
        for op in case["ops"].as_array().unwrap() {
            apply(&mut doc, op);
        }
        let result = validate_credential(&doc, variant(case["variant"].as_str().unwrap()));
        let got: BTreeSet<String> = match &result {
            Ok(_) => BTreeSet::new(),
            Err(v) => v.iter().map(|v| v.path.clone()).collect(),
        };
        assert_eq!(got, paths(&case["expect"]), "{name}: {result:#?}");
        if let Err(violations) = result {
            for v in violations {
                assert!(!v.message.is_empty(), "{name}: empty message at {}", v.path);
                assert!(
                    v.message.chars().count() <= 301,
                    "{name}: message not shortened"
                );
            }
        }
    }
}
