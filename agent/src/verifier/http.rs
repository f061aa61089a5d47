//! Routes of the verifier role and the one mapping of [`VerifierError`] to HTTP.
//!
//! | Route | Who | What |
//! |---|---|---|
//! | `POST /verifiers/{slug}/admin/presentation-requests` | admin token | create a request from a template |
//! | `GET /verifiers/{slug}/admin/presentation-requests` | admin token | list requests and verdicts |
//! | `POST /verifiers/{slug}/admin/templates` | admin token | store a template |
//! | `GET /verifiers/{slug}/admin/templates` | admin token | list templates |
//! | `DELETE /verifiers/{slug}/admin/templates/{id}` | admin token | delete a template |
//! | `POST /verifiers/{slug}/admin/templates/{id}/requests` | admin token | a request from a template |
//! | `GET /verifiers/{slug}/new` | browser | form that creates a request (asks for the admin token) |
//! | `GET,POST /verifiers/{slug}/requests/{id}` | wallet | the signed request object (`request_uri`, re-fetchable) |
//! | `POST /verifiers/{slug}/response` | wallet | `direct_post` (`response_uri`) |
//! | `GET /verifiers/{slug}/transactions/{transaction_id}` | page | poll: status and verdict (JSON) |
//! | `GET /verifiers/{slug}/present/{transaction_id}[/qr.svg,/qr.png]` | browser | QR, then the verdict |
//! | `GET /verifiers/{slug}/present/{transaction_id}/result` | page | poll: status and the verdict fragment |

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use super::pages;
use super::service::{NewPresentationRequest, VerifierError, VerifierService};
use super::templates::{NewTemplate, VerifierTemplate};
use crate::app::AppState;
use crate::error::AdminError;
use crate::web::auth::bearer_token;
use crate::web::blocking;

/// The verifier routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/verifiers/{slug}/admin/presentation-requests",
            post(create_request).get(list_requests),
        )
        .route(
            "/verifiers/{slug}/admin/templates",
            post(create_template).get(list_templates),
        )
        .route(
            "/verifiers/{slug}/admin/templates/{id}",
            axum::routing::delete(delete_template),
        )
        .route(
            "/verifiers/{slug}/admin/templates/{id}/requests",
            post(request_from_template),
        )
        .route(
            "/verifiers/{slug}/new",
            get(new_request_page).post(new_request_form),
        )
        .route(
            "/verifiers/{slug}/requests/{id}",
            get(request_object_get).post(request_object_post),
        )
        .route(
            "/verifiers/{slug}/response",
            // Answers wait their turn before their body is read (see the /verify route).
            post(direct_post).layer(tower::limit::ConcurrencyLimitLayer::new(
                crate::directory::MAX_CONCURRENT_VERIFICATIONS,
            )),
        )
        .route("/verifiers/{slug}/transactions/{transaction_id}", get(poll))
        .route(
            "/verifiers/{slug}/present/{transaction_id}",
            get(present_page),
        )
        .route(
            "/verifiers/{slug}/present/{transaction_id}/result",
            get(present_result),
        )
        .route(
            "/verifiers/{slug}/present/{transaction_id}/qr.svg",
            get(|s, p| qr(s, p, crate::web::qr::QrImage::Svg)),
        )
        .route(
            "/verifiers/{slug}/present/{transaction_id}/qr.png",
            get(|s, p| qr(s, p, crate::web::qr::QrImage::Png)),
        )
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
}

/// Largest request body of the verifier routes: a `vp_token` with a few Data Integrity
/// credentials fits many times over.
pub const BODY_LIMIT: usize = 256 * 1024;

impl IntoResponse for VerifierError {
    fn into_response(self) -> Response {
        let (status, body) = match &self {
            Self::Response(e) => {
                let (status, body) = e.to_wire();
                if status >= 500 {
                    tracing::error!(error = %e, "verifier state is inconsistent");
                }
                (
                    StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
                    serde_json::to_value(body).unwrap_or_else(|_| json!({"error": "server_error"})),
                )
            }
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                json!({"error": "not_found", "error_description": "no such request, or it has expired or been answered"}),
            ),
            Self::Storage(e) if crate::web::error::is_unavailable(e) => {
                tracing::warn!(error = %self, "verifier request: database unavailable");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    crate::web::error::unavailable_body(),
                )
            }
            Self::Storage(_) | Self::Internal(_) => {
                tracing::error!(error = %self, "verifier request failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "server_error", "error_description": "internal error"}),
                )
            }
        };
        no_store((status, axum::Json(body)).into_response())
    }
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl From<tokio::task::JoinError> for VerifierError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Internal(format!("worker failed: {e}"))
    }
}

async fn create_request(
    State(s): State<Arc<VerifierService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let token = bearer_token(&headers);
    let body = crate::web::error::admin_body(body)?;
    let created = blocking(&s, move |s| {
        s.directory().authorize_token(token.as_deref(), &slug)?;
        let input: NewPresentationRequest = serde_json::from_slice(&body)
            .map_err(|e| AdminError::Invalid(format!("invalid JSON body: {e}")))?;
        s.create_request(&slug, input)
    })
    .await?;
    Ok(no_store(
        (StatusCode::CREATED, axum::Json(created)).into_response(),
    ))
}

async fn list_requests(
    State(s): State<Arc<VerifierService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let token = bearer_token(&headers);
    let list = blocking(&s, move |s| {
        s.directory().authorize_token(token.as_deref(), &slug)?;
        s.list_requests(&slug)
    })
    .await?;
    Ok(no_store(
        axum::Json(json!({"presentation_requests": list})).into_response(),
    ))
}

async fn create_template(
    State(s): State<Arc<VerifierService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let token = bearer_token(&headers);
    let body = crate::web::error::admin_body(body)?;
    let created = blocking(&s, move |s| {
        s.directory().authorize_token(token.as_deref(), &slug)?;
        let input: NewTemplate = serde_json::from_slice(&body)
            .map_err(|e| AdminError::Invalid(format!("invalid JSON body: {e}")))?;
        s.create_template(&slug, input)
    })
    .await?;
    Ok(no_store(
        (StatusCode::CREATED, axum::Json(created.to_json())).into_response(),
    ))
}

async fn list_templates(
    State(s): State<Arc<VerifierService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let token = bearer_token(&headers);
    let list = blocking(&s, move |s| {
        s.directory().authorize_token(token.as_deref(), &slug)?;
        s.list_templates(&slug)
    })
    .await?;
    let list: Vec<_> = list.iter().map(VerifierTemplate::to_json).collect();
    Ok(no_store(
        axum::Json(json!({"templates": list})).into_response(),
    ))
}

async fn delete_template(
    State(s): State<Arc<VerifierService>>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let token = bearer_token(&headers);
    blocking(&s, move |s| {
        s.directory().authorize_token(token.as_deref(), &slug)?;
        s.delete_template(&slug, &id)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn request_from_template(
    State(s): State<Arc<VerifierService>>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let token = bearer_token(&headers);
    let created = blocking(&s, move |s| {
        s.directory().authorize_token(token.as_deref(), &slug)?;
        s.request_from_template(&slug, &id)
    })
    .await?;
    Ok(no_store(
        (StatusCode::CREATED, axum::Json(created)).into_response(),
    ))
}

async fn new_request_page(
    State(s): State<Arc<VerifierService>>,
    Path(slug): Path<String>,
) -> Result<Response, VerifierError> {
    let page_slug = slug.clone();
    let name = blocking(&s, move |s| s.institution_name(&page_slug)).await?;
    Ok(no_store(pages::new_request(&slug, &name)))
}

/// `POST /verifiers/{slug}/new`: the form without its script (the script calls the admin API
/// itself). The admin token travels in the body, never in a URL; success goes to the request
/// page, a refusal shows the form again with the reason.
async fn new_request_form(
    State(s): State<Arc<VerifierService>>,
    Path(slug): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let fields: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let token = field("token");
    let input = NewPresentationRequest {
        achievement_id: field("achievement_id"),
        achievement_name: field("achievement_name"),
        trusted_issuers: field("trusted")
            .map(|t| {
                t.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        formats: ["ldp_vc", "jwt_vc_json"]
            .into_iter()
            .filter(|f| field(f).is_some())
            .map(str::to_owned)
            .collect(),
        mode: field("mode").and_then(|m| serde_json::from_value(serde_json::Value::String(m)).ok()),
        expires_in_seconds: None,
    };
    let page_slug = slug.clone();
    let created = blocking(&s, move |s| {
        s.directory()
            .authorize_token(token.as_deref(), &page_slug)?;
        s.create_request(&page_slug, input)
    })
    .await;
    match created {
        Ok(created) => axum::response::Redirect::to(&created.page).into_response(),
        Err(e) => {
            let (status, why) = match &e {
                AdminError::Unauthorized | AdminError::Forbidden => (
                    StatusCode::UNAUTHORIZED,
                    "That admin token does not belong to this institution.".to_owned(),
                ),
                AdminError::NotFound(_) => (StatusCode::NOT_FOUND, e.to_string()),
                AdminError::Invalid(why) => (StatusCode::BAD_REQUEST, why.clone()),
                _ => return e.into_response(),
            };
            let name_slug = slug.clone();
            let name = blocking(&s, move |s| s.institution_name(&name_slug))
                .await
                .unwrap_or_else(|_| slug.clone());
            no_store(pages::new_request_with(status, &slug, &name, Some(why)))
        }
    }
}

fn jwt_response(jwt: String) -> Response {
    no_store(
        (
            [(
                header::CONTENT_TYPE,
                rosette_oid4vp::REQUEST_OBJECT_MEDIA_TYPE,
            )],
            jwt,
        )
            .into_response(),
    )
}

async fn request_object_get(
    State(s): State<Arc<VerifierService>>,
    Path((slug, id)): Path<(String, String)>,
) -> Result<Response, VerifierError> {
    let jwt = blocking(&s, move |s| s.request_object(&slug, &id, None)).await?;
    Ok(jwt_response(jwt))
}

/// §5.10.1: `request_uri_method=post` with an optional `wallet_nonce` to echo.
async fn request_object_post(
    State(s): State<Arc<VerifierService>>,
    Path((slug, id)): Path<(String, String)>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, VerifierError> {
    let body = body.map_err(|_| rosette_oid4vp::ResponseError::MalformedBody)?;
    let wallet_nonce = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "wallet_nonce")
        .map(|(_, v)| v.into_owned());
    let jwt = blocking(&s, move |s| s.request_object(&slug, &id, wallet_nonce)).await?;
    Ok(jwt_response(jwt))
}

async fn direct_post(
    State(s): State<Arc<VerifierService>>,
    Path(slug): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, VerifierError> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            rosette_oid4vp::ResponseError::BodyTooLarge
        } else {
            rosette_oid4vp::ResponseError::MalformedBody
        }
    })?;
    let ack = Arc::clone(&s).direct_post(slug, body.to_vec()).await?;
    Ok(no_store(axum::Json(ack).into_response()))
}

async fn poll(
    State(s): State<Arc<VerifierService>>,
    Path((slug, transaction_id)): Path<(String, String)>,
) -> Result<Response, VerifierError> {
    let answer = blocking(&s, move |s| s.poll(&slug, &transaction_id)).await?;
    Ok(no_store(axum::Json(answer).into_response()))
}

async fn present_page(
    State(s): State<Arc<VerifierService>>,
    Path((slug, transaction_id)): Path<(String, String)>,
) -> Response {
    let (page_slug, tx) = (slug.clone(), transaction_id.clone());
    let found = blocking(&s, move |s| {
        let name = s.institution_name(&page_slug)?;
        let answer = s.poll(&page_slug, &tx)?;
        Ok::<_, VerifierError>((name, answer))
    })
    .await;
    match found {
        Ok((name, answer)) => no_store(pages::present(&slug, &transaction_id, &name, &answer)),
        Err(VerifierError::NotFound) => no_store(pages::not_found()),
        Err(e) => e.into_response(),
    }
}

/// The request page's poll: `{status, html?}` (the verdict fragment once answered).
async fn present_result(
    State(s): State<Arc<VerifierService>>,
    Path((slug, transaction_id)): Path<(String, String)>,
) -> Result<Response, VerifierError> {
    let answer = blocking(&s, move |s| s.poll(&slug, &transaction_id)).await?;
    Ok(no_store(
        axum::Json(pages::result_json(&answer)).into_response(),
    ))
}

async fn qr(
    State(s): State<Arc<VerifierService>>,
    Path((slug, transaction_id)): Path<(String, String)>,
    image: crate::web::qr::QrImage,
) -> Result<Response, VerifierError> {
    let url = blocking(&s, move |s| s.pending_request_url(&slug, &transaction_id)).await?;
    crate::web::qr::http_response(&url, image, "no-store")
        .map_err(|e| VerifierError::Internal(e.to_string()))
}
