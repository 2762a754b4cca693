//! What a rule would do on an incident now, with nothing written: admins try a rule on a
//! real incident before saving it, or a saved draft before enabling it.

use super::names::{Names, describe};
use super::{load, parts, run::facts};
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::IncidentRef;
use crate::rules::engine::{Miss, misses};
use crate::rules::{DryRun, RuleInput};

/// Checks rule `id`'s conditions against incident `reference` as it is now and says
/// what the rule would do, or which conditions do not hold.
pub async fn dry_run(
    db: &impl Writer,
    id: i64,
    reference: IncidentRef,
) -> Result<DryRun, AppError> {
    let rule = load(db, id).await?;
    let (conditions, actions) = parts(&rule);
    let input = RuleInput {
        name: rule.name,
        description: rule.description,
        trigger: rule.trigger,
        conditions,
        actions,
        enabled: rule.enabled,
    };
    try_input(db, &input, reference).await
}

/// [`dry_run`] for a rule as written, saved or not (checked by `check_input`).
pub async fn try_input(
    db: &impl Writer,
    rule: &RuleInput,
    reference: IncidentRef,
) -> Result<DryRun, AppError> {
    let (conditions, actions) = (&rule.conditions, &rule.actions);
    let current = crate::incidents::service::load(db, reference)
        .await
        .map_err(|e| match e {
            AppError::NotFound(message) => AppError::invalid("incident", message),
            other => other,
        })?;
    let names = Names::load(db).await?;
    let positions: Vec<(i64, i32)> = names.severities.iter().map(|s| (s.0, s.2)).collect();
    let facts = facts(db, &current, &positions).await?;
    let missed = misses(conditions, &facts, |id| names.position(id));
    let when = rule.trigger.label().to_lowercase();
    let mut lines = Vec::new();
    let matches = missed.is_empty();
    if matches {
        let (_, then) = describe(conditions, actions, &names);
        lines.push(format!("When {when}, on {reference} this rule would:"));
        lines.extend(then);
        if !rule.enabled {
            lines.push("As a draft it runs on nothing until it is enabled.".to_owned());
        }
    } else {
        lines.push(format!(
            "When {when}, this rule would not run on {reference}:"
        ));
        for miss in missed {
            lines.push(match miss {
                Miss::SeverityBelow => format!(
                    "its severity {} is less severe than {}",
                    names.severity(current.severity_id),
                    names.severity(conditions.min_severity_id.unwrap_or_default())
                ),
                Miss::NoService => {
                    let services: Vec<String> = conditions
                        .service_ids
                        .iter()
                        .map(|id| names.service(*id))
                        .collect();
                    format!("it affects none of {}", services.join(", "))
                }
                Miss::OtherType => format!(
                    "it is of type {}, not {}",
                    facts
                        .type_id
                        .map(|t| names.kind(t))
                        .unwrap_or_else(|| "none".into()),
                    names.kind(conditions.type_id.unwrap_or_default())
                ),
                Miss::FieldDiffers => {
                    let (label, value) = names.field(conditions.field.as_ref().expect("missed"));
                    format!("its {label} is not {value}")
                }
            });
        }
    }
    Ok(DryRun {
        reference,
        matches,
        lines,
    })
}
