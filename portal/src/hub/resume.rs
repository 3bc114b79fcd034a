//! The customer's agent going away and coming back.
//!
//! ```text
//!  agent conn lost ─► State::suspend ─► CustomerAway{reason, wait_secs} ─► every attendee
//!                                   └─► Leave::Suspended{token, until} ─► caller's timer
//!  Resume{session, secret} ─► Hub::resume ─► Resumed, AttendeeLeft.. (gone for good),
//!                                          AttendeeJoined.. (present), Roster ─► new agent
//!                                        └─► CustomerBack ─► every attendee
//!  timer at `until` ─► Hub::give_up(token) ─► session ends unless the agent came back
//! ```

use std::time::{Duration, Instant};

use tandem_protocol::AttendeeId;
use tandem_protocol::Role;
use tandem_protocol::roster::roster_for;
use tandem_protocol::signal::PortalMessage;

use super::{ConnId, Hub, HubError, Leave, LiveSession, Membership, Peer, State};
use crate::resume::ResumeDigest;
use crate::storage::{LiveState, Seat, SpecialistSeat};

/// Told to attendees when the customer's agent is gone for now.
pub const CUSTOMER_AWAY: &str = "the customer's machine disconnected; waiting for it to come back";

/// Told to an agent connection another connection resumed the session from.
pub const REPLACED: &str =
    "this session continues on a newer connection from the customer's machine";

/// Names one absence of a session's agent, so a timer set for an earlier absence does not
/// end the session during a later one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AwayToken(u64);

/// A suspended session's wait.
#[derive(Debug)]
pub(super) struct Away {
    token: AwayToken,
    until: Instant,
}

impl Away {
    /// `CustomerAway` with the seconds left at `now` (rounded up).
    pub(super) fn message(&self, now: Instant) -> PortalMessage {
        PortalMessage::CustomerAway {
            reason: CUSTOMER_AWAY.to_owned(),
            wait_secs: whole_secs(self.until.saturating_duration_since(now)),
        }
    }
}

/// Seconds in `d`, rounded up.
fn whole_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// What [`Hub::resume`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resumed {
    /// The session was waiting for its agent.
    WasAway,
    /// The session still had an agent connection; the new one replaced it.
    Replaced,
}

impl State {
    /// The agent on `conn` is gone: `session` waits `window` for it. Attendees stay and get
    /// `CustomerAway`.
    pub(super) fn suspend(&mut self, session_id: u64, conn: ConnId, window: Duration) -> Leave {
        self.members.remove(&conn);
        let Some(session) = self.sessions.get_mut(&session_id) else {
            return Leave::Nothing;
        };
        session.attendees.remove(&AttendeeId::CUSTOMER);
        session.absences += 1;
        let now = Instant::now();
        let away = Away {
            token: AwayToken(session.absences),
            until: now + window,
        };
        for peer in session.attendees.values().map(|a| &a.peer) {
            peer.send(away.message(now));
        }
        for panel in session.panels.values() {
            panel.send(away.message(now));
        }
        let (token, until) = (away.token, away.until);
        session.away = Some(away);
        Leave::Suspended {
            session: session_id,
            token,
            until,
        }
    }
}

impl Hub {
    /// `Resume` on `agent`'s connection: with the digest of the session's resume secret, the
    /// connection becomes the session's agent, whether the session waits for it or still has
    /// an agent connection (which is told [`REPLACED`] and dropped from the session). The
    /// agent gets `Resumed`, `AttendeeLeft` for everyone it knew who is not expected back
    /// under that id (a specialist not present: gone while it was away, or not back yet
    /// after a portal restart),
    /// `AttendeeJoined` for every attendee (current rights and masked flag) and its roster;
    /// every attendee gets `CustomerBack`. The grant sequence goes on.
    ///
    /// `SessionGone` when the session is not running (or its wait ran out), `WrongSecret`
    /// when the digest does not match; neither changes anything.
    pub fn resume(
        &self,
        session_id: u64,
        digest: &ResumeDigest,
        agent: Peer,
    ) -> Result<Resumed, HubError> {
        let mut state = self.lock();
        if state.members.contains_key(&agent.conn) {
            return Err(HubError::AlreadyInSession);
        }
        let session = state
            .sessions
            .get_mut(&session_id)
            .ok_or(HubError::SessionGone)?;
        if session
            .away
            .as_ref()
            .is_some_and(|away| Instant::now() >= away.until)
        {
            // Its timer is about to end it.
            return Err(HubError::SessionGone);
        }
        if !session.resume.matches(digest) {
            return Err(HubError::WrongSecret);
        }
        let how = if session.away.take().is_some() {
            Resumed::WasAway
        } else {
            Resumed::Replaced
        };
        let conn = agent.conn;
        agent.send(PortalMessage::Resumed {
            session: session_id,
            you: AttendeeId::CUSTOMER,
            host: session.host.clone(),
        });
        // Who the agent knew and who is not expected back under that id: a specialist that
        // left while the agent was away (that news reached nobody), or any specialist not
        // back yet after a portal restart. Unless told, the agent would offer them links for
        // ever; one that returns to its seat later is announced again (`AttendeeJoined`, the
        // same as after any lost connection). The host and seated representatives return
        // with their ids, so the agent keeps expecting them (and any link still up).
        let gone: Vec<AttendeeId> = session
            .announced
            .iter()
            .copied()
            .filter(|id| !session.attendees.contains_key(id) && !session.may_return(*id))
            .collect();
        for attendee in gone {
            session.announced.remove(&attendee);
            agent.send(PortalMessage::AttendeeLeft { attendee });
        }
        for attendee in session.attendees.values() {
            if attendee.info.id != AttendeeId::CUSTOMER {
                session.announced.insert(attendee.info.id);
                agent.send(PortalMessage::AttendeeJoined(attendee.info.clone()));
            }
        }
        // Those it knows who are away but coming back keep their ids; their rights may
        // have changed meanwhile (a policy change reaches nobody while the agent is away).
        let regrant = std::mem::take(&mut session.regrant_on_resume);
        let away: Vec<AttendeeId> = session
            .announced
            .iter()
            .copied()
            .filter(|id| regrant.contains(id) && !session.attendees.contains_key(id))
            .collect();
        for attendee in away {
            let rights = if attendee == AttendeeId::HOST {
                Some(session.host.rights)
            } else {
                session
                    .seats
                    .values()
                    .find(|seat| seat.id == attendee)
                    .map(|seat| seat.rights)
            };
            if let Some(rights) = rights {
                session.grants += 1;
                agent.send(PortalMessage::Grant {
                    attendee,
                    rights,
                    seq: session.grants,
                });
            }
        }
        agent.send(PortalMessage::Roster {
            attendees: roster_for(Role::Customer, &session.roster_members()),
        });
        let replaced = session.seat_agent(agent);
        for attendee in session.attendees.values() {
            if attendee.info.id != AttendeeId::CUSTOMER {
                attendee.peer.send(PortalMessage::CustomerBack);
            }
        }
        for panel in session.panels.values() {
            panel.send(PortalMessage::CustomerBack);
        }
        if let Some(old) = replaced {
            old.peer.send(PortalMessage::SessionEnded {
                reason: REPLACED.to_owned(),
            });
            state.members.remove(&old.peer.conn);
        }
        state.members.insert(
            conn,
            Membership::Attendee {
                session: session_id,
                id: AttendeeId::CUSTOMER,
            },
        );
        Ok(how)
    }

    /// What session `session_id` needs to survive a restart, while it runs.
    pub fn snapshot(&self, session_id: u64) -> Option<LiveState> {
        let state = self.lock();
        let session = state.sessions.get(&session_id)?;
        Some(LiveState {
            session_id,
            code_id: session.code_id,
            owner: session.owner.clone(),
            customer: session.customer.clone(),
            host: session.host.clone(),
            resume_digest: session.resume.to_bytes(),
            grants: session.grants,
            next_attendee: session.next_id,
            away: session.away.is_some(),
            attendees: session.roster_members(),
            seats: session
                .seats
                .iter()
                .map(|(&rep_id, info)| Seat {
                    rep_id,
                    info: info.clone(),
                })
                .collect(),
            specialist_seats: session
                .specialist_seats
                .values()
                .map(|seat| SpecialistSeat {
                    key: seat.key,
                    token_digest: seat.token.to_bytes(),
                    info: seat.info.clone(),
                })
                .collect(),
        })
    }

    /// What every running session needs to survive a restart.
    pub fn snapshots(&self) -> Vec<LiveState> {
        let ids: Vec<u64> = self.lock().sessions.keys().copied().collect();
        ids.into_iter().filter_map(|id| self.snapshot(id)).collect()
    }

    /// Brings back a session stored before a restart, suspended: it waits `wait` for its
    /// agent's `Resume`; its host may join again with the code, invited representatives
    /// return to their seats, and so do specialists with their seat token and a live key
    /// (with the rights they held; the agent is first told they left, see [`Hub::resume`]).
    /// The grant sequence and attendee ids go on. Returns
    /// the absence to pass to [`Hub::give_up`] when the wait is over, and when that is;
    /// `None` if the session runs already.
    pub fn restore(&self, stored: &LiveState, wait: Duration) -> Option<(AwayToken, Instant)> {
        let mut state = self.lock();
        if state.sessions.contains_key(&stored.session_id) {
            return None;
        }
        let until = Instant::now() + wait;
        let token = AwayToken(1);
        let session = LiveSession {
            code_id: stored.code_id,
            owner: stored.owner.clone(),
            customer: stored.customer.clone(),
            host: stored.host.clone(),
            resume: ResumeDigest::from_bytes(&stored.resume_digest),
            away: Some(Away { token, until }),
            absences: 1,
            attendees: std::collections::BTreeMap::new(),
            next_id: stored.next_attendee.max(super::FIRST_INVITED_ID),
            grants: stored.grants,
            seats: stored
                .seats
                .iter()
                .map(|s| (s.rep_id, s.info.clone()))
                .collect(),
            specialist_seats: stored
                .specialist_seats
                .iter()
                .map(|s| {
                    let seat = super::seats::SpecialistSeat {
                        key: s.key,
                        token: ResumeDigest::from_bytes(&s.token_digest),
                        info: s.info.clone(),
                    };
                    (s.info.id, seat)
                })
                .collect(),
            // The database holds the cancelled keys; joins look there first.
            cancelled_keys: std::collections::BTreeSet::new(),
            consents: std::collections::BTreeMap::new(),
            // What the agent knew when the session was last stored: nobody is back yet.
            announced: stored.attendees.iter().map(|a| a.id).collect(),
            panels: std::collections::BTreeMap::new(),
            regrant_on_resume: std::collections::BTreeSet::new(),
        };
        state.sessions.insert(stored.session_id, session);
        state.by_code.insert(stored.code_id, stored.session_id);
        // The policy may have changed while the portal was down: apply it before anyone
        // is back (the agent, away, hears the result in `Resumed`).
        let super::State {
            sessions, policy, ..
        } = &mut *state;
        if let Some(session) = sessions.get_mut(&stored.session_id) {
            session.recap(policy, stored.session_id);
        }
        Some((token, until))
    }

    /// The wait named `token` is over: unless the agent came back meanwhile, `session` ends
    /// for everyone with `reason` (`Leave::Ended`, to be recorded); else `Leave::Nothing`.
    pub fn give_up(&self, session: u64, token: AwayToken, reason: &str) -> Leave {
        let mut state = self.lock();
        let waiting = state
            .sessions
            .get(&session)
            .and_then(|s| s.away.as_ref())
            .is_some_and(|away| away.token == token);
        if !waiting {
            return Leave::Nothing;
        }
        state.end(session, reason, None);
        Leave::Ended { session }
    }
}
