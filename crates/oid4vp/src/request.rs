//! The Authorization Request (OpenID4VP 1.0 §5): its parameters, the `openid4vp://` URL a QR
//! code carries (§5.7, §13.1.2), the signed Request Object (JAR, RFC 9101; §5.10) and the
//! wallet-side checks of §5.9.3 and §5.10.

use std::collections::BTreeMap;

use rosette_core::Timestamp;
use rosette_did::jws::{self, JwsHeader};
use rosette_did::{DidUrl, ProofPurpose, SigningKey, VerificationMethodResolver};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use url::Url;

use crate::client_id::{ClientId, ClientIdPrefix};
use crate::error::{ErrorCode, ErrorResponse};
use crate::secret::{Nonce, State};
use rosette_core::open_enum;

/// The custom URL scheme of OpenID4VP 1.0 §13.1.2 (`openid4vp://`).
pub const REQUEST_SCHEME: &str = "openid4vp://";
/// The HAIP 1.0 URL scheme (`haip-vp://`), accepted when parsing.
pub const HAIP_SCHEME: &str = "haip-vp://";
/// `typ` of a signed Request Object (OpenID4VP 1.0 §5, RFC 9101 §10.8).
pub const REQUEST_OBJECT_TYP: &str = "oauth-authz-req+jwt";
/// The media type a `request_uri` answers with (RFC 9101 §10.2).
pub const REQUEST_OBJECT_MEDIA_TYPE: &str = "application/oauth-authz-req+jwt";
/// `aud` of a Request Object under static discovery (OpenID4VP 1.0 §5.8).
pub const STATIC_DISCOVERY_AUDIENCE: &str = "https://self-issued.me/v2";
/// Longest request URL or Request Object this crate parses (64 KiB).
pub const MAX_REQUEST_LEN: usize = 64 * 1024;

open_enum! {
    /// `response_type` (OpenID4VP 1.0 §5.2; RFC 6749 §3.1.1).
    pub enum ResponseType {
        /// §5.2: the response carries a `vp_token`.
        VpToken => "vp_token",
        /// §5.2 with SIOPv2: `vp_token` and an ID Token.
        VpTokenIdToken => "vp_token id_token",
        /// RFC 6749 §4.1: an authorization code.
        Code => "code",
    }
}

open_enum! {
    /// `response_mode` (OpenID4VP 1.0 §8.2, §8.3, Appendix A; OAuth 2.0 Multiple Response Types).
    pub enum ResponseMode {
        /// §8.2: the wallet POSTs the response as a form to `response_uri`.
        DirectPost => "direct_post",
        /// §8.3.1: like `direct_post`, encrypted into a JWE in the `response` field.
        DirectPostJwt => "direct_post.jwt",
        /// OAuth 2.0 Multiple Response Types §2.1.
        Fragment => "fragment",
        /// OAuth 2.0 Multiple Response Types §2.1.
        Query => "query",
        /// Appendix A.2: the W3C Digital Credentials API.
        DcApi => "dc_api",
        /// Appendix A.3.1: the Digital Credentials API, encrypted.
        DcApiJwt => "dc_api.jwt",
    }
}

open_enum! {
    /// `request_uri_method` (OpenID4VP 1.0 §5.10): how the wallet fetches `request_uri`.
    pub enum RequestUriMethod {
        /// A plain GET (the default).
        Get => "get",
        /// §5.10.1: a form POST with `wallet_metadata` / `wallet_nonce`.
        Post => "post",
    }
}

/// `client_metadata` (OpenID4VP 1.0 §5.1, §11.1): the verifier's metadata sent with a request.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ClientMetadata {
    /// REQUIRED in 1.0 (§11.1): per format (`ldp_vc`, `jwt_vc_json`, …) the algorithms or
    /// proof types the verifier accepts, e.g. `{"jwt_vc_json": {"alg_values": ["EdDSA"]}}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vp_formats_supported: Option<BTreeMap<String, Value>>,
    /// OPTIONAL (§5.1): encryption keys for `direct_post.jwt` (each with `kid`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Value>,
    /// OPTIONAL (§5.1): JWE `enc` values; default `A128GCM`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted_response_enc_values_supported: Option<Vec<String>>,
    /// Other metadata (`client_name`, `logo_uri`, …).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl ClientMetadata {
    /// `vp_formats_supported` for what Rosette verifies: `ldp_vc` with `eddsa-rdfc-2022`
    /// Data Integrity proofs and `jwt_vc_json` with EdDSA / ES256, restricted to `formats`.
    pub fn rosette(formats: &[&str]) -> Self {
        let mut supported = BTreeMap::new();
        for format in formats {
            let value = match *format {
                "ldp_vc" => serde_json::json!({
                    "proof_type_values": ["DataIntegrityProof"],
                    "cryptosuite_values": ["eddsa-rdfc-2022"],
                }),
                "jwt_vc_json" => serde_json::json!({"alg_values": ["EdDSA", "ES256"]}),
                _ => continue,
            };
            supported.insert((*format).to_owned(), value);
        }
        Self {
            vp_formats_supported: Some(supported),
            ..Self::default()
        }
    }
}

/// An Authorization Request (OpenID4VP 1.0 §5.1, §5.2): the parameters, whether they came in a
/// URL or in a Request Object. Unknown parameters (and the JWT claims `iss`, `aud`, `exp`,
/// `iat`) are kept in `extra`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// REQUIRED (§5.2): `vp_token`.
    pub response_type: ResponseType,
    /// REQUIRED in 1.0 (§5.2): `direct_post` for cross-device flows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_mode: Option<ResponseMode>,
    /// REQUIRED (§5.2, §5.9): the verifier, prefix included.
    pub client_id: ClientId,
    /// REQUIRED with `direct_post` (§8.2): where the wallet POSTs the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_uri: Option<String>,
    /// RFC 6749; MUST be absent with `direct_post` (§8.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// REQUIRED (§5.2): fresh, at least 128 bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<Nonce>,
    /// REQUIRED when a credential is requested without holder binding (§5.3); Rosette always
    /// sends it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<State>,
    /// §5.1, §6: the DCQL query (a JSON object; a JSON string inside URL query parameters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dcql_query: Option<Value>,
    /// §5.5: a scope aliasing a DCQL query. Not supported by Rosette.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// §5.1: the verifier's metadata.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_metadata: Option<ClientMetadata>,
    /// §5.10: `get` or `post`; only meaningful next to `request_uri`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_uri_method: Option<RequestUriMethod>,
    /// §5.1, §8.4: transaction data; Rosette's wallet refuses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_data: Option<Vec<String>>,
    /// §5.1: attestations about the verifier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verifier_info: Option<Value>,
    /// §5.10.1: echoed from a `request_uri` POST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_nonce: Option<String>,
    /// Every other parameter (Presentation Exchange leftovers, JWT claims, extensions).
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

/// Parameters whose URL form is a JSON string (§5.1: objects are JSON-encoded in URLs).
const JSON_PARAMS: [&str; 5] = [
    "dcql_query",
    "client_metadata",
    "transaction_data",
    "verifier_info",
    "presentation_definition",
];

impl AuthorizationRequest {
    /// A `direct_post` request for `dcql_query`, with everything else empty.
    pub fn direct_post(
        client_id: ClientId,
        response_uri: impl Into<String>,
        nonce: Nonce,
        state: State,
        dcql_query: Value,
        client_metadata: ClientMetadata,
    ) -> Self {
        Self {
            response_type: ResponseType::VpToken,
            response_mode: Some(ResponseMode::DirectPost),
            client_id,
            response_uri: Some(response_uri.into()),
            redirect_uri: None,
            nonce: Some(nonce),
            state: Some(state),
            dcql_query: Some(dcql_query),
            scope: None,
            client_metadata: Some(client_metadata),
            request_uri_method: None,
            transaction_data: None,
            verifier_info: None,
            wallet_nonce: None,
            extra: BTreeMap::new(),
        }
    }

    /// The parameters as URL query pairs (objects as JSON strings), in a stable order.
    pub fn to_query_pairs(&self) -> Vec<(String, String)> {
        let Ok(Value::Object(map)) = serde_json::to_value(self) else {
            return Vec::new();
        };
        map.into_iter()
            .map(|(k, v)| {
                let text = match v {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                (k, text)
            })
            .collect()
    }

    /// Reads URL query pairs: JSON-valued parameters (`dcql_query`, `client_metadata`, …) are
    /// decoded, everything else kept as a string. A repeated parameter is an error.
    pub fn from_query_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, RequestError> {
        let mut map = Map::new();
        for (key, value) in pairs {
            let value = if JSON_PARAMS.contains(&key) {
                serde_json::from_str(value)
                    .map_err(|_| RequestError::ParameterNotJson(key.into()))?
            } else {
                Value::String(value.to_owned())
            };
            if map.insert(key.to_owned(), value).is_some() {
                return Err(RequestError::DuplicateParameter(key.to_owned()));
            }
        }
        Self::from_json(Value::Object(map))
    }

    /// Reads the parameters from a JSON object (a Request Object payload).
    pub fn from_json(value: Value) -> Result<Self, RequestError> {
        if !value.is_object() {
            return Err(RequestError::Malformed(
                "the request is not a JSON object".into(),
            ));
        }
        serde_json::from_value(value).map_err(|e| RequestError::Malformed(e.to_string()))
    }
}

/// What a request URL points at (OpenID4VP 1.0 §5.7, RFC 9101 §5).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum RequestReference {
    /// Every parameter is in the URL itself (unsigned).
    ByValue(Box<AuthorizationRequest>),
    /// The URL carries a signed Request Object in `request` (RFC 9101 §5.1).
    ByValueSigned {
        /// The `client_id` from the URL; the object's must equal it (§5.10.1).
        client_id: ClientId,
        /// The compact JWS.
        request: String,
    },
    /// The URL carries `request_uri` (RFC 9101 §5.2); fetch the Request Object from there.
    ByReference {
        /// The `client_id` from the URL; the object's must equal it (§5.10.1).
        client_id: ClientId,
        /// Where to fetch the Request Object.
        request_uri: Url,
        /// `get` (default) or `post` (§5.10).
        request_uri_method: RequestUriMethod,
    },
}

/// Options for [`parse_request_url_with`].
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct RequestUrlOptions {
    /// Accept `http://` `request_uri`s on loopback hosts (127.0.0.1, ::1, localhost): for
    /// tests against a local verifier only.
    pub danger_allow_http_loopback: bool,
}

impl RequestUrlOptions {
    /// Options accepting loopback `http://` (tests only).
    pub fn danger_allow_http_loopback() -> Self {
        Self {
            danger_allow_http_loopback: true,
        }
    }
}

/// Builds `openid4vp://?client_id=…&request_uri=…[&request_uri_method=post]`, the QR payload
/// of a request by reference (§5.7, §13.1.2).
pub fn request_url(
    client_id: &ClientId,
    request_uri: &str,
    method: Option<&RequestUriMethod>,
) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    out.append_pair("client_id", client_id.as_str());
    out.append_pair("request_uri", request_uri);
    if let Some(method) = method {
        out.append_pair("request_uri_method", method.as_str());
    }
    format!("{REQUEST_SCHEME}?{}", out.finish())
}

/// Builds `openid4vp://?client_id=…&response_type=…&dcql_query=…`: an unsigned request by
/// value (§5.7), e.g. for a `redirect_uri:` client.
pub fn request_url_by_value(request: &AuthorizationRequest) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in request.to_query_pairs() {
        out.append_pair(&k, &v);
    }
    format!("{REQUEST_SCHEME}?{}", out.finish())
}

/// Builds `openid4vp://?client_id=…&request=<JWS>`: a signed request by value (RFC 9101 §5.1).
pub fn request_url_signed_by_value(client_id: &ClientId, request_object: &str) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    out.append_pair("client_id", client_id.as_str());
    out.append_pair("request", request_object);
    format!("{REQUEST_SCHEME}?{}", out.finish())
}

/// Parses a request URL (`openid4vp://`, `haip-vp://`, or an `https://` link with the same
/// query), requiring an `https` `request_uri`.
pub fn parse_request_url(text: &str) -> Result<RequestReference, RequestError> {
    parse_request_url_with(text, &RequestUrlOptions::default())
}

/// [`parse_request_url`] with options.
pub fn parse_request_url_with(
    text: &str,
    options: &RequestUrlOptions,
) -> Result<RequestReference, RequestError> {
    if text.len() > MAX_REQUEST_LEN {
        return Err(RequestError::TooLarge);
    }
    let text = text.trim();
    let query = if let Some(rest) = text
        .strip_prefix(REQUEST_SCHEME)
        .or_else(|| text.strip_prefix(HAIP_SCHEME))
    {
        // `openid4vp://?…`, `openid4vp://authorize?…`, `openid4vp:?…`.
        rest.split_once('?').map(|(_, q)| q).unwrap_or_default()
    } else if let Some(rest) = text.strip_prefix("openid4vp:") {
        rest.split_once('?').map(|(_, q)| q).unwrap_or_default()
    } else {
        let url = Url::parse(text).map_err(|_| RequestError::NotARequestUrl)?;
        if url.scheme() != "https" {
            return Err(RequestError::NotARequestUrl);
        }
        return parse_query(url.query().unwrap_or_default(), options);
    };
    parse_query(query.split('#').next().unwrap_or_default(), options)
}

fn parse_query(query: &str, options: &RequestUrlOptions) -> Result<RequestReference, RequestError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if pairs.is_empty() {
        return Err(RequestError::NotARequestUrl);
    }
    let mut seen = std::collections::BTreeSet::new();
    for (k, _) in &pairs {
        if !seen.insert(k.as_str()) {
            return Err(RequestError::DuplicateParameter(k.clone()));
        }
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    match (get("request"), get("request_uri")) {
        (Some(_), Some(_)) => Err(RequestError::Malformed(
            "both request and request_uri are present".into(),
        )),
        (Some(request), None) => Ok(RequestReference::ByValueSigned {
            client_id: ClientId::new(get("client_id").ok_or(RequestError::MissingClientId)?),
            request: request.to_owned(),
        }),
        (None, Some(uri)) => {
            let client_id = ClientId::new(get("client_id").ok_or(RequestError::MissingClientId)?);
            let request_uri = Url::parse(uri).map_err(|_| RequestError::InvalidRequestUri)?;
            let loopback = matches!(
                request_uri.host_str(),
                Some("127.0.0.1" | "[::1]" | "localhost")
            );
            let allowed = request_uri.scheme() == "https"
                || (request_uri.scheme() == "http"
                    && loopback
                    && options.danger_allow_http_loopback);
            if !allowed {
                return Err(RequestError::InsecureRequestUri);
            }
            let request_uri_method = match get("request_uri_method") {
                None => RequestUriMethod::Get,
                Some(m) => match RequestUriMethod::from(m) {
                    RequestUriMethod::Other(other) => {
                        return Err(RequestError::InvalidRequestUriMethod(other));
                    }
                    known => known,
                },
            };
            Ok(RequestReference::ByReference {
                client_id,
                request_uri,
                request_uri_method,
            })
        }
        (None, None) => {
            let request = AuthorizationRequest::from_query_pairs(
                pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            )?;
            Ok(RequestReference::ByValue(Box::new(request)))
        }
    }
}

/// Signs `request` as a Request Object (RFC 9101; OpenID4VP 1.0 §5): header
/// `{alg, kid, typ: "oauth-authz-req+jwt"}`, the parameters as claims plus `aud`
/// (static discovery, §5.8), `iat` and `exp` (`lifetime_seconds` after `now`).
pub fn sign_request_object(
    request: &AuthorizationRequest,
    key: &SigningKey,
    kid: &str,
    now: Timestamp,
    lifetime_seconds: i64,
) -> Result<String, RequestError> {
    let Ok(Value::Object(mut claims)) = serde_json::to_value(request) else {
        return Err(RequestError::Malformed(
            "the request does not serialise".into(),
        ));
    };
    claims
        .entry("aud")
        .or_insert_with(|| Value::from(STATIC_DISCOVERY_AUDIENCE));
    claims.insert("iat".into(), Value::from(now.unix()));
    claims.insert(
        "exp".into(),
        Value::from(now.plus_seconds(lifetime_seconds).unix()),
    );
    let mut header = JwsHeader::new(jws::JwsAlgorithm::for_key_type(key.key_type()));
    header.kid = Some(kid.to_owned());
    header.typ = Some(REQUEST_OBJECT_TYP.to_owned());
    let payload = Value::Object(claims).to_string();
    jws::sign_compact(&header, payload.as_bytes(), key)
        .map_err(|e| RequestError::Signing(e.to_string()))
}

/// Verifies a signed Request Object (OpenID4VP 1.0 §5, §5.9.3, §5.10.1): `typ`, `client_id`
/// equal to `expected_client_id` (the one from the URL), a `decentralized_identifier:` client
/// whose `kid` is a DID URL of that very DID, and the signature. Does not look at `exp`; see
/// [`verify_request_object_at`].
pub async fn verify_request_object(
    jwt: &str,
    expected_client_id: &ClientId,
    resolver: &dyn VerificationMethodResolver,
) -> Result<AuthorizationRequest, RequestError> {
    verify_request_object_inner(jwt, expected_client_id, resolver, None).await
}

/// [`verify_request_object`], also refusing an object whose `exp` has passed or whose `nbf`
/// / `iat` lies in the future (60 s skew).
pub async fn verify_request_object_at(
    jwt: &str,
    expected_client_id: &ClientId,
    resolver: &dyn VerificationMethodResolver,
    now: Timestamp,
) -> Result<AuthorizationRequest, RequestError> {
    verify_request_object_inner(jwt, expected_client_id, resolver, Some(now)).await
}

async fn verify_request_object_inner(
    jwt: &str,
    expected_client_id: &ClientId,
    resolver: &dyn VerificationMethodResolver,
    now: Option<Timestamp>,
) -> Result<AuthorizationRequest, RequestError> {
    if jwt.len() > MAX_REQUEST_LEN {
        return Err(RequestError::TooLarge);
    }
    let decoded =
        jws::decode_compact(jwt.trim()).map_err(|e| RequestError::NotAJws(e.to_string()))?;
    if decoded.header.typ.as_deref() != Some(REQUEST_OBJECT_TYP) {
        return Err(RequestError::WrongTyp(decoded.header.typ.clone()));
    }
    let payload: Value = serde_json::from_slice(&decoded.payload)
        .map_err(|_| RequestError::Malformed("the payload is not JSON".into()))?;
    if let Some(now) = now {
        check_times(&payload, now)?;
    }
    let request = AuthorizationRequest::from_json(payload)?;
    if request.client_id != *expected_client_id {
        return Err(RequestError::ClientIdMismatch {
            url: expected_client_id.as_str().to_owned(),
            object: request.client_id.as_str().to_owned(),
        });
    }
    match request.client_id.prefix() {
        ClientIdPrefix::DecentralizedIdentifier => {}
        ClientIdPrefix::RedirectUri => return Err(RequestError::SignedRedirectUriRequest),
        other => return Err(RequestError::UnsupportedClientIdPrefix(other.to_string())),
    }
    let kid = decoded
        .header
        .kid
        .as_deref()
        .ok_or(RequestError::MissingKid)?;
    let kid_url = DidUrl::parse(kid).map_err(|_| RequestError::KidNotOfClient(kid.to_owned()))?;
    if kid_url.did().as_str() != request.client_id.identifier() || kid_url.fragment().is_none() {
        return Err(RequestError::KidNotOfClient(kid.to_owned()));
    }
    let method = resolver
        .resolve(kid, ProofPurpose::Authentication)
        .await
        .map_err(|e| RequestError::KeyResolution(e.to_string()))?;
    if method.controller != request.client_id.identifier() {
        return Err(RequestError::KidNotOfClient(kid.to_owned()));
    }
    decoded
        .verify(&method.public_key)
        .map_err(|e| RequestError::BadSignature(e.to_string()))?;
    Ok(request)
}

fn check_times(payload: &Value, now: Timestamp) -> Result<(), RequestError> {
    const SKEW: i64 = 60;
    let claim = |name: &str| payload.get(name).and_then(Value::as_i64);
    if claim("exp").is_some_and(|exp| now.unix() > exp.saturating_add(SKEW)) {
        return Err(RequestError::Expired);
    }
    let future = |t: i64| t > now.unix().saturating_add(SKEW);
    if claim("nbf").is_some_and(future) || claim("iat").is_some_and(future) {
        return Err(RequestError::NotYetValid);
    }
    Ok(())
}

/// The wallet's checks of a resolved request that Rosette can answer (OpenID4VP 1.0 §5.2,
/// §5.9.3, §8.2): `response_type` `vp_token`, `response_mode` `direct_post` with a
/// `response_uri` and no `redirect_uri`, a nonce, a DCQL query (not `scope` nor Presentation
/// Exchange), no `origin:` client, no `transaction_data`, and for a `redirect_uri:` client a
/// `response_uri` equal to its identifier.
pub fn validate_request(request: &AuthorizationRequest) -> Result<(), RequestError> {
    if request.response_type != ResponseType::VpToken {
        return Err(RequestError::UnsupportedResponseType(
            request.response_type.to_string(),
        ));
    }
    match &request.response_mode {
        Some(ResponseMode::DirectPost) => {}
        Some(other) => return Err(RequestError::UnsupportedResponseMode(other.to_string())),
        None => return Err(RequestError::MissingParameter("response_mode")),
    }
    let response_uri = request
        .response_uri
        .as_deref()
        .ok_or(RequestError::MissingParameter("response_uri"))?;
    if request.redirect_uri.is_some() {
        return Err(RequestError::RedirectUriWithDirectPost);
    }
    if request
        .nonce
        .as_ref()
        .is_none_or(|n| n.expose_secret().is_empty())
    {
        return Err(RequestError::MissingParameter("nonce"));
    }
    if request.extra.contains_key("presentation_definition")
        || request.extra.contains_key("presentation_definition_uri")
    {
        return Err(RequestError::PresentationExchangeUnsupported);
    }
    match (&request.dcql_query, &request.scope) {
        (Some(_), Some(_)) => return Err(RequestError::DcqlAndScope),
        (None, Some(scope)) => return Err(RequestError::UnsupportedScope(scope.clone())),
        (None, None) => return Err(RequestError::MissingParameter("dcql_query")),
        (Some(q), None) if !q.is_object() => {
            return Err(RequestError::Malformed(
                "dcql_query is not an object".into(),
            ));
        }
        (Some(_), None) => {}
    }
    match request.client_id.prefix() {
        ClientIdPrefix::Origin => return Err(RequestError::OriginPrefixRefused),
        ClientIdPrefix::RedirectUri if request.client_id.identifier() != response_uri => {
            return Err(RequestError::ResponseUriNotClientId);
        }
        _ => {}
    }
    if request.transaction_data.is_some() {
        return Err(RequestError::TransactionDataUnsupported);
    }
    Ok(())
}

/// Why a request could not be parsed, verified or answered (wallet side). Each maps to the
/// error code a wallet sends back (§8.5) with [`RequestError::code`].
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// Longer than [`MAX_REQUEST_LEN`].
    #[error("the request is longer than {MAX_REQUEST_LEN} bytes")]
    TooLarge,
    /// Not an `openid4vp://` / `haip-vp://` / `https://` URL with a query.
    #[error("not an OpenID4VP request URL")]
    NotARequestUrl,
    /// A parameter appears twice.
    #[error("parameter {0} appears more than once")]
    DuplicateParameter(String),
    /// A JSON-valued parameter is not JSON.
    #[error("parameter {0} is not valid JSON")]
    ParameterNotJson(String),
    /// The request is malformed.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// `client_id` is missing next to `request` / `request_uri`.
    #[error("client_id is missing")]
    MissingClientId,
    /// A REQUIRED parameter is missing.
    #[error("{0} is missing")]
    MissingParameter(&'static str),
    /// `request_uri` is not a URL.
    #[error("request_uri is not a URL")]
    InvalidRequestUri,
    /// `request_uri` is not https.
    #[error("request_uri must be an https URL")]
    InsecureRequestUri,
    /// §5.10: `request_uri_method` is neither `get` nor `post`.
    #[error("request_uri_method {0} is neither get nor post")]
    InvalidRequestUriMethod(String),
    /// The Request Object is not a compact JWS.
    #[error("the request object is not a JWS: {0}")]
    NotAJws(String),
    /// §5: `typ` is not `oauth-authz-req+jwt`.
    #[error("the request object typ is {0:?}, not oauth-authz-req+jwt")]
    WrongTyp(Option<String>),
    /// §5.10.1: the object's `client_id` differs from the URL's.
    #[error("client_id {object} in the request object differs from {url} in the URL")]
    ClientIdMismatch {
        /// From the URL.
        url: String,
        /// From the object.
        object: String,
    },
    /// §5.9.3: `redirect_uri:` requests must not be signed.
    #[error("a redirect_uri: client must not sign its request")]
    SignedRedirectUriRequest,
    /// A prefix Rosette cannot authenticate (x509, attestation, federation, pre-registered).
    #[error("client_id prefix {0} is not supported")]
    UnsupportedClientIdPrefix(String),
    /// The header has no `kid`.
    #[error("the request object names no kid")]
    MissingKid,
    /// §5.9.3: the `kid` is not a DID URL of the client's DID.
    #[error("kid {0} is not a verification method of the client's DID")]
    KidNotOfClient(String),
    /// The `kid` could not be resolved.
    #[error("cannot resolve the request signing key: {0}")]
    KeyResolution(String),
    /// The signature does not verify.
    #[error("the request object signature is invalid: {0}")]
    BadSignature(String),
    /// `exp` has passed.
    #[error("the request object has expired")]
    Expired,
    /// `iat` / `nbf` lie in the future.
    #[error("the request object is not valid yet")]
    NotYetValid,
    /// Signing failed.
    #[error("cannot sign the request object: {0}")]
    Signing(String),
    /// `response_type` other than `vp_token`.
    #[error("response_type {0} is not supported")]
    UnsupportedResponseType(String),
    /// `response_mode` other than `direct_post`.
    #[error("response_mode {0} is not supported")]
    UnsupportedResponseMode(String),
    /// §8.2: `redirect_uri` next to `direct_post`.
    #[error("redirect_uri must be absent with response_mode direct_post")]
    RedirectUriWithDirectPost,
    /// §5.9.3: a `redirect_uri:` client's `response_uri` must be its identifier.
    #[error("response_uri differs from the redirect_uri: client identifier")]
    ResponseUriNotClientId,
    /// Presentation Exchange was removed in 1.0.
    #[error("presentation_definition (Presentation Exchange) is not supported; use DCQL")]
    PresentationExchangeUnsupported,
    /// §5.5: both `dcql_query` and `scope`.
    #[error("dcql_query and scope must not both be present")]
    DcqlAndScope,
    /// §5.5: a scope we do not know.
    #[error("scope {0} is not supported")]
    UnsupportedScope(String),
    /// Appendix A.2: `origin:` is reserved for the Digital Credentials API.
    #[error("the origin: client_id prefix is only for the Digital Credentials API")]
    OriginPrefixRefused,
    /// §8.4: transaction data we cannot process.
    #[error("transaction_data is not supported")]
    TransactionDataUnsupported,
}

impl RequestError {
    /// The §8.5 error code a wallet reports for this failure (the one place this is decided).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidRequestUriMethod(_) => ErrorCode::InvalidRequestUriMethod,
            Self::TransactionDataUnsupported => ErrorCode::InvalidTransactionData,
            Self::UnsupportedScope(_) => ErrorCode::InvalidScope,
            Self::UnsupportedResponseType(_) => ErrorCode::UnsupportedResponseType,
            Self::InvalidRequestUri | Self::InsecureRequestUri => ErrorCode::InvalidRequestUri,
            Self::NotAJws(_)
            | Self::WrongTyp(_)
            | Self::MissingKid
            | Self::KidNotOfClient(_)
            | Self::KeyResolution(_)
            | Self::BadSignature(_)
            | Self::Expired
            | Self::NotYetValid => ErrorCode::InvalidRequestObject,
            Self::ClientIdMismatch { .. }
            | Self::SignedRedirectUriRequest
            | Self::UnsupportedClientIdPrefix(_)
            | Self::OriginPrefixRefused => ErrorCode::InvalidClient,
            Self::Signing(_) => ErrorCode::ServerError,
            _ => ErrorCode::InvalidRequest,
        }
    }

    /// The error body a wallet sends back to the verifier.
    pub fn to_error_response(&self) -> ErrorResponse {
        ErrorResponse::new(self.code(), Some(&self.to_string()))
    }
}
