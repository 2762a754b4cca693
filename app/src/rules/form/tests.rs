use super::*;

fn form() -> RuleForm {
    RuleForm {
        name: "Page comms on SEV1".into(),
        trigger: "declared".into(),
        playbook_id: "4".into(),
        ..Default::default()
    }
}

fn fields_of(result: Result<RuleInput, Vec<FieldError>>) -> Vec<String> {
    result.unwrap_err().into_iter().map(|e| e.field).collect()
}

#[test]
fn a_rule_needs_a_trigger_and_an_action() {
    let input = read(&form()).unwrap();
    assert_eq!(input.trigger, Trigger::Declared);
    assert_eq!(input.actions.playbook_id, Some(4));
    assert!(!input.enabled, "a rule starts as a draft unless enabled");
    assert_eq!(
        fields_of(read(&RuleForm {
            playbook_id: String::new(),
            ..form()
        })),
        ["actions"]
    );
    assert_eq!(
        fields_of(read(&RuleForm {
            trigger: "whenever".into(),
            ..form()
        })),
        ["trigger"]
    );
}

#[test]
fn half_filled_pairs_are_refused_beside_the_missing_half() {
    let cases: Vec<(RuleForm, &str)> = vec![
        (
            RuleForm {
                role: "scribe".into(),
                ..form()
            },
            "role_user_id",
        ),
        (
            RuleForm {
                role_user_id: "3".into(),
                ..form()
            },
            "role",
        ),
        (
            RuleForm {
                role: "boss".into(),
                role_user_id: "3".into(),
                ..form()
            },
            "role",
        ),
        (
            RuleForm {
                field_id: "2".into(),
                ..form()
            },
            "field_value",
        ),
        (
            RuleForm {
                field_value: "eu".into(),
                ..form()
            },
            "field_id",
        ),
        (
            RuleForm {
                set_field_value: "eu".into(),
                ..form()
            },
            "set_field_id",
        ),
        (
            RuleForm {
                item_due_days: "3".into(),
                ..form()
            },
            "item_title",
        ),
        (
            RuleForm {
                item_title: "Review".into(),
                item_due_days: "-1".into(),
                ..form()
            },
            "item_due_days",
        ),
        (
            RuleForm {
                item_title: "Review".into(),
                item_due_days: "400".into(),
                ..form()
            },
            "item_due_days",
        ),
        (
            RuleForm {
                item_title: "Review".into(),
                item_priority: "urgent".into(),
                ..form()
            },
            "item_priority",
        ),
        (
            RuleForm {
                draft_body: "We are looking".into(),
                ..form()
            },
            "draft_state",
        ),
        (
            RuleForm {
                min_severity_id: "one".into(),
                ..form()
            },
            "min_severity_id",
        ),
        (
            RuleForm {
                services: Some(vec!["0".into()]),
                ..form()
            },
            "services",
        ),
        (
            RuleForm {
                set_severity_id: "1e3".into(),
                ..form()
            },
            "set_severity_id",
        ),
    ];
    for (form, field) in cases {
        assert_eq!(fields_of(read(&form)), [field], "{form:?}");
    }
}

#[test]
fn every_action_survives_the_round_trip_through_the_form() {
    let full = RuleForm {
        enabled: Some("on".into()),
        min_severity_id: "2".into(),
        services: Some(vec!["9".into(), "3".into(), "9".into()]),
        type_id: "5".into(),
        field_id: "7".into(),
        field_value: " eu ".into(),
        role: "communications".into(),
        role_user_id: "3".into(),
        item_title: "Write the customer letter".into(),
        item_priority: "high".into(),
        item_due_days: "2".into(),
        set_field_id: "8".into(),
        set_field_value: "yes".into(),
        channel_id: "6".into(),
        require_postmortem: Some("on".into()),
        draft_state: "investigating".into(),
        draft_body: "We are looking into it.".into(),
        set_severity_id: "1".into(),
        ..form()
    };
    let input = read(&full).unwrap();
    assert_eq!(input.conditions.service_ids, [3, 9]);
    assert_eq!(input.conditions.field.as_ref().unwrap().value, "eu");
    assert_eq!(
        input.actions.action_item.as_ref().unwrap().due_in_days,
        Some(2)
    );
    let view = RuleView {
        id: 1,
        name: input.name.clone(),
        description: String::new(),
        trigger: input.trigger,
        conditions: input.conditions.clone(),
        actions: input.actions.clone(),
        enabled: true,
        version: 1,
        conditions_text: vec![],
        actions_text: vec![],
    };
    assert_eq!(read(&of_rule(&view)).unwrap(), input);
}
