//! Secrets at rest (issue 15, finding 1): the data directory was world-readable, institutions'
//! private keys and the server secret were stored in clear (from the secret, the demo offer's
//! PIN and offer token were recomputed), and the PIN hash was an unsalted SHA-256 (reversed in
//! under a second). This runs the real `rosette-agent serve --demo`, stops it, copies its data
//! directory WITHOUT the key-encryption key, and tries what an attacker with the copy would.

mod support;

use std::path::Path;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use support::*;

/// Every file of `dir`, as bytes (the store and its journal).
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            out.extend(std::fs::read(&path).expect("read"));
        }
    }
    out
}

/// Runs of `[0-9a-f]` exactly `len` long (candidate hex secrets and hashes).
fn hex_runs(bytes: &[u8], len: usize) -> Vec<String> {
    let mut found = Vec::new();
    let mut start = None;
    for (i, b) in bytes.iter().enumerate().chain([(bytes.len(), &b' ')]) {
        let hex = b.is_ascii_digit() || (b'a'..=b'f').contains(b);
        match (hex, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s == len {
                    found.push(String::from_utf8_lossy(&bytes[s..i]).into_owned());
                }
                start = None;
            }
            _ => {}
        }
    }
    found.sort();
    found.dedup();
    found
}

/// The demo PIN as the agent derived it from a clear server secret (HMAC over "tx-code" and
/// the offer id, six digits from the first eight bytes).
fn pin_from(secret: &str, offer_id: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("hmac");
    mac.update(b"tx-code");
    mac.update(&[0]);
    mac.update(offer_id.as_bytes());
    let bytes = mac.finalize().into_bytes();
    let mut n = u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes"));
    (0..6)
        .map(|_| {
            let d = char::from(b'0' + (n % 10) as u8);
            n /= 10;
            d
        })
        .collect()
}

#[test]
fn copied_data_directory_without_the_kek_yields_no_key_and_no_pin() {
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let data = tmp.path().join("data");
    let agent = start(&data, true);
    let ready = agent.ready().clone();
    let pin = ready.tx_code.clone().expect("demo PIN");
    let offer = ready.offer.clone().expect("demo offer");
    let status = agent
        .terminate(Duration::from_secs(20))
        .expect("agent stops");
    assert!(status.success(), "{status:?}");

    // Only the agent's user can read the data.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777;
        assert_eq!(mode(&data), 0o700, "data directory");
        for entry in std::fs::read_dir(&data).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_file() {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
            }
        }
    }
    assert!(
        data.join("kek").is_file(),
        "the generated key-encryption key"
    );

    // The attacker's copy: everything but the KEK.
    let copy = tmp.path().join("copy");
    std::fs::create_dir_all(&copy).expect("mkdir");
    for entry in std::fs::read_dir(&data).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_file() && path.file_name().is_some_and(|n| n != "kek") {
            std::fs::copy(&path, copy.join(path.file_name().expect("name"))).expect("copy");
        }
    }
    let bytes = all_bytes(&copy);
    let text = String::from_utf8_lossy(&bytes);

    // No private JWK in clear (an Ed25519 JWK's private part is its "d" member).
    assert!(!text.contains("\"d\":\""), "a private key in clear");
    assert!(
        !text.contains("\\\"d\\\":\\\""),
        "a private key in clear (escaped)"
    );
    assert!(text.contains("kek1."), "sealed values are stored");

    // No stored string is the secret the demo PIN derives from.
    let offer_ids: Vec<String> = {
        // Offer ids are UUIDs in the store: try the PIN derivation with each.
        let re_uuid = |s: &str| {
            s.len() == 36
                && s.chars().enumerate().all(|(i, c)| {
                    if [8, 13, 18, 23].contains(&i) {
                        c == '-'
                    } else {
                        c.is_ascii_hexdigit()
                    }
                })
        };
        let mut ids: Vec<String> = text
            .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
            .filter(|s| re_uuid(s))
            .map(str::to_owned)
            .collect();
        ids.sort();
        ids.dedup();
        ids
    };
    assert!(!offer_ids.is_empty(), "offer ids are in the store");
    let secrets = hex_runs(&bytes, 64);
    for secret in &secrets {
        for id in &offer_ids {
            assert_ne!(
                pin_from(secret, id),
                pin,
                "the PIN derives from a stored value"
            );
        }
    }

    // No stored hash is the hash of any six-digit PIN: the PIN hashes are keyed.
    let hashes: std::collections::BTreeSet<String> = secrets.iter().cloned().collect();
    assert!(
        !hashes.contains(&hex::encode(Sha256::digest(pin.as_bytes()))),
        "the demo PIN's plain SHA-256 is stored"
    );
    let mut found = None;
    for n in 0..1_000_000_u32 {
        let candidate = format!("{n:06}");
        if hashes.contains(&hex::encode(Sha256::digest(candidate.as_bytes()))) {
            found = Some(candidate);
            break;
        }
    }
    assert_eq!(found, None, "a stored hash is a PIN's SHA-256");

    // The agent refuses the copy without its key, naming what is missing, and does not
    // replace the key with a new one.
    let out = std::process::Command::new(&binaries().agent)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&copy)
        .env_remove("ROSETTE_KEK")
        .env_remove("ROSETTE_OPERATOR_TOKEN")
        .output()
        .expect("agent runs");
    assert!(!out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("key-encryption key"), "{said}");
    assert!(
        !copy.join("kek").exists(),
        "a new key was generated for sealed data"
    );

    // With the key, the copy is the institution again: the demo offer and its PIN still work
    // (the copy listens where the original did, the address the offer names).
    std::fs::copy(data.join("kek"), copy.join("kek")).expect("copy kek");
    let listen = ready.url.trim_start_matches("http://").to_owned();
    let agent =
        rosette_tests::agent::Agent::start_at(&binaries().agent, &copy, false, &listen, None)
            .unwrap_or_else(|e| panic!("{e}"));
    let h = harness();
    let out = tmp.path().join("claimed");
    let claim = claimed(
        spawn_wallet(&h, &offer, Some(&pin), &out)
            .wait()
            .expect("wallet runs"),
    );
    assert!(!claim.files.is_empty(), "{:?}", claim.run);
    drop(agent);
}

#[test]
fn rotate_kek_reseals_every_secret_and_open_offers_keep_their_pins() {
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let data = tmp.path().join("data");
    let agent = start(&data, true);
    let ready = agent.ready().clone();
    let pin = ready.tx_code.clone().expect("demo PIN");
    let offer = ready.offer.clone().expect("demo offer");
    assert!(
        agent
            .terminate(Duration::from_secs(20))
            .expect("stops")
            .success()
    );
    let before = std::fs::read_to_string(data.join("kek")).expect("kek");
    let sealed_before = all_bytes(&data);

    let out = std::process::Command::new(&binaries().agent)
        .args(["keys", "rotate-kek", "--data"])
        .arg(&data)
        .env_remove("ROSETTE_KEK")
        .output()
        .expect("rotate-kek runs");
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("re-sealed 1 signing key(s) and 1 server secret(s)"),
        "{said}"
    );
    let after = std::fs::read_to_string(data.join("kek")).expect("new kek");
    assert_ne!(before.trim(), after.trim());
    assert_eq!(
        std::fs::read_to_string(data.join("kek.old"))
            .expect("old kek kept")
            .trim(),
        before.trim()
    );
    assert_ne!(all_bytes(&data), sealed_before, "the store changed");

    // The old key alone no longer opens the store: the agent says which key it needs.
    let copy = tmp.path().join("old-key-only");
    std::fs::create_dir_all(&copy).expect("mkdir");
    std::fs::copy(data.join("store.redb"), copy.join("store.redb")).expect("copy");
    std::fs::write(copy.join("kek"), &before).expect("old kek");
    let out = std::process::Command::new(&binaries().agent)
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&copy)
        .env_remove("ROSETTE_KEK")
        .env_remove("ROSETTE_OPERATOR_TOKEN")
        .output()
        .expect("agent runs");
    assert!(!out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("sealed under key-encryption key"),
        "{out:?}"
    );

    // With the new key the agent runs, and the open demo offer's PIN still redeems.
    let listen = ready.url.trim_start_matches("http://").to_owned();
    let agent =
        rosette_tests::agent::Agent::start_at(&binaries().agent, &data, false, &listen, None)
            .unwrap_or_else(|e| panic!("{e}"));
    let h = harness();
    let out = tmp.path().join("claimed");
    let claim = claimed(
        spawn_wallet(&h, &offer, Some(&pin), &out)
            .wait()
            .expect("wallet runs"),
    );
    assert!(!claim.files.is_empty(), "{:?}", claim.run);
    drop(agent);
}
