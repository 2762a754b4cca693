//! Every function that takes text from people or bytes from other systems, fed arbitrary
//! Unicode and bytes: none may panic, and each keeps its one promise (escaped stays escaped,
//! offsets stay on the text). A panic here is a postmortem nobody can open, or an alert lost.
#![cfg(feature = "ssr")]

use app::alerts::payload::{parse_alertmanager, parse_pagerduty};
use app::components::raw_text;
use app::diff::{Change, diff_lines};
use app::fields::value::{MAX_TEXT, check as check_value};
use app::fields::{FieldDef, FieldKind, Stage};
use app::markdown::render;
use app::metrics::csv::cell;
use app::notifications::outbox::slack_escape;
use app::postmortems::language::check;
use app::rules::form::{RuleForm, read as read_rule};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Text weighted towards what breaks parsers: markup, case-changing letters, combining marks,
/// control characters, and anything else Unicode has.
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        any::<String>(),
        Just("</textarea>".to_owned()),
        Just("<script>".to_owned()),
        Just("İ".to_owned()),
        Just("K".to_owned()),
        Just("ß".to_owned()),
        Just("ǅ".to_owned()),
        Just("\u{0301}".to_owned()),
        Just("\r\n".to_owned()),
        Just("\0".to_owned()),
        Just("lazy".to_owned()),
        Just("should have".to_owned()),
        Just("broke".to_owned()),
        Just("[x](javascript:alert(1))".to_owned()),
        Just("<img src=x onerror=alert(1)>".to_owned()),
        "[ -~]{0,12}",
    ];
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

/// JSON of roughly a webhook's shape with hostile strings and odd types where values go.
fn payload_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        hostile_text().prop_map(Value::String),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
        Just(json!("2026-12-01T10:00:00Z")),
        Just(json!("firing")),
        Just(json!("resolved")),
        Just(json!("trigger")),
    ];
    let value = leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(hostile_text(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    let keys = [
        "version",
        "status",
        "alerts",
        "labels",
        "annotations",
        "startsAt",
        "endsAt",
        "fingerprint",
        "groupKey",
        "generatorURL",
        "commonLabels",
        "routing_key",
        "event_action",
        "dedup_key",
        "payload",
        "summary",
        "severity",
        "source",
    ];
    prop::collection::vec((prop::sample::select(keys.to_vec()), value), 0..10).prop_map(|kv| {
        let mut object: serde_json::Map<String, Value> = kv
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        // Often give the alerts list the right shape, so parsing goes past the first field.
        if let Some(Value::Object(inner)) = kv.first().map(|(_, v)| v.clone()) {
            object.insert("alerts".into(), json!([inner]));
        }
        Value::Object(object)
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        // Failures are printed with their input; nothing is written into the source tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_language_check_never_panics_and_points_into_the_text(
        text in hostile_text(),
        people in prop::collection::vec(hostile_text(), 0..4),
    ) {
        for finding in check(&text, &people) {
            let phrase = text.get(finding.offset..finding.offset + finding.phrase.len());
            prop_assert_eq!(phrase, Some(finding.phrase.as_str()));
        }
    }

    #[test]
    fn markdown_never_panics_and_never_keeps_scripts_or_handlers(text in hostile_text()) {
        let html = render(&text).to_ascii_lowercase();
        // Text may mention anything (it is escaped); only tags are checked. In the
        // sanitiser's output every literal `<` starts a tag.
        for tag in html.split('<').skip(1).map(|t| t.split('>').next().unwrap_or("")) {
            prop_assert!(!tag.starts_with("script") && !tag.starts_with("textarea"), "{}", html);
            prop_assert!(!tag.contains("javascript:"), "{}", html);
            // Attribute names only: the sanitiser double-quotes every value.
            let names: String = tag.split('"').step_by(2).collect::<Vec<_>>().join(" ");
            let handler = names.split_whitespace().skip(1).any(|attr| attr.starts_with("on"));
            prop_assert!(!handler, "{}", html);
        }
    }

    #[test]
    fn diffs_never_panic_and_rebuild_both_texts(old in hostile_text(), new in hostile_text()) {
        let lines = diff_lines(&old, &new);
        let side = |keep: Change| -> Vec<String> {
            lines.iter().filter(|l| l.change == Change::Same || l.change == keep).map(|l| l.text.clone()).collect()
        };
        prop_assert_eq!(side(Change::Removed), old.lines().map(str::to_owned).collect::<Vec<_>>());
        prop_assert_eq!(side(Change::Added), new.lines().map(str::to_owned).collect::<Vec<_>>());
    }

    #[test]
    fn raw_text_can_never_close_its_element(text in hostile_text()) {
        let out = raw_text(&text);
        prop_assert!(!out.contains('<') && !out.contains('>'));
    }

    #[test]
    fn slack_text_never_carries_markup_or_mentions(text in hostile_text()) {
        let out = slack_escape(&text);
        prop_assert!(!out.contains('<') && !out.contains('>'));
        prop_assert!(!out.contains("@here") && !out.contains("@channel"));
    }

    #[test]
    fn csv_cells_are_never_formulas_and_stay_one_cell(text in hostile_text()) {
        let out = cell(&text);
        prop_assert!(!out.starts_with(['=', '+', '-', '@']));
        let quoted = out.starts_with('"') && out.ends_with('"') && out.len() >= 2;
        if !quoted {
            prop_assert!(!out.contains([',', '"', '\n', '\r']));
        }
    }

    #[test]
    fn alert_parsers_never_panic_on_bytes(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_alertmanager(&body);
        let _ = parse_pagerduty(&body);
    }

    #[test]
    fn alert_parsers_never_panic_on_json_of_any_shape(payload in payload_json()) {
        let body = serde_json::to_vec(&payload).unwrap();
        let _ = parse_alertmanager(&body);
        let _ = parse_pagerduty(&body);
    }

    #[test]
    fn custom_field_values_never_panic_and_keep_to_their_kind(
        kind in 0..FieldKind::ALL.len(),
        options in prop::collection::vec(hostile_text(), 0..5),
        entered in prop::collection::vec(hostile_text(), 0..4),
    ) {
        let def = FieldDef {
            id: 1,
            label: "Field".into(),
            description: String::new(),
            kind: FieldKind::ALL[kind],
            options: options.clone(),
            required_at: Stage::Never,
            types: vec![],
            archived: false,
            version: 1,
        };
        if let Ok(values) = check_value(&def, &entered) {
            for v in &values {
                prop_assert!(!v.trim().is_empty() && v.trim() == v);
                match def.kind {
                    FieldKind::Select | FieldKind::MultiSelect => prop_assert!(options.contains(v)),
                    FieldKind::Number => prop_assert!(v.parse::<f64>().is_ok_and(f64::is_finite)),
                    FieldKind::Link => prop_assert!(app::text::is_web_link(v)),
                    FieldKind::Text => prop_assert!(
                        v.chars().count() <= MAX_TEXT && !app::text::has_control_characters(v)
                    ),
                    FieldKind::Person => {}
                }
            }
            if def.kind != FieldKind::MultiSelect {
                prop_assert!(values.len() <= 1);
            }
        }
    }

    #[test]
    fn rule_forms_never_panic_and_a_rule_read_always_acts(
        texts in prop::collection::vec(prop_oneof![hostile_text(), "[0-9]{0,3}", Just("declared".to_owned()), Just("high".to_owned())], 21),
        services in prop::collection::vec("[ 0-9a-z-]{0,4}", 0..4),
        boxes in (any::<bool>(), any::<bool>()),
    ) {
        let t = |i: usize| texts[i].clone();
        let form = RuleForm {
            name: t(0),
            description: t(1),
            trigger: t(2),
            enabled: boxes.0.then(|| "on".to_owned()),
            min_severity_id: t(3),
            services: Some(services),
            type_id: t(4),
            field_id: t(5),
            field_value: t(6),
            playbook_id: t(7),
            role: t(8),
            role_user_id: t(9),
            item_title: t(10),
            item_priority: t(11),
            item_due_days: t(12),
            set_field_id: t(13),
            set_field_value: t(14),
            channel_id: t(15),
            require_postmortem: boxes.1.then(|| "on".to_owned()),
            draft_state: t(16),
            draft_body: t(17),
            set_severity_id: t(18),
        };
        match read_rule(&form) {
            Ok(rule) => {
                prop_assert!(!rule.actions.is_empty());
                prop_assert!(rule.conditions.service_ids.iter().all(|id| *id > 0));
                prop_assert!(rule.actions.action_item.iter().all(|i| i.due_in_days.is_none_or(|d| d <= 365)));
            }
            Err(errors) => prop_assert!(!errors.is_empty()),
        }
    }
}
