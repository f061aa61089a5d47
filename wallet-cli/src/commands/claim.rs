//! `rosette-wallet claim OFFER`: the OpenID4VCI 1.0 Pre-Authorized Code Flow, wallet side.
//!
//! offer → issuer metadata → AS metadata → token (with the PIN) → nonce → one credential
//! request per offered configuration, each with a key proof of the holder key → verify every
//! credential → store them all in one write. Any failure stores nothing.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use reqwest::StatusCode;
use rosette_net::Request;
use rosette_oid4vci::{
    AuthorizationServerMetadata, CredentialIssuerMetadata, CredentialOffer, CredentialRequest,
    CredentialResponse, OfferLocation, OfferParseOptions, TokenResponse, TxCodeSpec,
    parse_offer_json_with, parse_offer_url_with,
};
use rosette_wallet_core::{StoredBadge, key_proof_jwt, summarize};
use serde_json::Value;

use super::http::{Answer, Peer, WalletHttp};
use super::{now, open_wallet};
use crate::cli::ClaimArgs;

/// QR code images larger than this are refused before decoding (a phone photo is a few MB).
const MAX_QR_IMAGE: u64 = 32 * 1024 * 1024;

/// Responses larger than this are refused.
const MAX_RESPONSE: usize = 4 * 1024 * 1024;

pub(crate) fn run(dir: &Path, args: &ClaimArgs, net: super::Net, json: bool) -> Result<ExitCode> {
    let offer_text = match (&args.offer, &args.qr) {
        (_, Some(image)) => {
            let size = std::fs::metadata(image)
                .with_context(|| format!("cannot read {}", image.display()))?
                .len();
            if size > MAX_QR_IMAGE {
                bail!(
                    "{} is {size} bytes; a QR code image should be under {MAX_QR_IMAGE}",
                    image.display()
                );
            }
            let bytes =
                std::fs::read(image).with_context(|| format!("cannot read {}", image.display()))?;
            let texts = rosette_qr::decode_image(&bytes)
                .map_err(|e| anyhow!("no offer in {}: {e}", image.display()))?;
            texts
                .into_iter()
                .next()
                .ok_or_else(|| anyhow!("no QR code found in {}", image.display()))?
        }
        (Some(text), None) => text.clone(),
        (None, None) => bail!("give an offer URL or --qr IMAGE"),
    };
    let options = if net.allow_http {
        OfferParseOptions::danger_allow_http_loopback()
    } else {
        OfferParseOptions::default()
    };
    // Unlock first: a wrong passphrase should not consume the single-use offer.
    let mut wallet = open_wallet(dir)?;
    let client = WalletHttp::new(net)?;
    let runtime = super::verify::runtime()?;
    let verifier = super::verify::make_verifier(net)?;
    let badges = runtime.block_on(async {
        let http = Http { client: &client };
        let offer = match parse_offer_url_with(&offer_text, options).map_err(|e| {
            anyhow!(
                "not a credential offer: {}",
                super::with_http_hint(&e.to_string())
            )
        })? {
            OfferLocation::ByValue(offer) => *offer,
            OfferLocation::ByReference(uri) => {
                let body = http.get(&uri).await.map_err(offer_fetch_error)?;
                parse_offer_json_with(&body, options).map_err(|e| {
                    anyhow!(
                        "the issuer sent an invalid offer: {}",
                        super::with_http_hint(&e.to_string())
                    )
                })?
            }
            _ => bail!("unsupported offer location"),
        };
        claim(&http, &offer, &wallet, args, json, &verifier).await
    })?;
    if !json {
        let mut named: Vec<String> = Vec::new();
        for b in &badges {
            let line = format!(
                "Received \u{201c}{}\u{201d} from {}.",
                printable(&b.summary.name, 100),
                printable(
                    b.summary
                        .issuer_name
                        .as_deref()
                        .unwrap_or(&b.summary.issuer),
                    100
                )
            );
            if !named.contains(&line) {
                named.push(line);
            }
        }
        for line in named {
            eprintln!("{line}");
        }
    }
    // A re-issued badge (same id and issuer, later validFrom) replaces the stored copy.
    let placed = wallet.add_newest(&badges, &mut rand::rngs::OsRng)?;
    super::store::report_stored(&placed, &badges, json)?;
    Ok(ExitCode::SUCCESS)
}

struct Http<'a> {
    client: &'a WalletHttp,
}

/// An issuer's refusal, kept apart so the offer and token steps can say what it means.
#[derive(Debug)]
struct Refused {
    url: String,
    status: StatusCode,
    code: Option<String>,
    description: Option<String>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} answered {}", self.url, self.status)?;
        match (&self.code, &self.description) {
            (Some(c), Some(d)) => write!(f, ": {c}: {d}"),
            (Some(c), None) => write!(f, ": {c}"),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for Refused {}

/// What people are told when the offer link no longer works, in the claim page's words.
fn offer_fetch_error(e: anyhow::Error) -> anyhow::Error {
    let Some(refused) = e.downcast_ref::<Refused>() else {
        return e.context("cannot fetch the offer");
    };
    let message = match (refused.code.as_deref(), refused.status.as_u16()) {
        (Some("offer_claimed"), _) => {
            "This badge has already been collected: the offer can be used once. If it was not you, ask the institution for a new offer."
        }
        (Some("offer_locked"), _) => {
            "This offer is locked after too many wrong PINs. Ask the institution for a new offer."
        }
        (Some("offer_expired"), _) => {
            "This offer has expired. Ask the institution for a new offer."
        }
        (_, 404 | 410) => {
            "The issuer no longer knows this offer: it was already collected, locked after too many wrong PINs, or has expired. Ask the institution for a new offer."
        }
        _ => return e.context("cannot fetch the offer"),
    };
    anyhow!("{message} ({refused})")
}

impl Http<'_> {
    async fn get(&self, url: &str) -> Result<Vec<u8>> {
        let Answer { status, body } = self
            .client
            .send(
                url,
                Request::get(url, "application/json"),
                Peer::Issuer,
                MAX_RESPONSE,
            )
            .await?;
        if !status.is_success() {
            let parsed = serde_json::from_slice::<Value>(&body).ok();
            let field = |k: &str| {
                parsed
                    .as_ref()
                    .and_then(|v| v.get(k))
                    .and_then(Value::as_str)
                    .map(|t| t.chars().take(300).collect::<String>())
            };
            return Err(Refused {
                url: url.to_owned(),
                status,
                code: field("error"),
                description: field("error_description").or_else(|| {
                    parsed.is_none().then(|| {
                        String::from_utf8_lossy(body.get(..200).unwrap_or(&body)).into_owned()
                    })
                }),
            }
            .into());
        }
        Ok(body)
    }

    async fn post(
        &self,
        url: &str,
        body: RequestBody,
        bearer: Option<&str>,
    ) -> Result<(StatusCode, Vec<u8>)> {
        const JSON: &str = "application/json";
        let mut request = match body {
            RequestBody::Form(pairs) => Request::post(
                url,
                JSON,
                "application/x-www-form-urlencoded",
                url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(pairs)
                    .finish(),
            ),
            RequestBody::Json(value) => Request::post(url, JSON, JSON, value.to_string()),
            RequestBody::Empty => Request::post_empty(url, JSON),
        };
        if let Some(token) = bearer {
            request = request.bearer(token);
        }
        let answer = self
            .client
            .send(url, request, Peer::Issuer, MAX_RESPONSE)
            .await?;
        Ok((answer.status, answer.body))
    }
}

enum RequestBody {
    Form(Vec<(&'static str, String)>),
    Json(Value),
    Empty,
}

/// `error: description` of an OAuth error body, or the start of the body.
fn describe_error(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) if v.get("error").is_some() => {
            let code = v["error"].as_str().unwrap_or("error");
            match v.get("error_description").and_then(Value::as_str) {
                Some(d) => format!("{code}: {d}"),
                None => code.to_owned(),
            }
        }
        _ => String::from_utf8_lossy(body.get(..200).unwrap_or(body)).into_owned(),
    }
}

fn error_code(body: &[u8]) -> Option<String> {
    serde_json::from_slice::<Value>(body)
        .ok()?
        .get("error")?
        .as_str()
        .map(str::to_owned)
}

async fn claim(
    http: &Http<'_>,
    offer: &CredentialOffer,
    wallet: &rosette_wallet_core::Wallet,
    args: &ClaimArgs,
    json: bool,
    verifier: &rosette_proof::Verifier,
) -> Result<Vec<StoredBadge>> {
    let issuer = &offer.credential_issuer;
    let grant = offer.pre_authorized_grant().ok_or_else(|| {
        anyhow!("the offer has no pre-authorized code (authorization code flow is not supported)")
    })?;
    let metadata_url = CredentialIssuerMetadata::well_known_url(issuer)
        .ok_or_else(|| anyhow!("invalid issuer identifier {issuer}"))?;
    let metadata: CredentialIssuerMetadata =
        serde_json::from_slice(&http.get(&metadata_url).await?)
            .context("the issuer metadata is invalid")?;
    if !metadata.is_for_issuer(issuer) {
        bail!(
            "the issuer metadata is for {}, not {issuer}",
            metadata.credential_issuer
        );
    }
    let issuer_name = metadata
        .display
        .as_ref()
        .and_then(|d| d.iter().find_map(|d| d.name.clone()))
        .unwrap_or_else(|| issuer.clone());
    // The offer names configurations (a credential type in a format), not the badge: the
    // achievement's name is only known once the credential arrives, so the preview names the
    // institution and the formats, and the badge is named when it is received.
    let formats: Vec<String> = offer
        .credential_configuration_ids
        .iter()
        .map(|id| {
            metadata
                .credential_configurations_supported
                .get(id)
                .map_or_else(|| id.clone(), |c| format_words(&c.format.to_string()))
        })
        .collect();
    if !json {
        eprintln!(
            "Badge offer from {} ({}), delivered as {}.",
            printable(&issuer_name, 100),
            printable(issuer, 200),
            formats.join(" and ")
        );
    }
    for id in &offer.credential_configuration_ids {
        if !metadata
            .credential_configurations_supported
            .contains_key(id)
        {
            bail!("the issuer does not describe the offered configuration {id}");
        }
    }

    // Token.
    let as_id = grant
        .authorization_server
        .clone()
        .or_else(|| {
            metadata
                .authorization_servers
                .as_ref()
                .and_then(|a| a.first().cloned())
        })
        .unwrap_or_else(|| issuer.clone());
    let as_url = AuthorizationServerMetadata::well_known_url(&as_id)
        .ok_or_else(|| anyhow!("invalid authorization server {as_id}"))?;
    let as_meta: AuthorizationServerMetadata = match http.get(&as_url).await {
        Ok(body) => {
            serde_json::from_slice(&body).context("invalid authorization server metadata")?
        }
        // Some issuers only publish the OpenID configuration.
        Err(_) => {
            let alt = format!(
                "{}/.well-known/openid-configuration",
                as_id.trim_end_matches('/')
            );
            serde_json::from_slice(&http.get(&alt).await?)
                .context("invalid authorization server metadata")?
        }
    };
    let token_endpoint = as_meta
        .token_endpoint
        .ok_or_else(|| anyhow!("the authorization server has no token endpoint"))?;
    let form = vec![
        (
            "grant_type",
            rosette_oid4vci::PRE_AUTHORIZED_CODE_GRANT.to_owned(),
        ),
        ("pre-authorized_code", grant.pre_authorized_code.clone()),
    ];
    // A wrong PIN typed at the prompt is asked again (the issuer counts and says how many
    // tries remain); a PIN given with --tx-code is a script's, which gets the error at once.
    let mut prompter = match (&grant.tx_code, &args.tx_code) {
        (Some(spec), None) => Some(PinPrompt::open(spec)?),
        _ => None,
    };
    let body = loop {
        let mut form = form.clone();
        if let Some(spec) = &grant.tx_code {
            let pin = match (&args.tx_code, prompter.as_mut()) {
                (Some(pin), _) => pin.clone(),
                (None, Some(prompt)) => prompt.ask(spec)?,
                (None, None) => bail!("this offer needs a PIN: pass --tx-code"),
            };
            check_tx_code(spec, &pin)?;
            form.push(("tx_code", pin));
        }
        let (status, body) = http
            .post(&token_endpoint, RequestBody::Form(form), None)
            .await?;
        if status.is_success() {
            break body;
        }
        let refusal = token_refusal(&body, grant.tx_code.is_some());
        if let (TokenRefusal::WrongPin { remaining }, Some(prompt)) = (&refusal, prompter.as_mut())
            && remaining.is_none_or(|n| n > 0)
            && prompt.asked < MAX_PIN_PROMPTS
        {
            prompt.say(&match remaining {
                Some(1) => "Wrong PIN. 1 try left before the offer is locked.".to_owned(),
                Some(n) => format!("Wrong PIN. {n} tries left."),
                None => "Wrong PIN.".to_owned(),
            })?;
            continue;
        }
        return Err(refusal.into_error(status, &body));
    };
    let token: TokenResponse =
        serde_json::from_slice(&body).context("the token response is invalid")?;

    // Nonce: the 1.0 nonce endpoint, else a draft-style c_nonce from the token response.
    let mut c_nonce = match &metadata.nonce_endpoint {
        Some(url) => Some(fetch_nonce(http, url).await?),
        None => token.c_nonce.clone(),
    };

    let holder = wallet.holder_key();
    let mut badges = Vec::new();
    // One key for every credential of this claim: the formats of one award list as one row.
    let offer_key = {
        use rand::RngCore as _;
        let mut bytes = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    for (index, config_id) in offer.credential_configuration_ids.iter().enumerate() {
        // Issuers treat nonce-endpoint nonces as single-use (the reference issuer does): each further
        // request gets a fresh one instead of spending a round trip on `invalid_nonce`.
        if index > 0
            && let Some(url) = &metadata.nonce_endpoint
        {
            c_nonce = Some(fetch_nonce(http, url).await?);
        }
        let mut retried = false;
        let response = loop {
            let proof = key_proof_jwt(holder, issuer, c_nonce.as_deref(), now())?;
            let request = CredentialRequest::with_jwt_proofs(config_id.clone(), vec![proof]);
            let (status, body) = http
                .post(
                    &metadata.credential_endpoint,
                    RequestBody::Json(serde_json::to_value(&request)?),
                    Some(&token.access_token),
                )
                .await?;
            if status.is_success() {
                break body;
            }
            // A used or stale nonce: get a fresh one once.
            if !retried
                && error_code(&body).as_deref() == Some("invalid_nonce")
                && let Some(url) = &metadata.nonce_endpoint
            {
                c_nonce = Some(fetch_nonce(http, url).await?);
                retried = true;
                continue;
            }
            bail!(
                "the credential request for {config_id} failed ({status}): {}",
                describe_error(&body)
            );
        };
        let response: CredentialResponse =
            serde_json::from_slice(&response).context("the credential response is invalid")?;
        if response.transaction_id.is_some() {
            bail!("the issuer deferred {config_id}; deferred issuance is not supported");
        }
        let mut credentials: Vec<Value> = response
            .credentials
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.credential)
            .collect();
        // Draft 13 issuers answer with a single `credential`.
        if credentials.is_empty()
            && let Some(c) = response.extra.get("credential")
        {
            credentials.push(c.clone());
        }
        if credentials.is_empty() {
            bail!("the issuer returned no credential for {config_id}");
        }
        if let Some(n) = response.extra.get("c_nonce").and_then(Value::as_str) {
            c_nonce = Some(n.to_owned());
        }
        for credential in credentials {
            let text = match credential {
                Value::String(jwt) => jwt,
                other @ Value::Object(_) => serde_json::to_string(&other)?,
                _ => bail!("the issuer returned a credential of unknown shape for {config_id}"),
            };
            let verdict = verifier.verify_text(&text).await;
            let failed = super::verify::problems(&verdict);
            if !failed.is_empty() {
                bail!(
                    "the credential for {config_id} does not verify, nothing was stored: {}",
                    failed.join("; ")
                );
            }
            let mut summary = summarize(&text)?;
            summary.offer = Some(offer_key.clone());
            summary.status_check = super::verify::status_check_of(&verdict, now());
            badges.push(StoredBadge {
                format: summary.format,
                credential: text,
                received_at: now().to_rfc3339(),
                summary,
                source: issuer.clone(),
            });
        }
    }
    Ok(badges)
}

async fn fetch_nonce(http: &Http<'_>, url: &str) -> Result<String> {
    let (status, body) = http.post(url, RequestBody::Empty, None).await?;
    if !status.is_success() {
        bail!(
            "the nonce request failed ({status}): {}",
            describe_error(&body)
        );
    }
    let v: Value = serde_json::from_slice(&body).context("the nonce response is invalid")?;
    v.get("c_nonce")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("the nonce response has no c_nonce"))
}

fn is_numeric(spec: &TxCodeSpec) -> bool {
    spec.input_mode
        .as_ref()
        .is_none_or(|m| m.to_string() == "numeric")
}

fn check_tx_code(spec: &TxCodeSpec, pin: &str) -> Result<()> {
    if is_numeric(spec) && !pin.chars().all(|c| c.is_ascii_digit()) {
        bail!("the PIN must be digits only");
    }
    if let Some(len) = spec.length
        && pin.chars().count() != len as usize
    {
        bail!("the PIN must be {len} characters long");
    }
    if pin.is_empty() {
        bail!("the PIN is empty");
    }
    Ok(())
}

/// Prompts for the PIN after a wrong one, at most this many times in all.
const MAX_PIN_PROMPTS: u32 = 5;

/// The PIN prompt on the terminal (not stdin, which scripts may use). The PIN is not echoed,
/// as the passphrase is not: people type it where others can see the screen.
struct PinPrompt {
    tty: std::fs::File,
    asked: u32,
}

impl PinPrompt {
    fn open(spec: &TxCodeSpec) -> Result<Self> {
        let mut tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .context("this offer needs a PIN: pass --tx-code, or run on a terminal")?;
        if let Some(d) = &spec.description {
            writeln!(tty, "{}", printable(d, 300))?;
        }
        Ok(Self { tty, asked: 0 })
    }

    fn say(&mut self, line: &str) -> Result<()> {
        writeln!(self.tty, "{line}")?;
        Ok(())
    }

    /// Asks until the PIN fits the offer's description (length, digits), three times at most.
    fn ask(&mut self, spec: &TxCodeSpec) -> Result<String> {
        self.asked += 1;
        let kind = if is_numeric(spec) {
            "digits"
        } else {
            "characters"
        };
        let prompt = match spec.length {
            Some(n) => format!("PIN ({n} {kind}, not shown): "),
            None => "PIN (not shown): ".to_owned(),
        };
        for _ in 0..3 {
            let line = rpassword::prompt_password(&prompt).context("cannot read the PIN")?;
            let pin = line.trim().to_owned();
            match check_tx_code(spec, &pin) {
                Ok(()) => return Ok(pin),
                Err(e) => self.say(&e.to_string())?,
            }
        }
        bail!("no valid PIN entered")
    }
}

/// Why the token endpoint refused, in the terms of the claim page.
#[derive(Debug, PartialEq, Eq)]
enum TokenRefusal {
    /// Wrong PIN; the issuer may say how many tries remain.
    WrongPin { remaining: Option<u32> },
    /// Too many wrong PINs: the offer is locked.
    Locked,
    /// The offer was already used.
    AlreadyCollected,
    /// The offer has expired.
    Expired,
    /// `invalid_grant` without a recognisable reason.
    Refused { pin: bool },
    /// Anything else.
    Other,
}

/// Reads an OAuth error body from the token endpoint. The descriptions are matched loosely
/// (the codes are all `invalid_grant`); ours say "wrong tx_code (N attempts left)", "already
/// used", "expired", "too many wrong tx_code attempts".
fn token_refusal(body: &[u8], pin: bool) -> TokenRefusal {
    let code = error_code(body);
    let description = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error_description")?
                .as_str()
                .map(str::to_ascii_lowercase)
        })
        .unwrap_or_default();
    let remaining = || {
        let words: Vec<&str> = description
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        words.windows(2).find_map(|w| match w {
            [n, "attempts" | "attempt" | "tries" | "try"] => n.parse().ok(),
            _ => None,
        })
    };
    match code.as_deref() {
        Some("invalid_tx_code") => TokenRefusal::WrongPin {
            remaining: remaining(),
        },
        Some("invalid_grant") => {
            if description.contains("too many") || description.contains("locked") {
                TokenRefusal::Locked
            } else if description.contains("already used") || description.contains("redeemed") {
                TokenRefusal::AlreadyCollected
            } else if description.contains("expired") {
                TokenRefusal::Expired
            } else if description.contains("tx_code") || description.contains("pin") {
                TokenRefusal::WrongPin {
                    remaining: remaining(),
                }
            } else {
                TokenRefusal::Refused { pin }
            }
        }
        _ => TokenRefusal::Other,
    }
}

impl TokenRefusal {
    fn into_error(self, status: StatusCode, body: &[u8]) -> anyhow::Error {
        let detail = describe_error(body);
        match self {
            Self::WrongPin { remaining: Some(0) } | Self::Locked => anyhow!(
                "This offer is locked after too many wrong PINs. Ask the institution for a new offer. ({detail})"
            ),
            Self::WrongPin { remaining: Some(1) } => {
                anyhow!("wrong PIN: 1 try left before the offer is locked ({detail})")
            }
            Self::WrongPin { remaining: Some(n) } => {
                anyhow!("wrong PIN: {n} tries left before the offer is locked ({detail})")
            }
            Self::WrongPin { remaining: None } => anyhow!("wrong PIN ({detail})"),
            Self::AlreadyCollected => anyhow!(
                "This badge has already been collected: the offer can be used once. ({detail})"
            ),
            Self::Expired => {
                anyhow!("This offer has expired. Ask the institution for a new offer. ({detail})")
            }
            Self::Refused { pin: true } => anyhow!(
                "the issuer refused the claim: wrong PIN, or the offer has expired or was already used ({detail})"
            ),
            Self::Refused { pin: false } => anyhow!(
                "the issuer refused the claim: the offer has expired or was already used ({detail})"
            ),
            Self::Other => anyhow!("the token request failed ({status}): {detail}"),
        }
    }
}

/// Issuer-supplied text for the terminal: no control characters, at most `max` characters.
fn printable(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// A credential format in words people use.
fn format_words(format: &str) -> String {
    match format {
        "ldp_vc" => "a signed JSON-LD credential (ldp_vc)".to_owned(),
        "jwt_vc_json" => "a signed JWT (jwt_vc_json)".to_owned(),
        other => other.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_refusals_of_the_agent_read_as_the_claim_page_says() {
        let body = |d: &str| {
            serde_json::json!({"error": "invalid_grant", "error_description": d}).to_string()
        };
        assert_eq!(
            token_refusal(body("wrong tx_code (3 attempts left)").as_bytes(), true),
            TokenRefusal::WrongPin { remaining: Some(3) }
        );
        assert_eq!(
            token_refusal(
                body("too many wrong tx_code attempts; the offer is no longer valid").as_bytes(),
                true
            ),
            TokenRefusal::Locked
        );
        assert_eq!(
            token_refusal(body("pre-authorized code already used").as_bytes(), true),
            TokenRefusal::AlreadyCollected
        );
        assert_eq!(
            token_refusal(body("pre-authorized code expired").as_bytes(), false),
            TokenRefusal::Expired
        );
        assert_eq!(
            token_refusal(body("unknown pre-authorized code").as_bytes(), true),
            TokenRefusal::Refused { pin: true }
        );
    }
}
