//! Institution settings: its display (name, web site, logo: editable), its DID and verification
//! method (read-only) and the status purpose of new credentials.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::csrf;
use super::form::Form;
use super::layout::{ConsoleLayout, Section};
use super::pages::{blocking, error_page, page};
use super::queries;
use super::session::StaffSession;
use crate::directory::records::DidMethod;
use crate::error::AdminError;
use crate::issuer::IssuerService;
use crate::status::StatusService;

#[derive(Template)]
#[template(path = "console/settings.html")]
struct Settings {
    layout: ConsoleLayout,
    notice: Option<&'static str>,
    error: Option<String>,
    name: String,
    url: Option<String>,
    logo: Option<String>,
    logo_url: Option<String>,
    issuer: String,
    did: String,
    did_method: &'static str,
    verification_method: String,
    purpose: String,
}

/// `GET /console/{slug}/settings`.
pub(crate) async fn show(
    State(service): State<Arc<IssuerService>>,
    session: StaffSession,
    RawQuery(raw): RawQuery,
) -> Response {
    let notice = (raw.as_deref() == Some("saved=1")).then_some("Saved.");
    settings_page(&service, session, notice, None).await
}

async fn settings_page(
    service: &Arc<IssuerService>,
    session: StaffSession,
    notice: Option<&'static str>,
    error: Option<String>,
) -> Response {
    let slug = session.slug.clone();
    let loaded = blocking(service, move |s| {
        let inst = s
            .directory()
            .institution(&slug)?
            .ok_or(AdminError::NotFound("institution"))?;
        let vm = s
            .directory()
            .signer(&inst)
            .map(|signer| signer.verification_method().to_owned())
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        let purpose = queries::status_purpose(s.directory(), &slug)?;
        Ok((inst, vm, purpose, s.issuer_id(&slug)))
    })
    .await;
    match loaded {
        Ok((inst, verification_method, purpose, issuer)) => page(
            if error.is_some() {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            },
            &Settings {
                layout: session.layout(Section::Settings),
                notice,
                error,
                name: inst.name.clone(),
                // Shown as links and images only when they cannot pull in script or leave the page.
                url: inst
                    .url
                    .clone()
                    .filter(|u| u.starts_with("https://") || u.starts_with("http://")),
                logo: inst
                    .logo
                    .clone()
                    .filter(|l| l.starts_with("data:image/") || l.starts_with('/')),
                // A logo elsewhere is not loaded (the pages load nothing from other sites): linked.
                logo_url: inst
                    .logo
                    .clone()
                    .filter(|l| l.starts_with("https://") || l.starts_with("http://")),
                issuer,
                did: inst.did.clone(),
                did_method: match inst.did_method {
                    DidMethod::Key => "key",
                    DidMethod::Web => "web",
                },
                verification_method,
                purpose,
            },
        ),
        Err(e) => error_page(&e),
    }
}

/// `POST /console/{slug}/settings`: `status_purpose`.
pub(crate) async fn save(
    State(status): State<Arc<StatusService>>,
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
    let slug = session.slug.clone();
    let purpose = form.text("status_purpose").unwrap_or_default().to_owned();
    match blocking(&status, move |s| s.set_purpose(&slug, &purpose)).await {
        Ok(()) => {
            Redirect::to(&format!("/console/{}/settings?saved=1", session.slug)).into_response()
        }
        Err(e) => error_page(&e),
    }
}

/// `POST /console/{slug}/settings/display`: `name`, `url`, `logo` (file upload; kept when none
/// is sent) and `remove_logo`.
pub(crate) async fn save_display(
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
    let new_logo = match form.file("logo").map(super::achievements::image_data_uri) {
        None => None,
        Some(Ok(uri)) => Some(uri),
        Some(Err(message)) => return settings_page(&service, session, None, Some(message)).await,
    };
    let remove_logo = form.text("remove_logo").is_some();
    let name = form.text("name").unwrap_or_default().to_owned();
    let url = form.text("url").map(str::to_owned);
    let slug = session.slug.clone();
    let saved = blocking(&service, move |s| {
        let current = s
            .directory()
            .institution(&slug)?
            .ok_or(AdminError::NotFound("institution"))?;
        let logo = match (new_logo, remove_logo) {
            (Some(uri), _) => Some(uri),
            (None, true) => None,
            (None, false) => current.logo,
        };
        s.update_institution_display(&slug, crate::issuer::InstitutionDisplay { name, url, logo })
    })
    .await;
    match saved {
        Ok(_) => {
            Redirect::to(&format!("/console/{}/settings?saved=1", session.slug)).into_response()
        }
        Err(AdminError::Invalid(message)) => {
            settings_page(&service, session, None, Some(message)).await
        }
        Err(e) => error_page(&e),
    }
}
