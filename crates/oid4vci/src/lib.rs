//! rosette-oid4vci: the issuer side of OpenID4VCI 1.0 (Pre-Authorized Code Flow), sans I/O.
//!
//! Everything here is pure: time comes in as a [`Timestamp`](rosette_core::Timestamp),
//! randomness as `&mut (impl CryptoRng + RngCore)`, stored state as plain structs the caller
//! persists (secrets only as SHA-256 [`SecretHash`]es). An HTTP layer maps each endpoint to
//! one call and each error to the wire with its `to_wire()`.
//!
//! | Endpoint | Types | Logic |
//! |---|---|---|
//! | offer (QR) §4 | [`CredentialOffer`], [`OfferToken`] (by-reference URI; code derived from it) | [`offer_url_by_reference`], [`offer_url_by_value`], [`parse_offer_url`] |
//! | metadata §12 | [`CredentialIssuerMetadata`], [`AuthorizationServerMetadata`] | |
//! | `POST /token` §6 | [`TokenRequest`], [`TokenResponse`] | [`redeem`] → [`TokenGrant`] / [`TokenError`] |
//! | `POST /nonce` §7 | [`NonceResponse`] | [`issue_nonce`], [`NonceRecord::consume`] |
//! | `POST /credential` §8 | [`CredentialRequest`], [`CredentialResponse`] | [`AccessTokenRecord::authorize`], [`validate_credential_request`], [`validate_jwt_proof`] |
//! | `POST /notification` §11 | [`NotificationRequest`] | [`NotificationError`] |
//!
//! Credential endpoint order: [`bearer_token`] → look up [`AccessTokenRecord`] by hash →
//! [`CredentialRequest::from_json`] → [`validate_credential_request`] → per proof:
//! [`unverified_proof_nonce`] → look up the [`NonceRecord`] by [`SecretHash::of`] it and
//! [`NonceRecord::check`] → [`validate_jwt_proof`] with that nonce expected; then
//! [`check_distinct_keys`] → [`NonceRecord::consume`] each distinct nonce once (a batch
//! usually shares one; persist with compare-and-swap) →
//! issue → [`CredentialResponse::issued`].
//!
//! ```
//! use rosette_oid4vci::{
//!     CredentialOffer, PreAuthorizedCode, PreAuthorizedCodeState, TokenRequest, TokenSettings, TxCode,
//!     TxCodeSpec, offer_url_by_reference, redeem,
//! };
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut rng = rand::rngs::OsRng;
//! let now = rosette_core::Timestamp::from_unix(1_800_000_000).ok_or("time")?;
//!
//! // Make an offer: the code goes into the offer, only its hash into storage.
//! let code = PreAuthorizedCode::generate(&mut rng);
//! let pin = TxCode::generate_numeric(6, &mut rng); // sent by e-mail, not in the QR code
//! let ids = vec!["OpenBadgeCredential".to_owned()];
//! let mut state = PreAuthorizedCodeState::new(&code, ids.clone(), Some(&pin), now, 600);
//! let offer = CredentialOffer::pre_authorized(
//!     "https://issuer.example.org", ids, code.expose_secret(), Some(TxCodeSpec::numeric(6, None)));
//! let qr = offer_url_by_reference("https://issuer.example.org/offers/1"); // serves `offer` as JSON
//! assert!(qr.starts_with("openid-credential-offer://?credential_offer_uri=https%3A%2F%2F"));
//!
//! // The wallet redeems it at the token endpoint.
//! let form = format!(
//!     "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={}&tx_code={}",
//!     code.expose_secret(), pin.expose_secret());
//! let request = TokenRequest::from_form(form.as_bytes())?;
//! let grant = redeem(&mut state, &request, &TokenSettings::default(), now, &mut rng)?;
//! assert!(state.used); // persist with compare-and-swap on `used`
//! let body = serde_json::to_string(&grant.response())?; // 200, Cache-Control: no-store
//! # let _ = (offer, body);
//! # Ok(())
//! # }
//! ```

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

mod credential;
mod error;
mod metadata;
mod nonce;
mod offer;
mod proof;
mod secret;
mod token;
mod unix_seconds;

pub use credential::{
    CredentialRequest, CredentialRequestError, CredentialResponse, IssuedCredential,
    MAX_REQUEST_LEN, NotificationError, NotificationEvent, NotificationRequest, Proofs,
    RequestDialect, SingularProof, ValidatedCredentialRequest, check_distinct_keys,
    validate_credential_request,
};
pub use error::{ErrorCode, ErrorResponse};
pub use metadata::{
    AlgorithmId, AuthorizationServerMetadata, BatchCredentialIssuance, ClaimDescription,
    CredentialConfiguration, CredentialDefinition, CredentialDisplay, CredentialIssuerMetadata,
    CredentialMetadata, Format, ISSUER_WELL_KNOWN, IssuerDisplay, Logo, OAUTH_AS_WELL_KNOWN,
    ProofType, ProofTypeMetadata,
};
pub use nonce::{
    NonceError, NonceRecord, NonceResponse, NonceSealKey, SealedNonce, issue_nonce,
    issue_sealed_nonce, open_sealed_nonce,
};
pub use offer::{
    AuthorizationCodeGrant, CredentialOffer, Grants, InputMode, MAX_OFFER_URL_LEN, OFFER_SCHEME,
    OfferError, OfferLocation, OfferParseOptions, OfferUrlError, PRE_AUTHORIZED_CODE_GRANT,
    PreAuthorizedCodeGrant, TxCodeSpec, offer_url_by_reference, offer_url_by_value,
    parse_offer_json, parse_offer_json_with, parse_offer_url, parse_offer_url_with,
};
pub use proof::{
    HolderKey, KeyProofExpectations, MAX_PROOF_LEN, PROOF_JWT_TYP, ProofError,
    unverified_proof_nonce, validate_jwt_proof,
};
/// The holder key type of [`HolderKey`] (`rosette-did`'s).
pub use rosette_did::PublicKey;
pub use secret::{
    AccessToken, CNonce, NotificationId, OfferToken, PreAuthorizedCode, SECRET_BYTES, SecretHash,
    TxCode,
};
pub use token::{
    AccessTokenRecord, BearerError, GrantType, MAX_FORM_LEN, PreAuthorizedCodeState, TokenError,
    TokenGrant, TokenRequest, TokenResponse, TokenSettings, bearer_token, redeem,
};
