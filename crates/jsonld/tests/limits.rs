//! Hostile input: deep nesting, context cycles and context-load storms give errors, not
//! stack overflows or unbounded work.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rosette_jsonld::{
    DocumentLoader, JsonLdErrorCode, JsonLdProcessor, LoadError, MAX_DEPTH, Options, RemoteDocument,
};
use serde_json::{Value, json};

/// Serves `http://c/N` as a context that includes `http://c/N+1` (an endless chain), and
/// `http://c/self` as a context that includes itself; counts loads.
#[derive(Default)]
struct Chain {
    loads: AtomicUsize,
}

impl DocumentLoader for Chain {
    fn load(&self, url: &str) -> Result<Arc<RemoteDocument>, LoadError> {
        self.loads.fetch_add(1, Ordering::Relaxed);
        let n: u64 = match url.strip_prefix("http://c/") {
            Some("self") => {
                return Ok(Arc::new(RemoteDocument {
                    document_url: url.into(),
                    document: json!({"@context": ["http://c/self", {"a": "http://x/a"}]}),
                }));
            }
            Some(n) => n
                .parse()
                .map_err(|_| LoadError::UnknownContext(url.into()))?,
            None => return Err(LoadError::UnknownContext(url.into())),
        };
        Ok(Arc::new(RemoteDocument {
            document_url: url.into(),
            document: json!({"@context": [format!("http://c/{}", n + 1), {"a": "http://x/a"}]}),
        }))
    }
}

fn nested(depth: usize) -> Value {
    let mut v = json!({"http://x/p": "leaf"});
    for _ in 0..depth {
        // Built by hand: `json!` would re-serialise `v` recursively.
        let mut m = serde_json::Map::new();
        m.insert("http://x/p".into(), Value::Array(vec![v]));
        v = Value::Object(m);
    }
    v
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // Run on a small stack, as a server worker thread might have.
    std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let p = JsonLdProcessor::with_bundled_contexts();
            let deep = nested(10_000);
            let e = p.to_rdf(&deep, &Options::default()).unwrap_err();
            assert_eq!(e.code, JsonLdErrorCode::DepthLimitExceeded);
            std::mem::forget(deep); // serde_json's recursive Drop is not ours to test
            let ok = nested(MAX_DEPTH / 3);
            assert_eq!(
                p.to_rdf(&ok, &Options::default()).unwrap().len(),
                MAX_DEPTH / 3 + 1
            );
        })
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn context_cycles_and_chains_are_bounded() {
    let loader = Arc::new(Chain::default());
    let p = JsonLdProcessor::new(loader.clone());
    let e = p
        .to_rdf(
            &json!({"@context": "http://c/self", "a": 1}),
            &Options::default(),
        )
        .unwrap_err();
    assert_eq!(e.code, JsonLdErrorCode::ContextOverflow);
    let e = p
        .to_rdf(
            &json!({"@context": "http://c/0", "a": 1}),
            &Options::default(),
        )
        .unwrap_err();
    assert_eq!(e.code, JsonLdErrorCode::ContextOverflow);
    assert!(
        loader.loads.load(Ordering::Relaxed) <= 2 * 64,
        "loads are bounded per call"
    );
}

#[test]
fn many_distinct_remote_contexts_hit_the_load_limit() {
    let loader = Arc::new(Chain::default());
    let p = JsonLdProcessor::new(loader);
    // 100 siblings, each a chain of one: more loads than one call may make.
    let ctx: Vec<Value> = (0..100)
        .map(|i| json!(format!("http://c/{}", i * 1000)))
        .collect();
    let e = p
        .to_rdf(&json!({"@context": ctx, "a": 1}), &Options::default())
        .unwrap_err();
    assert_eq!(e.code, JsonLdErrorCode::ContextOverflow);
}

#[test]
fn fuzz_entry_point_handles_garbage() {
    let p = JsonLdProcessor::with_bundled_contexts();
    assert_eq!(p.to_rdf_bytes(b"\xff not json").unwrap(), None);
    assert!(p.to_rdf_bytes(br#"{"@context": {"@vocab": 5}}"#).is_err());
    assert_eq!(
        p.to_rdf_bytes(br#"[1, "x", null, {}]"#).unwrap(),
        Some(vec![])
    );
}

/// A stable-Rust stand-in for the fuzz target: every toRdf suite input, byte-mutated with a
/// fixed pseudo-random sequence, through `to_rdf_bytes` (strict and lenient). No panics.
#[test]
fn mutated_suite_inputs_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/json-ld-toRdf/tests/toRdf");
    let loader = rosette_jsonld::PrefixDirLoader::new(
        "https://w3c.github.io/json-ld-api/tests/toRdf/",
        &dir,
    );
    let p = JsonLdProcessor::new(Arc::new(loader));
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let tokens: [&[u8]; 8] = [
        b"@list",
        b"@graph",
        b"@reverse",
        b"@context",
        b"null",
        b"[[[",
        b"{}",
        b"\"_:b\"",
    ];
    let mut runs = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if !path.to_string_lossy().ends_with("-in.jsonld") {
            continue;
        }
        let orig = std::fs::read(&path).unwrap();
        for _ in 0..8 {
            let mut b = orig.clone();
            for _ in 0..=(next() % 3) {
                let at = (next() as usize) % b.len().max(1);
                match next() % 3 {
                    0 => b[at] = (next() % 128) as u8,
                    1 => {
                        let t = tokens[(next() % 8) as usize];
                        b.splice(at..at, t.iter().copied());
                    }
                    _ => {
                        b.remove(at);
                    }
                }
                if b.is_empty() {
                    b.push(b'{');
                }
            }
            let _ = p.to_rdf_bytes(&b);
            if let Ok(v) = serde_json::from_slice::<Value>(&b) {
                let strict = Options {
                    strict: true,
                    ..Options::default()
                };
                let _ = p.expand(&v, &strict);
            }
            runs += 1;
        }
    }
    assert!(runs > 3000, "{runs}");
}

/// Structure-aware variant: values and keys of suite inputs replaced by JSON-LD keywords and
/// odd shapes. Errors are fine; panics are not.
#[test]
fn structurally_mutated_inputs_never_panic() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/json-ld-toRdf/tests/toRdf");
    let loader = rosette_jsonld::PrefixDirLoader::new(
        "https://w3c.github.io/json-ld-api/tests/toRdf/",
        &dir,
    );
    let p = JsonLdProcessor::new(Arc::new(loader));
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let subs = [
        json!("@list"),
        json!({"@list": [1, {"@list": []}]}),
        json!(null),
        json!([[], [[]]]),
        json!({"@id": "_:x", "@type": "_:t"}),
        json!({"@context": null}),
        json!({"@value": {"a": [1.5, true]}, "@type": "@json"}),
        json!({"@reverse": {"http://x/p": {"@id": "http://x/o"}}}),
        json!({"@graph": {"@id": "http://x/g"}, "@index": "i"}),
        json!({"@context": {"@vocab": "_:", "@base": "rel/"}, "x": "y"}),
        json!("@type"),
        json!(1e300),
    ];
    let keys = [
        "@id",
        "@type",
        "@value",
        "@list",
        "@set",
        "@graph",
        "@nest",
        "@included",
        "@index",
    ];
    fn mutate(v: &mut Value, rnd: &mut dyn FnMut() -> u64, subs: &[Value], keys: &[&str]) {
        if rnd().is_multiple_of(7) {
            *v = subs[(rnd() % subs.len() as u64) as usize].clone();
            return;
        }
        match v {
            Value::Array(a) => a.iter_mut().for_each(|x| mutate(x, rnd, subs, keys)),
            Value::Object(m) => {
                let ks: Vec<String> = m.keys().cloned().collect();
                for k in ks {
                    if rnd().is_multiple_of(9) {
                        if let Some(x) = m.remove(&k) {
                            m.insert(keys[(rnd() % keys.len() as u64) as usize].into(), x);
                        }
                    } else if let Some(x) = m.get_mut(&k) {
                        mutate(x, rnd, subs, keys);
                    }
                }
            }
            _ => {}
        }
    }
    let mut runs = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let path = e.unwrap().path();
        if !path.to_string_lossy().ends_with("-in.jsonld") {
            continue;
        }
        let orig: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        for i in 0..6 {
            let mut v = orig.clone();
            mutate(&mut v, &mut rnd, &subs, &keys);
            let opts = Options {
                strict: i % 2 == 0,
                rdf_direction: Some(rosette_jsonld::RdfDirection::CompoundLiteral),
                base: Some("https://w3c.github.io/json-ld-api/tests/toRdf/x.jsonld".into()),
                ..Options::default()
            };
            let _ = p.to_rdf(&v, &opts);
            runs += 1;
        }
    }
    assert!(runs > 2000, "{runs}");
}

#[test]
fn large_arrays_stay_fast() {
    // 20 000 values (half duplicates) under one property and as types: no quadratic blowup.
    let vals: Vec<Value> = (0..20_000)
        .map(|i| json!(format!("v{}", i % 10_000)))
        .collect();
    let types: Vec<Value> = (0..20_000)
        .map(|i| json!(format!("http://x/T{}", i % 10_000)))
        .collect();
    let doc = json!({"@id": "http://x/s", "@type": types, "http://x/p": vals});
    let p = JsonLdProcessor::with_bundled_contexts();
    let t = std::time::Instant::now();
    let q = p.to_rdf(&doc, &Options::default()).unwrap();
    assert_eq!(q.len(), 20_000);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        t.elapsed()
    );
}
