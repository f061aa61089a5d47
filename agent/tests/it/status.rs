//! Credential status (Bitstring Status List): issued credentials carry a `credentialStatus`,
//! the signed list is served with caching headers, admin revoke / suspend / reinstate change
//! what a verifier concludes, and a revocation the API confirmed survives SIGKILL.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use rosette_core::{Clock, FixedClock};
use rosette_did::resolve::BoxFuture;
use rosette_proof::{
    Canonicalizer, CheckName, FetchedStatusList, Outcome, StatusFetchError, StatusListSource,
    Verdict, Verifier,
};
use rosette_status::StatusList;
use serde_json::{Value, json};

use crate::common::*;

/// Fetches lists over plain HTTP from the loopback test server (tests only; the wallet's
/// source is https-only).
#[derive(Debug)]
struct LoopbackSource(reqwest::Client);

impl StatusListSource for LoopbackSource {
    fn fetch<'a>(
        &'a self,
        url: &'a str,
    ) -> BoxFuture<'a, Result<FetchedStatusList, StatusFetchError>> {
        Box::pin(async move {
            let unreachable = |reason: String| StatusFetchError::Unreachable {
                url: url.to_owned(),
                reason,
                last_fetched: None,
            };
            let r = self
                .0
                .get(url)
                .send()
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            if !r.status().is_success() {
                return Err(unreachable(format!("HTTP {}", r.status())));
            }
            let body = r.text().await.map_err(|e| unreachable(e.to_string()))?;
            Ok(FetchedStatusList::fresh(body))
        })
    }
}

fn verifier(clock: Arc<FixedClock>) -> Verifier {
    Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(rosette_proof::offline_resolver()),
        clock as Arc<dyn Clock>,
    )
    .with_status_source(Arc::new(LoopbackSource(reqwest::Client::new())))
}

fn status_check(verdict: &Verdict) -> (Outcome, String) {
    let c = verdict
        .checks
        .iter()
        .find(|c| c.name == CheckName::Status)
        .unwrap_or_else(|| panic!("no status check: {verdict:#?}"));
    (c.outcome, c.detail.clone())
}

/// Claims `offer` in `config`'s format; returns the credential (JSON or JWT string value).
async fn claim(server: &TestServer, slug: &str, offer: &Value, config: &str) -> Value {
    let access = server.access_token(slug, offer).await;
    let nonce = server.nonce(slug).await;
    let jwt = proof(&holder_key(), &server.issuer(slug), &nonce, server.now());
    let (status, body) = server
        .credential_request(slug, &access, request(config, vec![jwt]))
        .await;
    assert_eq!(status, 200, "{body}");
    body["credentials"][0]["credential"].clone()
}

fn text_of(credential: &Value) -> String {
    match credential {
        Value::String(jwt) => jwt.clone(),
        other => other.to_string(),
    }
}

/// The credential object of a JSON credential or of a VC-JWT's `vc` claim.
fn object_of(credential: &Value) -> Value {
    match credential {
        Value::String(jwt) => {
            use base64::Engine as _;
            let payload = jwt.split('.').nth(1).unwrap();
            let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap();
            let claims: Value = serde_json::from_slice(&bytes).unwrap();
            claims.get("vc").cloned().unwrap_or(claims)
        }
        other => other.clone(),
    }
}

async fn change(
    server: &TestServer,
    slug: &str,
    admin: &str,
    id: &str,
    action: &str,
) -> (u16, Value) {
    server
        .post_json(
            &format!("/issuers/{slug}/admin/credentials/status"),
            admin,
            json!({"credential_id": id, "action": action, "reason": format!("test: {action}")}),
        )
        .await
}

#[tokio::test]
async fn issued_credentials_carry_a_revocation_entry_and_revoke_fails_verification() {
    let server = start().await;
    let (admin, _) = server.setup("acme").await;
    let achievement = server.achievement("acme", &admin).await;
    let mut indices = std::collections::BTreeSet::new();
    let mut issued = Vec::new();
    for config in [LDP, JWT, LDP] {
        let offer = server.offer("acme", &admin, &achievement, json!({})).await;
        let credential = claim(&server, "acme", &offer, config).await;
        let object = object_of(&credential);
        let status = &object["credentialStatus"];
        assert_eq!(status["type"], "BitstringStatusListEntry", "{object}");
        assert_eq!(status["statusPurpose"], "revocation");
        let list_url = status["statusListCredential"].as_str().unwrap().to_owned();
        assert_eq!(
            list_url,
            format!("{}/status/revocation/1", server.issuer("acme"))
        );
        let index: u64 = status["statusListIndex"].as_str().unwrap().parse().unwrap();
        assert!(indices.insert(index), "index {index} reused");
        issued.push((
            credential,
            object["id"].as_str().unwrap().to_owned(),
            list_url,
        ));
    }

    let verifier = verifier(server.clock.clone());
    for (credential, _, _) in &issued {
        let verdict = verifier.verify_text(&text_of(credential)).await;
        assert_eq!(status_check(&verdict).0, Outcome::Passed, "{verdict:#?}");
        assert!(verdict.is_valid(), "{:?}", verdict.first_failure());
    }

    // The list: signed, cacheable, with a validator.
    let list_url = issued[0].2.clone();
    let r = server.http.get(&list_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let cache = r.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(cache.contains("max-age=300"), "{cache}");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let list: Value = r.json().await.unwrap();
    assert_eq!(list["credentialSubject"]["statusPurpose"], "revocation");
    let proof = match &list["proof"] {
        Value::Array(proofs) => proofs[0].clone(),
        one => one.clone(),
    };
    assert_eq!(proof["cryptosuite"], "eddsa-rdfc-2022", "{list}");
    let r = server
        .http
        .get(&list_url)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // Revoke the JWT credential: only it fails, with "revoked".
    let (status, body) = change(&server, "acme", &admin, &issued[1].1, "revoke").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["state"], "revoked");
    let verdict = verifier.verify_text(&text_of(&issued[1].0)).await;
    assert_eq!(status_check(&verdict), (Outcome::Failed, "revoked".into()));
    let verdict = verifier.verify_text(&text_of(&issued[0].0)).await;
    assert_eq!(status_check(&verdict).0, Outcome::Passed);
    let r = server.http.get(&list_url).send().await.unwrap();
    assert_ne!(
        r.headers()["etag"].to_str().unwrap(),
        etag,
        "a change makes a new ETag"
    );

    // Revocation is permanent; a revocation entry cannot be suspended.
    assert_eq!(
        change(&server, "acme", &admin, &issued[1].1, "reinstate")
            .await
            .0,
        409
    );
    assert_eq!(
        change(&server, "acme", &admin, &issued[1].1, "revoke")
            .await
            .0,
        409
    );
    assert_eq!(
        change(&server, "acme", &admin, &issued[0].1, "suspend")
            .await
            .0,
        409
    );
    assert_eq!(
        change(&server, "acme", &admin, "urn:uuid:unknown", "revoke")
            .await
            .0,
        404
    );

    let (status, changes) = server
        .get_json("/issuers/acme/admin/status/changes", &admin)
        .await;
    assert_eq!(status, 200);
    let items = changes["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{changes}");
    assert_eq!(items[0]["credential_id"], issued[1].1.as_str());
    assert_eq!(items[0]["action"], "revoke");
    assert_eq!(items[0]["reason"], "test: revoke");
}

#[tokio::test]
async fn other_institutions_cannot_change_status() {
    let server = start().await;
    let (admin, offer) = server.setup("acme").await;
    let other = server.institution("globex").await;
    let credential = claim(&server, "acme", &offer, LDP).await;
    let id = credential["id"].as_str().unwrap();
    assert_eq!(change(&server, "acme", &other, id, "revoke").await.0, 403);
    assert_eq!(
        change(&server, "acme", "nonsense", id, "revoke").await.0,
        401
    );
    assert_eq!(change(&server, "acme", &admin, id, "revoke").await.0, 200);
}

#[tokio::test]
async fn suspension_institutions_suspend_and_reinstate() {
    let server = start().await;
    let admin = server.institution("acme").await;
    let (status, body) = server
        .http
        .put(format!("{}/issuers/acme/admin/status/settings", server.url))
        .bearer_auth(&admin)
        .json(&json!({"status_purpose": "suspension"}))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map(|s| (s, ()))
        .unwrap();
    assert_eq!(status, 200, "{body:?}");
    let achievement = server.achievement("acme", &admin).await;
    let offer = server.offer("acme", &admin, &achievement, json!({})).await;
    let credential = claim(&server, "acme", &offer, LDP).await;
    assert_eq!(
        credential["credentialStatus"]["statusPurpose"],
        "suspension"
    );
    let id = credential["id"].as_str().unwrap();
    let verifier = verifier(server.clock.clone());
    let text = text_of(&credential);

    assert_eq!(change(&server, "acme", &admin, id, "suspend").await.0, 200);
    let verdict = verifier.verify_text(&text).await;
    assert_eq!(
        status_check(&verdict),
        (Outcome::Failed, "suspended".into())
    );

    let (status, body) = change(&server, "acme", &admin, id, "reinstate").await;
    assert_eq!((status, body["state"].as_str()), (200, Some("active")));
    let verdict = verifier.verify_text(&text).await;
    assert_eq!(status_check(&verdict).0, Outcome::Passed);

    // Revoking a suspendable credential sets its bit for good.
    assert_eq!(change(&server, "acme", &admin, id, "revoke").await.0, 200);
    assert_eq!(
        change(&server, "acme", &admin, id, "reinstate").await.0,
        409
    );
    let verdict = verifier.verify_text(&text).await;
    assert_eq!(status_check(&verdict).0, Outcome::Failed);
}

// ---- the binary: a confirmed revocation survives SIGKILL

fn serve(data: &std::path::Path) -> (std::process::Child, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rosette-agent"))
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, serde_json::from_str(&line).unwrap())
}

async fn claim_demo(http: &reqwest::Client, ready: &Value) -> Value {
    let issuer = ready["issuer"].as_str().unwrap();
    let offer_url = url::Url::parse(ready["offer"].as_str().unwrap()).unwrap();
    let uri = offer_url
        .query_pairs()
        .find(|(k, _)| k == "credential_offer_uri")
        .unwrap()
        .1
        .into_owned();
    let offer: Value = http.get(uri).send().await.unwrap().json().await.unwrap();
    let code = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["pre-authorized_code"]
        .as_str()
        .unwrap();
    let mut form = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        ),
        ("pre-authorized_code", code),
    ];
    if let Some(pin) = ready["tx_code"].as_str() {
        form.push(("tx_code", pin));
    }
    let token: Value = http
        .post(format!("{issuer}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish(),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = token["access_token"].as_str().unwrap();
    let nonce: Value = http
        .post(format!("{issuer}/nonce"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let now = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .unwrap()
        .as_secs() as i64;
    let jwt = proof(
        &holder_key(),
        issuer,
        nonce["c_nonce"].as_str().unwrap(),
        now,
    );
    let body: Value = http
        .post(format!("{issuer}/credential"))
        .bearer_auth(access)
        .json(&request(LDP, vec![jwt]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body["credentials"][0]["credential"].clone()
}

#[tokio::test]
async fn a_confirmed_revocation_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();
    let (mut child, ready) = serve(dir.path());
    let credential = claim_demo(&http, &ready).await;
    let id = credential["id"].as_str().unwrap().to_owned();
    let status = credential["credentialStatus"].clone();
    let index: u64 = status["statusListIndex"].as_str().unwrap().parse().unwrap();
    let list_path = url::Url::parse(status["statusListCredential"].as_str().unwrap())
        .unwrap()
        .path()
        .to_owned();

    let url = ready["url"].as_str().unwrap();
    let r = http
        .post(format!("{url}/issuers/demo/admin/credentials/status"))
        .bearer_auth(ready["admin_token"].as_str().unwrap())
        .json(&json!({"credential_id": id, "action": "revoke", "reason": "issued in error"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The answer is in: kill -9 at once, no graceful flush.
    let killed = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    child.wait().unwrap();

    let (mut child, ready) = serve(dir.path());
    let url = ready["url"].as_str().unwrap();
    let list: Value = http
        .get(format!("{url}{list_path}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bits =
        StatusList::decode_default(list["credentialSubject"]["encodedList"].as_str().unwrap())
            .unwrap();
    let survived = bits.get(index).unwrap();
    let _ = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status();
    let _ = child.wait();
    assert!(survived, "the revocation of index {index} was lost");
    assert_eq!(bits.count_set(), 1);
}

#[tokio::test]
async fn the_agents_own_verifier_reads_its_lists_from_storage() {
    let server = start().await;
    let (admin, offer) = server.setup("acme").await;
    let credential = claim(&server, "acme", &offer, JWT).await;
    let id = object_of(&credential)["id"].as_str().unwrap().to_owned();
    let verifier = Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(rosette_proof::offline_resolver()),
        server.clock.clone() as Arc<dyn Clock>,
    )
    .with_status_source(Arc::new(rosette_agent::status::LocalStatusSource::new(
        Arc::clone(&server.app.directory),
    )));
    let text = text_of(&credential);
    assert_eq!(
        status_check(&verifier.verify_text(&text).await).0,
        Outcome::Passed
    );
    assert_eq!(change(&server, "acme", &admin, &id, "revoke").await.0, 200);
    assert_eq!(
        status_check(&verifier.verify_text(&text).await),
        (Outcome::Failed, "revoked".into())
    );
    // A list of another host is not fetched: a warning, not a pass.
    let source = rosette_agent::status::LocalStatusSource::new(Arc::clone(&server.app.directory));
    let err = source
        .fetch("https://elsewhere.example/issuers/acme/status/revocation/1")
        .await
        .unwrap_err();
    assert!(matches!(err, StatusFetchError::Refused { .. }), "{err}");
    // With a foreign source (the agent's verifiers use HTTPS), other issuers' lists go there,
    // and this agent's own lists still come from storage.
    let foreign_url = "https://elsewhere.example/status/1";
    let source = rosette_agent::status::LocalStatusSource::new(Arc::clone(&server.app.directory))
        .with_foreign(Arc::new(rosette_proof::MapStatusSource::new().with(
            foreign_url,
            rosette_proof::FetchedStatusList::fresh("{\"foreign\": true}"),
        )));
    let fetched = source.fetch(foreign_url).await.unwrap();
    assert!(fetched.body.contains("foreign"), "{fetched:?}");
    let object = object_of(&credential);
    let own = object["credentialStatus"]["statusListCredential"]
        .as_str()
        .unwrap();
    assert!(
        source
            .fetch(own)
            .await
            .unwrap()
            .body
            .contains("BitstringStatusListCredential")
    );
}

/// Timings on the on-disk store: `cargo test -p rosette-agent --test it status_timings --
/// --ignored --nocapture` (prints; asserts nothing about speed).
#[tokio::test]
#[ignore = "measurement, run on demand"]
async fn status_timings() {
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn rosette_storage::Store> =
        Arc::new(rosette_storage::RedbStore::open(dir.path().join("store.redb")).unwrap());
    let server = start_with(store, fixed_clock()).await;
    let admin = server.institution("acme").await;
    let achievement = server.achievement("acme", &admin).await;
    let mut ids = Vec::new();
    let start = Instant::now();
    let n = 64;
    for _ in 0..n {
        let offer = server.offer("acme", &admin, &achievement, json!({})).await;
        let credential = claim(&server, "acme", &offer, JWT).await;
        ids.push(object_of(&credential)["id"].as_str().unwrap().to_owned());
    }
    let issue = start.elapsed() / n;
    let url = format!("{}/status/revocation/1", server.issuer("acme"));
    let start = Instant::now();
    let r = server.http.get(&url).send().await.unwrap();
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let first_get = start.elapsed();
    let start = Instant::now();
    for _ in 0..20 {
        server
            .http
            .get(&url)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    let cached_get = start.elapsed() / 20;
    let start = Instant::now();
    for _ in 0..20 {
        let r = server
            .http
            .get(&url)
            .header("if-none-match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304);
    }
    let not_modified = start.elapsed() / 20;
    let start = Instant::now();
    for id in ids.iter().take(20) {
        assert_eq!(change(&server, "acme", &admin, id, "revoke").await.0, 200);
    }
    let revoke = start.elapsed() / 20;
    eprintln!(
        "offer+claim (jwt, incl. status entry) {issue:?}/credential; list GET first (signs) {first_get:?}, cached {cached_get:?}, 304 {not_modified:?}; revoke (flushed) {revoke:?}"
    );
}

/// One award delivered in two formats (one offer, claimed as ldp_vc and as jwt_vc_json) is one
/// thing to revoke: revoking either credential revokes both, in the list and in the log.
#[tokio::test]
async fn revoking_one_format_of_an_award_revokes_every_format() {
    let server = start().await;
    let (admin, _) = server.setup("acme").await;
    let achievement = server.achievement("acme", &admin).await;
    let offer = server.offer("acme", &admin, &achievement, json!({})).await;
    let access = server.access_token("acme", &offer).await;
    let mut issued = Vec::new();
    let holder = holder_key();
    for config in [LDP, JWT] {
        let nonce = server.nonce("acme").await;
        let jwt = proof(&holder, &server.issuer("acme"), &nonce, server.now());
        let (status, body) = server
            .credential_request("acme", &access, request(config, vec![jwt]))
            .await;
        assert_eq!(status, 200, "{body}");
        let credential = body["credentials"][0]["credential"].clone();
        let id = object_of(&credential)["id"].as_str().unwrap().to_owned();
        issued.push((credential, id));
    }
    // A second award of the same achievement to the same holder is another award.
    let other = server.offer("acme", &admin, &achievement, json!({})).await;
    let other = claim(&server, "acme", &other, LDP).await;

    let verifier = verifier(server.clock.clone());
    let (status, body) = change(&server, "acme", &admin, &issued[1].1, "revoke").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["award_credentials_also_changed"],
        json!([issued[0].1.clone()]),
        "{body}"
    );
    for (credential, id) in &issued {
        let verdict = verifier.verify_text(&text_of(credential)).await;
        assert_eq!(
            status_check(&verdict),
            (Outcome::Failed, "revoked".into()),
            "{id}"
        );
        // Each format is revoked already: revoking it again is refused, permanently.
        assert_eq!(change(&server, "acme", &admin, id, "revoke").await.0, 409);
    }
    let verdict = verifier.verify_text(&text_of(&other)).await;
    assert_eq!(status_check(&verdict).0, Outcome::Passed, "another award");

    let (_, changes) = server
        .get_json("/issuers/acme/admin/status/changes", &admin)
        .await;
    let mut logged: Vec<&str> = changes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["credential_id"].as_str().unwrap())
        .collect();
    logged.sort_unstable();
    let mut expected: Vec<&str> = issued.iter().map(|(_, id)| id.as_str()).collect();
    expected.sort_unstable();
    assert_eq!(logged, expected, "{changes}");
}
