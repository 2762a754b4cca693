//! The home page composed from each domain's own read: a few indexed statements and one
//! read of the history over the longest SLO window, shared by every view (`db::Shared`).

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sea_orm::StreamTrait;

use super::OnCall;
use crate::accounts::CurrentUser;
use crate::action_items::ActionItemFilter;
use crate::action_items::service as action_items;
use crate::db::{Shared, Writer};
use crate::error::AppError;
use crate::incidents::service::on_call as incidents;
use crate::incidents::service::query::severities;
use crate::metrics::service as metrics;
use crate::metrics::{BudgetAlert, SeverityLevel};
use crate::postmortems::service::duties;

/// What waits for `user` at `now` (`today` in their zone decides what is overdue). The
/// budgets are the same for everyone: `budgets` keeps them between views.
pub async fn on_call(
    db: &(impl StreamTrait + Writer),
    budgets: &Shared<Vec<BudgetAlert>>,
    user: &CurrentUser,
    now: DateTime<Utc>,
    today: NaiveDate,
) -> Result<OnCall, AppError> {
    let me = user.id.0;
    // Read once: incidents name their severity, budgets count downtime by it.
    let levels = severities(db).await?;
    let (active, active_total) = incidents::active(db, me, OnCall::ACTIVE_SHOWN, &levels).await?;
    let items = action_items::list_action_items(
        db,
        &ActionItemFilter {
            owner_id: Some(me),
            pending: true,
            ..ActionItemFilter::default()
        },
        today,
    )
    .await?;
    let can_write = user.role.can_write();
    let postmortems = if can_write {
        duties::duties(db, me, OnCall::DUTIES_SHOWN).await?
    } else {
        Vec::new()
    };
    let thresholds: Vec<SeverityLevel> = levels.iter().map(SeverityLevel::from).collect();
    let at = now.timestamp();
    let all = budgets
        .get(at, crate::db::writes, || {
            metrics::budget_alerts(db, at, &thresholds)
        })
        .await?;
    let budgets_total = all.len() as u64;
    let budgets = all.iter().take(OnCall::BUDGETS_SHOWN).cloned().collect();
    let since = now - Duration::days(OnCall::RECENT_DAYS);
    let resolved = incidents::recently_resolved(db, since, OnCall::RECENT_SHOWN, &levels).await?;
    let mut my_items = items.items;
    my_items.truncate(OnCall::ITEMS_SHOWN);
    Ok(OnCall {
        active,
        active_total,
        my_items,
        my_items_total: items.total,
        postmortems,
        budgets,
        budgets_total,
        resolved,
        now,
        can_write,
    })
}
