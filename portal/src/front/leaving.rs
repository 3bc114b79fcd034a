//! How the desk follows people: a customer's page closing, a representative's console
//! closing, a Web Chat line between the two ends, and the router's events turned into views.

use std::time::Instant;

use tandem_protocol::front_desk::PortalMode;
use tandem_protocol::signal::PortalMessage;

use super::{ChatLine, MAX_CHAT_LINES, NO_CONSOLE, State};
use crate::hub::ConnId;
use crate::routing::{RepKey, RequestId};

impl State {
    /// The customer on `conn` is gone: withdraw an open request (recording `why`), tell the
    /// representative of a taken one.
    pub(super) fn customer_gone(&mut self, conn: ConnId, why: &str, now: Instant) {
        let Some(request) = self.customers.remove(&conn) else {
            return;
        };
        let Some(live) = self.requests.get_mut(&request) else {
            return;
        };
        live.customer_conn = None;
        match &live.taken {
            None => {
                if let Some(db) = live.db_id {
                    self.finished.push((db, why.to_owned()));
                }
                self.requests.remove(&request);
                self.router.withdraw(request, now);
            }
            Some(t) => {
                let note = PortalMessage::WebChat {
                    request,
                    from_customer: true,
                    name: live.customer.clone(),
                    text: "(closed the chat page)".to_owned(),
                };
                let _ = t.rep_tx.send(note);
            }
        }
    }

    /// The console on `conn` of `rep` closed: what it took moves to another console of
    /// theirs (with its chat so far), or ends, and the customer is told.
    pub(super) fn console_gone(&mut self, rep: RepKey, conn: ConnId, now: Instant) {
        let other = self
            .reps
            .get(&rep)
            .and_then(|d| d.conns.iter().next().map(|(c, tx)| (*c, tx.clone())));
        let orphaned: Vec<RequestId> = self
            .requests
            .iter()
            .filter(|(_, l)| l.taken.as_ref().is_some_and(|t| t.rep_conn == conn))
            .map(|(id, _)| *id)
            .collect();
        for id in orphaned {
            if let Some((c, tx)) = &other {
                if let Some(t) = self.requests.get_mut(&id).and_then(|l| l.taken.as_mut()) {
                    t.rep_conn = *c;
                    t.rep_tx = tx.clone();
                }
                self.send_taken(id);
                if let Some(live) = self.requests.get(&id) {
                    for line in &live.chat {
                        let _ = tx.send(line.clone());
                    }
                }
                continue;
            }
            // A session already running goes on in the customer app: the request waits for
            // its end (`Desk::session_over`) with no console, so the page stays true.
            if let Some(t) = self.requests.get_mut(&id).and_then(|l| l.taken.as_mut())
                && t.in_session
                && !t.released
            {
                t.rep_conn = NO_CONSOLE;
                continue;
            }
            let Some(live) = self.requests.remove(&id) else {
                continue;
            };
            if let Some((c, tx)) = &live.customer_conn {
                self.customers.remove(c);
                let _ = tx.send(PortalMessage::RequestStatus {
                    request: id,
                    state: tandem_protocol::front_desk::RequestState::Ended {
                        reason: "The representative was disconnected. Please ask for help again."
                            .to_owned(),
                    },
                });
            }
            if let Some(db) = live.db_id {
                self.finished
                    .push((db, "the representative's console closed".to_owned()));
            }
            if live.taken.as_ref().is_some_and(|t| !t.released) {
                self.router.session_ended(rep, now);
            }
        }
    }

    pub(super) fn chat(
        &mut self,
        conn: ConnId,
        request: RequestId,
        text: &str,
    ) -> Option<ChatLine> {
        let live = self.requests.get_mut(&request)?;
        let taken = live.taken.as_ref()?;
        let from_customer = live.customer_conn.as_ref().is_some_and(|(c, _)| *c == conn);
        if !from_customer && taken.rep_conn != conn {
            return None;
        }
        let name = if from_customer {
            live.customer.clone()
        } else {
            taken.rep_name.clone()
        };
        let msg = PortalMessage::WebChat {
            request,
            from_customer,
            name: name.clone(),
            text: text.to_owned(),
        };
        if let Some((_, tx)) = &live.customer_conn {
            let _ = tx.send(msg.clone());
        }
        let _ = taken.rep_tx.send(msg.clone());
        if live.chat.len() >= MAX_CHAT_LINES {
            live.chat.remove(0);
        }
        live.chat.push(msg);
        Some(ChatLine {
            db_id: live.db_id,
            from_customer,
            name,
        })
    }

    /// Sends every view the router says changed.
    pub(super) fn flush(&mut self, now: Instant) {
        while let Some(event) = self.router.poll_event() {
            match event {
                crate::routing::RouterEvent::RepChanged(rep) => self.send_queries(rep, now),
                crate::routing::RouterEvent::CustomerChanged(request) => {
                    self.send_status(request, now);
                }
                crate::routing::RouterEvent::PortalChanged(portal) => {
                    self.send_portal(&portal);
                    // Only a queue's length is part of the List View.
                    let queue = self
                        .portals
                        .get(&portal)
                        .is_some_and(|p| p.mode == PortalMode::Queue);
                    if !queue {
                        continue;
                    }
                    let reps: Vec<RepKey> = self
                        .reps
                        .iter()
                        .filter(|(_, d)| d.portal == portal)
                        .map(|(k, _)| *k)
                        .collect();
                    for rep in reps {
                        self.send_queries(rep, now);
                    }
                }
            }
        }
    }
}
