//! Sign-in hardening: one's own second factor (set up, turned on and off, each proved with
//! a code), and managers signing someone out or resetting their sign-in (a new password
//! shown once, the second factor off, every connection closed).

use tandem_protocol::management::{AddedRep, SecondFactorSetup, SecondFactorView};
use tandem_protocol::signal::{ErrorKind, ManageRequest, PortalMessage};

use super::Conn;
use crate::auth;
use crate::storage::{StorageError, unix_now};
use crate::totp::{FactorOp, Secret};

/// What a login's second factor comes to.
pub(super) enum FactorCheck {
    /// None set, or the code was right (and is now used).
    Passed,
    /// The account has one and no code was given.
    Needed,
    /// The code was wrong, or used already.
    Wrong,
}

/// Told to someone a manager signed out.
const SIGNED_OUT: &str = "an administrator signed you out; sign in again";

/// How the authenticator app names the account's issuer.
const ISSUER: &str = "Tandem";

impl Conn {
    /// Checks `otp` against `rep`'s second factor, marking its step used.
    pub(super) async fn second_factor_passes(
        &self,
        rep: i64,
        otp: Option<&str>,
    ) -> Result<FactorCheck, StorageError> {
        let stored = self
            .app
            .storage
            .call(move |b| b.second_factor(rep, &FactorOp::Get))
            .await?;
        let Some(secret) = stored.secret else {
            return Ok(FactorCheck::Passed);
        };
        let Some(otp) = otp else {
            return Ok(FactorCheck::Needed);
        };
        let Some(step) = secret.verify(otp, unix_now(), stored.last_step) else {
            return Ok(FactorCheck::Wrong);
        };
        // Marked in one statement: two logins racing with one code cannot both pass.
        let used = self
            .app
            .storage
            .call(move |b| b.second_factor(rep, &FactorOp::Use { step }))
            .await?;
        Ok(if used.accepted {
            FactorCheck::Passed
        } else {
            FactorCheck::Wrong
        })
    }

    /// `SecondFactorSetup`, `SecondFactorOn`, `SecondFactorOff`: one's own.
    pub(super) async fn own_second_factor(&mut self, request: ManageRequest) {
        let Some(me) = self.rep.clone() else {
            return self.error(ErrorKind::Unauthorized, "log in first");
        };
        let rep = me.id;
        let stored = match self
            .app
            .storage
            .call(move |b| b.second_factor(rep, &FactorOp::Get))
            .await
        {
            Ok(stored) => stored,
            Err(e) => return self.internal(&e),
        };
        match request {
            ManageRequest::SecondFactorSetup => {
                if stored.secret.is_some() {
                    return self.error(
                        ErrorKind::BadRequest,
                        "your second factor is on already; turn it off first to set up another",
                    );
                }
                let secret = Secret::generate();
                let setup = SecondFactorSetup {
                    secret: secret.base32(),
                    uri: secret.uri(ISSUER, &me.user),
                };
                self.factor_setup = Some(secret);
                self.reply(PortalMessage::SecondFactor(SecondFactorView {
                    enabled: false,
                    setup: Some(setup),
                }));
            }
            ManageRequest::SecondFactorOn { code } => {
                let Some(secret) = self.factor_setup.clone() else {
                    return self.error(ErrorKind::BadRequest, "set up a second factor first");
                };
                let Some(step) = secret.verify(&code, unix_now(), None) else {
                    return self.error(
                        ErrorKind::BadRequest,
                        "that code is not right; check the app's clock and try the next one",
                    );
                };
                let on = FactorOp::Enable(secret);
                let used = FactorOp::Use { step };
                let stored = self
                    .app
                    .storage
                    .call(move |b| {
                        let on = b.second_factor(rep, &on)?;
                        if on.accepted {
                            b.second_factor(rep, &used)?;
                        }
                        Ok(on.accepted)
                    })
                    .await;
                self.factor_setup = None;
                match stored {
                    Ok(true) => {}
                    Ok(false) => {
                        return self.error(
                            ErrorKind::BadRequest,
                            "your second factor is on already; turn it off first to set up another",
                        );
                    }
                    Err(e) => return self.internal(&e),
                }
                self.app
                    .audit(&me.user, "account.second_factor", &me.user, "on");
                self.reply(PortalMessage::SecondFactor(SecondFactorView {
                    enabled: true,
                    setup: None,
                }));
            }
            ManageRequest::SecondFactorOff { code } => {
                let Some(secret) = stored.secret else {
                    return self.error(ErrorKind::BadRequest, "your second factor is off");
                };
                let Some(step) = secret.verify(&code, unix_now(), stored.last_step) else {
                    return self.error(ErrorKind::BadRequest, "that code is not right");
                };
                // The code is used up like a login's, so one seen cannot be used again.
                let turned_off = self
                    .app
                    .storage
                    .call(move |b| {
                        let used = b.second_factor(rep, &FactorOp::Use { step })?;
                        if used.accepted {
                            b.second_factor(rep, &FactorOp::Disable)?;
                        }
                        Ok(used.accepted)
                    })
                    .await;
                match turned_off {
                    Ok(true) => {}
                    Ok(false) => {
                        return self.error(ErrorKind::BadRequest, "that code was used already");
                    }
                    Err(e) => return self.internal(&e),
                }
                self.app
                    .audit(&me.user, "account.second_factor", &me.user, "off");
                self.reply(PortalMessage::SecondFactor(SecondFactorView {
                    enabled: false,
                    setup: None,
                }));
            }
            _ => self.error(ErrorKind::BadRequest, "not a second-factor request"),
        }
    }

    /// `SignOut` and `ResetSignIn` by a manager; answered with the management view (with the
    /// new password, once, for a reset).
    pub(super) async fn manage_account(&self, request: ManageRequest) {
        let Some(me) = self.rep.as_ref() else {
            return self.error(ErrorKind::Unauthorized, "log in first");
        };
        let (user, reset) = match request {
            ManageRequest::SignOut { user } => (user, false),
            ManageRequest::ResetSignIn { user } => (user, true),
            _ => return self.error(ErrorKind::BadRequest, "not an account request"),
        };
        let asker = Some((me.id, me.is_admin));
        let now = unix_now();
        let (rows, actor) = match self
            .app
            .storage
            .call(move |b| b.manage_policy(asker, None, now))
            .await
        {
            Ok(Ok(managed)) => managed,
            Ok(Err(why)) => return self.error(ErrorKind::Unauthorized, why.to_string()),
            Err(e) => return self.internal(&e),
        };
        if let Err(why) = actor.may_manage_account(&rows, &user) {
            return self.error(ErrorKind::Unauthorized, why);
        }
        let Some(target) = rows.members.iter().find(|m| m.user == user) else {
            return self.error(ErrorKind::BadRequest, "there is no such representative");
        };
        let mut added = None;
        if reset {
            let password = auth::generate_password();
            let clear = password.clone();
            let hash = match tokio::task::spawn_blocking(move || auth::hash_password(&clear)).await
            {
                Ok(Ok(hash)) => hash,
                Ok(Err(e)) => return self.internal(&StorageError::Task(e.to_string())),
                Err(e) => return self.internal(&StorageError::Task(e.to_string())),
            };
            let (who, rep) = (user.clone(), target.id);
            let stored = self
                .app
                .storage
                .call(move |b| {
                    b.set_password_hash(&who, &hash)?;
                    b.second_factor(rep, &FactorOp::Disable)
                })
                .await;
            if let Err(e) = stored {
                return self.internal(&e);
            }
            added = Some(AddedRep {
                user: user.clone(),
                password,
            });
        }
        let closed = self.app.hub.sign_out(target.id, SIGNED_OUT);
        let (action, detail) = if reset {
            (
                "account.reset",
                "new password, second factor off, signed out",
            )
        } else {
            ("account.sign_out", "signed out")
        };
        self.app.audit(
            self.actor(),
            action,
            &user,
            &format!("{detail} ({closed} connections)"),
        );
        let Some(seen) = actor.visible(&rows) else {
            return self.error(ErrorKind::Unauthorized, crate::tiers::NOT_A_MANAGER);
        };
        let mut view = seen.view(&actor);
        view.added = added;
        self.reply(PortalMessage::Management(view));
    }
}
