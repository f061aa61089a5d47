//! The fetch itself: the development switch, the body cap, timeouts, and what errors tell a
//! remote caller.

use std::time::{Duration, Instant};

use rosette_net::{FetchError, FetchPolicy};

use crate::support::{Reply, client, dev_policy, response, serve};

#[tokio::test]
async fn dev_switch_allows_http_on_loopback() {
    let server = serve(response(
        "200 OK",
        "Content-Type: application/vc+ld+json\r\n",
        br#"{"ok":true}"#,
    ))
    .await;
    let client = client(dev_policy());
    for host in ["127.0.0.1", "localhost", "127.1"] {
        let url = format!("http://{host}:{}/list", server.port);
        let got = client
            .get(&url, "application/vc+ld+json")
            .await
            .unwrap()
            .success()
            .unwrap();
        assert_eq!(got.status, 200);
        assert_eq!(got.body, br#"{"ok":true}"#);
        assert_eq!(got.content_type.as_deref(), Some("application/vc+ld+json"));
        assert_eq!(got.final_url.port(), Some(server.port));
    }
    assert_eq!(server.accepted().await, 3);
}

#[tokio::test]
async fn body_over_the_cap_by_content_length_is_too_large() {
    let server = serve(response("200 OK", "", &[b'x'; 2000])).await;
    let policy = FetchPolicy {
        max_body: 1000,
        ..dev_policy()
    };
    let err = client(policy)
        .get(&format!("http://127.0.0.1:{}/", server.port), "*/*")
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { max: 1000 }), "{err:?}");
}

#[tokio::test]
async fn body_over_the_cap_without_content_length_is_cut_while_streaming() {
    // No Content-Length: the body runs until the server closes, 8 MiB of it.
    let mut bytes = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 8 * 1024 * 1024));
    let server = serve(Reply::Bytes(std::sync::Arc::new(bytes))).await;
    let policy = FetchPolicy {
        max_body: 64 * 1024,
        ..dev_policy()
    };
    let err = client(policy)
        .get(&format!("http://127.0.0.1:{}/", server.port), "*/*")
        .await
        .unwrap_err();
    assert!(
        matches!(err, FetchError::TooLarge { max: 65536 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn body_at_the_cap_is_accepted() {
    let server = serve(response("200 OK", "", &[b'x'; 1000])).await;
    let policy = FetchPolicy {
        max_body: 1000,
        ..dev_policy()
    };
    let got = client(policy)
        .get(&format!("http://127.0.0.1:{}/", server.port), "*/*")
        .await
        .unwrap();
    assert_eq!(got.body.len(), 1000);
}

#[tokio::test]
async fn silent_server_times_out_within_the_total_timeout() {
    let server = serve(Reply::Silent).await;
    let policy = FetchPolicy {
        total_timeout: Duration::from_millis(500),
        ..dev_policy()
    };
    let started = Instant::now();
    let err = client(policy)
        .get(&format!("http://127.0.0.1:{}/", server.port), "*/*")
        .await
        .unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, FetchError::Timeout), "{err:?}");
    assert!(took >= Duration::from_millis(450), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(server.accepted().await, 1);
}

#[tokio::test]
async fn port_scan_closed_and_silent_ports_look_the_same() {
    let silent = serve(Reply::Silent).await;
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let policy = FetchPolicy {
        total_timeout: Duration::from_millis(300),
        ..dev_policy()
    };
    let client = client(policy);
    let closed = client
        .get(&format!("http://127.0.0.1:{closed_port}/"), "*/*")
        .await
        .unwrap_err();
    let tarpit = client
        .get(&format!("http://127.0.0.1:{}/", silent.port), "*/*")
        .await
        .unwrap_err();
    assert!(
        matches!(closed, FetchError::Unreachable { .. }),
        "{closed:?}"
    );
    assert!(matches!(tarpit, FetchError::Timeout), "{tarpit:?}");
    assert_eq!(closed.to_string(), tarpit.to_string());
    // The details stay available for logs.
    assert_ne!(closed.detail(), tarpit.detail());
}

#[tokio::test]
async fn error_status_and_upstream_body_are_not_echoed() {
    let server = serve(response(
        "500 Internal Server Error",
        "",
        b"db password is hunter2",
    ))
    .await;
    let got = client(dev_policy())
        .get(&format!("http://127.0.0.1:{}/", server.port), "*/*")
        .await
        .unwrap();
    assert_eq!(got.status, 500);
    let err = got.success().unwrap_err();
    assert!(matches!(err, FetchError::Status(500)), "{err:?}");
    let shown = err.to_string();
    assert!(!shown.contains("500"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(err.detail().contains("500"));
}

#[tokio::test]
async fn accept_header_is_sent() {
    // A responder that echoes the request head back as the body.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = sock.read(&mut buf).await.unwrap();
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n");
        sock.write_all(head.as_bytes()).await.unwrap();
        sock.write_all(&buf[..n]).await.unwrap();
    });
    let got = client(dev_policy())
        .get(&format!("http://127.0.0.1:{port}/"), "application/did+json")
        .await
        .unwrap();
    let request = String::from_utf8(got.body).unwrap().to_ascii_lowercase();
    assert!(
        request.contains("accept: application/did+json"),
        "{request}"
    );
    assert!(!request.contains("referer"), "{request}");
}

/// The wallet's POSTs: method, body, content type and bearer token arrive as sent; the token
/// never shows in the request's debug output.
#[tokio::test]
async fn post_with_body_and_bearer_token() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut sock, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 4096];
        let mut n = 0;
        // Head and body may come in two reads.
        while !String::from_utf8_lossy(&buf[..n]).contains("grant_type=x") {
            n += sock.read(&mut buf[n..]).await.unwrap();
        }
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {n}\r\nConnection: close\r\n\r\n");
        sock.write_all(head.as_bytes()).await.unwrap();
        sock.write_all(&buf[..n]).await.unwrap();
    });
    let request = rosette_net::Request::post(
        &format!("http://127.0.0.1:{port}/token"),
        "application/json",
        "application/x-www-form-urlencoded",
        "grant_type=x",
    )
    .bearer("s3cret-token");
    assert!(!format!("{request:?}").contains("s3cret"));
    let got = client(dev_policy()).send(request).await.unwrap();
    let seen = String::from_utf8(got.body).unwrap();
    let lower = seen.to_ascii_lowercase();
    assert!(seen.starts_with("POST /token HTTP/1.1"), "{seen}");
    assert!(
        lower.contains("content-type: application/x-www-form-urlencoded"),
        "{seen}"
    );
    assert!(
        lower.contains("authorization: bearer s3cret-token"),
        "{seen}"
    );
    assert!(seen.ends_with("grant_type=x"), "{seen}");
}

/// A POST is judged like a GET: nothing is sent to a refused address.
#[tokio::test]
async fn post_to_an_internal_address_is_refused_without_connecting() {
    let server = serve(response("200 OK", "", b"")).await;
    let strict = client(FetchPolicy::default());
    for host in ["127.0.0.1", "2130706433", "[::ffff:127.0.0.1]", "localhost"] {
        let url = format!("https://{host}:{}/credential", server.port);
        let request =
            rosette_net::Request::post(&url, "application/json", "application/json", "{}");
        assert!(
            matches!(strict.send(request).await, Err(FetchError::Refused(_))),
            "{url}"
        );
    }
    assert_eq!(server.accepted().await, 0);
}
