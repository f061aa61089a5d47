//! The status routes: the signed list credentials, and the admin API that revokes, suspends
//! and reinstates (see [`super::service`]).

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::service::{LIST_MAX_AGE, StatusService};
use crate::app::AppState;
use crate::error::{AdminError, ProtocolError};
use crate::web::auth::bearer_token;
use crate::web::blocking;
use crate::web::error::admin_json;

/// `GET|PUT …/admin/status/settings` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusSettings {
    status_purpose: String,
}

/// The status routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/issuers/{slug}/status/{purpose}/{number}", get(get_list))
        .route(
            "/issuers/{slug}/admin/credentials/status",
            post(post_change),
        )
        .route("/issuers/{slug}/admin/status/changes", get(get_changes))
        .route(
            "/issuers/{slug}/admin/status/settings",
            get(get_settings).put(put_settings),
        )
}

async fn get_list(
    State(s): State<Arc<StatusService>>,
    Path((slug, purpose, number)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, ProtocolError> {
    let number: u32 = number.parse().map_err(|_| ProtocolError::NotFound)?;
    if !matches!(purpose.as_str(), "revocation" | "suspension") {
        return Err(ProtocolError::NotFound);
    }
    let (body, etag) = blocking(&s, move |s| s.signed_list(&slug, &purpose, number)).await?;
    let cache = HeaderValue::from_str(&format!("public, max-age={LIST_MAX_AGE}"))
        .unwrap_or(HeaderValue::from_static("no-cache"));
    let tag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    if matches {
        return Ok((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, tag), (header::CACHE_CONTROL, cache)],
        )
            .into_response());
    }
    Ok((
        StatusCode::OK,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/vc+ld+json"),
            ),
            (header::ETAG, tag),
            (header::CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response())
}

async fn post_change(
    State(s): State<Arc<StatusService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let token = bearer_token(&headers);
    let body = crate::web::error::admin_body(body)?;
    let answer = blocking(&s, move |s| {
        s.directory().authorize_token(token.as_deref(), &slug)?;
        s.change(&slug, admin_json(&body)?)
    })
    .await?;
    Ok(axum::Json(answer).into_response())
}

async fn get_changes(
    State(s): State<Arc<StatusService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let token = bearer_token(&headers);
    let answer = blocking(&s, move |s| {
        s.directory().authorize_token(token.as_deref(), &slug)?;
        s.changes(&slug)
    })
    .await?;
    Ok(axum::Json(answer).into_response())
}

async fn get_settings(
    State(s): State<Arc<StatusService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let token = bearer_token(&headers);
    let answer = blocking(&s, move |s| {
        s.directory().authorize_token(token.as_deref(), &slug)?;
        Ok::<_, AdminError>(json!({"status_purpose": s.purpose(&slug)?.as_str()}))
    })
    .await?;
    Ok(axum::Json(answer).into_response())
}

async fn put_settings(
    State(s): State<Arc<StatusService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let token = bearer_token(&headers);
    let body = crate::web::error::admin_body(body)?;
    let answer = blocking(&s, move |s| {
        s.directory().authorize_token(token.as_deref(), &slug)?;
        let settings: StatusSettings = admin_json(&body)?;
        s.set_purpose(&slug, &settings.status_purpose)?;
        Ok::<_, AdminError>(json!({"status_purpose": settings.status_purpose}))
    })
    .await?;
    Ok(axum::Json(answer).into_response())
}
