//! Recording on the signalling connection: the agent's answer (the customer allows or
//! refuses it), answered with an upload token; a console asking to watch a recording,
//! answered with a one-use download ticket. The recording itself is `crate::recording`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tandem_protocol::signal::{ErrorKind, PortalMessage};

use super::Conn;
use super::activity::AGENT_ACTOR;
use crate::App;
use crate::hub::Leave;
use crate::recording::RecordingOp;

/// Why the session ends when the customer refuses a recording the policy requires.
pub(crate) const RECORDING_REQUIRED: &str =
    "the customer did not allow recording, which this support portal requires";
/// Why it ends when the required recording did not start (a customer app that does not
/// record, or cannot reach the portal's recorder).
const RECORDING_MISSING: &str = "the recording this support portal requires did not start";
/// Time a required recording has to start after the customer's consent (and again after
/// it stopped while the customer's machine is there). The customer app starts it within
/// a second; a modified or outdated one shows the screen unrecorded at most this long.
const REQUIRED_WITHIN: Duration = Duration::from_secs(15);

/// Ends `session` if its policy requires recording (a required recording stopped for good).
pub(crate) async fn end_if_required(app: &App, session: u64, reason: &str) {
    if app.recordings.terms(session).is_some_and(|t| t.required)
        && let Leave::Ended { session } = app.hub.end_by_portal(session, reason)
    {
        super::record_end(app, session, reason.to_owned()).await;
    }
}

impl Conn {
    /// The agent says whether the customer lets the session be recorded.
    pub(super) async fn recording_answer(&self, allowed: bool) {
        let Some((session, now_in_force)) = self.app.hub.agent_recording_terms(self.id) else {
            return self.error(
                ErrorKind::BadRequest,
                "only a session's customer app answers about recording",
            );
        };
        // The terms the customer was shown, not a policy changed while they read them
        // (sessions restored after a portal restart have only the policy in force).
        let terms = self.app.recordings.terms(session).or(now_in_force);
        let Some(terms) = terms else {
            if allowed {
                self.error(ErrorKind::BadRequest, "this session is not recorded");
            }
            return;
        };
        let subject = format!("session {session}");
        if !allowed {
            let detail = if terms.required {
                "the session ends: the policy requires recording"
            } else {
                "the session goes on unrecorded"
            };
            self.app
                .audit(AGENT_ACTOR, "recording.refused", &subject, detail);
            if terms.required {
                // The agent ends it too; the portal does not rely on that.
                self.end_session(RECORDING_REQUIRED).await;
            }
            return;
        }
        match self.app.recordings.issue_upload(session, Instant::now()) {
            Some(token) => self.reply(PortalMessage::RecordingToken { token }),
            None => self.error(
                ErrorKind::RateLimited,
                "too many recordings are starting at once; try again shortly",
            ),
        }
    }

    /// The customer consented: a recording the policy requires must be written within
    /// [`REQUIRED_WITHIN`], and keep being written while the customer's machine is there;
    /// otherwise the session ends. Watched once per session.
    pub(super) fn watch_required_recording(&self, session: u64) {
        let recordings = &self.app.recordings;
        if !recordings.terms(session).is_some_and(|t| t.required)
            || !recordings.start_watch(session)
        {
            return;
        }
        let app = Arc::clone(&self.app);
        tokio::spawn(async move {
            // Missing at three looks in a row (not a reconnect caught in between) ends it.
            let mut missing = 0;
            loop {
                tokio::time::sleep(REQUIRED_WITHIN / 3).await;
                if !app.hub.is_live(session) {
                    return;
                }
                let recording = app.recordings.is_recording(session);
                missing = if recording || app.hub.is_away(session) {
                    0
                } else {
                    missing + 1
                };
                if missing >= 3 {
                    tracing::warn!(session, "{RECORDING_MISSING}");
                    app.audit(
                        AGENT_ACTOR,
                        "recording.missing",
                        &format!("session {session}"),
                        "",
                    );
                    end_if_required(&app, session, RECORDING_MISSING).await;
                    return;
                }
            }
        });
    }

    /// A console asks to watch a session's recording.
    pub(super) async fn watch_recording(&self, asker: (i64, bool), session: u64) {
        let found = self
            .app
            .storage
            .call(move |b| b.recording(&RecordingOp::Find { asker, session }))
            .await;
        let row = match found {
            Ok(Ok(Some(row))) => row,
            Ok(Ok(None)) => {
                return self.error(
                    ErrorKind::SessionGone,
                    format!("there is no recording of session {session} you may watch"),
                );
            }
            Ok(Err(refusal)) => return self.error(ErrorKind::Unauthorized, refusal),
            Err(e) => return self.internal(&e),
        };
        let Some(ticket) = self
            .app
            .recordings
            .issue_download(session, row.file, Instant::now())
        else {
            return self.error(
                ErrorKind::RateLimited,
                "too many recordings are being fetched; try again shortly",
            );
        };
        // Who watched what is part of the record, like who joined.
        self.app.audit(
            self.actor(),
            "recording.view",
            &format!("session {session}"),
            "",
        );
        self.reply(PortalMessage::Recording {
            session,
            url: format!("/recordings/{ticket}"),
        });
    }
}
