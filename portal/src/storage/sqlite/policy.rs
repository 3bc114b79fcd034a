//! Teams and functions by policy in SQLite: `teams`, `representatives.team_id` and
//! `.withheld`, `portal_policies`. A change is checked against the state read in the same
//! immediate transaction, so two administrators cannot together make a loop of teams.

use std::collections::BTreeMap;

use rusqlite::{Connection, TransactionBehavior, params};
use tandem_protocol::management::PolicyScope;

use crate::management::{Managed, MemberRow, PolicyChange, PolicyRows, Refused};
use crate::policy::{Functions, Member, RepId, Team};
use crate::storage::{StorageError, UnixTime};
use crate::tiers::{Actor, NOT_A_MANAGER, Powers};

/// Applies `change` (if any) for `asker` (account and whether an administrator; `None`:
/// the portal itself) and returns the whole state after it with who the asker is, or the
/// refusal's words. Who may do what is read in the same transaction as the change.
pub(super) fn manage(
    conn: &mut Connection,
    asker: Option<(RepId, bool)>,
    change: Option<&PolicyChange>,
    now: UnixTime,
) -> Result<Managed, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut rows = load(&tx)?;
    let actor = match asker {
        Some((rep, admin)) => Actor::of(&rows, rep, admin),
        None => Actor::Admin,
    };
    if !actor.manages() && (change.is_some() || asker.is_some()) {
        return Ok(Err(Refused::NotAllowed(NOT_A_MANAGER.into())));
    }
    if let Some(change) = change {
        if let Err(refusal) = actor.may(&rows, change) {
            return Ok(Err(Refused::NotAllowed(refusal)));
        }
        if let Err(refusal) = rows.check(change) {
            return Ok(Err(Refused::Invalid(refusal)));
        }
        apply(&tx, change, now)?;
        rows = load(&tx)?;
    }
    tx.commit()?;
    Ok(Ok((rows, actor)))
}

fn bits(f: Functions) -> i64 {
    i64::from(f.bits())
}

fn functions(stored: i64) -> Functions {
    Functions::from_bits(u32::try_from(stored).unwrap_or(u32::MAX))
}

fn apply(conn: &Connection, change: &PolicyChange, now: UnixTime) -> Result<(), StorageError> {
    match change {
        PolicyChange::AddTeam { name, parent } => {
            conn.execute(
                "INSERT INTO teams (name, parent_id, withheld, created_at) VALUES (?1, ?2, 0, ?3)",
                params![name, parent, now],
            )?;
        }
        PolicyChange::MoveTeam { team, parent } => {
            conn.execute(
                "UPDATE teams SET parent_id = ?2 WHERE id = ?1",
                params![team, parent],
            )?;
        }
        PolicyChange::SetTeam { user, team } => {
            conn.execute(
                "UPDATE representatives SET team_id = ?2 WHERE username = ?1",
                params![user, team],
            )?;
        }
        PolicyChange::Withhold { scope, withheld } => {
            let w = bits(*withheld);
            match scope {
                PolicyScope::Rep { user } => conn.execute(
                    "UPDATE representatives SET withheld = ?2 WHERE username = ?1",
                    params![user, w],
                )?,
                PolicyScope::Team { team } => conn.execute(
                    "UPDATE teams SET withheld = ?2 WHERE id = ?1",
                    params![team, w],
                )?,
                PolicyScope::Portal { portal } => conn.execute(
                    "INSERT INTO portal_policies (portal, withheld) VALUES (?1, ?2) \
                     ON CONFLICT (portal) DO UPDATE SET withheld = excluded.withheld",
                    params![portal, w],
                )?,
            };
        }
        PolicyChange::SetAccess {
            user,
            manages,
            powers,
        } => {
            let rep: i64 = conn.query_row(
                "SELECT id FROM representatives WHERE username = ?1",
                params![user],
                |r| r.get(0),
            )?;
            conn.execute(
                "UPDATE representatives SET powers = ?2 WHERE id = ?1",
                params![rep, i64::from(powers.bits())],
            )?;
            conn.execute("DELETE FROM team_managers WHERE rep_id = ?1", params![rep])?;
            for team in manages {
                conn.execute(
                    "INSERT INTO team_managers (rep_id, team_id) VALUES (?1, ?2)",
                    params![rep, team],
                )?;
            }
        }
        PolicyChange::AddRep {
            user,
            name,
            team,
            password_hash,
        } => {
            conn.execute(
                "INSERT INTO representatives \
                 (username, display_name, password_hash, is_admin, created_at, team_id) \
                 VALUES (?1, ?2, ?3, 0, ?4, ?5)",
                params![user, name, password_hash, now, team],
            )?;
        }
    }
    Ok(())
}

/// Everything the policy is made of.
pub(super) fn load(conn: &Connection) -> Result<PolicyRows, StorageError> {
    let mut teams = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT id, name, parent_id, withheld FROM teams ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (id, name, parent, withheld) = row?;
        let withheld = functions(withheld);
        teams.insert(
            id,
            Team {
                name,
                parent,
                withheld,
            },
        );
    }
    let mut stmt = conn.prepare(
        "SELECT id, username, display_name, is_admin, team_id, withheld, powers \
         FROM representatives ORDER BY username",
    )?;
    let mut members = stmt
        .query_map([], |r| {
            Ok(MemberRow {
                id: r.get(0)?,
                user: r.get(1)?,
                name: r.get(2)?,
                admin: r.get(3)?,
                member: Member {
                    team: r.get(4)?,
                    withheld: functions(r.get(5)?),
                },
                manages: Vec::new(),
                powers: Powers::from_bits(u32::try_from(r.get::<_, i64>(6)?).unwrap_or(0)),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt =
        conn.prepare("SELECT rep_id, team_id FROM team_managers ORDER BY rep_id, team_id")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (rep, team) = row?;
        if let Some(m) = members.iter_mut().find(|m| m.id == rep) {
            m.manages.push(team);
        }
    }
    let mut portals = BTreeMap::new();
    let mut stmt = conn.prepare("SELECT portal, withheld FROM portal_policies")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (portal, withheld) = row?;
        portals.insert(portal, functions(withheld));
    }
    let mut portal_names = vec!["default".to_owned()];
    let mut stmt = conn.prepare("SELECT name FROM portals ORDER BY name")?;
    for name in stmt.query_map([], |r| r.get::<_, String>(0))? {
        let name = name?;
        if !portal_names.contains(&name) {
            portal_names.push(name);
        }
    }
    Ok(PolicyRows {
        teams,
        members,
        portals,
        portal_names,
    })
}
