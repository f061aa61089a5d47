//! The one HTTP client for URLs that come from outside: status lists named in credentials,
//! did:web documents, issuer metadata. Such a URL is chosen by whoever wrote the credential,
//! so fetching it blindly lets them aim us at our own network (server-side request forgery):
//! `https://127.0.0.1:PORT/`, `http://169.254.169.254/` (cloud metadata), a name whose DNS
//! answer changes to loopback after a check, or a redirect to any of those.
//!
//! [`GuardedClient`] refuses, before anything is sent:
//! - any scheme but https (plain http only with the development switch, to loopback);
//! - IP literals in every spelling the URL parser accepts (`2130706433`, `0x7f.1`,
//!   `[::ffff:127.0.0.1]`) that are not public unicast ([`classify`]);
//! - host names any of whose DNS answers is not public: those answers are dropped, the name is
//!   refused when none is left, and the connection goes only to the addresses checked;
//! - redirects (not followed by default; when allowed, each target is checked the same way).
//!
//! It also caps the body while reading it, bounds connection and total time, uses no proxy,
//! and reports failures in words that tell a remote caller nothing about our network
//! ([`FetchError::detail`] is for logs). [`FetchBudget`] bounds the fetches one incoming
//! request may cause.
//!
//! ```no_run
//! # async fn demo() -> Result<(), rosette_net::FetchError> {
//! use rosette_net::{FetchPolicy, GuardedClient};
//! let client = GuardedClient::new(FetchPolicy::default())?;
//! let list = client
//!     .get("https://issuer.example/status/1", "application/vc+ld+json")
//!     .await?
//!     .success()?;
//! # let _ = list; Ok(()) }
//! ```

mod address;
mod budget;
mod client;
mod error;
mod policy;
mod resolve;

pub use address::{SpecialAddress, classify};
pub use budget::FetchBudget;
pub use client::{Fetched, GuardedClient, Request};
pub use error::{FetchError, Refusal};
pub use policy::{FetchPolicy, is_loopback_host};
pub use resolve::{Lookup, LookupFuture, SystemLookup};
