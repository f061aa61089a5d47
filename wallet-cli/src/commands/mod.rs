//! One module per group of subcommands, and the wallet opening they share.

pub(crate) mod claim;
pub(crate) mod http;
pub(crate) mod present;
pub(crate) mod share;
pub(crate) mod store;
pub(crate) mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use rosette_wallet_core::{Passphrase, Wallet};

use crate::cli::{Cli, Command};

/// Runs one command.
pub(crate) fn run(cli: Cli) -> Result<ExitCode> {
    let dir = wallet_dir(cli.wallet_dir)?;
    let json = cli.json;
    let net = Net {
        allow_http: cli.allow_http,
    };
    match cli.command {
        Command::Init(args) => store::init(&dir, &args, json),
        Command::Claim(args) => claim::run(&dir, &args, net, json),
        Command::List(args) => store::list(&dir, &args, net, json),
        Command::Show(args) => store::show(&dir, &args, net, json),
        Command::Verify(args) => verify::run(&dir, &args, net, json),
        Command::Import(args) => store::import(&dir, &args, net, json),
        Command::Export(args) => store::export(&dir, &args, json),
        Command::Delete(args) => store::delete(&dir, &args.id, json),
        Command::Share(args) => share::run(&dir, &args, net, json),
        Command::Present(args) => present::run(&dir, &args, net, json),
    }
}

/// How the wallet may reach the network: the one development switch (`--allow-http`,
/// `ROSETTE_WALLET_ALLOW_HTTP`) every fetching command honours.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Net {
    /// Accept plain http on loopback addresses (development agents).
    pub(crate) allow_http: bool,
}

/// What to do about an http URL; every https-only refusal ends with it.
pub(crate) const ALLOW_HTTP_HINT: &str = "for a development agent on plain http on this computer, add --allow-http (or set ROSETTE_WALLET_ALLOW_HTTP=1)";

impl Net {
    /// https only; plain http on a loopback address with the development switch.
    pub(crate) fn check_url(self, url: &str) -> Result<()> {
        let parsed = url::Url::parse(url).map_err(|_| anyhow!("invalid URL {url}"))?;
        let loopback = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        };
        match parsed.scheme() {
            "https" => Ok(()),
            "http" if self.allow_http && loopback => Ok(()),
            "http" if self.allow_http => Err(anyhow!(
                "refusing plain http URL {url}: --allow-http accepts http on this computer only (127.0.0.1, ::1, localhost)"
            )),
            "http" => Err(anyhow!(
                "refusing plain http URL {url} (https is required; {ALLOW_HTTP_HINT})"
            )),
            other => Err(anyhow!("refusing {other}: URL {url} (https is required)")),
        }
    }
}

/// `detail` with [`ALLOW_HTTP_HINT`] appended when it is about an http URL being refused.
pub(crate) fn with_http_hint(detail: &str) -> String {
    let lower = detail.to_ascii_lowercase();
    let about_http = [
        "plain http",
        "https only",
        "https url",
        "not https",
        "non-https",
        "https is required",
        "must be https",
        // did:web on an IP address or localhost: a development agent.
        "did:web host",
    ]
    .iter()
    .any(|k| lower.contains(k));
    if about_http && !detail.contains("--allow-http") {
        format!("{detail} ({ALLOW_HTTP_HINT})")
    } else {
        detail.to_owned()
    }
}

fn wallet_dir(given: Option<PathBuf>) -> Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir);
    }
    if let Some(data) = std::env::var_os("XDG_DATA_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(data).join("rosette-wallet"));
    }
    let home = std::env::var_os("HOME")
        .ok_or_else(|| anyhow!("cannot find the wallet: set --wallet-dir or HOME"))?;
    Ok(PathBuf::from(home).join(".local/share/rosette-wallet"))
}

/// The passphrase from `ROSETTE_WALLET_PASSPHRASE`, else asked on the terminal.
pub(crate) fn passphrase(prompt: &str) -> Result<Passphrase> {
    if let Ok(text) = std::env::var("ROSETTE_WALLET_PASSPHRASE") {
        return Ok(Passphrase::new(text));
    }
    let text = rpassword::prompt_password(prompt)
        .context("cannot read the passphrase (no terminal? set ROSETTE_WALLET_PASSPHRASE)")?;
    Ok(Passphrase::new(text))
}

/// Opens the wallet, asking for the passphrase.
pub(crate) fn open_wallet(dir: &std::path::Path) -> Result<Wallet> {
    if !Wallet::exists(dir) {
        return Err(anyhow!(
            "no wallet in {} (run `rosette-wallet init`)",
            dir.display()
        ));
    }
    let pass = passphrase("Wallet passphrase: ")?;
    Ok(Wallet::open(dir, &pass)?)
}

/// Prints `value` as pretty JSON.
pub(crate) fn print_json(value: &impl serde::Serialize) -> Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    crate::output::write_stdout(&text)?;
    Ok(())
}

/// Now, for the CLI edge (the libraries take time as a parameter).
pub(crate) fn now() -> rosette_core::Timestamp {
    use rosette_core::Clock as _;
    rosette_core::SystemClock.now()
}
