//! The Rosette issuer agent as a library: an OpenID4VCI 1.0 issuer of Open Badges 3.0
//! credentials for several institutions, with an admin API, and an OpenID4VP 1.0 verifier of
//! them. One folder per role, each shaped alike (`service` logic on the store, no axum;
//! `http` routes; `records` storage rows; `pages` HTML):
//!
//! - [`issuer`]: institutions, achievements, offers, the OpenID4VCI steps, bulk import;
//! - [`status`]: Bitstring Status Lists, revocation and suspension;
//! - [`verifier`]: OpenID4VP presentation requests and verdicts;
//! - [`public`]: public badge pages and `/verify`;
//! - `console`: the staff console (HTML), on the roles' services.
//!
//! Below them: [`directory`] (institution lookup, keys, admin tokens, store, clock, settings),
//! [`error`], [`config`], and `web` (HTTP plumbing shared by every role's routes). Above them:
//! [`app`] (the one state) and [`server`] (routers assembled, `rosette-agent serve`).
//! `agent/tests/architecture.rs` keeps the dependencies pointing that way.

pub mod app;
pub mod config;
mod console;
pub mod directory;
pub mod error;
pub mod issuer;
pub mod public;
pub mod server;
pub mod status;
pub mod verifier;
pub mod web;

pub use directory::records::DidMethod;
