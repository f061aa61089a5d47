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
