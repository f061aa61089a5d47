//! Fetches Bitstring Status List credentials over HTTP for the wallet and the agent's verifier
//! roles: https only (plain http only on loopback with the development flag), no redirects, a
//! size cap and a timeout, because the URL comes from the credential and so is chosen by
//! whoever wrote it.

use std::time::Duration;

use rosette_did::resolve::BoxFuture;

use crate::status::{FetchedStatusList, StatusFetchError, StatusListSource};

/// Largest list credential accepted: a 16 KB list compresses to a few hundred bytes; even a
/// large, busy list stays far below this.
const MAX_BODY: usize = 2 * 1024 * 1024;
/// Whole-request timeout.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A [`StatusListSource`] over HTTPS: a reqwest client (rustls).
#[derive(Debug)]
pub struct HttpStatusSource {
    client: reqwest::Client,
    allow_http_loopback: bool,
}

impl HttpStatusSource {
    /// A source; `allow_http_loopback` also accepts `http://` URLs on loopback addresses
    /// (development and tests only).
    pub fn new(allow_http_loopback: bool) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(TIMEOUT)
            .build()?;
        Ok(Self {
            client,
            allow_http_loopback,
        })
    }

    fn check_url(&self, url: &str) -> Result<url::Url, StatusFetchError> {
        let refused = |reason: &str| StatusFetchError::Refused {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let parsed = url::Url::parse(url).map_err(|_| refused("not a URL"))?;
        match parsed.scheme() {
            "https" => Ok(parsed),
            "http" if self.allow_http_loopback && is_loopback(&parsed) => Ok(parsed),
            "http" => Err(refused(
                "plain http (status lists are fetched over https only)",
            )),
            _ => Err(refused("not an https URL")),
        }
    }
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost",
        None => false,
    }
}

impl StatusListSource for HttpStatusSource {
    fn fetch<'a>(
        &'a self,
        url: &'a str,
    ) -> BoxFuture<'a, Result<FetchedStatusList, StatusFetchError>> {
        Box::pin(async move {
            let target = self.check_url(url)?;
            let unreachable = |reason: String| StatusFetchError::Unreachable {
                url: url.to_owned(),
                reason,
                last_fetched: None,
            };
            let mut response = self
                .client
                .get(target)
                .header(
                    "accept",
                    "application/vc+ld+json, application/vc, application/json",
                )
                .send()
                .await
                .map_err(|e| unreachable(e.to_string()))?;
            if response.status().is_redirection() {
                return Err(StatusFetchError::Refused {
                    url: url.to_owned(),
                    reason: format!("redirect ({}) not followed", response.status()),
                });
            }
            if !response.status().is_success() {
                return Err(unreachable(format!("HTTP {}", response.status())));
            }
            let too_large = || StatusFetchError::TooLarge {
                url: url.to_owned(),
                max: MAX_BODY,
            };
            if response
                .content_length()
                .is_some_and(|n| n > MAX_BODY as u64)
            {
                return Err(too_large());
            }
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| unreachable(e.to_string()))?
            {
                if body.len() + chunk.len() > MAX_BODY {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            let text =
                String::from_utf8(body).map_err(|_| unreachable("the body is not UTF-8".into()))?;
            Ok(FetchedStatusList::fresh(text))
        })
    }
}
