//! `rosette-agent institution create`: the first step of an agent started without `--demo`.
//! Through a running agent (`--agent URL`, with the operator token of the data directory), or
//! straight into a stopped agent's data directory. Prints the admin token to sign in with.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use rosette_core::{SecretString, SystemClock};
use serde_json::{Value, json};

use super::cli::InstitutionCreateArgs;

/// Creates the institution and prints what to do with it.
pub(crate) fn create(args: &InstitutionCreateArgs) -> Result<ExitCode> {
    let created = match &args.agent {
        Some(url) => through_agent(url.trim_end_matches('/'), args)?,
        None => into_data_dir(args)?,
    };
    if args.json {
        println!("{created}");
        return Ok(ExitCode::SUCCESS);
    }
    let console = match &args.agent {
        Some(url) => format!("{}/console/login", url.trim_end_matches('/')),
        None => {
            "the console's sign-in page (/console/login, printed when the agent starts)".to_owned()
        }
    };
    println!(
        "Created institution {slug} ({name}).\n\nAdmin token (shown only now; keep it like a \
         password):\n\n    {token}\n\nSign in at {console} with institution {slug} and this token.",
        slug = created["slug"].as_str().unwrap_or_default(),
        name = created["name"].as_str().unwrap_or_default(),
        token = created["admin_token"].as_str().unwrap_or_default(),
    );
    Ok(ExitCode::SUCCESS)
}

fn input(args: &InstitutionCreateArgs) -> Value {
    json!({
        "slug": args.slug,
        "name": args.name,
        "url": args.homepage,
        "did_method": "key",
    })
}

/// The operator token: `ROSETTE_OPERATOR_TOKEN`, else the data directory's generated file.
fn operator_token(data: &Path) -> Result<SecretString> {
    if let Ok(token) = std::env::var("ROSETTE_OPERATOR_TOKEN")
        && !token.trim().is_empty()
    {
        return Ok(SecretString::new(token.trim().to_owned()));
    }
    let file = data.join("operator-token");
    let text = std::fs::read_to_string(&file).with_context(|| {
        format!(
            "cannot read the operator token {} (set ROSETTE_OPERATOR_TOKEN, or pass the --data \
             directory the agent runs on)",
            file.display()
        )
    })?;
    Ok(SecretString::new(text.trim().to_owned()))
}

fn through_agent(url: &str, args: &InstitutionCreateArgs) -> Result<Value> {
    let token = operator_token(&args.data)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let endpoint = format!("{url}/admin/institutions");
    let (status, body) = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(&endpoint)
            .bearer_auth(token.expose_secret())
            .json(&input(args))
            .send()
            .await
            .with_context(|| format!("cannot reach the agent at {url}: is it running?"))?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        anyhow::Ok((status, body))
    })?;
    let why = body["error_description"].as_str().unwrap_or_default();
    match status {
        201 => Ok(body),
        401 | 403 => bail!(
            "the agent at {url} refused the operator token of {} ({status}): is --data the \
             directory that agent runs on?",
            args.data.display()
        ),
        _ => bail!(
            "the agent at {url} refused to create {:?}: {why} ({status})",
            args.slug
        ),
    }
}

fn into_data_dir(args: &InstitutionCreateArgs) -> Result<Value> {
    if !args.data.join(rosette_agent::server::STORE_FILE).is_file() {
        bail!(
            "{} holds no agent data yet: start the agent once with `rosette-agent serve --data \
             {}`, then run this command with --agent URL",
            args.data.display(),
            args.data.display()
        );
    }
    let opened = rosette_agent::server::open_store(
        &args.data,
        rosette_storage::Durability::OnReturn,
        rosette_storage::watch::DEFAULT_STALL_AFTER,
    )
    .with_context(|| {
        format!(
            "is the agent running on {}? Then pass --agent URL (the address it prints) to \
             create the institution through it",
            args.data.display()
        )
    })?;
    // The issuer id is not stored, so the public URL does not matter for a did:key
    // institution; the token only needs to be non-empty here.
    let mut settings = rosette_agent::config::Settings::new(
        "http://127.0.0.1",
        SecretString::new("unused".to_owned()),
    );
    // The same key-encryption key the agent uses (ROSETTE_KEK, else <data>/kek), so the new
    // institution's key is sealed the way the agent reads it.
    if std::env::var_os(rosette_agent::server::KEK_ENV).is_none()
        && !args.data.join(rosette_agent::server::KEK_FILE).is_file()
    {
        bail!(
            "no key-encryption key in {} (the agent keeps it elsewhere): set {} to it, or pass \
             --agent URL to create the institution through the running agent",
            args.data.display(),
            rosette_agent::server::KEK_ENV
        );
    }
    settings.kek = rosette_agent::server::load_kek(None, &args.data)?.0;
    let state = rosette_agent::app::AppState::new(
        Arc::clone(&opened.store),
        Arc::new(SystemClock),
        settings,
    )?;
    let created = state
        .issuer
        .create_institution(serde_json::from_value(input(args))?)
        .map_err(|e| anyhow::anyhow!("cannot create {:?}: {e}", args.slug))?;
    opened.store.flush()?;
    Ok(json!({
        "slug": created.slug,
        "name": created.name,
        "did": created.did,
        "admin_token": created.admin_token,
    }))
}
