//! The `vigil` command: serve the web app, or manage the database.

use std::net::SocketAddr;
use std::process::ExitCode;

use std::time::Duration;

use anyhow::Context;
use app::accounts::service::{sessions, setup};
use clap::{Parser, Subcommand, ValueEnum};
use tokio::signal;
use tracing_subscriber::EnvFilter;
use vigil_server::{Config, DEFAULT_DATABASE_URL, build, migrate, open_database, redact};

mod backup;
mod changes_cli;
mod memory;
mod serve_args;
mod users;

use serve_args::ServeArgs;

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
    /// Copy a SQLite database to a new file, consistent while Vigil runs and writes.
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        to: std::path::PathBuf,
    },
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
        Command::Backup { to } => backup::run(&cli.database_url, &to).await,
        Command::Serve => {
            let config = cli.serve.into_config(cli.database_url)?;
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
