//! HTTP routes: thin handlers that read the request, run one [`Service`] call (on the
//! blocking pool, or inline for the issuance protocol steps, see [`inline`]) and map its
//! result.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{AdminError, ProtocolError};
use crate::service::{Caller, PageRequest, Service};

/// Largest request body (JSON, forms).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Largest CSV upload.
pub const CSV_LIMIT: usize = 8 * 1024 * 1024;

type AppState = Arc<Service>;

/// The whole application.
pub fn router(service: Arc<Service>) -> Router {
    // One of each, shared by the API and the console pages.
    let jobs = Arc::new(crate::bulk::BulkJobs::new(Arc::clone(&service)));
    let verifier = Arc::new(crate::verifier::VerifierService::new(Arc::clone(&service)));
    let protocol = Router::new()
        .route(
            "/.well-known/openid-credential-issuer/issuers/{slug}",
            get(issuer_metadata),
        )
        .route(
            "/.well-known/oauth-authorization-server/issuers/{slug}",
            get(as_metadata),
        )
        .route(
            "/issuers/{slug}/.well-known/openid-credential-issuer",
            get(issuer_metadata),
        )
        .route(
            "/issuers/{slug}/.well-known/oauth-authorization-server",
            get(as_metadata),
        )
        .route("/issuers/{slug}/offers/{token}", get(offer))
        .route("/issuers/{slug}/token", post(token))
        .route("/issuers/{slug}/nonce", post(nonce))
        .route("/issuers/{slug}/credential", post(credential))
        .route("/issuers/{slug}/notification", post(notification))
        .route("/issuers/{slug}/did.json", get(did_document))
        .route("/issuers/{slug}/claim/{offer_id}", get(claim_page))
        .route(
            "/issuers/{slug}/claim/{offer_id}/qr.svg",
            get(|s, p| claim_qr(s, p, crate::qr::QrImage::Svg)),
        )
        .route(
            "/issuers/{slug}/claim/{offer_id}/qr.png",
            get(|s, p| claim_qr(s, p, crate::qr::QrImage::Png)),
        );
    let admin = Router::new()
        .route(
            "/admin/institutions",
            post(create_institution).get(list_institutions),
        )
        .route("/admin/openapi.json", get(openapi))
        .route(
            "/issuers/{slug}/admin/achievements",
            post(create_achievement).get(list_achievements),
        )
        .route(
            "/issuers/{slug}/admin/achievements/{id}",
            put(update_achievement),
        )
        .route(
            "/issuers/{slug}/admin/achievements/{id}/archive",
            post(archive_achievement),
        )
        .route("/issuers/{slug}/admin/institution", put(update_institution))
        .route(
            "/issuers/{slug}/admin/offers",
            post(create_offer).get(list_offers),
        )
        .route("/issuers/{slug}/admin/credentials", get(list_credentials))
        .route(
            "/issuers/{slug}/admin/credentials/{credential_id}/reissue",
            post(reissue_credential),
        );
    let bulk = Router::new()
        .route("/issuers/{slug}/admin/offers/bulk", post(bulk_offers))
        .layer(DefaultBodyLimit::max(CSV_LIMIT));
    Router::new()
        .route(
            "/health",
            get(|| async { axum::Json(json!({"status": "ok"})) }),
        )
        .merge(protocol)
        .merge(admin)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(bulk)
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"error": "not_found", "error_description": "no such endpoint"})),
            )
        })
        .method_not_allowed_fallback(|| async {
            (
                StatusCode::METHOD_NOT_ALLOWED,
                axum::Json(
                    json!({"error": "invalid_request", "error_description": "method not allowed"}),
                ),
            )
        })
        .with_state(Arc::clone(&service))
        .merge(crate::bulk::router(Arc::clone(&jobs)))
        .merge(crate::ui::router())
        .merge(crate::status::router(Arc::clone(&service)))
        .merge(crate::console::router(Arc::clone(&service)))
        .merge(crate::console::bulk::router(crate::console::bulk::Roles {
            service: Arc::clone(&service),
            jobs,
            verifier: Arc::clone(&verifier),
        }))
        .merge(crate::public::http::router(Arc::new(
            crate::public::PublicService::new(Arc::clone(&service)),
        )))
        .merge(crate::verifier::http::router(verifier))
}

/// `GET /health/ready`: 200 while every storage call returns in time; 503, with the stuck
/// calls, while one has not returned within the watchdog's limit (an engine deadlock or a
/// stalled disk). `/health` stays 200: the process is alive and serves what it can.
pub fn ready_router(watchdog: Arc<rosette_storage::watch::Watchdog>) -> Router {
    Router::new().route(
        "/health/ready",
        get(move || {
            let watchdog = Arc::clone(&watchdog);
            async move {
                let stuck = watchdog.stuck();
                if stuck.is_empty() {
                    return (StatusCode::OK, axum::Json(json!({"status": "ready"})));
                }
                let calls: Vec<Value> = stuck
                    .iter()
                    .map(|c| {
                        json!({
                            "operation": c.operation,
                            "running_seconds": c.running_for.as_secs_f64(),
                        })
                    })
                    .collect();
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    axum::Json(json!({
                        "status": "unready",
                        "reason": format!(
                            "{} storage call(s) have not returned within {} s",
                            stuck.len(),
                            watchdog.stall_after().as_secs_f64()
                        ),
                        "stuck_storage_calls": calls,
                    })),
                )
            }
        }),
    )
}

/// Runs `f` on the blocking pool (storage and signing block).
pub(crate) async fn blocking<S, T, E, F>(state: &Arc<S>, f: F) -> Result<T, E>
where
    S: Send + Sync + 'static,
    T: Send + 'static,
    E: Send + 'static + From<tokio::task::JoinError>,
    F: FnOnce(&S) -> Result<T, E> + Send + 'static,
{
    let service = Arc::clone(state);
    tokio::task::spawn_blocking(move || f(&service)).await?
}

/// Runs an issuance-protocol call (`offer`, `token`, `nonce`, `credential`) on the async
/// worker itself: each is bounded CPU work on in-memory storage (sled writes to disk in its
/// own threads), at most a few hundred microseconds, and handing it to the blocking pool
/// cost more in thread switches than the call itself (measured: about half of the agent's
/// CPU per flow went to context switches).
fn inline<T, F>(state: &AppState, f: F) -> Result<T, ProtocolError>
where
    F: FnOnce(&Service) -> Result<T, ProtocolError>,
{
    f(state)
}

impl From<tokio::task::JoinError> for ProtocolError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Issuance(format!("worker failed: {e}"))
    }
}

impl From<tokio::task::JoinError> for AdminError {
    fn from(e: tokio::task::JoinError) -> Self {
        Self::Internal(format!("worker failed: {e}"))
    }
}

fn protocol_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, ProtocolError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ProtocolError::PayloadTooLarge
        } else {
            ProtocolError::BadBody
        }
    })
}

fn admin_body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, AdminError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AdminError::PayloadTooLarge
        } else {
            AdminError::Invalid("unreadable request body".into())
        }
    })
}

fn authorization(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn json_no_store(status: StatusCode, body: impl serde::Serialize) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

// ------------------------------------------------------------------ OpenID4VCI

async fn issuer_metadata(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, ProtocolError> {
    let metadata = blocking(&s, move |s| s.issuer_metadata(&slug)).await?;
    Ok(axum::Json(metadata).into_response())
}

async fn as_metadata(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, ProtocolError> {
    let metadata = blocking(&s, move |s| s.as_metadata(&slug)).await?;
    Ok(axum::Json(metadata).into_response())
}

async fn offer(
    State(s): State<AppState>,
    Path((slug, token)): Path<(String, String)>,
) -> Result<Response, ProtocolError> {
    let offer = inline(&s, move |s| s.offer_by_token(&slug, &token))?;
    Ok(json_no_store(StatusCode::OK, offer))
}

async fn token(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ProtocolError> {
    let body = protocol_body(body)?;
    let response = inline(&s, move |s| s.token(&slug, &body))?;
    Ok(json_no_store(StatusCode::OK, response))
}

async fn nonce(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, ProtocolError> {
    let response = inline(&s, move |s| s.nonce(&slug))?;
    Ok(json_no_store(StatusCode::OK, response))
}

async fn credential(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ProtocolError> {
    let auth = authorization(&headers);
    let body = protocol_body(body)?;
    let response = inline(&s, move |s| s.credential(&slug, auth.as_deref(), &body))?;
    Ok(json_no_store(StatusCode::OK, response))
}

async fn notification(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ProtocolError> {
    let auth = authorization(&headers);
    let body = protocol_body(body)?;
    blocking(&s, move |s| s.notification(&slug, auth.as_deref(), &body)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn did_document(
    State(s): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Response, ProtocolError> {
    let doc = blocking(&s, move |s| s.did_document(&slug)).await?;
    let mut response = axum::Json(doc).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/did+json"),
    );
    Ok(response)
}

// ------------------------------------------------------------------ claim page

async fn claim_page(
    State(s): State<AppState>,
    Path((slug, offer_id)): Path<(String, String)>,
) -> Response {
    let id = offer_id.clone();
    match blocking(&s, move |s| s.claim_view(&slug, &offer_id)).await {
        Ok(view) => crate::pages::claim(&view, &id),
        Err(ProtocolError::NotFound) => {
            crate::ui::render(StatusCode::NOT_FOUND, &crate::pages::OfferNotFound)
        }
        Err(e) => e.into_response(),
    }
}

async fn claim_offer_url(
    s: &AppState,
    slug: String,
    offer_id: String,
) -> Result<String, ProtocolError> {
    let view = blocking(s, move |s| s.claim_view(&slug, &offer_id)).await?;
    view.offer_url.ok_or(ProtocolError::NotFound)
}

async fn claim_qr(
    State(s): State<AppState>,
    Path((slug, offer_id)): Path<(String, String)>,
    image: crate::qr::QrImage,
) -> Result<Response, ProtocolError> {
    let url = claim_offer_url(&s, slug, offer_id).await?;
    crate::qr::http_response(&url, image, "no-store")
        .map_err(|e| ProtocolError::Issuance(e.to_string()))
}

// ------------------------------------------------------------------ admin

fn admin_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AdminError> {
    serde_json::from_slice(body).map_err(|e| AdminError::Invalid(format!("invalid JSON body: {e}")))
}

/// Authenticates the caller and checks it may act on `slug`.
fn scoped(s: &Service, headers_auth: Option<&str>, slug: &str) -> Result<Caller, AdminError> {
    let caller = s.authenticate(bearer(headers_auth))?;
    s.authorize(&caller, slug)?;
    Ok(caller)
}

/// The token of an `Authorization: Bearer …` header (scheme case-insensitive), if any.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<String> {
    bearer(headers.get(header::AUTHORIZATION)?.to_str().ok()).map(str::to_owned)
}

fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

async fn create_institution(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let body = admin_body(body)?;
    let created = blocking(&s, move |s| {
        if s.authenticate(bearer(auth.as_deref()))? != Caller::Operator {
            return Err(AdminError::Forbidden);
        }
        s.create_institution(admin_json(&body)?)
    })
    .await?;
    Ok(json_no_store(StatusCode::CREATED, created))
}

/// `?limit=&cursor=` of the paged admin listings.
#[derive(Debug, Deserialize)]
struct PageQuery {
    limit: Option<usize>,
    cursor: Option<String>,
}

impl PageQuery {
    fn page(self) -> PageRequest {
        PageRequest {
            limit: self.limit,
            cursor: self.cursor,
        }
    }
}

async fn list_institutions(
    State(s): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let Query(query) = query.map_err(|e| AdminError::Invalid(e.body_text()))?;
    let page = blocking(&s, move |s| {
        if s.authenticate(bearer(auth.as_deref()))? != Caller::Operator {
            return Err(AdminError::Forbidden);
        }
        s.list_institutions(&query.page())
    })
    .await?;
    Ok(axum::Json(page).into_response())
}

async fn create_achievement(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let body = admin_body(body)?;
    let created = blocking(&s, move |s| {
        scoped(s, auth.as_deref(), &slug)?;
        s.create_achievement(&slug, admin_json(&body)?)
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(created)).into_response())
}

async fn list_achievements(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let list = blocking(&s, move |s| {
        scoped(s, auth.as_deref(), &slug)?;
        s.list_achievements(&slug)
    })
    .await?;
    Ok(axum::Json(json!({"achievements": list})).into_response())
}

async fn update_achievement(
    State(s): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let body = admin_body(body)?;
    let updated = blocking(&s, move |s| {
        scoped(s, auth.as_deref(), &slug)?;
        s.update_achievement(&slug, &id, admin_json(&body)?)
    })
    .await?;
    Ok(axum::Json(updated).into_response())
}

async fn update_institution(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let body = admin_body(body)?;
    let updated = blocking(&s, move |s| {
        scoped(s, auth.as_deref(), &slug)?;
        s.update_institution_display(&slug, admin_json(&body)?)
    })
    .await?;
    Ok(axum::Json(updated).into_response())
}

async fn archive_achievement(
    State(s): State<AppState>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let archived = blocking(&s, move |s| {
        scoped(s, auth.as_deref(), &slug)?;
        s.archive_achievement(&slug, &id)
    })
    .await?;
    Ok(axum::Json(archived).into_response())
}

async fn create_offer(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let body = admin_body(body)?;
    let created = blocking(&s, move |s| {
        scoped(s, auth.as_deref(), &slug)?;
        s.create_offer(&slug, admin_json(&body)?)
    })
    .await?;
    Ok(json_no_store(StatusCode::CREATED, created))
}

async fn reissue_credential(
    State(s): State<AppState>,
    Path((slug, credential_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let body = admin_body(body)?;
    let created = blocking(&s, move |s| {
        scoped(s, auth.as_deref(), &slug)?;
        // The body is optional: empty means every default.
        let input = if body.iter().all(u8::is_ascii_whitespace) {
            crate::service::ReissueInput::default()
        } else {
            admin_json(&body)?
        };
        s.reissue(&slug, &credential_id, input)
    })
    .await?;
    Ok(json_no_store(StatusCode::CREATED, created))
}

async fn bulk_offers(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let body = admin_body(body)?;
    let result = blocking(&s, move |s| {
        scoped(s, auth.as_deref(), &slug)?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| AdminError::Invalid("the CSV is not UTF-8".into()))?;
        s.bulk_offers(&slug, text)
    })
    .await?;
    Ok(json_no_store(StatusCode::OK, result))
}

#[derive(Debug, Deserialize)]
struct OfferQuery {
    state: Option<String>,
    limit: Option<usize>,
    cursor: Option<String>,
}

async fn list_offers(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    query: Result<Query<OfferQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let Query(query) = query.map_err(|e| AdminError::Invalid(e.body_text()))?;
    let page = blocking(&s, move |s| {
        scoped(s, auth.as_deref(), &slug)?;
        let page = PageRequest {
            limit: query.limit,
            cursor: query.cursor,
        };
        s.list_offers(&slug, query.state.as_deref(), &page)
    })
    .await?;
    Ok(axum::Json(page).into_response())
}

async fn list_credentials(
    State(s): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let Query(query) = query.map_err(|e| AdminError::Invalid(e.body_text()))?;
    let page = blocking(&s, move |s| {
        scoped(s, auth.as_deref(), &slug)?;
        s.list_credentials(&slug, &query.page())
    })
    .await?;
    Ok(axum::Json(page).into_response())
}

async fn openapi() -> Response {
    let doc: Value =
        serde_json::from_str(include_str!("openapi.json")).unwrap_or_else(|_| json!({}));
    axum::Json(doc).into_response()
}
