//! The operator's page: create an institution in the browser (`/console/login/new-institution`),
//! the same as `rosette-agent institution create` or `POST /admin/institutions`. The operator
//! token is asked in the form itself (no session exists yet); the new institution's admin token
//! is shown once, with a button that signs in with it.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::form::Form;
use super::pages::{blocking, error_page, page};
use crate::directory::Caller;
use crate::error::AdminError;
use crate::issuer::IssuerService;
use crate::issuer::institutions::NewInstitution;

#[derive(Template, Default)]
#[template(path = "console/new_institution.html")]
struct NewInstitutionPage {
    slug: String,
    name: String,
    url: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/institution_created.html")]
struct Created {
    slug: String,
    name: String,
    did: String,
    admin_token: String,
}

/// `GET /console/login/new-institution`.
pub(crate) async fn form() -> Response {
    page(StatusCode::OK, &NewInstitutionPage::default())
}

/// `POST /console/login/new-institution`: operator token, slug, name, web site.
pub(crate) async fn create(
    State(service): State<Arc<IssuerService>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let form = match Form::read(&headers, body) {
        Ok(form) => form,
        Err(e) => return e.into_response(),
    };
    let text = |k: &str| form.text(k).unwrap_or_default().trim().to_owned();
    let again = NewInstitutionPage {
        slug: text("slug").chars().take(40).collect(),
        name: text("name").chars().take(200).collect(),
        url: text("url").chars().take(2000).collect(),
        error: None,
    };
    let token = form.get("operator_token").map(|t| t.trim().to_owned());
    let input = NewInstitution {
        slug: again.slug.clone(),
        name: again.name.clone(),
        url: Some(again.url.clone()).filter(|u| !u.is_empty()),
        logo: None,
        did_method: None,
    };
    let created = blocking(&service, move |s| {
        if s.directory()
            .authenticate(token.as_deref().filter(|t| !t.is_empty()))?
            != Caller::Operator
        {
            return Err(AdminError::Unauthorized);
        }
        s.create_institution(input)
    })
    .await;
    match created {
        Ok(created) => page(
            StatusCode::CREATED,
            &Created {
                slug: created.slug.clone(),
                name: created.name.clone(),
                did: created.did.clone(),
                admin_token: created.admin_token.clone(),
            },
        ),
        Err(e) => {
            let (status, error) = match e {
                AdminError::Unauthorized | AdminError::Forbidden => (
                    StatusCode::UNAUTHORIZED,
                    "That is not the operator token. It is in the file the agent names at start \
                     (operator_token_file), or in ROSETTE_OPERATOR_TOKEN."
                        .to_owned(),
                ),
                AdminError::Invalid(why) if why.starts_with("slug") => (
                    StatusCode::BAD_REQUEST,
                    "The short name may hold lowercase letters, digits and hyphens (1 to 40), \
                     e.g. my-college."
                        .to_owned(),
                ),
                AdminError::Invalid(why) => (StatusCode::BAD_REQUEST, why),
                AdminError::Conflict(_) => (
                    StatusCode::CONFLICT,
                    format!(
                        "An institution with the short name \u{201c}{}\u{201d} already exists.",
                        again.slug
                    ),
                ),
                other => return error_page(&other),
            };
            page(
                status,
                &NewInstitutionPage {
                    error: Some(error),
                    ..again
                },
            )
        }
    }
}
