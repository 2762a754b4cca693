//! CSV exports of the report tables. Cells that a spreadsheet would run as a formula
//! (`=`, `+`, `-`, `@` first) are prefixed with `'`, so an incident title cannot become
//! a formula in a manager's spreadsheet.

use super::formulas::{DurationStats, Reliability};
use super::{BucketCounts, BudgetSpender, ServiceRow, SeverityLevel};

/// One CSV cell, quoted when needed.
pub fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

pub fn line(cells: &[String]) -> String {
    let mut l = cells.iter().map(|c| cell(c)).collect::<Vec<_>>().join(",");
    l.push_str("\r\n");
    l
}

fn num(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.0}")).unwrap_or_default()
}

fn ratio(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.6}")).unwrap_or_default()
}

fn stats(s: &DurationStats) -> [String; 3] {
    [num(s.mean), num(s.median), num(s.p90)]
}

/// Services with their reliability numbers; durations in seconds, undefined cells empty.
pub fn services(rows: &[ServiceRow]) -> String {
    let mut out = line(
        &[
            "service",
            "owner_team",
            "tier",
            "archived",
            "failures",
            "unmitigated",
            "downtime_s",
            "availability",
            "mttr_mean_s",
            "mttr_median_s",
            "mttr_p90_s",
            "mtta_mean_s",
            "mttd_mean_s",
            "mtt_resolve_mean_s",
            "mttf_s",
            "mtbf_s",
            "slo_target_percent",
            "budget_remaining_fraction",
        ]
        .map(str::to_owned),
    );
    for r in rows {
        let rel: &Reliability = &r.reliability;
        let [mean, median, p90] = stats(&rel.restore);
        out.push_str(&line(&[
            r.service.name.clone(),
            r.service.owner_team.clone().unwrap_or_default(),
            r.tier.to_string(),
            r.archived.to_string(),
            rel.failures.to_string(),
            rel.unmitigated.to_string(),
            rel.downtime.to_string(),
            ratio(rel.availability()),
            mean,
            median,
            p90,
            num(rel.acknowledge.mean),
            num(rel.detect.mean),
            num(rel.resolve.mean),
            num(rel.mttf()),
            num(rel.mtbf()),
            r.slo
                .map(|s| super::super::catalog::form::format_percent_ppm(s.target_ppm))
                .unwrap_or_default(),
            ratio(r.budget_remaining),
        ]));
    }
    out
}

/// Incidents per bucket, one column per severity.
pub fn counts(severities: &[SeverityLevel], rows: &[BucketCounts]) -> String {
    let mut header = vec!["period_start".to_owned()];
    header.extend(severities.iter().map(|s| s.name.clone()));
    header.push("total".to_owned());
    let mut out = line(&header);
    for r in rows {
        let mut cells = vec![r.bucket.clone()];
        cells.extend(r.counts.iter().map(i64::to_string));
        cells.push(r.counts.iter().sum::<i64>().to_string());
        out.push_str(&line(&cells));
    }
    out
}

/// Time to restore per month.
pub fn restore(months: &[(String, DurationStats)]) -> String {
    let mut out = line(&["month", "incidents", "mean_s", "median_s", "p90_s"].map(str::to_owned));
    for (month, s) in months {
        let [mean, median, p90] = stats(s);
        out.push_str(&line(&[
            month.clone(),
            s.count.to_string(),
            mean,
            median,
            p90,
        ]));
    }
    out
}

/// The incidents that spent an error budget.
pub fn spenders(rows: &[BudgetSpender]) -> String {
    let mut out = line(&["incident", "title", "severity", "impact_s"].map(str::to_owned));
    for s in rows {
        out.push_str(&line(&[
            s.reference.clone(),
            s.title.clone(),
            s.severity.clone(),
            s.impact.to_string(),
        ]));
    }
    out
}

/// Deploys per period: those that reached production, and those that caused an incident.
pub fn deploys(rows: &[super::delivery::DeployBucket]) -> String {
    let mut out = line(
        &[
            "period_start",
            "deploys",
            "caused_an_incident",
            "lead_time_median_s",
            "change_failure_rate",
            "restore_median_s",
        ]
        .map(str::to_owned),
    );
    for b in rows {
        out.push_str(&line(&[
            b.bucket.clone(),
            (b.fine + b.failed).to_string(),
            b.failed.to_string(),
            b.lead_time_median
                .map(|m| format!("{m:.0}"))
                .unwrap_or_default(),
            b.change_failure_rate
                .map(|r| format!("{r:.4}"))
                .unwrap_or_default(),
            b.restore_median
                .map(|m| format!("{m:.0}"))
                .unwrap_or_default(),
        ]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("-5"), "'-5");
    }

    #[test]
    fn counts_have_a_column_per_severity_and_a_total() {
        let severities = vec![
            SeverityLevel {
                id: 1,
                name: "SEV1".into(),
                position: 1,
            },
            SeverityLevel {
                id: 2,
                name: "SEV2".into(),
                position: 2,
            },
        ];
        let rows = vec![BucketCounts {
            bucket: "2026-11-02".into(),
            counts: vec![1, 3],
        }];
        assert_eq!(
            counts(&severities, &rows),
            "period_start,SEV1,SEV2,total\r\n2026-11-02,1,3,4\r\n"
        );
    }
}
