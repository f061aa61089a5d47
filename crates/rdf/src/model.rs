//! Terms and quads (RDF 1.1 Concepts, <https://www.w3.org/TR/rdf11-concepts/>).

use std::fmt;

/// `http://www.w3.org/2001/XMLSchema#string`, the datatype of a simple literal.
pub const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";
/// `http://www.w3.org/1999/02/22-rdf-syntax-ns#langString`, the datatype of a language-tagged literal.
pub const RDF_LANG_STRING: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString";

/// A blank node identifier without the `_:` prefix.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BlankNode(pub String);

/// A literal: lexical form, datatype IRI and optional language tag.
///
/// A language-tagged literal has datatype [`RDF_LANG_STRING`]; a simple literal has [`XSD_STRING`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Literal {
    /// The lexical form.
    pub value: String,
    /// The datatype IRI.
    pub datatype: String,
    /// The language tag, when the datatype is `rdf:langString`.
    pub language: Option<String>,
}

impl Literal {
    /// A simple literal (`xsd:string`).
    pub fn string(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            datatype: XSD_STRING.to_owned(),
            language: None,
        }
    }

    /// A typed literal.
    pub fn typed(value: impl Into<String>, datatype: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            datatype: datatype.into(),
            language: None,
        }
    }

    /// A language-tagged string.
    pub fn lang(value: impl Into<String>, language: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            datatype: RDF_LANG_STRING.to_owned(),
            language: Some(language.into()),
        }
    }
}

/// The subject of a quad. (Generalized RDF also allows literals here; we do not.)
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    /// An absolute IRI.
    Iri(String),
    /// A blank node.
    Blank(BlankNode),
}

/// The object of a quad.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Object {
    /// An absolute IRI.
    Iri(String),
    /// A blank node.
    Blank(BlankNode),
    /// A literal.
    Literal(Literal),
}

/// The graph a quad belongs to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GraphName {
    /// The default graph.
    Default,
    /// A named graph identified by an IRI.
    Iri(String),
    /// A named graph identified by a blank node.
    Blank(BlankNode),
}

/// One statement: subject, predicate (always an IRI), object, graph.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quad {
    /// The subject.
    pub subject: Subject,
    /// The predicate IRI.
    pub predicate: String,
    /// The object.
    pub object: Object,
    /// The graph.
    pub graph: GraphName,
}

/// Writes a literal's lexical form in canonical N-Quads escaping (RDFC-1.0 §4.7, as the
/// rdf-canon suite's test060 pins it down): `\\`, `"`, `\n`, `\r`, `\t`, `\b`, `\f` use ECHAR;
/// the other C0 controls and DEL use `\uXXXX` with upper-case hex; everything else is written
/// as is (never `\u` for printable or non-ASCII characters).
pub(crate) fn write_escaped(f: &mut impl fmt::Write, s: &str) -> fmt::Result {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        // Only ASCII needs escaping, so scanning bytes is safe with UTF-8 and lets the
        // common case (nothing to escape) become one write.
        let esc: &str = match b {
            b'\\' => "\\\\",
            b'"' => "\\\"",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            b if b < 0x20 || b == 0x7f => "",
            _ => continue,
        };
        f.write_str(s.get(start..i).unwrap_or_default())?;
        if esc.is_empty() {
            write!(f, "\\u{:04X}", b)?;
        } else {
            f.write_str(esc)?;
        }
        start = i + 1;
    }
    f.write_str(s.get(start..).unwrap_or_default())
}

impl fmt::Display for BlankNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "_:{}", self.0)
    }
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        write_escaped(f, &self.value)?;
        f.write_str("\"")?;
        if let Some(lang) = &self.language {
            write!(f, "@{lang}")
        } else if self.datatype != XSD_STRING {
            write!(f, "^^<{}>", self.datatype)
        } else {
            Ok(())
        }
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Iri(iri) => write!(f, "<{iri}>"),
            Subject::Blank(b) => b.fmt(f),
        }
    }
}

impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Object::Iri(iri) => write!(f, "<{iri}>"),
            Object::Blank(b) => b.fmt(f),
            Object::Literal(l) => l.fmt(f),
        }
    }
}

impl fmt::Display for Quad {
    /// One N-Quads line, with the final ` .` but without the newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}> {}", self.subject, self.predicate, self.object)?;
        match &self.graph {
            GraphName::Default => {}
            GraphName::Iri(iri) => write!(f, " <{iri}>")?,
            GraphName::Blank(b) => write!(f, " {b}")?,
        }
        f.write_str(" .")
    }
}
