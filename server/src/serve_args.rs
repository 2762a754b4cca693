//! The `serve` flags, and the server configuration they make.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::ValueEnum;
use vigil_server::Config;

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "VIGIL_LISTEN",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub(crate) listen: SocketAddr,

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

impl ServeArgs {
    /// The server's configuration: these flags over the defaults, with the single
    /// sign-on providers checked (a bad provider stops the start, not a sign-in).
    pub(crate) fn into_config(self, database_url: String) -> anyhow::Result<Config> {
        let sso = sso_config(&self)?;
        let mut config = Config::new(database_url, self.listen);
        config.sso = sso;
        config.site_root = self.site_root;
        if let Some(url) = self.public_url {
            config.public_url = url.trim_end_matches('/').to_owned();
        }
        config.session_idle_timeout = Duration::from_secs(self.session_idle_minutes.max(1) * 60);
        config.session_max_age = Duration::from_secs(self.session_max_hours.max(1) * 3600);
        config.trust_forwarded_for = self.trust_forwarded_for;
        config.metrics_token = self.metrics_token.filter(|t| !t.is_empty());
        config.allow_private_webhooks = self.allow_private_webhooks;
        config.digest_hour = self.digest_hour;
        let set = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        config.chat = vigil_server::chat_hooks::ChatConfig {
            slack_signing_secret: set(self.slack_signing_secret),
            slack_bot_token: set(self.slack_bot_token),
            slack_api_url: self.slack_api_url,
            mattermost_url: set(self.mattermost_url),
            mattermost_command_token: set(self.mattermost_command_token),
            mattermost_bot_token: set(self.mattermost_bot_token),
        };
        config.status_host = self.status_host.filter(|h| !h.trim().is_empty());
        config.smtp_url = self.smtp_url.filter(|u| !u.trim().is_empty());
        config.mail_from = self.mail_from;
        Ok(config)
    }
}
