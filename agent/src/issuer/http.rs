//! The issuer's routes: thin handlers that read the request, run one [`IssuerService`] call
//! (on the blocking pool, or inline for the issuance protocol steps, see `inline`) and map
//! its result: the OpenID4VCI endpoints, the claim page, and the admin API for institutions,
//! achievements, offers and bulk jobs.

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

use super::bulk::BulkJobs;
use super::service::{IssuerService, PageRequest};
use crate::app::AppState;
use crate::directory::Caller;
use crate::error::{AdminError, ProtocolError};
use crate::web::auth::{authorization, bearer, bearer_token};
use crate::web::error::{admin_body, admin_json, protocol_body};
use crate::web::ui::render;
use crate::web::{BODY_LIMIT, CSV_LIMIT, blocking, json_no_store, no_store};

/// The issuer's routes.
pub(crate) fn router() -> Router<AppState> {
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
        .route(
            "/issuers/{slug}/token",
            post(token).layer(axum::Extension(Arc::new(
                crate::web::limits::PinGuard::default(),
            ))),
        )
        .route("/issuers/{slug}/nonce", post(nonce))
        .route("/issuers/{slug}/credential", post(credential))
        .route("/issuers/{slug}/notification", post(notification))
        .route("/issuers/{slug}/did.json", get(did_document))
        .route("/issuers/{slug}/claim/{offer_id}", get(claim_page))
        .route(
            "/issuers/{slug}/claim/{offer_id}/qr.svg",
            get(|s, p| claim_qr(s, p, crate::web::qr::QrImage::Svg)),
        )
        .route(
            "/issuers/{slug}/claim/{offer_id}/qr.png",
            get(|s, p| claim_qr(s, p, crate::web::qr::QrImage::Png)),
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
            "/issuers/{slug}/admin/tokens",
            get(list_tokens).post(create_token),
        )
        .route(
            "/issuers/{slug}/admin/tokens/{id}",
            axum::routing::delete(revoke_token),
        )
        .route(
            "/issuers/{slug}/admin/tokens/{id}/rotate",
            post(rotate_token),
        )
        .route(
            "/issuers/{slug}/admin/credentials/{credential_id}/reissue",
            post(reissue_credential),
        );
    let bulk = Router::new().route("/issuers/{slug}/admin/offers/bulk", post(bulk_offers));
    let bulk_jobs = Router::new()
        .route("/issuers/{slug}/admin/offers/bulk-jobs", post(start_job))
        .route(
            "/issuers/{slug}/admin/offers/bulk-jobs/{id}",
            get(job_progress),
        );
    protocol
        .merge(admin)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .merge(
            bulk.merge(bulk_jobs)
                .layer(DefaultBodyLimit::max(CSV_LIMIT)),
        )
}

/// Runs an issuance-protocol call (`offer`, `token`, `nonce`, `credential`) on the async
/// worker itself: each is a few hundred microseconds of CPU plus, for the writing steps, a
/// wait for the store's group-committed fsync; the agent runs many request threads (see
/// `default_workers` in `main.rs`) so that the waiting writes join one group. Handing a step to
/// the blocking pool cost more in thread switches than the step itself (measured: about half
/// of the agent's CPU per flow went to context switches).
fn inline<T, F>(state: &IssuerService, f: F) -> Result<T, ProtocolError>
where
    F: FnOnce(&IssuerService) -> Result<T, ProtocolError>,
{
    f(state)
}

// ------------------------------------------------------------------ OpenID4VCI

async fn issuer_metadata(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
) -> Result<Response, ProtocolError> {
    let metadata = blocking(&s, move |s| s.issuer_metadata(&slug)).await?;
    Ok(axum::Json(metadata).into_response())
}

async fn as_metadata(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
) -> Result<Response, ProtocolError> {
    let metadata = blocking(&s, move |s| s.as_metadata(&slug)).await?;
    Ok(axum::Json(metadata).into_response())
}

async fn offer(
    State(s): State<Arc<IssuerService>>,
    Path((slug, token)): Path<(String, String)>,
) -> Result<Response, ProtocolError> {
    let offer = inline(&s, move |s| s.offer_by_token(&slug, &token))?;
    Ok(json_no_store(StatusCode::OK, offer))
}

async fn token(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
    pins: Option<axum::Extension<Arc<crate::web::limits::PinGuard>>>,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Response> {
    let body = protocol_body(body).map_err(IntoResponse::into_response)?;
    // One client's wrong PINs for one code are counted here, before the offer's own count:
    // see crate::web::limits for why a stranger cannot lock the learner out.
    let client = crate::web::limits::client_address(
        peer.map(|p| p.0.0.ip()),
        &headers,
        &s.directory().settings().rate_limits,
    );
    let code = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == "pre-authorized_code")
        .map(|(_, v)| rosette_oid4vci::SecretHash::of(&v).to_hex());
    let guard = pins.map(|p| p.0);
    let now = std::time::Instant::now();
    if let (Some(guard), Some(client), Some(code)) = (&guard, client, &code)
        && let Err(wait) = guard.check(client, code, now)
    {
        return Err(crate::web::limits::too_many(wait));
    }
    match inline(&s, move |s| s.token(&slug, &body)) {
        Ok(response) => Ok(json_no_store(StatusCode::OK, response)),
        Err(e) => {
            if let (
                ProtocolError::Token(rosette_oid4vci::TokenError::WrongTxCode { .. }),
                Some(guard),
                Some(client),
                Some(code),
            ) = (&e, &guard, client, &code)
            {
                guard.failed(client, code, now);
            }
            Err(e.into_response())
        }
    }
}

async fn nonce(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ProtocolError> {
    // The nonce endpoint takes no body; one past the limit is refused like everywhere else.
    protocol_body(body)?;
    let response = inline(&s, move |s| s.nonce(&slug))?;
    Ok(json_no_store(StatusCode::OK, response))
}

async fn credential(
    State(s): State<Arc<IssuerService>>,
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
    State(s): State<Arc<IssuerService>>,
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
    State(s): State<Arc<IssuerService>>,
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
    State(s): State<Arc<IssuerService>>,
    Path((slug, offer_id)): Path<(String, String)>,
) -> Response {
    let id = offer_id.clone();
    match blocking(&s, move |s| s.claim_view(&slug, &offer_id)).await {
        Ok(view) => super::pages::claim(&view, &id),
        Err(ProtocolError::NotFound) => render(StatusCode::NOT_FOUND, &super::pages::OfferNotFound),
        Err(e) => e.into_response(),
    }
}

async fn claim_offer_url(
    s: &Arc<IssuerService>,
    slug: String,
    offer_id: String,
) -> Result<String, ProtocolError> {
    let view = blocking(s, move |s| s.claim_view(&slug, &offer_id)).await?;
    view.offer_url.ok_or(ProtocolError::NotFound)
}

async fn claim_qr(
    State(s): State<Arc<IssuerService>>,
    Path((slug, offer_id)): Path<(String, String)>,
    image: crate::web::qr::QrImage,
) -> Result<Response, ProtocolError> {
    let url = claim_offer_url(&s, slug, offer_id).await?;
    crate::web::qr::http_response(&url, image, "no-store")
        .map_err(|e| ProtocolError::Issuance(e.to_string()))
}

// ------------------------------------------------------------------ admin

async fn create_institution(
    State(s): State<Arc<IssuerService>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let body = admin_body(body)?;
    let created = blocking(&s, move |s| {
        if s.directory().authenticate(bearer(auth.as_deref()))? != Caller::Operator {
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
    State(s): State<Arc<IssuerService>>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AdminError> {
    let auth = authorization(&headers);
    let Query(query) = query.map_err(|e| AdminError::Invalid(e.body_text()))?;
    let page = blocking(&s, move |s| {
        if s.directory().authenticate(bearer(auth.as_deref()))? != Caller::Operator {
            return Err(AdminError::Forbidden);
        }
        s.list_institutions(&query.page())
    })
    .await?;
    Ok(axum::Json(page).into_response())
}

async fn create_achievement(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let body = admin_body(body)?;
    let created = as_admin(&s, &headers, slug, move |s, slug| {
        s.create_achievement(slug, admin_json(&body)?)
    })
    .await?;
    Ok((StatusCode::CREATED, axum::Json(created)).into_response())
}

async fn list_achievements(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let list = as_admin(&s, &headers, slug, move |s, slug| s.list_achievements(slug)).await?;
    Ok(axum::Json(json!({"achievements": list})).into_response())
}

async fn update_achievement(
    State(s): State<Arc<IssuerService>>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let body = admin_body(body)?;
    let updated = as_admin(&s, &headers, slug, move |s, slug| {
        s.update_achievement(slug, &id, admin_json(&body)?)
    })
    .await?;
    Ok(axum::Json(updated).into_response())
}

async fn update_institution(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let body = admin_body(body)?;
    let updated = as_admin(&s, &headers, slug, move |s, slug| {
        s.update_institution_display(slug, admin_json(&body)?)
    })
    .await?;
    Ok(axum::Json(updated).into_response())
}

async fn archive_achievement(
    State(s): State<Arc<IssuerService>>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let archived = as_admin(&s, &headers, slug, move |s, slug| {
        s.archive_achievement(slug, &id)
    })
    .await?;
    Ok(axum::Json(archived).into_response())
}

async fn create_offer(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let body = admin_body(body)?;
    let created = as_admin(&s, &headers, slug, move |s, slug| {
        s.create_offer(slug, admin_json(&body)?)
    })
    .await?;
    Ok(json_no_store(StatusCode::CREATED, created))
}

async fn reissue_credential(
    State(s): State<Arc<IssuerService>>,
    Path((slug, credential_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let body = admin_body(body)?;
    let created = as_admin(&s, &headers, slug, move |s, slug| {
        // The body is optional: empty means every default.
        let input = if body.iter().all(u8::is_ascii_whitespace) {
            super::offers::ReissueInput::default()
        } else {
            admin_json(&body)?
        };
        s.reissue(slug, &credential_id, input)
    })
    .await?;
    Ok(json_no_store(StatusCode::CREATED, created))
}

async fn bulk_offers(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let body = admin_body(body)?;
    let result = as_admin(&s, &headers, slug, move |s, slug| {
        let text = std::str::from_utf8(&body)
            .map_err(|_| AdminError::Invalid("the CSV is not UTF-8".into()))?;
        s.bulk_offers(slug, text)
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
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    query: Result<Query<OfferQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AdminError> {
    let Query(query) = query.map_err(|e| AdminError::Invalid(e.body_text()))?;
    let page = as_admin(&s, &headers, slug, move |s, slug| {
        let page = PageRequest {
            limit: query.limit,
            cursor: query.cursor,
        };
        s.list_offers(slug, query.state.as_deref(), &page)
    })
    .await?;
    Ok(axum::Json(page).into_response())
}

async fn list_credentials(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    query: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AdminError> {
    let Query(query) = query.map_err(|e| AdminError::Invalid(e.body_text()))?;
    let page = as_admin(&s, &headers, slug, move |s, slug| {
        s.list_credentials(slug, &query.page())
    })
    .await?;
    Ok(axum::Json(page).into_response())
}

async fn list_tokens(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let list = as_admin(&s, &headers, slug, move |s, slug| s.list_admin_tokens(slug)).await?;
    Ok(json_no_store(StatusCode::OK, list))
}

async fn create_token(
    State(s): State<Arc<IssuerService>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    let body = admin_body(body)?;
    let created = as_admin(&s, &headers, slug, move |s, slug| {
        let input: super::tokens::NewToken = if body.is_empty() {
            super::tokens::NewToken::default()
        } else {
            admin_json(&body)?
        };
        s.create_admin_token(slug, input)
    })
    .await?;
    Ok(json_no_store(StatusCode::CREATED, created))
}

async fn revoke_token(
    State(s): State<Arc<IssuerService>>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    as_admin(&s, &headers, slug, move |s, slug| {
        s.revoke_admin_token(slug, &id)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn rotate_token(
    State(s): State<Arc<IssuerService>>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let rotated = as_admin(&s, &headers, slug, move |s, slug| {
        s.rotate_admin_token(slug, &id)
    })
    .await?;
    Ok(json_no_store(StatusCode::CREATED, rotated))
}

/// Runs `f` on the blocking pool once the caller's bearer token may act on `slug`: the one
/// authorization of every institution admin route.
async fn as_admin<T, F>(
    s: &Arc<IssuerService>,
    headers: &HeaderMap,
    slug: String,
    f: F,
) -> Result<T, AdminError>
where
    T: Send + 'static,
    F: FnOnce(&IssuerService, &str) -> Result<T, AdminError> + Send + 'static,
{
    let auth = authorization(headers);
    blocking(s, move |s| {
        s.directory()
            .authorize_token(bearer(auth.as_deref()), &slug)?;
        f(s, &slug)
    })
    .await
}

async fn openapi() -> Response {
    let doc: Value =
        serde_json::from_str(include_str!("../openapi.json")).unwrap_or_else(|_| json!({}));
    axum::Json(doc).into_response()
}

// ------------------------------------------------------------------ bulk jobs

/// Authenticates and authorizes on the blocking pool (token lookups read storage).
async fn authorize(
    jobs: &Arc<BulkJobs>,
    headers: &HeaderMap,
    slug: &str,
) -> Result<(), AdminError> {
    let (service, token, slug) = (
        Arc::clone(jobs.service().directory()),
        bearer_token(headers),
        slug.to_owned(),
    );
    tokio::task::spawn_blocking(move || service.authorize_token(token.as_deref(), &slug).map(drop))
        .await
        .map_err(|e| AdminError::Internal(format!("worker failed: {e}")))?
}

async fn start_job(
    State(jobs): State<Arc<BulkJobs>>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, AdminError> {
    authorize(&jobs, &headers, &slug).await?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AdminError::PayloadTooLarge
        } else {
            AdminError::Invalid("unreadable request body".into())
        }
    })?;
    // Parsing a large upload is CPU work: off the async workers.
    let (pool_jobs, pool_slug) = (Arc::clone(&jobs), slug.clone());
    let started = tokio::task::spawn_blocking(move || pool_jobs.start(&pool_slug, &body))
        .await
        .map_err(|e| AdminError::Internal(format!("worker failed: {e}")))??;
    let location = format!("/issuers/{slug}/admin/offers/bulk-jobs/{}", started.job_id);
    let mut response = no_store((StatusCode::ACCEPTED, axum::Json(started)).into_response());
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    Ok(response)
}

async fn job_progress(
    State(jobs): State<Arc<BulkJobs>>,
    Path((slug, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    authorize(&jobs, &headers, &slug).await?;
    let progress = jobs
        .progress(&slug, &id, true)
        .ok_or(AdminError::NotFound("bulk job"))?;
    Ok(no_store(axum::Json(progress).into_response()))
}
