//! Token Endpoint, Pre-Authorized Code Flow: `POST /token` (OpenID4VCI 1.0 §6, RFC 6749 §4.1.3).
//!
//! [`redeem`] is the whole issuer-side decision; the caller loads a [`PreAuthorizedCodeState`]
//! by [`SecretHash::of`] the presented code, calls it, and persists the changed state.

use std::collections::BTreeMap;
use std::fmt;

use rand::{CryptoRng, RngCore};
use rosette_core::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ErrorCode, ErrorResponse};
use crate::nonce::{NonceRecord, issue_nonce};
use crate::secret::{AccessToken, CNonce, SecretHash};
use crate::unix_seconds;
use rosette_core::open_enum;

/// Token request bodies larger than this are refused.
pub const MAX_FORM_LEN: usize = 16 * 1024;

open_enum! {
    /// `grant_type`, RFC 6749 §4 and OpenID4VCI 1.0 §6.1.
    pub enum GrantType {
        /// RFC 6749 §4.1.3.
        AuthorizationCode => "authorization_code",
        /// OpenID4VCI 1.0 §6.1.
        PreAuthorizedCode => "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        /// RFC 6749 §6.
        RefreshToken => "refresh_token",
    }
}

/// Token Request (form fields), OpenID4VCI 1.0 §6.1.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct TokenRequest {
    /// REQUIRED. The grant type.
    pub grant_type: Option<GrantType>,
    /// `pre-authorized_code`: REQUIRED for the pre-authorized grant.
    pub pre_authorized_code: Option<String>,
    /// `tx_code`: REQUIRED iff the offer had a `tx_code` object.
    pub tx_code: Option<String>,
    /// `client_id`: OPTIONAL (absent = anonymous access).
    pub client_id: Option<String>,
    /// `authorization_details` (RFC 9396), raw JSON text.
    pub authorization_details: Option<String>,
    /// Other parameters (the AS MUST ignore unrecognised ones).
    pub extra: BTreeMap<String, String>,
}

impl fmt::Debug for TokenRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenRequest")
            .field("grant_type", &self.grant_type)
            .field(
                "pre_authorized_code",
                &self.pre_authorized_code.as_ref().map(|_| "<redacted>"),
            )
            .field("tx_code", &self.tx_code.as_ref().map(|_| "<redacted>"))
            .field("client_id", &self.client_id)
            .field("authorization_details", &self.authorization_details)
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl TokenRequest {
    /// A pre-authorized code request, as a wallet sends it.
    pub fn pre_authorized(code: impl Into<String>, tx_code: Option<String>) -> Self {
        Self {
            grant_type: Some(GrantType::PreAuthorizedCode),
            pre_authorized_code: Some(code.into()),
            tx_code,
            ..Self::default()
        }
    }

    /// Parses an `application/x-www-form-urlencoded` body. Repeated parameters are refused
    /// (RFC 6749 §3.2: "MUST NOT be included more than once").
    pub fn from_form(body: &[u8]) -> Result<Self, TokenError> {
        if body.len() > MAX_FORM_LEN {
            return Err(TokenError::MalformedRequest("body too large"));
        }
        let mut request = Self::default();
        let mut seen = std::collections::BTreeSet::new();
        for (name, value) in url::form_urlencoded::parse(body) {
            if !seen.insert(name.clone().into_owned()) {
                return Err(TokenError::RepeatedParameter(name.into_owned()));
            }
            let value = value.into_owned();
            match name.as_ref() {
                "grant_type" => request.grant_type = Some(GrantType::from(value)),
                "pre-authorized_code" => request.pre_authorized_code = Some(value),
                "tx_code" => request.tx_code = Some(value),
                "client_id" => request.client_id = Some(value),
                "authorization_details" => request.authorization_details = Some(value),
                other => {
                    request.extra.insert(other.to_owned(), value);
                }
            }
        }
        Ok(request)
    }

    /// The form body (for wallets and tests).
    pub fn to_form(&self) -> String {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        if let Some(g) = &self.grant_type {
            form.append_pair("grant_type", g.as_str());
        }
        for (name, value) in [
            ("pre-authorized_code", &self.pre_authorized_code),
            ("tx_code", &self.tx_code),
            ("client_id", &self.client_id),
            ("authorization_details", &self.authorization_details),
        ] {
            if let Some(v) = value {
                form.append_pair(name, v);
            }
        }
        for (name, value) in &self.extra {
            form.append_pair(name, value);
        }
        form.finish()
    }
}

/// Successful Token Response, OpenID4VCI 1.0 §6.2 (RFC 6749 §5.1). Send with
/// `Cache-Control: no-store`.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TokenResponse {
    /// REQUIRED. The access token.
    pub access_token: String,
    /// REQUIRED. `Bearer`.
    pub token_type: String,
    /// RECOMMENDED. Lifetime in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Draft 13–14 only (1.0 uses the Nonce Endpoint): a c_nonce for the first proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_nonce: Option<String>,
    /// Draft 13–14 only: lifetime of `c_nonce` in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_nonce_expires_in: Option<u64>,
    /// REQUIRED if the request used `authorization_details`: the granted credentials, each
    /// with `credential_identifiers`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<Value>>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenResponse")
            .field("access_token", &"<redacted>")
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("c_nonce", &self.c_nonce.as_ref().map(|_| "<redacted>"))
            .field("authorization_details", &self.authorization_details)
            .finish_non_exhaustive()
    }
}

/// What the issuer stores for one offered pre-authorized code. Plain data: persist it as is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PreAuthorizedCodeState {
    /// SHA-256 of the code (the code itself is never stored). Index storage by this.
    pub code_hash: SecretHash,
    /// Configurations the offer covers; the token is valid for these only.
    pub credential_configuration_ids: Vec<String>,
    /// After this instant the code is refused.
    #[serde(with = "unix_seconds")]
    pub expires_at: Timestamp,
    /// SHA-256 of the Transaction Code, iff the offer carried a `tx_code` object.
    pub tx_code_hash: Option<SecretHash>,
    /// Wrong Transaction Codes so far.
    pub failed_tx_code_attempts: u32,
    /// Set by a successful [`redeem`]. Persist with compare-and-swap on `false → true`; if the
    /// swap fails another request won the race: answer [`TokenError::CodeAlreadyUsed`].
    pub used: bool,
}

impl PreAuthorizedCodeState {
    /// State for a new offer, expiring `lifetime_seconds` after `now`.
    pub fn new(
        code: &crate::secret::PreAuthorizedCode,
        credential_configuration_ids: Vec<String>,
        tx_code: Option<&crate::secret::TxCode>,
        now: Timestamp,
        lifetime_seconds: i64,
    ) -> Self {
        Self {
            code_hash: code.hash(),
            credential_configuration_ids,
            expires_at: now.plus_seconds(lifetime_seconds),
            tx_code_hash: tx_code.map(crate::secret::TxCode::hash),
            failed_tx_code_attempts: 0,
            used: false,
        }
    }
}

/// Issuer policy for the token endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSettings {
    /// Access token lifetime in seconds (§13.10: sender-constrain tokens living > 5 min).
    pub access_token_lifetime: i64,
    /// Wrong Transaction Codes allowed before the code is burned (errata §13.6.3).
    pub max_tx_code_attempts: u32,
    /// Whether a request without `client_id` is accepted (§12.3; advertise the same value).
    pub anonymous_access: bool,
    /// Draft 13–14 compatibility: also put a c_nonce into the token response, valid this
    /// many seconds. `None` for 1.0-only.
    pub c_nonce_in_token_response: Option<i64>,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            access_token_lifetime: 300,
            max_tx_code_attempts: 5,
            anonymous_access: true,
            c_nonce_in_token_response: Some(300),
        }
    }
}

/// What the issuer stores for an issued access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AccessTokenRecord {
    /// SHA-256 of the token. Index storage by this.
    pub token_hash: SecretHash,
    /// Expiry instant.
    #[serde(with = "unix_seconds")]
    pub expires_at: Timestamp,
    /// Configurations this token may obtain.
    pub credential_configuration_ids: Vec<String>,
    /// Whether the token response returned `credential_identifiers` (then the credential
    /// request MUST use `credential_identifier`, §8.2). Identifiers equal configuration ids.
    pub credential_identifiers_issued: bool,
    /// The `client_id` of the token request, if any (anonymous otherwise).
    pub client_id: Option<String>,
    /// SHA-256 of the pre-authorized code it was minted from (revoke on code replay).
    pub code_hash: SecretHash,
}

/// The outcome of a successful [`redeem`]: send [`TokenGrant::response`], store the records.
#[derive(Debug)]
#[non_exhaustive]
pub struct TokenGrant {
    /// The new access token (send once, never store).
    pub access_token: AccessToken,
    /// Store this.
    pub record: AccessTokenRecord,
    /// Draft compatibility: a c_nonce for the token response, and its record to store.
    pub c_nonce: Option<(CNonce, NonceRecord)>,
    /// `authorization_details` to return, if the request carried them.
    pub authorization_details: Option<Vec<Value>>,
    /// Lifetime in seconds, for `expires_in`.
    pub expires_in: u64,
}

impl TokenGrant {
    /// The JSON body to send.
    pub fn response(&self) -> TokenResponse {
        TokenResponse {
            access_token: self.access_token.expose_secret().to_owned(),
            token_type: "Bearer".to_owned(),
            expires_in: Some(self.expires_in),
            c_nonce: self
                .c_nonce
                .as_ref()
                .map(|(n, _)| n.expose_secret().to_owned()),
            c_nonce_expires_in: self
                .c_nonce
                .as_ref()
                .map(|(_, r)| u64::try_from(r.expires_at.unix() - r.issued_at.unix()).unwrap_or(0)),
            authorization_details: self.authorization_details.clone(),
            extra: BTreeMap::new(),
        }
    }
}

/// Why a token request was refused. Map to the wire with [`TokenError::to_wire`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The body is not a valid form.
    #[error("malformed token request: {0}")]
    MalformedRequest(&'static str),
    /// A parameter appears twice.
    #[error("parameter {0} is repeated")]
    RepeatedParameter(String),
    /// No `grant_type`.
    #[error("grant_type is missing")]
    MissingGrantType,
    /// A grant type other than the pre-authorized code.
    #[error("grant type {0} is not supported")]
    UnsupportedGrantType(String),
    /// No `pre-authorized_code`.
    #[error("pre-authorized_code is missing")]
    MissingPreAuthorizedCode,
    /// The code does not match the stored hash (or no state was found for it: the caller
    /// answers this too when its lookup fails).
    #[error("unknown pre-authorized code")]
    UnknownCode,
    /// The code was already redeemed.
    #[error("pre-authorized code already used")]
    CodeAlreadyUsed,
    /// The code has expired.
    #[error("pre-authorized code expired")]
    CodeExpired,
    /// Anonymous request while anonymous access is off (§6.3).
    #[error("anonymous access is not supported; send client_id")]
    AnonymousAccessNotAllowed,
    /// The offer required a Transaction Code and none was sent (§6.3).
    #[error("tx_code is required")]
    MissingTxCode,
    /// A Transaction Code was sent but none was offered (§6.3).
    #[error("tx_code was not expected")]
    UnexpectedTxCode,
    /// Wrong Transaction Code; `remaining` more attempts are allowed.
    #[error("wrong tx_code ({remaining} attempts left)")]
    WrongTxCode {
        /// Attempts left before lockout.
        remaining: u32,
    },
    /// Too many wrong Transaction Codes: the code is burned.
    #[error("too many wrong tx_code attempts; the offer is no longer valid")]
    TxCodeLockedOut,
    /// `authorization_details` is not valid JSON of type `openid_credential`.
    #[error("invalid authorization_details")]
    InvalidAuthorizationDetails,
    /// `authorization_details` asks for a configuration the offer does not cover.
    #[error("authorization_details asks for a credential that was not offered")]
    AuthorizationDetailsNotOffered,
}

impl TokenError {
    /// HTTP status and body (RFC 6749 §5.2, OpenID4VCI 1.0 §6.3). Send with
    /// `Cache-Control: no-store`.
    pub fn to_wire(&self) -> (u16, ErrorResponse) {
        use TokenError as E;
        let code = match self {
            E::MalformedRequest(_)
            | E::RepeatedParameter(_)
            | E::MissingGrantType
            | E::MissingPreAuthorizedCode
            | E::MissingTxCode
            | E::UnexpectedTxCode
            | E::InvalidAuthorizationDetails
            | E::AuthorizationDetailsNotOffered => ErrorCode::InvalidRequest,
            E::UnsupportedGrantType(_) => ErrorCode::UnsupportedGrantType,
            E::UnknownCode
            | E::CodeAlreadyUsed
            | E::CodeExpired
            | E::WrongTxCode { .. }
            | E::TxCodeLockedOut => ErrorCode::InvalidGrant,
            E::AnonymousAccessNotAllowed => ErrorCode::InvalidClient,
        };
        // RFC 6749 §5.2: invalid_client may be 401; we use 400 as no auth scheme was tried.
        (400, ErrorResponse::new(code, Some(&self.to_string())))
    }
}

/// Redeems a pre-authorized code (OpenID4VCI 1.0 §6): checks grant type, code (constant-time
/// hash compare), client, single use, expiry and Transaction Code, then mints an access token.
///
/// `state` changes on success (`used`) and on a wrong Transaction Code (counter; at the
/// limit the code is burned). Persist it after every call, success or not; persist `used`
/// with compare-and-swap (see [`PreAuthorizedCodeState::used`]).
pub fn redeem<R: CryptoRng + RngCore>(
    state: &mut PreAuthorizedCodeState,
    request: &TokenRequest,
    settings: &TokenSettings,
    now: Timestamp,
    rng: &mut R,
) -> Result<TokenGrant, TokenError> {
    match &request.grant_type {
        None => return Err(TokenError::MissingGrantType),
        Some(GrantType::PreAuthorizedCode) => {}
        Some(other) => return Err(TokenError::UnsupportedGrantType(other.as_str().to_owned())),
    }
    let code = request
        .pre_authorized_code
        .as_deref()
        .ok_or(TokenError::MissingPreAuthorizedCode)?;
    if !state.code_hash.matches(code) {
        return Err(TokenError::UnknownCode);
    }
    if request.client_id.is_none() && !settings.anonymous_access {
        return Err(TokenError::AnonymousAccessNotAllowed);
    }
    if state.used {
        return Err(TokenError::CodeAlreadyUsed);
    }
    if state.failed_tx_code_attempts >= settings.max_tx_code_attempts {
        return Err(TokenError::TxCodeLockedOut);
    }
    if now >= state.expires_at {
        return Err(TokenError::CodeExpired);
    }
    match (&state.tx_code_hash, &request.tx_code) {
        (None, None) => {}
        (Some(_), None) => return Err(TokenError::MissingTxCode),
        (None, Some(_)) => return Err(TokenError::UnexpectedTxCode),
        (Some(expected), Some(given)) => {
            if !expected.matches(given) {
                state.failed_tx_code_attempts = state.failed_tx_code_attempts.saturating_add(1);
                let remaining = settings
                    .max_tx_code_attempts
                    .saturating_sub(state.failed_tx_code_attempts);
                return Err(if remaining == 0 {
                    TokenError::TxCodeLockedOut
                } else {
                    TokenError::WrongTxCode { remaining }
                });
            }
        }
    }
    let (granted, authorization_details) = match &request.authorization_details {
        None => (state.credential_configuration_ids.clone(), None),
        Some(text) => narrow_by_authorization_details(text, &state.credential_configuration_ids)?,
    };

    state.used = true;
    let access_token = AccessToken::generate(rng);
    let record = AccessTokenRecord {
        token_hash: access_token.hash(),
        expires_at: now.plus_seconds(settings.access_token_lifetime),
        credential_configuration_ids: granted,
        credential_identifiers_issued: authorization_details.is_some(),
        client_id: request.client_id.clone(),
        code_hash: state.code_hash,
    };
    let c_nonce = settings
        .c_nonce_in_token_response
        .map(|lifetime| issue_nonce(rng, now, lifetime));
    Ok(TokenGrant {
        access_token,
        record,
        c_nonce,
        authorization_details,
        expires_in: u64::try_from(settings.access_token_lifetime).unwrap_or(0),
    })
}

/// RFC 9396 in the token request (§6.1): the wallet picks some of the offered
/// configurations. Returns the granted ids and the `authorization_details` to answer with
/// (`credential_identifiers` = the configuration id: one dataset per configuration).
fn narrow_by_authorization_details(
    text: &str,
    offered: &[String],
) -> Result<(Vec<String>, Option<Vec<Value>>), TokenError> {
    let details: Vec<Value> =
        serde_json::from_str(text).map_err(|_| TokenError::InvalidAuthorizationDetails)?;
    if details.is_empty() {
        return Err(TokenError::InvalidAuthorizationDetails);
    }
    let mut granted = Vec::new();
    let mut answer = Vec::new();
    for detail in details {
        let Value::Object(mut object) = detail else {
            return Err(TokenError::InvalidAuthorizationDetails);
        };
        if object.get("type").and_then(Value::as_str) != Some("openid_credential") {
            return Err(TokenError::InvalidAuthorizationDetails);
        }
        let id = object
            .get("credential_configuration_id")
            .and_then(Value::as_str)
            .ok_or(TokenError::InvalidAuthorizationDetails)?
            .to_owned();
        if !offered.contains(&id) {
            return Err(TokenError::AuthorizationDetailsNotOffered);
        }
        object.insert(
            "credential_identifiers".to_owned(),
            Value::from(vec![id.clone()]),
        );
        if !granted.contains(&id) {
            granted.push(id);
        }
        answer.push(Value::Object(object));
    }
    Ok((granted, Some(answer)))
}

/// Why a Bearer access token was refused (RFC 6750 §3). Always 401 `invalid_token`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BearerError {
    /// No `Authorization` header.
    #[error("no access token")]
    Missing,
    /// Not `Bearer <token>`.
    #[error("malformed Authorization header")]
    Malformed,
    /// No record for the token (or the hash does not match).
    #[error("unknown access token")]
    UnknownToken,
    /// The token has expired.
    #[error("access token expired")]
    Expired,
}

impl BearerError {
    /// HTTP status and body (RFC 6750 §3.1); also send [`BearerError::www_authenticate`].
    pub fn to_wire(&self) -> (u16, ErrorResponse) {
        (
            401,
            ErrorResponse::new(ErrorCode::InvalidToken, Some(&self.to_string())),
        )
    }

    /// The `WWW-Authenticate` header value (RFC 6750 §3). A missing token gets no error
    /// code (§3.1: the client may not know auth was needed).
    pub fn www_authenticate(&self) -> String {
        match self {
            Self::Missing => "Bearer".to_owned(),
            other => format!("Bearer error=\"invalid_token\", error_description=\"{other}\""),
        }
    }
}

/// Extracts the token from an `Authorization` header value (`Bearer <token>`, scheme
/// case-insensitive, RFC 6750 §2.1).
pub fn bearer_token(header: Option<&str>) -> Result<&str, BearerError> {
    let header = header.ok_or(BearerError::Missing)?;
    let (scheme, token) = header
        .trim()
        .split_once(' ')
        .ok_or(BearerError::Malformed)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() || token.contains(' ') {
        return Err(BearerError::Malformed);
    }
    Ok(token)
}

impl AccessTokenRecord {
    /// Checks a presented token against this record (looked up by [`SecretHash::of`]).
    pub fn authorize(&self, presented: &str, now: Timestamp) -> Result<(), BearerError> {
        if !self.token_hash.matches(presented) {
            return Err(BearerError::UnknownToken);
        }
        if now >= self.expires_at {
            return Err(BearerError::Expired);
        }
        Ok(())
    }
}
