//! Customer portals, help requests and Web Chat in SQLite.

use rusqlite::{Connection, OptionalExtension, params};
use tandem_protocol::front_desk::{ChatStart, Outcome, PortalMode};

use super::corrupt;
use crate::storage::{NewHelpRequest, PortalRecord, RequestEnd, StorageError, UnixTime};

const PORTAL_COLUMNS: &str = "name, title, mode, chat_start, fields, open";

type PortalRow = (String, String, String, String, String, bool);

fn parse_portal(row: PortalRow) -> Result<PortalRecord, StorageError> {
    let (name, title, mode, chat_start, fields, open) = row;
    Ok(PortalRecord {
        mode: PortalMode::parse(&mode).ok_or_else(|| corrupt(format!("portal mode '{mode}'")))?,
        chat_start: ChatStart::parse(&chat_start)
            .ok_or_else(|| corrupt(format!("portal chat start '{chat_start}'")))?,
        fields: serde_json::from_str(&fields)
            .map_err(|e| corrupt(format!("fields of portal '{name}': {e}")))?,
        name,
        title,
        open,
    })
}

pub(super) fn save_portal(
    conn: &Connection,
    portal: &PortalRecord,
    now: UnixTime,
) -> Result<(), StorageError> {
    let fields = serde_json::to_string(&portal.fields)
        .map_err(|e| corrupt(format!("fields do not serialise: {e}")))?;
    conn.execute(
        "INSERT INTO portals (name, title, mode, chat_start, fields, open, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT (name) DO UPDATE SET title = ?2, mode = ?3, chat_start = ?4, fields = ?5,
             open = ?6, updated_at = ?7",
        params![
            portal.name,
            portal.title,
            portal.mode.as_str(),
            portal.chat_start.as_str(),
            fields,
            portal.open,
            now
        ],
    )?;
    Ok(())
}

pub(super) fn portal(conn: &Connection, name: &str) -> Result<Option<PortalRecord>, StorageError> {
    let row = conn
        .query_row(
            &format!("SELECT {PORTAL_COLUMNS} FROM portals WHERE name = ?1"),
            params![name],
            |r| PortalRow::try_from(r),
        )
        .optional()?;
    row.map(parse_portal).transpose()
}

pub(super) fn portals(conn: &Connection) -> Result<Vec<PortalRecord>, StorageError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {PORTAL_COLUMNS} FROM portals ORDER BY name"
    ))?;
    let rows = stmt
        .query_map([], |r| PortalRow::try_from(r))?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(parse_portal).collect()
}

pub(super) fn open_request(
    conn: &Connection,
    request: &NewHelpRequest,
    now: UnixTime,
) -> Result<i64, StorageError> {
    let fields = serde_json::to_string(&request.fields)
        .map_err(|e| corrupt(format!("fields do not serialise: {e}")))?;
    conn.execute(
        "INSERT INTO help_requests (portal, customer, question, fields, submitted_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            request.portal,
            request.customer,
            request.question,
            fields,
            now
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn request_accepted(
    conn: &Connection,
    request: i64,
    rep_id: i64,
    now: UnixTime,
) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE help_requests SET accepted_by = ?2, accepted_at = ?3 WHERE id = ?1",
        params![request, rep_id, now],
    )?;
    Ok(())
}

pub(super) fn request_code(
    conn: &Connection,
    request: i64,
    code_id: i64,
) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE help_requests SET code_id = ?2 WHERE id = ?1",
        params![request, code_id],
    )?;
    Ok(())
}

pub(super) fn end_request(
    conn: &Connection,
    request: i64,
    end: &RequestEnd,
    now: UnixTime,
) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE help_requests SET ended_at = COALESCE(ended_at, ?2),
             end_reason = COALESCE(end_reason, ?3), notes = ?4, outcome = ?5 WHERE id = ?1",
        params![
            request,
            now,
            end.reason,
            (!end.notes.is_empty()).then_some(&end.notes),
            end.outcome.map(Outcome::as_str)
        ],
    )?;
    Ok(())
}

pub(super) fn web_chat_line(
    conn: &Connection,
    request: i64,
    from_customer: bool,
    name: &str,
    text: &str,
    now: UnixTime,
) -> Result<(), StorageError> {
    conn.execute(
        "INSERT INTO web_chat (request_id, at, from_customer, name, text)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![request, now, from_customer, name, text],
    )?;
    Ok(())
}

pub(super) fn session_notes(
    conn: &Connection,
    session: u64,
    rep_id: i64,
    notes: &str,
    outcome: Outcome,
) -> Result<bool, StorageError> {
    let session = i64::try_from(session).unwrap_or(-1);
    let changed = conn.execute(
        "UPDATE sessions SET notes = ?3, outcome = ?4 WHERE id = ?1 AND representative_id = ?2",
        params![session, rep_id, notes, outcome.as_str()],
    )?;
    Ok(changed == 1)
}
