//! `rosette-wallet verify FILE...`

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use rosette_core::SystemClock;
use rosette_proof::{Canonicalizer, Outcome, Verdict, Verifier};
use rosette_wallet_core::{BadgeId, Revocation, StatusCheck};
use serde::Serialize;

use crate::cli::VerifyArgs;

/// Credential files (or baked images) larger than this are refused before parsing.
const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

#[derive(Serialize)]
struct FileReport<'a> {
    file: String,
    valid: bool,
    #[serde(flatten)]
    verdict: &'a Verdict,
}

/// Why the wallet does not accept `verdict` as verified: every failed check, and an issuer-key
/// warning too (a JWS signed by a key from its own `jwk` header proves nothing about the issuer,
/// so a badge with it is not stored as verified). Empty: verified.
pub(crate) fn problems(verdict: &Verdict) -> Vec<String> {
    verdict
        .checks
        .iter()
        .filter(|c| {
            c.outcome == Outcome::Failed
                || (c.outcome == Outcome::Warning && c.name == rosette_proof::CheckName::IssuerKey)
        })
        .map(|c| format!("{}: {}", c.name.label(), super::with_http_hint(&c.detail)))
        .collect()
}

/// The status-list result of `verdict`, to remember: `None` when the list was not read (no
/// status list, or it could not be fetched), so an earlier answer is kept.
pub(crate) fn status_check_of(
    verdict: &Verdict,
    now: rosette_core::Timestamp,
) -> Option<StatusCheck> {
    let check = verdict
        .checks
        .iter()
        .find(|c| c.name == rosette_proof::CheckName::Status)?;
    let result = match (check.outcome, check.detail.as_str()) {
        (Outcome::Passed, _) => Revocation::Active,
        (Outcome::Failed, "revoked") => Revocation::Revoked,
        (Outcome::Failed, "suspended") => Revocation::Suspended,
        _ => return None,
    };
    Some(StatusCheck {
        result,
        checked_at: now.to_rfc3339(),
    })
}

/// Why the status of `verdict` could not be read, if it could not (with the way out when the
/// list is on plain http).
pub(crate) fn status_unknown_reason(verdict: &Verdict) -> Option<String> {
    verdict
        .checks
        .iter()
        .find(|c| c.name == rosette_proof::CheckName::Status && c.outcome == Outcome::Warning)
        .map(|c| super::with_http_hint(c.detail.trim_start_matches("status unknown: ")))
}

/// A verifier with the standard DID resolvers and status lists fetched over https (plain http
/// on loopback too with the development switch).
pub(crate) fn make_verifier(net: super::Net) -> Result<Verifier> {
    let options = rosette_did::did_web::DidWebOptions {
        allow_http: net.allow_http,
        ..Default::default()
    };
    let resolver = rosette_proof::standard_resolver(options, Arc::new(SystemClock))?;
    let status = rosette_proof::HttpStatusSource::new(net.allow_http)?;
    Ok(Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(resolver),
        Arc::new(SystemClock),
    )
    .with_status_source(Arc::new(status)))
}

/// A single-threaded runtime for one command's network work.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

pub(crate) fn run(dir: &Path, args: &VerifyArgs, net: super::Net, json: bool) -> Result<ExitCode> {
    let verifier = make_verifier(net)?;
    // Existing files are files; anything else is a badge id, which needs the wallet.
    let mut sources: Vec<(String, Result<String, String>)> = Vec::new();
    // The stored badge behind each source, if it is one: its status check is remembered.
    let mut stored: Vec<Option<BadgeId>> = Vec::new();
    let needs_wallet = args.items.is_empty() || args.items.iter().any(|i| !Path::new(i).is_file());
    let mut wallet = if needs_wallet {
        Some(super::open_wallet(dir)?)
    } else {
        None
    };
    if args.items.is_empty()
        && let Some(wallet) = &wallet
    {
        for (id, _) in wallet.list()? {
            let text = wallet
                .get(&id)
                .map(|b| b.credential)
                .map_err(|e| e.to_string());
            sources.push((id.to_string(), text));
            stored.push(Some(id));
        }
    }
    for item in &args.items {
        let path = Path::new(item);
        if path.is_file() {
            sources.push((item.clone(), read_text(path)));
            stored.push(None);
        } else if let Some(wallet) = &wallet {
            let id = wallet.resolve(item).ok();
            let text = match &id {
                Some(id) => wallet
                    .get(id)
                    .map(|b| b.credential)
                    .map_err(|e| e.to_string()),
                None => wallet
                    .resolve(item)
                    .map(|_| String::new())
                    .map_err(|e| e.to_string()),
            };
            sources.push((item.clone(), text));
            stored.push(id);
        }
    }
    let runtime = runtime()?;
    let verdicts: Vec<Verdict> = runtime.block_on(async {
        let mut out = Vec::with_capacity(sources.len());
        for (name, text) in &sources {
            out.push(verify_source(&verifier, name, text.clone()).await);
        }
        out
    });
    let checked_at = super::now();
    let checks: Vec<(BadgeId, StatusCheck)> = stored
        .iter()
        .zip(&verdicts)
        .filter_map(|(id, v)| Some((id.clone()?, status_check_of(v, checked_at)?)))
        .collect();
    if let Some(wallet) = wallet.as_mut() {
        wallet.record_status_checks(&checks, &mut rand::rngs::OsRng)?;
    }
    let all_valid = verdicts.iter().all(|v| problems(v).is_empty());
    if json {
        let reports: Vec<FileReport<'_>> = sources
            .iter()
            .zip(&verdicts)
            .map(|((name, _), verdict)| FileReport {
                file: name.clone(),
                valid: problems(verdict).is_empty(),
                verdict,
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&reports)?;
        text.push('\n');
        crate::output::write_stdout(&text)?;
    } else {
        let mut text = String::new();
        if sources.is_empty() {
            text.push_str("no badges to verify\n");
        }
        for ((name, _), verdict) in sources.iter().zip(&verdicts) {
            render_human(&mut text, Path::new(name), verdict);
        }
        crate::output::write_stdout(&text)?;
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Reads a credential file as text (a baked PNG/SVG gives its embedded credential), refusing
/// huge files and other binaries.
pub(crate) fn read_text(file: &Path) -> Result<String, String> {
    match std::fs::metadata(file) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => {
            Err(format!("larger than {MAX_FILE_BYTES} bytes"))
        }
        Ok(_) => std::fs::read(file).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
    .and_then(|bytes| {
        rosette_wallet_core::read_import(&bytes)
            .map(|c| c.text)
            .map_err(|e| e.to_string())
    })
}

/// Verifies `text`, or reports why it could not be read.
pub(crate) async fn verify_source(
    verifier: &Verifier,
    name: &str,
    text: Result<String, String>,
) -> Verdict {
    match text {
        Ok(text) => verifier.verify_text(&text).await,
        Err(reason) => {
            let mut verdict = Verdict::default();
            verdict.checks.push(rosette_proof::Check {
                name: rosette_proof::CheckName::Format,
                outcome: Outcome::Failed,
                detail: format!("cannot read {name}: {reason}"),
            });
            verdict
        }
    }
}

fn render_human(out: &mut String, file: &Path, verdict: &Verdict) {
    use std::fmt::Write;
    let headline = if !verdict.is_valid() {
        "INVALID"
    } else if problems(verdict).is_empty() {
        "VALID  "
    } else {
        "UNTRUSTED"
    };
    let what = verdict
        .achievement
        .as_deref()
        .map(|a| format!(" \u{201c}{a}\u{201d}"))
        .unwrap_or_default();
    let by = match (&verdict.issuer_name, &verdict.issuer) {
        (Some(name), Some(id)) => format!(" issued by {name} ({id})"),
        (None, Some(id)) => format!(" issued by {id}"),
        _ => String::new(),
    };
    let _ = writeln!(out, "{headline} {}{what}{by}", file.display());
    for check in &verdict.checks {
        let mark = match check.outcome {
            Outcome::Passed => "ok  ",
            Outcome::Warning => "warn",
            Outcome::Failed => "FAIL",
            Outcome::Skipped => "skip",
        };
        let _ = writeln!(
            out,
            "  {mark} {:<16} {}",
            check.name.label(),
            super::with_http_hint(&check.detail)
        );
    }
}
