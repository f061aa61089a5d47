//! Interop foundation: credentials signed by the Rosette CLIs are checked by independent verifiers
//! (Digital Bazaar vc, DCC verifier-core, jose, did-jwt-vc, the 1EdTech JSON Schemas) run through
//! `tests/interop/*.mjs`, and tampered copies must be rejected by every one of them.
//!
//! Needs Node.js >= 20 and `scripts/interop-install.sh`; without them every test fails with that hint.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rosette_tests::bins::{self, Binaries};
use rosette_tests::interop::{Harness, Run, Script};
use serde_json::Value;
use tempfile::TempDir;

const NO_ARGS: &[&str] = &[];

// ---- helpers -------------------------------------------------------------------------------------

fn harness() -> Harness {
    Harness::locate().unwrap_or_else(|e| panic!("{e}"))
}

fn binaries() -> &'static Binaries {
    bins::binaries().unwrap_or_else(|e| panic!("cannot build the CLI binaries: {e}"))
}

fn fixture(rel: &str) -> PathBuf {
    rosette_tests::workspace_root()
        .join("tests")
        .join("fixtures")
        .join(rel)
}

fn unsigned_template() -> Value {
    let text = std::fs::read_to_string(fixture("unsigned/ob3-course-grade.json")).expect("fixture");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// Runs a CLI and returns its output, feeding `stdin` when given.
fn run_cli(program: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
    // stdin is written from another thread: a CLI that streams output while reading input would
    // otherwise block on a full stdout pipe while we block on its full stdin pipe
    let writer = match (stdin, child.stdin.take()) {
        (Some(input), Some(mut pipe)) => {
            let input = input.to_vec();
            Some(std::thread::spawn(move || pipe.write_all(&input)))
        }
        _ => None,
    };
    let output = child.wait_with_output().expect("wait for CLI");
    if let Some(writer) = writer {
        // a CLI that exits before reading all of stdin is judged by its exit status, not by EPIPE here
        let _ = writer.join();
    }
    output
}

/// Runs a CLI that must succeed; returns its stdout.
fn run_ok(program: &Path, args: &[&str], stdin: Option<&[u8]>) -> String {
    let out = run_cli(program, args, stdin);
    assert!(
        out.status.success(),
        "{} {} failed ({}):\nstdout: {}\nstderr: {}",
        program.display(),
        args.join(" "),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("CLI stdout is UTF-8")
}

/// `rosette-agent keys generate --type KIND --out DIR/KIND.jwk`; returns (did, key file).
fn generate_key(dir: &Path, kind: &str) -> (String, PathBuf) {
    let key = dir.join(format!("{kind}.jwk"));
    let out = run_ok(
        &binaries().agent,
        &["keys", "generate", "--type", kind, "--out", path_str(&key)],
        None,
    );
    let did = out.trim().to_owned();
    let multicodec_prefix = if kind == "ed25519" {
        "did:key:z6Mk"
    } else {
        "did:key:zDn"
    };
    assert!(
        did.starts_with(multicodec_prefix),
        "keys generate --type {kind} printed {did:?}"
    );
    (did, key)
}

/// `rosette-agent credential sign --key KEY --format FORMAT --in INPUT`; returns stdout, trimmed.
fn sign(key: &Path, format: &str, input: &Path) -> String {
    let args = [
        "credential",
        "sign",
        "--key",
        path_str(key),
        "--format",
        format,
        "--in",
        path_str(input),
    ];
    run_ok(&binaries().agent, &args, None).trim().to_owned()
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

fn write(dir: &Path, name: &str, contents: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).expect("write temp file");
    path
}

fn write_json(dir: &Path, name: &str, value: &Value) -> PathBuf {
    write(
        dir,
        name,
        &serde_json::to_string_pretty(value).expect("serialise"),
    )
}

fn assert_passed(run: &Run) {
    assert!(run.passed(), "expected pass: {run}");
}

/// Every file must have been rejected by every verifier (the scripts' `--expect-fail` contract).
fn assert_rejected_by_all(run: &Run, files: usize) {
    assert!(
        run.passed(),
        "expected every verifier to reject every file: {run}"
    );
    assert_eq!(run.results().len(), files, "{run}");
}

fn jwt_parts(jwt: &str) -> [&str; 3] {
    let parts: Vec<&str> = jwt.split('.').collect();
    match parts.as_slice() {
        [h, p, s] => [*h, *p, *s],
        _ => panic!("not a compact JWS: {jwt:?}"),
    }
}

fn b64url_decode(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(text)
        .unwrap_or_else(|e| panic!("not base64url ({e}): {text}"))
}

fn jwt_payload(jwt: &str) -> Value {
    serde_json::from_slice(&b64url_decode(jwt_parts(jwt)[1])).expect("JWT payload is JSON")
}

/// The same JWS with one byte of the payload's JSON changed (inside a string value, so it stays valid
/// JSON and only the signature can catch it).
fn tamper_jwt_payload(jwt: &str) -> String {
    let [header, payload, signature] = jwt_parts(jwt);
    let mut json = b64url_decode(payload);
    let at = json
        .windows(b"Systems".len())
        .position(|w| w == b"Systems")
        .expect("payload carries the credential name");
    json[at] = b'Z';
    serde_json::from_slice::<Value>(&json).expect("still JSON");
    format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(&json))
}

fn issuer_id(credential: &Value) -> Option<&str> {
    credential
        .get("issuer")
        .and_then(|i| i.as_str().or_else(|| i.get("id")?.as_str()))
}

// ---- the harness itself, over credentials signed by other implementations -------------------------

#[test]
fn independent_verifiers_accept_reference_fixtures_and_reject_tampered() {
    let h = harness();
    let r = |name: &str| fixture(&format!("reference/{name}"));
    let good_ldp = [r("ob3-ldp.json"), r("ob3-ldp-proof-array.json")];
    let bad_ldp = [r("tampered-ob3-ldp.json")];
    let good_jwt = [r("ob3-vcdm2.jwt"), r("ob3-vcdm2-es256.jwt")];
    let bad_jwt = [
        r("tampered-ob3-vcdm2.jwt"),
        r("tampered-ob3-vcdm2-es256.jwt"),
        r("wrong-issuer-ob3-vcdm2-es256.jwt"),
    ];
    let all_schemas = [
        r("ob3-ldp-proof-array.json"),
        r("ob3-vcdm2.jwt"),
        r("ob3-vcdm2-es256.jwt"),
    ];
    let single_proof = [r("ob3-ldp.json")];
    // a good file among tampered ones must make --expect-fail fail
    let mixed = [r("ob3-vcdm2.jwt"), r("tampered-ob3-vcdm2.jwt")];

    let pending = [
        h.spawn(Script::VerifyLdp, NO_ARGS, &good_ldp),
        h.spawn(Script::VerifyLdp, &["--expect-fail"], &bad_ldp),
        h.spawn(Script::VerifyJwt, NO_ARGS, &good_jwt),
        h.spawn(Script::VerifyJwt, &["--expect-fail"], &bad_jwt),
        h.spawn(Script::SchemaCheck, &["--variant", "all"], &all_schemas),
        h.spawn(Script::SchemaCheck, NO_ARGS, &single_proof),
        h.spawn(Script::VerifyJwt, &["--expect-fail"], &mixed),
    ];
    let [
        good_ldp_run,
        bad_ldp_run,
        good_jwt_run,
        bad_jwt_run,
        schemas_run,
        single_proof_run,
        mixed_run,
    ] = pending.map(|p| p.and_then(|p| p.wait()).unwrap_or_else(|e| panic!("{e}")));

    assert_passed(&good_ldp_run);
    for result in good_ldp_run.results() {
        assert_eq!(
            result["verifiers"]["digitalbazaar-vc"]["ok"], true,
            "{good_ldp_run}"
        );
        assert_eq!(
            result["verifiers"]["dcc-verifier-core"]["ok"], true,
            "{good_ldp_run}"
        );
    }
    assert_rejected_by_all(&bad_ldp_run, 1);
    assert_passed(&good_jwt_run);
    let algs: Vec<&Value> = good_jwt_run
        .results()
        .iter()
        .map(|r| &r["verifiers"]["jose"]["alg"])
        .collect();
    assert_eq!(algs, ["EdDSA", "ES256"], "{good_jwt_run}");
    assert_rejected_by_all(&bad_jwt_run, 3);
    assert_passed(&schemas_run);
    // a single-object proof is valid only under the purl variant: the check really discriminates
    assert_eq!(single_proof_run.exit_code, Some(1), "{single_proof_run}");
    let variants = &single_proof_run.results()[0]["variants"];
    assert_eq!(
        (
            &variants["purl"]["valid"],
            &variants["strict"]["valid"],
            &variants["jsonld"]["valid"]
        ),
        (&Value::Bool(true), &Value::Bool(false), &Value::Bool(false)),
        "{single_proof_run}"
    );
    assert_eq!(mixed_run.exit_code, Some(1), "{mixed_run}");
}

// ---- credentials signed by rosette-agent ------------------------------------------------------------

#[test]
fn ldp_vc_signed_by_cli_passes_digital_bazaar_and_dcc() {
    let h = harness();
    let tmp = TempDir::new().expect("tempdir");
    let (did, key) = generate_key(tmp.path(), "ed25519");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key)
            .expect("key file")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "private JWK must be mode 0600, is {mode:o}");
    }
    let signed_text = sign(&key, "ldp_vc", &fixture("unsigned/ob3-course-grade.json"));
    let signed: Value =
        serde_json::from_str(&signed_text).expect("ldp_vc output is one JSON document");

    // what the CLI fills in when absent
    assert_eq!(
        issuer_id(&signed),
        Some(did.as_str()),
        "issuer.id must be the signing key's DID"
    );
    assert!(
        signed["id"]
            .as_str()
            .is_some_and(|id| id.starts_with("urn:uuid:")),
        "id: {}",
        signed["id"]
    );
    let valid_from = signed["validFrom"].as_str().expect("validFrom filled in");
    let valid_from =
        time::OffsetDateTime::parse(valid_from, &time::format_description::well_known::Rfc3339)
            .expect("validFrom is RFC 3339");
    #[allow(clippy::disallowed_methods)] // the test checks that the CLI used the current time
    let now = time::OffsetDateTime::now_utc();
    assert!(
        (now - valid_from).whole_minutes().abs() <= 10,
        "validFrom {valid_from} is not now ({now})"
    );
    // what it must keep
    let template = unsigned_template();
    assert_eq!(signed["credentialSubject"], template["credentialSubject"]);
    let proof = signed["proof"]
        .as_array()
        .and_then(|a| a.first())
        .unwrap_or(&signed["proof"]);
    assert_eq!(proof["cryptosuite"], "eddsa-rdfc-2022");
    assert_eq!(
        proof["verificationMethod"],
        format!("{did}#{}", &did["did:key:".len()..])
    );

    let file = write(tmp.path(), "signed.json", &signed_text);
    let run = h
        .run(Script::VerifyLdp, NO_ARGS, &[file])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_passed(&run);
}

#[test]
fn jwt_vc_signed_by_cli_passes_jose_and_did_jwt_vc() {
    let h = harness();
    let tmp = TempDir::new().expect("tempdir");
    let input = fixture("unsigned/ob3-course-grade.json");
    let mut files = Vec::new();
    for (kind, alg) in [("ed25519", "EdDSA"), ("p256", "ES256")] {
        let (did, key) = generate_key(tmp.path(), kind);
        let jwt = sign(&key, "jwt_vc_json", &input);
        let header: Value =
            serde_json::from_slice(&b64url_decode(jwt_parts(&jwt)[0])).expect("JOSE header");
        assert_eq!(header["alg"], alg, "{kind}");
        let payload = jwt_payload(&jwt);
        assert_eq!(payload["iss"], did.as_str(), "{kind}: iss");
        let credential = payload.get("vc").unwrap_or(&payload);
        assert_eq!(
            issuer_id(credential),
            Some(did.as_str()),
            "{kind}: credential issuer"
        );
        files.push(write(tmp.path(), &format!("{kind}.jwt"), &jwt));
    }
    let run = h
        .run(Script::VerifyJwt, NO_ARGS, &files)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_passed(&run);
    let algs: Vec<&Value> = run
        .results()
        .iter()
        .map(|r| &r["verifiers"]["jose"]["alg"])
        .collect();
    assert_eq!(algs, ["EdDSA", "ES256"], "{run}");
}

#[test]
fn signed_credentials_pass_all_three_schema_variants() {
    let h = harness();
    let tmp = TempDir::new().expect("tempdir");
    let input = fixture("unsigned/ob3-course-grade.json");
    let (_, ed) = generate_key(tmp.path(), "ed25519");
    let (_, p256) = generate_key(tmp.path(), "p256");
    let files = [
        write(tmp.path(), "signed.json", &sign(&ed, "ldp_vc", &input)),
        write(tmp.path(), "ed25519.jwt", &sign(&ed, "jwt_vc_json", &input)),
        write(tmp.path(), "p256.jwt", &sign(&p256, "jwt_vc_json", &input)),
    ];
    let run = h
        .run(Script::SchemaCheck, &["--variant", "all"], &files)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_passed(&run);
    assert_eq!(
        run.report["variants"],
        serde_json::json!(["purl", "strict", "jsonld"])
    );
}

#[test]
fn tampered_ldp_vc_is_rejected_by_independent_verifiers() {
    let h = harness();
    let tmp = TempDir::new().expect("tempdir");
    let (_, key) = generate_key(tmp.path(), "ed25519");
    let signed_text = sign(&key, "ldp_vc", &fixture("unsigned/ob3-course-grade.json"));
    let signed: Value = serde_json::from_str(&signed_text).expect("JSON");

    let mut field = signed.clone();
    field["credentialSubject"]["result"][0]["value"] = Value::from("B");
    let mut allowed = signed.clone();
    let list =
        &mut allowed["credentialSubject"]["achievement"]["resultDescription"][0]["allowedValue"];
    assert_eq!(list[1], "B", "fixture layout");
    list[1] = Value::from("A+");
    let tampered = [
        write_json(tmp.path(), "field.json", &field),
        write_json(tmp.path(), "allowed-value.json", &allowed),
    ];
    let original = write(tmp.path(), "original.json", &signed_text);

    let (bad, good) = (
        h.spawn(Script::VerifyLdp, &["--expect-fail"], &tampered),
        h.spawn(Script::VerifyLdp, NO_ARGS, &[original]),
    );
    let bad = bad.and_then(|p| p.wait()).unwrap_or_else(|e| panic!("{e}"));
    let good = good
        .and_then(|p| p.wait())
        .unwrap_or_else(|e| panic!("{e}"));
    // the untouched original passes, so the rejections are about the edits
    assert_passed(&good);
    assert_rejected_by_all(&bad, 2);
}

#[test]
fn tampered_jwt_vc_is_rejected() {
    let h = harness();
    let tmp = TempDir::new().expect("tempdir");
    let input = fixture("unsigned/ob3-course-grade.json");
    let mut originals = Vec::new();
    let mut tampered = Vec::new();
    for kind in ["ed25519", "p256"] {
        let (_, key) = generate_key(tmp.path(), kind);
        let jwt = sign(&key, "jwt_vc_json", &input);
        tampered.push(write(
            tmp.path(),
            &format!("{kind}-tampered.jwt"),
            &tamper_jwt_payload(&jwt),
        ));
        originals.push(write(tmp.path(), &format!("{kind}.jwt"), &jwt));
    }
    let (bad, good) = (
        h.spawn(Script::VerifyJwt, &["--expect-fail"], &tampered),
        h.spawn(Script::VerifyJwt, NO_ARGS, &originals),
    );
    let bad = bad.and_then(|p| p.wait()).unwrap_or_else(|e| panic!("{e}"));
    let good = good
        .and_then(|p| p.wait())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_passed(&good);
    assert_rejected_by_all(&bad, 2);
}

#[test]
fn ndjson_cohort_signing_every_line_verifies() {
    const COHORT: usize = 20;
    let h = harness();
    let tmp = TempDir::new().expect("tempdir");
    let (_, key) = generate_key(tmp.path(), "ed25519");
    let grades = ["A", "B", "C", "D"];
    let mut ndjson = String::new();
    for n in 0..COHORT {
        let mut credential = unsigned_template();
        credential["credentialSubject"]["identifier"][0]["salt"] =
            Value::from(format!("cohort-salt-{n:02}"));
        credential["credentialSubject"]["result"][0]["value"] =
            Value::from(grades[n % grades.len()]);
        credential["name"] = Value::from(format!("Systems Programming in Rust: learner {n:02}"));
        ndjson.push_str(&serde_json::to_string(&credential).expect("serialise"));
        ndjson.push('\n');
    }

    let mut pending = Vec::new();
    for (format, script, ext) in [
        ("ldp_vc", Script::VerifyLdp, "json"),
        ("jwt_vc_json", Script::VerifyJwt, "jwt"),
    ] {
        let args = [
            "credential",
            "sign",
            "--key",
            path_str(&key),
            "--format",
            format,
            "--ndjson",
        ];
        let out = run_ok(&binaries().agent, &args, Some(ndjson.as_bytes()));
        let lines: Vec<&str> = out.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(
            lines.len(),
            COHORT,
            "{format}: one output line per input line"
        );
        let mut ids = std::collections::BTreeSet::new();
        let mut files = Vec::new();
        for (n, line) in lines.iter().enumerate() {
            let credential = if format == "ldp_vc" {
                serde_json::from_str(line).expect("each line is JSON")
            } else {
                {
                    let payload = jwt_payload(line);
                    payload.get("vc").cloned().unwrap_or(payload)
                }
            };
            // order preserved: line n is learner n
            assert_eq!(
                credential["name"],
                format!("Systems Programming in Rust: learner {n:02}"),
                "{format} line {n}"
            );
            ids.insert(credential["id"].as_str().expect("id filled in").to_owned());
            files.push(write(tmp.path(), &format!("{format}-{n:02}.{ext}"), line));
        }
        assert_eq!(
            ids.len(),
            COHORT,
            "{format}: every credential gets its own id"
        );
        pending.push(h.spawn(script, NO_ARGS, &files));
    }
    for p in pending {
        let run = p.and_then(|p| p.wait()).unwrap_or_else(|e| panic!("{e}"));
        assert_passed(&run);
        assert_eq!(run.results().len(), COHORT, "{run}");
    }
}

// ---- rosette-wallet and CLI refusals --------------------------------------------------------------------

/// `--json` output: one JSON document, or one per line.
fn assert_json_output(stdout: &[u8]) {
    let text = String::from_utf8_lossy(stdout);
    let whole = serde_json::from_str::<Value>(&text).is_ok();
    let per_line = !text.trim().is_empty()
        && text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .all(|l| serde_json::from_str::<Value>(l).is_ok());
    assert!(
        whole || per_line,
        "rosette-wallet verify --json printed non-JSON: {text}"
    );
}

#[test]
fn wallet_verify_accepts_cli_output_and_rejects_tampered() {
    let tmp = TempDir::new().expect("tempdir");
    let input = fixture("unsigned/ob3-course-grade.json");
    let (_, ed) = generate_key(tmp.path(), "ed25519");
    let (_, p256) = generate_key(tmp.path(), "p256");
    let ldp_text = sign(&ed, "ldp_vc", &input);
    let ed_jwt = sign(&ed, "jwt_vc_json", &input);
    let good = [
        write(tmp.path(), "signed.json", &ldp_text),
        write(tmp.path(), "ed25519.jwt", &ed_jwt),
        write(tmp.path(), "p256.jwt", &sign(&p256, "jwt_vc_json", &input)),
    ];
    let mut forged: Value = serde_json::from_str(&ldp_text).expect("JSON");
    forged["credentialSubject"]["achievement"]["name"] = Value::from("Forged");
    let tampered_ldp = write_json(tmp.path(), "tampered.json", &forged);
    let tampered_jwt = write(tmp.path(), "tampered.jwt", &tamper_jwt_payload(&ed_jwt));

    let wallet = &binaries().wallet;
    let good_args: Vec<&str> = good.iter().map(|p| path_str(p)).collect();
    let verify = |files: &[&str], json: bool| {
        let mut args = vec!["verify"];
        args.extend_from_slice(files);
        if json {
            args.push("--json");
        }
        run_cli(wallet, &args, None)
    };

    let out = verify(&good_args, false);
    assert!(
        out.status.success(),
        "wallet rejected CLI output: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = verify(&good_args, true);
    assert!(
        out.status.success(),
        "wallet --json rejected CLI output: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_json_output(&out.stdout);

    for bad in [&tampered_ldp, &tampered_jwt] {
        let mut files = good_args.clone();
        files.insert(1, path_str(bad));
        let out = verify(&files, false);
        assert!(
            !out.status.success(),
            "wallet accepted a set containing {}",
            bad.display()
        );
        let out = verify(&files, true);
        assert!(
            !out.status.success(),
            "wallet --json accepted a set containing {}",
            bad.display()
        );
        assert_json_output(&out.stdout);
    }
}

#[test]
fn cli_refuses_issuer_id_that_is_not_the_signing_key() {
    let tmp = TempDir::new().expect("tempdir");
    let (_, key) = generate_key(tmp.path(), "ed25519");
    let input = fixture("unsigned/ob3-foreign-issuer-id.json");
    for format in ["ldp_vc", "jwt_vc_json"] {
        let args = [
            "credential",
            "sign",
            "--key",
            path_str(&key),
            "--format",
            format,
            "--in",
            path_str(&input),
        ];
        let out = run_cli(&binaries().agent, &args, None);
        assert!(
            !out.status.success(),
            "{format}: signed a credential whose issuer.id is another DID"
        );
        assert!(
            out.stdout.is_empty(),
            "{format}: printed output despite refusing: {}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
