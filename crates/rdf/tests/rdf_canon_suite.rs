//! The W3C RDFC-1.0 test suite (`tests/vectors/rdf-canon`, provenance in
//! `tests/vectors/SOURCES.md`), every manifest entry run by one harness.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rosette_rdf::{
    CanonError, CanonOptions, HashAlgorithm, canonicalize, check_round_trip, parse_nquads,
};
use serde_json::Value;

fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/rdf-canon/tests")
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))
}

/// Runs one manifest entry; `Err` says why it failed.
fn run_entry(entry: &Value, dir: &Path) -> Result<(), String> {
    let kind = entry["type"].as_str().ok_or("entry without type")?;
    let action = entry["action"].as_str().ok_or("entry without action")?;
    let input = read(&dir.join(action))?;
    let quads = parse_nquads(&input).map_err(|e| format!("input does not parse: {e}"))?;
    let hash = match entry.get("hashAlgorithm").and_then(Value::as_str) {
        None | Some("SHA256") => HashAlgorithm::Sha256,
        Some("SHA384") => HashAlgorithm::Sha384,
        Some(other) => return Err(format!("unknown hashAlgorithm {other}")),
    };
    let options = CanonOptions {
        hash,
        ..CanonOptions::default()
    };
    let started = Instant::now();
    let outcome = canonicalize(&quads, &options);
    let elapsed = started.elapsed();
    let result = || -> Result<String, String> {
        let result = entry["result"].as_str().ok_or("entry without result")?;
        read(&dir.join(result))
    };
    match kind {
        "rdfc:RDFC10EvalTest" => {
            let got = outcome.map_err(|e| format!("error: {e}"))?;
            let want = result()?;
            if got.as_str() != want {
                return Err(format!(
                    "output differs\n--- want\n{want}--- got\n{}",
                    got.as_str()
                ));
            }
        }
        "rdfc:RDFC10MapTest" => {
            let got = outcome.map_err(|e| format!("error: {e}"))?;
            let want: Value =
                serde_json::from_str(&result()?).map_err(|e| format!("bad map json: {e}"))?;
            let got_json = serde_json::to_value(got.issued()).map_err(|e| e.to_string())?;
            if got_json != want {
                return Err(format!("map differs: want {want}, got {got_json}"));
            }
        }
        "rdfc:RDFC10NegativeEvalTest" => match outcome {
            Err(CanonError::TooComplex { .. }) if elapsed < Duration::from_secs(1) => {}
            Err(CanonError::TooComplex { .. }) => {
                return Err(format!("TooComplex, but only after {elapsed:?}"));
            }
            Err(e) => return Err(format!("wrong error: {e}")),
            Ok(_) => return Err("canonicalized a poison graph".into()),
        },
        other => return Err(format!("unknown test type {other}")),
    }
    Ok(())
}

#[test]
fn rdf_canon_suite() {
    let dir = suite_dir();
    let manifest: Value =
        serde_json::from_str(&read(&dir.join("manifest.jsonld")).unwrap()).unwrap();
    let entries = manifest["entries"].as_array().unwrap();
    let mut passed = Vec::new();
    let mut failed = Vec::new();
    for entry in entries {
        let id = entry["id"].as_str().unwrap_or("?").to_owned();
        match run_entry(entry, &dir) {
            Ok(()) => passed.push(id),
            Err(why) => failed.push((id, why)),
        }
    }
    println!(
        "rdf-canon: {} passed, {} failed, of {}",
        passed.len(),
        failed.len(),
        entries.len()
    );
    println!("passed: {}", passed.join(" "));
    for (id, why) in &failed {
        println!("FAILED {id}: {why}");
    }
    assert_eq!(entries.len(), 86, "manifest should have 86 entries");
    assert!(
        failed.is_empty(),
        "{} of {} rdf-canon tests failed",
        failed.len(),
        entries.len()
    );
}

/// Parsing every suite file, writing it and parsing that again gives the same quads; and the
/// expected outputs, already canonical, are written back byte for byte.
#[test]
fn nquads_round_trip_on_suite_files() {
    let dir = suite_dir().join("rdfc10");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".nq") {
            continue;
        }
        let text = read(&path).unwrap();
        check_round_trip(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let quads = parse_nquads(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name.ends_with("-rdfc10.nq") {
            assert_eq!(rosette_rdf::write_nquads(&quads), text, "{name}");
        }
        files += 1;
    }
    assert_eq!(files, 129);
}

/// A stable-toolchain stand-in for the cargo-fuzz target: deterministic mutations of the suite
/// inputs must never break the round trip, and whatever parses must canonicalize or be refused
/// as too complex, never panic.
#[test]
fn mutated_suite_inputs_round_trip() {
    const PIECES: &[&str] = &[
        "\\",
        "\"",
        "<",
        ">",
        "_:",
        ":",
        ".",
        " ",
        "\n",
        "\r",
        "\t",
        "\\u",
        "\\U",
        "0",
        "@",
        "^^",
        "#",
        "\u{e9}",
        "\u{1F303}",
        "\\n",
        "\\\"",
        "_:b0",
        "<urn:x>",
        "\"x\"",
        "-",
        "A",
    ];
    let dir = suite_dir().join("rdfc10");
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        // xorshift64*: reproducible without a dependency.
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let mut parsed = 0;
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for path in names
        .iter()
        .filter(|p| p.to_string_lossy().ends_with("-in.nq"))
    {
        let text = read(path).unwrap();
        for _ in 0..40 {
            let mut s = text.clone();
            for _ in 0..(1 + next() % 3) {
                let mut at = (next() % (s.len() as u64 + 1)) as usize;
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                let piece = PIECES[(next() % PIECES.len() as u64) as usize];
                if next() % 2 == 0 {
                    s.insert_str(at, piece);
                } else {
                    let mut end = (at + 1).min(s.len());
                    while !s.is_char_boundary(end) {
                        end += 1;
                    }
                    s.replace_range(at..end, piece);
                }
            }
            check_round_trip(&s).unwrap_or_else(|e| panic!("{e} on {s:?}"));
            if let Ok(quads) = parse_nquads(&s) {
                parsed += 1;
                match canonicalize(&quads, &CanonOptions::default()) {
                    Ok(_) | Err(CanonError::TooComplex { .. }) => {}
                    Err(e) => panic!("{e}"),
                }
            }
        }
    }
    // Some mutations must survive parsing, or the canonicalization half tests nothing.
    assert!(parsed > 100, "only {parsed} mutated inputs parsed");
}

/// The 1EdTech OB 3.0 eddsa-rdfc-2022 vector's canonical document (copied into the bench data)
/// is a fixed point, and its SHA-256 is the vector's published `documentHashHex`.
#[test]
fn ob3_vector_document_is_canonical() {
    use sha2::{Digest, Sha256};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/ob3-vector-document.nq");
    let text = read(&path).unwrap();
    let c = rosette_rdf::canonicalize_nquads(&text).unwrap();
    assert_eq!(c.as_str(), text);
    let hash: String = Sha256::digest(c.as_str())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        hash,
        "87f65a76d40146205e3b3e06cb0fbd153f97f9ce70372390f52566bb7f9e0773"
    );
}

/// 200 random datasets (half of them built to need N-degree hashing, 20 with SHA-384)
/// canonicalized by Digital Bazaar's rdf-canonize 4.0.1; see `tests/vectors/SOURCES.md`.
#[test]
fn matches_rdf_canonize_on_random_datasets() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/xcheck/xcheck-rdf-canonize.json");
    let corpus: Value = serde_json::from_str(&read(&path).unwrap()).unwrap();
    let cases = corpus["cases"].as_array().unwrap();
    let mut failed = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let hash = match case["hashAlgorithm"].as_str() {
            Some("SHA-384") => HashAlgorithm::Sha384,
            _ => HashAlgorithm::Sha256,
        };
        let quads = parse_nquads(case["input"].as_str().unwrap()).unwrap();
        let options = CanonOptions {
            hash,
            ..CanonOptions::default()
        };
        match canonicalize(&quads, &options) {
            Ok(c) if c.as_str() == case["output"].as_str().unwrap() => {}
            Ok(_) => failed.push(format!("case {i}: output differs")),
            Err(e) => failed.push(format!("case {i}: {e}")),
        }
    }
    assert_eq!(cases.len(), 200);
    assert!(failed.is_empty(), "{failed:#?}");
}
