//! `vigil backup --to FILE`: a consistent copy of a SQLite database while Vigil runs.
//!
//! Copying the file with `cp` while the server writes can catch it between a write to the
//! database and one to its write-ahead log: a copy missing recent writes, or one that does
//! not open. `VACUUM INTO` writes the database as one read transaction sees it into a new,
//! compact file while others keep writing; the copy is then checked before it is reported.

use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, bail};
use sea_orm::ConnectionTrait;
use sea_orm::sqlx::sqlite::SqliteConnectOptions;
use sea_orm::sqlx::{self, Connection};
use vigil_server::redact;

pub async fn run(database_url: &str, to: &Path) -> anyhow::Result<()> {
    if !database_url.starts_with("sqlite:") {
        bail!(
            "backup copies SQLite databases; back up PostgreSQL with its own tools (pg_dump, or the server's base backups)"
        );
    }
    let source = SqliteConnectOptions::from_str(database_url)
        .map_err(|e| anyhow::anyhow!("the database URL is not valid: {e}"))?
        .get_filename()
        .to_owned();
    if !source.is_file() {
        bail!("there is no database at {}", source.display());
    }
    if to.exists() {
        bail!(
            "{} exists already: a backup never overwrites a file",
            to.display()
        );
    }
    let target = to.to_str().context("the backup's path is not UTF-8")?;
    let db = app::db::connect(database_url).await?;
    // A string literal in SQL: quotes doubled.
    let literal = target.replace('\'', "''");
    db.execute_unprepared(&format!("VACUUM INTO '{literal}'"))
        .await
        .with_context(|| format!("cannot write the backup to {}", to.display()))?;
    db.close().await?;

    // Opened by its path, not a URL: a `?` or `#` in the name is part of the name.
    let options = SqliteConnectOptions::new().filename(to).read_only(true);
    let mut copy = sqlx::SqliteConnection::connect_with(&options)
        .await
        .with_context(|| format!("cannot open the backup at {}", to.display()))?;
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut copy)
        .await?;
    copy.close().await?;
    if check != "ok" {
        bail!(
            "the backup at {} failed its integrity check: {check}",
            to.display()
        );
    }
    let bytes = std::fs::metadata(to)?.len();
    println!(
        "backed up {} to {} ({bytes} bytes, integrity checked)",
        redact(database_url),
        to.display()
    );
    Ok(())
}
