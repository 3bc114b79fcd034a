//! Running sessions' state kept for a restart (tables `live_sessions`, `live_attendees`,
//! `live_seats`, `live_specialist_seats`).

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tandem_protocol::signal::AttendeeInfo;
use tandem_protocol::{AttendeeId, Rights, Role, SessionCode};

use super::{StorageError, corrupt, session_key};
use crate::storage::{LiveState, Restorable, Seat, SpecialistSeat, UnixTime};

/// The tables holding a session's attendees and seats, emptied with it.
const PER_SESSION: [&str; 3] = ["live_attendees", "live_seats", "live_specialist_seats"];

fn role_text(role: Role) -> Result<String, StorageError> {
    match serde_json::to_value(role) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        _ => Err(corrupt(format!("role {role:?} has no name"))),
    }
}

fn parse_role(text: &str) -> Result<Role, StorageError> {
    serde_json::from_value(serde_json::Value::String(text.to_owned()))
        .map_err(|_| corrupt(format!("attendee role '{text}'")))
}

/// Forgets what was kept of `session` (it ended).
pub(super) fn forget(conn: &Connection, session: i64) -> Result<(), StorageError> {
    for table in PER_SESSION {
        conn.execute(
            &format!("DELETE FROM {table} WHERE session_id = ?1"),
            params![session],
        )?;
    }
    conn.execute(
        "DELETE FROM live_sessions WHERE session_id = ?1",
        params![session],
    )?;
    Ok(())
}

/// Forgets what was kept of every ended session.
pub(super) fn forget_ended(conn: &Connection) -> Result<(), StorageError> {
    for table in PER_SESSION {
        conn.execute(
            &format!(
                "DELETE FROM {table} WHERE session_id IN \
                 (SELECT id FROM sessions WHERE ended_at IS NOT NULL)"
            ),
            [],
        )?;
    }
    conn.execute(
        "DELETE FROM live_sessions WHERE session_id IN \
         (SELECT id FROM sessions WHERE ended_at IS NOT NULL)",
        [],
    )?;
    Ok(())
}

pub(super) fn save(
    conn: &mut Connection,
    state: &LiveState,
    now: UnixTime,
) -> Result<(), StorageError> {
    let id = session_key(state.session_id)?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let running: Option<Option<i64>> = tx
        .query_row(
            "SELECT ended_at FROM sessions WHERE id = ?1",
            params![id],
            |r| r.get(0),
        )
        .optional()?;
    if !matches!(running, Some(None)) {
        return Ok(());
    }
    let before: Option<(i64, Option<i64>)> = tx
        .query_row(
            "SELECT live_at, suspended_at FROM live_sessions WHERE session_id = ?1",
            params![id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (live_at, suspended_at) = match (state.away, before) {
        (false, _) => (now, None),
        (true, Some((live_at, suspended))) => (live_at, Some(suspended.unwrap_or(now))),
        (true, None) => (now, Some(now)),
    };
    tx.execute(
        "INSERT OR REPLACE INTO live_sessions (session_id, host_name, resume_digest, grants, \
         next_attendee, live_at, suspended_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            id,
            state.host.name,
            state.resume_digest,
            i64::try_from(state.grants).unwrap_or(i64::MAX),
            state.next_attendee,
            live_at,
            suspended_at
        ],
    )?;
    tx.execute(
        "DELETE FROM live_attendees WHERE session_id = ?1",
        params![id],
    )?;
    for a in &state.attendees {
        tx.execute(
            "INSERT OR REPLACE INTO live_attendees (session_id, attendee, name, role, rights, \
             masked) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                a.id.to_wire(),
                a.name,
                role_text(a.role)?,
                a.rights.to_wire(),
                a.masked
            ],
        )?;
    }
    tx.execute("DELETE FROM live_seats WHERE session_id = ?1", params![id])?;
    for seat in &state.seats {
        let a = &seat.info;
        tx.execute(
            "INSERT OR REPLACE INTO live_seats (session_id, rep_id, attendee, name, rights, \
             masked) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                seat.rep_id,
                a.id.to_wire(),
                a.name,
                a.rights.to_wire(),
                a.masked
            ],
        )?;
    }
    tx.execute(
        "DELETE FROM live_specialist_seats WHERE session_id = ?1",
        params![id],
    )?;
    for seat in &state.specialist_seats {
        let a = &seat.info;
        tx.execute(
            "INSERT OR REPLACE INTO live_specialist_seats (session_id, attendee, key, \
             token_digest, name, rights) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                a.id.to_wire(),
                seat.key.digits(),
                seat.token_digest,
                a.name,
                a.rights.to_wire()
            ],
        )?;
    }
    tx.commit()?;
    Ok(())
}

pub(super) fn touch(conn: &Connection, now: UnixTime) -> Result<(), StorageError> {
    conn.execute(
        "UPDATE live_sessions SET live_at = ?1 WHERE suspended_at IS NULL AND session_id IN \
         (SELECT id FROM sessions WHERE ended_at IS NULL)",
        params![now],
    )?;
    Ok(())
}

pub(super) fn suspend_all(conn: &Connection, now: UnixTime) -> Result<usize, StorageError> {
    Ok(conn.execute(
        "UPDATE live_sessions SET suspended_at = COALESCE(suspended_at, ?1) WHERE session_id IN \
         (SELECT id FROM sessions WHERE ended_at IS NULL)",
        params![now],
    )?)
}

type LiveRow = (
    i64,
    i64,
    String,
    String,
    Vec<u8>,
    i64,
    u32,
    i64,
    Option<i64>,
    i64,
    String,
);

fn attendees_of(conn: &Connection, session: i64) -> Result<Vec<AttendeeInfo>, StorageError> {
    let mut stmt = conn.prepare(
        "SELECT attendee, name, role, rights, masked FROM live_attendees \
         WHERE session_id = ?1 ORDER BY attendee",
    )?;
    let rows = stmt.query_map(params![session], |r| {
        Ok((
            r.get::<_, u32>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, u32>(3)?,
            r.get::<_, bool>(4)?,
        ))
    })?;
    rows.map(|row| {
        let (id, name, role, rights, masked) = row?;
        Ok(AttendeeInfo {
            id: AttendeeId::from_wire(id),
            name,
            role: parse_role(&role)?,
            rights: Rights::from_wire(rights),
            masked,
        })
    })
    .collect()
}

fn seats_of(conn: &Connection, session: i64) -> Result<Vec<Seat>, StorageError> {
    let mut stmt = conn.prepare(
        "SELECT rep_id, attendee, name, rights, masked FROM live_seats \
         WHERE session_id = ?1 ORDER BY rep_id",
    )?;
    let rows = stmt.query_map(params![session], |r| {
        Ok(Seat {
            rep_id: r.get(0)?,
            info: AttendeeInfo {
                id: AttendeeId::from_wire(r.get(1)?),
                name: r.get(2)?,
                role: Role::Representative,
                rights: Rights::from_wire(r.get(3)?),
                masked: r.get(4)?,
            },
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

fn specialist_seats_of(
    conn: &Connection,
    session: i64,
) -> Result<Vec<SpecialistSeat>, StorageError> {
    let mut stmt = conn.prepare(
        "SELECT attendee, key, token_digest, name, rights FROM live_specialist_seats \
         WHERE session_id = ?1 ORDER BY attendee",
    )?;
    let rows = stmt.query_map(params![session], |r| {
        Ok((
            r.get::<_, u32>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Vec<u8>>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, u32>(4)?,
        ))
    })?;
    rows.map(|row| {
        let (id, key, token_digest, name, rights) = row?;
        Ok(SpecialistSeat {
            key: key
                .parse::<SessionCode>()
                .map_err(|_| corrupt(format!("support key of seat {id}")))?,
            token_digest,
            info: AttendeeInfo {
                id: AttendeeId::from_wire(id),
                name,
                role: Role::Specialist,
                rights: Rights::from_wire(rights),
                masked: false,
            },
        })
    })
    .collect()
}

pub(super) fn restore(
    conn: &mut Connection,
    reason: &str,
    now: UnixTime,
    window_secs: i64,
) -> Result<(Vec<Restorable>, usize), StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let rows: Vec<LiveRow> = {
        let mut stmt = tx.prepare(
            "SELECT s.id, s.code_id, s.customer, l.host_name, l.resume_digest, l.grants, \
             l.next_attendee, l.live_at, l.suspended_at, s.representative_id, s.portal \
             FROM sessions s JOIN live_sessions l ON l.session_id = s.id \
             WHERE s.ended_at IS NULL ORDER BY s.id",
        )?;
        let rows = stmt.query_map([], |r| LiveRow::try_from(r))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut restored = Vec::new();
    for (id, code_id, customer, host_name, digest, grants, next, live_at, suspended, rep, portal) in
        rows
    {
        let last_live = suspended.unwrap_or(live_at);
        if now.saturating_sub(last_live) >= window_secs {
            continue;
        }
        tx.execute(
            "UPDATE live_sessions SET suspended_at = ?2 WHERE session_id = ?1",
            params![id, last_live],
        )?;
        let attendees = attendees_of(&tx, id)?;
        let host = attendees
            .iter()
            .find(|a| a.id == AttendeeId::HOST)
            .cloned()
            .unwrap_or_else(|| crate::hub::host_info(&host_name));
        restored.push(Restorable {
            state: LiveState {
                session_id: u64::try_from(id).map_err(|_| corrupt(format!("session id {id}")))?,
                code_id,
                owner: crate::hub::Owner { rep, portal },
                customer,
                host: AttendeeInfo {
                    name: host_name,
                    ..host
                },
                resume_digest: digest,
                grants: u64::try_from(grants).unwrap_or(0),
                next_attendee: next,
                away: true,
                attendees,
                seats: seats_of(&tx, id)?,
                specialist_seats: specialist_seats_of(&tx, id)?,
            },
            last_live,
        });
    }
    let keep: Vec<i64> = restored
        .iter()
        .filter_map(|r| i64::try_from(r.state.session_id).ok())
        .collect();
    let mut ended = 0;
    let open: Vec<i64> = {
        let mut stmt = tx.prepare("SELECT id FROM sessions WHERE ended_at IS NULL")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    for id in open.into_iter().filter(|id| !keep.contains(id)) {
        ended += tx.execute(
            "UPDATE sessions SET ended_at = ?2, end_reason = ?3 WHERE id = ?1",
            params![id, now, reason],
        )?;
        forget(&tx, id)?;
    }
    tx.commit()?;
    Ok((restored, ended))
}
