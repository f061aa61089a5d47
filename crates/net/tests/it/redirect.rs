//! Redirects: not followed by default; when allowed, every target is checked like the first
//! URL, so a public server cannot bounce us to loopback or the metadata service.

use rosette_net::{FetchError, FetchPolicy, Refusal};

use crate::support::{Reply, client, dev_policy, response, serve};

fn found(location: &str) -> Reply {
    response("302 Found", &format!("Location: {location}\r\n"), b"")
}

fn following(n: u8) -> FetchPolicy {
    FetchPolicy {
        max_redirects: n,
        ..dev_policy()
    }
}

#[tokio::test]
async fn redirect_is_returned_not_followed_by_default() {
    let target = serve(response("200 OK", "", b"target")).await;
    let origin = serve(found(&format!("http://127.0.0.1:{}/", target.port))).await;
    let client = client(dev_policy());
    let got = client
        .get(&format!("http://127.0.0.1:{}/", origin.port), "*/*")
        .await
        .unwrap();
    assert_eq!(got.status, 302);
    assert!(got.is_redirect());
    assert!(matches!(got.success(), Err(FetchError::Status(302))));
    assert_eq!(origin.accepted().await, 1);
    assert_eq!(target.accepted().await, 0);
}

#[tokio::test]
async fn redirect_to_loopback_is_not_followed() {
    let target = serve(response("200 OK", "", b"internal")).await;
    let p2 = target.port;
    let client = client(following(3));
    for location in [
        format!("http://[::ffff:127.0.0.1]:{p2}/"),
        format!("https://[::ffff:7f00:1]:{p2}/"),
        format!("http://0.0.0.0:{p2}/"),
        format!("https://[::]:{p2}/"),
    ] {
        let origin = serve(found(&location)).await;
        let err = client
            .get(&format!("http://127.0.0.1:{}/", origin.port), "*/*")
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Refused(_)), "{location}: {err:?}");
        assert_eq!(origin.accepted().await, 1);
    }
    assert_eq!(target.accepted().await, 0);
}

#[tokio::test]
async fn redirect_to_metadata_or_private_address_is_not_followed() {
    let client = client(following(3));
    for location in [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/",
        "https://[fd00:ec2::254]/",
        "http://example.com/",
    ] {
        let origin = serve(found(location)).await;
        let err = client
            .get(&format!("http://127.0.0.1:{}/", origin.port), "*/*")
            .await
            .unwrap_err();
        assert!(matches!(err, FetchError::Refused(_)), "{location}: {err:?}");
    }
    // Not an http(s) location at all: the redirect layer hands the 302 back unfollowed.
    let origin = serve(found("file:///etc/passwd")).await;
    let got = client
        .get(&format!("http://127.0.0.1:{}/", origin.port), "*/*")
        .await
        .unwrap();
    assert_eq!(got.status, 302);
}

#[tokio::test]
async fn redirect_to_an_allowed_target_is_followed_when_enabled() {
    let target = serve(response("200 OK", "Content-Type: text/plain\r\n", b"moved")).await;
    let origin = serve(found(&format!("http://localhost:{}/new", target.port))).await;
    let got = client(following(1))
        .get(&format!("http://127.0.0.1:{}/old", origin.port), "*/*")
        .await
        .unwrap();
    assert_eq!(got.status, 200);
    assert_eq!(got.body, b"moved");
    assert_eq!(
        got.final_url.as_str(),
        format!("http://localhost:{}/new", target.port)
    );
    assert_eq!(target.accepted().await, 1);
}

#[tokio::test]
async fn redirect_chain_longer_than_the_bound_is_refused() {
    // A listener that redirects to itself forever.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let origin = crate::support::serve_on(
        &format!("127.0.0.1:{port}"),
        found(&format!("http://127.0.0.1:{port}/again")),
    )
    .await
    .unwrap();
    let err = client(following(2))
        .get(&format!("http://127.0.0.1:{port}/"), "*/*")
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::Refused(Refusal::TooManyRedirects)),
        "{err:?}"
    );
    // The first request and two redirects.
    assert_eq!(origin.accepted().await, 3);
}
