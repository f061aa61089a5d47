//! The wallet's one way to the network: every request to an issuer or a verifier goes through
//! `rosette-net`'s guarded client, like the agent's own fetches. A QR code or a link names the
//! URLs, so whoever made it could otherwise aim the learner's computer at its own network (a
//! router page, a printer, `169.254.169.254`): https only, public addresses only (checked on
//! the DNS answer the connection then uses), no redirects, capped bodies, bounded time.
//! `--allow-http` opens loopback (a development agent on this computer) and nothing else.

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use reqwest::StatusCode;
use rosette_net::{FetchError, FetchPolicy, GuardedClient, Refusal, Request};

use super::Net;

/// Who is at the other end, for messages.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Peer {
    Issuer,
    Verifier,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Self::Issuer => "the issuer",
            Self::Verifier => "the verifier",
        }
    }
}

/// An answer read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) body: Vec<u8>,
}

/// The guarded client with the wallet's policy.
#[derive(Debug)]
pub(crate) struct WalletHttp {
    client: GuardedClient,
    net: Net,
}

/// The largest answer any wallet request reads (a credential response with a baked image).
const MAX_BODY: usize = 4 * 1024 * 1024;

impl WalletHttp {
    pub(crate) fn new(net: Net) -> Result<Self> {
        let client = GuardedClient::new(FetchPolicy {
            allow_loopback_http: net.allow_http,
            max_body: MAX_BODY,
            connect_timeout: Duration::from_secs(10),
            total_timeout: Duration::from_secs(30),
            max_redirects: 0,
        })
        .map_err(|e| anyhow!("cannot set up the network client: {}", e.detail()))?;
        Ok(Self { client, net })
    }

    /// https only, or loopback http with `--allow-http`, in the words people are told.
    pub(crate) fn check_url(&self, url: &str) -> Result<()> {
        self.net.check_url(url)
    }

    /// Sends `request` to `url` (the same URL the request names), reading at most `cap`
    /// bytes of answer. A 3xx comes back as it is: redirects are never followed.
    pub(crate) async fn send(
        &self,
        url: &str,
        request: Request,
        peer: Peer,
        cap: usize,
    ) -> Result<Answer> {
        self.check_url(url)?;
        let fetched = self
            .client
            .send(request)
            .await
            .map_err(|e| explain(url, peer, &e))?;
        if fetched.body.len() > cap {
            bail!("{}'s answer is too large", peer.name());
        }
        let status = StatusCode::from_u16(fetched.status)
            .map_err(|_| anyhow!("{} answered with status {}", peer.name(), fetched.status))?;
        Ok(Answer {
            status,
            body: fetched.body,
        })
    }
}

/// A refusal or a failure, said so that the learner knows what happened and what to do.
fn explain(url: &str, peer: Peer, error: &FetchError) -> anyhow::Error {
    let who = peer.name();
    match error {
        FetchError::Refused(Refusal::Address(class) | Refusal::Resolved(class)) => anyhow!(
            "refusing {url}: {who} is at {class}, not a public internet address; the wallet contacts only public addresses{}",
            if matches!(class, rosette_net::SpecialAddress::Loopback) {
                " (for a development agent on this computer, add --allow-http)"
            } else {
                ""
            }
        ),
        FetchError::Refused(reason) => anyhow!("refusing {url}: {reason}"),
        FetchError::TooLarge { .. } => anyhow!("{who}'s answer is too large"),
        FetchError::Unreachable { .. } | FetchError::Timeout => {
            anyhow!("{who} is unreachable ({url}): {}", error.detail())
        }
        other => anyhow!("cannot reach {who} at {url}: {}", other.detail()),
    }
}
