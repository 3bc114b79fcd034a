//! Opening sessions, the host joining, signalling and consent.

use tandem_protocol::signal::{AttendeeInfo, PortalMessage, SignalPayload};
use tandem_protocol::{AttendeeId, Rights};

use super::{ConnId, Hub, HubError, JoinOutcome, LiveSession, Membership, Owner, Peer};
use crate::resume::Issued;

/// The roster entry of a host representative.
pub fn host_info(name: &str) -> AttendeeInfo {
    AttendeeInfo {
        id: AttendeeId::HOST,
        name: name.to_owned(),
        role: tandem_protocol::Role::Host,
        rights: Rights::HOST_DEFAULT,
        masked: false,
    }
}

impl Hub {
    /// The customer's agent redeemed code row `code_id`, opening `session`. Queues
    /// `Redeemed` (with `resume`'s secret; the session keeps only its digest) for the agent
    /// and, when the host is already waiting, completes its join.
    #[expect(
        clippy::too_many_arguments,
        reason = "each is a different fact of the redemption; a struct would only rename them"
    )]
    pub fn open_session(
        &self,
        session: u64,
        code_id: i64,
        owner: Owner,
        agent: Peer,
        customer: &str,
        mut host: AttendeeInfo,
        resume: Issued,
    ) -> Result<(), HubError> {
        let mut state = self.lock();
        if state.members.contains_key(&agent.conn) {
            return Err(HubError::AlreadyInSession);
        }
        // The agent learns the host's rights here: never more than the policy allows.
        let functions = state.policy.in_force(owner.rep, &owner.portal);
        host.rights = host.rights.intersect(functions.rights_cap());
        let Issued { secret, digest } = resume;
        agent.send(PortalMessage::Redeemed {
            session,
            you: AttendeeId::CUSTOMER,
            host: host.clone(),
            resume_secret: secret.as_str().to_owned(),
            recording: functions.recording_terms(),
        });
        state.members.insert(
            agent.conn,
            Membership::Attendee {
                session,
                id: AttendeeId::CUSTOMER,
            },
        );
        state.sessions.insert(
            session,
            LiveSession::new(code_id, owner, customer, agent, host, digest),
        );
        state.by_code.insert(code_id, session);
        // The roster leaves the customer out: alone, the agent has nothing to be told.
        if let Some(waiter) = state.waiting.remove(&code_id) {
            state.members.remove(&waiter.peer.conn);
            state.attach(session, waiter);
            state.send_rosters(session);
        }
        state.attach_waiting_panels(code_id, session);
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
        state.join_or_wait(code_id, host, info, redeemed)
    }

    /// The code will not be redeemed any more (cancelled, expired): a waiting host gets
    /// `why` and stops waiting.
    pub fn stop_waiting(&self, code_id: i64, why: PortalMessage) {
        let mut state = self.lock();
        if let Some(waiter) = state.waiting.remove(&code_id) {
            state.members.remove(&waiter.peer.conn);
            waiter.peer.send(why.clone());
        }
        // Console panels waiting for the same code hear the same.
        for panel in state.panels_waiting.remove(&code_id).into_iter().flatten() {
            state.members.remove(&panel.0);
            panel.1.send(why.clone());
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
        let live = state.sessions.get(&session).ok_or(HubError::SessionGone)?;
        if to == AttendeeId::CUSTOMER && live.away.is_some() {
            return Err(HubError::CustomerAway);
        }
        let target = live
            .attendees
            .get(&to)
            .ok_or(HubError::NoSuchAttendee(to))?;
        target
            .peer
            .send(PortalMessage::Signal { from: id, payload });
        Ok(())
    }

    /// The session whose agent is `conn`, when the agent may ask for a relay to `to` (an
    /// attendee there now).
    pub fn relay_session(&self, conn: ConnId, to: AttendeeId) -> Result<u64, HubError> {
        let state = self.lock();
        let Some(Membership::Attendee { session, id }) = state.members.get(&conn).copied() else {
            return Err(HubError::NotInSession);
        };
        if id != AttendeeId::CUSTOMER {
            return Err(HubError::NotAllowed(
                "only the customer's agent asks for a relay",
            ));
        }
        if to == id {
            return Err(HubError::NotAllowed("you cannot signal yourself"));
        }
        let live = state.sessions.get(&session).ok_or(HubError::SessionGone)?;
        if !live.attendees.contains_key(&to) {
            return Err(HubError::NoSuchAttendee(to));
        }
        Ok(session)
    }

    /// The agent reports the customer's consent for `attendee`; the host is told. Returns
    /// the session so the caller can record it.
    pub fn consent(
        &self,
        conn: ConnId,
        attendee: AttendeeId,
        allowed: Rights,
    ) -> Result<Option<u64>, HubError> {
        let mut state = self.lock();
        let Some(Membership::Attendee { session, id }) = state.members.get(&conn).copied() else {
            return Err(HubError::NotInSession);
        };
        if id != AttendeeId::CUSTOMER {
            return Err(HubError::NotAllowed(
                "only the customer's agent reports consent",
            ));
        }
        let Some(live) = state.sessions.get_mut(&session) else {
            return Err(HubError::NotInSession);
        };
        // Only consent about someone present, and only a change, is news: a loop of
        // repeats (or of made-up attendees) costs neither a row nor a forward.
        if !live.attendees.contains_key(&attendee) || live.consents.get(&attendee) == Some(&allowed)
        {
            return Ok(None);
        }
        live.consents.insert(attendee, allowed);
        live.tell_host(PortalMessage::Consent { attendee, allowed });
        Ok(Some(session))
    }
}
