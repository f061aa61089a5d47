//! Agents on PostgreSQL (issue 16): two agent processes on one database keep every guarantee
//! one agent gives; a database restart under load answers 503 and recovers; `store copy`
//! moves an institution's data between a data directory and PostgreSQL without re-issuing.
//! Each test starts a throw-away cluster; the agents share its URL, the key-encryption key and
//! the operator token, as `docs/deploy.md` says.

mod support;

use std::ffi::OsStr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rosette_test_postgres::Cluster;
use rosette_tests::agent::{Agent, Client, offer_value_of};
use serde_json::{Value, json};
use support::{
    binaries, claimed, create_achievement, create_institution, create_offer, expect, harness,
    spawn_wallet, str_field,
};

const OPERATOR_TOKEN: &str = "rosette_at_replica-test-operator-token-0123456789";
const KEK: &str = "p6T5PfH_aUX8R_oDRl48L1f8ElTou6vIwuFFIlYneeI";

struct Replicas {
    a: Agent,
    b: Agent,
    _dirs: Vec<tempfile::TempDir>,
    _cluster: Cluster,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A config file for one replica: the shared database, KEK and operator token.
fn config(dir: &Path, database_url: &str) -> std::path::PathBuf {
    let kek = dir.join("kek");
    std::fs::write(&kek, KEK).unwrap();
    let path = dir.join("rosette.toml");
    std::fs::write(
        &path,
        format!(
            "operator_token = \"{OPERATOR_TOKEN}\"\nkek_file = \"{}\"\n\n[storage]\ndatabase_url = \"{database_url}\"\n",
            kek.display()
        ),
    )
    .unwrap();
    path
}

/// Agent A on a fixed port, agent B anywhere; both announce A's address as the public URL
/// (the load balancer's, in production), so offers made on B are claimed through A.
fn start_replicas() -> Replicas {
    let cluster = Cluster::start();
    let url = cluster.create_database("rosette");
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let mut dirs = Vec::new();
    let mut start = |listen: &str| {
        let dir = tempfile::tempdir().unwrap();
        let config = config(dir.path(), &url);
        let agent = Agent::start_with(
            &binaries().agent,
            &dir.path().join("data"),
            false,
            listen,
            Some(&public),
            &[OsStr::new("--config"), config.as_os_str()],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        dirs.push(dir);
        agent
    };
    let a = start(&format!("127.0.0.1:{port}"));
    let b = start("127.0.0.1:0");
    Replicas {
        a,
        b,
        _dirs: dirs,
        _cluster: cluster,
    }
}

fn pre_authorized_code(offer: &Value) -> String {
    let value = offer_value_of(str_field(offer, "offer_url_by_value")).expect("offer by value");
    value["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
        .as_str()
        .expect("pre-authorized code")
        .to_owned()
}

fn form_body(pairs: &[(&str, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn token_request(base: &str, slug: &str, code: &str, pin: Option<&str>) -> (u16, Value) {
    let mut form = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:pre-authorized_code".to_owned(),
        ),
        ("pre-authorized_code", code.to_owned()),
    ];
    if let Some(pin) = pin {
        form.push(("tx_code", pin.to_owned()));
    }
    let response = reqwest::blocking::Client::new()
        .post(format!("{base}/issuers/{slug}/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&form))
        .send()
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap_or(Value::Null))
}

#[test]
fn two_agents_on_one_database_keep_every_guarantee() {
    let replicas = start_replicas();
    let (a, b) = (&replicas.a, &replicas.b);
    let op_b = Client::new(&b.local_url(), Some(OPERATOR_TOKEN));

    // An institution and an offer made through B ...
    let inst = create_institution(&op_b, "acme", "Acme University");
    let admin_b = Client::new(&b.local_url(), Some(&inst.admin_token));
    let admin_a = Client::new(&a.local_url(), Some(&inst.admin_token));
    let achievement = create_achievement(&admin_b, "acme", "Replicated Badge");
    let offer = create_offer(&admin_b, "acme", &achievement, true, "Ada Lovelace");
    assert!(
        str_field(&offer, "claim_page").starts_with(&a.local_url()),
        "the offer names the shared public URL (A's): {offer}"
    );
    // ... claimed by the oid4vc-ts wallet through A.
    let out = tempfile::tempdir().unwrap();
    let claim = claimed(
        spawn_wallet(
            &harness(),
            str_field(&offer, "offer_url"),
            offer["tx_code"].as_str(),
            out.path(),
        )
        .wait()
        .unwrap(),
    );
    assert!(!claim.files.is_empty(), "no credential: {:?}", claim.run);

    // 1,000 concurrent redemptions of one code, half on each agent: exactly one token.
    let offer = create_offer(&admin_a, "acme", &achievement, false, "Grace Hopper");
    let code = Arc::new(pre_authorized_code(&offer));
    let granted = Arc::new(AtomicUsize::new(0));
    let refused = Arc::new(AtomicUsize::new(0));
    let bases = [a.local_url(), b.local_url()];
    std::thread::scope(|s| {
        for t in 0..20 {
            let (code, granted, refused) = (code.clone(), granted.clone(), refused.clone());
            let base = bases[t % 2].clone();
            s.spawn(move || {
                for _ in 0..50 {
                    let (status, body) = token_request(&base, "acme", &code, None);
                    match status {
                        200 => granted.fetch_add(1, Ordering::SeqCst),
                        400 => {
                            assert_eq!(body["error"], "invalid_grant", "{body}");
                            refused.fetch_add(1, Ordering::SeqCst)
                        }
                        other => panic!("redemption answered {other}: {body}"),
                    };
                }
            });
        }
    });
    assert_eq!(granted.load(Ordering::SeqCst), 1, "tokens granted");
    assert_eq!(refused.load(Ordering::SeqCst), 999);

    // A PIN locked through A is locked on B.
    let offer = create_offer(&admin_a, "acme", &achievement, true, "Alan Turing");
    let code = pre_authorized_code(&offer);
    let pin = str_field(&offer, "tx_code").to_owned();
    let wrong = if pin == "000000" { "111111" } else { "000000" };
    // 20 wrong PINs (the default max_tx_code_attempts) lock the offer for everyone.
    for _ in 0..20 {
        let (status, body) = token_request(&a.local_url(), "acme", &code, Some(wrong));
        assert_eq!(
            (status, &body["error"]),
            (400, &json!("invalid_grant")),
            "{body}"
        );
    }
    let (status, body) = token_request(&b.local_url(), "acme", &code, Some(&pin));
    assert_eq!(
        status, 400,
        "the right PIN on B after the lock on A: {body}"
    );
    let listed = expect(
        admin_b.get("/issuers/acme/admin/offers?state=locked"),
        200,
        "locked offers on B",
    );
    assert_eq!(listed["items"][0]["id"], offer["id"], "{listed}");

    // An institution's display changed through A is served by B at once, though B has
    // served (and cached) the old one.
    let metadata_path = "/.well-known/openid-credential-issuer/issuers/acme";
    let before = expect(
        Client::new(&b.local_url(), None).get(metadata_path),
        200,
        "metadata on B",
    );
    assert!(before.to_string().contains("Acme University"), "{before}");
    expect(
        admin_a.put_json(
            "/issuers/acme/admin/institution",
            &json!({"name": "Acme Institute of Technology"}),
        ),
        200,
        "PUT institution on A",
    );
    let metadata = expect(
        Client::new(&b.local_url(), None).get(metadata_path),
        200,
        "metadata on B",
    );
    assert!(
        metadata
            .to_string()
            .contains("Acme Institute of Technology"),
        "B serves a stale institution: {metadata}"
    );

    // A console session made on A works on B.
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http
        .post(format!("{}/console/login", a.local_url()))
        .header("origin", a.url())
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("slug", "acme".to_owned()),
            ("token", inst.admin_token.clone()),
        ]))
        .send()
        .unwrap();
    assert_eq!(login.status().as_u16(), 303, "sign-in on A");
    let cookie = login
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let page = http
        .get(format!("{}/console/acme", b.local_url()))
        .header("cookie", &cookie)
        .send()
        .unwrap();
    assert_eq!(page.status().as_u16(), 200, "the session of A on B");
    assert!(
        page.text()
            .unwrap()
            .contains("Acme Institute of Technology")
    );

    // A presentation state answered on A is refused on B.
    let created = expect(
        admin_a.post_json(
            "/verifiers/acme/admin/presentation-requests",
            &json!({"formats": ["jwt_vc_json"]}),
        ),
        201,
        "presentation request on A",
    );
    let request_url = url::Url::parse(str_field(&created, "request_url")).unwrap();
    let request_uri = request_url
        .query_pairs()
        .find(|(k, _)| k == "request_uri")
        .map(|(_, v)| v.into_owned())
        .expect("request_uri");
    let object = reqwest::blocking::get(request_uri.replace(a.url(), &a.local_url()))
        .unwrap()
        .text()
        .unwrap();
    let payload = object.split('.').nth(1).expect("a signed request object");
    let payload: Value = serde_json::from_slice(
        &base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
            .unwrap(),
    )
    .unwrap();
    let state = str_field(&payload, "state").to_owned();
    let declined = form_body(&[("error", "access_denied".to_owned()), ("state", state)]);
    let answer = |base: &str| {
        let r = reqwest::blocking::Client::new()
            .post(format!("{base}/verifiers/acme/response"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(declined.clone())
            .send()
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().unwrap_or(Value::Null))
    };
    assert_eq!(answer(&a.local_url()).0, 200, "the first answer, on A");
    let (status, body) = answer(&b.local_url());
    assert_eq!(status, 400, "the same state again, on B: {body}");

    // A dump of the database, read without the KEK, holds no private key: the signing keys
    // and the server secret are there only sealed.
    let dump = String::from_utf8_lossy(&replicas._cluster.dump("rosette")).into_owned();
    let values = bytea_values(&dump);
    assert!(
        values.len() > 10,
        "read {} values from the dump",
        values.len()
    );
    let all = values.join("\n");
    assert!(
        !all.contains("\"d\":\""),
        "a private JWK member in the dump"
    );
    assert!(all.contains("kek1."), "no sealed value in the dump");
}

/// The `bytea` values of a plain `pg_dump` (written as `\x` and hex), decoded as text.
fn bytea_values(dump: &str) -> Vec<String> {
    dump.split("\\x")
        .skip(1)
        .filter_map(|rest| {
            let hex: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
            hex::decode(&hex).ok()
        })
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect()
}

#[test]
fn a_shared_database_needs_the_same_kek_and_operator_token_on_every_agent() {
    let cluster = Cluster::start();
    let url = cluster.create_database("rosette");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rosette.toml");
    std::fs::write(
        &config,
        format!("operator_token = \"{OPERATOR_TOKEN}\"\n\n[storage]\ndatabase_url = \"{url}\"\n"),
    )
    .unwrap();
    let err = Agent::start_with(
        &binaries().agent,
        &dir.path().join("data"),
        false,
        "127.0.0.1:0",
        None,
        &[OsStr::new("--config"), config.as_os_str()],
    )
    .expect_err("an agent on a shared database without a configured KEK");
    assert!(err.to_string().contains("same"), "{err}");
}

/// The database restarted under load: while it is down every answer is 503 with
/// `Retry-After` (never a 500, never a dropped connection), `/health/ready` says so, and the
/// agent recovers by itself when the database is back.
#[test]
fn database_restarted_under_load() {
    let cluster = Cluster::start();
    let url = cluster.create_database("rosette");
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path(), &url);
    let agent = Agent::start_with(
        &binaries().agent,
        &dir.path().join("data"),
        false,
        "127.0.0.1:0",
        None,
        &[OsStr::new("--config"), config.as_os_str()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let op = Client::new(agent.url(), Some(OPERATOR_TOKEN));
    let inst = create_institution(&op, "acme", "Acme University");
    let admin = Client::new(agent.url(), Some(&inst.admin_token));
    let achievement = create_achievement(&admin, "acme", "Uptime Badge");

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let statuses = Arc::new(std::sync::Mutex::new(
        std::collections::BTreeMap::<u16, u32>::new(),
    ));
    let base = agent.url().to_owned();
    let load: Vec<_> = (0..4)
        .map(|_| {
            let (stop, statuses, base) = (stop.clone(), statuses.clone(), base.clone());
            let token = inst.admin_token.clone();
            let achievement = achievement.clone();
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::new();
                while !stop.load(Ordering::SeqCst) {
                    let response = http
                        .post(format!("{base}/issuers/acme/admin/offers"))
                        .bearer_auth(&token)
                        .json(
                            &json!({"achievement_id": achievement, "recipient": {"name": "Load"}}),
                        )
                        .send()
                        .expect("every request is answered");
                    let status = response.status().as_u16();
                    if status == 503 {
                        assert!(
                            response.headers().contains_key("retry-after"),
                            "503 without Retry-After"
                        );
                    }
                    *statuses.lock().unwrap().entry(status).or_default() += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(500));
    cluster.stop();
    std::thread::sleep(std::time::Duration::from_secs(3));
    let ready = reqwest::blocking::get(format!("{base}/health/ready")).unwrap();
    assert_eq!(
        ready.status().as_u16(),
        503,
        "ready while the database is down"
    );
    let metadata = reqwest::blocking::get(format!(
        "{base}/.well-known/openid-credential-issuer/issuers/acme"
    ))
    .unwrap();
    assert_eq!(metadata.status().as_u16(), 503);
    assert!(metadata.headers().contains_key("retry-after"));
    let body: Value = metadata.json().unwrap();
    assert_eq!(body["error"], "temporarily_unavailable", "{body}");
    cluster.restart();
    let mut recovered = false;
    for _ in 0..100 {
        let ready = reqwest::blocking::get(format!("{base}/health/ready")).unwrap();
        if ready.status().as_u16() == 200 {
            recovered = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(
        recovered,
        "the agent did not recover after the database came back"
    );
    std::thread::sleep(std::time::Duration::from_millis(500));
    stop.store(true, Ordering::SeqCst);
    for thread in load {
        thread.join().unwrap();
    }
    let statuses = statuses.lock().unwrap().clone();
    let created = statuses.get(&201).copied().unwrap_or(0);
    let unavailable = statuses.get(&503).copied().unwrap_or(0);
    assert!(created > 0 && unavailable > 0, "{statuses:?}");
    assert_eq!(
        statuses
            .keys()
            .copied()
            .filter(|s| ![201, 503].contains(s))
            .count(),
        0,
        "only 201 and 503: {statuses:?}"
    );
    // After recovery the agent works as before.
    create_offer(&admin, "acme", &achievement, false, "After Recovery");
    let stderr = agent.stderr();
    assert!(!stderr.contains("panicked"), "{stderr}");
    eprintln!("offers during the restart: {statuses:?}");
}

/// `POST /verify` with the credential; the names of its failed checks.
fn failed_checks(agent_url: &str, credential: &[u8]) -> Vec<String> {
    let res = reqwest::blocking::Client::new()
        .post(format!("{agent_url}/verify"))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .body(credential.to_vec())
        .send()
        .expect("POST /verify");
    assert_eq!(res.status().as_u16(), 200);
    let verdict: Value = res.json().expect("verdict JSON");
    verdict["verdict"]["checks"]
        .as_array()
        .unwrap_or_else(|| panic!("no checks in {verdict}"))
        .iter()
        .filter(|c| c["outcome"] == "failed")
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect()
}

fn store_copy(from: &str, to: &str) -> String {
    let out = std::process::Command::new(&binaries().agent)
        .args(["store", "copy", "--from", from, "--to", to])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "store copy {from} → {to}: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("every table's count"), "{stdout}");
    stdout
}

/// A data directory moved to PostgreSQL and back: every record equal (counts and digests,
/// checked by the command), and a credential issued before the moves still verifies and can
/// still be revoked after them.
#[test]
fn store_copy_embedded_to_postgres_and_back() {
    let cluster = Cluster::start();
    let url = cluster.create_database("moved");
    let work = tempfile::tempdir().unwrap();
    let kek = work.path().join("kek");
    std::fs::write(&kek, KEK).unwrap();
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let start = |data: &Path, database: Option<&str>| {
        let config = work.path().join("rosette.toml");
        let mut text = format!(
            "operator_token = \"{OPERATOR_TOKEN}\"\nkek_file = \"{}\"\n",
            kek.display()
        );
        if let Some(url) = database {
            text.push_str(&format!("\n[storage]\ndatabase_url = \"{url}\"\n"));
        }
        std::fs::write(&config, text).unwrap();
        Agent::start_with(
            &binaries().agent,
            data,
            false,
            &listen,
            Some(&public),
            &[OsStr::new("--config"), config.as_os_str()],
        )
        .unwrap_or_else(|e| panic!("{e}"))
    };

    // Issued on the embedded store.
    let first = work.path().join("first");
    let agent = start(&first, None);
    let op = Client::new(agent.url(), Some(OPERATOR_TOKEN));
    let inst = create_institution(&op, "acme", "Acme University");
    let admin = Client::new(agent.url(), Some(&inst.admin_token));
    let achievement = create_achievement(&admin, "acme", "Portable Badge");
    let offer = create_offer(&admin, "acme", &achievement, false, "Ada Lovelace");
    let out = tempfile::tempdir().unwrap();
    let claim = claimed(
        spawn_wallet(&harness(), str_field(&offer, "offer_url"), None, out.path())
            .wait()
            .unwrap(),
    );
    let file = claim
        .files
        .iter()
        .find(|f| f.extension().is_some_and(|e| e == "json"))
        .expect("an ldp_vc credential");
    let credential = std::fs::read(file).unwrap();
    let credential_id = serde_json::from_slice::<Value>(&credential).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        failed_checks(agent.url(), &credential),
        Vec::<String>::new()
    );
    agent.terminate(std::time::Duration::from_secs(20)).unwrap();

    // Embedded → PostgreSQL: the agent on the database serves the same institution.
    store_copy(first.to_str().unwrap(), &url);
    let agent = start(&work.path().join("pg-data"), Some(&url));
    assert_eq!(
        failed_checks(agent.url(), &credential),
        Vec::<String>::new()
    );
    agent.terminate(std::time::Duration::from_secs(20)).unwrap();

    // PostgreSQL → a new data directory, and the credential is revoked there.
    let back = work.path().join("back");
    store_copy(&url, back.to_str().unwrap());
    let agent = start(&back, None);
    let admin = Client::new(agent.url(), Some(&inst.admin_token));
    assert_eq!(
        failed_checks(agent.url(), &credential),
        Vec::<String>::new()
    );
    expect(
        admin.post_json(
            "/issuers/acme/admin/credentials/status",
            &json!({"credential_id": credential_id, "action": "revoke", "reason": "moved"}),
        ),
        200,
        "revoke after the moves",
    );
    assert_eq!(failed_checks(agent.url(), &credential), ["status"]);
    agent.terminate(std::time::Duration::from_secs(20)).unwrap();

    // A non-empty target is refused, and nothing is written to it.
    let out = std::process::Command::new(&binaries().agent)
        .args([
            "store",
            "copy",
            "--from",
            back.to_str().unwrap(),
            "--to",
            &url,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A 5,000-row bulk job whose agent is killed (SIGKILL) midway is finished by the other agent:
/// every line one offer, none duplicated, the report complete.
#[test]
fn replica_killed_during_a_bulk_job() {
    const ROWS: usize = 5_000;
    let replicas = start_replicas();
    let op = Client::new(&replicas.b.local_url(), Some(OPERATOR_TOKEN));
    let inst = create_institution(&op, "acme", "Acme University");
    let admin_a = Client::new(&replicas.a.local_url(), Some(&inst.admin_token));
    let admin_b = Client::new(&replicas.b.local_url(), Some(&inst.admin_token));
    let achievement = create_achievement(&admin_a, "acme", "Bulk Badge");
    let mut csv = String::from("name,email,achievement_id\n");
    for row in 0..ROWS {
        csv.push_str(&format!("Learner {row},l{row}@example.org,{achievement}\n"));
    }
    let started = expect(
        admin_a.post_raw(
            "/issuers/acme/admin/offers/bulk-jobs",
            "text/csv",
            csv.into_bytes(),
        ),
        202,
        "start the job on A",
    );
    let job = format!(
        "/issuers/acme/admin/offers/bulk-jobs/{}",
        str_field(&started, "job_id")
    );
    // Seen from B while A runs it.
    loop {
        let p = expect(admin_b.get(&job), 200, "progress on B");
        assert_ne!(p["done"], true, "the job ended before the kill: {p}");
        if p["processed"].as_u64().unwrap_or(0) >= 200 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let Replicas {
        a,
        b,
        _dirs,
        _cluster,
    } = replicas;
    a.kill().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(180);
    let report = loop {
        let p = match admin_b.get(&job) {
            Ok(r) if r.status == 200 => r.body,
            other => panic!("progress on B: {other:?}\nB's log:\n{}", b.stderr()),
        };
        if p["done"] == true {
            break p;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "B did not finish the job: {p}"
        );
        std::thread::sleep(std::time::Duration::from_millis(250));
    };
    assert_eq!(report["state"], "done", "{report}");
    assert_eq!(report["processed"], ROWS, "{report}");
    assert_eq!(report["created_count"], ROWS, "{report}");
    let offers = expect(
        admin_b.get_all_pages("/issuers/acme/admin/offers?limit=1000"),
        200,
        "offers on B",
    );
    let items = offers["items"].as_array().unwrap();
    assert_eq!(items.len(), ROWS, "one offer per line");
    let mut names: Vec<&str> = items
        .iter()
        .map(|o| o["recipient"]["name"].as_str().unwrap_or_default())
        .collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ROWS, "a line became two offers");
    assert!(!b.stderr().contains("panicked"));
}

const NEXT_KEK: &str = "9qD1f3kV0yq0gD8i2XH2r8S3N2m8Q2Qy0uJ0m0Tn3bA";

/// One agent on `url` with KEK `kek` (seals) and `other` (opens too).
fn start_with_keks(
    dir: &Path,
    url: &str,
    listen: &str,
    public: &str,
    kek: &str,
    other: &str,
) -> Agent {
    std::fs::create_dir_all(dir).unwrap();
    let (kek_file, other_file) = (dir.join("kek"), dir.join("kek.other"));
    std::fs::write(&kek_file, kek).unwrap();
    std::fs::write(&other_file, other).unwrap();
    let config = dir.join("rosette.toml");
    std::fs::write(
        &config,
        format!(
            "operator_token = \"{OPERATOR_TOKEN}\"\nkek_file = \"{}\"\nkek_other_file = \"{}\"\n\n[storage]\ndatabase_url = \"{url}\"\n",
            kek_file.display(),
            other_file.display()
        ),
    )
    .unwrap();
    Agent::start_with(
        &binaries().agent,
        &dir.join("data"),
        false,
        listen,
        Some(public),
        &[OsStr::new("--config"), config.as_os_str()],
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

fn rotate(url: &str, current: &str, other: &str, to: &Path) {
    let out = std::process::Command::new(&binaries().agent)
        .args(["keys", "rotate-kek", "--database-url", url, "--to"])
        .arg(to)
        .env("ROSETTE_KEK", current)
        .env("ROSETTE_KEK_OTHER", other)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "rotate-kek: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The ids of the KEKs the database's signing keys are sealed under.
fn sealing_keks(cluster: &Cluster) -> Vec<String> {
    let dump = String::from_utf8_lossy(&cluster.dump("rosette")).into_owned();
    let mut ids: Vec<String> = bytea_values(&dump)
        .iter()
        .filter(|v| v.contains("private_jwk"))
        .filter_map(|v| {
            let at = v.find("kek1.")?;
            v[at + 5..].split('.').next().map(str::to_owned)
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

fn claim_one(admin: &Client, slug: &str, achievement: &str) {
    let offer = create_offer(admin, slug, achievement, false, "Kek Rotation");
    let out = tempfile::tempdir().unwrap();
    let claim = claimed(
        spawn_wallet(&harness(), str_field(&offer, "offer_url"), None, out.path())
            .wait()
            .unwrap(),
    );
    assert!(!claim.files.is_empty());
}

/// The KEK is rotated while two agents keep serving (docs/deploy.md): every agent opens both
/// keys, the database is re-sealed under the new one in one write, the agents move to the new
/// key one at a time, and every signing key keeps working on both agents throughout.
#[test]
fn rotate_kek_while_agents_keep_serving() {
    use rosette_core::kek::Kek;
    let cluster = Cluster::start();
    let url = cluster.create_database("rosette");
    let work = tempfile::tempdir().unwrap();
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let listen_a = format!("127.0.0.1:{port}");
    let (old_id, new_id) = (
        Kek::parse(KEK).unwrap().id().to_owned(),
        Kek::parse(NEXT_KEK).unwrap().id().to_owned(),
    );
    let next_file = work.path().join("next.kek");
    std::fs::write(&next_file, NEXT_KEK).unwrap();
    // Step 1: both agents seal under the old key and also open the next one.
    let a = start_with_keks(
        &work.path().join("a"),
        &url,
        &listen_a,
        &public,
        KEK,
        NEXT_KEK,
    );
    let b = start_with_keks(
        &work.path().join("b"),
        &url,
        "127.0.0.1:0",
        &public,
        KEK,
        NEXT_KEK,
    );
    let op = Client::new(&a.local_url(), Some(OPERATOR_TOKEN));
    let acme = create_institution(&op, "acme", "Acme University");
    let admin_acme = Client::new(&a.local_url(), Some(&acme.admin_token));
    let badge = create_achievement(&admin_acme, "acme", "Rotated Badge");
    claim_one(&admin_acme, "acme", &badge);
    assert_eq!(sealing_keks(&cluster), vec![old_id]);

    // Load on both agents for the whole rotation: offers made and metadata read.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let load: Vec<_> = [a.local_url(), b.local_url()]
        .into_iter()
        .map(|base| {
            let (stop, failures, done) = (stop.clone(), failures.clone(), done.clone());
            let (token, badge) = (acme.admin_token.clone(), badge.clone());
            std::thread::spawn(move || {
                let admin = Client::new(&base, Some(&token));
                while !stop.load(Ordering::SeqCst) {
                    let made = admin.post_json(
                        "/issuers/acme/admin/offers",
                        &json!({"achievement_id": badge, "recipient": {"name": "Load"}}),
                    );
                    match made {
                        Ok(r) if r.status == 201 => done.fetch_add(1, Ordering::SeqCst),
                        Ok(_) => failures.fetch_add(1, Ordering::SeqCst),
                        // A restarting (step 3): the proxy would send these to B.
                        Err(_) => 0,
                    };
                }
            })
        })
        .collect();

    // Step 2: the database is re-sealed under the next key while both agents serve.
    rotate(&url, KEK, NEXT_KEK, &next_file);
    assert_eq!(sealing_keks(&cluster), vec![new_id.clone()]);
    // B still seals under the old key: an institution made there now.
    let op_b = Client::new(&b.local_url(), Some(OPERATOR_TOKEN));
    let beta = create_institution(&op_b, "beta", "Beta College");
    let admin_beta = Client::new(&a.local_url(), Some(&beta.admin_token));
    let beta_badge = create_achievement(&admin_beta, "beta", "Beta Badge");
    claim_one(&admin_acme, "acme", &badge);
    claim_one(&admin_beta, "beta", &beta_badge);

    // Step 3: A restarts on the next key (the old one still opens).
    a.terminate(std::time::Duration::from_secs(30)).unwrap();
    let a = start_with_keks(
        &work.path().join("a2"),
        &url,
        &listen_a,
        &public,
        NEXT_KEK,
        KEK,
    );
    let admin_acme = Client::new(&a.local_url(), Some(&acme.admin_token));
    let admin_beta = Client::new(&a.local_url(), Some(&beta.admin_token));
    claim_one(&admin_acme, "acme", &badge);
    claim_one(&admin_beta, "beta", &beta_badge);
    // Step 4: what was sealed under the old key in the meantime is re-sealed.
    rotate(&url, NEXT_KEK, KEK, &next_file);
    assert_eq!(sealing_keks(&cluster), [new_id]);
    claim_one(&admin_beta, "beta", &beta_badge);

    stop.store(true, Ordering::SeqCst);
    for thread in load {
        thread.join().unwrap();
    }
    assert_eq!(
        failures.load(Ordering::SeqCst),
        0,
        "requests failed during the rotation"
    );
    assert!(done.load(Ordering::SeqCst) > 0);
    drop(b);
}
