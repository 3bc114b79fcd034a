//! Live routing between the connections of running sessions, in memory.
//!
//! Every WebSocket connection has a [`ConnId`] and an [`Outbox`]; the hub knows which
//! connection is which attendee of which session, and which host is waiting for its code to be
//! redeemed. All changes happen under one lock and every message goes through the outboxes,
//! so each connection sees events in the order they happened ("Redeemed" before
//! "AttendeeJoined", "Joined" before the first "Signal"). The hub never touches the database:
//! callers record what it reports (a session ended, consent given).
//!
//! ```text
//!  agent conn ──Signal{to: HOST}──► Hub::signal ──Signal{from: CUSTOMER}──► host's outbox
//!  host conn  ──Signal{to: CUSTOMER}► Hub::signal ──Signal{from: HOST}────► agent's outbox
//! ```

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tandem_protocol::signal::{AttendeeInfo, ErrorKind, PortalMessage, SignalPayload};
use tandem_protocol::{AttendeeId, Rights, Role};
use tokio::sync::mpsc;

/// Identifies one WebSocket connection for the portal's lifetime.
pub type ConnId = u64;

/// Messages queued for one connection's socket.
pub type Outbox = mpsc::UnboundedSender<PortalMessage>;

/// How long an ended session's code is remembered, so a late `JoinSession` is told "ended".
const REMEMBER_ENDED: Duration = Duration::from_secs(300);

/// A connection the hub can send to.
#[derive(Debug, Clone)]
pub struct Peer {
    /// The connection.
    pub conn: ConnId,
    /// Its outbox.
    pub tx: Outbox,
}

impl Peer {
    fn send(&self, msg: PortalMessage) {
        // A closed outbox means the connection is going away; its own task cleans up.
        let _ = self.tx.send(msg);
    }
}

/// Why a hub operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HubError {
    /// Signal, Consent or EndSession from a connection outside any session.
    #[error("you are not in a session")]
    NotInSession,
    /// Redeem or JoinSession from a connection that already is in (or waits for) one.
    #[error("this connection is already in a session")]
    AlreadyInSession,
    /// Another connection already is (or waits to be) this session's host.
    #[error("this session's host is already connected from another window")]
    HostTaken,
    /// The session is over.
    #[error("that session has ended")]
    SessionGone,
    /// Signal to an attendee that is not in the session.
    #[error("attendee {0} is not in this session")]
    NoSuchAttendee(AttendeeId),
    /// A message this attendee may not send.
    #[error("{0}")]
    NotAllowed(&'static str),
}

impl HubError {
    /// The signalling error category.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HubError::SessionGone => ErrorKind::SessionGone,
            _ => ErrorKind::BadRequest,
        }
    }
}

/// Result of [`Hub::join_or_wait`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinOutcome {
    /// Joined now; `Joined` is queued.
    Joined {
        /// The session.
        session: u64,
    },
    /// Waiting for the customer to redeem the code.
    Waiting,
}

/// What leaving (disconnect or `EndSession`) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leave {
    /// The connection was in nothing.
    Nothing,
    /// A host stopped waiting for its code.
    StoppedWaiting,
    /// An attendee left; the session goes on.
    Left {
        /// The session.
        session: u64,
    },
    /// The session ended; record it.
    Ended {
        /// The session.
        session: u64,
    },
}

#[derive(Debug)]
struct Attendee {
    peer: Peer,
    info: AttendeeInfo,
}

#[derive(Debug)]
struct LiveSession {
    code_id: i64,
    customer: String,
    attendees: BTreeMap<AttendeeId, Attendee>,
}

#[derive(Debug, Clone, Copy)]
enum Membership {
    Waiting { code_id: i64 },
    Attendee { session: u64, id: AttendeeId },
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<u64, LiveSession>,
    by_code: HashMap<i64, u64>,
    waiting: HashMap<i64, Attendee>,
    members: HashMap<ConnId, Membership>,
    recently_ended: HashMap<i64, Instant>,
}

/// The live routing table.
#[derive(Debug, Default)]
pub struct Hub {
    state: Mutex<State>,
}

/// The roster entry of a host representative.
pub fn host_info(name: &str) -> AttendeeInfo {
    AttendeeInfo {
        id: AttendeeId::HOST,
        name: name.to_owned(),
        role: Role::Host,
        rights: Rights::HOST_DEFAULT,
    }
}

impl State {
    /// Adds `attendee` to `session` and tells both it and the agent.
    fn attach(&mut self, session_id: u64, attendee: Attendee) {
        let Some(session) = self.sessions.get_mut(&session_id) else {
            return;
        };
        let info = attendee.info.clone();
        attendee.peer.send(PortalMessage::Joined {
            session: session_id,
            you: info.id,
            customer: session.customer.clone(),
            rights: info.rights,
        });
        if let Some(agent) = session.attendees.get(&AttendeeId::CUSTOMER) {
            agent.peer.send(PortalMessage::AttendeeJoined(info.clone()));
        }
        self.members.insert(
            attendee.peer.conn,
            Membership::Attendee {
                session: session_id,
                id: info.id,
            },
        );
        session.attendees.insert(info.id, attendee);
    }

    /// Removes the session and tells everyone but `except` why it ended.
    fn end(&mut self, session_id: u64, reason: &str, except: Option<ConnId>) {
        let Some(session) = self.sessions.remove(&session_id) else {
            return;
        };
        self.by_code.remove(&session.code_id);
        let now = Instant::now();
        self.recently_ended
            .retain(|_, at| now.duration_since(*at) < REMEMBER_ENDED);
        self.recently_ended.insert(session.code_id, now);
        for attendee in session.attendees.values() {
            self.members.remove(&attendee.peer.conn);
            if Some(attendee.peer.conn) != except {
                attendee.peer.send(PortalMessage::SessionEnded {
                    reason: reason.to_owned(),
                });
            }
        }
    }

    fn leave(&mut self, conn: ConnId, reason: &str, disconnecting: bool) -> Leave {
        match self.members.get(&conn).copied() {
            None => Leave::Nothing,
            Some(Membership::Waiting { code_id }) => {
                self.members.remove(&conn);
                self.waiting.remove(&code_id);
                Leave::StoppedWaiting
            }
            Some(Membership::Attendee { session, id })
                if id == AttendeeId::CUSTOMER || (id == AttendeeId::HOST && !disconnecting) =>
            {
                self.end(session, reason, Some(conn));
                Leave::Ended { session }
            }
            Some(Membership::Attendee {
                session: session_id,
                id,
            }) => {
                self.members.remove(&conn);
                if let Some(session) = self.sessions.get_mut(&session_id) {
                    session.attendees.remove(&id);
                    if let Some(agent) = session.attendees.get(&AttendeeId::CUSTOMER) {
                        agent
                            .peer
                            .send(PortalMessage::AttendeeLeft { attendee: id });
                    }
                }
                Leave::Left {
                    session: session_id,
                }
            }
        }
    }
}

impl Hub {
    /// An empty hub.
    pub fn new() -> Self {
        Hub::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every method leaves the state consistent before anything can panic (sends on an
        // unbounded channel do not panic), so a poisoned lock still guards valid data.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// True while the connection is in (or waiting for) a session.
    pub fn is_member(&self, conn: ConnId) -> bool {
        self.lock().members.contains_key(&conn)
    }

    /// The customer's agent redeemed code row `code_id`, opening `session`. Queues
    /// `Redeemed` for the agent and, when the host is already waiting, completes its join.
    pub fn open_session(
        &self,
        session: u64,
        code_id: i64,
        agent: Peer,
        customer: &str,
        host: AttendeeInfo,
    ) -> Result<(), HubError> {
        let mut state = self.lock();
        if state.members.contains_key(&agent.conn) {
            return Err(HubError::AlreadyInSession);
        }
        agent.send(PortalMessage::Redeemed {
            session,
            you: AttendeeId::CUSTOMER,
            host,
        });
        let me = AttendeeInfo {
            id: AttendeeId::CUSTOMER,
            name: customer.to_owned(),
            role: Role::Customer,
            rights: Rights::NONE,
        };
        state
            .members
            .insert(agent.conn, Membership::Attendee { session, id: me.id });
        let attendees = BTreeMap::from([(
            me.id,
            Attendee {
                peer: agent,
                info: me,
            },
        )]);
        state.sessions.insert(
            session,
            LiveSession {
                code_id,
                customer: customer.to_owned(),
                attendees,
            },
        );
        state.by_code.insert(code_id, session);
        if let Some(waiter) = state.waiting.remove(&code_id) {
            state.members.remove(&waiter.peer.conn);
            state.attach(session, waiter);
        }
        Ok(())
    }

    /// The host asks to join the session of code row `code_id`: joins now if the session
    /// runs, else waits for the redemption. `redeemed` says the database already saw the code
    /// redeemed (so a missing session may have ended rather than not started yet).
    pub fn join_or_wait(
        &self,
        code_id: i64,
        host: Peer,
        info: AttendeeInfo,
        redeemed: bool,
    ) -> Result<JoinOutcome, HubError> {
        let mut state = self.lock();
        if state.members.contains_key(&host.conn) {
            return Err(HubError::AlreadyInSession);
        }
        if let Some(&session) = state.by_code.get(&code_id) {
            let taken = state
                .sessions
                .get(&session)
                .is_some_and(|s| s.attendees.contains_key(&info.id));
            if taken {
                return Err(HubError::HostTaken);
            }
            state.attach(session, Attendee { peer: host, info });
            return Ok(JoinOutcome::Joined { session });
        }
        if redeemed && state.recently_ended.contains_key(&code_id) {
            return Err(HubError::SessionGone);
        }
        if state.waiting.contains_key(&code_id) {
            return Err(HubError::HostTaken);
        }
        state
            .members
            .insert(host.conn, Membership::Waiting { code_id });
        state.waiting.insert(code_id, Attendee { peer: host, info });
        Ok(JoinOutcome::Waiting)
    }

    /// The code will not be redeemed any more (cancelled, expired): a waiting host gets
    /// `why` and stops waiting.
    pub fn stop_waiting(&self, code_id: i64, why: PortalMessage) {
        let mut state = self.lock();
        if let Some(waiter) = state.waiting.remove(&code_id) {
            state.members.remove(&waiter.peer.conn);
            waiter.peer.send(why);
        }
    }

    /// Relays a signalling payload from `conn` to attendee `to` of the same session.
    /// The agent may signal any attendee; anyone else only the customer.
    pub fn signal(
        &self,
        conn: ConnId,
        to: AttendeeId,
        payload: SignalPayload,
    ) -> Result<(), HubError> {
        let state = self.lock();
        let Some(Membership::Attendee { session, id }) = state.members.get(&conn).copied() else {
            return Err(HubError::NotInSession);
        };
        if to == id {
            return Err(HubError::NotAllowed("you cannot signal yourself"));
        }
        if id != AttendeeId::CUSTOMER && to != AttendeeId::CUSTOMER {
            return Err(HubError::NotAllowed(
                "attendees may only signal the customer",
            ));
        }
        let target = state
            .sessions
            .get(&session)
            .and_then(|s| s.attendees.get(&to))
            .ok_or(HubError::NoSuchAttendee(to))?;
        target
            .peer
            .send(PortalMessage::Signal { from: id, payload });
        Ok(())
    }

    /// The agent reports the customer's consent for `attendee`; the host is told. Returns
    /// the session so the caller can record it.
    pub fn consent(
        &self,
        conn: ConnId,
        attendee: AttendeeId,
        allowed: Rights,
    ) -> Result<u64, HubError> {
        let state = self.lock();
        let Some(Membership::Attendee { session, id }) = state.members.get(&conn).copied() else {
            return Err(HubError::NotInSession);
        };
        if id != AttendeeId::CUSTOMER {
            return Err(HubError::NotAllowed(
                "only the customer's agent reports consent",
            ));
        }
        if let Some(host) = state
            .sessions
            .get(&session)
            .and_then(|s| s.attendees.get(&AttendeeId::HOST))
        {
            host.peer.send(PortalMessage::Consent { attendee, allowed });
        }
        Ok(session)
    }

    /// `EndSession` from `conn`: the agent or the host ends the session for everyone (the
    /// others get `SessionEnded{reason}`); a waiting host stops waiting.
    pub fn end_session(&self, conn: ConnId, reason: &str) -> Result<Leave, HubError> {
        let mut state = self.lock();
        match state.leave(conn, reason, false) {
            Leave::Nothing => Err(HubError::NotInSession),
            other => Ok(other),
        }
    }

    /// The connection closed. An agent's session ends with `agent_reason`; a host just
    /// leaves (the agent gets `AttendeeLeft`); a waiting host stops waiting.
    pub fn disconnect(&self, conn: ConnId, agent_reason: &str) -> Leave {
        self.lock().leave(conn, agent_reason, true)
    }
}

#[cfg(test)]
mod tests;
