//! The project's CLI binaries (`rosette-agent`, `rosette-wallet`), built once per test process with
//! the same cargo profile and target directory as the running test.
//!
//! `ROSETTE_AGENT_BIN` / `ROSETTE_WALLET_BIN` point the tests at pre-built binaries instead (both must
//! be set); nothing is built then.

use std::ffi::OsString;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};
use std::sync::OnceLock;

/// Paths of the built CLI binaries.
#[derive(Debug, Clone)]
pub struct Binaries {
    /// `rosette-agent` (issuer CLI).
    pub agent: PathBuf,
    /// `rosette-wallet` (holder CLI).
    pub wallet: PathBuf,
}

/// Why the binaries could not be provided.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The running test executable could not be located, so neither the profile nor the target dir is known.
    #[error("cannot locate the test executable to find the target directory: {0}")]
    CurrentExe(#[source] io::Error),
    /// The test executable is not inside `<target>/<profile>/deps/`.
    #[error("test executable {0} is not in <target-dir>/<profile>/deps/")]
    UnexpectedLayout(PathBuf),
    /// Only one of the two override variables is set.
    #[error("set both ROSETTE_AGENT_BIN and ROSETTE_WALLET_BIN, or neither")]
    PartialOverride,
    /// cargo could not be started.
    #[error("cannot run {cargo:?}: {source}")]
    Spawn {
        /// The cargo executable that was tried.
        cargo: OsString,
        /// The spawn error.
        #[source]
        source: io::Error,
    },
    /// cargo ran and failed.
    #[error("`cargo build -p rosette-agent -p rosette-wallet` failed ({status}):\n{stderr_tail}")]
    Failed {
        /// cargo's exit status.
        status: ExitStatus,
        /// The end of cargo's stderr (the compiler errors).
        stderr_tail: String,
    },
    /// The build succeeded but the binary is not where it should be.
    #[error("{0} does not exist")]
    Missing(PathBuf),
}

static BINARIES: OnceLock<Result<Binaries, BuildError>> = OnceLock::new();

/// Builds the binaries on first call (a no-op build when they are up to date) and returns their paths.
///
/// # Errors
/// A [`BuildError`] naming what went wrong; every later call returns the same error.
pub fn binaries() -> Result<&'static Binaries, &'static BuildError> {
    BINARIES.get_or_init(build).as_ref()
}

fn build() -> Result<Binaries, BuildError> {
    match (
        std::env::var_os("ROSETTE_AGENT_BIN"),
        std::env::var_os("ROSETTE_WALLET_BIN"),
    ) {
        (Some(agent), Some(wallet)) => return existing(agent.into(), wallet.into()),
        (None, None) => {}
        _ => return Err(BuildError::PartialOverride),
    }
    let exe = std::env::current_exe().map_err(BuildError::CurrentExe)?;
    // <target>/<profile>/deps/<test binary>
    let profile_dir = exe
        .parent()
        .filter(|deps| deps.file_name().is_some_and(|n| n == "deps"))
        .and_then(Path::parent)
        .ok_or_else(|| BuildError::UnexpectedLayout(exe.clone()))?;
    let target_dir = profile_dir
        .parent()
        .ok_or_else(|| BuildError::UnexpectedLayout(exe.clone()))?;
    let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
        // the dev and test profiles write to target/debug
        Some("debug") | None => "dev",
        Some(name) => name,
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "rosette-agent",
            "-p",
            "rosette-wallet",
            "--profile",
            profile,
        ])
        .arg("--target-dir")
        .arg(target_dir)
        .current_dir(crate::workspace_root())
        .output()
        .map_err(|source| BuildError::Spawn {
            cargo: cargo.clone(),
            source,
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        let tail = lines[lines.len().saturating_sub(60)..].join("\n");
        return Err(BuildError::Failed {
            status: output.status,
            stderr_tail: tail,
        });
    }
    let exe_name = |name: &str| profile_dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    existing(exe_name("rosette-agent"), exe_name("rosette-wallet"))
}

fn existing(agent: PathBuf, wallet: PathBuf) -> Result<Binaries, BuildError> {
    for path in [&agent, &wallet] {
        if !path.is_file() {
            return Err(BuildError::Missing(path.clone()));
        }
    }
    Ok(Binaries { agent, wallet })
}
