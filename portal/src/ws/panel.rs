//! The host's console panels (see `hub::panels`): a ticket from the logged-in console, then
//! a connection of the pane's own that presents it.

use std::time::Instant;

use tandem_protocol::SessionCode;
use tandem_protocol::signal::{ErrorKind, PortalMessage};

use super::Conn;

use crate::storage::unix_now;

impl Conn {
    /// `PanelTicket`: the console may open a panel on the session of one of its codes.
    pub(super) async fn panel_ticket(&self, code: SessionCode) {
        let Some(rep) = self.require_rep() else {
            return;
        };
        let Some((record, _)) = self.own_joinable_code(&rep, code).await else {
            return;
        };
        let ticket = match self.app.desk.tickets.lock() {
            Ok(mut t) => t.issue(rep, code, (record.id, record.expires_at), Instant::now()),
            Err(_) => return self.error(ErrorKind::Internal, "please try again"),
        };
        self.reply(PortalMessage::PanelTicket { code, ticket });
    }

    /// `OpenSessionPanel`: this connection becomes the host's panel on the ticket's session.
    pub(super) async fn open_session_panel(&mut self, ticket: &str) {
        if self.rep.is_some() || self.panel_rep.is_some() || self.app.hub.is_member(self.id) {
            return self.error(
                ErrorKind::BadRequest,
                "open a session panel on a connection of its own",
            );
        }
        let redeemed = match self.app.desk.tickets.lock() {
            Ok(mut t) => t.redeem(ticket, Instant::now()),
            Err(_) => None,
        };
        let Some(ticket) = redeemed else {
            return self.error(
                ErrorKind::Unauthorized,
                "this panel's ticket is unknown, used or expired; open the session again",
            );
        };
        match self.app.hub.open_panel(ticket.code_id, self.peer()) {
            Ok(attached) => {
                self.identify();
                // The panel acts for the representative who asked for it, as the session's
                // host only (not as a login: codes, the desk and joining stay closed to it).
                self.app
                    .hub
                    .register_panel(self.id, ticket.rep.id, self.tx.clone());
                // A panel's sign-in runs out like its console's login would.
                self.signed_in_until =
                    Some(tokio::time::Instant::now() + self.app.config.sign_in_lifetime);
                self.panel_rep = Some(ticket.rep);
                self.panel_code = Some(ticket.code);
                match attached {
                    Some(session) => tracing::info!(session, "console panel opened"),
                    None => {
                        self.reply(PortalMessage::PanelWaiting { code: ticket.code });
                        let left = u64::try_from(ticket.expires_at.saturating_sub(unix_now()))
                            .unwrap_or(0);
                        super::rep::stop_waiting_at_expiry(
                            std::sync::Arc::clone(&self.app.hub),
                            ticket.code_id,
                            left,
                        );
                    }
                }
            }
            Err(e) => self.hub_error(&e),
        }
    }
}

impl Conn {
    /// `WatchSession`: the panel takes the host's seat, so the representative sees the screen in
    /// the browser (the agent sets up a link for this connection as for the host's viewer).
    pub(super) async fn watch_session(&mut self) {
        let (Some(rep), Some(code)) = (self.panel_rep.clone(), self.panel_code) else {
            return self.error(
                ErrorKind::BadRequest,
                "open the session's panel before watching its screen",
            );
        };
        let Some((record, redeemed)) = self.own_joinable_code(&rep, code).await else {
            return;
        };
        let info = crate::hub::host_info(&rep.name);
        match self
            .app
            .hub
            .panel_becomes_host(record.id, self.peer(), info, redeemed)
        {
            Ok(crate::hub::JoinOutcome::Joined { session }) => {
                tracing::info!(session, "host watches from the browser");
                let subject = format!("session {session}");
                self.app.audit(
                    self.actor(),
                    "attendee.join",
                    &subject,
                    "as host, in the browser",
                );
                super::persist(&self.app, session);
            }
            Ok(crate::hub::JoinOutcome::Waiting) => {
                tracing::info!(code = %code.redacted(), "browser host waiting for the customer");
            }
            Err(e) => self.hub_error(&e),
        }
    }
}
