//! Helpers of the headless-Chromium tests: finding Chromium, Node.js and playwright-core (a
//! missing one fails the test saying what to install; nothing is skipped), the wallet CLI, and
//! the screenshots they save.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use super::binaries;

/// Debian's Chromium, or `ROSETTE_CHROMIUM`.
pub fn chromium() -> PathBuf {
    let path = std::env::var_os("ROSETTE_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/chromium"));
    assert!(
        path.is_file(),
        "Chromium not found at {} (run scripts/install-chromium.sh, or set ROSETTE_CHROMIUM)",
        path.display()
    );
    path
}

/// The script `tests/browser/<name>`, after checking Node.js and playwright-core are there.
pub fn browser_script(name: &str) -> PathBuf {
    let root = rosette_tests::workspace_root();
    let module = root.join("tests/interop/node_modules/playwright-core/index.mjs");
    assert!(
        module.is_file(),
        "playwright-core is not installed in tests/interop/node_modules (run scripts/interop-install.sh)"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "Node.js not found (`node --version` failed): install Node.js >= 20"
    );
    root.join("tests/browser").join(name)
}

/// `target/screenshots/` (created): every browser test saves its screenshots here.
pub fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| rosette_tests::workspace_root().join("target"));
    let dir = target.join("screenshots");
    std::fs::create_dir_all(&dir).expect("mkdir target/screenshots");
    dir
}

/// Copies `names` from `target/screenshots/` to `docs/screenshots/` when
/// `ROSETTE_UPDATE_SCREENSHOTS=1`.
pub fn publish(names: &[&str]) {
    if std::env::var_os("ROSETTE_UPDATE_SCREENSHOTS").is_none_or(|v| v != "1") {
        return;
    }
    let docs = rosette_tests::workspace_root().join("docs/screenshots");
    std::fs::create_dir_all(&docs).expect("mkdir docs/screenshots");
    for name in names {
        std::fs::copy(screenshots().join(name), docs.join(name))
            .unwrap_or_else(|e| panic!("copy {name}: {e}"));
    }
}

/// Runs `rosette-wallet` on the wallet in `dir` (passphrase `pw`, no terminal).
pub fn wallet(dir: &Path, args: &[&str]) -> Output {
    Command::new(&binaries().wallet)
        .env("ROSETTE_WALLET_DIR", dir)
        .env("ROSETTE_WALLET_PASSPHRASE", "pw")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("rosette-wallet runs")
}

/// [`wallet`] with `--json`, which must succeed; its answer.
pub fn wallet_json(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = wallet(dir, &all);
    assert!(out.status.success(), "rosette-wallet {all:?}: {out:?}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{all:?}: {e}: {out:?}"))
}
