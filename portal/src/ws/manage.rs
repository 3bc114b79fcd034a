//! The management pages' requests (administrators and team managers; `crate::tiers` says
//! who may do what). A change is stored first, then put in force in the hub (running
//! sessions lose what it withholds at once), recorded in the audit trail, and every
//! representative is told their functions again.

use tandem_protocol::management::AddedRep;
use tandem_protocol::signal::{ErrorKind, ManageRequest, PortalMessage};

use super::{Conn, persist};
use crate::auth;
use crate::management::PolicyChange;
use crate::storage::{StorageError, unix_now};
use crate::tiers::NOT_A_MANAGER;

impl Conn {
    pub(super) async fn manage(&self, request: ManageRequest) {
        let Some(me) = self.rep.as_ref() else {
            return self.error(ErrorKind::Unauthorized, "log in first");
        };
        let asker = Some((me.id, me.is_admin));
        let mut change = match PolicyChange::parse(request) {
            Ok(change) => change,
            Err(msg) => return self.error(ErrorKind::BadRequest, msg),
        };
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
        let result = self
            .app
            .storage
            .call(move |b| b.manage_policy(asker, stored.as_ref(), now))
            .await;
        let (rows, actor) = match result {
            Ok(Ok(managed)) => managed,
            Ok(Err(refusal)) => {
                let kind = if refusal == NOT_A_MANAGER || refusal.contains("not allowed you") {
                    ErrorKind::Unauthorized
                } else {
                    ErrorKind::BadRequest
                };
                return self.error(kind, refusal);
            }
            Err(e) => return self.internal(&e),
        };
        if let Some(change) = &change {
            let (action, subject, detail) = change.audit(&before);
            self.app.audit(self.actor(), action, &subject, &detail);
            self.apply_policy(&rows);
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

    /// Puts the stored policy in force: running sessions lose what it withholds (each
    /// recorded as a rights change "by policy", and stored for a restart).
    fn apply_policy(&self, rows: &crate::management::PolicyRows) {
        let recapped = self.app.hub.set_policy(rows.book());
        let mut sessions: Vec<u64> = recapped.iter().map(|r| r.session).collect();
        sessions.dedup();
        for r in &recapped {
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
}
