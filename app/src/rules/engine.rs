//! Whether a rule's conditions hold on an incident: pure, so every combination is
//! table-tested without a database.

use crate::incidents::types::FieldValues;

use super::Conditions;

/// How deep one change's rules may set off more rules (a rule's action firing a trigger
/// is one level). Deeper runs are refused and the timeline says so: two rules that undo
/// each other would otherwise run forever.
pub const MAX_DEPTH: u8 = 3;

/// What a rule's conditions are checked against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// The incident's severity's position (0 is the most severe).
    pub severity_position: i32,
    pub service_ids: Vec<i64>,
    pub type_id: Option<i64>,
    pub fields: FieldValues,
}

/// A condition that does not hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Miss {
    /// Less severe than the rule's minimum (or the minimum severity no longer exists).
    SeverityBelow,
    /// None of the rule's services is affected.
    NoService,
    /// Another type.
    OtherType,
    /// The custom field does not hold the value.
    FieldDiffers,
}

/// The conditions that do not hold, in the order a reader would check them; empty: the
/// rule acts. `position_of` answers a severity id's position.
pub fn misses(
    conditions: &Conditions,
    facts: &Facts,
    position_of: impl Fn(i64) -> Option<i32>,
) -> Vec<Miss> {
    let mut out = Vec::new();
    if let Some(min) = conditions.min_severity_id {
        match position_of(min) {
            Some(p) if facts.severity_position <= p => {}
            _ => out.push(Miss::SeverityBelow),
        }
    }
    if !conditions.service_ids.is_empty()
        && !conditions
            .service_ids
            .iter()
            .any(|s| facts.service_ids.contains(s))
    {
        out.push(Miss::NoService);
    }
    if let Some(kind) = conditions.type_id
        && facts.type_id != Some(kind)
    {
        out.push(Miss::OtherType);
    }
    if let Some(field) = &conditions.field {
        let holds = facts
            .fields
            .get(&field.field_id)
            .is_some_and(|values| values.contains(&field.value));
        if !holds {
            out.push(Miss::FieldDiffers);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::FieldMatch;

    /// SEV1 is id 1 at position 0, SEV2 id 2 at 1, SEV3 id 3 at 2.
    fn position(id: i64) -> Option<i32> {
        (1..=3).contains(&id).then(|| id as i32 - 1)
    }

    fn facts() -> Facts {
        Facts {
            severity_position: 1,
            service_ids: vec![10, 11],
            type_id: Some(5),
            fields: FieldValues::from([(7, vec!["eu".to_owned(), "us".to_owned()])]),
        }
    }

    #[test]
    fn each_condition_holds_or_misses_alone() {
        let field = |id, value: &str| {
            Some(FieldMatch {
                field_id: id,
                value: value.into(),
            })
        };
        let cases: Vec<(&str, Conditions, Vec<Miss>)> = vec![
            ("nothing set", Conditions::default(), vec![]),
            (
                "SEV2 at or above SEV3",
                Conditions {
                    min_severity_id: Some(3),
                    ..Default::default()
                },
                vec![],
            ),
            (
                "SEV2 at or above SEV2",
                Conditions {
                    min_severity_id: Some(2),
                    ..Default::default()
                },
                vec![],
            ),
            (
                "SEV2 below SEV1",
                Conditions {
                    min_severity_id: Some(1),
                    ..Default::default()
                },
                vec![Miss::SeverityBelow],
            ),
            (
                "a severity since deleted",
                Conditions {
                    min_severity_id: Some(99),
                    ..Default::default()
                },
                vec![Miss::SeverityBelow],
            ),
            (
                "one of the services",
                Conditions {
                    service_ids: vec![3, 11],
                    ..Default::default()
                },
                vec![],
            ),
            (
                "none of the services",
                Conditions {
                    service_ids: vec![3, 4],
                    ..Default::default()
                },
                vec![Miss::NoService],
            ),
            (
                "its type",
                Conditions {
                    type_id: Some(5),
                    ..Default::default()
                },
                vec![],
            ),
            (
                "another type",
                Conditions {
                    type_id: Some(6),
                    ..Default::default()
                },
                vec![Miss::OtherType],
            ),
            (
                "a value among several",
                Conditions {
                    field: field(7, "us"),
                    ..Default::default()
                },
                vec![],
            ),
            (
                "a value it lacks",
                Conditions {
                    field: field(7, "apac"),
                    ..Default::default()
                },
                vec![Miss::FieldDiffers],
            ),
            (
                "a field it lacks",
                Conditions {
                    field: field(8, "eu"),
                    ..Default::default()
                },
                vec![Miss::FieldDiffers],
            ),
            (
                "every miss at once, in order",
                Conditions {
                    min_severity_id: Some(1),
                    service_ids: vec![1],
                    type_id: Some(1),
                    field: field(7, "x"),
                },
                vec![
                    Miss::SeverityBelow,
                    Miss::NoService,
                    Miss::OtherType,
                    Miss::FieldDiffers,
                ],
            ),
        ];
        for (name, conditions, expected) in cases {
            assert_eq!(misses(&conditions, &facts(), position), expected, "{name}");
        }
    }

    #[test]
    fn an_incident_without_a_type_misses_any_type() {
        let facts = Facts {
            type_id: None,
            ..facts()
        };
        let conditions = Conditions {
            type_id: Some(5),
            ..Default::default()
        };
        assert_eq!(misses(&conditions, &facts, position), vec![Miss::OtherType]);
    }
}
