//! Checking what a customer typed into a portal's form, on the server: required fields, length
//! caps and kinds. The page checks too, but only this check counts. Values are kept as typed
//! (trimmed); every place that shows them escapes them (the web app sets `textContent` only).

use tandem_protocol::front_desk::{FieldKind, FieldSpec, FieldValue, PortalMode};

use crate::codes;
use crate::storage::PortalRecord;

/// Most fields an administrator may put on a form.
pub const MAX_FIELDS: usize = 8;
/// Longest question, in characters.
pub const MAX_QUESTION_CHARS: usize = 2000;
/// Longest one-line field value, in characters.
pub const MAX_FIELD_CHARS: usize = 200;
/// Longest multi-line field value, in characters.
pub const MAX_LONG_FIELD_CHARS: usize = 2000;
/// Longest field label, in characters.
pub const MAX_LABEL_CHARS: usize = 60;

/// What the customer sent with `RequestHelp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpForm {
    /// The portal's name.
    pub portal: String,
    /// The customer's name.
    pub customer: String,
    /// Their question.
    pub question: String,
    /// One value per field of the portal.
    pub fields: Vec<String>,
    /// SmartMatch: the chosen representative.
    pub rep: Option<String>,
}

/// A form that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedForm {
    /// The customer's name.
    pub customer: String,
    /// The question (empty where the mode has none).
    pub question: String,
    /// Label and value of each field.
    pub fields: Vec<FieldValue>,
}

fn text_ok(value: &str, max: usize, multi_line: bool, what: &str) -> Result<(), String> {
    if value.chars().count() > max {
        return Err(format!("{what} is longer than {max} characters"));
    }
    let bad_control = |c: char| c.is_control() && !(multi_line && matches!(c, '\n' | '\t'));
    if value.chars().any(bad_control) || value.chars().any(|c| matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(format!("{what} contains control characters"));
    }
    if value
        .chars()
        .any(tandem_protocol::chat::is_direction_control)
    {
        return Err(format!(
            "{what} contains a character that changes the direction of text"
        ));
    }
    Ok(())
}

fn kind_ok(kind: FieldKind, value: &str, label: &str) -> Result<(), String> {
    let ok = match kind {
        FieldKind::Text | FieldKind::LongText => true,
        FieldKind::Email => {
            value.len() <= 254
                && value.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !value.chars().any(char::is_whitespace)
                })
        }
        FieldKind::Phone => {
            value.chars().any(|c| c.is_ascii_digit())
                && value
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        }
        FieldKind::Number => value.chars().all(|c| c.is_ascii_digit()),
    };
    if ok {
        Ok(())
    } else {
        let expected = match kind {
            FieldKind::Email => "an email address",
            FieldKind::Phone => "a telephone number",
            FieldKind::Number => "digits only",
            FieldKind::Text | FieldKind::LongText => "text",
        };
        Err(format!("\u{201c}{label}\u{201d} must be {expected}"))
    }
}

/// Checks `form` against `portal`'s mode and fields.
pub fn check(portal: &PortalRecord, form: &HelpForm) -> Result<CheckedForm, String> {
    let customer = codes::clean_name(&form.customer, "name")?;
    let has_form = portal.mode.has_form();
    let question = form.question.trim();
    if has_form {
        if question.is_empty() {
            return Err("please describe your problem".to_owned());
        }
        text_ok(question, MAX_QUESTION_CHARS, true, "the question")?;
    } else if !question.is_empty() || !form.fields.is_empty() {
        return Err("this portal has no form to fill in".to_owned());
    }
    let specs: &[FieldSpec] = if has_form { &portal.fields } else { &[] };
    if form.fields.len() > specs.len() {
        return Err("the form has more values than fields".to_owned());
    }
    let mut fields = Vec::with_capacity(specs.len());
    for (i, spec) in specs.iter().enumerate() {
        let value = form.fields.get(i).map_or("", |v| v.trim());
        let label = &spec.label;
        if value.is_empty() {
            if spec.required {
                return Err(format!("please fill in \u{201c}{label}\u{201d}"));
            }
        } else {
            let (max, multi) = match spec.kind {
                FieldKind::LongText => (MAX_LONG_FIELD_CHARS, true),
                _ => (MAX_FIELD_CHARS, false),
            };
            text_ok(value, max, multi, &format!("\u{201c}{label}\u{201d}"))?;
            kind_ok(spec.kind, value, label)?;
        }
        fields.push(FieldValue {
            label: label.clone(),
            value: value.to_owned(),
        });
    }
    match (portal.mode, &form.rep) {
        (PortalMode::SmartMatch, None) => {
            return Err("please choose a representative".to_owned());
        }
        (PortalMode::SmartMatch, Some(_)) => {}
        (_, Some(_)) => return Err("this portal does not let you choose".to_owned()),
        (_, None) => {}
    }
    Ok(CheckedForm {
        customer,
        question: if has_form {
            question.to_owned()
        } else {
            String::new()
        },
        fields,
    })
}

/// Checks an administrator's field list.
pub fn check_fields(fields: &[FieldSpec]) -> Result<(), String> {
    if fields.len() > MAX_FIELDS {
        return Err(format!("a form has at most {MAX_FIELDS} fields"));
    }
    for f in fields {
        let label = f.label.trim();
        if label.is_empty() {
            return Err("a field needs a label".to_owned());
        }
        text_ok(label, MAX_LABEL_CHARS, false, "a field label")?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "form_tests.rs"]
mod tests;
