//! The Status check: Bitstring Status List entries checked against signed list credentials
//! served by a [`MapStatusSource`]: the 1EdTech revoked example, and our own credentials
//! revoked, suspended, clear, with an unreachable, forged, foreign or expired list.

use std::sync::Arc;

use rosette_core::{FixedClock, Timestamp};
use rosette_did::resolve::{BoxFuture, DidKeyResolver};
use rosette_did::{KeyType, ResolveError, ResolvedMethod, SigningKey, VerificationMethodResolver};
use rosette_proof::{
    Canonicalizer, CheckName, CredentialFormat, CredentialSigner, FetchedStatusList,
    MapStatusSource, Outcome, SignedCredential, StatusFetchError, Verdict, Verifier,
};
use rosette_status::{MIN_LIST_LENGTH, StatusList, StatusListEntry, StatusPurpose};
use serde_json::{Value, json};

const LIST_URL: &str = "https://issuer.example/status/1";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

fn read_vector(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/ob3")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// did:key plus the 1EdTech examples' `https://issuer#z6Mk…` fragment keys (tests only).
#[derive(Debug)]
struct ExampleKeys;

impl VerificationMethodResolver for ExampleKeys {
    fn resolve<'a>(
        &'a self,
        vm: &'a str,
        purpose: rosette_did::ProofPurpose,
    ) -> BoxFuture<'a, Result<ResolvedMethod, ResolveError>> {
        let result = if vm.starts_with("did:key:") {
            DidKeyResolver::allowing_bare_did().resolve_sync(vm, purpose)
        } else {
            rosette_did::resolve::danger_fragment_key_resolver().resolve_sync(vm)
        };
        Box::pin(std::future::ready(result))
    }
}

fn verifier(now: &str, source: Option<MapStatusSource>) -> Verifier {
    let v = Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(ExampleKeys),
        Arc::new(FixedClock::new(Timestamp::parse(now).unwrap())),
    );
    match source {
        Some(s) => v.with_status_source(Arc::new(s)),
        None => v,
    }
}

fn status_of(verdict: &Verdict) -> (Outcome, String) {
    let check = verdict
        .checks
        .iter()
        .find(|c| c.name == CheckName::Status)
        .unwrap_or_else(|| panic!("no status check: {verdict:#?}"));
    (check.outcome, check.detail.clone())
}

#[test]
fn the_1edtech_bitstring_example_is_revoked_against_its_list() {
    let credential = read_vector("validator-bitstring-revoked.eddsa-rdfc-2022.json");
    let list = read_vector("validator-bitstring-status-list-credential.eddsa-rdfc-2022.json");
    let url = serde_json::from_str::<Value>(&credential).unwrap()["credentialStatus"]
        ["statusListCredential"]
        .as_str()
        .unwrap()
        .to_owned();
    let source = MapStatusSource::new().with(url, FetchedStatusList::fresh(list));
    let verdict = block_on(verifier("2024-01-01T00:00:00Z", Some(source)).verify_text(&credential));
    assert_eq!(verdict.outcome(CheckName::Proof), Some(Outcome::Passed));
    assert_eq!(status_of(&verdict), (Outcome::Failed, "revoked".into()));
    assert!(!verdict.is_valid());

    // Without a source the status is not checked: a warning, never a pass.
    let verdict = block_on(verifier("2024-01-01T00:00:00Z", None).verify_text(&credential));
    assert_eq!(status_of(&verdict).0, Outcome::Warning);
}

struct Issuer {
    signer: CredentialSigner,
    now: Timestamp,
}

impl Issuer {
    fn new() -> Self {
        Self {
            signer: CredentialSigner::did_key(
                Canonicalizer::bundled(),
                SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng),
            ),
            now: Timestamp::parse("2026-06-01T12:00:00Z").unwrap(),
        }
    }

    fn did(&self) -> String {
        self.signer.key().did_key().as_str().to_owned()
    }

    fn credential(&self, entry: &StatusListEntry, format: CredentialFormat) -> String {
        let mut unsigned = serde_json::to_value(
            rosette_openbadges::demo_credential(&rosette_openbadges::DemoParams {
                issuer_did: &self.did(),
                issuer_name: "Rosette Demo University",
                subject_did: "did:example:learner",
                email: "learner@example.org",
                salt: "salt",
                valid_from: "2026-01-01T00:00:00Z",
                uuid: "0b5f3b1e-0000-4000-8000-000000000002",
            })
            .unwrap(),
        )
        .unwrap();
        unsigned["credentialStatus"] = entry.to_json();
        self.signer
            .sign(&unsigned, format, self.now)
            .unwrap()
            .to_text()
    }

    fn list(&self, purpose: &str, set: &[u64], valid_until: Option<&str>) -> String {
        let mut list = StatusList::new(MIN_LIST_LENGTH).unwrap();
        for i in set {
            list.set(*i, true).unwrap();
        }
        let mut credential = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": LIST_URL,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": self.did(),
            "validFrom": "2026-05-01T00:00:00Z",
            "credentialSubject": {
                "id": format!("{LIST_URL}#list"),
                "type": "BitstringStatusList",
                "statusPurpose": purpose,
                "encodedList": list.encode()
            }
        });
        if let Some(until) = valid_until {
            credential["validUntil"] = json!(until);
        }
        match self
            .signer
            .sign(&credential, CredentialFormat::LdpVc, self.now)
            .unwrap()
        {
            SignedCredential::Json(v) => v.to_string(),
            SignedCredential::Jwt(j) => j,
        }
    }
}

fn verify_with(credential: &str, list: Option<String>) -> Verdict {
    let mut source = MapStatusSource::new();
    if let Some(list) = list {
        source.insert(
            LIST_URL,
            FetchedStatusList::cached(list, Timestamp::parse("2026-06-01T11:58:00Z").unwrap()),
        );
    }
    block_on(verifier("2026-06-01T12:00:00Z", Some(source)).verify_text(credential))
}

#[test]
fn our_credentials_revoked_suspended_and_clear_in_both_formats() {
    let issuer = Issuer::new();
    for format in [CredentialFormat::LdpVc, CredentialFormat::JwtVcJson] {
        let revocation = StatusListEntry::new(StatusPurpose::Revocation, 1234, LIST_URL);
        let credential = issuer.credential(&revocation, format);

        let clear = verify_with(&credential, Some(issuer.list("revocation", &[1233], None)));
        let (outcome, detail) = status_of(&clear);
        assert_eq!(outcome, Outcome::Passed, "{format:?}: {detail}");
        assert!(
            detail.contains("not revoked") && detail.contains("120 s ago"),
            "{detail}"
        );
        assert!(clear.is_valid(), "{:?}", clear.first_failure());

        let revoked = verify_with(&credential, Some(issuer.list("revocation", &[1234], None)));
        assert_eq!(status_of(&revoked), (Outcome::Failed, "revoked".into()));
        assert!(!revoked.is_valid());

        let suspension = StatusListEntry::new(StatusPurpose::Suspension, 77, LIST_URL);
        let credential = issuer.credential(&suspension, format);
        let suspended = verify_with(&credential, Some(issuer.list("suspension", &[77], None)));
        assert_eq!(status_of(&suspended), (Outcome::Failed, "suspended".into()));
        let reinstated = verify_with(&credential, Some(issuer.list("suspension", &[], None)));
        assert_eq!(status_of(&reinstated).0, Outcome::Passed);
    }
}

#[test]
fn an_unreachable_list_is_a_warning_with_its_reason_not_a_pass() {
    let issuer = Issuer::new();
    let entry = StatusListEntry::new(StatusPurpose::Revocation, 5, LIST_URL);
    let credential = issuer.credential(&entry, CredentialFormat::LdpVc);
    let verdict = verify_with(&credential, None);
    let (outcome, detail) = status_of(&verdict);
    assert_eq!(outcome, Outcome::Warning);
    assert!(
        detail.contains("status unknown") && detail.contains(LIST_URL),
        "{detail}"
    );

    #[derive(Debug)]
    struct Down;
    impl rosette_proof::StatusListSource for Down {
        fn fetch<'a>(
            &'a self,
            url: &'a str,
        ) -> BoxFuture<'a, Result<FetchedStatusList, StatusFetchError>> {
            Box::pin(std::future::ready(Err(StatusFetchError::Unreachable {
                url: url.to_owned(),
                reason: "connection refused".into(),
                last_fetched: Timestamp::parse("2026-06-01T11:00:00Z"),
            })))
        }
    }
    let verifier = verifier("2026-06-01T12:00:00Z", None).with_status_source(Arc::new(Down));
    let verdict = block_on(verifier.verify_text(&credential));
    let (outcome, detail) = status_of(&verdict);
    assert_eq!(outcome, Outcome::Warning);
    assert!(
        detail.contains("connection refused") && detail.contains("3600 s ago"),
        "{detail}"
    );
}

#[test]
fn a_forged_list_fails() {
    let issuer = Issuer::new();
    let entry = StatusListEntry::new(StatusPurpose::Revocation, 5, LIST_URL);
    let credential = issuer.credential(&entry, CredentialFormat::LdpVc);
    // Someone clears the bit of a revoked credential: the list's proof no longer verifies.
    let list = issuer.list("revocation", &[5], None);
    let mut tampered: Value = serde_json::from_str(&list).unwrap();
    tampered["credentialSubject"]["encodedList"] =
        json!(StatusList::new(MIN_LIST_LENGTH).unwrap().encode());
    let verdict = verify_with(&credential, Some(tampered.to_string()));
    let (outcome, detail) = status_of(&verdict);
    assert_eq!(outcome, Outcome::Failed);
    assert!(detail.contains("does not verify"), "{detail}");
}

#[test]
fn a_list_signed_by_another_issuer_fails() {
    let issuer = Issuer::new();
    let other = Issuer::new();
    let entry = StatusListEntry::new(StatusPurpose::Revocation, 5, LIST_URL);
    let credential = issuer.credential(&entry, CredentialFormat::LdpVc);
    let verdict = verify_with(&credential, Some(other.list("revocation", &[], None)));
    let (outcome, detail) = status_of(&verdict);
    assert_eq!(outcome, Outcome::Failed);
    assert!(
        detail.contains("not by the credential's issuer"),
        "{detail}"
    );
}

#[test]
fn a_list_for_another_purpose_fails_and_an_expired_list_warns() {
    let issuer = Issuer::new();
    let entry = StatusListEntry::new(StatusPurpose::Revocation, 5, LIST_URL);
    let credential = issuer.credential(&entry, CredentialFormat::LdpVc);
    let verdict = verify_with(&credential, Some(issuer.list("suspension", &[], None)));
    let (outcome, detail) = status_of(&verdict);
    assert_eq!(outcome, Outcome::Failed);
    assert!(detail.contains("purpose"), "{detail}");

    let expired = issuer.list("revocation", &[], Some("2026-05-31T00:00:00Z"));
    let verdict = verify_with(&credential, Some(expired));
    let (outcome, detail) = status_of(&verdict);
    assert_eq!(outcome, Outcome::Warning);
    assert!(detail.contains("not valid now"), "{detail}");
}

// HttpStatusSource against real loopback listeners: the list URL comes from the credential,
// so it must not reach our own host (issue 15, server-side request forgery).

/// A listener on 127.0.0.1 answering every connection with `reply`; returns its port and a
/// counter of accepted connections.
async fn listen(reply: Vec<u8>) -> (u16, Arc<std::sync::atomic::AtomicUsize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&accepted);
    let reply = Arc::new(reply);
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let reply = Arc::clone(&reply);
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let _ = sock.write_all(&reply).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (port, accepted)
}

fn http_response(status: &str, headers: &str, body: &[u8]) -> Vec<u8> {
    let mut bytes = format!(
        "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

async fn accepted(counter: &std::sync::atomic::AtomicUsize) -> usize {
    // Let a connection still in the accept queue be counted.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    counter.load(std::sync::atomic::Ordering::SeqCst)
}

#[tokio::test]
async fn ssrf_status_list_url_on_our_own_host_is_refused() {
    use rosette_proof::{HttpStatusSource, StatusListSource};
    let (p, hits) = listen(http_response("200 OK", "", b"internal")).await;
    let source = HttpStatusSource::new(false).unwrap();
    for url in [
        format!("https://127.0.0.1:{p}/x"),
        format!("http://127.0.0.1:{p}/x"),
        format!("https://localhost:{p}/x"),
        format!("https://0.0.0.0:{p}/x"),
        format!("https://2130706433:{p}/x"),
        format!("https://[::ffff:127.0.0.1]:{p}/x"),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        "https://10.0.0.1/status/1".to_owned(),
    ] {
        let err = source.fetch(&url).await.unwrap_err();
        assert!(
            matches!(err, StatusFetchError::Refused { .. }),
            "{url}: {err:?}"
        );
    }
    assert_eq!(accepted(&hits).await, 0);
}

#[tokio::test]
async fn http_status_source_fetches_loopback_only_with_the_dev_flag() {
    use rosette_proof::{HttpStatusSource, StatusListSource};
    let (p, hits) = listen(http_response("200 OK", "", b"{\"list\":1}")).await;
    let source = HttpStatusSource::new(true).unwrap();
    let got = source
        .fetch(&format!("http://127.0.0.1:{p}/list"))
        .await
        .unwrap();
    assert_eq!(got.body, "{\"list\":1}");
    // The flag opens loopback, not plain http elsewhere nor private addresses.
    for url in ["http://issuer.example/list", "https://192.168.1.1/list"] {
        let err = source.fetch(url).await.unwrap_err();
        assert!(
            matches!(err, StatusFetchError::Refused { .. }),
            "{url}: {err:?}"
        );
    }
    assert_eq!(accepted(&hits).await, 1);
}

#[tokio::test]
async fn http_status_source_refuses_redirects_caps_the_body_and_echoes_nothing() {
    use rosette_proof::{HttpStatusSource, StatusListSource};
    let source = HttpStatusSource::new(true).unwrap();

    let (p, _) = listen(http_response(
        "302 Found",
        "Location: http://169.254.169.254/\r\n",
        b"",
    ))
    .await;
    let err = source
        .fetch(&format!("http://127.0.0.1:{p}/"))
        .await
        .unwrap_err();
    assert!(matches!(err, StatusFetchError::Refused { .. }), "{err:?}");

    let (p, _) = listen(http_response("200 OK", "", &vec![b'x'; 3 * 1024 * 1024])).await;
    let err = source
        .fetch(&format!("http://127.0.0.1:{p}/"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StatusFetchError::TooLarge { max: 2_097_152, .. }),
        "{err:?}"
    );

    let (p, _) = listen(http_response("403 Forbidden", "", b"secret upstream page")).await;
    let err = source
        .fetch(&format!("http://127.0.0.1:{p}/"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StatusFetchError::Unreachable { .. }),
        "{err:?}"
    );
    let shown = err.to_string();
    assert!(!shown.contains("secret"), "{shown}");
    assert!(!shown.contains("403"), "{shown}");
}
