//! For the webhooks: find the source a delivery comes from, refuse it with 401 and an
//! audit entry when none is, and record what it reports on the services its mapping
//! names.

use std::collections::BTreeMap;

use chrono::Utc;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::json;
use sha2::Sha256;

use super::{source_word, split};
use crate::audit::service::{Actor, record as audit};
use crate::catalog::entities::service;
use crate::changes::ChangeSourceKind;
use crate::changes::entities::change_source;
use crate::changes::hooks::{Event, Reported};
use crate::changes::service::{Recorded, record};
use crate::error::AppError;
use crate::secrets;

/// Refuses a delivery with 401: counted against the address and written to the audit
/// log with the reason (never the secret).
async fn refuse(
    db: &impl ConnectionTrait,
    source: Option<&change_source::Model>,
    reason: &str,
    ip: Option<String>,
) -> AppError {
    let outcome = async {
        crate::accounts::service::throttle::token_rejected(db, "change_source", ip.as_deref())
            .await?;
        audit(
            db,
            &Actor {
                id: None,
                email: None,
                ip,
            },
            "changes.delivery_rejected",
            source.map(|s| format!("change source {}", s.id)).as_deref(),
            json!({ "reason": reason }),
        )
        .await
    }
    .await;
    match outcome {
        Ok(()) => AppError::Unauthorized,
        Err(err) => err,
    }
}

/// The enabled source of `kind` that `secret` (a bearer token, or GitLab's
/// `X-Gitlab-Token`) belongs to.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    kind: ChangeSourceKind,
    secret: Option<&str>,
    ip: Option<String>,
) -> Result<change_source::Model, AppError> {
    let Some(secret) = secret.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(refuse(db, None, "no secret", ip).await);
    };
    let found = change_source::Entity::find()
        .filter(change_source::Column::TokenHash.eq(secrets::hash(secret)))
        .one(db)
        .await?;
    match found {
        None => Err(refuse(db, None, "unknown secret", ip).await),
        Some(s) if s.disabled_at.is_some() => Err(refuse(db, Some(&s), "source paused", ip).await),
        Some(s) if s.kind != kind => Err(AppError::invalid(
            "source",
            format!(
                "This secret belongs to a {} source: send its deliveries to {}.",
                s.kind.label(),
                s.kind.hook_path()
            ),
        )),
        Some(s) => Ok(s),
    }
}

/// The enabled GitHub source whose key signed `body` (`X-Hub-Signature-256:
/// sha256=<hex>`). Each key is tried in constant time; there are few.
pub async fn authenticate_github(
    db: &impl ConnectionTrait,
    body: &[u8],
    signature: Option<&str>,
    ip: Option<String>,
) -> Result<change_source::Model, AppError> {
    let signature = signature
        .and_then(|s| s.trim().strip_prefix("sha256="))
        .and_then(|hex_sig| hex::decode(hex_sig).ok());
    let Some(signature) = signature else {
        return Err(refuse(db, None, "no signature", ip).await);
    };
    let sources = change_source::Entity::find()
        .filter(change_source::Column::Kind.eq(ChangeSourceKind::GitHub.as_str()))
        .all(db)
        .await?;
    let signed = sources.into_iter().find(|s| {
        s.signing_key.as_deref().is_some_and(|key| {
            let mut mac =
                <Hmac<Sha256> as KeyInit>::new_from_slice(key.as_bytes()).expect("any key length");
            mac.update(body);
            mac.verify_slice(&signature).is_ok()
        })
    });
    match signed {
        None => Err(refuse(db, None, "bad signature", ip).await),
        Some(s) if s.disabled_at.is_some() => Err(refuse(db, Some(&s), "source paused", ip).await),
        Some(s) => Ok(s),
    }
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    Recorded(Box<Recorded>),
    Ignored(String),
}

/// Records what `source` reported: on the services the sender named, else the one its
/// mapping gives the repository or application, else its default service. Environments
/// and workflows the source does not record are answered as ignored.
pub async fn receive(
    db: &impl crate::db::Writer,
    source: &change_source::Model,
    reported: Reported,
) -> Result<Received, AppError> {
    let Event {
        subject,
        environment,
        workflow,
        mut change,
    } = match reported {
        Reported::Ignored(why) => return Ok(Received::Ignored(why)),
        Reported::Change(event) => *event,
    };
    let environments = split(&source.environments);
    if let Some(env) = &environment
        && !environments.is_empty()
        && !environments.contains(&env.to_lowercase())
    {
        return Ok(Received::Ignored(format!(
            "This source records {}, not {env:?}.",
            environments.join(", ")
        )));
    }
    if let Some(name) = &workflow {
        let name = name.to_lowercase();
        if !split(&source.workflows)
            .iter()
            .any(|part| name.contains(part.as_str()))
        {
            return Ok(Received::Ignored(format!(
                "The workflow {name:?} is not one this source records ({}).",
                source.workflows.replace(',', ", ")
            )));
        }
    }
    if change.services.is_empty() {
        let mapping: BTreeMap<String, String> =
            serde_json::from_str(&source.mapping).unwrap_or_default();
        let slug = match mapping.get(&subject.to_lowercase()) {
            Some(slug) => slug.clone(),
            None => service::Entity::find_by_id(source.service_id)
                .one(db)
                .await?
                .map(|s| s.slug)
                .unwrap_or_default(),
        };
        change.services = vec![slug];
    }
    change.source = Some(source_word(source));
    let recorded = record(db, None, &change).await?;
    let txn = crate::db::begin_write(db).await?;
    change_source::Entity::update_many()
        .col_expr(
            change_source::Column::LastReceivedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(change_source::Column::Id.eq(source.id))
        .exec(&*txn)
        .await?;
    txn.commit().await?;
    Ok(Received::Recorded(Box::new(recorded)))
}
