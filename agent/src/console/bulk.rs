//! Bulk issue in the console: a CSV upload (CSRF-checked) starts a [`crate::issuer::bulk`] job, then a
//! progress page that `/assets/bulk.js` keeps current by polling a session-authenticated JSON
//! endpoint, ending with the per-row report. Also the router of the console pages that need
//! the bulk jobs or the verifier role.

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use super::csrf;
use super::form::Form;
use super::layout::{ConsoleLayout, Section};
use super::pages::{no_store, page};
use super::session::StaffSession;
use crate::app::AppState;
use crate::issuer::bulk::{BulkRowError, JobProgress, StartError};

/// The routes of `/console/{slug}/bulk`, `/verify` and `/templates`, with the console's
/// same-origin check. Uploads may be as large as the API's CSV limit.
pub(crate) fn router(app: &AppState) -> Router<AppState> {
    Router::new()
        .route("/console/{slug}/bulk", get(form).post(upload))
        .route("/console/{slug}/bulk/{id}", get(job_page))
        .route("/console/{slug}/bulk/{id}/progress", get(progress))
        .route(
            "/console/{slug}/templates",
            get(super::templates::list).post(super::templates::create),
        )
        .route(
            "/console/{slug}/templates/{id}/delete",
            post(super::templates::delete),
        )
        .route(
            "/console/{slug}/verify",
            get(super::verify::pick).post(super::verify::start),
        )
        .route(
            "/console/{slug}/verify/{tx}",
            get(super::verify::request_page),
        )
        .route(
            "/console/{slug}/verify/{tx}/result",
            get(super::verify::result),
        )
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&app.directory),
            csrf::same_origin,
        ))
        .layer(DefaultBodyLimit::max(crate::web::CSV_LIMIT))
}

#[derive(Template)]
#[template(path = "console/bulk.html")]
struct UploadForm {
    layout: ConsoleLayout,
    error: Option<String>,
}

fn upload_form(session: &StaffSession, status: StatusCode, error: Option<String>) -> Response {
    page(
        status,
        &UploadForm {
            layout: session.layout(Section::Bulk),
            error,
        },
    )
}

/// `GET /console/{slug}/bulk`.
async fn form(session: StaffSession) -> Response {
    upload_form(&session, StatusCode::OK, None)
}

/// `POST /console/{slug}/bulk`: starts the job, then to its progress page.
async fn upload(
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
    let Some(file) = form.file("csv") else {
        return upload_form(
            &session,
            StatusCode::BAD_REQUEST,
            Some("Choose a CSV file to upload.".into()),
        );
    };
    // Parsing a large upload is CPU work: off the async workers.
    let (jobs, slug, bytes) = (
        Arc::clone(&app.bulk),
        session.slug.clone(),
        file.bytes.clone(),
    );
    let started = match tokio::task::spawn_blocking(move || jobs.start(&slug, &bytes)).await {
        Ok(started) => started,
        Err(_) => Err(StartError::NoRuntime),
    };
    match started {
        Ok(started) => Redirect::to(&format!(
            "/console/{}/bulk/{}",
            session.slug, started.job_id
        ))
        .into_response(),
        Err(e @ StartError::NoRuntime) => {
            tracing::error!(error = %e, "bulk job could not start");
            upload_form(
                &session,
                StatusCode::INTERNAL_SERVER_ERROR,
                Some("The import could not start. Try again in a moment.".into()),
            )
        }
        Err(e @ StartError::Busy) => {
            upload_form(&session, StatusCode::CONFLICT, Some(e.to_string()))
        }
        Err(e) => upload_form(
            &session,
            StatusCode::BAD_REQUEST,
            Some(format!(
                "{}. Nothing was imported.",
                capital(&e.to_string())
            )),
        ),
    }
}

fn capital(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

#[derive(Template)]
#[template(path = "console/bulk_job.html")]
struct JobPage {
    layout: ConsoleLayout,
    progress_url: String,
    job_id: String,
    state: &'static str,
    done: bool,
    total: usize,
    processed: usize,
    created: usize,
    errors: Vec<BulkRowError>,
    failure: Option<String>,
}

fn not_found() -> Response {
    super::pages::message(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no such import in this console. Imports are kept until the agent restarts.",
    )
}

/// `GET /console/{slug}/bulk/{id}`: progress, then the report.
async fn job_page(
    State(app): State<AppState>,
    session: StaffSession,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let Some(p) = app.bulk.progress(&session.slug, &id, false) else {
        return not_found();
    };
    let JobProgress {
        job_id,
        state,
        done,
        total_rows,
        processed,
        created_count,
        errors,
        failure,
        ..
    } = p;
    page(
        StatusCode::OK,
        &JobPage {
            progress_url: format!("/console/{}/bulk/{job_id}/progress", session.slug),
            layout: session.layout(Section::Bulk),
            job_id,
            state,
            done,
            total: total_rows,
            processed,
            created: created_count,
            errors,
            failure,
        },
    )
}

/// `GET /console/{slug}/bulk/{id}/progress`: the job's progress as JSON (no offers, no PINs).
async fn progress(
    State(app): State<AppState>,
    session: StaffSession,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let Some(p) = app.bulk.progress(&session.slug, &id, false) else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(serde_json::json!({"error": "not_found"})),
        )
            .into_response();
    };
    let mut response = axum::Json(p).into_response();
    no_store(&mut response);
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("cookie"));
    response
}
