use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use rosette_did::did_web::{
    DidWebError, DidWebOptions, DidWebResolver, did_web_document, did_web_from_url, did_web_to_url,
};
use rosette_did::{Did, KeyType, SigningKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::test_rng;

#[test]
fn did_to_url_mapping_follows_the_spec() {
    let cases = [
        (
            "did:web:w3c-ccg.github.io",
            "https://w3c-ccg.github.io/.well-known/did.json",
        ),
        (
            "did:web:w3c-ccg.github.io:user:alice",
            "https://w3c-ccg.github.io/user/alice/did.json",
        ),
        (
            "did:web:example.com%3A3000",
            "https://example.com:3000/.well-known/did.json",
        ),
        (
            "did:web:example.com%3A3000:user:alice",
            "https://example.com:3000/user/alice/did.json",
        ),
        (
            "did:web:Example.COM",
            "https://example.com/.well-known/did.json",
        ),
    ];
    for (did, url) in cases {
        assert_eq!(did_web_to_url(did, false).unwrap().as_str(), url, "{did}");
    }
    assert_eq!(
        did_web_to_url("did:web:example.com", true)
            .unwrap()
            .as_str(),
        "http://example.com/.well-known/did.json"
    );
}

#[test]
fn did_to_url_rejects_bad_identifiers() {
    for bad in [
        "did:key:z6Mk",
        "did:web:",
        "did:web:example.com#frag",
        "did:web:example.com/path",
        "did:web:example.com:..:x",
        "did:web:example.com::x",
        "did:web:example.com%2Fevil",
        "did:web:user%40example.com",
        "did:web:example.com%3Anotaport",
        "did:web:example.com%3A99999",
        "did:web:exa mple.com",
        "did:web:[::1]",
    ] {
        assert!(did_web_to_url(bad, false).is_err(), "{bad}");
    }
}

#[test]
fn internal_hosts_refused_without_dev_switch() {
    for host in [
        "localhost",
        "127.0.0.1",
        "10.0.0.1",
        "169.254.169.254",
        "a.localhost",
    ] {
        let did = format!("did:web:{host}");
        assert!(
            matches!(
                did_web_to_url(&did, false),
                Err(DidWebError::ForbiddenHost(_))
            ),
            "{did}"
        );
        assert!(did_web_to_url(&did, true).is_ok(), "{did} with allow_http");
    }
}

#[test]
fn url_to_did_mapping() {
    let cases = [
        ("https://example.com", "did:web:example.com"),
        ("https://example.com/", "did:web:example.com"),
        (
            "https://example.com/.well-known/did.json",
            "did:web:example.com",
        ),
        (
            "https://example.com:3000/user/alice",
            "did:web:example.com%3A3000:user:alice",
        ),
        (
            "https://example.com/user/alice/did.json",
            "did:web:example.com:user:alice",
        ),
    ];
    for (url, did) in cases {
        let got = did_web_from_url(&url.parse().unwrap()).unwrap();
        assert_eq!(got.as_str(), did, "{url}");
        // And back.
        let back = did_web_to_url(did, false).unwrap();
        assert!(back.as_str().ends_with("did.json"));
    }
    assert!(did_web_from_url(&"ftp://example.com".parse().unwrap()).is_err());
    assert!(did_web_from_url(&"https://example.com/?q=1".parse().unwrap()).is_err());
}

#[test]
fn document_lists_every_key_in_every_relationship() {
    let did = Did::parse("did:web:example.com").unwrap();
    let k1 = SigningKey::generate(KeyType::Ed25519, &mut test_rng(20));
    let k2 = SigningKey::generate(KeyType::P256, &mut test_rng(21));
    let doc = did_web_document(&did, &[k1.public_key().clone(), k2.public_key().clone()]);
    assert_eq!(doc["id"], "did:web:example.com");
    let vms = doc["verificationMethod"].as_array().unwrap();
    assert_eq!(vms.len(), 2);
    assert_eq!(vms[0]["type"], "Multikey");
    assert_eq!(vms[0]["publicKeyMultibase"], k1.public_key().to_multibase());
    assert_eq!(
        vms[1]["id"],
        format!("did:web:example.com#{}", k2.public_key().to_multibase())
    );
    for rel in [
        "assertionMethod",
        "authentication",
        "capabilityInvocation",
        "capabilityDelegation",
    ] {
        assert_eq!(doc[rel].as_array().unwrap().len(), 2, "{rel}");
    }
}

/// A one-shot-per-connection HTTP/1.1 responder on 127.0.0.1:0. Counts requests.
pub(crate) async fn serve(
    status: &'static str,
    headers: &'static str,
    body: Vec<u8>,
) -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let hits2 = hits.clone();
    let body = Arc::new(body);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            hits2.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = sock.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 {status}\r\n{headers}Content-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(&body).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (port, hits)
}

fn dev_options() -> DidWebOptions {
    DidWebOptions {
        allow_http: true,
        timeout: Duration::from_secs(5),
        ..DidWebOptions::default()
    }
}

pub(crate) fn local_doc(port: u16, key: &SigningKey) -> (String, serde_json::Value) {
    let did = format!("did:web:127.0.0.1%3A{port}");
    let doc = did_web_document(&Did::parse(&did).unwrap(), &[key.public_key().clone()]);
    (did, doc)
}

#[tokio::test]
async fn resolves_over_http_with_dev_switch_and_caches_with_ttl() {
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(22));
    let (_port, hits, did) = serve_doc_for(&key).await;
    let resolver = DidWebResolver::new(dev_options()).unwrap();
    let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let got = resolver.resolve_document(&did, t0).await.unwrap();
    assert_eq!(got["id"], did.as_str());
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // Within the TTL: served from cache.
    resolver
        .resolve_document(&did, t0 + Duration::from_secs(299))
        .await
        .unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    // After the TTL: fetched again.
    resolver
        .resolve_document(&did, t0 + Duration::from_secs(301))
        .await
        .unwrap();
    assert_eq!(hits.load(Ordering::SeqCst), 2);
}

/// Serves the did:web document of `key` at `127.0.0.1:<port>` and returns the port, hit
/// counter and DID. The document has to name the port, so the listener is bound first.
pub(crate) async fn serve_doc_for(key: &SigningKey) -> (u16, Arc<AtomicUsize>, String) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (did, doc) = local_doc(port, key);
    let body = Arc::new(serde_json::to_vec(&doc).unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let hits2 = hits.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            hits2.fetch_add(1, Ordering::SeqCst);
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let req = String::from_utf8_lossy(&buf[..n]);
                let (status, body): (&str, &[u8]) = if req.starts_with("GET /.well-known/did.json ")
                {
                    ("200 OK", &body)
                } else {
                    ("404 Not Found", b"")
                };
                let head = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = sock.write_all(head.as_bytes()).await;
                let _ = sock.write_all(body).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (port, hits, did)
}

#[tokio::test]
async fn http_refused_without_dev_switch() {
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(23));
    let (_port, hits, did) = serve_doc_for(&key).await;
    let resolver = DidWebResolver::new(DidWebOptions::default()).unwrap();
    let err = resolver
        .resolve_document(&did, SystemTime::UNIX_EPOCH)
        .await
        .unwrap_err();
    assert!(matches!(err, DidWebError::ForbiddenHost(_)), "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 0, "no request may be sent");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (port, hits) = serve(
        "302 Found",
        "Location: http://127.0.0.1:1/.well-known/did.json\r\n",
        Vec::new(),
    )
    .await;
    let resolver = DidWebResolver::new(dev_options()).unwrap();
    let did = format!("did:web:127.0.0.1%3A{port}");
    let err = resolver
        .resolve_document(&did, SystemTime::UNIX_EPOCH)
        .await
        .unwrap_err();
    assert!(matches!(err, DidWebError::Redirect(302)), "{err:?}");
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn oversized_wrong_id_and_non_json_bodies_rejected() {
    let resolver = DidWebResolver::new(dev_options()).unwrap();

    let (port, _) = serve("200 OK", "", vec![b' '; 70 * 1024]).await;
    let err = resolver
        .resolve_document(
            &format!("did:web:127.0.0.1%3A{port}"),
            SystemTime::UNIX_EPOCH,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DidWebError::TooLarge(65536)), "{err:?}");

    let (port, _) = serve("200 OK", "", br#"{"id":"did:web:evil.example"}"#.to_vec()).await;
    let err = resolver
        .resolve_document(
            &format!("did:web:127.0.0.1%3A{port}"),
            SystemTime::UNIX_EPOCH,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DidWebError::IdMismatch), "{err:?}");

    let (port, _) = serve("200 OK", "Content-Type: text/html\r\n", b"<html>".to_vec()).await;
    let err = resolver
        .resolve_document(
            &format!("did:web:127.0.0.1%3A{port}"),
            SystemTime::UNIX_EPOCH,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DidWebError::NotJson), "{err:?}");

    let (port, _) = serve("404 Not Found", "", Vec::new()).await;
    let err = resolver
        .resolve_document(
            &format!("did:web:127.0.0.1%3A{port}"),
            SystemTime::UNIX_EPOCH,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DidWebError::HttpStatus(404)), "{err:?}");
}

#[tokio::test]
async fn content_type_is_tolerated() {
    // A did.json served as text/plain still resolves when it is a valid document.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let did = format!("did:web:127.0.0.1%3A{port}");
    let body = serde_json::to_vec(&serde_json::json!({ "id": did })).unwrap();
    tokio::spawn(async move {
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 4096];
        let _ = sock.read(&mut buf).await;
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        let _ = sock.write_all(head.as_bytes()).await;
        let _ = sock.write_all(&body).await;
    });
    let resolver = DidWebResolver::new(dev_options()).unwrap();
    let doc = resolver
        .resolve_document(&did, SystemTime::UNIX_EPOCH)
        .await
        .unwrap();
    assert_eq!(doc["id"], did.as_str());
}

#[tokio::test]
async fn ssrf_dev_switch_does_not_open_private_or_metadata_hosts() {
    // With allow_http the DID maps to a URL (development), but the guarded client still
    // refuses every non-loopback internal address, before connecting.
    let resolver = DidWebResolver::new(dev_options()).unwrap();
    for did in [
        "did:web:169.254.169.254",
        "did:web:10.0.0.1",
        "did:web:192.168.1.1%3A8080:u:alice",
        "did:web:100.64.0.1",
        "did:web:0.0.0.0",
    ] {
        let err = resolver
            .resolve_document(did, SystemTime::UNIX_EPOCH)
            .await
            .unwrap_err();
        assert!(matches!(err, DidWebError::Refused(_)), "{did}: {err:?}");
    }
}

#[tokio::test]
async fn ssrf_loopback_in_other_spellings_is_refused_without_dev_switch() {
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(24));
    let (port, hits, _did) = serve_doc_for(&key).await;
    let resolver = DidWebResolver::new(DidWebOptions::default()).unwrap();
    for host in ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0.0.0.0"] {
        let did = format!("did:web:{host}%3A{port}");
        let err = resolver
            .resolve_document(&did, SystemTime::UNIX_EPOCH)
            .await
            .unwrap_err();
        assert!(
            matches!(err, DidWebError::ForbiddenHost(_) | DidWebError::Refused(_)),
            "{did}: {err:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(hits.load(Ordering::SeqCst), 0, "no request may be sent");
}
