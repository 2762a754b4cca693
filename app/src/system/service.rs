use migrations::{Migrator, MigratorTrait};
use sea_orm::{DatabaseConnection, DbBackend};

use super::SystemStatus;
use crate::error::AppError;

/// Reports the version and schema state of this instance.
pub async fn system_status(db: &DatabaseConnection) -> Result<SystemStatus, AppError> {
    let applied = Migrator::get_applied_migrations(db).await?;
    let pending = Migrator::get_pending_migrations(db).await?;
    Ok(SystemStatus {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        database: backend_name(db.get_database_backend()).to_owned(),
        schema_version: applied.last().map(|m| m.name().to_owned()),
        pending_migrations: u32::try_from(pending.len()).unwrap_or(u32::MAX),
    })
}

/// True when the database answers a trivial query: what `/readyz` reports.
pub async fn database_ready(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

pub fn backend_name(backend: DbBackend) -> &'static str {
    match backend {
        DbBackend::Sqlite => "SQLite",
        DbBackend::Postgres => "PostgreSQL",
        _ => "unsupported",
    }
}
