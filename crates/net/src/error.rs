//! What a fetch can fail with. `Display` is safe to show a remote client: it never echoes the
//! upstream body or status, and a closed port reads like a silent one (otherwise the fetcher
//! is a port scanner). [`FetchError::detail`] has the rest, for logs.

use crate::address::SpecialAddress;

/// Why a URL is not fetched. Everything here follows from the URL (or its DNS answer) alone.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The string does not parse as a URL.
    #[error("not a URL")]
    NotAUrl,
    /// A scheme other than https (or http, below).
    #[error("not an https URL")]
    Scheme,
    /// Plain http to anything but loopback, or without the development switch.
    #[error("plain http is not fetched (https only)")]
    PlainHttp,
    /// The URL has no host.
    #[error("the URL has no host")]
    NoHost,
    /// The URL's host is an IP literal that is not public.
    #[error("the host is {0}")]
    Address(SpecialAddress),
    /// Every address the host name resolves to is not public. The class is not shown, so the
    /// message tells a remote caller nothing about our internal DNS.
    #[error("the host name resolves to no allowed address")]
    Resolved(SpecialAddress),
    /// More redirects than [`FetchPolicy::max_redirects`](crate::FetchPolicy::max_redirects).
    #[error("too many redirects")]
    TooManyRedirects,
}

/// A guarded fetch failed.
#[derive(Clone, Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL, a redirect target or the resolved address is not allowed; nothing was sent
    /// there.
    #[error("the URL is not allowed: {0}")]
    Refused(Refusal),
    /// DNS, connection or TLS failed.
    #[error("the server could not be reached")]
    Unreachable {
        /// For logs only.
        detail: String,
    },
    /// The connection or the whole exchange took longer than the policy allows. Same message
    /// as [`FetchError::Unreachable`] on purpose.
    #[error("the server could not be reached")]
    Timeout,
    /// The body is larger than [`FetchPolicy::max_body`](crate::FetchPolicy::max_body).
    #[error("the response is larger than {max} bytes")]
    TooLarge {
        /// The cap.
        max: usize,
    },
    /// The server answered with a status the caller does not accept (see
    /// [`Fetched::success`](crate::Fetched::success)).
    #[error("the server answered with an error")]
    Status(u16),
    /// The caller's [`FetchBudget`](crate::FetchBudget) is spent.
    #[error("too many fetches for one request")]
    BudgetExhausted,
    /// The HTTP client could not be built, or the request could not be formed.
    #[error("the HTTP client could not be set up")]
    Setup {
        /// For logs only.
        detail: String,
    },
}

impl FetchError {
    /// Everything known about the failure, for logs; not for remote callers.
    pub fn detail(&self) -> String {
        match self {
            Self::Refused(Refusal::Resolved(class)) => {
                format!("refused: the host name resolves only to {class}")
            }
            Self::Refused(reason) => format!("refused: {reason}"),
            Self::Unreachable { detail } => format!("unreachable: {detail}"),
            Self::Timeout => "timed out".to_owned(),
            Self::TooLarge { max } => format!("body larger than {max} bytes"),
            Self::Status(code) => format!("HTTP status {code}"),
            Self::BudgetExhausted => "fetch budget spent".to_owned(),
            Self::Setup { detail } => format!("client setup: {detail}"),
        }
    }
}

impl From<Refusal> for FetchError {
    fn from(reason: Refusal) -> Self {
        Self::Refused(reason)
    }
}
