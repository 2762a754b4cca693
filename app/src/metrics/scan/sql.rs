//! The statements of the scan: which rows a piece reads, packed by the database.

use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, Value};

use crate::db::pack;
use crate::error::AppError;
use crate::metrics::formulas::{Secs, Span};

pub(super) use crate::db::pack::Packed;

/// The nine fields of a packed row, in order.
pub(super) const FIELDS: [&str; 9] = [
    "i.id",
    "i.severity_id",
    "s.service_id",
    "i.declare_secs",
    "i.start_secs",
    "i.detect_secs",
    "i.ack_secs",
    "i.mitigate_secs",
    "i.resolve_secs",
];

/// Bound values, with placeholders numbered in the order the SQL text is written.
pub(super) struct Binds {
    pub(super) backend: DatabaseBackend,
    pub(super) values: Vec<Value>,
}

impl Binds {
    pub(super) fn bind(&mut self, value: i64) -> String {
        self.bind_value(value.into())
    }

    fn bind_value(&mut self, value: Value) -> String {
        self.values.push(value);
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    /// Impact overlapping `span`. The prefixes are empty or SQLite's unary `+`, which
    /// keeps it off the index of that column.
    fn overlaps(&mut self, span: Span, start_prefix: &str, mitigate_prefix: &str) -> String {
        let end = self.bind(span.end);
        let start = self.bind(span.start);
        let m = format!("{mitigate_prefix}i.mitigate_secs");
        format!("{start_prefix}i.start_secs < {end} AND ({m} IS NULL OR {m} > {start})")
    }
}

/// About how many incidents one statement packs: the text stays well under a megabyte,
/// so no thread's allocator keeps a large buffer (each SQLite connection has a thread of
/// its own, and glibc a heap per thread: one 9 MB text per report grew the server by
/// 25 MB per connection).
pub(super) const PIECE: i64 = 4_096;

/// One statement's share of the incidents touching a span. The pieces of a read are
/// disjoint, so each incident is read by exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Piece {
    /// One pass over the ids `[from, to)`: when the span covers much of the history,
    /// looking every row up through an index costs several times a plain scan.
    Ids { from: i64, to: i64 },
    /// Not mitigated, impact started before the end.
    Open,
    /// Mitigated in `(from, to]` (no end: any time after `from`), impact started before
    /// the span's end: a range of the report index (mitigation first, migration 20),
    /// which covers every column read. (PostgreSQL reads the three parts in one
    /// statement: [`grouped_statement`].)
    Mitigated { from: Secs, to: Option<Secs> },
    /// Declared inside, impact entirely outside (declared after the fact): counted per
    /// week, never downtime.
    DeclaredOnly,
}

/// SQLite: the aggregate packing the rows of a piece, optionally without their service
/// (see [`Piece::Ids`]).
pub(super) fn sqlite_pack(with_service: bool) -> String {
    let fields = FIELDS.map(|f| {
        if f == "s.service_id" && !with_service {
            "NULL"
        } else {
            f
        }
    });
    pack::aggregate(DatabaseBackend::Sqlite, &fields)
}

/// PostgreSQL: one row's packed bytes.
pub(super) fn postgres_row() -> String {
    pack::postgres_row(&FIELDS)
}

/// The `FROM … WHERE …` of the incidents of `piece` that touch `span`, optionally only
/// those affecting `service`.
pub(super) fn piece_source(
    q: &mut Binds,
    span: Span,
    service: Option<i64>,
    piece: Piece,
) -> String {
    let join = match (service, piece) {
        (Some(id), _) => format!(
            "JOIN incident_services s ON s.incident_id = i.id AND s.service_id = {}",
            q.bind(id)
        ),
        // An id range reads its links in a statement of its own (`links_statement`).
        (None, Piece::Ids { .. }) => String::new(),
        (None, _) => "LEFT JOIN incident_services s ON s.incident_id = i.id".to_owned(),
    };
    // Without statistics SQLite would walk the impact-start index for `< end`, which
    // for "the last N days" is every incident; `+` keeps a column off its indexes.
    let plus = if q.backend == DatabaseBackend::Postgres {
        ""
    } else {
        "+"
    };
    let condition = match piece {
        Piece::Ids { from, to } => {
            let (from, to) = (q.bind(from), q.bind(to));
            let overlaps = q.overlaps(span, "+", "+");
            let start = q.bind(span.start);
            let end = q.bind(span.end);
            format!(
                "i.id >= {from} AND i.id < {to} AND +i.merged_into_id IS NULL AND ({overlaps} OR \
                 (+i.declare_secs >= {start} AND +i.declare_secs < {end}))"
            )
        }
        Piece::Open => {
            let end = q.bind(span.end);
            format!(
                "i.merged_into_id IS NULL AND i.mitigate_secs IS NULL AND {plus}i.start_secs < {end}"
            )
        }
        Piece::Mitigated { from, to } => {
            let from = q.bind(from);
            let upper = match to {
                Some(to) => format!(" AND i.mitigate_secs <= {}", q.bind(to)),
                None => String::new(),
            };
            let end = q.bind(span.end);
            format!(
                "i.merged_into_id IS NULL AND i.mitigate_secs > {from}{upper} \
                 AND {plus}i.start_secs < {end}"
            )
        }
        Piece::DeclaredOnly => {
            let start = q.bind(span.start);
            let end = q.bind(span.end);
            let overlaps = q.overlaps(span, "", "");
            format!(
                "i.merged_into_id IS NULL AND i.declare_secs >= {start} AND i.declare_secs < {end} \
                 AND NOT ({overlaps})"
            )
        }
    };
    format!("FROM incidents i {join} WHERE {condition}")
}

/// SQLite: the statement packing the incidents of `piece` that touch `span` into one
/// value.
pub(super) fn packed_statement(
    backend: DatabaseBackend,
    span: Span,
    service: Option<i64>,
    piece: Piece,
) -> Statement {
    let mut q = Binds {
        backend,
        values: Vec::new(),
    };
    let source = piece_source(&mut q, span, service, piece);
    let with_service = !matches!(piece, Piece::Ids { .. }) || service.is_some();
    let sql = format!("SELECT {} AS packed {source}", sqlite_pack(with_service));
    Statement::from_sql_and_values(backend, sql, q.values)
}

/// SQLite: the (incident, service) links of the ids `[from, to)`, packed two integers a
/// row. One pass over that range of the links' primary key: joining
/// them to each incident row looked every incident up in that key, which cost more than
/// reading both tables (0.58 s against 0.22 + 0.06 s for 100,000 incidents on the
/// sqlite3 command line). Links of incidents the piece did not read are ignored.
pub(super) fn links_statement(backend: DatabaseBackend, from: i64, to: i64) -> Statement {
    let mut q = Binds {
        backend,
        values: Vec::new(),
    };
    let (from, to) = (q.bind(from), q.bind(to));
    let sql = format!(
        "SELECT {}(incident_id, service_id) AS packed FROM incident_services \
         WHERE incident_id >= {from} AND incident_id < {to}",
        pack::FUNCTION
    );
    Statement::from_sql_and_values(backend, sql, q.values)
}

/// PostgreSQL: one statement for the whole read, answering one packed value per block of
/// `size` ids. One plan serves every block (a statement per slice of time was about twice
/// as slow at 100k); the answer streams, so the client holds one block at a time.
pub(super) fn grouped_statement(span: Span, service: Option<i64>, size: i64) -> Statement {
    let mut q = Binds {
        backend: DatabaseBackend::Postgres,
        values: Vec::new(),
    };
    let size = q.bind(size.max(1));
    let parts = [
        Piece::Open,
        Piece::Mitigated {
            from: span.start,
            to: None,
        },
        Piece::DeclaredOnly,
    ]
    .map(|piece| {
        let source = piece_source(&mut q, span, service, piece);
        format!(
            "SELECT {} AS r, i.id / {size} AS g {source}",
            postgres_row()
        )
    })
    .join(" UNION ALL ");
    let sql =
        format!("SELECT string_agg(r, ''::bytea) AS packed FROM ({parts}) AS touching GROUP BY g");
    Statement::from_sql_and_values(DatabaseBackend::Postgres, sql, q.values)
}

#[derive(FromQueryResult)]
pub(super) struct Extent {
    pub(super) first: Option<i64>,
    pub(super) last: Option<i64>,
    pub(super) low: Option<i64>,
    pub(super) high: Option<i64>,
}

impl Extent {
    /// Whether `span` covers more than a quarter of the history's impact starts: then
    /// one pass over all of it costs less than looking every row up through an index.
    pub(super) fn is_mostly(&self, span: Span) -> bool {
        let (first, last) = (
            self.first.unwrap_or_default(),
            self.last.unwrap_or_default(),
        );
        let history = (last - first).max(1);
        let covered = span.end.min(last) - span.start.max(first);
        covered * 4 > history
    }
}

/// How the history is spread: impact starts and ids, first and last (four index ends).
pub(super) async fn extent(db: &impl ConnectionTrait) -> Result<Option<Extent>, AppError> {
    let extent = Extent::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        "SELECT (SELECT MIN(start_secs) FROM incidents) AS first, \
         (SELECT MAX(start_secs) FROM incidents) AS last, \
         (SELECT MIN(id) FROM incidents) AS low, (SELECT MAX(id) FROM incidents) AS high",
    ))
    .one(db)
    .await?;
    Ok(extent.filter(|e| e.first.is_some() && e.low.is_some()))
}

/// SQLite: the statements that read the incidents touching `span`, each packing about
/// `size` incidents (taken as spread evenly over the history; a read of one service
/// is small and takes one statement a part).
pub(super) fn pieces(
    span: Span,
    service: Option<i64>,
    extent: Option<&Extent>,
    size: i64,
) -> Vec<Piece> {
    let (first, last, low, high) = match extent {
        Some(e) if service.is_none() => (
            e.first.unwrap_or_default(),
            e.last.unwrap_or_default(),
            e.low.unwrap_or_default(),
            e.high.unwrap_or_default(),
        ),
        _ => {
            return vec![
                Piece::Open,
                Piece::Mitigated {
                    from: span.start,
                    to: None,
                },
                Piece::DeclaredOnly,
            ];
        }
    };
    let history = (last - first).max(1);
    if extent.is_some_and(|e| e.is_mostly(span)) {
        return (low..=high)
            .step_by(size.max(1) as usize)
            .map(|from| Piece::Ids {
                from,
                to: from + size.max(1),
            })
            .collect();
    }
    let per_second = (high - low + 1) as f64 / history as f64;
    let width = ((size as f64 / per_second) as Secs).max(86_400);
    let mut out = vec![Piece::Open];
    let mut from = span.start;
    while from + width < span.end {
        out.push(Piece::Mitigated {
            from,
            to: Some(from + width),
        });
        from += width;
    }
    out.push(Piece::Mitigated { from, to: None });
    out.push(Piece::DeclaredOnly);
    out
}

/// A maintenance window counting against a service's SLO.
#[derive(Debug, FromQueryResult)]
pub(super) struct Planned {
    pub(super) service_id: i64,
    pub(super) starts_at: chrono::DateTime<chrono::Utc>,
    pub(super) ends_at: chrono::DateTime<chrono::Utc>,
    /// Ended early.
    pub(super) completed_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The maintenance windows that count against the SLOs (the status page's tables,
/// migration 29), not called off, overlapping `span`: one row per service touched,
/// those whose component has left the page included.
pub(super) fn planned_statement(
    backend: DatabaseBackend,
    span: Span,
    service: Option<i64>,
) -> Statement {
    let at = |secs| chrono::DateTime::<chrono::Utc>::from_timestamp(secs, 0).unwrap_or_default();
    let mut binds = Binds {
        backend,
        values: Vec::new(),
    };
    let end = binds.bind_value(at(span.end).into());
    let start = binds.bind_value(at(span.start).into());
    let only = match service {
        Some(id) => format!(" AND mc.service_id = {}", binds.bind(id)),
        None => String::new(),
    };
    let sql = format!(
        "SELECT mc.service_id, m.starts_at, m.ends_at, m.completed_at \
         FROM status_maintenances m \
         JOIN status_maintenance_components mc ON mc.maintenance_id = m.id \
         WHERE m.counts_against_slo AND m.cancelled_at IS NULL \
         AND m.starts_at < {end} AND m.ends_at > {start}{only}"
    );
    Statement::from_sql_and_values(backend, sql, binds.values)
}
