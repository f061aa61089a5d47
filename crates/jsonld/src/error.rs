//! Errors: the JSON-LD 1.1 API error codes (§9.4.2 `JsonLdErrorCode`) plus our own limits.

use std::fmt;

/// A JSON-LD error code. [`JsonLdErrorCode::as_str`] is the exact string of the specification
/// (<https://www.w3.org/TR/json-ld11-api/#jsonlderrorcode>); the last variants are ours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum JsonLdErrorCode {
    /// "colliding keywords"
    CollidingKeywords,
    /// "conflicting indexes"
    ConflictingIndexes,
    /// "context overflow"
    ContextOverflow,
    /// "cyclic IRI mapping"
    CyclicIriMapping,
    /// "invalid @id value"
    InvalidIdValue,
    /// "invalid @import value"
    InvalidImportValue,
    /// "invalid @included value"
    InvalidIncludedValue,
    /// "invalid @index value"
    InvalidIndexValue,
    /// "invalid @nest value"
    InvalidNestValue,
    /// "invalid @prefix value"
    InvalidPrefixValue,
    /// "invalid @propagate value"
    InvalidPropagateValue,
    /// "invalid @protected value"
    InvalidProtectedValue,
    /// "invalid @reverse value"
    InvalidReverseValue,
    /// "invalid @version value"
    InvalidVersionValue,
    /// "invalid base direction"
    InvalidBaseDirection,
    /// "invalid base IRI"
    InvalidBaseIri,
    /// "invalid container mapping"
    InvalidContainerMapping,
    /// "invalid context entry"
    InvalidContextEntry,
    /// "invalid context nullification"
    InvalidContextNullification,
    /// "invalid default language"
    InvalidDefaultLanguage,
    /// "invalid IRI mapping"
    InvalidIriMapping,
    /// "invalid JSON literal"
    InvalidJsonLiteral,
    /// "invalid keyword alias"
    InvalidKeywordAlias,
    /// "invalid language map value"
    InvalidLanguageMapValue,
    /// "invalid language mapping"
    InvalidLanguageMapping,
    /// "invalid language-tagged string"
    InvalidLanguageTaggedString,
    /// "invalid language-tagged value"
    InvalidLanguageTaggedValue,
    /// "invalid local context"
    InvalidLocalContext,
    /// "invalid remote context"
    InvalidRemoteContext,
    /// "invalid reverse property"
    InvalidReverseProperty,
    /// "invalid reverse property map"
    InvalidReversePropertyMap,
    /// "invalid reverse property value"
    InvalidReversePropertyValue,
    /// "invalid scoped context"
    InvalidScopedContext,
    /// "invalid set or list object"
    InvalidSetOrListObject,
    /// "invalid term definition"
    InvalidTermDefinition,
    /// "invalid type mapping"
    InvalidTypeMapping,
    /// "invalid type value"
    InvalidTypeValue,
    /// "invalid typed value"
    InvalidTypedValue,
    /// "invalid value object"
    InvalidValueObject,
    /// "invalid value object value"
    InvalidValueObjectValue,
    /// "invalid vocab mapping"
    InvalidVocabMapping,
    /// "keyword redefinition"
    KeywordRedefinition,
    /// "loading document failed"
    LoadingDocumentFailed,
    /// "loading remote context failed"
    LoadingRemoteContextFailed,
    /// "processing mode conflict"
    ProcessingModeConflict,
    /// "protected term redefinition"
    ProtectedTermRedefinition,
    /// Ours: the document or a context nests deeper than the processor allows.
    DepthLimitExceeded,
    /// Ours (safe mode): a term, type or identifier would have been silently dropped.
    SafeModeViolation,
}

impl JsonLdErrorCode {
    /// The error code string as the specification spells it.
    pub fn as_str(self) -> &'static str {
        use JsonLdErrorCode as C;
        match self {
            C::CollidingKeywords => "colliding keywords",
            C::ConflictingIndexes => "conflicting indexes",
            C::ContextOverflow => "context overflow",
            C::CyclicIriMapping => "cyclic IRI mapping",
            C::InvalidIdValue => "invalid @id value",
            C::InvalidImportValue => "invalid @import value",
            C::InvalidIncludedValue => "invalid @included value",
            C::InvalidIndexValue => "invalid @index value",
            C::InvalidNestValue => "invalid @nest value",
            C::InvalidPrefixValue => "invalid @prefix value",
            C::InvalidPropagateValue => "invalid @propagate value",
            C::InvalidProtectedValue => "invalid @protected value",
            C::InvalidReverseValue => "invalid @reverse value",
            C::InvalidVersionValue => "invalid @version value",
            C::InvalidBaseDirection => "invalid base direction",
            C::InvalidBaseIri => "invalid base IRI",
            C::InvalidContainerMapping => "invalid container mapping",
            C::InvalidContextEntry => "invalid context entry",
            C::InvalidContextNullification => "invalid context nullification",
            C::InvalidDefaultLanguage => "invalid default language",
            C::InvalidIriMapping => "invalid IRI mapping",
            C::InvalidJsonLiteral => "invalid JSON literal",
            C::InvalidKeywordAlias => "invalid keyword alias",
            C::InvalidLanguageMapValue => "invalid language map value",
            C::InvalidLanguageMapping => "invalid language mapping",
            C::InvalidLanguageTaggedString => "invalid language-tagged string",
            C::InvalidLanguageTaggedValue => "invalid language-tagged value",
            C::InvalidLocalContext => "invalid local context",
            C::InvalidRemoteContext => "invalid remote context",
            C::InvalidReverseProperty => "invalid reverse property",
            C::InvalidReversePropertyMap => "invalid reverse property map",
            C::InvalidReversePropertyValue => "invalid reverse property value",
            C::InvalidScopedContext => "invalid scoped context",
            C::InvalidSetOrListObject => "invalid set or list object",
            C::InvalidTermDefinition => "invalid term definition",
            C::InvalidTypeMapping => "invalid type mapping",
            C::InvalidTypeValue => "invalid type value",
            C::InvalidTypedValue => "invalid typed value",
            C::InvalidValueObject => "invalid value object",
            C::InvalidValueObjectValue => "invalid value object value",
            C::InvalidVocabMapping => "invalid vocab mapping",
            C::KeywordRedefinition => "keyword redefinition",
            C::LoadingDocumentFailed => "loading document failed",
            C::LoadingRemoteContextFailed => "loading remote context failed",
            C::ProcessingModeConflict => "processing mode conflict",
            C::ProtectedTermRedefinition => "protected term redefinition",
            C::DepthLimitExceeded => "depth limit exceeded",
            C::SafeModeViolation => "safe mode violation",
        }
    }
}

impl fmt::Display for JsonLdErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error of expansion or RDF serialisation: a spec error code and a message naming the input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct JsonLdError {
    /// The error code.
    pub code: JsonLdErrorCode,
    /// What was wrong, naming the offending term or value.
    pub message: String,
}

impl JsonLdError {
    pub(crate) fn new(code: JsonLdErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Shorthand for building an `Err(JsonLdError)`.
pub(crate) fn err<T>(code: JsonLdErrorCode, message: impl Into<String>) -> Result<T, JsonLdError> {
    Err(JsonLdError::new(code, message))
}

/// Why a document loader could not provide a document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The URL is not one the loader serves (never fetched from the network).
    #[error("unknown context: {0}")]
    UnknownContext(String),
    /// The file behind a known URL could not be read.
    #[error("cannot read {url}: {reason}")]
    Io {
        /// The requested URL.
        url: String,
        /// The I/O error text.
        reason: String,
    },
    /// The document is not valid JSON.
    #[error("{url} is not JSON: {reason}")]
    NotJson {
        /// The requested URL.
        url: String,
        /// The parser's message.
        reason: String,
    },
}
