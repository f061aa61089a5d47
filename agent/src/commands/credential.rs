//! `rosette-agent credential sign`: offline issuance, one credential or a whole cohort; and
//! `credential example`, an unsigned credential to start from.

use std::io::{BufRead, BufWriter, Read, Write};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use rosette_core::{Clock, SystemClock, Timestamp};
use rosette_proof::{Canonicalizer, CredentialFormat, CredentialSigner};
use serde_json::Value;

use super::cli::{ExampleArgs, FormatArg, SignArgs};
use super::keyfile;

/// Lines signed per batch in `--ndjson` mode; each batch is split across the cores.
const BATCH: usize = 512;

pub(crate) fn sign(args: &SignArgs) -> Result<ExitCode> {
    let key = keyfile::read(&args.key)?;
    let format = match args.format {
        FormatArg::LdpVc => CredentialFormat::LdpVc,
        FormatArg::JwtVcJson => CredentialFormat::JwtVcJson,
    };
    if format == CredentialFormat::LdpVc && key.key_type() != rosette_did::KeyType::Ed25519 {
        bail!(
            "ldp_vc (eddsa-rdfc-2022) needs an Ed25519 key; this key is {:?}",
            key.key_type()
        );
    }
    let signer = Arc::new(Job {
        signer: CredentialSigner::did_key(Canonicalizer::bundled(), key),
        format,
    });
    let clock = SystemClock;
    let mut input: Box<dyn Read> = match &args.input {
        Some(path) => Box::new(
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?,
        ),
        None => Box::new(std::io::stdin().lock()),
    };
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());

    if !args.ndjson {
        let mut text = String::new();
        input
            .read_to_string(&mut text)
            .context("cannot read the credential")?;
        let line = sign_one(&signer, &text, clock.now())?;
        writeln!(out, "{line}")?;
        out.flush()?;
        return Ok(ExitCode::SUCCESS);
    }

    let mut failed = 0usize;
    let mut signed = 0usize;
    let mut lines = std::io::BufReader::new(input).lines().enumerate();
    loop {
        let mut batch = Vec::with_capacity(BATCH);
        for (index, line) in lines.by_ref() {
            let line = line.with_context(|| format!("cannot read line {}", index + 1))?;
            if !line.trim().is_empty() {
                batch.push((index + 1, line));
            }
            if batch.len() == BATCH {
                break;
            }
        }
        if batch.is_empty() {
            break;
        }
        let now = clock.now();
        for (number, result) in sign_batch(&signer, batch, now) {
            match result {
                Ok(text) => {
                    writeln!(out, "{text}")?;
                    signed += 1;
                }
                Err(e) => {
                    eprintln!("line {number}: {e:#}");
                    failed += 1;
                }
            }
        }
    }
    out.flush()?;
    eprintln!("signed {signed} credential(s), {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Signs a batch on every core, keeping input order.
fn sign_batch(
    signer: &Arc<Job>,
    batch: Vec<(usize, String)>,
    now: Timestamp,
) -> Vec<(usize, Result<String>)> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(batch.len().max(1));
    let chunk = batch.len().div_ceil(workers);
    std::thread::scope(|scope| {
        let handles: Vec<_> = batch
            .chunks(chunk)
            .map(|lines| {
                let signer = Arc::clone(signer);
                scope.spawn(move || {
                    lines
                        .iter()
                        .map(|(n, text)| (*n, sign_one(&signer, text, now)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join().unwrap_or_else(|_| {
                    vec![(0, Err(anyhow::anyhow!("a signing thread panicked")))]
                })
            })
            .collect()
    })
}

/// A signer and the format it signs in.
struct Job {
    signer: CredentialSigner,
    format: CredentialFormat,
}

fn sign_one(job: &Job, text: &str, now: Timestamp) -> Result<String> {
    let signer = &job.signer;
    let unsigned: Value = serde_json::from_str(text).context("the credential is not valid JSON")?;
    let issuer = signer.key().did_key();
    let prepared = rosette_openbadges::prepare_for_issuance(
        unsigned,
        issuer.as_str(),
        &now.to_rfc3339(),
        || uuid::Uuid::new_v4().to_string(),
        rosette_openbadges::SchemaVariant::Strict,
    )
    .map_err(describe_issuance_error)?;
    let prepared = serde_json::to_value(prepared)?;
    let signed = signer.sign(&prepared, job.format, now)?;
    Ok(signed.to_text())
}

fn describe_issuance_error(error: rosette_openbadges::IssuanceError) -> anyhow::Error {
    match error {
        rosette_openbadges::IssuanceError::Invalid(violations) => {
            let lines: Vec<String> = violations.iter().map(ToString::to_string).collect();
            anyhow::anyhow!(
                "not a valid Open Badges 3.0 credential:\n  {}",
                lines.join("\n  ")
            )
        }
        other => anyhow::Error::new(other),
    }
}

/// `rosette-agent credential example [--ndjson N]`.
pub(crate) fn example(args: &ExampleArgs) -> Result<ExitCode> {
    let now = SystemClock.now().to_rfc3339();
    let one = || -> Result<Value> {
        // The issuer's and the learner's DIDs are placeholders: `sign` sets `issuer.id` to the
        // signing key's DID, and the learner's id is for the user to replace.
        let learner = rosette_did::SigningKey::generate(
            rosette_did::KeyType::Ed25519,
            &mut rand::rngs::OsRng,
        )
        .did_key();
        let uuid = uuid::Uuid::new_v4().to_string();
        let mut vc = serde_json::to_value(rosette_openbadges::demo_credential(
            &rosette_openbadges::DemoParams {
                issuer_did: "did:example:replaced-when-signed",
                issuer_name: "Example University",
                subject_did: learner.as_str(),
                email: "learner@example.org",
                salt: &uuid,
                valid_from: &now,
                uuid: &uuid,
            },
        )?)?;
        if let Some(object) = vc.as_object_mut() {
            object.remove("id");
            object.remove("validFrom");
        }
        if let Some(issuer) = vc.get_mut("issuer").and_then(Value::as_object_mut) {
            issuer.remove("id");
        }
        Ok(vc)
    };
    let mut out = std::io::stdout().lock();
    match args.ndjson {
        None => writeln!(out, "{}", serde_json::to_string_pretty(&one()?)?)?,
        Some(count) => {
            for _ in 0..count {
                writeln!(out, "{}", serde_json::to_string(&one()?)?)?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
