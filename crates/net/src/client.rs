//! The guarded client itself: a reqwest client (rustls) with our resolver, our redirect
//! policy, no proxy, and a body read under a cap.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::{Method, redirect};
use url::Url;

use crate::error::{FetchError, Refusal};
use crate::policy::FetchPolicy;
use crate::resolve::{GuardedResolver, Lookup, SystemLookup};

/// A response read whole (up to [`FetchPolicy::max_body`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fetched {
    /// The HTTP status; a 3xx here means the redirect was not followed.
    pub status: u16,
    /// The URL that answered (after any followed redirects).
    pub final_url: Url,
    /// The `Content-Type` header, when present and readable.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Fetched {
    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// True for a 3xx status (a redirect that was not followed).
    pub fn is_redirect(&self) -> bool {
        (300..400).contains(&self.status)
    }

    /// `self` when the status is 2xx, else [`FetchError::Status`].
    pub fn success(self) -> Result<Self, FetchError> {
        if self.is_success() {
            Ok(self)
        } else {
            Err(FetchError::Status(self.status))
        }
    }
}

/// The one HTTP client for URLs that someone else chose (a credential, a DID, an offer): it
/// connects only to public addresses over https, under [`FetchPolicy`].
#[derive(Clone)]
pub struct GuardedClient {
    client: reqwest::Client,
    policy: FetchPolicy,
}

impl fmt::Debug for GuardedClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuardedClient")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl GuardedClient {
    /// A client resolving names with the system resolver.
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        Self::with_lookup(policy, Arc::new(SystemLookup))
    }

    /// A client resolving names with `lookup` (tests: a DNS server that changes its answer).
    pub fn with_lookup(policy: FetchPolicy, lookup: Arc<dyn Lookup>) -> Result<Self, FetchError> {
        let resolver = GuardedResolver {
            lookup,
            policy: policy.clone(),
        };
        let client = reqwest::Client::builder()
            .dns_resolver(resolver)
            .redirect(redirect_policy(&policy))
            // A proxy would connect for us, to addresses we never see.
            .no_proxy()
            // The previous URL is nobody's business at the next one.
            .referer(false)
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.total_timeout)
            .build()
            .map_err(|e| FetchError::Setup {
                detail: error_chain(&e),
            })?;
        Ok(Self { client, policy })
    }

    /// The policy in force.
    pub fn policy(&self) -> &FetchPolicy {
        &self.policy
    }

    /// GETs `url` with the given `Accept` header. Any status comes back as [`Fetched`] (use
    /// [`Fetched::success`] to demand 2xx); a refused URL, a refused redirect target or a
    /// refused DNS answer is [`FetchError::Refused`] and nothing was sent there.
    pub async fn get(&self, url: &str, accept: &str) -> Result<Fetched, FetchError> {
        self.send(Request::get(url, accept)).await
    }

    /// Sends `request` under the policy, as [`GuardedClient::get`] does.
    pub async fn send(&self, request: Request) -> Result<Fetched, FetchError> {
        let url = Url::parse(&request.url).map_err(|_| Refusal::NotAUrl)?;
        self.policy.check_url(&url)?;
        let header = |name: &str, value: &str| {
            HeaderValue::from_str(value).map_err(|e| FetchError::Setup {
                detail: format!("{name} header: {e}"),
            })
        };
        let mut builder = self
            .client
            .request(request.method.clone(), url)
            .header(ACCEPT, header("Accept", &request.accept)?);
        if let Some(content_type) = &request.content_type {
            builder = builder.header(CONTENT_TYPE, header("Content-Type", content_type)?);
        }
        if let Some(token) = &request.bearer {
            let mut value = header("Authorization", &format!("Bearer {token}"))?;
            // Kept out of reqwest's debug output and of HTTP/2 header compression tables.
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        if let Some(body) = request.body {
            builder = builder.body(body);
        }
        // reqwest's own timeout covers the same span; this one also bounds our body loop and
        // gives one error whatever stage was slow.
        tokio::time::timeout(self.policy.total_timeout, self.exchange(builder))
            .await
            .map_err(|_| FetchError::Timeout)?
    }

    async fn exchange(&self, builder: reqwest::RequestBuilder) -> Result<Fetched, FetchError> {
        let mut response = builder.send().await.map_err(classify)?;
        let max = self.policy.max_body;
        if response.content_length().is_some_and(|n| n > max as u64) {
            return Err(FetchError::TooLarge { max });
        }
        let status = response.status().as_u16();
        let final_url = response.url().clone();
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // Streamed: a server that lies about (or omits) Content-Length is cut off at the cap.
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(classify)? {
            if body.len() + chunk.len() > max {
                return Err(FetchError::TooLarge { max });
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            status,
            final_url,
            content_type,
            body,
        })
    }
}

/// A request for [`GuardedClient::send`]: a GET, or a POST with a body, as protocol clients
/// (a wallet's token, credential and presentation requests) send them.
pub struct Request {
    method: Method,
    url: String,
    accept: String,
    content_type: Option<String>,
    body: Option<Vec<u8>>,
    bearer: Option<String>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("accept", &self.accept)
            .field("content_type", &self.content_type)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .field("bearer", &self.bearer.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Request {
    /// A GET of `url` accepting `accept`.
    pub fn get(url: &str, accept: &str) -> Self {
        Self {
            method: Method::GET,
            url: url.to_owned(),
            accept: accept.to_owned(),
            content_type: None,
            body: None,
            bearer: None,
        }
    }

    /// A POST of `body` (of `content_type`) to `url`, accepting `accept`.
    pub fn post(url: &str, accept: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        Self {
            method: Method::POST,
            content_type: Some(content_type.to_owned()),
            body: Some(body.into()),
            ..Self::get(url, accept)
        }
    }

    /// A POST without a body.
    pub fn post_empty(url: &str, accept: &str) -> Self {
        Self {
            method: Method::POST,
            ..Self::get(url, accept)
        }
    }

    /// Adds `Authorization: Bearer <token>`.
    pub fn bearer(mut self, token: &str) -> Self {
        self.bearer = Some(token.to_owned());
        self
    }
}

fn redirect_policy(policy: &FetchPolicy) -> redirect::Policy {
    if policy.max_redirects == 0 {
        return redirect::Policy::none();
    }
    let policy = policy.clone();
    redirect::Policy::custom(move |attempt| {
        // `previous` holds the URLs already requested, the first one included.
        if attempt.previous().len() > usize::from(policy.max_redirects) {
            return attempt.error(Refusal::TooManyRedirects);
        }
        // Names are re-checked by the resolver; scheme and IP literals are checked here.
        match policy.check_url(attempt.url()) {
            Ok(()) => attempt.follow(),
            Err(refusal) => attempt.error(refusal),
        }
    })
}

/// Maps a reqwest error: our own refusal (from the resolver or the redirect policy) travels
/// inside it as a source.
fn classify(error: reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn StdError + 'static)> = Some(&error);
    while let Some(e) = source {
        if let Some(refusal) = e.downcast_ref::<Refusal>() {
            return FetchError::Refused(refusal.clone());
        }
        source = e.source();
    }
    if error.is_timeout() {
        return FetchError::Timeout;
    }
    FetchError::Unreachable {
        detail: error_chain(&error),
    }
}

/// `error: cause: cause`, for logs.
fn error_chain(error: &(dyn StdError + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let next = e.to_string();
        if !text.contains(&next) {
            text.push_str(": ");
            text.push_str(&next);
        }
        source = e.source();
    }
    text
}
