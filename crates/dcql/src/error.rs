//! Errors of query validation and of checking what a wallet presented.

/// Why a DCQL query is invalid (OpenID4VP 1.0 §6) or a presented `vp_token` does not answer it
/// (§6.4, §8.6). Each variant names the rule broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DcqlError {
    /// `credentials` is empty (§6.1: a non-empty array).
    #[error("the query has no credential queries")]
    NoCredentialQueries,
    /// A credential query or claim id is not `[A-Za-z0-9_-]+` (§6.1, §6.3).
    #[error("id {0:?} must be non-empty and use only A-Z, a-z, 0-9, '_' and '-'")]
    InvalidId(String),
    /// Two credential queries share an id (§6.1).
    #[error("credential query id {0:?} is used twice")]
    DuplicateCredentialId(String),
    /// A credential query has no `meta` (§6.1: REQUIRED, `{}` allowed).
    #[error("credential query {0:?} has no meta")]
    MissingMeta(String),
    /// A W3C format query has no, or empty, `meta.type_values` (Appendix B.1.1).
    #[error("credential query {0:?} needs non-empty meta.type_values for its W3C format")]
    MissingTypeValues(String),
    /// An array the spec requires to be non-empty is empty (`claims`, `claim_sets`, a claim
    /// set, `values`, `trusted_authorities`, `credential_sets`, `options`, an option).
    #[error("{what} in {at:?} must not be empty")]
    EmptyArray {
        /// Which member.
        what: &'static str,
        /// The credential query (or credential set index) it belongs to.
        at: String,
    },
    /// Two claims of one credential query share an id (§6.3).
    #[error("claim id {claim:?} is used twice in credential query {query:?}")]
    DuplicateClaimId {
        /// The credential query.
        query: String,
        /// The repeated claim id.
        claim: String,
    },
    /// `claim_sets` is present but names a claim id that no claim has (§6.1: claim ids are
    /// then required), or `claim_sets` is present without `claims`.
    #[error("claim_sets of credential query {query:?} name unknown claim id {claim:?}")]
    UnknownClaimId {
        /// The credential query.
        query: String,
        /// The unknown claim id.
        claim: String,
    },
    /// A claims path pointer is empty, or breaks the format's path rules (§7; mdoc: two
    /// strings, Appendix B.2.1).
    #[error("claim path in credential query {query:?} is invalid: {reason}")]
    InvalidPath {
        /// The credential query.
        query: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A `values` entry is not a string, integer or boolean (§6.3).
    #[error("claim values in credential query {0:?} must be strings, integers or booleans")]
    InvalidClaimValue(String),
    /// A credential set option names a credential query that does not exist (§6.2).
    #[error("credential set {set} names unknown credential query {id:?}")]
    UnknownCredentialSetId {
        /// Index of the credential set.
        set: usize,
        /// The unknown id.
        id: String,
    },
    /// The `vp_token` holds a key that is not a credential query id (§8.1).
    #[error("the presentation answers unknown credential query {0:?}")]
    UnknownPresentedId(String),
    /// The `vp_token` holds an empty array for a query (§8.1: at least one presentation).
    #[error("the presentation for credential query {0:?} is empty")]
    EmptyPresentation(String),
    /// More than one presentation for a query without `multiple` (§6.1).
    #[error("credential query {0:?} allows one credential but several were presented")]
    MultipleNotAllowed(String),
    /// A presented credential does not match its credential query (§6.4).
    #[error("presented credential {index} for query {id:?} does not match the query")]
    PresentedMismatch {
        /// The credential query.
        id: String,
        /// Position in the presented array.
        index: usize,
    },
    /// A required credential query was not answered (no `credential_sets`: all are required).
    #[error("required credential query {0:?} was not answered")]
    MissingCredential(String),
    /// No option of a required credential set is fully answered (§6.2, §6.4.2).
    #[error("no option of required credential set {0} is answered")]
    RequiredSetUnmet(usize),
}
