//! Carries out a chat command as the Vigil user who typed it, through the same workflow
//! as the pages and the API (authorisation included: only active responders and admins
//! change anything), and words the answer for the channel.

use sea_orm::ConnectionTrait;

use super::{Command, USAGE};
use crate::accounts::CurrentUser;
use crate::accounts::service::users::{find_by_email, to_current};
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::service::declare::Declaration;
use crate::incidents::service::query::severities;
use crate::incidents::service::timeline::{NewNote, add_note};
use crate::workflow;

/// The answer in the channel: everyone sees a change (`in_channel`); help and refusals
/// go to the person who typed the command only.
/// `text` is plain (each chat tool escapes it its own way); `link` is a URL Vigil made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    pub link: Option<String>,
    pub in_channel: bool,
}

impl Reply {
    pub fn private(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            link: None,
            in_channel: false,
        }
    }
}

/// The Vigil user with this (chat-verified) email, if they may change incidents.
pub async fn user_by_email(
    db: &impl ConnectionTrait,
    email: &str,
) -> Result<Option<CurrentUser>, AppError> {
    Ok(find_by_email(db, email)
        .await?
        .filter(|u| u.is_active_responder())
        .map(|u| to_current(&u)))
}

/// Reads and carries out `text` as `user`. Refusals a person can fix (a wrong
/// reference, a missing title, a stale status) are answered privately, never as errors.
pub async fn run(
    db: &impl Writer,
    user: &CurrentUser,
    text: &str,
    base_url: &str,
) -> Result<Reply, AppError> {
    let levels = severities(db).await?;
    let names: Vec<String> = levels.iter().map(|l| l.name.clone()).collect();
    let command = match super::parse(text, &names) {
        Ok(command) => command,
        Err(why) => return Ok(Reply::private(format!("{why}\n{USAGE}"))),
    };
    let done = match command {
        Command::Help => return Ok(Reply::private(USAGE)),
        Command::Declare {
            title,
            severity,
            service,
        } => {
            let severity_id = severity.map(|s| {
                levels
                    .iter()
                    .find(|l| l.name.eq_ignore_ascii_case(&s))
                    .map(|l| l.id)
            });
            let mut service_ids = Vec::new();
            if let Some(service) = &service {
                match crate::choices::service::find_services(db, &[service.as_str()])
                    .await?
                    .pop()
                    .flatten()
                {
                    Some(found) => service_ids.push(found.id),
                    None => return Ok(Reply::private(format!("There is no service “{service}”."))),
                }
            }
            let declaration = Declaration {
                title: title.clone(),
                severity_id: severity_id.flatten(),
                service_ids,
                ..Default::default()
            };
            workflow::declare_incident(db, user, declaration)
                .await
                .map(|reference| {
                    let said = format!("{} declared {reference}: {title}", user.display_name);
                    (said, reference)
                })
        }
        Command::Status { reference, to } => {
            let version = crate::incidents::service::load(db, reference)
                .await
                .map(|i| i.version);
            match version {
                Ok(version) => workflow::change_status(db, user, reference, to, None, version)
                    .await
                    .map(|()| {
                        let said =
                            format!("{} set {reference} to {}", user.display_name, to.label());
                        (said, reference)
                    }),
                Err(err) => Err(err),
            }
        }
        Command::Note { reference, text } => {
            let note = NewNote {
                body: text,
                occurred_at: None,
                marker: None,
                highlighted: false,
            };
            add_note(db, user, reference, note).await.map(|_| {
                let said = format!("{} added a note to {reference}", user.display_name);
                (said, reference)
            })
        }
    };
    match done {
        Ok((text, reference)) => Ok(Reply {
            text,
            link: Some(format!("{base_url}/incidents/{reference}")),
            in_channel: true,
        }),
        Err(AppError::Invalid(errors)) => Ok(Reply::private(
            errors
                .iter()
                .map(|e| e.message.clone())
                .collect::<Vec<_>>()
                .join(" "),
        )),
        Err(AppError::NotFound(why)) | Err(AppError::Conflict { message: why }) => {
            Ok(Reply::private(why))
        }
        Err(AppError::Forbidden) => Ok(Reply::private(AppError::Forbidden.to_string())),
        Err(other) => Err(other),
    }
}
