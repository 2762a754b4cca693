//! A read of most of the history from the packed blocks the database keeps (migration
//! 36): each block of [`BLOCK`] incident ids is packed once and read back as one value
//! until a write in it raises its `version`.
//!
//! Why it holds: a block is packed by one statement that also reads its `version`, so the
//! value and the number come from one snapshot; it is stored (in `report_block_packs`,
//! migration 37, apart from the narrow row every write raises) only while its `version`
//! is still that number, and triggers raise `version` in every transaction that changes a
//! column a report reads. A write committed after the snapshot (or still running when it was
//! taken) raises `version` past the stored `built_version`, and the block is packed again on the
//! next read. A report that finds a block stale packs it for itself either way, so it
//! never waits on the store.

use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, StreamTrait};

use super::rows::Rows;
use super::sql::{Binds, FIELDS};
use crate::db::{Writer, begin_write, pack};
use crate::error::AppError;
use crate::metrics::formulas::Span;

/// Incident ids per block: the triggers of migration 36 divide by the same number.
pub const BLOCK: i64 = 4_096;

/// A block as kept: its packed values only when they are current.
#[derive(Debug, FromQueryResult)]
struct Kept {
    block: i64,
    version: i64,
    built_version: Option<i64>,
    incidents: Option<Vec<u8>>,
    links: Option<Vec<u8>>,
}

/// A block packed now, with the `version` its snapshot saw.
#[derive(Debug, FromQueryResult)]
struct Packed {
    version: Option<i64>,
    incidents: Option<Vec<u8>>,
    links: Option<Vec<u8>>,
}

/// Adds to `rows` every incident (not merged) touching `span`, read from the kept blocks,
/// packing and storing again the blocks written since they were kept.
pub(super) async fn read(
    db: &(impl StreamTrait + Writer),
    span: Span,
    rows: &mut Rows,
) -> Result<(), AppError> {
    let backend = ConnectionTrait::get_database_backend(db);
    let mut stale = Vec::new();
    {
        use futures_util::TryStreamExt;
        let mut kept = Kept::find_by_statement(Statement::from_string(
            backend,
            "SELECT b.block, b.version, p.built_version, \
             CASE WHEN p.built_version = b.version THEN p.incidents END AS incidents, \
             CASE WHEN p.built_version = b.version THEN p.links END AS links \
             FROM report_blocks b LEFT JOIN report_block_packs p ON p.block = b.block \
             ORDER BY b.block",
        ))
        .stream(db)
        .await?;
        while let Some(block) = kept.try_next().await? {
            if block.built_version == Some(block.version) {
                add(
                    rows,
                    span,
                    block.incidents.as_deref(),
                    block.links.as_deref(),
                )?;
            } else {
                stale.push(block.block);
            }
        }
    }
    let mut built = Vec::new();
    for block in stale {
        let packed = Packed::find_by_statement(pack_statement(backend, block))
            .one(db)
            .await?
            .ok_or_else(|| AppError::internal("packing a block answered no row"))?;
        add(
            rows,
            span,
            packed.incidents.as_deref(),
            packed.links.as_deref(),
        )?;
        if let Some(version) = packed.version {
            built.push((block, version, packed));
        }
    }
    if !built.is_empty()
        && let Err(err) = store(db, built).await
    {
        // The report is whole without it; the next one packs those blocks again.
        tracing::warn!(error = %err, "could not keep the packed report blocks");
    }
    Ok(())
}

fn add(
    rows: &mut Rows,
    span: Span,
    incidents: Option<&[u8]>,
    links: Option<&[u8]>,
) -> Result<(), AppError> {
    rows.add_touching(incidents.unwrap_or_default(), span)?;
    rows.add_links(links.unwrap_or_default())
}

/// Packs `block` (incidents not merged, in id order, without services; and the block's
/// links) with the `version` of the same snapshot.
fn pack_statement(backend: DatabaseBackend, block: i64) -> Statement {
    let fields = FIELDS.map(|f| if f == "s.service_id" { "NULL" } else { f });
    let incidents = match backend {
        DatabaseBackend::Postgres => format!(
            "string_agg({}, ''::bytea ORDER BY i.id)",
            pack::postgres_row(&fields)
        ),
        // A range of the rowid comes back in id order.
        _ => pack::aggregate(backend, &fields),
    };
    let links = pack::aggregate(backend, &["l.incident_id", "l.service_id"]);
    let (from, to) = (block * BLOCK, (block + 1) * BLOCK);
    let mut q = Binds {
        backend,
        values: Vec::new(),
    };
    let sql = format!(
        "SELECT (SELECT version FROM report_blocks WHERE block = {}) AS version, \
         (SELECT {incidents} FROM incidents i WHERE i.id >= {} AND i.id < {} \
         AND i.merged_into_id IS NULL) AS incidents, \
         (SELECT {links} FROM incident_services l WHERE l.incident_id >= {} \
         AND l.incident_id < {}) AS links",
        q.bind(block),
        q.bind(from),
        q.bind(to),
        q.bind(from),
        q.bind(to),
    );
    Statement::from_sql_and_values(backend, sql, q.values)
}

/// Keeps the blocks packed by this read, each only if no write raised its `version` since.
/// On SQLite in this process's turn to write, as every write; skipped inside a caller's
/// transaction there (it holds no turn).
async fn store(db: &impl Writer, built: Vec<(i64, i64, Packed)>) -> Result<(), AppError> {
    let backend = db.get_database_backend();
    // `WHERE` in the `SELECT` also tells SQLite's parser the `ON CONFLICT` is the upsert's.
    let update = |block: i64, version: i64, packed: Packed| {
        let sql = match backend {
            DatabaseBackend::Postgres => {
                "INSERT INTO report_block_packs (block, built_version, incidents, links) \
                 SELECT $4, $1, $2, $3 \
                 WHERE (SELECT version FROM report_blocks WHERE block = $4) = $1 \
                 ON CONFLICT (block) DO UPDATE SET built_version = excluded.built_version, \
                 incidents = excluded.incidents, links = excluded.links"
            }
            _ => {
                "INSERT INTO report_block_packs (block, built_version, incidents, links) \
                 SELECT ?4, ?1, ?2, ?3 \
                 WHERE (SELECT version FROM report_blocks WHERE block = ?4) = ?1 \
                 ON CONFLICT (block) DO UPDATE SET built_version = excluded.built_version, \
                 incidents = excluded.incidents, links = excluded.links"
            }
        };
        Statement::from_sql_and_values(
            backend,
            sql,
            [
                version.into(),
                packed.incidents.into(),
                packed.links.into(),
                block.into(),
            ],
        )
    };
    if backend == DatabaseBackend::Postgres {
        for (block, version, packed) in built {
            db.execute_raw(update(block, version, packed)).await?;
        }
        return Ok(());
    }
    let Some(pool) = db.pool() else {
        return Ok(());
    };
    let write = begin_write(pool).await?;
    for (block, version, packed) in built {
        write.execute_raw(update(block, version, packed)).await?;
    }
    write.commit().await?;
    Ok(())
}
