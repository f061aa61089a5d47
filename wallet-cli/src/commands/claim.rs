//! `rosette-wallet claim OFFER`: the OpenID4VCI 1.0 Pre-Authorized Code Flow, wallet side.
//!
//! offer → issuer metadata → AS metadata → token (with the PIN) → nonce → one credential
//! request per offered configuration, each with a key proof of the holder key → verify every
//! credential → store them all in one write. Any failure stores nothing.

use std::io::{BufRead as _, Write as _};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use rosette_oid4vci::{
    AuthorizationServerMetadata, CredentialIssuerMetadata, CredentialOffer, CredentialRequest,
    CredentialResponse, OfferLocation, OfferParseOptions, TokenResponse, TxCodeSpec,
    parse_offer_json_with, parse_offer_url_with,
};
use rosette_wallet_core::{StoredBadge, key_proof_jwt, summarize};
use serde_json::Value;

use super::{now, open_wallet};
use crate::cli::ClaimArgs;

/// QR code images larger than this are refused before decoding (a phone photo is a few MB).
const MAX_QR_IMAGE: u64 = 32 * 1024 * 1024;

/// Responses larger than this are refused.
const MAX_RESPONSE: usize = 4 * 1024 * 1024;

pub(crate) fn run(dir: &Path, args: &ClaimArgs, json: bool) -> Result<ExitCode> {
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
    let options = if args.allow_http {
        OfferParseOptions::danger_allow_http_loopback()
    } else {
        OfferParseOptions::default()
    };
    // Unlock first: a wrong passphrase should not consume the single-use offer.
    let mut wallet = open_wallet(dir)?;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()?;
    let runtime = super::verify::runtime()?;
    let verifier = super::verify::make_verifier(args.allow_http)?;
    let badges = runtime.block_on(async {
        let http = Http {
            client: &client,
            allow_http: args.allow_http,
        };
        let offer = match parse_offer_url_with(&offer_text, options)
            .map_err(|e| anyhow!("not a credential offer: {e}"))?
        {
            OfferLocation::ByValue(offer) => *offer,
            OfferLocation::ByReference(uri) => {
                let body = http.get(&uri).await.context("cannot fetch the offer")?;
                parse_offer_json_with(&body, options)
                    .map_err(|e| anyhow!("the issuer sent an invalid offer: {e}"))?
            }
            _ => bail!("unsupported offer location"),
        };
        claim(&http, &offer, &wallet, args, json, &verifier).await
    })?;
    // A re-issued badge (same id and issuer, later validFrom) replaces the stored copy.
    let placed = wallet.add_newest(&badges, &mut rand::rngs::OsRng)?;
    super::store::report_stored(&placed, &badges, json)?;
    Ok(ExitCode::SUCCESS)
}

struct Http<'a> {
    client: &'a reqwest::Client,
    allow_http: bool,
}

impl Http<'_> {
    fn check_url(&self, url: &str) -> Result<()> {
        let parsed = url::Url::parse(url).map_err(|_| anyhow!("invalid URL {url}"))?;
        let loopback = matches!(parsed.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
        if parsed.scheme() == "https" || (self.allow_http && parsed.scheme() == "http" && loopback)
        {
            Ok(())
        } else {
            bail!("refusing non-https URL {url}")
        }
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>> {
        self.check_url(url)?;
        let response = self
            .client
            .get(url)
            .header("accept", "application/json")
            .send()
            .await
            .map_err(|e| unreachable_issuer(url, &e))?;
        let status = response.status();
        let body = read_body(response).await?;
        if !status.is_success() {
            bail!("{url} answered {status}: {}", describe_error(&body));
        }
        Ok(body)
    }

    async fn post(
        &self,
        url: &str,
        body: RequestBody,
        bearer: Option<&str>,
    ) -> Result<(reqwest::StatusCode, Vec<u8>)> {
        self.check_url(url)?;
        let mut request = self.client.post(url).header("accept", "application/json");
        request = match body {
            RequestBody::Form(pairs) => request
                .header("content-type", "application/x-www-form-urlencoded")
                .body(
                    url::form_urlencoded::Serializer::new(String::new())
                        .extend_pairs(pairs)
                        .finish(),
                ),
            RequestBody::Json(value) => request
                .header("content-type", "application/json")
                .body(value.to_string()),
            RequestBody::Empty => request,
        };
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request
            .send()
            .await
            .map_err(|e| unreachable_issuer(url, &e))?;
        let status = response.status();
        Ok((status, read_body(response).await?))
    }
}

enum RequestBody {
    Form(Vec<(&'static str, String)>),
    Json(Value),
    Empty,
}

fn unreachable_issuer(url: &str, e: &reqwest::Error) -> anyhow::Error {
    anyhow!("the issuer is unreachable ({url}): {e}")
}

async fn read_body(response: reqwest::Response) -> Result<Vec<u8>> {
    if response
        .content_length()
        .is_some_and(|l| l > MAX_RESPONSE as u64)
    {
        bail!("response too large");
    }
    let bytes = response.bytes().await?;
    if bytes.len() > MAX_RESPONSE {
        bail!("response too large");
    }
    Ok(bytes.to_vec())
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
    let badge_names: Vec<String> = offer
        .credential_configuration_ids
        .iter()
        .map(|id| {
            let config = metadata.credential_configurations_supported.get(id);
            let name = config
                .and_then(|c| {
                    c.credential_metadata
                        .as_ref()
                        .and_then(|m| m.display.as_ref())
                        .or(c.display.as_ref())
                })
                .and_then(|d| d.first())
                .map(|d| d.name.clone())
                .unwrap_or_else(|| id.clone());
            let format = config.map(|c| c.format.to_string()).unwrap_or_default();
            format!("{name} ({format})")
        })
        .collect();
    if !json {
        eprintln!("Offer from {issuer_name} ({issuer}):");
        for name in &badge_names {
            eprintln!("  - {name}");
        }
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
    let mut form = vec![
        (
            "grant_type",
            rosette_oid4vci::PRE_AUTHORIZED_CODE_GRANT.to_owned(),
        ),
        ("pre-authorized_code", grant.pre_authorized_code.clone()),
    ];
    if let Some(spec) = &grant.tx_code {
        let pin = match &args.tx_code {
            Some(pin) => pin.clone(),
            None => prompt_tx_code(spec)?,
        };
        check_tx_code(spec, &pin)?;
        form.push(("tx_code", pin));
    }
    let (status, body) = http
        .post(&token_endpoint, RequestBody::Form(form), None)
        .await?;
    if !status.is_success() {
        return Err(match error_code(&body).as_deref() {
            Some("invalid_grant") if grant.tx_code.is_some() => anyhow!(
                "the issuer refused the claim: wrong PIN, or the offer has expired or was already used ({})",
                describe_error(&body)
            ),
            Some("invalid_grant") => anyhow!(
                "the issuer refused the claim: the offer has expired or was already used ({})",
                describe_error(&body)
            ),
            Some("invalid_tx_code") => anyhow!("wrong PIN ({})", describe_error(&body)),
            _ => anyhow!(
                "the token request failed ({status}): {}",
                describe_error(&body)
            ),
        });
    }
    let token: TokenResponse =
        serde_json::from_slice(&body).context("the token response is invalid")?;

    // Nonce: the 1.0 nonce endpoint, else a draft-style c_nonce from the token response.
    let mut c_nonce = match &metadata.nonce_endpoint {
        Some(url) => Some(fetch_nonce(http, url).await?),
        None => token.c_nonce.clone(),
    };

    let holder = wallet.holder_key();
    let mut badges = Vec::new();
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
            let summary = summarize(&text)?;
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

/// Asks the PIN on the terminal (not stdin, which scripts may use), until it fits the spec.
fn prompt_tx_code(spec: &TxCodeSpec) -> Result<String> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("this offer needs a PIN: pass --tx-code, or run on a terminal")?;
    let mut reader = std::io::BufReader::new(tty.try_clone()?);
    let mut writer = tty;
    if let Some(d) = &spec.description {
        writeln!(writer, "{}", d.chars().take(300).collect::<String>())?;
    }
    let kind = if is_numeric(spec) {
        "digits"
    } else {
        "characters"
    };
    for _ in 0..3 {
        match spec.length {
            Some(n) => write!(writer, "PIN ({n} {kind}): ")?,
            None => write!(writer, "PIN: ")?,
        }
        writer.flush()?;
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            bail!("no PIN entered");
        }
        let pin = line.trim().to_owned();
        match check_tx_code(spec, &pin) {
            Ok(()) => return Ok(pin),
            Err(e) => writeln!(writer, "{e}")?,
        }
    }
    bail!("no valid PIN entered")
}
