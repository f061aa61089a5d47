//! Proofs for credentials and presentations: Data Integrity (`eddsa-rdfc-2022`, with the legacy
//! `eddsa-2022` and `Ed25519Signature2020` for reading old badges) and VC-JWT, plus the verifier
//! that turns them into a [`Verdict`].

mod canon;
pub mod data_integrity;
mod glue;
pub mod jwt_vc;
mod verdict;
mod verify;

pub use canon::{CanonicalizeError, Canonicalizer};
pub use verdict::{Check, CheckName, Outcome, Verdict};
pub use verify::{MAX_JSON_DEPTH, MAX_JSON_VALUES, Verifier, json_too_large};
mod issue;
pub mod presentation;

pub use issue::{CredentialFormat, CredentialSigner, IssueError, SignedCredential};
mod resolver;
mod status;
mod status_http;

pub use status::{FetchedStatusList, MapStatusSource, StatusFetchError, StatusListSource};
pub use status_http::HttpStatusSource;

pub use resolver::{offline_resolver, standard_resolver};

/// Verifies `text` with did:key only, at a fixed time, without a runtime: the entry point of
/// the fuzz target and of tests that feed the verifier hostile input.
pub fn verify_untrusted_text_offline(text: &str) -> Verdict {
    let now = rosette_core::Timestamp::UNIX_EPOCH.plus_seconds(1_800_000_000);
    let verifier = Verifier::new(
        Canonicalizer::bundled(),
        std::sync::Arc::new(offline_resolver()),
        std::sync::Arc::new(rosette_core::FixedClock::new(now)),
    );
    // did:key resolution never waits, so one poll completes the verification.
    let mut future = std::pin::pin!(verifier.verify_text(text));
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    match future.as_mut().poll(&mut context) {
        std::task::Poll::Ready(verdict) => verdict,
        std::task::Poll::Pending => {
            let mut verdict = Verdict::default();
            verdict.fail(CheckName::Proof, "verification needed the network");
            verdict
        }
    }
}
