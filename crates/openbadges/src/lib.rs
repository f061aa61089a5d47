//! rosette-openbadges: the Open Badges 3.0 data model and its validation.
//!
//! - [`model`]: typed serde model of OB 3.0 App. B (VC Data Model 2.0, reading 1.1 too).
//!   Unknown properties are kept, set-valued properties accept a single value or an array
//!   ([`OneOrMany`]), dates keep their lexical form ([`DateTimeStamp`]).
//! - [`context`]: context URLs and the `@context` rule.
//! - [`validate`] / [`schema`]: the bundled 1EdTech JSON Schemas (offline) plus the checks
//!   the schema cannot express; every violation carries a JSON Pointer.
//! - [`issue`]: [`prepare_for_issuance`] for the signer and [`demo_credential`].
//!
//! Pure logic: no I/O, no clock, no randomness.

#![warn(missing_docs)]

pub mod context;
pub mod datetime;
pub mod identity;
pub mod issue;
pub mod model;
pub mod one_or_many;
mod open_enum;
pub mod schema;
pub mod validate;
pub mod vocab;

pub use context::{ContextError, ContextInfo, ObContextVersion, VcVersion, check_contexts};
pub use datetime::{DateTimeError, DateTimeStamp};
pub use identity::{IdentityMatchError, identity_hash_sha256};
pub use issue::{DemoParams, IssuanceError, demo_credential, prepare_for_issuance};
pub use model::{
    Achievement, AchievementCredential, AchievementResult, AchievementSubject, Alignment,
    ContextEntry, CredentialSchema, CredentialStatus, Criteria, EndorsementCredential,
    EndorsementSubject, Evidence, IdentifierEntry, IdentityObject, Image, OpenBadgeCredential,
    Profile, ProfileRef, Proof, RefreshService, Related, ResultDescription, RubricCriterionLevel,
    StatusListIndex, StatusMethod, TermsOfUse,
};
pub use one_or_many::OneOrMany;
pub use schema::{CredentialKind, SchemaCompileError, SchemaVariant};
pub use validate::{
    OpenBadgesCredential, ReadError, Violation, ViolationSource, read_credential,
    semantic_violations, validate_credential,
};
pub use vocab::{AchievementType, AlignmentTargetType, IdentityType, ResultStatus, ResultType};
