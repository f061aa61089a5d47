//! `rosette-agent serve`: configuration, storage, the application state, the routers of every
//! role assembled into one ([`router`]), the ready line, graceful shutdown.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result};
use axum::Router;
use axum::http::StatusCode;
use rosette_core::{SecretString, SystemClock};
use rosette_storage::migrate::{MigrationError, MigrationReport};
use rosette_storage::watch::{Watchdog, WatchedStore};
use rosette_storage::{Durability, RedbStore, Store};
use serde_json::{Value, json};

use crate::app::AppState;
use crate::config::{DEFAULT_DATA, DEFAULT_LISTEN, FileConfig, Settings};
use crate::issuer::{
    AchievementInput, Criteria, IssuerService, NewInstitution, NewOffer, Recipient,
};

/// The whole application: every role's routes, the console, the assets and `/health`, on one
/// state.
pub fn router(state: AppState) -> Router {
    let limiter =
        crate::web::limits::RateLimiter::new(state.directory.settings().rate_limits.clone());
    let metrics = state.directory.settings().metrics;
    let mut router = Router::new();
    if metrics {
        // Installs the recorder before the first request is counted. Not rate limited: a
        // scraper polls it every few seconds from one address.
        crate::web::metrics::handle();
        router = router.route("/metrics", axum::routing::get(crate::web::metrics::render));
    }
    router
        .route(
            "/health",
            axum::routing::get(|| async { axum::Json(json!({"status": "ok"})) }),
        )
        // The process is alive (a load balancer's liveness check); readiness is /health/ready.
        .route(
            "/health/live",
            axum::routing::get(|| async { axum::Json(json!({"status": "ok"})) }),
        )
        .merge(crate::issuer::http::router())
        .merge(crate::status::http::router())
        .merge(crate::verifier::http::router())
        .merge(crate::public::http::router())
        .merge(crate::console::router(&state))
        .merge(crate::web::ui::router())
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"error": "not_found", "error_description": "no such endpoint"})),
            )
        })
        .method_not_allowed_fallback(|| async {
            (
                StatusCode::METHOD_NOT_ALLOWED,
                axum::Json(
                    json!({"error": "invalid_request", "error_description": "method not allowed"}),
                ),
            )
        })
        .with_state(state)
        .layer(axum::middleware::from_fn_with_state(
            limiter,
            crate::web::limits::limit,
        ))
        .layer(axum::middleware::from_fn(crate::web::error::retry_after))
}

/// The table the readiness probe reads (it holds nothing).
const READY_PROBE_TABLE: rosette_storage::Table = rosette_storage::Table::new("health_probe");

/// `GET /health/ready`: 200 while the store answers and every storage call returns in time; 503, with the stuck
/// calls, while one has not returned within the watchdog's limit (an engine deadlock or a
/// stalled disk). `/health` stays 200: the process is alive and serves what it can.
pub fn ready_router(
    watchdog: Arc<rosette_storage::watch::Watchdog>,
    store: Arc<dyn Store>,
) -> Router {
    Router::new().route(
        "/health/ready",
        axum::routing::get(move || {
            let watchdog = Arc::clone(&watchdog);
            let store = Arc::clone(&store);
            async move {
                let stuck = watchdog.stuck();
                if stuck.is_empty() {
                    // The store answers a read (for PostgreSQL: the database is up).
                    let probe =
                        tokio::task::spawn_blocking(move || store.get(READY_PROBE_TABLE, b"probe"))
                            .await;
                    return match probe {
                        Ok(Ok(_)) => (StatusCode::OK, axum::Json(json!({"status": "ready"}))),
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "readiness probe failed");
                            (
                                StatusCode::SERVICE_UNAVAILABLE,
                                axum::Json(json!({
                                    "status": "unready",
                                    "reason": "the store does not answer",
                                })),
                            )
                        }
                        Err(_) => (
                            StatusCode::SERVICE_UNAVAILABLE,
                            axum::Json(json!({"status": "unready", "reason": "probe failed"})),
                        ),
                    };
                }
                let calls: Vec<Value> = stuck
                    .iter()
                    .map(|c| {
                        json!({
                            "operation": c.operation,
                            "running_seconds": c.running_for.as_secs_f64(),
                        })
                    })
                    .collect();
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    axum::Json(json!({
                        "status": "unready",
                        "reason": format!(
                            "{} storage call(s) have not returned within {} s",
                            stuck.len(),
                            watchdog.stall_after().as_secs_f64()
                        ),
                        "stuck_storage_calls": calls,
                    })),
                )
            }
        }),
    )
}

/// Command-line values of `serve` (already merged with the environment by clap).
#[derive(Debug, Default)]
pub struct ServeOptions {
    /// `--config`.
    pub config: Option<PathBuf>,
    /// `--listen` / `ROSETTE_LISTEN`.
    pub listen: Option<SocketAddr>,
    /// `--data` / `ROSETTE_DATA`.
    pub data: Option<PathBuf>,
    /// `--public-url` / `ROSETTE_PUBLIC_URL`.
    pub public_url: Option<String>,
    /// `ROSETTE_OPERATOR_TOKEN`.
    pub operator_token: Option<String>,
    /// `--demo`.
    pub demo: bool,
    /// `--storage-stall-seconds`: when a storage call counts as stuck.
    pub storage_stall: Option<std::time::Duration>,
    /// `--storage-durability`: when writes reach the disk.
    pub storage_durability: Option<crate::config::StorageDurability>,
    /// `--database-url` / `ROSETTE_DATABASE_URL`: PostgreSQL instead of the embedded store.
    pub database_url: Option<SecretString>,
    /// `--log-format json`: the logs are JSON lines, so the start-up notes for people (where
    /// the agent listens, the next step, the demo QR code) are log events too, not plain text.
    pub json_logs: bool,
}

/// The store's file inside the data directory.
pub const STORE_FILE: &str = "store.redb";
/// Where versions before redb kept their sled store, inside the data directory.
pub const LEGACY_SLED_DIR: &str = "db";
/// Where `store migrate` keeps the sled files after a verified migration.
pub const MIGRATED_SLED_DIR: &str = "db.sled-migrated";
/// How often the store is flushed in the background. With `--storage-durability flush`, writes
/// not flushed explicitly (the issuance steps) are durable within this time, as with sled's own
/// 500 ms flush; with every-write durability (writes already durable in the store's journal) a
/// flush is a checkpoint, after which the journal starts over.
pub const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// The data directory's store, wrapped in the deadlock watchdog and timed for `/metrics`, and
/// the watchdog.
#[derive(Debug)]
pub struct OpenedStore {
    /// The store, every call of which the watchdog sees.
    pub store: Arc<dyn Store>,
    /// Judges which calls are stuck (for `/health/ready`).
    pub watchdog: Arc<Watchdog>,
}

/// Opens (creating if absent) the store of data directory `data` and starts its watchdog.
///
/// Refuses a data directory that still holds a sled store from an earlier version, with the
/// exact command that migrates it: sled is not in the default build (issue 13).
pub fn open_store(
    data: &Path,
    durability: Durability,
    stall_after: std::time::Duration,
) -> Result<OpenedStore> {
    let sled_dir = data.join(LEGACY_SLED_DIR);
    if sled_dir.exists() {
        anyhow::bail!(
            "{} holds a sled store written by an earlier rosette-agent; this version keeps its \
             data in {} (redb) and does not read sled stores. Stop every agent using this data \
             directory, then migrate it once (verified table by table; the sled files are kept) \
             with:\n\n    {}\n",
            sled_dir.display(),
            data.join(STORE_FILE).display(),
            migrate_command(data)
        );
    }
    let file = data.join(STORE_FILE);
    let store = RedbStore::open_with(&file, durability)
        .with_context(|| format!("cannot open the data store {}", file.display()))?;
    watched(Arc::new(store), stall_after)
}

/// Connects to the PostgreSQL database at `url` (several agents may share it), applies the
/// schema migrations this build knows, and starts the watchdog. Refuses a database whose
/// schema is newer than this build.
pub fn open_database(
    url: &SecretString,
    pool_size: Option<usize>,
    stall_after: std::time::Duration,
) -> Result<OpenedStore> {
    let mut options = rosette_storage::PgOptions::default();
    if let Some(n) = pool_size {
        options.pool_size = n.clamp(1, 1000);
    }
    let shown = rosette_storage::redacted_url(url.expose_secret());
    let store = rosette_storage::PgStore::connect(url.expose_secret(), options)
        .with_context(|| format!("cannot use the database {shown}"))?;
    tracing::info!(database = %shown, "storage: PostgreSQL");
    watched(Arc::new(store), stall_after)
}

fn watched(store: Arc<dyn Store>, stall_after: std::time::Duration) -> Result<OpenedStore> {
    let watchdog = Watchdog::new(
        stall_after,
        Arc::new(rosette_storage::watch::SystemMonotonic),
    );
    // Checked a few times per limit, so a stall is reported soon after it passes the limit.
    watchdog
        .spawn_monitor((stall_after / 4).clamp(
            std::time::Duration::from_millis(50),
            std::time::Duration::from_secs(1),
        ))
        .context("cannot start the storage watchdog")?;
    let watched: Arc<dyn Store> = Arc::new(WatchedStore::new(store, Arc::clone(&watchdog)));
    Ok(OpenedStore {
        store: Arc::new(crate::web::metrics::MeteredStore::new(watched)),
        watchdog,
    })
}

/// The command that migrates data directory `data`, ready to paste into a shell.
pub fn migrate_command(data: &Path) -> String {
    let absolute = std::path::absolute(data).unwrap_or_else(|_| data.to_path_buf());
    let quoted = format!(
        "'{}'",
        absolute.display().to_string().replace('\'', "'\\''")
    );
    format!(
        "cargo run --release -p rosette-agent --features sled-migrate -- store migrate --data \
         {quoted}"
    )
}

/// What [`migrate_sled_data_dir`] did.
#[derive(Debug)]
pub struct SledMigration {
    /// Per table: entries and digest, equal in the sled store and the new store.
    pub report: MigrationReport,
    /// The sled store that was read.
    pub sled_dir: PathBuf,
    /// The new store.
    pub store_file: PathBuf,
    /// Where the sled files are now kept.
    pub kept_sled_dir: PathBuf,
}

/// Migrates the sled store of data directory `data` into a new redb store, verifies it, and
/// moves the sled files aside (kept, under [`MIGRATED_SLED_DIR`]) so that the agent starts on
/// the new store.
pub fn migrate_sled_data_dir(data: &Path) -> Result<SledMigration> {
    let sled_dir = data.join(LEGACY_SLED_DIR);
    let store_file = data.join(STORE_FILE);
    let kept_sled_dir = data.join(MIGRATED_SLED_DIR);
    if !sled_dir.join("db").is_file() {
        anyhow::bail!(
            "{} holds no sled store (no {} file): nothing to migrate",
            sled_dir.display(),
            sled_dir.join("db").display()
        );
    }
    if kept_sled_dir.exists() {
        anyhow::bail!(
            "{} exists: an earlier migration kept its sled files there; move it away first",
            kept_sled_dir.display()
        );
    }
    let report = match rosette_storage::migrate::migrate_sled_store(&sled_dir, &store_file) {
        Ok(report) => report,
        Err(MigrationError::SledNotBuilt) => anyhow::bail!(
            "this rosette-agent was built without the sled-migrate feature, so it cannot read \
             the sled store; run:\n\n    {}\n",
            migrate_command(data)
        ),
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "migrating {} into {} failed; the sled store is unchanged",
                    sled_dir.display(),
                    store_file.display()
                )
            });
        }
    };
    std::fs::rename(&sled_dir, &kept_sled_dir).with_context(|| {
        format!(
            "the new store {} is complete, but {} could not be moved aside (do it by hand)",
            store_file.display(),
            sled_dir.display()
        )
    })?;
    Ok(SledMigration {
        report,
        sled_dir,
        store_file,
        kept_sled_dir,
    })
}

/// Runs the server until SIGTERM/SIGINT.
pub async fn run(mut options: ServeOptions) -> Result<()> {
    let file = match &options.config {
        Some(path) => FileConfig::load(path)?,
        None => FileConfig::default(),
    };
    let listen = options.listen.or(file.listen).unwrap_or_else(|| {
        DEFAULT_LISTEN
            .parse()
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080)))
    });
    let data = options
        .data
        .clone()
        .or(file.data.clone())
        .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA));
    std::fs::create_dir_all(&data)
        .with_context(|| format!("cannot create data directory {}", data.display()))?;
    let storage = file.storage.clone().unwrap_or_default();
    let database_url = options
        .database_url
        .take()
        .or(storage.database_url.clone().map(SecretString::new));
    let kek_from_env = std::env::var(KEK_ENV).is_ok_and(|t| !t.trim().is_empty());
    if database_url.is_some() && !kek_from_env && file.kek_file.is_none() {
        // A KEK generated into this replica's data directory would differ from every other
        // replica's, and the database's keys are sealed under one.
        anyhow::bail!(
            "with a database shared by several agents, every agent needs the same \
             key-encryption key: set {KEK_ENV}, or kek_file in the configuration (make one with \
             `head -c 32 /dev/urandom | basenc --base64url | tr -d =`)"
        );
    }
    let token_given = options.operator_token.is_some() || file.operator_token.is_some();
    if database_url.is_some() && !token_given {
        // A token generated per data directory would differ between replicas behind one
        // address, and sign-ins would fail on every other request.
        anyhow::bail!(
            "with a database shared by several agents, every agent needs the same operator \
             token: set ROSETTE_OPERATOR_TOKEN, or operator_token in the configuration"
        );
    }
    let (kek, _) = load_kek(file.kek_file.as_deref(), &data)?;
    let other_keks = load_other_kek(file.kek_other_file.as_deref())?;
    let metrics = file.metrics.unwrap_or(true);
    if metrics {
        // Before the store opens, so its first calls are timed too.
        crate::web::metrics::handle();
    }

    let (operator_token, token_file) = operator_token(
        options
            .operator_token
            .clone()
            .or(file.operator_token.clone()),
        &data,
    )?;
    let stall_after = options
        .storage_stall
        .or(file
            .storage_stall_seconds
            .map(std::time::Duration::from_secs))
        .unwrap_or(rosette_storage::watch::DEFAULT_STALL_AFTER);
    let durability = options
        .storage_durability
        .or(file.storage_durability)
        .unwrap_or_default()
        .into();
    let opened = {
        let data = data.clone();
        tokio::task::spawn_blocking(move || match &database_url {
            Some(url) => open_database(url, storage.pool_size, stall_after),
            None => open_store(&data, durability, stall_after),
        })
        .await??
    };
    let store = Arc::clone(&opened.store);

    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let bound = listener.local_addr()?;
    let local_url = format!("http://{bound}");
    let configured_public_url = options.public_url.clone().or(file.public_url.clone());
    let public_url = configured_public_url
        .clone()
        .unwrap_or_else(|| local_url.clone());
    // Once the store's files exist: only the agent's user reads any of them.
    secure_data_dir(&data)?;
    let mut settings = Settings::new(public_url.clone(), operator_token);
    settings.kek = kek;
    settings.other_keks = other_keks;
    settings.metrics = metrics;
    let limits = &mut settings.rate_limits;
    for (value, slot) in [
        (file.rate_limit_token, &mut limits.token),
        (file.rate_limit_verify, &mut limits.verify),
        (file.rate_limit_challenge, &mut limits.challenge),
        (file.rate_limit_sign_in, &mut limits.sign_in),
        (file.rate_limit_poll, &mut limits.poll),
    ] {
        if let Some(v) = value {
            *slot = v;
        }
    }
    if let Some(proxies) = file.trusted_proxies.clone() {
        limits.trusted_proxies = proxies;
    }
    if let Some(v) = file.batch_size {
        settings.batch_size = v;
    }
    if let Some(v) = file.max_tx_code_attempts {
        settings.max_tx_code_attempts = v;
    }
    if let Some(v) = file.access_token_lifetime {
        settings.access_token_lifetime = v;
    }
    if let Some(v) = file.nonce_lifetime {
        settings.nonce_lifetime = v;
    }
    let state = AppState::new(Arc::clone(&store), Arc::new(SystemClock), settings)?;
    let service = Arc::clone(&state.issuer);

    let shutdown = shutdown_signal()?;
    let console = format!("{}/console/login", public_url.trim_end_matches('/'));
    let mut ready = json!({
        "event": "ready",
        "url": public_url.trim_end_matches('/'),
        // Where this agent itself listens: behind a proxy, or as one of several replicas,
        // not the public URL.
        "listening": local_url,
        "operator_token_file": token_file.as_ref().map(|p| p.display().to_string()),
        "console": console,
    });
    if options.demo {
        let demo_service = Arc::clone(&service);
        let demo = tokio::task::spawn_blocking(move || demo(&demo_service)).await??;
        if let Some(obj) = ready.as_object_mut() {
            obj.insert("offer".into(), json!(demo.offer));
            obj.insert("tx_code".into(), json!(demo.tx_code));
            obj.insert("issuer".into(), json!(demo.issuer));
            obj.insert("admin_token".into(), json!(demo.admin_token));
        }
        let verifier = Arc::clone(&state.verifier);
        let request = tokio::task::spawn_blocking(move || demo_request(&verifier)).await??;
        if let Some(obj) = ready.as_object_mut() {
            obj.insert("request".into(), json!(request.request_url));
            obj.insert("request_page".into(), json!(request.page));
        }
        // With JSON logs, stderr holds only log events; the ready line has the offer (and the
        // PIN and admin token, which stay out of the logs).
        let qr = (!options.json_logs).then(|| crate::web::qr::terminal(&demo.offer));
        match qr {
            Some(Ok(qr)) => eprintln!(
                "\nScan with your wallet (PIN {}):\n{qr}\n{}\n\nStaff console: {}/console/login \
                 (institution demo, admin token {})\n",
                demo.tx_code.as_deref().unwrap_or("none"),
                demo.offer,
                public_url.trim_end_matches('/'),
                demo.admin_token,
            ),
            Some(Err(e)) => tracing::warn!(error = %e, "cannot draw the demo QR code"),
            None => {}
        }
    }
    let next_step = {
        let service = Arc::clone(&service);
        let any = tokio::task::spawn_blocking(move || {
            service.list_institutions(&crate::issuer::PageRequest {
                limit: Some(1),
                cursor: None,
            })
        })
        .await??;
        next_step(
            !any.items.is_empty(),
            &console,
            &local_url,
            &data,
            token_file.as_deref(),
        )
    };
    let phone_warning = state.directory.settings().phone_warning();
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{ready}")?;
        stdout.flush()?;
    }
    // For people, on every start: where the agent is, where staff sign in, what to do next, and
    // whether phones can reach it. On stderr, with the logs; the ready line stays the contract.
    // With JSON logs the same notes are log events, so every line of stderr parses.
    if options.json_logs {
        tracing::info!(listening = %local_url, public_url = %public_url, console = %console, "listening");
        tracing::info!("{next_step}");
        if let Some(warning) = &phone_warning {
            tracing::warn!("{warning}");
        }
    } else {
        eprintln!("\nRosette agent listening on {local_url}");
        if configured_public_url.is_some() {
            eprintln!("Public URL (in QR codes, offers and credentials): {public_url}");
        }
        eprintln!("Staff console: {console}");
        eprintln!("{next_step}");
        match &phone_warning {
            Some(warning) if configured_public_url.is_none() => {
                eprintln!("warning: no --public-url set. {warning}\n");
            }
            Some(warning) => eprintln!("warning: {warning}\n"),
            None => eprintln!(),
        }
        tracing::info!(listening = %local_url, public_url = %public_url, "listening");
    }

    // Durability within FLUSH_EVERY for writes nobody flushed.
    let flushed = Arc::clone(&store);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(FLUSH_EVERY);
        loop {
            every.tick().await;
            let store = Arc::clone(&flushed);
            match tokio::task::spawn_blocking(move || store.flush()).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "background store flush failed"),
                Err(e) => tracing::warn!(error = %e, "the background flush stopped"),
            }
        }
    });
    // Housekeeping: used-nonce rows of expired nonces are dropped a block at a time.
    let sweeper = Arc::clone(&service);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            every.tick().await;
            let service = Arc::clone(&sweeper);
            match tokio::task::spawn_blocking(move || service.sweep_used_nonces(10_000)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::debug!(dropped = n, "expired used nonces swept"),
                Ok(Err(e)) => tracing::warn!(error = %e, "sweeping used nonces failed"),
                Err(e) => tracing::warn!(error = %e, "the nonce sweeper stopped"),
            }
        }
    });
    // Bulk jobs whose agent stopped renewing them (it died, or this agent restarted) are taken
    // over here; with several agents on one database, by one of them.
    let bulk = Arc::clone(&state.bulk);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            every.tick().await;
            let bulk = Arc::clone(&bulk);
            match tokio::task::spawn_blocking(move || bulk.resume_abandoned()).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "looking for abandoned bulk jobs failed"),
                Err(e) => tracing::warn!(error = %e, "the bulk job sweeper stopped"),
            }
        }
    });
    let app = router(state).merge(ready_router(
        Arc::clone(&opened.watchdog),
        Arc::clone(&store),
    ));
    let mut limits = crate::web::serve::ServeLimits::default();
    if let Some(v) = file.max_connections {
        limits.max_connections = v;
    }
    if let Some(v) = file.header_read_timeout {
        limits.header_read_timeout = std::time::Duration::from_secs(v.max(1));
    }
    if let Some(v) = file.request_timeout {
        limits.request_timeout = std::time::Duration::from_secs(v.max(1));
    }
    crate::web::serve::serve(listener, app, limits, shutdown).await?;
    tracing::info!("shutting down; flushing storage");
    tokio::task::spawn_blocking(move || store.flush()).await??;
    Ok(())
}

/// What an operator does next, printed on every start: create the first institution, or sign
/// in.
pub fn next_step(
    has_institution: bool,
    console: &str,
    local_url: &str,
    data: &Path,
    token_file: Option<&Path>,
) -> String {
    let token = match token_file {
        Some(file) => format!("the operator token in {}", file.display()),
        None => "the operator token (ROSETTE_OPERATOR_TOKEN or the configuration)".to_owned(),
    };
    if has_institution {
        format!(
            "Next: sign in at {console} with your institution's slug and admin token (or {token})."
        )
    } else {
        let data = std::path::absolute(data).unwrap_or_else(|_| data.to_path_buf());
        format!(
            "Next: no institution yet. Create one (it prints the admin token to sign in with):\n\n    \
             rosette-agent institution create --data '{}' --agent {} --slug my-college --name 'My College'\n\n\
             or in the browser at {console}/new-institution with {token};
             then sign in at {console}. (Or run `rosette-agent serve --demo` for a ready-made demo.)",
            data.display(),
            local_url,
        )
    }
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed when this is called (before the
/// ready line), so a signal sent right after "ready" is never lost to the default action.
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    Ok(async move {
        #[cfg(unix)]
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Environment variable holding the key-encryption key (base64url or hex, 32 bytes).
pub const KEK_ENV: &str = "ROSETTE_KEK";
/// The KEK file generated in the data directory when none is configured.
pub const KEK_FILE: &str = "kek";

/// The other KEK of a rotation (`ROSETTE_KEK_OTHER`, else `kek_other_file`), if any: it opens
/// sealed values and never seals.
pub fn load_other_kek(configured_file: Option<&Path>) -> Result<Vec<rosette_core::kek::Kek>> {
    use rosette_core::kek::Kek;
    if let Ok(text) = std::env::var(KEK_OTHER_ENV)
        && !text.trim().is_empty()
    {
        return Ok(vec![Kek::parse(&text).context(KEK_OTHER_ENV)?]);
    }
    match configured_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Ok(vec![
                Kek::parse(&text).with_context(|| format!("{}", path.display()))?,
            ])
        }
        None => Ok(Vec::new()),
    }
}

/// The environment variable of the other KEK during a rotation.
pub const KEK_OTHER_ENV: &str = "ROSETTE_KEK_OTHER";

/// The key-encryption key: `ROSETTE_KEK`, else the configured `kek_file`, else `<data>/kek`
/// (generated on first start, 0600). Returns the file it came from, if any.
///
/// A KEK is generated only for a data directory that has no store yet (or one written before
/// sealing): generating one for a store sealed under another would lock its secrets away.
pub fn load_kek(
    configured_file: Option<&Path>,
    data: &Path,
) -> Result<(rosette_core::kek::Kek, Option<PathBuf>)> {
    use rosette_core::kek::Kek;
    if let Ok(text) = std::env::var(KEK_ENV)
        && !text.trim().is_empty()
    {
        return Ok((Kek::parse(&text).context(KEK_ENV)?, None));
    }
    let path = configured_file.map_or_else(|| data.join(KEK_FILE), Path::to_path_buf);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let kek = Kek::parse(&text).with_context(|| format!("{}", path.display()))?;
            return Ok((kek, Some(path)));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && configured_file.is_none() => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    if let Some(id) = sealed_under(data)? {
        anyhow::bail!(
            "the data in {} is sealed under key-encryption key {id}, and no key was given: put \
             that key in {} or in {KEK_ENV} (a copied data directory needs the key copied \
             separately)",
            data.display(),
            path.display()
        );
    }
    let kek = Kek::generate();
    write_private(&path, kek.to_text().as_bytes())?;
    tracing::info!(file = %path.display(), kek = kek.id(), "key-encryption key generated; keep a copy apart from the data (backups need both)");
    Ok((kek, Some(path)))
}

/// The id of the KEK the store in `data` sealed its server secret under, if it has a store with
/// a sealed secret. Read from the store file directly, before the agent opens it.
fn sealed_under(data: &Path) -> Result<Option<String>> {
    let file = data.join(STORE_FILE);
    if !file.exists() {
        return Ok(None);
    }
    let store = RedbStore::open_with(&file, rosette_storage::Durability::OnReturn)
        .with_context(|| format!("cannot open the data store {}", file.display()))?;
    let secret =
        rosette_storage::Repo::<crate::issuer::records::ServerSecretRow>::new(Arc::new(store))
            .get(b"offer_secret")?;
    Ok(secret.and_then(|row| {
        row.secret_hex
            .strip_prefix("kek1.")
            .and_then(|rest| rest.split('.').next())
            .map(str::to_owned)
    }))
}

/// Writes `bytes` to a new file only its owner can read (0600); refuses to replace one.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

/// Makes the data directory 0700 and every file in it 0600 (the store, its journal, the
/// operator token, the KEK), also for directories made by an older version; logs what it
/// tightened.
pub fn secure_data_dir(data: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let tighten = |path: &Path, mode: u32| -> Result<()> {
            let meta = std::fs::symlink_metadata(path)?;
            if meta.file_type().is_symlink() {
                return Ok(());
            }
            let current = meta.permissions().mode() & 0o777;
            if current & !mode != 0 {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
                    .with_context(|| format!("cannot restrict {}", path.display()))?;
                tracing::info!(path = %path.display(), from = format!("{current:o}"), to = format!("{mode:o}"), "permissions tightened");
            }
            Ok(())
        };
        tighten(data, 0o700)?;
        for entry in std::fs::read_dir(data)? {
            let path = entry?.path();
            if path.is_file() {
                tighten(&path, 0o600)?;
            } else if path.is_dir() {
                tighten(&path, 0o700)?;
            }
        }
    }
    Ok(())
}

/// The operator token from config/env, else read from or generated into `<data>/operator-token`.
fn operator_token(
    configured: Option<String>,
    data: &Path,
) -> Result<(SecretString, Option<PathBuf>)> {
    if let Some(token) = configured.filter(|t| !t.trim().is_empty()) {
        return Ok((SecretString::new(token.trim().to_owned()), None));
    }
    let path = data.join("operator-token");
    if let Ok(text) = std::fs::read_to_string(&path)
        && !text.trim().is_empty()
    {
        return Ok((SecretString::new(text.trim().to_owned()), Some(path)));
    }
    let mut bytes = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let token = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(&path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(token.as_bytes())?;
    file.sync_all()?;
    Ok((SecretString::new(token), Some(path)))
}

/// How long the demo presentation request printed at start stays usable: the longest a
/// request may live (the README points people at it, so not the 10-minute default).
pub const DEMO_REQUEST_LIFETIME: u64 = 86_400;

/// `--demo`'s presentation request: the demo institution's first active achievement, issued by
/// the demo institution, usable for [`DEMO_REQUEST_LIFETIME`].
pub fn demo_request(
    verifier: &crate::verifier::VerifierService,
) -> Result<crate::verifier::service::CreatedPresentationRequest> {
    let service = verifier.issuer();
    let inst = service
        .directory()
        .institution("demo")?
        .ok_or_else(|| anyhow::anyhow!("no demo institution"))?;
    let achievement_id = service
        .list_achievements("demo")?
        .iter()
        .find(|a| a.get("archived") == Some(&json!(false)))
        .and_then(|a| a.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(verifier.create_request(
        "demo",
        crate::verifier::service::NewPresentationRequest {
            achievement_id,
            trusted_issuers: vec![inst.did.clone()],
            expires_in_seconds: Some(DEMO_REQUEST_LIFETIME),
            ..Default::default()
        },
    )?)
}

/// What `--demo` prints.
#[derive(Debug)]
pub struct Demo {
    /// The demo offer URL (by reference).
    pub offer: String,
    /// Its PIN.
    pub tx_code: Option<String>,
    /// The demo Credential Issuer Identifier.
    pub issuer: String,
    /// A fresh admin token of the demo institution.
    pub admin_token: String,
}

/// Creates the demo institution, achievement and offer unless they exist (an offer that is
/// still claimable is reused).
pub fn demo(service: &IssuerService) -> Result<Demo> {
    const SLUG: &str = "demo";
    let admin_token = match service.directory().institution(SLUG)? {
        // The same demo token on every start (see IssuerService::demo_admin_token).
        Some(_) => service.demo_admin_token(SLUG)?,
        None => {
            service.create_institution(NewInstitution {
                slug: SLUG.into(),
                name: "Rosette Demo University".into(),
                url: Some("https://rosette.example/".into()),
                logo: None,
                did_method: None,
            })?;
            service.demo_admin_token(SLUG)?
        }
    };
    let achievements = service.list_achievements(SLUG)?;
    let achievement_id = match achievements
        .iter()
        .find(|a| a.get("archived") == Some(&json!(false)))
        .and_then(|a| a.get("id"))
        .and_then(|v| v.as_str())
    {
        Some(id) => id.to_owned(),
        None => {
            let created = service.create_achievement(
                SLUG,
                AchievementInput {
                    name: "Rust Verifiable Credentials Practitioner".into(),
                    description: "Builds, signs and verifies W3C Verifiable Credentials in Rust.".into(),
                    criteria: Criteria {
                        narrative: Some("Issue an Open Badges 3.0 credential and verify it with an independent verifier.".into()),
                        id: None,
                    },
                    image: Some(rosette_openbadges::issue::DEMO_BADGE_SVG_DATA_URI.into()),
                    tags: vec!["rust".into(), "verifiable-credentials".into(), "open-badges".into()],
                    alignment: Vec::new(),
                    result_descriptions: Vec::new(),
                    achievement_type: Some("Badge".into()),
                    validity_days: None,
                },
            )?;
            created
                .get("id")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        }
    };
    for id in service.open_offer_ids(SLUG)? {
        if let Some((offer, tx_code)) = service.offer_url_and_pin(SLUG, &id)? {
            return Ok(Demo {
                offer,
                tx_code,
                issuer: service.issuer_id(SLUG),
                admin_token,
            });
        }
    }
    let created = service.create_offer(
        SLUG,
        NewOffer {
            achievement_id,
            recipient: Recipient {
                name: "Demo Learner".into(),
                email: Some("learner@example.org".into()),
            },
            pin: Some(true),
            expires_in_seconds: None,
            configurations: None,
        },
    )?;
    Ok(Demo {
        offer: created.offer_url.clone(),
        tx_code: created.tx_code.clone(),
        issuer: service.issuer_id(SLUG),
        admin_token,
    })
}

/// What [`rotate_kek`] re-sealed.
#[derive(Debug, Default)]
pub struct KekRotation {
    /// Institutions' signing keys.
    pub signing_keys: usize,
    /// Server secrets.
    pub server_secrets: usize,
}

/// Re-seals every sealed secret of the store in `data` (institutions' signing keys, the server
/// secret) from `old` to `new`, in one atomic write; values still in clear are sealed too. The
/// agent must be stopped (the store is opened exclusively). PIN hashes are keyed by the server
/// secret, not the KEK, so they stay valid.
pub fn rotate_kek(
    data: &Path,
    old: &rosette_core::kek::Kek,
    new: &rosette_core::kek::Kek,
) -> Result<KekRotation> {
    let file = data.join(STORE_FILE);
    let store: Arc<dyn Store> = Arc::new(
        RedbStore::open_with(&file, Durability::OnReturn).with_context(|| {
            format!(
                "cannot open {} (stop the agent first: the store is opened exclusively)",
                file.display()
            )
        })?,
    );
    reseal_store(&store, &[old], new)
}

/// Re-seals every signing key and server secret of `store` under `new`, opening each with
/// whichever of `openers` (or `new` itself) sealed it, in one atomic write: a store shared by
/// running agents is never half re-sealed. Running it twice is harmless.
pub fn reseal_store(
    store: &Arc<dyn Store>,
    openers: &[&rosette_core::kek::Kek],
    new: &rosette_core::kek::Kek,
) -> Result<KekRotation> {
    use crate::directory::records::KeyRow;
    use crate::issuer::records::ServerSecretRow;
    use rosette_core::kek::Kek;
    let reseal = |purpose: &str, value: &str| -> Result<String> {
        let clear = if Kek::is_sealed(value) {
            rosette_core::kek::open_with_any(
                openers.iter().copied().chain(std::iter::once(new)),
                purpose,
                value,
            )
            .with_context(|| format!("cannot unseal {purpose}"))?
        } else {
            zeroize::Zeroizing::new(value.as_bytes().to_vec())
        };
        Ok(new.seal(purpose, &clear))
    };
    let mut report = KekRotation::default();
    let mut batch = rosette_storage::WriteBatch::new();
    let keys = rosette_storage::Repo::<KeyRow>::new(Arc::clone(store));
    for (_, row) in keys.scan(b"", None, rosette_storage::MAX_SCAN_LIMIT)? {
        batch.put(&KeyRow {
            slug: row.slug.clone(),
            private_jwk: reseal(&KeyRow::purpose(&row.slug), &row.private_jwk)?,
        })?;
        report.signing_keys += 1;
    }
    let secrets = rosette_storage::Repo::<ServerSecretRow>::new(Arc::clone(store));
    for (_, row) in secrets.scan(b"", None, rosette_storage::MAX_SCAN_LIMIT)? {
        batch.put(&ServerSecretRow {
            name: row.name.clone(),
            secret_hex: reseal(&format!("server-secret:{}", row.name), &row.secret_hex)?,
        })?;
        report.server_secrets += 1;
    }
    store.apply(batch)?;
    store.flush()?;
    Ok(report)
}
