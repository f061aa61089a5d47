//! Credential Offer (OpenID4VCI 1.0 §4.1) and the `openid-credential-offer://` URLs that carry it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use rosette_core::open_enum;

/// The grant type identifier of the Pre-Authorized Code Flow (OpenID4VCI 1.0 §4.1.1, §6.1).
pub const PRE_AUTHORIZED_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// The wallet's default Credential Offer scheme (OpenID4VCI 1.0 §12.1.1).
pub const OFFER_SCHEME: &str = "openid-credential-offer";

/// Offer URLs longer than this are refused before parsing (a QR code holds < 3 KB).
pub const MAX_OFFER_URL_LEN: usize = 64 * 1024;

/// Credential Offer object, OpenID4VCI 1.0 §4.1.1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialOffer {
    /// REQUIRED. The Credential Issuer Identifier (https URL).
    pub credential_issuer: String,
    /// REQUIRED. Non-empty, unique keys of `credential_configurations_supported`.
    pub credential_configuration_ids: Vec<String>,
    /// OPTIONAL. Grants the Authorization Server will accept for this offer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grants: Option<Grants>,
    /// Unrecognised parameters (the wallet MUST ignore them; we keep them for round trips).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// The `grants` object of a Credential Offer, OpenID4VCI 1.0 §4.1.1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Grants {
    /// Grant type `authorization_code`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_code: Option<AuthorizationCodeGrant>,
    /// Grant type `urn:ietf:params:oauth:grant-type:pre-authorized_code`.
    #[serde(
        rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_code: Option<PreAuthorizedCodeGrant>,
    /// Other grant types, by identifier.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Parameters of the `authorization_code` grant in an offer, OpenID4VCI 1.0 §4.1.1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationCodeGrant {
    /// OPTIONAL. Opaque value the wallet echoes in the Authorization Request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer_state: Option<String>,
    /// OPTIONAL. Which of the metadata's `authorization_servers` to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Parameters of the pre-authorized code grant in an offer, OpenID4VCI 1.0 §4.1.1.
///
/// The code redeems the offer for whoever holds it, so `Debug` redacts it (offers end up
/// in logs); the issuer stores only its hash.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PreAuthorizedCodeGrant {
    /// REQUIRED. Short-lived, single-use code.
    #[serde(rename = "pre-authorized_code")]
    pub pre_authorized_code: String,
    /// OPTIONAL. Present (even as `{}`) iff a Transaction Code is required; absent otherwise
    /// (never `null`: some peers reject it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<TxCodeSpec>,
    /// OPTIONAL. Which of the metadata's `authorization_servers` to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_server: Option<String>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl std::fmt::Debug for PreAuthorizedCodeGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreAuthorizedCodeGrant")
            .field("pre_authorized_code", &"<redacted>")
            .field("tx_code", &self.tx_code)
            .field("authorization_server", &self.authorization_server)
            .field("extra", &self.extra)
            .finish()
    }
}

/// The `tx_code` description in an offer, OpenID4VCI 1.0 §4.1.1.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TxCodeSpec {
    /// OPTIONAL. `numeric` (default) or `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_mode: Option<InputMode>,
    /// OPTIONAL. Length of the code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u32>,
    /// OPTIONAL. Where to find the code; at most 300 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl TxCodeSpec {
    /// A numeric code of `length` digits, with guidance for the End-User (≤ 300 characters).
    pub fn numeric(length: u32, description: Option<&str>) -> Self {
        Self {
            input_mode: Some(InputMode::Numeric),
            length: Some(length),
            description: description.map(str::to_owned),
            extra: BTreeMap::new(),
        }
    }
}

open_enum! {
    /// `tx_code.input_mode`, OpenID4VCI 1.0 §4.1.1.
    pub enum InputMode {
        /// Digits only (the default).
        Numeric => "numeric",
        /// Any characters.
        Text => "text",
    }
}

impl CredentialOffer {
    /// An offer for `configuration_ids` with a pre-authorized code and an optional tx_code.
    pub fn pre_authorized(
        credential_issuer: impl Into<String>,
        configuration_ids: Vec<String>,
        pre_authorized_code: impl Into<String>,
        tx_code: Option<TxCodeSpec>,
    ) -> Self {
        Self {
            credential_issuer: credential_issuer.into(),
            credential_configuration_ids: configuration_ids,
            grants: Some(Grants {
                authorization_code: None,
                pre_authorized_code: Some(PreAuthorizedCodeGrant {
                    pre_authorized_code: pre_authorized_code.into(),
                    tx_code,
                    authorization_server: None,
                    extra: BTreeMap::new(),
                }),
                extra: BTreeMap::new(),
            }),
            extra: BTreeMap::new(),
        }
    }

    /// Checks the rules of §4.1.1 that serde cannot: https issuer without query or fragment,
    /// non-empty unique configuration ids, tx_code description ≤ 300 characters.
    pub fn validate(&self) -> Result<(), OfferError> {
        self.validate_with(OfferParseOptions::default())
    }

    /// [`CredentialOffer::validate`] with relaxations for local testing.
    pub fn validate_with(&self, options: OfferParseOptions) -> Result<(), OfferError> {
        check_issuer_identifier(&self.credential_issuer, options)?;
        if self.credential_configuration_ids.is_empty() {
            return Err(OfferError::NoConfigurationIds);
        }
        let mut seen = BTreeSet::new();
        for id in &self.credential_configuration_ids {
            if !seen.insert(id.as_str()) {
                return Err(OfferError::DuplicateConfigurationId(id.clone()));
            }
        }
        let tx_code = self
            .grants
            .as_ref()
            .and_then(|g| g.pre_authorized_code.as_ref())
            .and_then(|p| p.tx_code.as_ref());
        if let Some(description) = tx_code.and_then(|t| t.description.as_ref())
            && description.chars().count() > 300
        {
            return Err(OfferError::TxCodeDescriptionTooLong);
        }
        Ok(())
    }

    /// The pre-authorized code grant, if offered.
    pub fn pre_authorized_grant(&self) -> Option<&PreAuthorizedCodeGrant> {
        self.grants.as_ref()?.pre_authorized_code.as_ref()
    }
}

/// A Credential Offer that breaks a rule of OpenID4VCI 1.0 §4.1.1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfferError {
    /// `credential_issuer` is not an https URL without query and fragment (§12.2.1).
    #[error("credential_issuer must be an https URL without query or fragment")]
    IssuerNotHttps,
    /// `credential_configuration_ids` is empty.
    #[error("credential_configuration_ids is empty")]
    NoConfigurationIds,
    /// An id appears twice.
    #[error("credential_configuration_ids repeats {0:?}")]
    DuplicateConfigurationId(String),
    /// `tx_code.description` exceeds 300 characters.
    #[error("tx_code.description is longer than 300 characters")]
    TxCodeDescriptionTooLong,
}

/// OpenID4VCI 1.0 §12.2.1: an https URL with a host and no query or fragment.
fn check_issuer_identifier(issuer: &str, options: OfferParseOptions) -> Result<(), OfferError> {
    match url::Url::parse(issuer) {
        Ok(u) if secure_enough(&u, options) && u.query().is_none() && u.fragment().is_none() => {
            Ok(())
        }
        _ => Err(OfferError::IssuerNotHttps),
    }
}

/// https with a host, or (only with `danger_allow_http`) http to a loopback host.
fn secure_enough(url: &url::Url, options: OfferParseOptions) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return false,
    };
    url.scheme() == "https" || (options.danger_allow_http && url.scheme() == "http" && loopback)
}

/// Relaxations of offer parsing; the default is the spec.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct OfferParseOptions {
    /// Accept `http` issuer and offer URLs to loopback hosts (local interop tests only).
    pub danger_allow_http: bool,
}

impl OfferParseOptions {
    /// Accept `http://127.0.0.1…` / `http://localhost…` URLs. Never in production: the
    /// offer and the metadata would travel unprotected.
    pub fn danger_allow_http_loopback() -> Self {
        Self {
            danger_allow_http: true,
        }
    }
}

/// Where an offer URL points: the offer itself, or an https URL to fetch it from (§4.1).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum OfferLocation {
    /// `credential_offer=<JSON>`: the offer by value (already checked with [`CredentialOffer::validate`]).
    ByValue(Box<CredentialOffer>),
    /// `credential_offer_uri=<https URL>`: fetch it with `GET`, `Accept: application/json`.
    ByReference(String),
}

/// An offer URL that could not be read, OpenID4VCI 1.0 §4.1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OfferUrlError {
    /// Longer than [`MAX_OFFER_URL_LEN`].
    #[error("offer URL is longer than {MAX_OFFER_URL_LEN} bytes")]
    TooLong,
    /// Not a URL at all.
    #[error("not a URL")]
    NotAUrl,
    /// Neither `openid-credential-offer:` nor `https:`.
    #[error("unsupported scheme {0:?} (expected openid-credential-offer or https)")]
    UnsupportedScheme(String),
    /// No `credential_offer` or `credential_offer_uri` parameter.
    #[error("no credential_offer or credential_offer_uri parameter")]
    MissingOffer,
    /// Both parameters present (§4.1: each MUST NOT be present with the other).
    #[error("both credential_offer and credential_offer_uri are present")]
    BothParameters,
    /// The same parameter twice.
    #[error("parameter {0} is repeated")]
    RepeatedParameter(&'static str),
    /// `credential_offer` is not a JSON Credential Offer.
    #[error("credential_offer is not a valid Credential Offer: {0}")]
    InvalidOfferJson(String),
    /// The offer parsed but breaks a §4.1.1 rule.
    #[error("invalid Credential Offer: {0}")]
    InvalidOffer(#[from] OfferError),
    /// `credential_offer_uri` is not an https URL.
    #[error("credential_offer_uri must be an https URL")]
    OfferUriNotHttps,
}

/// Parses and validates an offer fetched from a `credential_offer_uri` (§4.1.3: the body of
/// an `application/json` response; the caller refuses other media types).
pub fn parse_offer_json(body: &[u8]) -> Result<CredentialOffer, OfferUrlError> {
    parse_offer_json_with(body, OfferParseOptions::default())
}

/// [`parse_offer_json`] with relaxations for local testing.
pub fn parse_offer_json_with(
    body: &[u8],
    options: OfferParseOptions,
) -> Result<CredentialOffer, OfferUrlError> {
    if body.len() > MAX_OFFER_URL_LEN {
        return Err(OfferUrlError::TooLong);
    }
    let offer: CredentialOffer =
        serde_json::from_slice(body).map_err(|e| OfferUrlError::InvalidOfferJson(e.to_string()))?;
    offer.validate_with(options)?;
    Ok(offer)
}

/// Builds `openid-credential-offer://?credential_offer_uri=<percent-encoded uri>` (§4.1.3),
/// the form to put in QR codes.
pub fn offer_url_by_reference(credential_offer_uri: &str) -> String {
    format!(
        "{OFFER_SCHEME}://?credential_offer_uri={}",
        percent_encode(credential_offer_uri)
    )
}

/// Builds `openid-credential-offer://?credential_offer=<percent-encoded JSON>` (§4.1.2).
pub fn offer_url_by_value(offer: &CredentialOffer) -> Result<String, serde_json::Error> {
    let json = serde_json::to_string(offer)?;
    Ok(format!(
        "{OFFER_SCHEME}://?credential_offer={}",
        percent_encode(&json)
    ))
}

/// Percent-encodes all but RFC 3986 unreserved characters. Spaces become `%20`, not `+`:
/// wallets that decode with `decodeURIComponent` would keep a `+`.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Parses an offer URL: `openid-credential-offer://?…` or an https link carrying the same
/// query (§4.1). Exactly one of `credential_offer` / `credential_offer_uri`; the offer is
/// validated, the URI must be https. The caller fetches a by-reference offer itself.
pub fn parse_offer_url(text: &str) -> Result<OfferLocation, OfferUrlError> {
    parse_offer_url_with(text, OfferParseOptions::default())
}

/// [`parse_offer_url`] with relaxations for local testing.
pub fn parse_offer_url_with(
    text: &str,
    options: OfferParseOptions,
) -> Result<OfferLocation, OfferUrlError> {
    if text.len() > MAX_OFFER_URL_LEN {
        return Err(OfferUrlError::TooLong);
    }
    let parsed = url::Url::parse(text.trim()).map_err(|_| OfferUrlError::NotAUrl)?;
    let scheme = parsed.scheme();
    if scheme != OFFER_SCHEME && scheme != "https" {
        return Err(OfferUrlError::UnsupportedScheme(scheme.to_owned()));
    }
    let mut by_value = None;
    let mut by_reference = None;
    for (name, value) in parsed.query_pairs() {
        let (slot, label) = match name.as_ref() {
            "credential_offer" => (&mut by_value, "credential_offer"),
            "credential_offer_uri" => (&mut by_reference, "credential_offer_uri"),
            _ => continue,
        };
        if slot.replace(value.into_owned()).is_some() {
            return Err(OfferUrlError::RepeatedParameter(label));
        }
    }
    match (by_value, by_reference) {
        (Some(_), Some(_)) => Err(OfferUrlError::BothParameters),
        (None, None) => Err(OfferUrlError::MissingOffer),
        (Some(json), None) => {
            let offer: CredentialOffer = serde_json::from_str(&json)
                .map_err(|e| OfferUrlError::InvalidOfferJson(e.to_string()))?;
            offer.validate_with(options)?;
            Ok(OfferLocation::ByValue(Box::new(offer)))
        }
        (None, Some(uri)) => match url::Url::parse(&uri) {
            Ok(u) if secure_enough(&u, options) => Ok(OfferLocation::ByReference(uri)),
            _ => Err(OfferUrlError::OfferUriNotHttps),
        },
    }
}
