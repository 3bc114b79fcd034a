//! Functions by policy in running sessions (the rules: `crate::policy`). The hub holds the
//! policy book and consults it under the same lock as every grant: whoever joins is capped
//! as they join, a host can grant nothing the policy withholds, and a new book takes what
//! it withholds away from everyone at once (the agent gets a `Grant`, so it stops input,
//! pictures or files before the next message).

use tandem_protocol::signal::{AttendeeInfo, PortalMessage};
use tandem_protocol::{AttendeeId, Rights, Role};

use super::{ConnId, Hub, HubError, LiveSession};
use crate::policy::{Functions, PolicyBook, RepId};

/// Whose session it is: the representative whose code the customer redeemed, and the
/// portal the code was made on. The host's functions are this representative's there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    /// The representative's account.
    pub rep: RepId,
    /// The customer portal's name.
    pub portal: String,
}

impl Default for Owner {
    /// An account no policy names, on the default portal (tests).
    fn default() -> Self {
        Owner {
            rep: 0,
            portal: "default".to_owned(),
        }
    }
}

/// An attendee whose rights a new policy narrowed (or, for a host, restored): record it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recapped {
    /// The session.
    pub session: u64,
    /// The attendee.
    pub attendee: AttendeeId,
    /// Their name, for the audit trail.
    pub name: String,
    /// Rights before.
    pub from: Rights,
    /// Rights now.
    pub to: Rights,
}

impl LiveSession {
    /// The functions the host has in this session.
    pub(super) fn host_functions(&self, policy: &PolicyBook) -> Functions {
        policy.in_force(self.owner.rep, &self.owner.portal)
    }

    /// The most `info` may hold here: the host its own policy's rights, an invited
    /// representative theirs (on this session's portal), a specialist what the host may
    /// give specialists. Someone the session cannot place gets nothing.
    fn cap_of(&self, policy: &PolicyBook, info: &AttendeeInfo) -> Rights {
        if info.id == AttendeeId::HOST {
            return self.host_functions(policy).rights_cap();
        }
        match info.role {
            Role::Host => self.host_functions(policy).rights_cap(),
            Role::Specialist => self.host_functions(policy).specialist_cap(),
            Role::Representative => self
                .seats
                .iter()
                .find(|(_, seat)| seat.id == info.id)
                .map_or(Rights::NONE, |(rep, _)| {
                    policy.in_force(*rep, &self.owner.portal).rights_cap()
                }),
            // The customer holds no rights; a role this portal does not know gets none.
            _ => Rights::NONE,
        }
    }

    /// Narrows a joining attendee's rights to its cap, and its seat's with them.
    pub(super) fn cap_joining(&mut self, policy: &PolicyBook, info: &mut AttendeeInfo) {
        if info.id == AttendeeId::CUSTOMER {
            return;
        }
        info.rights = info.rights.intersect(self.cap_of(policy, info));
        self.store_rights(info.id, info.rights);
    }

    /// `rights` become `id`'s in every place the session keeps them.
    pub(super) fn store_rights(&mut self, id: AttendeeId, rights: Rights) {
        if let Some(a) = self.attendees.get_mut(&id) {
            a.info.rights = rights;
        }
        for seat in self.seats.values_mut().filter(|s| s.id == id) {
            seat.rights = rights;
        }
        if let Some(seat) = self.specialist_seats.get_mut(&id) {
            seat.info.rights = rights;
        }
        if id == AttendeeId::HOST {
            self.host.rights = rights;
        }
    }

    /// Refuses `rights` for `info` when the policy withholds any of them, naming what.
    pub(super) fn check_grant(
        &self,
        policy: &PolicyBook,
        info: &AttendeeInfo,
        rights: Rights,
    ) -> Result<(), HubError> {
        let over = rights.without(self.cap_of(policy, info));
        if over == Rights::NONE {
            return Ok(());
        }
        Err(HubError::Refused(format!(
            "the policy does not allow {} for {}",
            over.describe(),
            info.name
        )))
    }

    /// Applies `policy` to everyone here: rights it withholds go, and the host gets back
    /// what it allows again (nobody else does: only their host grants them rights).
    pub(super) fn recap(&mut self, policy: &PolicyBook, session: u64) -> Vec<Recapped> {
        let mut everyone: Vec<AttendeeInfo> = self
            .attendees
            .values()
            .map(|a| a.info.clone())
            .filter(|i| i.id != AttendeeId::CUSTOMER)
            .collect();
        if !everyone.iter().any(|i| i.id == AttendeeId::HOST) {
            everyone.push(self.host.clone());
        }
        let away_reps = self.seats.values().cloned();
        let away_specialists = self.specialist_seats.values().map(|s| s.info.clone());
        for info in away_reps.chain(away_specialists).collect::<Vec<_>>() {
            if !everyone.iter().any(|i| i.id == info.id) {
                everyone.push(info);
            }
        }
        let mut changed = Vec::new();
        for info in everyone {
            let cap = self.cap_of(policy, &info);
            let to = if info.id == AttendeeId::HOST {
                Rights::HOST_DEFAULT.intersect(cap)
            } else {
                info.rights.intersect(cap)
            };
            if to == info.rights {
                continue;
            }
            self.store_rights(info.id, to);
            self.grants += 1;
            let seq = self.grants;
            if self.away.is_some() {
                self.regrant_on_resume.insert(info.id);
            }
            if self.announced.contains(&info.id) || info.id == AttendeeId::HOST {
                self.tell_agent(PortalMessage::Grant {
                    attendee: info.id,
                    rights: to,
                    seq,
                });
            }
            changed.push(Recapped {
                session,
                attendee: info.id,
                name: info.name,
                from: info.rights,
                to,
            });
        }
        if !changed.is_empty() {
            self.send_rosters();
        }
        changed
    }
}

impl Hub {
    /// Puts `book` in force: in every running session, rights it withholds are taken away
    /// at once. Returns whose rights changed.
    pub fn set_policy(&self, book: PolicyBook) -> Vec<Recapped> {
        let mut state = self.lock();
        state.policy = book;
        let super::State {
            sessions, policy, ..
        } = &mut *state;
        let mut changed = Vec::new();
        for (id, session) in sessions.iter_mut() {
            changed.extend(session.recap(policy, *id));
        }
        changed
    }

    /// The functions `rep` has on `portal` under the policy in force.
    pub fn functions_of(&self, rep: RepId, portal: &str) -> Functions {
        self.lock().policy.in_force(rep, portal)
    }

    /// The functions of the host of the session `conn` hosts.
    pub fn host_functions(&self, conn: ConnId) -> Result<Functions, HubError> {
        let state = self.lock();
        let session = state.hosted_by(conn)?;
        let session = state.sessions.get(&session).ok_or(HubError::SessionGone)?;
        Ok(session.host_functions(&state.policy))
    }

    /// Tells every logged-in representative the functions they now have on their portal.
    pub fn tell_functions(&self) {
        let state = self.lock();
        for rep in state.reps.values() {
            let allowed = state.policy.in_force(rep.rep_id, &rep.portal).names();
            rep.peer.send(PortalMessage::Functions { allowed });
        }
    }

    /// The teams as the hub knows them (for the audit trail's names).
    pub fn policy_teams(
        &self,
    ) -> std::collections::BTreeMap<crate::policy::TeamId, crate::policy::Team> {
        self.lock().policy.teams.clone()
    }

    /// Ends `session` for everyone with `reason`: the portal's own decision (a recording
    /// the policy requires did not start, or stopped). `Leave::Ended` to be recorded.
    pub fn end_by_portal(&self, session: u64, reason: &str) -> super::Leave {
        let mut state = self.lock();
        if !state.sessions.contains_key(&session) {
            return super::Leave::Nothing;
        }
        state.end(session, reason, None);
        super::Leave::Ended { session }
    }

    /// The session's agent is away (rebooting, reconnecting): it cannot record meanwhile.
    pub fn is_away(&self, session: u64) -> bool {
        self.lock()
            .sessions
            .get(&session)
            .is_some_and(|s| s.away.is_some())
    }

    /// The session `conn`'s agent is in and its recording terms under the policy in force
    /// now (`None` terms: the session is not to be recorded).
    pub fn agent_recording_terms(
        &self,
        conn: ConnId,
    ) -> Option<(u64, Option<tandem_protocol::signal::RecordingTerms>)> {
        let session = self.agent_session(conn)?;
        let state = self.lock();
        let owner = &state.sessions.get(&session)?.owner;
        let functions = state.policy.in_force(owner.rep, &owner.portal);
        Some((session, functions.recording_terms()))
    }

    /// The session whose customer's agent is on `conn`.
    pub fn agent_session(&self, conn: ConnId) -> Option<u64> {
        match self.lock().members.get(&conn) {
            Some(super::Membership::Attendee { session, id }) if *id == AttendeeId::CUSTOMER => {
                Some(*session)
            }
            _ => None,
        }
    }

    /// The name `id` has (or had, while seated) in `session`.
    pub fn attendee_name(&self, session: u64, id: AttendeeId) -> Option<String> {
        let state = self.lock();
        let s = state.sessions.get(&session)?;
        if let Some(a) = s.attendees.get(&id) {
            return Some(a.info.name.clone());
        }
        if id == AttendeeId::HOST {
            return Some(s.host.name.clone());
        }
        let seated = s.seats.values().find(|seat| seat.id == id);
        seated
            .cloned()
            .or_else(|| s.specialist_seats.get(&id).map(|seat| seat.info.clone()))
            .map(|info| info.name)
    }

    /// Signs every connection of account `rep` out: each is told `why` and closed once that
    /// is sent. Returns how many there were.
    pub fn sign_out(&self, rep: RepId, why: &str) -> usize {
        let mut count = 0;
        // Console panels act as their account's host: they go too.
        let panels = self
            .panel_accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (_, tx) in panels.values().filter(|(owner, _)| *owner == rep) {
            tx.send(PortalMessage::Error {
                kind: tandem_protocol::signal::ErrorKind::Unauthorized,
                message: why.to_owned(),
            });
            tx.kick();
            count += 1;
        }
        drop(panels);
        let state = self.lock();
        for online in state.reps.values().filter(|r| r.rep_id == rep) {
            online.peer.send(PortalMessage::Error {
                kind: tandem_protocol::signal::ErrorKind::Unauthorized,
                message: why.to_owned(),
            });
            online.peer.tx.kick();
            count += 1;
        }
        count
    }

    /// The console panel on `conn` acts for account `rep` (until [`Hub::forget_panel`]).
    pub fn register_panel(&self, conn: ConnId, rep: RepId, tx: super::Outbox) {
        self.panel_accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(conn, (rep, tx));
    }

    /// The connection `conn` is gone (whatever it was).
    pub fn forget_panel(&self, conn: ConnId) {
        self.panel_accounts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&conn);
    }
}
