//! Requests from representatives: login, codes, joining a session as its host.

use std::sync::Arc;
use std::time::Duration;

use tandem_protocol::SessionCode;
use tandem_protocol::signal::{CodeInfo, ErrorKind, PortalMessage};

use super::account::FactorCheck;
use super::{Conn, MAX_CREDENTIAL_BYTES};
use crate::Limit;
use crate::codes::{self, CodeRefusal, CodeStatus};
use crate::hub::{self, JoinOutcome, RepLogin};
use crate::ratelimit::minutes_text;
use crate::storage::{CodeRecord, IssueOutcome, NewCode, StorageError, unix_now};

/// The portal a representative names (`None`: the default portal), checked.
fn portal_name(portal: Option<&str>) -> Result<String, String> {
    Ok(portal
        .map(|p| codes::clean_name(p, "portal name"))
        .transpose()?
        .unwrap_or_else(|| "default".to_owned()))
}

impl Conn {
    pub(super) async fn login(
        &mut self,
        user: String,
        password: String,
        portal: Option<&str>,
        otp: Option<&str>,
    ) {
        if self.rep.is_some() {
            return self.error(ErrorKind::BadRequest, "you are logged in already");
        }
        if self.app.hub.is_member(self.id) {
            return self.error(ErrorKind::BadRequest, "a customer connection cannot log in");
        }
        let portal = match portal_name(portal) {
            Ok(p) => p,
            Err(msg) => return self.error(ErrorKind::BadRequest, msg),
        };
        // Budgets are per address *and* user name (plus a larger one per address over all
        // names): someone guessing Bob's password locks out neither Alice nor the office.
        let limit = Limit::Login(if user.len() > MAX_CREDENTIAL_BYTES {
            ""
        } else {
            &user
        });
        if let Err(wait) = self.app.charge(limit, self.ip) {
            tracing::warn!("login refused: too many failures from this address");
            let msg = format!(
                "too many failed logins from your address; try again in {}",
                minutes_text(wait)
            );
            return self.error(ErrorKind::RateLimited, msg);
        }
        let result = if user.len() > MAX_CREDENTIAL_BYTES || password.len() > MAX_CREDENTIAL_BYTES {
            Ok(None)
        } else {
            self.app
                .storage
                .login(&self.app.password_checks, user.clone(), password)
                .await
        };
        let limit = Limit::Login(if user.len() > MAX_CREDENTIAL_BYTES {
            ""
        } else {
            &user
        });
        // The password was right: an account with a second factor needs its code too. The
        // budget is not forgiven until both are right.
        let result = match result {
            Ok(Some(rep)) => match self.second_factor_passes(rep.id, otp).await {
                Ok(FactorCheck::Passed) => Ok(Some(rep)),
                Ok(FactorCheck::Needed) => {
                    return self.error(
                        ErrorKind::SecondFactor,
                        "enter the 6-digit code from your authenticator app",
                    );
                }
                Ok(FactorCheck::Wrong) => {
                    let detail = format!("wrong second-factor code, from {}", self.ip);
                    self.app.audit("-", "login.failed", &rep.user, &detail);
                    return self.error(
                        ErrorKind::Unauthorized,
                        "that code is not right (or was used already); wait for the next one",
                    );
                }
                Err(e) => Err(e),
            },
            other => other,
        };
        match result {
            Ok(Some(rep)) => {
                self.app.forgive(limit, self.ip);
                self.signed_in_until =
                    Some(tokio::time::Instant::now() + self.app.config.sign_in_lifetime);
                self.identify();
                tracing::info!(user = ?rep.user, portal = ?portal, "representative logged in");
                self.app
                    .audit(&rep.user, "login", &rep.user, &format!("from {}", self.ip));
                let functions = self.app.hub.functions_of(rep.id, &portal).names();
                let (manager, reports) = self.access_of(rep.id, rep.is_admin).await;
                self.reply(PortalMessage::LoggedIn {
                    name: rep.name.clone(),
                    portal_url: Some(format!("{}{}", self.app.base_url, self.app.pin_fragment)),
                    admin: rep.is_admin,
                    manager,
                    reports,
                    functions: Some(functions),
                });
                self.rep_portal.clone_from(&portal);
                let login = RepLogin {
                    rep_id: rep.id,
                    user: rep.user.clone(),
                    name: rep.name.clone(),
                    portal,
                };
                self.app.hub.rep_logged_in(self.peer(), login);
                self.rep = Some(rep);
            }
            Ok(None) => {
                tracing::warn!("failed login");
                // Typed by anyone: no control characters, at most 64 of them.
                let named: String = user.chars().filter(|c| !c.is_control()).take(64).collect();
                self.app
                    .audit("-", "login.failed", &named, &format!("from {}", self.ip));
                self.error(ErrorKind::Unauthorized, "wrong user name or password");
            }
            Err(StorageError::Busy(why)) => {
                self.app.forgive(limit, self.ip);
                self.error(ErrorKind::RateLimited, why);
            }
            Err(e) => {
                self.app.forgive(limit, self.ip);
                self.internal(&e);
            }
        }
    }

    pub(super) fn code_info(&self, record: &CodeRecord, now: i64) -> CodeInfo {
        let left = u64::try_from(record.expires_at.saturating_sub(now)).unwrap_or(0);
        let join_url = self.app.join_url(record.code);
        let invitation = codes::invitation(
            &record.customer,
            &record.rep_name,
            &join_url,
            record.code,
            Duration::from_secs(left),
        );
        CodeInfo {
            code: record.code,
            customer: record.customer.clone(),
            portal: record.portal.clone(),
            expires_in_secs: left,
            join_url,
            invitation,
        }
    }

    pub(super) async fn create_code(&self, customer: &str, portal: Option<&str>) {
        let Some(rep) = self.require_rep() else {
            return;
        };
        let customer = match codes::clean_name(customer, "customer name") {
            Ok(c) => c,
            Err(msg) => return self.error(ErrorKind::BadRequest, msg),
        };
        let portal = match portal_name(portal) {
            Ok(p) => p,
            Err(msg) => return self.error(ErrorKind::BadRequest, msg),
        };
        // A code belongs to a portal that exists: a SmartPin page takes only its own codes.
        match self.load_portal(&portal).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                let msg = format!("there is no customer portal named '{portal}'");
                return self.error(ErrorKind::PortalUnknown, msg);
            }
            Err(e) => return self.internal(&e),
        }
        let max = self.app.config.max_active_codes;
        match self.issue_code(rep.id, customer, portal, max).await {
            Ok(Some(record)) => {
                tracing::info!(code = %record.code.redacted(), "code created");
                self.reply(PortalMessage::CodeCreated(
                    self.code_info(&record, unix_now()),
                ));
            }
            Ok(None) => {
                let msg = format!(
                    "you already have {max} active codes; cancel one or wait until one expires"
                );
                self.error(ErrorKind::TooManyCodes, msg);
            }
            Err(e) => self.internal(&e),
        }
    }

    /// Stores a fresh code of `rep_id` for `customer` on `portal`; `None` when the
    /// representative holds `max` active codes already.
    pub(super) async fn issue_code(
        &self,
        rep_id: i64,
        customer: String,
        portal: String,
        max: usize,
    ) -> Result<Option<CodeRecord>, StorageError> {
        let ttl = i64::try_from(self.app.config.code_ttl.as_secs().max(1)).unwrap_or(i64::MAX);
        // Collisions with the few active codes among 10^9 are rare; a handful of draws is plenty.
        for _ in 0..16 {
            let code = SessionCode::random(&mut rand::rng());
            let now = unix_now();
            let (customer, portal) = (customer.clone(), portal.clone());
            let issued = self
                .app
                .storage
                .call(move |b| {
                    let new = NewCode {
                        rep_id,
                        code,
                        customer: &customer,
                        portal: &portal,
                        expires_at: now.saturating_add(ttl),
                        max_active: max,
                    };
                    b.issue_code(&new, now)
                })
                .await?;
            match issued {
                IssueOutcome::Issued(record) => {
                    let detail = format!("for {} on portal {}", record.customer, record.portal);
                    let subject = format!("code #{}", record.id);
                    self.app
                        .audit(self.actor(), "code.create", &subject, &detail);
                    return Ok(Some(record));
                }
                IssueOutcome::Collision => {}
                IssueOutcome::TooMany => return Ok(None),
            }
        }
        Err(StorageError::Busy(
            "could not find a free code; please try again".to_owned(),
        ))
    }

    pub(super) async fn list_codes(&self) {
        let Some(rep) = self.require_rep() else {
            return;
        };
        let now = unix_now();
        match self
            .app
            .storage
            .call(move |b| b.active_codes(rep.id, now))
            .await
        {
            Ok(records) => {
                let codes = records.iter().map(|r| self.code_info(r, now)).collect();
                self.reply(PortalMessage::Codes { codes });
            }
            Err(e) => self.internal(&e),
        }
    }

    pub(super) async fn cancel_code(&self, code: SessionCode) {
        let Some(rep) = self.require_rep() else {
            return;
        };
        let now = unix_now();
        match self
            .app
            .storage
            .call(move |b| b.cancel_code(rep.id, code, now))
            .await
        {
            Ok(Ok(record)) => {
                tracing::info!(code = %code.redacted(), "code cancelled");
                self.app.audit(
                    &rep.user,
                    "code.cancel",
                    &format!("code #{}", record.id),
                    "",
                );
                let why = CodeRefusal::Cancelled;
                self.app.hub.stop_waiting(
                    record.id,
                    PortalMessage::Error {
                        kind: why.kind(),
                        message: why.rep_message().into(),
                    },
                );
                self.reply(PortalMessage::CodeCancelled { code });
            }
            Ok(Err(refusal)) => self.error(refusal.kind(), refusal.rep_message()),
            Err(e) => self.internal(&e),
        }
    }

    /// One of `rep`'s codes whose session may still be joined: active, or redeemed with its
    /// session still running (`true`). Anything else is answered with the reason and `None`.
    pub(super) async fn own_joinable_code(
        &self,
        rep: &crate::storage::Representative,
        code: SessionCode,
    ) -> Option<(CodeRecord, bool)> {
        let now = unix_now();
        let rep_id = rep.id;
        let found = match self.app.storage.call(move |b| b.find_code(code, now)).await {
            Ok(found) => found.filter(|c| c.rep_id == rep_id),
            Err(e) => {
                self.internal(&e);
                return None;
            }
        };
        let Some(record) = found else {
            let why = CodeRefusal::Unknown;
            self.error(why.kind(), why.rep_message());
            return None;
        };
        match codes::status(record.state, record.expires_at, now) {
            CodeStatus::Active { .. } => Some((record, false)),
            CodeStatus::Redeemed => {
                let code_id = record.id;
                match self
                    .app
                    .storage
                    .call(move |b| b.session_for_code(code_id))
                    .await
                {
                    Ok(Some(s)) if s.ended_at.is_some() => {
                        self.error(ErrorKind::SessionGone, "that session has ended");
                        None
                    }
                    Ok(_) => Some((record, true)),
                    Err(e) => {
                        self.internal(&e);
                        None
                    }
                }
            }
            status => {
                let why = CodeRefusal::for_status(status).unwrap_or(CodeRefusal::Unknown);
                self.error(why.kind(), why.rep_message());
                None
            }
        }
    }

    pub(super) async fn join_session(&self, code: SessionCode) {
        let Some(rep) = self.require_rep() else {
            return;
        };
        let Some((record, redeemed)) = self.own_joinable_code(&rep, code).await else {
            return;
        };
        let now = unix_now();
        let info = hub::host_info(&rep.name);
        match self
            .app
            .hub
            .join_or_wait(record.id, self.peer(), info, redeemed)
        {
            Ok(JoinOutcome::Joined { session }) => {
                tracing::info!(session, "host joined");
                let subject = format!("session {session}");
                self.app
                    .audit(&rep.user, "attendee.join", &subject, "as host");
                super::persist(&self.app, session);
            }
            Ok(JoinOutcome::Waiting) => {
                tracing::info!(code = %code.redacted(), "host waiting for the customer");
                let hub = Arc::clone(&self.app.hub);
                let left = u64::try_from(record.expires_at.saturating_sub(now)).unwrap_or(0);
                stop_waiting_at_expiry(hub, record.id, left);
            }
            Err(e) => self.hub_error(&e),
        }
    }
}

/// When code row `code_id` expires in `left` seconds, whoever still waits for its session (the
/// host, console panels) is told and stops waiting.
pub(super) fn stop_waiting_at_expiry(hub: Arc<crate::hub::Hub>, code_id: i64, left: u64) {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(left)).await;
        let message = "this code expired before the customer used it".to_owned();
        hub.stop_waiting(
            code_id,
            PortalMessage::Error {
                kind: ErrorKind::CodeExpired,
                message,
            },
        );
    });
}
