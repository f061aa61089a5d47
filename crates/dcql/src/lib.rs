//! rosette-dcql: the Digital Credentials Query Language of OpenID for Verifiable Presentations
//! 1.0 (§6, <https://openid.net/specs/openid-4-verifiable-presentations-1_0.html#name-digital-credentials-query-l>)
//! with the claims path pointer of §7 and the W3C VC profile of Appendix B.1.
//!
//! No I/O: the wallet turns its stored credentials into [`Candidate`]s, [`evaluate`] says which
//! of them answer a [`DcqlQuery`] and which to present; the verifier runs [`check_presented`] on
//! what it received (after checking signatures and binding, which are not DCQL's business).
//!
//! ```
//! use rosette_dcql::{evaluate, w3c, Candidate, DcqlQuery};
//!
//! let query: DcqlQuery = serde_json::from_value(serde_json::json!({
//!     "credentials": [{
//!         "id": "badge",
//!         "format": "ldp_vc",
//!         "meta": { "type_values": w3c::ob3_type_values() },
//!         "claims": [{ "path": ["credentialSubject", "achievement", "name"] }]
//!     }]
//! }))?;
//! query.validate()?;
//! let badge = serde_json::json!({
//!     "@context": ["https://www.w3.org/ns/credentials/v2",
//!                  "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
//!     "type": ["VerifiableCredential", "OpenBadgeCredential"],
//!     "credentialSubject": { "achievement": { "name": "Rust" } }
//! });
//! let candidates = [Candidate::ldp_vc(badge)?];
//! let evaluation = evaluate(&query, &candidates);
//! assert!(evaluation.can_be_satisfied);
//! assert_eq!(evaluation.selection().unwrap()["badge"], vec![0]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]

mod error;
mod eval;
mod path;
mod query;
pub mod w3c;

pub use error::DcqlError;
pub use eval::{Candidate, Evaluation, SetResult, check_presented, evaluate};
pub use path::{ClaimPath, PathElement};
pub use query::{
    ClaimsQuery, CredentialMeta, CredentialQuery, CredentialSetQuery, DcqlQuery,
    TrustedAuthoritiesQuery,
};

/// Credential formats of the W3C VC profile (OpenID4VP 1.0 Appendix B.1) whose `meta` must
/// carry `type_values`.
pub const W3C_FORMATS: [&str; 2] = ["jwt_vc_json", "ldp_vc"];
