//! Fetches Bitstring Status List credentials over HTTP for the wallet and the agent's verifier
//! roles. The URL comes from the credential and so is chosen by whoever wrote it: the fetch
//! goes through [`rosette_net::GuardedClient`] (https only, public addresses only, no
//! redirects, a size cap and timeouts; plain http only on loopback with the development flag).

use std::time::Duration;

use rosette_did::resolve::BoxFuture;
use rosette_net::{FetchError, FetchPolicy, GuardedClient};

use crate::status::{FetchedStatusList, StatusFetchError, StatusListSource};

/// Largest list credential accepted: a 16 KB list compresses to a few hundred bytes; even a
/// large, busy list stays far below this.
const MAX_BODY: usize = 2 * 1024 * 1024;
/// Whole-request timeout.
const TIMEOUT: Duration = Duration::from_secs(10);
const ACCEPT: &str = "application/vc+ld+json, application/vc, application/json";

/// A [`StatusListSource`] over HTTPS through the guarded client.
#[derive(Debug)]
pub struct HttpStatusSource {
    client: GuardedClient,
}

impl HttpStatusSource {
    /// A source; `allow_http_loopback` also accepts loopback targets, over `http://` too
    /// (development and tests only).
    pub fn new(allow_http_loopback: bool) -> Result<Self, FetchError> {
        let client = GuardedClient::new(FetchPolicy {
            allow_loopback_http: allow_http_loopback,
            max_body: MAX_BODY,
            total_timeout: TIMEOUT,
            max_redirects: 0,
            ..FetchPolicy::default()
        })?;
        Ok(Self { client })
    }
}

impl StatusListSource for HttpStatusSource {
    fn fetch<'a>(
        &'a self,
        url: &'a str,
    ) -> BoxFuture<'a, Result<FetchedStatusList, StatusFetchError>> {
        Box::pin(async move {
            // Reasons are the guarded client's public messages: they may reach a remote
            // verifier's caller, so they say nothing about our network or the upstream body.
            let unreachable = |reason: String| StatusFetchError::Unreachable {
                url: url.to_owned(),
                reason,
                last_fetched: None,
            };
            let fetched = self.client.get(url, ACCEPT).await.map_err(|e| match e {
                FetchError::Refused(reason) => StatusFetchError::Refused {
                    url: url.to_owned(),
                    reason: reason.to_string(),
                },
                FetchError::TooLarge { max } => StatusFetchError::TooLarge {
                    url: url.to_owned(),
                    max,
                },
                other => unreachable(other.to_string()),
            })?;
            if fetched.is_redirect() {
                return Err(StatusFetchError::Refused {
                    url: url.to_owned(),
                    reason: "redirects are not followed".to_owned(),
                });
            }
            let fetched = fetched.success().map_err(|e| unreachable(e.to_string()))?;
            let text = String::from_utf8(fetched.body)
                .map_err(|_| unreachable("the body is not UTF-8".into()))?;
            Ok(FetchedStatusList::fresh(text))
        })
    }
}
