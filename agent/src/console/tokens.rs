//! Admin tokens in the console (under Settings): the list, a form that makes one (shown once,
//! optionally expiring), and revoke / rotate buttons. Every change is a CSRF-checked POST.

use std::sync::Arc;

use askama::Template;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

use super::csrf;
use super::form::Form;
use super::layout::{ConsoleLayout, Section};
use super::pages::{blocking, error_page, page};
use super::session::StaffSession;
use crate::error::AdminError;
use crate::issuer::IssuerService;
use crate::issuer::tokens::NewToken;

#[derive(Debug)]
struct Row {
    id: String,
    name: String,
    created: String,
    expires: String,
    expired: bool,
}

#[derive(Template)]
#[template(path = "console/tokens.html")]
struct TokensPage {
    layout: ConsoleLayout,
    rows: Vec<Row>,
    /// A token just made: shown once.
    fresh: Option<String>,
    error: Option<String>,
}

async fn render(
    service: &Arc<IssuerService>,
    session: &StaffSession,
    status: StatusCode,
    fresh: Option<String>,
    error: Option<String>,
) -> Response {
    let slug = session.slug.clone();
    match blocking(service, move |s| s.list_admin_tokens(&slug)).await {
        Ok(list) => {
            let date = |v: &Value| {
                v.as_str()
                    .map(crate::verifier::labels::date)
                    .unwrap_or_default()
            };
            let rows = list["items"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| Row {
                    id: t["id"].as_str().unwrap_or_default().to_owned(),
                    name: t["name"].as_str().unwrap_or_default().to_owned(),
                    created: date(&t["created_at"]),
                    expires: if t["expires_at"].is_null() {
                        "until revoked".to_owned()
                    } else {
                        date(&t["expires_at"])
                    },
                    expired: t["expired"] == true,
                })
                .collect();
            page(
                status,
                &TokensPage {
                    layout: session.layout(Section::Settings),
                    rows,
                    fresh,
                    error,
                },
            )
        }
        Err(e) => error_page(&e),
    }
}

/// `GET /console/{slug}/tokens`.
pub(crate) async fn list(State(s): State<Arc<IssuerService>>, session: StaffSession) -> Response {
    render(&s, &session, StatusCode::OK, None, None).await
}

/// `POST /console/{slug}/tokens`: `action` = create (with `name`, `expires_in_days`), or
/// revoke / rotate (with `id`).
pub(crate) async fn action(
    State(s): State<Arc<IssuerService>>,
    session: StaffSession,
    Path(_): Path<String>,
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
    let id = form.text("id").unwrap_or_default().to_owned();
    let result = match form.text("action") {
        Some("create") => {
            let days = form.text("expires_in_days").filter(|d| !d.is_empty());
            let expires_in_days = match days.map(str::parse::<u32>) {
                None => None,
                Some(Ok(d)) => Some(d),
                Some(Err(_)) => {
                    return render(
                        &s,
                        &session,
                        StatusCode::BAD_REQUEST,
                        None,
                        Some("Days must be a whole number.".into()),
                    )
                    .await;
                }
            };
            let input = NewToken {
                name: form.text("name").unwrap_or_default().to_owned(),
                expires_in_days,
            };
            blocking(&s, move |s| s.create_admin_token(&slug, input)).await
        }
        Some("rotate") => blocking(&s, move |s| s.rotate_admin_token(&slug, &id)).await,
        Some("revoke") => blocking(&s, move |s| s.revoke_admin_token(&slug, &id))
            .await
            .map(|()| Value::Null),
        _ => Err(AdminError::Invalid("unknown action".into())),
    };
    match result {
        Ok(Value::Null) => {
            Redirect::to(&format!("/console/{}/tokens", session.slug)).into_response()
        }
        Ok(made) => {
            let token = made["token"].as_str().map(str::to_owned);
            render(&s, &session, StatusCode::OK, token, None).await
        }
        Err(AdminError::Invalid(why)) => {
            render(&s, &session, StatusCode::BAD_REQUEST, None, Some(why)).await
        }
        Err(e) => error_page(&e),
    }
}
