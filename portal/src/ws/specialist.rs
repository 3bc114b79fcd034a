//! External specialists: the host creates and cancels support keys; anyone with a live key
//! joins under a name of their choosing, without an account, and comes back to its own seat
//! with the seat token it got (`hub::seats`). Removing a specialist cancels its key. Joining
//! counts against the same per-address limit as redeeming codes. Keys are logged redacted
//! only; seat tokens never.

use tandem_protocol::signal::{ErrorKind, PortalMessage, SpecialistInvitation};
use tandem_protocol::{Rights, SessionCode};

use super::Conn;
use crate::Limit;
use crate::codes;
use crate::hub::{HubError, KeyJoin, SeatPass};
use crate::invites;
use crate::ratelimit::minutes_text;
use crate::resume::{Issued, ResumeDigest, ResumeSecret};
use crate::storage::{KeyIssue, KeyState, unix_now};

/// Told to a specialist whose key does not exist.
const KEY_UNKNOWN: &str = "this support key is not valid; check the digits or ask the representative for a new invitation";
/// Told to a specialist whose key the host cancelled.
pub(crate) const KEY_CANCELLED: &str = "this invitation was cancelled by the representative";
/// Told to a specialist whose session is over.
pub(crate) const SESSION_OVER: &str = "the session has ended";

impl Conn {
    pub(super) async fn invite_specialist(&self, requested: Rights) {
        let host = match self.app.hub.host_context(self.id) {
            Ok(host) => host,
            Err(e) => return self.hub_error(&e),
        };
        // Keys are checked here, and whoever joins with one is capped again on joining
        // (the policy may change in between).
        let cap = match self.app.hub.host_functions(self.id) {
            Ok(functions) => functions.specialist_cap(),
            Err(e) => return self.hub_error(&e),
        };
        if !cap.contains(Rights::VIEW) {
            return self.error(
                ErrorKind::Unauthorized,
                "the policy does not allow you to invite external specialists",
            );
        }
        // What a key adds by itself (chat) goes when the policy withholds it; what the host
        // asked for (control) is refused with words instead.
        let mut rights = invites::specialist_rights(requested);
        if !cap.contains(Rights::CHAT) {
            rights = rights.without(Rights::CHAT);
        }
        if !cap.contains(rights) {
            return self.error(
                ErrorKind::Unauthorized,
                format!(
                    "the policy does not allow {} for external specialists",
                    rights.without(cap).describe()
                ),
            );
        }
        let session = host.session;
        // Collisions with the few live codes and keys among 10^9 are rare.
        for _ in 0..16 {
            let key = SessionCode::random(&mut rand::rng());
            let now = unix_now();
            let issued = self
                .app
                .storage
                .call(move |b| b.issue_specialist_key(session, key, rights, now))
                .await;
            match issued {
                Ok(KeyIssue::Issued(_)) => {
                    tracing::info!(session, key = %key.redacted(), rights = %rights.describe(), "specialist invited");
                    let detail = format!("support key with {}", rights.describe());
                    let subject = format!("session {session}");
                    self.app
                        .audit(self.actor(), "invite.specialist", &subject, &detail);
                    let join_url = self.app.join_url(key);
                    let email = invites::specialist_email(
                        &host.host,
                        &host.customer,
                        &join_url,
                        key,
                        rights,
                    );
                    return self.reply(PortalMessage::SpecialistInvited(SpecialistInvitation {
                        key,
                        join_url,
                        email,
                        rights,
                    }));
                }
                Ok(KeyIssue::Collision) => continue,
                Err(e) => return self.internal(&e),
            }
        }
        self.error(
            ErrorKind::Internal,
            "could not find a free support key; please try again",
        );
    }

    pub(super) async fn cancel_specialist(&self, key: SessionCode) {
        let session = match self.app.hub.host_context(self.id) {
            Ok(host) => host.session,
            Err(e) => return self.hub_error(&e),
        };
        let now = unix_now();
        match self
            .app
            .storage
            .call(move |b| b.cancel_specialist_key(session, key, now))
            .await
        {
            Ok(Some(_)) => {
                self.app.hub.cancel_key(session, key);
                tracing::info!(session, key = %key.redacted(), "specialist invitation cancelled");
                let subject = format!("session {session}");
                self.app
                    .audit(self.actor(), "invite.specialist.cancel", &subject, "");
                self.reply(PortalMessage::SpecialistInvitationCancelled { key });
            }
            Ok(None) => self.error(
                ErrorKind::CodeUnknown,
                "this session has no specialist invitation with that key",
            ),
            Err(e) => self.internal(&e),
        }
    }

    /// The host removed a specialist: the key it joined with is cancelled on record too (the
    /// hub refuses it already), and the host is told, as if it had cancelled it itself.
    pub(super) async fn cancel_removed_key(&self, session: u64, key: SessionCode) {
        let now = unix_now();
        match self
            .app
            .storage
            .call(move |b| b.cancel_specialist_key(session, key, now))
            .await
        {
            Ok(found) => {
                tracing::info!(session, key = %key.redacted(), "support key cancelled with its specialist's removal");
                if found.is_some() {
                    self.reply(PortalMessage::SpecialistInvitationCancelled { key });
                }
            }
            Err(e) => self.internal(&e),
        }
    }

    /// `JoinAsSpecialist` with the invitation link's token and the seat token of an earlier
    /// join, if any (see `hub::seats`).
    pub(super) async fn join_as_specialist(
        &mut self,
        key: SessionCode,
        name: &str,
        (link_token, seat_token): (Option<&str>, Option<&str>),
    ) {
        if self.app.hub.is_member(self.id) {
            return self.hub_error(&HubError::AlreadyInSession);
        }
        let name = match codes::clean_name(name, "name") {
            Ok(n) => n,
            Err(msg) => return self.error(ErrorKind::BadRequest, msg),
        };
        // A valid link token: the invitation was sent to them; no per-address budget.
        let charged = !self.app.link_token_ok(key, link_token);
        if charged && let Err(wait) = self.app.charge(Limit::Codes, self.ip) {
            tracing::warn!("specialist join refused: too many wrong keys from this address");
            let msg = format!(
                "too many wrong support keys from your address; try again in {}",
                minutes_text(wait)
            );
            return self.error(ErrorKind::RateLimited, msg);
        }
        let found = match self
            .app
            .storage
            .call(move |b| b.find_specialist_key(key))
            .await
        {
            Ok(found) => found,
            Err(e) => {
                if charged {
                    self.app.forgive(Limit::Codes, self.ip);
                }
                return self.internal(&e);
            }
        };
        let record = match found {
            None => {
                tracing::info!(key = %key.redacted(), "specialist join: unknown key");
                return self.error(ErrorKind::CodeUnknown, KEY_UNKNOWN);
            }
            Some(k) if k.session_ended => {
                return self.error(ErrorKind::SessionGone, SESSION_OVER);
            }
            Some(k) if k.state == KeyState::Cancelled => {
                tracing::info!(key = %key.redacted(), "specialist join: cancelled key");
                return self.error(ErrorKind::CodeCancelled, KEY_CANCELLED);
            }
            Some(k) => k,
        };
        if let Err(wait) = self.app.charge(Limit::KeyJoin(key), self.ip) {
            tracing::warn!("specialist join refused: the key was used too often");
            let msg = format!(
                "this support key was used to join too often; try again in {}",
                minutes_text(wait)
            );
            return self.error(ErrorKind::RateLimited, msg);
        }
        let session = record.session_id;
        let pass = match seat_token {
            None => SeatPass::New(Issued::seat(session, &mut rand::rng())),
            // A malformed token names no seat: an empty digest matches none.
            Some(token) => SeatPass::Back(ResumeSecret::parse(token).map_or_else(
                || ResumeDigest::from_bytes(&[]),
                |secret| secret.seat_digest(session),
            )),
        };
        let join = KeyJoin {
            key,
            rights: record.rights,
            pass,
        };
        match self
            .app
            .hub
            .join_specialist(session, self.peer(), &name, join)
        {
            Ok(joined) => {
                if charged {
                    self.app.forgive(Limit::Codes, self.ip);
                }
                self.identify();
                let (attendee, rights) = (joined.id, joined.rights.describe());
                if joined.returned {
                    tracing::info!(session, %attendee, %rights, "specialist back in its seat");
                } else {
                    tracing::info!(session, %attendee, %rights, "specialist joined");
                }
                let detail = format!("'{name}' (the name they gave) with {rights}");
                let subject = format!("session {session}");
                let actor = format!("specialist {attendee}");
                self.app.audit(&actor, "attendee.join", &subject, &detail);
                super::persist(&self.app, session);
            }
            Err(HubError::SessionGone) => self.error(ErrorKind::SessionGone, SESSION_OVER),
            Err(e) => {
                tracing::info!(session, refusal = %e, "specialist join refused");
                self.hub_error(&e);
            }
        }
    }
}
