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
pub use verify::Verifier;
mod issue;
pub mod presentation;

pub use issue::{CredentialFormat, CredentialSigner, IssueError, SignedCredential};
mod resolver;

pub use resolver::{offline_resolver, standard_resolver};
