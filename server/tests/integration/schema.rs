use migrations::{Migrator, MigratorTrait};
use sea_orm_migration::SchemaManager;

use crate::support::TestApp;

backend_tests!(every_migration_rolls_back_and_reapplies);

/// Each migration's `down` undoes its `up`: roll everything back, check the tables are
/// gone, and apply again.
async fn every_migration_rolls_back_and_reapplies(app: TestApp) {
    let manager = SchemaManager::new(&app.db);
    assert!(manager.has_table("settings").await.unwrap());

    Migrator::down(&app.db, None)
        .await
        .expect("every migration rolls back");
    assert!(!manager.has_table("settings").await.unwrap());
    assert!(
        Migrator::get_applied_migrations(&app.db)
            .await
            .unwrap()
            .is_empty()
    );

    Migrator::up(&app.db, None)
        .await
        .expect("every migration reapplies");
    assert!(manager.has_table("settings").await.unwrap());
    assert!(
        Migrator::get_pending_migrations(&app.db)
            .await
            .unwrap()
            .is_empty()
    );
}
