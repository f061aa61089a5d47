//! What every HTML page of the agent shares: the askama layout (`templates/base.html`), the one
//! stylesheet and the scripts under `/assets/`, and the security headers of an HTML answer.
//!
//! Pages are askama templates (checked at compile time) that extend `base.html`. They load no
//! outside resource and no inline script or style, so the policy below can forbid both.

use askama::Template;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

/// The Content-Security-Policy of every page rendered through [`render`].
const CSP: &str = "default-src 'none'; img-src 'self' data:; style-src 'self'; \
script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Static files served under `/assets/`: (file name, content type, bytes).
const ASSETS: &[(&str, &str, &str)] = &[
    (
        "rosette.css",
        "text/css; charset=utf-8",
        include_str!("../../assets/rosette.css"),
    ),
    (
        "bulk.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/bulk.js"),
    ),
    (
        "new-request.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/new-request.js"),
    ),
    (
        "verify.js",
        "text/javascript; charset=utf-8",
        include_str!("../../assets/verify.js"),
    ),
];

/// The `/assets/{file}` route. Files change only with the binary, so they are cached for an hour.
pub(crate) fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route(
        "/assets/{file}",
        get(|axum::extract::Path(file): axum::extract::Path<String>| async move { asset(&file) }),
    )
}

fn asset(file: &str) -> Response {
    let Some((_, content_type, body)) = ASSETS.iter().find(|(name, _, _)| *name == file) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    (
        [
            (header::CONTENT_TYPE, *content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        *body,
    )
        .into_response()
}

/// Renders `page` as an HTML answer with `status` and the pages' security headers. A template
/// that fails to render (it cannot, short of a formatting bug) is logged and answered 500
/// without details.
pub(crate) fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(body) => html(status, body),
        Err(e) => {
            tracing::error!(error = %e, "page template failed to render");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// An HTML answer with the pages' security headers (CSP, nosniff, no referrer, no framing).
pub(crate) fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// An RFC 3339 instant as people read it: `2027-01-15 08:00 UTC` (the input when it is not
/// of the shape the agent writes).
pub(crate) fn human_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) if rfc3339.ends_with('Z') => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod human_time_tests {
    use super::human_time;

    #[test]
    fn human_time_reads_the_agents_timestamps() {
        assert_eq!(human_time("2027-01-15T08:00:00Z"), "2027-01-15 08:00 UTC");
        assert_eq!(human_time("soon"), "soon");
    }
}
