//! The management pages' requests (administrators and team managers; `crate::tiers` says
//! who may do what). A change is stored first, then put in force in the hub (running
//! sessions lose what it withholds at once), recorded in the audit trail, and every
//! representative is told their functions again.

use tandem_protocol::management::AddedRep;
use tandem_protocol::reports::{ReportFilter, ReportView};
use tandem_protocol::signal::{ErrorKind, ManageRequest, PortalMessage};

use std::sync::Arc;

use super::{Conn, persist};
use crate::auth;
use crate::management::{PolicyChange, Refused};
use crate::reports;
use crate::storage::{StorageError, unix_now};
use crate::tiers::{Actor, NOT_A_MANAGER};

impl Conn {
    pub(super) async fn manage(&self, request: ManageRequest) {
        let Some(me) = self.rep.as_ref() else {
            return self.error(ErrorKind::Unauthorized, "log in first");
        };
        let asker = Some((me.id, me.is_admin));
        match request {
            ManageRequest::Report(filter) => {
                return self.report((me.id, me.is_admin), filter).await;
            }
            ManageRequest::Recording { session } => {
                return self.watch_recording((me.id, me.is_admin), session).await;
            }
            ManageRequest::SignOut { .. } | ManageRequest::ResetSignIn { .. } => {
                return self.manage_account(request).await;
            }
            _ => {}
        }
        let mut change = match PolicyChange::parse(request) {
            Ok(change) => change,
            Err(msg) => return self.error(ErrorKind::BadRequest, msg),
        };
        // Argon2 is costly: a new account's password is hashed only for someone who may add it.
        if let Some(add @ PolicyChange::AddRep { .. }) = &change
            && let Err((kind, why)) = self.may(asker, add).await
        {
            return self.error(kind, why);
        }
        // A new account's first password: made here, shown once, stored only as a hash.
        let mut added = None;
        if let Some(PolicyChange::AddRep {
            user,
            password_hash,
            ..
        }) = &mut change
        {
            let password = auth::generate_password();
            let clear = password.clone();
            let hashed = tokio::task::spawn_blocking(move || auth::hash_password(&clear)).await;
            match hashed {
                Ok(Ok(hash)) => *password_hash = hash,
                Ok(Err(e)) => return self.internal(&StorageError::Task(e.to_string())),
                Err(e) => return self.internal(&StorageError::Task(e.to_string())),
            }
            added = Some(AddedRep {
                user: user.clone(),
                password,
            });
        }
        let before = self.app.hub.policy_teams();
        let now = unix_now();
        let stored = change.clone();
        let hub = Arc::clone(&self.app.hub);
        // The hub takes the new policy inside the storage call, so changes reach running
        // sessions in the order they were stored (two managers at once cannot leave the hub
        // with the older one).
        let result = self
            .app
            .storage
            .call(move |b| {
                let managed = b.manage_policy(asker, stored.as_ref(), now)?;
                let recapped = match &managed {
                    Ok((rows, _)) if stored.is_some() => hub.set_policy(rows.book()),
                    _ => Vec::new(),
                };
                Ok((managed, recapped))
            })
            .await;
        let ((rows, actor), recapped) = match result {
            Ok((Ok(managed), recapped)) => (managed, recapped),
            Ok((Err(Refused::NotAllowed(why)), _)) => {
                return self.error(ErrorKind::Unauthorized, why);
            }
            Ok((Err(Refused::Invalid(why)), _)) => return self.error(ErrorKind::BadRequest, why),
            Err(e) => return self.internal(&e),
        };
        if let Some(change) = &change {
            let (action, subject, detail) = change.audit(&before);
            self.app.audit(self.actor(), action, &subject, &detail);
            self.record_recapped(&recapped);
        }
        let Some(seen) = actor.visible(&rows) else {
            return self.error(ErrorKind::Unauthorized, NOT_A_MANAGER);
        };
        let mut view = seen.view(&actor);
        view.added = added;
        self.reply(PortalMessage::Management(view));
        if change.is_some() {
            self.app.hub.tell_functions();
        }
    }

    /// Whether the asker may make `change`, read from the database (before costly work).
    async fn may(
        &self,
        asker: Option<(i64, bool)>,
        change: &PolicyChange,
    ) -> Result<(), (ErrorKind, String)> {
        let now = unix_now();
        let read = self
            .app
            .storage
            .call(move |b| b.manage_policy(asker, None, now))
            .await;
        match read {
            Ok(Ok((rows, actor))) => actor
                .may(&rows, change)
                .map_err(|why| (ErrorKind::Unauthorized, why)),
            Ok(Err(why)) => Err((ErrorKind::Unauthorized, why.to_string())),
            Err(e) => {
                tracing::error!(error = %e, "storage failure");
                Err((
                    ErrorKind::Internal,
                    "the portal could not read its records".into(),
                ))
            }
        }
    }

    /// Records what a policy change took from running sessions (each a rights change "by
    /// policy") and stores those sessions for a restart.
    fn record_recapped(&self, recapped: &[crate::hub::Recapped]) {
        let mut sessions: Vec<u64> = recapped.iter().map(|r| r.session).collect();
        sessions.dedup();
        for r in recapped {
            let detail = format!(
                "{} from {} to {} by policy",
                r.name,
                r.from.describe(),
                r.to.describe()
            );
            let subject = format!("session {}", r.session);
            self.app
                .audit(self.actor(), "rights.change", &subject, &detail);
        }
        for session in sessions {
            persist(&self.app, session);
        }
    }

    async fn report(&self, asker: (i64, bool), filter: ReportFilter) {
        let result = self
            .app
            .storage
            .call(move |b| b.session_report(asker, &filter))
            .await;
        match result {
            Ok(Ok((sessions, truncated))) => {
                let csv = reports::to_csv(&sessions);
                self.reply(PortalMessage::Report(ReportView {
                    sessions,
                    truncated,
                    csv,
                }));
            }
            Ok(Err(refusal)) => {
                let kind = if refusal.contains("not allowed you") {
                    ErrorKind::Unauthorized
                } else {
                    ErrorKind::BadRequest
                };
                self.error(kind, refusal);
            }
            Err(e) => self.internal(&e),
        }
    }

    /// Whether `rep` manages teams, and may see any reports (for the console's menu).
    pub(super) async fn access_of(&self, rep: i64, admin: bool) -> (bool, bool) {
        let now = unix_now();
        let read = self
            .app
            .storage
            .call(move |b| b.manage_policy(None, None, now))
            .await;
        match read {
            Ok(Ok((rows, _))) => {
                let actor = Actor::of(&rows, rep, admin);
                let manager = matches!(actor, Actor::Manager { .. });
                (manager, actor.report_scope(&rows).is_ok())
            }
            // The menu only: the pages themselves check again.
            _ => (false, admin),
        }
    }
}
