//! Where the verifier gets status list credentials from
//! ([Bitstring Status List v1.0](https://www.w3.org/TR/vc-bitstring-status-list/)).
//!
//! The verifier does no I/O itself: the wallet and the agent implement [`StatusListSource`]
//! with an HTTPS fetch (https only, no redirects, a size cap and a timeout — the URL comes from
//! the credential, so it is attacker-chosen); tests use [`MapStatusSource`].

use std::collections::BTreeMap;
use std::fmt;

use rosette_core::Timestamp;
use rosette_did::resolve::BoxFuture;
use rosette_status::{StatusListEntry, StatusPurpose};
use serde_json::{Map, Value};

use crate::verdict::{CheckName, Outcome, Verdict};
use crate::verify::{Keep, Verifier};

/// A status list credential as fetched.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct FetchedStatusList {
    /// The response body: a JSON credential (`ldp_vc`) or a compact JWS (VC-JWT).
    pub body: String,
    /// When the copy was fetched, when it comes from a cache; the verdict reports its age.
    pub fetched_at: Option<Timestamp>,
}

impl FetchedStatusList {
    /// A list fetched just now (no cache).
    pub fn fresh(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            fetched_at: None,
        }
    }

    /// A cached copy fetched at `fetched_at`.
    pub fn cached(body: impl Into<String>, fetched_at: Timestamp) -> Self {
        Self {
            body: body.into(),
            fetched_at: Some(fetched_at),
        }
    }
}

/// Fetching a status list failed. The verifier reports it as a warning (status unknown),
/// never as a pass.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatusFetchError {
    /// The URL is not one the source may fetch (not https, a redirect, a bad URL).
    #[error("refused to fetch {url}: {reason}")]
    Refused {
        /// The list URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The server answered with an error status or the connection failed.
    #[error("could not fetch {url}: {reason}")]
    Unreachable {
        /// The list URL.
        url: String,
        /// Why.
        reason: String,
        /// When the last good copy was fetched, if the source had one.
        last_fetched: Option<Timestamp>,
    },
    /// The body is larger than the source accepts.
    #[error("{url} is larger than {max} bytes")]
    TooLarge {
        /// The list URL.
        url: String,
        /// The cap.
        max: usize,
    },
    /// The source does not know the URL (a map source without it).
    #[error("no status list at {0}")]
    NotFound(String),
}

/// Fetches status list credentials by URL.
pub trait StatusListSource: Send + Sync + fmt::Debug {
    /// The status list credential at `url`.
    fn fetch<'a>(
        &'a self,
        url: &'a str,
    ) -> BoxFuture<'a, Result<FetchedStatusList, StatusFetchError>>;
}

/// A fixed map URL → body, for tests and offline verification.
#[derive(Clone, Debug, Default)]
pub struct MapStatusSource {
    lists: BTreeMap<String, FetchedStatusList>,
}

impl MapStatusSource {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serves `body` at `url`.
    pub fn insert(&mut self, url: impl Into<String>, list: FetchedStatusList) -> &mut Self {
        self.lists.insert(url.into(), list);
        self
    }

    /// [`Self::insert`], builder style.
    pub fn with(mut self, url: impl Into<String>, list: FetchedStatusList) -> Self {
        self.insert(url, list);
        self
    }
}

impl StatusListSource for MapStatusSource {
    fn fetch<'a>(
        &'a self,
        url: &'a str,
    ) -> BoxFuture<'a, Result<FetchedStatusList, StatusFetchError>> {
        let found = self
            .lists
            .get(url)
            .cloned()
            .ok_or_else(|| StatusFetchError::NotFound(url.to_owned()));
        Box::pin(std::future::ready(found))
    }
}

/// Most `BitstringStatusListEntry` values one credential may carry (OB 3.0 allows one; VC 2.0
/// credentials use one per purpose).
const MAX_ENTRIES: usize = 4;

/// One entry's result: the outcome and what to tell people.
type EntryResult = (Outcome, String);

impl Verifier {
    /// The Status check of a verified credential whose `credentialStatus` is `status`
    /// ([§ 3.2](https://www.w3.org/TR/vc-bitstring-status-list/#validate-algorithm)).
    pub(crate) async fn check_status(&self, verdict: &mut Verdict, status: Option<Value>) {
        // A credential whose proof or key failed says nothing its issuer vouches for: its
        // status URLs are whatever a forger wrote, so they are never fetched (no request on a
        // forger's behalf, no port scanning through the verifier).
        if verdict.checks.iter().any(|c| {
            c.outcome == Outcome::Failed
                && matches!(
                    c.name,
                    CheckName::Proof | CheckName::IssuerKey | CheckName::Format
                )
        }) {
            verdict.push(
                CheckName::Status,
                Outcome::Skipped,
                "not checked: the credential's proof did not verify",
            );
            return;
        }
        let Some(status) = status else {
            verdict.push(
                CheckName::Status,
                Outcome::Skipped,
                "no credentialStatus: the issuer offers no revocation",
            );
            return;
        };
        let kinds: Vec<&str> = match &status {
            Value::Array(items) => items
                .iter()
                .filter_map(|i| i.get("type").and_then(Value::as_str))
                .collect(),
            one => one
                .get("type")
                .and_then(Value::as_str)
                .into_iter()
                .collect(),
        };
        let mut holder = Map::new();
        holder.insert("credentialStatus".into(), status.clone());
        let entries = match rosette_status::entries_of(&holder) {
            Ok(entries) => entries,
            Err(e) => {
                verdict.fail(CheckName::Status, e.to_string());
                return;
            }
        };
        if entries.is_empty() {
            let kind = kinds.first().copied().unwrap_or("unknown type");
            verdict.push(
                CheckName::Status,
                Outcome::Warning,
                format!("{kind} status was not checked"),
            );
            return;
        }
        // Each entry costs a fetch and a signature check; a credential is not a crawler.
        if entries.len() > MAX_ENTRIES {
            verdict.fail(
                CheckName::Status,
                format!(
                    "{} status entries; at most {MAX_ENTRIES} are checked",
                    entries.len()
                ),
            );
            return;
        }
        let Some(source) = self.status.clone() else {
            verdict.push(
                CheckName::Status,
                Outcome::Warning,
                "BitstringStatusListEntry status was not checked: no status list source",
            );
            return;
        };
        let mut results = Vec::with_capacity(entries.len());
        for entry in &entries {
            results.push(
                self.check_entry(source.as_ref(), verdict.issuer.as_deref(), entry)
                    .await,
            );
        }
        // The worst outcome wins: one set revocation bit fails the credential.
        let worst = [Outcome::Failed, Outcome::Warning, Outcome::Passed]
            .into_iter()
            .find(|o| results.iter().any(|(r, _)| r == o))
            .unwrap_or(Outcome::Passed);
        let detail = results
            .iter()
            .filter(|(o, _)| *o == worst)
            .map(|(_, d)| d.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        verdict.push(CheckName::Status, worst, detail);
    }

    async fn check_entry(
        &self,
        source: &dyn StatusListSource,
        issuer: Option<&str>,
        entry: &StatusListEntry,
    ) -> EntryResult {
        let url = entry.status_list_credential.as_str();
        let fetched = match source.fetch(url).await {
            Ok(f) => f,
            Err(e) => {
                let age = match &e {
                    StatusFetchError::Unreachable {
                        last_fetched: Some(at),
                        ..
                    } => format!(" (last good copy {})", self.age(*at)),
                    _ => String::new(),
                };
                return (Outcome::Warning, format!("status unknown: {e}{age}"));
            }
        };
        let text = fetched.body.trim();
        let (list_verdict, kept) = if text.starts_with('{') {
            match serde_json::from_str::<Value>(text) {
                Ok(document) => Box::pin(self.ldp_checks(document, Keep::Whole)).await,
                Err(e) => {
                    return (
                        Outcome::Failed,
                        format!("the status list at {url} is not valid JSON: {e}"),
                    );
                }
            }
        } else {
            Box::pin(self.jwt_checks(text, Keep::Whole)).await
        };
        let failed = |name: CheckName| {
            list_verdict
                .checks
                .iter()
                .find(|c| c.name == name && c.outcome != Outcome::Passed)
                .map(|c| c.detail.clone())
        };
        for name in [CheckName::Format, CheckName::Proof, CheckName::IssuerKey] {
            if let Some(detail) = failed(name) {
                return (
                    Outcome::Failed,
                    format!(
                        "the status list credential at {url} does not verify ({}: {detail})",
                        name.label()
                    ),
                );
            }
        }
        let Some(Some(list)) = kept else {
            return (
                Outcome::Failed,
                format!("the status list credential at {url} does not verify"),
            );
        };
        if list_verdict.issuer.as_deref() != issuer {
            return (
                Outcome::Failed,
                format!(
                    "the status list at {url} is issued by {}, not by the credential's issuer",
                    list_verdict.issuer.as_deref().unwrap_or("nobody")
                ),
            );
        }
        if let Some(detail) = failed(CheckName::ValidityWindow) {
            return (
                Outcome::Warning,
                format!("status unknown: the status list at {url} is not valid now ({detail})"),
            );
        }
        let age = fetched
            .fetched_at
            .map(|at| format!(", list fetched {}", self.age(at)))
            .unwrap_or_default();
        match rosette_status::check(entry, &list) {
            Err(e) => (Outcome::Failed, format!("status list at {url}: {e}")),
            Ok(status) if status.is_revoked() => (Outcome::Failed, "revoked".into()),
            Ok(status) if status.is_suspended() => (Outcome::Failed, "suspended".into()),
            Ok(status) if status.set => (
                Outcome::Warning,
                format!("the {} bit is set", status.purpose),
            ),
            Ok(status) => (
                Outcome::Passed,
                format!(
                    "not {}: index {} of {url}{age}",
                    match status.purpose {
                        StatusPurpose::Revocation => "revoked".to_owned(),
                        StatusPurpose::Suspension => "suspended".to_owned(),
                        ref other => format!("flagged ({other})"),
                    },
                    entry.status_list_index
                ),
            ),
        }
    }

    fn age(&self, at: Timestamp) -> String {
        let seconds = self.clock().now().unix().saturating_sub(at.unix()).max(0);
        format!("{seconds} s ago")
    }
}
