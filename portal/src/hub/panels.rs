//! The host's console panels: a representative's browser console watching one of their
//! sessions (roster, chat, consent, invitations) and acting as its host — inviting,
//! changing rights, removing, chatting, ending — without a screen. A panel is not an
//! attendee: the agent never hears of it and sets up no link for it. The host's viewer (if
//! any) and its panels see the same things; the one source of truth is the session.
//!
//! The caller proves the connection belongs to the code's representative (a one-use ticket
//! from their logged-in console); here a panel attaches when its session runs, or waits for
//! the code's redemption.

use tandem_protocol::AttendeeId;
use tandem_protocol::signal::PortalMessage;

use tandem_protocol::signal::AttendeeInfo;

use super::{Attendee, ConnId, Hub, HubError, JoinOutcome, Membership, Peer, State};

/// Panels one session (or one waiting code) keeps: a few browser tabs, not a crowd.
pub const MAX_PANELS: usize = 8;

impl Hub {
    /// `peer` becomes a panel on the session of code row `code_id`: at once when it runs
    /// (`Some(session)`, `Joined` queued), else when the code is redeemed (`None`).
    pub fn open_panel(&self, code_id: i64, peer: Peer) -> Result<Option<u64>, HubError> {
        let mut state = self.lock();
        if state.members.contains_key(&peer.conn) {
            return Err(HubError::AlreadyInSession);
        }
        if let Some(&session) = state.by_code.get(&code_id) {
            let full = state
                .sessions
                .get(&session)
                .is_some_and(|s| s.panels.len() >= MAX_PANELS);
            if full {
                return Err(HubError::NotAllowed(
                    "this session has the most panels it takes",
                ));
            }
            state.attach_panel(session, peer);
            return Ok(Some(session));
        }
        if state.recently_ended.contains_key(&code_id) {
            return Err(HubError::SessionGone);
        }
        let waiting = state.panels_waiting.entry(code_id).or_default();
        if waiting.len() >= MAX_PANELS {
            return Err(HubError::NotAllowed(
                "this session has the most panels it takes",
            ));
        }
        let conn = peer.conn;
        waiting.insert(conn, peer);
        state
            .members
            .insert(conn, Membership::PanelWaiting { code_id });
        Ok(None)
    }
}

impl Hub {
    /// The panel on `peer` starts watching the screen in the browser: it stops being a panel
    /// and takes the host's seat (`info`), exactly as the host's viewer joining with the code
    /// would, so the agent sets up a link for it. Refused while another viewer holds the seat.
    pub fn panel_becomes_host(
        &self,
        code_id: i64,
        peer: Peer,
        info: AttendeeInfo,
        redeemed: bool,
    ) -> Result<JoinOutcome, HubError> {
        let mut state = self.lock();
        let is_panel = matches!(
            state.members.get(&peer.conn),
            Some(Membership::Panel { .. } | Membership::PanelWaiting { .. })
        );
        if !is_panel {
            return Err(HubError::NotAllowed(
                "only a session panel can watch its session",
            ));
        }
        let seat_taken = match state.by_code.get(&code_id) {
            Some(session) => state
                .sessions
                .get(session)
                .is_some_and(|s| s.attendees.contains_key(&info.id)),
            None => state.waiting.contains_key(&code_id),
        };
        if seat_taken {
            return Err(HubError::HostTaken);
        }
        // Checked before the panel is given up, so a refusal leaves it a panel.
        if !state.by_code.contains_key(&code_id)
            && redeemed
            && state.recently_ended.contains_key(&code_id)
        {
            return Err(HubError::SessionGone);
        }
        state.close_panel(peer.conn);
        state.join_or_wait(code_id, peer, info, redeemed)
    }
}

impl State {
    /// [`Hub::join_or_wait`] for a connection that is no member: the host's seat of code row
    /// `code_id`'s session, or a wait for its redemption.
    pub(super) fn join_or_wait(
        &mut self,
        code_id: i64,
        host: Peer,
        info: AttendeeInfo,
        redeemed: bool,
    ) -> Result<JoinOutcome, HubError> {
        if let Some(&session) = self.by_code.get(&code_id) {
            let taken = self
                .sessions
                .get(&session)
                .is_some_and(|s| s.attendees.contains_key(&info.id));
            if taken {
                return Err(HubError::HostTaken);
            }
            self.attach(session, Attendee { peer: host, info });
            self.send_rosters(session);
            return Ok(JoinOutcome::Joined { session });
        }
        if redeemed && self.recently_ended.contains_key(&code_id) {
            return Err(HubError::SessionGone);
        }
        if self.waiting.contains_key(&code_id) {
            return Err(HubError::HostTaken);
        }
        self.members
            .insert(host.conn, Membership::Waiting { code_id });
        self.waiting.insert(code_id, Attendee { peer: host, info });
        Ok(JoinOutcome::Waiting)
    }

    /// Attaches `peer` as a panel of running `session_id`: it gets `Joined` (as the host),
    /// the host's roster, and `CustomerAway` while the agent is away.
    pub(super) fn attach_panel(&mut self, session_id: u64, peer: Peer) {
        let Some(session) = self.sessions.get_mut(&session_id) else {
            return;
        };
        peer.send(PortalMessage::Joined {
            session: session_id,
            you: AttendeeId::HOST,
            customer: session.customer.clone(),
            rights: session.host.rights,
            seat_token: None,
        });
        if let Some(away) = &session.away {
            peer.send(away.message(std::time::Instant::now()));
        }
        // What the customer allowed so far, as the host heard it.
        for (&attendee, &allowed) in &session.consents {
            peer.send(PortalMessage::Consent { attendee, allowed });
        }
        self.members.insert(
            peer.conn,
            Membership::Panel {
                session: session_id,
            },
        );
        session.panels.insert(peer.conn, peer);
        session.send_rosters();
    }

    /// Attaches the panels waiting for code row `code_id`, whose session just started.
    pub(super) fn attach_waiting_panels(&mut self, code_id: i64, session_id: u64) {
        if let Some(waiting) = self.panels_waiting.remove(&code_id) {
            for peer in waiting.into_values() {
                self.attach_panel(session_id, peer);
            }
        }
    }

    /// The panel on `conn` goes away (its tab closed).
    pub(super) fn close_panel(&mut self, conn: ConnId) {
        match self.members.remove(&conn) {
            Some(Membership::Panel { session }) => {
                if let Some(s) = self.sessions.get_mut(&session) {
                    s.panels.remove(&conn);
                }
            }
            Some(Membership::PanelWaiting { code_id }) => {
                if let Some(w) = self.panels_waiting.get_mut(&code_id) {
                    w.remove(&conn);
                    if w.is_empty() {
                        self.panels_waiting.remove(&code_id);
                    }
                }
            }
            Some(other) => {
                self.members.insert(conn, other);
            }
            None => {}
        }
    }
}
