//! Active contexts: Context Processing (JSON-LD 1.1 API §4.1), Create Term Definition (§4.2)
//! and IRI Expansion (§5.2).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value};

use crate::error::{JsonLdError, JsonLdErrorCode as C, err};
use crate::iri::{has_keyword_form, is_absolute, is_blank, is_keyword, resolve};
use crate::{ProcessingMode, Run};

/// Bits of a container mapping.
pub(crate) mod container {
    pub(crate) const LIST: u8 = 1;
    pub(crate) const SET: u8 = 2;
    pub(crate) const LANGUAGE: u8 = 4;
    pub(crate) const INDEX: u8 = 8;
    pub(crate) const ID: u8 = 16;
    pub(crate) const TYPE: u8 = 32;
    pub(crate) const GRAPH: u8 = 64;
}

/// A scoped (`@context` inside a term definition) context. `id` is unique per value and
/// stands for it in the cache key, so the (often large) JSON is never hashed per lookup.
#[derive(Debug, PartialEq)]
pub(crate) struct ScopedContext {
    pub(crate) value: Value,
    pub(crate) id: u64,
}

/// A term definition (§4.2); `iri: None` is a term explicitly mapped to null.
#[derive(Debug, Clone, Default)]
pub(crate) struct TermDef {
    pub(crate) iri: Option<String>,
    pub(crate) prefix: bool,
    pub(crate) protected: bool,
    pub(crate) reverse: bool,
    pub(crate) base_url: Option<String>,
    pub(crate) context: Option<Arc<ScopedContext>>,
    pub(crate) container: u8,
    /// `Some(None)`: explicitly no direction.
    pub(crate) direction: Option<Option<String>>,
    pub(crate) index: Option<String>,
    /// `Some(None)`: explicitly no language.
    pub(crate) language: Option<Option<String>>,
    pub(crate) nest: Option<String>,
    pub(crate) type_mapping: Option<String>,
}

impl TermDef {
    /// Equality ignoring the protected flag (§4.2.2 step 27.1).
    fn same_as(&self, o: &TermDef) -> bool {
        self.iri == o.iri
            && self.prefix == o.prefix
            && self.reverse == o.reverse
            && self.context.as_ref().map(|c| &c.value) == o.context.as_ref().map(|c| &c.value)
            && self.container == o.container
            && self.direction == o.direction
            && self.index == o.index
            && self.language == o.language
            && self.nest == o.nest
            && self.type_mapping == o.type_mapping
    }

    pub(crate) fn has(&self, c: u8) -> bool {
        self.container & c != 0
    }
}

/// Term definitions by term.
#[allow(clippy::disallowed_types)] // private lookup table; iteration order never observable
pub(crate) type TermMap = std::collections::HashMap<String, Arc<TermDef>>;

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// An active context. Shared behind `Arc`; `id` is unique per value and keys the cache.
#[derive(Debug)]
pub(crate) struct ActiveContext {
    pub(crate) id: u64,
    /// Looked up per key of every node; never iterated into output, so a hash map is fine.
    pub(crate) terms: TermMap,
    pub(crate) base: Option<String>,
    pub(crate) original_base: Option<String>,
    pub(crate) vocab: Option<String>,
    pub(crate) language: Option<String>,
    pub(crate) direction: Option<String>,
    pub(crate) previous: Option<Arc<ActiveContext>>,
}

impl Clone for ActiveContext {
    fn clone(&self) -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            terms: self.terms.clone(),
            base: self.base.clone(),
            original_base: self.original_base.clone(),
            vocab: self.vocab.clone(),
            language: self.language.clone(),
            direction: self.direction.clone(),
            previous: self.previous.clone(),
        }
    }
}

impl ActiveContext {
    /// A fresh context with the given base IRI.
    pub(crate) fn new(base: Option<String>) -> Self {
        Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            terms: TermMap::default(),
            original_base: base.clone(),
            base,
            vocab: None,
            language: None,
            direction: None,
            previous: None,
        }
    }

    /// True if `key` is `keyword` or a term aliasing it (what IRI-expanding `key` to
    /// `keyword` means, without building the expanded string).
    pub(crate) fn is_alias_of(&self, key: &str, keyword: &str) -> bool {
        key == keyword || self.terms.get(key).and_then(|d| d.iri.as_deref()) == Some(keyword)
    }

    pub(crate) fn term(&self, t: &str) -> Option<&TermDef> {
        self.terms.get(t).map(|d| &**d)
    }

    /// IRI Expansion (§5.2.2) without a local context being defined.
    pub(crate) fn expand_iri(&self, value: &str, doc_rel: bool, vocab: bool) -> Option<String> {
        if is_keyword(value) {
            return Some(value.to_owned());
        }
        if has_keyword_form(value) {
            return None;
        }
        if let Some(d) = self.terms.get(value) {
            if let Some(i) = &d.iri
                && is_keyword(i)
            {
                return Some(i.clone());
            }
            if vocab {
                return d.iri.clone();
            }
        }
        if let Some(pos) = value.get(1..).and_then(|s| s.find(':')).map(|p| p + 1) {
            let (prefix, suffix) = (&value[..pos], &value[pos + 1..]);
            if prefix == "_" || suffix.starts_with("//") {
                return Some(value.to_owned());
            }
            if let Some(d) = self.terms.get(prefix)
                && let (Some(i), true) = (&d.iri, d.prefix)
            {
                return Some(format!("{i}{suffix}"));
            }
            if is_absolute(value) {
                return Some(value.to_owned());
            }
        }
        if vocab && let Some(v) = &self.vocab {
            return Some(format!("{v}{value}"));
        }
        if doc_rel && let Some(b) = &self.base {
            return Some(resolve(b, value));
        }
        Some(value.to_owned())
    }

    fn has_protected(&self) -> bool {
        self.terms.values().any(|d| d.protected)
    }
}

/// Most remote contexts one context may pull in, nested (cycle guard, §4.1.2 step 5.2.3).
const MAX_REMOTE_DEPTH: usize = 32;
/// Most loader calls one `expand`/`to_rdf` call may make.
pub(crate) const MAX_LOADS: u32 = 64;

/// Flags of a context processing call.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Flags {
    pub(crate) override_protected: bool,
    pub(crate) propagate: bool,
    pub(crate) validate_scoped: bool,
}

impl Flags {
    pub(crate) const DEFAULT: Flags = Flags {
        override_protected: false,
        propagate: true,
        validate_scoped: true,
    };
}

/// State while defining the terms of one local context.
struct Defining<'a> {
    local: &'a Map<String, Value>,
    defined: BTreeMap<&'a str, bool>,
    base_url: Option<&'a str>,
    protected: bool,
    flags: Flags,
}

fn gen_delim(c: char) -> bool {
    matches!(c, ':' | '/' | '?' | '#' | '[' | ']' | '@')
}

impl Run<'_> {
    fn is_10(&self) -> bool {
        self.opts.processing_mode == ProcessingMode::JsonLd10
    }

    /// Context Processing through the cache (the whole result is reused for the same input
    /// context, local context, base URL and flags).
    #[allow(clippy::too_many_arguments)] // the spec algorithm's own parameters
    pub(crate) fn process_cached(
        &self,
        active: &Arc<ActiveContext>,
        local: &Value,
        scoped_id: Option<u64>,
        base_url: Option<&str>,
        remote: &mut Vec<String>,
        flags: Flags,
        depth: usize,
    ) -> Result<Arc<ActiveContext>, JsonLdError> {
        // With validate_scoped off, the result depends on `remote` (skipped cycles): no cache.
        let cacheable = flags.validate_scoped || remote.is_empty();
        let key = if cacheable {
            let k = match scoped_id {
                Some(id) => crate::LocalKey::Scoped(id),
                None => crate::LocalKey::Json(serde_json::to_string(local).unwrap_or_default()),
            };
            let ck = crate::CacheKey {
                active: active.id,
                local: k,
                base: base_url.map(str::to_owned),
                flags: u8::from(flags.override_protected)
                    | u8::from(flags.propagate) << 1
                    | u8::from(flags.validate_scoped) << 2
                    | u8::from(self.is_10()) << 3,
            };
            if let Some(hit) = self.cache_get(&ck) {
                return Ok(hit);
            }
            Some(ck)
        } else {
            None
        };
        let out = Arc::new(self.process_context(active, local, base_url, remote, flags, depth)?);
        if let Some(k) = key {
            self.cache_put(k, out.clone());
        }
        Ok(out)
    }

    /// Context Processing Algorithm (§4.1.2).
    fn process_context(
        &self,
        active: &Arc<ActiveContext>,
        local: &Value,
        base_url: Option<&str>,
        remote: &mut Vec<String>,
        mut flags: Flags,
        depth: usize,
    ) -> Result<ActiveContext, JsonLdError> {
        let depth = self.deeper(depth)?;
        let mut result = (**active).clone();
        if let Some(p) = local.get("@propagate") {
            match p {
                Value::Bool(b) => flags.propagate = *b,
                _ => return err(C::InvalidPropagateValue, format!("@propagate {p}")),
            }
        }
        if !flags.propagate && result.previous.is_none() {
            result.previous = Some(active.clone());
        }
        let items: &[Value] = match local {
            Value::Array(a) => a,
            other => std::slice::from_ref(other),
        };
        for ctx in items {
            match ctx {
                Value::Null => {
                    if !flags.override_protected && result.has_protected() {
                        return err(
                            C::InvalidContextNullification,
                            "context has protected terms",
                        );
                    }
                    let prev = result.previous.take();
                    let mut fresh = ActiveContext::new(active.original_base.clone());
                    fresh.original_base = active.original_base.clone();
                    if !flags.propagate {
                        fresh.previous = prev;
                    }
                    result = fresh;
                }
                Value::String(s) => {
                    let url = match base_url {
                        Some(b) => resolve(b, s),
                        None => s.clone(),
                    };
                    if !flags.validate_scoped && remote.contains(&url) {
                        continue;
                    }
                    if remote.len() >= MAX_REMOTE_DEPTH {
                        return err(
                            C::ContextOverflow,
                            format!("too many nested contexts at {url}"),
                        );
                    }
                    let doc = self.load(&url)?;
                    let Some(inner) = doc.document.get("@context") else {
                        return err(C::InvalidRemoteContext, format!("{url} has no @context"));
                    };
                    if !doc.document.is_object() {
                        return err(C::InvalidRemoteContext, format!("{url} is not an object"));
                    }
                    remote.push(url);
                    let cur = Arc::new(result);
                    let out = self.process_cached(
                        &cur,
                        inner,
                        None,
                        Some(&doc.document_url),
                        remote,
                        // §4.1.2 step 5.2.6: a remote context never overrides protection.
                        Flags {
                            propagate: true,
                            override_protected: false,
                            ..flags
                        },
                        depth,
                    );
                    remote.pop();
                    // Always a copy with a fresh id: ids key the cache, so a context is never
                    // modified under an id that may already be a key.
                    result = (*out?).clone();
                }
                Value::Object(map) => {
                    self.process_map(&mut result, map, base_url, remote, flags, depth)?
                }
                other => return err(C::InvalidLocalContext, format!("context {other}")),
            }
        }
        Ok(result)
    }

    fn process_map(
        &self,
        result: &mut ActiveContext,
        map: &Map<String, Value>,
        base_url: Option<&str>,
        remote: &mut Vec<String>,
        flags: Flags,
        depth: usize,
    ) -> Result<(), JsonLdError> {
        if let Some(v) = map.get("@version") {
            if v.as_f64() != Some(1.1) {
                return err(C::InvalidVersionValue, format!("@version {v}"));
            }
            if self.is_10() {
                return err(
                    C::ProcessingModeConflict,
                    "@version 1.1 in json-ld-1.0 mode",
                );
            }
        }
        let imported;
        let map = if let Some(imp) = map.get("@import") {
            if self.is_10() {
                return err(C::InvalidContextEntry, "@import in json-ld-1.0 mode");
            }
            let Value::String(imp) = imp else {
                return err(C::InvalidImportValue, format!("@import {imp}"));
            };
            let url = match base_url {
                Some(b) => resolve(b, imp),
                None => imp.clone(),
            };
            let doc = self.load(&url)?;
            let Some(Value::Object(ictx)) = doc.document.get("@context") else {
                return err(
                    C::InvalidRemoteContext,
                    format!("@import {url} has no @context map"),
                );
            };
            if ictx.contains_key("@import") {
                return err(
                    C::InvalidContextEntry,
                    format!("@import {url} imports again"),
                );
            }
            let mut merged = ictx.clone();
            for (k, v) in map {
                merged.insert(k.clone(), v.clone());
            }
            imported = merged;
            &imported
        } else {
            map
        };
        if let (Some(v), true) = (map.get("@base"), remote.is_empty()) {
            match v {
                Value::Null => result.base = None,
                Value::String(s) if is_absolute(s) => result.base = Some(s.clone()),
                Value::String(s) => match &result.base {
                    Some(b) => result.base = Some(resolve(b, s)),
                    None => {
                        return err(
                            C::InvalidBaseIri,
                            format!("relative @base {s} without base"),
                        );
                    }
                },
                _ => return err(C::InvalidBaseIri, format!("@base {v}")),
            }
        }
        if let Some(v) = map.get("@vocab") {
            match v {
                Value::Null => result.vocab = None,
                Value::String(s) => {
                    if self.is_10() && !is_absolute(s) && !is_blank(s) && !s.is_empty() {
                        return err(
                            C::InvalidVocabMapping,
                            format!("relative @vocab {s} in 1.0"),
                        );
                    }
                    match result.expand_iri(s, true, true) {
                        Some(i) if is_absolute(&i) || is_blank(&i) => result.vocab = Some(i),
                        _ => return err(C::InvalidVocabMapping, format!("@vocab {s}")),
                    }
                }
                _ => return err(C::InvalidVocabMapping, format!("@vocab {v}")),
            }
        }
        if let Some(v) = map.get("@language") {
            match v {
                Value::Null => result.language = None,
                Value::String(s) => result.language = Some(s.to_ascii_lowercase()),
                _ => return err(C::InvalidDefaultLanguage, format!("@language {v}")),
            }
        }
        if let Some(v) = map.get("@direction") {
            if self.is_10() {
                return err(C::InvalidContextEntry, "@direction in json-ld-1.0 mode");
            }
            match v {
                Value::Null => result.direction = None,
                Value::String(s) if s == "ltr" || s == "rtl" => result.direction = Some(s.clone()),
                _ => return err(C::InvalidBaseDirection, format!("@direction {v}")),
            }
        }
        if let Some(v) = map.get("@propagate") {
            if self.is_10() {
                return err(C::InvalidContextEntry, "@propagate in json-ld-1.0 mode");
            }
            if !v.is_boolean() {
                return err(C::InvalidPropagateValue, format!("@propagate {v}"));
            }
        }
        let protected = match map.get("@protected") {
            None => false,
            Some(Value::Bool(b)) => *b,
            Some(v) => return err(C::InvalidProtectedValue, format!("@protected {v}")),
        };
        let mut d = Defining {
            local: map,
            defined: BTreeMap::new(),
            base_url,
            protected,
            flags,
        };
        for key in map.keys() {
            if matches!(
                key.as_str(),
                "@base"
                    | "@direction"
                    | "@import"
                    | "@language"
                    | "@propagate"
                    | "@protected"
                    | "@version"
                    | "@vocab"
            ) {
                continue;
            }
            self.create_term(result, &mut d, key, remote, depth)?;
        }
        Ok(())
    }

    /// IRI Expansion while a local context is being defined (§5.2.2 steps 3 and 6.3).
    #[allow(clippy::too_many_arguments)] // the spec algorithm's own parameters
    fn expand_iri_def<'a>(
        &self,
        result: &mut ActiveContext,
        d: &mut Defining<'a>,
        value: &str,
        doc_rel: bool,
        vocab: bool,
        remote: &mut Vec<String>,
        depth: usize,
    ) -> Result<Option<String>, JsonLdError> {
        if is_keyword(value) || has_keyword_form(value) {
            return Ok(result.expand_iri(value, doc_rel, vocab));
        }
        if let Some((k, _)) = d.local.get_key_value(value)
            && d.defined.get(k.as_str()) != Some(&true)
        {
            self.create_term(result, d, k, remote, depth)?;
        }
        if let Some(pos) = value.get(1..).and_then(|s| s.find(':')).map(|p| p + 1) {
            let (prefix, suffix) = (&value[..pos], &value[pos + 1..]);
            if prefix == "_" || suffix.starts_with("//") {
                return Ok(Some(value.to_owned()));
            }
            if let Some((k, _)) = d.local.get_key_value(prefix)
                && d.defined.get(k.as_str()) != Some(&true)
            {
                self.create_term(result, d, k, remote, depth)?;
            }
        }
        Ok(result.expand_iri(value, doc_rel, vocab))
    }

    /// Create Term Definition (§4.2.2).
    fn create_term<'a>(
        &self,
        result: &mut ActiveContext,
        d: &mut Defining<'a>,
        term: &'a str,
        remote: &mut Vec<String>,
        depth: usize,
    ) -> Result<(), JsonLdError> {
        match d.defined.get(term) {
            Some(true) => return Ok(()),
            Some(false) => return err(C::CyclicIriMapping, format!("term {term}")),
            None => {}
        }
        if term.is_empty() {
            return err(C::InvalidTermDefinition, "empty term");
        }
        d.defined.insert(term, false);
        let value = d.local.get(term).unwrap_or(&Value::Null);
        if term == "@type" && !self.is_10() {
            let ok = match value {
                Value::Object(m) => {
                    !m.is_empty()
                        && m.iter().all(|(k, v)| match k.as_str() {
                            "@container" => v == "@set",
                            "@protected" => true,
                            _ => false,
                        })
                }
                _ => false,
            };
            if !ok {
                return err(
                    C::KeywordRedefinition,
                    "@type may only be given @container @set",
                );
            }
        } else if is_keyword(term) {
            return err(C::KeywordRedefinition, format!("{term} is a keyword"));
        } else if has_keyword_form(term) {
            // Reserved for future keywords: ignored (the spec asks only for a warning).
            d.defined.insert(term, true);
            return Ok(());
        }
        let previous = result.terms.remove(term);
        let (value, simple) = match value {
            Value::Null => (None, false),
            Value::String(_) => (None, true),
            Value::Object(m) => (Some(m), false),
            other => return err(C::InvalidTermDefinition, format!("{term}: {other}")),
        };
        let empty = Map::new();
        let vmap = value.unwrap_or(&empty);
        let id_value: Option<&Value> = match d.local.get(term) {
            Some(s @ Value::String(_)) => Some(s),
            Some(Value::Null) | None => Some(&Value::Null),
            Some(_) => vmap.get("@id"),
        };
        let mut def = TermDef {
            protected: d.protected,
            ..TermDef::default()
        };
        if let Some(p) = vmap.get("@protected") {
            if self.is_10() {
                return err(C::InvalidTermDefinition, "@protected in json-ld-1.0 mode");
            }
            match p {
                Value::Bool(b) => def.protected = *b,
                _ => return err(C::InvalidProtectedValue, format!("{term}: @protected {p}")),
            }
        }
        if let Some(t) = vmap.get("@type") {
            let Value::String(t) = t else {
                return err(C::InvalidTypeMapping, format!("{term}: @type {t}"));
            };
            let t = self
                .expand_iri_def(result, d, t, false, true, remote, depth)?
                .unwrap_or_default();
            let ok = match t.as_str() {
                "@json" | "@none" => !self.is_10(),
                "@id" | "@vocab" => true,
                s => is_absolute(s) && !is_blank(s),
            };
            if !ok {
                return err(C::InvalidTypeMapping, format!("{term}: @type {t}"));
            }
            def.type_mapping = Some(t);
        }
        if let Some(r) = vmap.get("@reverse") {
            if vmap.contains_key("@id") || vmap.contains_key("@nest") {
                return err(
                    C::InvalidReverseProperty,
                    format!("{term}: @reverse with @id/@nest"),
                );
            }
            let Value::String(r) = r else {
                return err(C::InvalidIriMapping, format!("{term}: @reverse {r}"));
            };
            if has_keyword_form(r) {
                d.defined.insert(term, true);
                return Ok(());
            }
            match self.expand_iri_def(result, d, r, false, true, remote, depth)? {
                Some(i) if i.contains(':') => def.iri = Some(i),
                _ => return err(C::InvalidIriMapping, format!("{term}: @reverse {r}")),
            }
            if let Some(c) = vmap.get("@container")
                && !matches!(c, Value::Null)
                && c != "@set"
                && c != "@index"
            {
                return err(C::InvalidReverseProperty, format!("{term}: @container {c}"));
            }
            def.reverse = true;
        } else if let Some(idv) = id_value.filter(|v| v.as_str() != Some(term)) {
            match idv {
                Value::Null => def.iri = None,
                Value::String(s) => {
                    if !is_keyword(s) && has_keyword_form(s) {
                        d.defined.insert(term, true);
                        return Ok(());
                    }
                    let iri = self.expand_iri_def(result, d, s, false, true, remote, depth)?;
                    let Some(iri) = iri.filter(|i| is_keyword(i) || i.contains(':')) else {
                        return err(C::InvalidIriMapping, format!("{term}: @id {s}"));
                    };
                    if iri == "@context" {
                        return err(C::InvalidKeywordAlias, format!("{term} aliases @context"));
                    }
                    let inner_colon = term
                        .get(1..term.len().saturating_sub(1))
                        .is_some_and(|m| m.contains(':'));
                    if inner_colon || term.contains('/') {
                        d.defined.insert(term, true);
                        let again =
                            self.expand_iri_def(result, d, term, false, true, remote, depth)?;
                        if again.as_deref() != Some(iri.as_str()) {
                            return err(
                                C::InvalidIriMapping,
                                format!("{term} would expand to {again:?}, not {iri}"),
                            );
                        }
                    }
                    if !term.contains(':')
                        && !term.contains('/')
                        && simple
                        && (iri.ends_with(gen_delim) || is_blank(&iri))
                    {
                        def.prefix = true;
                    }
                    def.iri = Some(iri);
                }
                other => return err(C::InvalidIriMapping, format!("{term}: @id {other}")),
            }
        } else if let Some(pos) = term.get(1..).and_then(|s| s.find(':')).map(|p| p + 1) {
            let (prefix, suffix) = (&term[..pos], &term[pos + 1..]);
            if let Some((k, _)) = d.local.get_key_value(prefix) {
                self.create_term(result, d, k, remote, depth)?;
            }
            match result.terms.get(prefix).and_then(|p| p.iri.as_ref()) {
                Some(i) => def.iri = Some(format!("{i}{suffix}")),
                None => def.iri = Some(term.to_owned()),
            }
        } else if term.contains('/') {
            match result.expand_iri(term, false, true) {
                Some(i) if is_absolute(&i) => def.iri = Some(i),
                _ => return err(C::InvalidIriMapping, format!("relative term {term}")),
            }
        } else if term == "@type" {
            def.iri = Some("@type".to_owned());
        } else if let Some(v) = &result.vocab {
            def.iri = Some(format!("{v}{term}"));
        } else {
            return err(
                C::InvalidIriMapping,
                format!("{term}: no @vocab to expand it"),
            );
        }
        if let Some(c) = vmap.get("@container") {
            def.container = self.parse_container(term, c)?;
            if def.reverse && def.container & !(container::SET | container::INDEX) != 0 {
                return err(C::InvalidReverseProperty, format!("{term}: @container {c}"));
            }
            if def.has(container::TYPE) {
                match def.type_mapping.as_deref() {
                    None => def.type_mapping = Some("@id".to_owned()),
                    Some("@id" | "@vocab") => {}
                    Some(t) => {
                        return err(
                            C::InvalidTypeMapping,
                            format!("{term}: @type {t} in type map"),
                        );
                    }
                }
            }
        }
        if let Some(i) = vmap.get("@index") {
            if self.is_10() || !def.has(container::INDEX) {
                return err(
                    C::InvalidTermDefinition,
                    format!("{term}: @index without index map"),
                );
            }
            let Value::String(i) = i else {
                return err(C::InvalidTermDefinition, format!("{term}: @index {i}"));
            };
            match self.expand_iri_def(result, d, i, false, true, remote, depth)? {
                Some(e) if is_absolute(&e) => def.index = Some(i.clone()),
                _ => return err(C::InvalidTermDefinition, format!("{term}: @index {i}")),
            }
        }
        if let Some(c) = vmap.get("@context") {
            if self.is_10() {
                return err(
                    C::InvalidTermDefinition,
                    format!("{term}: scoped @context in 1.0"),
                );
            }
            let cur = Arc::new(result.clone());
            let check = self.process_cached(
                &cur,
                c,
                None,
                d.base_url,
                remote,
                Flags {
                    override_protected: true,
                    propagate: true,
                    validate_scoped: false,
                },
                depth,
            );
            if let Err(e) = check {
                return err(C::InvalidScopedContext, format!("{term}: {e}"));
            }
            let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
            def.context = Some(Arc::new(ScopedContext {
                value: c.clone(),
                id,
            }));
            def.base_url = d.base_url.map(str::to_owned);
        }
        if let (Some(l), false) = (vmap.get("@language"), vmap.contains_key("@type")) {
            match l {
                Value::Null => def.language = Some(None),
                Value::String(s) => def.language = Some(Some(s.to_ascii_lowercase())),
                _ => return err(C::InvalidLanguageMapping, format!("{term}: @language {l}")),
            }
        }
        if let (Some(l), false) = (vmap.get("@direction"), vmap.contains_key("@type")) {
            match l {
                Value::Null => def.direction = Some(None),
                Value::String(s) if s == "ltr" || s == "rtl" => {
                    def.direction = Some(Some(s.clone()))
                }
                _ => return err(C::InvalidBaseDirection, format!("{term}: @direction {l}")),
            }
        }
        if let Some(n) = vmap.get("@nest") {
            if self.is_10() {
                return err(C::InvalidTermDefinition, format!("{term}: @nest in 1.0"));
            }
            match n {
                Value::String(s) if !is_keyword(s) || s == "@nest" => def.nest = Some(s.clone()),
                _ => return err(C::InvalidNestValue, format!("{term}: @nest {n}")),
            }
        }
        if let Some(p) = vmap.get("@prefix") {
            if self.is_10() || term.contains(':') || term.contains('/') {
                return err(
                    C::InvalidTermDefinition,
                    format!("{term}: @prefix not allowed"),
                );
            }
            let Value::Bool(p) = p else {
                return err(C::InvalidPrefixValue, format!("{term}: @prefix {p}"));
            };
            def.prefix = *p;
            if *p && def.iri.as_deref().is_some_and(is_keyword) {
                return err(
                    C::InvalidTermDefinition,
                    format!("{term}: keyword as prefix"),
                );
            }
        }
        for k in vmap.keys() {
            if !matches!(
                k.as_str(),
                "@id"
                    | "@reverse"
                    | "@container"
                    | "@context"
                    | "@direction"
                    | "@index"
                    | "@language"
                    | "@nest"
                    | "@prefix"
                    | "@protected"
                    | "@type"
            ) {
                return err(
                    C::InvalidTermDefinition,
                    format!("{term}: unknown entry {k}"),
                );
            }
        }
        let def = match previous {
            Some(prev) if prev.protected && !d.flags.override_protected => {
                if !def.same_as(&prev) {
                    return err(
                        C::ProtectedTermRedefinition,
                        format!("protected term {term}"),
                    );
                }
                prev
            }
            _ => Arc::new(def),
        };
        result.terms.insert(term.to_owned(), def);
        d.defined.insert(term, true);
        Ok(())
    }

    fn parse_container(&self, term: &str, c: &Value) -> Result<u8, JsonLdError> {
        use container::*;
        let bad = || {
            err(
                C::InvalidContainerMapping,
                format!("{term}: @container {c}"),
            )
        };
        let items: &[Value] = match c {
            Value::Array(a) if !self.is_10() => a,
            Value::String(_) => std::slice::from_ref(c),
            _ => return bad(),
        };
        let mut bits = 0u8;
        for i in items {
            let b = match i.as_str() {
                Some("@list") => LIST,
                Some("@set") => SET,
                Some("@language") => LANGUAGE,
                Some("@index") => INDEX,
                Some("@id") => ID,
                Some("@type") => TYPE,
                Some("@graph") => GRAPH,
                _ => return bad(),
            };
            bits |= b;
        }
        if self.is_10() && bits & (GRAPH | ID | TYPE) != 0 {
            return bad();
        }
        let ok = if bits.count_ones() <= 1 {
            true
        } else if bits & LIST != 0 {
            false
        } else if bits & GRAPH != 0 {
            bits & !(GRAPH | SET | ID | INDEX) == 0 && (bits & (ID | INDEX)) != (ID | INDEX)
        } else {
            bits & SET != 0
        };
        if ok { Ok(bits) } else { bad() }
    }
}
