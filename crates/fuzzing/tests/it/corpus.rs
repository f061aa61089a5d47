//! Replays `fuzz/corpus/<target>/` through each target's check, and keeps `fuzz/` and
//! [`rosette_fuzzing::TARGETS`] in step: a target without a corpus, a fuzz target file that
//! is not in the list, or a list entry without a file fails here, before CI's fuzzing step.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use rosette_fuzzing::TARGETS;

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn names_in(dir: &Path, suffix: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.strip_suffix(suffix).map(str::to_owned)
        })
        .collect()
}

#[test]
fn every_target_has_a_fuzz_file_a_bin_and_a_corpus() {
    let listed: BTreeSet<String> = TARGETS.iter().map(|t| t.name.to_owned()).collect();
    assert_eq!(
        names_in(&fuzz_dir().join("fuzz_targets"), ".rs"),
        listed,
        "fuzz/fuzz_targets/*.rs and rosette_fuzzing::TARGETS differ"
    );
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    for target in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{}\"", target.name)),
            "fuzz/Cargo.toml has no [[bin]] {}",
            target.name
        );
        let source =
            std::fs::read_to_string(fuzz_dir().join(format!("fuzz_targets/{}.rs", target.name)))
                .unwrap();
        assert!(
            source.contains(&format!("rosette_fuzzing::{}(data)", target.name)),
            "fuzz_targets/{}.rs does not call rosette_fuzzing::{}",
            target.name,
            target.name
        );
        assert!(
            !names_in(&fuzz_dir().join("corpus").join(target.name), "").is_empty(),
            "fuzz/corpus/{} is empty: run python3 fuzz/seeds/make_corpus.py",
            target.name
        );
    }
}

#[test]
fn committed_corpus_replays_without_a_finding() {
    let mut findings = Vec::new();
    let mut replayed = 0;
    for target in TARGETS {
        let dir = fuzz_dir().join("corpus").join(target.name);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let data = std::fs::read(&file).unwrap();
            replayed += 1;
            if catch_unwind(AssertUnwindSafe(|| (target.check)(&data))).is_err() {
                findings.push(format!("{}: {}", target.name, file.display()));
            }
        }
    }
    assert!(
        findings.is_empty(),
        "inputs that fail their target:\n{}",
        findings.join("\n")
    );
    assert!(replayed >= TARGETS.len());
}
