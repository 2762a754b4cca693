use super::rows::*;
use super::sql::*;
use super::*;
use crate::db::pack;

/// `text`'s rows (`;` between rows, `,` between fields, empty for NULL) packed as
/// the database packs them.
fn packed(text: &str) -> Vec<u8> {
    let rows: Vec<Vec<Option<i64>>> = text
        .split(';')
        .filter(|r| !r.is_empty())
        .map(|r| {
            r.split(',')
                .map(|f| (!f.is_empty()).then(|| f.parse().unwrap()))
                .collect()
        })
        .collect();
    let rows: Vec<&[Option<i64>]> = rows.iter().map(Vec::as_slice).collect();
    pack::pack(&rows)
}

fn parse(text: &str) -> Result<(Vec<Scanned>, Links), AppError> {
    let mut rows = Rows::default();
    rows.add(&packed(text))?;
    Ok((rows.incidents, rows.links))
}

/// Rows out of id order (a join, PostgreSQL's grouping) and rows in order parse alike.
#[test]
fn rows_in_any_order_are_read_once_each() {
    let mut rows = Rows::default();
    rows.add(&packed(
        "8,1,11,200,200,200,,,;7,2,11,100,90,95,,120,;8,1,12,200,200,200,,,;7,2,13,100,90,95,,120,",
    ))
    .unwrap();
    assert_eq!(
        rows.incidents.iter().map(|i| i.id).collect::<Vec<_>>(),
        [8, 7]
    );
    assert_eq!(rows.links, vec![(11, 0), (11, 1), (12, 0), (13, 1)]);
    rows.add_links(&packed("7,14;8,15;9,16")).unwrap();
    assert_eq!(rows.links[4..], [(14, 1), (15, 0)]);

    rows.add(&packed(
        "10,1,,300,300,300,,,;12,1,,300,300,300,,,;12,1,,300,300,300,,,",
    ))
    .unwrap();
    assert_eq!(rows.incidents.len(), 4, "12 once");
    rows.add_links(&packed("8,11;10,17;11,18;12,19")).unwrap();
    assert_eq!(
        rows.links[6..],
        [(17, 2), (19, 3)],
        "8 belongs to the piece before, 11 was not read"
    );
}

#[test]
fn pieces_append_to_what_was_read() {
    let mut rows = Rows::default();
    rows.add(&packed("7,2,11,100,90,95,,120,")).unwrap();
    rows.add(&packed("9,1,12,300,290,295,,,;9,1,11,300,290,295,,,"))
        .unwrap();
    assert_eq!(rows.incidents.len(), 2);
    assert_eq!(rows.links, vec![(11, 0), (12, 1), (11, 1)]);
}

fn extent(first: Secs, last: Secs, low: i64, high: i64) -> Extent {
    Extent {
        first: Some(first),
        last: Some(last),
        low: Some(low),
        high: Some(high),
    }
}

#[test]
fn a_read_is_cut_into_disjoint_pieces_of_bounded_size() {
    const DAY: Secs = 86_400;
    // 100,000 incidents over 1,000 days.
    let history = extent(0, 1_000 * DAY, 1, 100_000);
    let last_year = Span {
        start: 635 * DAY,
        end: 1_000 * DAY,
    };
    // Much of the history: ranges of ids, end to end.
    let ids = pieces(last_year, None, Some(&history), PIECE);
    assert_eq!(ids.len(), 100_000usize.div_ceil(PIECE as usize));
    assert_eq!(
        ids[0],
        Piece::Ids {
            from: 1,
            to: 1 + PIECE
        }
    );
    for pair in ids.windows(2) {
        let (Piece::Ids { to, .. }, Piece::Ids { from, .. }) = (pair[0], pair[1]) else {
            panic!("{pair:?}");
        };
        assert_eq!(to, from);
    }
    // Less of it: by mitigation time, in slices of about PIECE incidents (41 days
    // here), from the span's start on, the last one open-ended.
    for span in [
        Span {
            start: 900 * DAY,
            end: 1_000 * DAY,
        },
        Span {
            start: 800 * DAY,
            end: 1_000 * DAY,
        },
    ] {
        let slices = pieces(span, None, Some(&history), PIECE);
        assert_eq!(slices[0], Piece::Open);
        assert_eq!(slices[slices.len() - 1], Piece::DeclaredOnly);
        let mitigated: Vec<(Secs, Option<Secs>)> = slices[1..slices.len() - 1]
            .iter()
            .map(|p| match p {
                Piece::Mitigated { from, to } => (*from, *to),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(mitigated[0].0, span.start);
        assert_eq!(mitigated.last().unwrap().1, None);
        for pair in mitigated.windows(2) {
            assert_eq!(pair[0].1, Some(pair[1].0));
            assert!(pair[0].1.unwrap() - pair[0].0 <= 41 * DAY);
        }
        assert!(mitigated.len() >= (span.len() / (41 * DAY)) as usize);
    }
    // One service's read is small: one statement a part.
    assert_eq!(pieces(last_year, Some(3), Some(&history), PIECE).len(), 3);
}

#[test]
fn packed_rows_parse_once_per_incident_with_every_service() {
    let (incidents, links) =
        parse("7,2,11,100,90,95,,120,;7,2,12,100,90,95,,120,;8,1,,200,200,200,210,,").unwrap();
    assert_eq!(incidents.len(), 2);
    assert_eq!(
        incidents[0],
        Scanned {
            id: 7,
            severity_id: 2,
            declared: 100,
            times: IncidentTimes {
                start: 90,
                detected: 95,
                acknowledged: None,
                mitigated: Some(120),
                resolved: None,
            },
        }
    );
    assert_eq!(incidents[1].times.acknowledged, Some(210));
    assert_eq!(links, vec![(11, 0), (12, 0)]);
    assert!(parse("").unwrap().0.is_empty());
}

#[test]
fn links_read_apart_attach_to_the_incidents_of_their_piece_only() {
    let mut rows = Rows::default();
    rows.add(&packed("7,2,,100,90,95,,120,;8,1,,200,200,200,210,,"))
        .unwrap();
    // 9 was not read (merged, or outside the span): its link is not kept.
    rows.add_links(&packed("7,11;7,12;8,11;9,13")).unwrap();
    assert_eq!(rows.links, vec![(11, 0), (12, 0), (11, 1)]);
    rows.add(&packed("10,1,,300,300,300,,,")).unwrap();
    rows.add_links(&packed("7,14;10,12")).unwrap();
    assert_eq!(
        rows.links[3..],
        [(12, 2)],
        "links of an earlier piece are not re-attached"
    );
    assert!(rows.add_links(&packed("7")).is_err());
    assert!(rows.add_links(&packed("7,")).is_err());
    rows.add_links(&packed("")).unwrap();
}

/// A kept block holds every incident of its ids; a read keeps those touching its span,
/// as the statements of a piece ask in SQL.
#[test]
fn a_block_keeps_the_incidents_touching_the_span_only() {
    let mut rows = Rows::default();
    let span = Span {
        start: 1_000,
        end: 2_000,
    };
    rows.add_touching(
        &packed(
            // id, severity, service, declared, start, detected, ack, mitigated, resolved
            "1,1,,500,500,500,,900,;\
             2,1,,500,500,500,,1000,;\
             3,1,,500,500,500,,1001,;\
             4,1,,500,500,500,,,;\
             5,1,,1500,100,100,,200,;\
             6,1,,2000,2000,2000,,,;\
             7,1,,1999,1999,1999,,,",
        ),
        span,
    )
    .unwrap();
    let ids: Vec<i64> = rows.incidents.iter().map(|i| i.id).collect();
    // 1, 2: mitigated by the start; 6: declared and started at the end.
    assert_eq!(ids, [3, 4, 5, 7]);
    rows.add_links(&packed("1,11;3,12;6,13;7,14")).unwrap();
    assert_eq!(rows.links, vec![(12, 0), (14, 3)]);
}

#[test]
fn unreadable_packed_rows_are_errors_not_zeros() {
    let mut rows = Rows::default();
    assert!(
        rows.add(&packed("7,2,,1,90,95,,,")[..70]).is_err(),
        "a cut row"
    );
    assert!(parse("7,2,,,90,95,,,").is_err(), "no declaration");
    assert!(parse("7,2,,1,90,95,,,,9").is_err(), "ten fields");
}

#[test]
fn buckets_are_mondays_and_firsts_of_the_month() {
    // 2026-12-02 is a Wednesday.
    let t = DateTime::parse_from_rfc3339("2026-12-02T23:59:59Z")
        .unwrap()
        .timestamp();
    assert_eq!(bucket_of(Bucket::Week, t), "2026-11-30");
    assert_eq!(bucket_of(Bucket::Month, t), "2026-12-01");
    // A Monday is its own week; a Sunday's last second still belongs to the week
    // before; the first of a month and New Year's Eve keep their months.
    for (bucket, at, first) in [
        (Bucket::Week, "2026-11-30T00:00:00Z", "2026-11-30"),
        (Bucket::Week, "2026-11-29T23:59:59Z", "2026-11-23"),
        (Bucket::Month, "2026-11-01T00:00:00Z", "2026-11-01"),
        (Bucket::Month, "2025-12-31T23:59:59Z", "2025-12-01"),
        (Bucket::Week, "2026-01-01T12:00:00Z", "2025-12-29"),
    ] {
        let t = DateTime::parse_from_rfc3339(at).unwrap().timestamp();
        assert_eq!(bucket_of(bucket, t), first, "{bucket:?} of {at}");
    }
}

fn history(incidents: Vec<Scanned>, links: Links) -> History {
    let severity = |id: i64| SeverityLevel {
        id,
        name: format!("SEV{id}"),
        position: id as i32,
    };
    History::new(
        Span {
            start: 0,
            end: 1000,
        },
        incidents,
        links,
        Thresholds::new(
            &[severity(1), severity(2), severity(3)],
            [(10, Some(2)), (20, None)],
        ),
    )
}

fn scanned(id: i64, severity_id: i64, start: Secs, mitigated: Option<Secs>) -> Scanned {
    Scanned {
        id,
        severity_id,
        declared: start,
        times: IncidentTimes {
            start,
            detected: start,
            acknowledged: None,
            mitigated,
            resolved: None,
        },
    }
}

#[test]
fn a_services_own_rule_applies_unless_the_query_sets_one() {
    let h = history(
        vec![
            scanned(1, 1, 100, Some(200)),
            scanned(2, 3, 300, Some(400)),
            scanned(3, 2, 500, None),
        ],
        vec![(10, 0), (10, 1), (20, 1), (20, 2)],
    );
    let window = Span {
        start: 0,
        end: 1000,
    };
    // Service 10 counts severity 2 or worse: incident 2 (severity 3) does not count.
    assert_eq!(h.service(10, window, None).failures, 1);
    assert_eq!(h.service(20, window, None).failures, 2);
    assert_eq!(h.service(20, window, Some(2)).failures, 1);
    assert_eq!(h.overall(window, None).failures, 3);
    assert_eq!(h.overall(window, Some(1)).failures, 1);
    assert_eq!(
        h.downtime_spans(20, window),
        vec![
            Span {
                start: 300,
                end: 400
            },
            Span {
                start: 500,
                end: 1000
            }
        ]
    );
    assert_eq!(
        h.impacts(
            10,
            Span {
                start: 150,
                end: 1000
            }
        ),
        vec![(1, 100, Some(200))]
    );
    let by = h.by_service(window, None);
    assert_eq!(by[&10].downtime, 100);
    assert_eq!(by[&20].downtime, 600);
}
