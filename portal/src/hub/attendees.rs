//! What happens to attendees once a session runs: specialists joining with a key, the host
//! changing rights or removing someone, and chat.

use tandem_protocol::roster::{MAX_SPECIALISTS, chat_reaches, is_representative};
use tandem_protocol::signal::{AttendeeInfo, PortalMessage};
use tandem_protocol::{AttendeeId, Rights, Role};

use super::{Attendee, ConnId, Hub, HubError, Peer};
use crate::invites::clean_chat;

/// What a host needs to know to invite a specialist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostContext {
    /// The session the connection hosts.
    pub session: u64,
    /// The host's display name.
    pub host: String,
    /// The customer's name.
    pub customer: String,
}

/// Told to an attendee the host removed.
pub const REMOVED: &str = "the host removed you from the session";

impl Hub {
    /// The session `conn` hosts, or `NotHost`.
    pub fn host_context(&self, conn: ConnId) -> Result<HostContext, HubError> {
        let state = self.lock();
        let session_id = state.hosted_by(conn)?;
        let session = state
            .sessions
            .get(&session_id)
            .ok_or(HubError::SessionGone)?;
        let host = session
            .attendees
            .get(&AttendeeId::HOST)
            .map(|a| a.info.name.clone())
            .unwrap_or_default();
        Ok(HostContext {
            session: session_id,
            host,
            customer: session.customer.clone(),
        })
    }

    /// An external specialist joins `session` (its key was checked by the caller): it gets
    /// `Joined`, the agent `AttendeeJoined`, everyone a roster. At most
    /// [`MAX_SPECIALISTS`] specialists are in a session at once.
    pub fn join_specialist(
        &self,
        session_id: u64,
        peer: Peer,
        name: &str,
        rights: Rights,
    ) -> Result<AttendeeId, HubError> {
        let mut state = self.lock();
        if state.members.contains_key(&peer.conn) {
            return Err(HubError::AlreadyInSession);
        }
        let session = state
            .sessions
            .get_mut(&session_id)
            .ok_or(HubError::SessionGone)?;
        if session.count(Role::Specialist) >= MAX_SPECIALISTS {
            return Err(HubError::TooManySpecialists);
        }
        let info = AttendeeInfo {
            id: session.allocate_id(),
            name: name.to_owned(),
            role: Role::Specialist,
            rights,
            masked: false,
        };
        let id = info.id;
        state.attach(session_id, Attendee { peer, info });
        state.send_rosters(session_id);
        Ok(id)
    }

    /// The host on `conn` gives `attendee` new rights: the agent gets a `Grant` with the
    /// session's next sequence number, everyone a roster. Returns (session, seq).
    pub fn set_rights(
        &self,
        conn: ConnId,
        attendee: AttendeeId,
        rights: Rights,
    ) -> Result<(u64, u64), HubError> {
        let mut state = self.lock();
        let session_id = state.hosted_by(conn)?;
        if attendee == AttendeeId::CUSTOMER || attendee == AttendeeId::HOST {
            return Err(HubError::NotAllowed(
                "only invited attendees' rights can be changed",
            ));
        }
        let session = state
            .sessions
            .get_mut(&session_id)
            .ok_or(HubError::SessionGone)?;
        let target = session
            .attendees
            .get_mut(&attendee)
            .ok_or(HubError::NoSuchAttendee(attendee))?;
        target.info.rights = rights;
        for seat in session.seats.values_mut().filter(|s| s.id == attendee) {
            seat.rights = rights;
        }
        session.grants += 1;
        let seq = session.grants;
        session.tell_agent(PortalMessage::Grant {
            attendee,
            rights,
            seq,
        });
        session.send_rosters();
        Ok((session_id, seq))
    }

    /// The host on `conn` removes `attendee`: it gets `SessionEnded` and is no longer a
    /// member (its connection stays open), the agent gets `AttendeeLeft`, everyone left a
    /// roster. Returns the session.
    pub fn remove_attendee(&self, conn: ConnId, attendee: AttendeeId) -> Result<u64, HubError> {
        let mut state = self.lock();
        let session_id = state.hosted_by(conn)?;
        if attendee == AttendeeId::CUSTOMER || attendee == AttendeeId::HOST {
            return Err(HubError::NotAllowed(
                "the customer and the host cannot be removed; end the session instead",
            ));
        }
        let session = state
            .sessions
            .get_mut(&session_id)
            .ok_or(HubError::SessionGone)?;
        session.seats.retain(|_, seat| seat.id != attendee);
        let removed = session
            .attendees
            .remove(&attendee)
            .ok_or(HubError::NoSuchAttendee(attendee))?;
        removed.peer.send(PortalMessage::SessionEnded {
            reason: REMOVED.to_owned(),
        });
        session.tell_agent(PortalMessage::AttendeeLeft { attendee });
        session.send_rosters();
        state.members.remove(&removed.peer.conn);
        Ok(session_id)
    }

    /// A chat message from the member on `conn` (the agent included) goes to every member
    /// it reaches under `roster::chat_reaches`, the sender included. A customer's message is
    /// never representatives-only; a specialist may not send representatives-only comments.
    /// Returns (session, sender, whether it was representatives-only).
    pub fn chat(
        &self,
        conn: ConnId,
        text: &str,
        reps_only: bool,
    ) -> Result<(u64, AttendeeId, bool), HubError> {
        let text = clean_chat(text).map_err(HubError::Refused)?;
        let state = self.lock();
        let (session_id, id) = state.attendee_of(conn)?;
        let session = state
            .sessions
            .get(&session_id)
            .ok_or(HubError::SessionGone)?;
        let sender = session
            .attendees
            .get(&id)
            .map(|a| a.info.clone())
            .ok_or(HubError::NotInSession)?;
        let reps_only = match sender.role {
            Role::Customer => false,
            role if is_representative(role) => reps_only,
            _ if reps_only => {
                return Err(HubError::NotAllowed(
                    "only representatives can send representatives-only comments",
                ));
            }
            _ => false,
        };
        for member in session.attendees.values() {
            if chat_reaches(&sender, reps_only, member.info.role) {
                member.peer.send(PortalMessage::Chat {
                    from: id,
                    name: sender.name.clone(),
                    text: text.clone(),
                    reps_only,
                });
            }
        }
        Ok((session_id, id, reps_only))
    }
}
