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
            severity_rank: Some(0),
            commander: Some("Grace <Hopper>".into()),
            services: vec!["Checkout".into(), "Payments".into()],
        }),
        change: None,
        actor: Some("Ada".into()),
        rule: None,
        digest: None,
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

/// A notice whose every text a person typed is hostile in the tools' own markups.
fn hostile() -> Notice {
    let mut n = notice(
        NotifyEvent::Declared,
        "DB **down** @here <!channel> [x](https://evil.example) {{DATE(2017-02-14T06:00:00Z)}} <at>Ada</at> </textarea>",
    );
    n.actor = Some("@everyone <b>Mallory</b>".into());
    n
}

#[test]
fn one_summary_speaks_of_each_event() {
    let base = "https://v";
    assert_eq!(
        Summary::of(&notice(NotifyEvent::Declared, "DB"), base).one_line(),
        "INC-7 declared at SEV1: DB"
    );
    let mut handed = notice(NotifyEvent::CommanderChanged, "DB");
    handed.change = Some(Change {
        from: "Ada".into(),
        to: "Grace".into(),
    });
    assert_eq!(
        Summary::of(&handed, base).headline,
        "INC-7 commander handed over from Ada to Grace"
    );
    handed.change = Some(Change {
        from: String::new(),
        to: "Grace".into(),
    });
    assert_eq!(
        Summary::of(&handed, base).headline,
        "INC-7 has a commander: Grace"
    );
    let summary = Summary::of(&notice(NotifyEvent::StatusChanged, "DB"), base);
    assert_eq!(summary.url.as_deref(), Some("https://v/incidents/INC-7"));
    assert_eq!(
        summary.facts,
        [
            ("Severity", "SEV1"),
            ("Status", "Triage"),
            ("Commander", "Grace <Hopper>"),
            ("Services", "Checkout, Payments"),
            ("By", "Ada"),
        ]
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
    );
    let test = Notice {
        incident: None,
        ..notice(NotifyEvent::Test, "")
    };
    assert_eq!(
        Summary::of(&test, base).one_line(),
        "Test notification from Vigil: this channel works."
    );
}

#[test]
fn markdown_text_cannot_link_emphasise_or_mention() {
    assert_eq!(
        markdown_escape("**b** [x](u) @here\nnext"),
        "\\*\\*b\\*\\* \\[x\\]\\(u\\) \\@\u{2060}here next"
    );
}

#[test]
fn teams_workflows_get_an_adaptive_card_coloured_by_severity() {
    let body = teams_body(&Summary::of(&hostile(), "https://v"));
    assert_eq!(body["type"], "message");
    let attachment = &body["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    assert_eq!(
        card["body"][0]["style"], "attention",
        "the most severe level is red"
    );
    // The title is a TextRun (no Markdown there at all), its date function broken.
    let block = &card["body"][0]["items"][0];
    assert_eq!(block["type"], "RichTextBlock");
    assert_eq!(block["inlines"][0]["text"], "INC-7 declared at SEV1");
    let title = block["inlines"][1]["text"].as_str().unwrap();
    assert!(title.contains("DB **down** @here"), "{title}");
    assert!(!title.contains("{{"), "{title}");
    // Facts are Markdown-escaped.
    let facts = card["body"][1]["facts"].as_array().unwrap();
    assert_eq!(facts[2]["title"], "Commander");
    assert_eq!(facts[2]["value"], "Grace \\<Hopper\\>");
    assert_eq!(
        facts[4]["value"],
        "\\@\u{2060}everyone \\<b\\>Mallory\\<\\/b\\>"
    );
    assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
    assert_eq!(card["actions"][0]["url"], "https://v/incidents/INC-7");
    assert!(body.to_string().find("msteams").is_some());
    assert!(
        !body.to_string().contains("\"entities\""),
        "no mention entities, ever"
    );
}

#[test]
fn teams_connectors_get_a_message_card_without_markdown() {
    let body = teams_connector_body(&Summary::of(&hostile(), "https://v"));
    assert_eq!(body["@type"], "MessageCard");
    assert_eq!(body["themeColor"], "D92D20");
    let section = &body["sections"][0];
    assert_eq!(section["markdown"], false);
    assert!(
        section["activitySubtitle"]
            .as_str()
            .unwrap()
            .contains("&lt;!channel&gt;")
    );
    assert_eq!(
        section["facts"][4]["value"],
        "@everyone &lt;b&gt;Mallory&lt;/b&gt;"
    );
    assert_eq!(
        body["potentialAction"][0]["targets"][0]["uri"],
        "https://v/incidents/INC-7"
    );
}

#[test]
fn discord_gets_an_embed_that_mentions_nobody() {
    let body = discord_body(&Summary::of(&hostile(), "https://v"));
    assert_eq!(body["allowed_mentions"]["parse"], serde_json::json!([]));
    let embed = &body["embeds"][0];
    assert_eq!(embed["color"], 0xD9_2D_20);
    assert_eq!(embed["url"], "https://v/incidents/INC-7");
    let title = embed["title"].as_str().unwrap();
    assert!(
        title.starts_with("DB \\*\\*down\\*\\* \\@\u{2060}here"),
        "{title}"
    );
    assert!(title.chars().count() <= 256);
    assert_eq!(embed["fields"][0]["name"], "Severity");
    assert_eq!(embed["fields"][0]["inline"], true);
    // A title over Discord's limit is clipped, not refused.
    let long = notice(NotifyEvent::Declared, &"x".repeat(400));
    let body = discord_body(&Summary::of(&long, "https://v"));
    assert_eq!(
        body["embeds"][0]["title"].as_str().unwrap().chars().count(),
        256
    );
}

#[test]
fn mattermost_gets_escaped_markdown_with_a_link() {
    let body = mattermost_body(&Summary::of(&hostile(), "https://v"));
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("INC\\-7 declared at SEV1: [DB \\*\\*down"),
        "{text}"
    );
    assert!(text.contains("](https://v/incidents/INC-7)\n"), "{text}");
    assert!(text.contains("\\@\u{2060}here"), "{text}");
    assert!(!text.contains("@here"), "{text}");
    assert!(text.contains("**Commander:** Grace \\<Hopper\\>"), "{text}");
}

#[test]
fn email_has_a_one_line_subject_and_escaped_html() {
    let mut n = hostile();
    n.incident.as_mut().unwrap().title = "Two\r\nBcc: x@evil.example <script>".into();
    let mail = email(&Summary::of(&n, "https://v"));
    assert_eq!(
        mail.subject,
        "[Vigil] INC-7 declared at SEV1: Two Bcc: x@evil.example <script>"
    );
    assert!(
        mail.text.contains("Commander: Grace <Hopper>\n"),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("Open in Vigil: https://v/incidents/INC-7")
    );
    assert!(mail.html.contains("&lt;script&gt;"), "{}", mail.html);
    assert!(!mail.html.contains("<script>"));
    assert!(mail.html.contains("Grace &lt;Hopper&gt;"));
    assert!(
        mail.html
            .contains("<a href=\"https://v/incidents/INC-7\">Open in Vigil</a>")
    );
    assert_eq!(mail.one_click, None);
}

fn digest() -> Notice {
    use crate::notifications::digest::{Digest, OverdueItem};
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 12, d).unwrap();
    let item = |incident: &str, title: &str, owner: Option<&str>, due: u32| OverdueItem {
        incident: incident.into(),
        title: title.into(),
        owner: owner.map(Into::into),
        due_on: day(due),
        days_overdue: i64::from(5 - due),
    };
    Notice {
        event: NotifyEvent::ActionItemsOverdue,
        occurred_at: DateTime::parse_from_rfc3339("2026-12-05T09:00:00Z")
            .unwrap()
            .to_utc(),
        incident: None,
        change: None,
        actor: None,
        rule: None,
        digest: Some(Digest {
            day: day(5),
            total: 3,
            items: vec![
                item("INC-3", "Alert on disk <@U1>", Some("Ada"), 1),
                item("INC-9", "Add a **runbook**", None, 4),
            ],
            path: "/action-items?overdue=1".into(),
        }),
    }
}

#[test]
fn the_digest_lists_overdue_items_in_every_tool() {
    let notice = digest();
    let summary = Summary::of(&notice, "https://v");
    assert_eq!(summary.headline, "3 action items are overdue");
    assert_eq!(
        summary.url.as_deref(),
        Some("https://v/action-items?overdue=1")
    );
    assert_eq!(
        summary.facts,
        vec![
            (
                "INC-3".to_owned(),
                "Alert on disk <@U1> (Ada, due 1 Dec 2026, 4 days overdue)".to_owned()
            ),
            (
                "INC-9".to_owned(),
                "Add a **runbook** (no owner, due 4 Dec 2026, 1 day overdue)".to_owned()
            ),
            ("More".to_owned(), "and 1 more in Vigil".to_owned()),
        ]
    );

    let slack = slack_body(&notice, "https://v")["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        slack.starts_with(
            ":hourglass: *3 action items are overdue*\n• *INC-3*: Alert on disk &lt;@\u{2060}U1&gt;"
        ),
        "{slack}"
    );
    assert!(
        slack.ends_with("<https://v/action-items?overdue=1|Open the overdue action items>"),
        "{slack}"
    );

    let mattermost = mattermost_body(&summary)["text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(mattermost.starts_with("3 action items are overdue: [Open in Vigil](https://v/action-items?overdue=1)\n- **INC\\-3:** Alert"), "{mattermost}");
    assert!(
        mattermost.contains("\n- **INC\\-9:** Add a \\*\\*runbook\\*\\*"),
        "{mattermost}"
    );

    let discord = discord_body(&summary);
    assert_eq!(discord["embeds"][0]["title"], "Open in Vigil");
    assert_eq!(discord["embeds"][0]["fields"].as_array().unwrap().len(), 3);
    assert_eq!(discord["embeds"][0]["fields"][0]["inline"], false);

    let teams = teams_body(&summary);
    let facts = &teams["attachments"][0]["content"]["body"][1]["facts"];
    assert_eq!(facts[1]["title"], "INC-9");
    assert_eq!(
        teams["attachments"][0]["content"]["actions"][0]["url"],
        "https://v/action-items?overdue=1"
    );

    let mail = email(&summary);
    assert_eq!(mail.subject, "[Vigil] 3 action items are overdue");
    assert!(
        mail.text
            .contains("INC-3: Alert on disk <@U1> (Ada, due 1 Dec 2026, 4 days overdue)\n"),
        "{}",
        mail.text
    );
    assert!(
        mail.html.contains("Alert on disk &lt;@U1&gt;"),
        "{}",
        mail.html
    );

    // Receivers of JSON webhooks get the digest itself.
    let body = webhook_body(&notice, "https://v", 1);
    assert_eq!(body["digest"]["total"], 3);
    assert_eq!(body["digest"]["items"][0]["due_on"], "2026-12-01");
}
