//! Session recordings' rows: where the file is, its time zero, how far it got; and who may
//! fetch one (whoever may see the session's report, decided in the same transaction).

use rand::RngExt;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::policy;
use crate::recording::{RecordingAnswer, RecordingOp, RecordingRow};
use crate::storage::StorageError;
use crate::tiers::{Actor, ReportScope};

fn row(conn: &Connection, session: i64) -> Result<Option<(i64, RecordingRow)>, StorageError> {
    Ok(conn
        .query_row(
            "SELECT s.representative_id, rc.file, rc.started_ms, rc.bytes, rc.duration_ms \
             FROM recordings rc JOIN sessions s ON s.id = rc.session_id \
             WHERE rc.session_id = ?1",
            params![session],
            |r| {
                Ok((
                    r.get(0)?,
                    RecordingRow {
                        file: r.get(1)?,
                        started_ms: r.get(2)?,
                        bytes: r.get::<_, i64>(3)?.try_into().unwrap_or(0),
                        duration_ms: r.get::<_, i64>(4)?.try_into().unwrap_or(0),
                    },
                ))
            },
        )
        .optional()?)
}

pub(super) fn recording(
    conn: &mut Connection,
    op: &RecordingOp,
) -> Result<RecordingAnswer, StorageError> {
    match op {
        RecordingOp::Begin { session, now_ms } => {
            let session = i64::try_from(*session).unwrap_or(-1);
            // The name is ours, never from anything sent; its random part keeps a file left
            // by an earlier database (or another portal sharing the folder) from being
            // appended to and shown as this session's.
            let salt: [u8; 6] = rand::rng().random();
            let salt: String = salt.iter().map(|b| format!("{b:02x}")).collect();
            conn.execute(
                "INSERT INTO recordings (session_id, file, started_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (session_id) DO NOTHING",
                params![session, format!("session-{session}-{salt}.trec"), now_ms],
            )?;
            Ok(Ok(row(conn, session)?.map(|(_, r)| r)))
        }
        RecordingOp::Progress {
            session,
            bytes,
            duration_ms,
        } => {
            conn.execute(
                "UPDATE recordings SET bytes = ?2, duration_ms = ?3 WHERE session_id = ?1",
                params![
                    i64::try_from(*session).unwrap_or(-1),
                    i64::try_from(*bytes).unwrap_or(i64::MAX),
                    i64::try_from(*duration_ms).unwrap_or(i64::MAX)
                ],
            )?;
            Ok(Ok(None))
        }
        // A row whose file was never written (its folder could not be made) is no recording.
        RecordingOp::Find { asker, session } => {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let rows = policy::load(&tx)?;
            let scope = match Actor::of(&rows, asker.0, asker.1).report_scope(&rows) {
                Ok(scope) => scope,
                Err(refusal) => return Ok(Err(refusal)),
            };
            let found =
                row(&tx, i64::try_from(*session).unwrap_or(-1))?.filter(|(_, r)| r.bytes > 0);
            tx.commit()?;
            Ok(match found {
                Some((host, r)) => match scope {
                    ReportScope::All => Ok(Some(r)),
                    ReportScope::Hosts(hosts) if hosts.contains(&host) => Ok(Some(r)),
                    // The same words as for a session that was never recorded: whether
                    // someone else's session exists is not told.
                    ReportScope::Hosts(_) => Ok(None),
                },
                None => Ok(None),
            })
        }
    }
}
