//! `rosette-agent demo`: the whole offline issuance path in one command, for a first look.

use std::process::ExitCode;

use anyhow::{Context, Result};
use rosette_core::{Clock, SystemClock};
use rosette_did::{KeyType, SigningKey};
use rosette_proof::{Canonicalizer, CredentialFormat, CredentialSigner, SignedCredential};

use super::cli::DemoArgs;

pub(crate) fn run(args: &DemoArgs) -> Result<ExitCode> {
    let clock = SystemClock;
    let now = clock.now();
    let key = SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng);
    let issuer = key.did_key();
    let learner = SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng).did_key();
    let uuid = uuid::Uuid::new_v4().to_string();
    let valid_from = now.to_rfc3339();
    let unsigned = serde_json::to_value(rosette_openbadges::demo_credential(
        &rosette_openbadges::DemoParams {
            issuer_did: issuer.as_str(),
            issuer_name: "Rosette Demo University",
            subject_did: learner.as_str(),
            email: "learner@example.org",
            salt: &uuid,
            valid_from: &valid_from,
            uuid: &uuid,
        },
    )?)?;
    let signer = CredentialSigner::did_key(Canonicalizer::bundled(), key);
    let ldp = signer.sign(&unsigned, CredentialFormat::LdpVc, now)?;
    let jwt = signer.sign(&unsigned, CredentialFormat::JwtVcJson, now)?;

    let verifier = rosette_proof::Verifier::new(
        Canonicalizer::bundled(),
        std::sync::Arc::new(rosette_proof::offline_resolver()),
        std::sync::Arc::new(SystemClock),
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let verdicts = runtime.block_on(async {
        (
            verifier.verify_text(&ldp.to_text()).await,
            verifier.verify_text(&jwt.to_text()).await,
        )
    });

    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        write(dir, "demo-badge.ldp.json", &pretty(&ldp))?;
        write(dir, "demo-badge.jwt", &ldp_or_jwt_text(&jwt))?;
        println!(
            "wrote {0}/demo-badge.ldp.json and {0}/demo-badge.jwt",
            dir.display()
        );
    } else {
        println!("{}", pretty(&ldp));
        println!();
        println!("{}", jwt.to_text());
    }
    eprintln!();
    eprintln!("Issuer {issuer} signed a demo badge for {learner}.");
    for (name, verdict) in [
        ("ldp_vc (eddsa-rdfc-2022)", &verdicts.0),
        ("jwt_vc_json (EdDSA)", &verdicts.1),
    ] {
        let state = if verdict.is_valid() {
            "verified"
        } else {
            "FAILED verification"
        };
        eprintln!("  {name}: {state}");
        for check in &verdict.checks {
            eprintln!(
                "    {:<16} {:?}: {}",
                check.name.label(),
                check.outcome,
                check.detail
            );
        }
    }
    let ok = verdicts.0.is_valid() && verdicts.1.is_valid();
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn pretty(signed: &SignedCredential) -> String {
    match signed {
        SignedCredential::Json(v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        SignedCredential::Jwt(jwt) => jwt.clone(),
    }
}

fn ldp_or_jwt_text(signed: &SignedCredential) -> String {
    signed.to_text()
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> Result<()> {
    let path = dir.join(name);
    std::fs::write(&path, format!("{text}\n"))
        .with_context(|| format!("cannot write {}", path.display()))
}
