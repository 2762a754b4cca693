//! `vigil change record`: sends one change to a running Vigil over its API, so any CI
//! script can report a deploy with one line.

use anyhow::{Context, bail};
use serde_json::{Map, Value, json};

#[derive(Debug, clap::Args)]
pub struct RecordArgs {
    /// Vigil's address, like https://vigil.example.com.
    #[arg(long, env = "VIGIL_URL")]
    url: String,
    /// A personal API token (responder or admin) from My account.
    #[arg(long, env = "VIGIL_TOKEN", hide_env_values = true)]
    token: String,
    /// A service the change was made to (its slug); repeat for more.
    #[arg(long = "service", required = true)]
    services: Vec<String>,
    /// What changed.
    #[arg(long)]
    title: String,
    /// deploy, config, feature_flag, infrastructure, migration or other.
    #[arg(long)]
    kind: Option<String>,
    /// A version, tag or commit.
    #[arg(long)]
    version: Option<String>,
    /// Who made it.
    #[arg(long)]
    author: Option<String>,
    /// An http(s) address to read more (the pipeline run).
    #[arg(long)]
    link: Option<String>,
    /// When it started (RFC 3339); now when not given.
    #[arg(long)]
    started_at: Option<String>,
    /// When it finished (RFC 3339).
    #[arg(long)]
    finished_at: Option<String>,
    /// When its code was committed (RFC 3339), for lead time.
    #[arg(long)]
    committed_at: Option<String>,
    /// in_progress, succeeded, failed or rolled_back.
    #[arg(long)]
    outcome: Option<String>,
    /// Who sends it (the pipeline's name); with --external-id, sending again updates it.
    #[arg(long)]
    source: Option<String>,
    /// The pipeline's own id for this change (a run id).
    #[arg(long)]
    external_id: Option<String>,
    /// The id of the change this one rolls back.
    #[arg(long)]
    reverts: Option<i64>,
}

/// Posts the change; prints its id and address, or fails with the API's own message.
pub async fn record(args: RecordArgs) -> anyhow::Result<()> {
    let mut body = Map::new();
    body.insert("title".into(), json!(args.title));
    body.insert("services".into(), json!(args.services));
    for (key, value) in [
        ("kind", args.kind),
        ("version", args.version),
        ("author", args.author),
        ("link", args.link),
        ("started_at", args.started_at),
        ("finished_at", args.finished_at),
        ("committed_at", args.committed_at),
        ("outcome", args.outcome),
        ("source", args.source),
        ("external_id", args.external_id),
    ] {
        if let Some(value) = value {
            body.insert(key.into(), json!(value));
        }
    }
    if let Some(reverts) = args.reverts {
        body.insert("reverts".into(), json!(reverts));
    }
    let base = args.url.trim_end_matches('/');
    let response = reqwest::Client::new()
        .post(format!("{base}/api/v1/changes"))
        .bearer_auth(args.token.trim())
        .json(&Value::Object(body))
        .send()
        .await
        .with_context(|| format!("cannot reach Vigil at {base}"))?;
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        let error = &answer["error"];
        match (error["message"].as_str(), error["field"].as_str()) {
            (Some(message), Some(field)) => bail!("{field}: {message} ({status})"),
            (Some(message), None) => bail!("{message} ({status})"),
            _ => bail!("Vigil answered {status}"),
        }
    }
    let id = answer["id"].as_i64().unwrap_or_default();
    let verb = if status == reqwest::StatusCode::CREATED {
        "recorded"
    } else {
        "updated"
    };
    println!("{verb} change {id}: {base}/api/v1/changes/{id}");
    Ok(())
}
