//! The default template admins can change; kept in the settings table as JSON.

use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::audit::service::{self as audit, Actor};
use crate::error::AppError;
use crate::postmortems::template::{SETTING_KEY, SectionTemplate, default_template, validate};
use crate::system::settings;

/// The template new postmortems start from.
pub async fn current(db: &impl ConnectionTrait) -> Result<Vec<SectionTemplate>, AppError> {
    let stored = settings::get(db, SETTING_KEY).await?.and_then(|json| {
        serde_json::from_str::<Vec<SectionTemplate>>(&json)
            .inspect_err(|err| tracing::error!(%err, "unreadable postmortem template"))
            .ok()
    });
    // A damaged template is logged and new postmortems start from the built-in one: a
    // postmortem must be startable in the middle of an incident review.
    Ok(stored
        .filter(|sections| !sections.is_empty())
        .unwrap_or_else(default_template))
}

/// Replaces the template; existing postmortems keep their sections.
pub async fn save(
    db: &impl ConnectionTrait,
    actor: &Actor,
    sections: &[SectionTemplate],
) -> Result<(), AppError> {
    let sections = validate(sections).map_err(|message| AppError::invalid("sections", message))?;
    let json = serde_json::to_string(&sections).map_err(AppError::internal)?;
    settings::put(db, SETTING_KEY, &json).await?;
    audit::record(
        db,
        actor,
        "postmortem_template.updated",
        None,
        json!({ "sections": sections.iter().map(|s| s.title.clone()).collect::<Vec<_>>() }),
    )
    .await
}

/// Back to the built-in template.
pub async fn reset(db: &impl ConnectionTrait, actor: &Actor) -> Result<(), AppError> {
    settings::delete(db, SETTING_KEY).await?;
    audit::record(db, actor, "postmortem_template.reset", None, json!({})).await
}
