//! The verifier role of `rosette-agent serve` against an independent OpenID4VP 1.0 wallet (oid4vc-ts
//! `@openid4vc/openid4vp` 0.4.6, `tests/interop/oid4vp-wallet.mjs`): honest presentations are accepted in
//! both formats (`ldp_vc` as a Data Integrity `ldp_vp`, `jwt_vc_json` in a VP-JWT) and all three delivery
//! modes (signed `request_uri`, signed by value, unsigned `redirect_uri:`); every attack is refused with
//! its §8.5 code and Rosette's `violation` name.
//!
//! The holder's credentials are issued by our agent (`rosette-agent credential sign`, subject = the
//! holder's did:key) and the wallet derives the same key from the seed. Needs Node.js >= 20 and
//! `scripts/interop-install.sh`; without them every test fails with that hint.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use rosette_did::{KeyType, SigningKey};
use rosette_tests::agent::{Agent, Client};
use rosette_tests::interop::Harness;
use serde_json::{Value, json};
use support::*;
use tempfile::TempDir;

/// An issuer key file, a holder seed and credentials for the holder signed by our agent's CLI.
struct Fixture {
    dir: TempDir,
    issuer_did: String,
    holder_seed: String,
    holder_did: String,
}

impl Fixture {
    fn new() -> Self {
        let dir = TempDir::new().expect("tempdir");
        let issuer = SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng);
        std::fs::write(
            dir.path().join("issuer.jwk"),
            issuer.to_jwk_json().as_bytes(),
        )
        .expect("key file");
        let mut seed = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
        let holder = SigningKey::from_secret_bytes(KeyType::Ed25519, &seed).expect("holder key");
        Self {
            issuer_did: issuer.did_key().as_str().to_owned(),
            holder_seed: seed.iter().map(|b| format!("{b:02x}")).collect(),
            holder_did: holder.did_key().as_str().to_owned(),
            dir,
        }
    }

    /// Signs an OB 3.0 credential for the holder; `expired` puts its window in the past.
    fn credential(&self, format: &str, expired: bool) -> PathBuf {
        let mut unsigned = json!({
            "@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "name": "Interop Presentation Badge",
            "issuer": {"type": ["Profile"], "name": "Rosette Interop College"},
            "credentialSubject": {
                "id": self.holder_did,
                "type": ["AchievementSubject"],
                "achievement": {
                    "id": "https://college.example.org/achievements/interop",
                    "type": ["Achievement"],
                    "name": "Interop Presentation Badge",
                    "description": "Presented a badge to an OpenID4VP verifier.",
                    "criteria": {"narrative": "Present it."}
                }
            }
        });
        if expired {
            unsigned["validFrom"] = json!("2020-01-01T00:00:00Z");
            unsigned["validUntil"] = json!("2021-01-01T00:00:00Z");
        }
        let name = format!("{}{format}", if expired { "expired-" } else { "" });
        let input = self.dir.path().join(format!("{name}.unsigned.json"));
        std::fs::write(&input, unsigned.to_string()).expect("write unsigned");
        let out = Command::new(&binaries().agent)
            .args(["credential", "sign", "--format", format, "--key"])
            .arg(self.dir.path().join("issuer.jwk"))
            .arg("--in")
            .arg(&input)
            .output()
            .expect("run rosette-agent credential sign");
        assert!(
            out.status.success(),
            "credential sign: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ext = if format == "jwt_vc_json" {
            "jwt"
        } else {
            "json"
        };
        let file = self.dir.path().join(format!("{name}.{ext}"));
        std::fs::write(&file, &out.stdout).expect("write credential");
        file
    }
}

/// One oid4vc-ts wallet run: whether it passed, and its report.
fn wallet(
    h: &Harness,
    request_url: &str,
    credential: &Path,
    seed: &str,
    extra: &[&str],
) -> (bool, Value) {
    let out = Command::new("node")
        .arg(h.dir().join("oid4vp-wallet.mjs"))
        .args([
            "--request",
            request_url,
            "--holder-seed",
            seed,
            "--credential",
        ])
        .arg(credential)
        .args(extra)
        .current_dir(h.dir())
        .output()
        .expect("run node oid4vp-wallet.mjs");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| {
        panic!(
            "oid4vp-wallet.mjs gave no JSON report (exit {:?}); stderr:\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        out.status.success() && report["pass"] == json!(true),
        report,
    )
}

struct Verifier {
    agent: Agent,
    op: Client,
    _data: TempDir,
}

fn verifier() -> Verifier {
    let data = TempDir::new().expect("tempdir");
    let agent = start(data.path(), true);
    let op = operator(&agent);
    Verifier {
        agent,
        op,
        _data: data,
    }
}

impl Verifier {
    fn request(&self, body: Value) -> Value {
        expect(
            self.op
                .post_json("/verifiers/demo/admin/presentation-requests", &body),
            201,
            "POST presentation-requests",
        )
    }

    /// Polls with the transaction id, as the verifier's page does (no token).
    fn poll(&self, created: &Value) -> Value {
        let path = str_field(created, "poll")
            .strip_prefix(self.agent.url())
            .expect("poll URL on the agent")
            .to_owned();
        expect(Client::new(self.agent.url(), None).get(&path), 200, "poll")
    }
}

fn format_of(file: &Path) -> &'static str {
    if file.extension().is_some_and(|e| e == "jwt") {
        "jwt_vc_json"
    } else {
        "ldp_vc"
    }
}

#[test]
fn oid4vc_ts_wallet_presents_both_formats_in_every_delivery_mode_and_is_accepted() {
    let h = harness();
    let v = verifier();
    let f = Fixture::new();
    let creds = [
        f.credential("ldp_vc", false),
        f.credential("jwt_vc_json", false),
    ];
    for mode in ["signed", "signed_by_value", "redirect_uri"] {
        for cred in &creds {
            let created = v.request(json!({
                "trusted_issuers": [f.issuer_did],
                "mode": mode,
                "achievement_name": "Interop Presentation Badge"
            }));
            let (ok, report) = wallet(
                &h,
                str_field(&created, "request_url"),
                cred,
                &f.holder_seed,
                &[],
            );
            assert!(
                ok,
                "{mode} {}: {report:#}\nagent stderr:\n{}",
                format_of(cred),
                v.agent.stderr()
            );
            assert_eq!(
                report["request"]["version"], 100,
                "oid4vc-ts saw OpenID4VP 1.0: {report}"
            );
            assert_eq!(
                report["request"]["signed"],
                mode != "redirect_uri",
                "{report}"
            );
            assert_eq!(report["query"]["format"], format_of(cred));
            let polled = v.poll(&created);
            assert_eq!(polled["status"], "accepted", "{polled}");
            let c = &polled["result"]["credentials"][0];
            assert_eq!(c["issuer"], f.issuer_did);
            assert_eq!(c["subject"], f.holder_did);
            assert_eq!(c["achievement"], "Interop Presentation Badge");
            assert_eq!(c["format"], format_of(cred));
        }
    }
}

/// Runs the wallet with `extra` against a fresh request trusting `trusted` (default: the fixture's
/// issuer); the verifier must refuse with `code` / `violation` in both formats and record it.
fn refused(extra: &[&str], expired: bool, trusted: Option<&str>, code: &str, violation: &str) {
    let h = harness();
    let v = verifier();
    let f = Fixture::new();
    let trusted = trusted.map_or_else(|| f.issuer_did.clone(), str::to_owned);
    for format in ["ldp_vc", "jwt_vc_json"] {
        let cred = f.credential(format, expired);
        let created = v.request(json!({"trusted_issuers": [trusted]}));
        let mut args = vec!["--expect-reject"];
        args.extend_from_slice(extra);
        let (ok, report) = wallet(
            &h,
            str_field(&created, "request_url"),
            &cred,
            &f.holder_seed,
            &args,
        );
        assert!(ok, "{format}: the verifier did not refuse: {report:#}");
        assert_eq!(report["submit"]["status"], 400, "{format}: {report}");
        assert_eq!(
            report["submit"]["body"]["error"], code,
            "{format}: {report}"
        );
        assert_eq!(
            report["submit"]["body"]["violation"], violation,
            "{format}: {report}"
        );
        let polled = v.poll(&created);
        assert_eq!(polled["status"], "rejected", "{polled}");
        assert_eq!(polled["result"]["error"]["violation"], violation);
    }
}

#[test]
fn vp_wrong_nonce() {
    refused(
        &["--tamper", "nonce"],
        false,
        None,
        "invalid_request",
        "wrong_nonce",
    );
}

#[test]
fn vp_wrong_audience() {
    // The bare DID without the `decentralized_identifier:` prefix is another audience (§14.1).
    refused(
        &["--tamper", "aud"],
        false,
        None,
        "invalid_request",
        "wrong_audience",
    );
}

#[test]
fn vp_tampered_credential() {
    refused(
        &["--tamper", "credential"],
        false,
        None,
        "invalid_request",
        "invalid_credential",
    );
}

#[test]
fn vp_expired_credential() {
    refused(&[], true, None, "invalid_request", "credential_expired");
}

#[test]
fn vp_untrusted_issuer() {
    let other = SigningKey::generate(KeyType::Ed25519, &mut rand::rngs::OsRng);
    refused(
        &[],
        false,
        Some(other.did_key().as_str()),
        "access_denied",
        "untrusted_issuer",
    );
}

#[test]
fn vp_replayed_response() {
    let h = harness();
    let v = verifier();
    let f = Fixture::new();
    for format in ["ldp_vc", "jwt_vc_json"] {
        let cred = f.credential(format, false);
        let created = v.request(json!({"trusted_issuers": [f.issuer_did]}));
        let (ok, report) = wallet(
            &h,
            str_field(&created, "request_url"),
            &cred,
            &f.holder_seed,
            &["--replay"],
        );
        assert!(ok, "{format}: {report:#}");
        assert_eq!(report["submit"]["status"], 200, "{report}");
        assert_eq!(report["replay"]["status"], 400, "{report}");
        assert_eq!(report["replay"]["body"]["error"], "invalid_request");
        assert_eq!(report["replay"]["body"]["violation"], "unknown_state");
        // The first, honest answer stands.
        assert_eq!(v.poll(&created)["status"], "accepted");
    }
}

#[test]
fn demo_ready_line_carries_a_request_the_wallet_resolves() {
    let h = harness();
    let v = verifier();
    let f = Fixture::new();
    let raw = &v.agent.ready().raw;
    let request = raw["request"]
        .as_str()
        .unwrap_or_else(|| panic!("no request in {raw}"))
        .to_owned();
    assert!(
        request.starts_with("openid4vp://?client_id=decentralized_identifier%3Adid%3Akey%3A"),
        "{request}"
    );
    // The demo request trusts only the demo institution, so a key-file credential is refused, after
    // oid4vc-ts fetched and verified the signed request object.
    let (ok, report) = wallet(
        &h,
        &request,
        &f.credential("ldp_vc", false),
        &f.holder_seed,
        &["--expect-reject"],
    );
    assert!(ok, "{report:#}");
    assert_eq!(report["request"]["signed"], true);
    assert_eq!(
        report["submit"]["body"]["violation"], "untrusted_issuer",
        "{report}"
    );
}
