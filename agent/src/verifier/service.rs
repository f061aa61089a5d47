//! The verifier role's logic, HTTP-free: presentation requests from templates, the request
//! object at `request_uri`, `direct_post` responses (verified, then consumed exactly once),
//! and the poll by transaction id.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use rosette_core::{Clock, Timestamp};
use rosette_did::SigningKey;
use rosette_oid4vci::SecretHash;
use rosette_oid4vp::{
    AuthorizationRequest, AuthorizationResponse, BadgeQuery, ClientId, ClientMetadata, Nonce,
    RequestUriMethod, ResponseError, State, TrustedIssuers, request_url, request_url_by_value,
    request_url_signed_by_value, sign_request_object,
};
use rosette_proof::Verifier;
use rosette_storage::{Record, Repo, Store, WriteBatch};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::records::{PresentationRequestRow, VpStateRow, VpTransactionRow};
use crate::directory::Directory;
use crate::directory::records::{DidMethod, InstitutionRow, scoped_key};
use crate::error::AdminError;
use crate::issuer::IssuerService;
use crate::status::StatusService;

/// Default lifetime of a presentation request: 10 minutes.
pub const DEFAULT_REQUEST_LIFETIME: u64 = 600;
/// Longest lifetime an admin may ask for: 1 day.
pub const MAX_REQUEST_LIFETIME: u64 = 24 * 3600;
/// Lifetime of a signed request object (`exp` - `iat`).
const REQUEST_OBJECT_LIFETIME: i64 = 300;

/// How the request reaches the wallet.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestMode {
    /// `decentralized_identifier:` client, signed request object at `request_uri` (default).
    #[default]
    Signed,
    /// `decentralized_identifier:` client, signed request object in the URL (`request=`).
    SignedByValue,
    /// `redirect_uri:` client, unsigned, every parameter in the URL.
    RedirectUri,
}

impl RequestMode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Signed => "signed",
            Self::SignedByValue => "signed_by_value",
            Self::RedirectUri => "redirect_uri",
        }
    }
}

/// `POST /verifiers/{slug}/admin/presentation-requests` body: the template.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewPresentationRequest {
    /// Only badges for this achievement id (`credentialSubject.achievement.id`).
    #[serde(default)]
    pub achievement_id: Option<String>,
    /// Only badges for an achievement of this name.
    #[serde(default)]
    pub achievement_name: Option<String>,
    /// Trusted issuer DIDs; empty or absent: any issuer.
    #[serde(default)]
    pub trusted_issuers: Vec<String>,
    /// `ldp_vc` and / or `jwt_vc_json`; empty or absent: both.
    #[serde(default)]
    pub formats: Vec<String>,
    /// How the request is delivered (default `signed`).
    #[serde(default)]
    pub mode: Option<RequestMode>,
    /// Lifetime in seconds (default 600, at most 86400).
    #[serde(default)]
    pub expires_in_seconds: Option<u64>,
}

/// The answer to creating a presentation request. `transaction_id` is the page's capability
/// to read the verdict: it is shown only here and never goes to the wallet.
#[derive(Serialize)]
pub struct CreatedPresentationRequest {
    /// Request id (appears in `request_uri`).
    pub id: String,
    /// The verifier's `client_id`, prefix included.
    pub client_id: String,
    /// The QR payload (`openid4vp://…`).
    pub request_url: String,
    /// The `request_uri`, for signed requests by reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_uri: Option<String>,
    /// The poll capability.
    pub transaction_id: String,
    /// The result page (QR, then the verdict).
    pub page: String,
    /// Poll URL (JSON).
    pub poll: String,
    /// QR code (SVG).
    pub qr_svg: String,
    /// QR code (PNG).
    pub qr_png: String,
    /// The DCQL query sent.
    pub dcql_query: Value,
    /// Expiry (RFC 3339).
    pub expires_at: String,
}

impl std::fmt::Debug for CreatedPresentationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedPresentationRequest")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// Why a verifier protocol call failed. Mapped to HTTP in `verifier::http` only.
#[derive(Debug, thiserror::Error)]
pub enum VerifierError {
    /// The response was refused (a §8.5 code, 400).
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// No such institution, request or transaction (or it expired).
    #[error("not found")]
    NotFound,
    /// Storage failed.
    #[error(transparent)]
    Storage(#[from] rosette_storage::StorageError),
    /// Something else failed inside (signing, a corrupt row).
    #[error("internal error: {0}")]
    Internal(String),
}

/// What the poll answers.
#[derive(Debug, Serialize)]
pub struct PollAnswer {
    /// `pending`, `accepted`, `rejected` or `expired`.
    pub status: &'static str,
    /// The verdict once a response arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Value>,
    /// Request id.
    pub id: String,
    /// The QR payload (while pending).
    pub request_url: String,
    /// Expiry (RFC 3339).
    pub expires_at: String,
}

/// The verifier role: one per agent, over the directory's store and clock; achievements are
/// the issuer's.
pub struct VerifierService {
    dir: Arc<Directory>,
    issuer: Arc<IssuerService>,
    clock: Arc<dyn Clock>,
    verifier: Verifier,
}

impl std::fmt::Debug for VerifierService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierService").finish_non_exhaustive()
    }
}

fn random_id(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

fn hash(secret: &str) -> String {
    SecretHash::of(secret).to_hex()
}

impl VerifierService {
    /// The verifier role, verifying with the status role's verifier (keys resolve as did:key
    /// offline and did:web over HTTPS).
    pub fn new(dir: Arc<Directory>, issuer: Arc<IssuerService>, status: &StatusService) -> Self {
        let clock = dir.clock();
        let verifier = status.verifier();
        Self {
            dir,
            issuer,
            clock,
            verifier,
        }
    }

    /// The institution directory (authentication of admin tokens lives there).
    pub fn directory(&self) -> &Arc<Directory> {
        &self.dir
    }

    /// The issuer role, whose achievements requests and templates name.
    pub fn issuer(&self) -> &Arc<IssuerService> {
        &self.issuer
    }

    fn now(&self) -> Timestamp {
        self.clock.now()
    }

    fn store(&self) -> Arc<dyn Store> {
        Arc::clone(self.dir.store())
    }

    fn repo<T: rosette_storage::Record>(&self) -> Repo<T> {
        Repo::new(self.store())
    }

    fn base(&self, slug: &str) -> String {
        format!("{}/verifiers/{slug}", self.dir.settings().public_url)
    }

    /// `<public>/verifiers/<slug>/response`: the `response_uri` of every request of `slug`.
    pub fn response_uri(&self, slug: &str) -> String {
        format!("{}/response", self.base(slug))
    }

    fn request_uri(&self, slug: &str, id: &str) -> String {
        format!("{}/requests/{id}", self.base(slug))
    }

    fn institution(
        &self,
        slug: &str,
    ) -> Result<Option<InstitutionRow>, rosette_storage::StorageError> {
        self.dir.institution(slug)
    }

    /// The institution's signing key and the DID URL naming it.
    fn signing_key(&self, inst: &InstitutionRow) -> Result<(SigningKey, String), String> {
        let key = self.dir.signing_key(&inst.slug)?;
        let kid = match inst.did_method {
            DidMethod::Key => key.did_key_verification_method().as_str().to_owned(),
            DidMethod::Web => format!("{}#{}", inst.did, key.public_key().to_multibase()),
        };
        Ok((key, kid))
    }

    // ------------------------------------------------------------ admin

    /// Creates a presentation request from a template (the caller is already authorized).
    pub fn create_request(
        &self,
        slug: &str,
        input: NewPresentationRequest,
    ) -> Result<CreatedPresentationRequest, AdminError> {
        let inst = self
            .institution(slug)?
            .ok_or(AdminError::NotFound("institution"))?;
        for format in &input.formats {
            if !rosette_oid4vp::dcql::SUPPORTED_FORMATS.contains(&format.as_str()) {
                return Err(AdminError::Invalid(format!(
                    "format {format} is not supported (ldp_vc, jwt_vc_json)"
                )));
            }
        }
        for issuer in &input.trusted_issuers {
            rosette_did::Did::parse(issuer).map_err(|_| {
                AdminError::Invalid(format!("trusted issuer {issuer} is not a DID"))
            })?;
        }
        let lifetime = input.expires_in_seconds.unwrap_or(DEFAULT_REQUEST_LIFETIME);
        if lifetime == 0 || lifetime > MAX_REQUEST_LIFETIME {
            return Err(AdminError::Invalid(format!(
                "expires_in_seconds must be 1..={MAX_REQUEST_LIFETIME}"
            )));
        }
        let mode = input.mode.unwrap_or_default();
        // An id of one of our own achievements stands for its URL, the id in credentials.
        let achievement_id = match input.achievement_id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) if !id.contains(':') => Some(
                self.issuer
                    .list_achievements(slug)?
                    .iter()
                    .find(|a| a.get("id").and_then(Value::as_str) == Some(id))
                    .and_then(|a| a.get("url"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .ok_or(AdminError::NotFound("achievement"))?,
            ),
            other => other.map(str::to_owned),
        };
        let query = BadgeQuery::new(
            achievement_id.clone(),
            input.achievement_name.clone().filter(|s| !s.is_empty()),
            input.formats.clone(),
        );
        let dcql_query = query.to_dcql();
        let formats: Vec<&str> = dcql_query["credentials"]
            .as_array()
            .map(|a| a.iter().filter_map(|q| q["format"].as_str()).collect())
            .unwrap_or_default();
        let response_uri = self.response_uri(slug);
        let client_id = match mode {
            RequestMode::Signed | RequestMode::SignedByValue => {
                ClientId::decentralized_identifier(&inst.did)
            }
            RequestMode::RedirectUri => ClientId::redirect_uri(&response_uri),
        };
        let nonce = Nonce::generate(&mut OsRng);
        let state = State::generate(&mut OsRng);
        let transaction_id = random_id(32);
        let id = random_id(16);
        let now = self.now();
        // client_name (OpenID4VP §5.1 / RFC 7591): wallets name the institution, not its DID.
        let mut metadata = ClientMetadata::rosette(&formats);
        metadata
            .extra
            .insert("client_name".into(), Value::String(inst.name.clone()));
        let request = AuthorizationRequest::direct_post(
            client_id.clone(),
            response_uri,
            nonce,
            state.clone(),
            dcql_query.clone(),
            metadata,
        );
        let request_uri = self.request_uri(slug, &id);
        let request_url = match mode {
            RequestMode::Signed => request_url(&client_id, &request_uri, None),
            RequestMode::RedirectUri => request_url_by_value(&request),
            RequestMode::SignedByValue => {
                let (key, kid) = self.signing_key(&inst).map_err(AdminError::Internal)?;
                let jwt = sign_request_object(&request, &key, &kid, now, lifetime as i64)
                    .map_err(|e| AdminError::Internal(e.to_string()))?;
                request_url_signed_by_value(&client_id, &jwt)
            }
        };
        let template = json!({
            "achievement_id": achievement_id,
            "achievement_name": input.achievement_name,
            "formats": formats,
            "trusted_issuers": input.trusted_issuers,
            "mode": mode.as_str(),
        });
        let expires_at = now.plus_seconds(lifetime as i64);
        let row = PresentationRequestRow {
            slug: slug.to_owned(),
            id: id.clone(),
            request: serde_json::to_value(&request)
                .map_err(|e| AdminError::Internal(e.to_string()))?,
            mode: mode.as_str().to_owned(),
            template,
            trusted_issuers: input.trusted_issuers.clone(),
            request_url: request_url.clone(),
            created_at: now.unix(),
            expires_at: expires_at.unix(),
            result: None,
        };
        let state_row = VpStateRow {
            state_hash: hash(state.expose_secret()),
            slug: slug.to_owned(),
            id: id.clone(),
        };
        let tx_row = VpTransactionRow {
            transaction_hash: hash(&transaction_id),
            slug: slug.to_owned(),
            id: id.clone(),
        };
        let mut batch = WriteBatch::new();
        batch.put(&row)?.put(&state_row)?.put(&tx_row)?;
        self.store().apply(batch)?;
        let page = format!("{}/present/{transaction_id}", self.base(slug));
        Ok(CreatedPresentationRequest {
            id,
            client_id: client_id.as_str().to_owned(),
            request_url,
            request_uri: (mode == RequestMode::Signed).then_some(request_uri),
            poll: format!("{}/transactions/{transaction_id}", self.base(slug)),
            qr_svg: format!("{page}/qr.svg"),
            qr_png: format!("{page}/qr.png"),
            page,
            transaction_id,
            dcql_query,
            expires_at: expires_at.to_rfc3339(),
        })
    }

    /// The requests of `slug`, newest last (status and verdict summary; no secrets).
    pub fn list_requests(&self, slug: &str) -> Result<Vec<Value>, AdminError> {
        let prefix = scoped_key(slug, "");
        let rows = self.repo::<PresentationRequestRow>().scan(
            &prefix,
            None,
            rosette_storage::MAX_SCAN_LIMIT,
        )?;
        let now = self.now().unix();
        let mut list: Vec<Value> = rows
            .into_iter()
            .map(|(_, r)| {
                json!({
                    "id": r.id,
                    "status": status_of(&r, now),
                    "template": r.template,
                    "created_at": Timestamp::from_unix(r.created_at).map(Timestamp::to_rfc3339),
                    "expires_at": Timestamp::from_unix(r.expires_at).map(Timestamp::to_rfc3339),
                    "result": r.result,
                })
            })
            .collect();
        list.sort_by_key(|v| v["created_at"].as_str().map(str::to_owned));
        Ok(list)
    }

    // ------------------------------------------------------------ protocol

    fn live_request(&self, slug: &str, id: &str) -> Result<PresentationRequestRow, VerifierError> {
        let row = self
            .repo::<PresentationRequestRow>()
            .get(&scoped_key(slug, id))?
            .ok_or(VerifierError::NotFound)?;
        if row.result.is_some() || self.now().unix() > row.expires_at {
            return Err(VerifierError::NotFound);
        }
        Ok(row)
    }

    /// The signed request object served at `request_uri` (GET, or POST with `wallet_nonce`,
    /// §5.10). Freshly signed on every fetch, so fetching twice works; only unanswered,
    /// unexpired `signed` requests are served.
    pub fn request_object(
        &self,
        slug: &str,
        id: &str,
        wallet_nonce: Option<String>,
    ) -> Result<String, VerifierError> {
        let row = self.live_request(slug, id)?;
        if row.mode != RequestMode::Signed.as_str() {
            return Err(VerifierError::NotFound);
        }
        let inst = self.institution(slug)?.ok_or(VerifierError::NotFound)?;
        let mut request: AuthorizationRequest = serde_json::from_value(row.request)
            .map_err(|e| VerifierError::Internal(format!("stored request: {e}")))?;
        if wallet_nonce.is_some() {
            request.wallet_nonce = wallet_nonce;
            request.request_uri_method = Some(RequestUriMethod::Post);
        }
        let (key, kid) = self.signing_key(&inst).map_err(VerifierError::Internal)?;
        sign_request_object(&request, &key, &kid, self.now(), REQUEST_OBJECT_LIFETIME)
            .map_err(|e| VerifierError::Internal(e.to_string()))
    }

    /// Handles a `direct_post` to `slug`'s `response_uri`: finds the request by `state`,
    /// verifies the response, and records the verdict with a compare-and-swap, so exactly one
    /// response per request is ever judged (a replay, even a concurrent one, is refused).
    /// A refused response also consumes the request: one answer per QR code.
    pub async fn direct_post(
        self: Arc<Self>,
        slug: String,
        body: Vec<u8>,
    ) -> Result<Value, VerifierError> {
        let response = rosette_oid4vp::parse_direct_post(&body)?;
        let state = response
            .state()
            .ok_or(ResponseError::UnknownState)?
            .expose_secret()
            .to_owned();
        let this = Arc::clone(&self);
        let lookup_slug = slug.clone();
        let loaded = tokio::task::spawn_blocking(move || this.find_by_state(&lookup_slug, &state))
            .await
            .map_err(|e| VerifierError::Internal(e.to_string()))??;
        let (stored, row) = loaded;
        let request: AuthorizationRequest = serde_json::from_value(row.request.clone())
            .map_err(|e| VerifierError::Internal(format!("stored request: {e}")))?;
        let trusted = TrustedIssuers::from_list(row.trusted_issuers.iter().cloned());
        let report = rosette_oid4vp::verify_response_report(
            &request,
            &response,
            &self.verifier,
            &trusted,
            self.now(),
        )
        .await;
        let result = verdict_json(&report, &response, self.now());
        let error = report.error.clone();
        let mut answered = row.clone();
        answered.result = Some(result);
        let this = Arc::clone(&self);
        let swapped = tokio::task::spawn_blocking(move || {
            this.repo::<PresentationRequestRow>().cas(
                &answered.key(),
                Some(&stored),
                Some(&answered),
            )
        })
        .await
        .map_err(|e| VerifierError::Internal(e.to_string()))??;
        if swapped.is_err() {
            return Err(ResponseError::UnknownState.into());
        }
        tracing::info!(slug = %slug, id = %row.id, accepted = error.is_none(), "presentation response judged");
        let outcome = match &error {
            None => "accepted",
            Some(ResponseError::WalletError { .. }) => "declined",
            Some(_) => "rejected",
        };
        metrics::counter!("rosette_presentations_verified_total", "outcome" => outcome)
            .increment(1);
        match error {
            None => Ok(json!({})),
            // The wallet told us it declined; that is a valid answer, not a bad request.
            Some(ResponseError::WalletError { .. }) => Ok(json!({})),
            Some(e) => Err(e.into()),
        }
    }

    fn find_by_state(
        &self,
        slug: &str,
        state: &str,
    ) -> Result<
        (
            rosette_storage::Stored<PresentationRequestRow>,
            PresentationRequestRow,
        ),
        VerifierError,
    > {
        let index = self
            .repo::<VpStateRow>()
            .get(hash(state).as_bytes())?
            .filter(|r| r.slug == slug)
            .ok_or(ResponseError::UnknownState)?;
        let stored = self
            .repo::<PresentationRequestRow>()
            .load(&scoped_key(&index.slug, &index.id))?
            .ok_or(ResponseError::UnknownState)?;
        let row = PresentationRequestRow::clone(&stored);
        if row.result.is_some() || self.now().unix() > row.expires_at {
            return Err(ResponseError::UnknownState.into());
        }
        Ok((stored, row))
    }

    /// The poll: status and verdict of the request `transaction_id` belongs to. Anything else
    /// (a `state`, a request id, a guess) is "not found", indistinguishable from expiry.
    pub fn poll(&self, slug: &str, transaction_id: &str) -> Result<PollAnswer, VerifierError> {
        let index = self
            .repo::<VpTransactionRow>()
            .get(hash(transaction_id).as_bytes())?
            .filter(|r| r.slug == slug)
            .ok_or(VerifierError::NotFound)?;
        let row = self
            .repo::<PresentationRequestRow>()
            .get(&scoped_key(&index.slug, &index.id))?
            .ok_or(VerifierError::NotFound)?;
        Ok(PollAnswer {
            status: status_of(&row, self.now().unix()),
            result: row.result.clone(),
            id: row.id.clone(),
            request_url: row.request_url.clone(),
            expires_at: Timestamp::from_unix(row.expires_at)
                .map(Timestamp::to_rfc3339)
                .unwrap_or_default(),
        })
    }

    /// The QR payload of the request a transaction id belongs to, while it is pending.
    pub fn pending_request_url(
        &self,
        slug: &str,
        transaction_id: &str,
    ) -> Result<String, VerifierError> {
        let answer = self.poll(slug, transaction_id)?;
        if answer.status != "pending" {
            return Err(VerifierError::NotFound);
        }
        Ok(answer.request_url)
    }

    /// The institution's display name, for pages.
    pub fn institution_name(&self, slug: &str) -> Result<String, VerifierError> {
        Ok(self.institution(slug)?.ok_or(VerifierError::NotFound)?.name)
    }
}

fn status_of(row: &PresentationRequestRow, now: i64) -> &'static str {
    match &row.result {
        Some(r) if r["accepted"] == json!(true) => "accepted",
        Some(_) => "rejected",
        None if now > row.expires_at => "expired",
        None => "pending",
    }
}

/// The stored verdict: who issued what to whom, and each check.
fn verdict_json(
    report: &rosette_oid4vp::VerificationReport,
    response: &AuthorizationResponse,
    now: Timestamp,
) -> Value {
    let error = report.error.as_ref().map(|e| {
        let (_, body) = e.to_wire();
        serde_json::to_value(body).unwrap_or(Value::Null)
    });
    let presented = presented_credentials(response);
    let described = |verdict: &rosette_proof::Verdict| {
        let credential = verdict
            .credential_id
            .as_deref()
            .and_then(|id| presented.iter().find(|c| c.get("id") == Some(&json!(id))))
            // A VC-JWT may carry its id as `jti` only: one credential is that one.
            .or_else(|| presented.first().filter(|_| presented.len() == 1));
        described_credential(credential)
    };
    let mut credentials = Vec::new();
    for p in &report.presentations {
        for c in &p.credentials {
            let mut entry = json!({
                "query_id": p.query_id,
                "format": c.verdict.format,
                "issuer": c.verdict.issuer,
                "issuer_name": c.verdict.issuer_name,
                "subject": c.verdict.subject,
                "achievement": c.verdict.achievement,
                "holder": p.holder,
            });
            merge(&mut entry, described(&c.verdict));
            credentials.push(entry);
        }
    }
    let mut presentations = serde_json::to_value(&report.presentations).unwrap_or(Value::Null);
    // Each credential's report gets the learner's name and dates the page shows.
    for (p, stored) in report
        .presentations
        .iter()
        .zip(presentations.as_array_mut().into_iter().flatten())
    {
        for (c, entry) in p.credentials.iter().zip(
            stored
                .get_mut("credentials")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten(),
        ) {
            merge(entry, described(&c.verdict));
        }
    }
    json!({
        "accepted": report.is_accepted(),
        "received_at": now.to_rfc3339(),
        "error": error,
        "wallet_error": matches!(response, AuthorizationResponse::Error { .. }),
        "credentials": credentials,
        "query": report.query,
        "presentations": presentations,
    })
}

/// Adds the fields of `extra` (an object) to `into` (an object).
fn merge(into: &mut Value, extra: Value) {
    if let (Some(into), Value::Object(extra)) = (into.as_object_mut(), extra) {
        into.extend(extra);
    }
}

/// What the verdict page shows of a presented credential beyond the proof's verdict: the
/// learner's name and the validity dates (`{}` for no credential).
fn described_credential(credential: Option<&Value>) -> Value {
    let Some(c) = credential else {
        return json!({});
    };
    let text = |key: &str| c.get(key).and_then(Value::as_str);
    json!({
        "subject_name": c.get("credentialSubject").and_then(super::labels::learner_name),
        "valid_from": text("validFrom").or_else(|| text("issuanceDate")),
        "valid_until": text("validUntil").or_else(|| text("expirationDate")),
    })
}

/// Every credential object inside the response's presentations (JSON, VC-JWT or enveloped),
/// not verified: the verdict says whether to believe them.
fn presented_credentials(response: &AuthorizationResponse) -> Vec<Value> {
    let AuthorizationResponse::VpToken { vp_token, .. } = response else {
        return Vec::new();
    };
    let credential = |one: &Value| -> Option<Value> {
        let jwt = match one {
            Value::String(jwt) => jwt.as_str(),
            Value::Object(o) => match o
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| id.strip_prefix("data:application/vc+jwt,"))
            {
                Some(jwt) => jwt,
                None => return Some(one.clone()),
            },
            _ => return None,
        };
        rosette_proof::jwt_vc::decode(jwt)
            .ok()
            .map(|d| d.credential)
    };
    let mut out = Vec::new();
    for presentation in vp_token.values().flatten() {
        let vp = match presentation {
            Value::String(jwt) => rosette_did::jws::decode_compact(jwt.trim())
                .ok()
                .and_then(|d| serde_json::from_slice::<Value>(&d.payload).ok())
                .and_then(|claims| claims.get("vp").cloned()),
            other => Some(other.clone()),
        };
        let inner = vp.as_ref().and_then(|vp| vp.get("verifiableCredential"));
        match inner {
            Some(Value::Array(items)) => out.extend(items.iter().filter_map(credential)),
            Some(one) => out.extend(credential(one)),
            None => {}
        }
    }
    out
}

/// `--demo`: a signed presentation request for the demo institution's first achievement,
/// trusting only the demo institution as issuer.
pub fn demo_request(
    verifier: &VerifierService,
    slug: &str,
) -> Result<CreatedPresentationRequest, AdminError> {
    let inst = verifier
        .institution(slug)?
        .ok_or(AdminError::NotFound("institution"))?;
    let achievement_id = verifier
        .issuer
        .list_achievements(slug)?
        .iter()
        .find(|a| a.get("archived") == Some(&json!(false)))
        .and_then(|a| a.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    verifier.create_request(
        slug,
        NewPresentationRequest {
            achievement_id,
            trusted_issuers: vec![inst.did],
            ..NewPresentationRequest::default()
        },
    )
}
