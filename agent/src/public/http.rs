//! Routes of the public pages: the publish API under the Credential Issuer Identifier, the
//! badge pages, and `/verify`. Every HTML answer carries a strict Content-Security-Policy.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::web::no_store;

use super::pages;
use super::{HoldingProof, PublicService, PublishError, UPLOAD_LIMIT, UploadError};
use crate::app::AppState;
use crate::web::multipart;

/// The public routes.
pub fn router() -> Router<AppState> {
    let api = Router::new()
        .route("/issuers/{slug}/public-badges/challenge", post(challenge))
        .route("/issuers/{slug}/public-badges", post(publish))
        .route("/issuers/{slug}/public-badges/withdraw", post(withdraw))
        .route("/issuers/{slug}/badges/{id}", get(badge_page))
        .route(
            "/issuers/{slug}/badges/{id}/qr.png",
            get(|s, p| qr(s, p, crate::web::qr::QrImage::Png)),
        )
        .route(
            "/issuers/{slug}/badges/{id}/qr.svg",
            get(|s, p| qr(s, p, crate::web::qr::QrImage::Svg)),
        )
        .route("/issuers/{slug}/badges/{id}/image", get(image))
        .layer(DefaultBodyLimit::max(crate::web::BODY_LIMIT));
    let verify = Router::new()
        .route(
            "/verify",
            // Uploads wait their turn before their body is even read: a burst of maximum-size
            // uploads holds a few in memory, not all of them.
            get(verify_form)
                .post(verify_upload)
                .layer(tower::limit::ConcurrencyLimitLayer::new(
                    crate::directory::MAX_CONCURRENT_VERIFICATIONS,
                )),
        )
        // Room for the multipart framing around the largest accepted file.
        .layer(DefaultBodyLimit::max(UPLOAD_LIMIT + 64 * 1024));
    api.merge(verify)
}

impl IntoResponse for PublishError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        let description = if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %self, "public badge request failed");
            "internal error".to_owned()
        } else if status == StatusCode::SERVICE_UNAVAILABLE {
            tracing::warn!(error = %self, "public badge request: database unavailable");
            "the service is temporarily unavailable; try again shortly".to_owned()
        } else {
            self.to_string()
        };
        no_store(
            (
                status,
                axum::Json(json!({"error": code, "error_description": description})),
            )
                .into_response(),
        )
    }
}

/// An HTML answer with the site's security headers.
fn html(status: StatusCode, body: String) -> Response {
    crate::web::ui::html(status, body)
}

fn api_body(body: Result<Bytes, BytesRejection>) -> Result<HoldingProof, PublishError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PublishError::PayloadTooLarge
        } else {
            PublishError::BadRequest("unreadable request body".into())
        }
    })?;
    serde_json::from_slice(&body)
        .map_err(|e| PublishError::BadRequest(format!("invalid JSON body: {e}")))
}

async fn challenge(
    State(s): State<Arc<PublicService>>,
    Path(slug): Path<String>,
) -> Result<Response, PublishError> {
    let challenge = tokio::task::spawn_blocking(move || s.challenge(&slug))
        .await
        .map_err(|e| PublishError::Internal(e.to_string()))??;
    Ok(no_store(axum::Json(challenge).into_response()))
}

async fn publish(
    State(s): State<Arc<PublicService>>,
    Path(slug): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PublishError> {
    let proof = api_body(body)?;
    let published = s.publish(&slug, proof).await?;
    Ok(no_store(
        (StatusCode::CREATED, axum::Json(published)).into_response(),
    ))
}

async fn withdraw(
    State(s): State<Arc<PublicService>>,
    Path(slug): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, PublishError> {
    let proof = api_body(body)?;
    let withdrawn = s.withdraw(&slug, proof).await?;
    Ok(no_store(
        axum::Json(json!({"withdrawn": withdrawn.id, "url": withdrawn.url})).into_response(),
    ))
}

async fn badge_page(
    State(s): State<Arc<PublicService>>,
    Path((slug, id)): Path<(String, String)>,
) -> Response {
    match s.page(&slug, &id).await {
        Ok(Some(view)) => {
            let checked = s.now().to_rfc3339();
            no_store(html(
                StatusCode::OK,
                pages::badge_page(&view, &id, &checked),
            ))
        }
        Ok(None) => html(StatusCode::NOT_FOUND, pages::not_found()),
        Err(e) => e.into_response(),
    }
}

async fn page_url(
    s: &Arc<PublicService>,
    slug: &str,
    id: &str,
) -> Result<Option<String>, PublishError> {
    let (this, sl, i) = (Arc::clone(s), slug.to_owned(), id.to_owned());
    let exists = tokio::task::spawn_blocking(move || this.row(&sl, &i))
        .await
        .map_err(|e| PublishError::Internal(e.to_string()))??
        .is_some();
    Ok(exists.then(|| s.page_url(slug, id)))
}

async fn qr(
    State(s): State<Arc<PublicService>>,
    Path((slug, id)): Path<(String, String)>,
    image: crate::web::qr::QrImage,
) -> Result<Response, PublishError> {
    let Some(url) = page_url(&s, &slug, &id).await? else {
        return Ok(html(StatusCode::NOT_FOUND, pages::not_found()));
    };
    // The page's URL is public and stable: caches may keep its QR code.
    crate::web::qr::http_response(&url, image, "public, max-age=3600")
        .map_err(|e| PublishError::Internal(e.to_string()))
}

async fn image(
    State(s): State<Arc<PublicService>>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, PublishError> {
    let Some((kind, bytes)) = s.page_image(&slug, &id).await? else {
        return Ok(html(StatusCode::NOT_FOUND, pages::not_found()));
    };
    // An SVG opened directly must not run script or load anything.
    Ok((
        [
            (header::CONTENT_TYPE, kind),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; sandbox",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}

async fn verify_form() -> Response {
    html(StatusCode::OK, pages::verify_form())
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// The bytes to check: the file field when a file was chosen, else the text field; a plain
/// form's `text`; or the raw body.
fn upload_bytes(headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, UploadError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match media.as_str() {
        "multipart/form-data" => {
            let boundary = multipart::boundary(content_type)
                .map_err(|e| UploadError::BadForm(e.to_string()))?;
            let parts = multipart::parse(body, &boundary)
                .map_err(|e| UploadError::BadForm(e.to_string()))?;
            let file = parts
                .iter()
                .find(|p| p.name == "file" && !p.value.is_empty());
            let text = parts
                .iter()
                .find(|p| p.name == "text" && !p.value.iter().all(u8::is_ascii_whitespace));
            file.or(text)
                .map(|p| p.value.clone())
                .ok_or(UploadError::Empty)
        }
        "application/x-www-form-urlencoded" => url::form_urlencoded::parse(body)
            .find(|(k, _)| k == "text")
            .map(|(_, v)| v.into_owned().into_bytes())
            .filter(|v| !v.is_empty())
            .ok_or(UploadError::Empty),
        _ => Ok(body.to_vec()),
    }
}

async fn verify_upload(
    State(s): State<Arc<PublicService>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let json = wants_json(&headers);
    let bytes = match body {
        Ok(b) => upload_bytes(&headers, &b),
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(UploadError::TooLarge),
        Err(_) => Err(UploadError::BadForm("unreadable request body".into())),
    };
    let result = match bytes {
        Ok(bytes) => s.verify_upload(&bytes).await,
        Err(e) => Err(e),
    };
    let response = match result {
        Ok(verdict) if json => axum::Json(verdict).into_response(),
        Ok(verdict) => html(StatusCode::OK, pages::verify_result(&verdict)),
        Err(e) => {
            let status = match e {
                UploadError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            if json {
                (
                    status,
                    axum::Json(
                        json!({"error": "invalid_request", "error_description": e.to_string()}),
                    ),
                )
                    .into_response()
            } else {
                html(status, pages::verify_error(&e.to_string()))
            }
        }
    };
    no_store(response)
}
