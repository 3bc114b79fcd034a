//! Requests about the people in a session: who is logged in, inviting representatives,
//! answering invitations, rights, removal and chat. Chat text is never logged.

use tandem_protocol::AttendeeId;
use tandem_protocol::Rights;
use tandem_protocol::signal::{ErrorKind, InviteTarget, PortalMessage};

use super::Conn;
use crate::hub::RepInvite;
use crate::invites;

impl Conn {
    pub(super) fn list_reps(&self) {
        let Some(me) = self.acting_rep() else {
            return self.error(ErrorKind::Unauthorized, "log in first");
        };
        let mut reps = self.app.hub.list_reps(self.id);
        // A console panel is not a login of its own: leave its representative out too.
        reps.retain(|r| r.user != me.user);
        self.reply(PortalMessage::Reps { reps });
    }

    pub(super) fn invite_reps(
        &self,
        target: InviteTarget,
        rights: Rights,
        masked: bool,
        comment: &str,
    ) {
        let comment = match invites::clean_comment(comment) {
            Ok(c) => c,
            Err(msg) => return self.error(ErrorKind::BadRequest, msg),
        };
        let me = self.acting_rep();
        if let (InviteTarget::Rep { user }, Some(me)) = (&target, &me)
            && user == &me.user
        {
            return self.error(ErrorKind::BadRequest, "you cannot invite yourself");
        }
        let invite = RepInvite {
            target,
            rights,
            masked,
            comment,
            inviter: self.panel_rep.as_ref().map(|r| r.id),
        };
        match self.app.hub.invite_reps(self.id, invite) {
            Ok(sent) => {
                tracing::info!(
                    session = sent.session,
                    invitation = sent.id,
                    accounts = sent.accounts,
                    rights = %rights.describe(),
                    masked,
                    "representatives invited"
                );
                let detail = format!(
                    "invitation {} to {} account(s) with {}{}",
                    sent.id,
                    sent.accounts,
                    rights.describe(),
                    if masked { ", masked" } else { "" }
                );
                let subject = format!("session {}", sent.session);
                self.app
                    .audit(self.actor(), "invite.rep", &subject, &detail);
            }
            Err(e) => self.hub_error(&e),
        }
    }

    pub(super) fn accept_invitation(&self, invitation: u64) {
        if self.require_rep().is_none() {
            return;
        }
        match self.app.hub.accept_invitation(self.id, invitation) {
            Ok((session, you)) => {
                tracing::info!(session, invitation, attendee = %you, "invitation accepted");
                let detail = format!("invitation {invitation}, as attendee {you}");
                let subject = format!("session {session}");
                self.app
                    .audit(self.actor(), "attendee.join", &subject, &detail);
                super::persist(&self.app, session);
            }
            Err(e) => self.hub_error(&e),
        }
    }

    pub(super) fn return_to_session(&self, session: u64) {
        if self.require_rep().is_none() {
            return;
        }
        match self.app.hub.return_to_session(self.id, session) {
            Ok(you) => {
                tracing::info!(session, attendee = %you, "representative returned to its seat");
                super::persist(&self.app, session);
            }
            Err(e) => self.hub_error(&e),
        }
    }

    pub(super) fn decline_invitation(&self, invitation: u64) {
        if self.require_rep().is_none() {
            return;
        }
        match self.app.hub.decline_invitation(self.id, invitation) {
            Ok(session) => tracing::info!(session, invitation, "invitation declined"),
            Err(e) => self.hub_error(&e),
        }
    }

    /// Records a rights change by this connection's representative.
    fn audit_rights(
        &self,
        session: u64,
        attendee: AttendeeId,
        before: Option<Rights>,
        detail: &str,
    ) {
        let who = self.actor();
        let subject = format!("session {session} attendee {attendee}");
        let from = before.map_or_else(|| "?".to_owned(), |r| r.describe());
        let detail = format!("from {from}: {detail}");
        self.app.audit(who, "rights.change", &subject, &detail);
    }

    pub(super) fn set_rights(&self, attendee: AttendeeId, rights: Rights) {
        let before = self.app.hub.rights_of(self.id, attendee);
        match self.app.hub.set_rights(self.id, attendee, rights) {
            Ok((session, seq)) => {
                tracing::info!(session, %attendee, rights = %rights.describe(), seq, "rights changed");
                let detail = format!("set to {}", rights.describe());
                self.audit_rights(session, attendee, before, &detail);
                super::persist(&self.app, session);
            }
            Err(e) => self.hub_error(&e),
        }
    }

    pub(super) fn change_rights(&self, attendee: AttendeeId, grant: Rights, revoke: Rights) {
        let before = self.app.hub.rights_of(self.id, attendee);
        match self.app.hub.change_rights(self.id, attendee, grant, revoke) {
            Ok((session, seq, rights)) => {
                tracing::info!(session, %attendee, rights = %rights.describe(), seq, "rights changed");
                let detail = format!(
                    "granted {}, revoked {}: now {}",
                    grant.describe(),
                    revoke.describe(),
                    rights.describe()
                );
                self.audit_rights(session, attendee, before, &detail);
                super::persist(&self.app, session);
            }
            Err(e) => self.hub_error(&e),
        }
    }

    pub(super) async fn remove_attendee(&self, attendee: AttendeeId) {
        match self.app.hub.remove_attendee(self.id, attendee) {
            Ok(removed) => {
                let session = removed.session;
                tracing::info!(session, %attendee, "attendee removed by the host");
                let who = self.actor();
                let subject = format!("session {session} attendee {attendee}");
                self.app.audit(who, "attendee.remove", &subject, "");
                super::persist(&self.app, session);
                if let Some(key) = removed.cancelled_key {
                    self.cancel_removed_key(session, key).await;
                }
            }
            Err(e) => self.hub_error(&e),
        }
    }

    pub(super) fn chat(&self, text: &str, reps_only: bool) {
        // Line breaks, escapes and direction overrides could make a message pass for the
        // customer app's own words: refused whole, here and again on the customer's side.
        if let Err(e) = tandem_protocol::chat::check_chat_text(text) {
            return self.error(ErrorKind::BadRequest, e.to_string());
        }
        match self.app.hub.chat(self.id, text, reps_only) {
            // Who said something, never what.
            Ok(said) => {
                let (session, from) = (said.session, said.from);
                tracing::debug!(session, %from, reps_only = said.reps_only, "chat message relayed");
                let recordings = &self.app.recordings;
                recordings.chat(session, &said.name, &said.text, said.reps_only);
            }
            Err(e) => self.hub_error(&e),
        }
    }
}
