//! Node Map Generation (§7.2.2) and Deserialize JSON-LD to RDF (§8.1–§8.3).

use std::borrow::Cow;
use std::collections::BTreeMap;

use rosette_rdf::{BlankNode, GraphName, Literal, Object, Quad, Subject};
use serde_json::{Map, Value};

use crate::error::{JsonLdError, JsonLdErrorCode as C, err};
use crate::iri::{is_blank, is_keyword, is_well_formed_iri};
use crate::jcs::canonical_json;
use crate::{MAX_DEPTH, RdfDirection, Run};

const RDF: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";
const RDF_JSON: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#JSON";
const XSD_BOOLEAN: &str = "http://www.w3.org/2001/XMLSchema#boolean";
const XSD_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";
const XSD_DOUBLE: &str = "http://www.w3.org/2001/XMLSchema#double";

/// A value in the node map, borrowing from the expanded document.
#[derive(Debug)]
enum Item<'a> {
    /// A value object.
    Value(&'a Map<String, Value>),
    /// A reference to a node, by its (relabelled) identifier.
    Node(Cow<'a, str>),
    /// A list object.
    List(Vec<Item<'a>>),
}

/// An entry of a small map by linear scan (no hashing; value objects have ≤ 4 entries).
fn entry<'m>(m: &'m Map<String, Value>, key: &str) -> Option<&'m Value> {
    m.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
}

impl PartialEq for Item<'_> {
    /// Deep equality as the node map needs it (§7.2.2 "unless already contained"); lists
    /// are never merged. Cheap rejections first: dedupe compares every pair in a property.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Item::Value(a), Item::Value(b)) => {
                std::ptr::eq(*a, *b)
                    || (a.len() == b.len()
                        && entry(a, "@value") == entry(b, "@value")
                        && (a.iter().eq(b.iter()) || a == b))
            }
            (Item::Node(a), Item::Node(b)) => a == b,
            _ => false,
        }
    }
}

/// One node of the node map (§7.2): types, index and properties.
#[derive(Debug, Default)]
struct Node<'a> {
    types: Vec<Cow<'a, str>>,
    index: Option<&'a Value>,
    props: BTreeMap<Cow<'a, str>, Vec<Item<'a>>>,
}

/// Values per property (or types per node) deduplicated by linear scan in the node map.
const LINEAR_DEDUPE: usize = 64;

type Graph<'a> = BTreeMap<Cow<'a, str>, Node<'a>>;

/// The subject a value hangs off while building the node map.
#[derive(Clone, Copy)]
enum Subj<'s> {
    None,
    Id(&'s str),
    /// A reverse property: the node (by id) to add to the referenced node's property.
    Ref(&'s str),
}

#[derive(Default)]
struct NodeMap<'a> {
    graphs: BTreeMap<Cow<'a, str>, Graph<'a>>,
    labels: BTreeMap<&'a str, String>,
    counter: usize,
}

impl<'a> NodeMap<'a> {
    fn fresh(&mut self) -> String {
        let n = format!("_:b{}", self.counter);
        self.counter += 1;
        n
    }

    /// Generate Blank Node Identifier (§7.4) for an existing label.
    fn relabel(&mut self, old: &'a str) -> String {
        if let Some(n) = self.labels.get(old) {
            return n.clone();
        }
        let n = self.fresh();
        self.labels.insert(old, n.clone());
        n
    }

    fn label(&mut self, s: &'a str) -> Cow<'a, str> {
        if is_blank(s) {
            Cow::Owned(self.relabel(s))
        } else {
            Cow::Borrowed(s)
        }
    }

    /// Makes sure `graph` and `id` in it exist.
    fn ensure(&mut self, graph: &str, id: &str) {
        if !self.graphs.contains_key(graph) {
            self.graphs
                .insert(Cow::Owned(graph.to_owned()), BTreeMap::new());
        }
        if let Some(g) = self.graphs.get_mut(graph)
            && !g.contains_key(id)
        {
            g.insert(Cow::Owned(id.to_owned()), Node::default());
        }
    }

    /// The node `id` of `graph`, created if missing (always `Some`).
    fn node_mut(&mut self, graph: &str, id: &str) -> Option<&mut Node<'a>> {
        self.ensure(graph, id);
        self.graphs.get_mut(graph)?.get_mut(id)
    }

    fn push(node: &mut Node<'a>, prop: &str, item: Item<'a>, unique: bool) {
        let slot = match node.props.get_mut(prop) {
            Some(s) => s,
            None => node.props.entry(Cow::Owned(prop.to_owned())).or_default(),
        };
        // Past LINEAR_DEDUPE values the scan would be quadratic on hostile input; duplicates
        // then survive here but become identical quads, which `dedupe` removes.
        if !unique || slot.len() > LINEAR_DEDUPE || !slot.contains(&item) {
            slot.push(item);
        }
    }

    /// Node Map Generation (§7.2.2). `list` collects the members of an enclosing list.
    fn add(
        &mut self,
        element: &'a Value,
        graph: &str,
        subject: Subj<'_>,
        property: Option<&str>,
        mut list: Option<&mut Vec<Item<'a>>>,
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
        if map.contains_key("@value") {
            // A value object's blank-node datatype would be relabelled, but it never
            // reaches RDF (not an IRI), so the object is kept as it is.
            let item = Item::Value(map);
            match list {
                Some(l) => l.push(item),
                None => {
                    if let (Subj::Id(s), Some(p)) = (subject, property)
                        && let Some(n) = self.node_mut(graph, s)
                    {
                        Self::push(n, p, item, true);
                    }
                }
            }
            return Ok(());
        }
        if let Some(items) = map.get("@list") {
            let mut inner = Vec::new();
            self.add(items, graph, subject, property, Some(&mut inner), depth)?;
            let item = Item::List(inner);
            match list {
                Some(l) => l.push(item),
                None => {
                    if let (Subj::Id(s), Some(p)) = (subject, property)
                        && let Some(n) = self.node_mut(graph, s)
                    {
                        Self::push(n, p, item, false);
                    }
                }
            }
            return Ok(());
        }
        let id: Cow<'a, str> = match map.get("@id") {
            Some(Value::String(i)) => self.label(i),
            // A null @id (from a keyword-like value): an unnamed node that never reaches RDF.
            Some(_) => Cow::Borrowed(""),
            None => Cow::Owned(self.fresh()),
        };
        self.ensure(graph, &id);
        match subject {
            Subj::Ref(r) => {
                if let (Some(p), Some(n)) = (property, self.node_mut(graph, &id)) {
                    Self::push(n, p, Item::Node(Cow::Owned(r.to_owned())), true);
                }
            }
            Subj::Id(s) => {
                if let Some(p) = property {
                    let item = Item::Node(id.clone());
                    match list {
                        Some(l) => l.push(item),
                        None => {
                            if let Some(n) = self.node_mut(graph, s) {
                                Self::push(n, p, item, true);
                            }
                        }
                    }
                }
            }
            Subj::None => {}
        }
        if let Some(t) = map.get("@type") {
            let items: &'a [Value] = match t {
                Value::Array(a) => a,
                other => std::slice::from_ref(other),
            };
            for x in items {
                if let Some(ts) = x.as_str() {
                    let t = self.label(ts);
                    if let Some(node) = self.node_mut(graph, &id)
                        && (node.types.len() > LINEAR_DEDUPE || !node.types.contains(&t))
                    {
                        node.types.push(t);
                    }
                }
            }
        }
        if let Some(ix) = map.get("@index")
            && let Some(node) = self.node_mut(graph, &id)
        {
            if node.index.is_some_and(|old| old != ix) {
                return err(
                    C::ConflictingIndexes,
                    format!("node {id} has two @index values"),
                );
            }
            node.index = Some(ix);
        }
        if let Some(Value::Object(rev)) = map.get("@reverse") {
            for (p, values) in rev {
                self.add(values, graph, Subj::Ref(&id), Some(p), None, depth)?;
            }
        }
        if let Some(g) = map.get("@graph") {
            self.add(g, &id, Subj::None, None, None, depth)?;
        }
        if let Some(inc) = map.get("@included") {
            self.add(inc, graph, Subj::None, None, None, depth)?;
        }
        let mut keys: Vec<(&'a String, &'a Value)> =
            map.iter().filter(|(k, _)| !is_keyword(k)).collect();
        keys.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (k, v) in keys {
            let prop = self.label(k);
            if let Some(node) = self.node_mut(graph, &id)
                && !node.props.contains_key(prop.as_ref())
            {
                node.props.insert(prop.clone(), Vec::new());
            }
            self.add(v, graph, Subj::Id(&id), Some(&prop), None, depth)?;
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

struct Writer<'n, 'a> {
    nm: &'n mut NodeMap<'a>,
    direction: Option<RdfDirection>,
    strict: bool,
}

/// In safe mode anything the algorithm would silently drop is an error instead.
fn dropped<T>(strict: bool, what: impl FnOnce() -> String) -> Result<Option<T>, JsonLdError> {
    if strict {
        return err(C::SafeModeViolation, format!("{} would be dropped", what()));
    }
    Ok(None)
}

fn blank_node(label: &str) -> BlankNode {
    BlankNode(label.trim_start_matches("_:").to_owned())
}

impl Writer<'_, '_> {
    /// Object to RDF Conversion (§8.2) of a node-map item.
    fn object(
        &mut self,
        item: &Item<'_>,
        triples: &mut Vec<Triple>,
        depth: usize,
    ) -> Result<Option<Object>, JsonLdError> {
        if depth > 2 * MAX_DEPTH + 8 {
            return err(C::DepthLimitExceeded, "list nesting");
        }
        match item {
            Item::Node(id) => match object_iri(id) {
                Some(o) => Ok(Some(o)),
                None => dropped(self.strict, || format!("object reference {id:?}")),
            },
            Item::List(items) => self.list(items, triples, depth + 1).map(Some),
            Item::Value(m) => self.value(m, triples),
        }
    }

    /// Object to RDF Conversion (§8.2) of a value object.
    fn value(
        &mut self,
        m: &Map<String, Value>,
        triples: &mut Vec<Triple>,
    ) -> Result<Option<Object>, JsonLdError> {
        let Some(value) = m.get("@value") else {
            return Ok(None);
        };
        let mut datatype: Option<Cow<'_, str>> =
            m.get("@type").and_then(Value::as_str).map(Cow::Borrowed);
        if let Some(d) = &datatype
            && d != "@json"
            && !is_well_formed_iri(d)
        {
            return dropped(self.strict, || format!("literal with datatype {d:?}"));
        }
        let language = m.get("@language").and_then(Value::as_str);
        if let Some(l) = language
            && !well_formed_language(l)
        {
            return dropped(self.strict, || format!("literal with language tag {l:?}"));
        }
        let lexical = if datatype.as_deref() == Some("@json") {
            datatype = Some(Cow::Borrowed(RDF_JSON));
            match canonical_json(value, 2 * MAX_DEPTH) {
                Some(s) => s,
                None => return err(C::DepthLimitExceeded, "JSON literal nesting"),
            }
        } else {
            match value {
                Value::Bool(b) => {
                    datatype.get_or_insert(Cow::Borrowed(XSD_BOOLEAN));
                    b.to_string()
                }
                Value::Number(n) => {
                    let is_double_type = datatype.as_deref() == Some(XSD_DOUBLE);
                    let f = n.as_f64().unwrap_or(0.0);
                    let integral = n.is_i64() || n.is_u64() || (f.fract() == 0.0 && f.abs() < 1e21);
                    if integral && !is_double_type {
                        datatype.get_or_insert(Cow::Borrowed(XSD_INTEGER));
                        if let Some(i) = n.as_i64() {
                            i.to_string()
                        } else if let Some(u) = n.as_u64() {
                            u.to_string()
                        } else {
                            format!("{}", f as i128)
                        }
                    } else {
                        datatype.get_or_insert(Cow::Borrowed(XSD_DOUBLE));
                        canonical_double(f)
                    }
                }
                Value::String(s) => s.clone(),
                _ => return Ok(None),
            }
        };
        let direction = m.get("@direction").and_then(Value::as_str);
        if direction.is_some() && self.direction.is_none() && self.strict {
            // jsonld.js safe mode: "rdfDirection not set".
            return err(
                C::SafeModeViolation,
                "@direction without an rdf_direction option",
            );
        }
        if let (Some(dir), Some(mode)) = (direction, self.direction) {
            let lang = language.unwrap_or("").to_ascii_lowercase();
            match mode {
                RdfDirection::I18nDatatype => {
                    let dt = format!("https://www.w3.org/ns/i18n#{lang}_{dir}");
                    return Ok(Some(Object::Literal(Literal::typed(lexical, dt))));
                }
                RdfDirection::CompoundLiteral => {
                    let bn = blank_node(&self.nm.fresh());
                    let s = Subject::Blank(bn.clone());
                    let lit = |v: &str| Object::Literal(Literal::string(v));
                    triples.push((s.clone(), format!("{RDF}value"), lit(&lexical)));
                    if let Some(l) = language {
                        triples.push((s.clone(), format!("{RDF}language"), lit(l)));
                    }
                    triples.push((s, format!("{RDF}direction"), lit(dir)));
                    return Ok(Some(Object::Blank(bn)));
                }
            }
        }
        let lit = match (language, datatype) {
            (Some(l), None) => Literal::lang(lexical, l),
            (_, Some(d)) => Literal::typed(lexical, d.into_owned()),
            (None, None) => Literal::string(lexical),
        };
        Ok(Some(Object::Literal(lit)))
    }

    /// List Conversion (§8.3).
    fn list(
        &mut self,
        items: &[Item<'_>],
        triples: &mut Vec<Triple>,
        depth: usize,
    ) -> Result<Object, JsonLdError> {
        let nodes: Vec<BlankNode> = items.iter().map(|_| blank_node(&self.nm.fresh())).collect();
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
        nm.add(expanded, "@default", Subj::None, None, None, 0)?;
        let graphs = std::mem::take(&mut nm.graphs);
        let strict = self.opts.strict;
        let mut w = Writer {
            nm: &mut nm,
            direction: self.opts.rdf_direction,
            strict,
        };
        let mut out: Vec<Quad> = Vec::new();
        let mut triples: Vec<Triple> = Vec::new();
        for (gname, graph) in &graphs {
            let g = if gname == "@default" {
                GraphName::Default
            } else if let Some(b) = gname.strip_prefix("_:") {
                GraphName::Blank(BlankNode(b.to_owned()))
            } else if is_well_formed_iri(gname) {
                GraphName::Iri(gname.to_string())
            } else {
                dropped::<()>(strict, || format!("graph {gname:?}"))?;
                continue;
            };
            for (sid, node) in graph {
                let Some(subject) = subject_of(sid) else {
                    dropped::<()>(strict, || format!("subject {sid:?}"))?;
                    continue;
                };
                for t in &node.types {
                    match object_iri(t) {
                        Some(o) => triples.push((subject.clone(), format!("{RDF}type"), o)),
                        None => {
                            dropped::<()>(strict, || format!("type {t:?}"))?;
                        }
                    }
                }
                for (p, values) in &node.props {
                    if is_blank(p) || !is_well_formed_iri(p) {
                        dropped::<()>(strict, || format!("predicate {p:?}"))?;
                        continue;
                    }
                    for item in values {
                        let mut extra = Vec::new();
                        if let Some(o) = w.object(item, &mut extra, 0)? {
                            triples.push((subject.clone(), p.to_string(), o));
                        }
                        triples.append(&mut extra);
                    }
                }
                for (s, p, o) in triples.drain(..) {
                    out.push(Quad {
                        subject: s,
                        predicate: p,
                        object: o,
                        graph: g.clone(),
                    });
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
