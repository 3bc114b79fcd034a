//! The audit trail in SQLite: `audit_log`, appended in an immediate transaction so that two
//! writers never chain to the same record, read back in the order written (`id`).

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::corrupt;
use crate::audit::{Event, HASH_BYTES, Record};
use crate::storage::StorageError;

const COLUMNS: &str = "seq, at, actor, action, subject, detail, prev, hash";

type RecordRow = (i64, i64, String, String, String, String, Vec<u8>, Vec<u8>);

fn record_row(r: &Row<'_>) -> rusqlite::Result<RecordRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn parse(row: RecordRow) -> Result<Record, StorageError> {
    let (seq, at, actor, action, subject, detail, prev, hash) = row;
    let digest = |bytes: Vec<u8>| -> Result<[u8; HASH_BYTES], StorageError> {
        bytes
            .try_into()
            .map_err(|_| corrupt("an audit record's hash is not 32 bytes"))
    };
    Ok(Record {
        seq: u64::try_from(seq).map_err(|_| corrupt("a negative audit record number"))?,
        event: Event {
            at,
            actor,
            action,
            subject,
            detail,
        },
        prev: digest(prev)?,
        hash: digest(hash)?,
    })
}

/// Appends `event` after the last record.
pub(super) fn append(conn: &mut Connection, event: &Event) -> Result<Record, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let last = tx
        .query_row(
            &format!("SELECT {COLUMNS} FROM audit_log ORDER BY id DESC LIMIT 1"),
            [],
            record_row,
        )
        .optional()?
        .map(parse)
        .transpose()?;
    let record = Record::after(last.as_ref(), event.clone());
    tx.execute(
        &format!("INSERT INTO audit_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        params![
            i64::try_from(record.seq).map_err(|_| corrupt("audit numbers ran out"))?,
            event.at,
            event.actor,
            event.action,
            event.subject,
            event.detail,
            record.prev.as_slice(),
            record.hash.as_slice(),
        ],
    )?;
    tx.commit()?;
    Ok(record)
}

/// Every record, in the order written.
pub(super) fn all(conn: &Connection) -> Result<Vec<Record>, StorageError> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY id"))?;
    let rows = stmt.query_map([], record_row)?;
    rows.map(|row| parse(row?)).collect()
}
