//! DNS rebinding: a name that answers a public address at one lookup and loopback at the next.
//! Every answer is checked, and the connection goes to the checked address only.

use std::io;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rosette_net::{FetchError, FetchPolicy, GuardedClient, Lookup, Refusal, SpecialAddress};

use crate::support::{dev_policy, response, serve};

/// A DNS server that answers from a script, one answer per lookup, and counts the lookups.
struct ScriptedDns {
    answers: Mutex<Vec<Vec<IpAddr>>>,
    lookups: AtomicUsize,
}

impl ScriptedDns {
    fn new(answers: &[&[&str]]) -> Arc<Self> {
        let mut answers: Vec<Vec<IpAddr>> = answers
            .iter()
            .map(|a| a.iter().map(|ip| ip.parse().unwrap()).collect())
            .collect();
        answers.reverse();
        Arc::new(Self {
            answers: Mutex::new(answers),
            lookups: AtomicUsize::new(0),
        })
    }

    fn lookups(&self) -> usize {
        self.lookups.load(Ordering::SeqCst)
    }
}

impl Lookup for ScriptedDns {
    fn lookup(&self, _host: &str) -> rosette_net::LookupFuture {
        self.lookups.fetch_add(1, Ordering::SeqCst);
        let answer = self.answers.lock().unwrap().pop();
        Box::pin(async move {
            answer.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "script ended"))
        })
    }
}

fn short_timeouts() -> FetchPolicy {
    FetchPolicy {
        connect_timeout: Duration::from_millis(300),
        total_timeout: Duration::from_secs(1),
        ..FetchPolicy::default()
    }
}

#[tokio::test]
async fn dns_answer_that_changes_to_loopback_is_refused() {
    let server = serve(response("200 OK", "", b"internal")).await;
    let dns = ScriptedDns::new(&[&["93.184.216.34"], &["127.0.0.1"]]);
    let client = GuardedClient::with_lookup(short_timeouts(), dns.clone()).unwrap();
    let url = format!("https://rebind.test:{}/status", server.port);
    // First answer is public: allowed, whatever becomes of the connection (this sandbox may
    // have no route to it).
    let first = client.get(&url, "*/*").await.unwrap_err();
    assert!(!matches!(first, FetchError::Refused(_)), "{first:?}");
    // Second answer is loopback: refused, and nothing reaches the listener.
    let second = client.get(&url, "*/*").await.unwrap_err();
    assert!(
        matches!(
            second,
            FetchError::Refused(Refusal::Resolved(SpecialAddress::Loopback))
        ),
        "{second:?}"
    );
    assert_eq!(dns.lookups(), 2, "every fetch asks again and checks again");
    assert_eq!(server.accepted().await, 0);
}

#[tokio::test]
async fn dns_answer_of_internal_addresses_is_refused() {
    for (answer, class) in [
        (&["169.254.169.254"][..], SpecialAddress::LinkLocal),
        (&["10.1.2.3", "192.168.0.1"][..], SpecialAddress::Private),
        (&["::ffff:127.0.0.1"][..], SpecialAddress::Ipv4Mapped),
        (&["::1"][..], SpecialAddress::Loopback),
        (&["0.0.0.0"][..], SpecialAddress::Unspecified),
    ] {
        let dns = ScriptedDns::new(&[answer]);
        let client = GuardedClient::with_lookup(short_timeouts(), dns).unwrap();
        let err = client
            .get("https://internal.test/", "*/*")
            .await
            .unwrap_err();
        assert!(
            matches!(&err, FetchError::Refused(Refusal::Resolved(c)) if *c == class),
            "{answer:?}: {err:?}"
        );
        // The public message does not say which internal class the name resolved to.
        assert!(!err.to_string().contains("private"), "{err}");
        assert!(!err.to_string().contains("link-local"), "{err}");
    }
}

#[tokio::test]
async fn localhost_is_never_asked_of_dns_and_is_refused() {
    let server = serve(response("200 OK", "", b"internal")).await;
    // A DNS that would claim localhost is public must not be consulted.
    let dns = ScriptedDns::new(&[&["93.184.216.34"]]);
    let client = GuardedClient::with_lookup(short_timeouts(), dns.clone()).unwrap();
    for host in ["localhost", "LOCALHOST", "localhost.", "api.localhost"] {
        let err = client
            .get(&format!("https://{host}:{}/", server.port), "*/*")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                FetchError::Refused(Refusal::Resolved(SpecialAddress::Loopback))
            ),
            "{host}: {err:?}"
        );
    }
    assert_eq!(dns.lookups(), 0);
    assert_eq!(server.accepted().await, 0);
}

#[tokio::test]
async fn connection_goes_to_the_checked_answer() {
    // With the dev switch a name answering loopback is allowed; the listener (plain HTTP, so
    // the TLS handshake never completes) sees the connection, which proves reqwest used our
    // answer: the system resolver has never heard of pinned.test.
    let server = serve(response("200 OK", "", b"")).await;
    let dns = ScriptedDns::new(&[&["127.0.0.1"]]);
    let policy = FetchPolicy {
        total_timeout: Duration::from_millis(500),
        ..dev_policy()
    };
    let client = GuardedClient::with_lookup(policy, dns).unwrap();
    let err = client
        .get(&format!("https://pinned.test:{}/", server.port), "*/*")
        .await
        .unwrap_err();
    assert!(!matches!(err, FetchError::Refused(_)), "{err:?}");
    assert_eq!(server.accepted().await, 1);
}

#[tokio::test]
async fn lookup_failure_is_unreachable() {
    let dns = ScriptedDns::new(&[]);
    let client = GuardedClient::with_lookup(short_timeouts(), dns).unwrap();
    let err = client
        .get("https://nowhere.test/", "*/*")
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Unreachable { .. }), "{err:?}");
}

#[tokio::test]
async fn a_closure_resolver_is_checked_like_any_other() {
    let lookup = |_: &str| -> io::Result<Vec<IpAddr>> { Ok(vec!["10.0.0.7".parse().unwrap()]) };
    let client = GuardedClient::with_lookup(short_timeouts(), Arc::new(lookup)).unwrap();
    let err = client
        .get("https://intranet.test/", "*/*")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            FetchError::Refused(Refusal::Resolved(SpecialAddress::Private))
        ),
        "{err:?}"
    );
}
