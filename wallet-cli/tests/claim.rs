//! End to end against `rosette-agent serve --demo` (built alongside: `cargo build -p rosette-agent`).

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{start_agent, wallet};

fn contains(dir: &Path, needle: &[u8]) -> bool {
    std::fs::read_dir(dir).unwrap().any(|e| {
        let bytes = std::fs::read(e.unwrap().path()).unwrap();
        bytes.windows(needle.len()).any(|w| w == needle)
    })
}

#[test]
fn claim_from_agent_with_pin_then_store_is_encrypted() {
    let agent = start_agent();
    let offer = agent.ready["offer"].as_str().unwrap();
    let pin = agent.ready["tx_code"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("w");
    assert!(
        wallet(&w, "pw", &["init", "--insecure-fast-kdf"])
            .status
            .success()
    );

    // A wrong PIN stores nothing and says so.
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    let out = wallet(
        &w,
        "pw",
        &["claim", offer, "--tx-code", wrong, "--allow-http"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("wrong PIN"),
        "{out:?}"
    );

    let out = wallet(
        &w,
        "pw",
        &["--json", "claim", offer, "--tx-code", pin, "--allow-http"],
    );
    assert!(out.status.success(), "{out:?}");
    let stored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stored["stored"].as_array().unwrap().len(), 2);

    let out = wallet(&w, "pw", &["--json", "list"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    // One award, held in two formats: one row.
    assert_eq!(list.len(), 1);
    let formats: Vec<&str> = list[0]["formats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(formats.contains(&"ldp_vc") && formats.contains(&"jwt_vc_json"));
    let name = list[0]["badge"].as_str().unwrap();
    assert_eq!(list[0]["status"], "valid");

    assert!(wallet(&w, "pw", &["verify"]).status.success());
    let id = list[0]["id"].as_str().unwrap();
    assert!(wallet(&w, "pw", &["show", id]).status.success());

    // Encrypted at rest.
    assert!(!contains(&w, name.as_bytes()));
    assert!(!contains(&w, b"Rosette Demo University"));

    // Wrong passphrase, then a truncated store.
    let out = wallet(&w, "nope", &["list"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("wrong passphrase"));
    let store = w.join("badges.bin");
    let bytes = std::fs::read(&store).unwrap();
    std::fs::write(&store, &bytes[..bytes.len() - 100]).unwrap();
    let out = wallet(&w, "pw", &["list"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("corrupted"),
        "{out:?}"
    );
}

/// The PIN prompt on a pseudo-terminal (util-linux `script`).
#[test]
fn pin_prompt_through_a_pty() {
    let agent = start_agent();
    assert!(
        Command::new("script").arg("--version").output().is_ok(),
        "the PIN prompt test needs util-linux `script` (apt-get install util-linux)"
    );
    let offer = agent.ready["offer"].as_str().unwrap();
    let pin = agent.ready["tx_code"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let w = dir.path().join("w");
    assert!(
        wallet(&w, "pw", &["init", "--insecure-fast-kdf"])
            .status
            .success()
    );
    let cmd = format!(
        "{} claim '{offer}' --allow-http",
        env!("CARGO_BIN_EXE_rosette-wallet")
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
    writeln!(child.stdin.as_mut().unwrap(), "{pin}").unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("PIN (6 digits, not shown)"), "{text}");
    assert!(!text.contains(pin), "the PIN was echoed: {text}");
    assert!(text.contains("Stored"), "{text}");
}
