//! Node Map Generation (§7.2.2) and Deserialize JSON-LD to RDF (§8.1–§8.3).

use std::collections::BTreeMap;

use rosette_rdf::{BlankNode, GraphName, Literal, Object, Quad, Subject};
use serde_json::{Map, Value};

use crate::error::{JsonLdError, JsonLdErrorCode as C, err};
use crate::iri::{is_blank, is_keyword, is_well_formed_iri};
use crate::jcs::canonical_json;
use crate::{MAX_DEPTH, RdfDirection, Run};

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const XSD: &str = "http://www.w3.org/2001/XMLSchema#";

type Node = Map<String, Value>;

/// The subject a value hangs off while building the node map.
enum Subj<'a> {
    None,
    Id(&'a str),
    /// A reverse property: the referencing node, added to the referenced node's property.
    Ref(&'a Value),
}

#[derive(Default)]
struct NodeMap {
    graphs: BTreeMap<String, BTreeMap<String, Node>>,
    labels: BTreeMap<String, String>,
    counter: usize,
}

impl NodeMap {
    /// Generate Blank Node Identifier (§7.4): relabels `old`, or mints a fresh label.
    fn blank(&mut self, old: Option<&str>) -> String {
        if let Some(o) = old
            && let Some(n) = self.labels.get(o)
        {
            return n.clone();
        }
        let n = format!("_:b{}", self.counter);
        self.counter += 1;
        if let Some(o) = old {
            self.labels.insert(o.to_owned(), n.clone());
        }
        n
    }

    fn node_mut(&mut self, graph: &str, id: &str) -> &mut Node {
        let g = self.graphs.entry(graph.to_owned()).or_default();
        g.entry(id.to_owned()).or_insert_with(|| {
            let mut m = Map::new();
            m.insert("@id".to_owned(), Value::String(id.to_owned()));
            m
        })
    }

    /// Adds `v` to `node[prop]` unless an equal value is there.
    fn add_unique(node: &mut Node, prop: &str, v: Value) {
        let slot = node
            .entry(prop.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = slot
            && !a.contains(&v)
        {
            a.push(v);
        }
    }

    fn add_plain(node: &mut Node, prop: &str, v: Value) {
        let slot = node
            .entry(prop.to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(a) = slot {
            a.push(v);
        }
    }

    fn relabel_types(&mut self, t: &Value) -> Vec<Value> {
        let items: &[Value] = match t {
            Value::Array(a) => a,
            other => std::slice::from_ref(other),
        };
        items
            .iter()
            .map(|x| match x.as_str() {
                Some(s) if is_blank(s) => Value::String(self.blank(Some(s))),
                _ => x.clone(),
            })
            .collect()
    }

    /// Node Map Generation (§7.2.2).
    fn add(
        &mut self,
        element: &Value,
        graph: &str,
        subject: &Subj<'_>,
        property: Option<&str>,
        mut list: Option<&mut Vec<Value>>,
        depth: usize,
    ) -> Result<(), JsonLdError> {
        if depth > 2 * MAX_DEPTH + 8 {
            return err(C::DepthLimitExceeded, "node map nesting");
        }
        let depth = depth + 1;
        let map = match element {
            Value::Array(a) => {
                for item in a {
                    self.add(item, graph, subject, property, list.as_deref_mut(), depth)?;
                }
                return Ok(());
            }
            Value::Object(m) => m,
            _ => return Ok(()),
        };
        self.graphs.entry(graph.to_owned()).or_default();
        let types = map.get("@type").map(|t| self.relabel_types(t));
        if map.contains_key("@value") {
            let mut v = map.clone();
            if let Some(t) = types {
                // A value object's @type is a single IRI.
                if let Some(t) = t.into_iter().next() {
                    v.insert("@type".to_owned(), t);
                }
            }
            let v = Value::Object(v);
            match list {
                Some(l) => l.push(v),
                None => {
                    if let (Subj::Id(s), Some(p)) = (subject, property) {
                        Self::add_unique(self.node_mut(graph, s), p, v);
                    }
                }
            }
            return Ok(());
        }
        if let Some(items) = map.get("@list") {
            let mut inner = Vec::new();
            self.add(items, graph, subject, property, Some(&mut inner), depth)?;
            let mut lo = Map::new();
            lo.insert("@list".to_owned(), Value::Array(inner));
            let lo = Value::Object(lo);
            match list {
                Some(l) => l.push(lo),
                None => {
                    if let (Subj::Id(s), Some(p)) = (subject, property) {
                        Self::add_plain(self.node_mut(graph, s), p, lo);
                    }
                }
            }
            return Ok(());
        }
        let id = match map.get("@id") {
            Some(Value::String(i)) if is_blank(i) => self.blank(Some(i)),
            Some(Value::String(i)) => i.to_owned(),
            // A null @id (from a keyword-like value): an unnamed node that never reaches RDF.
            Some(_) => String::new(),
            None => self.blank(None),
        };
        self.node_mut(graph, &id);
        match subject {
            Subj::Ref(r) => {
                if let Some(p) = property {
                    Self::add_unique(self.node_mut(graph, &id), p, (*r).clone());
                }
            }
            Subj::Id(s) => {
                if let Some(p) = property {
                    let mut r = Map::new();
                    r.insert("@id".to_owned(), Value::String(id.clone()));
                    match list {
                        Some(l) => l.push(Value::Object(r)),
                        None => Self::add_unique(self.node_mut(graph, s), p, Value::Object(r)),
                    }
                }
            }
            Subj::None => {}
        }
        if let Some(types) = types {
            let node = self.node_mut(graph, &id);
            for t in types {
                Self::add_unique(node, "@type", t);
            }
        }
        if let Some(ix) = map.get("@index") {
            let node = self.node_mut(graph, &id);
            if let Some(old) = node.get("@index")
                && old != ix
            {
                return err(
                    C::ConflictingIndexes,
                    format!("node {id} has two @index values"),
                );
            }
            node.insert("@index".to_owned(), ix.clone());
        }
        if let Some(Value::Object(rev)) = map.get("@reverse") {
            let mut r = Map::new();
            r.insert("@id".to_owned(), Value::String(id.clone()));
            let referenced = Value::Object(r);
            for (p, values) in rev {
                self.add(values, graph, &Subj::Ref(&referenced), Some(p), None, depth)?;
            }
        }
        if let Some(g) = map.get("@graph") {
            self.add(g, &id, &Subj::None, None, None, depth)?;
        }
        if let Some(inc) = map.get("@included") {
            self.add(inc, graph, &Subj::None, None, None, depth)?;
        }
        let mut keys: Vec<&String> = map.keys().filter(|k| !is_keyword(k)).collect();
        keys.sort_unstable();
        for k in keys {
            let prop = if is_blank(k) {
                self.blank(Some(k))
            } else {
                k.clone()
            };
            let node = self.node_mut(graph, &id);
            if !node.contains_key(&prop) {
                node.insert(prop.clone(), Value::Array(Vec::new()));
            }
            if let Some(v) = map.get(k) {
                self.add(v, graph, &Subj::Id(&id), Some(&prop), None, depth)?;
            }
        }
        Ok(())
    }
}

fn subject_of(s: &str) -> Option<Subject> {
    if let Some(b) = s.strip_prefix("_:") {
        Some(Subject::Blank(BlankNode(b.to_owned())))
    } else if is_well_formed_iri(s) {
        Some(Subject::Iri(s.to_owned()))
    } else {
        None
    }
}

fn object_iri(s: &str) -> Option<Object> {
    if let Some(b) = s.strip_prefix("_:") {
        Some(Object::Blank(BlankNode(b.to_owned())))
    } else if is_well_formed_iri(s) {
        Some(Object::Iri(s.to_owned()))
    } else {
        None
    }
}

fn well_formed_language(l: &str) -> bool {
    let mut parts = l.split('-');
    let first_ok = parts
        .next()
        .is_some_and(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphabetic()));
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|c| c.is_ascii_alphanumeric()))
}

/// XSD canonical double: `d.dddE±n` with at least one fractional digit.
fn canonical_double(f: f64) -> String {
    let s = format!("{f:E}");
    match s.split_once('E') {
        Some((m, e)) if !m.contains('.') => format!("{m}.0E{e}"),
        _ => s,
    }
}

/// A triple before its graph is known.
type Triple = (Subject, String, Object);

struct Writer<'a> {
    nm: &'a mut NodeMap,
    direction: Option<RdfDirection>,
}

impl Writer<'_> {
    /// Object to RDF Conversion (§8.2).
    fn object(
        &mut self,
        item: &Value,
        triples: &mut Vec<Triple>,
        depth: usize,
    ) -> Result<Option<Object>, JsonLdError> {
        if depth > 2 * MAX_DEPTH + 8 {
            return err(C::DepthLimitExceeded, "list nesting");
        }
        let Value::Object(m) = item else {
            return Ok(None);
        };
        if let Some(l) = m.get("@list") {
            let items: &[Value] = match l {
                Value::Array(a) => a,
                other => std::slice::from_ref(other),
            };
            return self.list(items, triples, depth + 1).map(Some);
        }
        let Some(value) = m.get("@value") else {
            return Ok(m.get("@id").and_then(Value::as_str).and_then(object_iri));
        };
        let mut datatype = m.get("@type").and_then(Value::as_str).map(str::to_owned);
        if let Some(d) = &datatype
            && d != "@json"
            && !is_well_formed_iri(d)
        {
            return Ok(None);
        }
        let language = m.get("@language").and_then(Value::as_str);
        if language.is_some_and(|l| !well_formed_language(l)) {
            return Ok(None);
        }
        let lexical = if datatype.as_deref() == Some("@json") {
            datatype = Some(format!("{RDF}JSON"));
            match canonical_json(value, 2 * MAX_DEPTH) {
                Some(s) => s,
                None => return err(C::DepthLimitExceeded, "JSON literal nesting"),
            }
        } else {
            match value {
                Value::Bool(b) => {
                    datatype.get_or_insert_with(|| format!("{XSD}boolean"));
                    b.to_string()
                }
                Value::Number(n) => {
                    let is_double_type = datatype.as_deref() == Some(&format!("{XSD}double"));
                    let f = n.as_f64().unwrap_or(0.0);
                    let integral = n.is_i64() || n.is_u64() || (f.fract() == 0.0 && f.abs() < 1e21);
                    if integral && !is_double_type {
                        datatype.get_or_insert_with(|| format!("{XSD}integer"));
                        if let Some(i) = n.as_i64() {
                            i.to_string()
                        } else if let Some(u) = n.as_u64() {
                            u.to_string()
                        } else {
                            format!("{}", f as i128)
                        }
                    } else {
                        datatype.get_or_insert_with(|| format!("{XSD}double"));
                        canonical_double(f)
                    }
                }
                Value::String(s) => s.clone(),
                _ => return Ok(None),
            }
        };
        let datatype = datatype.unwrap_or_else(|| {
            if language.is_some() {
                format!("{RDF}langString")
            } else {
                format!("{XSD}string")
            }
        });
        let direction = m.get("@direction").and_then(Value::as_str);
        if let (Some(dir), Some(mode)) = (direction, self.direction) {
            let lang = language.unwrap_or("").to_ascii_lowercase();
            match mode {
                RdfDirection::I18nDatatype => {
                    let dt = format!("https://www.w3.org/ns/i18n#{lang}_{dir}");
                    return Ok(Some(Object::Literal(Literal::typed(lexical, dt))));
                }
                RdfDirection::CompoundLiteral => {
                    let b = self.nm.blank(None);
                    let bn = BlankNode(b.trim_start_matches("_:").to_owned());
                    let s = Subject::Blank(bn.clone());
                    triples.push((
                        s.clone(),
                        format!("{RDF}value"),
                        Object::Literal(Literal::string(lexical)),
                    ));
                    if let Some(l) = language {
                        triples.push((
                            s.clone(),
                            format!("{RDF}language"),
                            Object::Literal(Literal::string(l)),
                        ));
                    }
                    triples.push((
                        s,
                        format!("{RDF}direction"),
                        Object::Literal(Literal::string(dir)),
                    ));
                    return Ok(Some(Object::Blank(bn)));
                }
            }
        }
        let lit = match language {
            Some(l) if datatype == format!("{RDF}langString") => Literal::lang(lexical, l),
            _ => Literal::typed(lexical, datatype),
        };
        Ok(Some(Object::Literal(lit)))
    }

    /// List Conversion (§8.3).
    fn list(
        &mut self,
        items: &[Value],
        triples: &mut Vec<Triple>,
        depth: usize,
    ) -> Result<Object, JsonLdError> {
        if items.is_empty() {
            return Ok(Object::Iri(format!("{RDF}nil")));
        }
        let nodes: Vec<BlankNode> = items
            .iter()
            .map(|_| BlankNode(self.nm.blank(None).trim_start_matches("_:").to_owned()))
            .collect();
        for (i, (item, node)) in items.iter().zip(&nodes).enumerate() {
            if let Some(o) = self.object(item, triples, depth)? {
                triples.push((Subject::Blank(node.clone()), format!("{RDF}first"), o));
            }
            let rest = match nodes.get(i + 1) {
                Some(n) => Object::Blank(n.clone()),
                None => Object::Iri(format!("{RDF}nil")),
            };
            triples.push((Subject::Blank(node.clone()), format!("{RDF}rest"), rest));
        }
        Ok(nodes.first().map_or_else(
            || Object::Iri(format!("{RDF}nil")),
            |n| Object::Blank(n.clone()),
        ))
    }
}

impl Run<'_> {
    /// Node map generation then Deserialize JSON-LD to RDF, deduplicated.
    pub(crate) fn to_rdf(&self, expanded: &Value) -> Result<Vec<Quad>, JsonLdError> {
        let mut nm = NodeMap::default();
        nm.add(expanded, "@default", &Subj::None, None, None, 0)?;
        let graphs = std::mem::take(&mut nm.graphs);
        let mut w = Writer {
            nm: &mut nm,
            direction: self.opts.rdf_direction,
        };
        let mut out: Vec<Quad> = Vec::new();
        let mut triples: Vec<Triple> = Vec::new();
        for (gname, graph) in &graphs {
            let g = if gname == "@default" {
                GraphName::Default
            } else if let Some(b) = gname.strip_prefix("_:") {
                GraphName::Blank(BlankNode(b.to_owned()))
            } else if is_well_formed_iri(gname) {
                GraphName::Iri(gname.clone())
            } else {
                continue;
            };
            for (sid, node) in graph {
                let Some(subject) = subject_of(sid) else {
                    continue;
                };
                let mut props: Vec<(&String, &Value)> = node.iter().collect();
                props.sort_unstable_by(|a, b| a.0.cmp(b.0));
                for (p, values) in props {
                    let Value::Array(values) = values else {
                        continue;
                    };
                    if p == "@type" {
                        for t in values {
                            if let Some(o) = t.as_str().and_then(object_iri) {
                                triples.push((subject.clone(), format!("{RDF}type"), o));
                            }
                        }
                        continue;
                    }
                    if is_keyword(p) || is_blank(p) || !is_well_formed_iri(p) {
                        continue;
                    }
                    for item in values {
                        let mut extra = Vec::new();
                        if let Some(o) = w.object(item, &mut extra, 0)? {
                            triples.push((subject.clone(), p.clone(), o));
                        }
                        triples.append(&mut extra);
                    }
                }
                for (s, p, o) in triples.drain(..) {
                    let q = Quad {
                        subject: s,
                        predicate: p,
                        object: o,
                        graph: g.clone(),
                    };
                    out.push(q);
                }
            }
        }
        Ok(dedupe(out))
    }
}

/// Removes duplicate quads, keeping the first of each in place (sorting indices, not quads).
fn dedupe(quads: Vec<Quad>) -> Vec<Quad> {
    let mut idx: Vec<usize> = (0..quads.len()).collect();
    idx.sort_by(|&a, &b| quads.get(a).cmp(&quads.get(b)).then(a.cmp(&b)));
    let mut keep = vec![true; quads.len()];
    for w in idx.windows(2) {
        if let [a, b] = w
            && quads.get(*a) == quads.get(*b)
            && let Some(k) = keep.get_mut(*b)
        {
            *k = false;
        }
    }
    quads
        .into_iter()
        .zip(keep)
        .filter_map(|(q, k)| k.then_some(q))
        .collect()
}
