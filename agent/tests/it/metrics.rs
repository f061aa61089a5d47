//! `GET /metrics`, read with a Prometheus text-format parser: requests counted by route
//! template (never the raw path), duration histograms with buckets, storage calls timed, and
//! the roles' counters (credentials issued and revoked, presentations judged, bulk rows)
//! moving with their events. The exact counts are checked on the real binary: in this test
//! binary every server shares the one process-wide recorder with the tests running beside it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openmetrics_parser::prometheus::parse_prometheus;
use openmetrics_parser::{HistogramValue, MetricsExposition, PrometheusType, PrometheusValue};
use rosette_agent::web::metrics::MeteredStore;
use rosette_storage::MemoryStore;
use serde_json::{Value, json};

use crate::common::*;

type Exposition = MetricsExposition<PrometheusType, PrometheusValue>;

/// `GET base/metrics`, checked for its content type and parsed by the exposition format's
/// grammar (a line it cannot read fails the test).
async fn scrape(http: &reqwest::Client, base: &str) -> Exposition {
    let r = http.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    // Nothing recorded yet (the first scrape of a fresh process) is an empty body, which the
    // grammar, wanting one family at least, does not take.
    if text.trim().is_empty() {
        return Exposition::new();
    }
    parse_prometheus(&text).unwrap_or_else(|e| panic!("{e}:\n{text}"))
}

/// The series of family `name` whose labels include `labels` (all of its labels when
/// `exact`).
fn series<'a>(
    exposition: &'a Exposition,
    name: &str,
    labels: &[(&str, &str)],
    exact: bool,
) -> Vec<&'a PrometheusValue> {
    let Some(family) = exposition.families.get(name) else {
        return Vec::new();
    };
    family
        .iter_samples()
        .filter(|sample| {
            let set = sample.get_labelset().unwrap();
            labels
                .iter()
                .all(|(k, v)| set.get_label_value(k) == Some(*v))
                && (!exact || set.iter_names().count() == labels.len())
        })
        .map(|sample| &sample.value)
        .collect()
}

/// The sum of counter `name` over the series with `labels` (0 when there is none yet).
fn counter(exposition: &Exposition, name: &str, labels: &[(&str, &str)]) -> f64 {
    series(exposition, name, labels, false)
        .into_iter()
        .map(|value| match value {
            PrometheusValue::Counter(c) => c.value.as_f64(),
            other => panic!("{name} is not a counter: {other:?}"),
        })
        .sum()
}

/// Histogram `name` with exactly the labels `labels`.
fn histogram(exposition: &Exposition, name: &str, labels: &[(&str, &str)]) -> HistogramValue {
    match series(exposition, name, labels, true).as_slice() {
        [PrometheusValue::Histogram(h)] => h.clone(),
        other => panic!("no one histogram {name} {labels:?}: {other:?}"),
    }
}

/// Checks that `h` is a real histogram (several finite bounds and `+Inf`, counts never
/// decreasing, `_count` equal to the `+Inf` bucket); answers its observations.
fn observations(h: &HistogramValue) -> f64 {
    let mut buckets = h.buckets.clone();
    assert!(buckets.len() > 5, "{h:?}");
    buckets.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
    assert!(
        buckets
            .windows(2)
            .all(|w| w[0].count.as_f64() <= w[1].count.as_f64()),
        "{h:?}"
    );
    let last = buckets.last().unwrap();
    assert!(last.upper_bound.is_infinite(), "{h:?}");
    let count = last.count.as_f64();
    assert_eq!(h.count.map(|c| c as f64), Some(count), "{h:?}");
    assert!(h.sum.is_some_and(|s| s.as_f64() >= 0.0), "{h:?}");
    count
}

const TOKEN_ROUTE: &str = "/issuers/{slug}/token";

/// The real binary, one process, so every count is exactly what this test did.
#[test]
fn binary_counts_requests_by_route_template_with_histograms() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rosette-agent"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(dir.path())
        .env_remove("ROSETTE_OPERATOR_TOKEN")
        .env_remove("ROSETTE_LOG_FORMAT")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap();
    let url = ready["url"].as_str().unwrap().to_owned();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let http = reqwest::Client::new();
        let before = scrape(&http, &url).await;
        assert_eq!(
            counter(
                &before,
                "rosette_http_requests_total",
                &[("route", TOKEN_ROUTE)]
            ),
            0.0
        );

        // The demo offer, by reference: one GET of the offer route.
        let offer_uri = url::Url::parse(ready["offer"].as_str().unwrap())
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "credential_offer_uri")
            .unwrap()
            .1
            .into_owned();
        let offer: Value = http
            .get(&offer_uri)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let code = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
            ["pre-authorized_code"]
            .as_str()
            .unwrap()
            .to_owned();
        let token = |code: String| {
            let http = http.clone();
            let url = url.clone();
            let pin = ready["tx_code"].as_str().unwrap().to_owned();
            async move {
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs([
                        (
                            "grant_type",
                            "urn:ietf:params:oauth:grant-type:pre-authorized_code",
                        ),
                        ("pre-authorized_code", code.as_str()),
                        ("tx_code", pin.as_str()),
                    ])
                    .finish();
                http.post(format!("{url}/issuers/demo/token"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        // Two token requests with unknown codes (400), one with the offer's code (200).
        assert_eq!(token("no-such-code-1".into()).await, 400);
        assert_eq!(token("no-such-code-2".into()).await, 400);
        assert_eq!(token(code).await, 200);
        // An admin call, and two paths no route has (one inside /issuers/demo).
        let admin = http
            .get(format!("{url}/issuers/demo/admin/achievements"))
            .bearer_auth(ready["admin_token"].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(admin.status(), 200);
        for path in ["/no/such/thing", "/issuers/demo/no-such-route/x"] {
            let r = http.get(format!("{url}{path}")).send().await.unwrap();
            assert_eq!(r.status(), 404);
        }
        let ready_probe = http
            .get(format!("{url}/health/ready"))
            .send()
            .await
            .unwrap();
        assert_eq!(ready_probe.status(), 200);

        let after = scrape(&http, &url).await;
        let requests =
            |labels: &[(&str, &str)]| counter(&after, "rosette_http_requests_total", labels);
        assert_eq!(
            requests(&[
                ("route", TOKEN_ROUTE),
                ("method", "POST"),
                ("status", "400")
            ]),
            2.0
        );
        assert_eq!(
            requests(&[
                ("route", TOKEN_ROUTE),
                ("method", "POST"),
                ("status", "200")
            ]),
            1.0
        );
        assert_eq!(requests(&[("route", TOKEN_ROUTE)]), 3.0);
        assert_eq!(
            requests(&[
                ("route", "/issuers/{slug}/offers/{token}"),
                ("status", "200")
            ]),
            1.0
        );
        assert_eq!(
            requests(&[
                ("route", "/issuers/{slug}/admin/achievements"),
                ("method", "GET"),
                ("status", "200")
            ]),
            1.0
        );
        assert_eq!(
            requests(&[("route", "unmatched"), ("method", "GET"), ("status", "404")]),
            2.0
        );
        // The readiness route is merged in after the main router's layers: counted too.
        assert_eq!(
            requests(&[("route", "/health/ready"), ("status", "200")]),
            1.0
        );
        // The scrape before this one.
        assert!(requests(&[("route", "/metrics")]) >= 1.0);
        // Route labels are templates: no raw path (slug, codes, ids) is ever a label.
        for name in [
            "rosette_http_requests_total",
            "rosette_http_request_duration_seconds",
        ] {
            for sample in after.families[name].iter_samples() {
                let labels = sample.get_labelset().unwrap();
                let route = labels.get_label_value("route").unwrap();
                assert!(
                    route == "unmatched" || (route.starts_with('/') && !route.contains("demo")),
                    "raw path as a label: {route}"
                );
            }
        }

        // Histograms with buckets: each token request observed once, per route and as a step.
        let http_seconds = "rosette_http_request_duration_seconds";
        let token = histogram(
            &after,
            http_seconds,
            &[("route", TOKEN_ROUTE), ("method", "POST")],
        );
        assert_eq!(observations(&token), 3.0);
        let step = histogram(
            &after,
            "rosette_oid4vci_step_duration_seconds",
            &[("step", "token")],
        );
        assert_eq!(observations(&step), 3.0);
        // Storage calls, through the store the binary wraps (reads of the offer, the token's
        // checked write).
        for operation in ["get", "apply_checked"] {
            let storage = histogram(
                &after,
                "rosette_storage_call_duration_seconds",
                &[("operation", operation)],
            );
            assert!(observations(&storage) >= 1.0, "{operation}");
        }
        assert!(
            !after.families["rosette_http_requests_total"]
                .help
                .is_empty()
        );
    });
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert!(child.wait().unwrap().success());
}

/// The `state` and `response_uri` of a presentation request, as a wallet reads them from its
/// request object (unverified here: this test is about counting).
async fn presentation_state(server: &TestServer, created: &Value) -> (String, String) {
    let request_url = created["request_url"].as_str().unwrap();
    let request_uri = url::Url::parse(request_url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "request_uri")
        .unwrap()
        .1
        .into_owned();
    let jwt = server
        .http
        .get(&request_uri)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let payload = jwt.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    (
        claims["state"].as_str().unwrap().to_owned(),
        claims["response_uri"].as_str().unwrap().to_owned(),
    )
}

/// Every role's counter moves with its event. Other tests of this binary count into the same
/// recorder at the same time, so the deltas are at least, not exactly, this test's events.
#[tokio::test]
async fn roles_count_issued_revoked_verified_and_bulk_rows() {
    let store = Arc::new(MeteredStore::new(Arc::new(MemoryStore::new())));
    let server = start_with(store, fixed_clock()).await;
    let before = scrape(&server.http, &server.url).await;

    // Issue one ldp_vc credential, then revoke it.
    let admin = server.institution("acme").await;
    let achievement = server.achievement("acme", &admin).await;
    let offer = server.offer("acme", &admin, &achievement, json!({})).await;
    let access = server.access_token("acme", &offer).await;
    let nonce = server.nonce("acme").await;
    let jwt = proof(&holder_key(), &server.issuer("acme"), &nonce, server.now());
    let (status, body) = server
        .credential_request("acme", &access, request(LDP, vec![jwt]))
        .await;
    assert_eq!(status, 200, "{body}");
    let credential_id = body["credentials"][0]["credential"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = server
        .post_json(
            "/issuers/acme/admin/credentials/status",
            &admin,
            json!({"credential_id": credential_id, "action": "revoke"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // A bulk upload: two rows become offers, one names no achievement.
    let csv = format!(
        "name,email,achievement_id\nAda,ada@example.org,{achievement}\n\
         Grace,grace@example.org,{achievement}\nNobody,n@example.org,no-such-achievement\n"
    );
    let r = server
        .http
        .post(format!("{}/issuers/acme/admin/offers/bulk", server.url))
        .bearer_auth(&admin)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(r).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["created"].as_array().unwrap().len(), 2, "{body}");

    // A presentation request the wallet declines: judged, outcome "declined".
    let (status, created) = server
        .post_json(
            "/verifiers/acme/admin/presentation-requests",
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let (state, response_uri) = presentation_state(&server, &created).await;
    let r = server
        .http
        .post(&response_uri)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("error=access_denied&state={state}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let after = scrape(&server.http, &server.url).await;
    let delta = |name: &str, labels: &[(&str, &str)]| {
        counter(&after, name, labels) - counter(&before, name, labels)
    };
    assert!(delta("rosette_credentials_issued_total", &[("format", "ldp_vc")]) >= 1.0);
    assert!(delta("rosette_credentials_revoked_total", &[]) >= 1.0);
    assert!(
        delta(
            "rosette_bulk_rows_processed_total",
            &[("outcome", "created")]
        ) >= 2.0
    );
    assert!(
        delta(
            "rosette_bulk_rows_processed_total",
            &[("outcome", "refused")]
        ) >= 1.0
    );
    assert!(
        delta(
            "rosette_presentations_verified_total",
            &[("outcome", "declined")]
        ) >= 1.0
    );
    for step in ["token", "nonce", "credential"] {
        let h = histogram(
            &after,
            "rosette_oid4vci_step_duration_seconds",
            &[("step", step)],
        );
        assert!(observations(&h) >= 1.0, "{step}");
    }
    let writes = histogram(
        &after,
        "rosette_storage_call_duration_seconds",
        &[("operation", "apply_checked")],
    );
    assert!(observations(&writes) >= 1.0);
    for name in [
        "rosette_http_requests_total",
        "rosette_http_request_duration_seconds",
        "rosette_oid4vci_step_duration_seconds",
        "rosette_storage_call_duration_seconds",
        "rosette_credentials_issued_total",
        "rosette_credentials_revoked_total",
        "rosette_presentations_verified_total",
        "rosette_bulk_rows_processed_total",
    ] {
        let family = after.families.get(name);
        assert!(
            family.is_some_and(|f| !f.help.is_empty()),
            "no HELP for {name}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn metrics_can_be_turned_off() {
    let server = start_configured(Arc::new(MemoryStore::new()), fixed_clock(), |s| {
        s.metrics = false;
    })
    .await;
    let r = server
        .http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    server.stop().await;
}
