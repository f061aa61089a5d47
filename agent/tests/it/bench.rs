//! Throughput of the whole issuance flow over HTTP (offer fetch → token → nonce → credential),
//! MemoryStore and SledStore. Ignored by default; run:
//! `cargo test -p rosette-agent --test it -- --ignored --nocapture flows_per_second`

use std::sync::Arc;
use std::time::Instant;

use serde_json::json;

use crate::common::*;

async fn run(
    format: &str,
    flows: usize,
    concurrency: usize,
    store: Arc<dyn rosette_storage::Store>,
) -> f64 {
    let server = Arc::new(start_with(store, fixed_clock()).await);
    let admin = server.institution("bench").await;
    let achievement = server.achievement("bench", &admin).await;
    let mut offers = Vec::new();
    for _ in 0..flows {
        offers.push(
            server
                .offer(
                    "bench",
                    &admin,
                    &achievement,
                    json!({"configurations": [format]}),
                )
                .await,
        );
    }
    let offers = Arc::new(tokio::sync::Mutex::new(offers));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (server, offers, format) = (server.clone(), offers.clone(), format.to_owned());
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(offer) = offers.lock().await.pop() else {
                    break;
                };
                let access = server.access_token("bench", &offer).await;
                let nonce = server.nonce("bench").await;
                let jwt = proof(&holder_key(), &server.issuer("bench"), &nonce, server.now());
                let (status, body) = server
                    .credential_request("bench", &access, request(&format, vec![jwt]))
                    .await;
                assert_eq!(status, 200, "{body}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    flows as f64 / started.elapsed().as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark"]
async fn flows_per_second() {
    for format in [LDP, JWT] {
        let rate = run(
            format,
            200,
            8,
            Arc::new(rosette_storage::MemoryStore::new()),
        )
        .await;
        println!("{format}: {rate:.1} flows/s (MemoryStore, 200 flows, 8 concurrent clients)");
        let dir = tempfile::tempdir().unwrap();
        let sled = Arc::new(rosette_storage::SledStore::open(dir.path().join("db")).unwrap());
        let rate = run(format, 200, 8, sled).await;
        println!("{format}: {rate:.1} flows/s (SledStore, 200 flows, 8 concurrent clients)");
    }
}
