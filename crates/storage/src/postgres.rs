//! [`PgStore`]: the [`Store`] on PostgreSQL, for several agents sharing one database.
//!
//! Every table lives in one relation, `rosette_kv (tbl, key, value)` with primary key
//! `(tbl, key)`; `bytea` compares bytewise, so key order is the same as in the embedded store.
//! Each call is one statement, so one transaction and one round trip (a checked batch too: its
//! requirements and writes are one statement over arrays). Statements run at `SERIALIZABLE`
//! (the session default): the requirements of a batch, a compare-and-swap's expected value
//! and the old value `insert` returns are read and acted on as if no other transaction ran in
//! between, on whichever agent it runs. A transaction that
//! PostgreSQL aborts for a conflict (serialization failure, deadlock, or a unique violation
//! from a concurrent insert of the same key) is retried from the start. A call returns after
//! `COMMIT`, which PostgreSQL makes durable (`synchronous_commit`), so
//! [`flush`](Store::flush) has nothing left to do.
//!
//! The store trait is synchronous and the agent calls it from blocking threads (and, for a
//! few quick reads, from async ones). The driver is async, so the store runs its own small
//! Tokio runtime and each call waits on a plain channel for its task: that works from any
//! thread, where `block_on` would panic inside another runtime.
//!
//! The schema is versioned ([`SCHEMA_VERSION`], table `rosette_schema`). [`PgStore::connect`]
//! applies the migrations this build knows, under an advisory lock so that agents starting
//! together do it once, and refuses a database whose schema is newer than it knows.

use std::fmt;
use std::future::Future;
use std::sync::mpsc;
use std::time::Duration;

use deadpool_postgres::{Client, GenericClient, Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::error::SqlState;

use crate::store::{Entry, MAX_SCAN_LIMIT, WriteBatch};
use crate::{CasConflict, RequirementFailed, StorageError, Store, Table};

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i32 = 1;

/// The migrations, in order: `MIGRATIONS[n]` takes the schema from version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 → 1: the key-value relation.
    "CREATE TABLE rosette_kv (
         tbl   text  NOT NULL,
         key   bytea NOT NULL,
         value bytea NOT NULL,
         PRIMARY KEY (tbl, key)
     )",
];

/// Any fixed number: the advisory lock agents take while migrating.
const MIGRATION_LOCK: i64 = 0x726f_7365_7474_6531;

/// How a [`PgStore`] connects.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// Connections kept in the pool.
    pub pool_size: usize,
    /// Longest wait for a connection (from the pool, or a new one to the server).
    pub connect_timeout: Duration,
    /// Longest time one call may take, retries included; past it the call answers
    /// [`StorageError::Unavailable`].
    pub call_timeout: Duration,
    /// Most attempts of one write transaction that keeps losing to concurrent ones.
    pub max_attempts: u32,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self {
            pool_size: 16,
            connect_timeout: Duration::from_secs(5),
            call_timeout: Duration::from_secs(15),
            max_attempts: 100,
        }
    }
}

/// The PostgreSQL [`Store`]. `Debug` shows the server address, never the password.
pub struct PgStore {
    pool: Pool,
    runtime: Option<tokio::runtime::Runtime>,
    handle: tokio::runtime::Handle,
    options: PgOptions,
    server: String,
}

impl fmt::Debug for PgStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgStore")
            .field("server", &self.server)
            .field("pool_size", &self.options.pool_size)
            .finish_non_exhaustive()
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Dropping a runtime waits for its tasks, which may not happen on an async thread.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Where `url` points, without credentials: for logs and `Debug`.
pub fn redacted_url(url: &str) -> String {
    match url.parse::<tokio_postgres::Config>() {
        Ok(config) => {
            let hosts: Vec<String> = config
                .get_hosts()
                .iter()
                .map(|h| match h {
                    tokio_postgres::config::Host::Tcp(name) => name.clone(),
                    tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .collect();
            let port = config.get_ports().first().copied().unwrap_or(5432);
            format!(
                "postgres://{}:{port}/{}",
                hosts.join(","),
                config.get_dbname().unwrap_or("")
            )
        }
        Err(_) => "postgres://(unreadable URL)".to_owned(),
    }
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/db`, with
    /// `sslmode=disable|prefer|require`), applies this build's migrations and checks the
    /// schema version.
    pub fn connect(url: &str, options: PgOptions) -> Result<Self, StorageError> {
        let mut config: tokio_postgres::Config =
            url.parse().map_err(|e| StorageError::Unsupported {
                reason: format!("not a PostgreSQL URL: {e}"),
            })?;
        // Every call is one statement, so one transaction; at SERIALIZABLE what it reads and
        // what it writes act as if no other transaction ran in between, on any agent.
        let session = match config.get_options() {
            Some(given) => format!("{given} -c default_transaction_isolation=serializable"),
            None => "-c default_transaction_isolation=serializable".to_owned(),
        };
        config.options(&session);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("rosette-postgres")
            .enable_all()
            .build()
            .map_err(|source| StorageError::Io { source })?;
        let manager = Manager::from_config(
            config,
            tls()?,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.pool_size)
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .wait_timeout(Some(options.connect_timeout))
            .create_timeout(Some(options.connect_timeout))
            .recycle_timeout(Some(options.connect_timeout))
            .build()
            .map_err(|e| StorageError::Unsupported {
                reason: format!("PostgreSQL pool: {e}"),
            })?;
        let store = Self {
            pool,
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
            options,
            server: redacted_url(url),
        };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version of the database (0 for an empty one).
    pub fn schema_version(&self) -> Result<i32, StorageError> {
        let pool = self.pool.clone();
        self.call(async move {
            let client = pool.get().await.map_err(unavailable)?;
            read_version(&client).await
        })
    }

    fn migrate(&self) -> Result<(), StorageError> {
        let pool = self.pool.clone();
        self.call(async move {
            let mut client = pool.get().await.map_err(unavailable)?;
            // READ COMMITTED: an agent that waited for the lock must see what the one before
            // it committed (a SERIALIZABLE snapshot would predate it).
            let tx = client
                .build_transaction()
                .isolation_level(tokio_postgres::IsolationLevel::ReadCommitted)
                .start()
                .await
                .map_err(sql)?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
                .await
                .map_err(sql)?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS rosette_schema (
                     id      int PRIMARY KEY CHECK (id = 1),
                     version int NOT NULL
                 )",
            )
            .await
            .map_err(sql)?;
            let found = read_version(&tx).await?;
            if found > SCHEMA_VERSION {
                return Err(StorageError::SchemaTooNew {
                    found,
                    known: SCHEMA_VERSION,
                });
            }
            for (from, migration) in MIGRATIONS.iter().enumerate().skip(found as usize) {
                tx.batch_execute(migration).await.map_err(sql)?;
                let to = from as i32 + 1;
                tx.execute(
                    "INSERT INTO rosette_schema (id, version) VALUES (1, $1)
                     ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version",
                    &[&to],
                )
                .await
                .map_err(sql)?;
                tracing::info!(version = to, "PostgreSQL schema migrated");
            }
            tx.commit().await.map_err(sql)
        })
    }

    /// Runs `work` on the store's runtime and waits for it, under the call timeout.
    fn call<T, F>(&self, work: F) -> Result<T, StorageError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, StorageError>> + Send + 'static,
    {
        let (done, result) = mpsc::sync_channel(1);
        let timeout = self.options.call_timeout;
        self.handle.spawn(async move {
            let outcome = match tokio::time::timeout(timeout, work).await {
                Ok(outcome) => outcome,
                Err(_) => Err(StorageError::Unavailable {
                    reason: format!("no answer from PostgreSQL within {timeout:?}"),
                }),
            };
            let _ = done.send(outcome);
        });
        result.recv().map_err(|_| StorageError::Unavailable {
            reason: "the PostgreSQL task stopped".to_owned(),
        })?
    }

    /// Runs `body` (one statement, so one transaction and one round trip) and retries the
    /// whole of it when PostgreSQL aborts it for a conflict with a concurrent one.
    fn retrying<T, B>(&self, table: Table, key: &[u8], body: B) -> Result<T, StorageError>
    where
        T: Send + 'static,
        B: for<'c> Fn(&'c Client) -> BoxFuture<'c, Result<T, tokio_postgres::Error>>
            + Send
            + Sync
            + 'static,
    {
        let pool = self.pool.clone();
        let max_attempts = self.options.max_attempts;
        let key = key.to_vec();
        self.call(async move {
            let client = pool.get().await.map_err(unavailable)?;
            for attempt in 1..=max_attempts {
                match body(&client).await {
                    Ok(value) => return Ok(value),
                    Err(e) if is_conflict(&e) => {
                        // Spread the retries of many losers over a few milliseconds.
                        let pause = Duration::from_micros(200 * u64::from(attempt.min(20)));
                        tokio::time::sleep(pause).await;
                    }
                    Err(e) => return Err(sql(e)),
                }
            }
            Err(StorageError::Contended {
                table,
                key,
                attempts: max_attempts,
            })
        })
    }
}

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

async fn read_version(client: &impl GenericClient) -> Result<i32, StorageError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('rosette_schema') IS NOT NULL", &[])
        .await
        .map_err(sql)?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let row = client
        .query_opt("SELECT version FROM rosette_schema WHERE id = 1", &[])
        .await
        .map_err(sql)?;
    Ok(row.map_or(0, |r| r.get(0)))
}

fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, StorageError> {
    use rustls_platform_verifier::ConfigVerifierExt as _;
    let config =
        rustls::ClientConfig::with_platform_verifier().map_err(|e| StorageError::Unsupported {
            reason: format!("TLS setup for PostgreSQL: {e}"),
        })?;
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// A conflict with a concurrent transaction: retrying from the start is the remedy.
fn is_conflict(e: &tokio_postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(&SqlState::T_R_SERIALIZATION_FAILURE)
            | Some(&SqlState::T_R_DEADLOCK_DETECTED)
            | Some(&SqlState::UNIQUE_VIOLATION)
    )
}

/// A driver error: with an SQL state the server answered (a bug on our side, or a server
/// refusing work); without one the connection failed.
fn sql(e: tokio_postgres::Error) -> StorageError {
    match e.code() {
        // Shutting down, too many connections, out of resources: all "try again later".
        Some(code)
            if code.code().starts_with("57")
                || code.code().starts_with("53")
                || code.code().starts_with("08") =>
        {
            StorageError::Unavailable {
                reason: e.to_string(),
            }
        }
        Some(_) => StorageError::EngineBug {
            reason: e.to_string(),
        },
        None => StorageError::Unavailable {
            reason: e.to_string(),
        },
    }
}

fn unavailable(e: deadpool_postgres::PoolError) -> StorageError {
    StorageError::Unavailable {
        reason: e.to_string(),
    }
}

/// The first key after every key that starts with `prefix`, if there is one.
fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

/// The statements, each one transaction: SERIALIZABLE is the session default (see
/// [`PgStore::connect`]), so what a statement reads and what it writes act as if no other
/// transaction ran in between.
mod sql_text {
    pub(super) const GET: &str = "SELECT value FROM rosette_kv WHERE tbl = $1 AND key = $2";
    /// Stores a value and returns the one it replaced (the CTE reads the statement's snapshot).
    pub(super) const INSERT: &str = "WITH old AS (
             SELECT value FROM rosette_kv WHERE tbl = $1 AND key = $2
         ), new AS (
             INSERT INTO rosette_kv (tbl, key, value) VALUES ($1, $2, $3)
             ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value
         )
         SELECT value FROM old";
    pub(super) const REMOVE: &str =
        "DELETE FROM rosette_kv WHERE tbl = $1 AND key = $2 RETURNING value";
    pub(super) const SWAP: &str =
        "UPDATE rosette_kv SET value = $4 WHERE tbl = $1 AND key = $2 AND value = $3";
    pub(super) const CREATE: &str = "INSERT INTO rosette_kv (tbl, key, value) VALUES ($1, $2, $3)
         ON CONFLICT (tbl, key) DO NOTHING";
    pub(super) const DELETE_IF: &str =
        "DELETE FROM rosette_kv WHERE tbl = $1 AND key = $2 AND value = $3";
    /// A checked batch in one statement: the first requirement that does not hold (its place
    /// in the batch, from 1, and the value found) is returned, and the writes happen only if there is none. The
    /// writes name each key once (see [`super::last_write_per_key`]): a statement may not
    /// touch one row twice.
    pub(super) const APPLY_CHECKED: &str = "WITH req AS (
             SELECT r.place, (SELECT kv.value FROM rosette_kv kv
                              WHERE kv.tbl = r.tbl AND kv.key = r.key) AS found, r.expected
             FROM unnest($1::text[], $2::bytea[], $3::bytea[])
                 WITH ORDINALITY AS r(tbl, key, expected, place)
         ), failed AS (
             SELECT place, found FROM req WHERE found IS DISTINCT FROM expected
         ), removed AS (
             DELETE FROM rosette_kv kv
             WHERE kv.ctid = ANY (ARRAY(
                 SELECT (SELECT k.ctid FROM rosette_kv k WHERE k.tbl = d.tbl AND k.key = d.key)
                 FROM unnest($4::text[], $5::bytea[]) AS d(tbl, key)))
               AND NOT EXISTS (SELECT 1 FROM failed)
         ), stored AS (
             INSERT INTO rosette_kv (tbl, key, value)
             SELECT * FROM unnest($6::text[], $7::bytea[], $8::bytea[])
             WHERE NOT EXISTS (SELECT 1 FROM failed)
             ON CONFLICT (tbl, key) DO UPDATE SET value = EXCLUDED.value
         )
         SELECT place, found FROM failed ORDER BY place LIMIT 1";
}

/// The writes of a batch with only the last write of each key kept, in the columns of
/// [`sql_text::APPLY_CHECKED`]: removals as (tables, keys), stores as (tables, keys, values).
#[allow(clippy::type_complexity)]
fn last_write_per_key(
    batch: &WriteBatch,
) -> (
    (Vec<&'static str>, Vec<Vec<u8>>),
    (Vec<&'static str>, Vec<Vec<u8>>, Vec<Vec<u8>>),
) {
    let mut last = std::collections::HashMap::new();
    for (place, w) in batch.writes.iter().enumerate() {
        last.insert((w.table, w.key.as_slice()), place);
    }
    let mut places: Vec<usize> = last.into_values().collect();
    places.sort_unstable();
    let (mut removed, mut stored) = ((vec![], vec![]), (vec![], vec![], vec![]));
    for place in places {
        let w = &batch.writes[place];
        match &w.value {
            Some(v) => {
                stored.0.push(w.table.as_str());
                stored.1.push(w.key.clone());
                stored.2.push(v.clone());
            }
            None => {
                removed.0.push(w.table.as_str());
                removed.1.push(w.key.clone());
            }
        }
    }
    (removed, stored)
}

async fn read(
    client: &Client,
    table: &str,
    key: &[u8],
) -> Result<Option<Vec<u8>>, tokio_postgres::Error> {
    // Prepared once per connection: one round trip per call instead of two.
    let statement = client.prepare_cached(sql_text::GET).await?;
    Ok(client
        .query_opt(&statement, &[&table, &key])
        .await?
        .map(|row| row.get(0)))
}

impl Store for PgStore {
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let k = key.to_vec();
        self.retrying(table, key, move |client| {
            let k = k.clone();
            Box::pin(async move { read(client, table.as_str(), &k).await })
        })
    }

    fn insert(
        &self,
        table: Table,
        key: &[u8],
        value: &[u8],
    ) -> Result<Option<Vec<u8>>, StorageError> {
        let (k, v) = (key.to_vec(), value.to_vec());
        self.retrying(table, key, move |client| {
            let (k, v) = (k.clone(), v.clone());
            Box::pin(async move {
                let statement = client.prepare_cached(sql_text::INSERT).await?;
                Ok(client
                    .query_opt(&statement, &[&table.as_str(), &k, &v])
                    .await?
                    .map(|row| row.get(0)))
            })
        })
    }

    fn remove(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StorageError> {
        let k = key.to_vec();
        self.retrying(table, key, move |client| {
            let k = k.clone();
            Box::pin(async move {
                let statement = client.prepare_cached(sql_text::REMOVE).await?;
                Ok(client
                    .query_opt(&statement, &[&table.as_str(), &k])
                    .await?
                    .map(|row| row.get(0)))
            })
        })
    }

    fn scan_prefix(
        &self,
        table: Table,
        prefix: &[u8],
        start_after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Entry>, StorageError> {
        let pool = self.pool.clone();
        let lower = match start_after {
            Some(after) if after >= prefix => after.to_vec(),
            _ => prefix.to_vec(),
        };
        let strictly_after = start_after.is_some_and(|after| after >= prefix);
        let upper = prefix_end(prefix);
        let limit = i64::try_from(limit.min(MAX_SCAN_LIMIT)).unwrap_or(0);
        self.call(async move {
            let client = pool.get().await.map_err(unavailable)?;
            let lower_op = if strictly_after { ">" } else { ">=" };
            let rows = match &upper {
                Some(upper) => {
                    let statement = client
                        .prepare_cached(&format!(
                            "SELECT key, value FROM rosette_kv
                             WHERE tbl = $1 AND key {lower_op} $2 AND key < $3
                             ORDER BY key LIMIT $4"
                        ))
                        .await
                        .map_err(sql)?;
                    client
                        .query(&statement, &[&table.as_str(), &lower, upper, &limit])
                        .await
                }
                None => {
                    let statement = client
                        .prepare_cached(&format!(
                            "SELECT key, value FROM rosette_kv
                             WHERE tbl = $1 AND key {lower_op} $2
                             ORDER BY key LIMIT $3"
                        ))
                        .await
                        .map_err(sql)?;
                    client
                        .query(&statement, &[&table.as_str(), &lower, &limit])
                        .await
                }
            }
            .map_err(sql)?;
            Ok(rows.into_iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn compare_and_swap(
        &self,
        table: Table,
        key: &[u8],
        expected: Option<&[u8]>,
        new: Option<&[u8]>,
    ) -> Result<Result<(), CasConflict>, StorageError> {
        let k = key.to_vec();
        let expected = expected.map(<[u8]>::to_vec);
        let new = new.map(<[u8]>::to_vec);
        self.retrying(table, key, move |client| {
            let (k, expected, new) = (k.clone(), expected.clone(), new.clone());
            Box::pin(async move {
                let tbl = table.as_str();
                loop {
                    // One conditional statement; the current value is read only on a conflict.
                    let swapped = match (&expected, &new) {
                        (Some(e), Some(n)) => {
                            let statement = client.prepare_cached(sql_text::SWAP).await?;
                            client.execute(&statement, &[&tbl, &k, e, n]).await? == 1
                        }
                        (None, Some(n)) => {
                            let statement = client.prepare_cached(sql_text::CREATE).await?;
                            client.execute(&statement, &[&tbl, &k, n]).await? == 1
                        }
                        (Some(e), None) => {
                            let statement = client.prepare_cached(sql_text::DELETE_IF).await?;
                            client.execute(&statement, &[&tbl, &k, e]).await? == 1
                        }
                        (None, None) => false,
                    };
                    if swapped {
                        return Ok(Ok(()));
                    }
                    let current = read(client, tbl, &k).await?;
                    if current != expected {
                        return Ok(Err(CasConflict { current }));
                    }
                    if new.is_none() {
                        // Expected absent, found absent, asked to stay absent: done.
                        return Ok(Ok(()));
                    }
                    // The value went back to `expected` between the two statements: again.
                }
            })
        })
    }

    fn apply_checked(
        &self,
        batch: WriteBatch,
    ) -> Result<Result<(), RequirementFailed>, StorageError> {
        let Some((table, key)) = batch
            .writes
            .first()
            .map(|w| (w.table, w.key.clone()))
            .or_else(|| batch.requirements.first().map(|r| (r.table, r.key.clone())))
        else {
            return Ok(Ok(()));
        };
        let (removed, stored) = last_write_per_key(&batch);
        let required: (Vec<&'static str>, Vec<Vec<u8>>, Vec<Option<Vec<u8>>>) = (
            batch
                .requirements
                .iter()
                .map(|r| r.table.as_str())
                .collect(),
            batch.requirements.iter().map(|r| r.key.clone()).collect(),
            batch
                .requirements
                .iter()
                .map(|r| r.expected.clone())
                .collect(),
        );
        let columns = std::sync::Arc::new((required, removed, stored, batch.requirements));
        self.retrying(table, &key, move |client| {
            let columns = std::sync::Arc::clone(&columns);
            Box::pin(async move {
                let (required, removed, stored, requirements) = &*columns;
                let statement = client.prepare_cached(sql_text::APPLY_CHECKED).await?;
                let failed = client
                    .query_opt(
                        &statement,
                        &[
                            &required.0,
                            &required.1,
                            &required.2,
                            &removed.0,
                            &removed.1,
                            &stored.0,
                            &stored.1,
                            &stored.2,
                        ],
                    )
                    .await?;
                Ok(match failed {
                    None => Ok(()),
                    Some(row) => {
                        // `place` counts the requirements from 1.
                        let place: i64 = row.get(0);
                        let r = usize::try_from(place - 1)
                            .ok()
                            .and_then(|i| requirements.get(i))
                            .expect("PostgreSQL returned a requirement of the batch");
                        Err(RequirementFailed {
                            table: r.table,
                            key: r.key.clone(),
                            current: row.get(1),
                        })
                    }
                })
            })
        })
    }

    fn flush(&self) -> Result<(), StorageError> {
        // Every call returned after its COMMIT, which PostgreSQL made durable.
        Ok(())
    }

    fn len(&self, table: Table) -> Result<usize, StorageError> {
        let pool = self.pool.clone();
        self.call(async move {
            let client = pool.get().await.map_err(unavailable)?;
            let n: i64 = client
                .query_one(
                    "SELECT count(*) FROM rosette_kv WHERE tbl = $1",
                    &[&table.as_str()],
                )
                .await
                .map_err(sql)?
                .get(0);
            Ok(usize::try_from(n).unwrap_or(0))
        })
    }

    fn tables(&self) -> Result<Vec<String>, StorageError> {
        let pool = self.pool.clone();
        self.call(async move {
            let client = pool.get().await.map_err(unavailable)?;
            let rows = client
                .query("SELECT DISTINCT tbl FROM rosette_kv ORDER BY tbl", &[])
                .await
                .map_err(sql)?;
            Ok(rows.into_iter().map(|r| r.get(0)).collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_is_the_next_key_after_the_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(prefix_end(b"\xff\xff"), None);
        assert_eq!(prefix_end(b""), None);
    }

    #[test]
    fn urls_are_shown_without_credentials() {
        assert_eq!(
            redacted_url("postgres://rosette:s3cret@db.example:6432/badges?sslmode=require"),
            "postgres://db.example:6432/badges"
        );
        assert!(!format!("{:?}", redacted_url("postgres://u:pw@h/d")).contains("pw"));
    }
}
