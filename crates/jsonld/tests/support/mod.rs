//! Test support: an N-Quads line reader and an isomorphism check up to blank node labels.
#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, BTreeSet};

use rosette_rdf::{BlankNode, GraphName, Literal, Object, Quad, Subject};

// ---------- N-Quads reading (test side only) ----------

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('t') => out.push('\t'),
            Some('b') => out.push('\u{8}'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('f') => out.push('\u{c}'),
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            Some('\\') => out.push('\\'),
            Some(u @ ('u' | 'U')) => {
                let n = if u == 'u' { 4 } else { 8 };
                let hex: String = it.by_ref().take(n).collect();
                out.push(char::from_u32(u32::from_str_radix(&hex, 16).unwrap()).unwrap());
            }
            other => panic!("bad escape {other:?}"),
        }
    }
    out
}

#[derive(Debug, Clone)]
enum Tok {
    Iri(String),
    Blank(String),
    Lit(Literal),
}

pub fn parse_line(line: &str) -> Option<Quad> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let b = line.as_bytes();
    let mut i = 0;
    let mut toks = Vec::new();
    while i < b.len() {
        match b[i] {
            b' ' | b'\t' => i += 1,
            b'.' => break,
            b'<' => {
                let end = line[i..].find('>').unwrap() + i;
                toks.push(Tok::Iri(unescape(&line[i + 1..end])));
                i = end + 1;
            }
            b'_' => {
                let end = line[i..].find([' ', '\t']).map_or(b.len(), |e| e + i);
                toks.push(Tok::Blank(line[i + 2..end].to_owned()));
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let value = unescape(&line[i + 1..j]);
                j += 1;
                let lit = if b.get(j) == Some(&b'@') {
                    let end = line[j..].find([' ', '\t']).unwrap() + j;
                    let l = Literal::lang(value, &line[j + 1..end]);
                    j = end;
                    l
                } else if line[j..].starts_with("^^<") {
                    let end = line[j..].find('>').unwrap() + j;
                    let l = Literal::typed(value, unescape(&line[j + 3..end]));
                    j = end + 1;
                    l
                } else {
                    Literal::string(value)
                };
                toks.push(Tok::Lit(lit));
                i = j;
            }
            c => panic!("unexpected {} in {line}", c as char),
        }
    }
    let subject = match &toks[0] {
        Tok::Iri(s) => Subject::Iri(s.clone()),
        Tok::Blank(s) => Subject::Blank(BlankNode(s.clone())),
        Tok::Lit(_) => panic!("literal subject"),
    };
    let predicate = match &toks[1] {
        Tok::Iri(p) => p.clone(),
        // Generalized RDF (blank predicate): kept as text, only te075 has one.
        Tok::Blank(b) => format!("_:{b}"),
        Tok::Lit(_) => panic!("literal predicate in {line}"),
    };
    let object = match &toks[2] {
        Tok::Iri(s) => Object::Iri(s.clone()),
        Tok::Blank(s) => Object::Blank(BlankNode(s.clone())),
        Tok::Lit(l) => Object::Literal(l.clone()),
    };
    let graph = match toks.get(3) {
        None => GraphName::Default,
        Some(Tok::Iri(s)) => GraphName::Iri(s.clone()),
        Some(Tok::Blank(s)) => GraphName::Blank(BlankNode(s.clone())),
        Some(Tok::Lit(_)) => panic!("literal graph"),
    };
    Some(Quad {
        subject,
        predicate,
        object,
        graph,
    })
}

// ---------- isomorphism up to blank node labels ----------

/// A quad as four terms; blank nodes as `Err(label)`.
type Term = Result<String, String>;
type Q4 = [Term; 4];

fn q4(q: &Quad) -> Q4 {
    let s = match &q.subject {
        Subject::Iri(i) => Ok(format!("<{i}>")),
        Subject::Blank(b) => Err(b.0.clone()),
    };
    let o = match &q.object {
        Object::Iri(i) => Ok(format!("<{i}>")),
        Object::Blank(b) => Err(b.0.clone()),
        Object::Literal(l) => Ok(l.to_string()),
    };
    let g = match &q.graph {
        GraphName::Default => Ok(String::new()),
        GraphName::Iri(i) => Ok(format!("<{i}>")),
        GraphName::Blank(b) => Err(b.0.clone()),
    };
    [s, Ok(q.predicate.clone()), o, g]
}

fn colors(quads: &[Q4], rounds: usize) -> BTreeMap<String, String> {
    let mut col: BTreeMap<String, String> = BTreeMap::new();
    for q in quads {
        for t in q.iter().flatten_err() {
            col.insert(t.clone(), String::new());
        }
    }
    for _ in 0..rounds {
        let mut next = BTreeMap::new();
        for b in col.keys() {
            let mut sig: Vec<String> = quads
                .iter()
                .filter(|q| q.iter().any(|t| t.as_ref().err() == Some(b)))
                .map(|q| {
                    q.iter()
                        .map(|t| match t {
                            Ok(s) => s.clone(),
                            Err(x) if x == b => "*".to_owned(),
                            Err(x) => format!("_{}", col[x]),
                        })
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .collect();
            sig.sort();
            next.insert(b.clone(), format!("{:x}", md5ish(&sig.join("\n"))));
        }
        col = next;
    }
    col
}

/// A small stable string hash (FNV-1a, 64 bit) to keep colours short.
fn md5ish(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

trait FlattenErr<'a> {
    fn flatten_err(self) -> Box<dyn Iterator<Item = &'a String> + 'a>;
}
impl<'a, I: Iterator<Item = &'a Term> + 'a> FlattenErr<'a> for I {
    fn flatten_err(self) -> Box<dyn Iterator<Item = &'a String> + 'a> {
        Box::new(self.filter_map(|t| t.as_ref().err()))
    }
}

pub fn isomorphic(a: &[Quad], e: &[Quad]) -> bool {
    let a: Vec<Q4> = a
        .iter()
        .map(q4)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let e: Vec<Q4> = e
        .iter()
        .map(q4)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if a.len() != e.len() {
        return false;
    }
    let ca = colors(&a, 4);
    let ce = colors(&e, 4);
    if ca.len() != ce.len() {
        return false;
    }
    let mut ha: Vec<&String> = ca.values().collect();
    let mut he: Vec<&String> = ce.values().collect();
    ha.sort();
    he.sort();
    if ha != he {
        return false;
    }
    let eset: BTreeSet<Q4> = e.iter().cloned().collect();
    let order: Vec<String> = ca.keys().cloned().collect();
    let mut map: BTreeMap<String, String> = BTreeMap::new();
    let mut used: BTreeSet<String> = BTreeSet::new();
    fn consistent(a: &[Q4], eset: &BTreeSet<Q4>, map: &BTreeMap<String, String>) -> bool {
        a.iter().all(|q| {
            if q.iter().flatten_err().any(|b| !map.contains_key(b)) {
                return true;
            }
            let m: Q4 = [0, 1, 2, 3].map(|i| match &q[i] {
                Ok(s) => Ok(s.clone()),
                Err(b) => Err(map[b].clone()),
            });
            eset.contains(&m)
        })
    }
    #[allow(clippy::too_many_arguments)]
    fn go(
        i: usize,
        order: &[String],
        ca: &BTreeMap<String, String>,
        ce: &BTreeMap<String, String>,
        a: &[Q4],
        eset: &BTreeSet<Q4>,
        map: &mut BTreeMap<String, String>,
        used: &mut BTreeSet<String>,
    ) -> bool {
        let Some(b) = order.get(i) else { return true };
        for (cand, col) in ce {
            if col != &ca[b] || used.contains(cand) {
                continue;
            }
            map.insert(b.clone(), cand.clone());
            used.insert(cand.clone());
            if consistent(a, eset, map) && go(i + 1, order, ca, ce, a, eset, map, used) {
                return true;
            }
            map.remove(b);
            used.remove(cand);
        }
        false
    }
    go(0, &order, &ca, &ce, &a, &eset, &mut map, &mut used)
}

/// Parses an N-Quads document.
pub fn parse_nquads(text: &str) -> Vec<Quad> {
    text.lines().filter_map(parse_line).collect()
}
