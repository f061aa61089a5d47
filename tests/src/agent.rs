//! A running `rosette-agent serve` process and a small blocking client for its HTTP API, as the
//! agent contract describes them (ready line on stdout, operator token file, admin API).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long the agent may take to print its ready line (a debug build opening sled and, with
/// `--demo`, creating the demo institution).
pub const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Why the agent could not be started, stopped or talked to.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// The process could not be spawned.
    #[error("cannot start {program}: {source}")]
    Spawn {
        /// The binary.
        program: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// No ready line within [`READY_TIMEOUT`], or stdout closed first.
    #[error("no ready line from the agent ({why}); stderr:\n{stderr}")]
    NotReady {
        /// What happened instead.
        why: String,
        /// The agent's stderr so far.
        stderr: String,
    },
    /// The ready line is not the contract's JSON.
    #[error("ready line is not {{\"event\":\"ready\",\"url\":…,\"operator_token_file\":…}}: {0}")]
    BadReadyLine(String),
    /// The operator token file could not be read.
    #[error("cannot read the operator token file {path}: {source}")]
    TokenFile {
        /// The file named in the ready line.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Signalling or waiting for the process failed.
    #[error("cannot signal or wait for the agent: {0}")]
    Signal(#[source] std::io::Error),
    /// The agent did not exit within the time allowed after SIGTERM.
    #[error("the agent did not exit within {0:?} of SIGTERM")]
    NoExit(Duration),
    /// An HTTP request failed before a response arrived.
    #[error("{method} {url}: {source}")]
    Http {
        /// The request method.
        method: &'static str,
        /// The request URL.
        url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },
}

/// The parsed ready line.
#[derive(Debug, Clone)]
pub struct Ready {
    /// The agent's public base URL (no trailing slash).
    pub url: String,
    /// The operator token file.
    /// `None` when the token was configured (environment or config file), not generated.
    pub operator_token_file: Option<PathBuf>,
    /// `--demo`: the demo offer URL (by reference).
    pub offer: Option<String>,
    /// `--demo`: the demo offer's PIN.
    pub tx_code: Option<String>,
    /// `--demo`: the demo Credential Issuer Identifier.
    pub issuer: Option<String>,
    /// `--demo`: the demo institution's admin token (present when it was just created).
    pub admin_token: Option<String>,
    /// The whole line.
    pub raw: Value,
}

/// A running `rosette-agent serve`; killed (SIGKILL) on drop if still running.
#[derive(Debug)]
pub struct Agent {
    child: Child,
    ready: Ready,
    stderr: Arc<Mutex<String>>,
}

impl Agent {
    /// Starts `<program> serve --listen 127.0.0.1:0 --data <data> [--demo]` and waits for its
    /// ready line.
    ///
    /// # Errors
    /// [`AgentError::Spawn`], [`AgentError::NotReady`] or [`AgentError::BadReadyLine`].
    pub fn start(program: &Path, data: &Path, demo: bool) -> Result<Self, AgentError> {
        Self::start_at(program, data, demo, "127.0.0.1:0", None)
    }

    /// [`start`](Self::start) listening on `listen`, with `--public-url` when given: for data
    /// made by an agent at a fixed address (credentials carry their status list's URL).
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn start_at(
        program: &Path,
        data: &Path,
        demo: bool,
        listen: &str,
        public_url: Option<&str>,
    ) -> Result<Self, AgentError> {
        Self::start_with(program, data, demo, listen, public_url, &[])
    }

    /// [`start_at`](Self::start_at) with more `serve` arguments (e.g. `--config FILE`).
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub fn start_with(
        program: &Path,
        data: &Path,
        demo: bool,
        listen: &str,
        public_url: Option<&str>,
        extra: &[&std::ffi::OsStr],
    ) -> Result<Self, AgentError> {
        let mut cmd = Command::new(program);
        cmd.args(["serve", "--listen", listen, "--data"])
            .arg(data)
            .env_remove("ROSETTE_LISTEN")
            .env_remove("ROSETTE_DATA")
            .env_remove("ROSETTE_PUBLIC_URL")
            .env_remove("ROSETTE_OPERATOR_TOKEN")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if demo {
            cmd.arg("--demo");
        }
        cmd.args(extra);
        if let Some(url) = public_url {
            cmd.args(["--public-url", url]);
        }
        let mut child = cmd.spawn().map_err(|source| AgentError::Spawn {
            program: program.to_path_buf(),
            source,
        })?;
        // stderr is drained all the time so a chatty agent never blocks on a full pipe
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let (Ok(mut s), Some(chunk)) = (sink.lock(), buf.get(..n)) {
                        s.push_str(&String::from_utf8_lossy(chunk));
                    }
                }
            });
        }
        let (tx, rx) = mpsc::channel();
        if let Some(pipe) = child.stdout.take() {
            std::thread::spawn(move || {
                let mut lines = BufReader::new(pipe).lines();
                let first = lines.next();
                let _ = tx.send(first);
                // keep reading so later stdout writes never block the agent
                for _ in lines {}
            });
        }
        let stderr_now = |s: &Arc<Mutex<String>>| s.lock().map(|s| s.clone()).unwrap_or_default();
        let line = match rx.recv_timeout(READY_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            Ok(_) => {
                let _ = child.kill();
                let _ = child.wait();
                std::thread::sleep(Duration::from_millis(100));
                return Err(AgentError::NotReady {
                    why: "stdout closed".into(),
                    stderr: stderr_now(&stderr),
                });
            }
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(AgentError::NotReady {
                    why: format!("timeout after {READY_TIMEOUT:?}"),
                    stderr: stderr_now(&stderr),
                });
            }
        };
        let raw: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(_) => {
                let _ = child.kill();
                return Err(AgentError::BadReadyLine(line));
            }
        };
        let text = |k: &str| raw.get(k).and_then(Value::as_str).map(str::to_owned);
        let token_file = text("operator_token_file");
        let (Some("ready"), Some(url)) = (raw.get("event").and_then(Value::as_str), text("url"))
        else {
            let _ = child.kill();
            return Err(AgentError::BadReadyLine(line));
        };
        let ready = Ready {
            url: url.trim_end_matches('/').to_owned(),
            operator_token_file: token_file.map(PathBuf::from),
            offer: text("offer"),
            tx_code: text("tx_code"),
            issuer: text("issuer"),
            admin_token: text("admin_token"),
            raw,
        };
        Ok(Self {
            child,
            ready,
            stderr,
        })
    }

    /// Where this agent process listens (the ready line's `listening`): differs from
    /// [`Agent::url`] when the public URL is another address (a proxy, or another replica).
    pub fn local_url(&self) -> String {
        self.ready
            .raw
            .get("listening")
            .and_then(Value::as_str)
            .map_or_else(
                || self.ready.url.clone(),
                |u| u.trim_end_matches('/').to_owned(),
            )
    }

    /// The ready line.
    pub fn ready(&self) -> &Ready {
        &self.ready
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.ready.url
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the agent wrote on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The operator token, read from the file named in the ready line.
    ///
    /// # Errors
    /// [`AgentError::TokenFile`].
    pub fn operator_token(&self) -> Result<String, AgentError> {
        let path = self.ready.operator_token_file.as_ref().ok_or_else(|| {
            AgentError::BadReadyLine("no operator_token_file: the token was configured".into())
        })?;
        std::fs::read_to_string(path)
            .map(|t| t.trim().to_owned())
            .map_err(|source| AgentError::TokenFile {
                path: path.clone(),
                source,
            })
    }

    /// Sends SIGTERM and waits up to `limit` for the exit.
    ///
    /// # Errors
    /// [`AgentError::Signal`] or [`AgentError::NoExit`] (the process is then killed).
    pub fn terminate(mut self, limit: Duration) -> Result<ExitStatus, AgentError> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .map_err(AgentError::Signal)?;
        if !status.success() {
            return Err(AgentError::Signal(std::io::Error::other(
                "kill -TERM failed",
            )));
        }
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().map_err(AgentError::Signal)? {
                return Ok(status);
            }
            if start.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                return Err(AgentError::NoExit(limit));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL (no chance to flush) and reap.
    ///
    /// # Errors
    /// [`AgentError::Signal`].
    pub fn kill(mut self) -> Result<ExitStatus, AgentError> {
        self.child.kill().map_err(AgentError::Signal)?;
        self.child.wait().map_err(AgentError::Signal)
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// An HTTP response: status and body (JSON when it parses, else `Value::String` of the text).
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The `content-type` header.
    pub content_type: String,
    /// The body as JSON, or as a JSON string holding the text.
    pub body: Value,
}

impl Response {
    /// The status is 2xx.
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A blocking client for one agent, with an optional bearer token.
#[derive(Debug, Clone)]
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::blocking::Client,
}

impl Client {
    /// A client for `base` (e.g. [`Agent::url`]) sending `token` as bearer when given.
    pub fn new(base: &str, token: Option<&str>) -> Self {
        Self {
            base: base.trim_end_matches('/').to_owned(),
            token: token.map(str::to_owned),
            http: reqwest::blocking::Client::builder()
                .timeout(Duration::from_secs(120))
                .build()
                .unwrap_or_default(),
        }
    }

    /// The same client with another bearer token.
    pub fn with_token(&self, token: &str) -> Self {
        Self {
            base: self.base.clone(),
            token: Some(token.to_owned()),
            http: self.http.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http://") || path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn send(
        &self,
        method: &'static str,
        url: String,
        req: reqwest::blocking::RequestBuilder,
    ) -> Result<Response, AgentError> {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let res = req.send().map_err(|source| AgentError::Http {
            method,
            url: url.clone(),
            source,
        })?;
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = res.bytes().map_err(|source| AgentError::Http {
            method,
            url,
            source,
        })?;
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Ok(Response {
            status,
            content_type,
            body,
        })
    }

    /// `GET path` (a path on the agent or an absolute URL).
    ///
    /// # Errors
    /// [`AgentError::Http`] when no response arrives.
    pub fn get(&self, path: &str) -> Result<Response, AgentError> {
        let url = self.url(path);
        self.send("GET", url.clone(), self.http.get(&url))
    }

    /// `GET path` of a paged admin listing (`{items, next_cursor}`), following `next_cursor`
    /// until the last page. Answers the first non-2xx response as it came, otherwise one
    /// response whose body is `{"items": [every item], "next_cursor": null}`.
    ///
    /// # Errors
    /// [`AgentError::Http`] when no response arrives.
    pub fn get_all_pages(&self, path: &str) -> Result<Response, AgentError> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page_path = match &cursor {
                None => path.to_owned(),
                Some(c) => {
                    let sep = if path.contains('?') { '&' } else { '?' };
                    let c: String = url::form_urlencoded::byte_serialize(c.as_bytes()).collect();
                    format!("{path}{sep}cursor={c}")
                }
            };
            let page = self.get(&page_path)?;
            if !page.ok() {
                return Ok(page);
            }
            if let Some(list) = page.body.get("items").and_then(Value::as_array) {
                items.extend(list.iter().cloned());
            }
            match page.body.get("next_cursor").and_then(Value::as_str) {
                Some(next) => cursor = Some(next.to_owned()),
                None => {
                    return Ok(Response {
                        status: page.status,
                        content_type: page.content_type,
                        body: serde_json::json!({"items": items, "next_cursor": null}),
                    });
                }
            }
        }
    }

    /// `POST path` with a JSON body.
    ///
    /// # Errors
    /// [`AgentError::Http`] when no response arrives.
    pub fn post_json(&self, path: &str, body: &Value) -> Result<Response, AgentError> {
        let url = self.url(path);
        let req = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap_or_default());
        self.send("POST", url.clone(), req)
    }

    /// `PUT path` with a JSON body.
    ///
    /// # Errors
    /// [`AgentError::Http`] when no response arrives.
    pub fn put_json(&self, path: &str, body: &Value) -> Result<Response, AgentError> {
        let url = self.url(path);
        let req = self
            .http
            .put(&url)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap_or_default());
        self.send("PUT", url.clone(), req)
    }

    /// `POST path` with a raw body of the given content type.
    ///
    /// # Errors
    /// [`AgentError::Http`] when no response arrives.
    pub fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> Result<Response, AgentError> {
        let url = self.url(path);
        let req = self
            .http
            .post(&url)
            .header("content-type", content_type)
            .body(body);
        self.send("POST", url.clone(), req)
    }
}

/// The `credential_offer_uri` of an `openid-credential-offer://?credential_offer_uri=…` URL.
pub fn offer_uri_of(offer_url: &str) -> Option<String> {
    let query = offer_url.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "credential_offer_uri")
        .map(|(_, v)| v.into_owned())
}

/// The inline `credential_offer` object of a by-value offer URL.
pub fn offer_value_of(offer_url: &str) -> Option<Value> {
    let query = offer_url.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "credential_offer")
        .and_then(|(_, v)| serde_json::from_str(&v).ok())
}
