//! Specialist support keys in SQLite. A key is *live* while its state is `active` and its
//! session has not ended; live keys and active codes never share digits, because both are
//! looked up through `/join/<digits>`.

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use tandem_protocol::{Rights, SessionCode};

use super::corrupt;
use crate::storage::{KeyIssue, KeyState, SpecialistKey, StorageError, UnixTime};

const KEY_COLUMNS: &str = "k.id, k.key, k.session_id, k.rights, k.created_at, k.state, \
     k.cancelled_at, s.ended_at IS NOT NULL, r.display_name, s.customer";

const KEY_TABLES: &str = "specialist_keys k JOIN sessions s ON s.id = k.session_id \
     JOIN representatives r ON r.id = s.representative_id";

/// Raw key row; parsed into [`SpecialistKey`] outside the rusqlite closure.
type KeyRow = (
    i64,
    String,
    i64,
    u32,
    i64,
    String,
    Option<i64>,
    bool,
    String,
    String,
);

fn key_row(r: &Row<'_>) -> rusqlite::Result<KeyRow> {
    // rusqlite converts a row into a tuple of its columns, in order.
    KeyRow::try_from(r)
}

fn parse_key(row: KeyRow) -> Result<SpecialistKey, StorageError> {
    let (id, key, session, rights, created_at, state, cancelled_at, ended, host, customer) = row;
    Ok(SpecialistKey {
        id,
        key: key
            .parse()
            .map_err(|_| corrupt(format!("specialist key row {id} has malformed digits")))?,
        session_id: u64::try_from(session)
            .map_err(|_| corrupt(format!("specialist key row {id} has session {session}")))?,
        rights: Rights::from_wire(rights),
        created_at,
        state: KeyState::parse(&state)
            .ok_or_else(|| corrupt(format!("specialist key row {id} has state '{state}'")))?,
        cancelled_at,
        session_ended: ended,
        host_name: host,
        customer,
    })
}

/// Do the digits belong to an active code or a live key?
pub(super) fn digits_taken(
    conn: &Connection,
    digits: SessionCode,
    now: UnixTime,
) -> Result<bool, StorageError> {
    let taken: i64 = conn.query_row(
        "SELECT (SELECT COUNT(*) FROM codes WHERE code = ?1 AND state = 'active' \
         AND expires_at > ?2) + (SELECT COUNT(*) FROM specialist_keys k JOIN sessions s \
         ON s.id = k.session_id WHERE k.key = ?1 AND k.state = 'active' AND s.ended_at IS NULL)",
        params![digits.digits(), now],
        |r| r.get(0),
    )?;
    Ok(taken > 0)
}

fn by_id(conn: &Connection, id: i64) -> Result<SpecialistKey, StorageError> {
    let sql = format!("SELECT {KEY_COLUMNS} FROM {KEY_TABLES} WHERE k.id = ?1");
    parse_key(conn.query_row(&sql, params![id], key_row)?)
}

pub(super) fn issue(
    conn: &mut Connection,
    session: i64,
    key: SessionCode,
    rights: Rights,
    now: UnixTime,
) -> Result<KeyIssue, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if digits_taken(&tx, key, now)? {
        return Ok(KeyIssue::Collision);
    }
    tx.execute(
        "INSERT INTO specialist_keys (key, session_id, rights, created_at, state) \
         VALUES (?1, ?2, ?3, ?4, 'active')",
        params![key.digits(), session, rights.to_wire(), now],
    )?;
    let record = by_id(&tx, tx.last_insert_rowid())?;
    tx.commit()?;
    Ok(KeyIssue::Issued(record))
}

pub(super) fn find(
    conn: &Connection,
    key: SessionCode,
) -> Result<Option<SpecialistKey>, StorageError> {
    let sql = format!(
        "SELECT {KEY_COLUMNS} FROM {KEY_TABLES} WHERE k.key = ?1 \
         ORDER BY (k.state = 'active' AND s.ended_at IS NULL) DESC, k.id DESC LIMIT 1"
    );
    let row = conn
        .query_row(&sql, params![key.digits()], key_row)
        .optional()?;
    row.map(parse_key).transpose()
}

pub(super) fn cancel(
    conn: &mut Connection,
    session: i64,
    key: SessionCode,
    now: UnixTime,
) -> Result<Option<SpecialistKey>, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let id: Option<i64> = tx
        .query_row(
            "SELECT id FROM specialist_keys WHERE session_id = ?1 AND key = ?2 \
             ORDER BY id DESC LIMIT 1",
            params![session, key.digits()],
            |r| r.get(0),
        )
        .optional()?;
    let Some(id) = id else {
        return Ok(None);
    };
    tx.execute(
        "UPDATE specialist_keys SET state = 'cancelled', cancelled_at = ?2 \
         WHERE id = ?1 AND state = 'active'",
        params![id, now],
    )?;
    let record = by_id(&tx, id)?;
    tx.commit()?;
    Ok(Some(record))
}

pub(super) fn for_session(
    conn: &Connection,
    session: i64,
) -> Result<Vec<SpecialistKey>, StorageError> {
    let sql =
        format!("SELECT {KEY_COLUMNS} FROM {KEY_TABLES} WHERE k.session_id = ?1 ORDER BY k.id");
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(params![session], key_row)?;
    rows.map(|row| parse_key(row?)).collect()
}

/// The secret `name` (link-token key…): `fresh` the first time, the stored one after.
pub(super) fn portal_secret(
    conn: &Connection,
    name: &str,
    fresh: &[u8],
) -> Result<Vec<u8>, StorageError> {
    // Insert-or-keep, then read: two portals starting at once agree on one value.
    conn.execute(
        "INSERT OR IGNORE INTO portal_secrets (name, value) VALUES (?1, ?2)",
        params![name, fresh],
    )?;
    Ok(conn.query_row(
        "SELECT value FROM portal_secrets WHERE name = ?1",
        params![name],
        |r| r.get(0),
    )?)
}
