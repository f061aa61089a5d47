//! Memory on `/verify` (issue 15, finding 5): one 1.25 MB JSON-LD credential (15,000
//! alignments) cost 119 MB, and 16 at once took the agent from 155 MB to 880 MB resident.
//! Now credentials past 10,000 JSON values are refused before they are even parsed, and at
//! most two verifications run at once (the rest wait, their bodies unread). This sends 16
//! concurrent maximum-size
//! uploads of both kinds to the real `rosette-agent serve` and reads its peak resident memory
//! (VmHWM) from /proc.
//!
//! The documented bound (docs/security.md): the peak stays below the idle agent's resident
//! memory plus 160 MiB (measured on the debug build: +110 MiB; the largest accepted credential
//! alone, 16 at once: +122 MiB).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;

use serde_json::{Value, json};
use support::*;

/// Peak resident memory of `pid` in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}

/// An unsigned-looking Open Badge with `alignments` alignment objects and a `padding`-byte
/// description (it need not verify: the cost is in reading it).
fn big_credential(alignments: usize, padding: usize) -> String {
    let alignment: Vec<Value> = (0..alignments)
        .map(|i| {
            json!({"type": ["Alignment"], "targetName": format!("Skill {i}"),
                   "targetUrl": format!("https://skills.example.org/{i}"), "targetType": "CFItem"})
        })
        .collect();
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2",
                     "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "type": ["Profile"], "name": "Big"},
        "validFrom": "2026-01-01T00:00:00Z",
        "name": "Big badge",
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": {
            "id": "https://example.org/a", "type": ["Achievement"], "name": "Big",
            "description": "x".repeat(padding),
            "criteria": {"narrative": "n"}, "alignment": alignment}},
        "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022",
                  "verificationMethod": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
                  "proofPurpose": "assertionMethod", "proofValue": "z3FXQjecWufY46yg5abdVZsXqLhxhueuSoZgNSARiKBk9czhSePTFehP8c3PGfb6a22gkfUKKTi9LQVEzAebLYW7W"}
    })
    .to_string()
}

/// POSTs `credential` to /verify as the pasted-text field; returns the status line.
fn upload(addr: &str, credential: &str) -> String {
    let boundary = "rosette-bound";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"text\"\r\n\r\n{credential}\r\n--{boundary}--\r\n"
    );
    let mut stream = TcpStream::connect(addr).expect("connect");
    write!(
        stream,
        "POST /verify HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .expect("head");
    stream.write_all(body.as_bytes()).expect("body");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("answer");
    answer.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn sixteen_maximum_size_verify_uploads_keep_memory_bounded() {
    let tmp = tempfile::TempDir::new().expect("tempdir");
    let agent = start(&tmp.path().join("data"), false);
    let addr = agent.url().trim_start_matches("http://").to_owned();
    let pid = agent.pid();
    // Warm up: one ordinary verification, so the baseline holds the loaded contexts.
    assert!(upload(&addr, &big_credential(10, 10)).contains("200"));
    let baseline = peak_rss_kib(pid);

    // The attack: 15,000 alignments (~1.3 MB), refused before JSON-LD processing; and the
    // largest credential still processed: ~900 alignments plus padding to ~1.9 MB.
    let refused = big_credential(15_000, 0);
    let largest = big_credential(900, 1_800_000);
    assert!(refused.len() > 1_000_000 && largest.len() > 1_800_000);
    let mut threads = Vec::new();
    for i in 0..16 {
        let (addr, credential) = (
            addr.clone(),
            if i % 2 == 0 {
                refused.clone()
            } else {
                largest.clone()
            },
        );
        threads.push(std::thread::spawn(move || upload(&addr, &credential)));
    }
    for thread in threads {
        let status = thread.join().expect("upload thread");
        assert!(status.contains("200"), "{status}");
    }
    let peak = peak_rss_kib(pid);
    let grew_mib = peak.saturating_sub(baseline) / 1024;
    eprintln!(
        "agent peak resident memory: {baseline} KiB idle, {peak} KiB under 16 uploads (+{grew_mib} MiB)"
    );
    assert!(
        grew_mib < 160,
        "peak grew by {grew_mib} MiB (bound 160 MiB)"
    );
}
