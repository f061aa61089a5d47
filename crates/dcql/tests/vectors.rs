//! Runs every DCQL vector in `tests/vectors/cases/` against the credentials listed in
//! `tests/vectors/credentials.json` and compares with the stored expected answer (the same
//! answer the `dcql` npm package gives; `rosette-tests`' `dcql_interop` re-checks that).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use rosette_dcql::{Candidate, DcqlQuery, evaluate};
use serde_json::Value;

fn vectors() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn candidate(path: &Path) -> Candidate {
    let raw = std::fs::read_to_string(path).unwrap();
    let raw = raw.trim();
    if raw.starts_with('{') {
        Candidate::ldp_vc(serde_json::from_str(raw).unwrap()).unwrap()
    } else {
        let payload = raw.split('.').nth(1).unwrap();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap();
        Candidate::jwt_vc_json(&serde_json::from_slice(&bytes).unwrap()).unwrap()
    }
}

fn candidates() -> Vec<Candidate> {
    let list: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(vectors().join("credentials.json")).unwrap())
            .unwrap();
    list.iter().map(|f| candidate(&vectors().join(f))).collect()
}

/// Our answer for one case, in the shape of the expected files.
fn answer(query: &Value, candidates: &[Candidate]) -> (Value, Option<Value>) {
    let parsed = match DcqlQuery::from_json(query) {
        Ok(q) => q,
        Err(e) => {
            return (
                serde_json::json!({"valid": false, "error": e.to_string()}),
                None,
            );
        }
    };
    if let Err(e) = parsed.validate() {
        return (
            serde_json::json!({"valid": false, "error": e.to_string()}),
            None,
        );
    }
    let eval = evaluate(&parsed, candidates);
    let matches: BTreeMap<&String, &Vec<usize>> = eval.matches.iter().collect();
    (
        serde_json::json!({"valid": true, "can_be_satisfied": eval.can_be_satisfied, "matches": matches}),
        Some(serde_json::to_value(eval.selection()).unwrap()),
    )
}

#[test]
fn every_vector_gives_the_expected_answer() {
    let candidates = candidates();
    let mut dir: Vec<_> = std::fs::read_dir(vectors().join("cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    dir.sort();
    assert!(dir.len() >= 20, "only {} vectors", dir.len());
    let mut failures = Vec::new();
    for path in &dir {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let expected = &case["expected"];
        let (got, selection) = answer(&case["query"], &candidates);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let same = if expected["valid"] == false {
            got["valid"] == false
        } else {
            got["can_be_satisfied"] == expected["can_be_satisfied"]
                && got["matches"] == expected["matches"]
        };
        if !same {
            failures.push(format!("{name}: expected {expected}, got {got}"));
        }
        if let (Some(want), Some(have)) = (expected.get("selection"), selection)
            && *want != have
        {
            failures.push(format!("{name}: selection expected {want}, got {have}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn expanded_types_match_the_json_ld_expansion() {
    let c = candidates();
    let ob = rosette_dcql::w3c::ob3_type_values().remove(0);
    for i in [0, 1, 2, 3, 5, 6, 7] {
        assert_eq!(c[i].expanded_types, ob, "credential {i}");
    }
    assert_eq!(
        c[8].expanded_types,
        vec![
            rosette_dcql::w3c::VERIFIABLE_CREDENTIAL_IRI,
            "https://example.org/vocab#AlumniCredential"
        ]
    );
    // The OB 3.0 §8.2 JWT (no `vc` claim) keeps its claims at the payload root.
    assert_eq!(c[6].claims["name"], "Teamwork Badge");
    assert_eq!(c[1].claims["type"][1], "OpenBadgeCredential");
}
