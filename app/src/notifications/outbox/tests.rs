use super::*;

fn notice(event: NotifyEvent, title: &str) -> Notice {
    Notice {
        event,
        occurred_at: DateTime::parse_from_rfc3339("2026-11-22T10:00:00Z")
            .unwrap()
            .to_utc(),
        incident: Some(IncidentFacts {
            reference: "INC-7".into(),
            title: title.into(),
            severity: "SEV1".into(),
            status: "Triage".into(),
            path: "/incidents/INC-7".into(),
        }),
        change: None,
        actor: Some("Ada".into()),
        rule: None,
    }
}

#[test]
fn backoff_doubles_from_thirty_seconds_up_to_an_hour() {
    let waits: Vec<i64> = (1..=9).map(|n| backoff(n).num_seconds()).collect();
    assert_eq!(waits, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    // Eight attempts span a little over an hour of trying.
    let total: i64 = (1..MAX_ATTEMPTS).map(|n| backoff(n).num_seconds()).sum();
    assert_eq!(total, 3810);
}

#[test]
fn slack_text_cannot_mention_or_link() {
    assert_eq!(
        slack_escape("<!channel> & <@U123> @here <https://evil|x>"),
        "&lt;!channel&gt; &amp; &lt;@\u{2060}U123&gt; @\u{2060}here &lt;https://evil|x&gt;"
    );
}

#[test]
fn slack_messages_link_the_incident_and_escape_the_title() {
    let body = slack_body(
        &notice(NotifyEvent::Declared, "DB down <!everyone>"),
        "https://vigil.example",
    );
    assert_eq!(
        body["text"],
        ":rotating_light: <https://vigil.example/incidents/INC-7|INC-7> declared at SEV1: *DB down &lt;!everyone&gt;* (by Ada)"
    );
    let mut changed = notice(NotifyEvent::StatusChanged, "DB down");
    changed.change = Some(Change {
        from: "Triage".into(),
        to: "Mitigated".into(),
    });
    assert_eq!(
        slack_body(&changed, "https://v")["text"],
        "<https://v/incidents/INC-7|INC-7> status changed from Triage to Mitigated: *DB down* (by Ada)"
    );
}

#[test]
fn webhook_bodies_carry_absolute_links_and_the_delivery_id() {
    let body = webhook_body(&notice(NotifyEvent::Declared, "DB"), "https://v", 42);
    assert_eq!(body["event"], "incident.declared");
    assert_eq!(body["delivery_id"], 42);
    assert_eq!(body["incident"]["url"], "https://v/incidents/INC-7");
    assert!(body["incident"].get("path").is_none());
}

#[test]
fn signatures_are_hmac_sha256_over_timestamp_and_body() {
    // Computed independently: Python's hmac.new(b"Jefe", b"1700000000.{}", sha256).
    assert_eq!(
        signature("Jefe", 1_700_000_000, b"{}"),
        "sha256=d3793e2b4103edfbd98cc19591832f5fad701d413db9fcae0ae7dab8184ed207"
    );
    assert_ne!(
        signature("Jefe", 1_700_000_000, b"{}"),
        signature("Jefe", 1_700_000_001, b"{}")
    );
}

#[test]
fn a_rule_notice_names_the_rule_escaped() {
    let mut told = notice(NotifyEvent::RuleMatched, "DB down");
    told.rule = Some("<!channel> rule".into());
    let text = slack_body(&told, "https://v")["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        text.contains("the rule “&lt;!channel&gt; rule” asked to tell this channel"),
        "{text}"
    );
    assert!(text.contains("<https://v/incidents/INC-7|INC-7>"), "{text}");
}
