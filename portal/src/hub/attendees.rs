//! What happens to attendees once a session runs: the host changing rights or removing
//! someone, and chat. Specialists joining with a key: `seats`.

use tandem_protocol::roster::{chat_reaches, is_representative};
use tandem_protocol::signal::{AttendeeInfo, PortalMessage};
use tandem_protocol::{AttendeeId, Rights, Role, SessionCode};

use super::{ConnId, Hub, HubError};
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

/// What [`Hub::remove_attendee`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Removed {
    /// The session.
    pub session: u64,
    /// The key the removed specialist joined with, now cancelled in the hub: record it.
    pub cancelled_key: Option<SessionCode>,
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
        // The host as the customer was told, whether its viewer or only its console is here.
        let host = session.host.name.clone();
        Ok(HostContext {
            session: session_id,
            host,
            customer: session.customer.clone(),
        })
    }

    /// The host on `conn` replaces `attendee`'s whole grant (the older `SetRights`): the
    /// agent gets a `Grant` with the session's next sequence number, everyone a roster.
    /// Returns (session, seq).
    pub fn set_rights(
        &self,
        conn: ConnId,
        attendee: AttendeeId,
        rights: Rights,
    ) -> Result<(u64, u64), HubError> {
        self.regrant(conn, attendee, |_| Ok(rights))
            .map(|(session, seq, _)| (session, seq))
    }

    /// The host on `conn` adds `grant` to and takes `revoke` from `attendee`'s rights
    /// ([`changed_rights`]), applied under the lock to the grant in force, so rights it does
    /// not name are kept. Told like [`Hub::set_rights`]. Returns (session, seq, new rights).
    pub fn change_rights(
        &self,
        conn: ConnId,
        attendee: AttendeeId,
        grant: Rights,
        revoke: Rights,
    ) -> Result<(u64, u64, Rights), HubError> {
        self.regrant(conn, attendee, |current| {
            changed_rights(current, grant, revoke)
        })
    }

    /// The rights `attendee` holds in the session hosted on `conn` (for the audit trail's
    /// "from what": only that host changes them, so they stay so until it does).
    pub fn rights_of(&self, conn: ConnId, attendee: AttendeeId) -> Option<Rights> {
        let state = self.lock();
        let session_id = state.hosted_by(conn).ok()?;
        let session = state.sessions.get(&session_id)?;
        session.attendees.get(&attendee).map(|a| a.info.rights)
    }

    /// Gives `attendee` the rights `new` makes of its current ones: the agent gets a
    /// `Grant` with the session's next sequence number, everyone a roster.
    fn regrant(
        &self,
        conn: ConnId,
        attendee: AttendeeId,
        new: impl FnOnce(Rights) -> Result<Rights, HubError>,
    ) -> Result<(u64, u64, Rights), HubError> {
        let mut state = self.lock();
        let session_id = state.hosted_by(conn)?;
        if attendee == AttendeeId::CUSTOMER || attendee == AttendeeId::HOST {
            return Err(HubError::NotAllowed(
                "only invited attendees' rights can be changed",
            ));
        }
        let super::State {
            sessions, policy, ..
        } = &mut *state;
        let session = sessions.get_mut(&session_id).ok_or(HubError::SessionGone)?;
        let target = session
            .attendees
            .get(&attendee)
            .ok_or(HubError::NoSuchAttendee(attendee))?;
        let rights = new(target.info.rights)?;
        session.check_grant(policy, &target.info, rights)?;
        session.store_rights(attendee, rights);
        session.grants += 1;
        let seq = session.grants;
        session.tell_agent(PortalMessage::Grant {
            attendee,
            rights,
            seq,
        });
        session.send_rosters();
        Ok((session_id, seq, rights))
    }

    /// The host on `conn` removes `attendee`: it gets `SessionEnded` and is no longer a
    /// member (its connection stays open), the agent gets `AttendeeLeft`, everyone left a
    /// roster. Its seat is gone; a specialist's key is cancelled in the hub at once (the
    /// caller records that, see [`Removed`]), so it cannot come back with it, nor can anyone
    /// else (the key may be shared, and nothing tells them apart). A specialist away (its
    /// connection lost) can be removed too: its seat and key go the same way.
    pub fn remove_attendee(&self, conn: ConnId, attendee: AttendeeId) -> Result<Removed, HubError> {
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
        let cancelled_key = session.specialist_seats.remove(&attendee).map(|s| s.key);
        if let Some(key) = cancelled_key {
            session.cancelled_keys.insert(key);
        }
        let removed = match session.attendees.remove(&attendee) {
            Some(removed) => removed,
            None if cancelled_key.is_some() => {
                return Ok(Removed {
                    session: session_id,
                    cancelled_key,
                });
            }
            None => return Err(HubError::NoSuchAttendee(attendee)),
        };
        removed.peer.send(PortalMessage::SessionEnded {
            reason: REMOVED.to_owned(),
        });
        session.tell_agent(PortalMessage::AttendeeLeft { attendee });
        session.send_rosters();
        state.members.remove(&removed.peer.conn);
        Ok(Removed {
            session: session_id,
            cancelled_key,
        })
    }

    /// A chat message from the member on `conn` (the agent included) goes to every member
    /// it reaches under `roster::chat_reaches`, the sender included. Anyone but the customer
    /// needs the CHAT right in force ([`may_chat`]); refused, it reaches nobody. A customer's
    /// message is never representatives-only; a specialist may not send
    /// representatives-only comments.
    /// Returns (session, sender, whether it was representatives-only).
    pub fn chat(&self, conn: ConnId, text: &str, reps_only: bool) -> Result<Chatted, HubError> {
        let text = clean_chat(text).map_err(HubError::Refused)?;
        let state = self.lock();
        // The host's console panel speaks as the host.
        let (session_id, id) = match (state.attendee_of(conn), state.members.get(&conn)) {
            (Ok(member), _) => member,
            (Err(_), Some(super::Membership::Panel { session })) => (*session, AttendeeId::HOST),
            (Err(e), _) => return Err(e),
        };
        let session = state
            .sessions
            .get(&session_id)
            .ok_or(HubError::SessionGone)?;
        let sender = session
            .attendees
            .get(&id)
            .map(|a| a.info.clone())
            .or_else(|| (id == AttendeeId::HOST).then(|| session.host.clone()))
            .ok_or(HubError::NotInSession)?;
        may_chat(&sender)?;
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
        let panels = session.panels.values().map(|p| (p, Role::Host));
        let members = session.attendees.values().map(|m| (&m.peer, m.info.role));
        for (peer, role) in members.chain(panels) {
            if chat_reaches(&sender, reps_only, role) {
                peer.send(PortalMessage::Chat {
                    from: id,
                    name: sender.name.clone(),
                    text: text.clone(),
                    reps_only,
                });
            }
        }
        Ok(Chatted {
            session: session_id,
            from: id,
            name: sender.name,
            text,
            reps_only,
        })
    }
}

/// A chat line the hub relayed, as the attendees got it (for the session's recording).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chatted {
    /// The session.
    pub session: u64,
    /// Who said it.
    pub from: AttendeeId,
    /// Their name, as shown beside it.
    pub name: String,
    /// The text, cleaned.
    pub text: String,
    /// Representatives only.
    pub reps_only: bool,
}

/// Refused chat from an attendee whose grant lacks CHAT.
pub const NO_CHAT_RIGHT: &str =
    "you may not chat in this session: the host has not given you the chat right";

/// Refused `ChangeRights` naming a right on both sides.
pub const GRANT_AND_REVOKE: &str = "a right cannot be granted and taken away at once";

/// May `sender` chat in its session? The customer always may (it is their session); anyone
/// else only while the grant in force includes CHAT, whatever it was when they joined.
pub fn may_chat(sender: &AttendeeInfo) -> Result<(), HubError> {
    if sender.role == Role::Customer || sender.rights.contains(Rights::CHAT) {
        Ok(())
    } else {
        Err(HubError::NotAllowed(NO_CHAT_RIGHT))
    }
}

/// `current` with `grant` added and `revoke` taken away; every right named in neither stays.
/// Nobody controls a screen they cannot see: granting control brings view with it, and
/// taking view away takes control with it. The clipboard goes with control the same way
/// (pasting is typing): granting it brings control, taking control away takes it.
pub fn changed_rights(current: Rights, grant: Rights, revoke: Rights) -> Result<Rights, HubError> {
    if grant.intersect(revoke) != Rights::NONE {
        return Err(HubError::NotAllowed(GRANT_AND_REVOKE));
    }
    let mut rights = current.union(grant);
    if grant.contains(Rights::CLIPBOARD) {
        rights = rights.union(Rights::CONTROL);
    }
    if grant.contains(Rights::CONTROL) || grant.contains(Rights::CLIPBOARD) {
        rights = rights.union(Rights::VIEW);
    }
    rights = rights.without(revoke);
    if !rights.contains(Rights::VIEW) {
        rights = rights.without(Rights::CONTROL);
    }
    if !rights.contains(Rights::CONTROL) {
        rights = rights.without(Rights::CLIPBOARD);
    }
    Ok(rights)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Rights; 5] = [
        Rights::VIEW,
        Rights::CONTROL,
        Rights::CHAT,
        Rights::FILES,
        Rights::REBOOT,
    ];

    fn change(current: Rights, grant: Rights, revoke: Rights) -> Rights {
        changed_rights(current, grant, revoke).expect("no right on both sides")
    }

    #[test]
    fn granting_control_to_a_view_and_chat_specialist_keeps_its_chat() {
        let view_chat = Rights::VIEW.union(Rights::CHAT);
        let granted = change(view_chat, Rights::CONTROL, Rights::NONE);
        assert_eq!(granted, view_chat.union(Rights::CONTROL));
        // and taking control away again leaves view and chat
        assert_eq!(change(granted, Rights::NONE, Rights::CONTROL), view_chat);
    }

    #[test]
    fn a_change_touches_only_the_rights_it_names() {
        // every subset of the five rights as the current grant, every single right added or
        // taken away
        for bits in 0..32u32 {
            let current = Rights::from_wire(bits);
            if current.contains(Rights::CONTROL) && !current.contains(Rights::VIEW) {
                // not a grant a change leaves behind (see `view_and_control_go_together`)
                continue;
            }
            for named in ALL {
                for (grant, revoke) in [(named, Rights::NONE), (Rights::NONE, named)] {
                    let after = change(current, grant, revoke);
                    for other in ALL {
                        // view and control are tied: control needs view
                        let tied = [Rights::VIEW, Rights::CONTROL];
                        if other == named || (tied.contains(&named) && tied.contains(&other)) {
                            continue;
                        }
                        assert_eq!(
                            after.contains(other),
                            current.contains(other),
                            "{current:?} +{grant:?} -{revoke:?}: {other:?} changed"
                        );
                    }
                    assert_eq!(after.contains(named), grant == named, "{current:?}");
                    assert!(
                        !after.contains(Rights::CONTROL) || after.contains(Rights::VIEW),
                        "control without view from {current:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_clipboard_goes_with_control() {
        let vcc = Rights::VIEW.union(Rights::CONTROL).union(Rights::CHAT);
        let with = vcc.union(Rights::CLIPBOARD);
        assert_eq!(
            change(with, Rights::NONE, Rights::CONTROL),
            Rights::VIEW.union(Rights::CHAT)
        );
        assert_eq!(change(with, Rights::NONE, Rights::VIEW), Rights::CHAT);
        assert_eq!(change(with, Rights::NONE, Rights::CLIPBOARD), vcc);
        assert_eq!(change(Rights::CHAT, Rights::CLIPBOARD, Rights::NONE), with);
        // granting control alone does not add the clipboard
        assert_eq!(
            change(
                Rights::VIEW.union(Rights::CHAT),
                Rights::CONTROL,
                Rights::NONE
            ),
            vcc
        );
    }

    #[test]
    fn view_and_control_go_together() {
        // control without view (an old `SetRights`) is dropped by the next change
        assert_eq!(
            change(
                Rights::CONTROL.union(Rights::CHAT),
                Rights::FILES,
                Rights::NONE
            ),
            Rights::CHAT.union(Rights::FILES)
        );
        assert_eq!(
            change(Rights::CHAT, Rights::CONTROL, Rights::NONE),
            Rights::CHAT.union(Rights::VIEW).union(Rights::CONTROL)
        );
        let all = Rights::HOST_DEFAULT;
        assert_eq!(
            change(all, Rights::NONE, Rights::VIEW),
            all.without(Rights::VIEW)
                .without(Rights::CONTROL)
                .without(Rights::CLIPBOARD)
        );
        assert_eq!(
            changed_rights(all, Rights::CHAT, Rights::CHAT),
            Err(HubError::NotAllowed(GRANT_AND_REVOKE))
        );
    }

    #[test]
    fn chat_needs_the_chat_right_except_for_the_customer() {
        let who = |role, rights| AttendeeInfo {
            id: AttendeeId::from_wire(3),
            name: "Sam".into(),
            role,
            rights,
            masked: false,
        };
        for role in [Role::Host, Role::Representative, Role::Specialist] {
            assert_eq!(
                may_chat(&who(role, Rights::VIEW.union(Rights::CONTROL))),
                Err(HubError::NotAllowed(NO_CHAT_RIGHT)),
                "{role:?}"
            );
            assert_eq!(may_chat(&who(role, Rights::CHAT)), Ok(()), "{role:?}");
        }
        assert_eq!(may_chat(&who(Role::Customer, Rights::NONE)), Ok(()));
    }
}
