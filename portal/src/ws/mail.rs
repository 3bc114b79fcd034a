//! Sending a code's invitation by email.
//!
//! The mail goes out from a task of its own: a slow mail server holds up neither the
//! representative's other messages nor the connection's pings; its outcome (`CodeEmailed`
//! or a `MailFailed` error) comes over the connection's outbox when the server has answered.
//! The code is not touched either way. Logs name the recipient's domain at most: no address,
//! code or link.

use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use tandem_protocol::SessionCode;
use tandem_protocol::signal::{ErrorKind, PortalMessage};

use super::Conn;
use crate::mail::{self, Invitation};
use crate::ratelimit::{RateLimiter, minutes_text};
use crate::storage::unix_now;

/// Invitations one representative may mail per [`MAIL_WINDOW`] (whatever their outcome).
pub(crate) const MAILS_ALLOWED: usize = 20;
/// The window [`MAILS_ALLOWED`] applies to.
pub(crate) const MAIL_WINDOW: Duration = Duration::from_secs(600);

/// Mails sent per representative (by account id) in a sliding window; the limiter sweeps out
/// idle representatives as it grows, so it stays bounded.
fn mails_sent() -> MutexGuard<'static, RateLimiter<i64>> {
    static SENT: OnceLock<Mutex<RateLimiter<i64>>> = OnceLock::new();
    SENT.get_or_init(|| Mutex::new(RateLimiter::new(MAILS_ALLOWED, MAIL_WINDOW)))
        .lock()
        // The limiter's methods cannot leave it half-updated, poisoned or not.
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Conn {
    /// `EmailCode`: sends the invitation of one of this representative's active codes.
    pub(super) async fn email_code(&self, code: SessionCode, to: &str, language: Option<&str>) {
        let Some(rep) = self.require_rep() else {
            return;
        };
        let Some(smtp) = self.app.config.smtp.clone() else {
            return self.error(
                ErrorKind::MailFailed,
                "this portal has no mail server configured; copy the invitation text instead",
            );
        };
        let address = match mail::recipient(to) {
            Ok(address) => address,
            Err(why) => return self.error(ErrorKind::BadRequest, why),
        };
        let now = unix_now();
        let rep_id = rep.id;
        let record = match self
            .app
            .storage
            .call(move |b| b.active_codes(rep_id, now))
            .await
        {
            Ok(records) => records.into_iter().find(|r| r.code == code),
            Err(e) => return self.internal(&e),
        };
        let Some(record) = record else {
            return self.error(
                ErrorKind::CodeUnknown,
                "you have no such active code; only your own codes that are still waiting for \
                 the customer can be mailed",
            );
        };
        if let Err(wait) = mails_sent().try_acquire(rep.id, Instant::now()) {
            tracing::warn!("invitation not mailed: too many mails from this representative");
            let msg = format!(
                "you have mailed {MAILS_ALLOWED} invitations in the last {} minutes; try again \
                 in {}",
                MAIL_WINDOW.as_secs() / 60,
                minutes_text(wait)
            );
            return self.error(ErrorKind::RateLimited, msg);
        }
        let info = self.code_info(&record, now);
        let text = mail::invitation(
            &Invitation {
                customer: &record.customer,
                rep_name: &record.rep_name,
                url: &info.join_url,
                code,
                left: Duration::from_secs(info.expires_in_secs),
            },
            language,
            &self.app.config.mail_language,
        );
        let tx = self.tx.clone();
        let to = to.trim().to_owned();
        tokio::spawn(async move {
            let domain = mail::domain_of(&address).to_owned();
            match mail::send(&smtp, &address, &text).await {
                Ok(()) => {
                    tracing::info!(%domain, language = text.language, "invitation mailed");
                    let _ = tx.send(PortalMessage::CodeEmailed { code, to });
                }
                Err(e) => {
                    // The error names the server and its reply code, nothing of the message.
                    tracing::warn!(%domain, error = %e, "invitation not mailed");
                    let _ = tx.send(PortalMessage::Error {
                        kind: ErrorKind::MailFailed,
                        message: e.to_string(),
                    });
                }
            }
        });
    }
}
