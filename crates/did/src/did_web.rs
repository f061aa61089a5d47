//! did:web: DID ↔ URL mapping, document generation, and resolution over HTTPS.
//!
//! Spec: <https://w3c-ccg.github.io/did-method-web/>. Resolution goes through
//! [`rosette_net::GuardedClient`]: it never follows redirects, caps the body size, has a
//! timeout, connects only to public addresses (every DNS answer is checked) and refuses plain
//! http unless the explicit development switch [`DidWebOptions::allow_http`] is on, and then
//! only to loopback. Without that switch, IP-literal and `localhost` hosts are refused by name
//! too (a verifier must not be steered at internal services).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use rosette_net::{FetchError, FetchPolicy, GuardedClient, is_loopback_host};
use serde_json::{Value, json};
use url::Url;

use crate::{Did, PublicKey};

/// Options for did:web resolution.
#[derive(Debug, Clone)]
pub struct DidWebOptions {
    /// Development only: allow loopback hosts (`localhost`, `127.0.0.1`, `[::1]`), resolved
    /// over plain `http://`; other hosts are still resolved over https, and private or
    /// link-local addresses stay refused.
    pub allow_http: bool,
    /// Total request timeout.
    pub timeout: Duration,
    /// Largest accepted DID document, in bytes.
    pub max_body_bytes: usize,
    /// How long a resolved document is reused.
    pub cache_ttl: Duration,
    /// Most documents kept in the cache.
    pub cache_capacity: usize,
}

impl Default for DidWebOptions {
    fn default() -> Self {
        Self {
            allow_http: false,
            timeout: Duration::from_secs(10),
            max_body_bytes: 64 * 1024,
            cache_ttl: Duration::from_secs(300),
            cache_capacity: 256,
        }
    }
}

/// did:web mapping or resolution failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DidWebError {
    /// Not a `did:web:` DID.
    #[error("not a did:web DID")]
    NotDidWeb,
    /// The method-specific id is malformed.
    #[error("malformed did:web identifier: {0}")]
    Malformed(&'static str),
    /// The host is an IP literal or `localhost` and http development mode is off.
    #[error("did:web host `{0}` is not allowed")]
    ForbiddenHost(String),
    /// A URL could not be mapped to did:web.
    #[error("URL cannot be expressed as did:web: {0}")]
    UnmappableUrl(&'static str),
    /// The HTTP client could not be built.
    #[error("HTTP client setup failed: {0}")]
    Client(String),
    /// The request failed (DNS, connection, TLS, timeout). The message is the guarded
    /// client's public one: it does not tell a closed port from a silent one.
    #[error("fetching the DID document failed: {0}")]
    Fetch(String),
    /// The URL or the address its host resolves to is not allowed (not https, a private,
    /// loopback or link-local address); nothing was sent.
    #[error("the DID document URL was refused: {0}")]
    Refused(rosette_net::Refusal),
    /// The server answered with a redirect, which is not followed.
    #[error("the server redirected (status {0}); redirects are not followed")]
    Redirect(u16),
    /// The server answered with a non-success status.
    #[error("the server answered with status {0}")]
    HttpStatus(u16),
    /// The document is larger than [`DidWebOptions::max_body_bytes`].
    #[error("DID document exceeds {0} bytes")]
    TooLarge(usize),
    /// The body is not a JSON object.
    #[error("DID document is not a JSON object")]
    NotJson,
    /// The document's `id` is not the requested DID.
    #[error("DID document id does not match the requested DID")]
    IdMismatch,
}

/// Maps a did:web DID to the URL of its document: `did:web:example.com` →
/// `https://example.com/.well-known/did.json`; `did:web:example.com:u:alice` →
/// `https://example.com/u/alice/did.json`; `%3A` encodes a port. With `allow_http` the
/// scheme is `http` (development only).
pub fn did_web_to_url(did: &str, allow_http: bool) -> Result<Url, DidWebError> {
    let msid = did.strip_prefix("did:web:").ok_or(DidWebError::NotDidWeb)?;
    if msid.is_empty() || msid.len() > 2048 {
        return Err(DidWebError::Malformed("empty or overlong identifier"));
    }
    if msid.contains(['#', '?', '/']) {
        return Err(DidWebError::Malformed("path, query or fragment in DID"));
    }
    let mut parts = msid.split(':');
    let authority_enc = parts.next().unwrap_or_default();
    let authority = authority_enc.replace("%3A", ":").replace("%3a", ":");
    if authority.contains('%') || authority.contains('@') {
        return Err(DidWebError::Malformed(
            "host may only percent-encode the port colon",
        ));
    }
    if authority.starts_with('[') {
        return Err(DidWebError::Malformed(
            "IPv6 literal hosts are not supported",
        ));
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => {
            let port: u16 = p
                .parse()
                .map_err(|_| DidWebError::Malformed("invalid port"))?;
            (h, Some(port))
        }
        None => (authority.as_str(), None),
    };
    let parsed_host = url::Host::parse(host).map_err(|_| DidWebError::Malformed("invalid host"))?;
    if !allow_http {
        let forbidden = match &parsed_host {
            url::Host::Domain(d) => {
                let d = d.trim_end_matches('.');
                d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost")
            }
            url::Host::Ipv4(_) | url::Host::Ipv6(_) => true,
        };
        if forbidden {
            return Err(DidWebError::ForbiddenHost(host.to_owned()));
        }
    }
    let mut path = String::new();
    let mut any_segment = false;
    for seg in parts {
        any_segment = true;
        if seg.is_empty() || seg == "." || seg == ".." || !seg.bytes().all(is_path_byte) {
            return Err(DidWebError::Malformed("invalid path segment"));
        }
        path.push('/');
        path.push_str(seg);
    }
    if any_segment {
        path.push_str("/did.json");
    } else {
        path.push_str("/.well-known/did.json");
    }
    let scheme = if allow_http { "http" } else { "https" };
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    Url::parse(&format!("{scheme}://{parsed_host}{port}{path}"))
        .map_err(|_| DidWebError::Malformed("does not form a URL"))
}

// Path segment characters: unreserved and percent-encoded (':' separates segments).
fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'%')
}

/// Maps an `https://host[:port][/path]` URL (the DID's home) to its did:web DID. The path,
/// if any, is the folder holding `did.json`.
pub fn did_web_from_url(url: &Url) -> Result<Did, DidWebError> {
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(DidWebError::UnmappableUrl("scheme must be https"));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(DidWebError::UnmappableUrl("query, fragment or user info"));
    }
    let host = url
        .host_str()
        .ok_or(DidWebError::UnmappableUrl("no host"))?;
    let mut did = format!("did:web:{host}");
    if let Some(port) = url.port() {
        did.push_str(&format!("%3A{port}"));
    }
    let path = url.path().trim_end_matches('/');
    let path = path.strip_suffix("/did.json").unwrap_or(path);
    let path = path.strip_suffix("/.well-known").unwrap_or(path);
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        if !seg.bytes().all(is_path_byte) || seg == "." || seg == ".." {
            return Err(DidWebError::UnmappableUrl("path segment"));
        }
        did.push(':');
        did.push_str(seg);
    }
    Did::parse(&did).map_err(|_| DidWebError::UnmappableUrl("not a valid DID"))
}

/// A DID document for `did` with one Multikey verification method per key. Each method id is
/// `did#<publicKeyMultibase>` (stable whatever the key order), and every method is listed under
/// `authentication`, `assertionMethod`, `capabilityInvocation` and `capabilityDelegation`.
pub fn did_web_document(did: &Did, keys: &[PublicKey]) -> Value {
    let mut vms = Vec::with_capacity(keys.len());
    let mut refs = Vec::with_capacity(keys.len());
    for key in keys {
        let mb = key.to_multibase();
        let id = format!("{did}#{mb}");
        vms.push(json!({
            "id": id,
            "type": "Multikey",
            "controller": did.as_str(),
            "publicKeyMultibase": mb,
        }));
        refs.push(Value::String(id));
    }
    json!({
        "@context": [
            "https://www.w3.org/ns/did/v1",
            "https://w3id.org/security/multikey/v1"
        ],
        "id": did.as_str(),
        "verificationMethod": vms,
        "authentication": refs.clone(),
        "assertionMethod": refs.clone(),
        "capabilityInvocation": refs.clone(),
        "capabilityDelegation": refs,
    })
}

struct CacheEntry {
    expires: SystemTime,
    document: Arc<Value>,
}

/// Resolves did:web documents over HTTPS, with a small TTL cache.
pub struct DidWebResolver {
    client: GuardedClient,
    options: DidWebOptions,
    // Keyed by DID; BTreeMap keeps eviction deterministic.
    cache: Mutex<std::collections::BTreeMap<String, CacheEntry>>,
}

impl std::fmt::Debug for DidWebResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DidWebResolver")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl DidWebResolver {
    /// A resolver with its own guarded HTTP client (no redirects, timeout, size cap, public
    /// addresses only; loopback and http to it only with `allow_http`).
    pub fn new(options: DidWebOptions) -> Result<Self, DidWebError> {
        let client = GuardedClient::new(FetchPolicy {
            allow_loopback_http: options.allow_http,
            max_body: options.max_body_bytes,
            connect_timeout: options.timeout,
            total_timeout: options.timeout,
            max_redirects: 0,
        })
        .map_err(|e| DidWebError::Client(e.detail()))?;
        Ok(Self {
            client,
            options,
            cache: Mutex::new(std::collections::BTreeMap::new()),
        })
    }

    /// The options in force.
    pub fn options(&self) -> &DidWebOptions {
        &self.options
    }

    /// Resolves `did` (a did:web DID, without fragment), using the cache if its entry has not
    /// expired at `now`.
    pub async fn resolve_document(
        &self,
        did: &str,
        now: SystemTime,
    ) -> Result<Arc<Value>, DidWebError> {
        if let Some(doc) = self.cached(did, now) {
            return Ok(doc);
        }
        let mut url = did_web_to_url(did, self.options.allow_http)?;
        // The development switch opens plain http to loopback only; any other host is still
        // fetched over https, as the method says.
        if url.scheme() == "http" && !is_loopback_host(&url) {
            url.set_scheme("https")
                .map_err(|()| DidWebError::Malformed("does not form a URL"))?;
        }
        let document = Arc::new(self.fetch(url, did).await?);
        self.store(did, now, document.clone());
        Ok(document)
    }

    fn cached(&self, did: &str, now: SystemTime) -> Option<Arc<Value>> {
        let cache = self.cache.lock().ok()?;
        cache
            .get(did)
            .filter(|e| e.expires > now)
            .map(|e| e.document.clone())
    }

    fn store(&self, did: &str, now: SystemTime, document: Arc<Value>) {
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        cache.retain(|_, e| e.expires > now);
        if cache.len() >= self.options.cache_capacity {
            // Full of live entries: drop the one expiring soonest.
            let victim = cache
                .iter()
                .min_by_key(|(_, e)| e.expires)
                .map(|(k, _)| k.clone());
            if let Some(k) = victim {
                cache.remove(&k);
            }
        }
        // An absurd `now` (overflow) just skips caching.
        if let Some(expires) = now.checked_add(self.options.cache_ttl)
            && self.options.cache_capacity > 0
        {
            cache.insert(did.to_owned(), CacheEntry { expires, document });
        }
    }

    async fn fetch(&self, url: Url, did: &str) -> Result<Value, DidWebError> {
        let fetched = self
            .client
            .get(
                url.as_str(),
                "application/did+json, application/did+ld+json;q=0.9, application/json;q=0.8",
            )
            .await
            .map_err(|e| match e {
                FetchError::Refused(reason) => DidWebError::Refused(reason),
                FetchError::TooLarge { max } => DidWebError::TooLarge(max),
                other => DidWebError::Fetch(other.to_string()),
            })?;
        if fetched.is_redirect() {
            return Err(DidWebError::Redirect(fetched.status));
        }
        if !fetched.is_success() {
            return Err(DidWebError::HttpStatus(fetched.status));
        }
        // Content-Type is not checked: servers label did.json variously (application/json,
        // application/did+json, text/plain); the body must still parse as a JSON object.
        let body = fetched.body;
        let doc: Value = serde_json::from_slice(&body).map_err(|_| DidWebError::NotJson)?;
        if !doc.is_object() {
            return Err(DidWebError::NotJson);
        }
        if doc.get("id").and_then(Value::as_str) != Some(did) {
            return Err(DidWebError::IdMismatch);
        }
        Ok(doc)
    }
}
