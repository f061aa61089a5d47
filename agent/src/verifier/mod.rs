//! The verifier role (OpenID4VP 1.0, cross-device, DCQL): presentation requests per
//! institution, the request object, `direct_post` responses and the verdict page.
//!
//! [`service::VerifierService`] holds the logic (no HTTP); [`http::router`] maps it to routes.

pub mod http;
pub mod labels;
pub(crate) mod pages;
mod records;
pub mod service;
pub mod templates;
pub(crate) mod verdict;

pub use service::{
    CreatedPresentationRequest, NewPresentationRequest, PollAnswer, RequestMode, VerifierError,
    VerifierService,
};
pub use templates::{NewTemplate, VerifierTemplate};
