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
