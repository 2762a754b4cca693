//! The names of what rules refer to, read once per page or run, so a rule reads in words
//! ("severity SEV2 or worse", "attach the playbook Database failover").

use crate::accounts::entities::user;
use crate::catalog::entities::service;
use crate::db::Writer;
use crate::db::listed;
use crate::error::AppError;
use crate::fields::{FieldDef, FieldKind};
use crate::incidents::entities::{incident_type, severity};
use crate::notifications::entities::channel;
use crate::playbooks::entities::playbook;
use crate::rules::{Actions, Choice, Conditions, FieldMatch, RuleChoices};

/// An id, a name, and whether it can still be chosen.
#[derive(Debug, Clone)]
struct Named {
    id: i64,
    name: String,
    usable: bool,
}

fn find(list: &[Named], id: i64) -> String {
    list.iter()
        .find(|n| n.id == id)
        .map(|n| n.name.clone())
        .unwrap_or_else(|| format!("#{id} (deleted)"))
}

fn usable(list: &[Named], id: i64) -> bool {
    list.iter().any(|n| n.id == id && n.usable)
}

fn choices_of(list: &[Named]) -> Vec<Choice> {
    list.iter()
        .filter(|n| n.usable)
        .map(|n| Choice {
            id: n.id,
            name: n.name.clone(),
        })
        .collect()
}

/// Everything a rule can name.
#[derive(Debug, Clone)]
pub struct Names {
    /// Most severe first: (id, name, position).
    pub severities: Vec<(i64, String, i32)>,
    services: Vec<Named>,
    types: Vec<Named>,
    pub fields: Vec<FieldDef>,
    playbooks: Vec<Named>,
    channels: Vec<Named>,
    people: Vec<Named>,
}

impl Names {
    pub async fn load(db: &impl Writer) -> Result<Self, AppError> {
        let named = |id, name, usable| Named { id, name, usable };
        let severities = listed::<severity::Entity, _>(db, severity::Column::Position, |s| {
            (s.id, s.name, s.position)
        })
        .await?;
        let services = listed::<service::Entity, _>(db, service::Column::Name, |s| {
            named(s.id, s.name, s.archived_at.is_none())
        })
        .await?;
        let types = listed::<incident_type::Entity, _>(db, incident_type::Column::Name, |t| {
            named(t.id, t.name, t.archived_at.is_none())
        })
        .await?;
        let playbooks = listed::<playbook::Entity, _>(db, playbook::Column::Title, |p| {
            named(p.id, p.title, p.archived_at.is_none())
        })
        .await?;
        let channels =
            listed::<channel::Entity, _>(db, channel::Column::Name, |c| named(c.id, c.name, true))
                .await?;
        let people = listed::<user::Entity, _>(db, user::Column::DisplayName, |u| {
            let usable = u.is_active_responder();
            named(u.id, u.display_name, usable)
        })
        .await?;
        Ok(Self {
            severities,
            services,
            types,
            fields: crate::fields::service::list_fields(db, true).await?,
            playbooks,
            channels,
            people,
        })
    }

    pub fn severity(&self, id: i64) -> String {
        self.severities
            .iter()
            .find(|s| s.0 == id)
            .map(|s| s.1.clone())
            .unwrap_or_else(|| format!("#{id} (deleted)"))
    }

    pub fn position(&self, id: i64) -> Option<i32> {
        self.severities.iter().find(|s| s.0 == id).map(|s| s.2)
    }

    pub fn has_severity(&self, id: i64) -> bool {
        self.position(id).is_some()
    }

    pub fn has_service(&self, id: i64) -> bool {
        usable(&self.services, id)
    }

    pub fn has_type(&self, id: i64) -> bool {
        usable(&self.types, id)
    }

    pub fn has_playbook(&self, id: i64) -> bool {
        usable(&self.playbooks, id)
    }

    pub fn has_channel(&self, id: i64) -> bool {
        usable(&self.channels, id)
    }

    pub fn has_person(&self, id: i64) -> bool {
        usable(&self.people, id)
    }

    pub fn service(&self, id: i64) -> String {
        find(&self.services, id)
    }

    pub fn kind(&self, id: i64) -> String {
        find(&self.types, id)
    }

    pub fn playbook(&self, id: i64) -> String {
        find(&self.playbooks, id)
    }

    pub fn channel(&self, id: i64) -> String {
        find(&self.channels, id)
    }

    pub fn person(&self, id: i64) -> String {
        find(&self.people, id)
    }

    /// A field's label and a value as a reader sees it (a person's name for a user id).
    pub fn field(&self, m: &FieldMatch) -> (String, String) {
        let def = self.fields.iter().find(|f| f.id == m.field_id);
        let label = def
            .map(|f| f.label.clone())
            .unwrap_or_else(|| format!("#{} (deleted)", m.field_id));
        let value = match (def.map(|f| f.kind), m.value.parse::<i64>()) {
            (Some(FieldKind::Person), Ok(id)) => self.person(id),
            _ => m.value.clone(),
        };
        (label, value)
    }
}

/// A rule's conditions and actions in words, as the admin page and the API show them.
pub fn describe(
    conditions: &Conditions,
    actions: &Actions,
    names: &Names,
) -> (Vec<String>, Vec<String>) {
    let mut when = Vec::new();
    if let Some(id) = conditions.min_severity_id {
        when.push(format!("severity is {} or more severe", names.severity(id)));
    }
    if !conditions.service_ids.is_empty() {
        let services: Vec<String> = conditions
            .service_ids
            .iter()
            .map(|id| names.service(*id))
            .collect();
        when.push(format!("affects {}", services.join(" or ")));
    }
    if let Some(id) = conditions.type_id {
        when.push(format!("type is {}", names.kind(id)));
    }
    if let Some(field) = &conditions.field {
        let (label, value) = names.field(field);
        when.push(format!("{label} is {value}"));
    }
    let mut then = Vec::new();
    if let Some(id) = actions.playbook_id {
        then.push(format!("attach the playbook {}", names.playbook(id)));
    }
    if let Some(assign) = &actions.assign_role {
        then.push(format!(
            "make {} {}",
            names.person(assign.user_id),
            assign.role.label().to_lowercase()
        ));
    }
    if let Some(item) = &actions.action_item {
        let due = match item.due_in_days {
            Some(1) => ", due in 1 day".to_owned(),
            Some(days) => format!(", due in {days} days"),
            None => String::new(),
        };
        then.push(format!(
            "add the action item “{}” ({} priority{due}, owned by the commander)",
            item.title,
            item.priority.label().to_lowercase()
        ));
    }
    if let Some(field) = &actions.set_field {
        let (label, value) = names.field(field);
        then.push(format!("set {label} to {value}"));
    }
    if let Some(id) = actions.channel_id {
        then.push(format!("tell the channel {}", names.channel(id)));
    }
    if actions.require_postmortem {
        then.push("require a published postmortem before closing".to_owned());
    }
    if let Some(draft) = &actions.status_draft {
        then.push(format!(
            "draft a status page update ({})",
            draft.state.label().to_lowercase()
        ));
    }
    if let Some(id) = actions.set_severity_id {
        then.push(format!("set the severity to {}", names.severity(id)));
    }
    (when, then)
}

/// What the rule form chooses from: what can still be chosen.
pub async fn choices(db: &impl Writer) -> Result<RuleChoices, AppError> {
    let names = Names::load(db).await?;
    Ok(RuleChoices {
        severities: names
            .severities
            .iter()
            .map(|(id, name, _)| Choice {
                id: *id,
                name: name.clone(),
            })
            .collect(),
        services: choices_of(&names.services),
        types: choices_of(&names.types),
        fields: names
            .fields
            .iter()
            .filter(|f| !f.archived)
            .map(|f| Choice {
                id: f.id,
                name: f.label.clone(),
            })
            .collect(),
        playbooks: choices_of(&names.playbooks),
        channels: choices_of(&names.channels),
        people: choices_of(&names.people),
    })
}
