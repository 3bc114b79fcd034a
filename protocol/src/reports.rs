//! Session reports as the console asks for them and gets them: sessions filtered by date,
//! team, representative, portal and outcome, each with what happened in it (joins, rights
//! changes over time, files, folder listings, reboots) from the audit trail, and the same
//! as CSV.

use serde::{Deserialize, Serialize};

/// Which sessions a report shows; every field left out matches everything.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ReportFilter {
    /// Started at or after (Unix seconds).
    #[serde(default)]
    pub from: Option<i64>,
    /// Started before (Unix seconds).
    #[serde(default)]
    pub to: Option<i64>,
    /// Hosted by someone in this team (or a team below it), as teams are now.
    #[serde(default)]
    pub team: Option<i64>,
    /// Hosted by this account.
    #[serde(default)]
    pub rep: Option<String>,
    /// Started on this customer portal.
    #[serde(default)]
    pub portal: Option<String>,
    /// "resolved", "unresolved", or "none" (no outcome recorded).
    #[serde(default)]
    pub outcome: Option<String>,
}

/// One thing that happened in a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportEvent {
    /// When (Unix seconds).
    pub at: i64,
    /// Who did it.
    pub actor: String,
    /// What: the audit trail's action ("attendee.join", "rights.change", "file.transfer",
    /// "folder.listing", "reboot", …).
    pub action: String,
    /// The details.
    pub detail: String,
}

/// One session in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionReport {
    /// The session's number.
    pub id: u64,
    /// The host's account.
    pub rep: String,
    /// The host's name.
    pub rep_name: String,
    /// The customer.
    pub customer: String,
    /// The customer portal.
    pub portal: String,
    /// Started (Unix seconds).
    pub started_at: i64,
    /// Ended, if it has.
    pub ended_at: Option<i64>,
    /// How it ended.
    pub end_reason: Option<String>,
    /// "resolved" or "unresolved", when the representative said.
    pub outcome: Option<String>,
    /// The representative's notes.
    pub notes: Option<String>,
    /// What happened, in order.
    pub events: Vec<ReportEvent>,
    /// The session's recording, if it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recording: Option<RecordingSummary>,
}

/// A report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportView {
    /// The sessions, newest first.
    pub sessions: Vec<SessionReport>,
    /// More sessions matched than a report holds; narrow the filter.
    pub truncated: bool,
    /// The same as CSV (RFC 4180), one row per event (a session without events has one).
    pub csv: String,
}

/// A session's recording as a report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordingSummary {
    /// Its size on the portal's disk.
    pub bytes: u64,
    /// From its first record to its last.
    pub duration_ms: u64,
}
