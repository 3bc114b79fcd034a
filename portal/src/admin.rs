//! What an administrator configures from the command line: customer portals (their mode,
//! form and how sessions start). Checked here, so a bad definition never reaches a page.

use std::path::Path;

use tandem_protocol::front_desk::{ChatStart, FieldKind, FieldSpec, PortalMode};

use crate::front::form;
use crate::storage::{PortalRecord, Storage, StorageError, unix_now};

/// Longest portal title, in characters.
pub const MAX_TITLE_CHARS: usize = 80;

/// Parses a field definition `Label:kind[:required]` (kind: text, long_text, email, phone,
/// number).
pub fn parse_field(text: &str) -> Result<FieldSpec, String> {
    let (rest, required) = match text.strip_suffix(":required") {
        Some(rest) => (rest, true),
        None => (text, false),
    };
    let Some((label, kind)) = rest.rsplit_once(':') else {
        return Err(format!("'{text}' is not Label:kind[:required]"));
    };
    let kind = match kind {
        "text" => FieldKind::Text,
        "long_text" => FieldKind::LongText,
        "email" => FieldKind::Email,
        "phone" => FieldKind::Phone,
        "number" => FieldKind::Number,
        other => {
            return Err(format!(
                "unknown field kind '{other}' (text, long_text, email, phone, number)"
            ));
        }
    };
    Ok(FieldSpec {
        label: label.trim().to_owned(),
        required,
        kind,
    })
}

/// A portal definition, checked.
pub fn portal_record(
    name: &str,
    title: &str,
    mode: &str,
    chat_start: &str,
    fields: &[String],
    open: bool,
) -> Result<PortalRecord, String> {
    let valid_name = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid_name {
        return Err("a portal name is 1–40 characters: a–z, 0–9 and '-'".to_owned());
    }
    let title = crate::codes::clean_name(title, "portal title")?;
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(format!(
            "a portal title has at most {MAX_TITLE_CHARS} characters"
        ));
    }
    let mode = PortalMode::parse(mode).ok_or_else(|| {
        format!("unknown mode '{mode}' (smart_pin, smart_button, smart_box, smart_match, queue)")
    })?;
    let chat_start = ChatStart::parse(chat_start)
        .ok_or_else(|| format!("unknown chat start '{chat_start}' (web_chat, download)"))?;
    let fields = fields
        .iter()
        .map(|f| parse_field(f))
        .collect::<Result<Vec<_>, _>>()?;
    form::check_fields(&fields)?;
    if !fields.is_empty() && !mode.has_form() {
        return Err(format!("a {} portal has no form fields", mode.as_str()));
    }
    Ok(PortalRecord {
        name: name.to_owned(),
        title,
        mode,
        chat_start,
        fields,
        open,
    })
}

/// Creates or replaces a portal in the database at `db_path` (the `portal` command).
pub async fn save_portal_to(db_path: &Path, record: PortalRecord) -> Result<(), StorageError> {
    let storage = Storage::open_sqlite(db_path).await?;
    let now = unix_now();
    storage.call(move |b| b.save_portal(&record, now)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_parse_with_colons_in_labels() {
        let f = parse_field("Phone:phone:required").expect("valid");
        assert_eq!(
            (f.label.as_str(), f.kind, f.required),
            ("Phone", FieldKind::Phone, true)
        );
        let f = parse_field("Ticket: number:text").expect("valid");
        assert_eq!((f.label.as_str(), f.required), ("Ticket: number", false));
        assert!(parse_field("Phone").is_err());
        assert!(parse_field("Phone:colour").is_err());
    }

    #[test]
    fn portals_are_checked() {
        assert!(portal_record("acme", "Acme", "smart_box", "web_chat", &[], true).is_ok());
        assert!(portal_record("Acme!", "Acme", "smart_box", "web_chat", &[], true).is_err());
        assert!(portal_record("acme", "Acme", "fax", "web_chat", &[], true).is_err());
        let field = ["Email:email".to_owned()];
        assert!(portal_record("acme", "Acme", "smart_pin", "download", &field, true).is_err());
        assert!(portal_record("acme", "Acme", "queue", "download", &field, true).is_ok());
    }
}
