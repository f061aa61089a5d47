//! JSON-LD → RDF → RDFC-1.0: the transformation step of the `rdfc` cryptosuites, on our own
//! processor (ssi's drops `@list` members and coerced booleans; see crates/jsonld).

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rosette_jsonld::JsonLdProcessor;
use serde_json::Value;

/// Why a document could not be canonicalized.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CanonicalizeError {
    /// JSON-LD expansion or RDF conversion failed (unknown context, undefined term, …).
    #[error("JSON-LD processing failed: {0}")]
    JsonLd(String),
    /// RDFC-1.0 refused the dataset (for example a graph too complex to canonicalize).
    #[error("RDF canonicalization failed: {0}")]
    Rdfc(String),
}

/// Turns JSON-LD documents into canonical N-Quads. Holds the context cache, so keep one and
/// share it: every credential signed with the same contexts reuses their processed form.
#[derive(Debug, Clone)]
pub struct Canonicalizer {
    processor: Arc<JsonLdProcessor>,
    /// The last proof configuration canonicalized, as (its JSON, its canonical form): an issuer
    /// signs with the same configuration (same key, same `created` second) many times in a row.
    last_proof_config: Arc<Mutex<Option<(String, String)>>>,
}

impl Canonicalizer {
    /// A canonicalizer over the contexts bundled with Rosette (never fetches).
    pub fn bundled() -> Self {
        static SHARED: OnceLock<Canonicalizer> = OnceLock::new();
        SHARED
            .get_or_init(|| Self::new(JsonLdProcessor::with_bundled_contexts()))
            .clone()
    }

    /// A canonicalizer over a processor of your own (other loaders, for example in tests).
    pub fn new(processor: JsonLdProcessor) -> Self {
        Self {
            processor: Arc::new(processor),
            last_proof_config: Arc::new(Mutex::new(None)),
        }
    }

    /// The canonical N-Quads of `document` (RDFC-1.0, SHA-256).
    pub fn canonicalize(&self, document: &Value) -> Result<String, CanonicalizeError> {
        let quads = crate::glue::to_rdf_strict(&self.processor, document)
            .map_err(|e| CanonicalizeError::JsonLd(e.to_string()))?;
        crate::glue::rdfc(&quads).map_err(|e| CanonicalizeError::Rdfc(e.to_string()))
    }

    /// [`canonicalize`](Self::canonicalize) for proof configurations, remembering the last one:
    /// the same JSON always has the same canonical form, and consecutive signatures of one
    /// issuer share theirs.
    pub(crate) fn canonicalize_proof_config(
        &self,
        config: &Value,
    ) -> Result<String, CanonicalizeError> {
        let key = config.to_string();
        {
            let last = self
                .last_proof_config
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some((json, canonical)) = last.as_ref()
                && *json == key
            {
                return Ok(canonical.clone());
            }
        }
        let canonical = self.canonicalize(config)?;
        *self
            .last_proof_config
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((key, canonical.clone()));
        Ok(canonical)
    }
}
