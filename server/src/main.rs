//! The `vigil` command: serve the web app, or manage the database.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use std::time::Duration;

use anyhow::Context;
use app::accounts::service::{sessions, setup};
use clap::{Parser, Subcommand, ValueEnum};
use tokio::signal;
use tracing_subscriber::EnvFilter;
use vigil_server::{Config, DEFAULT_DATABASE_URL, build, migrate, open_database, redact};

mod changes_cli;
mod memory;
mod users;

/// Vigil: incident and postmortem management for SRE teams.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, about, long_about = None)]
struct Cli {
    /// Database to use: sqlite://PATH (created if missing) or postgres://USER[:PASSWORD]@HOST[:PORT]/DB.
    #[arg(long, env = "VIGIL_DATABASE_URL", default_value = DEFAULT_DATABASE_URL, global = true, hide_env_values = true)]
    database_url: String,

    /// Log output format.
    #[arg(long, env = "VIGIL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    log_format: LogFormat,

    /// Log filter, e.g. `info` or `vigil_server=debug,tower_http=debug`.
    #[arg(long, env = "VIGIL_LOG", default_value = "info", global = true)]
    log: String,

    #[command(flatten)]
    serve: ServeArgs,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the web app (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Load data: `--demo` for a first look, or a deterministic random history
    /// (`--incidents N --services M`) for benchmarks. Applies migrations first.
    Seed(SeedArgs),
    /// Report changes to a running Vigil over its API (for CI scripts).
    #[command(subcommand)]
    Change(ChangeCommand),
}

#[derive(Debug, Subcommand)]
enum ChangeCommand {
    /// Record a deploy, config change or flag flip (POST /api/v1/changes).
    Record(Box<changes_cli::RecordArgs>),
}

#[derive(Debug, clap::Args)]
struct SeedArgs {
    /// A small, realistic story: services, incidents with timelines, a published
    /// postmortem and action items. Only into a database without incidents.
    #[arg(long, conflicts_with_all = ["incidents", "services"])]
    demo: bool,
    /// How many random incidents to add.
    #[arg(long, default_value_t = 0)]
    incidents: u64,
    /// How many services to spread them over.
    #[arg(long, default_value_t = 10)]
    services: u64,
    /// The random seed: the same seed gives the same data.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Spread the incidents over this many days before now.
    #[arg(long, default_value_t = 365)]
    days: i64,
    /// How many changes to add over the same days (two per incident without it); about
    /// one incident in ten is caused by one of them.
    #[arg(long)]
    changes: Option<u64>,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from VIGIL_ADMIN_PASSWORD or standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Make the user an admin (same as --role admin).
        #[arg(long)]
        admin: bool,
        /// admin, responder or viewer.
        #[arg(long, default_value = "responder")]
        role: String,
    },
    /// Set a user's password (read from VIGIL_ADMIN_PASSWORD or standard input).
    SetPassword {
        #[arg(long)]
        email: String,
    },
    /// List every user.
    List,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "VIGIL_LISTEN",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    listen: SocketAddr,

    /// Directory with a built site (the `pkg/` JS, wasm and CSS bundles) to serve
    /// instead of the one embedded in the binary (development).
    #[arg(long, env = "VIGIL_SITE_ROOT", global = true)]
    site_root: Option<PathBuf>,

    /// The URL people open Vigil at (links in logs; https:// makes cookies Secure).
    #[arg(long, env = "VIGIL_PUBLIC_URL", global = true)]
    public_url: Option<String>,

    /// A host name for the public status page alone (`status.example.com`): there only
    /// `/status` and its feeds and JSON answer, and `/` goes to the page.
    #[arg(long, env = "VIGIL_STATUS_HOST", global = true)]
    status_host: Option<String>,

    /// Minutes without a request after which a session ends.
    #[arg(
        long,
        env = "VIGIL_SESSION_IDLE_MINUTES",
        default_value_t = 720,
        global = true
    )]
    session_idle_minutes: u64,

    /// Hours after which a sign-in ends, however active (absolute lifetime).
    #[arg(
        long,
        env = "VIGIL_SESSION_MAX_HOURS",
        default_value_t = 168,
        global = true
    )]
    session_max_hours: u64,

    /// Take the client address from X-Forwarded-For (set only behind a reverse proxy).
    #[arg(long, env = "VIGIL_TRUST_FORWARDED_FOR", global = true)]
    trust_forwarded_for: bool,

    /// Let outgoing webhooks reach loopback, private and link-local addresses (receivers
    /// inside your network). Off by default, so a webhook cannot probe internal hosts.
    #[arg(long, env = "VIGIL_ALLOW_PRIVATE_WEBHOOKS", global = true)]
    allow_private_webhooks: bool,

    /// The hour of the day (UTC, 0-23) the daily digest of overdue action items goes to
    /// the channels subscribed to it.
    #[arg(long, env = "VIGIL_DIGEST_HOUR", default_value_t = app::notifications::digest::DEFAULT_HOUR, value_parser = clap::value_parser!(u32).range(0..24), global = true)]
    digest_hour: u32,

    /// Slack's signing secret for `/vigil` slash commands at /hooks/chat/slack (with
    /// --slack-bot-token, which reads who typed a command: scope `users:read.email`).
    #[arg(
        long,
        env = "VIGIL_SLACK_SIGNING_SECRET",
        global = true,
        hide_env_values = true
    )]
    slack_signing_secret: Option<String>,

    #[arg(
        long,
        env = "VIGIL_SLACK_BOT_TOKEN",
        global = true,
        hide_env_values = true
    )]
    slack_bot_token: Option<String>,

    /// Slack's Web API (for a proxy or a test double).
    #[arg(
        long,
        env = "VIGIL_SLACK_API_URL",
        default_value = "https://slack.com/api",
        global = true
    )]
    slack_api_url: String,

    /// The Mattermost server slash commands come from (its API says who typed them).
    #[arg(long, env = "VIGIL_MATTERMOST_URL", global = true)]
    mattermost_url: Option<String>,

    /// The token Mattermost sends with the `/vigil` command (/hooks/chat/mattermost).
    #[arg(
        long,
        env = "VIGIL_MATTERMOST_COMMAND_TOKEN",
        global = true,
        hide_env_values = true
    )]
    mattermost_command_token: Option<String>,

    /// A Mattermost bot or personal access token that may read users' emails.
    #[arg(
        long,
        env = "VIGIL_MATTERMOST_BOT_TOKEN",
        global = true,
        hide_env_values = true
    )]
    mattermost_bot_token: Option<String>,

    /// Single sign-on: the OpenID provider's issuer URL (Keycloak
    /// `https://id.example.com/realms/acme`, Entra ID
    /// `https://login.microsoftonline.com/<tenant>/v2.0`). Register the redirect URL
    /// `<public URL>/auth/oidc/<--oidc-id>/callback` there.
    #[arg(long, env = "VIGIL_OIDC_ISSUER", global = true)]
    oidc_issuer: Option<String>,

    /// The provider's id in Vigil's URLs.
    #[arg(long, env = "VIGIL_OIDC_ID", default_value = "sso", global = true)]
    oidc_id: String,

    /// The button's label: "Sign in with <name>".
    #[arg(
        long,
        env = "VIGIL_OIDC_NAME",
        default_value = "single sign-on",
        global = true
    )]
    oidc_name: String,

    #[arg(long, env = "VIGIL_OIDC_CLIENT_ID", global = true)]
    oidc_client_id: Option<String>,

    /// Prefer VIGIL_OIDC_CLIENT_SECRET or --oidc-client-secret-file to the command line.
    #[arg(
        long,
        env = "VIGIL_OIDC_CLIENT_SECRET",
        global = true,
        hide_env_values = true
    )]
    oidc_client_secret: Option<String>,

    /// A file holding the client secret (a mounted secret).
    #[arg(long, env = "VIGIL_OIDC_CLIENT_SECRET_FILE", global = true)]
    oidc_client_secret_file: Option<PathBuf>,

    #[arg(
        long,
        env = "VIGIL_OIDC_SCOPES",
        default_value = "openid email profile",
        global = true
    )]
    oidc_scopes: String,

    /// The claim listing a person's groups (a dotted path reaches into objects:
    /// `realm_access.roles`).
    #[arg(
        long,
        env = "VIGIL_OIDC_GROUPS_CLAIM",
        default_value = "groups",
        global = true
    )]
    oidc_groups_claim: String,

    /// Roles from groups, applied at every sign-in: `vigil-admins=admin,sre=responder`.
    /// Someone in none of them gets --oidc-default-role.
    #[arg(long, env = "VIGIL_OIDC_ROLES", global = true)]
    oidc_roles: Option<String>,

    /// admin, responder or viewer.
    #[arg(
        long,
        env = "VIGIL_OIDC_DEFAULT_ROLE",
        default_value = "viewer",
        global = true
    )]
    oidc_default_role: String,

    /// Create a Vigil user the first time someone signs in (else an admin invites them).
    #[arg(long, env = "VIGIL_OIDC_CREATE_USERS", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    oidc_create_users: bool,

    /// Accept emails the provider does not mark verified (Entra ID sends no
    /// `email_verified`; only for a single-tenant directory whose admins set emails).
    #[arg(long, env = "VIGIL_OIDC_TRUST_EMAIL", global = true)]
    oidc_trust_email: bool,

    /// More providers: a JSON file holding a list of objects with the keys id, name,
    /// issuer, client_id, client_secret, scopes (a list), groups_claim, roles,
    /// default_role, create_users and trust_email.
    #[arg(long, env = "VIGIL_OIDC_PROVIDERS_FILE", global = true)]
    oidc_providers_file: Option<PathBuf>,

    /// Who may sign in with a password: everyone, or only the --break-glass-email admin
    /// (for when the identity provider is down).
    #[arg(long, env = "VIGIL_PASSWORD_SIGN_IN", value_enum, default_value_t = PasswordRule::Everyone, global = true)]
    password_sign_in: PasswordRule,

    #[arg(long, env = "VIGIL_BREAK_GLASS_EMAIL", global = true)]
    break_glass_email: Option<String>,

    /// Bearer token Prometheus must send to scrape /metrics; without it, only clients on
    /// the loopback address may scrape.
    #[arg(
        long,
        env = "VIGIL_METRICS_TOKEN",
        global = true,
        hide_env_values = true
    )]
    metrics_token: Option<String>,

    /// SMTP relay for e-mail notification channels and the status page's subscriber
    /// mail: `smtp://host:25`, `smtp://user:pass@host:587?tls=required` (STARTTLS) or
    /// `smtps://user:pass@host`. Without it, no e-mail channel can be added and customers
    /// subscribe by webhook or feed only.
    #[arg(long, env = "VIGIL_SMTP_URL", global = true, hide_env_values = true)]
    smtp_url: Option<String>,

    /// The sender of that mail.
    #[arg(
        long,
        env = "VIGIL_MAIL_FROM",
        default_value = "Vigil status <status@localhost>",
        global = true
    )]
    mail_from: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PasswordRule {
    Everyone,
    BreakGlass,
}

/// The single sign-on settings from the flags and the providers file.
fn sso_config(args: &ServeArgs) -> anyhow::Result<app::accounts::sso::SsoConfig> {
    use app::accounts::Role;
    use app::accounts::sso::{PasswordSignIn, ProviderConfig, SsoConfig, parse_roles};
    let mut providers = Vec::new();
    if let Some(issuer) = args.oidc_issuer.as_deref().filter(|i| !i.trim().is_empty()) {
        let client_id = args
            .oidc_client_id
            .clone()
            .ok_or_else(|| anyhow::anyhow!("--oidc-issuer needs --oidc-client-id"))?;
        let mut provider =
            ProviderConfig::new(&args.oidc_id, &args.oidc_name, issuer.trim(), &client_id);
        provider.client_secret = match (&args.oidc_client_secret, &args.oidc_client_secret_file) {
            (_, Some(file)) => Some(
                std::fs::read_to_string(file)
                    .with_context(|| format!("cannot read {}", file.display()))?
                    .trim()
                    .to_owned(),
            ),
            (Some(secret), None) => Some(secret.clone()),
            (None, None) => None,
        }
        .filter(|s| !s.is_empty());
        provider.scopes = args
            .oidc_scopes
            .split_whitespace()
            .map(str::to_owned)
            .collect();
        provider.groups_claim = args.oidc_groups_claim.clone();
        provider.roles = parse_roles(args.oidc_roles.as_deref().unwrap_or(""))
            .map_err(|e| anyhow::anyhow!("--oidc-roles: {e}"))?;
        provider.default_role = Role::parse(&args.oidc_default_role)
            .ok_or_else(|| anyhow::anyhow!("--oidc-default-role: admin, responder or viewer"))?;
        provider.create_users = args.oidc_create_users;
        provider.trust_email = args.oidc_trust_email;
        providers.push(provider);
    }
    if let Some(file) = &args.oidc_providers_file {
        let text = std::fs::read_to_string(file)
            .with_context(|| format!("cannot read {}", file.display()))?;
        let more: Vec<ProviderConfig> = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a list of providers", file.display()))?;
        providers.extend(more);
    }
    for (at, provider) in providers.iter().enumerate() {
        if let Some(problem) = provider.problem() {
            anyhow::bail!("single sign-on: {problem}");
        }
        if providers[..at].iter().any(|p| p.id == provider.id) {
            anyhow::bail!(
                "single sign-on: two providers have the id {:?}",
                provider.id
            );
        }
    }
    let passwords = match args.password_sign_in {
        PasswordRule::Everyone => PasswordSignIn::Everyone,
        PasswordRule::BreakGlass => {
            let email = args
                .break_glass_email
                .as_deref()
                .map(|e| e.trim().to_lowercase())
                .filter(|e| !e.is_empty())
                .ok_or_else(|| {
                    anyhow::anyhow!("--password-sign-in break-glass needs --break-glass-email")
                })?;
            if providers.is_empty() {
                anyhow::bail!("--password-sign-in break-glass needs a single sign-on provider");
            }
            PasswordSignIn::BreakGlass(email)
        }
    };
    Ok(SsoConfig {
        providers,
        passwords,
    })
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

fn main() -> ExitCode {
    memory::limit_heaps();
    let cli = Cli::parse();
    init_tracing(&cli);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Migrate => {
            let pending = migrate(&cli.database_url).await?;
            println!(
                "applied {pending} migration(s) to {}",
                redact(&cli.database_url)
            );
            Ok(())
        }
        Command::User(command) => users::run(&cli.database_url, command).await,
        Command::Seed(args) => seed(&cli.database_url, args).await,
        Command::Change(ChangeCommand::Record(args)) => changes_cli::record(*args).await,
        Command::Serve => {
            let sso = sso_config(&cli.serve)?;
            let mut config = Config::new(cli.database_url, cli.serve.listen);
            config.sso = sso;
            config.site_root = cli.serve.site_root;
            if let Some(url) = cli.serve.public_url {
                config.public_url = url.trim_end_matches('/').to_owned();
            }
            config.session_idle_timeout =
                Duration::from_secs(cli.serve.session_idle_minutes.max(1) * 60);
            config.session_max_age = Duration::from_secs(cli.serve.session_max_hours.max(1) * 3600);
            config.trust_forwarded_for = cli.serve.trust_forwarded_for;
            config.metrics_token = cli.serve.metrics_token.filter(|t| !t.is_empty());
            config.allow_private_webhooks = cli.serve.allow_private_webhooks;
            config.digest_hour = cli.serve.digest_hour;
            let set = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
            config.chat = vigil_server::chat_hooks::ChatConfig {
                slack_signing_secret: set(cli.serve.slack_signing_secret),
                slack_bot_token: set(cli.serve.slack_bot_token),
                slack_api_url: cli.serve.slack_api_url,
                mattermost_url: set(cli.serve.mattermost_url),
                mattermost_command_token: set(cli.serve.mattermost_command_token),
                mattermost_bot_token: set(cli.serve.mattermost_bot_token),
            };
            config.status_host = cli.serve.status_host.filter(|h| !h.trim().is_empty());
            config.smtp_url = cli.serve.smtp_url.filter(|u| !u.trim().is_empty());
            config.mail_from = cli.serve.mail_from;
            serve(config).await
        }
    }
}

async fn seed(database_url: &str, args: SeedArgs) -> anyhow::Result<()> {
    use app::seed::{demo, random};
    let db = open_database(database_url).await?;
    let now = chrono::Utc::now();
    let now = chrono::DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
    if args.demo {
        let made = demo::seed_demo(&db, now)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!(
            "added the demo: {} services, {} incidents and the alerts that paged them, {} changes (one the confirmed cause of an outage), one published postmortem and its action items, and a public status page at /status",
            made.services, made.incidents, made.changes
        );
        return Ok(());
    }
    if args.incidents == 0 || args.services == 0 {
        anyhow::bail!("say what to add: --demo, or --incidents N --services M");
    }
    let started = std::time::Instant::now();
    let made = random::seed_random(
        &db,
        random::RandomSeed {
            incidents: args.incidents,
            services: args.services,
            seed: args.seed,
            days: args.days.max(1),
            now,
            changes: args.changes.unwrap_or(args.incidents * 2),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "added {} services, {} incidents and {} changes (seed {}) in {:.1} s",
        made.services,
        made.incidents,
        made.changes,
        args.seed,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if !vigil_server::site::Site::load(config.site_root.as_deref()).has_bundles() {
        tracing::warn!(
            site_root = ?config.site_root,
            "no built site embedded or found: pages will render but scripts and styles are missing (run `make build`)"
        );
    }
    // A wrong relay or sender is a configuration error: say so before serving.
    let mailer = match &config.smtp_url {
        Some(url) => Some(
            app::notifications::outbox::Mailer::new(url, &config.mail_from)
                .map_err(|err| anyhow::anyhow!("--smtp-url / --mail-from: {err}"))?,
        ),
        None => None,
    };
    let (app, state) = build(&config).await?;
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(database = %redact(&config.database_url), "Vigil is listening on http://{addr}");
    if let Some(token) = setup::issue_token_if_needed(&state.db).await? {
        tracing::warn!(
            "No users yet. Create the first admin at {}/setup?token={token} (valid until used), or run `vigil user create --admin --email .. --name ..`",
            config.public_url
        );
    }
    if let Some(email) = config.sso.passwords.break_glass() {
        let admin = app::accounts::service::users::find_by_email(&state.db, email)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .filter(|u| u.role.is_admin() && u.deactivated_at.is_none());
        if admin.is_none() {
            tracing::warn!(
                "passwords are off except for {email}, which is not an active admin: create it with `vigil user create --admin --email {email} --name ..` so someone can get in when the identity provider cannot"
            );
        }
    }
    tokio::spawn(delete_expired_sessions(state.db.clone()));
    tokio::spawn(send_notifications(
        state.db.clone(),
        config.public_url.clone(),
        mailer.clone(),
        config.allow_private_webhooks,
        config.digest_hour,
    ));
    tokio::spawn(send_status_updates(
        state.db.clone(),
        config.status_url(),
        mailer,
        config.allow_private_webhooks,
    ));

    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("server error")?;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// Deletes expired sessions every ten minutes, for as long as the server runs.
async fn delete_expired_sessions(db: sea_orm::DatabaseConnection) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        match sessions::delete_expired(&db).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sessions = n, "deleted expired sessions"),
            Err(err) => tracing::warn!(error = %err, "could not delete expired sessions"),
        }
    }
}

/// Sends queued notifications every two seconds, and queues the overdue action items
/// digest once a day, for as long as the server runs. Every replica runs one; claims
/// keep them from sending a delivery twice, and the day's row from queueing two digests.
async fn send_notifications(
    db: sea_orm::DatabaseConnection,
    public_url: String,
    mail: Option<app::notifications::outbox::Mailer>,
    allow_private: bool,
    digest_hour: u32,
) {
    use app::notifications::{digest, outbox};
    let client = match outbox::client(allow_private) {
        Ok(client) => client.with_mail(mail),
        Err(err) => {
            tracing::error!(error = %err, "cannot send notifications: no HTTP client");
            return;
        }
    };
    let mut every = tokio::time::interval(Duration::from_secs(2));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The last day whose digest is settled: not asked about again until the next.
    let mut digested = None;
    loop {
        every.tick().await;
        let now = chrono::Utc::now();
        if digested != Some(now.date_naive()) {
            match digest::queue_due(&db, now, digest_hour).await {
                Ok(true) => digested = Some(now.date_naive()),
                Ok(false) => {}
                Err(err) => tracing::warn!(error = %err, "could not queue the overdue digest"),
            }
        }
        if let Err(err) = outbox::deliver_due(&db, &client, &public_url, now).await {
            tracing::warn!(error = %err, "could not send notifications");
        }
    }
}

/// Sends the status page's confirmations and updates to its subscribers every two
/// seconds; like notifications, every replica runs one and claims keep them apart.
async fn send_status_updates(
    db: sea_orm::DatabaseConnection,
    status_url: String,
    mail: Option<app::notifications::outbox::Mailer>,
    allow_private: bool,
) {
    use app::status::outbox;
    let web = match app::notifications::outbox::client(allow_private) {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(error = %err, "cannot send status updates: no HTTP client");
            return;
        }
    };
    let senders = outbox::Senders { mail, web };
    let mut every = tokio::time::interval(Duration::from_secs(2));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut full = false;
    loop {
        // A full batch means more are waiting (an update to many subscribers).
        if !full {
            every.tick().await;
        }
        full = match outbox::deliver_due(&db, &senders, &status_url, chrono::Utc::now()).await {
            Ok(sent) => sent >= outbox::BATCH,
            Err(err) => {
                tracing::warn!(error = %err, "could not send status page updates");
                false
            }
        };
    }
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM, letting in-flight requests finish.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match signal::unix::signal(signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received, finishing in-flight requests");
    vigil_server::live::end_streams();
}

fn init_tracing(cli: &Cli) {
    let filter = EnvFilter::try_new(&cli.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn serve_is_the_default_command() {
        let cli = Cli::try_parse_from(["vigil"]).unwrap();
        assert!(cli.command.is_none());
        let cli = Cli::try_parse_from(["vigil", "serve", "--listen", "0.0.0.0:8080"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Serve)));
        assert_eq!(cli.serve.listen.port(), 8080);
    }
}
