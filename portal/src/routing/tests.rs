//! The router with broadcast (SmartButton, SmartBox) and SmartMatch requests, accepts,
//! withdrawals, logins and logouts, events and forgetting. Queue mode is in
//! `tests_queue.rs`, random operations in `tests_prop.rs`. Time is virtual: a base instant
//! plus durations.

use std::time::{Duration, Instant};

use super::*;

pub(super) const P: &str = "support";
pub(super) const OTHER: &str = "sales";

pub(super) fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// 30 s to accept, 3 queued per portal, a minute per session.
pub(super) fn config() -> RouterConfig {
    RouterConfig {
        offer_timeout: secs(30),
        queue_cap: 3,
        default_handle_time: secs(60),
    }
}

pub(super) fn drain(router: &mut Router) -> Vec<RouterEvent> {
    std::iter::from_fn(|| router.poll_event()).collect()
}

/// The requests on `rep`'s list, oldest first.
pub(super) fn listed(router: &Router, rep: RepKey, now: Instant) -> Vec<RequestId> {
    router.offers(rep, now).iter().map(|o| o.request).collect()
}

pub(super) fn waiting(position: Option<u32>, eta: Option<u64>, online: u32) -> CustomerStatus {
    CustomerStatus::Waiting {
        position,
        estimated_wait: eta.map(secs),
        reps_online: online,
    }
}

#[test]
fn broadcast_reaches_every_rep_on_the_portal_and_nobody_else() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    // Full and not accepting: a broadcast reaches them anyway, they decide.
    router.rep_online(2, P, 0, t);
    router.set_accepting(2, false, t);
    router.rep_online(3, OTHER, 5, t);
    drain(&mut router);

    let id = router
        .submit(P, RouteMode::Broadcast, t)
        .expect("reps are on");
    assert_eq!(id, 1, "numbers start at 1");
    assert_eq!(listed(&router, 1, t), vec![id]);
    assert_eq!(listed(&router, 2, t), vec![id]);
    assert!(listed(&router, 3, t).is_empty());
    assert_eq!(router.customer_status(id, t), Some(CustomerStatus::Ringing));
    assert_eq!(router.portal_of(id), Some(P));
    assert_eq!(router.state(id), Some(RequestState::Open));
    let events = drain(&mut router);
    assert!(events.contains(&RouterEvent::RepChanged(1)));
    assert!(events.contains(&RouterEvent::RepChanged(2)));
    assert!(events.contains(&RouterEvent::CustomerChanged(id)));
    assert!(!events.contains(&RouterEvent::RepChanged(3)));
    assert_eq!(router.queue_length(P), 0, "not a queue request");

    let later = t + secs(5);
    let offer = router.offers(1, later)[0];
    assert_eq!(offer.waiting, secs(5));
    assert_eq!(offer.expires_in, None, "broadcast offers do not expire");
    assert_eq!(router.poll_timeout(), None);
}

#[test]
fn requests_are_refused_when_nobody_is_logged_in_on_the_portal() {
    let t = Instant::now();
    let mut router = Router::new(config());
    assert_eq!(
        router.submit(P, RouteMode::Broadcast, t),
        Err(Refusal::NobodyAvailable)
    );
    router.rep_online(3, OTHER, 5, t);
    assert_eq!(
        router.submit(P, RouteMode::Broadcast, t),
        Err(Refusal::NobodyAvailable)
    );
    assert_eq!(
        router.submit(P, RouteMode::Queue, t),
        Err(Refusal::NobodyAvailable)
    );
    router.rep_online(1, P, 1, t);
    router.rep_offline(1, t);
    assert_eq!(
        router.submit(P, RouteMode::Broadcast, t),
        Err(Refusal::NobodyAvailable)
    );
    assert_eq!(router.submit(OTHER, RouteMode::Broadcast, t), Ok(1));
}

#[test]
fn first_accept_wins_and_the_loser_loses_the_offer() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, P, 1, t);
    let id = router
        .submit(P, RouteMode::Broadcast, t)
        .expect("reps are on");
    drain(&mut router);

    assert_eq!(router.accept(1, id, t + secs(2)), Ok(()));
    let events = drain(&mut router);
    assert!(events.contains(&RouterEvent::RepChanged(2)), "{events:?}");
    assert!(events.contains(&RouterEvent::RepChanged(1)), "{events:?}");
    assert!(
        events.contains(&RouterEvent::CustomerChanged(id)),
        "{events:?}"
    );
    assert!(listed(&router, 1, t).is_empty());
    assert!(listed(&router, 2, t).is_empty());
    assert_eq!(
        router.accept(2, id, t + secs(3)),
        Err(AcceptError::AlreadyTaken)
    );
    assert_eq!(
        router.accept(1, id, t + secs(3)),
        Err(AcceptError::AlreadyTaken),
        "accepting twice does not count twice"
    );
    assert_eq!(
        router.customer_status(id, t),
        Some(CustomerStatus::Accepted { rep: 1 })
    );
    assert_eq!(
        router.state(id),
        Some(RequestState::Ended(EndReason::Accepted))
    );
}

#[test]
fn racing_accepts_at_the_same_instant_have_one_winner() {
    let t = Instant::now();
    let mut router = Router::new(config());
    for rep in 1..=3 {
        router.rep_online(rep, P, 2, t);
    }
    let a = router
        .submit(P, RouteMode::Broadcast, t)
        .expect("reps are on");
    let b = router
        .submit(P, RouteMode::Broadcast, t)
        .expect("reps are on");
    let at = t + secs(1);
    assert_eq!(router.accept(2, a, at), Ok(()));
    assert_eq!(router.accept(3, a, at), Err(AcceptError::AlreadyTaken));
    assert_eq!(router.accept(1, a, at), Err(AcceptError::AlreadyTaken));
    assert_eq!(router.accept(3, b, at), Ok(()));
    assert_eq!(router.accept(2, b, at), Err(AcceptError::AlreadyTaken));
    assert!(listed(&router, 1, at).is_empty());
}

#[test]
fn accepts_of_what_was_not_offered_are_refused() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, P, 1, t);
    router.rep_online(3, OTHER, 1, t);
    assert_eq!(router.accept(1, 99, t), Err(AcceptError::Unknown));
    let broadcast = router.submit(P, RouteMode::Broadcast, t).expect("on");
    assert_eq!(router.accept(3, broadcast, t), Err(AcceptError::NotOffered));
    assert_eq!(
        router.accept(42, broadcast, t),
        Err(AcceptError::NotOffered),
        "not logged in"
    );
    let matched = router
        .submit(P, RouteMode::Match { rep: 1 }, t)
        .expect("rep 1 is on");
    assert_eq!(router.accept(2, matched, t), Err(AcceptError::NotOffered));
    router.withdraw(broadcast, t);
    assert_eq!(router.accept(1, broadcast, t), Err(AcceptError::Unknown));
    assert_eq!(router.accept(1, matched, t), Ok(()));
}

#[test]
fn smart_match_reaches_only_the_chosen_rep() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, P, 1, t);
    drain(&mut router);
    let id = router
        .submit(P, RouteMode::Match { rep: 2 }, t)
        .expect("rep 2 is on");
    assert_eq!(listed(&router, 2, t), vec![id]);
    assert!(listed(&router, 1, t).is_empty());
    assert_eq!(router.customer_status(id, t), Some(CustomerStatus::Ringing));
    let events = drain(&mut router);
    assert!(events.contains(&RouterEvent::RepChanged(2)));
    assert!(!events.contains(&RouterEvent::RepChanged(1)), "{events:?}");
    assert_eq!(router.accept(2, id, t), Ok(()));
}

#[test]
fn smart_match_to_an_absent_rep_is_refused() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, OTHER, 1, t);
    let refused = Err(Refusal::RepNotAvailable);
    assert_eq!(router.submit(P, RouteMode::Match { rep: 9 }, t), refused);
    assert_eq!(router.submit(P, RouteMode::Match { rep: 2 }, t), refused);
    router.rep_offline(1, t);
    assert_eq!(router.submit(P, RouteMode::Match { rep: 1 }, t), refused);
    assert_eq!(router.submit(OTHER, RouteMode::Match { rep: 2 }, t), Ok(1));
}

#[test]
fn smart_match_ends_when_its_rep_leaves_the_portal() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, P, 1, t);
    let gone = router
        .submit(P, RouteMode::Match { rep: 1 }, t)
        .expect("on");
    let moved = router
        .submit(P, RouteMode::Match { rep: 2 }, t)
        .expect("on");
    drain(&mut router);

    router.rep_offline(1, t + secs(1));
    let ended = Some(CustomerStatus::Ended(EndReason::RepLeft));
    assert_eq!(router.customer_status(gone, t), ended);
    assert_eq!(
        router.state(gone),
        Some(RequestState::Ended(EndReason::RepLeft))
    );
    let events = drain(&mut router);
    assert!(events.contains(&RouterEvent::CustomerChanged(gone)));
    assert!(events.contains(&RouterEvent::RepChanged(1)));
    assert!(events.contains(&RouterEvent::PortalChanged(P.into())));
    assert_eq!(
        router.customer_status(moved, t),
        Some(CustomerStatus::Ringing)
    );

    // Moving to another portal is leaving this one.
    router.rep_online(2, OTHER, 1, t + secs(2));
    assert_eq!(router.customer_status(moved, t), ended);
    assert!(listed(&router, 2, t).is_empty());
    assert_eq!(router.accept(2, moved, t), Err(AcceptError::Unknown));
}

#[test]
fn a_rep_logging_in_later_gets_the_open_broadcast_requests() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 3, t);
    let a = router.submit(P, RouteMode::Broadcast, t).expect("on");
    let b = router.submit(P, RouteMode::Broadcast, t).expect("on");
    let taken = router.submit(P, RouteMode::Broadcast, t).expect("on");
    let mine = router
        .submit(P, RouteMode::Match { rep: 1 }, t)
        .expect("on");
    router.accept(1, taken, t).expect("offered");
    drain(&mut router);

    router.rep_online(2, P, 1, t + secs(10));
    assert_eq!(listed(&router, 2, t), vec![a, b]);
    assert_eq!(listed(&router, 1, t), vec![a, b, mine]);
    let events = drain(&mut router);
    assert!(events.contains(&RouterEvent::RepChanged(2)));
    assert!(events.contains(&RouterEvent::PortalChanged(P.into())));
    assert!(!events.contains(&RouterEvent::RepChanged(1)), "{events:?}");
    assert!(
        !events.contains(&RouterEvent::CustomerChanged(a)),
        "still ringing: {events:?}"
    );
}

#[test]
fn broadcast_requests_outlive_their_reps_and_say_nobody_is_online() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, P, 1, t);
    let id = router.submit(P, RouteMode::Broadcast, t).expect("on");
    router.rep_offline(1, t);
    assert_eq!(listed(&router, 2, t), vec![id], "stays for the others");
    assert_eq!(router.customer_status(id, t), Some(CustomerStatus::Ringing));
    drain(&mut router);

    router.rep_offline(2, t);
    assert_eq!(router.customer_status(id, t), Some(waiting(None, None, 0)));
    assert!(drain(&mut router).contains(&RouterEvent::CustomerChanged(id)));
    assert_eq!(router.state(id), Some(RequestState::Open));

    router.rep_online(3, P, 1, t + secs(60));
    assert_eq!(router.customer_status(id, t), Some(CustomerStatus::Ringing));
    assert!(drain(&mut router).contains(&RouterEvent::CustomerChanged(id)));
    assert_eq!(router.accept(3, id, t + secs(61)), Ok(()));
}

#[test]
fn withdraw_removes_the_request_from_every_list() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, P, 1, t);
    let broadcast = router.submit(P, RouteMode::Broadcast, t).expect("on");
    let matched = router
        .submit(P, RouteMode::Match { rep: 2 }, t)
        .expect("on");
    let queued = router.submit(P, RouteMode::Queue, t).expect("on");
    assert_eq!(listed(&router, 1, t), vec![broadcast, queued]);
    assert_eq!(listed(&router, 2, t), vec![broadcast, matched]);
    drain(&mut router);

    for id in [broadcast, matched, queued] {
        router.withdraw(id, t + secs(1));
        assert_eq!(
            router.customer_status(id, t),
            Some(CustomerStatus::Ended(EndReason::Withdrawn))
        );
        assert_eq!(router.accept(1, id, t), Err(AcceptError::Unknown));
    }
    assert!(listed(&router, 1, t).is_empty());
    assert!(listed(&router, 2, t).is_empty());
    assert_eq!(router.queue_length(P), 0);
    assert_eq!(router.poll_timeout(), None);
    let events = drain(&mut router);
    for event in [
        RouterEvent::RepChanged(1),
        RouterEvent::RepChanged(2),
        RouterEvent::CustomerChanged(queued),
        RouterEvent::PortalChanged(P.into()),
    ] {
        assert!(events.contains(&event), "{event:?} in {events:?}");
    }
    router.withdraw(broadcast, t + secs(2));
    router.withdraw(77, t + secs(2));
    assert!(drain(&mut router).is_empty(), "nothing left to change");
}

#[test]
fn reps_on_a_portal_are_listed_in_login_order() {
    let t = Instant::now();
    let mut router = Router::new(config());
    for rep in [3, 1, 2] {
        router.rep_online(rep, P, 1, t);
    }
    assert_eq!(router.reps_on(P), vec![3, 1, 2]);
    drain(&mut router);

    router.rep_online(1, P, 4, t); // a new limit, same login
    assert_eq!(router.reps_on(P), vec![3, 1, 2]);
    assert!(drain(&mut router).is_empty());

    router.rep_online(3, OTHER, 1, t);
    assert_eq!(router.reps_on(P), vec![1, 2]);
    assert_eq!(router.reps_on(OTHER), vec![3]);
    let events = drain(&mut router);
    assert!(events.contains(&RouterEvent::PortalChanged(P.into())));
    assert!(events.contains(&RouterEvent::PortalChanged(OTHER.into())));
    router.rep_online(3, P, 1, t);
    assert_eq!(router.reps_on(P), vec![1, 2, 3], "back at the end");
    assert!(router.reps_on("nowhere").is_empty());
}

#[test]
fn moving_portal_drops_the_old_portals_broadcasts() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, OTHER, 1, t);
    let here = router.submit(P, RouteMode::Broadcast, t).expect("on");
    let there = router.submit(OTHER, RouteMode::Broadcast, t).expect("on");
    drain(&mut router);
    router.rep_online(1, OTHER, 1, t);
    assert_eq!(listed(&router, 1, t), vec![there]);
    assert_eq!(router.accept(1, here, t), Err(AcceptError::NotOffered));
    assert_eq!(
        router.customer_status(here, t),
        Some(waiting(None, None, 0))
    );
}

#[test]
fn finished_requests_are_forgotten_after_their_final_event_was_seen() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 5, t);
    router.rep_online(2, P, 5, t);
    let id = router.submit(P, RouteMode::Broadcast, t).expect("on");
    router.accept(1, id, t).expect("offered");
    drain(&mut router);
    // Seen, but a click that raced the winner's still hears who won within an offer
    // timeout of the accept.
    assert_eq!(
        router.accept(2, id, t + secs(29)),
        Err(AcceptError::AlreadyTaken)
    );
    router.set_accepting(2, true, t + secs(30));
    assert_eq!(router.customer_status(id, t), None);
    assert_eq!(router.accept(2, id, t), Err(AcceptError::Unknown));
    assert_eq!(router.portal_of(id), None);

    // Not polled yet: kept however long it takes.
    let other = router.submit(P, RouteMode::Broadcast, t).expect("on");
    router.withdraw(other, t);
    let late = t + secs(3600);
    router.set_accepting(2, true, late);
    assert_eq!(
        router.customer_status(other, late),
        Some(CustomerStatus::Ended(EndReason::Withdrawn))
    );
    assert!(drain(&mut router).contains(&RouterEvent::CustomerChanged(other)));
    router.set_accepting(2, true, late);
    assert_eq!(router.customer_status(other, late), None);
    assert!(router.requests.is_empty() && router.finished.is_empty());

    // Logged-out representatives without sessions are forgotten too.
    router.session_ended(1, late + secs(31));
    router.rep_offline(1, late + secs(31));
    router.rep_offline(2, late + secs(31));
    assert!(router.reps.is_empty());
    let next = router.submit(P, RouteMode::Broadcast, late);
    assert_eq!(next, Err(Refusal::NobodyAvailable));
    router.rep_online(1, P, 1, late);
    assert_eq!(
        router.submit(P, RouteMode::Broadcast, late),
        Ok(3),
        "never reused"
    );
}

#[test]
fn events_are_queued_once_and_only_for_changes() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, P, 1, t);
    for _ in 0..5 {
        router.submit(P, RouteMode::Broadcast, t).expect("on");
    }
    let events = drain(&mut router);
    let unique: HashSet<&RouterEvent> = events.iter().collect();
    assert_eq!(unique.len(), events.len(), "{events:?}");
    assert_eq!(router.poll_event(), None);

    router.set_accepting(1, true, t); // already accepting
    router.set_active_sessions(2, 0, t); // already none
    router.handle_timeout(t + secs(100)); // nothing expires
    assert!(drain(&mut router).is_empty());
}
