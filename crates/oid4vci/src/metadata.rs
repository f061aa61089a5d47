//! Credential Issuer metadata (OpenID4VCI 1.0 §12.2) and OAuth AS metadata (RFC 8414, §12.3).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use rosette_core::open_enum;

/// The well-known suffix of Credential Issuer metadata (§12.2.2).
pub const ISSUER_WELL_KNOWN: &str = "/.well-known/openid-credential-issuer";
/// The well-known suffix of OAuth AS metadata (RFC 8414 §3).
pub const OAUTH_AS_WELL_KNOWN: &str = "/.well-known/oauth-authorization-server";

/// Credential Issuer Metadata, OpenID4VCI 1.0 §12.2.4.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialIssuerMetadata {
    /// REQUIRED. The Credential Issuer Identifier; byte-equal to the one the URL was built from.
    pub credential_issuer: String,
    /// OPTIONAL. Authorization Server identifiers; absent means the issuer is its own AS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_servers: Option<Vec<String>>,
    /// REQUIRED. https URL of the Credential Endpoint (§8).
    pub credential_endpoint: String,
    /// OPTIONAL. https URL of the Nonce Endpoint (§7); present iff proofs must carry a c_nonce.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce_endpoint: Option<String>,
    /// OPTIONAL. https URL of the Deferred Credential Endpoint (§9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_credential_endpoint: Option<String>,
    /// OPTIONAL. https URL of the Notification Endpoint (§11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_endpoint: Option<String>,
    /// OPTIONAL. Request encryption support (§10); kept as JSON, we do not encrypt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_request_encryption: Option<Value>,
    /// OPTIONAL. Response encryption support (§10); kept as JSON, we do not encrypt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_response_encryption: Option<Value>,
    /// OPTIONAL. Batch issuance support.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_credential_issuance: Option<BatchCredentialIssuance>,
    /// OPTIONAL. Display properties of the issuer, one per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<IssuerDisplay>>,
    /// REQUIRED. Supported credential configurations by id.
    pub credential_configurations_supported: BTreeMap<String, CredentialConfiguration>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `batch_credential_issuance`, OpenID4VCI 1.0 §12.2.4.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BatchCredentialIssuance {
    /// REQUIRED. Maximum number of proofs in one request; 2 or greater.
    pub batch_size: u32,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl BatchCredentialIssuance {
    /// Batch issuance of up to `batch_size` credentials per request (2 or more).
    pub fn new(batch_size: u32) -> Self {
        Self {
            batch_size: batch_size.max(2),
            extra: BTreeMap::new(),
        }
    }
}

/// An entry of the issuer's `display`, OpenID4VCI 1.0 §12.2.4.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct IssuerDisplay {
    /// OPTIONAL. Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// OPTIONAL. BCP47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// OPTIONAL. Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A logo or background image reference, OpenID4VCI 1.0 §12.2.4.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Logo {
    /// REQUIRED. https: or data: URI.
    pub uri: String,
    /// OPTIONAL. Alternative text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alt_text: Option<String>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

open_enum! {
    /// Credential Format Identifier, OpenID4VCI 1.0 Appendix A.
    pub enum Format {
        /// A.1.1: VC signed as a JWT, not using JSON-LD.
        JwtVcJson => "jwt_vc_json",
        /// A.1.3: VC signed as a JWT, using JSON-LD.
        JwtVcJsonLd => "jwt_vc_json-ld",
        /// A.1.2: VC secured with Data Integrity, JSON-LD, canonicalization.
        LdpVc => "ldp_vc",
        /// A.2: ISO mdoc.
        MsoMdoc => "mso_mdoc",
        /// A.3: IETF SD-JWT VC.
        DcSdJwt => "dc+sd-jwt",
    }
}

open_enum! {
    /// Proof type identifier, OpenID4VCI 1.0 Appendix F.
    pub enum ProofType {
        /// F.1: a JWT proof of possession.
        Jwt => "jwt",
        /// F.2: a Data Integrity signed VP.
        DiVp => "di_vp",
        /// F.3: a key attestation without proof of possession.
        Attestation => "attestation",
    }
}

/// An entry of `credential_configurations_supported`, OpenID4VCI 1.0 §12.2.4 and Appendix A.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialConfiguration {
    /// REQUIRED. The Credential Format.
    pub format: Format,
    /// OPTIONAL. OAuth scope for this configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// OPTIONAL. Algorithms the issuer signs with (JWS names for `jwt_vc_json`; Data
    /// Integrity suite / cryptosuite names for `ldp_vc`; COSE integers for `mso_mdoc`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_signing_alg_values_supported: Option<Vec<AlgorithmId>>,
    /// OPTIONAL. Key binding methods (`jwk`, `cose_key`, `did:key`…); present iff binding is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cryptographic_binding_methods_supported: Option<Vec<String>>,
    /// OPTIONAL. Proof types accepted; present iff binding methods are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proof_types_supported: Option<BTreeMap<ProofType, ProofTypeMetadata>>,
    /// Format-specific: `@context` (ldp_vc, jwt_vc_json-ld) and `type` of W3C credentials (A.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_definition: Option<CredentialDefinition>,
    /// OPTIONAL. Display and claims metadata (1.0 location; oid4vc-ts needs it to detect 1.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_metadata: Option<CredentialMetadata>,
    /// Draft 13/14 location of `display`; emit it too for older wallets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<CredentialDisplay>>,
    /// Unrecognised or format-specific parameters (`vct`, `doctype`, …).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// An algorithm identifier: a name (JWS, cryptosuite) or a COSE integer (mdoc, Appendix A.2.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum AlgorithmId {
    /// A JWS algorithm or Data Integrity suite name.
    Name(String),
    /// A COSE algorithm identifier.
    Cose(i64),
}

impl From<&str> for AlgorithmId {
    fn from(name: &str) -> Self {
        Self::Name(name.to_owned())
    }
}

/// An entry of `proof_types_supported`, OpenID4VCI 1.0 §12.2.4.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ProofTypeMetadata {
    /// REQUIRED. Algorithms the wallet may sign proofs with.
    pub proof_signing_alg_values_supported: Vec<String>,
    /// OPTIONAL. Key attestation requirements; absent when none are required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_attestations_required: Option<Value>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `credential_definition` of W3C formats, OpenID4VCI 1.0 Appendix A.1.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialDefinition {
    /// REQUIRED for `ldp_vc` / `jwt_vc_json-ld`; absent for `jwt_vc_json`.
    #[serde(rename = "@context", default, skip_serializing_if = "Option::is_none")]
    pub context: Option<Vec<Value>>,
    /// REQUIRED. The credential's `type` values.
    #[serde(rename = "type")]
    pub types: Vec<String>,
    /// Unrecognised parameters (draft `credentialSubject`, …).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// `credential_metadata`, OpenID4VCI 1.0 §12.2.4.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialMetadata {
    /// OPTIONAL. Display properties per locale.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<CredentialDisplay>>,
    /// OPTIONAL. Claims descriptions (Appendix B.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<Vec<ClaimDescription>>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// A credential `display` entry, OpenID4VCI 1.0 §12.2.4.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CredentialDisplay {
    /// REQUIRED. Display name.
    pub name: String,
    /// OPTIONAL. BCP47 language tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// OPTIONAL. Logo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<Logo>,
    /// OPTIONAL. Description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// OPTIONAL. CSS colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// OPTIONAL. Background image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub background_image: Option<Logo>,
    /// OPTIONAL. CSS colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl CredentialDisplay {
    /// A display entry with just a name and locale.
    pub fn new(name: impl Into<String>, locale: Option<&str>) -> Self {
        Self {
            name: name.into(),
            locale: locale.map(str::to_owned),
            logo: None,
            description: None,
            background_color: None,
            background_image: None,
            text_color: None,
            extra: BTreeMap::new(),
        }
    }
}

/// A claims description for issuer metadata, OpenID4VCI 1.0 Appendix B.2.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClaimDescription {
    /// REQUIRED. Claims path pointer (Appendix C): strings, `null`, non-negative integers.
    pub path: Vec<Value>,
    /// OPTIONAL. Whether the issuer always includes the claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mandatory: Option<bool>,
    /// OPTIONAL. Display names per locale (`name`, `locale`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<Vec<Value>>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl ClaimDescription {
    /// A claim at `path` (string segments) with an optional English display name.
    pub fn new(path: &[&str], name: Option<&str>) -> Self {
        Self {
            path: path.iter().map(|s| Value::from(*s)).collect(),
            mandatory: None,
            display: name.map(|n| vec![serde_json::json!({ "name": n, "locale": "en" })]),
            extra: BTreeMap::new(),
        }
    }
}

impl CredentialConfiguration {
    /// An `ldp_vc` configuration bound to `did:key` holders with `jwt` proofs, signed with
    /// `eddsa-rdfc-2022` (Appendix A.1.2; the cryptosuite name identifies the DI suite).
    pub fn ldp_vc(
        context: Vec<String>,
        types: Vec<String>,
        proof_algs: Vec<String>,
        display: CredentialDisplay,
    ) -> Self {
        Self::w3c(
            Format::LdpVc,
            Some(context),
            types,
            vec!["eddsa-rdfc-2022".into()],
            proof_algs,
            display,
        )
    }

    /// A `jwt_vc_json` configuration bound to `did:key` holders with `jwt` proofs (A.1.1).
    pub fn jwt_vc_json(
        types: Vec<String>,
        signing_algs: Vec<String>,
        proof_algs: Vec<String>,
        display: CredentialDisplay,
    ) -> Self {
        Self::w3c(
            Format::JwtVcJson,
            None,
            types,
            signing_algs,
            proof_algs,
            display,
        )
    }

    fn w3c(
        format: Format,
        context: Option<Vec<String>>,
        types: Vec<String>,
        signing_algs: Vec<String>,
        proof_algs: Vec<String>,
        display: CredentialDisplay,
    ) -> Self {
        let mut proof_types = BTreeMap::new();
        proof_types.insert(
            ProofType::Jwt,
            ProofTypeMetadata {
                proof_signing_alg_values_supported: proof_algs,
                key_attestations_required: None,
                extra: BTreeMap::new(),
            },
        );
        Self {
            format,
            scope: None,
            credential_signing_alg_values_supported: Some(
                signing_algs.into_iter().map(AlgorithmId::Name).collect(),
            ),
            cryptographic_binding_methods_supported: Some(vec!["did:key".into()]),
            proof_types_supported: Some(proof_types),
            credential_definition: Some(CredentialDefinition {
                context: context.map(|c| c.into_iter().map(Value::from).collect()),
                types,
                extra: BTreeMap::new(),
            }),
            // Both locations: 1.0 wallets read credential_metadata (and oid4vc-ts needs it
            // to detect 1.0), draft-13 wallets read the top-level display.
            credential_metadata: Some(CredentialMetadata {
                display: Some(vec![display.clone()]),
                claims: None,
                extra: BTreeMap::new(),
            }),
            display: Some(vec![display]),
            extra: BTreeMap::new(),
        }
    }

    /// The `proof_signing_alg_values_supported` of the `jwt` proof type, if any.
    pub fn jwt_proof_algs(&self) -> Option<&[String]> {
        self.proof_types_supported
            .as_ref()?
            .get(&ProofType::Jwt)
            .map(|m| m.proof_signing_alg_values_supported.as_slice())
    }
}

impl CredentialIssuerMetadata {
    /// Metadata for an issuer that is its own AS, with endpoints under `credential_issuer`
    /// (`/credential`, `/nonce`, `/notification`).
    pub fn new(
        credential_issuer: &str,
        configurations: BTreeMap<String, CredentialConfiguration>,
    ) -> Self {
        let base = credential_issuer.trim_end_matches('/');
        Self {
            credential_issuer: credential_issuer.to_owned(),
            authorization_servers: None,
            credential_endpoint: format!("{base}/credential"),
            nonce_endpoint: Some(format!("{base}/nonce")),
            deferred_credential_endpoint: None,
            notification_endpoint: Some(format!("{base}/notification")),
            credential_request_encryption: None,
            credential_response_encryption: None,
            batch_credential_issuance: None,
            display: None,
            credential_configurations_supported: configurations,
            extra: BTreeMap::new(),
        }
    }

    /// Wallet-side check of §12.2.4: `credential_issuer` must equal, byte for byte, the
    /// identifier the metadata URL was built from; otherwise the metadata MUST NOT be used.
    pub fn is_for_issuer(&self, credential_issuer: &str) -> bool {
        self.credential_issuer == credential_issuer
    }

    /// The metadata URL for an issuer identifier: the well-known suffix goes between the
    /// host and the path (§12.2.2). `None` if the identifier is not a URL.
    pub fn well_known_url(credential_issuer: &str) -> Option<String> {
        well_known(credential_issuer, ISSUER_WELL_KNOWN)
    }
}

/// Inserts `suffix` between authority and path (RFC 8414 §3.1 style).
fn well_known(identifier: &str, suffix: &str) -> Option<String> {
    let parsed = url::Url::parse(identifier).ok()?;
    let host = parsed.host_str()?;
    let port = parsed.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = parsed.path().trim_end_matches('/');
    Some(format!("{}://{host}{port}{suffix}{path}", parsed.scheme()))
}

/// OAuth 2.0 Authorization Server Metadata, RFC 8414 §2 plus OpenID4VCI 1.0 §12.3.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationServerMetadata {
    /// REQUIRED. The AS issuer identifier.
    pub issuer: String,
    /// OPTIONAL here (only the pre-authorized grant is supported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    /// REQUIRED for us. The token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    /// OPTIONAL. Grant types supported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types_supported: Option<Vec<String>>,
    /// OPTIONAL; may be omitted by a pre-authorized-only AS (§12.2.4 note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_types_supported: Option<Vec<String>>,
    /// OPTIONAL. Token endpoint client authentication methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// OPTIONAL, default `false` (§12.3): whether a pre-authorized token request may omit `client_id`.
    #[serde(
        rename = "pre-authorized_grant_anonymous_access_supported",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_authorized_grant_anonymous_access_supported: Option<bool>,
    /// Unrecognised parameters.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl AuthorizationServerMetadata {
    /// Metadata of a pre-authorized-code-only AS at `issuer` with token endpoint `/token`.
    pub fn pre_authorized_only(issuer: &str, anonymous_access: bool) -> Self {
        Self {
            issuer: issuer.to_owned(),
            authorization_endpoint: None,
            token_endpoint: Some(format!("{}/token", issuer.trim_end_matches('/'))),
            grant_types_supported: Some(vec![crate::offer::PRE_AUTHORIZED_CODE_GRANT.to_owned()]),
            response_types_supported: None,
            token_endpoint_auth_methods_supported: Some(vec!["none".to_owned()]),
            pre_authorized_grant_anonymous_access_supported: Some(anonymous_access),
            extra: BTreeMap::new(),
        }
    }

    /// Whether anonymous pre-authorized token requests are allowed (absent means `false`).
    pub fn anonymous_access(&self) -> bool {
        self.pre_authorized_grant_anonymous_access_supported
            .unwrap_or(false)
    }

    /// The RFC 8414 metadata URL for an AS issuer identifier.
    pub fn well_known_url(issuer: &str) -> Option<String> {
        well_known(issuer, OAUTH_AS_WELL_KNOWN)
    }
}
