//! `rosette-agent`: the issuer agent. This file only parses arguments and maps errors to exit
//! codes; the work is in the library.

mod commands;

use commands::cli;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Keys(cli::KeysCommand::Generate(args)) => commands::keys::generate(&args),
        cli::Command::Keys(cli::KeysCommand::RotateKek(args)) => commands::keys::rotate_kek(&args),
        cli::Command::Credential(cli::CredentialCommand::Sign(args)) => {
            commands::credential::sign(&args)
        }
        cli::Command::Credential(cli::CredentialCommand::Example(args)) => {
            commands::credential::example(&args)
        }
        cli::Command::Demo(args) => commands::demo::run(&args),
        cli::Command::Serve(args) => serve(args),
        cli::Command::ImportOffers(args) => commands::import::run(&args),
        cli::Command::Store(cli::StoreCommand::Migrate(args)) => commands::store::migrate(&args),
        cli::Command::Store(cli::StoreCommand::Copy(args)) => commands::store::copy(&args),
        cli::Command::Institution(cli::InstitutionCommand::Create(args)) => {
            commands::institution::create(&args)
        }
        cli::Command::Config(cli::ConfigCommand::Example) => {
            print!("{}", rosette_agent::config::CONFIG_EXAMPLE);
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: cli::ServeArgs) -> anyhow::Result<ExitCode> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    let json_logs = args.log_format == cli::LogFormatArg::Json;
    if json_logs {
        // The message and fields at the top level of each object, as collectors index them.
        logs.json().flatten_event(true).with_ansi(false).init();
    } else {
        logs.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
    let options = rosette_agent::server::ServeOptions {
        config: args.config,
        listen: args.listen,
        data: args.data,
        public_url: args.public_url,
        operator_token: std::env::var("ROSETTE_OPERATOR_TOKEN").ok(),
        demo: args.demo,
        storage_stall: args
            .storage_stall_seconds
            .map(std::time::Duration::from_secs),
        storage_durability: args.storage_durability.map(|d| match d {
            cli::DurabilityArg::EveryWrite => rosette_agent::config::StorageDurability::EveryWrite,
            cli::DurabilityArg::Flush => rosette_agent::config::StorageDurability::Flush,
        }),
        database_url: args.database_url.map(rosette_core::SecretString::new),
        json_logs,
    };
    let workers = args.workers.map_or_else(default_workers, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()?;
    runtime.block_on(rosette_agent::server::run(options))?;
    Ok(ExitCode::SUCCESS)
}

/// Eight request threads per core (at least sixteen): the issuance steps run on these threads
/// and block on their storage writes, which are group-committed and, by default, fsynced (a few
/// ms each); every blocked thread is a write that can join the next group, so more threads than
/// cores turn fsync waits into larger groups instead of idle cores (`cargo bench -p
/// rosette-tests --bench issuance_flows` runs 16 flows in flight; see crates/storage/README.md).
fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .saturating_mul(8)
        .clamp(16, 128)
}
