//! What the benches share: the agents under test, on the embedded store or on PostgreSQL.

#![allow(dead_code)] // each bench uses its part

use std::time::Duration;

use rosette_tests::agent::{Agent, Client};
use rosette_tests::bins::Binaries;
use serde_json::{Value, json};

/// `name` from the environment as a number, or `default`.
pub(crate) fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The string `key` of `v`; panics with `v` when it is missing.
pub(crate) fn field(v: &Value, key: &str) -> String {
    v.get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no {key:?} in {v}"))
        .to_owned()
}

/// Release agents under test: one on the embedded store, or `count` sharing a throw-away
/// PostgreSQL cluster on this box (`ROSETTE_BENCH_STORE=postgres`, `ROSETTE_BENCH_AGENTS`).
pub(crate) struct Deployment {
    /// `embedded` or `postgres`.
    pub(crate) store: String,
    /// The first agent serves the public URL; the others listen on ports of their own.
    pub(crate) agents: Vec<Agent>,
    /// The operator token (the same on every agent).
    pub(crate) token: String,
    cluster: Option<rosette_test_postgres::Cluster>,
    _data: tempfile::TempDir,
}

impl Deployment {
    /// Starts the agents the environment asks for.
    pub(crate) fn from_env(bins: &Binaries) -> Self {
        let store = std::env::var("ROSETTE_BENCH_STORE").unwrap_or_else(|_| "embedded".to_owned());
        let count = env_usize("ROSETTE_BENCH_AGENTS", 1).clamp(1, 8);
        Self::start(bins, &store, count)
    }

    /// Starts `count` agents on `store` (`embedded` allows one).
    pub(crate) fn start(bins: &Binaries, store: &str, count: usize) -> Self {
        let data = tempfile::TempDir::new().expect("tempdir");
        if store != "postgres" {
            let agent =
                Agent::start(&bins.agent, data.path(), false).unwrap_or_else(|e| panic!("{e}"));
            let token = agent.operator_token().expect("operator token");
            return Self {
                store: "embedded".to_owned(),
                agents: vec![agent],
                token,
                cluster: None,
                _data: data,
            };
        }
        let cluster = rosette_test_postgres::Cluster::start();
        let url = cluster.create_database("bench");
        let token = "rosette_at_bench-operator-token-0123456789abcdef".to_owned();
        let kek = data.path().join("kek");
        std::fs::write(&kek, "p6T5PfH_aUX8R_oDRl48L1f8ElTou6vIwuFFIlYneeI").expect("kek");
        let config = data.path().join("rosette.toml");
        std::fs::write(
            &config,
            format!(
                "operator_token = \"{token}\"\nkek_file = \"{}\"\n\n[storage]\ndatabase_url = \"{url}\"\n",
                kek.display()
            ),
        )
        .expect("config");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let public = format!("http://127.0.0.1:{port}");
        let start = |n: usize, listen: &str| {
            Agent::start_with(
                &bins.agent,
                &data.path().join(format!("agent-{n}")),
                false,
                listen,
                Some(&public),
                &[std::ffi::OsStr::new("--config"), config.as_os_str()],
            )
            .unwrap_or_else(|e| panic!("{e}"))
        };
        let mut agents = vec![start(0, &format!("127.0.0.1:{port}"))];
        agents.extend((1..count).map(|n| start(n, "127.0.0.1:0")));
        Self {
            store: store.to_owned(),
            agents,
            token,
            cluster: Some(cluster),
            _data: data,
        }
    }

    /// The first agent.
    pub(crate) fn agent(&self) -> &Agent {
        &self.agents[0]
    }

    /// A client of the first agent with the operator token.
    pub(crate) fn operator(&self) -> Client {
        Client::new(self.agent().url(), Some(&self.token))
    }

    /// Creates the institution `bench` with one achievement; returns the achievement's id.
    pub(crate) fn institution_with_achievement(&self) -> String {
        let op = self.operator();
        let created = op
            .post_json(
                "/admin/institutions",
                &json!({"slug": "bench", "name": "Bench University"}),
            )
            .expect("institution");
        assert_eq!(created.status, 201, "{}", created.body);
        let achievement = op
            .post_json(
                "/issuers/bench/admin/achievements",
                &json!({"name": "Throughput", "description": "Benchmarked.", "criteria": {"narrative": "Issued in a benchmark."}}),
            )
            .expect("achievement");
        assert_eq!(achievement.status, 201, "{}", achievement.body);
        field(&achievement.body, "id")
    }

    /// On PostgreSQL: transactions committed in the bench database so far, and the CPU time
    /// of the server's processes that are running now (the postmaster and its children: the
    /// agents' pooled connections live for the whole run).
    pub(crate) fn database_work(&self, tick: f64) -> Option<(u64, Duration)> {
        let cluster = self.cluster.as_ref()?;
        let commits = cluster
            .psql(
                "bench",
                "SELECT xact_commit FROM pg_stat_database WHERE datname = 'bench'",
            )
            .trim()
            .parse()
            .ok()?;
        let server = cluster.server_pid()?;
        let mut cpu = cpu_time(&server.to_string(), tick);
        for entry in std::fs::read_dir("/proc").ok()?.flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if pid.bytes().all(|b| b.is_ascii_digit()) && parent_of(&pid) == Some(server) {
                cpu += cpu_time(&pid, tick);
            }
        }
        Some((commits, cpu))
    }

    /// Stops every agent with SIGTERM and checks that each exits cleanly.
    pub(crate) fn stop(self) {
        for agent in self.agents {
            let status = agent
                .terminate(Duration::from_secs(30))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(status.success(), "agent exit after SIGTERM: {status}");
        }
    }
}

/// A field of `/proc/<pid>/status` in KiB (`VmRSS`, `VmHWM`).
pub(crate) fn status_kib(pid: u32, name: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// User+system CPU time of process `pid` (`self` for this one), from `/proc/<pid>/stat`.
pub(crate) fn cpu_time(pid: &str, tick: f64) -> Duration {
    let fields = stat_fields(pid);
    // utime and stime are fields 14 and 15 of the line (11 and 12 after the name).
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / tick)
}

/// The fields of `/proc/<pid>/stat` after the command name (which may hold spaces).
fn stat_fields(pid: &str) -> Vec<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    stat.rsplit_once(')')
        .map_or("", |(_, r)| r)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn parent_of(pid: &str) -> Option<u32> {
    stat_fields(pid).get(1)?.parse().ok()
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 on Linux in practice).
pub(crate) fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(100.0)
}
