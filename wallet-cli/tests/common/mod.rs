//! Shared by the end-to-end tests: the wallet binary, `rosette-agent serve --demo`, the oid4vc-ts
//! reference issuer (Node) and plain HTTP. A missing tool fails the test with what to install;
//! nothing is skipped.
#![allow(dead_code)] // each test file uses a different subset

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// The repository root (this crate is `<root>/wallet-cli`).
pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("wallet-cli has a parent")
        .to_path_buf()
}

/// Runs `rosette-wallet` on wallet `dir` with passphrase `pass`.
pub(crate) fn wallet(dir: &Path, pass: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rosette-wallet"))
        .env("ROSETTE_WALLET_DIR", dir)
        .env("ROSETTE_WALLET_PASSPHRASE", pass)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("rosette-wallet runs")
}

/// Runs `rosette-wallet --json …`, asserts success and parses stdout.
pub(crate) fn wallet_json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = wallet(dir, "pw", &all);
    assert!(out.status.success(), "rosette-wallet {all:?}: {out:?}");
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{all:?}: {e}: {out:?}"))
}

/// A fresh wallet (passphrase `pw`, cheap KDF) in `parent/name`; returns its directory and the
/// holder DID.
pub(crate) fn new_wallet(parent: &Path, name: &str) -> (PathBuf, String) {
    let dir = parent.join(name);
    let init = wallet_json(&dir, &["init", "--insecure-fast-kdf"]);
    let holder = init["holder"].as_str().expect("holder DID").to_owned();
    (dir, holder)
}

/// A child process killed on drop, with the JSON ready line it printed.
pub(crate) struct Server {
    child: Child,
    /// The parsed first stdout line.
    pub(crate) ready: serde_json::Value,
    _data: Option<tempfile::TempDir>,
}

impl Server {
    /// Stops the server and returns what it logged on stderr (empty unless it was piped).
    pub(crate) fn stop(mut self) -> String {
        use std::io::Read as _;
        let _ = self.child.kill();
        let mut log = String::new();
        if let Some(mut stderr) = self.child.stderr.take() {
            let _ = stderr.read_to_string(&mut log);
        }
        log
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_ready(mut child: Child, what: &str, data: Option<tempfile::TempDir>) -> Server {
    let mut line = String::new();
    let read = BufReader::new(child.stdout.take().expect("piped stdout")).read_line(&mut line);
    let ready = match (read, serde_json::from_str(&line)) {
        (Ok(n), Ok(ready)) if n > 0 => ready,
        _ => {
            let _ = child.kill();
            let out = child.wait_with_output().expect("wait");
            panic!(
                "{what} printed no ready line ({line:?}); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    };
    Server {
        child,
        ready,
        _data: data,
    }
}

fn agent_bin() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_rosette-wallet")).with_file_name("rosette-agent")
}

/// `rosette-agent serve --demo` on a random loopback port, with its own data directory.
pub(crate) fn start_agent() -> Server {
    let bin = agent_bin();
    // scripts/test.sh builds every binary first; a missing agent is a failure, never a skip.
    assert!(
        bin.exists(),
        "{} is not built: run `cargo build -p rosette-agent` (scripts/test.sh does)",
        bin.display()
    );
    let data = tempfile::tempdir().expect("tempdir");
    let child = Command::new(bin)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("rosette-agent starts");
    read_ready(child, "rosette-agent", Some(data))
}

/// `node`, or a failure saying how to get it.
pub(crate) fn node() -> Command {
    let ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "the interop tests need Node.js >= 20 on PATH (`node` not found); install it, then run scripts/interop-install.sh"
    );
    let modules = repo_root().join("tests/interop/node_modules");
    assert!(
        modules.join("@openid4vc/openid4vci").exists()
            && modules.join("@digitalbazaar/vc").exists(),
        "{} lacks the interop peers: run scripts/interop-install.sh",
        modules.display()
    );
    Command::new("node")
}

/// The oid4vc-ts reference issuer (`tests/interop/ref-issuer.mjs`) with `args`.
pub(crate) fn start_ref_issuer(args: &[&str]) -> Server {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/interop/ref-issuer.mjs");
    let child = node()
        .arg(script)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node starts");
    read_ready(child, "ref-issuer.mjs", None)
}

/// One HTTP request on a current-thread runtime: (status, body).
pub(crate) fn http(
    method: &str,
    url: &str,
    bearer: Option<&str>,
    json: Option<&serde_json::Value>,
) -> (u16, Vec<u8>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut request = client.request(method.parse().expect("method"), url);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = json {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        (status, response.bytes().await.expect("body").to_vec())
    })
}

/// The credential text of a stored badge, via `export` (`json` for ldp_vc, `jwt` for jwt_vc_json).
pub(crate) fn exported(dir: &Path, id: &str, format: &str) -> Vec<u8> {
    let out = wallet(dir, "pw", &["export", id, "--format", format]);
    assert!(out.status.success(), "{out:?}");
    out.stdout
}

/// The `vc` (or whole) payload of a compact JWS.
pub(crate) fn jwt_credential(jwt: &str) -> serde_json::Value {
    use base64::Engine as _;
    let payload = jwt.trim().split('.').nth(1).expect("compact JWS");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url");
    let claims: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON payload");
    match claims.get("vc") {
        Some(vc) => vc.clone(),
        None => claims,
    }
}

/// The wallet id of the stored copy in `format` (`ldp_vc`, `jwt_vc_json`) of the first award
/// listed with one (`list` shows one row per award, its copies inside).
pub(crate) fn badge_id_of_format(dir: &Path, format: &str) -> String {
    let list = wallet_json(dir, &["list"]);
    list.as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["copies"].as_array().cloned().unwrap_or_default())
        .find(|copy| copy["format"] == format)
        .and_then(|copy| copy["id"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no {format} badge in {list}"))
}

/// Every stored copy, over all awards: (id, format).
pub(crate) fn stored_copies(dir: &Path) -> Vec<(String, String)> {
    let list = wallet_json(dir, &["list"]);
    list.as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["copies"].as_array().cloned().unwrap_or_default())
        .map(|copy| {
            (
                copy["id"].as_str().unwrap_or_default().to_owned(),
                copy["format"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}
