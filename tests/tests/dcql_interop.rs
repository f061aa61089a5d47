//! rosette-dcql gives the same answers as the `dcql` npm package (OWF, 3.0.0) on every vector
//! of `crates/dcql/tests/vectors/`: same validity, same `can_be_satisfied`, same matching
//! credential indices per credential query. The npm side runs in `tests/interop/dcql-match.mjs`.
//!
//! Needs Node.js >= 20 and `scripts/interop-install.sh`; without them the test fails with that hint.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rosette_dcql::{Candidate, DcqlQuery, evaluate};
use rosette_tests::interop::Harness;
use serde_json::{Value, json};

fn vectors() -> PathBuf {
    rosette_tests::workspace_root().join("crates/dcql/tests/vectors")
}

fn candidate(path: &Path) -> Candidate {
    let raw = std::fs::read_to_string(path).expect("credential file");
    let raw = raw.trim();
    if raw.starts_with('{') {
        Candidate::ldp_vc(serde_json::from_str(raw).expect("JSON")).expect("types expand")
    } else {
        let payload = raw.split('.').nth(1).expect("a JWT");
        let bytes = URL_SAFE_NO_PAD.decode(payload).expect("base64url");
        Candidate::jwt_vc_json(&serde_json::from_slice(&bytes).expect("JSON")).expect("types")
    }
}

fn ours(query: &Value, candidates: &[Candidate]) -> Value {
    let Ok(parsed) = DcqlQuery::from_json(query) else {
        return json!({"valid": false});
    };
    if parsed.validate().is_err() {
        return json!({"valid": false});
    }
    let eval = evaluate(&parsed, candidates);
    json!({"valid": true, "can_be_satisfied": eval.can_be_satisfied, "matches": eval.matches})
}

#[test]
fn same_answers_as_the_dcql_npm_package() {
    let harness = Harness::locate().unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new("node")
        .arg(harness.dir().join("dcql-match.mjs"))
        .arg("--cases")
        .arg(vectors().join("cases"))
        .arg("--credentials")
        .arg(vectors().join("credentials.json"))
        .current_dir(harness.dir())
        .stdin(Stdio::null())
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "dcql-match.mjs failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let theirs = report["cases"].as_object().expect("cases");

    let list: Vec<String> = serde_json::from_str(
        &std::fs::read_to_string(vectors().join("credentials.json")).expect("list"),
    )
    .expect("a JSON list");
    let candidates: Vec<Candidate> = list.iter().map(|f| candidate(&vectors().join(f))).collect();
    // Both sides expand `type` with JSON-LD: the IRIs must agree before anything else can.
    for (i, c) in candidates.iter().enumerate() {
        assert_eq!(
            json!(c.expanded_types),
            report["types"][i],
            "expanded types of credential {i}"
        );
    }

    let mut compared = 0;
    let mut differences = BTreeMap::new();
    for (name, node) in theirs {
        let case: Value = serde_json::from_str(
            &std::fs::read_to_string(vectors().join("cases").join(name)).expect("case"),
        )
        .expect("JSON case");
        let rust = ours(&case["query"], &candidates);
        let same = if node["valid"] == false {
            rust["valid"] == false
        } else {
            rust["valid"] == true
                && rust["can_be_satisfied"] == node["can_be_satisfied"]
                && rust["matches"] == node["matches"]
        };
        if !same {
            differences.insert(name.clone(), json!({"dcql npm": node, "rosette": rust}));
        }
        compared += 1;
    }
    assert!(compared >= 20, "only {compared} cases compared");
    assert!(
        differences.is_empty(),
        "answers differ:\n{}",
        serde_json::to_string_pretty(&differences).unwrap_or_default()
    );
}
