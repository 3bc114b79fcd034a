//! Requests of the front of house: customers' portal pages and help requests, Web Chat, and
//! the representatives' List View (accept, escalate, close, notes). The rules are in
//! [`crate::front`] and [`crate::routing`]; this file checks input, charges budgets and does
//! the database work.

use std::time::Instant;

use tandem_protocol::chat::check_chat_text;
use tandem_protocol::front_desk::{ChatStart, Outcome, PortalMode};
use tandem_protocol::signal::{ErrorKind, PortalMessage};

use super::Conn;
use crate::Limit;
pub(super) use crate::front::form::HelpForm;
use crate::front::{Submission, SubmitError, form};
use crate::ratelimit::minutes_text;
use crate::routing::{AcceptError, Refusal};
use crate::storage::{NewHelpRequest, PortalRecord, RequestEnd, StorageError, unix_now};

/// How long a customer's page may watch a portal before asking for help (it reloads after).
const WATCH_FOR: std::time::Duration = std::time::Duration::from_secs(30 * 60);
/// Longest end-of-session notes, in characters.
const MAX_NOTES_CHARS: usize = 4000;
/// Words for a customer when nobody can take their request.
const NOBODY: &str = "No one is available to help right now. Please try again later.";
const CLOSED: &str = "This support portal is closed right now.";
const GONE: &str = "This request is no longer waiting.";

impl Conn {
    /// The stored portal `name` (the default portal when none is stored under that name).
    pub(super) async fn load_portal(
        &self,
        name: &str,
    ) -> Result<Option<PortalRecord>, StorageError> {
        let wanted = name.to_owned();
        let stored = self.app.storage.call(move |b| b.portal(&wanted)).await?;
        Ok(stored.or_else(|| (name == "default").then(PortalRecord::default_portal)))
    }

    /// `OpenPortal`: a customer's page shows a portal and follows its changes.
    pub(super) async fn open_portal(&mut self, name: &str) {
        if self.watching_until.is_some() {
            return self.error(ErrorKind::BadRequest, "this page shows a portal already");
        }
        if self.rep.is_some() || self.app.hub.is_member(self.id) {
            return self.error(
                ErrorKind::BadRequest,
                "only a customer's page opens a portal",
            );
        }
        if name.len() > 64 {
            return self.error(ErrorKind::PortalUnknown, "there is no such support portal");
        }
        match self.load_portal(name).await {
            Ok(Some(portal)) => {
                // A page showing a portal has proved nothing yet: it stays anonymous (so a
                // flood of them is evicted first, and the per-address cap holds), but may
                // watch for a while before asking; asking for help identifies it.
                self.watching_until = Some(tokio::time::Instant::now() + WATCH_FOR);
                self.app
                    .desk
                    .open_portal(self.id, self.tx.clone(), portal, Instant::now());
            }
            Ok(None) => self.error(ErrorKind::PortalUnknown, "there is no such support portal"),
            Err(e) => self.internal(&e),
        }
    }

    /// `RequestHelp`: a customer asks for help without a code.
    pub(super) async fn request_help(&mut self, help: HelpForm) {
        if self.rep.is_some() || self.app.hub.is_member(self.id) {
            return self.error(
                ErrorKind::BadRequest,
                "only a customer's page asks for help",
            );
        }
        let portal = match self.load_portal(&help.portal).await {
            Ok(Some(p)) => p,
            Ok(None) => {
                return self.error(ErrorKind::PortalUnknown, "there is no such support portal");
            }
            Err(e) => return self.internal(&e),
        };
        if !portal.open {
            return self.error(ErrorKind::NobodyAvailable, CLOSED);
        }
        if portal.mode == PortalMode::SmartPin {
            return self.error(
                ErrorKind::BadRequest,
                "this portal starts sessions with a code from your representative",
            );
        }
        let checked = match form::check(&portal, &help) {
            Ok(c) => c,
            Err(why) => return self.error(ErrorKind::BadRequest, why),
        };
        // Every request alerts people: they are charged whatever happens to them.
        if let Err(wait) = self.app.charge(Limit::HelpRequests, self.ip) {
            let msg = format!(
                "too many requests from your address; please try again in {}",
                minutes_text(wait)
            );
            return self.error(ErrorKind::RateLimited, msg);
        }
        self.identify();
        // The row first, so everything the request goes through is recorded with it.
        let record = NewHelpRequest {
            portal: portal.name.clone(),
            customer: checked.customer.clone(),
            question: checked.question.clone(),
            fields: checked.fields.clone(),
        };
        let at = unix_now();
        let db_id = match self
            .app
            .storage
            .call(move |b| b.open_request(&record, at))
            .await
        {
            Ok(id) => id,
            Err(e) => return self.internal(&e),
        };
        let sub = Submission {
            portal,
            form: checked,
            rep: help.rep,
            db_id,
        };
        let refusal = match self
            .app
            .desk
            .submit(self.id, self.tx.clone(), sub, Instant::now())
        {
            Ok(request) => {
                tracing::info!(request, "help requested");
                return;
            }
            Err(SubmitError::AlreadyWaiting) => {
                (ErrorKind::BadRequest, "You have asked for help already.")
            }
            Err(SubmitError::Refused(Refusal::NobodyAvailable)) => {
                (ErrorKind::NobodyAvailable, NOBODY)
            }
            Err(SubmitError::Refused(Refusal::RepNotAvailable)) => (
                ErrorKind::NobodyAvailable,
                "That representative is no longer available. Please choose another.",
            ),
            Err(SubmitError::Refused(Refusal::QueueFull)) => (
                ErrorKind::QueueFull,
                "Too many customers are waiting right now. Please try again in a few minutes.",
            ),
        };
        self.end_request(db_id, refusal.1, "", None).await;
        self.error(refusal.0, refusal.1);
    }

    /// `WithdrawRequest` (the row is recorded by the desk's timer task).
    pub(super) fn withdraw_request(&self, request: u64) {
        if !self.app.desk.withdraw(self.id, request, Instant::now()) {
            self.error(ErrorKind::RequestGone, GONE);
        }
    }

    /// Called when the connection closes.
    pub(super) fn leave_desk(&self) {
        self.app.desk.conn_closed(self.id, Instant::now());
    }

    async fn end_request(&self, db_id: i64, reason: &str, notes: &str, outcome: Option<Outcome>) {
        let end = RequestEnd {
            reason: reason.to_owned(),
            notes: notes.to_owned(),
            outcome,
        };
        let at = unix_now();
        if let Err(e) = self
            .app
            .storage
            .call(move |b| b.end_request(db_id, &end, at))
            .await
        {
            tracing::error!(error = %e, "could not record the end of a help request");
        }
    }

    /// `WebChat` from the customer's page or the representative's console.
    pub(super) async fn web_chat(&self, request: u64, text: &str) {
        if let Err(why) = check_chat_text(text) {
            return self.error(ErrorKind::BadRequest, why.to_string());
        }
        let Some(line) = self.app.desk.chat(self.id, request, text, Instant::now()) else {
            return self.error(ErrorKind::RequestGone, "this chat is not open");
        };
        if let Some(db_id) = line.db_id {
            let (text, at) = (text.to_owned(), unix_now());
            let stored = self
                .app
                .storage
                .call(move |b| b.web_chat_line(db_id, line.from_customer, &line.name, &text, at))
                .await;
            if let Err(e) = stored {
                tracing::error!(error = %e, "could not store a chat line");
            }
        }
    }

    /// `SetAccepting`: the console joins the desk (and takes queue requests or not).
    pub(super) async fn set_accepting(&self, accepting: bool) {
        let Some(rep) = self.require_rep() else {
            return;
        };
        let portal = if self.rep_portal.is_empty() {
            "default"
        } else {
            &self.rep_portal
        };
        // The portal's record tells the List View whether it has a queue to show.
        let record = match self.load_portal(portal).await {
            Ok(Some(r)) => r,
            // A typo would leave the representative waiting where no customer asks.
            Ok(None) => {
                return self.error(
                    ErrorKind::PortalUnknown,
                    format!("there is no customer portal named '{portal}'; log in on another"),
                );
            }
            Err(e) => return self.internal(&e),
        };
        self.app.desk.set_accepting(
            &rep,
            portal,
            Some(record),
            self.id,
            self.tx.clone(),
            accepting,
            Instant::now(),
        );
    }

    /// `AcceptRequest`: first accept wins.
    pub(super) async fn accept_request(&self, request: u64) {
        let Some(rep) = self.require_rep() else {
            return;
        };
        let taken = self
            .app
            .desk
            .accept(rep.id, self.id, self.tx.clone(), request, Instant::now());
        let accepted = match taken {
            Ok(a) => a,
            Err(AcceptError::AlreadyTaken) => {
                return self.error(
                    ErrorKind::RequestGone,
                    "another representative took this request",
                );
            }
            Err(AcceptError::NotOffered | AcceptError::Unknown) => {
                return self.error(ErrorKind::RequestGone, GONE);
            }
        };
        tracing::info!(request, "help request accepted");
        if let Some(db_id) = accepted.db_id {
            let (rep_id, at) = (rep.id, unix_now());
            if let Err(e) = self
                .app
                .storage
                .call(move |b| b.request_accepted(db_id, rep_id, at))
                .await
            {
                tracing::error!(error = %e, "could not record an accept");
            }
        }
        if accepted.chat_start == ChatStart::Download {
            self.escalate_request(request).await;
        }
    }

    /// `EscalateRequest`: the customer app is needed; the request gets a code (its record
    /// links to the session the code starts).
    pub(super) async fn escalate_request(&self, request: u64) {
        let Some(rep) = self.require_rep() else {
            return;
        };
        let Some(accepted) = self.app.desk.taken_by(self.id, request) else {
            return self.error(ErrorKind::RequestGone, GONE);
        };
        if let Some(code) = self.app.desk.code_of(request) {
            // A code that expired unused is replaced; a live one stays.
            let now = unix_now();
            match self.app.storage.call(move |b| b.find_code(code, now)).await {
                Ok(Some(r))
                    if matches!(
                        crate::codes::status(r.state, r.expires_at, now),
                        crate::codes::CodeStatus::Active { .. }
                            | crate::codes::CodeStatus::Redeemed
                    ) =>
                {
                    return self.error(
                        ErrorKind::BadRequest,
                        "the customer app is already requested",
                    );
                }
                Ok(_) => {}
                Err(e) => return self.internal(&e),
            }
        }
        // Codes for requests do not count against the representative's own limit: each
        // stands for a request they took.
        let record = match self
            .issue_code(rep.id, accepted.customer, accepted.portal, usize::MAX)
            .await
        {
            Ok(Some(r)) => r,
            Ok(None) => return self.error(ErrorKind::Internal, "could not make a code"),
            Err(e) => return self.internal(&e),
        };
        if let Some(db_id) = accepted.db_id {
            let code_id = record.id;
            if let Err(e) = self
                .app
                .storage
                .call(move |b| b.request_code(db_id, code_id))
                .await
            {
                tracing::error!(error = %e, "could not link a request to its code");
            }
        }
        let info = self.code_info(&record, unix_now());
        self.app
            .desk
            .attach_code(request, info, record.id, Instant::now());
    }

    /// `CloseRequest`: the representative ends a request they took, with notes.
    pub(super) async fn close_request(&self, request: u64, notes: &str, outcome: Outcome) {
        if self.require_rep().is_none() {
            return;
        }
        if notes.chars().count() > MAX_NOTES_CHARS {
            return self.error(
                ErrorKind::BadRequest,
                format!("notes are longer than {MAX_NOTES_CHARS} characters"),
            );
        }
        let reason = "The representative closed the chat. Thank you for contacting us.";
        let code = self.app.desk.code_of(request);
        match self
            .app
            .desk
            .close(self.id, request, reason, Instant::now())
        {
            Ok(Some(db_id)) => {
                self.end_request(db_id, "closed by the representative", notes, Some(outcome))
                    .await;
                // The link on the customer's page must not start a session after this.
                if let (Some(code), Some(rep)) = (code, &self.rep) {
                    let (rep_id, now) = (rep.id, unix_now());
                    let cancelled = self
                        .app
                        .storage
                        .call(move |b| b.cancel_code(rep_id, code, now))
                        .await;
                    if let Ok(Ok(record)) = cancelled {
                        let subject = format!("code #{}", record.id);
                        self.app
                            .audit(self.actor(), "code.cancel", &subject, "request closed");
                        // A console panel still waiting for it stops waiting.
                        let why = crate::codes::CodeRefusal::Cancelled;
                        self.app.hub.stop_waiting(
                            record.id,
                            PortalMessage::Error {
                                kind: why.kind(),
                                message: why.rep_message().into(),
                            },
                        );
                    }
                }
            }
            Ok(None) => {}
            Err(crate::front::NotTaken) => self.error(ErrorKind::RequestGone, GONE),
        }
    }

    /// `SaveNotes`: notes and an outcome for a session this representative hosted.
    pub(super) async fn save_notes(&self, session: u64, notes: &str, outcome: Outcome) {
        let Some(rep) = self.acting_rep() else {
            return self.error(ErrorKind::Unauthorized, "log in first");
        };
        if notes.chars().count() > MAX_NOTES_CHARS {
            return self.error(
                ErrorKind::BadRequest,
                format!("notes are longer than {MAX_NOTES_CHARS} characters"),
            );
        }
        let notes = notes.to_owned();
        match self
            .app
            .storage
            .call(move |b| b.session_notes(session, rep.id, &notes, outcome))
            .await
        {
            Ok(true) => self.reply(PortalMessage::NotesSaved { session }),
            Ok(false) => self.error(
                ErrorKind::SessionGone,
                "no session of yours has that number",
            ),
            Err(e) => self.internal(&e),
        }
    }
}
