//! rosette-wallet-core: the holder wallet's logic.
//!
//! - [`Wallet`]: a directory holding a passphrase-protected store. Argon2id turns the
//!   passphrase into a key-encryption key that wraps a random data key; every record value
//!   (each badge, its summary, the holder key) is sealed with XChaCha20-Poly1305 under the data
//!   key, with the record id as associated data. Record ids are random UUIDs, so nothing in
//!   the clear names a badge.
//! - [`summarize`]: what `list` shows about a credential (JSON-LD or VC-JWT).
//! - [`bake_badge`] / [`read_import`]: baked PNG/SVG export and import (OB 3.0 §5.3).
//! - [`key_proof_jwt`]: the OpenID4VCI `openid4vci-proof+jwt` key proof of the holder key.
//! - [`dcql_candidate`], [`build_vp_token`]: answering an OpenID4VP request (DCQL matching,
//!   presentations bound to the verifier).
//!
//! Time is passed in; the only I/O is the store's own files.

#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

mod badge;
mod baked;
mod crypto;
mod details;
mod present;
mod proof;
mod store;

pub use badge::{
    BadgeStatus, BadgeSummary, CredentialFormat, Revocation, STATUS_FRESH_SECONDS, Standing,
    StatusCheck, SummaryError, ago, summarize,
};
pub use baked::{
    BakeBadgeError, BakedImage, ImageKind, ImageSource, ImportSource, ImportedCredential,
    ReadImportError, bake_badge, read_import,
};
pub use crypto::{KdfParams, MIN_PASSPHRASE_CHARS, Passphrase, WeakPassphrase};
pub use details::{Alignment, BadgeDetails, Evidence, ProofDetails, details};
pub use present::{PresentError, build_vp_token, dcql_candidate};
pub use proof::{KeyProofError, key_proof_jwt};
pub use store::{
    AddNewestError, BadgeId, DeleteError, InitError, OpenError, Placement, ReadError, StoredBadge,
    Wallet, WriteError,
};
