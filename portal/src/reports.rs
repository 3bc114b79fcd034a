//! Session reports: which sessions an asker may see (`crate::tiers`), and the CSV export.
//! Pure; the database gathers the rows (`storage::sqlite::reports`).

use std::collections::BTreeSet;

use tandem_protocol::reports::SessionReport;

use crate::policy::RepId;

/// What the database gives a report: sessions and whether more matched, or the refusal.
pub type ReportRows = Result<(Vec<SessionReport>, bool), String>;

/// Most sessions one report holds; beyond it the report says it was cut.
pub const MAX_REPORT_SESSIONS: usize = 200;

/// Most events listed per session; a session with more ends with a [`CUT_ACTION`] event.
pub const MAX_EVENTS_PER_SESSION: usize = 500;

/// The action of the last event of a session whose events were cut.
pub const CUT_ACTION: &str = "report.cut";

/// What the database is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReportQuery {
    /// Only sessions hosted by these accounts (`None`: anyone's).
    pub hosts: Option<BTreeSet<RepId>>,
    /// Started at or after.
    pub from: Option<i64>,
    /// Started before.
    pub to: Option<i64>,
    /// Hosted by this account name.
    pub rep: Option<String>,
    /// On this portal.
    pub portal: Option<String>,
    /// "resolved", "unresolved" or "none".
    pub outcome: Option<String>,
}

/// The CSV header.
pub const CSV_HEADER: [&str; 14] = [
    "session",
    "representative",
    "representative name",
    "customer",
    "portal",
    "started (UTC)",
    "ended (UTC)",
    "duration (s)",
    "end reason",
    "outcome",
    "notes",
    "event time (UTC)",
    "event",
    "event detail",
];

/// One CSV field: quoted when it must be (RFC 4180), and never read as a formula by a
/// spreadsheet (a leading `=`, `+`, `-`, `@`, tab or carriage return gets a `'`): customers
/// and specialists choose some of these texts.
pub fn csv_field(text: &str) -> String {
    let guarded = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS` (UTC).
pub fn utc(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// The report as CSV: one row per event, the session's columns repeated; a session without
/// events has one row with the event columns empty.
pub fn to_csv(sessions: &[SessionReport]) -> String {
    let mut out = String::new();
    let line = |out: &mut String, fields: &[String]| {
        let cells: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    };
    line(&mut out, &CSV_HEADER.map(String::from));
    for s in sessions {
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        let session = [
            s.id.to_string(),
            s.rep.clone(),
            s.rep_name.clone(),
            s.customer.clone(),
            s.portal.clone(),
            utc(s.started_at),
            s.ended_at.map(utc).unwrap_or_default(),
            s.ended_at
                .map(|e| (e - s.started_at).max(0).to_string())
                .unwrap_or_default(),
            opt(&s.end_reason),
            opt(&s.outcome),
            opt(&s.notes),
        ];
        if s.events.is_empty() {
            let mut row = session.to_vec();
            row.extend([String::new(), String::new(), String::new()]);
            line(&mut out, &row);
        }
        for (i, e) in s.events.iter().enumerate() {
            let mut row = session.to_vec();
            if i > 0 {
                // The notes once per session, not on every event's row.
                row[10] = String::new();
            }
            row.extend([utc(e.at), e.action.clone(), event_detail(e)]);
            line(&mut out, &row);
        }
    }
    out
}

fn event_detail(e: &tandem_protocol::reports::ReportEvent) -> String {
    if e.detail.is_empty() {
        format!("by {}", e.actor)
    } else {
        format!("{} (by {})", e.detail, e.actor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tandem_protocol::reports::ReportEvent;

    /// A strict RFC 4180 reader, enough to prove the export parses.
    fn parse_csv(text: &str) -> Vec<Vec<String>> {
        let mut rows = Vec::new();
        let mut row = Vec::new();
        let mut field = String::new();
        let mut chars = text.chars().peekable();
        let mut quoted = false;
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => field.push(c),
                (false, '"') if field.is_empty() => quoted = true,
                (false, ',') => row.push(std::mem::take(&mut field)),
                (false, '\r') if chars.peek() == Some(&'\n') => {
                    chars.next();
                    row.push(std::mem::take(&mut field));
                    rows.push(std::mem::take(&mut row));
                }
                (false, c) => {
                    assert!(c != '"' && c != '\n', "stray {c:?} in an unquoted field");
                    field.push(c);
                }
            }
        }
        assert!(
            !quoted && field.is_empty() && row.is_empty(),
            "ends mid-row"
        );
        rows
    }

    fn session(events: Vec<ReportEvent>) -> SessionReport {
        SessionReport {
            id: 7,
            rep: "bob".into(),
            rep_name: "Bob, \"the\" Smith".into(),
            customer: "=HYPERLINK(\"evil\")".into(),
            portal: "default".into(),
            started_at: 1_796_000_000,
            ended_at: Some(1_796_000_095),
            end_reason: Some("the representative ended the session".into()),
            outcome: Some("resolved".into()),
            notes: Some("line one\nline two".into()),
            events,
            recording: None,
        }
    }

    #[test]
    fn the_csv_parses_back_with_one_row_per_event_and_no_formulas() {
        let events = vec![
            ReportEvent {
                at: 1_796_000_001,
                actor: "bob".into(),
                action: "attendee.join".into(),
                detail: "host Bob".into(),
            },
            ReportEvent {
                at: 1_796_000_050,
                actor: "customer app".into(),
                action: "file.transfer".into(),
                detail: "'a,b.txt' (3 bytes, sha256 ab) from Bob to the customer".into(),
            },
        ];
        let rows = parse_csv(&to_csv(&[session(events), session(Vec::new())]));
        assert_eq!(rows.len(), 4, "header, two events, one session without");
        assert!(rows.iter().all(|r| r.len() == CSV_HEADER.len()));
        assert_eq!(rows[0][0], "session");
        assert_eq!(rows[1][2], "Bob, \"the\" Smith");
        assert_eq!(rows[1][3], "'=HYPERLINK(\"evil\")", "never a formula");
        assert_eq!(rows[1][5], "2026-11-30 00:53:20");
        assert_eq!(rows[1][7], "95");
        assert_eq!(rows[1][10], "line one\nline two");
        assert_eq!(rows[2][12], "file.transfer");
        assert!(rows[2][13].starts_with("'a,b.txt' (3 bytes"));
        assert_eq!(rows[3][12], "");
    }

    #[test]
    fn utc_dates_are_right_across_leap_years_and_before_1970() {
        assert_eq!(utc(0), "1970-01-01 00:00:00");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00");
        assert_eq!(utc(-1), "1969-12-31 23:59:59");
        assert_eq!(utc(1_709_210_096), "2024-02-29 12:34:56");
    }
}
