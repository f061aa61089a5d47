//! Console page handlers: sign-in, sign-out and the dashboard; shared page helpers.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::csrf;
use super::form::Form;
use super::layout::{ConsoleLayout, Section};
use super::queries::{self, DashboardData};
use super::session::{self, StaffSession};
use crate::error::AdminError;
use crate::issuer::IssuerService;
use crate::verifier::VerifierService;
use crate::web::ui::render;

/// A plain console page with a title and one sentence (errors, refusals).
#[derive(Template)]
#[template(path = "console/message.html")]
struct Message<'a> {
    title: &'a str,
    text: &'a str,
}

/// A plain status page: `title` and `text` with the console's look.
pub(crate) fn message(status: StatusCode, title: &str, text: &str) -> Response {
    let mut response = render(status, &Message { title, text });
    no_store(&mut response);
    response
}

/// Console pages show an institution's data: never kept by caches.
pub(crate) fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Renders a console page (no-store).
pub(crate) fn page<T: Template>(status: StatusCode, page: &T) -> Response {
    let mut response = render(status, page);
    no_store(&mut response);
    response
}

/// Runs `f` on the blocking pool (storage reads and writes block).
pub(crate) use crate::web::blocking;

/// The page for an admin-service error met by a console page.
pub(crate) fn error_page(error: &AdminError) -> Response {
    match error {
        AdminError::NotFound(what) => message(
            StatusCode::NOT_FOUND,
            "Not found",
            &format!("There is no such {what} in this console."),
        ),
        AdminError::Invalid(why) | AdminError::Conflict(why) => {
            message(StatusCode::BAD_REQUEST, "That did not work", why)
        }
        AdminError::Forbidden | AdminError::Unauthorized => message(
            StatusCode::NOT_FOUND,
            "Not found",
            "There is no such page in your console.",
        ),
        AdminError::Storage(e) if crate::web::error::is_unavailable(e) => {
            tracing::warn!(error = %e, "console: database unavailable");
            message(
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "The console's database is not answering. Try again in a moment.",
            )
        }
        other => {
            tracing::error!(error = %other, "console operation failed");
            message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The console could not complete this. Try again in a moment.",
            )
        }
    }
}

// ---------------------------------------------------------------- sign-in

#[derive(Template)]
#[template(path = "console/login.html")]
struct Login<'a> {
    slug: &'a str,
    error: Option<&'a str>,
}

/// `GET /console`: to the sign-in page.
pub(crate) async fn root() -> Response {
    Redirect::to("/console/login").into_response()
}

/// `GET /console/{slug}/…` that no page answers.
pub(crate) async fn unknown(_session: StaffSession) -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no such page in your console.",
    )
}

/// `GET /console/login`.
pub(crate) async fn login_form() -> Response {
    page(
        StatusCode::OK,
        &Login {
            slug: "",
            error: None,
        },
    )
}

/// `POST /console/login`: slug + admin token (or operator token) → a session cookie.
pub(crate) async fn login(
    State(service): State<Arc<IssuerService>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let form = match Form::read(&headers, body) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    let slug = form.text("slug").unwrap_or_default().to_owned();
    let token = form.get("token").map(|t| t.trim().to_owned());
    let shown_slug = slug.chars().take(40).collect::<String>();
    let signed_in = blocking(&service, move |s| {
        let caller = s
            .directory()
            .authorize_token(token.as_deref().filter(|t| !t.is_empty()), &slug)?;
        let id = session::create(s.directory(), &slug, &caller)?;
        tracing::info!(slug = %slug, "console sign-in");
        Ok((slug, session::cookie(s.directory(), &id)))
    })
    .await;
    match signed_in {
        Ok((slug, cookie)) => {
            let mut response = Redirect::to(&format!("/console/{slug}")).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(
            AdminError::Unauthorized
            | AdminError::Forbidden
            | AdminError::NotFound(_)
            | AdminError::Invalid(_),
        ) => page(
            StatusCode::UNAUTHORIZED,
            &Login {
                slug: &shown_slug,
                error: Some("That institution and token do not match. Check both and try again."),
            },
        ),
        Err(e) => error_page(&e),
    }
}

/// `POST /console/logout`: ends the session.
pub(crate) async fn logout(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let form = match Form::read(&headers, body) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    if let Err(refused) = csrf::verify(&session, form.csrf()) {
        return refused.into_response();
    }
    let ended = blocking(&service, move |s| {
        session::destroy(s.directory(), &session)?;
        Ok(session::clear_cookie(s.directory()))
    })
    .await;
    match ended {
        Ok(clear) => {
            let mut response = Redirect::to("/console/login").into_response();
            if let Ok(value) = HeaderValue::from_str(&clear) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            response
        }
        Err(e) => error_page(&e),
    }
}

// ---------------------------------------------------------------- dashboard

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct Dashboard {
    layout: ConsoleLayout,
    data: DashboardData,
}

/// `GET /console/{slug}`.
pub(crate) async fn dashboard(
    State(verifier): State<Arc<VerifierService>>,
    session: StaffSession,
) -> Response {
    let slug = session.slug.clone();
    let data = blocking(&verifier, move |v| queries::dashboard(v, &slug)).await;
    match data {
        Ok(data) => page(
            StatusCode::OK,
            &Dashboard {
                layout: session.layout(Section::Dashboard),
                data,
            },
        ),
        Err(e) => error_page(&e),
    }
}
