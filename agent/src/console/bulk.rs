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
use super::pages::{blocking, error_page};
use super::pages::{no_store, page};
use super::session::StaffSession;
use crate::app::AppState;
use crate::issuer::IssuerService;
use crate::issuer::bulk::{BulkRowError, Handout, JobProgress, JobSummary, StartError};
use crate::web::ui::human_time;

/// The routes of `/console/{slug}/bulk`, `/verify` and `/templates`, with the console's
/// same-origin check. Uploads may be as large as the API's CSV limit.
pub(crate) fn router(app: &AppState) -> Router<AppState> {
    Router::new()
        .route("/console/{slug}/bulk", get(form).post(upload))
        .route("/console/{slug}/bulk/{id}", get(job_page))
        .route("/console/{slug}/bulk/{id}/progress", get(progress))
        .route("/console/{slug}/bulk/{id}/handouts", get(handouts_page))
        .route("/console/{slug}/bulk/{id}/handouts.csv", get(handouts_csv))
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
    /// The key of an active achievement for the example rows (a placeholder without one).
    example_key: String,
    /// (key, name) of the active achievements, with their template download.
    achievements: Vec<(String, String, String)>,
    jobs: Vec<JobLine>,
}

/// One earlier import in the list under the form.
struct JobLine {
    id: String,
    finished: String,
    created: String,
    refused: String,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

async fn upload_form(
    service: &Arc<IssuerService>,
    session: &StaffSession,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let slug = session.slug.clone();
    let loaded = blocking(service, move |s| {
        Ok::<_, crate::error::AdminError>((s.list_achievements(&slug)?, s.bulk_jobs(&slug)?))
    })
    .await;
    let (achievements, jobs) = match loaded {
        Ok(found) => found,
        Err(e) => return error_page(&e),
    };
    let achievements: Vec<(String, String, String)> = achievements
        .iter()
        .filter(|a| a.get("archived") == Some(&serde_json::Value::Bool(false)))
        .filter_map(|a| {
            let name = a.get("name")?.as_str()?;
            let id = a.get("id")?.as_str()?;
            Some((
                crate::issuer::bulk::achievement_key(name),
                name.to_owned(),
                id.to_owned(),
            ))
        })
        .collect();
    page(
        status,
        &UploadForm {
            layout: session.layout(Section::Bulk),
            error,
            example_key: achievements
                .first()
                .map_or_else(|| "your-achievement-key".to_owned(), |a| a.0.clone()),
            achievements,
            jobs: jobs
                .into_iter()
                .map(
                    |JobSummary {
                         id,
                         finished_at,
                         created,
                         refused,
                     }| JobLine {
                        id,
                        finished: human_time(&finished_at),
                        created: plural(created, "offer", "offers"),
                        refused: plural(refused, "row refused", "rows refused"),
                    },
                )
                .collect(),
        },
    )
}

/// `GET /console/{slug}/bulk`.
async fn form(State(service): State<Arc<IssuerService>>, session: StaffSession) -> Response {
    upload_form(&service, &session, StatusCode::OK, None).await
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
            &app.issuer,
            &session,
            StatusCode::BAD_REQUEST,
            Some("Choose a CSV file to upload.".into()),
        )
        .await;
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
                &app.issuer,
                &session,
                StatusCode::INTERNAL_SERVER_ERROR,
                Some("The import could not start. Try again in a moment.".into()),
            )
            .await
        }
        Err(e @ StartError::Busy) => {
            upload_form(
                &app.issuer,
                &session,
                StatusCode::CONFLICT,
                Some(e.to_string()),
            )
            .await
        }
        Err(e) => {
            upload_form(
                &app.issuer,
                &session,
                StatusCode::BAD_REQUEST,
                Some(format!(
                    "{}. Nothing was imported.",
                    capital(&e.to_string())
                )),
            )
            .await
        }
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
    summary: String,
    handouts: String,
}

fn not_found() -> Response {
    super::pages::message(
        StatusCode::NOT_FOUND,
        "Not found",
        "There is no such import in this console. An import's report is kept once it has \
         finished; one stopped by a restart shows its offers under Credentials.",
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
    let summary = format!(
        "{} created; {}.",
        plural(created_count, "offer", "offers"),
        plural(errors.len(), "row refused", "rows refused")
    );
    page(
        StatusCode::OK,
        &JobPage {
            summary,
            handouts: format!("/console/{}/bulk/{job_id}/handouts", session.slug),
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

// ---------------------------------------------------------------- handouts

/// One learner's handout as the print page shows it.
struct HandoutCard {
    name: String,
    state: &'static str,
    claim_page: String,
    /// The QR code of the offer URL, as a `data:image/svg+xml` URI (the page's policy allows
    /// data images; nothing else to load when 500 are printed at once).
    qr: Option<String>,
    pin: Option<String>,
    expires: String,
}

#[derive(Template)]
#[template(path = "console/handouts.html")]
struct HandoutsPage {
    layout: ConsoleLayout,
    job_id: String,
    cards: Vec<HandoutCard>,
    open: usize,
    closed: usize,
}

async fn load_handouts(
    service: &Arc<IssuerService>,
    slug: &str,
    id: &str,
) -> Result<Vec<Handout>, Response> {
    let (slug, id) = (slug.to_owned(), id.to_owned());
    match blocking(service, move |s| s.bulk_handouts(&slug, &id)).await {
        Ok(Some(handouts)) => Ok(handouts),
        Ok(None) => Err(not_found()),
        Err(e) => Err(error_page(&e)),
    }
}

/// `GET /console/{slug}/bulk/{id}/handouts`: one printable card per learner (name, QR code,
/// link, PIN); offers no longer open show their state instead.
async fn handouts_page(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let handouts = match load_handouts(&service, &session.slug, &id).await {
        Ok(h) => h,
        Err(response) => return response,
    };
    let cards: Vec<HandoutCard> = handouts
        .into_iter()
        .map(|h| HandoutCard {
            qr: h.offer_url.as_deref().and_then(|url| {
                crate::web::qr::svg(url).ok().map(|svg| {
                    use base64::Engine as _;
                    format!(
                        "data:image/svg+xml;base64,{}",
                        base64::engine::general_purpose::STANDARD.encode(svg)
                    )
                })
            }),
            name: h.name,
            state: h.state,
            claim_page: h.claim_page,
            pin: h.pin.map(|p| p.expose_secret().to_owned()),
            expires: human_time(&h.expires_at),
        })
        .collect();
    let open = cards.iter().filter(|c| c.qr.is_some()).count();
    page(
        StatusCode::OK,
        &HandoutsPage {
            layout: session.layout(Section::Bulk),
            job_id: id,
            closed: cards.len() - open,
            open,
            cards,
        },
    )
}

/// A CSV field: quoted when needed, and a leading `=`, `+`, `-` or `@` neutralised so that a
/// spreadsheet does not run a learner's name as a formula.
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// The header of the handouts CSV.
pub(crate) const HANDOUTS_HEADER: &str =
    "line,name,state,claim_page,offer_url,pin,qr_svg,expires_at";

/// `GET /console/{slug}/bulk/{id}/handouts.csv`: per learner the claim page, the offer link,
/// the QR image's URL and the PIN, for mail merge. Contains PINs: never cached.
async fn handouts_csv(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    Path((_, id)): Path<(String, String)>,
) -> Response {
    let handouts = match load_handouts(&service, &session.slug, &id).await {
        Ok(h) => h,
        Err(response) => return response,
    };
    let mut csv = String::from(HANDOUTS_HEADER);
    csv.push_str("\r\n");
    for h in &handouts {
        let qr = if h.offer_url.is_some() {
            format!("{}/qr.svg", h.claim_page)
        } else {
            String::new()
        };
        let pin = h.pin.as_ref().map(|p| p.expose_secret().to_owned());
        let fields = [
            h.line.to_string(),
            csv_field(&h.name),
            h.state.to_owned(),
            csv_field(&h.claim_page),
            csv_field(h.offer_url.as_deref().unwrap_or_default()),
            pin.unwrap_or_default(),
            csv_field(&qr),
            h.expires_at.clone(),
        ];
        csv.push_str(&fields.join(","));
        csv.push_str("\r\n");
    }
    tracing::info!(slug = %session.slug, job = %id, rows = handouts.len(), "bulk handouts downloaded");
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"handouts-{}.csv\"",
                    id.chars().take(8).collect::<String>()
                ),
            ),
        ],
        csv,
    )
        .into_response();
    no_store(&mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_neutralised() {
        assert_eq!(csv_field("Ada"), "Ada");
        assert_eq!(csv_field("Lovelace, Ada"), "\"Lovelace, Ada\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "row", "rows"), "1 row");
        assert_eq!(plural(0, "row", "rows"), "0 rows");
    }
}
