//! `rosette-wallet share ID [--publish [--name NAME] | --withdraw]`.
//!
//! Without flags: the LinkedIn add-to-profile URL, and the public page URL once published.
//! `--publish` asks the issuing agent for a challenge (`<issuer>/public-badges/challenge`),
//! answers it with a presentation of the badge signed by the holder key and bound to the
//! nonce and the issuer's identifier (proof of holding), and posts it with the chosen display
//! name. `--withdraw` proves holding the same way; no withdraw secret is kept. The page URLs
//! are remembered in `public-pages.json` in the wallet directory (public information: the
//! pages are public).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use reqwest::StatusCode;
use rosette_net::Request;
use rosette_proof::Canonicalizer;
use rosette_proof::presentation::{Binding, PresentedCredential, sign_jwt_vp, sign_ldp_vp};
use rosette_wallet_core::{BadgeId, CredentialFormat, StoredBadge, Wallet};
use serde_json::{Value, json};

use super::http::{Answer, Peer, WalletHttp};
use super::{now, open_wallet, print_json};
use crate::cli::ShareArgs;

/// Agent answers larger than this are refused.
const MAX_ANSWER: usize = 64 * 1024;
const JSON: &str = "application/json";
/// The file that remembers published page URLs, by badge id.
const PAGES_FILE: &str = "public-pages.json";

pub(crate) fn run(dir: &Path, args: &ShareArgs, net: super::Net, json: bool) -> Result<ExitCode> {
    let wallet = open_wallet(dir)?;
    let id = wallet.resolve(&args.id)?;
    let badge = wallet.get(&id)?;
    if args.publish || args.withdraw {
        let runtime = super::verify::runtime()?;
        return runtime.block_on(publish_or_withdraw(&wallet, &id, &badge, args, net, json));
    }
    if args.name.is_some() {
        bail!("--name is for --publish");
    }
    links(dir, &id, &badge, json)
}

fn pages_path(dir: &Path) -> PathBuf {
    dir.join(PAGES_FILE)
}

fn read_pages(dir: &Path) -> Result<BTreeMap<String, String>> {
    match std::fs::read(pages_path(dir)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not valid JSON", pages_path(dir).display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", pages_path(dir).display())),
    }
}

fn write_pages(dir: &Path, pages: &BTreeMap<String, String>) -> Result<()> {
    let path = pages_path(dir);
    let tmp = dir.join(format!("{PAGES_FILE}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(pages)?)
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))
}

/// The LinkedIn URL and the public page (published here, or the issuer's https id).
fn links(dir: &Path, id: &BadgeId, badge: &StoredBadge, json: bool) -> Result<ExitCode> {
    let s = &badge.summary;
    let published = read_pages(dir)?.get(id.as_str()).cloned();
    // Without a published page, an https credential or achievement id is the public page.
    let public = published.clone().or_else(|| {
        [&s.credential_id, &s.achievement_id]
            .into_iter()
            .flatten()
            .find(|u| u.starts_with("https://"))
            .cloned()
    });
    let mut linkedin = url::Url::parse("https://www.linkedin.com/profile/add")?;
    {
        let mut q = linkedin.query_pairs_mut();
        q.append_pair("startTask", "CERTIFICATION_NAME");
        q.append_pair("name", &s.name);
        if let Some(org) = &s.issuer_name {
            q.append_pair("organizationName", org);
        }
        if let Some(date) = s.issued.as_deref().and_then(rosette_core::Timestamp::parse) {
            let text = date.to_rfc3339();
            if let (Some(y), Some(m)) = (text.get(0..4), text.get(5..7)) {
                q.append_pair("issueYear", y);
                q.append_pair("issueMonth", m.trim_start_matches('0'));
            }
        }
        // LinkedIn shows "Expires" only when told; a badge that expires must not look lasting.
        if let Some(date) = s
            .expires
            .as_deref()
            .and_then(rosette_core::Timestamp::parse)
        {
            let text = date.to_rfc3339();
            if let (Some(y), Some(m)) = (text.get(0..4), text.get(5..7)) {
                q.append_pair("expirationYear", y);
                q.append_pair("expirationMonth", m.trim_start_matches('0'));
            }
        }
        if let Some(p) = &public {
            q.append_pair("certUrl", p);
        }
        if let Some(cid) = &s.credential_id {
            q.append_pair("certId", cid);
        }
    }
    if json {
        print_json(&json!({
            "id": id.as_str(),
            "linkedin": linkedin.as_str(),
            "public_url": public,
            "published": published.is_some(),
        }))?;
    } else {
        let mut out = format!("LinkedIn: {linkedin}\n");
        match &public {
            Some(p) => out.push_str(&format!("Public:   {p}\n")),
            None => out.push_str(
                "Public:   (no public page yet; `rosette-wallet share ID --publish` creates one)\n",
            ),
        }
        crate::output::write_stdout(&out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The issuing agent's Credential Issuer Identifier, checked for https (or loopback http
/// with `--allow-http`).
fn issuer_base(badge: &StoredBadge, net: super::Net) -> Result<String> {
    let source = badge.source.trim_end_matches('/');
    if url::Url::parse(source).is_err() {
        bail!(
            "this badge was imported, not claimed: its issuing agent is unknown, so no page can be published"
        );
    }
    net.check_url(source)
        .with_context(|| format!("cannot reach the issuer {source}"))?;
    Ok(source.to_owned())
}

/// The answer's status and JSON body (`null` when it is not JSON).
fn read_answer(answer: Answer) -> (StatusCode, Value) {
    let value = serde_json::from_slice(&answer.body).unwrap_or(Value::Null);
    (answer.status, value)
}

fn describe(status: StatusCode, body: &Value) -> String {
    match (
        body.get("error").and_then(Value::as_str),
        body.get("error_description").and_then(Value::as_str),
    ) {
        (Some(code), Some(d)) => format!("{code}: {d}"),
        (Some(code), None) => code.to_owned(),
        _ => format!("HTTP {status}"),
    }
}

async fn publish_or_withdraw(
    wallet: &Wallet,
    id: &BadgeId,
    badge: &StoredBadge,
    args: &ShareArgs,
    net: super::Net,
    json: bool,
) -> Result<ExitCode> {
    let base = issuer_base(badge, net)?;
    let client = WalletHttp::new(net)?;
    let challenge_url = format!("{base}/public-badges/challenge");
    let (status, challenge) = read_answer(
        client
            .send(
                &challenge_url,
                Request::post_empty(&challenge_url, JSON),
                Peer::Issuer,
                MAX_ANSWER,
            )
            .await?,
    );
    if !status.is_success() {
        bail!(
            "the issuer does not offer public pages: {}",
            describe(status, &challenge)
        );
    }
    let nonce = challenge["nonce"]
        .as_str()
        .ok_or_else(|| anyhow!("the issuer's challenge has no nonce"))?;
    let audience = challenge["audience"]
        .as_str()
        .ok_or_else(|| anyhow!("the issuer's challenge has no audience"))?;
    if audience.trim_end_matches('/') != base {
        bail!("the challenge is for {audience}, not for the issuer {base}");
    }
    let binding = Binding {
        nonce: nonce.to_owned(),
        audience: audience.to_owned(),
    };
    let holder = wallet.holder_key();
    let did = holder.did_key().to_string();
    let kid = holder.did_key_verification_method().to_string();
    let presentation = match badge.format {
        CredentialFormat::LdpVc => {
            let doc: Value = serde_json::from_str(&badge.credential)
                .context("the stored badge is not valid JSON")?;
            sign_ldp_vp(
                &Canonicalizer::bundled(),
                &did,
                &kid,
                holder,
                &[PresentedCredential::Json(doc)],
                &binding,
                now(),
            )?
        }
        CredentialFormat::JwtVcJson => Value::String(sign_jwt_vp(
            &did,
            &kid,
            holder,
            &[PresentedCredential::Jwt(badge.credential.trim().to_owned())],
            &binding,
            now(),
        )?),
    };
    let mut body = json!({"nonce": nonce, "presentation": presentation});
    let endpoint = if args.publish {
        if let Some(name) = &args.name {
            body["display_name"] = json!(name);
        }
        format!("{base}/public-badges")
    } else {
        format!("{base}/public-badges/withdraw")
    };
    let request = Request::post(&endpoint, JSON, JSON, body.to_string());
    let (status, answer) = read_answer(
        client
            .send(&endpoint, request, Peer::Issuer, MAX_ANSWER)
            .await?,
    );
    if !status.is_success() {
        let what = if args.publish { "publish" } else { "withdraw" };
        bail!(
            "the issuer refused to {what}: {}",
            describe(status, &answer)
        );
    }
    let url = answer["url"]
        .as_str()
        .ok_or_else(|| anyhow!("the issuer's answer has no page URL"))?
        .to_owned();
    let dir = wallet.dir();
    let mut pages = read_pages(dir)?;
    if args.publish {
        pages.insert(id.as_str().to_owned(), url.clone());
    } else {
        pages.remove(id.as_str());
    }
    write_pages(dir, &pages)?;
    if json {
        if args.publish {
            print_json(
                &json!({"id": id.as_str(), "published": url, "display_name": answer["display_name"]}),
            )?;
        } else {
            print_json(&json!({"id": id.as_str(), "withdrawn": url}))?;
        }
    } else if args.publish {
        crate::output::write_stdout(&format!("Published: {url}\n"))?;
    } else {
        crate::output::write_stdout(&format!("Withdrawn: {url} (it now answers 404)\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}
