//! Cross-site request forgery defences of the console's forms.
//!
//! 1. A synchronizer token per session: every POST form carries a hidden `csrf` field equal to
//!    HMAC-SHA256(the session's own key, the session id) ([`StaffSession::csrf_token`]);
//!    [`verify`] compares it in constant time. A page of another session, or no token, is
//!    refused before anything changes.
//! 2. [`same_origin`] (a middleware on every console route): a POST whose `Origin` header is
//!    present and not the agent's public origin, or that the browser marks `Sec-Fetch-Site`
//!    other than `same-origin`, is refused. This also covers the sign-in form, which has no
//!    session yet.
//! 3. The cookie is `SameSite=Strict` (see [`super::session`]).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::pages::message;
use super::session::StaffSession;
use crate::directory::Directory;

/// A refused form post: answered 403 with a page that says what to do.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Forbidden {
    /// The form carried no `csrf` field.
    #[error("the form has no CSRF token")]
    MissingToken,
    /// The `csrf` field is not this session's token.
    #[error("the form's CSRF token is not this session's")]
    WrongToken,
    /// The request came from another site.
    #[error("the request came from another origin")]
    CrossOrigin,
}

impl IntoResponse for Forbidden {
    fn into_response(self) -> Response {
        tracing::info!(reason = %self, "console form refused");
        message(
            StatusCode::FORBIDDEN,
            "Form refused",
            "This form did not come from your current console session, so nothing was changed. \
             Go back, reload the page and try again.",
        )
    }
}

/// Checks the `csrf` field of a form posted in `session`.
pub(crate) fn verify(session: &StaffSession, form_token: Option<&str>) -> Result<(), Forbidden> {
    let token = form_token
        .filter(|t| !t.is_empty())
        .ok_or(Forbidden::MissingToken)?;
    if session.csrf.matches(token) {
        Ok(())
    } else {
        Err(Forbidden::WrongToken)
    }
}

/// The `scheme://host[:port]` of `public_url`, as browsers send it in `Origin`.
pub(crate) fn origin_of(public_url: &str) -> Option<String> {
    url::Url::parse(public_url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

/// Middleware: refuses state-changing requests from another origin (see the module docs).
///
/// Our pages are served with `Referrer-Policy: no-referrer`, under which browsers send
/// `Origin: null` even for same-origin form posts; so `null` is judged by the fetch metadata
/// instead: only `Sec-Fetch-Site: same-origin` (or `none`, typed by the user, or absent, an old
/// browser) passes. The CSRF token is required either way.
pub(crate) async fn same_origin(
    State(service): State<Arc<Directory>>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let headers = request.headers();
        let ours = origin_of(&service.settings().public_url);
        let origin_ok = match headers.get(header::ORIGIN).map(|v| v.to_str()) {
            None | Some(Ok("null")) => true,
            Some(Ok(origin)) => ours.as_deref() == Some(origin),
            Some(Err(_)) => false,
        };
        let site_ok = match headers.get("sec-fetch-site").map(|v| v.to_str()) {
            None | Some(Ok("same-origin" | "none")) => true,
            Some(_) => false,
        };
        if !origin_ok || !site_ok {
            return Forbidden::CrossOrigin.into_response();
        }
    }
    next.run(request).await
}
