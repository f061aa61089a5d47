//! Expansion Algorithm (JSON-LD 1.1 API §5.1.2) and Value Expansion (§5.3.2).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::Run;
use crate::context::{ActiveContext, Flags, container};
use crate::error::{JsonLdError, JsonLdErrorCode as C, err};
use crate::iri::{is_absolute, is_blank, is_keyword, is_well_formed_iri};

type Ctx = Arc<ActiveContext>;

/// Appends `v` (each member if it is an array) to the array at `map[key]`.
fn add_value(map: &mut Map<String, Value>, key: &str, v: Value) {
    let slot = map
        .entry(key.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !slot.is_array() {
        let old = slot.take();
        *slot = Value::Array(vec![old]);
    }
    if let Value::Array(a) = slot {
        match v {
            Value::Array(items) => a.extend(items),
            v => a.push(v),
        }
    }
}

fn as_array(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        v => vec![v],
    }
}

fn is_value_or_list(v: &Value) -> bool {
    v.get("@value").is_some() || v.get("@list").is_some()
}

fn single(key: &str, v: Value) -> Value {
    let mut m = Map::with_capacity(1);
    m.insert(key.to_owned(), v);
    Value::Object(m)
}

fn sorted(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_unstable_by(|a, b| a.0.cmp(b.0));
    v
}

impl Run<'_> {
    /// Expands a whole document: applies `expandContext`, expands, and unwraps a lone `@graph`.
    pub(crate) fn expand_document(&self, input: &Value) -> Result<Value, JsonLdError> {
        let mut active = self.initial();
        if let Some(ec) = &self.opts.expand_context {
            let ctx = match ec {
                Value::Object(m) => m.get("@context").unwrap_or(ec),
                other => other,
            };
            let base = self.opts.base.as_deref();
            active =
                self.process_cached(&active, ctx, None, base, &mut Vec::new(), Flags::DEFAULT, 0)?;
        }
        let r = self.expand(&active, None, input, self.opts.base.as_deref(), false, 0)?;
        let r = match r {
            Value::Object(mut m) if m.len() == 1 && m.contains_key("@graph") => {
                m.remove("@graph").unwrap_or(Value::Null)
            }
            other => other,
        };
        Ok(Value::Array(match r {
            Value::Null => Vec::new(),
            other => as_array(other),
        }))
    }

    fn scoped(
        &self,
        active: &Ctx,
        term: &str,
        flags: Flags,
        depth: usize,
    ) -> Result<Option<Ctx>, JsonLdError> {
        let Some(td) = active.term(term) else {
            return Ok(None);
        };
        let Some(sc) = &td.context else {
            return Ok(None);
        };
        let ctx = self.process_cached(
            active,
            &sc.value,
            Some(sc.id),
            td.base_url.as_deref(),
            &mut Vec::new(),
            flags,
            depth,
        )?;
        Ok(Some(ctx))
    }

    fn strict_iri(&self, what: &str, iri: Option<&str>, original: &str) -> Result<(), JsonLdError> {
        if self.opts.strict && !iri.is_some_and(|i| is_absolute(i) || is_blank(i) || is_keyword(i))
        {
            return err(
                C::SafeModeViolation,
                format!("{what} {original:?} does not expand to an absolute IRI"),
            );
        }
        Ok(())
    }

    /// The Expansion Algorithm; `Value::Null` stands for null.
    pub(crate) fn expand(
        &self,
        active: &Ctx,
        prop: Option<&str>,
        element: &Value,
        base_url: Option<&str>,
        from_map: bool,
        depth: usize,
    ) -> Result<Value, JsonLdError> {
        let depth = self.deeper(depth)?;
        let prop_td = prop.and_then(|p| active.term(p));
        match element {
            Value::Null => Ok(Value::Null),
            Value::Array(items) => {
                let list = prop_td.is_some_and(|t| t.has(container::LIST));
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    let e = self.expand(active, prop, item, base_url, from_map, depth)?;
                    match e {
                        Value::Array(a) if list => out.push(single("@list", Value::Array(a))),
                        Value::Array(a) => out.extend(a),
                        Value::Null => {}
                        e => out.push(e),
                    }
                }
                Ok(Value::Array(out))
            }
            Value::Object(map) => self.expand_map(active, prop, map, base_url, from_map, depth),
            scalar => {
                let Some(p) = prop.filter(|p| *p != "@graph") else {
                    return Ok(Value::Null);
                };
                let over = Flags {
                    override_protected: true,
                    ..Flags::DEFAULT
                };
                let ctx = match self.scoped(active, p, over, depth)? {
                    Some(c) => c,
                    None => active.clone(),
                };
                self.expand_value(&ctx, p, scalar)
            }
        }
    }

    fn expand_map(
        &self,
        entry_ctx: &Ctx,
        prop: Option<&str>,
        element: &Map<String, Value>,
        base_url: Option<&str>,
        from_map: bool,
        depth: usize,
    ) -> Result<Value, JsonLdError> {
        let mut active = entry_ctx.clone();
        // Step 7: a non-propagated (type-scoped) context does not reach into node objects.
        if let (Some(prev), false) = (&active.previous, from_map) {
            let keeps = element.keys().any(|k| active.is_alias_of(k, "@value"))
                || (element.len() == 1 && element.keys().all(|k| active.is_alias_of(k, "@id")));
            if !keeps {
                active = prev.clone();
            }
        }
        if let Some(p) = prop {
            let over = Flags {
                override_protected: true,
                ..Flags::DEFAULT
            };
            if let Some(c) = self.scoped(entry_ctx, p, over, depth)? {
                // The property-scoped context applies on top of the (possibly reverted) context.
                let td = entry_ctx.term(p);
                if let Some(sc) = td.and_then(|t| t.context.as_ref()) {
                    if Arc::ptr_eq(&active, entry_ctx) {
                        active = c;
                    } else {
                        active = self.process_cached(
                            &active,
                            &sc.value,
                            Some(sc.id),
                            td.and_then(|t| t.base_url.as_deref()),
                            &mut Vec::new(),
                            over,
                            depth,
                        )?;
                    }
                }
            }
        }
        if let Some(c) = element.get("@context") {
            active = self.process_cached(
                &active,
                c,
                None,
                base_url,
                &mut Vec::new(),
                Flags::DEFAULT,
                depth,
            )?;
        }
        let type_scoped = active.clone();
        let keys = sorted(element);
        let mut input_type: Option<String> = None;
        let mut first_type = true;
        for (k, v) in &keys {
            if !active.is_alias_of(k, "@type") {
                continue;
            }
            let mut terms: Vec<&str> = match v {
                Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                Value::String(s) => vec![s.as_str()],
                _ => Vec::new(),
            };
            if first_type {
                first_type = false;
                if let Some(last) = match v {
                    Value::Array(a) => a.last().and_then(Value::as_str),
                    other => other.as_str(),
                } {
                    input_type = Some(last.to_owned());
                }
            }
            terms.sort_unstable();
            for t in terms {
                if let Some(td) = type_scoped.term(t)
                    && let Some(sc) = &td.context
                {
                    active = self.process_cached(
                        &active,
                        &sc.value,
                        Some(sc.id),
                        td.base_url.as_deref(),
                        &mut Vec::new(),
                        Flags {
                            propagate: false,
                            ..Flags::DEFAULT
                        },
                        depth,
                    )?;
                }
            }
        }
        let input_type = input_type.and_then(|t| active.expand_iri(&t, true, true));
        let mut result = Map::new();
        let mut nests: Vec<&str> = Vec::new();
        self.expand_entries(
            &active,
            &type_scoped,
            prop,
            &keys,
            base_url,
            input_type.as_deref(),
            &mut result,
            &mut nests,
            depth,
        )?;
        self.expand_nests(
            &active,
            &type_scoped,
            prop,
            element,
            &nests,
            base_url,
            input_type.as_deref(),
            &mut result,
            depth,
        )?;
        self.finish_map(result, prop)
    }

    /// Step 14: the entries of `@nest` maps are expanded as if they were the element's own.
    #[allow(clippy::too_many_arguments)]
    fn expand_nests(
        &self,
        active: &Ctx,
        type_scoped: &Ctx,
        prop: Option<&str>,
        element: &Map<String, Value>,
        nests: &[&str],
        base_url: Option<&str>,
        input_type: Option<&str>,
        result: &mut Map<String, Value>,
        depth: usize,
    ) -> Result<(), JsonLdError> {
        let depth = self.deeper(depth)?;
        let mut nests = nests.to_vec();
        nests.sort_unstable();
        for nk in nests {
            let Some(nv) = element.get(nk) else { continue };
            // A nest alias may carry a scoped context for the nested entries.
            let over = Flags {
                override_protected: true,
                ..Flags::DEFAULT
            };
            let nest_ctx = self.scoped(active, nk, over, depth)?;
            let active = nest_ctx.as_ref().unwrap_or(active);
            let items: &[Value] = match nv {
                Value::Array(a) => a,
                other => std::slice::from_ref(other),
            };
            for n in items {
                let Value::Object(nm) = n else {
                    return err(C::InvalidNestValue, format!("@nest value {n}"));
                };
                if nm.keys().any(|k| active.is_alias_of(k, "@value")) {
                    return err(C::InvalidNestValue, "@nest value is a value object");
                }
                let mut inner: Vec<&str> = Vec::new();
                let nkeys = sorted(nm);
                self.expand_entries(
                    active,
                    type_scoped,
                    prop,
                    &nkeys,
                    base_url,
                    input_type,
                    result,
                    &mut inner,
                    depth,
                )?;
                self.expand_nests(
                    active,
                    type_scoped,
                    prop,
                    nm,
                    &inner,
                    base_url,
                    input_type,
                    result,
                    depth,
                )?;
            }
        }
        Ok(())
    }

    /// Steps 15–20: value-object checks and dropping of free-floating values.
    fn finish_map(
        &self,
        mut result: Map<String, Value>,
        prop: Option<&str>,
    ) -> Result<Value, JsonLdError> {
        if let Some(v) = result.get("@value") {
            if result.keys().any(|k| {
                !matches!(
                    k.as_str(),
                    "@direction" | "@index" | "@language" | "@type" | "@value"
                )
            }) {
                return err(C::InvalidValueObject, "value object with other entries");
            }
            let ty = result.get("@type");
            if ty.is_some()
                && (result.contains_key("@language") || result.contains_key("@direction"))
            {
                return err(
                    C::InvalidValueObject,
                    "value object with @type and @language/@direction",
                );
            }
            if ty.and_then(Value::as_str) == Some("@json") {
                // Any JSON value is allowed.
            } else if v.is_null() || v.as_array().is_some_and(Vec::is_empty) {
                return Ok(Value::Null);
            } else if !v.is_string() && result.contains_key("@language") {
                return err(C::InvalidLanguageTaggedValue, format!("@language on {v}"));
            } else if let Some(t) = ty {
                let ok = t.as_str().is_some_and(is_well_formed_iri);
                if !ok {
                    return err(C::InvalidTypedValue, format!("@type {t}"));
                }
            }
        } else if let Some(t) = result.get_mut("@type") {
            if !t.is_array() {
                let one = t.take();
                *t = Value::Array(vec![one]);
            }
        } else if result.contains_key("@set") || result.contains_key("@list") {
            let n = result.len();
            if n > 2 || (n == 2 && !result.contains_key("@index")) {
                return err(C::InvalidSetOrListObject, "@set/@list with other entries");
            }
            if let Some(s) = result.remove("@set") {
                return Ok(s);
            }
        }
        if result.len() == 1 && result.contains_key("@language") {
            return Ok(Value::Null);
        }
        if prop.is_none() || prop == Some("@graph") {
            if result.is_empty() || result.contains_key("@value") || result.contains_key("@list") {
                return Ok(Value::Null);
            }
            if result.len() == 1 && result.contains_key("@id") {
                return Ok(Value::Null);
            }
        }
        Ok(Value::Object(result))
    }

    /// Step 13: expands each entry of `keys` into `result`; nest keys are collected.
    #[allow(clippy::too_many_arguments)]
    fn expand_entries<'k>(
        &self,
        active: &Ctx,
        type_scoped: &Ctx,
        prop: Option<&str>,
        keys: &[(&'k String, &'k Value)],
        base_url: Option<&str>,
        input_type: Option<&str>,
        result: &mut Map<String, Value>,
        nests: &mut Vec<&'k str>,
        depth: usize,
    ) -> Result<(), JsonLdError> {
        for &(key, value) in keys {
            if key == "@context" {
                continue;
            }
            let expanded = active.expand_iri(key, false, true);
            let Some(ep) = expanded.filter(|e| e.contains(':') || is_keyword(e)) else {
                if self.opts.strict {
                    return err(
                        C::SafeModeViolation,
                        format!("property {key:?} is not defined"),
                    );
                }
                continue;
            };
            if is_keyword(&ep) {
                if prop == Some("@reverse") {
                    return err(
                        C::InvalidReversePropertyMap,
                        format!("keyword {ep} in @reverse"),
                    );
                }
                if result.contains_key(ep.as_str())
                    && (ep != "@included" && (ep != "@type" || self.is_10_mode()))
                {
                    return err(C::CollidingKeywords, format!("{ep} given twice (as {key})"));
                }
                let ev: Value = match ep.as_str() {
                    "@id" => {
                        let Value::String(s) = value else {
                            return err(C::InvalidIdValue, format!("@id {value}"));
                        };
                        let e = active.expand_iri(s, true, false);
                        self.strict_iri("@id", e.as_deref(), s)?;
                        // A keyword-like @id expands to null; kept, so the node is dropped.
                        result.insert("@id".to_owned(), e.map_or(Value::Null, Value::String));
                        continue;
                    }
                    "@type" => {
                        let strs: Vec<&str> = match value {
                            Value::String(s) => vec![s.as_str()],
                            Value::Array(a) if a.iter().all(Value::is_string) => {
                                a.iter().filter_map(Value::as_str).collect()
                            }
                            _ => return err(C::InvalidTypeValue, format!("@type {value}")),
                        };
                        let mut out = Vec::with_capacity(strs.len());
                        for s in &strs {
                            let e = type_scoped.expand_iri(s, true, true);
                            if self.opts.strict {
                                // A type that is only absolute thanks to the base IRI is an
                                // undefined term too (jsonld.js: "relative @type reference").
                                let no_base = type_scoped.expand_iri(s, false, true);
                                self.strict_iri("@type", no_base.as_deref(), s)?;
                            }
                            if let Some(e) = e {
                                out.push(Value::String(e));
                            }
                        }
                        let ev = if value.is_string() && out.len() == 1 {
                            out.pop().unwrap_or(Value::Null)
                        } else {
                            Value::Array(out)
                        };
                        match result.remove("@type") {
                            Some(prev) => {
                                let mut all = as_array(prev);
                                all.extend(as_array(ev));
                                Value::Array(all)
                            }
                            None => ev,
                        }
                    }
                    "@graph" => Value::Array(as_array(self.expand(
                        active,
                        Some("@graph"),
                        value,
                        base_url,
                        false,
                        depth,
                    )?)),
                    "@included" => {
                        if self.is_10_mode() {
                            continue;
                        }
                        let ev =
                            as_array(self.expand(active, prop, value, base_url, false, depth)?);
                        for i in &ev {
                            let node = i.is_object()
                                && i.get("@value").is_none()
                                && i.get("@list").is_none()
                                && i.get("@set").is_none();
                            if !node {
                                return err(C::InvalidIncludedValue, format!("@included {i}"));
                            }
                        }
                        match result.remove("@included") {
                            Some(prev) => {
                                let mut all = as_array(prev);
                                all.extend(ev);
                                Value::Array(all)
                            }
                            None => Value::Array(ev),
                        }
                    }
                    "@value" => {
                        if input_type == Some("@json") {
                            value.clone()
                        } else if value.is_array() || value.is_object() {
                            return err(C::InvalidValueObjectValue, format!("@value {value}"));
                        } else if value.is_null() {
                            result.insert("@value".to_owned(), Value::Null);
                            continue;
                        } else {
                            value.clone()
                        }
                    }
                    "@language" => match value {
                        Value::String(s) => Value::String(s.to_ascii_lowercase()),
                        _ => {
                            return err(
                                C::InvalidLanguageTaggedString,
                                format!("@language {value}"),
                            );
                        }
                    },
                    "@direction" => {
                        if self.is_10_mode() {
                            continue;
                        }
                        match value.as_str() {
                            Some("ltr" | "rtl") => value.clone(),
                            _ => {
                                return err(C::InvalidBaseDirection, format!("@direction {value}"));
                            }
                        }
                    }
                    "@index" => match value {
                        Value::String(_) => value.clone(),
                        _ => return err(C::InvalidIndexValue, format!("@index {value}")),
                    },
                    "@list" => {
                        if prop.is_none() || prop == Some("@graph") {
                            continue;
                        }
                        Value::Array(as_array(
                            self.expand(active, prop, value, base_url, false, depth)?,
                        ))
                    }
                    "@set" => self.expand(active, prop, value, base_url, false, depth)?,
                    "@reverse" => {
                        if !value.is_object() {
                            return err(C::InvalidReverseValue, format!("@reverse {value}"));
                        }
                        let ev =
                            self.expand(active, Some("@reverse"), value, base_url, false, depth)?;
                        if let Value::Object(mut em) = ev {
                            if let Some(Value::Object(rev)) = em.remove("@reverse") {
                                for (p, item) in rev {
                                    add_value(result, &p, item);
                                }
                            }
                            if !em.is_empty() {
                                let rm = result
                                    .entry("@reverse".to_owned())
                                    .or_insert_with(|| Value::Object(Map::new()));
                                if let Value::Object(rm) = rm {
                                    for (p, items) in em {
                                        for item in as_array(items) {
                                            if is_value_or_list(&item) {
                                                return err(
                                                    C::InvalidReversePropertyValue,
                                                    format!("{p}: {item}"),
                                                );
                                            }
                                            add_value(rm, &p, item);
                                        }
                                    }
                                }
                            }
                        }
                        continue;
                    }
                    "@nest" => {
                        nests.push(key.as_str());
                        continue;
                    }
                    _ => continue,
                };
                if !ev.is_null() || ep == "@value" {
                    result.insert(ep, ev);
                }
                continue;
            }
            let td = active.term(key);
            let cont = td.map_or(0, |t| t.container);
            let mut ev = if td.and_then(|t| t.type_mapping.as_deref()) == Some("@json") {
                let mut m = Map::new();
                m.insert("@value".to_owned(), value.clone());
                m.insert("@type".to_owned(), Value::String("@json".to_owned()));
                Value::Object(m)
            } else if let (true, Value::Object(lm)) = (cont & container::LANGUAGE != 0, value) {
                let mut out = Vec::new();
                let mut dir = active.direction.clone();
                if let Some(d) = td.and_then(|t| t.direction.clone()) {
                    dir = d;
                }
                for (lang, lv) in sorted(lm) {
                    let items: &[Value] = match lv {
                        Value::Array(a) => a,
                        other => std::slice::from_ref(other),
                    };
                    for item in items {
                        match item {
                            Value::Null => continue,
                            Value::String(_) => {}
                            _ => return err(C::InvalidLanguageMapValue, format!("{key}: {item}")),
                        }
                        let mut v = Map::new();
                        v.insert("@value".to_owned(), item.clone());
                        if lang != "@none"
                            && active.expand_iri(lang, false, true).as_deref() != Some("@none")
                        {
                            v.insert(
                                "@language".to_owned(),
                                Value::String(lang.to_ascii_lowercase()),
                            );
                        }
                        if let Some(d) = &dir {
                            v.insert("@direction".to_owned(), Value::String(d.clone()));
                        }
                        out.push(Value::Object(v));
                    }
                }
                Value::Array(out)
            } else if let (true, Value::Object(im)) = (
                cont & (container::INDEX | container::TYPE | container::ID) != 0,
                value,
            ) {
                self.expand_index_map(active, key, cont, im, base_url, depth)?
            } else {
                self.expand(active, Some(key), value, base_url, false, depth)?
            };
            if ev.is_null() {
                continue;
            }
            if cont & container::LIST != 0 && ev.get("@list").is_none() {
                ev = single("@list", Value::Array(as_array(ev)));
            }
            if cont & container::GRAPH != 0 && cont & (container::ID | container::INDEX) == 0 {
                ev = Value::Array(
                    as_array(ev)
                        .into_iter()
                        .map(|e| single("@graph", Value::Array(as_array(e))))
                        .collect(),
                );
            }
            if td.is_some_and(|t| t.reverse) {
                let rm = result
                    .entry("@reverse".to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if let Value::Object(rm) = rm {
                    for item in as_array(ev) {
                        if is_value_or_list(&item) {
                            return err(C::InvalidReversePropertyValue, format!("{key}: {item}"));
                        }
                        add_value(rm, &ep, item);
                    }
                }
            } else {
                add_value(result, &ep, ev);
            }
        }
        Ok(())
    }

    /// Step 13.8: index, id and type maps.
    fn expand_index_map(
        &self,
        active: &Ctx,
        key: &str,
        cont: u8,
        im: &Map<String, Value>,
        base_url: Option<&str>,
        depth: usize,
    ) -> Result<Value, JsonLdError> {
        let td = active.term(key);
        let index_key = td
            .and_then(|t| t.index.clone())
            .unwrap_or_else(|| "@index".to_owned());
        let mut out = Vec::new();
        for (index, iv) in sorted(im) {
            let mut map_ctx = active.clone();
            if cont & (container::ID | container::TYPE) != 0
                && let Some(p) = &active.previous
            {
                map_ctx = p.clone();
            }
            if cont & container::TYPE != 0 {
                let over = Flags::DEFAULT;
                if let Some(c) = self.scoped(&map_ctx, index, over, depth)? {
                    map_ctx = c;
                }
            }
            let expanded_index = active.expand_iri(index, false, true);
            let is_none = expanded_index.as_deref() == Some("@none");
            let items = self.expand(&map_ctx, Some(key), iv, base_url, true, depth)?;
            for item in as_array(items) {
                let mut item = item;
                if cont & container::GRAPH != 0 && item.get("@graph").is_none() {
                    item = single("@graph", Value::Array(as_array(item)));
                }
                let Value::Object(ref mut m) = item else {
                    out.push(item);
                    continue;
                };
                if cont & container::INDEX != 0 && index_key != "@index" && !is_none {
                    let re =
                        self.expand_value(active, &index_key, &Value::String(index.clone()))?;
                    let eik = active
                        .expand_iri(&index_key, false, true)
                        .unwrap_or_default();
                    let mut vals = vec![re];
                    if let Some(prev) = m.remove(&eik) {
                        vals.extend(as_array(prev));
                    }
                    if m.contains_key("@value") {
                        return err(
                            C::InvalidValueObject,
                            format!("{key}: index on a value object"),
                        );
                    }
                    m.insert(eik, Value::Array(vals));
                } else if cont & container::INDEX != 0 && !m.contains_key("@index") && !is_none {
                    m.insert("@index".to_owned(), Value::String(index.clone()));
                } else if cont & container::ID != 0 && !m.contains_key("@id") && !is_none {
                    let id = active.expand_iri(index, true, false);
                    self.strict_iri("@id", id.as_deref(), index)?;
                    m.insert("@id".to_owned(), id.map_or(Value::Null, Value::String));
                } else if cont & container::TYPE != 0 && !is_none {
                    let mut types = vec![expanded_index.clone().map_or(Value::Null, Value::String)];
                    if let Some(prev) = m.remove("@type") {
                        types.extend(as_array(prev));
                    }
                    m.insert("@type".to_owned(), Value::Array(types));
                }
                out.push(item);
            }
        }
        Ok(Value::Array(out))
    }

    fn is_10_mode(&self) -> bool {
        self.opts.processing_mode == crate::ProcessingMode::JsonLd10
    }

    /// Value Expansion (§5.3.2).
    pub(crate) fn expand_value(
        &self,
        active: &ActiveContext,
        prop: &str,
        value: &Value,
    ) -> Result<Value, JsonLdError> {
        let td = active.term(prop);
        let tm = td.and_then(|t| t.type_mapping.as_deref());
        if let (Some(t @ ("@id" | "@vocab")), Value::String(s)) = (tm, value) {
            let e = active.expand_iri(s, true, t == "@vocab");
            self.strict_iri("@id", e.as_deref(), s)?;
            return Ok(single("@id", e.map_or(Value::Null, Value::String)));
        }
        let mut m = Map::new();
        m.insert("@value".to_owned(), value.clone());
        match tm {
            Some(t) if t != "@id" && t != "@vocab" && t != "@none" => {
                m.insert("@type".to_owned(), Value::String(t.to_owned()));
            }
            _ if value.is_string() => {
                let lang = match td.and_then(|t| t.language.as_ref()) {
                    Some(l) => l.clone(),
                    None => active.language.clone(),
                };
                let dir = match td.and_then(|t| t.direction.as_ref()) {
                    Some(d) => d.clone(),
                    None => active.direction.clone(),
                };
                if let Some(l) = lang {
                    m.insert("@language".to_owned(), Value::String(l));
                }
                if let Some(d) = dir {
                    m.insert("@direction".to_owned(), Value::String(d));
                }
            }
            _ => {}
        }
        Ok(Value::Object(m))
    }
}
