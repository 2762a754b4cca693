//! `vigil user ...`: account administration from the shell, for the first admin and for
//! recovering access.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, bail};
use app::accounts::Role;
use app::accounts::service::users::{self, NewUser};
use app::audit::service::Actor;
use app::error::AppError;
use vigil_server::open_database;

use super::UserCommand;

/// The audit actor for changes made from the shell.
fn cli_actor() -> Actor {
    Actor {
        id: None,
        email: Some("vigil-cli".into()),
        ip: None,
    }
}

pub async fn run(database_url: &str, command: UserCommand) -> anyhow::Result<()> {
    let db = open_database(database_url).await?;
    match command {
        UserCommand::Create {
            email,
            name,
            admin,
            role,
        } => {
            let role = if admin {
                Role::Admin
            } else {
                Role::parse(&role).with_context(|| {
                    format!("unknown role {role:?}: use admin, responder or viewer")
                })?
            };
            let password = read_password()?;
            let new = NewUser::parse(&email, &name, &password, role).map_err(explain)?;
            let user = users::create(&db, new, &cli_actor())
                .await
                .map_err(explain)?;
            println!(
                "created {} ({}) as {}",
                user.email,
                user.display_name,
                user.role.as_str()
            );
        }
        UserCommand::SetPassword { email } => {
            let password = read_password()?;
            users::set_password(&db, &email, &password, &cli_actor())
                .await
                .map_err(explain)?;
            app::accounts::service::sessions::delete_for_user(
                &db,
                users::find_by_email(&db, &email)
                    .await
                    .map_err(explain)?
                    .map(|u| app::accounts::UserId(u.id))
                    .context("user vanished")?,
            )
            .await
            .map_err(explain)?;
            println!(
                "password changed for {}; their sessions were ended",
                email.trim().to_lowercase()
            );
        }
        UserCommand::List => {
            for user in users::list(&db).await.map_err(explain)? {
                println!(
                    "{:<6} {:<32} {:<24} {:<10} {}",
                    user.id,
                    user.email,
                    user.display_name,
                    user.role.as_str(),
                    if user.active { "active" } else { "deactivated" }
                );
            }
        }
    }
    Ok(())
}

/// From `VIGIL_ADMIN_PASSWORD`, else the first line of standard input (never an argument,
/// which other users of the machine could read from the process list).
fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("VIGIL_ADMIN_PASSWORD") {
        return Ok(password);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password (input is shown; prefer VIGIL_ADMIN_PASSWORD): ");
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.is_empty() {
        bail!("no password given: set VIGIL_ADMIN_PASSWORD or pipe it on standard input");
    }
    Ok(password)
}

/// Field errors as one line for the terminal.
fn explain(err: AppError) -> anyhow::Error {
    match err {
        AppError::Invalid(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!("{}: {}", e.field, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}
