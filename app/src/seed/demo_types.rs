//! The demo's incident types and custom fields: customer-facing outages need a
//! communications lead, a postmortem and the region before they are resolved.

use crate::audit::service::Actor;
use crate::db::Writer;
use crate::error::AppError;
use crate::fields::service::{create_field, save_type};
use crate::fields::{FieldInput, FieldKind, Stage};
use crate::incidents::IncidentRole;
use crate::incidents::types::{FieldValues, TypeInput};

/// What the stories use: the outage type and its two fields.
pub struct DemoTypes {
    pub outage: i64,
    pub region: i64,
    pub customers: i64,
}

impl DemoTypes {
    /// The values a customer-facing story declares with (the `n`th such story).
    pub fn values(&self, n: usize) -> FieldValues {
        let region = ["US", "EU", "APAC"][n % 3];
        FieldValues::from([
            (self.region, vec![region.to_owned()]),
            (self.customers, vec![(1_200 * (n + 1)).to_string()]),
        ])
    }
}

/// Writes the types and fields; `severity` gives a level's id by position.
pub async fn seed_types(
    db: &impl Writer,
    actor: &Actor,
    severity: impl Fn(i32) -> Result<i64, AppError>,
) -> Result<DemoTypes, AppError> {
    let outage = save_type(
        db,
        actor,
        None,
        &TypeInput {
            name: "Customer-facing outage".into(),
            description: "Customers see errors or cannot use the product.".into(),
            default_severity_id: Some(severity(2)?),
            required_roles: vec![IncidentRole::Communications],
            postmortem_required: true,
            is_default: false,
        },
        &[],
        &[],
        1,
    )
    .await?;
    save_type(
        db,
        actor,
        None,
        &TypeInput {
            name: "Security".into(),
            description: "Someone may have reached what they should not.".into(),
            default_severity_id: Some(severity(1)?),
            required_roles: vec![IncidentRole::Communications, IncidentRole::Scribe],
            postmortem_required: true,
            is_default: false,
        },
        &[],
        &[],
        1,
    )
    .await?;
    let region = create_field(
        db,
        actor,
        &FieldInput {
            label: "Region".into(),
            description: "Where customers were affected.".into(),
            kind: FieldKind::Select,
            options: vec!["US".into(), "EU".into(), "APAC".into()],
            required_at: Stage::Resolve,
            type_ids: vec![outage],
        },
    )
    .await?;
    let customers = create_field(
        db,
        actor,
        &FieldInput {
            label: "Customers affected".into(),
            description: "A rough count is fine.".into(),
            kind: FieldKind::Number,
            options: vec![],
            required_at: Stage::Never,
            type_ids: vec![outage],
        },
    )
    .await?;
    Ok(DemoTypes {
        outage,
        region,
        customers,
    })
}

/// The demo's rule: every customer-facing outage gets the customer letter as an action
/// item and a first status page update drafted, so its run shows on those timelines.
pub async fn seed_rule(
    db: &impl Writer,
    admin: &crate::accounts::CurrentUser,
    outage: i64,
) -> Result<(), AppError> {
    use crate::action_items::Priority;
    use crate::rules::{Actions, Conditions, ItemTemplate, RuleInput, StatusDraft, Trigger};
    let input = RuleInput {
        name: "Customer-facing outages: tell customers".into(),
        description: "Nobody should have to remember the letter or the first public update in the middle of an outage.".into(),
        trigger: Trigger::Declared,
        conditions: Conditions {
            type_id: Some(outage),
            ..Default::default()
        },
        actions: Actions {
            action_item: Some(ItemTemplate {
                title: "Send the customer follow-up letter".into(),
                priority: Priority::High,
                due_in_days: Some(3),
            }),
            status_draft: Some(StatusDraft {
                state: crate::status::PublicState::Investigating,
                body: "We are investigating errors affecting some customers. Next update within 30 minutes.".into(),
            }),
            ..Default::default()
        },
        enabled: true,
    };
    let input = crate::rules::service::check_input(db, admin, &input).await?;
    crate::rules::service::create_rule(db, &admin.actor(None), &input).await?;
    Ok(())
}
