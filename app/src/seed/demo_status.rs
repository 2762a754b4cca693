//! The demo's public status page: switched on, the four customer-facing services as
//! components, the stories customers noticed published with their updates (moved to the
//! moments they describe), the ongoing one still open, and maintenance announced.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};

use crate::accounts::CurrentUser;
use crate::audit::service::Actor;
use crate::db::Writer;
use crate::error::AppError;
use crate::incidents::entities::timeline_event;
use crate::incidents::{EventKind, IncidentRef};
use crate::status::entities::{status_incident, update};
use crate::status::{ComponentEdit, MaintenanceEdit, Publication, SettingsEdit, service};

/// A story as told inside, with its moments (minutes from the impact start).
pub struct Told {
    pub title: &'static str,
    pub reference: IncidentRef,
    pub services: &'static [usize],
    pub start: DateTime<Utc>,
    pub declare: i64,
    pub mitigate: Option<i64>,
    pub resolve: Option<i64>,
}

/// The demo's services shown on the page: (service index, public name, group).
const COMPONENTS: [(usize, &str, &str, &str); 4] = [
    (
        0,
        "Checkout",
        "Store",
        "Placing orders on the web and in the apps.",
    ),
    (
        1,
        "Payments",
        "Store",
        "Card payments and payment notifications.",
    ),
    (2, "Search", "Platform", "Searching the catalogue."),
    (3, "Sign-in", "Platform", "Passwords and single sign-on."),
];

/// The stories customers were told about: internal title, public title, and what was
/// said at each step (investigating, identified, monitoring, resolved).
const PUBLISHED: [(&str, &str, [&str; 4]); 6] = [
    (
        "Checkout returns 502 after deploy",
        "Errors when placing orders",
        [
            "Some orders fail with an error. We are investigating.",
            "A recent change caused the errors; we are rolling it back.",
            "The change is rolled back and orders go through. We are watching closely.",
            "Orders have worked normally since the rollback. Orders that failed were not charged.",
        ],
    ),
    (
        "Card payments declined for one processor",
        "Card payments declined",
        [
            "Some card payments are being declined. We are investigating.",
            "One of our card processors is failing; we are moving payments to another.",
            "Payments go through the other processor. We are monitoring.",
            "Card payments work normally. Declined payments were not charged; please try again.",
        ],
    ),
    (
        "Shakespeare search down: query of death",
        "Search unavailable",
        [
            "Search returns errors for most queries. We are investigating.",
            "A rare query overloads the search servers; we are blocking it and adding capacity.",
            "Search answers again with extra capacity in place. We are monitoring.",
            "Search has worked normally for several hours. We will publish what we learned.",
        ],
    ),
    (
        "Checkout and payments timeouts (network)",
        "Slow checkout and payments",
        [
            "Checkout and payments are slow or time out. We are investigating.",
            "A network link between our data centres is degraded; traffic is being moved.",
            "Traffic avoids the degraded link and timeouts have stopped. We are monitoring.",
            "Checkout and payments are back to normal speed.",
        ],
    ),
    (
        "SSO logins failing for one customer",
        "Single sign-on failing for some customers",
        [
            "Some customers cannot sign in with single sign-on. Password sign-in works.",
            "An expired certificate is the cause; we are renewing it.",
            "The certificate is renewed and single sign-on works. We are monitoring.",
            "Single sign-on works for every customer.",
        ],
    ),
    (
        "Payments webhook backlog",
        "Delayed payment notifications",
        [
            "Payment confirmations reach some stores late. Payments themselves are not affected.",
            "A backlog of notifications built up; we have added workers and it is shrinking.",
            "",
            "",
        ],
    ),
];

/// Switches the page on and publishes the stories of [`PUBLISHED`] among `told`;
/// `services` are the demo's service ids in its order.
pub async fn seed_status_page(
    db: &impl Writer,
    admin: &CurrentUser,
    services: &[i64],
    told: &[Told],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let settings = SettingsEdit {
        enabled: true,
        name: "Acme status".into(),
        brand_colour: "#1f4f8f".into(),
        links:
            "Help centre | https://help.example.com\nContact support | https://example.com/support"
                .into(),
        ..Default::default()
    };
    service::save_settings(db, admin, &Actor::default(), &settings).await?;
    let mut components = Vec::new();
    for (index, name, group, description) in COMPONENTS {
        let edit = ComponentEdit {
            service: services[index].to_string(),
            name: name.into(),
            group: group.into(),
            description: description.into(),
            position: None,
        };
        let added = service::add_component(db, admin, &Actor::default(), &edit).await?;
        components.push((index, added.id));
    }
    for (internal, public, said) in PUBLISHED {
        let Some(story) = told.iter().find(|t| t.title == internal) else {
            continue;
        };
        let at = |m: i64| (story.start + Duration::minutes(m)).min(now);
        let declare = story.declare;
        let mitigate = story.mitigate;
        let found = mitigate.map_or(declare + 30, |m| declare + (m - declare) / 2);
        let steps = [
            ("investigating", Some(declare + 5)),
            ("identified", Some(found)),
            ("monitoring", mitigate.map(|m| m + 2)),
            ("resolved", story.resolve),
        ];
        let mut moments = Vec::new();
        let mut version = None;
        for ((state, minute), body) in steps.into_iter().zip(said) {
            let Some(minute) = minute.filter(|_| !body.is_empty()) else {
                continue;
            };
            let post = Publication {
                title: Some(public.into()),
                state: state.into(),
                components: Some(
                    components
                        .iter()
                        .filter(|(index, _)| story.services.contains(index))
                        .map(|(_, id)| *id)
                        .collect(),
                ),
                body: body.into(),
                version,
                ..Default::default()
            };
            service::publish(db, admin, story.reference, &post).await?;
            version = Some(version.unwrap_or(0) + 1);
            moments.push(at(minute));
        }
        backdate(db, story.reference, &moments).await?;
    }
    // Announced for the night after next, 02:00 to 03:30 UTC, outside the SLO.
    let night = (now + Duration::days(2))
        .date_naive()
        .and_hms_opt(2, 0, 0)
        .unwrap_or_default()
        .and_utc();
    let search = components.iter().find(|(index, _)| *index == 2);
    let upgrade = MaintenanceEdit {
        title: "Search index upgrade".into(),
        body: "We are moving search to a new index. Searches may return incomplete results for up to a minute at a time; everything else works as usual.".into(),
        starts_at: Some(night),
        ends_at: Some(night + Duration::minutes(90)),
        components: search.map(|(_, id)| *id).into_iter().collect(),
        counts_against_slo: false,
        version: None,
    };
    service::schedule(db, admin, &Actor::default(), &upgrade).await?;
    Ok(())
}

/// Moves a published incident, its updates and their timeline entries to `moments` (one
/// per update, in order).
async fn backdate(
    db: &impl ConnectionTrait,
    reference: IncidentRef,
    moments: &[DateTime<Utc>],
) -> Result<(), AppError> {
    let (Some(first), Some(last)) = (moments.first(), moments.last()) else {
        return Ok(());
    };
    let Some(row) = status_incident::Entity::find()
        .filter(status_incident::Column::IncidentId.eq(reference.0))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let updates = update::Entity::find()
        .filter(update::Column::StatusIncidentId.eq(row.id))
        .order_by_asc(update::Column::Id)
        .all(db)
        .await?;
    for (u, at) in updates.into_iter().zip(moments) {
        let mut model = u.into_active_model();
        model.created_at = Set(*at);
        model.update(db).await?;
    }
    let events = timeline_event::Entity::find()
        .filter(timeline_event::Column::IncidentId.eq(reference.0))
        .filter(timeline_event::Column::Kind.eq(EventKind::StatusPage))
        .order_by_asc(timeline_event::Column::Id)
        .all(db)
        .await?;
    for (e, at) in events.into_iter().zip(moments) {
        let mut model = e.into_active_model();
        model.occurred_at = Set(*at);
        model.update(db).await?;
    }
    let resolved = row.resolved_at.is_some();
    let mut model = row.into_active_model();
    model.published_at = Set(*first);
    model.updated_at = Set(*last);
    if resolved {
        model.resolved_at = Set(Some(*last));
    }
    model.update(db).await?;
    service::changed();
    Ok(())
}
