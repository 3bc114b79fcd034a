//! Rows of `codes` and `sessions` as rusqlite reads them, parsed outside its closures.

use rusqlite::Row;

use super::corrupt;
use crate::codes::StoredState;
use crate::storage::{CodeRecord, SessionRecord, StorageError};

/// Raw code row; parsed into [`CodeRecord`] outside the rusqlite closure.
type CodeRow = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    i64,
    i64,
    String,
    Option<i64>,
);

pub(super) fn code_row(r: &Row<'_>) -> rusqlite::Result<CodeRow> {
    // rusqlite converts a row into a tuple of its columns, in order.
    CodeRow::try_from(r)
}

pub(super) fn parse_code(row: CodeRow) -> Result<CodeRecord, StorageError> {
    let (id, code, rep_id, rep_name, customer, portal, created_at, expires_at, state, redeemed) =
        row;
    Ok(CodeRecord {
        id,
        code: code
            .parse()
            .map_err(|_| corrupt(format!("code row {id} has a malformed code")))?,
        rep_id,
        rep_name,
        customer,
        portal,
        created_at,
        expires_at,
        state: StoredState::parse(&state)
            .ok_or_else(|| corrupt(format!("code row {id} has state '{state}'")))?,
        redeemed_at: redeemed,
    })
}

type SessionRow = (
    i64,
    i64,
    i64,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
);

pub(super) fn session_row(r: &Row<'_>) -> rusqlite::Result<SessionRow> {
    // rusqlite converts a row into a tuple of its columns, in order.
    SessionRow::try_from(r)
}

pub(super) fn parse_session(row: SessionRow) -> Result<SessionRecord, StorageError> {
    let (id, code_id, rep_id, customer, portal, started_at, ended_at, end_reason) = row;
    Ok(SessionRecord {
        id: u64::try_from(id).map_err(|_| corrupt(format!("session id {id}")))?,
        code_id,
        rep_id,
        customer,
        portal,
        started_at,
        ended_at,
        end_reason,
    })
}
