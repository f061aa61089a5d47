//! Per-client rate limits on the routes a stranger can hammer without credentials: the token
//! endpoint (PIN guessing), `/verify`, public-badge challenges, console sign-in and
//! presentation polling. Token buckets per (route family, client address), in memory; over the
//! limit a request gets 429 with `Retry-After`.
//!
//! The client address is the TCP peer, or — only when the peer is a configured trusted proxy —
//! the right-most address of `X-Forwarded-For` that is not itself a trusted proxy.
//!
//! PIN lockout by a stranger: each client may get a PIN wrong [`PIN_TRIES_PER_CLIENT`] times
//! per offer and hour (then 429 for that client and offer only, see [`PinGuard`]); the offer
//! itself locks only after `max_tx_code_attempts` wrong PINs from all clients together, a
//! higher, slower limit. Someone who photographs a learner's QR code can no longer lock the
//! learner out with five guesses, and guessing the PIN stays hopeless: 10 tries per minute
//! per address against a million PINs.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::config::RateLimits;

/// Wrong PINs one client may send for one offer per hour.
pub const PIN_TRIES_PER_CLIENT: u32 = 5;
/// Buckets kept before idle ones are dropped.
const MAX_BUCKETS: usize = 100_000;

/// A route family with its own limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    /// `POST /issuers/{slug}/token`.
    Token,
    /// `POST /verify`.
    Verify,
    /// `POST /issuers/{slug}/public-badges/challenge`.
    Challenge,
    /// Console sign-in and the operator's institution form.
    SignIn,
    /// Presentation result polling.
    Poll,
}

impl Family {
    /// The family of a request, if it is rate limited.
    fn of(method: &Method, path: &str) -> Option<Self> {
        let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
        match (method.as_str(), parts.as_slice()) {
            ("POST", ["issuers", _, "token"]) => Some(Self::Token),
            ("POST", ["verify"]) => Some(Self::Verify),
            ("POST", ["issuers", _, "public-badges", "challenge"]) => Some(Self::Challenge),
            ("POST", ["console", "login"] | ["console", "login", "new-institution"]) => {
                Some(Self::SignIn)
            }
            (
                "GET",
                ["verifiers", _, "transactions", _] | ["verifiers", _, "present", _, "result"],
            ) => Some(Self::Poll),
            _ => None,
        }
    }

    /// Requests allowed per minute per client (the bucket's size and refill rate).
    fn per_minute(self, rules: &RateLimits) -> u32 {
        match self {
            Self::Token => rules.token,
            Self::Verify => rules.verify,
            Self::Challenge => rules.challenge,
            Self::SignIn => rules.sign_in,
            Self::Poll => rules.poll,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The limiter: token buckets per (family, client).
#[derive(Debug)]
pub struct RateLimiter {
    rules: RateLimits,
    buckets: Mutex<BTreeMap<(Family, IpAddr), Bucket>>,
}

impl RateLimiter {
    /// A limiter with `rules`.
    pub fn new(rules: RateLimits) -> Arc<Self> {
        Arc::new(Self {
            rules,
            buckets: Mutex::new(BTreeMap::new()),
        })
    }

    /// The client a request comes from (see the module docs).
    pub fn client(&self, req: &Request) -> Option<IpAddr> {
        let peer = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        client_address(peer, req.headers(), &self.rules)
    }

    /// Takes one request from the bucket; `Err(wait)` when it is empty.
    fn take(&self, family: Family, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let per_minute = f64::from(family.per_minute(&self.rules).max(1));
        let rate = per_minute / 60.0;
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS {
            // Full buckets are the idle clients: forget them.
            buckets.retain(|(f, _), b| {
                let full = f64::from(f.per_minute(&self.rules).max(1));
                b.tokens + now.duration_since(b.at).as_secs_f64() * (full / 60.0) < full
            });
        }
        let bucket = buckets.entry((family, client)).or_insert(Bucket {
            tokens: per_minute,
            at: now,
        });
        let refilled =
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * rate).min(per_minute);
        bucket.at = now;
        if refilled >= 1.0 {
            bucket.tokens = refilled - 1.0;
            Ok(())
        } else {
            bucket.tokens = refilled;
            Err(Duration::from_secs_f64((1.0 - refilled) / rate))
        }
    }
}

/// The address to account a request to: the TCP `peer`, or for a trusted proxy the right-most
/// `X-Forwarded-For` address that is not a trusted proxy. `None` (not limited) for loopback
/// peers unless `limit_loopback`.
pub fn client_address(
    peer: Option<IpAddr>,
    headers: &axum::http::HeaderMap,
    rules: &RateLimits,
) -> Option<IpAddr> {
    let peer = peer?;
    if !rules.trusted_proxies.contains(&peer) {
        return (!peer.is_loopback() || rules.limit_loopback).then_some(peer);
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|a| !rules.trusted_proxies.contains(a))
            .unwrap_or(peer),
    )
}

/// The middleware: 429 with `Retry-After` past a family's limit.
pub async fn limit(State(limiter): State<Arc<RateLimiter>>, req: Request, next: Next) -> Response {
    if let Some(family) = Family::of(req.method(), req.uri().path())
        && let Some(client) = limiter.client(&req)
        && let Err(wait) = limiter.take(family, client, Instant::now())
    {
        tracing::debug!(?family, %client, "rate limited");
        return too_many(wait);
    }
    next.run(req).await
}

/// 429 with `Retry-After` (whole seconds, at least 1).
pub fn too_many(wait: Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        axum::Json(json!({
            "error": "too_many_requests",
            "error_description": format!("too many requests from this address; try again in {} s", seconds.max(1)),
        })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Wrong PINs per (client, pre-authorized code) in the last hour; see the module docs.
#[derive(Debug, Default)]
pub struct PinGuard {
    failures: Mutex<BTreeMap<(IpAddr, String), (u32, Instant)>>,
}

impl PinGuard {
    const WINDOW: Duration = Duration::from_secs(3600);

    /// `Err(wait)` when `client` used up its wrong PINs for `code` (a hash of it).
    pub fn check(&self, client: IpAddr, code: &str, now: Instant) -> Result<(), Duration> {
        let failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match failures.get(&(client, code.to_owned())) {
            Some((count, since))
                if *count >= PIN_TRIES_PER_CLIENT && now.duration_since(*since) < Self::WINDOW =>
            {
                Err(Self::WINDOW.saturating_sub(now.duration_since(*since)))
            }
            _ => Ok(()),
        }
    }

    /// Counts a wrong PIN of `client` for `code`.
    pub fn failed(&self, client: IpAddr, code: &str, now: Instant) {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if failures.len() >= MAX_BUCKETS {
            failures.retain(|_, (_, since)| now.duration_since(*since) < Self::WINDOW);
        }
        let entry = failures
            .entry((client, code.to_owned()))
            .or_insert((0, now));
        if now.duration_since(entry.1) >= Self::WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_and_families_are_separate() {
        let limiter = RateLimiter::new(RateLimits {
            token: 3,
            ..RateLimits::default()
        });
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        let other: IpAddr = "192.0.2.8".parse().unwrap();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.take(Family::Token, ip, t0).is_ok());
        }
        let wait = limiter.take(Family::Token, ip, t0).unwrap_err();
        assert!(
            wait <= Duration::from_secs(20) && wait > Duration::from_secs(19),
            "{wait:?}"
        );
        assert!(limiter.take(Family::Token, other, t0).is_ok());
        assert!(limiter.take(Family::Verify, ip, t0).is_ok());
        assert!(
            limiter
                .take(Family::Token, ip, t0 + Duration::from_secs(21))
                .is_ok()
        );
    }

    #[test]
    fn families_by_route() {
        assert_eq!(
            Family::of(&Method::POST, "/issuers/acme/token"),
            Some(Family::Token)
        );
        assert_eq!(Family::of(&Method::GET, "/issuers/acme/token"), None);
        assert_eq!(Family::of(&Method::POST, "/verify"), Some(Family::Verify));
        assert_eq!(
            Family::of(&Method::GET, "/verifiers/acme/present/tx/result"),
            Some(Family::Poll)
        );
        assert_eq!(Family::of(&Method::POST, "/issuers/acme/credential"), None);
    }

    #[test]
    fn pin_guard_per_client_and_code() {
        let guard = PinGuard::default();
        let (a, b): (IpAddr, IpAddr) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..PIN_TRIES_PER_CLIENT {
            assert!(guard.check(a, "code", t0).is_ok());
            guard.failed(a, "code", t0);
        }
        assert!(guard.check(a, "code", t0).is_err());
        assert!(guard.check(b, "code", t0).is_ok());
        assert!(guard.check(a, "other", t0).is_ok());
        assert!(
            guard
                .check(a, "code", t0 + Duration::from_secs(3601))
                .is_ok()
        );
    }
}
