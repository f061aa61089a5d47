//! RDF Dataset Canonicalization, RDFC-1.0 (<https://www.w3.org/TR/rdf-canon/>).
//!
//! Blank nodes are interned as indices and every non-blank term is serialised once into an
//! arena, so hashing only concatenates slices. When every blank node has a unique first-degree
//! hash (the usual credential) no N-degree work is done at all.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::ops::Range;

use sha2::{Digest, Sha256, Sha384};

use crate::model::{BlankNode, GraphName, Object, Quad, Subject, write_escaped};
use crate::nquads::{NQuadsError, parse_nquads};

/// The hash function RDFC-1.0 runs with (§4.2: SHA-256 unless the caller asks otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashAlgorithm {
    /// SHA-256, the default.
    #[default]
    Sha256,
    /// SHA-384.
    Sha384,
}

/// Options for [`canonicalize`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CanonOptions {
    /// The hash function.
    pub hash: HashAlgorithm,
    /// Work budget for the Hash N-Degree Quads algorithm: each call of it, each related-node
    /// hash and each permutation it tries costs one unit. Exceeding it gives [`CanonError::TooComplex`].
    pub max_work: u64,
    /// Deepest allowed recursion of Hash N-Degree Quads, so untrusted input cannot
    /// exhaust the stack.
    pub max_depth: usize,
}

impl CanonOptions {
    /// Default [`CanonOptions::max_work`]. The rdf-canon suite's hardest positive tests (the
    /// "evil" poison graphs 044c–046c) need about 6,200 units (about 1 ms in release); an
    /// ordinary credential needs 0. Spending the whole default budget takes about 10–50 ms in
    /// a release build (see the poison-graph unit tests), so refusal is quick.
    pub const DEFAULT_MAX_WORK: u64 = 50_000;
    /// Default [`CanonOptions::max_depth`]; the suite needs at most 6.
    pub const DEFAULT_MAX_DEPTH: usize = 64;
}

impl Default for CanonOptions {
    fn default() -> Self {
        Self {
            hash: HashAlgorithm::Sha256,
            max_work: Self::DEFAULT_MAX_WORK,
            max_depth: Self::DEFAULT_MAX_DEPTH,
        }
    }
}

/// Why [`canonicalize`] refused a dataset.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonError {
    /// The blank-node structure needs more N-degree work than [`CanonOptions`] allows
    /// (a "poison" graph, RDFC-1.0 §6).
    #[error("dataset too complex to canonicalize (work budget {max_work}, depth {max_depth})")]
    TooComplex {
        /// The work budget that was exceeded or would have been.
        max_work: u64,
        /// The recursion depth limit.
        max_depth: usize,
    },
}

/// Why [`canonicalize_nquads`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalizeNQuadsError {
    /// The input is not N-Quads.
    #[error(transparent)]
    Parse(#[from] NQuadsError),
    /// The dataset could not be canonicalized.
    #[error(transparent)]
    Canon(#[from] CanonError),
}

/// The result of canonicalization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Canonical {
    document: String,
    issued: BTreeMap<String, String>,
}

impl Canonical {
    /// The canonical N-Quads document: sorted, de-duplicated lines, each ending in `\n`.
    pub fn as_str(&self) -> &str {
        &self.document
    }

    /// The canonical N-Quads document, owned.
    pub fn into_string(self) -> String {
        self.document
    }

    /// The issued identifiers map: input blank node label (without `_:`) → `c14nN`.
    pub fn issued(&self) -> &BTreeMap<String, String> {
        &self.issued
    }

    /// The lines of the document, each without its `\n` (in canonical order).
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.document.lines()
    }
}

/// Parses N-Quads and canonicalizes them with the default [`CanonOptions`].
pub fn canonicalize_nquads(input: &str) -> Result<Canonical, CanonicalizeNQuadsError> {
    let quads = parse_nquads(input)?;
    Ok(canonicalize(&quads, &CanonOptions::default())?)
}

/// Canonicalizes a dataset (RDFC-1.0 §4.4). Duplicate quads count once.
pub fn canonicalize(quads: &[Quad], options: &CanonOptions) -> Result<Canonical, CanonError> {
    // Sorting the input to drop duplicate quads costs a fifth of the whole run, and duplicates
    // are rare; they show up as duplicate output lines (relabelling is a bijection), so only
    // then run again on the de-duplicated input.
    let mut st = State::new(quads.iter(), options);
    let first = st.run();
    let dedup = || {
        let mut refs: Vec<&Quad> = quads.iter().collect();
        refs.sort_unstable();
        refs.dedup();
        refs
    };
    let refs = match first {
        Ok(()) => match st.finish() {
            (canonical, false) => return Ok(canonical),
            (_, true) => dedup(),
        },
        // Duplicates change the work too, so a refusal only stands for the set.
        Err(e) => {
            let refs = dedup();
            if refs.len() == quads.len() {
                return Err(e);
            }
            refs
        }
    };
    let mut st = State::new(refs.into_iter(), options);
    st.run()?;
    Ok(st.finish().0)
}

/// One position of an interned quad.
#[derive(Clone, PartialEq, Eq)]
enum Term {
    /// Pre-serialised N-Quads text in the arena.
    Text(Range<usize>),
    /// A blank node by index.
    Blank(u32),
    /// The default graph.
    Absent,
}

/// An interned quad: subject, predicate, object, graph.
struct IQuad([Term; 4]);

/// A temporary identifier issuer (§4.3): the blank nodes it named, in issue order; the
/// position is the number. Kept sparse so copying one (done for every permutation) costs
/// what it holds, not the size of the dataset.
#[derive(Clone, Default)]
struct Issuer {
    order: Vec<u32>,
}

impl Issuer {
    fn get(&self, node: u32) -> Option<u32> {
        self.order.iter().position(|&n| n == node).map(|p| p as u32)
    }

    fn issue(&mut self, node: u32) -> u32 {
        if let Some(id) = self.get(node) {
            return id;
        }
        self.order.push(node);
        self.order.len() as u32 - 1
    }
}

/// The canonical issuer: dense, since it ends up naming every blank node.
struct CanonicalIssuer {
    ids: Vec<Option<u32>>,
    next: u32,
}

impl CanonicalIssuer {
    fn get(&self, node: u32) -> Option<u32> {
        self.ids.get(node as usize).copied().flatten()
    }

    fn issue(&mut self, node: u32) {
        if let Some(slot @ None) = self.ids.get_mut(node as usize) {
            *slot = Some(self.next);
            self.next += 1;
        }
    }
}

struct State<'a> {
    opts: CanonOptions,
    arena: String,
    quads: Vec<IQuad>,
    names: Vec<&'a str>,
    /// Blank node index → indices of the quads that mention it.
    mentions: Vec<Vec<u32>>,
    /// Blank node index → hex first-degree hash.
    first_degree: Vec<String>,
    canonical: CanonicalIssuer,
    work: u64,
}

impl<'a> State<'a> {
    fn new(refs: impl ExactSizeIterator<Item = &'a Quad>, opts: &CanonOptions) -> Self {
        let mut st = State {
            opts: *opts,
            arena: String::with_capacity(refs.len() * 80),
            quads: Vec::with_capacity(refs.len()),
            names: Vec::new(),
            mentions: Vec::new(),
            first_degree: Vec::new(),
            canonical: CanonicalIssuer {
                ids: Vec::new(),
                next: 0,
            },
            work: 0,
        };
        // Few blank nodes per dataset, so a sorted map is as fast as hashing here.
        let mut index: BTreeMap<&'a str, u32> = BTreeMap::new();
        for q in refs {
            let qi = st.quads.len() as u32;
            let mut blank = |b: &'a BlankNode, st: &mut State<'a>| -> Term {
                let next = st.names.len() as u32;
                let i = *index.entry(b.0.as_str()).or_insert(next);
                if i == next {
                    st.names.push(b.0.as_str());
                    st.mentions.push(Vec::new());
                }
                if let Some(m) = st.mentions.get_mut(i as usize) {
                    // A quad naming the same node twice is listed once.
                    if m.last() != Some(&qi) {
                        m.push(qi);
                    }
                }
                Term::Blank(i)
            };
            let s = match &q.subject {
                Subject::Iri(iri) => st.text_iri(iri),
                Subject::Blank(b) => blank(b, &mut st),
            };
            let p = st.text_iri(&q.predicate);
            let o = match &q.object {
                Object::Iri(iri) => st.text_iri(iri),
                Object::Blank(b) => blank(b, &mut st),
                Object::Literal(l) => {
                    let start = st.arena.len();
                    st.arena.push('"');
                    // Writing to a String cannot fail.
                    let _ = write_escaped(&mut st.arena, &l.value);
                    st.arena.push('"');
                    if let Some(lang) = &l.language {
                        st.arena.push('@');
                        st.arena.push_str(lang);
                    } else if l.datatype != crate::model::XSD_STRING {
                        st.arena.push_str("^^<");
                        st.arena.push_str(&l.datatype);
                        st.arena.push('>');
                    }
                    Term::Text(start..st.arena.len())
                }
            };
            let g = match &q.graph {
                GraphName::Default => Term::Absent,
                GraphName::Iri(iri) => st.text_iri(iri),
                GraphName::Blank(b) => blank(b, &mut st),
            };
            st.quads.push(IQuad([s, p, o, g]));
        }
        st.canonical.ids = vec![None; st.names.len()];
        st
    }

    fn text_iri(&mut self, iri: &str) -> Term {
        let start = self.arena.len();
        self.arena.push('<');
        self.arena.push_str(iri);
        self.arena.push('>');
        Term::Text(start..self.arena.len())
    }

    fn text(&self, r: &Range<usize>) -> &str {
        self.arena.get(r.clone()).unwrap_or_default()
    }

    fn hash_hex(&self, data: &[u8]) -> String {
        match self.opts.hash {
            HashAlgorithm::Sha256 => hex(&Sha256::digest(data)),
            HashAlgorithm::Sha384 => hex(&Sha384::digest(data)),
        }
    }

    /// Writes one quad as an N-Quads line (with `\n`), naming blank nodes with `label`.
    fn write_quad(&self, out: &mut String, q: &IQuad, label: &mut impl FnMut(&mut String, u32)) {
        for (i, t) in q.0.iter().enumerate() {
            match t {
                Term::Absent => continue,
                Term::Text(r) => {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(self.text(r));
                }
                Term::Blank(b) => {
                    if i > 0 {
                        out.push(' ');
                    }
                    label(out, *b);
                }
            }
        }
        out.push_str(" .\n");
    }

    /// Hash First Degree Quads (§4.6).
    fn hash_first_degree(
        &self,
        node: u32,
        buf: &mut String,
        lines: &mut Vec<Range<usize>>,
    ) -> String {
        let mentions = self
            .mentions
            .get(node as usize)
            .map(Vec::as_slice)
            .unwrap_or_default();
        buf.clear();
        lines.clear();
        for &qi in mentions {
            let Some(q) = self.quads.get(qi as usize) else {
                continue;
            };
            let start = buf.len();
            self.write_quad(buf, q, &mut |out, b| {
                out.push_str(if b == node { "_:a" } else { "_:z" });
            });
            lines.push(start..buf.len());
        }
        let line = |r: &Range<usize>| buf.get(r.clone()).unwrap_or_default().as_bytes();
        lines.sort_unstable_by(|a, b| line(a).cmp(line(b)));
        let mut h = Hasher::new(self.opts.hash);
        for r in lines.iter() {
            h.update(line(r));
        }
        h.finish()
    }

    /// Hash Related Blank Node (§4.7).
    fn hash_related(&self, related: u32, predicate: &str, position: u8, issuer: &Issuer) -> String {
        let mut input = String::with_capacity(128);
        input.push(position as char);
        if position != b'g' {
            input.push_str(predicate);
        }
        if let Some(id) = self.canonical.get(related) {
            let _ = write!(input, "_:c14n{id}");
        } else if let Some(id) = issuer.get(related) {
            let _ = write!(input, "_:b{id}");
        } else {
            input.push_str(
                self.first_degree
                    .get(related as usize)
                    .map_or("", String::as_str),
            );
        }
        self.hash_hex(input.as_bytes())
    }

    fn spend(&mut self) -> Result<(), CanonError> {
        self.work += 1;
        if self.work > self.opts.max_work {
            Err(self.too_complex())
        } else {
            Ok(())
        }
    }

    fn too_complex(&self) -> CanonError {
        CanonError::TooComplex {
            max_work: self.opts.max_work,
            max_depth: self.opts.max_depth,
        }
    }

    /// Hash N-Degree Quads (§4.8). Returns the hash and the issuer it chose.
    fn hash_ndegree(
        &mut self,
        node: u32,
        mut issuer: Issuer,
        depth: usize,
    ) -> Result<(String, Issuer), CanonError> {
        self.spend()?;
        if depth > self.opts.max_depth {
            return Err(self.too_complex());
        }
        // Steps 1–3: related blank nodes grouped by their related hash.
        let mut groups: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        let mut related_hashes = 0;
        let mentions = self
            .mentions
            .get(node as usize)
            .map(Vec::as_slice)
            .unwrap_or_default();
        for &qi in mentions {
            let Some(q) = self.quads.get(qi as usize) else {
                continue;
            };
            let predicate = match &q.0[1] {
                Term::Text(r) => self.text(r),
                _ => "",
            };
            for (pos, term) in [(b's', &q.0[0]), (b'o', &q.0[2]), (b'g', &q.0[3])] {
                if let Term::Blank(b) = term
                    && *b != node
                {
                    // Each related hash costs a unit: a hub node must not be hashed unboundedly.
                    related_hashes += 1;
                    if self.work + related_hashes > self.opts.max_work {
                        return Err(self.too_complex());
                    }
                    let h = self.hash_related(*b, predicate, pos, &issuer);
                    groups.entry(h).or_default().push(*b);
                }
            }
        }
        self.work += related_hashes;
        // Steps 4–5.
        let mut data = String::new();
        for (hash, list) in groups {
            data.push_str(&hash);
            let mut chosen_path = String::new();
            let mut chosen_issuer: Option<Issuer> = None;
            // Every permutation costs a unit, so fail now rather than after trying them.
            let permutations = (1..=list.len() as u64).try_fold(1u64, u64::checked_mul);
            if permutations.is_none_or(|p| p > self.opts.max_work.saturating_sub(self.work)) {
                return Err(self.too_complex());
            }
            let mut perm: Vec<usize> = (0..list.len()).collect();
            loop {
                self.spend()?;
                if let Some(found) =
                    self.try_permutation(&list, &perm, &issuer, &chosen_path, depth)?
                {
                    chosen_path = found.0;
                    chosen_issuer = Some(found.1);
                }
                if !next_permutation(&mut perm) {
                    break;
                }
            }
            data.push_str(&chosen_path);
            if let Some(i) = chosen_issuer {
                issuer = i;
            }
        }
        Ok((self.hash_hex(data.as_bytes()), issuer))
    }

    /// Step 5.4 for one permutation: the path and issuer if it beats `chosen_path`.
    fn try_permutation(
        &mut self,
        list: &[u32],
        perm: &[usize],
        issuer: &Issuer,
        chosen_path: &str,
        depth: usize,
    ) -> Result<Option<(String, Issuer)>, CanonError> {
        let worse = |path: &str| {
            !chosen_path.is_empty() && path.len() >= chosen_path.len() && path > chosen_path
        };
        let mut issuer_copy = issuer.clone();
        let mut path = String::new();
        let mut recursion = Vec::new();
        for &i in perm {
            let Some(&related) = list.get(i) else {
                continue;
            };
            if let Some(id) = self.canonical.get(related) {
                let _ = write!(path, "_:c14n{id}");
            } else {
                if issuer_copy.get(related).is_none() {
                    recursion.push(related);
                }
                let id = issuer_copy.issue(related);
                let _ = write!(path, "_:b{id}");
            }
            if worse(&path) {
                return Ok(None);
            }
        }
        for related in recursion {
            let (hash, result_issuer) =
                self.hash_ndegree(related, issuer_copy.clone(), depth + 1)?;
            issuer_copy = result_issuer;
            let id = issuer_copy.issue(related);
            let _ = write!(path, "_:b{id}<{hash}>");
            if worse(&path) {
                return Ok(None);
            }
        }
        if chosen_path.is_empty() || path.as_str() < chosen_path {
            Ok(Some((path, issuer_copy)))
        } else {
            Ok(None)
        }
    }

    /// The canonicalization algorithm (§4.4.3), up to issuing all canonical identifiers.
    fn run(&mut self) -> Result<(), CanonError> {
        let n = self.names.len();
        let mut buf = String::with_capacity(1024);
        let mut lines = Vec::new();
        let mut by_hash: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        self.first_degree = (0..n as u32)
            .map(|b| {
                let h = self.hash_first_degree(b, &mut buf, &mut lines);
                by_hash.entry(h.clone()).or_default().push(b);
                h
            })
            .collect();
        // Step 4: unique hashes get canonical identifiers in hash order.
        let mut shared = Vec::new();
        for list in by_hash.into_values() {
            match list.as_slice() {
                [only] => {
                    self.canonical.issue(*only);
                }
                _ => shared.push(list),
            }
        }
        // Step 5: the rest, by N-degree hash.
        for list in shared {
            let mut results = Vec::with_capacity(list.len());
            for node in list {
                if self.canonical.get(node).is_some() {
                    continue;
                }
                let mut temp = Issuer::default();
                temp.issue(node);
                results.push(self.hash_ndegree(node, temp, 0)?);
            }
            results.sort_by(|a, b| a.0.cmp(&b.0));
            for (_, issuer) in results {
                for node in issuer.order {
                    self.canonical.issue(node);
                }
            }
        }
        Ok(())
    }

    /// The canonical document and map, and whether duplicate lines were dropped.
    fn finish(self) -> (Canonical, bool) {
        let mut buf = String::with_capacity(self.arena.len() + self.quads.len() * 24);
        let mut ranges = Vec::with_capacity(self.quads.len());
        for q in &self.quads {
            let start = buf.len();
            self.write_quad(&mut buf, q, &mut |out, b| {
                let _ = write!(out, "_:c14n{}", self.canonical.get(b).unwrap_or_default());
            });
            ranges.push(start..buf.len());
        }
        let line = |r: &Range<usize>| buf.get(r.clone()).unwrap_or_default();
        ranges.sort_unstable_by(|a, b| line(a).cmp(line(b)));
        let before = ranges.len();
        ranges.dedup_by(|a, b| line(a) == line(b));
        let had_duplicates = ranges.len() != before;
        let mut document = String::with_capacity(buf.len());
        for r in &ranges {
            document.push_str(line(r));
        }
        let issued = self
            .names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let id = self.canonical.get(i as u32).unwrap_or_default();
                ((*name).to_owned(), format!("c14n{id}"))
            })
            .collect();
        (Canonical { document, issued }, had_duplicates)
    }
}

/// Streams data into the chosen hash.
enum Hasher {
    Sha256(Sha256),
    Sha384(Sha384),
}

impl Hasher {
    fn new(alg: HashAlgorithm) -> Self {
        match alg {
            HashAlgorithm::Sha256 => Self::Sha256(Sha256::new()),
            HashAlgorithm::Sha384 => Self::Sha384(Sha384::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(data),
            Self::Sha384(h) => h.update(data),
        }
    }

    fn finish(self) -> String {
        match self {
            Self::Sha256(h) => hex(&h.finalize()),
            Self::Sha384(h) => hex(&h.finalize()),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Advances `p` to the next permutation in lexicographic order; false after the last.
fn next_permutation(p: &mut [usize]) -> bool {
    let n = p.len();
    if n < 2 {
        return false;
    }
    let mut i = n - 1;
    while i > 0 && p[i - 1] >= p[i] {
        i -= 1;
    }
    if i == 0 {
        return false;
    }
    let mut j = n - 1;
    while p[j] <= p[i - 1] {
        j -= 1;
    }
    p.swap(i - 1, j);
    p[i..].reverse();
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_all_visited() {
        let mut p = vec![0, 1, 2, 3];
        let mut count = 1;
        while next_permutation(&mut p) {
            count += 1;
        }
        assert_eq!(count, 24);
        assert_eq!(p, vec![3, 2, 1, 0]);
        assert!(!next_permutation(&mut [0]));
        assert!(!next_permutation(&mut []));
    }

    #[test]
    fn issuer_is_stable() {
        let mut i = Issuer::default();
        assert_eq!(i.issue(2), 0);
        assert_eq!(i.issue(0), 1);
        assert_eq!(i.issue(2), 0);
        assert_eq!(i.order, vec![2, 0]);
    }

    #[test]
    fn unique_hashes_skip_ndegree_and_duplicates_collapse() {
        let doc = "_:x <urn:p> \"1\" .\n_:y <urn:p> \"2\" .\n_:x <urn:p> \"1\" .\n";
        let quads = parse_nquads(doc).unwrap();
        let mut st = State::new(quads.iter(), &CanonOptions::default());
        st.run().unwrap();
        assert_eq!(
            st.work, 0,
            "no N-degree work when first-degree hashes are unique"
        );
        let (_, had_duplicates) = st.finish();
        assert!(had_duplicates);
        let c = canonicalize(&quads, &CanonOptions::default()).unwrap();
        assert_eq!(c.lines().count(), 2);
        assert_eq!(c.issued().len(), 2);
    }

    #[test]
    fn duplicate_quads_do_not_change_hashes() {
        // Without de-duplication `_:x` would hash differently from `_:y` and the blank
        // node naming `_:x` would get another label than with the set semantics.
        let dup = "_:x <urn:p> \"1\" .\n_:x <urn:p> \"1\" .\n_:y <urn:p> \"1\" .\n\
                   <urn:s> <urn:q> _:y .\n<urn:s> <urn:q> _:x .\n_:y <urn:r> _:x .\n";
        let set: String = dup.lines().skip(1).map(|l| format!("{l}\n")).collect();
        let a = canonicalize_nquads(dup).unwrap();
        let b = canonicalize_nquads(&set).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.lines().count(), 5);
    }

    #[test]
    fn tiny_budget_is_too_complex() {
        let doc = "_:a <urn:p> _:b .\n_:b <urn:p> _:a .\n";
        let quads = parse_nquads(doc).unwrap();
        let opts = CanonOptions {
            max_work: 1,
            ..CanonOptions::default()
        };
        assert!(matches!(
            canonicalize(&quads, &opts),
            Err(CanonError::TooComplex { .. })
        ));
        let c = canonicalize(&quads, &CanonOptions::default()).unwrap();
        assert_eq!(
            c.as_str(),
            "_:c14n0 <urn:p> _:c14n1 .\n_:c14n1 <urn:p> _:c14n0 .\n"
        );
    }

    /// Poison inputs end in `TooComplex`, and in bounded time: about 30–140 ms in a release
    /// build for the largest input below; the limit here is loose because tests run
    /// unoptimised on a shared machine.
    fn assert_refused_quickly(doc: &str) {
        let quads = parse_nquads(doc).unwrap();
        let started = std::time::Instant::now();
        let r = canonicalize(&quads, &CanonOptions::default());
        let elapsed = started.elapsed();
        assert!(matches!(r, Err(CanonError::TooComplex { .. })), "{r:?}");
        println!("{} quads refused after {elapsed:?}", quads.len());
        assert!(
            elapsed < std::time::Duration::from_secs(5),
            "took {elapsed:?}"
        );
    }

    #[test]
    fn long_ring_hits_the_depth_limit() {
        let n = 3000;
        let doc: String = (0..n)
            .map(|i| format!("_:n{i} <urn:p> _:n{} .\n", (i + 1) % n))
            .collect();
        assert_refused_quickly(&doc);
    }

    #[test]
    fn many_symmetric_pairs_hit_the_work_budget() {
        let doc: String = (0..10_000)
            .map(|i| format!("_:a{i} <urn:p> _:b{i} .\n_:b{i} <urn:p> _:a{i} .\n"))
            .collect();
        assert_refused_quickly(&doc);
    }

    #[test]
    fn large_clique_is_refused_before_permuting() {
        let n = 40;
        let mut doc = String::new();
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    doc.push_str(&format!("_:n{i} <urn:p> _:n{j} .\n"));
                }
            }
        }
        assert_refused_quickly(&doc);
    }

    #[test]
    fn hub_with_many_mentions_is_bounded() {
        // One node linked to 20,000 interchangeable ones: all but the hub share a hash.
        let doc: String = (0..20_000)
            .map(|i| format!("_:hub <urn:p> _:l{i} .\n"))
            .collect();
        assert_refused_quickly(&doc);
    }
}
