//! `init`, `list`, `show`, `import`, `export`, `delete`.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use rosette_did::KeyType;
use rosette_wallet_core::{
    BadgeSummary, CredentialFormat, ImageKind, ImageSource, ImportSource, KdfParams, Placement,
    Standing, StoredBadge, Wallet, bake_badge, details, read_import, summarize,
};
use serde_json::json;

use super::{now, open_wallet, passphrase, print_json};
use crate::cli::{ExportArgs, ExportFormat, ImportArgs, InitArgs, KeyTypeArg, ListArgs, ShowArgs};

pub(crate) fn init(dir: &Path, args: &InitArgs, json: bool) -> Result<ExitCode> {
    if Wallet::exists(dir) {
        bail!("a wallet already exists in {}", dir.display());
    }
    // A weak passphrase is refused with the reason; on a terminal it is asked again.
    // --insecure-fast-kdf is for tests, whose passphrases are throwaway ("pw").
    let interactive = std::env::var_os("ROSETTE_WALLET_PASSPHRASE").is_none();
    let mut tries = 0;
    let pass = loop {
        let pass = passphrase("New wallet passphrase: ")?;
        match pass.weakness() {
            Some(weak) if !args.insecure_fast_kdf => {
                tries += 1;
                if !interactive || tries >= 3 {
                    bail!("{weak}; no wallet was created");
                }
                eprintln!("{weak}.");
            }
            _ => break pass,
        }
    };
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

/// Asks the status lists of `ids` again and remembers the answers; returns, per badge whose
/// list could not be read, why.
fn refresh_status(
    wallet: &mut Wallet,
    ids: &[rosette_wallet_core::BadgeId],
    net: super::Net,
) -> Result<BTreeMap<String, String>> {
    let verifier = super::verify::make_verifier(net)?;
    let runtime = super::verify::runtime()?;
    let checked_at = now();
    let mut checks = Vec::new();
    let mut unknown = BTreeMap::new();
    for id in ids {
        let text = wallet
            .get(id)
            .map(|b| b.credential)
            .map_err(|e| e.to_string());
        let verdict = runtime.block_on(super::verify::verify_source(&verifier, id.as_str(), text));
        match super::verify::status_check_of(&verdict, checked_at) {
            Some(check) => checks.push((id.clone(), check)),
            None => {
                if let Some(reason) = super::verify::status_unknown_reason(&verdict) {
                    unknown.insert(id.as_str().to_owned(), reason);
                }
            }
        }
    }
    wallet.record_status_checks(&checks, &mut rand::rngs::OsRng)?;
    Ok(unknown)
}

/// One row of `list`: the stored copies of one award (one per format), in id order.
struct Award {
    ids: Vec<rosette_wallet_core::BadgeId>,
    summary: BadgeSummary,
    formats: Vec<&'static str>,
    standing: Standing,
}

/// Groups copies of one award (same issuer, achievement, learner and offer). The row's status
/// is the worst of its copies (one revoked copy makes the award revoked).
fn awards(items: Vec<(rosette_wallet_core::BadgeId, BadgeSummary)>) -> Vec<Award> {
    let at = now();
    let mut by_key: BTreeMap<String, usize> = BTreeMap::new();
    let mut out: Vec<Award> = Vec::new();
    for (id, summary) in items {
        let key = summary.award_key(id.as_str());
        let standing = summary.standing(at);
        match by_key.get(&key).and_then(|&i| out.get_mut(i)) {
            Some(award) => {
                award.ids.push(id);
                award.formats.push(summary.format.as_str());
                if rank(&standing) > rank(&award.standing) {
                    award.standing = standing;
                }
            }
            None => {
                by_key.insert(key, out.len());
                out.push(Award {
                    ids: vec![id],
                    formats: vec![summary.format.as_str()],
                    summary,
                    standing,
                });
            }
        }
    }
    // The JSON-LD copy first, so a row's `id` and `format` stay the same from run to run.
    for award in &mut out {
        let mut copies: Vec<_> = award.ids.drain(..).zip(award.formats.drain(..)).collect();
        copies.sort_by_key(|(id, format)| (*format != "ldp_vc", id.clone()));
        (award.ids, award.formats) = copies.into_iter().unzip();
    }
    out
}

/// How bad a standing is, for the worst-of rule of [`awards`].
fn rank(standing: &Standing) -> u8 {
    match standing {
        Standing::Valid { .. } | Standing::ValidNoStatusList => 0,
        Standing::NotCheckedRecently { .. } => 1,
        Standing::NotChecked => 2,
        Standing::NotYetValid => 3,
        Standing::Expired => 4,
        Standing::Suspended { .. } => 5,
        Standing::Unverified => 6,
        _ => 7,
    }
}

pub(crate) fn list(dir: &Path, args: &ListArgs, net: super::Net, json: bool) -> Result<ExitCode> {
    let mut wallet = open_wallet(dir)?;
    let mut unknown = BTreeMap::new();
    if args.status {
        let ids: Vec<_> = wallet.list()?.into_iter().map(|(id, _)| id).collect();
        unknown = refresh_status(&mut wallet, &ids, net)?;
    }
    let rows = awards(wallet.list()?);
    // A list that could not be read just now says so, next to what was known before.
    let label = |a: &Award| -> String {
        let reason = a.ids.iter().find_map(|id| unknown.get(id.as_str()));
        match reason {
            Some(_) => format!("status unknown; last: {}", a.standing.describe()),
            None => a.standing.describe(),
        }
    };
    if json {
        let rows: Vec<_> = rows
            .iter()
            .map(|a| {
                let s = &a.summary;
                let reason = a.ids.iter().find_map(|id| unknown.get(id.as_str()));
                let copies: Vec<_> = a
                    .ids
                    .iter()
                    .zip(&a.formats)
                    .map(|(id, f)| json!({"id": id, "format": f}))
                    .collect();
                json!({"id": a.ids[0], "ids": a.ids, "copies": copies, "badge": s.name,
                       "issuer": s.issuer_name.as_deref().unwrap_or(&s.issuer),
                       "issuer_id": s.issuer, "issued": s.issued, "expires": s.expires,
                       "status": a.standing.code(), "status_text": label(a),
                       "status_checked_at": a.standing.checked_at(),
                       "status_unknown_reason": reason,
                       "format": a.formats[0], "formats": a.formats,
                       "unverified_reason": s.unverified})
            })
            .collect();
        print_json(&rows)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str("No badges yet. Claim one with `rosette-wallet claim OFFER`.\n");
    } else {
        out.push_str(&format!(
            "{:<8}  {:<30}  {:<26}  {:<10}  {:<10}  {:<20}  {}\n",
            "ID", "BADGE", "ISSUER", "ISSUED", "EXPIRES", "FORMATS", "STATUS"
        ));
    }
    for a in &rows {
        let s = &a.summary;
        let date = |d: &Option<String>| {
            d.as_deref()
                .map_or("-".to_owned(), |d| d.chars().take(10).collect())
        };
        out.push_str(&format!(
            "{:<8}  {:<30}  {:<26}  {:<10}  {:<10}  {:<20}  {}\n",
            a.ids[0].as_str().chars().take(8).collect::<String>(),
            clip(&s.name, 30),
            clip(s.issuer_name.as_deref().unwrap_or(&s.issuer), 26),
            date(&s.issued),
            date(&s.expires),
            a.formats.join(", "),
            label(a)
        ));
    }
    let reasons: std::collections::BTreeSet<&String> = unknown.values().collect();
    for reason in reasons {
        out.push_str(&format!("status unknown: {reason}\n"));
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

pub(crate) fn show(dir: &Path, args: &ShowArgs, net: super::Net, json: bool) -> Result<ExitCode> {
    let mut wallet = open_wallet(dir)?;
    let id = wallet.resolve(&args.id)?;
    let mut unknown = None;
    if args.status {
        unknown = refresh_status(&mut wallet, std::slice::from_ref(&id), net)?.remove(id.as_str());
    }
    let badge = wallet.get(&id)?;
    let at = now();
    let standing = badge.summary.standing(at);
    let details = details(&badge.credential).unwrap_or_default();
    // The other formats of the same award, to say what else the wallet holds.
    let key = badge.summary.award_key(id.as_str());
    let siblings: Vec<String> = wallet
        .list()?
        .into_iter()
        .filter(|(other, s)| other != &id && s.award_key(other.as_str()) == key)
        .map(|(other, s)| format!("{} ({})", other, s.format.as_str()))
        .collect();
    if json {
        let credential: serde_json::Value = serde_json::from_str(&badge.credential)
            .unwrap_or_else(|_| serde_json::Value::String(badge.credential.clone()));
        print_json(
            &json!({"id": id, "summary": badge.summary, "details": details,
            "status": standing.code(), "status_text": standing.describe(),
            "status_checked_at": standing.checked_at(), "status_unknown_reason": unknown,
            "also_held_as": siblings,
            "received_at": badge.received_at, "source": badge.source, "credential": credential}),
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let s = &badge.summary;
    let d = &details;
    let mut out = String::new();
    let mut line = |label: &str, value: &str| {
        out.push_str(&format!("{label:<13} {value}\n"));
    };
    line("Badge:", d.achievement.as_deref().unwrap_or(&s.name));
    if let Some(v) = &d.achievement_type {
        line("Type:", v);
    }
    if let Some(v) = &d.description {
        line("Description:", v);
    }
    match (&d.criteria, &d.criteria_url) {
        (Some(text), Some(url)) => line("Criteria:", &format!("{text} ({url})")),
        (Some(text), None) => line("Criteria:", text),
        (None, Some(url)) => line("Criteria:", url),
        (None, None) => line("Criteria:", "(none stated)"),
    }
    if d.alignments.is_empty() {
        line("Skills:", "(none stated)");
    }
    for (i, a) in d.alignments.iter().enumerate() {
        let mut text = a.name.clone();
        let extra: Vec<&str> = [&a.framework, &a.code, &a.url]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if !extra.is_empty() {
            text.push_str(&format!(" ({})", extra.join(", ")));
        }
        line(if i == 0 { "Skills:" } else { "" }, &text);
    }
    if !d.tags.is_empty() {
        line("Tags:", &d.tags.join(", "));
    }
    if d.evidence.is_empty() {
        line("Evidence:", "(none)");
    }
    for (i, e) in d.evidence.iter().enumerate() {
        let text: Vec<&str> = [&e.name, &e.description, &e.url]
            .into_iter()
            .flatten()
            .map(String::as_str)
            .collect();
        line(
            if i == 0 { "Evidence:" } else { "" },
            &text.join(" \u{2014} "),
        );
    }
    let issuer = match (&d.issuer_name, &d.issuer_url) {
        (Some(name), Some(url)) => format!("{name} ({url})"),
        (Some(name), None) => name.clone(),
        (None, _) => "-".to_owned(),
    };
    line("Issuer:", &issuer);
    line("Issuer id:", &s.issuer);
    line(
        "Learner:",
        d.learner_name.as_deref().unwrap_or("(name not stated)"),
    );
    if let Some(v) = &d.learner_id {
        line("Learner id:", v);
    }
    line("Issued:", s.issued.as_deref().unwrap_or("-"));
    if let Some(v) = &d.awarded {
        line("Awarded:", v);
    }
    line("Expires:", s.expires.as_deref().unwrap_or("never"));
    let mut status = standing.describe();
    if let Some(at) = standing.checked_at() {
        status.push_str(&format!("; last checked {at}"));
    }
    if let Some(reason) = &unknown {
        status = format!("status unknown now ({reason}); last: {status}");
    } else if matches!(
        standing,
        Standing::NotChecked | Standing::NotCheckedRecently { .. }
    ) {
        status.push_str(" (check with `rosette-wallet show ID --status` or `list --status`)");
    }
    line("Status:", &status);
    line("Format:", s.format.as_str());
    for p in &d.proof {
        let mut text = p.kind.clone();
        if let Some(suite) = &p.suite {
            text.push_str(&format!(", {suite}"));
        }
        line("Proof:", &text);
        if let Some(vm) = &p.verification_method {
            line("  key:", vm);
        }
        if let Some(c) = &p.created {
            line("  created:", c);
        }
    }
    if let Some(v) = &s.credential_id {
        line("Cred. id:", v);
    }
    line("Wallet id:", id.as_str());
    if !siblings.is_empty() {
        line("Also held as:", &siblings.join(", "));
    }
    line(
        "Received:",
        &format!("{} from {}", badge.received_at, badge.source),
    );
    if let Some(reason) = &s.unverified {
        line(
            "Unverified:",
            &format!("kept at your request; its proof did not verify: {reason}"),
        );
    }
    crate::output::write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

/// Import files larger than this are refused before reading (the baking library's image limit).
const MAX_IMPORT_BYTES: u64 = 20 * 1024 * 1024;

pub(crate) fn import(
    dir: &Path,
    args: &ImportArgs,
    net: super::Net,
    json: bool,
) -> Result<ExitCode> {
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
    let verifier = super::verify::make_verifier(net)?;
    let verdict = super::verify::runtime()?.block_on(verifier.verify_text(&text));
    summary.status_check = super::verify::status_check_of(&verdict, now());
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
