//! `GET /ws`: one signalling connection (an agent or a representative's viewer/console).
//!
//! Each connection runs one task: it reads JSON [`ClientMessage`]s, answers through its own
//! outbox (the same queue the [`crate::hub`] uses, so replies and relayed events keep their
//! order), pings the peer, and cleans up on close: an agent's session ends (or, with a
//! resume window and a lost connection, waits for the agent to come back), anyone else
//! leaves. Passwords, full codes and keys, resume secrets, SDP and chat text are never
//! logged.
//!
//! - `rep`: login, codes, the host joining its session.
//! - `team`: presence, inviting representatives, rights, removal, chat.
//! - `specialist`: support keys for external specialists and joining with one.
//! - `resume`: the customer's agent coming back, and the timer for when it does not.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use tandem_protocol::SessionCode;
use tandem_protocol::signal::{
    ClientMessage, ErrorKind, ManageRequest, PortalMessage, SIGNAL_VERSION, SignalPayload,
};
use tandem_protocol::{AttendeeId, Rights};

use crate::budget::{self, Budgets};
use crate::codes;
use crate::hub::{self, ConnId, HubError, Leave, Outbox, Peer};
use crate::ratelimit::minutes_text;
use crate::resume::Issued;
use crate::server::ConnHandle;
use crate::storage::{Representative, StorageError, unix_now};
use crate::{App, Limit};

mod account;
mod activity;
mod front;
mod mail;
mod manage;
mod panel;
mod recording;
pub(crate) use recording::end_if_required;
mod rep;
mod resume;
mod socket;
pub(crate) use resume::await_agent;
use socket::shutting_down;
pub(crate) use socket::upgrade;
mod specialist;
pub(crate) use specialist::{KEY_CANCELLED, SESSION_OVER};
mod team;

/// Largest session description passed on. A data-channel SDP with its candidates is 1–3 KiB;
/// the cap keeps what a member can make the portal queue for another small (the outbox
/// bounds messages, this bounds each one).
const MAX_SDP_BYTES: usize = 16 * 1024;
/// Longest user name or password looked at; longer ones are simply wrong.
const MAX_CREDENTIAL_BYTES: usize = 1024;
/// Longest end-of-session reason stored.
const MAX_REASON_CHARS: usize = 200;

const DISCONNECTED: &str = "the customer disconnected";
const SHUTTING_DOWN: &str = "the portal is shutting down";

/// Why a connection's loop stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Closing {
    /// The peer closed, failed or fell silent: an agent may come back.
    Lost,
    /// The portal shuts down: sessions end.
    ShuttingDown,
}

/// One connection's state.
struct Conn {
    app: Arc<App>,
    id: ConnId,
    ip: IpAddr,
    tx: Outbox,
    greeted: bool,
    rep: Option<Representative>,
    /// A console panel's representative (from its ticket): it acts as its session's host
    /// and may store notes, but it is not a login — `require_rep` refuses it.
    panel_rep: Option<Representative>,
    /// The code whose session this panel is on (for `WatchSession`).
    panel_code: Option<SessionCode>,
    /// The customer portal the representative logged in on.
    rep_portal: String,
    /// A customer's page watching a portal stays anonymous (evictable, like any socket that
    /// has proved nothing) but may stay this long instead of the identify deadline.
    watching_until: Option<tokio::time::Instant>,
    /// The connection's admission ticket (absent only when served by another stack).
    handle: Option<ConnHandle>,
    /// Logged in, or in a session: no longer anonymous.
    identified: bool,
    budgets: Budgets,
    /// Set to close the connection after the current message.
    closing: bool,
    /// When a representative's sign-in on this connection runs out.
    signed_in_until: Option<tokio::time::Instant>,
    /// A second factor being set up (`account`): kept only here until confirmed.
    factor_setup: Option<crate::totp::Secret>,
}

impl Conn {
    fn reply(&self, msg: PortalMessage) {
        // A full outbox marks the connection for closing; nothing else to do here.
        let _ = self.tx.send(msg);
    }

    /// The peer proved who it is (logged in, or joined a session).
    fn identify(&mut self) {
        if !self.identified {
            self.identified = true;
            if let Some(h) = &self.handle {
                h.identify();
            }
        }
    }

    fn error(&self, kind: ErrorKind, message: impl Into<String>) {
        self.reply(PortalMessage::Error {
            kind,
            message: message.into(),
        });
    }

    fn internal(&self, err: &StorageError) {
        tracing::error!(error = %err, "storage failure");
        self.error(
            ErrorKind::Internal,
            "something went wrong in the portal; please try again",
        );
    }

    fn peer(&self) -> Peer {
        Peer {
            conn: self.id,
            tx: self.tx.clone(),
        }
    }

    /// The representative acting on this connection: its login, or its panel's ticket.
    fn acting_rep(&self) -> Option<Representative> {
        self.rep.clone().or_else(|| self.panel_rep.clone())
    }

    /// Who this connection acts for, in the audit trail: its representative (or the one whose
    /// console opened this session panel), else "-".
    fn actor(&self) -> &str {
        self.rep
            .as_ref()
            .or(self.panel_rep.as_ref())
            .map_or("-", |r| r.user.as_str())
    }

    /// The logged-in representative, or an `Unauthorized` reply.
    fn require_rep(&self) -> Option<Representative> {
        if self.rep.is_none() {
            self.error(ErrorKind::Unauthorized, "log in first");
        }
        self.rep.clone()
    }

    async fn handle_text(&mut self, text: &str) {
        let msg = match serde_json::from_str::<ClientMessage>(text) {
            Ok(msg) => msg,
            Err(_) => {
                // Garbage costs the same budget as a request (and counts toward closing).
                if !self.budgets.try_take(budget::Kind::Request, Instant::now()) {
                    self.closing = self.budgets.refused >= budget::REFUSALS_BEFORE_CLOSING;
                    return;
                }
                // The text may hold a password or SDP: neither it nor serde's echo is logged.
                tracing::debug!("unparseable message");
                return self.error(
                    ErrorKind::BadRequest,
                    "that is not a message this portal understands",
                );
            }
        };
        let kind = budget::Kind::of(&msg);
        if !self.budgets.try_take(kind, Instant::now()) {
            if kind == budget::Kind::Activity {
                // A record lost, said in the log; the agent has nothing to do about it.
                tracing::warn!("an activity report over budget was dropped");
                return;
            }
            if self.budgets.refused >= budget::REFUSALS_BEFORE_CLOSING {
                tracing::info!("too many messages refused; closing");
                self.closing = true;
            }
            return self.error(
                ErrorKind::RateLimited,
                "too many messages too fast; wait a moment and try again",
            );
        }
        match msg {
            ClientMessage::Hello { version, client } => {
                if self.greeted {
                    return self.error(ErrorKind::BadRequest, "hello was already said");
                }
                self.greeted = true;
                tracing::info!(version, client = ?client.chars().take(80).collect::<String>(), "hello");
                self.reply(PortalMessage::Welcome {
                    version: SIGNAL_VERSION,
                });
            }
            _ if !self.greeted => self.error(ErrorKind::BadRequest, "send hello first"),
            ClientMessage::Login {
                user,
                password,
                portal,
                otp,
            } => {
                self.login(user, password, portal.as_deref(), otp.as_deref())
                    .await;
            }
            ClientMessage::ListReps => self.list_reps(),
            ClientMessage::Manage(
                request @ (ManageRequest::SecondFactorSetup
                | ManageRequest::SecondFactorOn { .. }
                | ManageRequest::SecondFactorOff { .. }),
            ) => self.own_second_factor(request).await,
            ClientMessage::Manage(request) => self.manage(request).await,
            ClientMessage::Activity(activity) => self.activity(&activity),
            ClientMessage::Recording { allowed } => self.recording_answer(allowed).await,
            ClientMessage::InviteReps {
                target,
                rights,
                masked,
                comment,
            } => self.invite_reps(target, rights, masked, &comment),
            ClientMessage::AcceptInvitation { invitation } => self.accept_invitation(invitation),
            ClientMessage::ReturnToSession { session } => self.return_to_session(session),
            ClientMessage::DeclineInvitation { invitation } => {
                self.decline_invitation(invitation);
            }
            ClientMessage::InviteSpecialist { rights } => self.invite_specialist(rights).await,
            ClientMessage::CancelSpecialistInvitation { key } => self.cancel_specialist(key).await,
            ClientMessage::JoinAsSpecialist {
                key,
                name,
                link_token,
                seat_token,
            } => {
                let tokens = (link_token.as_deref(), seat_token.as_deref());
                self.join_as_specialist(key, &name, tokens).await;
            }
            ClientMessage::SetRights { attendee, rights } => self.set_rights(attendee, rights),
            ClientMessage::ChangeRights {
                attendee,
                grant,
                revoke,
            } => self.change_rights(attendee, grant, revoke),
            ClientMessage::RemoveAttendee { attendee } => self.remove_attendee(attendee).await,
            ClientMessage::Chat { text, reps_only } => self.chat(&text, reps_only),
            ClientMessage::CreateCode { customer, portal } => {
                self.create_code(&customer, portal.as_deref()).await;
            }
            ClientMessage::ListCodes => self.list_codes().await,
            ClientMessage::CancelCode { code } => self.cancel_code(code).await,
            ClientMessage::JoinSession { code } => self.join_session(code).await,
            ClientMessage::Redeem {
                code,
                customer,
                link_token,
            } => self.redeem(code, &customer, link_token.as_deref()).await,
            ClientMessage::Resume { session, secret } => self.resume(session, &secret).await,
            ClientMessage::Signal {
                to,
                payload: SignalPayload::RelayRequest,
            } => self.request_relay(to),
            ClientMessage::Signal {
                payload: SignalPayload::Relay { .. },
                ..
            } => self.error(ErrorKind::BadRequest, "relay tokens come from the portal"),
            ClientMessage::Signal { to, payload } => self.signal(to, payload),
            ClientMessage::Consent { attendee, allowed } => self.consent(attendee, allowed).await,
            ClientMessage::EndSession { reason } => self.end_session(&reason).await,
            ClientMessage::OpenPortal { portal } => self.open_portal(&portal).await,
            ClientMessage::RequestHelp {
                portal,
                customer,
                question,
                fields,
                rep,
            } => {
                let form = front::HelpForm {
                    portal,
                    customer,
                    question,
                    fields,
                    rep,
                };
                self.request_help(form).await;
            }
            ClientMessage::WithdrawRequest { request } => self.withdraw_request(request),
            ClientMessage::WebChat { request, text } => self.web_chat(request, &text).await,
            ClientMessage::SetAccepting { accepting } => self.set_accepting(accepting).await,
            ClientMessage::AcceptRequest { request } => self.accept_request(request).await,
            ClientMessage::EscalateRequest { request } => self.escalate_request(request).await,
            ClientMessage::CloseRequest {
                request,
                notes,
                outcome,
            } => self.close_request(request, &notes, outcome).await,
            ClientMessage::SaveNotes {
                session,
                notes,
                outcome,
            } => self.save_notes(session, &notes, outcome).await,
            ClientMessage::PanelTicket { code } => self.panel_ticket(code).await,
            ClientMessage::OpenSessionPanel { ticket } => self.open_session_panel(&ticket).await,
            ClientMessage::WatchSession => self.watch_session().await,
            ClientMessage::EmailCode { code, to, language } => {
                self.email_code(code, &to, language.as_deref()).await;
            }
            _ => self.error(
                ErrorKind::BadRequest,
                "this portal does not handle that message",
            ),
        }
    }

    fn hub_error(&self, e: &HubError) {
        self.error(e.kind(), e.to_string());
    }

    async fn redeem(&mut self, code: SessionCode, customer: &str, link_token: Option<&str>) {
        if self.rep.is_some() {
            return self.error(
                ErrorKind::BadRequest,
                "a representative cannot redeem codes",
            );
        }
        if self.app.hub.is_member(self.id) {
            return self.hub_error(&HubError::AlreadyInSession);
        }
        // Agents report whoever is logged in; when they cannot tell, the customer is unnamed.
        let customer = if customer.trim().is_empty() {
            "the customer"
        } else {
            customer
        };
        let customer = match codes::clean_name(customer, "customer name") {
            Ok(c) => c,
            Err(msg) => return self.error(ErrorKind::BadRequest, msg),
        };
        // A valid link token proves the link was sent to this customer: no per-address
        // budget then (see `linktoken`). Typed codes are charged as always.
        let charged = !self.app.link_token_ok(code, link_token);
        if charged && let Err(wait) = self.app.charge(Limit::Codes, self.ip) {
            tracing::warn!("redeem refused: too many wrong codes from this address");
            let msg = format!(
                "too many wrong codes from your address; try again in {}",
                minutes_text(wait)
            );
            return self.error(ErrorKind::RateLimited, msg);
        }
        let ip = self.ip;
        let forgive = move |app: &App| {
            if charged {
                app.forgive(Limit::Codes, ip);
            }
        };
        let now = unix_now();
        let who = customer.clone();
        match self
            .app
            .storage
            .call(move |b| b.redeem_code(code, &who, now))
            .await
        {
            Ok(Ok(redemption)) => {
                forgive(&self.app);
                let session = redemption.session_id;
                tracing::info!(session, by_link = !charged, "code redeemed");
                let detail = format!("code #{} redeemed by {customer}", redemption.code.id);
                self.app.audit(
                    "customer",
                    "session.start",
                    &format!("session {session}"),
                    &detail,
                );
                // A help request waiting for its customer app sees it arrive.
                self.app
                    .desk
                    .code_redeemed(redemption.code.id, session, Instant::now());
                let host = hub::host_info(&redemption.code.rep_name);
                let resume = Issued::generate(session, &mut rand::rng());
                let owner = hub::Owner {
                    rep: redemption.code.rep_id,
                    portal: redemption.code.portal.clone(),
                };
                let opened = self.app.hub.open_session(
                    session,
                    redemption.code.id,
                    owner,
                    self.peer(),
                    &customer,
                    host,
                    resume,
                );
                match opened {
                    Ok(()) => {
                        self.identify();
                        persist(&self.app, session);
                        let terms = self.app.hub.agent_recording_terms(self.id);
                        let terms = terms.and_then(|(_, terms)| terms);
                        self.app.recordings.set_terms(session, terms);
                    }
                    Err(e) => self.hub_error(&e),
                }
            }
            Ok(Err(refusal)) => {
                tracing::info!(code = %code.redacted(), ?refusal, "redeem refused");
                self.error(refusal.kind(), refusal.to_string());
            }
            Err(e) => {
                forgive(&self.app);
                self.internal(&e);
            }
        }
    }

    fn signal(&self, to: AttendeeId, payload: SignalPayload) {
        if let SignalPayload::Offer { sdp } | SignalPayload::Answer { sdp } = &payload
            && sdp.len() > MAX_SDP_BYTES
        {
            return self.error(
                ErrorKind::BadRequest,
                format!("a session description may have at most {MAX_SDP_BYTES} bytes"),
            );
        }
        if let Err(e) = self.app.hub.signal(self.id, to, payload) {
            self.hub_error(&e);
        }
    }

    /// No direct path between the agent and `to`: both get a token for the relay, each
    /// over its own connection.
    fn request_relay(&self, to: AttendeeId) {
        let session = match self.app.hub.relay_session(self.id, to) {
            Ok(session) => session,
            Err(e) => return self.hub_error(&e),
        };
        let tokens = match self.app.relays.open(session, Instant::now()) {
            Ok(tokens) => tokens,
            Err(e) => return self.error(ErrorKind::RateLimited, e.to_string()),
        };
        let to_attendee = SignalPayload::Relay {
            token: tokens.1.clone(),
        };
        if let Err(e) = self.app.hub.signal(self.id, to, to_attendee) {
            self.app.relays.cancel(&tokens);
            return self.hub_error(&e);
        }
        tracing::info!(session, %to, "no direct path: relaying through the portal");
        self.reply(PortalMessage::Signal {
            from: to,
            payload: SignalPayload::Relay {
                token: tokens.0.clone(),
            },
        });
    }

    async fn consent(&self, attendee: AttendeeId, allowed: Rights) {
        let session = match self.app.hub.consent(self.id, attendee, allowed) {
            Ok(Some(session)) => session,
            Ok(None) => return,
            Err(e) => return self.hub_error(&e),
        };
        tracing::info!(session, %attendee, allowed = %allowed.describe(), "customer consent");
        self.watch_required_recording(session);
        let now = unix_now();
        let recorded = self
            .app
            .storage
            .call(move |b| b.record_consent(session, attendee, allowed, now))
            .await;
        if let Err(e) = recorded {
            self.internal(&e);
        }
    }

    async fn end_session(&self, reason: &str) {
        let reason = clean_reason(reason);
        match self.app.hub.end_session(self.id, &reason) {
            Ok(leave) => self.record(leave, reason).await,
            Err(e) => self.hub_error(&e),
        }
    }

    /// Stores the end of a session the hub reports as ended; starts the wait for an agent
    /// whose session the hub suspended.
    async fn record(&self, leave: Leave, reason: String) {
        match leave {
            Leave::Ended { session } => record_end(&self.app, session, reason).await,
            Leave::Suspended {
                session,
                token,
                until,
            } => {
                tracing::info!(
                    session,
                    "the customer's machine disconnected; waiting for it"
                );
                persist(&self.app, session);
                resume::await_agent(Arc::clone(&self.app), session, token, until);
            }
            Leave::Left { session } => {
                tracing::info!(session, "attendee left");
                let who = self.actor();
                self.app
                    .audit(who, "attendee.leave", &format!("session {session}"), "");
                persist(&self.app, session);
            }
            Leave::StoppedWaiting | Leave::Nothing => {}
        }
    }

    async fn finish(&self, closing: Closing) {
        self.app.hub.forget_panel(self.id);
        // The front desk first: a customer who closed the page leaves every List View at
        // once, whatever happens to sessions below.
        self.leave_desk();
        if closing == Closing::ShuttingDown && !self.app.config.resume_window.is_zero() {
            // Sessions outlive the process: `run` stores them suspended, and the next
            // portal on this database brings them back.
            return;
        }
        let (leave, reason) = match closing {
            Closing::Lost => (
                self.app.hub.connection_lost(self.id, DISCONNECTED),
                DISCONNECTED,
            ),
            Closing::ShuttingDown => (
                self.app.hub.disconnect(self.id, SHUTTING_DOWN),
                SHUTTING_DOWN,
            ),
        };
        self.record(leave, reason.to_owned()).await;
    }
}

/// Stores what `session` needs to survive a restart (only with a resume window). The hub is
/// read inside the storage call, and storage calls run one at a time, so the last write
/// holds the newest state.
pub(crate) fn persist(app: &App, session: u64) {
    if app.config.resume_window.is_zero() {
        return;
    }
    let hub = Arc::clone(&app.hub);
    let storage = app.storage.clone();
    tokio::spawn(async move {
        let saved = storage
            .call(move |b| match hub.snapshot(session) {
                Some(state) => b.save_live(&state, unix_now()),
                None => Ok(()),
            })
            .await;
        if let Err(e) = saved {
            tracing::error!(session, error = %e, "could not store a running session");
        }
    });
}

/// Stores the end of `session`.
async fn record_end(app: &App, session: u64, reason: String) {
    tracing::info!(session, reason = ?reason, "session ended");
    app.audit("-", "session.end", &format!("session {session}"), &reason);
    app.desk.session_over(session, Instant::now());
    app.recordings.forget(session);
    let now = unix_now();
    let stored = app
        .storage
        .call(move |b| b.end_session(session, &reason, now));
    if let Err(e) = stored.await {
        tracing::error!(session, error = %e, "could not record the end of a session");
    }
}

fn clean_reason(reason: &str) -> String {
    let cleaned: String = reason
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_REASON_CHARS)
        .collect();
    if cleaned.is_empty() {
        "the session was ended".to_owned()
    } else {
        cleaned
    }
}
