//! `GET /metrics`: the agent's metrics in the Prometheus text format.
//!
//! The `metrics` facade records; `metrics-exporter-prometheus` keeps the values and renders
//! them (its own HTTP listener is not built: the agent serves the text on its own router). The
//! recorder is the process's one global recorder, so the roles' logic counts its events with
//! `metrics::counter!` and knows nothing of HTTP. Recorded here: every request (one
//! middleware, labelled by route *template*, never the raw path, so a scan of random URLs
//! adds no series), the OpenID4VCI steps, and every storage call ([`MeteredStore`]).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use rosette_storage::{
    CasConflict, Entry, RequirementFailed, StorageError, Store, Table, WriteBatch,
};

/// Requests answered, by `route`, `method` and `status`.
pub const HTTP_REQUESTS: &str = "rosette_http_requests_total";
/// Time to answer a request (until its response head), by `route` and `method`.
pub const HTTP_DURATION: &str = "rosette_http_request_duration_seconds";
/// Time of the OpenID4VCI steps a wallet waits on, by `step` (`token`, `nonce`, `credential`).
pub const OID4VCI_STEP_DURATION: &str = "rosette_oid4vci_step_duration_seconds";
/// Time of each storage call, by `operation` (`get`, `apply_checked`, `flush`, …).
pub const STORAGE_DURATION: &str = "rosette_storage_call_duration_seconds";
/// Credentials signed and handed to wallets, by `format` (`ldp_vc`, `jwt_vc_json`).
pub const CREDENTIALS_ISSUED: &str = "rosette_credentials_issued_total";
/// Credentials revoked (each credential of an award counts).
pub const CREDENTIALS_REVOKED: &str = "rosette_credentials_revoked_total";
/// OpenID4VP responses judged, by `outcome` (`accepted`, `rejected`, `declined`).
pub const PRESENTATIONS_VERIFIED: &str = "rosette_presentations_verified_total";
/// Bulk-import CSV rows, by `outcome` (`created`, `refused`).
pub const BULK_ROWS: &str = "rosette_bulk_rows_processed_total";

/// The buckets of every duration histogram, in seconds: from a cached read (sub-millisecond)
/// to a request at the 120 s request timeout.
const DURATION_BUCKETS: [f64; 16] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    120.0,
];

/// How often histogram samples are folded into their buckets between scrapes: without it,
/// an agent nobody scrapes would keep every sample.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's Prometheus recorder, installed as the global `metrics` recorder on first use
/// (later calls return the same handle). If something else installed a global recorder first
/// (an embedder), that one keeps the values and `/metrics` shows only the descriptions.
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets(&DURATION_BUCKETS)
            // Only refused for an empty list; summaries then, rather than no metrics.
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(e) = metrics::set_global_recorder(recorder) {
            tracing::warn!(error = %e, "another metrics recorder is installed; /metrics stays empty");
        }
        describe();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(e) = spawned {
            // Rendering drains the samples too: scraped agents stay bounded.
            tracing::warn!(error = %e, "cannot start the metrics upkeep thread");
        }
        handle
    })
}

/// The `# HELP` lines.
fn describe() {
    use metrics::{Unit, describe_counter, describe_histogram};
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route template, method and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request, by route template and method"
    );
    describe_histogram!(
        OID4VCI_STEP_DURATION,
        Unit::Seconds,
        "Time of the OpenID4VCI token, nonce and credential steps"
    );
    describe_histogram!(
        STORAGE_DURATION,
        Unit::Seconds,
        "Time of each storage call, by operation"
    );
    describe_counter!(CREDENTIALS_ISSUED, "Credentials issued, by format");
    describe_counter!(CREDENTIALS_REVOKED, "Credentials revoked");
    describe_counter!(
        PRESENTATIONS_VERIFIED,
        "OpenID4VP presentation responses judged, by outcome"
    );
    describe_counter!(BULK_ROWS, "Bulk import CSV rows processed, by outcome");
}

/// `GET /metrics`.
pub async fn render() -> Response {
    let mut response = handle().render().into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Middleware: counts and times every request. Added by [`serve`](super::serve::serve) with
/// `Router::layer`, so it runs after routing and knows the matched route; requests no route
/// matched are `unmatched`.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    let method = method_label(req.method());
    let started = Instant::now();
    let response = next.run(req).await;
    let seconds = started.elapsed().as_secs_f64();
    let route_label = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    metrics::counter!(
        HTTP_REQUESTS,
        "route" => route_label.to_owned(),
        "method" => method,
        "status" => status_label(response.status()),
    )
    .increment(1);
    metrics::histogram!(HTTP_DURATION, "route" => route_label.to_owned(), "method" => method)
        .record(seconds);
    if method == "POST"
        && let Some(step) = oid4vci_step(route_label)
    {
        metrics::histogram!(OID4VCI_STEP_DURATION, "step" => step).record(seconds);
    }
    response
}

/// The OpenID4VCI step a route template is, if any.
fn oid4vci_step(route: &str) -> Option<&'static str> {
    match route {
        "/issuers/{slug}/token" => Some("token"),
        "/issuers/{slug}/nonce" => Some("nonce"),
        "/issuers/{slug}/credential" => Some("credential"),
        _ => None,
    }
}

/// Standard methods by name; anything else (a client may send any token) is one label.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

fn status_label(status: StatusCode) -> String {
    status.as_str().to_owned()
}

/// A [`Store`] that times each call into [`STORAGE_DURATION`]. The agent wraps its store in
/// it once (outside the deadlock watchdog, so a stuck call shows in both).
#[derive(Debug)]
pub struct MeteredStore {
    inner: Arc<dyn Store>,
}

impl MeteredStore {
    /// Times the calls made to `inner`.
    pub fn new(inner: Arc<dyn Store>) -> Self {
        Self { inner }
    }
}

fn timed<T>(operation: &'static str, call: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let out = call();
    metrics::histogram!(STORAGE_DURATION, "operation" => operation)
        .record(started.elapsed().as_secs_f64());
    out
}

impl Store for MeteredStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        timed("get", || self.inner.get(table, key))
    }

    fn insert(
        &self,
        table: Table,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, StorageError> {
        timed("insert", || self.inner.insert(table, key, value))
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        timed("remove", || self.inner.remove(table, key))
    }

    fn scan_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StorageError> {
        timed("scan_prefix", || {
            self.inner.scan_prefix(table, prefix, start_after, limit)
        })
    }

    fn compare_and_swap(
        &self,
        table: Table,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<Result<(), CasConflict>, StorageError> {
        timed("compare_and_swap", || {
            self.inner.compare_and_swap(table, key, expected, new)
        })
    }

    fn apply_checked(
        &self,
        batch: WriteBatch,
    ) -> Result<Result<(), RequirementFailed>, StorageError> {
        timed("apply_checked", || self.inner.apply_checked(batch))
    }

    fn apply(&self, batch: WriteBatch) -> Result<(), StorageError> {
        timed("apply", || self.inner.apply(batch))
    }

    fn flush(&self) -> Result<(), StorageError> {
        timed("flush", || self.inner.flush())
    }

    fn len(&self, table: Table) -> Result<usize, StorageError> {
        timed("len", || self.inner.len(table))
    }

    fn tables(&self) -> Result<Vec<String>, StorageError> {
        timed("tables", || self.inner.tables())
    }

    fn is_empty(&self, table: Table) -> Result<bool, StorageError> {
        timed("is_empty", || self.inner.is_empty(table))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_issuance_steps_are_steps() {
        assert_eq!(oid4vci_step("/issuers/{slug}/token"), Some("token"));
        assert_eq!(oid4vci_step("/issuers/{slug}/nonce"), Some("nonce"));
        assert_eq!(
            oid4vci_step("/issuers/{slug}/credential"),
            Some("credential")
        );
        assert_eq!(oid4vci_step("/issuers/{slug}/notification"), None);
        assert_eq!(oid4vci_step("unmatched"), None);
    }

    #[test]
    fn unknown_methods_share_one_label() {
        assert_eq!(method_label(&Method::POST), "POST");
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(method_label(&odd), "other");
    }
}
