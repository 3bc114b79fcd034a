//! Representatives' presence and invitations between representatives.
//!
//! A logged-in connection is an [`OnlineRep`]; one account may have several connections
//! (console, one viewer per session), and its portal is the one of its latest login. An
//! invitation names accounts, not connections: every connection of an invited account gets
//! the alert, and any of them that is not in a session yet may accept. The first accept
//! wins; the others are told the invitation was withdrawn.

use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

use tandem_protocol::signal::{
    AttendeeInfo, InviteTarget, PortalMessage, RepInvitation, RepPresence,
};
use tandem_protocol::{AttendeeId, Rights, Role};

use super::{Attendee, ConnId, Hub, HubError, Peer, REMEMBER_ENDED, State, accounts_in};
use crate::invites::quoted;

/// A representative's login, as the hub records it.
#[derive(Debug, Clone)]
pub struct RepLogin {
    /// Account row id.
    pub rep_id: i64,
    /// Account name.
    pub user: String,
    /// Display name.
    pub name: String,
    /// The portal they work on.
    pub portal: String,
}

#[derive(Debug)]
pub(super) struct OnlineRep {
    pub(super) peer: Peer,
    pub(super) rep_id: i64,
    user: String,
    name: String,
    pub(super) portal: String,
    /// Which login this was (higher is later).
    login: u64,
}

/// An `InviteReps` request, already checked for form.
#[derive(Debug, Clone)]
pub struct RepInvite {
    /// Whom.
    pub target: InviteTarget,
    /// Rights on accepting.
    pub rights: Rights,
    /// Hidden from the customer.
    pub masked: bool,
    /// The host's (cleaned) comment.
    pub comment: String,
    /// The inviting representative's account, when its connection is not a login of its
    /// own (a console panel): never invited by its own invitation.
    pub inviter: Option<i64>,
}

/// What [`Hub::invite_reps`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InviteSent {
    /// The new invitation's id.
    pub id: u64,
    /// The session it is for.
    pub session: u64,
    /// How many accounts were invited.
    pub accounts: usize,
}

#[derive(Debug)]
pub(super) struct Invitation {
    session: u64,
    /// Accounts still invited.
    invitees: BTreeSet<i64>,
    rights: Rights,
    masked: bool,
}

/// Why an invitation is no longer open.
#[derive(Debug, Clone, Copy)]
pub(super) enum Closed {
    Accepted { rep_id: i64 },
    Declined,
    Ended,
}

impl Closed {
    fn refusal(self, asking: i64) -> HubError {
        HubError::InvitationGone(match self {
            Closed::Accepted { rep_id } if rep_id == asking => {
                "you already accepted this invitation"
            }
            Closed::Accepted { .. } => "someone else already accepted this invitation",
            Closed::Declined => "this invitation was declined",
            Closed::Ended => "the session has ended",
        })
    }
}

impl State {
    /// One connection per account: the one with the latest login.
    fn latest_logins(&self) -> HashMap<i64, &OnlineRep> {
        let mut latest: HashMap<i64, &OnlineRep> = HashMap::new();
        for rep in self.reps.values() {
            let entry = latest.entry(rep.rep_id).or_insert(rep);
            if rep.login > entry.login {
                *entry = rep;
            }
        }
        latest
    }

    /// Sends `msg` to every connection of the `accounts` except `except`.
    fn tell_accounts(&self, accounts: &BTreeSet<i64>, except: Option<ConnId>, msg: &PortalMessage) {
        for rep in self.reps.values() {
            if accounts.contains(&rep.rep_id) && Some(rep.peer.conn) != except {
                rep.peer.send(msg.clone());
            }
        }
    }

    fn close_invitation(&mut self, id: u64, why: Closed) {
        let now = Instant::now();
        self.closed_invitations
            .retain(|_, (at, _)| now.duration_since(*at) < REMEMBER_ENDED);
        self.closed_invitations.insert(id, (now, why));
    }

    /// The session ended: its open invitations are withdrawn.
    pub(super) fn withdraw_invitations(&mut self, session: u64) {
        let ids: Vec<u64> = self
            .invitations
            .iter()
            .filter(|(_, inv)| inv.session == session)
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Some(inv) = self.invitations.remove(&id) {
                let msg = PortalMessage::InvitationWithdrawn { invitation: id };
                self.tell_accounts(&inv.invitees, None, &msg);
                self.close_invitation(id, Closed::Ended);
            }
        }
    }

    /// The open invitation `id` for the account logged in on `conn`.
    fn invitation_for(&self, conn: ConnId, id: u64) -> Result<(&OnlineRep, &Invitation), HubError> {
        let rep = self
            .reps
            .get(&conn)
            .ok_or(HubError::NotAllowed("log in first"))?;
        let Some(inv) = self.invitations.get(&id) else {
            return Err(match self.closed_invitations.get(&id) {
                Some((_, why)) => why.refusal(rep.rep_id),
                None => HubError::InvitationGone("there is no such invitation"),
            });
        };
        if !inv.invitees.contains(&rep.rep_id) {
            return Err(HubError::InvitationGone(
                "this invitation is not open to you",
            ));
        }
        Ok((rep, inv))
    }
}

impl Hub {
    /// A representative logged in on `peer`'s connection.
    pub fn rep_logged_in(&self, peer: Peer, login: RepLogin) {
        let mut state = self.lock();
        state.logins += 1;
        let rep = OnlineRep {
            peer,
            rep_id: login.rep_id,
            user: login.user,
            name: login.name,
            portal: login.portal,
            login: state.logins,
        };
        state.reps.insert(rep.peer.conn, rep);
    }

    /// Every logged-in representative but the one on `conn`, by account name, with the
    /// number of running sessions each attends as host or invited representative.
    pub fn list_reps(&self, conn: ConnId) -> Vec<RepPresence> {
        let state = self.lock();
        let me = state.reps.get(&conn).map(|r| r.rep_id);
        let mut sessions: HashMap<i64, u32> = HashMap::new();
        for session in state.sessions.values() {
            for account in accounts_in(&state, session) {
                *sessions.entry(account).or_default() += 1;
            }
        }
        let mut reps: Vec<RepPresence> = state
            .latest_logins()
            .into_values()
            .filter(|r| Some(r.rep_id) != me)
            .map(|r| RepPresence {
                user: r.user.clone(),
                name: r.name.clone(),
                portal: r.portal.clone(),
                active_sessions: sessions.get(&r.rep_id).copied().unwrap_or(0),
            })
            .collect();
        reps.sort_by(|a, b| a.user.cmp(&b.user));
        reps
    }

    /// The host on `conn` invites representatives; each connection of each invited
    /// account gets an `Invitation`.
    pub fn invite_reps(&self, conn: ConnId, invite: RepInvite) -> Result<InviteSent, HubError> {
        let mut state = self.lock();
        let session_id = state.hosted_by(conn)?;
        let session = state
            .sessions
            .get(&session_id)
            .ok_or(HubError::SessionGone)?;
        if !session
            .host_functions(&state.policy)
            .contains(crate::policy::Functions::INVITE_REPS)
        {
            return Err(HubError::NotAllowed(
                "the policy does not allow you to invite representatives",
            ));
        }
        let host = invite
            .inviter
            .or_else(|| state.reps.get(&conn).map(|r| r.rep_id));
        let present = accounts_in(&state, session);
        let latest = state.latest_logins();
        let invitees: BTreeSet<i64> = match &invite.target {
            InviteTarget::Rep { user } => {
                let Some(rep) = latest.values().find(|r| &r.user == user) else {
                    return Err(HubError::Refused(format!(
                        "{} is not logged in",
                        quoted(user)
                    )));
                };
                if Some(rep.rep_id) == host {
                    return Err(HubError::NotAllowed("you cannot invite yourself"));
                }
                if present.contains(&rep.rep_id) {
                    return Err(HubError::Refused(format!(
                        "{} is already in this session",
                        quoted(user)
                    )));
                }
                BTreeSet::from([rep.rep_id])
            }
            InviteTarget::Portal { portal } => {
                let all: BTreeSet<i64> = latest
                    .values()
                    .filter(|r| &r.portal == portal && Some(r.rep_id) != host)
                    .filter(|r| !present.contains(&r.rep_id))
                    .map(|r| r.rep_id)
                    .collect();
                if all.is_empty() {
                    return Err(HubError::Refused(format!(
                        "no other representative is logged in on portal {}",
                        quoted(portal)
                    )));
                }
                all
            }
        };
        // The host as the customer was told, whether its viewer or only its console is here.
        let host_name = session.host.name.clone();
        let customer = session.customer.clone();
        state.next_invitation += 1;
        let id = state.next_invitation;
        let alert = PortalMessage::Invitation(RepInvitation {
            id,
            session: session_id,
            host: host_name,
            customer,
            comment: invite.comment,
            rights: invite.rights,
            masked: invite.masked,
        });
        state.tell_accounts(&invitees, None, &alert);
        let sent = InviteSent {
            id,
            session: session_id,
            accounts: invitees.len(),
        };
        state.invitations.insert(
            id,
            Invitation {
                session: session_id,
                invitees,
                rights: invite.rights,
                masked: invite.masked,
            },
        );
        Ok(sent)
    }

    /// The representative on `conn` accepts invitation `id`: it joins the session as an
    /// attendee with the invitation's rights. Returns the session and its attendee id.
    pub fn accept_invitation(&self, conn: ConnId, id: u64) -> Result<(u64, AttendeeId), HubError> {
        let mut state = self.lock();
        let (rep, _) = state.invitation_for(conn, id)?;
        let (rep_id, name, peer) = (rep.rep_id, rep.name.clone(), rep.peer.clone());
        if state.members.contains_key(&conn) {
            return Err(HubError::AlreadyInSession);
        }
        let Some(inv) = state.invitations.get(&id) else {
            return Err(HubError::InvitationGone("there is no such invitation"));
        };
        // An invitation made before the policy withheld inviting is no longer good.
        // (A session gone is said below, as before.)
        let allowed = state.sessions.get(&inv.session).is_none_or(|s| {
            s.host_functions(&state.policy)
                .contains(crate::policy::Functions::INVITE_REPS)
        });
        if !allowed {
            return Err(HubError::InvitationGone(
                "the policy no longer allows this invitation",
            ));
        }
        let Some(inv) = state.invitations.remove(&id) else {
            return Err(HubError::InvitationGone("there is no such invitation"));
        };
        state.close_invitation(id, Closed::Accepted { rep_id });
        let session_id = inv.session;
        let Some(session) = state.sessions.get_mut(&session_id) else {
            return Err(HubError::SessionGone);
        };
        let info = AttendeeInfo {
            id: session.allocate_id(),
            name: name.clone(),
            role: Role::Representative,
            rights: inv.rights,
            masked: inv.masked,
        };
        let you = info.id;
        session.seats.insert(rep_id, info.clone());
        state.attach(session_id, Attendee { peer, info });
        let withdrawn = PortalMessage::InvitationWithdrawn { invitation: id };
        state.tell_accounts(&inv.invitees, Some(conn), &withdrawn);
        if let Some(session) = state.sessions.get(&session_id) {
            session.tell_host(PortalMessage::InvitationAnswered {
                invitation: id,
                by: name,
                accepted: true,
            });
            session.send_rosters();
        }
        Ok((session_id, you))
    }

    /// The representative on `conn` comes back to `session`, where it has a seat (it was
    /// invited and its connection was lost, or the portal restarted): same attendee id,
    /// same rights. Returns its attendee id.
    pub fn return_to_session(&self, conn: ConnId, session_id: u64) -> Result<AttendeeId, HubError> {
        let mut state = self.lock();
        let (rep_id, peer) = state
            .reps
            .get(&conn)
            .map(|r| (r.rep_id, r.peer.clone()))
            .ok_or(HubError::NotAllowed("log in first"))?;
        if state.members.contains_key(&conn) {
            return Err(HubError::AlreadyInSession);
        }
        let session = state
            .sessions
            .get_mut(&session_id)
            .ok_or(HubError::SessionGone)?;
        let info = session
            .seats
            .get(&rep_id)
            .cloned()
            .ok_or(HubError::NotAllowed("you have no place in that session"))?;
        // The old connection may not have been noticed as gone yet: the new one replaces it.
        if let Some(old) = session.attendees.remove(&info.id) {
            state.members.remove(&old.peer.conn);
        }
        let you = info.id;
        state.attach(session_id, Attendee { peer, info });
        state.send_rosters(session_id);
        Ok(you)
    }

    /// The representative on `conn` declines invitation `id`; the host is told. Returns
    /// the session.
    pub fn decline_invitation(&self, conn: ConnId, id: u64) -> Result<u64, HubError> {
        let mut state = self.lock();
        let (rep, inv) = state.invitation_for(conn, id)?;
        let (rep_id, name, session_id) = (rep.rep_id, rep.name.clone(), inv.session);
        let left = match state.invitations.get_mut(&id) {
            Some(inv) => {
                inv.invitees.remove(&rep_id);
                inv.invitees.len()
            }
            None => 0,
        };
        if left == 0 {
            state.invitations.remove(&id);
            state.close_invitation(id, Closed::Declined);
        }
        // The account's other windows drop the alert too.
        let withdrawn = PortalMessage::InvitationWithdrawn { invitation: id };
        state.tell_accounts(&BTreeSet::from([rep_id]), Some(conn), &withdrawn);
        if let Some(session) = state.sessions.get(&session_id) {
            session.tell_host(PortalMessage::InvitationAnswered {
                invitation: id,
                by: name,
                accepted: false,
            });
        }
        Ok(session_id)
    }
}
