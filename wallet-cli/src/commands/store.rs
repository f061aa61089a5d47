//! `init`, `list`, `show`, `import`, `export`, `delete`.

use std::io::IsTerminal as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use rosette_did::KeyType;
use rosette_wallet_core::{
    CredentialFormat, ImageKind, ImageSource, ImportSource, KdfParams, Placement, StoredBadge,
    Wallet, bake_badge, read_import, summarize,
};
use serde_json::json;

use super::{now, open_wallet, passphrase, print_json};
use crate::cli::{ExportArgs, ExportFormat, ImportArgs, InitArgs, KeyTypeArg, ListArgs};

pub(crate) fn init(dir: &Path, args: &InitArgs, json: bool) -> Result<ExitCode> {
    if Wallet::exists(dir) {
        bail!("a wallet already exists in {}", dir.display());
    }
    let pass = passphrase("New wallet passphrase: ")?;
    if std::env::var_os("ROSETTE_WALLET_PASSPHRASE").is_none() {
        let again = passphrase("Repeat the passphrase: ")?;
        if !pass.same_as(&again) {
            bail!("the passphrases differ");
        }
    }
    let key_type = match args.key_type {
        KeyTypeArg::Ed25519 => KeyType::Ed25519,
        KeyTypeArg::P256 => KeyType::P256,
    };
    let params = if args.insecure_fast_kdf {
        KdfParams::insecure_for_tests()
    } else {
        KdfParams::default()
    };
    let wallet = Wallet::init(dir, &pass, key_type, params, &mut rand::rngs::OsRng)?;
    let did = wallet.holder_key().did_key().to_string();
    if json {
        print_json(&json!({"wallet_dir": dir, "holder": did}))?;
    } else {
        crate::output::write_stdout(&format!(
            "Wallet created in {}\nHolder: {did}\n",
            dir.display()
        ))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn list(dir: &Path, args: &ListArgs, json: bool) -> Result<ExitCode> {
    let wallet = open_wallet(dir)?;
    let now = now();
    let items = wallet.list()?;
    // With --status: "revoked" / "suspended" (or "status unknown") from the issuer's list
    // override the stored, offline status.
    let mut live: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    if args.status {
        let verifier = super::verify::make_verifier(args.allow_http_did_web)?;
        let runtime = super::verify::runtime()?;
        for (id, _) in &items {
            let text = wallet
                .get(id)
                .map(|b| b.credential)
                .map_err(|e| e.to_string());
            let verdict =
                runtime.block_on(super::verify::verify_source(&verifier, id.as_str(), text));
            let check = verdict
                .checks
                .iter()
                .find(|c| c.name == rosette_proof::CheckName::Status);
            let label = match check.map(|c| (c.outcome, c.detail.as_str())) {
                Some((rosette_proof::Outcome::Failed, d @ ("revoked" | "suspended"))) => {
                    d.to_owned()
                }
                Some((rosette_proof::Outcome::Failed, _)) => "status invalid".to_owned(),
                Some((rosette_proof::Outcome::Warning, _)) => "status unknown".to_owned(),
                _ => continue,
            };
            live.insert(id.as_str().to_owned(), label);
        }
    }
    let status_of = |id: &rosette_wallet_core::BadgeId,
                     s: &rosette_wallet_core::BadgeSummary|
     -> Result<String> {
        Ok(match live.get(id.as_str()) {
            Some(label) => label.clone(),
            None => serde_json::to_value(s.status(now))?
                .as_str()
                .unwrap_or("?")
                .to_owned(),
        })
    };
    if json {
        let rows: Vec<_> = items
            .iter()
            .map(|(id, s)| {
                json!({"id": id, "badge": s.name, "issuer": s.issuer_name.as_deref().unwrap_or(&s.issuer),
                       "issuer_id": s.issuer, "issued": s.issued, "expires": s.expires,
                       "status": status_of(id, s).unwrap_or_default(), "format": s.format,
                       "unverified_reason": s.unverified})
            })
            .collect();
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    if items.is_empty() {
        out.push_str("No badges yet. Claim one with `rosette-wallet claim OFFER`.\n");
    } else {
        out.push_str(&format!(
            "{:<8}  {:<32}  {:<28}  {:<10}  {:<10}  {}\n",
            "ID", "BADGE", "ISSUER", "ISSUED", "EXPIRES", "STATUS"
        ));
    }
    for (id, s) in &items {
        let date = |d: &Option<String>| {
            d.as_deref()
                .map_or("-".to_owned(), |d| d.chars().take(10).collect())
        };
        let status = status_of(id, s)?;
        out.push_str(&format!(
            "{:<8}  {:<32}  {:<28}  {:<10}  {:<10}  {}\n",
            id.as_str().chars().take(8).collect::<String>(),
            clip(&s.name, 32),
            clip(s.issuer_name.as_deref().unwrap_or(&s.issuer), 28),
            date(&s.issued),
            date(&s.expires),
            status
        ));
    }
    crate::output::write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

fn clip(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
        s.push('\u{2026}');
        s
    }
}

pub(crate) fn show(dir: &Path, id: &str, json: bool) -> Result<ExitCode> {
    let wallet = open_wallet(dir)?;
    let id = wallet.resolve(id)?;
    let badge = wallet.get(&id)?;
    let status = badge.summary.status(now());
    if json {
        let credential: serde_json::Value = serde_json::from_str(&badge.credential)
            .unwrap_or_else(|_| serde_json::Value::String(badge.credential.clone()));
        print_json(
            &json!({"id": id, "summary": badge.summary, "status": status,
            "received_at": badge.received_at, "source": badge.source, "credential": credential}),
        )?;
    } else {
        let s = &badge.summary;
        let mut out = format!("Badge:    {}\n", s.name);
        out.push_str(&format!(
            "Issuer:   {} ({})\n",
            s.issuer_name.as_deref().unwrap_or("-"),
            s.issuer
        ));
        out.push_str(&format!("Id:       {id}\n"));
        for (label, v) in [
            ("Issued:  ", &s.issued),
            ("Expires: ", &s.expires),
            ("Cred. id:", &s.credential_id),
        ] {
            if let Some(v) = v {
                out.push_str(&format!("{label} {v}\n"));
            }
        }
        out.push_str(&format!(
            "Format:   {}\nStatus:   {}\nReceived: {} from {}\n",
            s.format.as_str(),
            serde_json::to_value(status)?.as_str().unwrap_or("?"),
            badge.received_at,
            badge.source
        ));
        if let Some(reason) = &s.unverified {
            out.push_str(&format!(
                "Unverified: kept at your request; its proof did not verify: {reason}\n"
            ));
        }
        crate::output::write_stdout(&out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Import files larger than this are refused before reading (the baking library's image limit).
const MAX_IMPORT_BYTES: u64 = 20 * 1024 * 1024;

pub(crate) fn import(dir: &Path, args: &ImportArgs, json: bool) -> Result<ExitCode> {
    let file = args.file.display();
    let bytes = match std::fs::metadata(&args.file) {
        Ok(meta) if meta.len() > MAX_IMPORT_BYTES => {
            bail!("cannot import {file}: larger than {MAX_IMPORT_BYTES} bytes")
        }
        Ok(_) => std::fs::read(&args.file),
        Err(e) => Err(e),
    }
    .map_err(|e| anyhow!("cannot import {file}: {e}"))?;
    let imported = read_import(&bytes).map_err(|e| anyhow!("cannot import {file}: {e}"))?;
    let text = imported.text;
    let mut summary = summarize(&text).map_err(|e| anyhow!("cannot import {file}: {e}"))?;
    let verifier = super::verify::make_verifier(args.allow_http_did_web)?;
    let verdict = super::verify::runtime()?.block_on(verifier.verify_text(&text));
    let problems = super::verify::problems(&verdict);
    if !problems.is_empty() {
        let reason = problems.join("; ");
        if !args.unverified {
            bail!(
                "{file} does not verify, not imported: {reason}\n\
                 (to keep it anyway, marked unverified, run again with --unverified)"
            );
        }
        summary.unverified = Some(reason);
    }
    let mut wallet = open_wallet(dir)?;
    if let Some(existing) = already_stored(&wallet, &summary, &text)? {
        if json {
            print_json(&json!({"stored": [], "already_stored": existing}))?;
        } else {
            crate::output::write_stdout(&format!(
                "Already in the wallet as {existing}; nothing imported\n"
            ))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let badge = StoredBadge {
        format: summary.format,
        credential: text,
        received_at: now().to_rfc3339(),
        summary,
        source: match imported.source {
            ImportSource::Text => "import".to_owned(),
            ImportSource::Baked(kind) => format!("import (baked {})", kind.as_str()),
        },
    };
    let placed = wallet.add_newest(std::slice::from_ref(&badge), &mut rand::rngs::OsRng)?;
    report_stored(&placed, &[badge], json)?;
    Ok(ExitCode::SUCCESS)
}

/// The id of a stored badge holding the same credential (same text, or equal JSON), if any.
/// Only badges with the same issuer and credential id are decrypted.
fn already_stored(
    wallet: &Wallet,
    summary: &rosette_wallet_core::BadgeSummary,
    text: &str,
) -> Result<Option<rosette_wallet_core::BadgeId>> {
    let parsed = serde_json::from_str::<serde_json::Value>(text).ok();
    for (id, s) in wallet.list()? {
        if s.issuer != summary.issuer || s.credential_id != summary.credential_id {
            continue;
        }
        let stored = wallet.get(&id)?.credential;
        let same = stored == text
            || parsed.as_ref().is_some_and(|p| {
                serde_json::from_str::<serde_json::Value>(&stored).is_ok_and(|v| &v == p)
            });
        if same {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// Prints what was stored, what replaced an older copy (a re-issued badge keeps its `id`) and
/// what was not stored because the wallet has a copy at least as new.
pub(crate) fn report_stored(
    placements: &[Placement],
    badges: &[StoredBadge],
    json: bool,
) -> Result<()> {
    let day = |d: &Option<String>| d.as_deref().unwrap_or("at an unknown date").to_owned();
    if json {
        let mut stored = Vec::new();
        let mut kept = Vec::new();
        for (p, b) in placements.iter().zip(badges) {
            match p {
                Placement::Added(_) | Placement::Replaced { .. } => {
                    let previous = match p {
                        Placement::Replaced {
                            previous_issued, ..
                        } => previous_issued.clone(),
                        _ => None,
                    };
                    stored.push(
                        json!({"id": p.id(), "badge": b.summary.name, "format": b.format,
                       "verified": b.summary.unverified.is_none(),
                       "unverified_reason": b.summary.unverified,
                       "issued": b.summary.issued,
                       "replaced": matches!(p, Placement::Replaced { .. }),
                       "replaced_issued": previous}),
                    );
                }
                Placement::KeptNewer { id, stored_issued } => {
                    kept.push(
                        json!({"id": id, "badge": b.summary.name, "format": b.format,
                       "issued": b.summary.issued, "reason": "newer_stored",
                       "stored_issued": stored_issued}),
                    );
                }
                Placement::KeptSame { id } => {
                    kept.push(
                        json!({"id": id, "badge": b.summary.name, "format": b.format,
                       "issued": b.summary.issued, "reason": "same_stored",
                       "stored_issued": b.summary.issued}),
                    );
                }
                _ => {}
            }
        }
        print_json(&json!({"stored": stored, "not_stored": kept}))
    } else {
        let mut out = String::new();
        for (p, b) in placements.iter().zip(badges) {
            let (format, name) = (b.format.as_str(), &b.summary.name);
            match p {
                Placement::Added(id) => {
                    out.push_str(&format!("Stored {format} \u{201c}{name}\u{201d} as {id}\n"));
                }
                Placement::Replaced {
                    id,
                    previous_issued,
                } => out.push_str(&format!(
                    "Stored {format} \u{201c}{name}\u{201d} as {id}: replaced an older copy issued {}\n",
                    day(previous_issued)
                )),
                Placement::KeptNewer { id, stored_issued } => out.push_str(&format!(
                    "Not stored {format} \u{201c}{name}\u{201d}: the wallet already has a newer copy as {id} (issued {})\n",
                    day(stored_issued)
                )),
                Placement::KeptSame { id } => out.push_str(&format!(
                    "Not stored {format} \u{201c}{name}\u{201d}: the wallet already has the same copy as {id}\n"
                )),
                _ => {}
            }
            if p.is_stored()
                && let Some(reason) = &b.summary.unverified
            {
                out.push_str(&format!(
                    "  UNVERIFIED: kept at your request; its proof did not verify: {reason}\n"
                ));
            }
        }
        crate::output::write_stdout(&out)?;
        Ok(())
    }
}

pub(crate) fn export(dir: &Path, args: &ExportArgs, json: bool) -> Result<ExitCode> {
    let wallet = open_wallet(dir)?;
    let id = wallet.resolve(&args.id)?;
    let badge = wallet.get(&id)?;
    let kind = match args.format {
        ExportFormat::Png => Some(ImageKind::Png),
        ExportFormat::Svg => Some(ImageKind::Svg),
        ExportFormat::Json | ExportFormat::Jwt => None,
    };
    let (bytes, image) = match (args.format, badge.format, kind) {
        (_, _, Some(kind)) => {
            let baked = bake_badge(&badge.credential, badge.format, &badge.summary.name, kind)?;
            (baked.bytes, Some(baked.source))
        }
        (ExportFormat::Json, CredentialFormat::LdpVc, None)
        | (ExportFormat::Jwt, CredentialFormat::JwtVcJson, None) => {
            let mut t = badge.credential.clone();
            t.push('\n');
            (t.into_bytes(), None)
        }
        (wanted, have, None) => bail!(
            "unsupported format: this badge is {} and cannot be re-encoded as {wanted:?} without the issuer's signature",
            have.as_str()
        ),
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &bytes)
                .map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
            if json {
                print_json(
                    &json!({"id": id, "out": path, "format": args.format.as_str(),
                                   "bytes": bytes.len(), "image": image}),
                )?;
            } else {
                let note = match image {
                    Some(ImageSource::Achievement) => " (baked into the achievement's image)",
                    Some(ImageSource::Generated) => {
                        " (baked into a generated image: the badge has no embedded image of this type)"
                    }
                    None => "",
                };
                crate::output::write_stdout(&format!("Wrote {}{note}\n", path.display()))?;
            }
        }
        None => {
            if kind == Some(ImageKind::Png) && std::io::stdout().is_terminal() {
                bail!("not writing a PNG to the terminal: use --out FILE or redirect stdout");
            }
            write_stdout_bytes(&bytes)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes raw bytes to stdout; a closed pipe is not an error worth reporting.
fn write_stdout_bytes(bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

pub(crate) fn delete(dir: &Path, id: &str, json: bool) -> Result<ExitCode> {
    let mut wallet = open_wallet(dir)?;
    let id = wallet.resolve(id)?;
    wallet.delete(&id)?;
    if json {
        print_json(&json!({"deleted": id}))?;
    } else {
        crate::output::write_stdout(&format!("Deleted {id}\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}
