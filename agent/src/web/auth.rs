//! Reading credentials off a request: the raw `Authorization` header and bearer tokens.

use axum::http::{HeaderMap, header};

/// The raw `Authorization` header, if any (the OpenID4VCI steps parse it themselves).
pub(crate) fn authorization(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The token of an `Authorization: Bearer …` header (scheme case-insensitive), if any.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<String> {
    bearer(headers.get(header::AUTHORIZATION)?.to_str().ok()).map(str::to_owned)
}

/// The token of an `Authorization` header value of the bearer scheme.
pub(crate) fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}
