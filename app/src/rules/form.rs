//! The rule form as posted (every select and box a flat field, so it works without
//! JavaScript) and its reading into a [`RuleInput`]: pure, every error beside its field.
//! Whether the chosen things exist is the service's check, shared with the API.

use serde::{Deserialize, Serialize};

use super::{
    Actions, Conditions, FieldMatch, ItemTemplate, RoleAssignment, RuleInput, RuleView,
    StatusDraft, Trigger,
};
use crate::action_items::Priority;
use crate::error::FieldError;
use crate::incidents::IncidentRole;
use crate::status::PublicState;

/// The rule form's fields, named as the errors name them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleForm {
    pub name: String,
    pub description: String,
    pub trigger: String,
    pub enabled: Option<String>,
    pub min_severity_id: String,
    pub services: Option<Vec<String>>,
    pub type_id: String,
    pub field_id: String,
    pub field_value: String,
    pub playbook_id: String,
    pub role: String,
    pub role_user_id: String,
    pub item_title: String,
    pub item_priority: String,
    pub item_due_days: String,
    pub set_field_id: String,
    pub set_field_value: String,
    pub channel_id: String,
    pub require_postmortem: Option<String>,
    pub draft_state: String,
    pub draft_body: String,
    pub set_severity_id: String,
}

/// An id from a select: empty is none; anything else must be a number.
fn id(text: &str, field: &str, message: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    match text.parse::<i64>() {
        Ok(id) if id > 0 => Some(id),
        _ => {
            errors.push(FieldError::new(field, message));
            None
        }
    }
}

/// Reads the form; the errors name the form's fields.
pub fn read(form: &RuleForm) -> Result<RuleInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let trigger = Trigger::parse(&form.trigger);
    if trigger.is_none() {
        errors.push(FieldError::new("trigger", "Choose when the rule runs."));
    }
    let min_severity_id = id(
        &form.min_severity_id,
        "min_severity_id",
        "Choose a severity from the list.",
        &mut errors,
    );
    let mut service_ids = Vec::new();
    for text in form.services.iter().flatten() {
        if let Some(s) = id(
            text,
            "services",
            "Choose services from the list.",
            &mut errors,
        ) {
            service_ids.push(s);
        }
    }
    service_ids.sort_unstable();
    service_ids.dedup();
    let type_id = id(
        &form.type_id,
        "type_id",
        "Choose a type from the list.",
        &mut errors,
    );
    let field = pair(
        &form.field_id,
        &form.field_value,
        ("field_id", "field_value"),
        &mut errors,
    );
    let playbook_id = id(
        &form.playbook_id,
        "playbook_id",
        "Choose a playbook from the list.",
        &mut errors,
    );
    let role = form.role.trim();
    let user = id(
        &form.role_user_id,
        "role_user_id",
        "Choose a person from the list.",
        &mut errors,
    );
    let assign_role = match (role.is_empty(), user) {
        (true, None) => None,
        (false, Some(user_id)) => match IncidentRole::parse(role) {
            Some(role) => Some(RoleAssignment { role, user_id }),
            None => {
                errors.push(FieldError::new("role", "Choose a role from the list."));
                None
            }
        },
        (true, Some(_)) => {
            errors.push(FieldError::new("role", "Choose the role to give them."));
            None
        }
        (false, None) => {
            if !errors.iter().any(|e| e.field == "role_user_id") {
                errors.push(FieldError::new("role_user_id", "Choose who gets the role."));
            }
            None
        }
    };
    let action_item = item(form, &mut errors);
    let set_field = pair(
        &form.set_field_id,
        &form.set_field_value,
        ("set_field_id", "set_field_value"),
        &mut errors,
    );
    let channel_id = id(
        &form.channel_id,
        "channel_id",
        "Choose a channel from the list.",
        &mut errors,
    );
    let status_draft = draft(form, &mut errors);
    let set_severity_id = id(
        &form.set_severity_id,
        "set_severity_id",
        "Choose a severity from the list.",
        &mut errors,
    );
    let actions = Actions {
        playbook_id,
        assign_role,
        action_item,
        set_field,
        channel_id,
        require_postmortem: form.require_postmortem.is_some(),
        status_draft,
        set_severity_id,
    };
    if actions.is_empty() && errors.is_empty() {
        errors.push(FieldError::new(
            "actions",
            "Choose at least one thing for the rule to do.",
        ));
    }
    match trigger {
        Some(trigger) if errors.is_empty() => Ok(RuleInput {
            name: form.name.clone(),
            description: form.description.clone(),
            trigger,
            conditions: Conditions {
                min_severity_id,
                service_ids,
                type_id,
                field,
            },
            actions,
            enabled: form.enabled.is_some(),
        }),
        _ => Err(errors),
    }
}

/// A custom field and a value: both or neither.
fn pair(
    field: &str,
    value: &str,
    (field_key, value_key): (&str, &str),
    errors: &mut Vec<FieldError>,
) -> Option<FieldMatch> {
    let field_id = id(
        field,
        field_key,
        "Choose a custom field from the list.",
        errors,
    );
    let value = value.trim();
    match (field_id, value.is_empty()) {
        (Some(field_id), false) => Some(FieldMatch {
            field_id,
            value: value.to_owned(),
        }),
        (Some(_), true) => {
            errors.push(FieldError::new(value_key, "Say which value."));
            None
        }
        (None, false) => {
            if !errors.iter().any(|e| e.field == field_key) {
                errors.push(FieldError::new(
                    field_key,
                    "Choose the field this value is for.",
                ));
            }
            None
        }
        (None, true) => None,
    }
}

fn item(form: &RuleForm, errors: &mut Vec<FieldError>) -> Option<ItemTemplate> {
    let title = form.item_title.trim();
    let due = form.item_due_days.trim();
    if title.is_empty() {
        if !due.is_empty() {
            errors.push(FieldError::new(
                "item_title",
                "Name the action item the due date is for.",
            ));
        }
        return None;
    }
    let due_in_days = if due.is_empty() {
        None
    } else {
        match due.parse::<u32>() {
            Ok(days) if days <= 365 => Some(days),
            _ => {
                errors.push(FieldError::new(
                    "item_due_days",
                    "Use a whole number of days from 0 to 365.",
                ));
                None
            }
        }
    };
    let priority = if form.item_priority.trim().is_empty() {
        Some(Priority::Medium)
    } else {
        Priority::parse(&form.item_priority)
    };
    let Some(priority) = priority else {
        errors.push(FieldError::new(
            "item_priority",
            "Choose a priority from the list.",
        ));
        return None;
    };
    Some(ItemTemplate {
        title: title.to_owned(),
        priority,
        due_in_days,
    })
}

fn draft(form: &RuleForm, errors: &mut Vec<FieldError>) -> Option<StatusDraft> {
    let body = form.draft_body.trim();
    if body.is_empty() {
        return None;
    }
    match PublicState::parse(&form.draft_state) {
        Some(state) => Some(StatusDraft {
            state,
            body: body.to_owned(),
        }),
        None => {
            errors.push(FieldError::new(
                "draft_state",
                "Choose the state customers are told.",
            ));
            None
        }
    }
}

/// The form filled from a stored rule (editing it).
pub fn of_rule(rule: &RuleView) -> RuleForm {
    let text = |id: Option<i64>| id.map(|i| i.to_string()).unwrap_or_default();
    let c = &rule.conditions;
    let a = &rule.actions;
    RuleForm {
        name: rule.name.clone(),
        description: rule.description.clone(),
        trigger: rule.trigger.as_str().to_owned(),
        enabled: rule.enabled.then(|| "on".to_owned()),
        min_severity_id: text(c.min_severity_id),
        services: Some(c.service_ids.iter().map(i64::to_string).collect()),
        type_id: text(c.type_id),
        field_id: text(c.field.as_ref().map(|f| f.field_id)),
        field_value: c
            .field
            .as_ref()
            .map(|f| f.value.clone())
            .unwrap_or_default(),
        playbook_id: text(a.playbook_id),
        role: a
            .assign_role
            .as_ref()
            .map(|r| r.role.as_str().to_owned())
            .unwrap_or_default(),
        role_user_id: text(a.assign_role.as_ref().map(|r| r.user_id)),
        item_title: a
            .action_item
            .as_ref()
            .map(|i| i.title.clone())
            .unwrap_or_default(),
        item_priority: a
            .action_item
            .as_ref()
            .map(|i| i.priority.as_str().to_owned())
            .unwrap_or_default(),
        item_due_days: a
            .action_item
            .as_ref()
            .and_then(|i| i.due_in_days)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        set_field_id: text(a.set_field.as_ref().map(|f| f.field_id)),
        set_field_value: a
            .set_field
            .as_ref()
            .map(|f| f.value.clone())
            .unwrap_or_default(),
        channel_id: text(a.channel_id),
        require_postmortem: a.require_postmortem.then(|| "on".to_owned()),
        draft_state: a
            .status_draft
            .as_ref()
            .map(|d| d.state.as_str().to_owned())
            .unwrap_or_default(),
        draft_body: a
            .status_draft
            .as_ref()
            .map(|d| d.body.clone())
            .unwrap_or_default(),
        set_severity_id: text(a.set_severity_id),
    }
}

#[cfg(test)]
mod tests;
