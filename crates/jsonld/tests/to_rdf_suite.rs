//! The W3C JSON-LD 1.1 toRdf test suite (`tests/vectors/json-ld-toRdf`, see its SOURCES.md),
//! run by one harness. Every applicable entry is run; the list of failures must equal
//! `KNOWN_FAILURES`.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rosette_jsonld::{JsonLdProcessor, Options, PrefixDirLoader, ProcessingMode, RdfDirection};
use rosette_rdf::Quad;
use serde_json::Value;
use support::{isomorphic, parse_line};

const BASE: &str = "https://w3c.github.io/json-ld-api/tests/";

/// Tests we knowingly fail, with the reason.
const KNOWN_FAILURES: &[(&str, &str)] = &[(
    "#te075",
    "requires GeneralizedRdf: blank-node predicates cannot be represented by rosette_rdf::Quad",
)];

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/json-ld-toRdf/tests")
}

// ---------- the harness ----------

fn str_opt<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

#[test]
fn w3c_to_rdf_suite() {
    let dir = suite_dir();
    let manifest: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("toRdf-manifest.jsonld")).unwrap())
            .unwrap();
    let proc = JsonLdProcessor::new(Arc::new(PrefixDirLoader::new(BASE, &dir)));
    let mut failures: BTreeMap<String, String> = BTreeMap::new();
    let (mut passed, mut skipped) = (0, 0);
    for t in manifest["sequence"].as_array().unwrap() {
        let id = str_opt(t, "@id").unwrap().to_owned();
        let opt = t.get("option").cloned().unwrap_or(Value::Null);
        if str_opt(&opt, "specVersion") == Some("json-ld-1.0") {
            skipped += 1;
            continue;
        }
        let types: Vec<&str> = t["@type"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let input = str_opt(t, "input").unwrap();
        let doc: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join(input)).unwrap()).unwrap();
        let mut opts = Options {
            base: Some(
                str_opt(&opt, "base").map_or_else(|| format!("{BASE}{input}"), str::to_owned),
            ),
            ..Options::default()
        };
        if str_opt(&opt, "processingMode") == Some("json-ld-1.0") {
            opts.processing_mode = ProcessingMode::JsonLd10;
        }
        opts.produce_generalized_rdf = opt.get("produceGeneralizedRdf") == Some(&Value::Bool(true));
        opts.rdf_direction = match str_opt(&opt, "rdfDirection") {
            Some("i18n-datatype") => Some(RdfDirection::I18nDatatype),
            Some("compound-literal") => Some(RdfDirection::CompoundLiteral),
            _ => None,
        };
        if let Some(ec) = str_opt(&opt, "expandContext") {
            let text = std::fs::read_to_string(dir.join(ec)).unwrap();
            opts.expand_context = Some(serde_json::from_str(&text).unwrap());
        }
        let got = proc.to_rdf(&doc, &opts);
        let outcome: Result<(), String> = if types.contains(&"jld:NegativeEvaluationTest") {
            let want = str_opt(t, "expectErrorCode").unwrap();
            match &got {
                Err(e) if e.code.as_str() == want => Ok(()),
                Err(e) => Err(format!("expected error {want:?}, got {e}")),
                Ok(q) => Err(format!("expected error {want:?}, got {} quads", q.len())),
            }
        } else if types.contains(&"jld:PositiveSyntaxTest") {
            got.map(|_| ()).map_err(|e| format!("unexpected error {e}"))
        } else {
            let expect = std::fs::read_to_string(dir.join(str_opt(t, "expect").unwrap())).unwrap();
            let want: Vec<Quad> = expect.lines().filter_map(parse_line).collect();
            match &got {
                Ok(q) if isomorphic(q, &want) => Ok(()),
                Ok(q) => Err(format!(
                    "output differs\n--- got\n{}--- want\n{expect}",
                    rosette_jsonld::to_nquads(q)
                )),
                Err(e) => Err(format!("unexpected error {e}")),
            }
        };
        match outcome {
            Ok(()) => passed += 1,
            Err(why) => {
                failures.insert(id, why);
            }
        }
    }
    for (id, why) in &failures {
        println!("FAIL {id}: {why}");
    }
    println!(
        "toRdf suite: {passed} passed, {} failed, {skipped} skipped (json-ld-1.0 only)",
        failures.len()
    );
    let got: Vec<&str> = failures.keys().map(String::as_str).collect();
    let want: Vec<&str> = KNOWN_FAILURES.iter().map(|(id, _)| *id).collect();
    assert_eq!(got, want, "failures differ from KNOWN_FAILURES");
}

#[test]
fn isomorphism_check_works() {
    let a: Vec<Quad> = "_:a <http://p> _:b .\n_:b <http://p> \"x\" .\n"
        .lines()
        .filter_map(parse_line)
        .collect();
    let b: Vec<Quad> = "_:y <http://p> \"x\" .\n_:z <http://p> _:y .\n"
        .lines()
        .filter_map(parse_line)
        .collect();
    let c: Vec<Quad> = "_:y <http://p> \"x\" .\n_:y <http://p> _:z .\n"
        .lines()
        .filter_map(parse_line)
        .collect();
    assert!(isomorphic(&a, &b));
    assert!(!isomorphic(&a, &c));
}
