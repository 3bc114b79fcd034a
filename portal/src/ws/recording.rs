//! Recording on the signalling connection: the agent's answer (the customer allows or
//! refuses it), answered with an upload token; a console asking to watch a recording,
//! answered with a one-use download ticket. The recording itself is `crate::recording`.

use std::time::Instant;

use tandem_protocol::signal::{ErrorKind, PortalMessage};

use super::Conn;
use super::activity::AGENT_ACTOR;
use crate::recording::RecordingOp;

/// Why the session ends when the customer refuses a recording the policy requires.
pub(crate) const RECORDING_REQUIRED: &str =
    "the customer did not allow recording, which this support portal requires";

impl Conn {
    /// The agent says whether the customer lets the session be recorded.
    pub(super) async fn recording_answer(&self, allowed: bool) {
        let Some((session, terms)) = self.app.hub.agent_recording_terms(self.id) else {
            return self.error(
                ErrorKind::BadRequest,
                "only a session's customer app answers about recording",
            );
        };
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
