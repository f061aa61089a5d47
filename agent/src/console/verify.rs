//! The employer verification page: pick a verifier template, POST (CSRF) creates a
//! presentation request, then the request page shows its QR code and same-device link while
//! `/assets/verify.js` polls every 400 ms; the verdict (every check on its own line, holder and
//! badge facts) replaces the QR without a reload, in an `aria-live` region.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::json;

use super::csrf;
use super::form::Form;
use super::layout::{ConsoleLayout, Section};
use super::pages::{error_page, message, no_store, page};
use super::session::StaffSession;
use crate::app::AppState;
use crate::error::AdminError;
use crate::verifier::verdict::VerdictView;
use crate::verifier::{PollAnswer, VerifierError, VerifierService};

#[derive(Template)]
#[template(path = "console/verify.html")]
struct PickPage {
    layout: ConsoleLayout,
    /// (id, name) of the templates.
    templates: Vec<(String, String)>,
    error: Option<String>,
}

async fn on_pool<T, F>(verifier: &Arc<VerifierService>, f: F) -> Result<T, AdminError>
where
    T: Send + 'static,
    F: FnOnce(&VerifierService) -> Result<T, AdminError> + Send + 'static,
{
    let verifier = Arc::clone(verifier);
    tokio::task::spawn_blocking(move || f(&verifier))
        .await
        .map_err(|e| AdminError::Internal(format!("worker failed: {e}")))?
}

async fn pick_page(
    app: &AppState,
    session: &StaffSession,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let slug = session.slug.clone();
    match on_pool(&app.verifier, move |v| v.list_templates(&slug)).await {
        Ok(list) => page(
            status,
            &PickPage {
                layout: session.layout(Section::Verify),
                templates: list.into_iter().map(|t| (t.id, t.name)).collect(),
                error,
            },
        ),
        Err(e) => error_page(&e),
    }
}

/// `GET /console/{slug}/verify`: choose a template.
pub(crate) async fn pick(State(app): State<AppState>, session: StaffSession) -> Response {
    pick_page(&app, &session, StatusCode::OK, None).await
}

/// `POST /console/{slug}/verify`: a presentation request from the chosen template, then to
/// its page.
pub(crate) async fn start(
    State(app): State<AppState>,
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
    let Some(template) = form.text("template").map(str::to_owned) else {
        return pick_page(
            &app,
            &session,
            StatusCode::BAD_REQUEST,
            Some("Choose a template.".into()),
        )
        .await;
    };
    let slug = session.slug.clone();
    match on_pool(&app.verifier, move |v| {
        v.request_from_template(&slug, &template)
    })
    .await
    {
        Ok(created) => Redirect::to(&format!(
            "/console/{}/verify/{}",
            session.slug, created.transaction_id
        ))
        .into_response(),
        Err(AdminError::NotFound(_)) => {
            pick_page(
                &app,
                &session,
                StatusCode::BAD_REQUEST,
                Some(
                    "That template no longer exists (or its achievement is gone): choose another."
                        .into(),
                ),
            )
            .await
        }
        Err(AdminError::Invalid(why)) => {
            pick_page(&app, &session, StatusCode::BAD_REQUEST, Some(why)).await
        }
        Err(e) => error_page(&e),
    }
}

#[derive(Template)]
#[template(path = "console/verify_request.html")]
struct RequestPage {
    layout: ConsoleLayout,
    status: &'static str,
    qr: String,
    request_url: String,
    result_url: String,
    expires_at: String,
    verdict: Option<String>,
}

async fn poll(app: &AppState, slug: &str, tx: &str) -> Result<PollAnswer, VerifierError> {
    let (verifier, slug, tx) = (Arc::clone(&app.verifier), slug.to_owned(), tx.to_owned());
    tokio::task::spawn_blocking(move || verifier.poll(&slug, &tx)).await?
}

fn verdict_html(answer: &PollAnswer) -> Option<String> {
    answer
        .result
        .as_ref()
        .map(|r| VerdictView::from_result(r).html())
}

fn gone() -> Response {
    message(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no such verification in this console (it may have expired): start a new one.",
    )
}

/// `GET /console/{slug}/verify/{tx}`: the QR code and link, then the verdict.
pub(crate) async fn request_page(
    State(app): State<AppState>,
    session: StaffSession,
    Path((_, tx)): Path<(String, String)>,
) -> Response {
    match poll(&app, &session.slug, &tx).await {
        Ok(answer) => page(
            StatusCode::OK,
            &RequestPage {
                layout: session.layout(Section::Verify),
                status: answer.status,
                qr: format!("/verifiers/{}/present/{tx}/qr.svg", session.slug),
                request_url: answer.request_url.clone(),
                result_url: format!("/console/{}/verify/{tx}/result", session.slug),
                expires_at: crate::web::ui::human_time(&answer.expires_at),
                verdict: verdict_html(&answer),
            },
        ),
        Err(VerifierError::NotFound) => gone(),
        Err(e) => {
            tracing::error!(error = %e, "console verification page failed");
            error_page(&AdminError::Internal(e.to_string()))
        }
    }
}

/// `GET /console/{slug}/verify/{tx}/result`: `{status, html?}`, the verdict fragment once the
/// wallet has answered.
pub(crate) async fn result(
    State(app): State<AppState>,
    session: StaffSession,
    Path((_, tx)): Path<(String, String)>,
) -> Response {
    let mut response = match poll(&app, &session.slug, &tx).await {
        Ok(answer) => axum::Json(crate::verifier::pages::result_json(&answer)).into_response(),
        Err(VerifierError::NotFound) => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"status": "not_found"})),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "console verification poll failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(json!({"status": "error"})),
            )
                .into_response()
        }
    };
    no_store(&mut response);
    response
}
