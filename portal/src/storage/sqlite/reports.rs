//! Session reports from SQLite: the sessions an asker may see (decided in the same
//! transaction, `crate::tiers`), matching a filter, with their events from the audit trail
//! (records whose subject is "session <id>").

use std::collections::BTreeSet;

use rusqlite::types::Value;
use rusqlite::{Connection, TransactionBehavior, params_from_iter};
use tandem_protocol::reports::{RecordingSummary, ReportEvent, ReportFilter, SessionReport};

use super::policy;
use crate::reports::{CUT_ACTION, MAX_EVENTS_PER_SESSION, MAX_REPORT_SESSIONS, ReportRows};
use crate::storage::StorageError;
use crate::tiers::{Actor, ReportScope};

/// Sessions matching `filter` that `asker` (account, administrator) may see, newest first,
/// and whether more matched than a report holds; or the refusal's words.
pub(super) fn report(
    conn: &mut Connection,
    asker: (i64, bool),
    filter: &ReportFilter,
) -> Result<ReportRows, StorageError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let rows = policy::load(&tx)?;
    let actor = Actor::of(&rows, asker.0, asker.1);
    let scope = match actor.report_scope(&rows) {
        Ok(scope) => scope,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let mut hosts: Option<BTreeSet<i64>> = match scope {
        ReportScope::All => None,
        ReportScope::Hosts(hosts) => Some(hosts),
    };
    if let Some(team) = filter.team {
        if !rows.teams.contains_key(&team) {
            return Ok(Err(format!("there is no team {team}")));
        }
        let teams = rows.subtree(team);
        let in_team: BTreeSet<i64> = rows
            .members
            .iter()
            .filter(|m| m.member.team.is_some_and(|t| teams.contains(&t)))
            .map(|m| m.id)
            .collect();
        hosts = Some(match hosts {
            Some(h) => h.intersection(&in_team).copied().collect(),
            None => in_team,
        });
    }
    let mut sql = String::from(
        "SELECT s.id, r.username, r.display_name, s.customer, s.portal, s.started_at, \
         s.ended_at, s.end_reason, s.outcome, s.notes, rc.bytes, rc.duration_ms \
         FROM sessions s JOIN representatives r ON r.id = s.representative_id \
         LEFT JOIN recordings rc ON rc.session_id = s.id AND rc.bytes > 0 WHERE 1 = 1",
    );
    let mut args: Vec<Value> = Vec::new();
    let mut arg = |sql: &mut String, clause: &str, v: Value| {
        args.push(v);
        sql.push_str(&clause.replace('?', &format!("?{}", args.len())));
    };
    if let Some(hosts) = &hosts {
        let list: Vec<String> = hosts.iter().map(i64::to_string).collect();
        // Account ids are integers from the database itself, never text from the asker.
        sql.push_str(&format!(" AND s.representative_id IN ({})", list.join(",")));
    }
    if let Some(from) = filter.from {
        arg(&mut sql, " AND s.started_at >= ?", Value::Integer(from));
    }
    if let Some(to) = filter.to {
        arg(&mut sql, " AND s.started_at < ?", Value::Integer(to));
    }
    if let Some(rep) = &filter.rep {
        arg(&mut sql, " AND r.username = ?", Value::Text(rep.clone()));
    }
    if let Some(portal) = &filter.portal {
        arg(&mut sql, " AND s.portal = ?", Value::Text(portal.clone()));
    }
    match filter.outcome.as_deref() {
        None => {}
        Some("none") => sql.push_str(" AND s.outcome IS NULL"),
        Some(outcome @ ("resolved" | "unresolved")) => {
            arg(
                &mut sql,
                " AND s.outcome = ?",
                Value::Text(outcome.to_owned()),
            );
        }
        Some(other) => {
            return Ok(Err(format!(
                "unknown outcome '{other}' (resolved, unresolved or none)"
            )));
        }
    }
    sql.push_str(&format!(
        " ORDER BY s.started_at DESC, s.id DESC LIMIT {}",
        MAX_REPORT_SESSIONS + 1
    ));
    let mut stmt = tx.prepare(&sql)?;
    let mut sessions = stmt
        .query_map(params_from_iter(args), |r| {
            Ok(SessionReport {
                id: r.get::<_, i64>(0)?.try_into().unwrap_or(0),
                rep: r.get(1)?,
                rep_name: r.get(2)?,
                customer: r.get(3)?,
                portal: r.get(4)?,
                started_at: r.get(5)?,
                ended_at: r.get(6)?,
                end_reason: r.get(7)?,
                outcome: r.get(8)?,
                notes: r.get(9)?,
                events: Vec::new(),
                recording: match (r.get::<_, Option<i64>>(10)?, r.get::<_, Option<i64>>(11)?) {
                    (Some(bytes), Some(duration_ms)) => Some(RecordingSummary {
                        bytes: bytes.try_into().unwrap_or(0),
                        duration_ms: duration_ms.try_into().unwrap_or(0),
                    }),
                    _ => None,
                },
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let truncated = sessions.len() > MAX_REPORT_SESSIONS;
    sessions.truncate(MAX_REPORT_SESSIONS);
    let mut events = tx.prepare(
        "SELECT at, actor, action, detail FROM audit_log WHERE subject = ?1 ORDER BY id LIMIT ?2",
    )?;
    for s in &mut sessions {
        let subject = format!("session {}", s.id);
        s.events = events
            .query_map(
                rusqlite::params![subject, MAX_EVENTS_PER_SESSION as i64 + 1],
                |r| {
                    Ok(ReportEvent {
                        at: r.get(0)?,
                        actor: r.get(1)?,
                        action: r.get(2)?,
                        detail: r.get(3)?,
                    })
                },
            )?
            .collect::<Result<Vec<_>, _>>()?;
        if s.events.len() > MAX_EVENTS_PER_SESSION {
            s.events.truncate(MAX_EVENTS_PER_SESSION);
            let at = s.events.last().map_or(s.started_at, |e| e.at);
            s.events.push(ReportEvent {
                at,
                actor: "-".into(),
                action: CUT_ACTION.into(),
                detail: format!(
                    "more than {MAX_EVENTS_PER_SESSION} events; the rest are in the audit trail"
                ),
            });
        }
    }
    drop(events);
    drop(stmt);
    tx.commit()?;
    Ok(Ok((sessions, truncated)))
}
