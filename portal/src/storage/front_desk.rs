//! Stored front-of-house records: customer portals, help requests and their Web Chat.

use tandem_protocol::front_desk::{ChatStart, FieldSpec, FieldValue, Outcome, PortalMode};

/// A customer portal as an administrator configured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalRecord {
    /// Its name, the last part of `/p/<name>`.
    pub name: String,
    /// Shown on its page.
    pub title: String,
    /// How it starts sessions.
    pub mode: PortalMode,
    /// Web Chat first, or the customer app at once.
    pub chat_start: ChatStart,
    /// SmartBox and Queue form fields (at most [`crate::front::MAX_FIELDS`]).
    pub fields: Vec<FieldSpec>,
    /// Takes requests and codes.
    pub open: bool,
}

impl PortalRecord {
    /// The portal every code belongs to when a representative names none: Phone mode, open.
    pub fn default_portal() -> PortalRecord {
        PortalRecord {
            name: "default".to_owned(),
            title: "Remote support".to_owned(),
            mode: PortalMode::SmartPin,
            chat_start: ChatStart::Download,
            fields: Vec::new(),
            open: true,
        }
    }
}

/// A help request as first stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHelpRequest {
    /// Its portal.
    pub portal: String,
    /// The customer's name.
    pub customer: String,
    /// Their question.
    pub question: String,
    /// The form's fields.
    pub fields: Vec<FieldValue>,
}

/// The end of a help request, for its record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestEnd {
    /// Words for a person.
    pub reason: String,
    /// The representative's notes (empty when none).
    pub notes: String,
    /// Resolved or not, when the representative said.
    pub outcome: Option<Outcome>,
}
