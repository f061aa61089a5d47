//! `rosette-agent import-offers`: uploads a CSV to a running agent as a bulk job
//! (`POST /issuers/{slug}/admin/offers/bulk-jobs`), follows its progress with a progress bar on
//! stderr (hidden when stderr is not a terminal; one final line then), and prints the report.

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use indicatif::{ProgressBar, ProgressStyle};
use rosette_core::SecretString;
use serde_json::Value;

use super::cli::ImportArgs;

/// How often the job's progress is asked for.
const POLL_EVERY: Duration = Duration::from_millis(200);
/// Exit code when some rows were refused.
const SOME_ROWS_REFUSED: u8 = 2;

/// Why the import could not run or finish (the rows' own refusals are not errors).
#[derive(Debug, thiserror::Error)]
enum ImportError {
    #[error("no admin token: set ROSETTE_ADMIN_TOKEN or pass --token-file FILE")]
    NoToken,
    #[error("cannot read the token file {path}: {source}")]
    TokenFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is not a valid URL (expected e.g. http://127.0.0.1:8080)")]
    BadUrl(String),
    #[error(
        "cannot connect to the agent at {0} (connection refused): is it running, and is the URL right?"
    )]
    ConnectionRefused(String),
    #[error("cannot reach the agent at {url}: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("the admin token was refused (401): check ROSETTE_ADMIN_TOKEN or --token-file")]
    Unauthorized,
    #[error("this admin token may not act on institution {0:?} (403)")]
    Forbidden(String),
    #[error("not found (404): {0}")]
    NotFound(String),
    #[error("the agent refused the file: {0}")]
    Refused(String),
    #[error("the agent answered {status}: {description}")]
    Server { status: u16, description: String },
    #[error("the agent's answer is not the expected JSON: {0}")]
    BadAnswer(String),
    #[error("the import stopped early: {0}")]
    JobFailed(String),
}

pub(crate) fn run(args: &ImportArgs) -> Result<ExitCode> {
    let token = token(args.token_file.as_deref())?;
    let csv = std::fs::read(&args.file).map_err(|source| ImportError::ReadFile {
        path: args.file.clone(),
        source,
    })?;
    let base = args.url.trim_end_matches('/').to_owned();
    url::Url::parse(&base).map_err(|_| ImportError::BadUrl(args.url.clone()))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let report = runtime.block_on(import(&base, &args.institution, &token, csv))?;
    let errors = report["errors"].as_array().cloned().unwrap_or_default();
    if args.json {
        println!("{report}");
    } else {
        println!(
            "created {} offers from {} rows",
            report["created_count"], report["total_rows"]
        );
        for e in &errors {
            println!(
                "line {}: {}",
                e["line"],
                e["message"].as_str().unwrap_or_default()
            );
        }
    }
    Ok(if errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(SOME_ROWS_REFUSED)
    })
}

fn token(file: Option<&Path>) -> Result<SecretString, ImportError> {
    let raw = match file {
        Some(path) => std::fs::read_to_string(path).map_err(|source| ImportError::TokenFile {
            path: path.to_owned(),
            source,
        })?,
        None => std::env::var("ROSETTE_ADMIN_TOKEN").map_err(|_| ImportError::NoToken)?,
    };
    let token = SecretString::new(raw.trim());
    if token.expose_secret().is_empty() {
        return Err(ImportError::NoToken);
    }
    Ok(token)
}

async fn import(
    base: &str,
    slug: &str,
    token: &SecretString,
    csv: Vec<u8>,
) -> Result<Value, ImportError> {
    let http = reqwest::Client::new();
    let jobs = format!("{base}/issuers/{slug}/admin/offers/bulk-jobs");
    let started = send(
        base,
        slug,
        http.post(&jobs)
            .bearer_auth(token.expose_secret())
            .header("content-type", "text/csv")
            .body(csv),
    )
    .await?;
    let id = started["job_id"]
        .as_str()
        .ok_or_else(|| ImportError::BadAnswer(started.to_string()))?
        .to_owned();
    let total = started["total_rows"].as_u64().unwrap_or(0);
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(total)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {msg}  [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress_url = format!("{jobs}/{id}");
    let report = loop {
        let progress = send(
            base,
            slug,
            http.get(&progress_url).bearer_auth(token.expose_secret()),
        )
        .await?;
        bar.set_position(progress["processed"].as_u64().unwrap_or(0));
        let refused = progress["errors"].as_array().map_or(0, Vec::len);
        bar.set_message(format!("{refused} refused"));
        if progress["done"] == true {
            break progress;
        }
        tokio::time::sleep(POLL_EVERY).await;
    };
    bar.finish_and_clear();
    eprintln!(
        "import {}: {} of {} rows processed, {} offers created, {} rows refused",
        report["state"].as_str().unwrap_or("finished"),
        report["processed"],
        report["total_rows"],
        report["created_count"],
        report["errors"].as_array().map_or(0, Vec::len)
    );
    if report["state"] == "failed" {
        return Err(ImportError::JobFailed(
            report["failure"].as_str().unwrap_or("unknown").to_owned(),
        ));
    }
    Ok(report)
}

/// Sends a request and maps the agent's answer (or its absence) to a clear error.
async fn send(
    base: &str,
    slug: &str,
    request: reqwest::RequestBuilder,
) -> Result<Value, ImportError> {
    let response = request.send().await.map_err(|source| {
        if source.is_connect() {
            ImportError::ConnectionRefused(base.to_owned())
        } else {
            ImportError::Unreachable {
                url: base.to_owned(),
                source,
            }
        }
    })?;
    let status = response.status().as_u16();
    let body: Value = response
        .json()
        .await
        .map_err(|e| ImportError::BadAnswer(format!("status {status}: {e}")))?;
    let description = body["error_description"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    match status {
        200..=299 => Ok(body),
        401 => Err(ImportError::Unauthorized),
        403 => Err(ImportError::Forbidden(slug.to_owned())),
        404 => Err(ImportError::NotFound(if description.is_empty() {
            format!("is {slug:?} an institution of this agent?")
        } else {
            description
        })),
        400 | 413 => Err(ImportError::Refused(description)),
        _ => Err(ImportError::Server {
            status,
            description,
        }),
    }
}
