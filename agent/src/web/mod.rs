//! Shared HTTP plumbing, used by every role's `http` and `pages` modules and by the console;
//! no role's logic depends on it: reading credentials off requests, the blocking-pool
//! helper, the one mapping of errors to responses, body limits, multipart uploads, QR
//! responses, the pages' layout, stylesheet and CSP, and `/metrics` (request and storage
//! timings, the Prometheus recorder).

pub(crate) mod auth;
pub(crate) mod error;
pub mod limits;
pub(crate) mod markdown;
pub mod metrics;
pub(crate) mod multipart;
pub mod qr;
pub mod serve;
pub(crate) mod ui;

use std::sync::Arc;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Largest request body (JSON, forms).
pub const BODY_LIMIT: usize = 64 * 1024;
/// Largest CSV upload.
pub const CSV_LIMIT: usize = 8 * 1024 * 1024;

/// Runs `f` on the blocking pool (storage and signing block).
pub(crate) async fn blocking<S, T, E, F>(state: &Arc<S>, f: F) -> Result<T, E>
where
    S: Send + Sync + 'static + ?Sized,
    T: Send + 'static,
    E: Send + 'static + From<tokio::task::JoinError>,
    F: FnOnce(&S) -> Result<T, E> + Send + 'static,
{
    let service = Arc::clone(state);
    tokio::task::spawn_blocking(move || f(&service)).await?
}

/// `response` with `Cache-Control: no-store` (tokens, PINs and credentials must not be cached).
pub(crate) fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A JSON response that must not be cached.
pub(crate) fn json_no_store(status: StatusCode, body: impl serde::Serialize) -> Response {
    no_store((status, axum::Json(body)).into_response())
}
