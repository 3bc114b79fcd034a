//! What each party of the front desk is shown, rebuilt whole from the router's state and
//! the live requests every time it changes: a representative's List View, a customer's
//! request, a portal's page, the winner's taken request.

use std::time::{Duration, Instant};

use tandem_protocol::front_desk::{
    PortalAvailability, PortalMode, PortalPage, Query, QueueLength, RepCard, RequestState,
};
use tandem_protocol::signal::PortalMessage;

use super::State;
use crate::routing::{CustomerStatus, EndReason, RepKey, RequestId};

fn secs(d: Duration) -> u64 {
    d.as_secs()
}

/// The words a customer reads when their request ended without a representative.
pub(super) fn end_sentence(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Withdrawn => "You cancelled your request.",
        EndReason::RepLeft => {
            "The representative you chose is no longer available. Please choose another."
        }
        EndReason::Accepted => "A representative took your request.",
    }
}

/// How a customer's page names a representative (SmartMatch): not the login name, which
/// would tell strangers which accounts to guess passwords for.
pub(super) fn rep_handle(rep: RepKey) -> String {
    format!("rep{rep}")
}

impl State {
    /// Sends `rep`'s List View to each of their consoles.
    pub(super) fn send_queries(&mut self, rep: RepKey, now: Instant) {
        let Some(desk_rep) = self.reps.get(&rep) else {
            return;
        };
        let queries: Vec<Query> = self
            .router
            .offers(rep, now)
            .into_iter()
            .filter_map(|offer| {
                let live = self.requests.get(&offer.request)?;
                Some(Query {
                    request: offer.request,
                    portal: live.portal.clone(),
                    mode: live.mode,
                    customer: live.customer.clone(),
                    question: live.question.clone(),
                    fields: live.fields.clone(),
                    waiting_secs: secs(offer.waiting),
                    offer_expires_in_secs: offer.expires_in.map(secs),
                })
            })
            .collect();
        let portal = &desk_rep.portal;
        let queues = match self.portals.get(portal) {
            Some(p) if p.mode == PortalMode::Queue => vec![QueueLength {
                portal: portal.clone(),
                waiting: u32::try_from(self.router.queue_length(portal)).unwrap_or(u32::MAX),
            }],
            _ => Vec::new(),
        };
        let msg = PortalMessage::Queries {
            queries,
            queues,
            accepting: desk_rep.accepting,
        };
        for tx in desk_rep.conns.values() {
            let _ = tx.send(msg.clone());
        }
    }

    /// The customer's view of `request`.
    fn request_state(&self, request: RequestId, now: Instant) -> Option<RequestState> {
        let live = self.requests.get(&request)?;
        if let Some(t) = &live.taken {
            return Some(match (&t.code, t.in_session) {
                (Some(_), true) => RequestState::InSession,
                (Some((code, _)), false) => RequestState::AppNeeded {
                    join_url: code.join_url.clone(),
                    code: code.code,
                },
                (None, _) => RequestState::Accepted {
                    rep_name: t.rep_name.clone(),
                    chat_start: live.chat_start,
                },
            });
        }
        // An accepted request's own view comes from `taken`; the router's `Accepted` is only
        // seen for a moment before it is set.
        Some(match self.router.customer_status(request, now)? {
            CustomerStatus::Waiting {
                position,
                estimated_wait,
                reps_online,
            } => RequestState::Waiting {
                position,
                estimated_wait_secs: estimated_wait.map(secs),
                reps_online,
            },
            CustomerStatus::Ringing | CustomerStatus::Accepted { .. } => RequestState::Ringing,
            CustomerStatus::Ended(reason) => RequestState::Ended {
                reason: end_sentence(reason).to_owned(),
            },
        })
    }

    /// Sends the customer their request's state.
    pub(super) fn send_status(&mut self, request: RequestId, now: Instant) {
        let Some(state) = self.request_state(request, now) else {
            return;
        };
        let ended = matches!(state, RequestState::Ended { .. });
        if let Some(live) = self.requests.get_mut(&request)
            && live.shown.as_ref() != Some(&state)
        {
            if let Some((_, tx)) = &live.customer_conn {
                let _ = tx.send(PortalMessage::RequestStatus {
                    request,
                    state: state.clone(),
                });
            }
            live.shown = Some(state);
        }
        if ended && let Some(live) = self.requests.remove(&request) {
            if let Some((conn, _)) = live.customer_conn {
                self.customers.remove(&conn);
            }
            if let Some(db) = live.db_id {
                self.finished
                    .push((db, "ended before anyone took it".to_owned()));
            }
        }
    }

    /// Sends the representative who took `request` what they need for it.
    pub(super) fn send_taken(&self, request: RequestId) {
        let Some(live) = self.requests.get(&request) else {
            return;
        };
        let Some(t) = &live.taken else {
            return;
        };
        let _ = t.rep_tx.send(PortalMessage::RequestTaken {
            request,
            customer: live.customer.clone(),
            portal: live.portal.clone(),
            chat_start: live.chat_start,
            code: t.code.as_ref().map(|(c, _)| c.clone()),
        });
    }

    /// The page of `portal` as its customers see it now.
    pub(super) fn portal_page(&self, portal: &str) -> Option<PortalPage> {
        let record = self.portals.get(portal)?;
        let on = self.router.reps_on(portal);
        let availability = if !record.open {
            PortalAvailability::Closed
        } else if on.is_empty() && record.mode != PortalMode::SmartPin {
            PortalAvailability::NobodyOnline
        } else {
            PortalAvailability::Open
        };
        let reps = if record.mode == PortalMode::SmartMatch {
            on.iter()
                .filter_map(|r| self.reps.get(r).map(|d| (r, d)))
                .map(|(r, d)| (*r, d))
                .map(|(r, d)| RepCard {
                    handle: rep_handle(r),
                    name: d.name.clone(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Some(PortalPage {
            name: record.name.clone(),
            title: record.title.clone(),
            mode: record.mode,
            chat_start: record.chat_start,
            fields: if record.mode.has_form() {
                record.fields.clone()
            } else {
                Vec::new()
            },
            availability,
            reps,
            queue_length: u32::try_from(self.router.queue_length(portal)).unwrap_or(u32::MAX),
        })
    }

    /// Sends the page of `portal` to every customer who has it open.
    pub(super) fn send_portal(&self, portal: &str) {
        let Some(page) = self.portal_page(portal) else {
            return;
        };
        if let Some(watchers) = self.watchers.get(portal) {
            for tx in watchers.values() {
                let _ = tx.send(PortalMessage::Portal(page.clone()));
            }
        }
    }
}
