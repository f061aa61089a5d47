//! A throw-away PostgreSQL cluster for tests: `initdb` and `pg_ctl` in a temporary directory,
//! listening on 127.0.0.1 on a free port (and a Unix socket inside the directory), stopped
//! and removed when dropped. When the tests run as root the server runs as the `postgres`
//! user (or `nobody`), since PostgreSQL refuses to run as root.
//!
//! Nothing is assumed to be running, and nothing is skipped: without PostgreSQL's server
//! binaries [`Cluster::start`] panics with what to install (`scripts/test.sh` installs
//! Debian's `postgresql` package).

use std::os::unix::fs::MetadataExt as _;
use std::path::PathBuf;
use std::process::{Command, Output};

/// The superuser of every test cluster (trust authentication, loopback only).
pub const USER: &str = "rosette";

/// A running cluster. Dropping it stops the server (immediate mode) and removes its files.
#[derive(Debug)]
pub struct Cluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    run_as: Option<(u32, u32)>,
}

impl Cluster {
    /// Creates and starts a cluster. Panics, saying what is missing, when it cannot.
    pub fn start() -> Self {
        let bin = server_bin_dir();
        let run_as = if is_root() {
            Some(unprivileged_user())
        } else {
            None
        };
        let dir = tempfile::Builder::new()
            .prefix("rosette-pg-")
            .tempdir()
            .expect("a temporary directory for PostgreSQL");
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid))
                .expect("hand the cluster directory to the unprivileged user");
        }
        let cluster = Self {
            dir,
            bin,
            port: free_port(),
            run_as,
        };
        let data = cluster.data_dir();
        cluster.run_checked(
            "initdb",
            &[
                "-D",
                &data.display().to_string(),
                "-U",
                USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        cluster.pg_ctl_start();
        cluster.spawn_reaper();
        cluster
    }

    /// One cluster for the whole test process, started on first use. A test process never
    /// drops statics, so a reaper process stops the server and removes its files when the
    /// test process exits (however it exits, SIGKILL included).
    pub fn shared() -> &'static Self {
        static SHARED: std::sync::OnceLock<Cluster> = std::sync::OnceLock::new();
        SHARED.get_or_init(Self::start)
    }

    /// A new database with a unique name on the [`Cluster::shared`] cluster; returns its URL.
    pub fn fresh_database() -> String {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Self::shared().create_database(&format!("test_{}_{n}", std::process::id()))
    }

    /// Watches this process and cleans up after it; see [`Cluster::shared`].
    fn spawn_reaper(&self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let stop = match self.run_as {
            Some((uid, gid)) => format!(
                "setpriv --reuid={uid} --regid={gid} --clear-groups {} stop -D {} -m immediate -w",
                pg_ctl.display(),
                self.data_dir().display()
            ),
            None => format!(
                "{} stop -D {} -m immediate -w",
                pg_ctl.display(),
                self.data_dir().display()
            ),
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            dir = self.dir.path().display()
        );
        let _ = Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn();
    }

    /// The port the server listens on (127.0.0.1).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A `postgres://` URL for `database` on this cluster.
    pub fn url(&self, database: &str) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates `database` and returns its URL.
    pub fn create_database(&self, database: &str) -> String {
        self.run_checked(
            "createdb",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                USER,
                database,
            ],
        );
        self.url(database)
    }

    /// Runs one SQL command with `psql` on `database` and returns its output (tuples only,
    /// unaligned).
    pub fn psql(&self, database: &str, sql: &str) -> String {
        let out = self.run_checked(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                USER,
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-At",
                "-c",
                sql,
            ],
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `pg_dump` of `database` as plain SQL.
    pub fn dump(&self, database: &str) -> Vec<u8> {
        self.run_checked(
            "pg_dump",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                USER,
                database,
            ],
        )
        .stdout
    }

    /// Stops the server (fast mode: sessions are cut, committed data stays).
    pub fn stop(&self) {
        self.run_checked(
            "pg_ctl",
            &[
                "stop",
                "-D",
                &self.data_dir().display().to_string(),
                "-m",
                "fast",
                "-w",
            ],
        );
    }

    /// Starts the server again after [`Cluster::stop`], on the same port.
    pub fn restart(&self) {
        self.pg_ctl_start();
    }

    /// The server's process id (the first line of `postmaster.pid`), while it runs.
    pub fn server_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.data_dir().join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn pg_ctl_start(&self) {
        let options = format!(
            "-c listen_addresses=127.0.0.1 -p {} -k {} -c max_connections=300 \
             -c shared_buffers=32MB -c fsync=on",
            self.port,
            self.dir.path().display()
        );
        self.run_checked(
            "pg_ctl",
            &[
                "start",
                "-D",
                &self.data_dir().display().to_string(),
                "-l",
                &self.dir.path().join("server.log").display().to_string(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
            ],
        );
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match self.run_as {
            Some((uid, gid)) => {
                let mut c = Command::new("setpriv");
                c.arg(format!("--reuid={uid}"))
                    .arg(format!("--regid={gid}"))
                    .arg("--clear-groups")
                    .arg(path);
                c
            }
            None => Command::new(path),
        }
    }

    fn run_checked(&self, program: &str, args: &[&str]) -> Output {
        let out = self
            .command(program)
            .args(args)
            .current_dir(self.dir.path())
            .env("PGCONNECT_TIMEOUT", "10")
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        if !out.status.success() {
            let log =
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            panic!(
                "{program} {args:?} failed: {}\n{}\nserver log:\n{log}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        out
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .args([
                "stop",
                "-D",
                &self.data_dir().display().to_string(),
                "-m",
                "immediate",
                "-w",
            ])
            .output();
    }
}

/// The directory of `initdb` and `pg_ctl`: Debian keeps them in
/// `/usr/lib/postgresql/<version>/bin` (the newest is taken), other systems on the `PATH`.
fn server_bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    if let Some((_, bin)) = versions.pop() {
        return bin;
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
        .unwrap_or_else(|| {
            panic!(
                "PostgreSQL's server programs (initdb, pg_ctl) are not installed: \
                 on Debian `apt-get install postgresql` (scripts/test.sh does this)"
            )
        })
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// The `postgres` user's ids if it exists, else `nobody`'s.
fn unprivileged_user() -> (u32, u32) {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let find = |name: &str| {
        passwd.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(':').collect();
            if fields.first() != Some(&name) {
                return None;
            }
            Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?))
        })
    };
    find("postgres")
        .or_else(|| find("nobody"))
        .expect("a `postgres` or `nobody` user to run PostgreSQL as (it refuses root)")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on 127.0.0.1")
}
