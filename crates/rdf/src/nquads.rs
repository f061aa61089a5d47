//! N-Quads (<https://www.w3.org/TR/n-quads/>): a strict parser for untrusted input and a writer.

use crate::model::{BlankNode, GraphName, Literal, Object, Quad, RDF_LANG_STRING, Subject};

/// Why an N-Quads document was rejected. Every variant carries the 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NQuadsError {
    /// The input ended inside a statement.
    #[error("line {line}: unexpected end of input, expected {expected}")]
    UnexpectedEnd {
        /// Line number.
        line: usize,
        /// What the grammar wanted next.
        expected: &'static str,
    },
    /// A character that the grammar does not allow here.
    #[error("line {line}: unexpected character {found:?}, expected {expected}")]
    UnexpectedChar {
        /// Line number.
        line: usize,
        /// The offending character.
        found: char,
        /// What the grammar wanted here.
        expected: &'static str,
    },
    /// An IRI holds a character IRIREF forbids (space, `<>"{}|^`\`, controls), possibly via `\u`.
    #[error("line {line}: IRI contains the forbidden character {found:?}")]
    ForbiddenIriChar {
        /// Line number.
        line: usize,
        /// The forbidden character.
        found: char,
    },
    /// An IRI has no scheme; N-Quads allows absolute IRIs only.
    #[error("line {line}: IRI is not absolute (no scheme)")]
    RelativeIri {
        /// Line number.
        line: usize,
    },
    /// A backslash escape that is neither UCHAR nor (in literals) ECHAR.
    #[error("line {line}: invalid escape sequence")]
    InvalidEscape {
        /// Line number.
        line: usize,
    },
    /// `\u`/`\U` naming a surrogate or a value above U+10FFFF.
    #[error("line {line}: escape names U+{value:X}, which is not a Unicode scalar value")]
    InvalidCodepoint {
        /// Line number.
        line: usize,
        /// The escaped value.
        value: u32,
    },
    /// A blank node label that BLANK_NODE_LABEL does not allow (empty, or bad first character).
    #[error("line {line}: invalid blank node label")]
    InvalidBlankNodeLabel {
        /// Line number.
        line: usize,
    },
    /// A language tag that LANGTAG does not allow.
    #[error("line {line}: invalid language tag")]
    InvalidLanguageTag {
        /// Line number.
        line: usize,
    },
    /// A literal typed `rdf:langString` without a language tag (not an RDF literal).
    #[error("line {line}: rdf:langString literal without a language tag")]
    LangStringWithoutLanguage {
        /// Line number.
        line: usize,
    },
}

impl NQuadsError {
    /// The 1-based line the error was found on.
    pub fn line(&self) -> usize {
        match self {
            Self::UnexpectedEnd { line, .. }
            | Self::UnexpectedChar { line, .. }
            | Self::ForbiddenIriChar { line, .. }
            | Self::RelativeIri { line }
            | Self::InvalidEscape { line }
            | Self::InvalidCodepoint { line, .. }
            | Self::InvalidBlankNodeLabel { line }
            | Self::InvalidLanguageTag { line }
            | Self::LangStringWithoutLanguage { line } => *line,
        }
    }
}

/// Parses an N-Quads document. Comments, blank lines and all three line endings are accepted;
/// anything outside the grammar is an error with its line number. IRIs must be absolute.
pub fn parse_nquads(input: &str) -> Result<Vec<Quad>, NQuadsError> {
    let mut p = Parser {
        src: input,
        pos: 0,
        line: 1,
    };
    let mut out = Vec::new();
    loop {
        p.skip_ws();
        match p.peek() {
            None => return Ok(out),
            Some('#') => p.skip_comment(),
            Some('\n' | '\r') => p.eol(),
            Some(_) => {
                out.push(p.statement()?);
            }
        }
    }
}

/// Writes quads as an N-Quads document, one line per quad, each ending in `\n`, in the
/// order given (no sorting or de-duplication).
pub fn write_nquads(quads: &[Quad]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(quads.len() * 100);
    for q in quads {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{q}");
    }
    out
}

/// Why [`check_round_trip`] found a parse → write → parse disagreement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RoundTripError {
    /// Our own output did not parse.
    #[error("written N-Quads did not parse again: {0}")]
    Reparse(NQuadsError),
    /// Our own output parsed to different quads.
    #[error("written N-Quads parsed to different quads")]
    Mismatch,
}

/// The fuzz property: if `input` parses, writing the quads and parsing that again gives
/// the same quads. Input that does not parse passes trivially.
pub fn check_round_trip(input: &str) -> Result<(), RoundTripError> {
    let Ok(quads) = parse_nquads(input) else {
        return Ok(());
    };
    let text = write_nquads(&quads);
    let again = parse_nquads(&text).map_err(RoundTripError::Reparse)?;
    if again == quads {
        Ok(())
    } else {
        Err(RoundTripError::Mismatch)
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    line: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        self.src.get(self.pos..).unwrap_or_default()
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn skip_ws(&mut self) {
        while let Some(' ' | '\t') = self.peek() {
            self.pos += 1;
        }
    }

    fn skip_comment(&mut self) {
        while let Some(c) = self.peek() {
            if c == '\n' || c == '\r' {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    /// Consumes one line ending (`\n`, `\r` or `\r\n`).
    fn eol(&mut self) {
        if self.peek() == Some('\r') {
            self.pos += 1;
        }
        if self.peek() == Some('\n') {
            self.pos += 1;
        }
        self.line += 1;
    }

    fn unexpected(&self, expected: &'static str) -> NQuadsError {
        match self.peek() {
            None => NQuadsError::UnexpectedEnd {
                line: self.line,
                expected,
            },
            Some(found) => NQuadsError::UnexpectedChar {
                line: self.line,
                found,
                expected,
            },
        }
    }

    fn expect(&mut self, c: char, expected: &'static str) -> Result<(), NQuadsError> {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    fn statement(&mut self) -> Result<Quad, NQuadsError> {
        let subject = match self.peek() {
            Some('<') => Subject::Iri(self.iri()?),
            Some('_') => Subject::Blank(self.blank()?),
            _ => return Err(self.unexpected("subject (IRI or blank node)")),
        };
        self.skip_ws();
        if self.peek() != Some('<') {
            return Err(self.unexpected("predicate IRI"));
        }
        let predicate = self.iri()?;
        self.skip_ws();
        let object = match self.peek() {
            Some('<') => Object::Iri(self.iri()?),
            Some('_') => Object::Blank(self.blank()?),
            Some('"') => Object::Literal(self.literal()?),
            _ => return Err(self.unexpected("object (IRI, blank node or literal)")),
        };
        self.skip_ws();
        let graph = match self.peek() {
            Some('<') => GraphName::Iri(self.iri()?),
            Some('_') => GraphName::Blank(self.blank()?),
            _ => GraphName::Default,
        };
        self.skip_ws();
        self.expect('.', "'.' ending the statement")?;
        self.skip_ws();
        if self.peek() == Some('#') {
            self.skip_comment();
        }
        match self.peek() {
            None => {}
            Some('\n' | '\r') => self.eol(),
            Some(_) => return Err(self.unexpected("end of line after '.'")),
        }
        Ok(Quad {
            subject,
            predicate,
            object,
            graph,
        })
    }

    /// Reads `\uXXXX` or `\UXXXXXXXX` after the backslash has been consumed and the
    /// `u`/`U` is next.
    fn uchar(&mut self) -> Result<char, NQuadsError> {
        let len = match self.bump() {
            Some('u') => 4,
            Some('U') => 8,
            _ => return Err(NQuadsError::InvalidEscape { line: self.line }),
        };
        let digits = self
            .rest()
            .get(..len)
            .ok_or(NQuadsError::InvalidEscape { line: self.line })?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(NQuadsError::InvalidEscape { line: self.line });
        }
        let value = u32::from_str_radix(digits, 16)
            .map_err(|_| NQuadsError::InvalidEscape { line: self.line })?;
        self.pos += len;
        char::from_u32(value).ok_or(NQuadsError::InvalidCodepoint {
            line: self.line,
            value,
        })
    }

    fn iri(&mut self) -> Result<String, NQuadsError> {
        self.expect('<', "'<'")?;
        let start = self.pos;
        // Fast path: no escapes, so the IRI is a slice of the input.
        let rest = self.rest().as_bytes();
        let stop = rest.iter().position(|&b| IRI_STOP[usize::from(b)]);
        if let Some(n) = stop
            && rest.get(n) == Some(&b'>')
        {
            let iri = self.src.get(start..start + n).unwrap_or_default();
            self.pos = start + n + 1;
            if !has_scheme(iri) {
                return Err(NQuadsError::RelativeIri { line: self.line });
            }
            return Ok(iri.to_owned());
        }
        let mut owned: Option<String> = None;
        loop {
            let here = self.pos;
            let c = match self.bump() {
                None => return Err(self.unexpected("'>' closing the IRI")),
                Some('>') => break,
                Some('\\') => {
                    let c = self.uchar()?;
                    // An escaped character must still be one IRIREF allows, or the IRI
                    // could not be written back (and would differ from what a peer reads).
                    if iri_forbidden(c) {
                        return Err(NQuadsError::ForbiddenIriChar {
                            line: self.line,
                            found: c,
                        });
                    }
                    let buf = owned.get_or_insert_with(|| {
                        self.src.get(start..here).unwrap_or_default().to_owned()
                    });
                    buf.push(c);
                    continue;
                }
                Some(c) => c,
            };
            if iri_forbidden(c) {
                return Err(NQuadsError::ForbiddenIriChar {
                    line: self.line,
                    found: c,
                });
            }
            if let Some(buf) = owned.as_mut() {
                buf.push(c);
            }
        }
        let iri = match owned {
            Some(s) => s,
            None => self
                .src
                .get(start..self.pos - 1)
                .unwrap_or_default()
                .to_owned(),
        };
        if !has_scheme(&iri) {
            return Err(NQuadsError::RelativeIri { line: self.line });
        }
        Ok(iri)
    }

    fn blank(&mut self) -> Result<BlankNode, NQuadsError> {
        self.expect('_', "'_:'")?;
        self.expect(':', "':' after '_'")?;
        let start = self.pos;
        match self.peek() {
            Some(c) if pn_chars_u(c) || c.is_ascii_digit() => self.pos += c.len_utf8(),
            _ => return Err(NQuadsError::InvalidBlankNodeLabel { line: self.line }),
        }
        while let Some(c) = self.peek() {
            if pn_chars(c) || c == '.' {
                self.pos += c.len_utf8();
            } else {
                break;
            }
        }
        // A label cannot end in '.': a trailing dot belongs to the statement.
        while self.pos > start + 1 && self.src.as_bytes().get(self.pos - 1) == Some(&b'.') {
            self.pos -= 1;
        }
        Ok(BlankNode(
            self.src.get(start..self.pos).unwrap_or_default().to_owned(),
        ))
    }

    fn literal(&mut self) -> Result<Literal, NQuadsError> {
        self.expect('"', "'\"'")?;
        let mut value = String::new();
        loop {
            // Copy the run of characters that need no attention in one go.
            let rest = self.rest().as_bytes();
            let run = rest
                .iter()
                .position(|&b| matches!(b, b'"' | b'\\' | b'\n' | b'\r'))
                .unwrap_or(rest.len());
            value.push_str(self.src.get(self.pos..self.pos + run).unwrap_or_default());
            self.pos += run;
            match self.bump() {
                None => return Err(self.unexpected("'\"' closing the literal")),
                Some('"') => break,
                Some('\n' | '\r') => {
                    return Err(NQuadsError::UnexpectedChar {
                        line: self.line,
                        found: '\n',
                        expected: "'\"' closing the literal before the end of the line",
                    });
                }
                Some('\\') => {
                    let c = match self.peek() {
                        Some('u' | 'U') => self.uchar()?,
                        Some(e) => {
                            self.pos += e.len_utf8();
                            match e {
                                't' => '\t',
                                'b' => '\u{8}',
                                'n' => '\n',
                                'r' => '\r',
                                'f' => '\u{c}',
                                '"' => '"',
                                '\'' => '\'',
                                '\\' => '\\',
                                _ => return Err(NQuadsError::InvalidEscape { line: self.line }),
                            }
                        }
                        None => return Err(self.unexpected("escape sequence")),
                    };
                    value.push(c);
                }
                Some(c) => value.push(c),
            }
        }
        match self.peek() {
            Some('@') => {
                self.pos += 1;
                let lang = self.langtag()?;
                Ok(Literal {
                    value,
                    datatype: RDF_LANG_STRING.to_owned(),
                    language: Some(lang),
                })
            }
            Some('^') => {
                self.pos += 1;
                self.expect('^', "'^^' before the datatype IRI")?;
                if self.peek() != Some('<') {
                    return Err(self.unexpected("datatype IRI"));
                }
                let datatype = self.iri()?;
                if datatype == RDF_LANG_STRING {
                    return Err(NQuadsError::LangStringWithoutLanguage { line: self.line });
                }
                Ok(Literal::typed(value, datatype))
            }
            _ => Ok(Literal::string(value)),
        }
    }

    /// LANGTAG without the '@': `[a-zA-Z]+ ('-' [a-zA-Z0-9]+)*`.
    fn langtag(&mut self) -> Result<String, NQuadsError> {
        let start = self.pos;
        let rest = self.rest().as_bytes();
        let mut i = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
        if i == 0 {
            return Err(NQuadsError::InvalidLanguageTag { line: self.line });
        }
        while rest.get(i) == Some(&b'-') {
            let n = rest
                .iter()
                .skip(i + 1)
                .take_while(|b| b.is_ascii_alphanumeric())
                .count();
            if n == 0 {
                return Err(NQuadsError::InvalidLanguageTag { line: self.line });
            }
            i += 1 + n;
        }
        self.pos += i;
        Ok(self.src.get(start..self.pos).unwrap_or_default().to_owned())
    }
}

/// Bytes that end the fast IRI scan: `>`, `\\` and every byte IRIREF forbids.
static IRI_STOP: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = b <= 0x20
            || matches!(
                b as u8,
                b'<' | b'>' | b'"' | b'{' | b'}' | b'|' | b'^' | b'`' | b'\\'
            );
        b += 1;
    }
    t
};

/// Characters IRIREF excludes: `#x00-#x20 < > " { } | ^ ` \`.
fn iri_forbidden(c: char) -> bool {
    matches!(
        c,
        '\0'..=' ' | '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\'
    )
}

/// `scheme ":"` with scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) (RFC 3987).
fn has_scheme(iri: &str) -> bool {
    let mut bytes = iri.bytes();
    if !bytes.next().is_some_and(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    for b in bytes {
        match b {
            b':' => return true,
            b if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.') => {}
            _ => return false,
        }
    }
    false
}

fn pn_chars_base(c: char) -> bool {
    matches!(c,
        'A'..='Z' | 'a'..='z'
        | '\u{C0}'..='\u{D6}' | '\u{D8}'..='\u{F6}' | '\u{F8}'..='\u{2FF}'
        | '\u{370}'..='\u{37D}' | '\u{37F}'..='\u{1FFF}' | '\u{200C}'..='\u{200D}'
        | '\u{2070}'..='\u{218F}' | '\u{2C00}'..='\u{2FEF}' | '\u{3001}'..='\u{D7FF}'
        | '\u{F900}'..='\u{FDCF}' | '\u{FDF0}'..='\u{FFFD}' | '\u{10000}'..='\u{EFFFF}')
}

/// PN_CHARS_U of N-Triples, which includes ':'.
fn pn_chars_u(c: char) -> bool {
    pn_chars_base(c) || c == '_' || c == ':'
}

fn pn_chars(c: char) -> bool {
    pn_chars_u(c)
        || c == '-'
        || c.is_ascii_digit()
        || c == '\u{B7}'
        || ('\u{300}'..='\u{36F}').contains(&c)
        || ('\u{203F}'..='\u{2040}').contains(&c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_all_term_kinds() {
        let doc = "# comment\n\n<http://a/s> <http://a/p> \"x\\ty\"@en-GB .\r\n\
                   _:b0 <http://a/p> \"1\"^^<http://www.w3.org/2001/XMLSchema#integer> _:g .\r\
                   <http://a/s> <http://a/p> _:b.1 <http://a/g> . # trailing\n\
                   <http://a/s><http://a/p>\"plain\".";
        let q = parse_nquads(doc).unwrap();
        assert_eq!(q.len(), 4);
        assert_eq!(q[0].object, Object::Literal(Literal::lang("x\ty", "en-GB")));
        assert_eq!(q[1].subject, Subject::Blank(BlankNode("b0".into())));
        assert_eq!(q[1].graph, GraphName::Blank(BlankNode("g".into())));
        assert_eq!(
            q[1].object,
            Object::Literal(Literal::typed(
                "1",
                "http://www.w3.org/2001/XMLSchema#integer"
            ))
        );
        assert_eq!(q[2].object, Object::Blank(BlankNode("b.1".into())));
        assert_eq!(q[2].graph, GraphName::Iri("http://a/g".into()));
        assert_eq!(q[3].object, Object::Literal(Literal::string("plain")));
    }

    #[test]
    fn decodes_escapes() {
        let q = parse_nquads(
            "<urn:x:\\u0065\\U0001F303> <urn:p> \"\\u0022\\\\\\n\\r\\b\\f\\'\\U0001F303\" .\n",
        )
        .unwrap();
        assert_eq!(q[0].subject, Subject::Iri("urn:x:e\u{1F303}".into()));
        assert_eq!(
            q[0].object,
            Object::Literal(Literal::string("\"\\\n\r\u{8}\u{c}'\u{1F303}"))
        );
    }

    #[test]
    fn xsd_string_datatype_is_a_simple_literal() {
        let q = parse_nquads("<urn:s> <urn:p> \"a\"^^<http://www.w3.org/2001/XMLSchema#string> .")
            .unwrap();
        assert_eq!(q[0].to_string(), "<urn:s> <urn:p> \"a\" .");
    }

    #[test]
    fn blank_label_may_not_end_with_dot() {
        let q = parse_nquads("_:a. <urn:p> _:b..\n").unwrap_err();
        // `_:a` then `.` where the predicate should be.
        assert_eq!(
            q,
            NQuadsError::UnexpectedChar {
                line: 1,
                found: '.',
                expected: "predicate IRI"
            }
        );
    }

    fn err(doc: &str) -> NQuadsError {
        parse_nquads(doc).unwrap_err()
    }

    #[test]
    fn rejects_bad_input_with_line_numbers() {
        let ok = "<urn:s> <urn:p> <urn:o> .\n";
        let cases: &[(&str, usize, &str)] = &[
            ("<urn:s> <urn:p> <urn:o>\n", 1, "UnexpectedChar"),
            ("<urn:s> <urn:p> <urn:o>", 1, "UnexpectedEnd"),
            ("<s> <urn:p> <urn:o> .", 1, "RelativeIri"),
            ("<urn:a b> <urn:p> <urn:o> .", 1, "ForbiddenIriChar"),
            ("<urn:a\\u0020b> <urn:p> <urn:o> .", 1, "ForbiddenIriChar"),
            ("<urn:a\\u003E> <urn:p> <urn:o> .", 1, "ForbiddenIriChar"),
            ("<urn:s> <urn:p> \"\\uD800\" .", 1, "InvalidCodepoint"),
            ("<urn:s> <urn:p> \"\\U00110000\" .", 1, "InvalidCodepoint"),
            ("<urn:s> <urn:p> \"\\u12\" .", 1, "InvalidEscape"),
            ("<urn:s> <urn:p> \"\\x\" .", 1, "InvalidEscape"),
            ("<urn:\\n> <urn:p> \"x\" .", 1, "InvalidEscape"),
            ("<urn:s> <urn:p> \"x\"@ .", 1, "InvalidLanguageTag"),
            ("<urn:s> <urn:p> \"x\"@en- .", 1, "InvalidLanguageTag"),
            ("_:-a <urn:p> \"x\" .", 1, "InvalidBlankNodeLabel"),
            ("_: <urn:p> \"x\" .", 1, "InvalidBlankNodeLabel"),
            ("<urn:s> _:p \"x\" .", 1, "UnexpectedChar"),
            ("\"x\" <urn:p> \"x\" .", 1, "UnexpectedChar"),
            ("<urn:s> <urn:p> \"x\" \"g\" .", 1, "UnexpectedChar"),
            (
                "<urn:s> <urn:p> \"x\" . <urn:s> <urn:p> \"y\" .",
                1,
                "UnexpectedChar",
            ),
            ("<urn:s> <urn:p> \"x\nx\" .", 1, "UnexpectedChar"),
            (
                "<urn:s> <urn:p> \"x\"^^<http://www.w3.org/1999/02/22-rdf-syntax-ns#langString> .",
                1,
                "LangStringWithoutLanguage",
            ),
            ("<urn:s> <urn:p> \"x\"^<urn:d> .", 1, "UnexpectedChar"),
            (
                "<urn:s> <urn:p> <urn:o> <urn:g> <urn:h> .",
                1,
                "UnexpectedChar",
            ),
        ];
        for (bad, line, kind) in cases {
            // Put two good lines (and a comment) first so the line number is exercised.
            let doc = format!("{ok}# c\r\n{ok}{bad}");
            let e = err(&doc);
            assert_eq!(e.line(), line + 3, "{bad:?}: {e}");
            assert!(
                format!("{e:?}").starts_with(kind),
                "{bad:?}: got {e:?}, want {kind}"
            );
        }
    }

    #[test]
    fn round_trip_holds_for_tricky_literals() {
        let doc = "<urn:s> <urn:p> \"\\u0000\\u0007\\t\\u007F\\\"\\\\ \u{e9}\u{1F303}\"@fr .\n\
                   _:x <urn:p> \"\"^^<urn:dt> _:g .\n";
        check_round_trip(doc).unwrap();
        let q = parse_nquads(doc).unwrap();
        assert_eq!(
            write_nquads(&q),
            "<urn:s> <urn:p> \"\\u0000\\u0007\\t\\u007F\\\"\\\\ \u{e9}\u{1F303}\"@fr .\n\
             _:x <urn:p> \"\"^^<urn:dt> _:g .\n"
        );
        // Unparseable input is not a round-trip failure.
        check_round_trip("garbage").unwrap();
    }
}
