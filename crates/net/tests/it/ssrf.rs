//! Server-side request forgery by URL: a credential naming our own loopback, private network
//! or cloud metadata address, in every spelling.

use rosette_net::{FetchError, FetchPolicy, Refusal, SpecialAddress};

use crate::support::{client, dev_policy, response, serve, serve_on};

#[tokio::test]
async fn ssrf_loopback_listener_sees_no_connection() {
    let v4 = serve(response("200 OK", "", b"internal")).await;
    // On a host without IPv6 the v6 forms are still asserted refused, against the v4 port.
    let v6 = serve_on("[::1]:0", response("200 OK", "", b"internal")).await;
    let p = v4.port;
    let p6 = v6.as_ref().map_or(p, |s| s.port);
    let client = client(FetchPolicy::default());
    let urls = [
        format!("https://127.0.0.1:{p}/"),
        format!("http://127.0.0.1:{p}/"),
        format!("https://localhost:{p}/"),
        format!("http://localhost:{p}/"),
        format!("https://2130706433:{p}/"),
        format!("https://0x7f000001:{p}/"),
        format!("https://0177.0.0.1:{p}/"),
        format!("https://0x7f.1:{p}/"),
        format!("https://127.1:{p}/"),
        format!("https://127.0.0.1.:{p}/"),
        format!("https://[::1]:{p6}/"),
        format!("https://[::ffff:127.0.0.1]:{p}/"),
        format!("https://[::ffff:7f00:1]:{p}/"),
        format!("https://[0:0:0:0:0:ffff:127.0.0.1]:{p}/"),
        format!("https://[::127.0.0.1]:{p}/"),
        format!("https://[64:ff9b::7f00:1]:{p}/"),
        format!("https://0.0.0.0:{p}/"),
        format!("https://0:{p}/"),
        format!("https://[::]:{p6}/"),
    ];
    for url in &urls {
        let err = client.get(url, "*/*").await.unwrap_err();
        assert!(matches!(err, FetchError::Refused(_)), "{url}: {err:?}");
    }
    assert_eq!(v4.accepted().await, 0, "the v4 listener was reached");
    if let Some(v6) = v6 {
        assert_eq!(v6.accepted().await, 0, "the v6 listener was reached");
    }
}

#[tokio::test]
async fn ssrf_internal_literals_are_refused_without_connecting() {
    let client = client(FetchPolicy::default());
    let cases = [
        (
            "https://169.254.169.254/latest/meta-data/",
            SpecialAddress::LinkLocal,
        ),
        ("https://10.0.0.1/", SpecialAddress::Private),
        ("https://172.16.5.4/", SpecialAddress::Private),
        ("https://192.168.1.1/", SpecialAddress::Private),
        ("https://100.64.0.1/", SpecialAddress::SharedCgnat),
        ("https://[fe80::1]/", SpecialAddress::LinkLocal),
        ("https://[fc00::1]/", SpecialAddress::UniqueLocal),
        ("https://[fd00:ec2::254]/", SpecialAddress::UniqueLocal),
        ("https://[fec0::1]/", SpecialAddress::SiteLocal),
        ("https://224.0.0.1/", SpecialAddress::Multicast),
        ("https://255.255.255.255/", SpecialAddress::Broadcast),
        ("https://240.0.0.1/", SpecialAddress::Reserved),
        ("https://198.18.0.1/", SpecialAddress::Benchmarking),
        ("https://192.0.2.1/", SpecialAddress::Documentation),
        (
            "https://[::ffff:169.254.169.254]/",
            SpecialAddress::Ipv4Mapped,
        ),
        ("https://[64:ff9b::a9fe:a9fe]/", SpecialAddress::Nat64),
        // The decimal spelling of 169.254.169.254.
        ("https://2852039166/", SpecialAddress::LinkLocal),
    ];
    for (url, class) in cases {
        let err = client.get(url, "*/*").await.unwrap_err();
        assert!(
            matches!(&err, FetchError::Refused(Refusal::Address(c)) if *c == class),
            "{url}: {err:?}"
        );
    }
}

#[tokio::test]
async fn ssrf_dev_switch_opens_true_loopback_only() {
    let server = serve(response("200 OK", "", b"ok")).await;
    let p = server.port;
    let client = client(dev_policy());
    for url in [
        format!("http://0.0.0.0:{p}/"),
        format!("https://0.0.0.0:{p}/"),
        format!("http://[::ffff:127.0.0.1]:{p}/"),
        format!("https://[::ffff:127.0.0.1]:{p}/"),
        format!("https://[::]:{p}/"),
        "http://10.0.0.1/".to_owned(),
        "https://169.254.169.254/".to_owned(),
        "http://example.com/".to_owned(),
    ] {
        let err = client.get(&url, "*/*").await.unwrap_err();
        assert!(matches!(err, FetchError::Refused(_)), "{url}: {err:?}");
    }
    assert_eq!(server.accepted().await, 0);
    let ok = client
        .get(&format!("http://127.0.0.1:{p}/"), "*/*")
        .await
        .unwrap();
    assert_eq!(ok.body, b"ok");
    assert_eq!(server.accepted().await, 1);
}

#[tokio::test]
async fn plain_http_and_other_schemes_are_refused() {
    let strict = client(FetchPolicy::default());
    let dev = client(dev_policy());
    for c in [&strict, &dev] {
        for (url, want) in [
            ("http://example.com/status", Refusal::PlainHttp),
            ("ftp://example.com/status", Refusal::Scheme),
            ("file:///etc/passwd", Refusal::Scheme),
            ("not a url", Refusal::NotAUrl),
        ] {
            let err = c.get(url, "*/*").await.unwrap_err();
            assert!(
                matches!(&err, FetchError::Refused(r) if *r == want),
                "{url}: {err:?}"
            );
        }
    }
}
