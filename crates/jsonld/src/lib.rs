//! rosette-jsonld: a JSON-LD 1.1 processor for Data Integrity signing — expansion
//! (<https://www.w3.org/TR/json-ld11-api/#expansion-algorithm>) and deserialisation to RDF
//! (<https://www.w3.org/TR/json-ld11-api/#deserialize-json-ld-to-rdf-algorithm>).
//!
//! Contexts come from a [`DocumentLoader`]; [`BundledContexts`] serves pinned copies of the
//! VC / Data Integrity / Open Badges contexts and never touches the network. Processed contexts
//! are cached inside the [`JsonLdProcessor`], so the usual `@context` of a credential is
//! processed once per processor and reused.
//!
//! ```
//! use rosette_jsonld::{JsonLdProcessor, Options};
//!
//! let processor = JsonLdProcessor::with_bundled_contexts(); // share one per process
//! let credential = serde_json::json!({
//!     "@context": [
//!         "https://www.w3.org/ns/credentials/v2",
//!         "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
//!     ],
//!     "id": "urn:uuid:2f9c0e5e-1c59-4b4e-9d7a-6a1f5a9a4f3b",
//!     "type": ["VerifiableCredential", "OpenBadgeCredential"],
//!     "issuer": {"id": "https://example.com/issuer", "type": ["Profile"], "name": "Example"},
//!     "validFrom": "2010-01-01T00:00:00Z"
//! });
//! // Safe mode for signing: an undefined term is an error, not a silent drop.
//! let opts = Options { strict: true, ..Options::default() };
//! let quads = processor.to_rdf(&credential, &opts)?;
//! assert_eq!(quads.len(), 6); // 2 types, issuer, validFrom; issuer type and name
//! print!("{}", rosette_jsonld::to_nquads(&quads));
//! # Ok::<(), rosette_jsonld::JsonLdError>(())
//! ```
//!
//! Untrusted input is bounded: nesting depth ([`MAX_DEPTH`]), nested remote contexts and the
//! number of context loads per call all have limits that give errors, never a stack overflow.

#![warn(missing_docs)]

mod context;
mod error;
mod expand;
mod iri;
mod jcs;
mod loader;
mod to_rdf;

use std::cell::Cell;
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub use error::{JsonLdError, JsonLdErrorCode, LoadError};
pub use loader::{BundledContexts, DocumentLoader, PrefixDirLoader, RemoteDocument};
pub use rosette_rdf::Quad;

use context::ActiveContext;
use error::err;

/// Deepest nesting of JSON (objects and arrays) the processor accepts.
pub const MAX_DEPTH: usize = 64;

/// Most cached processed contexts before the cache is emptied (bounds memory on hostile input).
/// Each entry is a full active context (~50 KB for VC v2 + OB 3.0), so this bounds the cache
/// near 50 MB even when hostile documents each embed a different context; a signer's steady
/// state needs well under 100 entries.
const MAX_CACHE_ENTRIES: usize = 1024;

/// The `processingMode` option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ProcessingMode {
    /// `json-ld-1.0`.
    JsonLd10,
    /// `json-ld-1.1` (the default).
    #[default]
    JsonLd11,
}

/// The `rdfDirection` option: how `@direction` is written to RDF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RdfDirection {
    /// `i18n-datatype`: a datatype `https://www.w3.org/ns/i18n#{language}_{direction}`.
    I18nDatatype,
    /// `compound-literal`: a blank node with `rdf:value`, `rdf:language`, `rdf:direction`.
    CompoundLiteral,
}

/// Options of [`JsonLdProcessor::expand`] and [`JsonLdProcessor::to_rdf`]
/// (JSON-LD 1.1 API `JsonLdOptions`, the entries that matter for expansion and toRdf).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Options {
    /// The base IRI of the document (usually its URL); `None` leaves relative IRIs relative.
    pub base: Option<String>,
    /// The processing mode.
    pub processing_mode: ProcessingMode,
    /// `produceGeneralizedRdf`. Accepted for parity with the API, but `rosette_rdf::Quad`
    /// has IRI-only predicates, so triples with a blank-node predicate are always dropped.
    pub produce_generalized_rdf: bool,
    /// How to write `@direction`; `None` drops the direction.
    pub rdf_direction: Option<RdfDirection>,
    /// A context applied before the document's own (`expandContext`); a map with an
    /// `@context` entry stands for that entry.
    pub expand_context: Option<Value>,
    /// Safe mode (VC Data Integrity; jsonld.js `safe: true`): whatever expansion or toRdf
    /// would silently drop is an error ([`JsonLdErrorCode::SafeModeViolation`]) instead — a
    /// property or `@type` that does not expand to an absolute IRI without help from the base
    /// IRI, an `@id` that stays relative, a blank-node predicate, a malformed language tag or
    /// datatype, and `@direction` when `rdf_direction` is `None`. Signers turn this on.
    pub strict: bool,
}

/// The local context part of a cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum LocalKey {
    /// A context from the document, as serialised JSON.
    Json(String),
    /// A scoped context of a term definition, by its unique id.
    Scoped(u64),
}

/// Cache key of one context processing call.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    active: u64,
    local: LocalKey,
    base: Option<String>,
    flags: u8,
}

#[derive(Debug, Default)]
struct Cache {
    // Private lookup table, never iterated or serialised: hashing is fine here.
    #[allow(clippy::disallowed_types)]
    processed: std::collections::HashMap<CacheKey, Arc<ActiveContext>>,
    #[allow(clippy::disallowed_types)]
    initial: std::collections::HashMap<(Option<String>, ProcessingMode), Arc<ActiveContext>>,
}

/// A JSON-LD processor with a context cache. `Send + Sync`: share one per process.
pub struct JsonLdProcessor {
    loader: Arc<dyn DocumentLoader>,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for JsonLdProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonLdProcessor").finish_non_exhaustive()
    }
}

/// State of one `expand`/`to_rdf` call.
pub(crate) struct Run<'a> {
    loader: &'a dyn DocumentLoader,
    cache: &'a Mutex<Cache>,
    pub(crate) opts: &'a Options,
    loads: Cell<u32>,
}

impl Run<'_> {
    pub(crate) fn cache_get(&self, k: &CacheKey) -> Option<Arc<ActiveContext>> {
        let c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        c.processed.get(k).cloned()
    }

    pub(crate) fn cache_put(&self, k: CacheKey, v: Arc<ActiveContext>) {
        let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if c.processed.len() >= MAX_CACHE_ENTRIES {
            c.processed.clear();
        }
        c.processed.insert(k, v);
    }

    fn initial(&self) -> Arc<ActiveContext> {
        let mut c = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let key = (self.opts.base.clone(), self.opts.processing_mode);
        if c.initial.len() >= MAX_CACHE_ENTRIES {
            c.initial.clear();
        }
        c.initial
            .entry(key)
            .or_insert_with(|| Arc::new(ActiveContext::new(self.opts.base.clone())))
            .clone()
    }

    /// One level deeper, or an error past [`MAX_DEPTH`].
    pub(crate) fn deeper(&self, depth: usize) -> Result<usize, JsonLdError> {
        if depth >= MAX_DEPTH {
            return err(
                JsonLdErrorCode::DepthLimitExceeded,
                format!("nesting deeper than {MAX_DEPTH}"),
            );
        }
        Ok(depth + 1)
    }

    pub(crate) fn load(&self, url: &str) -> Result<Arc<RemoteDocument>, JsonLdError> {
        let n = self.loads.get() + 1;
        if n > context::MAX_LOADS {
            return err(
                JsonLdErrorCode::ContextOverflow,
                format!("more than {} context loads", context::MAX_LOADS),
            );
        }
        self.loads.set(n);
        self.loader.load(url).map_err(|e| {
            JsonLdError::new(JsonLdErrorCode::LoadingRemoteContextFailed, e.to_string())
        })
    }
}

impl JsonLdProcessor {
    /// A processor loading contexts through `loader`.
    pub fn new(loader: Arc<dyn DocumentLoader>) -> Self {
        Self {
            loader,
            cache: Mutex::new(Cache::default()),
        }
    }

    /// A processor over the bundled, pinned contexts only.
    pub fn with_bundled_contexts() -> Self {
        Self::new(Arc::new(BundledContexts::new()))
    }

    fn run<'a>(&'a self, opts: &'a Options) -> Run<'a> {
        Run {
            loader: &*self.loader,
            cache: &self.cache,
            opts,
            loads: Cell::new(0),
        }
    }

    /// How many processed contexts the cache holds (for tests and metrics).
    pub fn cached_contexts(&self) -> usize {
        self.cache.lock().map_or(0, |c| c.processed.len())
    }

    /// Expands `input` (JSON-LD 1.1 API §5.1, `expand()`): the result is always an array.
    pub fn expand(&self, input: &Value, opts: &Options) -> Result<Value, JsonLdError> {
        let run = self.run(opts);
        run.expand_document(input)
    }

    /// Expands `input` and deserialises it to RDF (§8.1, `toRdf()`); duplicate quads are
    /// removed and the first occurrence's order is kept.
    pub fn to_rdf(&self, input: &Value, opts: &Options) -> Result<Vec<Quad>, JsonLdError> {
        let run = self.run(opts);
        let expanded = run.expand_document(input)?;
        run.to_rdf(&expanded)
    }

    /// Parses `bytes` as JSON and runs [`JsonLdProcessor::to_rdf`] with default options
    /// (the body of the fuzz target). Bytes that are not JSON give `Ok(None)`.
    pub fn to_rdf_bytes(&self, bytes: &[u8]) -> Result<Option<Vec<Quad>>, JsonLdError> {
        let Ok(v) = serde_json::from_slice::<Value>(bytes) else {
            return Ok(None);
        };
        self.to_rdf(&v, &Options::default()).map(Some)
    }
}

/// Writes quads as N-Quads text, one per line.
pub fn to_nquads(quads: &[Quad]) -> String {
    let mut s = String::new();
    for q in quads {
        s.push_str(&q.to_string());
        s.push('\n');
    }
    s
}
