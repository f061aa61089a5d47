//! Status lists as the agent's own verifying roles read them: this agent's lists straight
//! from storage (no HTTP round trip to itself), other issuers' over HTTPS.

use std::sync::Arc;

use rosette_did::resolve::{BoxFuture, ProofPurpose, ResolveError, ResolvedMethod};
use rosette_did::{VerificationMethodResolver, did_web::DidWebError};
use rosette_net::FetchBudget;

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
    budget: Option<Arc<FetchBudget>>,
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
        Self {
            dir,
            foreign: None,
            budget: None,
        }
    }

    /// Takes one fetch from `budget` before each fetch through the foreign source; when the
    /// budget is spent the list is refused (a status warning in the verdict).
    #[must_use]
    pub fn with_budget(mut self, budget: Arc<FetchBudget>) -> Self {
        self.budget = Some(budget);
        self
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
            Some(foreign) if !self.is_own(url) => {
                if let Some(budget) = &self.budget
                    && budget.take().is_err()
                {
                    return Box::pin(std::future::ready(Err(
                        rosette_proof::StatusFetchError::Refused {
                            url: url.to_owned(),
                            reason: OVER_BUDGET.to_owned(),
                        },
                    )));
                }
                foreign.fetch(url)
            }
            _ => Box::pin(std::future::ready(self.local(url))),
        }
    }
}

/// Outside fetches (did:web documents, other issuers' status lists) one verification may
/// cause: a presentation naming dozens of hosts must not make the agent fetch from all of
/// them. Eight covers a presentation of two credentials from did:web issuers, each with the
/// usual one or two status entries, and its holder.
pub(crate) const FETCHES_PER_VERIFICATION: u32 = 8;

const OVER_BUDGET: &str = "too many outside fetches for one verification";

/// A resolver that takes one fetch from a budget before each did:web resolution (did:key
/// needs no network and is not counted).
struct BudgetedResolver {
    inner: Arc<dyn VerificationMethodResolver>,
    budget: Arc<FetchBudget>,
}

impl VerificationMethodResolver for BudgetedResolver {
    fn resolve<'a>(
        &'a self,
        vm: &'a str,
        purpose: ProofPurpose,
    ) -> BoxFuture<'a, Result<ResolvedMethod, ResolveError>> {
        if vm.starts_with("did:web:") && self.budget.take().is_err() {
            return Box::pin(std::future::ready(Err(ResolveError::DidWeb(
                DidWebError::Fetch(OVER_BUDGET.to_owned()),
            ))));
        }
        self.inner.resolve(vm, purpose)
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
    // One budget per verifier, and the roles build one verifier per verification.
    let budget = Arc::new(FetchBudget::new(FETCHES_PER_VERIFICATION));
    let resolver = Arc::new(BudgetedResolver {
        inner: resolver,
        budget: Arc::clone(&budget),
    });
    let mut status = LocalStatusSource::new(Arc::clone(dir)).with_budget(budget);
    match rosette_proof::HttpStatusSource::new(false) {
        Ok(http) => status = status.with_foreign(Arc::new(http)),
        // Without an HTTP client foreign lists stay unchecked: a warning in every verdict.
        Err(e) => tracing::warn!(error = %e, "no HTTP client for foreign status lists"),
    }
    rosette_proof::Verifier::new(rosette_proof::Canonicalizer::bundled(), resolver, clock)
        .with_status_source(Arc::new(status))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// A foreign source that counts the fetches that reach it.
    #[derive(Debug, Default)]
    struct Counting(AtomicUsize);

    impl rosette_proof::StatusListSource for Counting {
        fn fetch<'a>(
            &'a self,
            url: &'a str,
        ) -> BoxFuture<'a, Result<rosette_proof::FetchedStatusList, rosette_proof::StatusFetchError>>
        {
            self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(std::future::ready(Err(
                rosette_proof::StatusFetchError::NotFound(url.to_owned()),
            )))
        }
    }

    #[derive(Default)]
    struct CountingResolver(AtomicUsize);

    impl VerificationMethodResolver for CountingResolver {
        fn resolve<'a>(
            &'a self,
            vm: &'a str,
            _: ProofPurpose,
        ) -> BoxFuture<'a, Result<ResolvedMethod, ResolveError>> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Box::pin(std::future::ready(Err(ResolveError::NotFound(
                vm.to_owned(),
            ))))
        }
    }

    /// A credential (or a presentation of many) naming more outside hosts than the budget:
    /// only the budget's worth of fetches leave the agent, the rest are refused.
    #[tokio::test]
    async fn many_outside_hosts_in_one_verification() {
        use rosette_proof::StatusListSource as _;
        let dir = Arc::new(Directory::new(
            Arc::new(rosette_storage::MemoryStore::new()),
            Arc::new(rosette_core::SystemClock),
            crate::config::Settings::new(
                "https://agent.example",
                rosette_core::SecretString::new("t"),
            ),
        ));
        let budget = Arc::new(FetchBudget::new(FETCHES_PER_VERIFICATION));
        let counting = Arc::new(Counting::default());
        let source = LocalStatusSource::new(Arc::clone(&dir))
            .with_foreign(counting.clone())
            .with_budget(Arc::clone(&budget));
        let inner = Arc::new(CountingResolver::default());
        let resolver = BudgetedResolver {
            inner: inner.clone(),
            budget,
        };
        for i in 0..6 {
            let _ = resolver
                .resolve(
                    &format!("did:web:host{i}.example#key"),
                    ProofPurpose::AssertionMethod,
                )
                .await;
            // did:key costs nothing.
            let _ = resolver
                .resolve("did:key:z6Mk#z6Mk", ProofPurpose::AssertionMethod)
                .await;
        }
        let mut refused = 0;
        for i in 0..10 {
            let url = format!("https://lists{i}.example/status/1");
            if let Err(rosette_proof::StatusFetchError::Refused { reason, .. }) =
                source.fetch(&url).await
            {
                assert_eq!(reason, OVER_BUDGET);
                refused += 1;
            }
        }
        let did_web = inner.0.load(Ordering::SeqCst) - 6;
        let lists = counting.0.load(Ordering::SeqCst);
        assert_eq!(did_web, 6);
        assert_eq!(lists, 2);
        assert_eq!(refused, 8);
    }
}
