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
use super::records::{AchievementRow, BulkJobRow, OfferRow};
use super::service::IssuerService;
use crate::directory::records::scoped_key;
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
    let fields = split_line(line).map_err(|e| format!("{e} in {:?}", shorten(line)))?;
    if fields.len() != width {
        return Err(format!(
            "expected {width} fields, found {} in {:?}",
            fields.len(),
            shorten(line)
        ));
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
        let job = self.jobs().get(slug).and_then(|m| m.get(id)).cloned();
        match job {
            Some(job) => Some(job.snapshot(with_created)),
            // Finished before the last restart: its stored report (created offers by id only).
            None => self
                .service
                .stored_job(slug, id)
                .ok()
                .flatten()
                .map(|row| JobProgress {
                    job_id: row.id.clone(),
                    state: if row.failure.is_some() {
                        "failed"
                    } else {
                        "done"
                    },
                    done: true,
                    total_rows: row.total,
                    processed: row.created.len() + row.errors.len(),
                    created_count: row.created.len(),
                    errors: row
                        .errors
                        .iter()
                        .map(|(line, message)| BulkRowError {
                            line: *line,
                            message: message.clone(),
                        })
                        .collect(),
                    started_at: Timestamp::from_unix(row.started_at)
                        .map(Timestamp::to_rfc3339)
                        .unwrap_or_default(),
                    finished_at: Timestamp::from_unix(row.finished_at).map(Timestamp::to_rfc3339),
                    failure: row.failure.clone(),
                    created: None,
                }),
        }
    }
}

/// Processes the rows in order, publishing progress after each, then records the finished
/// job durably (see [`BulkJobRow`]).
fn run(service: &IssuerService, slug: &str, job: &Job, rows: Vec<CsvRow>) {
    let achievements = match AchievementKeys::of(service, slug) {
        Ok(keys) => keys,
        Err(e) => {
            tracing::error!(error = %e, job = %job.id, "bulk job stopped: storage failed");
            finish(
                service,
                slug,
                job,
                Some("storage failed before the first row".into()),
            );
            return;
        }
    };
    for row in rows {
        let outcome = match row.offer.and_then(|input| achievements.resolve(input)) {
            Err(message) => Err(message),
            Ok(input) => match service.create_offer(slug, input) {
                Ok(offer) => Ok(offer),
                Err(AdminError::Storage(e)) => {
                    tracing::error!(error = %e, job = %job.id, "bulk job stopped: storage failed");
                    finish(
                        service,
                        slug,
                        job,
                        Some(format!("storage failed at line {}", row.line)),
                    );
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
    finish(service, slug, job, None);
}

/// Marks the job finished and writes its [`BulkJobRow`]. A failed write is logged: the offers
/// are whole either way, only the report would not outlive a restart.
fn finish(service: &IssuerService, slug: &str, job: &Job, failure: Option<String>) {
    let now = service.directory().clock().now();
    let row = {
        let mut p = job.progress();
        p.failure = failure;
        p.finished_at = Some(now);
        BulkJobRow {
            slug: slug.to_owned(),
            id: job.id.clone(),
            total: job.total,
            started_at: job.started_at.unix(),
            finished_at: now.unix(),
            created: p.created.iter().map(|c| (c.line, c.id.clone())).collect(),
            errors: p
                .errors
                .iter()
                .map(|e| (e.line, e.message.clone()))
                .collect(),
            failure: p.failure.clone(),
        }
    };
    if let Err(e) = service.repo::<BulkJobRow>().put(&row) {
        tracing::error!(error = %e, job = %job.id, "the bulk job's report could not be stored");
    }
}

/// The readable key of an achievement: its name in lower case, runs of other characters
/// turned into one `-` ("Rust Practitioner (2027)" → `rust-practitioner-2027`). A CSV may name
/// an achievement by this key instead of its id.
pub fn achievement_key(name: &str) -> String {
    let mut key = String::with_capacity(name.len());
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            key.push(c);
        } else if !key.is_empty() && !key.ends_with('-') {
            key.push('-');
        }
    }
    key.trim_end_matches('-').to_owned()
}

/// An institution's achievements by id and by key, to resolve a CSV's `achievement_id` column.
struct AchievementKeys {
    /// (id, key, archived).
    all: Vec<(String, String, bool)>,
}

impl AchievementKeys {
    fn of(service: &IssuerService, slug: &str) -> Result<Self, AdminError> {
        let prefix = format!("{slug}/");
        let rows = service.repo::<AchievementRow>().scan(
            prefix.as_bytes(),
            None,
            rosette_storage::MAX_SCAN_LIMIT,
        )?;
        Ok(Self {
            all: rows
                .into_iter()
                .map(|(_, r)| (r.id.clone(), achievement_key(&r.name), r.archived))
                .collect(),
        })
    }

    /// `input` with its achievement given by id; a key is turned into the id. Unknown: a
    /// message that repeats the value.
    fn resolve(&self, mut input: NewOffer) -> Result<NewOffer, String> {
        let given = input.achievement_id.trim().to_owned();
        if let Some((_, _, archived)) = self.all.iter().find(|(id, _, _)| *id == given) {
            if *archived {
                return Err(format!("achievement {given:?} is archived"));
            }
            input.achievement_id = given;
            return Ok(input);
        }
        let wanted = achievement_key(&given);
        // Archived achievements keep their key but no longer take offers.
        let mut matching = self
            .all
            .iter()
            .filter(|(_, key, archived)| *key == wanted && !archived);
        match (matching.next(), matching.next()) {
            (Some((id, _, _)), None) => {
                input.achievement_id = id.clone();
                Ok(input)
            }
            (Some(_), Some(_)) => Err(format!(
                "achievement key {given:?} names more than one achievement: use the id shown on \
                 the Achievements page"
            )),
            (None, _) if self.all.iter().any(|(_, key, _)| *key == wanted) => {
                Err(format!("achievement {given:?} is archived"))
            }
            (None, _) => Err(format!(
                "achievement {given:?} not found: use an id or key shown on the Achievements page"
            )),
        }
    }
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

/// One learner's handout: what they need to claim their badge, while the offer is open.
#[derive(Debug)]
pub struct Handout {
    /// 1-based line of the upload.
    pub line: usize,
    /// The learner's name.
    pub name: String,
    /// The achievement offered.
    pub achievement_id: String,
    /// The offer's id.
    pub offer_id: String,
    /// `offered`, `claimed`, `expired` or `locked`.
    pub state: &'static str,
    /// The claim page (its QR image is `claim_page` + `/qr.svg`).
    pub claim_page: String,
    /// `openid-credential-offer://…`, only while the offer is open.
    pub offer_url: Option<String>,
    /// The PIN, only while the offer is open and when it has one.
    pub pin: Option<SecretString>,
    /// Expiry (RFC 3339).
    pub expires_at: String,
}

/// A stored bulk job, as the console lists it.
#[derive(Debug)]
pub struct JobSummary {
    /// The job's id.
    pub id: String,
    /// When it finished (RFC 3339).
    pub finished_at: String,
    /// Offers created.
    pub created: usize,
    /// Rows refused.
    pub refused: usize,
}

impl IssuerService {
    fn stored_job(&self, slug: &str, id: &str) -> Result<Option<BulkJobRow>, AdminError> {
        Ok(self.repo::<BulkJobRow>().get(&scoped_key(slug, id))?)
    }

    /// The handouts of bulk job `id` of `slug`, one per created offer in line order; `None`
    /// for an unknown job (or one not finished yet). The link and PIN are derived again from
    /// the server secret, and only for offers still open: once claimed, expired or locked the
    /// handout says so and carries no secret.
    pub fn bulk_handouts(&self, slug: &str, id: &str) -> Result<Option<Vec<Handout>>, AdminError> {
        let Some(job) = self.stored_job(slug, id)? else {
            return Ok(None);
        };
        let mut handouts = Vec::with_capacity(job.created.len());
        for (line, offer_id) in &job.created {
            if let Some(handout) = self.offer_handout(slug, offer_id, *line)? {
                handouts.push(handout);
            }
        }
        Ok(Some(handouts))
    }

    /// What one learner needs to claim offer `offer_id` (the link and PIN only while it is
    /// open); `None` for an unknown offer. `line` is carried into the answer.
    pub fn offer_handout(
        &self,
        slug: &str,
        offer_id: &str,
        line: usize,
    ) -> Result<Option<Handout>, AdminError> {
        let Some(offer) = self.repo::<OfferRow>().get(&scoped_key(slug, offer_id))? else {
            return Ok(None);
        };
        let state = self.offer_state(&offer, self.now());
        let open = state == "offered";
        Ok(Some(Handout {
            line,
            name: offer.recipient_name.clone(),
            achievement_id: offer.achievement_id.clone(),
            offer_id: offer.id.clone(),
            state,
            claim_page: format!("{}/claim/{}", self.issuer_id(slug), offer.id),
            offer_url: open
                .then(|| rosette_oid4vci::offer_url_by_reference(&self.offer_uri(slug, &offer.id))),
            pin: (open && offer.pin).then(|| self.offer_pin(&offer.id)),
            expires_at: Timestamp::from_unix(offer.expires_at)
                .map(Timestamp::to_rfc3339)
                .unwrap_or_default(),
        }))
    }

    /// The institution's stored bulk jobs, newest first.
    pub fn bulk_jobs(&self, slug: &str) -> Result<Vec<JobSummary>, AdminError> {
        let prefix = format!("{slug}/");
        let mut rows = self.repo::<BulkJobRow>().scan(
            prefix.as_bytes(),
            None,
            rosette_storage::MAX_SCAN_LIMIT,
        )?;
        rows.sort_by_key(|(_, r)| std::cmp::Reverse(r.finished_at));
        Ok(rows
            .into_iter()
            .map(|(_, r)| JobSummary {
                id: r.id.clone(),
                finished_at: Timestamp::from_unix(r.finished_at)
                    .map(Timestamp::to_rfc3339)
                    .unwrap_or_default(),
                created: r.created.len(),
                refused: r.errors.len(),
            })
            .collect())
    }

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
        let achievements = AchievementKeys::of(self, slug)?;
        for row in rows {
            let input = match row.offer.and_then(|input| achievements.resolve(input)) {
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
            "expected 4 fields, found 3 in \"B,b@x.org,a1\""
        );
        assert!(rows[3].offer.as_ref().unwrap_err().contains("maybe"));
    }

    #[test]
    fn achievement_keys_are_readable() {
        assert_eq!(
            achievement_key("Rust Practitioner (2027)"),
            "rust-practitioner-2027"
        );
        assert_eq!(achievement_key("  Data -- Steward "), "data-steward");
        assert_eq!(achievement_key("rust-practitioner"), "rust-practitioner");
    }

    #[test]
    fn quoting_errors_are_row_errors() {
        let rows = parse_csv("name,email,achievement_id\n\"open,x,y\nab\"c,d,e\n").unwrap();
        assert_eq!(
            rows[0].offer.as_ref().unwrap_err(),
            "unterminated quoted field in \"\\\"open,x,y\""
        );
        assert_eq!(
            rows[1].offer.as_ref().unwrap_err(),
            "unexpected quote inside a field in \"ab\\\"c,d,e\""
        );
    }
}
