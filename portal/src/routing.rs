//! Who sees a customer's request for help, and who gets it, without IO or a clock: `now` is
//! a parameter of every call, and the shell learns what changed from [`Router::poll_event`]
//! and when to call [`Router::handle_timeout`] from [`Router::poll_timeout`].
//!
//! Customers who ask for help on a portal without a code are routed by the portal's mode:
//!
//! - [`RouteMode::Broadcast`] (SmartButton, SmartBox): every representative logged in on the
//!   portal sees the request at once, whatever their load (they decide), and so do those
//!   who log in later while it is open.
//! - [`RouteMode::Match`] (SmartMatch): only the representative the customer chose.
//! - [`RouteMode::Queue`]: requests wait first come, first served; each is offered to one
//!   *available* representative at a time (accepting, below their session limit), taking
//!   turns, and moves on when an offer is not accepted within
//!   [`RouterConfig::offer_timeout`].
//!
//! The first accept wins. Finished requests (accepted, withdrawn, their chosen
//! representative gone) are remembered until the shell has polled their last
//! [`RouterEvent::CustomerChanged`] *and* one offer timeout has passed since they finished,
//! so that the final status can be shown and a representative whose click raced the
//! winner's hears [`AcceptError::AlreadyTaken`] rather than [`AcceptError::Unknown`]. After
//! that they are forgotten: memory is bounded by the open requests, the logged-in
//! representatives (and those with sessions still running) and the portals they use.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use tandem_portal::routing::{CustomerStatus, RouteMode, Router, RouterConfig};
//! let t0 = Instant::now();
//! let mut router = Router::new(RouterConfig::default());
//! router.rep_online(7, "support", 2, t0);
//! let request = router.submit("support", RouteMode::Queue, t0).expect("rep 7 is there");
//! assert_eq!(router.offers(7, t0)[0].request, request);
//! assert_eq!(router.accept(7, request, t0 + Duration::from_secs(3)), Ok(()));
//! assert_eq!(
//!     router.customer_status(request, t0),
//!     Some(CustomerStatus::Accepted { rep: 7 })
//! );
//! ```

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::time::{Duration, Instant};

mod settle;
mod types;

pub use types::{
    AcceptError, CustomerStatus, EndReason, Offer, Refusal, RepKey, RequestId, RequestState,
    RouteMode, RouterConfig, RouterEvent,
};

/// Offer timeouts are clamped to this, so that `now + timeout` always fits the clock.
const MAX_OFFER_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// A representative known to the router: logged in, or logged out with sessions still
/// running (so that their load is right when they come back).
#[derive(Debug)]
struct Rep {
    /// The portal they are logged in on; `None` once logged out.
    portal: Option<String>,
    session_limit: u32,
    accepting: bool,
    /// When they logged in on their portal (router sequence): login order and ties.
    login: u64,
    /// When they were last offered a queue request, or skipped one (router sequence):
    /// turns go to the smallest, `None` first.
    turn: Option<u64>,
    /// The queue request offered to them right now.
    queue_offer: Option<RequestId>,
    /// Sessions the router did not route, as the shell last said.
    other_sessions: u32,
    /// Sessions the router routed to them: when accepted and on which portal, oldest first.
    routed: VecDeque<(Instant, String)>,
    /// Their offers as last announced by a [`RouterEvent::RepChanged`].
    shown: Vec<(RequestId, Option<Instant>)>,
}

impl Rep {
    fn active(&self) -> u32 {
        let routed = u32::try_from(self.routed.len()).unwrap_or(u32::MAX);
        self.other_sessions.saturating_add(routed)
    }
}

/// Where a request is in its life.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Still routed; a queue request may be offered to one representative until a deadline.
    Open { offer: Option<(RepKey, Instant)> },
    /// Taken by `rep`.
    Accepted { rep: RepKey, at: Instant },
    /// Ended otherwise.
    Ended { reason: EndReason, at: Instant },
}

#[derive(Debug)]
struct Request {
    portal: String,
    mode: RouteMode,
    submitted: Instant,
    phase: Phase,
    /// The status last announced by a [`RouterEvent::CustomerChanged`].
    shown: Option<CustomerStatus>,
    /// The shell polled an event for it after it finished.
    final_seen: bool,
}

/// A portal representatives log in on. Kept once created: portals are the shell's
/// configuration, and their handle-time average should survive a night with nobody on.
#[derive(Debug)]
struct Portal {
    /// Logged in here, in login order.
    reps: Vec<RepKey>,
    /// Open requests, oldest first (ids grow): queue order is this order.
    open: BTreeSet<RequestId>,
    /// Exponential moving average of accept → session end on this portal.
    avg_handle: Duration,
    /// `reps` and queue length as last announced by a [`RouterEvent::PortalChanged`].
    shown: (Vec<RepKey>, usize),
}

/// The routing state of every portal. See the module documentation.
#[derive(Debug)]
pub struct Router {
    config: RouterConfig,
    reps: BTreeMap<RepKey, Rep>,
    requests: BTreeMap<RequestId, Request>,
    portals: BTreeMap<String, Portal>,
    next_request: RequestId,
    /// Orders logins and turns.
    seq: u64,
    /// Finished requests not yet forgotten.
    finished: Vec<RequestId>,
    events: VecDeque<RouterEvent>,
    /// What `events` holds, so nothing is queued twice.
    pending: HashSet<RouterEvent>,
    /// What the current call may have changed; views there are compared when it ends.
    touched_portals: BTreeSet<String>,
    touched_reps: BTreeSet<RepKey>,
    touched_requests: BTreeSet<RequestId>,
}

impl Router {
    /// A router with nobody logged in.
    pub fn new(config: RouterConfig) -> Self {
        let config = RouterConfig {
            offer_timeout: config.offer_timeout.min(MAX_OFFER_TIMEOUT),
            ..config
        };
        Router {
            config,
            reps: BTreeMap::new(),
            requests: BTreeMap::new(),
            portals: BTreeMap::new(),
            next_request: 1,
            seq: 0,
            finished: Vec::new(),
            events: VecDeque::new(),
            pending: HashSet::new(),
            touched_portals: BTreeSet::new(),
            touched_reps: BTreeSet::new(),
            touched_requests: BTreeSet::new(),
        }
    }

    /// `rep` logged in on `portal` with room for `session_limit` sessions. Called again, it
    /// updates the limit, or moves them to another portal: what they were offered there
    /// goes (SmartMatch requests for them end, their queue offer moves on) and they start
    /// at the end of the new portal's login order. A new login starts accepting.
    pub fn rep_online(&mut self, rep: RepKey, portal: &str, session_limit: u32, now: Instant) {
        self.purge(now);
        let login = self.next_seq();
        let record = self.reps.entry(rep).or_insert_with(|| Rep {
            portal: None,
            session_limit,
            accepting: true,
            login,
            turn: None,
            queue_offer: None,
            other_sessions: 0,
            routed: VecDeque::new(),
            shown: Vec::new(),
        });
        record.session_limit = session_limit;
        if record.portal.as_deref() != Some(portal) {
            let old = record.portal.replace(portal.to_owned());
            if old.is_none() {
                record.accepting = true;
            }
            record.login = login;
            if let Some(old) = old {
                self.leave(rep, &old, now);
            }
            let default = self.config.default_handle_time;
            self.portals
                .entry(portal.to_owned())
                .or_insert_with(|| Portal {
                    reps: Vec::new(),
                    open: BTreeSet::new(),
                    avg_handle: default,
                    shown: (Vec::new(), 0),
                })
                .reps
                .push(rep);
        }
        self.touch(portal);
        self.touched_reps.insert(rep);
        self.settle(now);
    }

    /// `rep` logged out (or their connection is gone): their queue offer moves on at once,
    /// SmartMatch requests for them end, broadcast requests stay for the others.
    pub fn rep_offline(&mut self, rep: RepKey, now: Instant) {
        self.purge(now);
        let Some(old) = self.reps.get_mut(&rep).and_then(|r| r.portal.take()) else {
            return;
        };
        self.leave(rep, &old, now);
        self.touched_reps.insert(rep);
        self.settle(now);
    }

    /// Whether `rep` takes queue requests; one who stops loses their queue offer to the
    /// next representative. Broadcast and SmartMatch requests reach them either way.
    pub fn set_accepting(&mut self, rep: RepKey, accepting: bool, now: Instant) {
        self.purge(now);
        let Some(record) = self.reps.get_mut(&rep) else {
            return;
        };
        record.accepting = accepting;
        if let Some(portal) = record.portal.clone() {
            self.touch(&portal);
        }
        self.touched_reps.insert(rep);
        self.settle(now);
    }

    /// A session the router routed to `rep` ended: one more free seat, and the time since
    /// the oldest such accept feeds its portal's handle-time average. Sessions the router
    /// did not route are counted by [`Router::set_active_sessions`] only; for a
    /// representative without routed sessions this does nothing.
    pub fn session_ended(&mut self, rep: RepKey, now: Instant) {
        self.purge(now);
        let Some(record) = self.reps.get_mut(&rep) else {
            return;
        };
        let Some((accepted, routed_on)) = record.routed.pop_front() else {
            return;
        };
        let own = record.portal.clone();
        let sample = now.saturating_duration_since(accepted);
        if let Some(portal) = self.portals.get_mut(&routed_on) {
            // A quarter of the newest sample: a few sessions move the estimate most of the
            // way, one odd session does not.
            let avg = portal.avg_handle;
            portal.avg_handle = (avg - avg / 4).saturating_add(sample / 4);
        }
        self.touch(&routed_on);
        if let Some(own) = own {
            self.touch(&own);
        }
        self.touched_reps.insert(rep);
        self.settle(now);
    }

    /// `rep` is in `n` sessions the router did not route (started with a code, joined by
    /// invitation): they count towards the session limit. Ignored for a representative the
    /// router does not know (call it after [`Router::rep_online`]).
    pub fn set_active_sessions(&mut self, rep: RepKey, n: u32, now: Instant) {
        self.purge(now);
        let Some(record) = self.reps.get_mut(&rep) else {
            return;
        };
        record.other_sessions = n;
        if let Some(portal) = record.portal.clone() {
            self.touch(&portal);
        }
        self.touched_reps.insert(rep);
        self.settle(now);
    }

    /// A customer asks for help on `portal`. Refused when nobody could ever see it (nobody
    /// logged in there, the chosen representative not there) or the queue is full.
    pub fn submit(
        &mut self,
        portal: &str,
        mode: RouteMode,
        now: Instant,
    ) -> Result<RequestId, Refusal> {
        self.purge(now);
        let reps_there = self.portals.get(portal).map_or(0, |p| p.reps.len());
        match mode {
            RouteMode::Match { rep } => {
                let there = self
                    .reps
                    .get(&rep)
                    .is_some_and(|r| r.portal.as_deref() == Some(portal));
                if !there {
                    return Err(Refusal::RepNotAvailable);
                }
            }
            RouteMode::Broadcast | RouteMode::Queue if reps_there == 0 => {
                return Err(Refusal::NobodyAvailable);
            }
            RouteMode::Queue if self.queue_length(portal) >= self.config.queue_cap => {
                return Err(Refusal::QueueFull);
            }
            RouteMode::Broadcast | RouteMode::Queue => {}
        }
        let Some(open) = self.portals.get_mut(portal).map(|p| &mut p.open) else {
            // Unreachable: someone is logged in there, so the portal exists.
            return Err(Refusal::NobodyAvailable);
        };
        let id = self.next_request;
        self.next_request += 1;
        open.insert(id);
        self.requests.insert(
            id,
            Request {
                portal: portal.to_owned(),
                mode,
                submitted: now,
                phase: Phase::Open { offer: None },
                shown: None,
                final_seen: false,
            },
        );
        self.touch(portal);
        self.touched_requests.insert(id);
        self.settle(now);
        Ok(id)
    }

    /// The customer left (closed the page): the request leaves every list at once and the
    /// queue behind it moves up. Nothing happens to a request that is not open.
    pub fn withdraw(&mut self, request: RequestId, now: Instant) {
        self.purge(now);
        if self.is_open(request) {
            self.finish(
                request,
                Phase::Ended {
                    reason: EndReason::Withdrawn,
                    at: now,
                },
            );
        }
        self.settle(now);
    }

    /// `rep` takes `request`. The first accept wins; the request leaves everyone else's
    /// list at once and counts as one more session of `rep` until
    /// [`Router::session_ended`].
    pub fn accept(
        &mut self,
        rep: RepKey,
        request: RequestId,
        now: Instant,
    ) -> Result<(), AcceptError> {
        self.purge(now);
        let Some(req) = self.requests.get(&request) else {
            return Err(AcceptError::Unknown);
        };
        let offer = match req.phase {
            Phase::Open { offer } => offer,
            Phase::Accepted { .. } => return Err(AcceptError::AlreadyTaken),
            Phase::Ended { .. } => return Err(AcceptError::Unknown),
        };
        let on_portal = self
            .reps
            .get(&rep)
            .is_some_and(|r| r.portal.as_deref() == Some(req.portal.as_str()));
        let offered = on_portal
            && match req.mode {
                RouteMode::Broadcast => true,
                RouteMode::Match { rep: chosen } => chosen == rep,
                RouteMode::Queue => offer.is_some_and(|(holder, _)| holder == rep),
            };
        if !offered {
            return Err(AcceptError::NotOffered);
        }
        let portal = req.portal.clone();
        self.finish(request, Phase::Accepted { rep, at: now });
        if let Some(record) = self.reps.get_mut(&rep) {
            record.routed.push_back((now, portal));
        }
        self.touched_reps.insert(rep);
        self.settle(now);
        Ok(())
    }

    /// Queue offers past their deadline move on: the representative who let one pass goes
    /// to the back of the turns (offered it again only if nobody else is free).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.purge(now);
        let mut expired: Vec<(Instant, RequestId, RepKey)> = self
            .requests
            .iter()
            .filter_map(|(&id, req)| match req.phase {
                Phase::Open {
                    offer: Some((rep, deadline)),
                } if deadline <= now => Some((deadline, id, rep)),
                _ => None,
            })
            .collect();
        expired.sort_unstable();
        for (_, request, rep) in expired {
            self.take_offer(request);
            let turn = self.next_seq();
            if let Some(record) = self.reps.get_mut(&rep) {
                record.turn = Some(turn);
            }
            if let Some(portal) = self.requests.get(&request).map(|r| r.portal.clone()) {
                self.touch(&portal);
            }
        }
        self.settle(now);
    }

    /// When the next queue offer expires: call [`Router::handle_timeout`] then.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.requests
            .values()
            .filter_map(|req| match req.phase {
                Phase::Open {
                    offer: Some((_, deadline)),
                } => Some(deadline),
                _ => None,
            })
            .min()
    }

    /// What to re-render next. Poll until `None` after every call.
    pub fn poll_event(&mut self) -> Option<RouterEvent> {
        let event = self.events.pop_front()?;
        self.pending.remove(&event);
        if let RouterEvent::CustomerChanged(id) = event
            && let Some(req) = self.requests.get_mut(&id)
            && !matches!(req.phase, Phase::Open { .. })
        {
            req.final_seen = true;
        }
        Some(event)
    }

    /// What `rep`'s list shows, oldest request first.
    pub fn offers(&self, rep: RepKey, now: Instant) -> Vec<Offer> {
        self.rep_view(rep)
            .into_iter()
            .map(|(request, deadline)| Offer {
                request,
                waiting: self.requests.get(&request).map_or(Duration::ZERO, |r| {
                    now.saturating_duration_since(r.submitted)
                }),
                expires_in: deadline.map(|d| d.saturating_duration_since(now)),
            })
            .collect()
    }

    /// What the customer's page shows; `None` for an unknown or forgotten request. The
    /// status does not depend on `now` (the page counts waiting time itself); it is taken
    /// for symmetry with the other calls.
    pub fn customer_status(&self, request: RequestId, _now: Instant) -> Option<CustomerStatus> {
        self.status(request)
    }

    fn status(&self, request: RequestId) -> Option<CustomerStatus> {
        let req = self.requests.get(&request)?;
        match req.phase {
            Phase::Open { .. } => self
                .statuses_on(&req.portal)
                .into_iter()
                .find_map(|(id, status)| (id == request).then_some(status)),
            Phase::Accepted { rep, .. } => Some(CustomerStatus::Accepted { rep }),
            Phase::Ended { reason, .. } => Some(CustomerStatus::Ended(reason)),
        }
    }

    /// Whether `request` is still routed, or how it ended; `None` once forgotten.
    pub fn state(&self, request: RequestId) -> Option<RequestState> {
        Some(match self.requests.get(&request)?.phase {
            Phase::Open { .. } => RequestState::Open,
            Phase::Accepted { .. } => RequestState::Ended(EndReason::Accepted),
            Phase::Ended { reason, .. } => RequestState::Ended(reason),
        })
    }

    /// Queue requests not yet accepted on `portal`, offered or not.
    pub fn queue_length(&self, portal: &str) -> usize {
        self.portals.get(portal).map_or(0, |p| {
            p.open
                .iter()
                .filter(|id| {
                    self.requests
                        .get(id)
                        .is_some_and(|r| r.mode == RouteMode::Queue)
                })
                .count()
        })
    }

    /// Representatives logged in on `portal`, in login order (the SmartMatch list).
    pub fn reps_on(&self, portal: &str) -> Vec<RepKey> {
        self.portals
            .get(portal)
            .map_or_else(Vec::new, |p| p.reps.clone())
    }

    /// The portal `request` was made on.
    pub fn portal_of(&self, request: RequestId) -> Option<&str> {
        self.requests.get(&request).map(|r| r.portal.as_str())
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    fn touch(&mut self, portal: &str) {
        if !self.touched_portals.contains(portal) {
            self.touched_portals.insert(portal.to_owned());
        }
    }

    fn is_open(&self, request: RequestId) -> bool {
        self.requests
            .get(&request)
            .is_some_and(|r| matches!(r.phase, Phase::Open { .. }))
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_prop;
#[cfg(test)]
mod tests_queue;
