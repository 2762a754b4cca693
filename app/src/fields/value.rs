//! Checking what someone typed into a custom field against its definition, and the
//! checks of a definition itself. Pure, so the rules are tested here, once.

use super::{FieldDef, FieldInput, FieldKind};
use crate::error::FieldError;

/// Choices a select may have, and how long each, a text value and a label may be.
pub const MAX_OPTIONS: usize = 50;
pub const MAX_OPTION: usize = 100;
pub const MAX_TEXT: usize = 500;
pub const MAX_LABEL: usize = 80;

/// The form's (and the API's) key for a field's value: `field_<id>`.
pub fn key(id: i64) -> String {
    format!("field_{id}")
}

/// The values to store for `def` from what was entered (blank entries ignored), or
/// what is wrong with them. A person arrives as text and is resolved by the service.
pub fn check(def: &FieldDef, entered: &[String]) -> Result<Vec<String>, String> {
    let entered: Vec<&str> = entered
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    let single = || -> Result<Option<&str>, String> {
        match entered.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one)),
            _ => Err(format!("{} takes one value.", def.label)),
        }
    };
    let one = |v: Option<String>| v.into_iter().collect::<Vec<_>>();
    match def.kind {
        FieldKind::Text => {
            let Some(text) = single()? else {
                return Ok(vec![]);
            };
            if text.chars().count() > MAX_TEXT {
                Err(format!("Keep {} under {MAX_TEXT} characters.", def.label))
            } else if crate::text::has_control_characters(text) {
                Err(crate::text::ONE_LINE.to_owned())
            } else {
                Ok(one(Some(text.to_owned())))
            }
        }
        FieldKind::Number => {
            let Some(text) = single()? else {
                return Ok(vec![]);
            };
            match text.replace([',', '_'], "").parse::<f64>() {
                Ok(n) if n.is_finite() && n.abs() < 1e15 => Ok(one(Some(number_text(n)))),
                _ => Err(format!("{} is a number, like 42 or 0.5.", def.label)),
            }
        }
        FieldKind::Select => {
            let Some(text) = single()? else {
                return Ok(vec![]);
            };
            option(def, text).map(|o| one(Some(o)))
        }
        FieldKind::MultiSelect => {
            let mut chosen: Vec<String> = Vec::new();
            for text in entered {
                let o = option(def, text)?;
                if !chosen.contains(&o) {
                    chosen.push(o);
                }
            }
            // Kept in the options' order, so a value reads the same wherever it shows.
            chosen.sort_by_key(|c| def.options.iter().position(|o| o == c));
            Ok(chosen)
        }
        FieldKind::Link => {
            let Some(text) = single()? else {
                return Ok(vec![]);
            };
            if text.len() > MAX_TEXT {
                Err(format!("Keep {} under {MAX_TEXT} characters.", def.label))
            } else if crate::text::is_web_link(text) {
                Ok(one(Some(text.to_owned())))
            } else {
                Err(format!(
                    "{} is a web link starting with https:// or http://.",
                    def.label
                ))
            }
        }
        FieldKind::Person => Ok(one(single()?.map(str::to_owned))),
    }
}

/// The option `text` names (ignoring case), as the definition spells it.
fn option(def: &FieldDef, text: &str) -> Result<String, String> {
    def.options
        .iter()
        .find(|o| o.eq_ignore_ascii_case(text))
        .cloned()
        .ok_or_else(|| {
            format!(
                "Choose {} from its list: {}.",
                def.label,
                def.options.join(", ")
            )
        })
}

/// A number as stored: no trailing `.0`, so 3 and 3.0 filter alike.
fn number_text(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// A definition with its text trimmed and options cleaned, or the errors beside its
/// fields (`label`, `description`, `options`). Whether the types exist is the service's.
pub fn check_input(input: &FieldInput) -> Result<FieldInput, Vec<FieldError>> {
    let mut errors = Vec::new();
    let label = input.label.trim().to_owned();
    if label.is_empty() {
        errors.push(FieldError::new(
            "label",
            "Give the field a label, like “Region” or “Customers affected”.",
        ));
    } else if label.chars().count() > MAX_LABEL {
        errors.push(FieldError::new(
            "label",
            format!("Keep the label under {MAX_LABEL} characters."),
        ));
    } else if crate::text::has_control_characters(&label) {
        errors.push(FieldError::new("label", crate::text::ONE_LINE));
    }
    let description = input.description.trim().to_owned();
    if description.chars().count() > 500 {
        errors.push(FieldError::new(
            "description",
            "Keep the help under 500 characters.",
        ));
    }
    let mut options: Vec<String> = Vec::new();
    for o in input
        .options
        .iter()
        .map(|o| o.trim())
        .filter(|o| !o.is_empty())
    {
        if o.chars().count() > MAX_OPTION || crate::text::has_control_characters(o) {
            errors.push(FieldError::new(
                "options",
                format!("Each choice is one line under {MAX_OPTION} characters."),
            ));
            break;
        }
        if !options.iter().any(|x| x.eq_ignore_ascii_case(o)) {
            options.push(o.to_owned());
        }
    }
    let select = matches!(input.kind, FieldKind::Select | FieldKind::MultiSelect);
    if select && options.is_empty() {
        errors.push(FieldError::new(
            "options",
            "A select needs its choices, one a line.",
        ));
    } else if options.len() > MAX_OPTIONS {
        errors.push(FieldError::new(
            "options",
            format!("A select offers at most {MAX_OPTIONS} choices."),
        ));
    }
    if !select {
        options.clear();
    }
    let mut type_ids = input.type_ids.clone();
    type_ids.sort_unstable();
    type_ids.dedup();
    if errors.is_empty() {
        Ok(FieldInput {
            label,
            description,
            options,
            type_ids,
            ..input.clone()
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Stage;

    fn def(kind: FieldKind, options: &[&str]) -> FieldDef {
        FieldDef {
            id: 1,
            label: "Region".into(),
            description: String::new(),
            kind,
            options: options.iter().map(|o| o.to_string()).collect(),
            required_at: Stage::Never,
            types: vec![],
            archived: false,
            version: 1,
        }
    }

    fn v(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn values_are_checked_by_kind() {
        let text = def(FieldKind::Text, &[]);
        assert_eq!(check(&text, &v(&["  eu-west "])), Ok(v(&["eu-west"])));
        assert_eq!(check(&text, &v(&["", " "])), Ok(vec![]));
        assert!(check(&text, &v(&["a", "b"])).is_err());
        assert!(check(&text, &v(&["two\nlines"])).is_err());
        assert!(check(&text, &["x".repeat(MAX_TEXT + 1)]).is_err());

        let number = def(FieldKind::Number, &[]);
        assert_eq!(check(&number, &v(&["1,200"])), Ok(v(&["1200"])));
        assert_eq!(check(&number, &v(&["3.0"])), Ok(v(&["3"])));
        assert_eq!(check(&number, &v(&["0.5"])), Ok(v(&["0.5"])));
        for bad in ["many", "NaN", "inf", "1e300"] {
            assert!(check(&number, &v(&[bad])).is_err(), "{bad}");
        }

        let select = def(FieldKind::Select, &["EU", "US"]);
        assert_eq!(check(&select, &v(&["eu"])), Ok(v(&["EU"])));
        let refused = check(&select, &v(&["APAC"])).unwrap_err();
        assert!(refused.contains("EU, US"), "{refused}");
        assert!(check(&select, &v(&["EU", "US"])).is_err());

        let multi = def(FieldKind::MultiSelect, &["EU", "US", "APAC"]);
        assert_eq!(
            check(&multi, &v(&["apac", "EU", "eu"])),
            Ok(v(&["EU", "APAC"]))
        );
        assert!(check(&multi, &v(&["EU", "Mars"])).is_err());

        let link = def(FieldKind::Link, &[]);
        assert_eq!(
            check(&link, &v(&["https://ticket.example/1"])),
            Ok(v(&["https://ticket.example/1"]))
        );
        for bad in ["javascript:alert(1)", "ticket 1", "https://x\"><script>"] {
            assert!(check(&link, &v(&[bad])).is_err(), "{bad}");
        }
    }

    #[test]
    fn definitions_are_cleaned_and_checked() {
        let input = FieldInput {
            label: "  Region ".into(),
            description: String::new(),
            kind: FieldKind::Select,
            options: v(&[" EU", "eu", "", "US"]),
            required_at: Stage::Resolve,
            type_ids: vec![3, 1, 3],
        };
        let checked = check_input(&input).unwrap();
        assert_eq!(checked.label, "Region");
        assert_eq!(checked.options, v(&["EU", "US"]));
        assert_eq!(checked.type_ids, vec![1, 3]);

        let empty_select = FieldInput {
            options: vec![],
            ..input.clone()
        };
        let errors = check_input(&empty_select).unwrap_err();
        assert_eq!(errors[0].field, "options");

        let text = FieldInput {
            kind: FieldKind::Text,
            ..input.clone()
        };
        assert!(check_input(&text).unwrap().options.is_empty());

        let unnamed = FieldInput {
            label: " ".into(),
            ..input
        };
        assert_eq!(check_input(&unnamed).unwrap_err()[0].field, "label");
    }
}
