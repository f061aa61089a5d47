//! Bulk issue jobs: a CSV upload (header `name,email,achievement_id[,pin]`, the format of
//! [`IssuerService::bulk_offers`]) becomes a job whose rows are processed one by one on the blocking
//! pool, each offer written atomically by [`IssuerService::create_offer`], while callers poll its
//! progress. Jobs live in the store, per institution (a job of one institution is "not found"
//! to every other), so every agent on the store sees them: the agent running a job renews a
//! lease on it, and when the lease runs out (the agent died) another agent, or this one after
//! a restart, takes the job over. Each line's result is written in its offer's own atomic
//! batch and required absent there, so a line becomes one offer, never two.
//! The routes (`POST|GET /issuers/{slug}/admin/offers/bulk-jobs[/{id}]`) are in
//! [`super::http`]; the synchronous `POST …/admin/offers/bulk` is [`IssuerService::bulk_offers`].

use std::collections::BTreeMap;
use std::sync::Arc;

use rosette_core::{SecretString, Timestamp};
use rosette_storage::{Record, WriteBatch};
use serde::Serialize;

use super::offers::{CreatedOffer, NewOffer, Recipient};
use super::records::{AchievementRow, BulkInputRow, BulkJobRow, BulkResultRow, OfferRow};
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
    /// The job could not be stored.
    #[error("storage failed: {0}")]
    Storage(String),
}

impl From<StartError> for AdminError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::Busy => Self::Conflict(e.to_string()),
            StartError::NoRuntime | StartError::Storage(_) => Self::Internal(e.to_string()),
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
    let (width, lines) = data_lines(text)?;
    Ok(lines
        .into_iter()
        .map(|(line, l)| CsvRow {
            line,
            offer: parse_row(l, width),
        })
        .collect())
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

/// How long an agent holds a running job without renewing its lease; past it, another agent
/// (or this one after a restart) takes the job over.
pub const JOB_LEASE_SECONDS: i64 = 15;
/// The lease is renewed (and the progress published) after this many rows, or this many
/// seconds, whichever comes first.
const RENEW_EVERY_ROWS: usize = 200;
const RENEW_EVERY_SECONDS: i64 = 3;
/// Input lines per stored chunk.
const CHUNK_LINES: usize = 1_000;

/// The bulk jobs of every institution, kept in the store so that every agent on it sees them
/// and a job outlives the agent that started it (see [`BulkJobRow`]).
pub struct BulkJobs {
    service: Arc<IssuerService>,
    /// This agent process, as a job's lease owner.
    instance: String,
}

impl std::fmt::Debug for BulkJobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BulkJobs")
            .field("instance", &self.instance)
            .finish_non_exhaustive()
    }
}

/// A data line of an upload: its 1-based number and its text.
type DataLine<'a> = (usize, &'a str);

/// The data lines of an upload (after its header), and the fields per row.
fn data_lines(text: &str) -> Result<(usize, Vec<DataLine<'_>>), StartError> {
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
    let width = match columns.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["name", "email", "achievement_id"] => 3,
        ["name", "email", "achievement_id", "pin"] => 4,
        _ => return Err(StartError::BadHeader(shorten(header))),
    };
    let rows: Vec<DataLine<'_>> = lines
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(index, l)| (index + 1, l))
        .collect();
    match rows.len() {
        0 => Err(StartError::NoRows),
        n if n > MAX_ROWS => Err(StartError::TooManyRows(n)),
        _ => Ok((width, rows)),
    }
}

impl BulkJobs {
    /// The jobs, for this agent process.
    pub fn new(service: Arc<IssuerService>) -> Self {
        Self {
            service,
            instance: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// The issuer service the jobs write through.
    pub fn service(&self) -> &Arc<IssuerService> {
        &self.service
    }

    fn now(&self) -> i64 {
        self.service.directory().clock().now().unix()
    }

    /// Starts a job for `slug` (the caller is already authorized) from the CSV `body`: checks
    /// the header and counts the rows, stores the job with its upload, then processes the
    /// rows on the blocking pool. Must be called inside a Tokio runtime.
    pub fn start(self: &Arc<Self>, slug: &str, body: &[u8]) -> Result<StartedJob, StartError> {
        let text = std::str::from_utf8(body).map_err(|_| StartError::NotUtf8)?;
        let (width, rows) = data_lines(text)?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| StartError::NoRuntime)?;
        let jobs = self.service.repo::<BulkJobRow>();
        let mine = jobs
            .scan(
                format!("{slug}/").as_bytes(),
                None,
                rosette_storage::MAX_SCAN_LIMIT,
            )
            .map_err(|e| StartError::Storage(e.to_string()))?;
        if mine.iter().filter(|(_, j)| j.running).count() >= MAX_RUNNING_PER_INSTITUTION {
            return Err(StartError::Busy);
        }
        let now = self.now();
        let id = uuid::Uuid::new_v4().to_string();
        let chunks: Vec<&[DataLine<'_>]> = rows.chunks(CHUNK_LINES).collect();
        let mut batch = WriteBatch::new();
        // The oldest finished jobs beyond the limit are forgotten (their offers stay).
        let mut finished: Vec<&BulkJobRow> =
            mine.iter().map(|(_, j)| j).filter(|j| !j.running).collect();
        finished.sort_by_key(|j| j.finished_at);
        let excess = (mine.len() + 1).saturating_sub(MAX_JOBS_PER_INSTITUTION);
        for old in finished.iter().take(excess) {
            batch.delete::<BulkJobRow>(scoped_key(slug, &old.id));
        }
        let write = |batch: &mut WriteBatch| -> Result<(), rosette_storage::StorageError> {
            for (n, lines) in chunks.iter().enumerate() {
                batch.put(&BulkInputRow {
                    slug: slug.to_owned(),
                    job: id.clone(),
                    chunk: u32::try_from(n).unwrap_or(u32::MAX),
                    lines: lines.iter().map(|(l, t)| (*l, (*t).to_owned())).collect(),
                })?;
            }
            batch.put(&BulkJobRow {
                slug: slug.to_owned(),
                id: id.clone(),
                total: rows.len(),
                started_at: now,
                finished_at: 0,
                created: Vec::new(),
                errors: Vec::new(),
                failure: None,
                running: true,
                owner: self.instance.clone(),
                lease_until: now + JOB_LEASE_SECONDS,
                processed: 0,
                created_count: 0,
                chunks: u32::try_from(chunks.len()).unwrap_or(u32::MAX),
                width,
            })?;
            Ok(())
        };
        write(&mut batch).map_err(|e| StartError::Storage(e.to_string()))?;
        self.service
            .store()
            .apply(batch)
            .map_err(|e| StartError::Storage(e.to_string()))?;
        let started = StartedJob {
            job_id: id.clone(),
            total_rows: rows.len(),
        };
        let (jobs, slug) = (Arc::clone(self), slug.to_owned());
        runtime.spawn_blocking(move || jobs.run(&slug, &id));
        Ok(started)
    }

    /// Takes over every running job whose lease has expired (its agent died or stalled) and
    /// runs it here. Every agent calls this now and then; a job is taken by one of them.
    pub fn resume_abandoned(self: &Arc<Self>) -> Result<usize, rosette_storage::StorageError> {
        let jobs = self.service.repo::<BulkJobRow>();
        let now = self.now();
        let mut taken = 0;
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = jobs.scan(b"", after.as_deref(), 1_000)?;
            for (key, job) in &page {
                if !job.running || job.lease_until >= now {
                    continue;
                }
                if self.take_lease(key, now)? {
                    tracing::warn!(job = %job.id, slug = %job.slug, previous_owner = %job.owner, "bulk job taken over: its agent stopped renewing it");
                    let (me, slug, id) = (Arc::clone(self), job.slug.clone(), job.id.clone());
                    match tokio::runtime::Handle::try_current() {
                        Ok(runtime) => {
                            runtime.spawn_blocking(move || me.run(&slug, &id));
                        }
                        Err(_) => me.run(&slug, &id),
                    }
                    taken += 1;
                }
            }
            after = page.last().map(|(k, _)| k.clone());
            if page.len() < 1_000 {
                return Ok(taken);
            }
        }
    }

    /// Makes this agent the owner of the (expired) job under `key`; false when another agent
    /// got there first or it is no longer running.
    fn take_lease(&self, key: &[u8], now: i64) -> Result<bool, rosette_storage::StorageError> {
        let jobs = self.service.repo::<BulkJobRow>();
        let Some(stored) = jobs.load(key)? else {
            return Ok(false);
        };
        if !stored.running || stored.lease_until >= now {
            return Ok(false);
        }
        let mut row = (*stored).clone();
        row.owner = self.instance.clone();
        row.lease_until = now + JOB_LEASE_SECONDS;
        let mut batch = WriteBatch::new();
        batch.require_unchanged::<BulkJobRow>(key.to_vec(), &stored);
        batch.put(&row)?;
        Ok(self.service.store().apply_checked(batch)?.is_ok())
    }

    /// Writes the tallies so far and renews the lease, or finishes the job; false when this
    /// agent no longer owns it (it stalled past its lease and another took over).
    fn publish(
        &self,
        slug: &str,
        id: &str,
        tally: &Tally,
        finish: Option<Option<String>>,
    ) -> Result<bool, rosette_storage::StorageError> {
        let jobs = self.service.repo::<BulkJobRow>();
        let key = scoped_key(slug, id);
        let Some(stored) = jobs.load(&key)? else {
            return Ok(false);
        };
        if !stored.running || stored.owner != self.instance {
            return Ok(false);
        }
        let now = self.now();
        let mut row = (*stored).clone();
        row.processed = tally.created.len() + tally.errors.len();
        row.created_count = tally.created.len();
        row.errors = tally.errors.iter().map(|(l, e)| (*l, e.clone())).collect();
        row.lease_until = now + JOB_LEASE_SECONDS;
        let mut batch = WriteBatch::new();
        batch.require_unchanged::<BulkJobRow>(key.clone(), &stored);
        if let Some(failure) = finish {
            row.created = tally.created.iter().map(|(l, o)| (*l, o.clone())).collect();
            row.running = false;
            row.finished_at = now;
            row.failure = failure;
            row.lease_until = 0;
            for chunk in 0..row.chunks {
                batch.delete::<BulkInputRow>(scoped_key(slug, &format!("{id}/{chunk:06}")));
            }
        }
        batch.put(&row)?;
        Ok(self.service.store().apply_checked(batch)?.is_ok())
    }

    /// Runs job `id` of `slug` from where it stands: the lines with a stored result are done
    /// (by this agent or another); every other line is made into an offer, its result written
    /// in the offer's own batch. Storage failures leave the job to be taken over later.
    fn run(&self, slug: &str, id: &str) {
        if let Err(e) = self.try_run(slug, id) {
            tracing::error!(error = %e, job = %id, "bulk job paused: storage failed; it resumes when the store answers");
        }
    }

    fn try_run(&self, slug: &str, id: &str) -> Result<(), AdminError> {
        let Some(job) = self
            .service
            .repo::<BulkJobRow>()
            .get(&scoped_key(slug, id))?
        else {
            return Ok(());
        };
        if !job.running || job.owner != self.instance {
            return Ok(());
        }
        let mut tally = Tally::default();
        let prefix = scoped_key(slug, &format!("{id}/"));
        let results = self.service.repo::<BulkResultRow>();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let page = results.scan(&prefix, after.as_deref(), rosette_storage::MAX_SCAN_LIMIT)?;
            for (_, r) in &page {
                tally.record(r.line, r.offer_id.clone(), r.error.clone());
            }
            after = page.last().map(|(k, _)| k.clone());
            if page.len() < rosette_storage::MAX_SCAN_LIMIT {
                break;
            }
        }
        let achievements = AchievementKeys::of(&self.service, slug)?;
        let (mut since_rows, mut since) = (0, self.now());
        for chunk in 0..job.chunks {
            let Some(input) = self
                .service
                .repo::<BulkInputRow>()
                .get(&scoped_key(slug, &format!("{id}/{chunk:06}")))?
            else {
                continue;
            };
            for (line, text) in &input.lines {
                if tally.done(*line) {
                    continue;
                }
                self.line(slug, id, *line, text, job.width, &achievements, &mut tally)?;
                since_rows += 1;
                if since_rows >= RENEW_EVERY_ROWS || self.now() - since >= RENEW_EVERY_SECONDS {
                    if !self.publish(slug, id, &tally, None)? {
                        tracing::warn!(job = %id, "bulk job lost to another agent; stopping here");
                        return Ok(());
                    }
                    (since_rows, since) = (0, self.now());
                }
            }
        }
        if self.publish(slug, id, &tally, Some(None))? {
            self.drop_results(slug, id)?;
            tracing::info!(job = %id, created = tally.created.len(), refused = tally.errors.len(), "bulk job finished");
        }
        Ok(())
    }

    /// One line: an offer (with its result, atomically), or a refusal; a line another agent
    /// did in the meantime is taken from the store.
    #[allow(clippy::too_many_arguments)]
    fn line(
        &self,
        slug: &str,
        id: &str,
        line: usize,
        text: &str,
        width: usize,
        achievements: &AchievementKeys,
        tally: &mut Tally,
    ) -> Result<(), AdminError> {
        let result_key = BulkResultRow::key_of(slug, id, line);
        let outcome = match parse_row(text, width).and_then(|input| achievements.resolve(input)) {
            Err(message) => Err(message),
            Ok(input) => {
                let made = self.service.create_offer_with(slug, input, |batch, offer| {
                    batch.require_no_record::<BulkResultRow>(result_key.clone());
                    batch.put(&BulkResultRow {
                        slug: slug.to_owned(),
                        job: id.to_owned(),
                        line,
                        offer_id: Some(offer.id.clone()),
                        error: None,
                    })?;
                    Ok(())
                });
                match made {
                    Ok(offer) => Ok(offer.id),
                    Err(AdminError::Storage(
                        rosette_storage::StorageError::RequirementFailed { table, .. },
                    )) if table == <BulkResultRow as Record>::TABLE => {
                        return self.adopt(slug, id, line, tally);
                    }
                    Err(AdminError::Storage(e)) => return Err(AdminError::Storage(e)),
                    Err(e) => Err(e.to_string()),
                }
            }
        };
        match outcome {
            Ok(offer_id) => {
                count_row(true);
                tally.record(line, Some(offer_id), None);
            }
            Err(message) => {
                let mut batch = WriteBatch::new();
                batch.require_no_record::<BulkResultRow>(result_key);
                batch.put(&BulkResultRow {
                    slug: slug.to_owned(),
                    job: id.to_owned(),
                    line,
                    offer_id: None,
                    error: Some(message.clone()),
                })?;
                if self.service.store().apply_checked(batch)?.is_err() {
                    return self.adopt(slug, id, line, tally);
                }
                count_row(false);
                tally.record(line, None, Some(message));
            }
        }
        Ok(())
    }

    /// Takes the stored result of `line` (written by another agent) into the tally.
    fn adopt(
        &self,
        slug: &str,
        id: &str,
        line: usize,
        tally: &mut Tally,
    ) -> Result<(), AdminError> {
        if let Some(r) = self
            .service
            .repo::<BulkResultRow>()
            .get(&BulkResultRow::key_of(slug, id, line))?
        {
            tally.record(line, r.offer_id, r.error);
        }
        Ok(())
    }

    /// Deletes a finished job's line results (its row keeps the report).
    fn drop_results(&self, slug: &str, id: &str) -> Result<(), AdminError> {
        let prefix = scoped_key(slug, &format!("{id}/"));
        loop {
            let page = self.service.store().scan_prefix(
                <BulkResultRow as Record>::TABLE,
                &prefix,
                None,
                1_000,
            )?;
            if page.is_empty() {
                return Ok(());
            }
            let mut batch = WriteBatch::new();
            for (key, _) in &page {
                batch.delete::<BulkResultRow>(key.clone());
            }
            self.service.store().apply(batch)?;
        }
    }

    /// The progress of job `id` of `slug`; `None` for an unknown job or another
    /// institution's. `with_created` adds the created offers once the job is done.
    pub fn progress(&self, slug: &str, id: &str, with_created: bool) -> Option<JobProgress> {
        let row = self.service.stored_job(slug, id).ok().flatten()?;
        let done = !row.running;
        let created = (done && with_created).then(|| {
            row.created
                .iter()
                .filter_map(|(line, offer_id)| self.service.created_row(slug, *line, offer_id))
                .collect()
        });
        Some(JobProgress {
            job_id: row.id.clone(),
            state: match (done, row.failure.is_some()) {
                (false, _) => "running",
                (true, false) => "done",
                (true, true) => "failed",
            },
            done,
            total_rows: row.total,
            processed: if done {
                row.created.len() + row.errors.len()
            } else {
                row.processed
            },
            created_count: if done {
                row.created.len()
            } else {
                row.created_count
            },
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
            finished_at: done
                .then(|| Timestamp::from_unix(row.finished_at).map(Timestamp::to_rfc3339))
                .flatten(),
            failure: row.failure.clone(),
            created,
        })
    }
}

/// Counts one processed CSV row (`rosette_bulk_rows_processed_total`, see
/// `crate::web::metrics`). A row not processed because storage failed is not counted.
fn count_row(created: bool) {
    let outcome = if created { "created" } else { "refused" };
    metrics::counter!("rosette_bulk_rows_processed_total", "outcome" => outcome).increment(1);
}

/// What a job's lines became so far, by line.
#[derive(Debug, Default)]
struct Tally {
    created: BTreeMap<usize, String>,
    errors: BTreeMap<usize, String>,
}

impl Tally {
    fn record(&mut self, line: usize, offer_id: Option<String>, error: Option<String>) {
        match (offer_id, error) {
            (Some(offer), _) => {
                self.created.insert(line, offer);
            }
            (None, error) => {
                self.errors
                    .insert(line, error.unwrap_or_else(|| "refused".to_owned()));
            }
        }
    }

    fn done(&self, line: usize) -> bool {
        self.created.contains_key(&line) || self.errors.contains_key(&line)
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

    /// What the admin API shows of an offer a job created (the PIN while it is open).
    fn created_row(&self, slug: &str, line: usize, offer_id: &str) -> Option<CreatedRow> {
        let row = self
            .repo::<OfferRow>()
            .get(&scoped_key(slug, offer_id))
            .ok()
            .flatten()?;
        let open = self.offer_state(&row, self.now()) == "offered";
        let pin = (open && row.pin).then(|| self.offer_pin(&row.id));
        self.created_offer(&row, pin.as_ref())
            .ok()
            .map(|offer| CreatedRow::new(line, offer))
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
        // Finished jobs, newest first (running ones are shown by their own page).
        rows.retain(|(_, r)| !r.running);
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
                    count_row(false);
                    result.errors.push(BulkRowError {
                        line: row.line,
                        message,
                    });
                    continue;
                }
            };
            match self.create_offer(slug, input) {
                Ok(offer) => {
                    count_row(true);
                    result.created.push(offer);
                }
                Err(AdminError::Storage(e)) => return Err(AdminError::Storage(e)),
                Err(e) => {
                    count_row(false);
                    result.errors.push(BulkRowError {
                        line: row.line,
                        message: e.to_string(),
                    });
                }
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
