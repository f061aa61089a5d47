//! The `rosette-agent serve` binary: ready line, `--demo`, env overrides, SIGTERM exit 0.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

fn serve(data: &std::path::Path, envs: &[(&str, &str)]) -> (std::process::Child, Value) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rosette-agent"));
    command
        .args(["serve", "--demo", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (k, v) in envs {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, serde_json::from_str(&line).unwrap())
}

fn sigterm(child: &mut std::process::Child) -> std::process::ExitStatus {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait().unwrap()
}

#[test]
fn ready_line_demo_and_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, ready) = serve(dir.path(), &[]);
    assert_eq!(ready["event"], "ready");
    let url = ready["url"].as_str().unwrap();
    assert!(
        url.starts_with("http://127.0.0.1:") && !url.ends_with(":0"),
        "{url}"
    );
    assert_eq!(ready["issuer"], format!("{url}/issuers/demo"));
    assert!(
        ready["offer"]
            .as_str()
            .unwrap()
            .starts_with("openid-credential-offer://?credential_offer_uri=")
    );
    assert_eq!(ready["tx_code"].as_str().unwrap().len(), 6);
    assert!(ready["admin_token"].is_string());
    assert_eq!(ready["console"], format!("{url}/console/login"));
    let token_file = std::path::PathBuf::from(ready["operator_token_file"].as_str().unwrap());
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&token_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let first_token = std::fs::read_to_string(&token_file).unwrap();
    assert!(sigterm(&mut child).success());

    // Second start: same operator token, same demo offer (still claimable), same PIN.
    let (mut child, again) = serve(dir.path(), &[]);
    assert_eq!(std::fs::read_to_string(&token_file).unwrap(), first_token);
    assert_eq!(again["tx_code"], ready["tx_code"]);
    let tail = |v: &Value| {
        v["offer"]
            .as_str()
            .unwrap()
            .rsplit("%2F")
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(tail(&again), tail(&ready));
    // One demo admin token at a time: this start's works, the previous start's does not.
    let status_with = |token: &Value| {
        let url = format!(
            "{}/issuers/demo/admin/achievements",
            again["url"].as_str().unwrap()
        );
        let token = token.as_str().unwrap().to_owned();
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                reqwest::Client::new()
                    .get(url)
                    .bearer_auth(token)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
    };
    // --demo reuses its token: what an earlier start printed still works, and no token is
    // added per start.
    assert_eq!(again["admin_token"], ready["admin_token"]);
    assert!(
        again["admin_token"]
            .as_str()
            .unwrap()
            .starts_with("rosette_at_"),
        "{again}"
    );
    assert_eq!(status_with(&again["admin_token"]), 200);
    assert!(sigterm(&mut child).success());
}

/// `serve` with stderr collected: the child, its ready line, and stderr so far (grows).
fn serve_plain(
    data: &std::path::Path,
    extra: &[&str],
) -> (
    std::process::Child,
    Value,
    std::sync::Arc<std::sync::Mutex<String>>,
) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rosette-agent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .args(extra)
        .env_remove("ROSETTE_PUBLIC_URL")
        .env_remove("ROSETTE_OPERATOR_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let sink = std::sync::Arc::clone(&stderr);
    let pipe = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines().map_while(Result::ok) {
            let mut text = sink.lock().unwrap();
            text.push_str(&line);
            text.push('\n');
        }
    });
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, serde_json::from_str(&line).unwrap(), stderr)
}

/// Waits (at most 10 s) until the collected stderr contains every one of `wanted`.
fn wait_for(stderr: &std::sync::Mutex<String>, wanted: &[&str]) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let text = stderr.lock().unwrap().clone();
        if wanted.iter().all(|w| text.contains(w)) {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "stderr lacks one of {wanted:?}:\n{text}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn first_start_without_demo_says_what_to_do_next_and_warns_about_phones() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (mut child, ready, stderr) = serve_plain(&data, &[]);
    let url = ready["url"].as_str().unwrap().to_owned();
    assert_eq!(ready["console"], format!("{url}/console/login"));
    let text = wait_for(
        &stderr,
        &[
            "Rosette agent listening on http://127.0.0.1:",
            "Staff console: ",
            "no institution yet",
            "warning: no --public-url set.",
        ],
    );
    assert!(
        text.contains(&format!("Staff console: {url}/console/login")),
        "{text}"
    );
    assert!(text.contains("phone"), "{text}");
    // The printed next step, as printed, creates the institution through the running agent.
    let command = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("rosette-agent institution create"))
        .unwrap_or_else(|| panic!("no command in:\n{text}"))
        .to_owned();
    assert!(command.contains(&format!("--agent {url}")), "{command}");
    let created = Command::new(env!("CARGO_BIN_EXE_rosette-agent"))
        .args(["institution", "create", "--json", "--data"])
        .arg(&data)
        .args([
            "--agent",
            &url,
            "--slug",
            "my-college",
            "--name",
            "My College",
        ])
        .env_remove("ROSETTE_OPERATOR_TOKEN")
        .output()
        .unwrap();
    assert!(created.status.success(), "{created:?}");
    let created: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(created["slug"], "my-college");
    assert!(created["admin_token"].as_str().unwrap().len() >= 32);
    // A taken slug is refused with the agent's reason, repeating the slug.
    let again = Command::new(env!("CARGO_BIN_EXE_rosette-agent"))
        .args(["institution", "create", "--data"])
        .arg(&data)
        .args(["--agent", &url, "--slug", "my-college", "--name", "Again"])
        .env_remove("ROSETTE_OPERATOR_TOKEN")
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("\"my-college\""),
        "{again:?}"
    );
    assert!(sigterm(&mut child).success());

    // The store of a stopped agent: created directly.
    let direct = Command::new(env!("CARGO_BIN_EXE_rosette-agent"))
        .args(["institution", "create", "--json", "--data"])
        .arg(&data)
        .args(["--slug", "second", "--name", "Second College"])
        .output()
        .unwrap();
    assert!(direct.status.success(), "{direct:?}");

    // Next start, with a public URL: the local address is still printed, the next step is to
    // sign in, and an https public URL needs no warning.
    let (mut child, ready, stderr) =
        serve_plain(&data, &["--public-url", "https://badges.example.edu"]);
    assert_eq!(ready["url"], "https://badges.example.edu");
    let text = wait_for(
        &stderr,
        &[
            "Rosette agent listening on http://127.0.0.1:",
            "Public URL (in QR codes, offers and credentials): https://badges.example.edu",
            "Next: sign in at https://badges.example.edu/console/login",
        ],
    );
    assert!(!text.contains("warning: "), "{text}");
    assert!(sigterm(&mut child).success());
}

#[test]
fn config_example_is_printed_and_parses_back() {
    let out = Command::new(env!("CARGO_BIN_EXE_rosette-agent"))
        .args(["config", "example"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.lines().filter(|l| l.starts_with('#')).count() > 10,
        "{text}"
    );
    let parsed = rosette_agent::config::FileConfig::parse(&text).unwrap();
    assert_eq!(parsed.listen, Some("127.0.0.1:8080".parse().unwrap()));
    // And the agent starts with it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rosette.toml");
    std::fs::write(
        &file,
        text.replace("127.0.0.1:8080", "127.0.0.1:0").replace(
            "./rosette-data",
            &dir.path().join("data").display().to_string(),
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_rosette-agent"))
        .args(["serve", "--config"])
        .arg(&file)
        .env_remove("ROSETTE_LISTEN")
        .env_remove("ROSETTE_DATA")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ready["event"], "ready");
    assert!(sigterm(&mut child).success());
}

#[test]
fn operator_token_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, ready) = serve(
        dir.path(),
        &[("ROSETTE_OPERATOR_TOKEN", "env-operator-token")],
    );
    assert!(ready["operator_token_file"].is_null());
    assert!(!dir.path().join("operator-token").exists());
    assert!(sigterm(&mut child).success());
}

/// `POST /issuers/demo/token` for the demo offer of `ready`, as raw HTTP/1.1 (headers, then
/// the body in two halves the caller sends apart).
fn token_request_in_two_halves(ready: &Value) -> (String, Vec<u8>, Vec<u8>) {
    let offer_uri = url::Url::parse(ready["offer"].as_str().unwrap())
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "credential_offer_uri")
        .unwrap()
        .1
        .into_owned();
    let offer: Value = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(async move { reqwest::get(offer_uri).await.unwrap().json().await.unwrap() });
    let code = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["pre-authorized_code"]
        .as_str()
        .unwrap();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:pre-authorized_code",
            ),
            ("pre-authorized_code", code),
            ("tx_code", ready["tx_code"].as_str().unwrap()),
        ])
        .finish()
        .into_bytes();
    let host = ready["url"].as_str().unwrap().trim_start_matches("http://");
    let head = format!(
        "POST /issuers/demo/token HTTP/1.1\r\nHost: {host}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let (first, second) = body.split_at(body.len() / 2);
    (head, first.to_vec(), second.to_vec())
}

/// SIGTERM while a request is in flight (its body half sent): the agent stops accepting
/// connections at once, still reads the rest of that request and answers it in full, then
/// exits 0.
#[test]
fn sigterm_finishes_the_request_in_flight_and_refuses_new_connections() {
    use std::io::{Read as _, Write as _};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let (mut child, ready) = serve(dir.path(), &[]);
    let addr: std::net::SocketAddr = ready["url"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let (head, first, second) = token_request_in_two_halves(&ready);
    let mut slow = TcpStream::connect(addr).unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    // One whole request first, so the connection is surely accepted and served.
    write!(slow, "GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut health = Vec::new();
    while !String::from_utf8_lossy(&health).contains("{\"status\":\"ok\"}") {
        let mut chunk = [0u8; 1024];
        let n = slow.read(&mut chunk).unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&health));
        health.extend_from_slice(&chunk[..n]);
    }
    slow.write_all(head.as_bytes()).unwrap();
    slow.write_all(&first).unwrap();
    slow.flush().unwrap();
    // Time for the agent to accept the connection and start the request (its handler now
    // waits for the rest of the body).
    std::thread::sleep(Duration::from_millis(500));

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    // New connections are refused soon after: the listener is closed.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match TcpStream::connect_timeout(&addr, Duration::from_secs(1)) {
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => break,
            _ => {
                assert!(Instant::now() < deadline, "still accepting after SIGTERM");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    assert!(
        child.try_wait().unwrap().is_none(),
        "exited with a request in flight"
    );

    // The rest of the body: the request is answered in full, and the connection closed after.
    slow.write_all(&second).unwrap();
    let mut response = String::new();
    slow.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let token: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {response}"));
    assert!(token["access_token"].is_string(), "{token}");

    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(Instant::now() < deadline, "no exit 30 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exit.success(), "{exit}");
}

/// `--log-format json`: every line on stderr is one JSON object with a level and a message
/// (the start-up notes for people too); `ROSETTE_LOG_FORMAT` takes only text or json.
#[test]
fn log_format_json_writes_one_json_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _, stderr) = serve_plain(&dir.path().join("data"), &["--log-format", "json"]);
    wait_for(&stderr, &["\"listening\"", "no institution yet"]);
    assert!(sigterm(&mut child).success());
    let text = wait_for(&stderr, &["shutting down"]);
    let mut messages = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let event: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            matches!(
                event["level"].as_str(),
                Some("INFO" | "WARN" | "ERROR" | "DEBUG")
            ),
            "{line}"
        );
        assert!(event["timestamp"].is_string(), "{line}");
        messages.push(
            event["message"]
                .as_str()
                .unwrap_or_else(|| panic!("{line}"))
                .to_owned(),
        );
        if event["message"] == "listening" {
            assert!(
                event["listening"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("http://127.0.0.1:")),
                "{line}"
            );
        }
    }
    assert!(messages.iter().any(|m| m == "listening"), "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("rosette-agent institution create")),
        "{messages:?}"
    );

    let refused = Command::new(env!("CARGO_BIN_EXE_rosette-agent"))
        .args(["serve", "--data"])
        .arg(dir.path().join("data"))
        .env("ROSETTE_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("xml"));
}
