//! End-to-end issuance throughput of `rosette-agent serve` over loopback.
//!
//! `cargo bench -p rosette-tests --bench issuance_flows` builds a release agent, creates offers
//! through the admin API (with and without PIN, one format each) and then runs complete
//! pre-authorized-code flows with 16 in flight: offer (by reference) → token (PIN) → nonce →
//! credential, with a JWT key proof signed by a fresh rosette-did Ed25519 holder. Issuer metadata
//! is fetched once per variant. Prints one JSON line per variant.
//!
//! What it measures, per variant:
//! - `flows_per_sec`, `p50_ms`, `p99_ms`: wall-clock throughput and latency. The load generator
//!   runs on the same cores as the agent, so these depend on what else the machine is doing.
//! - `agent_cpu_us_per_flow`: the agent process's user+system CPU time (`/proc/<pid>/stat`)
//!   over the timed run, divided by the flows. Robust against other load on the machine.
//! - `agent_runtime_threads_cpu_us_per_flow`: the part spent on the agent's tokio threads
//!   (HTTP, protocol logic, signing); the rest is mostly sled's IO threads writing its log.
//! - `generator_cpu_us_per_flow`: the same for this bench process (the HTTP client, JSON and
//!   the holder's proof signature).
//! - `capacity_flows_per_sec`: cores / (agent + generator CPU per flow), what the box could do
//!   with nothing else running (`ROSETTE_BENCH_CORES`, default: available parallelism).
//!
//! The generator is kept lean: one thread, one keep-alive connection pool shared by all flows,
//! holder keys generated before the timed run (key generation is setup, not protocol), and
//! nothing pre-signed: the proof JWT needs the c_nonce of the flow, so it is signed inside the
//! flow.
//!
//! `ROSETTE_BENCH_STORE=postgres` runs the agent on PostgreSQL (a throw-away cluster on this
//! box, like the tests'), and `ROSETTE_BENCH_AGENTS=2` then starts two agents on that database
//! and spreads the flows over both (token, nonce and credential requests of even flows go to
//! one, odd to the other; `agent_cpu_*` then sums both agents; the database's own CPU is not
//! counted).
//!
//! `ROSETTE_BENCH_FLOWS` (default 200) sets the flows per variant, `ROSETTE_BENCH_CONCURRENCY`
//! (default 16: with 8, the box stays ~20 % idle, each flow waiting on the single-threaded
//! generator, so the figure was latency-bound rather than what the agent can sustain) the flows
//! in flight, `ROSETTE_BENCH_CONFIGS` (comma-separated configuration ids,
//! default both) and `ROSETTE_BENCH_PIN` (`on`, `off`, default both) pick variants. The agent's
//! pid is printed on stderr, for `perf record -p`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rosette_did::jws::{JwsAlgorithm, JwsHeader, sign_compact};
use rosette_did::{KeyType, SigningKey};
mod common;

use common::{Deployment, clock_ticks, cpu_time, env_usize, field};
use rosette_tests::agent::{Agent, Client, offer_uri_of};
use rosette_tests::bins;
use serde_json::{Value, json};

const PRE_AUTH: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

/// Endpoints from the metadata, fetched once per variant.
#[derive(Debug, Clone)]
struct Endpoints {
    issuer: String,
    token: String,
    nonce: String,
    credential: String,
}

#[derive(Debug)]
struct Offer {
    url: String,
    tx_code: Option<String>,
    /// The flow's holder key, generated before the timed run.
    holder: SigningKey,
    /// Its `kid` (did:key verification method).
    kid: String,
}

/// The agent's tokio threads: the main thread (accept loop) and the runtime's workers.
const RUNTIME_THREADS: &[&str] = &["rosette-agent", "tokio-r"];

/// User+system CPU time of the threads of process `pid` whose name starts with one of
/// `prefixes` (`/proc/<pid>/task/*/stat`; threads that already exited are not counted).
fn threads_cpu_time(pid: &str, prefixes: &[&str], tick: f64) -> Duration {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Duration::ZERO;
    };
    let mut total = Duration::ZERO;
    for task in tasks.flatten() {
        let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
        let name = stat
            .split_once('(')
            .and_then(|(_, r)| r.rsplit_once(')'))
            .map_or("", |(n, _)| n);
        if prefixes.iter().any(|p| name.starts_with(p)) {
            total += cpu_time(
                &format!("{pid}/task/{}", task.file_name().to_string_lossy()),
                tick,
            );
        }
    }
    total
}

async fn post_form(http: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Value {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let res = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("token request");
    let status = res.status();
    let body: Value = res.json().await.expect("token JSON");
    assert!(status.is_success(), "token: {status} {body}");
    body
}

/// One complete flow; returns its latency.
async fn flow(http: &reqwest::Client, ep: &Endpoints, config: &str, offer: &Offer) -> Duration {
    let t0 = Instant::now();
    let uri = offer_uri_of(&offer.url).expect("offer by reference");
    let resolved: Value = http
        .get(&uri)
        .send()
        .await
        .expect("offer")
        .json()
        .await
        .expect("offer JSON");
    let code = resolved
        .pointer(&format!("/grants/{PRE_AUTH}/pre-authorized_code"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no pre-authorized code: {resolved}"))
        .to_owned();
    let mut form = vec![
        ("grant_type", PRE_AUTH),
        ("pre-authorized_code", code.as_str()),
    ];
    if let Some(pin) = &offer.tx_code {
        form.push(("tx_code", pin.as_str()));
    }
    let token = post_form(http, &ep.token, &form).await;
    let access = field(&token, "access_token");
    let nonce: Value = http
        .post(&ep.nonce)
        .send()
        .await
        .expect("nonce")
        .json()
        .await
        .expect("nonce JSON");
    let c_nonce = field(&nonce, "c_nonce");

    let mut header = JwsHeader::new(JwsAlgorithm::for_key_type(KeyType::Ed25519));
    header.typ = Some("openid4vci-proof+jwt".into());
    header.kid = Some(offer.kid.clone());
    // the agent checks the proof's iat against its own wall clock, so the client reads the real one
    #[allow(clippy::disallowed_methods)]
    let iat = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let claims = json!({"aud": ep.issuer, "iat": iat, "nonce": c_nonce});
    let proof = sign_compact(
        &header,
        &serde_json::to_vec(&claims).expect("claims"),
        &offer.holder,
    )
    .expect("sign proof");

    let res = http
        .post(&ep.credential)
        .bearer_auth(&access)
        .json(&json!({"credential_configuration_id": config, "proofs": {"jwt": [proof]}}))
        .send()
        .await
        .expect("credential");
    let status = res.status();
    let body: Value = res.json().await.expect("credential JSON");
    assert!(status.is_success(), "credential: {status} {body}");
    assert!(
        body.pointer("/credentials/0/credential").is_some(),
        "no credential: {body}"
    );
    t0.elapsed()
}

fn endpoints(anon: &Client, slug: &str) -> Endpoints {
    let md = anon
        .get(&format!(
            "/.well-known/openid-credential-issuer/issuers/{slug}"
        ))
        .expect("issuer metadata")
        .body;
    let asmd = anon
        .get(&format!(
            "/.well-known/oauth-authorization-server/issuers/{slug}"
        ))
        .expect("AS metadata")
        .body;
    Endpoints {
        issuer: field(&md, "credential_issuer"),
        token: field(&asmd, "token_endpoint"),
        nonce: field(&md, "nonce_endpoint"),
        credential: field(&md, "credential_endpoint"),
    }
}

fn main() {
    // `cargo bench` passes `--bench`; nothing else is understood
    let flows = env_usize("ROSETTE_BENCH_FLOWS", 200);
    let concurrency = env_usize("ROSETTE_BENCH_CONCURRENCY", 16).max(1);
    let bins = bins::binaries().unwrap_or_else(|e| panic!("cannot build rosette-agent: {e}"));
    let deployment = Deployment::from_env(bins);
    let store = deployment.store.clone();
    let achievement_id = deployment.institution_with_achievement();
    let op = deployment.operator();
    let agent = deployment.agent();
    let anon = Client::new(agent.url(), None);
    let tick = clock_ticks();
    let agent_pids: Vec<String> = deployment
        .agents
        .iter()
        .map(|a| a.pid().to_string())
        .collect();
    let agent_pid = agent_pids.join(",");
    let bases: Vec<String> = deployment.agents.iter().map(Agent::local_url).collect();
    let cores = env_usize(
        "ROSETTE_BENCH_CORES",
        std::thread::available_parallelism().map_or(2, usize::from),
    );
    let configs: Vec<String> = std::env::var("ROSETTE_BENCH_CONFIGS")
        .map(|v| v.split(',').map(|c| c.trim().to_owned()).collect())
        .unwrap_or_else(|_| {
            vec![
                "OpenBadgeCredential_ldp_vc".to_owned(),
                "OpenBadgeCredential_jwt_vc_json".to_owned(),
            ]
        });
    let pins: Vec<bool> = match std::env::var("ROSETTE_BENCH_PIN").as_deref() {
        Ok("on") => vec![true],
        Ok("off") => vec![false],
        _ => vec![false, true],
    };

    eprintln!(
        "agent {} (release, pid {agent_pid}, store {store}, {} agent(s)), {flows} flows per variant, {concurrency} in flight",
        agent.url(),
        bases.len()
    );
    // One thread drives all flows: the generator needs a fraction of a core, and a single
    // thread saves the cross-thread wake-ups a work-stealing runtime makes per response.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    for config in &configs {
        let config = config.as_str();
        for &pin in &pins {
            let t_create = Instant::now();
            let offers: Vec<Offer> = (0..flows)
                .map(|i| {
                    let r = op
                        .post_json(
                            "/issuers/bench/admin/offers",
                            &json!({"achievement_id": achievement_id, "recipient": {"name": format!("Bench {i}")},
                                    "pin": pin, "configurations": [config]}),
                        )
                        .expect("offer");
                    assert_eq!(r.status, 201, "{}", r.body);
                    let holder = SigningKey::generate(KeyType::Ed25519, &mut rand::thread_rng());
                    let kid = holder.did_key_verification_method().as_str().to_owned();
                    Offer {
                        url: field(&r.body, "offer_url"),
                        tx_code: r.body.get("tx_code").and_then(Value::as_str).map(str::to_owned),
                        holder,
                        kid,
                    }
                })
                .collect();
            let create_s = t_create.elapsed().as_secs_f64();
            let ep = endpoints(&anon, "bench");
            // The same endpoints on each agent (the metadata names the public URL, the first).
            let eps: Arc<Vec<Endpoints>> = Arc::new(
                bases
                    .iter()
                    .map(|base| Endpoints {
                        issuer: ep.issuer.clone(),
                        token: ep.token.replace(agent.url(), base),
                        nonce: ep.nonce.replace(agent.url(), base),
                        credential: ep.credential.replace(agent.url(), base),
                    })
                    .collect(),
            );
            let offers = Arc::new(offers);
            let next = Arc::new(AtomicUsize::new(0));
            let agents_cpu = || {
                agent_pids
                    .iter()
                    .map(|p| cpu_time(p, tick))
                    .sum::<Duration>()
            };
            let agents_threads_cpu = || {
                agent_pids
                    .iter()
                    .map(|p| threads_cpu_time(p, RUNTIME_THREADS, tick))
                    .sum::<Duration>()
            };
            let (agent_cpu0, own_cpu0) = (agents_cpu(), cpu_time("self", tick));
            let db0 = deployment.database_work(tick);
            let workers_cpu0 = agents_threads_cpu();
            let t0 = Instant::now();
            let mut latencies: Vec<Duration> = runtime.block_on(async {
                let http = reqwest::Client::new();
                let workers: Vec<_> = (0..concurrency)
                    .map(|_| {
                        let (http, eps, offers, next) = (
                            http.clone(),
                            Arc::clone(&eps),
                            Arc::clone(&offers),
                            Arc::clone(&next),
                        );
                        let config = config.to_owned();
                        tokio::spawn(async move {
                            let mut mine = Vec::new();
                            loop {
                                let i = next.fetch_add(1, Ordering::Relaxed);
                                let Some(offer) = offers.get(i) else { break };
                                let ep = &eps[i % eps.len()];
                                mine.push(flow(&http, ep, &config, offer).await);
                            }
                            mine
                        })
                    })
                    .collect();
                let mut all = Vec::new();
                for w in workers {
                    all.extend(w.await.expect("worker panicked"));
                }
                all
            });
            let secs = t0.elapsed().as_secs_f64();
            let agent_cpu = agents_cpu().saturating_sub(agent_cpu0);
            let workers_cpu = agents_threads_cpu().saturating_sub(workers_cpu0);
            let own_cpu = cpu_time("self", tick).saturating_sub(own_cpu0);
            let db = deployment
                .database_work(tick)
                .zip(db0)
                .map(|((c1, t1), (c0, t0))| (c1.saturating_sub(c0), t1.saturating_sub(t0)));
            let done = latencies.len().max(1) as f64;
            let per_flow = |d: Duration| d.as_secs_f64() * 1e6 / done;
            let (agent_us, generator_us) = (per_flow(agent_cpu), per_flow(own_cpu));
            latencies.sort();
            let pct = |p: f64| {
                let idx = ((latencies.len() as f64 - 1.0) * p).round() as usize;
                latencies.get(idx).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
            };
            println!(
                "{}",
                json!({
                    "bench": "issuance_flows", "store": store, "agents": bases.len(),
                    "config": config, "pin": pin, "flows": latencies.len(),
                    "concurrency": concurrency, "seconds": (secs * 1000.0).round() / 1000.0,
                    "flows_per_sec": ((latencies.len() as f64 / secs) * 10.0).round() / 10.0,
                    "p50_ms": (pct(0.5) * 10.0).round() / 10.0, "p99_ms": (pct(0.99) * 10.0).round() / 10.0,
                    "offer_create_per_sec": ((flows as f64 / create_s) * 10.0).round() / 10.0,
                    "agent_cpu_us_per_flow": agent_us.round(),
                    "agent_runtime_threads_cpu_us_per_flow": per_flow(workers_cpu).round(),
                    "generator_cpu_us_per_flow": generator_us.round(),
                    "capacity_flows_per_sec": (cores as f64 * 1e6 / (agent_us + generator_us).max(1.0)).round(),
                    "db_commits_per_flow": db.map(|(c, _)| (c as f64 / done * 10.0).round() / 10.0),
                    "db_cpu_us_per_flow": db.map(|(_, t)| per_flow(t).round()),
                })
            );
        }
    }
    deployment.stop();
}
