//! rosette-oid4vp: OpenID for Verifiable Presentations 1.0 (final, 2025-07-10) for Open
//! Badges, both sides, sans I/O. Time, randomness, storage and HTTP stay with the caller.
//!
//! | Step | Verifier | Wallet |
//! |---|---|---|
//! | request §5 | [`AuthorizationRequest::direct_post`], [`BadgeQuery::to_dcql`], [`request_url`] / [`request_url_by_value`] / [`request_url_signed_by_value`], [`sign_request_object`] (served at `request_uri`, re-fetchable) | [`parse_request_url`] → [`RequestReference`]; [`verify_request_object`]; [`validate_request`] |
//! | response §8.2 | [`parse_direct_post`] → [`AuthorizationResponse`]; [`verify_response`] / [`verify_response_report`]; [`ResponseError::to_wire`] | [`direct_post_form`] / [`direct_post_error_form`] |
//!
//! Binding (§14.1): a VP-JWT carries `aud` = the full `client_id` (prefix included) and
//! `nonce`; a Data Integrity presentation `domain` = `client_id` and `challenge` = nonce.
//! The verifier must consume `state` and nonce atomically so a response is accepted once.

#![warn(missing_docs)]
// Untrusted input reaches most of this crate: no panicking shortcuts outside tests.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod client_id;
pub mod dcql;
mod error;
mod request;
mod response;
mod secret;
mod verify;

pub use client_id::{ClientId, ClientIdPrefix};
pub use dcql::{BadgeQuery, check_satisfied};
pub use error::{ErrorCode, ErrorResponse};
pub use request::{
    AuthorizationRequest, ClientMetadata, HAIP_SCHEME, MAX_REQUEST_LEN, REQUEST_OBJECT_MEDIA_TYPE,
    REQUEST_OBJECT_TYP, REQUEST_SCHEME, RequestError, RequestReference, RequestUriMethod,
    RequestUrlOptions, ResponseMode, ResponseType, STATIC_DISCOVERY_AUDIENCE, parse_request_url,
    parse_request_url_with, request_url, request_url_by_value, request_url_signed_by_value,
    sign_request_object, validate_request, verify_request_object, verify_request_object_at,
};
pub use response::{
    AuthorizationResponse, DirectPostAck, MAX_RESPONSE_LEN, ResponseError, VpToken,
    direct_post_error_form, direct_post_form, parse_direct_post,
};
pub use secret::{Nonce, RANDOM_BYTES, State};
pub use verify::{
    CredentialReport, ExtraCheck, PresentationReport, TrustedIssuers, VerificationReport,
    VerifiedPresentationSet, verify_response, verify_response_report,
};
