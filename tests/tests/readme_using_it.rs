//! The README's "Using it" section, run as written (issue 14): its `sh` blocks are read from
//! README.md and each command runs as a person would paste it, in a real terminal (a pty), with
//! the passphrase, the PIN and the "Share?" question answered at their prompts.
//!
//! The agent runs as the quick start starts it (`serve --demo`, on a free port and a temp data
//! dir). The only things the test puts in are what a reader puts in: the ready line's offer and
//! request where the README shows `'openid-credential-offer://…'` and `'openid4vp://…'`, and an
//! id from `list` where it shows `ID`. The wallet's home is a temp dir; the commands that write
//! files run in a temp dir too, after the block's `export PATH=…` line, so the clone stays
//! clean.
//!
//! The first block builds the release binaries (`cargo build --release`), a no-op once built.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use expectrl::{Any, Eof, Needle, Regex, Session};
use rosette_tests::agent::Agent;
use serde_json::Value;

/// The passphrase typed at the prompts (12 characters at least, as `init` asks).
const PASSPHRASE: &str = "correct horse battery staple";
/// Longest any one command may take (the release build of the first line included).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(1800);
/// Every question the wallet asks on the terminal.
const PROMPTS: &str = r"(New wallet passphrase: |Repeat the passphrase: |Wallet passphrase: |PIN \([^)\n]*\): |Share\? \[y/N\] )";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The command lines of every ```sh block in the README section titled `heading`.
fn sh_blocks(readme: &str, heading: &str) -> Vec<Vec<String>> {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("README has no \"## {heading}\" section"));
    let mut blocks = Vec::new();
    let mut current: Option<Vec<String>> = None;
    for line in section.lines() {
        match (&mut current, line.trim()) {
            (None, "```sh") => current = Some(Vec::new()),
            (Some(_), "```") => blocks.extend(current.take()),
            (Some(block), text) if !text.is_empty() && !text.starts_with('#') => {
                block.push(text.to_owned());
            }
            _ => {}
        }
    }
    blocks
}

/// What a reader substitutes in a command line.
struct Fill<'a> {
    offer: &'a str,
    request: &'a str,
    badge_id: Option<&'a str>,
}

impl Fill<'_> {
    fn apply(&self, line: &str) -> String {
        let mut words: Vec<String> = Vec::new();
        for word in line.split(' ') {
            let word = if word.starts_with("'openid-credential-offer://") {
                format!("'{}'", self.offer)
            } else if word.starts_with("'openid4vp://") {
                format!("'{}'", self.request)
            } else if word == "ID" {
                self.badge_id
                    .expect("`show ID` comes after `list`")
                    .to_owned()
            } else {
                word.to_owned()
            };
            words.push(word);
        }
        words.join(" ")
    }
}

/// Runs `line` with bash in a pty in `cwd`, answering the wallet's prompts; returns what the
/// terminal showed. Panics unless it exits 0.
fn run_in_terminal(line: &str, cwd: &Path, env: &[(String, String)], pin: &str) -> String {
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(line).current_dir(cwd);
    // What the test runner's environment would otherwise leak into the reader's shell.
    for k in [
        "ROSETTE_WALLET_PASSPHRASE",
        "ROSETTE_WALLET_DIR",
        "ROSETTE_WALLET_ALLOW_HTTP",
        "CARGO_TARGET_DIR",
        "XDG_DATA_HOME",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut session = Session::spawn(cmd).unwrap_or_else(|e| panic!("{line}: {e}"));
    session.set_expect_timeout(Some(COMMAND_TIMEOUT));
    let mut shown = String::new();
    loop {
        let needle = Any::boxed(vec![
            Box::new(Regex(PROMPTS)) as Box<dyn Needle>,
            Box::new(Eof),
        ]);
        let found = session
            .expect(needle)
            .unwrap_or_else(|e| panic!("{line}: {e}\nshown so far:\n{shown}"));
        shown.push_str(&String::from_utf8_lossy(found.before()));
        let matched = String::from_utf8_lossy(found.get(0).unwrap_or_default()).into_owned();
        shown.push_str(&matched);
        // A prompt is matched alone; at the end of output, Eof matches all that was left.
        let answer = match matched.as_str() {
            "New wallet passphrase: " | "Repeat the passphrase: " | "Wallet passphrase: " => {
                PASSPHRASE
            }
            "Share? [y/N] " => "y",
            pin_prompt if pin_prompt.starts_with("PIN (") && !pin_prompt.contains('\n') => pin,
            _ => break,
        };
        session
            .send_line(answer)
            .unwrap_or_else(|e| panic!("{line}: {e}"));
    }
    let status = session
        .get_process()
        .wait()
        .unwrap_or_else(|e| panic!("{line}: {e}"));
    assert!(
        matches!(status, expectrl::WaitStatus::Exited(_, 0)),
        "`{line}` ended {status:?}; the terminal showed:\n{shown}"
    );
    shown.replace("\r\n", "\n")
}

#[test]
fn readme_using_it_works_as_written() {
    let root = workspace();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");

    // The quick start's agent.
    let quick = sh_blocks(&readme, "Quick start");
    assert_eq!(
        quick.first().and_then(|b| b.first()).map(String::as_str),
        Some("cargo run --release -p rosette-agent -- serve --demo"),
        "the quick start's first command changed: update this test"
    );
    let blocks = sh_blocks(&readme, "Using it");
    assert_eq!(blocks.len(), 2, "{blocks:#?}");
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let home = tmp.path().join("home");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&home).expect("home");
    std::fs::create_dir_all(&work).expect("work");
    let home_text = home.to_str().expect("utf-8 path").to_owned();
    let mut env: Vec<(String, String)> = vec![
        ("HOME".into(), home_text),
        ("PATH".into(), std::env::var("PATH").expect("PATH")),
    ];

    // The block's first lines: the build and the PATH, in the clone.
    let learner = &blocks[0];
    let (setup, commands): (Vec<&String>, Vec<&String>) = learner
        .iter()
        .partition(|l| l.starts_with("cargo ") || l.starts_with("export PATH="));
    assert_eq!(setup.len(), 2, "{learner:#?}");
    let path_line = setup
        .iter()
        .find(|l| l.starts_with("export PATH="))
        .expect("PATH");
    for line in &setup {
        if line.starts_with("cargo ") {
            run_in_terminal(line, &root, &env, "");
        }
    }
    let path = Command::new("bash")
        .arg("-c")
        .arg(format!("{path_line}\nprintf %s \"$PATH\""))
        .current_dir(&root)
        .output()
        .expect("bash");
    let path = String::from_utf8(path.stdout).expect("PATH is UTF-8");
    let bin = root.join("target/release");
    assert!(
        path.starts_with(bin.to_str().expect("utf-8")),
        "{path_line} → {path}"
    );
    env[1].1 = path;

    let agent = Agent::start(&bin.join("rosette-agent"), &tmp.path().join("data"), true)
        .unwrap_or_else(|e| panic!("{e}"));
    let ready = agent.ready();
    let offer = ready.offer.clone().expect("the ready line's offer");
    let pin = ready.tx_code.clone().expect("the ready line's PIN");
    let request = ready.raw["request"]
        .as_str()
        .expect("the ready line's request")
        .to_owned();

    // The learner's commands, in order; `export` lines set the shell's environment for the rest.
    let mut badge_id: Option<String> = None;
    let mut outputs = Vec::new();
    for line in commands {
        if let Some(assign) = line.strip_prefix("export ") {
            let assign = assign.split_whitespace().next().expect("NAME=value");
            let (name, value) = assign.split_once('=').expect("NAME=value");
            env.push((name.to_owned(), value.to_owned()));
            continue;
        }
        let fill = Fill {
            offer: &offer,
            request: &request,
            badge_id: badge_id.as_deref(),
        };
        let command = fill.apply(line);
        let shown = run_in_terminal(&command, &work, &env, &pin);
        if command.starts_with("rosette-wallet list") {
            // The id a reader copies from `list`: ask the same wallet for it in JSON.
            let listed = Command::new(bin.join("rosette-wallet"))
                .args(["--json", "list"])
                .env("HOME", &home)
                .env("ROSETTE_WALLET_PASSPHRASE", PASSPHRASE)
                .env_remove("ROSETTE_WALLET_DIR")
                .env_remove("XDG_DATA_HOME")
                .output()
                .expect("wallet list");
            let listed: Value = serde_json::from_slice(&listed.stdout).expect("list JSON");
            let id = listed[0]["id"].as_str().expect("a badge").to_owned();
            assert!(shown.contains(&id[..8]), "{shown}");
            badge_id = Some(id);
        }
        outputs.push((command, shown));
    }
    let said = |prefix: &str| -> &str {
        outputs
            .iter()
            .find(|(c, _)| c.starts_with(prefix))
            .map(|(_, s)| s.as_str())
            .unwrap_or_else(|| panic!("the README no longer runs `{prefix}`"))
    };
    let claimed = said("rosette-wallet claim");
    assert!(claimed.to_lowercase().contains("stored"), "{claimed}");
    let listed = said("rosette-wallet list --status");
    assert!(listed.contains("valid (checked"), "{listed}");
    let shown = said("rosette-wallet show");
    // What the README promises `show` prints.
    for part in [
        "Badge:",
        "Criteria:",
        "Skills:",
        "Evidence:",
        "Issuer:",
        "Learner:",
        "Issued:",
        "Status:",
        "Proof:",
    ] {
        assert!(shown.contains(part), "show lacks {part}:\n{shown}");
    }
    let presented = said("rosette-wallet present");
    assert!(presented.contains("accepted"), "{presented}");

    // The second block: offline signing and verifying, in the work dir.
    for line in &blocks[1] {
        let shown = run_in_terminal(line, &work, &env, "");
        if line.starts_with("rosette-wallet verify") {
            assert_eq!(shown.matches("VALID").count(), 2, "{shown}");
        }
    }
    let signed = std::fs::read_to_string(work.join("signed.ndjson")).expect("signed.ndjson");
    assert_eq!(signed.lines().count(), 3, "{signed}");
    drop(agent);
}
