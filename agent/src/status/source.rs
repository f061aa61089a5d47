//! Status lists as the agent's own verifying roles read them: this agent's lists straight
//! from storage (no HTTP round trip to itself), other issuers' over HTTPS.

use std::sync::Arc;

use super::service::signed_list;
use crate::directory::Directory;
use crate::error::ProtocolError;

/// A [`rosette_proof::StatusListSource`] for the agent's verifying roles: lists of this
/// agent's institutions are read from storage (no HTTP round trip to itself); other issuers'
/// lists go to the `foreign` source when one is set (see [`LocalStatusSource::with_foreign`]),
/// and are refused otherwise, which the verdict reports as a status warning.
pub struct LocalStatusSource {
    dir: Arc<Directory>,
    foreign: Option<Arc<dyn rosette_proof::StatusListSource>>,
}

impl std::fmt::Debug for LocalStatusSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStatusSource")
            .field("foreign", &self.foreign.is_some())
            .finish_non_exhaustive()
    }
}

impl LocalStatusSource {
    /// A source over `service`'s lists only.
    pub fn new(dir: Arc<Directory>) -> Self {
        Self { dir, foreign: None }
    }

    /// Also fetches other issuers' lists through `foreign` (the agent uses
    /// [`rosette_proof::HttpStatusSource`]: https only, no redirects, size cap, timeout).
    #[must_use]
    pub fn with_foreign(mut self, foreign: Arc<dyn rosette_proof::StatusListSource>) -> Self {
        self.foreign = Some(foreign);
        self
    }

    fn is_own(&self, url: &str) -> bool {
        url.strip_prefix(self.dir.settings().public_url.as_str())
            .is_some_and(|rest| rest.starts_with("/issuers/"))
    }

    fn local(
        &self,
        url: &str,
    ) -> Result<rosette_proof::FetchedStatusList, rosette_proof::StatusFetchError> {
        use rosette_proof::StatusFetchError;
        let refused = |reason: &str| StatusFetchError::Refused {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let prefix = format!("{}/issuers/", self.dir.settings().public_url);
        let rest = url
            .strip_prefix(&prefix)
            .ok_or_else(|| refused("not a status list of this agent"))?;
        let parts: Vec<&str> = rest.split('/').collect();
        let [slug, "status", purpose, number] = parts.as_slice() else {
            return Err(refused("not a status list URL of this agent"));
        };
        let number: u32 = number
            .parse()
            .map_err(|_| StatusFetchError::NotFound(url.to_owned()))?;
        match signed_list(&self.dir, slug, purpose, number) {
            Ok((body, _)) => Ok(rosette_proof::FetchedStatusList::fresh(body)),
            Err(ProtocolError::NotFound) => Err(StatusFetchError::NotFound(url.to_owned())),
            Err(e) => Err(StatusFetchError::Unreachable {
                url: url.to_owned(),
                reason: e.to_string(),
                last_fetched: None,
            }),
        }
    }
}

impl rosette_proof::StatusListSource for LocalStatusSource {
    fn fetch<'a>(
        &'a self,
        url: &'a str,
    ) -> rosette_did::resolve::BoxFuture<
        'a,
        Result<rosette_proof::FetchedStatusList, rosette_proof::StatusFetchError>,
    > {
        match &self.foreign {
            Some(foreign) if !self.is_own(url) => foreign.fetch(url),
            _ => Box::pin(std::future::ready(self.local(url))),
        }
    }
}

/// The verifier every verifying role of the agent uses (OpenID4VP responses, public badge
/// pages, the drop-a-file page): did:key offline and did:web over HTTPS; status lists of this
/// agent's institutions from storage, other issuers' over HTTPS.
pub(crate) fn agent_verifier(dir: &Arc<Directory>) -> rosette_proof::Verifier {
    let clock = dir.clock();
    let resolver = rosette_proof::standard_resolver(
        rosette_did::did_web::DidWebOptions::default(),
        Arc::clone(&clock),
    )
    .map(|r| Arc::new(r) as Arc<dyn rosette_did::VerificationMethodResolver>)
    .unwrap_or_else(|_| Arc::new(rosette_proof::offline_resolver()));
    let mut status = LocalStatusSource::new(Arc::clone(dir));
    match rosette_proof::HttpStatusSource::new(false) {
        Ok(http) => status = status.with_foreign(Arc::new(http)),
        // Without an HTTP client foreign lists stay unchecked: a warning in every verdict.
        Err(e) => tracing::warn!(error = %e, "no HTTP client for foreign status lists"),
    }
    rosette_proof::Verifier::new(rosette_proof::Canonicalizer::bundled(), resolver, clock)
        .with_status_source(Arc::new(status))
}
