//! Credential Endpoint `POST /credential` (OpenID4VCI 1.0 §8) and Notification Endpoint
//! `POST /notification` (§11): wire types and request validation.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ErrorCode, ErrorResponse};
use crate::metadata::{
    CredentialConfiguration, CredentialDefinition, CredentialIssuerMetadata, Format, ProofType,
};
use crate::proof::HolderKey;
use crate::token::AccessTokenRecord;
use rosette_core::open_enum;

/// Credential request bodies larger than this are refused.
pub const MAX_REQUEST_LEN: usize = 256 * 1024;

/// Credential Request, OpenID4VCI 1.0 §8.2 (plus the draft 13–15 members we still accept).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialRequest {
    /// REQUIRED iff the token response returned `credential_identifiers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_identifier: Option<String>,
    /// REQUIRED otherwise: a key of `credential_configurations_supported`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_configuration_id: Option<String>,
    /// Draft ≤ 14: the format, with `credential_definition`; used only without
    /// `credential_configuration_id` and `credential_identifier`, to pick the one matching
    /// configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
    /// Draft ≤ 14: the credential's `type` (and `@context`), with `format`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_definition: Option<CredentialDefinition>,
    /// OPTIONAL. Proofs of possession, exactly one proof type key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proofs: Option<Proofs>,
    /// Draft 13–15 singular proof `{proof_type, jwt}`; never together with `proofs`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof: Option<SingularProof>,
    /// OPTIONAL. Response encryption parameters (§10); not supported here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_response_encryption: Option<Value>,
    /// Unrecognised parameters (the issuer MUST ignore them).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The `proofs` object, OpenID4VCI 1.0 §8.2: one proof type key → non-empty array.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Proofs {
    /// `jwt` proofs (Appendix F.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt: Option<Vec<String>>,
    /// `di_vp` proofs (Appendix F.2); not verified by this crate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub di_vp: Option<Vec<Value>>,
    /// `attestation` proofs (Appendix F.3); not verified by this crate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<Vec<String>>,
    /// Other proof types.
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl Proofs {
    /// `proofs: {jwt: [..]}`.
    pub fn jwt(jwts: Vec<String>) -> Self {
        Self {
            jwt: Some(jwts),
            ..Self::default()
        }
    }
}

/// Draft 13–15 `proof` object `{proof_type, jwt}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SingularProof {
    /// `jwt` (or draft `ldp_vp`, `cwt`).
    pub proof_type: ProofType,
    /// The JWT, for `proof_type` `jwt`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwt: Option<String>,
    /// Other members.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl CredentialRequest {
    /// A 1.0 request for `configuration_id` with `jwt` proofs.
    pub fn with_jwt_proofs(configuration_id: impl Into<String>, jwts: Vec<String>) -> Self {
        Self {
            credential_configuration_id: Some(configuration_id.into()),
            proofs: Some(Proofs::jwt(jwts)),
            ..Self::default()
        }
    }

    /// Parses a JSON body (size-limited).
    pub fn from_json(body: &[u8]) -> Result<Self, CredentialRequestError> {
        if body.len() > MAX_REQUEST_LEN {
            return Err(CredentialRequestError::Malformed(
                "body too large".to_owned(),
            ));
        }
        serde_json::from_slice(body).map_err(|e| CredentialRequestError::Malformed(e.to_string()))
    }
}

/// Which protocol dialect a request was written in; shapes the response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestDialect {
    /// OpenID4VCI 1.0 (`proofs`).
    V1,
    /// Drafts 13–15 (singular `proof`).
    Draft,
}

/// A credential request that passed [`validate_credential_request`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValidatedCredentialRequest {
    /// The configuration to issue.
    pub credential_configuration_id: String,
    /// The `jwt` key proofs, not yet verified: run [`crate::validate_jwt_proof`] on each.
    pub jwt_proofs: Vec<String>,
    /// The request's dialect.
    pub dialect: RequestDialect,
}

/// Why a credential request was refused. Map with [`CredentialRequestError::to_wire`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialRequestError {
    /// The body is not a JSON Credential Request.
    #[error("malformed credential request: {0}")]
    Malformed(String),
    /// Both `credential_identifier` and `credential_configuration_id`.
    #[error("credential_identifier and credential_configuration_id are mutually exclusive")]
    BothIdentifiers,
    /// Neither identifier nor a draft `format`.
    #[error("credential_configuration_id or credential_identifier is required")]
    MissingIdentifier,
    /// A draft 13-14 request by `format` + `credential_definition` that matches no
    /// configuration, or more than one.
    #[error("no single credential configuration matches this format and credential_definition")]
    UnsupportedCredentialFormat,
    /// The token returned `credential_identifiers`, so `credential_identifier` is required.
    #[error("this access token requires credential_identifier")]
    CredentialIdentifierRequired,
    /// `credential_identifier` used although none were issued, or not one of them.
    #[error("unknown credential_identifier")]
    UnknownCredentialIdentifier,
    /// `credential_configuration_id` is not in the metadata.
    #[error("unknown credential configuration")]
    UnknownCredentialConfiguration,
    /// The configuration exists but the access token was not granted for it.
    #[error("the access token does not cover this credential configuration")]
    NotGranted,
    /// Both `proof` and `proofs`.
    #[error("proof and proofs are mutually exclusive")]
    ProofAndProofs,
    /// The configuration requires proofs and none were sent.
    #[error("proofs are required")]
    MissingProofs,
    /// A proof array is empty.
    #[error("proofs must not be empty")]
    EmptyProofs,
    /// `proofs` has more than one proof type key.
    #[error("proofs must contain exactly one proof type")]
    MultipleProofTypes,
    /// A proof type the configuration does not accept.
    #[error("proof type {0} is not supported")]
    UnsupportedProofType(String),
    /// More proofs than `batch_size` (1 without batch issuance).
    #[error("at most {max} proofs are accepted")]
    TooManyProofs {
        /// The limit.
        max: usize,
    },
    /// Two proofs name the same key (each key binds at most one credential, §3.3.2).
    #[error("two proofs use the same key")]
    DuplicateProofKey,
    /// `credential_response_encryption` sent; this issuer does not encrypt.
    #[error("credential response encryption is not supported")]
    EncryptionNotSupported,
}

impl CredentialRequestError {
    /// HTTP status and body (OpenID4VCI 1.0 §8.3.1.2).
    pub fn to_wire(&self) -> (u16, ErrorResponse) {
        use CredentialRequestError as E;
        let code = match self {
            E::Malformed(_)
            | E::BothIdentifiers
            | E::MissingIdentifier
            | E::CredentialIdentifierRequired
            | E::ProofAndProofs
            | E::MultipleProofTypes
            | E::TooManyProofs { .. } => ErrorCode::InvalidCredentialRequest,
            E::UnknownCredentialIdentifier => ErrorCode::UnknownCredentialIdentifier,
            E::UnknownCredentialConfiguration => ErrorCode::UnknownCredentialConfiguration,
            E::UnsupportedCredentialFormat => ErrorCode::UnsupportedCredentialFormat,
            E::NotGranted => ErrorCode::CredentialRequestDenied,
            E::MissingProofs
            | E::EmptyProofs
            | E::UnsupportedProofType(_)
            | E::DuplicateProofKey => ErrorCode::InvalidProof,
            E::EncryptionNotSupported => ErrorCode::InvalidEncryptionParameters,
        };
        // serde's message may quote input: keep the description generic for Malformed.
        let description = match self {
            E::Malformed(_) => "malformed credential request".to_owned(),
            other => other.to_string(),
        };
        (400, ErrorResponse::new(code, Some(&description)))
    }
}

/// Checks a Credential Request against the metadata and the access token (§8.2): exactly one
/// identifier, known and granted configuration, one proof form (1.0 `proofs` or draft
/// `proof`, not both), one proof type, supported, non-empty, within the batch size.
pub fn validate_credential_request(
    request: &CredentialRequest,
    metadata: &CredentialIssuerMetadata,
    token: &AccessTokenRecord,
) -> Result<ValidatedCredentialRequest, CredentialRequestError> {
    use CredentialRequestError as E;
    if request.credential_response_encryption.is_some() {
        return Err(E::EncryptionNotSupported);
    }
    let configuration_id = match (
        &request.credential_identifier,
        &request.credential_configuration_id,
    ) {
        (Some(_), Some(_)) => return Err(E::BothIdentifiers),
        (None, None) => match &request.format {
            None => return Err(E::MissingIdentifier),
            Some(format) => {
                if token.credential_identifiers_issued {
                    return Err(E::CredentialIdentifierRequired);
                }
                configuration_by_format(metadata, format, request.credential_definition.as_ref())?
            }
        },
        // Identifiers we issue equal configuration ids (one dataset per configuration).
        (Some(identifier), None) => {
            if !token.credential_identifiers_issued
                || !token.credential_configuration_ids.contains(identifier)
            {
                return Err(E::UnknownCredentialIdentifier);
            }
            identifier
        }
        (None, Some(id)) => {
            if token.credential_identifiers_issued {
                return Err(E::CredentialIdentifierRequired);
            }
            id
        }
    };
    let configuration = metadata
        .credential_configurations_supported
        .get(configuration_id)
        .ok_or(E::UnknownCredentialConfiguration)?;
    if !token
        .credential_configuration_ids
        .contains(configuration_id)
    {
        return Err(E::NotGranted);
    }

    let (proof_type, values, dialect) = match (&request.proofs, &request.proof) {
        (Some(_), Some(_)) => return Err(E::ProofAndProofs),
        (None, None) => {
            if configuration.proof_types_supported.is_some() {
                return Err(E::MissingProofs);
            }
            return Ok(ValidatedCredentialRequest {
                credential_configuration_id: configuration_id.clone(),
                jwt_proofs: Vec::new(),
                dialect: RequestDialect::V1,
            });
        }
        (Some(proofs), None) => {
            let (proof_type, values) = single_proof_type(proofs)?;
            (proof_type, values, RequestDialect::V1)
        }
        (None, Some(proof)) => {
            // Draft `ldp_vp` became `di_vp` in 1.0.
            let proof_type = match &proof.proof_type {
                ProofType::Other(t) if t == "ldp_vp" => ProofType::DiVp,
                other => other.clone(),
            };
            let values = match (&proof_type, &proof.jwt) {
                (ProofType::Jwt, Some(jwt)) => vec![Value::from(jwt.as_str())],
                (ProofType::Jwt, None) => return Err(E::EmptyProofs),
                (_, _) => Vec::new(),
            };
            (proof_type, values, RequestDialect::Draft)
        }
    };
    let supported = configuration
        .proof_types_supported
        .as_ref()
        .is_some_and(|types| types.contains_key(&proof_type));
    // Only `jwt` proofs are verified by this crate.
    if !supported || proof_type != ProofType::Jwt {
        return Err(E::UnsupportedProofType(proof_type.as_str().to_owned()));
    }
    if values.is_empty() {
        return Err(E::EmptyProofs);
    }
    let max = metadata
        .batch_credential_issuance
        .as_ref()
        .map_or(1, |b| usize::try_from(b.batch_size).unwrap_or(usize::MAX));
    if values.len() > max {
        return Err(E::TooManyProofs { max });
    }
    let jwt_proofs = values
        .into_iter()
        .map(|v| match v {
            Value::String(s) => Ok(s),
            _ => Err(E::Malformed("jwt proof is not a string".to_owned())),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ValidatedCredentialRequest {
        credential_configuration_id: configuration_id.clone(),
        jwt_proofs,
        dialect,
    })
}

/// Draft 13-14 (oid4vc-checklist §1.6): the id of the only configuration whose format is
/// `format` and whose `credential_definition` has the same `type` set as the request's.
/// `@context` is not compared: what is issued is the configuration's, and wallets differ in
/// the contexts they list.
fn configuration_by_format<'m>(
    metadata: &'m CredentialIssuerMetadata,
    format: &Format,
    definition: Option<&CredentialDefinition>,
) -> Result<&'m String, CredentialRequestError> {
    let Some(wanted) = definition else {
        return Err(CredentialRequestError::UnsupportedCredentialFormat);
    };
    let wanted_types: BTreeSet<&str> = wanted.types.iter().map(String::as_str).collect();
    let matches = |config: &CredentialConfiguration| {
        let Some(offered) = &config.credential_definition else {
            return false;
        };
        let types: BTreeSet<&str> = offered.types.iter().map(String::as_str).collect();
        config.format == *format && types == wanted_types
    };
    let mut found = metadata
        .credential_configurations_supported
        .iter()
        .filter(|(_, config)| matches(config))
        .map(|(id, _)| id);
    match (found.next(), found.next()) {
        (Some(id), None) => Ok(id),
        _ => Err(CredentialRequestError::UnsupportedCredentialFormat),
    }
}

/// The one proof type in `proofs` and its values.
fn single_proof_type(proofs: &Proofs) -> Result<(ProofType, Vec<Value>), CredentialRequestError> {
    let mut present: Vec<(ProofType, Vec<Value>)> = Vec::new();
    if let Some(jwt) = &proofs.jwt {
        present.push((
            ProofType::Jwt,
            jwt.iter().map(|s| Value::from(s.as_str())).collect(),
        ));
    }
    if let Some(di_vp) = &proofs.di_vp {
        present.push((ProofType::DiVp, di_vp.clone()));
    }
    if let Some(attestation) = &proofs.attestation {
        present.push((
            ProofType::Attestation,
            attestation
                .iter()
                .map(|s| Value::from(s.as_str()))
                .collect(),
        ));
    }
    for (name, value) in &proofs.other {
        let values = match value {
            Value::Array(items) => items.clone(),
            _ => {
                return Err(CredentialRequestError::Malformed(format!(
                    "proofs.{name} is not an array"
                )));
            }
        };
        present.push((ProofType::from(name.as_str()), values));
    }
    let mut iter = present.into_iter();
    match (iter.next(), iter.next()) {
        (Some(only), None) => Ok(only),
        (None, _) => Err(CredentialRequestError::EmptyProofs),
        (Some(_), Some(_)) => Err(CredentialRequestError::MultipleProofTypes),
    }
}

/// Refuses two proofs for the same key (§3.3.2: each key binds at most one credential).
pub fn check_distinct_keys(keys: &[HolderKey]) -> Result<(), CredentialRequestError> {
    let mut seen = BTreeSet::new();
    for key in keys {
        if !seen.insert(key.did.as_str()) {
            return Err(CredentialRequestError::DuplicateProofKey);
        }
    }
    Ok(())
}

/// Credential Response, OpenID4VCI 1.0 §8.3. Send with `Cache-Control: no-store`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialResponse {
    /// The issued credentials (200).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Vec<IssuedCredential>>,
    /// Deferred issuance (202).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    /// REQUIRED with `transaction_id`: seconds to wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<u64>,
    /// OPTIONAL with `credentials`: id for the Notification Endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_id: Option<String>,
    /// Other members (draft `credential`, `c_nonce`).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// One element of `credentials`, OpenID4VCI 1.0 §8.3.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssuedCredential {
    /// REQUIRED. A JSON object (`ldp_vc`) or a string (`jwt_vc_json`).
    pub credential: Value,
    /// Other members.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl CredentialResponse {
    /// An immediate response. For [`RequestDialect::Draft`] the first credential is also put
    /// in the draft-13 top-level `credential` member (1.0 wallets ignore it).
    pub fn issued(
        credentials: Vec<Value>,
        notification_id: Option<String>,
        dialect: RequestDialect,
    ) -> Self {
        let mut extra = BTreeMap::new();
        if let (RequestDialect::Draft, Some(first)) = (dialect, credentials.first()) {
            extra.insert("credential".to_owned(), first.clone());
        }
        Self {
            credentials: Some(
                credentials
                    .into_iter()
                    .map(|credential| IssuedCredential {
                        credential,
                        extra: BTreeMap::new(),
                    })
                    .collect(),
            ),
            transaction_id: None,
            interval: None,
            notification_id,
            extra,
        }
    }
}

open_enum! {
    /// Notification `event`, OpenID4VCI 1.0 §11.1.
    pub enum NotificationEvent {
        /// Stored successfully.
        CredentialAccepted => "credential_accepted",
        /// Failed for another reason.
        CredentialFailure => "credential_failure",
        /// Refused or deleted by the user.
        CredentialDeleted => "credential_deleted",
    }
}

/// Notification Request, OpenID4VCI 1.0 §11.1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotificationRequest {
    /// REQUIRED. From the Credential Response.
    pub notification_id: String,
    /// REQUIRED. What happened.
    pub event: NotificationEvent,
    /// OPTIONAL. ASCII text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_description: Option<String>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Why a notification was refused (§11.3).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// Not a JSON Notification Request, or an event outside the three defined.
    #[error("malformed notification request")]
    Malformed,
    /// Unknown `notification_id` (the caller's lookup failed).
    #[error("unknown notification_id")]
    UnknownNotificationId,
}

impl NotificationError {
    /// HTTP status and body (§11.3).
    pub fn to_wire(&self) -> (u16, ErrorResponse) {
        let code = match self {
            Self::Malformed => ErrorCode::InvalidNotificationRequest,
            Self::UnknownNotificationId => ErrorCode::InvalidNotificationId,
        };
        (400, ErrorResponse::new(code, Some(&self.to_string())))
    }
}

impl NotificationRequest {
    /// Parses and checks a JSON body: the event must be one of the three defined (§11.1).
    pub fn from_json(body: &[u8]) -> Result<Self, NotificationError> {
        if body.len() > MAX_REQUEST_LEN {
            return Err(NotificationError::Malformed);
        }
        let request: Self =
            serde_json::from_slice(body).map_err(|_| NotificationError::Malformed)?;
        if matches!(request.event, NotificationEvent::Other(_)) {
            return Err(NotificationError::Malformed);
        }
        Ok(request)
    }
}
