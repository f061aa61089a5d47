//! W3C [Bitstring Status List v1.0](https://www.w3.org/TR/vc-bitstring-status-list/):
//! revocation and suspension of credentials through a signed, compressed bitstring.
//!
//! This crate holds the logic only (no I/O, no clock, no signatures):
//! - [`StatusList`]: the bitstring, its `encodedList` form (multibase base64url of GZIP) and a
//!   decoder that caps the decompressed size so a hostile list cannot exhaust memory;
//! - the wire types [`StatusListEntry`] (a credential's `credentialStatus`) and
//!   [`StatusListCredentialSubject`] (the list credential's subject), with the open
//!   [`StatusPurpose`];
//! - [`check`]: reads one entry's bit from an already verified list credential;
//! - [`IndexAllocator`]: random, never reused indices, so a list index says nothing about when
//!   or to whom a credential was issued (herd privacy over the whole list).
//!
//! Verifying the list credential's proof, issuer and validity window is the caller's job
//! (`rosette-proof` does it); fetching it too (the wallet and agent do it).

mod allocator;
mod bitstring;
mod check;
mod wire;

pub use allocator::{AllocatorError, IndexAllocator};
pub use bitstring::{
    DEFAULT_MAX_DECODED_BYTES, DecodeError, MIN_LIST_LENGTH, StatusList, StatusListError,
};
pub use check::{Status, StatusError, check, entries_of};
pub use wire::{
    BITSTRING_STATUS_LIST, BITSTRING_STATUS_LIST_CREDENTIAL, BITSTRING_STATUS_LIST_ENTRY,
    StatusListCredentialSubject, StatusListEntry, StatusListIndex, StatusPurpose,
};
