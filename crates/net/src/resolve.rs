//! Name resolution done by us: every DNS answer is filtered through [`FetchPolicy::check_ip`]
//! and reqwest connects only to the addresses that survive. The check and the connection use
//! the same answer, so a name that re-resolves to loopback between the two (DNS rebinding)
//! cannot switch the target.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;

use crate::error::Refusal;
use crate::policy::{FetchPolicy, is_localhost_name};

/// The future a [`Lookup`] returns.
pub type LookupFuture = Pin<Box<dyn Future<Output = io::Result<Vec<IpAddr>>> + Send>>;

/// Turns a host name into addresses. [`SystemLookup`] asks the system resolver; tests inject
/// their own (a closure `Fn(&str) -> io::Result<Vec<IpAddr>>` is one) to play a DNS server
/// whose answers change.
pub trait Lookup: Send + Sync {
    /// The addresses of `host` (a name, never an IP literal).
    fn lookup(&self, host: &str) -> LookupFuture;
}

impl<F> Lookup for F
where
    F: Fn(&str) -> io::Result<Vec<IpAddr>> + Send + Sync,
{
    fn lookup(&self, host: &str) -> LookupFuture {
        let answer = self(host);
        Box::pin(async move { answer })
    }
}

/// The system resolver (`getaddrinfo` through tokio).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemLookup;

impl Lookup for SystemLookup {
    fn lookup(&self, host: &str) -> LookupFuture {
        let host = host.to_owned();
        Box::pin(async move {
            let addrs = tokio::net::lookup_host((host.as_str(), 0)).await?;
            Ok(addrs.map(|a| a.ip()).collect())
        })
    }
}

/// Keeps the answers `policy` allows; refuses when none is left, naming the first refused
/// class.
pub(crate) fn vet(ips: &[IpAddr], policy: &FetchPolicy) -> Result<Vec<IpAddr>, Refusal> {
    let mut first_refused = None;
    let mut kept = Vec::with_capacity(ips.len());
    for &ip in ips {
        match policy.check_ip(ip) {
            Ok(()) => kept.push(ip),
            Err(class) => {
                first_refused.get_or_insert(class);
            }
        }
    }
    match first_refused {
        Some(class) if kept.is_empty() => Err(Refusal::Resolved(class)),
        _ => Ok(kept),
    }
}

/// The reqwest resolver that applies the policy to every answer.
pub(crate) struct GuardedResolver {
    pub(crate) lookup: Arc<dyn Lookup>,
    pub(crate) policy: FetchPolicy,
}

impl fmt::Debug for GuardedResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedResolver")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        let lookup = Arc::clone(&self.lookup);
        let policy = self.policy.clone();
        Box::pin(async move {
            // localhost is loopback by definition (RFC 6761); asking DNS could say otherwise.
            let ips = if is_localhost_name(&host) {
                vec![
                    IpAddr::V4(Ipv4Addr::LOCALHOST),
                    IpAddr::V6(Ipv6Addr::LOCALHOST),
                ]
            } else {
                lookup.lookup(&host).await?
            };
            if ips.is_empty() {
                return Err(io::Error::new(io::ErrorKind::NotFound, "no address").into());
            }
            let kept = vet(&ips, &policy)?;
            // Port 0: reqwest puts in the URL's port.
            let addrs: reqwest::dns::Addrs =
                Box::new(kept.into_iter().map(|ip| SocketAddr::new(ip, 0)));
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SpecialAddress;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn dns_answer_mixing_public_and_internal_keeps_only_public() {
        let policy = FetchPolicy::default();
        let got = vet(
            &ips(&["127.0.0.1", "93.184.216.34", "10.0.0.1", "2606:4700::1"]),
            &policy,
        )
        .unwrap();
        assert_eq!(got, ips(&["93.184.216.34", "2606:4700::1"]));
    }

    #[test]
    fn dns_answer_of_only_internal_addresses_is_refused() {
        let policy = FetchPolicy::default();
        assert_eq!(
            vet(&ips(&["169.254.169.254", "10.0.0.1"]), &policy),
            Err(Refusal::Resolved(SpecialAddress::LinkLocal))
        );
        assert_eq!(
            vet(&ips(&["::ffff:127.0.0.1"]), &policy),
            Err(Refusal::Resolved(SpecialAddress::Ipv4Mapped))
        );
        let dev = FetchPolicy {
            allow_loopback_http: true,
            ..FetchPolicy::default()
        };
        assert_eq!(
            vet(&ips(&["127.0.0.1", "10.0.0.1"]), &dev),
            Ok(ips(&["127.0.0.1"]))
        );
    }
}
