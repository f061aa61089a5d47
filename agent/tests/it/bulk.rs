//! Bulk issue jobs: `POST /issuers/{slug}/admin/offers/bulk-jobs` starts one, `GET …/{id}`
//! reports its progress, then the per-row result.

use serde_json::{Value, json};

use crate::common::*;

/// Lines (1-based, the header is line 1) of the three bad rows in [`thousand_rows`].
pub const BAD_LINES: [usize; 3] = [101, 502, 903];

/// A 1,000-row upload for `achievement` with three bad rows: a wrong field count (line 101),
/// an unknown achievement (line 502) and a bad pin value (line 903).
pub fn thousand_rows(achievement: &str) -> String {
    let mut csv = String::from("name,email,achievement_id,pin\n");
    for row in 1..=1000 {
        let line = row + 1;
        let text = match line {
            101 => format!("Learner {row},learner{row}@example.org\n"),
            502 => format!("Learner {row},learner{row}@example.org,no-such-achievement,yes\n"),
            903 => format!("Learner {row},learner{row}@example.org,{achievement},perhaps\n"),
            _ => format!("Learner {row},learner{row}@example.org,{achievement},yes\n"),
        };
        csv.push_str(&text);
    }
    csv
}

async fn post_csv(server: &TestServer, slug: &str, token: &str, csv: &str) -> (u16, Value) {
    let r = server
        .http
        .post(format!("{}/admin/offers/bulk-jobs", server.issuer(slug)))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn thousand_rows_three_bad_progress_then_report() {
    let server = start().await;
    let token = server.institution("acme").await;
    let achievement = server.achievement("acme", &token).await;
    let (status, started) = post_csv(&server, "acme", &token, &thousand_rows(&achievement)).await;
    assert_eq!(status, 202, "{started}");
    assert_eq!(started["total_rows"], 1000);
    let id = started["job_id"].as_str().unwrap().to_owned();
    let path = format!("/issuers/acme/admin/offers/bulk-jobs/{id}");

    // Poll while it runs; remember every progress value seen before the end.
    let mut seen_running = Vec::new();
    let done = loop {
        let (status, progress) = server.get_json(&path, &token).await;
        assert_eq!(status, 200, "{progress}");
        assert_eq!(progress["total_rows"], 1000);
        if progress["done"] == true {
            break progress;
        }
        assert_eq!(progress["state"], "running");
        assert!(progress.get("created").is_none(), "results only once done");
        seen_running.push(progress["processed"].as_u64().unwrap());
        tokio::task::yield_now().await;
    };
    assert!(
        seen_running.iter().any(|&p| p < 1000),
        "no progress below the total was seen while running: {seen_running:?}"
    );
    assert!(
        seen_running.windows(2).all(|w| w[0] <= w[1]),
        "progress only grows: {seen_running:?}"
    );
    assert_eq!(done["state"], "done");
    assert_eq!(done["processed"], 1000);
    assert_eq!(done["created_count"], 997);
    assert!(done["finished_at"].is_string());
    let errors = done["errors"].as_array().unwrap();
    let lines: Vec<u64> = errors.iter().map(|e| e["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, BAD_LINES.map(|l| l as u64));
    assert_eq!(
        errors[0]["message"],
        "expected 4 fields, found 2 in \"Learner 100,learner100@example.org\""
    );
    // Every refusal repeats the value that was refused.
    assert_eq!(
        errors[1]["message"],
        "achievement \"no-such-achievement\" not found: use an id or key shown on the \
         Achievements page"
    );
    assert!(errors[2]["message"].as_str().unwrap().contains("perhaps"));
    let created = done["created"].as_array().unwrap();
    assert_eq!(created.len(), 997);
    assert_eq!(created[0]["line"], 2);
    assert!(
        created[0]["claim_page"]
            .as_str()
            .unwrap()
            .contains("/claim/")
    );
    assert_eq!(created[0]["tx_code"].as_str().unwrap().len(), 6);

    // Every created offer is really there.
    let mut listed = 0;
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor
            .as_ref()
            .map(|c| format!("&cursor={c}"))
            .unwrap_or_default();
        let (_, page) = server
            .get_json(&format!("/issuers/acme/admin/offers?limit=500{q}"), &token)
            .await;
        listed += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(listed, 997);
    server.stop().await;
}

#[tokio::test]
async fn jobs_are_per_institution_and_junk_is_refused() {
    let server = start().await;
    let acme = server.institution("acme").await;
    let other = server.institution("other").await;
    let achievement = server.achievement("acme", &acme).await;
    let csv = format!("name,email,achievement_id\nAda,ada@example.org,{achievement}\n");
    let (status, started) = post_csv(&server, "acme", &acme, &csv).await;
    assert_eq!(status, 202, "{started}");
    let id = started["job_id"].as_str().unwrap();

    // Another institution's token, on either path, and the operator elsewhere: not found.
    let (status, _) = server
        .get_json(
            &format!("/issuers/acme/admin/offers/bulk-jobs/{id}"),
            &other,
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = server
        .get_json(
            &format!("/issuers/other/admin/offers/bulk-jobs/{id}"),
            &other,
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = server
        .get_json(
            &format!("/issuers/other/admin/offers/bulk-jobs/{id}"),
            OPERATOR,
        )
        .await;
    assert_eq!(status, 404);
    let (status, _) = server
        .get_json(
            &format!("/issuers/acme/admin/offers/bulk-jobs/{id}"),
            "wrong",
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = post_csv(&server, "acme", &other, &csv).await;
    assert_eq!(status, 403);

    // Junk: a clear 400 and no job.
    for (junk, expect) in [
        ("", "empty CSV"),
        ("\u{1}\u{2}garbage;;;\n1,2,3\n", "CSV header must be"),
        ("name,email,achievement_id\n", "no rows"),
    ] {
        let (status, body) = post_csv(&server, "acme", &acme, junk).await;
        assert_eq!(status, 400, "{junk:?}: {body}");
        assert_eq!(body["error"], "invalid_request");
        let description = body["error_description"].as_str().unwrap();
        assert!(description.contains(expect), "{junk:?}: {description}");
    }
    let r = server
        .http
        .post(format!("{}/admin/offers/bulk-jobs", server.issuer("acme")))
        .bearer_auth(&acme)
        .body(vec![0xff, 0xfe, 0x00, 0x41])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error_description"], "the CSV is not UTF-8 text");

    // The job itself finished with its one offer.
    let path = format!("/issuers/acme/admin/offers/bulk-jobs/{id}");
    let done = loop {
        let (_, p) = server.get_json(&path, &acme).await;
        if p["done"] == true {
            break p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    assert_eq!(done["created_count"], 1, "{done}");
    let (status, _) = server
        .get_json("/issuers/acme/admin/offers/bulk-jobs/no-such-job", &acme)
        .await;
    assert_eq!(status, 404);
    server.stop().await;
}

/// Runs `rosette-agent import-offers` (on the blocking pool: the server runs on this runtime).
async fn import_offers(args: Vec<String>, token: Option<&str>) -> std::process::Output {
    let token = token.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_rosette-agent"));
        command.arg("import-offers").args(&args);
        command.env_remove("ROSETTE_ADMIN_TOKEN");
        if let Some(t) = token {
            command.env("ROSETTE_ADMIN_TOKEN", t);
        }
        command.output().unwrap()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_import_reports_bad_lines_and_exit_codes() {
    let server = start().await;
    let token = server.institution("acme").await;
    let achievement = server.achievement("acme", &token).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cohort.csv");
    std::fs::write(&file, thousand_rows(&achievement)).unwrap();
    let file = file.to_str().unwrap().to_owned();
    let base = |extra: &[&str]| {
        let mut args = vec![
            "--url".to_owned(),
            server.url.clone(),
            "--institution".to_owned(),
            "acme".to_owned(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        args
    };

    // Text report: exit 2, the three lines.
    let out = import_offers(base(&[&file]), Some(&token)).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("created 997 offers from 1000 rows"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 101: expected 4 fields, found 2 in"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 502: achievement \"no-such-achievement\" not found"),
        "{stdout}"
    );
    assert!(
        stdout.contains("line 903: pin must be true or false"),
        "{stdout}"
    );
    // stderr is not a terminal here: no bar, one final line.
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("997 offers created, 3 rows refused"),
        "{stderr}"
    );

    // --json: one object on stdout; the token from a file.
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let out = import_offers(
        base(&[
            "--json",
            "--token-file",
            token_file.to_str().unwrap(),
            &file,
        ]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["created_count"], 997);
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, BAD_LINES.map(|l| l as u64));
    assert_eq!(report["created"].as_array().unwrap().len(), 997);

    // All rows good: exit 0.
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        format!("name,email,achievement_id\nAda,ada@example.org,{achievement}\n"),
    )
    .unwrap();
    let out = import_offers(base(&[good.to_str().unwrap()]), Some(&token)).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    // Errors: exit 1 with a message that says what is wrong.
    let expect_error = |out: std::process::Output, needle: &str| {
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(1), "{needle}: {stderr}");
        assert!(stderr.contains(needle), "{needle}: {stderr}");
    };
    expect_error(
        import_offers(base(&[&file]), Some("wrong-token")).await,
        "admin token was refused (401)",
    );
    expect_error(
        import_offers(base(&[&file]), None).await,
        "set ROSETTE_ADMIN_TOKEN or pass --token-file",
    );
    expect_error(
        import_offers(base(&["/no/such/file.csv"]), Some(&token)).await,
        "cannot read /no/such/file.csv",
    );
    let junk = dir.path().join("junk.csv");
    std::fs::write(&junk, "hello;world\n1;2\n").unwrap();
    expect_error(
        import_offers(base(&[junk.to_str().unwrap()]), Some(&token)).await,
        "the agent refused the file: CSV header must be name,email,achievement_id[,pin]",
    );
    // Nothing listens on a port just released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    expect_error(
        import_offers(
            vec![
                "--url".into(),
                closed_url,
                "--institution".into(),
                "acme".into(),
                file.clone(),
            ],
            Some(&token),
        )
        .await,
        "connection refused",
    );
    server.stop().await;
}

// ---- the console's bulk page (no browser)

/// A signed-in console browser: session cookie and CSRF token (test helper, also used by the
/// verifier page tests).
pub struct Staff {
    pub cookie: String,
    pub csrf: String,
}

impl std::fmt::Debug for Staff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Staff(<session redacted>)")
    }
}

pub fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in to the console of `slug` with `token`.
pub async fn console_login(server: &TestServer, slug: &str, token: &str) -> Staff {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("slug", slug), ("token", token)])
        .finish();
    let r = no_redirects()
        .post(format!("{}/console/login", server.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let (_, html) = console_get(server, &cookie, &format!("/console/{slug}")).await;
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = html[at..].split('"').next().unwrap().to_owned();
    Staff { cookie, csrf }
}

/// GET with the session cookie; (status, body, Location).
pub async fn console_get(server: &TestServer, cookie: &str, path: &str) -> (u16, String) {
    let r = no_redirects()
        .get(format!("{}{path}", server.url))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap())
}

/// POSTs `body` of `content_type` with the session cookie; (status, body, Location).
pub async fn console_post(
    server: &TestServer,
    cookie: &str,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> (u16, String, Option<String>) {
    let r = no_redirects()
        .post(format!("{}{path}", server.url))
        .header("cookie", cookie)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, r.text().await.unwrap(), location)
}

pub fn form(fields: &[(&str, &str)]) -> Vec<u8> {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
        .into_bytes()
}

/// A multipart body with the text `fields` and one file part `csv`; (content type, body).
fn multipart(fields: &[(&str, &str)], csv: &str) -> (String, Vec<u8>) {
    let boundary = "----rosette-test-boundary-7d1f";
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csv\"; filename=\"cohort.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    ));
    (
        format!("multipart/form-data; boundary={boundary}"),
        body.into_bytes(),
    )
}

#[tokio::test]
async fn console_bulk_upload_progress_report_and_isolation() {
    let server = start().await;
    let acme = server.institution("acme").await;
    let other = server.institution("other").await;
    let achievement = server.achievement("acme", &acme).await;
    let staff = console_login(&server, "acme", &acme).await;

    let (status, html) = console_get(&server, &staff.cookie, "/console/acme/bulk").await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"bulk-form\"") && html.contains("enctype=\"multipart/form-data\""));
    assert!(html.contains("aria-current=\"page\">Bulk issue"), "{html}");

    // No CSRF token, or another: refused, nothing started.
    let csv = thousand_rows(&achievement);
    for fields in [vec![], vec![("csrf", "forged")]] {
        let (ct, body) = multipart(&fields, &csv);
        let (status, _, _) =
            console_post(&server, &staff.cookie, "/console/acme/bulk", &ct, body).await;
        assert_eq!(status, 403);
    }
    // Junk: the form again with a clear message.
    let (ct, body) = multipart(&[("csrf", &staff.csrf)], "hello;world\n1;2\n");
    let (status, html, _) =
        console_post(&server, &staff.cookie, "/console/acme/bulk", &ct, body).await;
    assert_eq!(status, 400);
    assert!(
        html.contains("CSV header must be name,email,achievement_id[,pin]"),
        "{html}"
    );
    assert!(html.contains("Nothing was imported"), "{html}");

    let (ct, body) = multipart(&[("csrf", &staff.csrf)], &csv);
    let (status, _, location) =
        console_post(&server, &staff.cookie, "/console/acme/bulk", &ct, body).await;
    assert_eq!(status, 303);
    let page = location.unwrap();
    assert!(page.starts_with("/console/acme/bulk/"), "{page}");
    let (status, html) = console_get(&server, &staff.cookie, &page).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<progress id=\"bulk-progress\" max=\"1000\""),
        "{html}"
    );
    assert!(html.contains("src=\"/assets/bulk.js\""));

    // The page's JSON endpoint, until done.
    let progress = format!("{page}/progress");
    let done = loop {
        let (status, body) = console_get(&server, &staff.cookie, &progress).await;
        assert_eq!(status, 200, "{body}");
        let p: Value = serde_json::from_str(&body).unwrap();
        assert!(
            p.get("created").is_none(),
            "no offers (PINs) in the page's JSON"
        );
        if p["done"] == true {
            break p;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    };
    assert_eq!(done["created_count"], 997);
    let (_, html) = console_get(&server, &staff.cookie, &page).await;
    for line in BAD_LINES {
        assert!(
            html.contains(&format!("data-line=\"{line}\">line {line}: ")),
            "{html}"
        );
    }
    assert!(html.contains("href=\"/console/acme/credentials\""));
    assert!(
        !html.contains(" hidden>\n<h2>Report"),
        "report shown once done"
    );

    // Another institution's staff sees neither the page nor the job.
    let theirs = console_login(&server, "other", &other).await;
    let (status, _) = console_get(&server, &theirs.cookie, &page).await;
    assert_eq!(status, 404);
    let (status, _) = console_get(&server, &theirs.cookie, &progress).await;
    assert_eq!(status, 404);
    let foreign = page.replace("/console/acme/", "/console/other/");
    let (status, _) = console_get(&server, &theirs.cookie, &foreign).await;
    assert_eq!(status, 404);
    let (status, _) = console_get(&server, &theirs.cookie, &format!("{foreign}/progress")).await;
    assert_eq!(status, 404);
    // Signed out: to the sign-in page.
    let (status, _) = console_get(&server, "rosette_console=nope", &progress).await;
    assert_eq!(status, 303);
    server.stop().await;
}

// ---- SIGKILL during a job

/// `rosette-agent serve` on `data` with a known operator token; (child, base URL).
fn serve_binary(data: &std::path::Path) -> (std::process::Child, String) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rosette-agent"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env("ROSETTE_OPERATOR_TOKEN", OPERATOR)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: Value = serde_json::from_str(&line).unwrap();
    (child, ready["url"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_import_killed_midway() {
    const ROWS: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, url) = serve_binary(dir.path());
    let http = reqwest::Client::new();
    let post = |path: &str, token: &str, body: Value| {
        http.post(format!("{url}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let created: Value = post(
        "/admin/institutions",
        OPERATOR,
        json!({"slug": "acme", "name": "Acme"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let token = created["admin_token"].as_str().unwrap().to_owned();
    let achievement: Value = post(
        "/issuers/acme/admin/achievements",
        &token,
        json!({"name": "Kill Test", "description": "d", "criteria": {"narrative": "n"}}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let achievement = achievement["id"].as_str().unwrap();
    let mut csv = String::from("name,email,achievement_id\n");
    for row in 0..ROWS {
        csv.push_str(&format!("Learner {row},l{row}@example.org,{achievement}\n"));
    }
    let started: Value = http
        .post(format!("{url}/issuers/acme/admin/offers/bulk-jobs"))
        .bearer_auth(&token)
        .body(csv)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let job = format!(
        "{url}/issuers/acme/admin/offers/bulk-jobs/{}",
        started["job_id"].as_str().unwrap()
    );
    // Kill as soon as some rows are in and the job is still running.
    let mut at = 0;
    loop {
        let p: Value = http
            .get(&job)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        at = p["processed"].as_u64().unwrap_or(at);
        assert_ne!(p["done"], true, "the job ended before the kill: {p}");
        if at >= 20 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = child.wait();

    let (mut child, url) = serve_binary(dir.path());
    // The job outlives its agent: once the dead agent's lease runs out, the restarted agent
    // takes the job over and finishes it, each line one offer.
    let job = job.replace(&job[..job.find("/issuers").unwrap()], &url);
    let deadline = std::time::Instant::now()
        + std::time::Duration::from_secs(
            rosette_agent::issuer::bulk::JOB_LEASE_SECONDS as u64 + 60,
        );
    let report = loop {
        let r = http.get(&job).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200, "the job is known after the restart");
        let p: Value = r.json().await.unwrap();
        if p["done"] == true {
            break p;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the job was not taken over: {p}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(report["state"], "done", "{report}");
    assert_eq!(report["processed"], ROWS, "{report}");
    assert_eq!(report["created_count"], ROWS, "{report}");
    assert_eq!(report["errors"], json!([]), "{report}");
    let mut offers = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let q = cursor.map(|c| format!("&cursor={c}")).unwrap_or_default();
        let page: Value = http
            .get(format!("{url}/issuers/acme/admin/offers?limit=1000{q}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        offers.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    // None duplicated: one offer per line, and every line's learner once.
    assert_eq!(
        offers.len(),
        ROWS,
        "{} offers for {ROWS} lines",
        offers.len()
    );
    let mut names: Vec<String> = offers
        .iter()
        .map(|o| {
            o["recipient"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), ROWS, "a learner got two offers");
    // Whole: a sample of the offers serve their claim page and offer object.
    for offer in offers.iter().step_by(25) {
        let id = offer["id"].as_str().unwrap();
        let page = http
            .get(format!("{url}/issuers/acme/claim/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "claim page of {id}");
        let html = page.text().await.unwrap();
        let start = html.find("openid-credential-offer://").unwrap();
        let link = &html[start..start + html[start..].find('"').unwrap()];
        let parsed = url::Url::parse(link).unwrap();
        let uri = parsed
            .query_pairs()
            .find(|(k, _)| k == "credential_offer_uri")
            .unwrap()
            .1
            .into_owned();
        let object: Value = http.get(&uri).send().await.unwrap().json().await.unwrap();
        assert!(
            object
                .pointer("/grants/urn:ietf:params:oauth:grant-type:pre-authorized_code/pre-authorized_code")
                .is_some(),
            "offer {id}: {object}"
        );
    }
    eprintln!(
        "bulk job killed after {at} rows seen processed; finished after the restart with {} offers",
        offers.len()
    );
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status();
    let _ = child.wait();
}
