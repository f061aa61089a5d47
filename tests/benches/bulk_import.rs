//! Bulk import throughput and memory of `rosette-agent serve`: 100,000 offers from CSV.
//!
//! `cargo bench -p rosette-tests --bench bulk_import` starts a release agent (on the embedded
//! store, or with `ROSETTE_BENCH_STORE=postgres` on a throw-away PostgreSQL cluster on this
//! box), creates an institution and an achievement, uploads `ROSETTE_BENCH_ROWS` (default
//! 100,000) rows as bulk jobs of at most 50,000 rows each (the per-upload limit; an institution
//! runs two jobs at a time, so the uploads go in pairs), and polls every job until it is done.
//! Prints one JSON line: wall-clock seconds from the first upload to the last job done, offers
//! per second, and the agent's resident memory before, at the end, and at its peak (`VmHWM`).

mod common;

use std::time::{Duration, Instant};

use common::{Deployment, env_usize, field, status_kib};
use rosette_tests::bins;
use serde_json::{Value, json};

/// Rows one upload may hold (the agent's `MAX_ROWS`).
const ROWS_PER_UPLOAD: usize = 50_000;

fn csv(achievement_id: &str, first: usize, rows: usize) -> Vec<u8> {
    let mut text = String::with_capacity(rows * 64 + 32);
    text.push_str("name,email,achievement_id\n");
    for i in first..first + rows {
        text.push_str(&format!(
            "Learner {i},learner{i}@example.org,{achievement_id}\n"
        ));
    }
    text.into_bytes()
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is understood
    let rows = env_usize("ROSETTE_BENCH_ROWS", 100_000).max(1);
    let bins = bins::binaries().unwrap_or_else(|e| panic!("cannot build rosette-agent: {e}"));
    let deployment = Deployment::from_env(bins);
    let achievement_id = deployment.institution_with_achievement();
    let op = deployment.operator();
    let pid = deployment.agent().pid();
    let uploads: Vec<Vec<u8>> = (0..rows)
        .step_by(ROWS_PER_UPLOAD)
        .map(|first| csv(&achievement_id, first, ROWS_PER_UPLOAD.min(rows - first)))
        .collect();
    let rss_before = status_kib(pid, "VmRSS");
    eprintln!(
        "agent {} (release, pid {pid}, store {}), {rows} rows in {} upload(s)",
        deployment.agent().url(),
        deployment.store,
        uploads.len()
    );

    let t0 = Instant::now();
    let mut created = 0;
    let mut refused = 0;
    for pair in uploads.chunks(2) {
        let jobs: Vec<String> = pair
            .iter()
            .map(|body| {
                let r = op
                    .post_raw(
                        "/issuers/bench/admin/offers/bulk-jobs",
                        "text/csv",
                        body.clone(),
                    )
                    .expect("upload");
                assert_eq!(r.status, 202, "{}", r.body);
                field(&r.body, "job_id")
            })
            .collect();
        for job in jobs {
            let progress: Value = loop {
                let r = op
                    .get(&format!("/issuers/bench/admin/offers/bulk-jobs/{job}"))
                    .expect("progress");
                assert_eq!(r.status, 200, "{}", r.body);
                if r.body["done"] == json!(true) {
                    break r.body;
                }
                std::thread::sleep(Duration::from_millis(100));
            };
            assert_eq!(progress["state"], "done", "{progress}");
            created += progress["created_count"].as_u64().unwrap_or(0);
            refused += progress["errors"].as_array().map_or(0, Vec::len);
        }
    }
    let secs = t0.elapsed().as_secs_f64();
    assert_eq!(
        created as usize, rows,
        "every row became an offer ({refused} refused)"
    );
    println!(
        "{}",
        json!({
            "bench": "bulk_import", "store": deployment.store, "rows": rows,
            "uploads": uploads.len(), "seconds": (secs * 10.0).round() / 10.0,
            "offers_per_sec": (rows as f64 / secs).round(),
            "agent_rss_before_mib": rss_before / 1024,
            "agent_rss_after_mib": status_kib(pid, "VmRSS") / 1024,
            "agent_rss_peak_mib": status_kib(pid, "VmHWM") / 1024,
        })
    );
    deployment.stop();
}
