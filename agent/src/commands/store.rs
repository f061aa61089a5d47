//! `rosette-agent store migrate`: moves a sled data dir onto redb (the work is in
//! `rosette_agent::server::migrate_sled_data_dir`).

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::MigrateArgs;

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
