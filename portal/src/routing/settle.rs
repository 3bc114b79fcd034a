//! The bookkeeping behind the public calls: ending requests and offers, forgetting what the
//! shell has seen, and the end of every call: queue offers follow availability, then what
//! each representative, customer and portal would see is compared with what was last
//! announced, and only what differs becomes an event. Comparing, rather than announcing
//! from each rule, keeps the events exact however the rules combine.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use super::{
    CustomerStatus, EndReason, Phase, Portal, RepKey, RequestId, RouteMode, Router, RouterEvent,
};

impl Router {
    /// `rep` is no longer on `portal`: SmartMatch requests for them end there. Their queue
    /// offer moves on when the portal settles.
    pub(super) fn leave(&mut self, rep: RepKey, portal: &str, now: Instant) {
        let Some(p) = self.portals.get_mut(portal) else {
            return;
        };
        p.reps.retain(|&r| r != rep);
        let for_them: Vec<RequestId> = p
            .open
            .iter()
            .copied()
            .filter(|id| {
                self.requests
                    .get(id)
                    .is_some_and(|r| r.mode == RouteMode::Match { rep })
            })
            .collect();
        self.touch(portal);
        for id in for_them {
            self.finish(
                id,
                Phase::Ended {
                    reason: EndReason::RepLeft,
                    at: now,
                },
            );
        }
    }

    /// Ends `request` with `phase`: out of its portal's list and any offer.
    pub(super) fn finish(&mut self, request: RequestId, phase: Phase) {
        self.take_offer(request);
        let Some(req) = self.requests.get_mut(&request) else {
            return;
        };
        req.phase = phase;
        let portal = req.portal.clone();
        if let Some(p) = self.portals.get_mut(&portal) {
            p.open.remove(&request);
        }
        self.finished.push(request);
        self.touched_requests.insert(request);
        self.touch(&portal);
    }

    /// Withdraws the queue offer of `request`, if any, from its representative.
    pub(super) fn take_offer(&mut self, request: RequestId) {
        let Some(req) = self.requests.get_mut(&request) else {
            return;
        };
        let Phase::Open { offer } = &mut req.phase else {
            return;
        };
        if let Some((rep, _)) = offer.take()
            && let Some(record) = self.reps.get_mut(&rep)
            && record.queue_offer == Some(request)
        {
            record.queue_offer = None;
        }
    }

    /// Forgets finished requests whose final status the shell has seen, one offer timeout
    /// after they finished.
    pub(super) fn purge(&mut self, now: Instant) {
        let linger = self.config.offer_timeout;
        let requests = &mut self.requests;
        self.finished.retain(|id| {
            let Some(req) = requests.get(id) else {
                return false;
            };
            let at = match req.phase {
                Phase::Open { .. } => return false,
                Phase::Accepted { at, .. } | Phase::Ended { at, .. } => at,
            };
            if req.final_seen && now.saturating_duration_since(at) >= linger {
                requests.remove(id);
                false
            } else {
                true
            }
        });
    }

    /// Brings the portals the call touched back to their rules and announces the changes.
    pub(super) fn settle(&mut self, now: Instant) {
        let portals: Vec<String> = std::mem::take(&mut self.touched_portals)
            .into_iter()
            .collect();
        // Every stale offer first: a representative who moved may be free on the new portal
        // only once the old portal took its offer back.
        for portal in &portals {
            self.revalidate(portal);
        }
        for portal in &portals {
            self.dispatch(portal, now);
        }
        self.refresh(&portals);
    }

    /// Whether `rep` may be offered a queue request on `portal`: logged in there, accepting
    /// and below their session limit.
    pub(super) fn available(&self, rep: RepKey, portal: &str) -> bool {
        self.reps.get(&rep).is_some_and(|r| {
            r.portal.as_deref() == Some(portal) && r.accepting && r.active() < r.session_limit
        })
    }

    /// Queue offers held by representatives who are no longer available there (logged
    /// out, moved, stopped accepting, full) go back to their place in the queue.
    fn revalidate(&mut self, portal: &str) {
        let Some(p) = self.portals.get(portal) else {
            return;
        };
        let stale: Vec<RequestId> = p
            .open
            .iter()
            .copied()
            .filter(|id| match self.requests.get(id).map(|r| r.phase) {
                Some(Phase::Open {
                    offer: Some((rep, _)),
                }) => !self.available(rep, portal),
                _ => false,
            })
            .collect();
        for id in stale {
            self.take_offer(id);
        }
    }

    /// Offers waiting queue requests, oldest first, each to the free available
    /// representative whose turn it is (least recently offered, then earliest login).
    fn dispatch(&mut self, portal: &str, now: Instant) {
        let deadline = now.checked_add(self.config.offer_timeout).unwrap_or(now);
        loop {
            let Some(p) = self.portals.get(portal) else {
                return;
            };
            let next = p.open.iter().copied().find(|id| {
                self.requests.get(id).is_some_and(|r| {
                    r.mode == RouteMode::Queue && matches!(r.phase, Phase::Open { offer: None })
                })
            });
            let Some(request) = next else {
                return;
            };
            let rep = p
                .reps
                .iter()
                .copied()
                .filter(|&rep| {
                    self.available(rep, portal)
                        && self.reps.get(&rep).is_some_and(|r| r.queue_offer.is_none())
                })
                .min_by_key(|rep| self.reps.get(rep).map(|r| (r.turn, r.login)));
            let Some(rep) = rep else {
                return;
            };
            let turn = self.next_seq();
            if let Some(record) = self.reps.get_mut(&rep) {
                record.queue_offer = Some(request);
                record.turn = Some(turn);
            }
            if let Some(req) = self.requests.get_mut(&request) {
                req.phase = Phase::Open {
                    offer: Some((rep, deadline)),
                };
            }
        }
    }

    /// What `rep`'s list holds: requests and queue-offer deadlines, oldest first.
    pub(super) fn rep_view(&self, rep: RepKey) -> Vec<(RequestId, Option<Instant>)> {
        let Some(portal) = self
            .reps
            .get(&rep)
            .and_then(|r| r.portal.as_deref())
            .and_then(|name| self.portals.get(name))
        else {
            return Vec::new();
        };
        portal
            .open
            .iter()
            .filter_map(|&id| {
                let req = self.requests.get(&id)?;
                let Phase::Open { offer } = req.phase else {
                    return None;
                };
                match req.mode {
                    RouteMode::Broadcast => Some((id, None)),
                    RouteMode::Match { rep: chosen } => (chosen == rep).then_some((id, None)),
                    RouteMode::Queue => match offer {
                        Some((holder, deadline)) if holder == rep => Some((id, Some(deadline))),
                        _ => None,
                    },
                }
            })
            .collect()
    }

    /// The status of every open request on `portal`, oldest first.
    pub(super) fn statuses_on(&self, portal: &str) -> Vec<(RequestId, CustomerStatus)> {
        let Some(p) = self.portals.get(portal) else {
            return Vec::new();
        };
        let online = u32::try_from(p.reps.len()).unwrap_or(u32::MAX);
        let mut position = 0u32;
        p.open
            .iter()
            .filter_map(|&id| {
                let req = self.requests.get(&id)?;
                let Phase::Open { offer } = req.phase else {
                    return None;
                };
                let status = match req.mode {
                    RouteMode::Queue if offer.is_none() => {
                        position = position.saturating_add(1);
                        waiting_in_queue(p, position, online)
                    }
                    RouteMode::Broadcast if online == 0 => CustomerStatus::Waiting {
                        position: None,
                        estimated_wait: None,
                        reps_online: 0,
                    },
                    RouteMode::Queue | RouteMode::Broadcast | RouteMode::Match { .. } => {
                        CustomerStatus::Ringing
                    }
                };
                Some((id, status))
            })
            .collect()
    }

    /// Announces every view the call changed: representatives on the touched portals or
    /// touched themselves, requests there or finished, the portals.
    fn refresh(&mut self, portals: &[String]) {
        let mut reps = std::mem::take(&mut self.touched_reps);
        let mut requests = std::mem::take(&mut self.touched_requests);
        let mut statuses = BTreeMap::new();
        for name in portals {
            if let Some(p) = self.portals.get(name) {
                reps.extend(p.reps.iter().copied());
                requests.extend(p.open.iter().copied());
            }
            statuses.extend(self.statuses_on(name));
        }
        self.refresh_reps(reps);
        for id in requests {
            let status = statuses.get(&id).copied().or_else(|| self.status(id));
            let Some(req) = self.requests.get_mut(&id) else {
                continue;
            };
            if req.shown != status {
                req.shown = status;
                self.push(RouterEvent::CustomerChanged(id));
            }
        }
        for name in portals {
            let view = (self.reps_on(name), self.queue_length(name));
            if let Some(p) = self.portals.get_mut(name)
                && p.shown != view
            {
                p.shown = view;
                self.push(RouterEvent::PortalChanged(name.clone()));
            }
        }
    }

    fn refresh_reps(&mut self, reps: BTreeSet<RepKey>) {
        for rep in reps {
            let view = self.rep_view(rep);
            let Some(record) = self.reps.get_mut(&rep) else {
                continue;
            };
            let changed = record.shown != view;
            record.shown = view;
            let gone = record.portal.is_none() && record.active() == 0;
            if gone {
                self.reps.remove(&rep);
            }
            if changed {
                self.push(RouterEvent::RepChanged(rep));
            }
        }
    }

    fn push(&mut self, event: RouterEvent) {
        if self.pending.insert(event.clone()) {
            self.events.push_back(event);
        }
    }
}

/// A queue request at `position` among those not yet offered.
fn waiting_in_queue(portal: &Portal, position: u32, online: u32) -> CustomerStatus {
    CustomerStatus::Waiting {
        position: Some(position),
        estimated_wait: Some(portal.avg_handle.saturating_mul(position) / online.max(1)),
        reps_online: online,
    }
}
