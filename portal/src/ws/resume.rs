//! The customer's agent coming back with `Resume`, and the wait for it. The secret (128
//! random bits) is checked *first*: a right one is always accepted, so nobody sharing the
//! customer's address can keep their machine from rejoining after a reboot. Wrong secrets
//! count against a budget of their own (not the codes' one), which only slows a client
//! that loops. Secrets are never logged.

use std::sync::Arc;
use std::time::Instant;

use tandem_protocol::signal::ErrorKind;
use tracing::Instrument;

use super::{Conn, SHUTTING_DOWN, record_end, shutting_down};
use crate::hub::{AwayToken, HubError, Leave};
use crate::ratelimit::minutes_text;
use crate::resume::ResumeSecret;
use crate::{App, Limit};

/// Why a session ends when its agent's wait runs out (stored and told to attendees).
const NOT_BACK: &str = "the customer's machine did not come back";
/// Told to an agent resuming a session that is not running.
const SESSION_GONE: &str = "that session has ended (or the machine was away too long to \
                            rejoin it); ask the representative for a new code";
/// Told to an agent whose secret is not the session's.
const WRONG_SECRET: &str = "the resume secret does not match that session";

impl Conn {
    pub(super) async fn resume(&mut self, session: u64, secret: &str) {
        if self.rep.is_some() {
            return self.error(
                ErrorKind::BadRequest,
                "a representative cannot resume a customer's session",
            );
        }
        if self.app.hub.is_member(self.id) {
            return self.hub_error(&HubError::AlreadyInSession);
        }
        let outcome = match ResumeSecret::parse(secret) {
            Some(secret) => {
                let digest = secret.digest(session);
                self.app.hub.resume(session, &digest, self.peer())
            }
            None => Err(HubError::WrongSecret),
        };
        let failed = match outcome {
            Ok(how) => {
                tracing::info!(session, ?how, "the customer's machine resumed the session");
                self.identify();
                super::persist(&self.app, session);
                return;
            }
            Err(e) => e,
        };
        if let Err(wait) = self.app.charge(Limit::Resume, self.ip) {
            tracing::warn!("resume refused: too many failed attempts from this address");
            let msg = format!(
                "too many failed attempts from your address; try again in {}",
                minutes_text(wait)
            );
            return self.error(ErrorKind::RateLimited, msg);
        }
        match failed {
            HubError::SessionGone => {
                tracing::info!(session, "resume refused: the session is not running");
                self.error(ErrorKind::SessionGone, SESSION_GONE);
            }
            HubError::WrongSecret => {
                tracing::info!(session, "resume refused: wrong secret");
                self.error(ErrorKind::Unauthorized, WRONG_SECRET);
            }
            e => self.hub_error(&e),
        }
    }
}

/// Waits until `until` for the agent of suspended `session` (the absence named `token`),
/// then ends the session unless the agent came back; records the end. Without a resume
/// window (a session restored at start-up), a shutdown ends the wait (and the session)
/// early.
///
/// With a resume window, a shutdown leaves the session alone: it is stored suspended and
/// comes back, still waiting, when the portal starts again.
pub(crate) fn await_agent(app: Arc<App>, session: u64, token: AwayToken, until: Instant) {
    let mut shutdown = app.shutdown.clone();
    let span = tracing::info_span!("away", session);
    tokio::spawn(
        async move {
            let reason = tokio::select! {
                () = tokio::time::sleep_until(until.into()) => NOT_BACK,
                () = shutting_down(&mut shutdown) => {
                    if !app.config.resume_window.is_zero() {
                        return;
                    }
                    SHUTTING_DOWN
                }
            };
            if let Leave::Ended { session } = app.hub.give_up(session, token, reason) {
                record_end(&app, session, reason.to_owned()).await;
            }
        }
        .instrument(span),
    );
}
