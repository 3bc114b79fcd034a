//! Random operations on two portals and five representatives, with the invariants checked
//! after each: one holder per queue offer and one queue offer per holder, accepted
//! requests on nobody's list, queue positions without gaps, no free representative left
//! idle beside a waiting queue request, and an event for every view that changed.

use std::collections::BTreeMap;
use std::time::Instant;

use super::tests::{drain, secs};
use super::*;

const PORTALS: [&str; 2] = ["a", "b"];
const REPS: [RepKey; 5] = [1, 2, 3, 4, 5];

/// Marsaglia's xorshift64: reproducible without a dependency.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % u64::try_from(n).expect("small")).expect("small")
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Everything a shell renders, keyed by whose view it is.
#[derive(Debug, PartialEq)]
struct Views {
    reps: BTreeMap<RepKey, Vec<(RequestId, bool)>>,
    customers: BTreeMap<RequestId, CustomerStatus>,
    portals: BTreeMap<String, (Vec<RepKey>, usize)>,
}

fn views(router: &Router, ids: &[RequestId], now: Instant) -> Views {
    Views {
        reps: REPS
            .iter()
            .map(|&rep| {
                let offers = router.offers(rep, now);
                (
                    rep,
                    offers
                        .iter()
                        .map(|o| (o.request, o.expires_in.is_some()))
                        .collect(),
                )
            })
            .collect(),
        customers: ids
            .iter()
            .filter_map(|&id| Some((id, router.customer_status(id, now)?)))
            .collect(),
        portals: PORTALS
            .iter()
            .map(|&p| (p.to_owned(), (router.reps_on(p), router.queue_length(p))))
            .collect(),
    }
}

/// Every view that differs between `before` and `after` was announced; customers' and
/// portals' views were announced only if they differ (a representative's may also be
/// announced for a new deadline, which `Views` does not hold).
fn check_events(before: &Views, after: &Views, events: &[RouterEvent]) {
    for (rep, view) in &after.reps {
        if before.reps.get(rep) != Some(view) {
            assert!(events.contains(&RouterEvent::RepChanged(*rep)), "rep {rep}");
        }
    }
    for (id, status) in &after.customers {
        let changed = before.customers.get(id) != Some(status);
        let announced = events.contains(&RouterEvent::CustomerChanged(*id));
        assert_eq!(changed, announced, "request {id}: {status:?}");
    }
    for (portal, view) in &after.portals {
        let changed = before.portals.get(portal) != Some(view);
        let announced = events.contains(&RouterEvent::PortalChanged(portal.clone()));
        assert_eq!(changed, announced, "portal {portal}");
    }
}

fn check_invariants(router: &Router, now: Instant) {
    let mut queue_holders: BTreeMap<RequestId, Vec<RepKey>> = BTreeMap::new();
    for rep in REPS {
        let offers = router.offers(rep, now);
        let queue: Vec<RequestId> = offers
            .iter()
            .filter(|o| o.expires_in.is_some())
            .map(|o| o.request)
            .collect();
        assert!(queue.len() <= 1, "rep {rep} holds {queue:?}");
        for offer in &offers {
            let status = router.customer_status(offer.request, now);
            assert!(
                !matches!(status, Some(CustomerStatus::Accepted { .. })),
                "accepted {} still on {rep}'s list",
                offer.request
            );
            assert_eq!(router.state(offer.request), Some(RequestState::Open));
        }
        for id in queue {
            queue_holders.entry(id).or_default().push(rep);
            assert!(
                router.available(rep, router.portal_of(id).expect("known")),
                "rep {rep} holds {id} without being available"
            );
        }
    }
    for (id, holders) in &queue_holders {
        assert_eq!(holders.len(), 1, "{id} offered to {holders:?}");
    }
    for portal in PORTALS {
        let Some(p) = router.portals.get(portal) else {
            continue;
        };
        let mut positions = Vec::new();
        let mut waiting_in_queue = false;
        for &id in &p.open {
            let req = &router.requests[&id];
            if req.mode == RouteMode::Queue {
                let offered = matches!(req.phase, Phase::Open { offer: Some(_) });
                assert_eq!(offered, queue_holders.contains_key(&id), "request {id}");
                waiting_in_queue |= !offered;
            }
            if let Some(CustomerStatus::Waiting {
                position: Some(position),
                ..
            }) = router.customer_status(id, now)
            {
                positions.push(position);
            }
        }
        let expected: Vec<u32> = (1..=u32::try_from(positions.len()).expect("small")).collect();
        assert_eq!(positions, expected, "positions on {portal}");
        if waiting_in_queue {
            let idle = p.reps.iter().find(|&&rep| {
                router.available(rep, portal) && router.reps[&rep].queue_offer.is_none()
            });
            assert_eq!(idle, None, "a free representative idles beside the queue");
        }
        assert!(router.queue_length(portal) <= router.config.queue_cap);
    }
    let deadlines = router.requests.values().filter_map(|r| match r.phase {
        Phase::Open {
            offer: Some((_, deadline)),
        } => Some(deadline),
        _ => None,
    });
    assert_eq!(router.poll_timeout(), deadlines.min());
}

/// One random operation; returns what it did, for the coverage count.
fn step(
    router: &mut Router,
    rng: &mut XorShift,
    ids: &mut Vec<RequestId>,
    now: Instant,
) -> &'static str {
    let rep = rng.pick(&REPS);
    let portal = rng.pick(&PORTALS);
    match rng.below(12) {
        0 => {
            let limit = u32::try_from(rng.below(3)).expect("small");
            router.rep_online(rep, portal, limit, now);
            "online"
        }
        1 => {
            router.rep_offline(rep, now);
            "offline"
        }
        2 => {
            router.set_accepting(rep, rng.below(3) > 0, now);
            "accepting"
        }
        3 => {
            router.session_ended(rep, now);
            "session ended"
        }
        4 => {
            let n = u32::try_from(rng.below(2)).expect("small");
            router.set_active_sessions(rep, n, now);
            "sessions"
        }
        5 | 6 => {
            let mode = match rng.below(4) {
                0 => RouteMode::Broadcast,
                1 => RouteMode::Match { rep },
                _ => RouteMode::Queue,
            };
            match router.submit(portal, mode, now) {
                Ok(id) => {
                    assert!(ids.last().is_none_or(|&last| id > last), "ids grow");
                    ids.push(id);
                    "submitted"
                }
                Err(Refusal::NobodyAvailable) => "refused: nobody",
                Err(Refusal::RepNotAvailable) => "refused: rep",
                Err(Refusal::QueueFull) => "refused: full",
            }
        }
        7 if !ids.is_empty() => {
            router.withdraw(rng.pick(ids), now);
            "withdrawn"
        }
        8..=10 => {
            let offers = router.offers(rep, now);
            let id = if !offers.is_empty() && rng.below(4) > 0 {
                rng.pick(&offers).request
            } else if ids.is_empty() {
                1
            } else {
                rng.pick(ids)
            };
            let was_offered = offers.iter().any(|o| o.request == id);
            let accepted = router.accept(rep, id, now);
            assert_eq!(accepted.is_ok(), was_offered, "rep {rep} accepting {id}");
            if accepted.is_err() {
                return "accept refused";
            }
            assert_eq!(
                router.customer_status(id, now),
                Some(CustomerStatus::Accepted { rep })
            );
            assert!(REPS.iter().all(|&r| !listed_has(router, r, id, now)));
            match router.requests[&id].mode {
                RouteMode::Broadcast => "accepted: broadcast",
                RouteMode::Match { .. } => "accepted: match",
                RouteMode::Queue => "accepted: queue",
            }
        }
        _ => {
            router.handle_timeout(now);
            "timeout"
        }
    }
}

fn listed_has(router: &Router, rep: RepKey, id: RequestId, now: Instant) -> bool {
    router.offers(rep, now).iter().any(|o| o.request == id)
}

#[test]
fn random_operations_keep_the_invariants() {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for seed in 1..=12u64 {
        let mut rng = XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let mut router = Router::new(RouterConfig {
            offer_timeout: secs(30),
            queue_cap: 4,
            default_handle_time: secs(60),
        });
        let mut ids = Vec::new();
        let mut now = Instant::now();
        let mut before = views(&router, &ids, now);
        for _ in 0..1500 {
            now += secs(u64::try_from(rng.below(12)).expect("small"));
            let what = step(&mut router, &mut rng, &mut ids, now);
            let events = drain(&mut router);
            *seen.entry(what).or_default() += 1;
            if what == "timeout" && !events.is_empty() {
                *seen.entry("offer moved on").or_default() += 1;
            }
            for event in &events {
                if let RouterEvent::CustomerChanged(id) = event
                    && router.customer_status(*id, now)
                        == Some(CustomerStatus::Ended(EndReason::RepLeft))
                {
                    *seen.entry("rep left").or_default() += 1;
                }
            }
            let after = views(&router, &ids, now);
            check_events(&before, &after, &events);
            check_invariants(&router, now);
            before = after;
        }
        // Memory: once everything was seen and an offer timeout passed, only open
        // requests and representatives logged in or in sessions remain.
        now += secs(31);
        router.handle_timeout(now);
        drain(&mut router);
        router.handle_timeout(now);
        let open: usize = router.portals.values().map(|p| p.open.len()).sum();
        assert_eq!(router.requests.len(), open, "seed {seed}");
        assert_eq!(router.finished.len(), 0);
        assert!(
            router
                .reps
                .values()
                .all(|r| r.portal.is_some() || r.active() > 0)
        );
    }
    // The operations reached every rule, not only the easy ones.
    for what in [
        "accepted: broadcast",
        "accepted: match",
        "accepted: queue",
        "accept refused",
        "refused: nobody",
        "refused: rep",
        "refused: full",
        "withdrawn",
        "offer moved on",
        "rep left",
    ] {
        assert!(
            seen.get(what).copied().unwrap_or(0) >= 5,
            "{what}: {seen:?}"
        );
    }
}
