//! `rosette-agent`: the issuer agent. This file only parses arguments and maps errors to exit
//! codes; the work is in the library crates.

mod cli;
mod commands;
mod keyfile;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let result = match cli.command {
        cli::Command::Keys(cli::KeysCommand::Generate(args)) => commands::keys::generate(&args),
        cli::Command::Credential(cli::CredentialCommand::Sign(args)) => {
            commands::credential::sign(&args)
        }
        cli::Command::Demo(args) => commands::demo::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
