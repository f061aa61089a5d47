//! `present` end to end: a wallet populated from `rosette-agent serve --demo` answers our own
//! verifier (the agent, from the QR PNG of its request page) and the
//! oid4vc-ts OpenID4VP verifier (`tests/interop/oid4vp-verifier.mjs`) in both formats, by value
//! and by signed `request_uri`; refuses bad requests; sends nothing without a match or consent.
//!
//! Needs the agent binary (`cargo build -p rosette-agent`), Node.js >= 20 and
//! `scripts/interop-install.sh`; a missing tool fails the test, it never skips.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};

use serde_json::Value;

struct Agent {
    child: Child,
    ready: Value,
    _data: tempfile::TempDir,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn start_agent() -> Agent {
    let bin = Path::new(env!("CARGO_BIN_EXE_rosette-wallet")).with_file_name("rosette-agent");
    assert!(
        bin.exists(),
        "{} is not built: run `cargo build -p rosette-agent` (scripts/test.sh does)",
        bin.display()
    );
    let data = tempfile::tempdir().unwrap();
    let mut child = Command::new(bin)
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    Agent {
        child,
        ready: serde_json::from_str(&line).unwrap(),
        _data: data,
    }
}

fn wallet(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rosette-wallet"))
        .env("ROSETTE_WALLET_DIR", dir)
        .env("ROSETTE_WALLET_PASSPHRASE", "pw")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A wallet holding the demo badge in both formats, claimed from the agent.
fn populated_wallet(agent: &Agent, dir: &Path) -> PathBuf {
    let w = dir.join("w");
    assert!(
        wallet(&w, &["init", "--insecure-fast-kdf"])
            .status
            .success()
    );
    let offer = agent.ready["offer"].as_str().unwrap();
    let pin = agent.ready["tx_code"].as_str().unwrap();
    let out = wallet(&w, &["claim", offer, "--tx-code", pin, "--allow-http"]);
    assert!(out.status.success(), "{out:?}");
    w
}

/// The oid4vc-ts verifier: its ready line, and the process to collect the report from.
struct Verifier {
    child: Child,
    stdout: BufReader<ChildStdout>,
    ready: Value,
}

impl Verifier {
    fn start(args: &[&str]) -> Self {
        let node = Command::new("node").arg("--version").output();
        assert!(
            node.is_ok_and(|o| o.status.success()),
            "Node.js not found: install Node.js >= 20 and run scripts/interop-install.sh"
        );
        let dir = workspace().join("tests/interop");
        assert!(
            dir.join("node_modules/@openid4vc/openid4vp").is_dir(),
            "the interop harness is not installed: run scripts/interop-install.sh"
        );
        let mut child = Command::new("node")
            .arg(dir.join("oid4vp-verifier.mjs"))
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let ready = serde_json::from_str(&line).unwrap_or_else(|e| {
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("no ready line ({e}): {line} {err}")
        });
        Self {
            child,
            stdout,
            ready,
        }
    }

    fn request(&self) -> &str {
        self.ready["request"].as_str().unwrap()
    }

    /// The final report (the verifier exits after one response or its timeout).
    fn report(mut self) -> Value {
        let mut rest = String::new();
        self.stdout.read_to_string(&mut rest).unwrap();
        let _ = self.child.wait();
        let last = rest.lines().last().unwrap_or_default();
        serde_json::from_str(last).unwrap_or_else(|_| panic!("no report: {rest}"))
    }
}

impl Drop for Verifier {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn presents_to_the_oid4vc_ts_verifier_in_both_formats_by_value_and_signed_request_uri() {
    let agent = start_agent();
    let dir = tempfile::tempdir().unwrap();
    let w = populated_wallet(&agent, dir.path());
    for (format, signed) in [
        ("ldp_vc", false),
        ("jwt_vc_json", false),
        ("ldp_vc", true),
        ("jwt_vc_json", true),
    ] {
        let mut args = vec!["--format", format, "--timeout", "30"];
        if signed {
            args.push("--request-uri");
        }
        let verifier = Verifier::start(&args);
        let out = wallet(
            &w,
            &[
                "--json",
                "present",
                verifier.request(),
                "--yes",
                "--allow-http",
            ],
        );
        let report = verifier.report();
        assert!(
            out.status.success(),
            "{format} signed={signed}: {out:?}\n{report}"
        );
        assert_eq!(report["ok"], true, "{report}");
        assert_eq!(report["dcql_satisfied"], true, "{report}");
        assert_eq!(report["signed"], signed);
        assert_eq!(report["request_fetches"], u64::from(signed));
        let kind = if format == "ldp_vc" {
            "ldp_vp"
        } else {
            "vp_jwt"
        };
        assert_eq!(report["presentations"][0]["format"], kind, "{report}");
        let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(answer["accepted"], true);
        assert_eq!(answer["credentials"][0]["format"], format);
        assert_eq!(answer["verifier"]["name"], "oid4vc-ts test verifier");
        assert_eq!(answer["verifier"]["signed_by"].is_string(), signed);
    }
}

#[test]
fn sends_nothing_without_a_match_or_to_an_unauthenticated_verifier() {
    let agent = start_agent();
    let dir = tempfile::tempdir().unwrap();
    let w = populated_wallet(&agent, dir.path());

    // No stored badge is an EndorsementCredential: a clear message, exit 3, no POST.
    let query = dir.path().join("endorsement.json");
    std::fs::write(
        &query,
        serde_json::json!({"credentials": [{"id": "endorsement", "format": "ldp_vc",
            "meta": {"type_values": [["https://purl.imsglobal.org/spec/vc/ob/vocab.html#EndorsementCredential"]]}}]})
        .to_string(),
    )
    .unwrap();
    let verifier = Verifier::start(&["--dcql", query.to_str().unwrap(), "--timeout", "3"]);
    let out = wallet(
        &w,
        &["present", verifier.request(), "--yes", "--allow-http"],
    );
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no stored badge matches"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    let report = verifier.report();
    assert_eq!(
        report["error"], "timeout waiting for direct_post",
        "{report}"
    );

    // A signed request whose URL names another client: the object's client_id differs.
    let verifier = Verifier::start(&["--request-uri", "--timeout", "3"]);
    let forged = verifier.request().replacen(
        "client_id=decentralized_identifier%3Adid%3Akey%3Az6Mk",
        "client_id=decentralized_identifier%3Adid%3Akey%3Az6MkX",
        1,
    );
    assert_ne!(forged, verifier.request());
    let out = wallet(&w, &["present", &forged, "--yes", "--allow-http"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("signed request is not acceptable"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        verifier.report()["error"],
        "timeout waiting for direct_post"
    );

    // Refused before any network use: an unsigned request from a DID client, an http
    // request_uri without --allow-http, and text that is no request at all.
    for (request, expect) in [
        (
            "openid4vp://?client_id=decentralized_identifier%3Adid%3Akey%3Az6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK&response_type=vp_token&response_mode=direct_post&response_uri=https%3A%2F%2Fv.example%2Fr&nonce=abcdefghijklmnopqrstuv&dcql_query=%7B%7D",
            "refusing an unsigned request",
        ),
        (
            "openid4vp://?client_id=decentralized_identifier%3Adid%3Akey%3Az6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK&request_uri=http%3A%2F%2F127.0.0.1%3A9%2Frequest",
            "not an OpenID4VP request",
        ),
        ("https://example.com/", "not an OpenID4VP request"),
    ] {
        let out = wallet(&w, &["present", request, "--yes"]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expect), "{request}: {stderr}");
    }
}

/// Without --yes the wallet asks on the terminal; "n" shares nothing.
#[test]
fn declining_on_the_terminal_sends_nothing() {
    assert!(
        Command::new("script").arg("--version").output().is_ok(),
        "the consent test needs util-linux `script` (apt-get install util-linux)"
    );
    let agent = start_agent();
    let dir = tempfile::tempdir().unwrap();
    let w = populated_wallet(&agent, dir.path());
    let verifier = Verifier::start(&["--timeout", "4"]);
    let cmd = format!(
        "{} present '{}' --allow-http",
        env!("CARGO_BIN_EXE_rosette-wallet"),
        verifier.request()
    );
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("ROSETTE_WALLET_DIR", &w)
        .env("ROSETTE_WALLET_PASSPHRASE", "pw")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    writeln!(child.stdin.as_mut().unwrap(), "n").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("asks to see"), "{text}");
    assert!(
        text.contains("Rust Verifiable Credentials Practitioner"),
        "{text}"
    );
    assert!(text.contains("Share? [y/N]"), "{text}");
    assert!(text.contains("Not shared; nothing was sent."), "{text}");
    assert_eq!(
        verifier.report()["error"],
        "timeout waiting for direct_post"
    );
}

fn http_get(url: &str, bearer: Option<&str>) -> (u16, Vec<u8>) {
    http(url, bearer, None)
}

fn http(url: &str, bearer: Option<&str>, json_body: Option<Value>) -> (u16, Vec<u8>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let mut request = match &json_body {
            Some(body) => client
                .post(url)
                .header("content-type", "application/json")
                .body(body.to_string()),
            None => client.get(url),
        };
        if let Some(token) = bearer {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.bytes().await.unwrap().to_vec())
    })
}

/// Scans the QR PNG of a request page, presents, and returns the verifier's poll answer.
fn present_from_qr(w: &Path, qr_png_url: &str, poll_url: &str, dir: &Path) -> (Output, Value) {
    let (status, png) = http_get(qr_png_url, None);
    assert_eq!(status, 200, "{qr_png_url}");
    let file = dir.join("request.png");
    std::fs::write(&file, png).unwrap();
    let out = wallet(
        w,
        &[
            "--json",
            "present",
            "--qr",
            file.to_str().unwrap(),
            "--yes",
            "--allow-http",
        ],
    );
    let (status, body) = http_get(poll_url, None);
    assert_eq!(status, 200, "{poll_url}");
    (out, serde_json::from_slice(&body).unwrap())
}

#[test]
fn presents_to_our_verifier_from_the_request_qr_png_in_both_formats_and_every_mode() {
    let agent = start_agent();
    let dir = tempfile::tempdir().unwrap();
    let w = populated_wallet(&agent, dir.path());

    // The demo request of the ready line: its page's QR PNG, then the page's poll.
    let page = agent.ready["request_page"].as_str().unwrap();
    let poll = page.replacen("/present/", "/transactions/", 1);
    let (out, verdict) = present_from_qr(&w, &format!("{page}/qr.png"), &poll, dir.path());
    assert!(out.status.success(), "{out:?}");
    assert_eq!(verdict["status"], "accepted", "{verdict}");
    assert_eq!(verdict["result"]["accepted"], true, "{verdict}");
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer["accepted"], true);
    assert!(answer["verifier"]["signed_by"].is_string(), "{answer}");

    // The same QR again: the request was answered, so the wallet gets nothing to answer.
    let file = dir.path().join("request.png");
    let again = wallet(
        &w,
        &[
            "present",
            "--qr",
            file.to_str().unwrap(),
            "--yes",
            "--allow-http",
        ],
    );
    assert!(!again.status.success());
    assert!(!String::from_utf8_lossy(&again.stderr).contains("panicked"));

    // A jwt_vc_json-only request made through the admin API.
    let base = agent.ready["url"].as_str().unwrap();
    let (status, body) = http(
        &format!("{base}/verifiers/demo/admin/presentation-requests"),
        agent.ready["admin_token"].as_str(),
        Some(serde_json::json!({"formats": ["jwt_vc_json"]})),
    );
    assert!(
        (200..300).contains(&status),
        "{}",
        String::from_utf8_lossy(&body)
    );
    let created: Value = serde_json::from_slice(&body).unwrap();
    let (out, verdict) = present_from_qr(
        &w,
        created["qr_png"].as_str().unwrap(),
        created["poll"].as_str().unwrap(),
        dir.path(),
    );
    assert!(out.status.success(), "{out:?}");
    assert_eq!(verdict["status"], "accepted", "{verdict}");
    assert_eq!(
        verdict["result"]["credentials"][0]["format"], "jwt_vc_json",
        "{verdict}"
    );

    // request_uri_method=post (§5.10): the wallet POSTs its metadata to fetch the object.
    let (status, body) = http(
        &format!("{base}/verifiers/demo/admin/presentation-requests"),
        agent.ready["admin_token"].as_str(),
        Some(serde_json::json!({})),
    );
    assert!(
        (200..300).contains(&status),
        "{}",
        String::from_utf8_lossy(&body)
    );
    let created: Value = serde_json::from_slice(&body).unwrap();
    let url = format!(
        "{}&request_uri_method=post",
        created["request_url"].as_str().unwrap()
    );
    let out = wallet(&w, &["present", &url, "--yes", "--allow-http"]);
    assert!(out.status.success(), "{out:?}");
    let (_, body) = http_get(created["poll"].as_str().unwrap(), None);
    let verdict: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(verdict["status"], "accepted", "{verdict}");

    // The agent's other delivery modes: a signed JAR in the URL, and an unsigned
    // redirect_uri: request by value.
    for (mode, signed) in [("signed_by_value", true), ("redirect_uri", false)] {
        let (status, body) = http(
            &format!("{base}/verifiers/demo/admin/presentation-requests"),
            agent.ready["admin_token"].as_str(),
            Some(serde_json::json!({"mode": mode})),
        );
        assert!(
            (200..300).contains(&status),
            "{mode}: {}",
            String::from_utf8_lossy(&body)
        );
        let created: Value = serde_json::from_slice(&body).unwrap();
        let url = created["request_url"].as_str().unwrap();
        let out = wallet(&w, &["--json", "present", url, "--yes", "--allow-http"]);
        assert!(out.status.success(), "{mode}: {out:?}");
        let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            answer["verifier"]["signed_by"].is_string(),
            signed,
            "{mode}"
        );
        let (_, body) = http_get(created["poll"].as_str().unwrap(), None);
        let verdict: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(verdict["status"], "accepted", "{mode}: {verdict}");
    }
}
