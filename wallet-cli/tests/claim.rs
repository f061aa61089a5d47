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

/// A loopback listener that counts the connections made to it.
struct Watch {
    port: u16,
    seen: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

fn watch() -> Watch {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            drop(stream);
        }
    });
    Watch { port, seen }
}

fn encoded(url: &str) -> String {
    url::form_urlencoded::byte_serialize(url.as_bytes()).collect()
}

/// A QR code or link chosen by someone else must not make the learner's computer connect to
/// its own network: every spelling of a loopback address is refused before a connection, for
/// the offer's `credential_offer_uri`, the issuer it names and a presentation's `request_uri`.
#[test]
fn offer_and_request_links_pointing_at_local_addresses() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = common::new_wallet(tmp.path(), "w");
    let target = watch();
    let port = target.port;
    let hosts = [
        "127.0.0.1".to_owned(),
        "2130706433".to_owned(),
        "0x7f.1".to_owned(),
        "0177.0.0.1".to_owned(),
        "[::1]".to_owned(),
        "[::ffff:127.0.0.1]".to_owned(),
        "localhost".to_owned(),
    ];
    for host in &hosts {
        let base = format!("https://{host}:{port}");
        let by_reference = format!(
            "openid-credential-offer://?credential_offer_uri={}",
            encoded(&format!("{base}/offer"))
        );
        let offer = serde_json::json!({
            "credential_issuer": base,
            "credential_configuration_ids": ["OpenBadgeCredential_ldp_vc"],
            "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "x"}}
        });
        let by_value = format!(
            "openid-credential-offer://?credential_offer={}",
            encoded(&offer.to_string())
        );
        let request = format!(
            "openid4vp://?client_id={}&request_uri={}",
            encoded(&format!("x509_san_dns:{host}")),
            encoded(&format!("{base}/request"))
        );
        for args in [
            vec!["claim", &by_reference],
            vec!["claim", &by_value],
            vec!["present", &request, "--yes"],
        ] {
            let (command, link) = (args[0], args[1]);
            let out = wallet(&dir, "pw", &args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{command} {link}: {stderr}");
            assert!(
                stderr.contains("refusing")
                    || stderr.contains("not a credential offer")
                    || stderr.contains("not an OpenID4VP request"),
                "{command} {link}: {stderr}"
            );
            assert!(!stderr.contains("panicked"), "{stderr}");
        }
    }
    assert_eq!(
        target.seen.load(std::sync::atomic::Ordering::SeqCst),
        0,
        "the wallet connected to a loopback listener"
    );
}

/// `--allow-http` opens this computer for a development agent, nothing else: a private or
/// link-local address stays refused, with a message that names it.
#[test]
fn allow_http_does_not_open_the_private_network() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = common::new_wallet(tmp.path(), "w");
    for (host, class) in [
        ("10.0.0.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("[fd00::1]", "a unique local address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
    ] {
        let link = format!(
            "openid-credential-offer://?credential_offer_uri={}",
            encoded(&format!("https://{host}/offer"))
        );
        let started = std::time::Instant::now();
        let out = wallet(&dir, "pw", &["--allow-http", "claim", &link]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success());
        assert!(
            stderr.contains("refusing") && stderr.contains(class),
            "{host}: {stderr}"
        );
        // Refused before any connection attempt (the connect timeout is 10 s).
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "{host}"
        );
    }
}
