//! The management pages' requests (administrators only): teams, members and functions by
//! policy. A change is stored first, then put in force in the hub (running sessions lose
//! what it withholds at once), recorded in the audit trail, and every representative is
//! told their functions again.

use tandem_protocol::signal::{ErrorKind, ManageRequest, PortalMessage};

use super::{Conn, persist};
use crate::management::PolicyChange;
use crate::storage::unix_now;

impl Conn {
    pub(super) async fn manage(&self, request: ManageRequest) {
        let Some(me) = self.rep.as_ref() else {
            return self.error(ErrorKind::Unauthorized, "log in first");
        };
        if !me.is_admin {
            return self.error(
                ErrorKind::Unauthorized,
                "only administrators may change teams and policy",
            );
        }
        let change = match PolicyChange::parse(request) {
            Ok(change) => change,
            Err(msg) => return self.error(ErrorKind::BadRequest, msg),
        };
        let before = self.app.hub.policy_teams();
        let now = unix_now();
        let stored = change.clone();
        let result = self
            .app
            .storage
            .call(move |b| b.manage_policy(stored.as_ref(), now))
            .await;
        let rows = match result {
            Ok(Ok(rows)) => rows,
            Ok(Err(refusal)) => return self.error(ErrorKind::BadRequest, refusal),
            Err(e) => return self.internal(&e),
        };
        if let Some(change) = &change {
            let (action, subject, detail) = change.audit(&before);
            self.app.audit(self.actor(), action, &subject, &detail);
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
                self.app.audit(
                    self.actor(),
                    "rights.change",
                    &format!("session {}", r.session),
                    &detail,
                );
            }
            for session in sessions {
                persist(&self.app, session);
            }
        }
        self.reply(PortalMessage::Management(rows.view()));
        if change.is_some() {
            self.app.hub.tell_functions();
        }
    }
}
