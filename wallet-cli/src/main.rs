//! `rosette-wallet`: the learner's wallet. This file only parses arguments and maps errors to
//! exit codes; the work is in the library crates.

mod cli;
mod commands;
mod output;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let json = cli.json;
    match commands::run(cli) {
        Ok(code) => code,
        Err(error) => {
            if json {
                let body = serde_json::json!({ "error": format!("{error:#}") });
                let _ = output::write_stdout(&format!("{body}\n"));
            } else {
                eprintln!("error: {error:#}");
            }
            ExitCode::FAILURE
        }
    }
}
