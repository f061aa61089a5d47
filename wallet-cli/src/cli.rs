//! Command-line arguments (clap derive; each doc comment is the help text).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Rosette wallet: keep, check and share your Open Badges.
#[derive(Debug, Parser)]
#[command(name = "rosette-wallet", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Verify credential files (JSON with a Data Integrity proof, or a VC-JWT).
    ///
    /// Exits 0 only when every file verifies.
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// Credential files.
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Print one JSON report (an array, one verdict per file) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// Resolve did:web over plain http (development only).
    #[arg(long, hide = true)]
    pub(crate) allow_http_did_web: bool,
}
