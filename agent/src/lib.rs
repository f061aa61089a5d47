//! The Rosette issuer agent as a library: an OpenID4VCI 1.0 issuer of Open Badges 3.0
//! credentials for several institutions, with an admin API, and an OpenID4VP 1.0 verifier
//! of them ([`verifier`]).
//!
//! [`service::Service`] holds the logic (no HTTP); [`http::router`] maps it to routes;
//! [`server`] runs `rosette-agent serve`.

pub mod bulk;
pub mod config;
mod console;
pub mod error;
pub mod http;
mod pages;
pub mod public;
pub mod qr;
mod records;
pub mod server;
pub mod service;
pub mod status;
mod ui;
pub mod verifier;

pub use records::DidMethod;
