//! Live routing between the connections of running sessions, in memory.
//!
//! Every WebSocket connection has a [`ConnId`] and an [`Outbox`]; the hub knows which
//! connection is which attendee of which session, which host is waiting for its code to be
//! redeemed, which representatives are logged in (and on which portal), and which
//! invitations are open. All changes happen under one lock and every message goes through
//! the outboxes, so each connection sees events in the order they happened ("Redeemed"
//! before "AttendeeJoined", "Joined" before the first "Signal" and before the roster). The
//! hub never touches the database: callers record what it reports (a session ended, consent
//! given).
//!
//! ```text
//!  agent conn ──Signal{to: HOST}──► Hub::signal ──Signal{from: CUSTOMER}──► host's outbox
//!  host conn  ──Signal{to: CUSTOMER}► Hub::signal ──Signal{from: HOST}────► agent's outbox
//!  any member ──Chat──► Hub::chat ──may_chat (CHAT right), roster::chat_reaches──► outboxes
//!  every join/leave/grant/removal ──roster::roster_for(recipient's role)──► Roster to all
//! ```
//!
//! Attendees of a session: the customer is [`AttendeeId::CUSTOMER`], the host
//! [`AttendeeId::HOST`], everyone invited later gets 3, 4, … in the order they join; an id
//! is never reused within a session. Only the host may invite, change rights or remove
//! (`roster::may_manage`). The rules about who sees whom live in `tandem_protocol::roster`.
//!
//! - `sessions`: opening, the host joining, signalling, consent.
//! - `attendees`: rights (`ChangeRights` touches only the rights it names), removal (of a
//!   specialist: its key is cancelled too), chat (only with the CHAT right, the customer
//!   excepted).
//! - `seats`: specialists joining with a key, and coming back to their own seat (same id,
//!   the rights in force when their connection dropped) with a seat token.
//! - `invitations`: representatives' presence and invitations between them.
//! - `resume`: the customer's agent going away (its connection lost) and coming back.
//!
//! While the customer's agent is away its session is *suspended*: the customer is no
//! attendee (messages for the agent are dropped; `Resume` tells it everything current),
//! everyone else stays, and joins, rights changes, removals and chat go on as usual.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tandem_protocol::roster::{may_manage, roster_for};
use tandem_protocol::signal::{AttendeeInfo, PortalMessage};
use tandem_protocol::{AttendeeId, Rights, Role, SessionCode};

use crate::resume::ResumeDigest;

mod attendees;
mod error;
mod invitations;
mod panels;
mod policy;
mod resume;
mod seats;
mod sessions;

pub use attendees::{
    Chatted, GRANT_AND_REVOKE, HostContext, NO_CHAT_RIGHT, Removed, changed_rights, may_chat,
};
pub use error::HubError;
pub use invitations::{InviteSent, RepInvite, RepLogin};
pub use policy::{Owner, Recapped};
pub use resume::{AwayToken, CUSTOMER_AWAY, REPLACED, Resumed};
pub use seats::{KeyJoin, SEAT_GONE, SeatPass, SpecialistJoined, TAKEN_OVER};
pub use sessions::host_info;

/// Identifies one WebSocket connection for the portal's lifetime.
pub type ConnId = u64;

/// Messages queued for one connection's socket (bounded: see [`crate::outbox`]).
pub use crate::outbox::Outbox;

/// How long an ended session's code (or a closed invitation) is remembered, so a late
/// request is told what happened rather than "unknown".
const REMEMBER_ENDED: Duration = Duration::from_secs(300);

/// The first id given to an attendee who is neither the customer nor the host.
const FIRST_INVITED_ID: u32 = 3;

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
    /// The agent's connection was lost and the session waits for it until `until`; then
    /// call [`Hub::give_up`] with `token` (it ends the session unless the agent came back).
    Suspended {
        /// The session.
        session: u64,
        /// Names this absence.
        token: AwayToken,
        /// When the wait is over.
        until: Instant,
    },
}

/// How a connection leaves (see `State::leave`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Departure {
    /// `EndSession`: the agent or the host ends the session, anyone else leaves.
    Request,
    /// The connection closed for good (the portal shuts down): the agent's session ends.
    Closed,
    /// The connection was lost: the agent's session waits `window` for it (zero: ends).
    Lost { window: Duration },
}

#[derive(Debug)]
struct Attendee {
    peer: Peer,
    info: AttendeeInfo,
}

#[derive(Debug)]
struct LiveSession {
    code_id: i64,
    /// Whose code it was and on which portal: the policy in force for the host.
    owner: Owner,
    customer: String,
    /// The host's entry as the agent was told in `Redeemed` (told again in `Resumed`).
    host: AttendeeInfo,
    /// What the portal keeps of the agent's resume secret.
    resume: ResumeDigest,
    /// Set while the agent is away.
    away: Option<resume::Away>,
    /// Absences so far (numbers the [`AwayToken`]s).
    absences: u64,
    /// Everyone in the session, the customer's agent included.
    attendees: BTreeMap<AttendeeId, Attendee>,
    /// The id the next invited attendee gets.
    next_id: u32,
    /// Grants sent to the agent so far (the last `Grant::seq`).
    grants: u64,
    /// Invited representatives' places by account, kept while their connection is lost
    /// (a network drop, a portal restart) so they come back with the same id and rights;
    /// gone when they leave or are removed.
    seats: BTreeMap<i64, AttendeeInfo>,
    /// External specialists' places by attendee id, kept while their connection is lost
    /// (see `seats`): they come back with a seat token, never with a key's rights.
    specialist_seats: BTreeMap<AttendeeId, seats::SpecialistSeat>,
    /// Support keys cancelled while the portal runs (the database has them too).
    cancelled_keys: BTreeSet<SessionCode>,
    /// The customer's last consent per attendee: a repeat is neither stored nor forwarded.
    consents: BTreeMap<AttendeeId, Rights>,
    /// Whom the agent was last told is here (`AttendeeJoined`, no `AttendeeLeft` since).
    /// Departures while it is away reach nobody, and a restarted portal brings no
    /// specialist back: `Resume` tells the agent those gone for good, or it would offer them
    /// links for ever.
    announced: BTreeSet<AttendeeId>,
    /// The host's console panels on this session (`panels`): they see what the host sees
    /// and act as the host, without a screen.
    panels: BTreeMap<ConnId, Peer>,
    /// Attendees whose rights a policy changed while the agent was away: `Resume` tells it.
    regrant_on_resume: BTreeSet<AttendeeId>,
}

impl LiveSession {
    fn new(
        code_id: i64,
        owner: Owner,
        customer: &str,
        agent: Peer,
        host: AttendeeInfo,
        resume: ResumeDigest,
    ) -> Self {
        let mut session = LiveSession {
            code_id,
            owner,
            customer: customer.to_owned(),
            host,
            resume,
            away: None,
            absences: 0,
            attendees: BTreeMap::new(),
            next_id: FIRST_INVITED_ID,
            grants: 0,
            seats: BTreeMap::new(),
            specialist_seats: BTreeMap::new(),
            cancelled_keys: BTreeSet::new(),
            consents: BTreeMap::new(),
            announced: BTreeSet::new(),
            panels: BTreeMap::new(),
            regrant_on_resume: BTreeSet::new(),
        };
        session.seat_agent(agent);
        session
    }

    /// The customer's attendee entry.
    fn customer_info(&self) -> AttendeeInfo {
        AttendeeInfo {
            id: AttendeeId::CUSTOMER,
            name: self.customer.clone(),
            role: Role::Customer,
            rights: Rights::NONE,
            masked: false,
        }
    }

    /// Makes `agent` the customer's connection; returns the one it replaced, if any.
    fn seat_agent(&mut self, agent: Peer) -> Option<Attendee> {
        let info = self.customer_info();
        self.attendees
            .insert(AttendeeId::CUSTOMER, Attendee { peer: agent, info })
    }

    /// Sends `msg` to the agent while it is connected, keeping `announced` to what it knows.
    fn tell_agent(&mut self, msg: PortalMessage) {
        let Some(agent) = self.attendees.get(&AttendeeId::CUSTOMER) else {
            return;
        };
        match &msg {
            PortalMessage::AttendeeJoined(info) => {
                self.announced.insert(info.id);
            }
            PortalMessage::AttendeeLeft { attendee } => {
                self.announced.remove(attendee);
            }
            _ => {}
        }
        agent.peer.send(msg);
    }

    /// Sends `msg` to the host and the host's console panels.
    fn tell_host(&self, msg: PortalMessage) {
        for panel in self.panels.values() {
            panel.send(msg.clone());
        }
        if let Some(host) = self.attendees.get(&AttendeeId::HOST) {
            host.peer.send(msg);
        }
    }

    /// Is `id` expected back under the same id while away: the host (with its code) or an
    /// invited representative with a seat. A specialist may return to its seat too, but
    /// the agent is told it left until it does (`seats`).
    fn may_return(&self, id: AttendeeId) -> bool {
        id == AttendeeId::HOST || self.seats.values().any(|seat| seat.id == id)
    }

    /// A fresh attendee id, never handed out before in this session.
    fn allocate_id(&mut self) -> AttendeeId {
        let id = AttendeeId::from_wire(self.next_id);
        self.next_id = self.next_id.saturating_add(1);
        id
    }

    /// Everyone but the customer, before [`roster_for`] filters them by role.
    fn roster_members(&self) -> Vec<AttendeeInfo> {
        self.attendees
            .values()
            .filter(|a| a.info.id != AttendeeId::CUSTOMER)
            .map(|a| a.info.clone())
            .collect()
    }

    /// Sends every member the roster as its role may see it (the customer excluded).
    fn send_rosters(&self) {
        let members = self.roster_members();
        for a in self.attendees.values() {
            a.peer.send(PortalMessage::Roster {
                attendees: roster_for(a.info.role, &members),
            });
        }
        for panel in self.panels.values() {
            panel.send(PortalMessage::Roster {
                attendees: roster_for(Role::Host, &members),
            });
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Membership {
    Waiting {
        code_id: i64,
    },
    Attendee {
        session: u64,
        id: AttendeeId,
    },
    /// The host's console panel on a session (`panels`), or waiting for it to start.
    Panel {
        session: u64,
    },
    PanelWaiting {
        code_id: i64,
    },
}

#[derive(Debug, Default)]
struct State {
    sessions: HashMap<u64, LiveSession>,
    by_code: HashMap<i64, u64>,
    waiting: HashMap<i64, Attendee>,
    /// Console panels waiting for the session of a code to start (`panels`).
    panels_waiting: HashMap<i64, BTreeMap<ConnId, Peer>>,
    members: HashMap<ConnId, Membership>,
    recently_ended: HashMap<i64, Instant>,
    /// Logged-in representative connections.
    reps: HashMap<ConnId, invitations::OnlineRep>,
    /// Logins counted so far (orders logins: a representative's latest portal wins).
    logins: u64,
    invitations: BTreeMap<u64, invitations::Invitation>,
    /// What became of invitations that are no longer open.
    closed_invitations: HashMap<u64, (Instant, invitations::Closed)>,
    next_invitation: u64,
    /// Functions by policy, consulted for every grant (`policy`).
    policy: crate::policy::PolicyBook,
}

/// The live routing table.
#[derive(Debug, Default)]
pub struct Hub {
    state: Mutex<State>,
    /// How long a session waits for its agent after a lost connection.
    resume_window: Duration,
    /// Console panels by connection, with the account they act for (`policy::sign_out`).
    panel_accounts: Mutex<HashMap<ConnId, (i64, Outbox)>>,
}

impl State {
    /// Adds `attendee` to `session` and tells both it (`Joined`) and the agent
    /// (`AttendeeJoined`). Callers send the rosters once everything else is said.
    fn attach(&mut self, session_id: u64, attendee: Attendee) {
        self.attach_seated(session_id, attendee, None);
    }

    /// [`State::attach`], telling a specialist that took a new seat its seat token.
    fn attach_seated(
        &mut self,
        session_id: u64,
        mut attendee: Attendee,
        seat_token: Option<String>,
    ) {
        let Some(session) = self.sessions.get_mut(&session_id) else {
            return;
        };
        // Nobody joins with more than the policy allows them, whatever they were offered.
        session.cap_joining(&self.policy, &mut attendee.info);
        let info = attendee.info.clone();
        attendee.peer.send(PortalMessage::Joined {
            session: session_id,
            you: info.id,
            customer: session.customer.clone(),
            rights: info.rights,
            seat_token,
        });
        // While the agent is away this goes nowhere; `Resume` tells it about everyone.
        session.tell_agent(PortalMessage::AttendeeJoined(info.clone()));
        if let Some(away) = &session.away {
            attendee.peer.send(away.message(Instant::now()));
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

    fn send_rosters(&self, session: u64) {
        if let Some(s) = self.sessions.get(&session) {
            s.send_rosters();
        }
    }

    /// The session and attendee id of `conn`.
    fn attendee_of(&self, conn: ConnId) -> Result<(u64, AttendeeId), HubError> {
        match self.members.get(&conn) {
            Some(Membership::Attendee { session, id }) => Ok((*session, *id)),
            _ => Err(HubError::NotInSession),
        }
    }

    /// The session `conn` is the host of, or `NotHost`.
    fn hosted_by(&self, conn: ConnId) -> Result<u64, HubError> {
        if let Some(Membership::Panel { session }) = self.members.get(&conn) {
            return Ok(*session);
        }
        let (session, id) = self.attendee_of(conn).map_err(|_| HubError::NotHost)?;
        let role = self
            .sessions
            .get(&session)
            .and_then(|s| s.attendees.get(&id))
            .map(|a| a.info.role);
        match role {
            Some(role) if may_manage(role) => Ok(session),
            _ => Err(HubError::NotHost),
        }
    }

    /// Removes the session and tells everyone but `except` why it ended; open invitations
    /// into it are withdrawn.
    fn end(&mut self, session_id: u64, reason: &str, except: Option<ConnId>) {
        let Some(session) = self.sessions.remove(&session_id) else {
            return;
        };
        self.by_code.remove(&session.code_id);
        let now = Instant::now();
        self.recently_ended
            .retain(|_, at| now.duration_since(*at) < REMEMBER_ENDED);
        self.recently_ended.insert(session.code_id, now);
        let panels = session.panels.values();
        for peer in session.attendees.values().map(|a| &a.peer).chain(panels) {
            self.members.remove(&peer.conn);
            if Some(peer.conn) != except {
                peer.send(PortalMessage::SessionEnded {
                    reason: reason.to_owned(),
                });
            }
        }
        self.withdraw_invitations(session_id);
    }

    fn leave(&mut self, conn: ConnId, reason: &str, departure: Departure) -> Leave {
        match self.members.get(&conn).copied() {
            None => Leave::Nothing,
            Some(Membership::Waiting { code_id }) => {
                self.members.remove(&conn);
                self.waiting.remove(&code_id);
                Leave::StoppedWaiting
            }
            Some(Membership::Panel { session }) if departure == Departure::Request => {
                // The host ends the session from its console.
                self.end(session, reason, Some(conn));
                Leave::Ended { session }
            }
            Some(Membership::Panel { .. } | Membership::PanelWaiting { .. }) => {
                self.close_panel(conn);
                Leave::Nothing
            }
            Some(Membership::Attendee { session, id }) if id == AttendeeId::CUSTOMER => {
                match departure {
                    Departure::Lost { window } if !window.is_zero() => {
                        self.suspend(session, conn, window)
                    }
                    _ => {
                        self.end(session, reason, Some(conn));
                        Leave::Ended { session }
                    }
                }
            }
            Some(Membership::Attendee { session, id })
                if id == AttendeeId::HOST && departure == Departure::Request =>
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
                    if departure == Departure::Request {
                        session.seats.retain(|_, seat| seat.id != id);
                        session.specialist_seats.remove(&id);
                    }
                    session.attendees.remove(&id);
                    session.tell_agent(PortalMessage::AttendeeLeft { attendee: id });
                    session.send_rosters();
                }
                Leave::Left {
                    session: session_id,
                }
            }
        }
    }
}

impl Hub {
    /// An empty hub whose sessions end as soon as their agent's connection closes.
    pub fn new() -> Self {
        Hub::default()
    }

    /// An empty hub whose sessions wait `window` for their agent after a lost connection
    /// (see [`Hub::connection_lost`]); zero is the same as [`Hub::new`].
    pub fn with_resume_window(window: Duration) -> Self {
        Hub {
            resume_window: window,
            ..Hub::default()
        }
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

    /// True while the session runs.
    pub fn is_live(&self, session: u64) -> bool {
        self.lock().sessions.contains_key(&session)
    }

    /// `EndSession` from `conn`: the agent or the host ends the session for everyone (the
    /// others get `SessionEnded{reason}`); any other attendee leaves; a waiting host stops
    /// waiting.
    pub fn end_session(&self, conn: ConnId, reason: &str) -> Result<Leave, HubError> {
        let mut state = self.lock();
        match state.leave(conn, reason, Departure::Request) {
            Leave::Nothing => Err(HubError::NotInSession),
            other => Ok(other),
        }
    }

    /// The connection closed for good (the portal shuts down). An agent's session ends with
    /// `agent_reason`; anyone else just leaves (the agent gets `AttendeeLeft`, everyone a new
    /// roster); a waiting host stops waiting; a representative is no longer logged in.
    pub fn disconnect(&self, conn: ConnId, agent_reason: &str) -> Leave {
        let mut state = self.lock();
        state.reps.remove(&conn);
        state.leave(conn, agent_reason, Departure::Closed)
    }

    /// The connection was lost (closed by the peer, or silent). Like [`Hub::disconnect`],
    /// except that with a resume window an agent's session is suspended rather than ended:
    /// every attendee gets `CustomerAway` and the session waits for [`Hub::resume`]
    /// ([`Leave::Suspended`]).
    pub fn connection_lost(&self, conn: ConnId, agent_reason: &str) -> Leave {
        let mut state = self.lock();
        state.reps.remove(&conn);
        let window = self.resume_window;
        state.leave(conn, agent_reason, Departure::Lost { window })
    }
}

/// Accounts of the representatives attending a session (host and invited).
fn accounts_in(state: &State, session: &LiveSession) -> BTreeSet<i64> {
    session
        .attendees
        .values()
        .filter(|a| tandem_protocol::roster::is_representative(a.info.role))
        .filter_map(|a| state.reps.get(&a.peer.conn).map(|r| r.rep_id))
        .collect()
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_policy;
#[cfg(test)]
mod tests_resume;
#[cfg(test)]
mod tests_seats;
#[cfg(test)]
mod tests_team;
