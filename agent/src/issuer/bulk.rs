//! Bulk issue jobs: a CSV upload (header `name,email,achievement_id[,pin]`, the format of
//! [`IssuerService::bulk_offers`]) becomes a job whose rows are processed one by one on the blocking
//! pool, each offer written atomically by [`IssuerService::create_offer`], while callers poll its
//! progress. Jobs live in memory, per institution: a job of one institution is "not found" to
//! every other. After a restart the jobs are gone but every offer they wrote is whole.
//! The routes (`POST|GET /issuers/{slug}/admin/offers/bulk-jobs[/{id}]`) are in
//! [`super::http`]; the synchronous `POST …/admin/offers/bulk` is [`IssuerService::bulk_offers`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use rosette_core::{SecretString, Timestamp};
use serde::Serialize;

use super::offers::{CreatedOffer, NewOffer, Recipient};
use super::service::IssuerService;
use crate::error::AdminError;

/// Jobs kept per institution; the oldest finished ones are forgotten first.
pub const MAX_JOBS_PER_INSTITUTION: usize = 10;
/// Jobs of one institution that may run at the same time.
pub const MAX_RUNNING_PER_INSTITUTION: usize = 2;
/// Data rows one upload may hold.
pub const MAX_ROWS: usize = 50_000;

/// Why a CSV upload could not become a job (nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The upload is not UTF-8 text.
    #[error("the CSV is not UTF-8 text")]
    NotUtf8,
    /// Nothing but blank lines.
    #[error("empty CSV: expected the header name,email,achievement_id[,pin]")]
    Empty,
    /// The first line is not the expected header.
    #[error("CSV header must be name,email,achievement_id[,pin], found {0:?}")]
    BadHeader(String),
    /// A header line and no data row.
    #[error("the CSV has a header but no rows")]
    NoRows,
    /// More rows than [`MAX_ROWS`].
    #[error("the CSV has {0} rows; at most {MAX_ROWS} per upload")]
    TooManyRows(usize),
    /// The institution already runs [`MAX_RUNNING_PER_INSTITUTION`] jobs.
    #[error("{MAX_RUNNING_PER_INSTITUTION} bulk jobs are already running; wait for one to finish")]
    Busy,
    /// There is no async runtime to run the job on (a programming error).
    #[error("no runtime to run the job on")]
    NoRuntime,
}

impl From<StartError> for AdminError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Busy => Self::Conflict(e.to_string()),
            StartError::NoRuntime => Self::Internal(e.to_string()),
            _ => Self::Invalid(e.to_string()),
        }
    }
}

/// One data row of an upload, parsed: its 1-based line and the offer it asks for, or why it
/// is refused before any write.
#[derive(Debug)]
pub struct CsvRow {
    /// 1-based line number in the upload.
    pub line: usize,
    /// The offer to create, or the reason the row is refused.
    pub offer: Result<NewOffer, String>,
}

/// Parses an upload: the header must be `name,email,achievement_id[,pin]` (case-insensitive,
/// a UTF-8 BOM is allowed); blank lines are skipped; every other line is one row.
pub fn parse_csv(text: &str) -> Result<Vec<CsvRow>, StartError> {
    let mut lines = text.lines().enumerate();
    let header = loop {
        match lines.next() {
            None => return Err(StartError::Empty),
            Some((_, l)) if l.trim().is_empty() => continue,
            Some((_, l)) => break l.trim_start_matches('\u{feff}'),
        }
    };
    let columns: Vec<String> = split_line(header)
        .map_err(|_| StartError::BadHeader(shorten(header)))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let with_pin = match columns.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["name", "email", "achievement_id"] => false,
        ["name", "email", "achievement_id", "pin"] => true,
        _ => return Err(StartError::BadHeader(shorten(header))),
    };
    let width = if with_pin { 4 } else { 3 };
    let rows: Vec<CsvRow> = lines
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(index, l)| CsvRow {
            line: index + 1,
            offer: parse_row(l, width),
        })
        .collect();
    match rows.len() {
        0 => Err(StartError::NoRows),
        n if n > MAX_ROWS => Err(StartError::TooManyRows(n)),
        _ => Ok(rows),
    }
}

fn shorten(text: &str) -> String {
    text.chars().take(80).collect()
}

fn parse_row(line: &str, width: usize) -> Result<NewOffer, String> {
    let fields = split_line(line)?;
    if fields.len() != width {
        return Err(format!("expected {width} fields, found {}", fields.len()));
    }
    let field = |i: usize| fields.get(i).map(|s| s.trim()).unwrap_or_default();
    let pin = match field(3).to_ascii_lowercase().as_str() {
        "" => None,
        "true" | "yes" | "1" | "y" => Some(true),
        "false" | "no" | "0" | "n" => Some(false),
        other => return Err(format!("pin must be true or false, not {other:?}")),
    };
    let email = field(1);
    Ok(NewOffer {
        achievement_id: field(2).to_owned(),
        recipient: Recipient {
            name: field(0).to_owned(),
            email: (!email.is_empty()).then(|| email.to_owned()),
        },
        pin,
        expires_in_seconds: None,
        configurations: None,
    })
}

/// Splits one CSV line (RFC 4180 quoting, no embedded newlines).
fn split_line(line: &str) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut current = String::new();
    let mut chars = line.trim_end_matches('\r').chars().peekable();
    let (mut quoted, mut was_quoted) = (false, false);
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                current.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => current.push(c),
            (false, '"') if current.trim().is_empty() && !was_quoted => {
                current.clear();
                quoted = true;
                was_quoted = true;
            }
            (false, '"') => return Err("unexpected quote inside a field".into()),
            (false, ',') => {
                fields.push(std::mem::take(&mut current));
                was_quoted = false;
            }
            (false, c) => current.push(c),
        }
    }
    if quoted {
        return Err("unterminated quoted field".into());
    }
    fields.push(current);
    Ok(fields)
}

/// An offer a job created, with the line it came from: what is needed to deliver it (the
/// QR images are `claim_page` + `/qr.svg` or `/qr.png`). Kept compact: a job holds one per row.
#[derive(Debug, Serialize)]
pub struct CreatedRow {
    /// 1-based line number in the upload.
    pub line: usize,
    /// The offer's id.
    pub id: String,
    /// `openid-credential-offer://?credential_offer_uri=…`.
    pub offer_url: String,
    /// The claim page.
    pub claim_page: String,
    /// The PIN, when one is required (deliver it separately).
    #[serde(serialize_with = "expose_pin", skip_serializing_if = "Option::is_none")]
    pub tx_code: Option<SecretString>,
    /// Expiry (RFC 3339).
    pub expires_at: String,
}

impl CreatedRow {
    fn new(line: usize, offer: CreatedOffer) -> Self {
        let CreatedOffer {
            id,
            offer_url,
            claim_page,
            tx_code,
            expires_at,
            ..
        } = offer;
        Self {
            line,
            id,
            offer_url,
            claim_page,
            tx_code: tx_code.map(SecretString::new),
            expires_at,
        }
    }

    fn copy(&self) -> Self {
        Self {
            line: self.line,
            id: self.id.clone(),
            offer_url: self.offer_url.clone(),
            claim_page: self.claim_page.clone(),
            tx_code: self
                .tx_code
                .as_ref()
                .map(|p| SecretString::new(p.expose_secret())),
            expires_at: self.expires_at.clone(),
        }
    }
}

// The admin asked for the offers it created: the PIN is part of the answer, as for one offer.
fn expose_pin<S: serde::Serializer>(pin: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    match pin {
        Some(p) => s.serialize_some(p.expose_secret()),
        None => s.serialize_none(),
    }
}

/// A job's progress as callers see it.
#[derive(Debug, Serialize)]
pub struct JobProgress {
    /// The job's id.
    pub job_id: String,
    /// `running`, `done` or `failed` (storage failed; the rows before it are written).
    pub state: &'static str,
    /// Whether the job has stopped (`done` or `failed`).
    pub done: bool,
    /// Data rows in the upload.
    pub total_rows: usize,
    /// Rows handled so far (created or refused).
    pub processed: usize,
    /// Offers created so far.
    pub created_count: usize,
    /// Rows refused so far, in line order.
    pub errors: Vec<BulkRowError>,
    /// Start time (RFC 3339).
    pub started_at: String,
    /// End time (RFC 3339), once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Why the job stopped early, when `state` is `failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// The offers created, once done and when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Vec<CreatedRow>>,
}

/// What `start` answers.
#[derive(Debug, Serialize)]
pub struct StartedJob {
    /// The job's id (poll it under the same institution).
    pub job_id: String,
    /// Data rows the job will process.
    pub total_rows: usize,
}

#[derive(Debug)]
struct Progress {
    processed: usize,
    created: Vec<CreatedRow>,
    errors: Vec<BulkRowError>,
    finished_at: Option<Timestamp>,
    failure: Option<String>,
}

#[derive(Debug)]
struct Job {
    id: String,
    total: usize,
    started_at: Timestamp,
    progress: Mutex<Progress>,
}

impl Job {
    fn progress(&self) -> MutexGuard<'_, Progress> {
        // A panic while holding the lock leaves counters, never a broken invariant.
        self.progress.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn snapshot(&self, with_created: bool) -> JobProgress {
        let p = self.progress();
        let done = p.finished_at.is_some();
        JobProgress {
            job_id: self.id.clone(),
            state: match (done, p.failure.is_some()) {
                (false, _) => "running",
                (true, false) => "done",
                (true, true) => "failed",
            },
            done,
            total_rows: self.total,
            processed: p.processed,
            created_count: p.created.len(),
            errors: p
                .errors
                .iter()
                .map(|e| BulkRowError {
                    line: e.line,
                    message: e.message.clone(),
                })
                .collect(),
            started_at: self.started_at.to_rfc3339(),
            finished_at: p.finished_at.map(Timestamp::to_rfc3339),
            failure: p.failure.clone(),
            created: (done && with_created)
                .then(|| p.created.iter().map(CreatedRow::copy).collect()),
        }
    }
}

/// The bulk jobs of every institution of one agent.
pub struct BulkJobs {
    service: Arc<IssuerService>,
    /// slug → job id → job.
    jobs: Mutex<BTreeMap<String, BTreeMap<String, Arc<Job>>>>,
}

impl std::fmt::Debug for BulkJobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkJobs").finish_non_exhaustive()
    }
}

impl BulkJobs {
    /// No jobs yet.
    pub fn new(service: Arc<IssuerService>) -> Self {
        Self {
            service,
            jobs: Mutex::new(BTreeMap::new()),
        }
    }

    /// The issuer service the jobs write through.
    pub fn service(&self) -> &Arc<IssuerService> {
        &self.service
    }

    fn jobs(&self) -> MutexGuard<'_, BTreeMap<String, BTreeMap<String, Arc<Job>>>> {
        self.jobs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts a job for `slug` (the caller is already authorized) from the CSV `body`: checks
    /// the header and counts the rows, then processes them on the blocking pool. Must be called
    /// inside a Tokio runtime.
    pub fn start(self: &Arc<Self>, slug: &str, body: &[u8]) -> Result<StartedJob, StartError> {
        let text = std::str::from_utf8(body).map_err(|_| StartError::NotUtf8)?;
        let rows = parse_csv(text)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        let job = Arc::new(Job {
            id: uuid::Uuid::new_v4().to_string(),
            total: rows.len(),
            started_at: self.service.directory().clock().now(),
            progress: Mutex::new(Progress {
                processed: 0,
                created: Vec::new(),
                errors: Vec::new(),
                finished_at: None,
                failure: None,
            }),
        });
        {
            let mut all = self.jobs();
            let mine = all.entry(slug.to_owned()).or_default();
            let running = mine
                .values()
                .filter(|j| j.progress().finished_at.is_none())
                .count();
            if running >= MAX_RUNNING_PER_INSTITUTION {
                return Err(StartError::Busy);
            }
            while mine.len() >= MAX_JOBS_PER_INSTITUTION {
                let oldest = mine
                    .iter()
                    .filter(|(_, j)| j.progress().finished_at.is_some())
                    .min_by_key(|(_, j)| j.started_at)
                    .map(|(id, _)| id.clone());
                match oldest {
                    Some(id) => mine.remove(&id),
                    None => break,
                };
            }
            mine.insert(job.id.clone(), Arc::clone(&job));
        }
        let started = StartedJob {
            job_id: job.id.clone(),
            total_rows: job.total,
        };
        let (service, slug) = (Arc::clone(&self.service), slug.to_owned());
        runtime.spawn_blocking(move || run(&service, &slug, &job, rows));
        Ok(started)
    }

    /// The progress of job `id` of `slug`; `None` for an unknown job or another
    /// institution's. `with_created` adds the created offers once the job is done.
    pub fn progress(&self, slug: &str, id: &str, with_created: bool) -> Option<JobProgress> {
        let job = self.jobs().get(slug)?.get(id).cloned()?;
        Some(job.snapshot(with_created))
    }
}

/// Processes the rows in order, publishing progress after each.
fn run(service: &IssuerService, slug: &str, job: &Job, rows: Vec<CsvRow>) {
    for row in rows {
        let outcome = match row.offer {
            Err(message) => Err(message),
            Ok(input) => match service.create_offer(slug, input) {
                Ok(offer) => Ok(offer),
                Err(AdminError::Storage(e)) => {
                    tracing::error!(error = %e, job = %job.id, "bulk job stopped: storage failed");
                    let mut p = job.progress();
                    p.failure = Some(format!("storage failed at line {}", row.line));
                    p.finished_at = Some(service.directory().clock().now());
                    return;
                }
                Err(e) => Err(e.to_string()),
            },
        };
        let mut p = job.progress();
        p.processed += 1;
        match outcome {
            Ok(offer) => p.created.push(CreatedRow::new(row.line, offer)),
            Err(message) => p.errors.push(BulkRowError {
                line: row.line,
                message,
            }),
        }
    }
    job.progress().finished_at = Some(service.directory().clock().now());
}

#[derive(Debug, Serialize)]
pub struct BulkResult {
    /// The offers created, in row order.
    pub created: Vec<CreatedOffer>,
    /// The rows refused, with their 1-based line numbers.
    pub errors: Vec<BulkRowError>,
}

/// A refused CSV row.
#[derive(Debug, Serialize)]
pub struct BulkRowError {
    /// 1-based line number in the upload.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl IssuerService {
    /// Creates one offer per valid CSV row (the format of [`parse_csv`]); each
    /// row's offer is written atomically.
    pub fn bulk_offers(&self, slug: &str, text: &str) -> Result<BulkResult, AdminError> {
        let rows = match parse_csv(text) {
            Ok(rows) => rows,
            // A header and no row: nothing to do, nothing wrong.
            Err(StartError::NoRows) => Vec::new(),
            Err(e) => return Err(e.into()),
        };
        let mut result = BulkResult {
            created: Vec::new(),
            errors: Vec::new(),
        };
        for row in rows {
            let input = match row.offer {
                Ok(input) => input,
                Err(message) => {
                    result.errors.push(BulkRowError {
                        line: row.line,
                        message,
                    });
                    continue;
                }
            };
            match self.create_offer(slug, input) {
                Ok(offer) => result.created.push(offer),
                Err(AdminError::Storage(e)) => return Err(AdminError::Storage(e)),
                Err(e) => result.errors.push(BulkRowError {
                    line: row.line,
                    message: e.to_string(),
                }),
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_checked_and_rows_keep_their_line_numbers() {
        assert!(matches!(parse_csv(""), Err(StartError::Empty)));
        assert!(matches!(parse_csv("\n \n"), Err(StartError::Empty)));
        assert!(matches!(
            parse_csv("a,b,c\n1,2,3"),
            Err(StartError::BadHeader(_))
        ));
        assert!(matches!(
            parse_csv("name,email,achievement_id\n"),
            Err(StartError::NoRows)
        ));
        let rows = parse_csv(
            "\u{feff}Name,Email,Achievement_ID,PIN\nAda,ada@x.org,a1,no\n\n\"Lovelace, A\",,a1,\nB,b@x.org,a1\nC,c@x.org,a1,maybe\n",
        )
        .unwrap();
        let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [2, 4, 5, 6]);
        let first = rows[0].offer.as_ref().unwrap();
        assert_eq!(first.pin, Some(false));
        assert_eq!(first.recipient.email.as_deref(), Some("ada@x.org"));
        let second = rows[1].offer.as_ref().unwrap();
        assert_eq!(second.recipient.name, "Lovelace, A");
        assert_eq!(second.recipient.email, None);
        assert_eq!(second.pin, None);
        assert_eq!(
            rows[2].offer.as_ref().unwrap_err(),
            "expected 4 fields, found 3"
        );
        assert!(rows[3].offer.as_ref().unwrap_err().contains("maybe"));
    }

    #[test]
    fn quoting_errors_are_row_errors() {
        let rows = parse_csv("name,email,achievement_id\n\"open,x,y\nab\"c,d,e\n").unwrap();
        assert_eq!(
            rows[0].offer.as_ref().unwrap_err(),
            "unterminated quoted field"
        );
        assert_eq!(
            rows[1].offer.as_ref().unwrap_err(),
            "unexpected quote inside a field"
        );
    }
}
