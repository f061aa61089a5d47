//! The institution console: server-rendered pages for staff under `/console/…`.
//!
//! # Building a console page (the reusable parts)
//!
//! - **Session.** Take [`session::StaffSession`] as a handler argument. It redirects to
//!   `/console/login` without a live session and answers 404 when the route's `{slug}` is
//!   another institution's (operator sessions may open any). It gives `slug`, `institution`,
//!   `caller` and the CSRF token. The router state is [`AppState`]; handlers take the role
//!   service they need (`State<Arc<IssuerService>>`, …).
//! - **CSRF.** Every POST form has `<input type="hidden" name="csrf" value="{{ layout.csrf }}">`;
//!   the handler reads the body with [`form::Form::read`] (urlencoded or multipart) and calls
//!   [`csrf::verify`]`(&session, form.csrf())?` before changing anything (`Forbidden` answers
//!   403). Cross-origin POSTs are refused for every console route by [`csrf::same_origin`].
//! - **Layout.** Give the askama template a `layout: ConsoleLayout` field (from
//!   [`session::StaffSession::layout`] with its [`layout::Section`]) and
//!   `{% extends "console/layout.html" %}`; fill the `title` and `content` blocks. Render with
//!   [`crate::web::ui::render`] (or [`pages::page`], which adds `no-store`). [`pages::message`] is a
//!   plain status page (404, 403, …); [`pages::error_page`] maps an `AdminError`.
//! - **Routes** of another module: a `Router<AppState>` passed through [`protect`] (the
//!   same-origin check, the body limit), merged in [`router`].
//! - **Dependencies.** The console calls the roles' services, never their routes.
//!
//! # Routes
//!
//! `GET|POST /console/login`, `GET|POST /console/login/new-institution` (the operator creates
//! an institution), `POST /console/logout`, `GET /console/{slug}` (dashboard),
//! `/console/{slug}/achievements` (+ `/new`, `/{id}/edit`, `/{id}/archive`),
//! `/console/{slug}/issue`, `/console/{slug}/credentials` (+ `/action`),
//! `/console/{slug}/settings` (+ `/display`). The nav also links `/bulk`, `/verify` and `/templates`.

mod achievements;
pub(crate) mod bulk;
mod credentials;
pub(crate) mod csrf;
pub(crate) mod form;
mod issue;
pub(crate) mod layout;
mod operator;
pub(crate) mod pages;
pub(crate) mod queries;
pub(crate) mod session;
mod settings;
mod templates;
mod tokens;
mod verify;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

use crate::app::AppState;

/// Largest console request body: an image upload (256 KiB) with its form, as multipart.
pub(crate) const CONSOLE_BODY_LIMIT: usize = 400 * 1024;

/// The console routes (merged into [`crate::server::router`]).
pub(crate) fn router(app: &AppState) -> Router<AppState> {
    let routes = Router::new()
        .route("/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .route("/console", get(pages::root))
        .route("/console/", get(pages::root))
        .route("/console/login", get(pages::login_form).post(pages::login))
        .route(
            "/console/login/new-institution",
            get(operator::form).post(operator::create),
        )
        .route("/console/logout", post(pages::logout))
        .route("/console/{slug}", get(pages::dashboard))
        .route("/console/{slug}/achievements", get(achievements::list))
        .route(
            "/console/{slug}/achievements/new",
            get(achievements::new_form).post(achievements::create),
        )
        .route(
            "/console/{slug}/achievements/{id}/edit",
            get(achievements::edit_form).post(achievements::update),
        )
        .route(
            "/console/{slug}/achievements/{id}/template.csv",
            get(achievements::template_csv),
        )
        .route(
            "/console/{slug}/achievements/{id}/archive",
            post(achievements::archive),
        )
        .route(
            "/console/{slug}/issue",
            get(issue::issue_form).post(issue::issue),
        )
        .route("/console/{slug}/offers/{id}", get(issue::offer_page))
        .route("/console/{slug}/credentials", get(credentials::list))
        .route(
            "/console/{slug}/credentials/action",
            post(credentials::action),
        )
        .route(
            "/console/{slug}/settings",
            get(settings::show).post(settings::save),
        )
        .route(
            "/console/{slug}/tokens",
            get(tokens::list).post(tokens::action),
        )
        .route(
            "/console/{slug}/settings/display",
            axum::routing::post(settings::save_display),
        )
        // Anything else under a console: sign in first, then an HTML 404 (not the API's JSON).
        .route("/console/{slug}/{*rest}", get(pages::unknown));
    protect(routes, app).merge(bulk::router(app))
}

/// The rosette mark: browsers ask every page's origin for an icon.
const FAVICON: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="15" fill="#1e40af"/><circle cx="16" cy="16" r="10" fill="#fff"/><path d="M16 9l2.2 4.6 5 .6-3.7 3.4 1 5-4.5-2.5-4.5 2.5 1-5-3.7-3.4 5-.6z" fill="#f59e0b"/></svg>"##;

async fn favicon() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [
            (axum::http::header::CONTENT_TYPE, "image/svg+xml"),
            (axum::http::header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
        .into_response()
}

/// Gives console routes what every console route has: the same-origin check on state-changing
/// requests and the console body limit.
pub(crate) fn protect(routes: Router<AppState>, app: &AppState) -> Router<AppState> {
    routes
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app.directory),
            csrf::same_origin,
        ))
        .layer(DefaultBodyLimit::max(CONSOLE_BODY_LIMIT))
}
