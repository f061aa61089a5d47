//! `rosette-wallet verify FILE...`

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Result;
use rosette_core::SystemClock;
use rosette_proof::{Canonicalizer, Outcome, Verdict, Verifier};
use serde::Serialize;

use crate::cli::VerifyArgs;

/// Credential files larger than this are refused before parsing.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Serialize)]
struct FileReport<'a> {
    file: String,
    valid: bool,
    #[serde(flatten)]
    verdict: &'a Verdict,
}

pub(crate) fn run(args: &VerifyArgs) -> Result<ExitCode> {
    let options = rosette_did::did_web::DidWebOptions {
        allow_http: args.allow_http_did_web,
        ..Default::default()
    };
    let resolver = rosette_proof::standard_resolver(options, Arc::new(SystemClock))?;
    let verifier = Verifier::new(
        Canonicalizer::bundled(),
        Arc::new(resolver),
        Arc::new(SystemClock),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let verdicts: Vec<Verdict> = runtime.block_on(async {
        let mut out = Vec::with_capacity(args.files.len());
        for file in &args.files {
            out.push(verify_file(&verifier, file).await);
        }
        out
    });
    let all_valid = verdicts.iter().all(Verdict::is_valid);
    if args.json {
        let reports: Vec<FileReport<'_>> = args
            .files
            .iter()
            .zip(&verdicts)
            .map(|(file, verdict)| FileReport {
                file: file.display().to_string(),
                valid: verdict.is_valid(),
                verdict,
            })
            .collect();
        let mut text = serde_json::to_string_pretty(&reports)?;
        text.push('\n');
        crate::output::write_stdout(&text)?;
    } else {
        let mut text = String::new();
        for (file, verdict) in args.files.iter().zip(&verdicts) {
            render_human(&mut text, file, verdict);
        }
        crate::output::write_stdout(&text)?;
    }
    Ok(if all_valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn verify_file(verifier: &Verifier, file: &Path) -> Verdict {
    let text = match std::fs::metadata(file) {
        Ok(meta) if meta.len() > MAX_FILE_BYTES => {
            Err(format!("larger than {MAX_FILE_BYTES} bytes"))
        }
        Ok(_) => std::fs::read(file).map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    }
    .and_then(|bytes| {
        String::from_utf8(bytes)
            .map_err(|_| "not UTF-8 text (baked images come with the wallet's import)".to_owned())
    });
    match text {
        Ok(text) => verifier.verify_text(&text).await,
        Err(reason) => {
            let mut verdict = Verdict::default();
            verdict.checks.push(rosette_proof::Check {
                name: rosette_proof::CheckName::Format,
                outcome: Outcome::Failed,
                detail: format!("cannot read {}: {reason}", file.display()),
            });
            verdict
        }
    }
}

fn render_human(out: &mut String, file: &Path, verdict: &Verdict) {
    use std::fmt::Write;
    let headline = if verdict.is_valid() {
        "VALID  "
    } else {
        "INVALID"
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
        let _ = writeln!(out, "  {mark} {:<16} {}", check.name.label(), check.detail);
    }
}
