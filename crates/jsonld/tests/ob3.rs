//! Open Badges 3.0 credentials through the bundled contexts: the published test vector's
//! canonical N-Quads (up to blank node labels), strict mode on every example, and the
//! interop bugs this crate exists to avoid (lists, coerced booleans).

mod support;

use std::path::{Path, PathBuf};

use rosette_jsonld::{JsonLdErrorCode, JsonLdProcessor, Options};
use rosette_rdf::{Literal, Object, Quad};
use serde_json::{Value, json};
use support::{isomorphic, parse_nquads};

fn ob3_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../proof/tests/vectors/ob3")
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn strict() -> Options {
    Options {
        strict: true,
        ..Options::default()
    }
}

fn without_proof(mut v: Value) -> (Value, Option<Value>) {
    let proof = v.as_object_mut().unwrap().remove("proof");
    (v, proof)
}

#[test]
fn test_vector_document_and_proof_match_published_canon() {
    let dir = ob3_dir().join("test-vector");
    let (doc, proof) = without_proof(read_json(&dir.join("ob3-eddsa-rdfc-2022-signed.json")));
    let p = JsonLdProcessor::with_bundled_contexts();
    let got = p.to_rdf(&doc, &strict()).unwrap();
    let want = parse_nquads(
        &std::fs::read_to_string(dir.join("ob3-eddsa-rdfc-2022-document-canon.nq")).unwrap(),
    );
    assert!(
        isomorphic(&got, &want),
        "{}",
        rosette_jsonld::to_nquads(&got)
    );

    // Proof configuration: the proof without proofValue, under the document's @context.
    let proof = match proof.unwrap() {
        Value::Array(mut a) => a.remove(0),
        other => other,
    };
    let mut cfg = proof.as_object().unwrap().clone();
    cfg.remove("proofValue");
    cfg.insert("@context".into(), doc["@context"].clone());
    let got = p.to_rdf(&Value::Object(cfg), &strict()).unwrap();
    let want = parse_nquads(
        &std::fs::read_to_string(dir.join("ob3-eddsa-rdfc-2022-proof-canon.nq")).unwrap(),
    );
    assert!(
        isomorphic(&got, &want),
        "{}",
        rosette_jsonld::to_nquads(&got)
    );
}

#[test]
fn every_ob3_example_converts_in_strict_mode() {
    let p = JsonLdProcessor::with_bundled_contexts();
    let mut n = 0;
    for e in std::fs::read_dir(ob3_dir()).unwrap() {
        let path = e.unwrap().path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        let (doc, _) = without_proof(read_json(&path));
        let quads = p
            .to_rdf(&doc, &strict())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(quads.len() >= 5, "{}", path.display());
        n += 1;
    }
    assert_eq!(n, 8);
}

#[test]
fn context_processed_once_and_reused() {
    let p = JsonLdProcessor::with_bundled_contexts();
    let (doc, _) = without_proof(read_json(
        &ob3_dir().join("validator-simple.eddsa-rdfc-2022.json"),
    ));
    let first = p.to_rdf(&doc, &strict()).unwrap();
    let cached = p.cached_contexts();
    println!("contexts cached after one credential: {cached}");
    assert!(cached > 0 && cached < 100, "{cached}");
    for _ in 0..3 {
        assert_eq!(p.to_rdf(&doc, &strict()).unwrap(), first);
    }
    assert_eq!(
        p.cached_contexts(),
        cached,
        "warm runs must not process contexts again"
    );
}

#[test]
fn processor_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<JsonLdProcessor>();
    let p = std::sync::Arc::new(JsonLdProcessor::with_bundled_contexts());
    let (doc, _) = without_proof(read_json(
        &ob3_dir().join("validator-simple.eddsa-rdfc-2022.json"),
    ));
    let want = p.to_rdf(&doc, &strict()).unwrap();
    let hs: Vec<_> = (0..4)
        .map(|_| {
            let (p, doc, want) = (p.clone(), doc.clone(), want.clone());
            std::thread::spawn(move || assert_eq!(p.to_rdf(&doc, &strict()).unwrap(), want))
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
}

fn ob3_doc(extra: Value) -> Value {
    let mut v = json!({
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
        ],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://example.com/issuer", "type": ["Profile"]},
        "validFrom": "2010-01-01T00:00:00Z",
    });
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

fn objects_of<'a>(quads: &'a [Quad], pred_suffix: &str) -> Vec<&'a Object> {
    quads
        .iter()
        .filter(|q| q.predicate.ends_with(pred_suffix))
        .map(|q| &q.object)
        .collect()
}

#[test]
fn list_members_are_kept() {
    // OB 3.0.3 `allowedValue` is an @list: every member must reach RDF (ssi drops rdf:first).
    let doc = ob3_doc(
        json!({"credentialSubject": {"type": ["AchievementSubject"], "achievement": {
        "id": "https://example.com/a", "type": ["Achievement"],
        "resultDescription": [{"id": "urn:rd:1", "type": ["ResultDescription"], "name": "Grade",
            "resultType": "LetterGrade", "allowedValue": ["A", "B", "C"]}]}}}),
    );
    let q = JsonLdProcessor::with_bundled_contexts()
        .to_rdf(&doc, &strict())
        .unwrap();
    let firsts: Vec<String> = objects_of(&q, "rdf-syntax-ns#first")
        .into_iter()
        .map(|o| match o {
            Object::Literal(l) => l.value.clone(),
            other => panic!("{other:?}"),
        })
        .collect();
    let mut sorted = firsts.clone();
    sorted.sort();
    assert_eq!(sorted, ["A", "B", "C"]);
    assert_eq!(objects_of(&q, "rdf-syntax-ns#rest").len(), 3);
}

#[test]
fn coerced_boolean_keeps_its_datatype() {
    // OB coerces `hashed` to https://www.w3.org/2001/XMLSchema#boolean (sic, https).
    let doc = ob3_doc(json!({"credentialSubject": {"type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityHash": "a@example.com",
            "identityType": "emailAddress", "hashed": true}]}}));
    let q = JsonLdProcessor::with_bundled_contexts()
        .to_rdf(&doc, &strict())
        .unwrap();
    let hashed = objects_of(&q, "#hashed");
    assert_eq!(
        hashed,
        [&Object::Literal(Literal::typed(
            "true",
            "https://www.w3.org/2001/XMLSchema#boolean"
        ))]
    );
}

#[test]
fn strict_mode_rejects_undefined_terms_lenient_mode_drops_them() {
    let p = JsonLdProcessor::with_bundled_contexts();
    let doc = ob3_doc(json!({"notInAnyContext": "x"}));
    let e = p.to_rdf(&doc, &strict()).unwrap_err();
    assert_eq!(e.code, JsonLdErrorCode::SafeModeViolation);
    assert!(e.message.contains("notInAnyContext"), "{e}");
    let lenient = p.to_rdf(&doc, &Options::default()).unwrap();
    assert!(
        lenient
            .iter()
            .all(|q| !q.predicate.contains("notInAnyContext"))
    );

    let bad_type = ob3_doc(json!({"type": ["VerifiableCredential", "MadeUpType"]}));
    assert_eq!(
        p.to_rdf(&bad_type, &strict()).unwrap_err().code,
        JsonLdErrorCode::SafeModeViolation
    );

    let based = Options {
        base: Some("https://example.com/".into()),
        ..strict()
    };
    assert_eq!(
        p.to_rdf(&bad_type, &based).unwrap_err().code,
        JsonLdErrorCode::SafeModeViolation
    );

    let relative_id = ob3_doc(json!({"id": "relative/thing"}));
    assert_eq!(
        p.to_rdf(&relative_id, &strict()).unwrap_err().code,
        JsonLdErrorCode::SafeModeViolation
    );
    let with_base = Options {
        base: Some("https://example.com/".into()),
        ..strict()
    };
    assert!(p.to_rdf(&relative_id, &with_base).is_ok());
}

#[test]
fn unknown_context_is_an_error_not_a_fetch() {
    let p = JsonLdProcessor::with_bundled_contexts();
    let doc = json!({"@context": "https://example.com/unknown", "name": "x"});
    let e = p.to_rdf(&doc, &Options::default()).unwrap_err();
    assert_eq!(e.code, JsonLdErrorCode::LoadingRemoteContextFailed);
    assert!(e.message.contains("https://example.com/unknown"));
}

#[test]
fn expand_gives_expanded_form() {
    let p = JsonLdProcessor::with_bundled_contexts();
    let doc = ob3_doc(json!({"name": "Badge"}));
    let e = p.expand(&doc, &strict()).unwrap();
    let node = &e.as_array().unwrap()[0];
    assert_eq!(node["@id"], "urn:uuid:1");
    assert_eq!(
        node["@type"],
        json!([
            "https://www.w3.org/2018/credentials#VerifiableCredential",
            "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
        ])
    );
    assert_eq!(
        node["https://schema.org/name"],
        json!([{"@value": "Badge"}])
    );
    assert_eq!(
        node["https://www.w3.org/2018/credentials#validFrom"],
        json!([{"@value": "2010-01-01T00:00:00Z", "@type": "http://www.w3.org/2001/XMLSchema#dateTime"}])
    );
}

#[test]
fn same_rdf_as_jsonld_js_for_every_example() {
    // tests/vectors/ob3-jsonld-js: jsonld.js 9.0.0 output for the same inputs (see SOURCES.md).
    let p = JsonLdProcessor::with_bundled_contexts();
    let refs = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/ob3-jsonld-js");
    let mut n = 0;
    for e in std::fs::read_dir(&refs).unwrap() {
        let path = e.unwrap().path();
        let Some(name) = path
            .file_name()
            .and_then(|f| f.to_str())
            .and_then(|f| f.strip_suffix(".nq"))
        else {
            continue;
        };
        let input = if name.starts_with("ob3-") {
            ob3_dir().join("test-vector").join(name)
        } else {
            ob3_dir().join(name)
        };
        let (doc, _) = without_proof(read_json(&input));
        let got = p.to_rdf(&doc, &strict()).unwrap();
        let want = parse_nquads(&std::fs::read_to_string(&path).unwrap());
        assert!(
            isomorphic(&got, &want),
            "{name}:\n{}",
            rosette_jsonld::to_nquads(&got)
        );
        n += 1;
    }
    assert_eq!(n, 9);
}

#[test]
fn strict_mode_rejects_what_to_rdf_would_drop() {
    let p = JsonLdProcessor::with_bundled_contexts();
    // (document, quads kept in lenient mode)
    let cases = [
        (
            json!({"@context": {"p": "_:p"}, "@id": "http://x/s", "p": "x"}),
            0,
        ),
        (
            json!({"@id": "http://x/s", "http://x/p": {"@value": "x", "@language": "not a tag"}}),
            0,
        ),
        // Lenient mode keeps the string and loses only its direction.
        (
            json!({"@id": "http://x/s", "http://x/p": {"@value": "x", "@direction": "rtl"}}),
            1,
        ),
    ];
    for (doc, kept) in cases {
        let lenient = p.to_rdf(&doc, &Options::default()).unwrap();
        assert_eq!(lenient.len(), kept, "{doc}: {lenient:?}");
        let e = p.to_rdf(&doc, &strict()).unwrap_err();
        assert_eq!(e.code, JsonLdErrorCode::SafeModeViolation, "{doc}");
    }
    // With rdf_direction set, the direction is kept and strict mode is satisfied.
    let dir = json!({"@id": "http://x/s", "http://x/p": {"@value": "x", "@language": "ar", "@direction": "rtl"}});
    let opts = Options {
        rdf_direction: Some(rosette_jsonld::RdfDirection::I18nDatatype),
        ..strict()
    };
    let q = p.to_rdf(&dir, &opts).unwrap();
    assert_eq!(
        q[0].object,
        Object::Literal(Literal::typed("x", "https://www.w3.org/ns/i18n#ar_rtl"))
    );
}
