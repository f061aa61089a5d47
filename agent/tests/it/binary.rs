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
