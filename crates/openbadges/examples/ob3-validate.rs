//! Validates OB 3.0 credential files and prints every violation.
//!
//! `cargo run -p rosette-openbadges --example ob3-validate -- [--purl|--strict|--jsonld] FILE…`
//! With no file, prints the demo credential.

use rosette_openbadges::{DemoParams, SchemaVariant, demo_credential, validate_credential};
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut variant = SchemaVariant::Strict;
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--purl" => variant = SchemaVariant::Purl,
            "--strict" => variant = SchemaVariant::Strict,
            "--jsonld" => variant = SchemaVariant::JsonLd,
            _ => files.push(arg),
        }
    }
    if files.is_empty() {
        let demo = demo_credential(&DemoParams {
            issuer_did: "did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi",
            issuer_name: "Rosette Academy",
            subject_did: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
            email: "conformance@imsglobal.org",
            salt: "pepper-0001",
            valid_from: "2026-11-26T12:00:00Z",
            uuid: "5b3c7e9a-2f41-4c8e-9d1a-0e6f3b2a7c10",
        });
        return match demo.map(|d| serde_json::to_string_pretty(&d)) {
            Ok(Ok(text)) => {
                println!("{text}");
                ExitCode::SUCCESS
            }
            Ok(Err(e)) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut ok = true;
    for file in files {
        let parsed = std::fs::read(&file)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()));
        match parsed.map(|v| validate_credential(&v, variant)) {
            Ok(Ok(kind)) => println!("{file}: valid {kind:?} ({variant:?})"),
            Ok(Err(violations)) => {
                ok = false;
                println!("{file}: {} violation(s) ({variant:?})", violations.len());
                for v in violations {
                    println!("  {v}");
                }
            }
            Err(e) => {
                ok = false;
                println!("{file}: {e}");
            }
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
