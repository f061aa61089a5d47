//! Runs the independent verifiers of `tests/interop/` (Node.js scripts) and reads their JSON reports.
//!
//! Nothing here skips: a missing `node` or an uninstalled `tests/interop/node_modules` is an error that
//! tells the user to run `scripts/interop-install.sh`.

use std::ffi::OsStr;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;
use sha2::{Digest, Sha256};

const INSTALL_HINT: &str =
    "run `scripts/interop-install.sh` (needs Node.js >= 20 and npm) and re-run the tests";

/// One entry script of the harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Script {
    /// `verify-ldp.mjs`: Digital Bazaar vc + DCC verifier-core on `ldp_vc` JSON files.
    VerifyLdp,
    /// `verify-jwt.mjs`: jose + did-jwt-vc on VC-JWT files.
    VerifyJwt,
    /// `schema-check.mjs`: the three 1EdTech JSON Schema variants.
    SchemaCheck,
    /// `oid4vci-wallet.mjs`: an OpenID4VCI wallet built on oid4vc-ts (claims an offer).
    Oid4vciWallet,
}

impl Script {
    /// The script's file name in `tests/interop/`.
    pub fn file_name(self) -> &'static str {
        match self {
            Self::VerifyLdp => "verify-ldp.mjs",
            Self::VerifyJwt => "verify-jwt.mjs",
            Self::SchemaCheck => "schema-check.mjs",
            Self::Oid4vciWallet => "oid4vci-wallet.mjs",
        }
    }
}

impl fmt::Display for Script {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

/// Why the harness could not be used or a script produced no report.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HarnessError {
    /// `node` is not on PATH (or does not run).
    #[error("Node.js not found (`node --version` failed: {0}); {INSTALL_HINT}")]
    NodeMissing(#[source] io::Error),
    /// `node` runs but is older than the harness supports.
    #[error("Node.js >= 20 required, found {0}; {INSTALL_HINT}")]
    NodeTooOld(String),
    /// `tests/interop/node_modules` is absent or was installed from another lock file.
    #[error("the independent verifiers are not installed in {dir} ({why}); {INSTALL_HINT}")]
    NotInstalled {
        /// The harness directory.
        dir: PathBuf,
        /// What was found instead.
        why: &'static str,
    },
    /// The script could not be started or waited for.
    #[error("cannot run node {script}: {source}")]
    Spawn {
        /// The script.
        script: Script,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// The script exited without a JSON report (exit 2 = usage error, or a crash).
    #[error("node {script} gave no JSON report (exit {exit_code:?}); stderr:\n{stderr}")]
    NoReport {
        /// The script.
        script: Script,
        /// Its exit code.
        exit_code: Option<i32>,
        /// Its stderr.
        stderr: String,
    },
}

/// The installed harness in `tests/interop/`.
#[derive(Debug, Clone)]
pub struct Harness {
    dir: PathBuf,
}

impl Harness {
    /// Checks that Node.js >= 20 runs and that `node_modules` was installed from the current
    /// `package-lock.json` by `scripts/interop-install.sh`.
    ///
    /// # Errors
    /// [`HarnessError::NodeMissing`], [`HarnessError::NodeTooOld`] or [`HarnessError::NotInstalled`].
    pub fn locate() -> Result<Self, HarnessError> {
        let dir = crate::workspace_root().join("tests").join("interop");
        let version = Command::new("node")
            .arg("--version")
            .output()
            .map_err(HarnessError::NodeMissing)?;
        let version = String::from_utf8_lossy(&version.stdout).trim().to_owned();
        let major: Option<u32> = version
            .strip_prefix('v')
            .and_then(|v| v.split('.').next())
            .and_then(|m| m.parse().ok());
        if major.is_none_or(|m| m < 20) {
            return Err(HarnessError::NodeTooOld(version));
        }
        let not_installed = |why| HarnessError::NotInstalled {
            dir: dir.clone(),
            why,
        };
        if !dir.join("node_modules").is_dir() {
            return Err(not_installed("no node_modules"));
        }
        let lock = std::fs::read(dir.join("package-lock.json"))
            .map_err(|_| not_installed("package-lock.json unreadable"))?;
        let stamp = std::fs::read_to_string(dir.join("node_modules").join(".rosette-lock.sha256"))
            .map_err(|_| {
                not_installed("node_modules was not installed by scripts/interop-install.sh")
            })?;
        let lock_hash: String = Sha256::digest(&lock)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if stamp.trim() != lock_hash {
            return Err(not_installed(
                "node_modules is from an older package-lock.json",
            ));
        }
        Ok(Self { dir })
    }

    /// The harness directory (`tests/interop/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Starts `node <script> <args…> <files…>`; collect the result with [`Pending::wait`]. Start several
    /// before waiting to run them in parallel.
    ///
    /// # Errors
    /// [`HarnessError::Spawn`] when node cannot be started.
    pub fn spawn<A, F>(
        &self,
        script: Script,
        args: &[A],
        files: &[F],
    ) -> Result<Pending, HarnessError>
    where
        A: AsRef<OsStr>,
        F: AsRef<Path>,
    {
        let child = Command::new("node")
            .arg(self.dir.join(script.file_name()))
            .args(args)
            .args(files.iter().map(AsRef::as_ref))
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| HarnessError::Spawn { script, source })?;
        Ok(Pending { script, child })
    }

    /// [`Harness::spawn`] then [`Pending::wait`].
    ///
    /// # Errors
    /// As both.
    pub fn run<A, F>(&self, script: Script, args: &[A], files: &[F]) -> Result<Run, HarnessError>
    where
        A: AsRef<OsStr>,
        F: AsRef<Path>,
    {
        self.spawn(script, args, files)?.wait()
    }
}

/// A running script.
#[derive(Debug)]
pub struct Pending {
    script: Script,
    child: Child,
}

impl Pending {
    /// Waits for the script and parses its report.
    ///
    /// # Errors
    /// [`HarnessError::Spawn`] if waiting fails, [`HarnessError::NoReport`] when stdout is not JSON.
    pub fn wait(self) -> Result<Run, HarnessError> {
        let script = self.script;
        let output = self
            .child
            .wait_with_output()
            .map_err(|source| HarnessError::Spawn { script, source })?;
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        let exit_code = output.status.code();
        match serde_json::from_slice::<Value>(&output.stdout) {
            Ok(report) => Ok(Run {
                script,
                exit_code,
                report,
                stderr,
            }),
            Err(_) => Err(HarnessError::NoReport {
                script,
                exit_code,
                stderr,
            }),
        }
    }
}

/// A finished script: exit code, JSON report and logs.
#[derive(Debug, Clone)]
pub struct Run {
    /// Which script ran.
    pub script: Script,
    /// Its exit code (`None` if killed by a signal).
    pub exit_code: Option<i32>,
    /// The JSON report it printed on stdout.
    pub report: Value,
    /// Its stderr (logs).
    pub stderr: String,
}

impl Run {
    /// Exit 0 and `"pass": true` in the report: every check the script was asked for held.
    pub fn passed(&self) -> bool {
        self.exit_code == Some(0) && self.report.get("pass") == Some(&Value::Bool(true))
    }

    /// The per-file results of the report (empty if absent).
    pub fn results(&self) -> &[Value] {
        self.report
            .get("results")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = serde_json::to_string_pretty(&self.report).unwrap_or_default();
        write!(
            f,
            "node {} exited {:?}; report:\n{report}\nstderr:\n{}",
            self.script, self.exit_code, self.stderr
        )
    }
}
