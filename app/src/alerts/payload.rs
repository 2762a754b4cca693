//! The webhook formats Vigil accepts, read into one shape. Parsing is all-or-nothing:
//! a payload with one bad alert is refused whole, so nothing is ever half-applied.
//!
//! - Prometheus Alertmanager webhook, version 4 (`alerts[]` with `fingerprint`).
//! - Grafana alerting webhooks: Alertmanager's shape plus Grafana's own fields.
//! - PagerDuty Events API v2: one event, `trigger` / `acknowledge` / `resolve` by
//!   `dedup_key`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::AlertState;
use sha2::{Digest, Sha256};

/// The most alerts one Alertmanager or Grafana payload may carry.
pub const MAX_ALERTS: usize = 1_000;

/// One alert, whatever its format.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingAlert {
    /// Identifies the alert across repeats: Alertmanager's fingerprint, PagerDuty's
    /// `dedup_key`, or a hash of the labels when the sender gives none.
    pub fingerprint: String,
    /// Alerts sharing a group key belong to the same incident.
    pub group_key: Option<String>,
    pub state: AlertState,
    pub title: String,
    pub description: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub generator_url: Option<String>,
    /// The sender's severity word (`critical`, `warning`, ...), if any.
    pub severity: Option<String>,
    /// The alert as the sender wrote it (JSON text).
    pub raw: String,
}

/// Why a payload was refused; the message names the offending part.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PayloadError {
    pub field: String,
    pub message: String,
}

fn refuse(field: impl Into<String>, message: impl Into<String>) -> PayloadError {
    PayloadError {
        field: field.into(),
        message: message.into(),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlertmanagerPayload {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    group_key: Option<String>,
    #[serde(default)]
    common_labels: BTreeMap<String, String>,
    #[serde(default)]
    common_annotations: BTreeMap<String, String>,
    alerts: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AlertmanagerAlert {
    status: String,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    #[serde(default)]
    starts_at: Option<String>,
    #[serde(default)]
    ends_at: Option<String>,
    #[serde(default, rename = "generatorURL")]
    generator_url: Option<String>,
    #[serde(default)]
    fingerprint: Option<String>,
}

/// An RFC 3339 time, or ISO 8601 with a colon-less offset as PagerDuty's examples
/// write it (`2015-07-17T08:42:58.315+0000`).
fn time(field: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, PayloadError> {
    let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let parsed = DateTime::parse_from_rfc3339(value)
        .or_else(|_| DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .map_err(|_| refuse(field, format!("`{field}` is not an RFC 3339 time.")))?
        .with_timezone(&Utc);
    // Alertmanager sends 0001-01-01T00:00:00Z for "no end yet".
    Ok((parsed.timestamp() > 0).then_some(parsed))
}

/// A stable fingerprint from sorted labels, for senders that give none.
fn label_hash(labels: &BTreeMap<String, String>) -> String {
    let mut hasher = Sha256::new();
    for (k, v) in labels {
        hasher.update(k.as_bytes());
        hasher.update([0]);
        hasher.update(v.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..8])
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Reads an Alertmanager (version 4) or Grafana alerting webhook.
pub fn parse_alertmanager(body: &[u8]) -> Result<Vec<IncomingAlert>, PayloadError> {
    let payload: AlertmanagerPayload = serde_json::from_slice(body)
        .map_err(|e| refuse("body", format!("Not an Alertmanager webhook payload: {e}")))?;
    if let Some(v) = payload.version.as_deref()
        && !matches!(v, "4" | "1")
    {
        return Err(refuse(
            "version",
            format!("Webhook payload version {v} is not supported (expected 4)."),
        ));
    }
    if payload.alerts.len() > MAX_ALERTS {
        return Err(refuse(
            "alerts",
            format!("At most {MAX_ALERTS} alerts per payload."),
        ));
    }
    payload
        .alerts
        .into_iter()
        .enumerate()
        .map(|(i, raw)| {
            let a: AlertmanagerAlert = serde_json::from_value(raw.clone()).map_err(|e| {
                refuse(
                    format!("alerts[{i}]"),
                    format!("Alert {i} is malformed: {e}"),
                )
            })?;
            let state = match a.status.as_str() {
                "firing" | "alerting" => AlertState::Firing,
                "resolved" | "ok" | "normal" => AlertState::Resolved,
                other => {
                    return Err(refuse(
                        format!("alerts[{i}].status"),
                        format!("Unknown alert status `{other}` (firing or resolved)."),
                    ));
                }
            };
            let mut labels = payload.common_labels.clone();
            labels.extend(a.labels);
            let mut annotations = payload.common_annotations.clone();
            annotations.extend(a.annotations);
            let fingerprint = a
                .fingerprint
                .filter(|f| !f.trim().is_empty())
                .unwrap_or_else(|| label_hash(&labels));
            let title = annotations
                .get("summary")
                .or_else(|| labels.get("alertname"))
                .cloned()
                .unwrap_or_else(|| "Alert".to_owned());
            let description = annotations
                .get("description")
                .or_else(|| annotations.get("message"))
                .cloned()
                .unwrap_or_default();
            Ok(IncomingAlert {
                fingerprint: clip(&fingerprint, 200),
                group_key: payload.group_key.clone().map(|g| clip(&g, 500)),
                state,
                title: clip(&crate::text::one_line(&title), 200),
                description: clip(&description, 5_000),
                severity: labels.get("severity").cloned(),
                starts_at: time(&format!("alerts[{i}].startsAt"), a.starts_at.as_deref())?,
                ends_at: time(&format!("alerts[{i}].endsAt"), a.ends_at.as_deref())?,
                generator_url: a.generator_url.filter(|u| !u.is_empty()),
                labels,
                annotations,
                raw: raw.to_string(),
            })
        })
        .collect()
}

#[derive(Deserialize)]
struct PagerDutyEvent {
    event_action: String,
    #[serde(default)]
    dedup_key: Option<String>,
    #[serde(default)]
    payload: Option<PagerDutyPayload>,
    #[serde(default)]
    client_url: Option<String>,
}

#[derive(Deserialize)]
struct PagerDutyPayload {
    summary: String,
    source: String,
    severity: String,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    component: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    custom_details: Option<serde_json::Value>,
}

/// Reads a PagerDuty Events API v2 event. A trigger without a `dedup_key` gets a new one.
pub fn parse_pagerduty(body: &[u8]) -> Result<IncomingAlert, PayloadError> {
    let event: PagerDutyEvent = serde_json::from_slice(body)
        .map_err(|e| refuse("body", format!("Not a PagerDuty Events v2 event: {e}")))?;
    let dedup_key = event
        .dedup_key
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty());
    if dedup_key.as_ref().is_some_and(|k| k.chars().count() > 255) {
        return Err(refuse(
            "dedup_key",
            "`dedup_key` is limited to 255 characters.",
        ));
    }
    let state = match event.event_action.as_str() {
        "trigger" => AlertState::Firing,
        "acknowledge" => AlertState::Acknowledged,
        "resolve" => AlertState::Resolved,
        other => {
            return Err(refuse(
                "event_action",
                format!("Unknown `event_action` `{other}` (trigger, acknowledge or resolve)."),
            ));
        }
    };
    if state != AlertState::Firing {
        let Some(fingerprint) = dedup_key else {
            return Err(refuse(
                "dedup_key",
                "`dedup_key` is required to acknowledge or resolve.",
            ));
        };
        return Ok(IncomingAlert {
            fingerprint,
            group_key: None,
            state,
            title: String::new(),
            description: String::new(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            starts_at: None,
            ends_at: None,
            generator_url: event.client_url,
            severity: None,
            raw: String::from_utf8_lossy(body).into_owned(),
        });
    }
    let Some(p) = event.payload else {
        return Err(refuse("payload", "A trigger needs a `payload`."));
    };
    if p.summary.trim().is_empty() {
        return Err(refuse("payload.summary", "`payload.summary` is required."));
    }
    if p.source.trim().is_empty() {
        return Err(refuse("payload.source", "`payload.source` is required."));
    }
    if !matches!(
        p.severity.as_str(),
        "critical" | "error" | "warning" | "info"
    ) {
        return Err(refuse(
            "payload.severity",
            "`payload.severity` must be critical, error, warning or info.",
        ));
    }
    let mut labels = BTreeMap::from([
        ("source".to_owned(), p.source.clone()),
        ("severity".to_owned(), p.severity.clone()),
    ]);
    for (key, value) in [
        ("component", &p.component),
        ("group", &p.group),
        ("class", &p.class),
    ] {
        if let Some(v) = value {
            labels.insert(key.to_owned(), v.clone());
        }
    }
    let annotations = match &p.custom_details {
        Some(serde_json::Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                (k.clone(), clip(&text, 2_000))
            })
            .collect(),
        Some(other) => BTreeMap::from([("details".to_owned(), clip(&other.to_string(), 2_000))]),
        None => BTreeMap::new(),
    };
    Ok(IncomingAlert {
        fingerprint: dedup_key.unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()),
        group_key: None,
        state,
        title: clip(&crate::text::one_line(p.summary.trim()), 200),
        description: String::new(),
        severity: Some(p.severity),
        starts_at: time("payload.timestamp", p.timestamp.as_deref())?,
        ends_at: None,
        generator_url: event.client_url,
        labels,
        annotations,
        raw: String::from_utf8_lossy(body).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALERTMANAGER: &str = r#"{
      "version": "4",
      "groupKey": "{}:{alertname=\"HighErrorRate\"}",
      "truncatedAlerts": 0,
      "status": "firing",
      "receiver": "vigil",
      "groupLabels": {"alertname": "HighErrorRate"},
      "commonLabels": {"alertname": "HighErrorRate", "severity": "critical", "service": "checkout"},
      "commonAnnotations": {"summary": "Checkout 5xx above 5%"},
      "externalURL": "http://alertmanager:9093",
      "alerts": [
        {"status": "firing", "labels": {"instance": "web-1"}, "annotations": {"description": "5xx at 7%"},
         "startsAt": "2026-11-22T10:00:00Z", "endsAt": "0001-01-01T00:00:00Z",
         "generatorURL": "http://prometheus:9090/graph?g0.expr=x", "fingerprint": "a1b2c3"},
        {"status": "resolved", "labels": {"instance": "web-2"}, "annotations": {},
         "startsAt": "2026-11-22T09:00:00Z", "endsAt": "2026-11-22T09:30:00Z",
         "generatorURL": "", "fingerprint": "d4e5f6"}
      ]
    }"#;

    #[test]
    fn alertmanager_alerts_merge_common_labels_and_read_times() {
        let alerts = parse_alertmanager(ALERTMANAGER.as_bytes()).unwrap();
        assert_eq!(alerts.len(), 2);
        let a = &alerts[0];
        assert_eq!(a.fingerprint, "a1b2c3");
        assert_eq!(a.state, AlertState::Firing);
        assert_eq!(a.title, "Checkout 5xx above 5%");
        assert_eq!(a.description, "5xx at 7%");
        assert_eq!(a.severity.as_deref(), Some("critical"));
        assert_eq!(a.labels["instance"], "web-1");
        assert_eq!(a.labels["service"], "checkout");
        assert_eq!(a.ends_at, None, "0001-01-01 means no end");
        assert!(a.starts_at.is_some());
        assert_eq!(
            a.group_key.as_deref(),
            Some("{}:{alertname=\"HighErrorRate\"}")
        );
        assert_eq!(alerts[1].state, AlertState::Resolved);
        assert!(alerts[1].ends_at.is_some());
        assert_eq!(alerts[1].generator_url, None);
    }

    #[test]
    fn grafana_payloads_read_like_alertmanager() {
        let body = r#"{"receiver":"vigil","status":"firing","orgId":1,"version":"1",
          "groupKey":"{}/{}:{}","title":"[FIRING:1] Disk full","state":"alerting",
          "message":"Disk full","alerts":[{"status":"firing",
          "labels":{"alertname":"Disk full","grafana_folder":"infra"},
          "annotations":{},"startsAt":"2026-11-22T10:00:00+01:00","endsAt":"0001-01-01T00:00:00Z",
          "generatorURL":"http://grafana/alerting/1/edit","fingerprint":"9f8e","silenceURL":"x",
          "values":{"A":97},"valueString":"[ var='A' value=97 ]"}]}"#;
        let alerts = parse_alertmanager(body.as_bytes()).unwrap();
        assert_eq!(alerts[0].title, "Disk full");
        assert_eq!(alerts[0].fingerprint, "9f8e");
        assert_eq!(
            alerts[0].starts_at.unwrap().to_rfc3339(),
            "2026-11-22T09:00:00+00:00"
        );
    }

    #[test]
    fn alerts_without_fingerprint_hash_their_labels_stably() {
        let body = r#"{"alerts":[{"status":"firing","labels":{"b":"2","a":"1"}},
                                 {"status":"firing","labels":{"a":"1","b":"2"}}]}"#;
        let alerts = parse_alertmanager(body.as_bytes()).unwrap();
        assert_eq!(alerts[0].fingerprint, alerts[1].fingerprint);
        assert_eq!(alerts[0].fingerprint.len(), 16);
    }

    #[test]
    fn bad_alertmanager_payloads_are_refused_whole() {
        for (body, field) in [
            ("not json", "body"),
            (r#"{"alerts": "x"}"#, "body"),
            (r#"{"alerts": [{"labels": {}}]}"#, "alerts[0]"),
            (r#"{"version": "3", "alerts": []}"#, "version"),
            (
                r#"{"alerts":[{"status":"firing"},{"status":"weird"}]}"#,
                "alerts[1].status",
            ),
            (
                r#"{"alerts":[{"status":"firing","startsAt":"yesterday"}]}"#,
                "alerts[0].startsAt",
            ),
        ] {
            let err = parse_alertmanager(body.as_bytes()).unwrap_err();
            assert_eq!(err.field, field, "{body}");
        }
    }

    #[test]
    fn pagerduty_trigger_acknowledge_and_resolve() {
        let trigger = r#"{"routing_key":"x","event_action":"trigger","dedup_key":"srv01/disk",
          "payload":{"summary":"Disk full on srv01","source":"srv01","severity":"critical",
          "timestamp":"2026-11-22T10:00:00.000+0000","component":"disk",
          "custom_details":{"free":"0%","inodes":12}},"client_url":"https://mon/1"}"#;
        // PagerDuty's documented example writes the offset without a colon.
        let a = parse_pagerduty(trigger.as_bytes()).unwrap();
        assert_eq!(
            a.starts_at.unwrap().to_rfc3339(),
            "2026-11-22T10:00:00+00:00"
        );
        assert_eq!(a.state, AlertState::Firing);
        assert_eq!(a.fingerprint, "srv01/disk");
        assert_eq!(a.title, "Disk full on srv01");
        assert_eq!(a.labels["component"], "disk");
        assert_eq!(a.annotations["free"], "0%");
        assert_eq!(a.annotations["inodes"], "12");
        let ack =
            parse_pagerduty(br#"{"event_action":"acknowledge","dedup_key":"srv01/disk"}"#).unwrap();
        assert_eq!(ack.state, AlertState::Acknowledged);
        let resolve =
            parse_pagerduty(br#"{"event_action":"resolve","dedup_key":"srv01/disk"}"#).unwrap();
        assert_eq!(resolve.state, AlertState::Resolved);
        let fresh = parse_pagerduty(
            br#"{"event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}"#,
        )
        .unwrap();
        assert_eq!(fresh.fingerprint.len(), 32, "a generated dedup key");
    }

    #[test]
    fn bad_pagerduty_events_name_the_field() {
        for (body, field) in [
            (r#"{"event_action":"explode"}"#, "event_action"),
            (r#"{"event_action":"resolve"}"#, "dedup_key"),
            (r#"{"event_action":"trigger"}"#, "payload"),
            (
                r#"{"event_action":"trigger","payload":{"summary":"s","source":"h","severity":"bad"}}"#,
                "payload.severity",
            ),
            (
                r#"{"event_action":"trigger","payload":{"summary":" ","source":"h","severity":"info"}}"#,
                "payload.summary",
            ),
        ] {
            assert_eq!(
                parse_pagerduty(body.as_bytes()).unwrap_err().field,
                field,
                "{body}"
            );
        }
    }
}
