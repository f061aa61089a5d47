//! A small `multipart/form-data` reader (RFC 7578) for the verification form: enough for a
//! browser's file and text fields, total on hostile input.

/// One form field: its name, file name (for files) and raw value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Part {
    pub(crate) name: String,
    pub(crate) filename: Option<String>,
    pub(crate) value: Vec<u8>,
}

/// Why a body is not a readable multipart form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MultipartError {
    /// No `boundary` parameter in the content type.
    #[error("the multipart content type has no boundary")]
    NoBoundary,
    /// The body does not start with the boundary or a part has no header end.
    #[error("the multipart body is malformed")]
    Malformed,
}

/// The boundary of a `multipart/form-data; boundary=…` content type.
pub(crate) fn boundary(content_type: &str) -> Result<String, MultipartError> {
    content_type
        .split(';')
        .skip(1)
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty() && b.len() <= 200)
        .ok_or(MultipartError::NoBoundary)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || haystack.len() < needle.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The parts of `body`.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, MultipartError> {
    let delimiter = format!("--{boundary}").into_bytes();
    let start = find(body, &delimiter).ok_or(MultipartError::Malformed)?;
    let mut rest = body.get(start + delimiter.len()..).unwrap_or_default();
    let separator = [b"\r\n".as_slice(), &delimiter].concat();
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or(MultipartError::Malformed)?;
        let header_end = find(rest, b"\r\n\r\n").ok_or(MultipartError::Malformed)?;
        let headers = String::from_utf8_lossy(rest.get(..header_end).unwrap_or_default());
        let after = rest.get(header_end + 4..).unwrap_or_default();
        let end = find(after, &separator).ok_or(MultipartError::Malformed)?;
        let value = after.get(..end).unwrap_or_default().to_vec();
        rest = after.get(end + separator.len()..).unwrap_or_default();
        let disposition = headers
            .split("\r\n")
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.trim()
                    .eq_ignore_ascii_case("content-disposition")
                    .then(|| v.to_owned())
            })
            .unwrap_or_default();
        let param = |key: &str| {
            disposition.split(';').skip(1).find_map(|p| {
                let (k, v) = p.split_once('=')?;
                (k.trim().eq_ignore_ascii_case(key)).then(|| v.trim().trim_matches('"').to_owned())
            })
        };
        if let Some(name) = param("name") {
            parts.push(Part {
                name,
                filename: param("filename"),
                value,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_file_and_text_fields() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.png\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\nhello\r\n--XyZ--\r\n";
        let parts = parse(
            body,
            &boundary("multipart/form-data; boundary=XyZ").unwrap(),
        )
        .unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "file");
        assert_eq!(parts[0].filename.as_deref(), Some("b.png"));
        assert_eq!(parts[0].value, b"\x89PNG");
        assert_eq!(parts[1].value, b"hello");
    }

    #[test]
    fn junk_is_an_error_not_a_panic() {
        assert_eq!(
            boundary("multipart/form-data"),
            Err(MultipartError::NoBoundary)
        );
        assert_eq!(parse(b"nothing", "b"), Err(MultipartError::Malformed));
        assert_eq!(
            parse(b"--b\r\nno header end", "b"),
            Err(MultipartError::Malformed)
        );
        assert!(parse(b"--b--", "b").unwrap().is_empty());
    }
}
