//! The page's settings: kept as JSON in the settings table, saved by admins.

use std::collections::HashMap;

use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::accounts::CurrentUser;
use crate::audit::service::{self as audit, Actor};
use crate::db::{Kept, Writer};
use crate::error::{AppError, FieldError};
use crate::incidents::entities::severity;
use crate::status::{ComponentState, SettingsEdit, SeverityImpact, StatusLink, StatusSettings};
use crate::system::settings as stored_settings;
use crate::text::{has_control_characters, is_web_link};

const SETTINGS_KEY: &str = "status_page";
/// Header links at most.
pub const MAX_LINKS: usize = 6;

/// The settings as kept in the settings table.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub(super) struct Stored {
    pub(super) enabled: bool,
    pub(super) name: String,
    pub(super) logo_url: Option<String>,
    pub(super) brand_colour: String,
    pub(super) links: Vec<StatusLink>,
    /// Severity id to state; a severity not named maps by its position.
    pub(super) impacts: HashMap<i64, ComponentState>,
    /// Postmortem section titles shown publicly.
    pub(super) postmortem_sections: Vec<String>,
    pub(super) version: i32,
}

impl Stored {
    /// The state a published incident of this severity gives its components: the
    /// admin's choice, or the default for the severity's position.
    pub(super) fn state_for(&self, severity_id: i64, position: i32) -> ComponentState {
        self.impacts
            .get(&severity_id)
            .copied()
            .unwrap_or_else(|| ComponentState::for_position(position))
    }
}

pub(super) async fn stored(db: &impl Writer) -> Result<Stored, AppError> {
    let stored = STORED
        .get(db, || async {
            Ok(stored_settings::get(db, SETTINGS_KEY)
                .await?
                .and_then(|json| {
                    serde_json::from_str::<Stored>(&json)
                        .inspect_err(|err| tracing::error!(%err, "unreadable status page settings"))
                        .ok()
                })
                .unwrap_or_default())
        })
        .await?;
    Ok(Stored::clone(&stored))
}

/// The settings, kept between requests: every incident page's status card reads them.
/// `super::changed` forgets them.
pub(super) static STORED: Kept<Stored> = Kept::new();

/// The state each severity gives, most severe first.
fn impacts(stored: &Stored, severities: &[severity::Model]) -> Vec<SeverityImpact> {
    severities
        .iter()
        .map(|s| SeverityImpact {
            severity_id: s.id,
            severity: s.name.clone(),
            state: stored.state_for(s.id, s.position),
        })
        .collect()
}

async fn severities(db: &impl ConnectionTrait) -> Result<Vec<severity::Model>, AppError> {
    Ok(severity::Entity::find()
        .order_by_asc(severity::Column::Position)
        .all(db)
        .await?)
}

/// The postmortem sections admins may make public: the template's, less the timeline.
async fn section_choices(db: &impl ConnectionTrait) -> Result<Vec<String>, AppError> {
    Ok(crate::postmortems::service::templates::current(db)
        .await?
        .into_iter()
        .map(|s| s.title)
        .filter(|t| t != crate::postmortems::template::TIMELINE)
        .collect())
}

/// The page's settings, with a sensible look before an admin has saved any.
pub async fn settings(db: &impl Writer) -> Result<StatusSettings, AppError> {
    let stored = stored(db).await?;
    let severities = severities(db).await?;
    let choices = section_choices(db).await?;
    Ok(to_settings(&stored, &severities, choices))
}

fn to_settings(
    stored: &Stored,
    severities: &[severity::Model],
    section_choices: Vec<String>,
) -> StatusSettings {
    StatusSettings {
        enabled: stored.enabled,
        name: if stored.name.is_empty() {
            "Status".into()
        } else {
            stored.name.clone()
        },
        logo_url: stored.logo_url.clone(),
        brand_colour: if stored.brand_colour.is_empty() {
            DEFAULT_COLOUR.into()
        } else {
            stored.brand_colour.clone()
        },
        links: stored.links.clone(),
        impacts: impacts(stored, severities),
        postmortem_sections: stored.postmortem_sections.clone(),
        section_choices,
        version: stored.version,
    }
}

const DEFAULT_COLOUR: &str = "#1f4f8f";

/// `#rrggbb`, lower case; `None` for anything else.
pub fn colour(value: &str) -> Option<String> {
    let hex = value.trim().strip_prefix('#')?;
    (hex.len() == 6 && hex.chars().all(|c| c.is_ascii_hexdigit()))
        .then(|| format!("#{}", hex.to_ascii_lowercase()))
}

/// Reads `Label | https://…` lines; the first bad line is the error.
pub fn parse_links(text: &str) -> Result<Vec<StatusLink>, String> {
    let mut links = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |why: &str| format!("Line {}: {why}", n + 1);
        let (label, url) = line
            .split_once('|')
            .ok_or_else(|| bad("write “Label | https://…”."))?;
        let (label, url) = (label.trim(), url.trim());
        if label.is_empty() || label.chars().count() > 40 || has_control_characters(label) {
            return Err(bad("give the link a label of up to 40 characters."));
        }
        if !is_web_link(url) || url.len() > 2000 {
            return Err(bad("use an http:// or https:// address."));
        }
        links.push(StatusLink {
            label: label.into(),
            url: url.into(),
        });
    }
    if links.len() > MAX_LINKS {
        return Err(format!("Use at most {MAX_LINKS} links."));
    }
    Ok(links)
}

/// Saves the settings; refused when someone saved since `edit.version` was read.
pub async fn save_settings(
    db: &impl Writer,
    admin: &CurrentUser,
    actor: &Actor,
    edit: &SettingsEdit,
) -> Result<StatusSettings, AppError> {
    admin.require_admin()?;
    let mut errors = Vec::new();
    let name = edit.name.trim();
    if name.is_empty() {
        errors.push(FieldError::new("name", "Give the page a name."));
    } else if name.chars().count() > 100 || has_control_characters(name) {
        errors.push(FieldError::new(
            "name",
            "Use one line of at most 100 characters.",
        ));
    }
    let logo = edit.logo_url.trim();
    if !logo.is_empty()
        && (!logo.starts_with("https://") || !is_web_link(logo) || logo.len() > 2000)
    {
        errors.push(FieldError::new(
            "logo_url",
            "Use an https:// address of an image.",
        ));
    }
    let brand = colour(&edit.brand_colour);
    if brand.is_none() {
        errors.push(FieldError::new(
            "brand_colour",
            "Use a colour like #1f4f8f.",
        ));
    }
    let links = parse_links(&edit.links).unwrap_or_else(|message| {
        errors.push(FieldError::new("links", message));
        Vec::new()
    });
    let severities = severities(db).await?;
    let mut impacts = HashMap::new();
    for (id, word) in &edit.impacts {
        match (
            severities.iter().any(|s| s.id == *id),
            ComponentState::parse(word),
        ) {
            (true, Some(state)) if state.is_impact() => {
                impacts.insert(*id, state);
            }
            _ => errors.push(FieldError::new(
                "impacts",
                "Choose a state for each severity from the list.",
            )),
        }
    }
    let choices = section_choices(db).await?;
    let mut sections: Vec<String> = Vec::new();
    for title in &edit.postmortem_sections {
        if !choices.contains(title) {
            errors.push(FieldError::new(
                "postmortem_sections",
                "Choose sections of the postmortem template from the list.",
            ));
            break;
        }
        if !sections.contains(title) {
            sections.push(title.clone());
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    let txn = crate::db::begin_write(db).await?;
    let current = stored(&*txn).await?;
    if current.version != edit.version {
        return Err(AppError::Conflict {
            message: "Someone saved the status page settings since you opened them. Reload to see theirs.".into(),
        });
    }
    let saved = Stored {
        enabled: edit.enabled,
        name: name.into(),
        logo_url: (!logo.is_empty()).then(|| logo.to_owned()),
        brand_colour: brand.unwrap_or_default(),
        links,
        impacts,
        postmortem_sections: sections,
        version: current.version + 1,
    };
    let json = serde_json::to_string(&saved).map_err(AppError::internal)?;
    stored_settings::put(&*txn, SETTINGS_KEY, &json).await?;
    audit::record(
        &*txn,
        actor,
        "status_page.updated",
        None,
        json!({ "enabled": saved.enabled, "name": saved.name }),
    )
    .await?;
    txn.commit().await?;
    super::changed();
    Ok(to_settings(&saved, &severities, choices))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_map_to_states_by_position_until_an_admin_chooses() {
        assert_eq!(ComponentState::for_position(1), ComponentState::Major);
        assert_eq!(ComponentState::for_position(2), ComponentState::Partial);
        assert_eq!(ComponentState::for_position(4), ComponentState::Degraded);
        assert_eq!(
            ComponentState::Partial.worst(ComponentState::Degraded),
            ComponentState::Partial
        );
    }

    #[test]
    fn links_and_colours_are_checked_line_by_line() {
        assert_eq!(colour(" #1F4f8F "), Some("#1f4f8f".into()));
        assert_eq!(colour("#12345"), None);
        assert_eq!(colour("red"), None);
        assert_eq!(
            parse_links("Home | https://example.com\n\nSupport|https://example.com/help").unwrap(),
            vec![
                StatusLink {
                    label: "Home".into(),
                    url: "https://example.com".into()
                },
                StatusLink {
                    label: "Support".into(),
                    url: "https://example.com/help".into()
                },
            ]
        );
        assert_eq!(
            parse_links("Home | https://example.com\nEvil | javascript:alert(1)").unwrap_err(),
            "Line 2: use an http:// or https:// address."
        );
        assert!(
            parse_links("no bar here")
                .unwrap_err()
                .starts_with("Line 1")
        );
    }
}
