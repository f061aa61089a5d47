//! Verifier templates in the console: the list (with delete buttons) and the form that stores
//! a new one. Every change is a CSRF-checked POST followed by a redirect to the list.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::csrf;
use super::form::Form;
use super::layout::{ConsoleLayout, Section};
use super::pages::{error_page, page};
use super::queries;
use super::session::StaffSession;
use crate::app::AppState;
use crate::error::AdminError;
use crate::verifier::templates::NewTemplate;
use crate::verifier::{RequestMode, VerifierService, VerifierTemplate};

/// One row of the list, ready to show.
#[derive(Debug)]
struct Row {
    id: String,
    name: String,
    achievement: String,
    issuers: String,
    formats: String,
    mode: &'static str,
}

#[derive(Template)]
#[template(path = "console/templates.html")]
struct TemplatesPage {
    layout: ConsoleLayout,
    rows: Vec<Row>,
    /// (id, name) of the active achievements.
    achievements: Vec<(String, String)>,
    own_did: String,
    error: Option<String>,
    name: String,
}

fn mode_label(mode: RequestMode) -> &'static str {
    match mode {
        RequestMode::Signed => "signed request (request_uri)",
        RequestMode::SignedByValue => "signed request, by value",
        RequestMode::RedirectUri => "unsigned (redirect_uri)",
    }
}

fn row(t: &VerifierTemplate, names: &[(String, String)]) -> Row {
    let achievement = match (&t.achievement_id, &t.achievement_name) {
        (Some(id), _) => names
            .iter()
            .find(|(a, _)| a == id)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| id.clone()),
        (None, Some(name)) => format!("named “{name}”"),
        (None, None) => "any badge".to_owned(),
    };
    Row {
        id: t.id.clone(),
        name: t.name.clone(),
        achievement,
        issuers: if t.trusted_issuers.is_empty() {
            "any issuer".to_owned()
        } else {
            t.trusted_issuers.join(", ")
        },
        formats: if t.formats.is_empty() {
            "any format".to_owned()
        } else {
            t.formats
                .iter()
                .map(|f| crate::verifier::labels::format(f))
                .collect::<Vec<_>>()
                .join("; ")
        },
        mode: mode_label(t.mode),
    }
}

/// What the list page needs, read on the blocking pool.
type ListData = (Vec<VerifierTemplate>, Vec<(String, String)>, String);

async fn load(verifier: &Arc<VerifierService>, slug: &str) -> Result<ListData, AdminError> {
    let (verifier, slug) = (Arc::clone(verifier), slug.to_owned());
    tokio::task::spawn_blocking(move || {
        let templates = verifier.list_templates(&slug)?;
        let achievements = queries::achievements(verifier.directory(), &slug)?
            .into_iter()
            .filter(|a| !a.archived)
            .map(|a| (a.id.clone(), a.name.clone()))
            .collect();
        let did = verifier
            .directory()
            .institution(&slug)?
            .map(|i| i.did)
            .unwrap_or_default();
        Ok((templates, achievements, did))
    })
    .await
    .map_err(|e| AdminError::Internal(format!("worker failed: {e}")))?
}

async fn list_page(
    app: &AppState,
    session: &StaffSession,
    status: StatusCode,
    error: Option<String>,
    name: String,
) -> Response {
    match load(&app.verifier, &session.slug).await {
        Ok((templates, achievements, own_did)) => page(
            status,
            &TemplatesPage {
                layout: session.layout(Section::Templates),
                rows: templates.iter().map(|t| row(t, &achievements)).collect(),
                achievements,
                own_did,
                error,
                name,
            },
        ),
        Err(e) => error_page(&e),
    }
}

/// `GET /console/{slug}/templates`.
pub(crate) async fn list(State(app): State<AppState>, session: StaffSession) -> Response {
    list_page(&app, &session, StatusCode::OK, None, String::new()).await
}

/// `POST /console/{slug}/templates`: stores a template from the form.
pub(crate) async fn create(
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
    let name = form.text("name").unwrap_or_default().to_owned();
    let mut trusted_issuers: Vec<String> = form
        .get("trusted_issuers")
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if let Some(own) = form.text("own_did")
        && !trusted_issuers.iter().any(|d| d == own)
    {
        trusted_issuers.insert(0, own.to_owned());
    }
    let mode = match form.text("mode") {
        Some("signed_by_value") => RequestMode::SignedByValue,
        Some("redirect_uri") => RequestMode::RedirectUri,
        _ => RequestMode::Signed,
    };
    let input = NewTemplate {
        name: name.clone(),
        achievement_id: form.text("achievement_id").map(str::to_owned),
        achievement_name: form.text("achievement_name").map(str::to_owned),
        trusted_issuers,
        formats: form.all("format").into_iter().map(str::to_owned).collect(),
        mode: Some(mode),
        expires_in_seconds: None,
    };
    let (verifier, slug) = (Arc::clone(&app.verifier), session.slug.clone());
    let created = tokio::task::spawn_blocking(move || verifier.create_template(&slug, input))
        .await
        .map_err(|e| AdminError::Internal(format!("worker failed: {e}")))
        .and_then(|r| r);
    match created {
        Ok(_) => Redirect::to(&format!("/console/{}/templates", session.slug)).into_response(),
        Err(AdminError::Invalid(why) | AdminError::Conflict(why)) => {
            list_page(&app, &session, StatusCode::BAD_REQUEST, Some(why), name).await
        }
        Err(AdminError::NotFound(_)) => {
            list_page(
                &app,
                &session,
                StatusCode::BAD_REQUEST,
                Some("Choose an achievement from the list.".into()),
                name,
            )
            .await
        }
        Err(e) => error_page(&e),
    }
}

/// `POST /console/{slug}/templates/{id}/delete`.
pub(crate) async fn delete(
    State(app): State<AppState>,
    session: StaffSession,
    Path((_, id)): Path<(String, String)>,
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
    let (verifier, slug) = (Arc::clone(&app.verifier), session.slug.clone());
    let deleted = tokio::task::spawn_blocking(move || verifier.delete_template(&slug, &id))
        .await
        .map_err(|e| AdminError::Internal(format!("worker failed: {e}")))
        .and_then(|r| r);
    match deleted {
        Ok(()) => Redirect::to(&format!("/console/{}/templates", session.slug)).into_response(),
        Err(e) => error_page(&e),
    }
}
