//! The rules a URL and each address must pass before anything is sent.

use std::net::IpAddr;
use std::time::Duration;

use url::{Host, Url};

use crate::address::{classify, is_true_loopback};
use crate::error::Refusal;

/// What a [`GuardedClient`](crate::GuardedClient) may fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchPolicy {
    /// Development switch: also fetch loopback targets (`127.0.0.0/8`, `::1`, `localhost`),
    /// over plain http too. Nothing else private opens, and http to anything else stays
    /// refused.
    pub allow_loopback_http: bool,
    /// Largest body read, in bytes; reading stops past it.
    pub max_body: usize,
    /// Longest wait for one TCP connection.
    pub connect_timeout: Duration,
    /// Longest wait for the whole fetch: resolution, connection, headers and body.
    pub total_timeout: Duration,
    /// Redirects followed, each target re-checked; 0 returns the 3xx response as it is.
    pub max_redirects: u8,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            allow_loopback_http: false,
            max_body: 2 * 1024 * 1024,
            connect_timeout: Duration::from_secs(5),
            total_timeout: Duration::from_secs(10),
            max_redirects: 0,
        }
    }
}

impl FetchPolicy {
    /// Whether a connection to `ip` is allowed.
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), crate::SpecialAddress> {
        match classify(ip) {
            None => Ok(()),
            Some(_) if self.allow_loopback_http && is_true_loopback(ip) => Ok(()),
            Some(class) => Err(class),
        }
    }

    /// Whether `url` may be requested: its scheme, and its host when that is an IP literal
    /// (reqwest connects to literals without asking the resolver). Host names are checked
    /// on every DNS answer by the client's resolver.
    pub fn check_url(&self, url: &Url) -> Result<(), Refusal> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_loopback_http && is_loopback_host(url) => {}
            "http" => return Err(Refusal::PlainHttp),
            _ => return Err(Refusal::Scheme),
        }
        // `Url` has already normalised decimal, octal, hex and short IPv4 forms
        // ("2130706433", "0177.0.0.1", "0x7f.1", "127.1") to a literal.
        match url.host() {
            None => Err(Refusal::NoHost),
            Some(Host::Ipv4(ip)) => self.check_ip(ip.into()).map_err(Refusal::Address),
            Some(Host::Ipv6(ip)) => self.check_ip(ip.into()).map_err(Refusal::Address),
            Some(Host::Domain(_)) => Ok(()),
        }
    }
}

/// True when `url`'s host is a loopback literal (`127.0.0.0/8`, `::1`) or a `localhost` name,
/// which the client resolves to loopback itself (RFC 6761) without asking DNS.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => is_true_loopback(ip.into()),
        Some(Host::Domain(name)) => is_localhost_name(name),
        None => false,
    }
}

/// `localhost` and `*.localhost`, any case, with or without the trailing dot.
pub(crate) fn is_localhost_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(policy: &FetchPolicy, url: &str) -> Result<(), Refusal> {
        policy.check_url(&Url::parse(url).unwrap())
    }

    #[test]
    fn scheme_rules() {
        let strict = FetchPolicy::default();
        let dev = FetchPolicy {
            allow_loopback_http: true,
            ..FetchPolicy::default()
        };
        assert_eq!(check(&strict, "https://example.com/x"), Ok(()));
        assert_eq!(
            check(&strict, "http://example.com/x"),
            Err(Refusal::PlainHttp)
        );
        assert_eq!(
            check(&strict, "http://127.0.0.1:8080/"),
            Err(Refusal::PlainHttp)
        );
        assert_eq!(check(&dev, "http://127.0.0.1:8080/"), Ok(()));
        assert_eq!(check(&dev, "http://[::1]:8080/"), Ok(()));
        assert_eq!(check(&dev, "http://localhost:8080/"), Ok(()));
        assert_eq!(check(&dev, "http://LocalHost.:8080/"), Ok(()));
        assert_eq!(check(&dev, "http://a.localhost:8080/"), Ok(()));
        assert_eq!(check(&dev, "http://example.com/"), Err(Refusal::PlainHttp));
        assert_eq!(
            check(&dev, "http://localhost.example/"),
            Err(Refusal::PlainHttp)
        );
        assert_eq!(check(&dev, "http://0.0.0.0:80/"), Err(Refusal::PlainHttp));
        for other in ["ftp://example.com/", "file:///etc/passwd", "gopher://x/"] {
            assert_eq!(check(&dev, other), Err(Refusal::Scheme), "{other}");
        }
    }

    #[test]
    fn literal_hosts_in_every_spelling_are_judged_as_addresses() {
        let strict = FetchPolicy::default();
        for url in [
            "https://127.0.0.1/",
            "https://2130706433/",
            "https://0x7f000001/",
            "https://0177.0.0.1/",
            "https://0x7f.1/",
            "https://127.1/",
            "https://127.0.0.1./",
            "https://[::1]/",
        ] {
            assert_eq!(
                check(&strict, url),
                Err(Refusal::Address(crate::SpecialAddress::Loopback)),
                "{url}"
            );
        }
        assert_eq!(
            check(&strict, "https://[::ffff:127.0.0.1]/"),
            Err(Refusal::Address(crate::SpecialAddress::Ipv4Mapped))
        );
        // The dev switch opens true loopback only, never its mapped form.
        let dev = FetchPolicy {
            allow_loopback_http: true,
            ..FetchPolicy::default()
        };
        assert_eq!(check(&dev, "https://127.1/"), Ok(()));
        assert_eq!(
            check(&dev, "https://[::ffff:7f00:1]/"),
            Err(Refusal::Address(crate::SpecialAddress::Ipv4Mapped))
        );
        assert_eq!(
            check(&dev, "https://10.0.0.1/"),
            Err(Refusal::Address(crate::SpecialAddress::Private))
        );
    }
}
