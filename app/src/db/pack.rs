//! Rows of integers packed into one binary value, the form in which the reports read the
//! incident history (`metrics::scan`).
//!
//! Drivers hand rows over one at a time (sqlx's SQLite worker sends each through a
//! channel), which at 100,000 incidents cost more than a whole report; formatting every
//! integer as text in SQL and parsing it back cost most of the rest (0.22 s of a 0.3 s
//! 365-day report on SQLite). Each value is 8 bytes, big-endian, `i64::MIN` for NULL:
//! PostgreSQL writes that with `int8send` and `string_agg(bytea)`, SQLite with
//! [`FUNCTION`], an aggregate registered on every pooled connection (it lives with the
//! connections because the database runs it).

use crate::error::AppError;

/// The SQLite aggregate `vigil_pack(a, b, …)`: one row's arguments after another, each
/// as 8 big-endian bytes, NULL as `i64::MIN`; NULL when it saw no row.
pub const FUNCTION: &str = "vigil_pack";

/// What stands for NULL.
const NULL: i64 = i64::MIN;

/// PostgreSQL: `column` as its 8 packed bytes.
pub fn postgres_field(column: &str) -> String {
    format!("int8send(coalesce(({column})::int8, {NULL}))")
}

/// PostgreSQL: one row's `fields` as their packed bytes.
pub fn postgres_row(fields: &[&str]) -> String {
    fields
        .iter()
        .map(|f| postgres_field(f))
        .collect::<Vec<_>>()
        .join(" || ")
}

/// The aggregate packing `fields` of every row into one value, for `backend`.
pub fn aggregate(backend: sea_orm::DatabaseBackend, fields: &[&str]) -> String {
    match backend {
        sea_orm::DatabaseBackend::Postgres => {
            format!("string_agg({}, ''::bytea)", postgres_row(fields))
        }
        _ => format!("{FUNCTION}({})", fields.join(", ")),
    }
}

/// One packed value, as a statement answers it in a column named `packed`.
#[derive(sea_orm::FromQueryResult)]
pub struct Packed {
    pub packed: Option<Vec<u8>>,
}

/// What cuts a large packed read into pieces on PostgreSQL: ` GROUP BY` the day of `key`
/// (seconds), to end the statement with. PostgreSQL answers a value in one message, which
/// the driver holds whole and copies out: one packed year of deploys is 6.5 MB at
/// 200,000 changes and ten times that at a million. A piece per day keeps each message
/// to one day's rows, and [`read`] holds one piece at a time. SQLite hands its one value
/// over inside the process.
pub fn pieces_by_day(backend: sea_orm::DatabaseBackend, key: &str) -> String {
    match backend {
        sea_orm::DatabaseBackend::Postgres => format!(" GROUP BY ({key}) / 86400"),
        _ => String::new(),
    }
}

/// Calls `each` with every row of `N` values in the packed values `statement` answers:
/// one, or one per piece ([`pieces_by_day`], in any order), read as they arrive; nothing
/// when it read no row.
pub async fn read<const N: usize>(
    db: &(impl sea_orm::ConnectionTrait + sea_orm::StreamTrait),
    statement: sea_orm::Statement,
    mut each: impl FnMut([Option<i64>; N]) -> Result<(), AppError>,
) -> Result<(), AppError> {
    use futures_util::TryStreamExt;
    use sea_orm::FromQueryResult;
    let mut pieces = Packed::find_by_statement(statement).stream(db).await?;
    while let Some(piece) = pieces.try_next().await? {
        for row in rows::<N>(piece.packed.as_deref().unwrap_or_default())? {
            each(row)?;
        }
    }
    Ok(())
}

/// The rows of `N` values each in `bytes`, in order.
pub fn rows<const N: usize>(
    bytes: &[u8],
) -> Result<impl Iterator<Item = [Option<i64>; N]> + '_, AppError> {
    if !bytes.len().is_multiple_of(8 * N) {
        return Err(AppError::internal(format!(
            "a packed value of {} bytes is not made of rows of {N} integers",
            bytes.len()
        )));
    }
    Ok(bytes.chunks_exact(8 * N).map(|row| {
        let mut out = [None; N];
        for (slot, value) in out.iter_mut().zip(row.chunks_exact(8)) {
            let mut be = [0u8; 8];
            be.copy_from_slice(value);
            let value = i64::from_be_bytes(be);
            *slot = (value != NULL).then_some(value);
        }
        out
    }))
}

/// `rows` packed as SQL would pack them (tests build their inputs with it).
#[cfg(test)]
pub fn pack(rows: &[&[Option<i64>]]) -> Vec<u8> {
    rows.iter()
        .flat_map(|row| row.iter())
        .flat_map(|value| value.unwrap_or(NULL).to_be_bytes())
        .collect()
}

/// Registers [`FUNCTION`] on a new SQLite connection.
#[allow(unsafe_code)]
pub async fn register(
    conn: &mut sea_orm::sqlx::SqliteConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    use libsqlite3_sys::{
        SQLITE_DETERMINISTIC, SQLITE_OK, SQLITE_UTF8, sqlite3_create_function_v2,
    };
    let name = std::ffi::CString::new(FUNCTION).expect("no NUL in the name");
    let mut handle = conn.lock_handle().await?;
    let db = handle.as_raw_handle().as_ptr();
    // SAFETY: `db` is this connection's open handle, locked for as long as `handle`
    // lives; SQLite copies the name; the callbacks below keep to SQLite's aggregate
    // contract and no application data (`pApp`, `xDestroy`) is passed.
    let rc = unsafe {
        sqlite3_create_function_v2(
            db,
            name.as_ptr(),
            -1,
            SQLITE_UTF8 | SQLITE_DETERMINISTIC,
            std::ptr::null_mut(),
            None,
            Some(ffi::step),
            Some(ffi::finish),
            None,
        )
    };
    if rc != SQLITE_OK {
        return Err(sea_orm::sqlx::Error::Configuration(
            format!("SQLite refused the {FUNCTION} function ({rc})").into(),
        ));
    }
    Ok(())
}

/// The aggregate's callbacks. Its state is one `Box<Vec<u8>>`, its raw pointer kept in the
/// memory SQLite sets aside for each running aggregate (zeroed on first use).
#[allow(unsafe_code)]
mod ffi {
    use std::ffi::c_int;

    use libsqlite3_sys::{
        SQLITE_NULL, SQLITE_TRANSIENT, sqlite3_aggregate_context, sqlite3_context,
        sqlite3_result_blob64, sqlite3_result_error_nomem, sqlite3_result_null, sqlite3_value,
        sqlite3_value_int64, sqlite3_value_type,
    };

    type State = *mut Vec<u8>;

    /// Appends one row's arguments.
    pub unsafe extern "C" fn step(
        ctx: *mut sqlite3_context,
        argc: c_int,
        argv: *mut *mut sqlite3_value,
    ) {
        // SAFETY: SQLite calls this with its own context and `argc` valid values; the
        // aggregate context is `size_of::<State>()` bytes, zeroed when first handed out,
        // so a null pointer means "no buffer yet" and any other value is the Box leaked
        // by an earlier step of the same aggregate.
        unsafe {
            let slot = sqlite3_aggregate_context(ctx, std::mem::size_of::<State>() as c_int)
                .cast::<State>();
            if slot.is_null() {
                sqlite3_result_error_nomem(ctx);
                return;
            }
            if (*slot).is_null() {
                *slot = Box::into_raw(Box::new(Vec::with_capacity(64 * 1024)));
            }
            let out = &mut **slot;
            for n in 0..usize::try_from(argc).unwrap_or(0) {
                let value = *argv.add(n);
                let number = if sqlite3_value_type(value) == SQLITE_NULL {
                    super::NULL
                } else {
                    sqlite3_value_int64(value)
                };
                out.extend_from_slice(&number.to_be_bytes());
            }
        }
    }

    /// Answers the bytes and frees the buffer. SQLite calls it once per aggregate, also
    /// when the statement stops early, so the buffer never leaks.
    pub unsafe extern "C" fn finish(ctx: *mut sqlite3_context) {
        // SAFETY: as in `step`; asking for 0 bytes allocates nothing and answers null
        // when no step ran. The Box is taken back exactly once (the slot is cleared), and
        // SQLITE_TRANSIENT makes SQLite copy the bytes before they are dropped.
        unsafe {
            let slot = sqlite3_aggregate_context(ctx, 0).cast::<State>();
            if slot.is_null() || (*slot).is_null() {
                sqlite3_result_null(ctx);
                return;
            }
            let bytes = Box::from_raw(*slot);
            *slot = std::ptr::null_mut();
            sqlite3_result_blob64(
                ctx,
                bytes.as_ptr().cast(),
                bytes.len() as u64,
                SQLITE_TRANSIENT(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Statement};

    #[test]
    fn rows_come_back_as_they_were_packed() {
        let packed = pack(&[&[Some(7), None, Some(-3)], &[Some(i64::MAX), Some(0), None]]);
        let read: Vec<[Option<i64>; 3]> = rows(&packed).unwrap().collect();
        assert_eq!(
            read,
            vec![[Some(7), None, Some(-3)], [Some(i64::MAX), Some(0), None]]
        );
        assert!(rows::<3>(&packed[1..]).is_err(), "a cut value");
        assert!(rows::<4>(&packed).is_err(), "rows of another width");
        assert_eq!(rows::<3>(&[]).unwrap().count(), 0);
    }

    /// SQLite's aggregate writes what `rows` reads.
    #[tokio::test]
    async fn sqlite_packs_what_rows_reads() {
        let db = crate::db::connect("sqlite::memory:").await.unwrap();
        let one = |sql: &str| {
            let db = db.clone();
            let sql = sql.to_owned();
            async move {
                db.query_one_raw(Statement::from_string(db.get_database_backend(), sql))
                    .await
                    .unwrap()
                    .unwrap()
                    .try_get::<Option<Vec<u8>>>("", "packed")
                    .unwrap()
            }
        };
        let packed = one(
            "SELECT vigil_pack(a, b, a * 2) AS packed FROM (SELECT 1 AS a, NULL AS b \
             UNION ALL SELECT 5000000000, 3)",
        )
        .await
        .unwrap();
        let read: Vec<[Option<i64>; 3]> = rows(&packed).unwrap().collect();
        assert_eq!(
            read,
            vec![
                [Some(1), None, Some(2)],
                [Some(5_000_000_000), Some(3), Some(10_000_000_000)]
            ]
        );
        assert_eq!(
            one("SELECT vigil_pack(1) AS packed FROM (SELECT 1) WHERE 0").await,
            None,
            "no rows, no value"
        );
    }
}
