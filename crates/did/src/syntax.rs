//! DID and DID URL syntax, W3C DID Core 1.0 §3.1 and §3.2 with the RFC 3986 productions they
//! reference:
//!
//! ```text
//! did                = "did:" method-name ":" method-specific-id
//! method-name        = 1*method-char
//! method-char        = %x61-7A / DIGIT
//! method-specific-id = *( *idchar ":" ) 1*idchar
//! idchar             = ALPHA / DIGIT / "." / "-" / "_" / pct-encoded
//! pct-encoded        = "%" HEXDIG HEXDIG
//! did-url            = did path-abempty [ "?" query ] [ "#" fragment ]
//! path-abempty       = *( "/" segment )          ; segment = *pchar
//! query, fragment    = *( pchar / "/" / "?" )
//! pchar              = unreserved / pct-encoded / sub-delims / ":" / "@"
//! ```
//!
//! Written here rather than taken from a crate: ssi's validator lives in `ssi-dids-core`, which
//! pulls reqwest with native-tls into the lock file, and the small crates found report no error
//! position. Errors are the byte offset of the first byte that breaks the grammar, or the input
//! length when it ends too early. The scan only ever stops on an ASCII byte or at the first byte
//! of a non-ASCII character, so the offset is always a `char` boundary.

/// Checks a whole DID (no path, query or fragment).
pub(crate) fn did(s: &str) -> Result<(), usize> {
    let end = did_prefix(s.as_bytes())?;
    if end == s.len() { Ok(()) } else { Err(end) }
}

/// Checks a whole DID URL.
pub(crate) fn did_url(s: &str) -> Result<(), usize> {
    let b = s.as_bytes();
    let mut i = did_prefix(b)?;
    while b.get(i) == Some(&b'/') {
        i = scan(b, i + 1, is_pchar)?;
    }
    if b.get(i) == Some(&b'?') {
        i = scan(b, i + 1, is_query_char)?;
    }
    if b.get(i) == Some(&b'#') {
        i = scan(b, i + 1, is_query_char)?;
    }
    if i == b.len() { Ok(()) } else { Err(i) }
}

/// Matches the `did` production at the start of `b`; returns where it ends (the first byte
/// that is not part of it).
fn did_prefix(b: &[u8]) -> Result<usize, usize> {
    for (i, want) in b"did:".iter().enumerate() {
        if b.get(i) != Some(want) {
            return Err(i);
        }
    }
    let start = 4;
    let mut i = start;
    while b
        .get(i)
        .is_some_and(|&c| matches!(c, b'a'..=b'z' | b'0'..=b'9'))
    {
        i += 1;
    }
    if i == start || b.get(i) != Some(&b':') {
        return Err(i);
    }
    i += 1;
    // Colon-separated segments; only the last must be non-empty.
    loop {
        let segment = i;
        i = scan(b, i, is_idchar)?;
        match b.get(i) {
            Some(b':') => i += 1,
            _ if i == segment => return Err(i),
            _ => return Ok(i),
        }
    }
}

/// Advances over bytes allowed by `allowed` and over `pct-encoded` triplets. Returns the first
/// other byte's offset, or `Err` at the first bad byte of a broken `%XX`.
fn scan(b: &[u8], mut i: usize, allowed: fn(u8) -> bool) -> Result<usize, usize> {
    loop {
        match b.get(i) {
            Some(b'%') => {
                for j in i + 1..i + 3 {
                    if !b.get(j).is_some_and(u8::is_ascii_hexdigit) {
                        return Err(j);
                    }
                }
                i += 3;
            }
            Some(&c) if allowed(c) => i += 1,
            _ => return Ok(i),
        }
    }
}

fn is_idchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_')
}

fn is_pchar(c: u8) -> bool {
    c.is_ascii_alphanumeric()
        || matches!(
            c,
            // unreserved
            b'-' | b'.' | b'_' | b'~'
            // sub-delims
            | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'='
            | b':' | b'@'
        )
}

fn is_query_char(c: u8) -> bool {
    is_pchar(c) || matches!(c, b'/' | b'?')
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID_DIDS: &[&str] = &[
        "did:example:123456789abcdefghi",
        "did:a:b",
        "did:web:example.com",
        "did:web:example.com:user:alice",
        // did:web with a port: the colon is percent-encoded.
        "did:web:example.com%3A8443",
        "did:web:localhost%3a8080:u:bob",
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169",
        "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIn0",
        "did:ion:EiClkZMDxPKqC9c-umQfTkR8vvZ9JPhl_xLDI9Nfk38w5w",
        "did:ex:a.b-c_d",
        "did:ex:%20",
        "did:ex:%F0%9F%98%80",
        "did:0x9:a",
        "did:ex::b",
        "did:ex:a::b",
        "did:ex:A:B",
    ];

    #[test]
    fn valid_dids() {
        for s in VALID_DIDS {
            assert_eq!(did(s), Ok(()), "{s}");
            assert_eq!(did_url(s), Ok(()), "{s} as a DID URL");
        }
    }

    #[test]
    fn invalid_dids_report_the_first_bad_byte() {
        for (s, at) in [
            ("", 0),
            ("d", 1),
            ("did", 3),
            ("did:", 4),
            ("DID:ex:1", 0),
            ("Did:ex:1", 0),
            ("urn:ex:1", 0),
            ("did:ex", 6),
            ("did:ex:", 7),
            ("did::1", 4),
            // Upper case is not a method-char.
            ("did:Example:1", 4),
            ("did:exAmple:1", 6),
            ("did:ex-ample:1", 6),
            ("did:ex_ample:1", 6),
            // The last segment must not be empty.
            ("did:ex:a:", 9),
            ("did:ex:a::", 10),
            ("did:ex::", 8),
            ("did:ex:a b", 8),
            ("did:ex:a~b", 8),
            ("did:ex:a+b", 8),
            ("did:ex:a/b", 8),
            ("did:ex:a?b", 8),
            ("did:ex:a#b", 8),
            ("did:ex:é", 7),
            ("did:ex:aé", 8),
            // Broken pct-encoding: the offset of the first non-hex byte, or the end.
            ("did:ex:%", 8),
            ("did:ex:%4", 9),
            ("did:ex:%zz", 8),
            ("did:ex:%4g", 9),
            (" did:ex:1", 0),
            ("did:ex:1 ", 8),
            ("did:ex:1\n", 8),
        ] {
            assert_eq!(did(s), Err(at), "{s:?}");
        }
        // A DID URL part makes a DID invalid at its delimiter.
        assert_eq!(did("did:web:example.com%3A8443:u#key-1"), Err(28));
        assert_eq!(did("did:web:example.com/path"), Err(19));
        // Syntactically fine, though did:web reads `8443` as a path, not a port.
        assert_eq!(did("did:web:example.com:8443"), Ok(()));
    }

    #[test]
    fn valid_did_urls() {
        for s in [
            "did:example:123#public-key-0",
            "did:example:123#agent",
            "did:example:123?versionId=1",
            "did:example:123?service=agent&relativeRef=/credentials#degree",
            "did:example:123/path/to/resource",
            "did:example:123/",
            "did:example:123//a",
            "did:example:123/a;b=c/d:e@f/~!$&'()*+,=",
            "did:example:123?q=/a?b:c@d",
            "did:example:123#frag/with?slash",
            "did:example:123#",
            "did:example:123?",
            "did:example:123?#",
            "did:example:123/%20?%2F#%3a",
            "did:web:example.com%3A8443:u:alice#key-1",
            "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            "did:ex:1/p?q#f",
        ] {
            assert_eq!(did_url(s), Ok(()), "{s}");
        }
    }

    #[test]
    fn invalid_did_urls_report_the_first_bad_byte() {
        for (s, at) in [
            ("", 0),
            ("#key-1", 0),
            ("https://example.com#x", 0),
            ("did:ex:#key-1", 7),
            ("did:ex:a:#key-1", 9),
            ("did:Ex:1#k", 4),
            // '#' may appear once; a fragment holds no second one.
            ("did:ex:1#a#b", 10),
            ("did:ex:1#a b", 10),
            ("did:ex:1?a b", 10),
            ("did:ex:1/a b", 10),
            ("did:ex:1/[x]", 9),
            ("did:ex:1?a=[x]", 11),
            ("did:ex:1#é", 9),
            ("did:ex:1/%", 10),
            ("did:ex:1?%2", 11),
            ("did:ex:1#%g0", 10),
            ("did:ex:1#%0g", 11),
            ("did:ex:1#a\"", 10),
            ("did:ex:1/a\\b", 10),
        ] {
            assert_eq!(did_url(s), Err(at), "{s:?}");
        }
    }

    #[test]
    fn error_offsets_are_char_boundaries() {
        for s in ["did:é", "did:ex:é", "did:ex:1#é", "did:ex:1/é", "dïd:ex:1"] {
            for r in [did(s), did_url(s)] {
                let at = r.unwrap_err();
                assert!(s.is_char_boundary(at), "{s:?} at {at}");
            }
        }
    }

    #[test]
    fn every_did_with_a_fragment_is_a_did_url_but_no_did() {
        for s in VALID_DIDS {
            let url = format!("{s}#key-1");
            assert_eq!(did_url(&url), Ok(()), "{url}");
            assert_eq!(did(&url), Err(s.len()), "{url}");
        }
    }
}
