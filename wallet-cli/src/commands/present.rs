//! `rosette-wallet present REQUEST`: answer an OpenID4VP 1.0 request (cross-device,
//! `direct_post`) with stored badges.
//!
//! request URL or QR → (fetch and verify the signed Request Object) → validate (§5) → match
//! the DCQL query against the stored badges (§6) → show who asks and what would be shared →
//! consent → one presentation per badge, bound to the verifier (§14.1) → POST `vp_token` and
//! `state` to `response_uri` (§8.2). Without a match nothing is sent.

use std::io::{BufRead as _, Write as _};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use reqwest::StatusCode;
use rosette_core::SystemClock;
use rosette_dcql::{DcqlQuery, evaluate};
use rosette_net::Request;
use rosette_oid4vp::{
    AuthorizationRequest, ClientId, ClientIdPrefix, MAX_REQUEST_LEN, REQUEST_OBJECT_MEDIA_TYPE,
    RequestReference, RequestUriMethod, RequestUrlOptions, direct_post_form,
    parse_request_url_with, validate_request, verify_request_object_at,
};
use rosette_proof::presentation::Binding;
use rosette_wallet_core::{BadgeId, StoredBadge, Wallet, build_vp_token, dcql_candidate};
use serde_json::{Value, json};

use super::http::{Answer, Peer, WalletHttp};
use super::{now, open_wallet, print_json};
use crate::cli::PresentArgs;

/// Verifier answers larger than this are refused.
const MAX_ANSWER: usize = 64 * 1024;

pub(crate) fn run(dir: &Path, args: &PresentArgs, net: super::Net, json: bool) -> Result<ExitCode> {
    let text = request_text(args)?;
    let options = if net.allow_http {
        RequestUrlOptions::danger_allow_http_loopback()
    } else {
        RequestUrlOptions::default()
    };
    let reference = parse_request_url_with(&text, &options).map_err(|e| {
        anyhow!(
            "not an OpenID4VP request: {}",
            super::with_http_hint(&e.to_string())
        )
    })?;
    let wallet = open_wallet(dir)?;
    let client = WalletHttp::new(net)?;
    let http = Http {
        client: &client,
        net,
    };
    let runtime = super::verify::runtime()?;
    runtime.block_on(present(&http, reference, &wallet, args, json))
}

/// The request URL: the argument, or the first QR code in the image that holds one.
fn request_text(args: &PresentArgs) -> Result<String> {
    match (&args.request, &args.qr) {
        (_, Some(image)) => {
            let bytes =
                std::fs::read(image).with_context(|| format!("cannot read {}", image.display()))?;
            let texts = rosette_qr::decode_image(&bytes)
                .map_err(|e| anyhow!("no request in {}: {e}", image.display()))?;
            texts
                .iter()
                .find(|t| {
                    parse_request_url_with(t, &RequestUrlOptions::danger_allow_http_loopback())
                        .is_ok()
                })
                .or(texts.first())
                .cloned()
                .ok_or_else(|| anyhow!("no QR code found in {}", image.display()))
        }
        (Some(text), None) => Ok(text.clone()),
        (None, None) => bail!("give a request URL or --qr IMAGE"),
    }
}

/// A resolved request and how far the wallet could authenticate the verifier.
struct Resolved {
    request: AuthorizationRequest,
    /// `Some(did)` when the Request Object's signature was verified with a key of that DID.
    signed_by: Option<String>,
}

async fn resolve(http: &Http<'_>, reference: RequestReference) -> Result<Resolved> {
    let resolver = rosette_proof::standard_resolver(
        rosette_did::did_web::DidWebOptions {
            allow_http: http.net.allow_http,
            ..Default::default()
        },
        Arc::new(SystemClock),
    )?;
    let verify = |jwt: String, client_id: ClientId| {
        let resolver = &resolver;
        async move {
            let request = verify_request_object_at(&jwt, &client_id, resolver, now())
                .await
                .map_err(|e| anyhow!("the signed request is not acceptable: {e}"))?;
            Ok::<_, anyhow::Error>(Resolved {
                signed_by: Some(request.client_id.identifier().to_owned()),
                request,
            })
        }
    };
    match reference {
        RequestReference::ByValue(request) => {
            // Only a redirect_uri: client may send an unsigned request (§5.9.3); any other
            // prefix must prove itself with a signature.
            if request.client_id.prefix() != ClientIdPrefix::RedirectUri {
                bail!(
                    "refusing an unsigned request from {}: only redirect_uri: verifiers may send unsigned requests",
                    request.client_id.as_str()
                );
            }
            Ok(Resolved {
                request: *request,
                signed_by: None,
            })
        }
        RequestReference::ByValueSigned { client_id, request } => verify(request, client_id).await,
        RequestReference::ByReference {
            client_id,
            request_uri,
            request_uri_method,
        } => {
            let body = match request_uri_method {
                RequestUriMethod::Post => {
                    // §5.10: say what we support; no wallet_nonce, so none is expected back.
                    let metadata = json!({
                        "vp_formats_supported": {
                            "ldp_vc": {"proof_type_values": ["DataIntegrityProof"],
                                       "cryptosuite_values": ["eddsa-rdfc-2022"]},
                            "jwt_vc_json": {"alg_values": ["EdDSA", "ES256"]}
                        },
                        "client_id_prefixes_supported": ["redirect_uri", "decentralized_identifier"]
                    });
                    let form = url::form_urlencoded::Serializer::new(String::new())
                        .append_pair("wallet_metadata", &metadata.to_string())
                        .finish();
                    http.fetch_request(request_uri.as_str(), Some(form)).await?
                }
                _ => http.fetch_request(request_uri.as_str(), None).await?,
            };
            let jwt =
                String::from_utf8(body).map_err(|_| anyhow!("the request object is not text"))?;
            verify(jwt.trim().to_owned(), client_id).await
        }
        _ => bail!("unsupported request form"),
    }
}

async fn present(
    http: &Http<'_>,
    reference: RequestReference,
    wallet: &Wallet,
    args: &PresentArgs,
    json: bool,
) -> Result<ExitCode> {
    let Resolved { request, signed_by } = resolve(http, reference).await?;
    validate_request(&request).map_err(|e| anyhow!("the request is not acceptable: {e}"))?;
    let query_json = request
        .dcql_query
        .as_ref()
        .ok_or_else(|| anyhow!("the request has no DCQL query"))?;
    let query = DcqlQuery::from_json(query_json)
        .map_err(|e| anyhow!("the request's DCQL query is malformed: {e}"))?;
    query
        .validate()
        .map_err(|e| anyhow!("the request's DCQL query is invalid: {e}"))?;
    let client_id = request.client_id.as_str().to_owned();
    let shown_client = printable(&client_id, 300);
    let nonce = request
        .nonce
        .as_ref()
        .map(|n| n.expose_secret().to_owned())
        .ok_or_else(|| anyhow!("the request has no nonce"))?;
    let response_uri = request
        .response_uri
        .clone()
        .ok_or_else(|| anyhow!("the request has no response_uri"))?;
    http.check_url(&response_uri)?;
    let verifier_name = request
        .client_metadata
        .as_ref()
        .and_then(|m| m.extra.get("client_name"))
        .and_then(Value::as_str)
        .map(|n| printable(n, 100));

    // Every stored badge that can be read becomes a candidate; unreadable ones are skipped.
    let holder_did = wallet.holder_key().did_key().to_string();
    let mut ids: Vec<BadgeId> = Vec::new();
    let mut badges: Vec<StoredBadge> = Vec::new();
    let mut candidates = Vec::new();
    let mut stored = Vec::new();
    for (id, _) in wallet.list()? {
        let badge = wallet.get(&id)?;
        stored.push((id, badge));
    }
    // When several badges match, the query takes the first: offer the ones the issuer's list
    // last said were revoked or suspended only after the others, and newer before older (a
    // re-issued badge before the one it replaced).
    stored.sort_by_key(|(_, badge)| {
        let known_bad = badge.summary.status_check.as_ref().is_some_and(|c| {
            matches!(
                c.result,
                rosette_wallet_core::Revocation::Revoked
                    | rosette_wallet_core::Revocation::Suspended
            )
        });
        (known_bad, std::cmp::Reverse(badge.summary.issued.clone()))
    });
    for (id, badge) in stored {
        if let Ok(mut candidate) = dcql_candidate(&badge, &holder_did) {
            // eddsa-rdfc-2022 presentations need an Ed25519 holder key: with another key an
            // ldp_vc badge cannot be presented with holder binding.
            if candidate.format == "ldp_vc"
                && wallet.holder_key().key_type() != rosette_did::KeyType::Ed25519
            {
                candidate.holder_binding = false;
            }
            ids.push(id);
            badges.push(badge);
            candidates.push(candidate);
        }
    }
    let evaluation = evaluate(&query, &candidates);

    let verifier = json!({
        "client_id": client_id,
        "name": verifier_name,
        "signed_by": signed_by,
        "response_uri": response_uri,
    });
    // People know a verifier by its name and web address; the client_id (often a DID) is
    // only a detail. The name is the verifier's own claim, so its address is always shown.
    let address = url::Url::parse(&response_uri)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(match u.port() {
                Some(port) => format!("{host}:{port}"),
                None => host,
            })
        })
        .unwrap_or_else(|| printable(&response_uri, 100));
    let proof = if signed_by.is_some() {
        "request signed by its key"
    } else {
        "unsigned request"
    };
    let who = match &verifier_name {
        Some(name) => format!("\u{201c}{name}\u{201d} at {address}"),
        None => format!("a verifier at {address} that gives no name"),
    };
    let who_detail = format!("{proof}; identifier {}", id_words(&shown_client));

    let Some(selection) = evaluation.selection() else {
        let unmatched: Vec<&str> = query
            .credentials
            .iter()
            .filter(|c| evaluation.matching(&c.id).is_empty())
            .map(|c| c.id.as_str())
            .collect();
        let wanted: Vec<String> = query_json
            .get("credentials")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter(|c| {
                        c.get("id")
                            .and_then(Value::as_str)
                            .is_some_and(|id| unmatched.contains(&id))
                    })
                    .map(describe_wanted)
                    .collect()
            })
            .unwrap_or_default();
        let message = format!(
            "no stored badge matches what {who} asks for ({}); nothing was sent",
            wanted.join("; or ")
        );
        if json {
            print_json(&json!({
                "shared": false,
                "reason": "no_match",
                "verifier": verifier,
                "unmatched": unmatched,
                "message": message,
            }))?;
        } else {
            eprintln!("{message}");
        }
        return Ok(ExitCode::from(3));
    };

    let shared: Vec<Value> = selection
        .iter()
        .flat_map(|(query_id, indices)| {
            let badges = &badges;
            let ids = &ids;
            indices.iter().filter_map(move |&i| {
                let badge = badges.get(i)?;
                Some(json!({
                    "query": query_id,
                    "id": ids.get(i).map(BadgeId::as_str),
                    "name": badge.summary.name,
                    "issuer": badge.summary.issuer_name.as_deref().unwrap_or(&badge.summary.issuer),
                    "format": badge.format.as_str(),
                }))
            })
        })
        .collect();
    if !json || !args.yes {
        eprintln!("{who} asks to see your badge:");
        for s in &shared {
            eprintln!(
                "  - \u{201c}{}\u{201d} issued by {}, as {}",
                printable(s["name"].as_str().unwrap_or_default(), 100),
                printable(s["issuer"].as_str().unwrap_or_default(), 100),
                format_words(s["format"].as_str().unwrap_or_default())
            );
        }
        eprintln!(
            "Sharing shows the badge as issued (with your name if it is in the badge) and proves this wallet holds it."
        );
        eprintln!(
            "Details: {who_detail}; answer sent to {}.",
            printable(&response_uri, 300)
        );
    }
    if !args.yes && !ask_consent()? {
        if json {
            print_json(&json!({"shared": false, "reason": "declined", "verifier": verifier}))?;
        } else {
            eprintln!("Not shared; nothing was sent.");
        }
        return Ok(ExitCode::from(4));
    }

    let binding = Binding {
        nonce,
        audience: client_id.clone(),
    };
    let vp_token = build_vp_token(
        wallet.holder_key(),
        &query,
        &selection,
        &badges,
        &binding,
        now(),
    )
    .map_err(|e| anyhow!("cannot build the presentation: {e}"))?;
    let state = request.state.as_ref().map(|s| s.expose_secret().to_owned());
    let form = direct_post_form(&vp_token, state.as_deref());
    let (status, body) = http.post_form(&response_uri, form).await?;
    let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let accepted = status.is_success();
    let redirect = answer
        .get("redirect_uri")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if json {
        print_json(&json!({
            "shared": true,
            "accepted": accepted,
            "verifier": verifier,
            "credentials": shared,
            "response": {"status": status.as_u16(), "body": answer},
            "redirect_uri": redirect,
        }))?;
    } else if accepted {
        println!("Shared {} badge(s) with {who}: accepted.", shared.len());
        if let Some(uri) = &redirect {
            println!("Continue at {uri}");
        }
    } else {
        eprintln!(
            "The verifier refused the presentation ({status}): {}",
            describe_error(&body)
        );
    }
    Ok(if accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A credential format in words people use.
fn format_words(format: &str) -> &str {
    match format {
        "ldp_vc" => "a signed JSON-LD credential",
        "jwt_vc_json" => "a signed JWT",
        other => other,
    }
}

/// A client_id without its prefix label: `decentralized_identifier:did:key:…` → `did:key:…`,
/// `redirect_uri:https://…` → `https://…`.
fn id_words(client_id: &str) -> String {
    for prefix in [
        "decentralized_identifier:",
        "redirect_uri:",
        "x509_san_dns:",
        "x509_hash:",
    ] {
        if let Some(rest) = client_id.strip_prefix(prefix) {
            return rest.to_owned();
        }
    }
    client_id.to_owned()
}

/// One DCQL credential query in words: "an Open Badge named “X” as a signed JWT".
fn describe_wanted(query: &Value) -> String {
    let named = query
        .get("claims")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| {
            c.get("path").and_then(Value::as_array).is_some_and(|p| {
                p.last().and_then(Value::as_str) == Some("name")
                    && p.iter().any(|s| s.as_str() == Some("achievement"))
            })
        })
        .and_then(|c| {
            c.get("values")?
                .as_array()?
                .first()?
                .as_str()
                .map(str::to_owned)
        });
    let format = query
        .get("format")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match named {
        Some(name) => format!(
            "an Open Badge named \u{201c}{}\u{201d}, as {}",
            printable(&name, 100),
            format_words(format)
        ),
        None => format!("an Open Badge, as {}", format_words(format)),
    }
}

/// Verifier-supplied text for the terminal: no control characters (escape sequences could
/// disguise who is asking), at most `max` characters.
fn printable(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

/// Asks on the terminal (not stdin, which scripts may use).
fn ask_consent() -> Result<bool> {
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .context("sharing needs your consent: pass --yes, or run on a terminal")?;
    let mut reader = std::io::BufReader::new(tty.try_clone()?);
    let mut writer = tty;
    write!(writer, "Share? [y/N] ")?;
    writer.flush()?;
    let mut line = String::new();
    reader.read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "Yes"))
}

struct Http<'a> {
    client: &'a WalletHttp,
    net: super::Net,
}

impl Http<'_> {
    /// https only; plain http on loopback with `--allow-http` (development).
    fn check_url(&self, url: &str) -> Result<()> {
        self.client.check_url(url)
    }

    /// GET (or POST `form`) the Request Object; redirects are refused (errata §14.8).
    async fn fetch_request(&self, url: &str, form: Option<String>) -> Result<Vec<u8>> {
        let request = match form {
            Some(body) => Request::post(
                url,
                REQUEST_OBJECT_MEDIA_TYPE,
                "application/x-www-form-urlencoded",
                body,
            ),
            None => Request::get(url, REQUEST_OBJECT_MEDIA_TYPE),
        };
        let Answer { status, body } = self
            .client
            .send(url, request, Peer::Verifier, MAX_REQUEST_LEN)
            .await?;
        if status.is_redirection() {
            bail!("the verifier redirected the request_uri ({status}); redirects are not followed");
        }
        if !status.is_success() {
            bail!("{url} answered {status}: {}", describe_error(&body));
        }
        Ok(body)
    }

    async fn post_form(&self, url: &str, form: String) -> Result<(StatusCode, Vec<u8>)> {
        let request = Request::post(
            url,
            "application/json",
            "application/x-www-form-urlencoded",
            form,
        );
        let Answer { status, body } = self
            .client
            .send(url, request, Peer::Verifier, MAX_ANSWER)
            .await?;
        if status.is_redirection() {
            bail!("the verifier redirected the response ({status}); redirects are not followed");
        }
        Ok((status, body))
    }
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
