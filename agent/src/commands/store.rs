//! `rosette-agent store migrate`: moves a sled data dir onto redb (the work is in
//! `rosette_agent::server::migrate_sled_data_dir`). `store copy`: a whole store into an empty
//! one, between a data directory and PostgreSQL (`rosette_storage::migrate::copy_store`).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use rosette_core::SecretString;
use rosette_storage::Store;

use crate::cli::{CopyArgs, MigrateArgs};

/// Opens a `store copy` end: a `postgres://` URL, or a data directory (its store file is
/// created when `create` is set and it does not exist).
fn open_end(location: &str, create: bool) -> Result<(Arc<dyn Store>, String)> {
    if location.starts_with("postgres://") || location.starts_with("postgresql://") {
        let url = SecretString::new(location.to_owned());
        let shown = rosette_storage::redacted_url(location);
        let opened = rosette_agent::server::open_database(
            &url,
            Some(4),
            rosette_storage::watch::DEFAULT_STALL_AFTER,
        )?;
        return Ok((opened.store, shown));
    }
    let data = Path::new(location);
    let file = data.join(rosette_agent::server::STORE_FILE);
    if !create && !file.is_file() {
        bail!(
            "{} holds no agent store ({} is missing)",
            data.display(),
            file.display()
        );
    }
    if create {
        std::fs::create_dir_all(data)
            .with_context(|| format!("cannot create {}", data.display()))?;
    }
    let opened = rosette_agent::server::open_store(
        data,
        rosette_storage::Durability::OnReturn,
        rosette_storage::watch::DEFAULT_STALL_AFTER,
    )
    .with_context(|| {
        format!(
            "is an agent still running on {}? Stop it first",
            data.display()
        )
    })?;
    Ok((opened.store, file.display().to_string()))
}

pub(crate) fn copy(args: &CopyArgs) -> Result<ExitCode> {
    let (from, from_shown) = open_end(&args.from, false)?;
    let (to, to_shown) = open_end(&args.to, true)?;
    let report = rosette_storage::migrate::copy_store(from.as_ref(), to.as_ref())
        .with_context(|| format!("copying {from_shown} into {to_shown}"))?;
    to.flush()?;
    println!(
        "copied {} entries in {} tables from {from_shown} into {to_shown}; every table's count \
         and digest match:",
        report.entries(),
        report.tables.len()
    );
    for (table, summary) in &report.tables {
        println!(
            "  {table:<28} {:>9} entries  digest {:016x}",
            summary.entries, summary.digest
        );
    }
    println!("Start the agents on the new store with the same public URL and key-encryption key.");
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn migrate(args: &MigrateArgs) -> Result<ExitCode> {
    let done = rosette_agent::server::migrate_sled_data_dir(&args.data)?;
    println!(
        "migrated {} entries in {} tables from {} into {}; every table's count and digest match:",
        done.report.entries(),
        done.report.tables.len(),
        done.sled_dir.display(),
        done.store_file.display()
    );
    for (table, summary) in &done.report.tables {
        println!(
            "  {table:<28} {:>9} entries  digest {:016x}",
            summary.entries, summary.digest
        );
    }
    println!(
        "The sled files are kept in {}; delete them once the agent runs well on the new store.",
        done.kept_sled_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
