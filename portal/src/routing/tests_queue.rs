//! Queue mode: turns, offer timeouts, availability, positions, the cap, logouts mid-offer,
//! deadlines and the wait estimate.

use std::time::Instant;

use super::tests::{OTHER, P, config, drain, listed, secs, waiting};
use super::*;

/// Who holds the queue offer of `request` (checking that at most one does).
fn holder(router: &Router, request: RequestId, reps: &[RepKey], now: Instant) -> Option<RepKey> {
    let holders: Vec<RepKey> = reps
        .iter()
        .copied()
        .filter(|&rep| listed(router, rep, now).contains(&request))
        .collect();
    assert!(holders.len() <= 1, "{request} offered to {holders:?}");
    holders.first().copied()
}

/// Submits `n` queue requests one after another; each is accepted by whoever is offered
/// it, whose session then ends. Returns how many each representative got.
fn serve(router: &mut Router, reps: &[RepKey], n: usize, t: Instant) -> Vec<usize> {
    let mut counts = vec![0; reps.len()];
    for i in 0..n {
        let now = t + secs(u64::try_from(i).expect("small"));
        let id = router.submit(P, RouteMode::Queue, now).expect("room");
        let rep = holder(router, id, reps, now).expect("someone is free");
        router.accept(rep, id, now).expect("offered");
        router.session_ended(rep, now);
        if let Some(slot) = reps.iter().position(|&r| r == rep) {
            counts[slot] += 1;
        }
    }
    counts
}

fn spread(counts: &[usize]) -> usize {
    counts.iter().max().copied().unwrap_or(0) - counts.iter().min().copied().unwrap_or(0)
}

#[test]
fn queue_turns_go_round_in_login_order() {
    let t = Instant::now();
    let mut router = Router::new(config());
    for rep in [2, 1, 3] {
        router.rep_online(rep, P, 1, t);
    }
    let mut order = Vec::new();
    for _ in 0..6 {
        let id = router.submit(P, RouteMode::Queue, t).expect("room");
        let rep = holder(&router, id, &[1, 2, 3], t).expect("free");
        router.accept(rep, id, t).expect("offered");
        router.session_ended(rep, t);
        order.push(rep);
    }
    assert_eq!(order, vec![2, 1, 3, 2, 1, 3]);
}

#[test]
fn queue_turns_are_fair_over_many_requests() {
    for reps in [&[1, 2][..], &[1, 2, 3][..]] {
        let t = Instant::now();
        let mut router = Router::new(config());
        for &rep in reps {
            router.rep_online(rep, P, 2, t);
        }
        let counts = serve(&mut router, reps, 301, t);
        assert!(spread(&counts) <= 1, "{counts:?}");
        assert_eq!(counts.iter().sum::<usize>(), 301);
    }
}

#[test]
fn an_offer_not_accepted_in_time_moves_to_the_next_rep() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, P, 1, t);
    let id = router.submit(P, RouteMode::Queue, t).expect("room");
    assert_eq!(listed(&router, 1, t), vec![id]);
    assert_eq!(router.offers(1, t + secs(10))[0].expires_in, Some(secs(20)));
    assert!(listed(&router, 2, t).is_empty());
    assert_eq!(router.customer_status(id, t), Some(CustomerStatus::Ringing));
    assert_eq!(router.poll_timeout(), Some(t + secs(30)));
    drain(&mut router);

    router.handle_timeout(t + secs(29));
    assert!(drain(&mut router).is_empty(), "not yet");
    router.handle_timeout(t + secs(30));
    assert!(listed(&router, 1, t).is_empty(), "the skipped rep loses it");
    assert_eq!(listed(&router, 2, t), vec![id]);
    assert_eq!(router.poll_timeout(), Some(t + secs(60)));
    let events = drain(&mut router);
    assert!(events.contains(&RouterEvent::RepChanged(1)));
    assert!(events.contains(&RouterEvent::RepChanged(2)));
    assert_eq!(
        router.accept(1, id, t + secs(31)),
        Err(AcceptError::NotOffered)
    );
    assert_eq!(router.accept(2, id, t + secs(31)), Ok(()));
}

#[test]
fn the_skipped_rep_goes_to_the_back_of_the_turns() {
    let t = Instant::now();
    let mut router = Router::new(config());
    for rep in 1..=3 {
        router.rep_online(rep, P, 1, t);
    }
    let a = router.submit(P, RouteMode::Queue, t).expect("room");
    router.handle_timeout(t + secs(30));
    assert_eq!(holder(&router, a, &[1, 2, 3], t), Some(2));
    let b = router
        .submit(P, RouteMode::Queue, t + secs(31))
        .expect("room");
    assert_eq!(holder(&router, b, &[1, 2, 3], t), Some(3));
    let c = router
        .submit(P, RouteMode::Queue, t + secs(32))
        .expect("room");
    assert_eq!(holder(&router, c, &[1, 2, 3], t), Some(1));
}

#[test]
fn the_only_rep_is_offered_the_request_again() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    let id = router.submit(P, RouteMode::Queue, t).expect("room");
    drain(&mut router);
    router.handle_timeout(t + secs(30));
    assert_eq!(listed(&router, 1, t), vec![id]);
    assert_eq!(
        router.offers(1, t + secs(30))[0].expires_in,
        Some(secs(30)),
        "a fresh deadline"
    );
    assert_eq!(router.poll_timeout(), Some(t + secs(60)));
    assert_eq!(drain(&mut router), vec![RouterEvent::RepChanged(1)]);
}

#[test]
fn reps_who_are_full_or_not_accepting_are_skipped() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.set_active_sessions(1, 1, t);
    router.rep_online(2, P, 3, t);
    router.set_accepting(2, false, t);
    router.rep_online(3, P, 0, t);
    let id = router.submit(P, RouteMode::Queue, t).expect("room");
    assert_eq!(
        router.customer_status(id, t),
        Some(waiting(Some(1), Some(20), 3))
    );
    assert_eq!(holder(&router, id, &[1, 2, 3], t), None);
    assert_eq!(router.poll_timeout(), None);

    router.set_accepting(2, true, t + secs(5));
    assert_eq!(holder(&router, id, &[1, 2, 3], t), Some(2), "at once");
    // Stopping takes the offer away again; the seat freed by rep 1 takes it.
    router.set_active_sessions(1, 0, t + secs(6));
    router.set_accepting(2, false, t + secs(7));
    assert_eq!(holder(&router, id, &[1, 2, 3], t), Some(1));
    // So does a session limit reached through other sessions.
    router.set_accepting(2, true, t + secs(8));
    router.set_active_sessions(1, 1, t + secs(8));
    assert_eq!(holder(&router, id, &[1, 2, 3], t), Some(2));
}

#[test]
fn a_rep_holds_one_queue_offer_at_a_time() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 5, t);
    let a = router.submit(P, RouteMode::Queue, t).expect("room");
    let b = router.submit(P, RouteMode::Queue, t).expect("room");
    assert_eq!(listed(&router, 1, t), vec![a]);
    assert_eq!(
        router.customer_status(b, t),
        Some(waiting(Some(1), Some(60), 1))
    );
    assert_eq!(router.queue_length(P), 2);
    router.accept(1, a, t).expect("offered");
    assert_eq!(listed(&router, 1, t), vec![b]);
    assert_eq!(router.queue_length(P), 1);
}

#[test]
fn queue_positions_move_up_as_requests_ahead_leave() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.set_active_sessions(1, 1, t);
    let ids: Vec<RequestId> = (0..3)
        .map(|_| router.submit(P, RouteMode::Queue, t).expect("room"))
        .collect();
    for (i, &id) in ids.iter().enumerate() {
        let p = u32::try_from(i + 1).expect("small");
        let eta = u64::from(p) * 60;
        assert_eq!(
            router.customer_status(id, t),
            Some(waiting(Some(p), Some(eta), 1))
        );
    }
    drain(&mut router);

    router.withdraw(ids[0], t + secs(1));
    assert_eq!(
        router.customer_status(ids[1], t),
        Some(waiting(Some(1), Some(60), 1))
    );
    assert_eq!(
        router.customer_status(ids[2], t),
        Some(waiting(Some(2), Some(120), 1))
    );
    let events = drain(&mut router);
    for id in &ids {
        assert!(
            events.contains(&RouterEvent::CustomerChanged(*id)),
            "{events:?}"
        );
    }
    assert!(events.contains(&RouterEvent::PortalChanged(P.into())));

    // A seat frees: the head is offered, the one behind becomes next.
    router.set_active_sessions(1, 0, t + secs(2));
    assert_eq!(
        router.customer_status(ids[1], t),
        Some(CustomerStatus::Ringing)
    );
    assert_eq!(
        router.customer_status(ids[2], t),
        Some(waiting(Some(1), Some(60), 1))
    );
    router.accept(1, ids[1], t + secs(3)).expect("offered");
    assert_eq!(
        router.customer_status(ids[2], t),
        Some(waiting(Some(1), Some(60), 1))
    );
    assert_eq!(router.queue_length(P), 1);
    assert!(drain(&mut router).contains(&RouterEvent::CustomerChanged(ids[1])));
}

#[test]
fn a_full_queue_refuses_new_requests() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    let ids: Vec<RequestId> = (0..3)
        .map(|_| router.submit(P, RouteMode::Queue, t).expect("room"))
        .collect();
    assert_eq!(
        router.submit(P, RouteMode::Queue, t),
        Err(Refusal::QueueFull)
    );
    assert!(router.submit(P, RouteMode::Broadcast, t).is_ok(), "no cap");
    router.withdraw(ids[2], t);
    assert!(router.submit(P, RouteMode::Queue, t).is_ok());
    router.rep_online(2, OTHER, 1, t);
    assert!(
        router.submit(OTHER, RouteMode::Queue, t).is_ok(),
        "per portal"
    );
}

#[test]
fn a_queue_needs_someone_logged_in_but_not_someone_free() {
    let t = Instant::now();
    let mut router = Router::new(config());
    assert_eq!(
        router.submit(P, RouteMode::Queue, t),
        Err(Refusal::NobodyAvailable)
    );
    router.rep_online(1, P, 1, t);
    router.set_accepting(1, false, t);
    let id = router.submit(P, RouteMode::Queue, t).expect("rep 1 is on");
    assert_eq!(
        router.customer_status(id, t),
        Some(waiting(Some(1), Some(60), 1))
    );
}

#[test]
fn a_rep_going_offline_mid_offer_hands_it_on_at_once() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, P, 1, t);
    let id = router.submit(P, RouteMode::Queue, t).expect("room");
    assert_eq!(holder(&router, id, &[1, 2], t), Some(1));
    drain(&mut router);

    router.rep_offline(1, t + secs(5));
    assert_eq!(holder(&router, id, &[1, 2], t), Some(2));
    assert_eq!(router.poll_timeout(), Some(t + secs(35)));
    let events = drain(&mut router);
    assert!(events.contains(&RouterEvent::RepChanged(1)));
    assert!(events.contains(&RouterEvent::RepChanged(2)));
    assert!(
        !events.contains(&RouterEvent::CustomerChanged(id)),
        "still ringing"
    );

    // The last one leaving: the request stays, and says nobody is online.
    router.rep_offline(2, t + secs(6));
    assert_eq!(
        router.customer_status(id, t),
        Some(waiting(Some(1), Some(60), 0))
    );
    assert_eq!(router.poll_timeout(), None);
    router.rep_online(3, P, 1, t + secs(7));
    assert_eq!(holder(&router, id, &[3], t), Some(3));
}

#[test]
fn poll_timeout_is_the_earliest_deadline() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, P, 1, t);
    assert_eq!(router.poll_timeout(), None);
    let a = router.submit(P, RouteMode::Queue, t).expect("room");
    router
        .submit(P, RouteMode::Queue, t + secs(10))
        .expect("room");
    assert_eq!(router.poll_timeout(), Some(t + secs(30)));
    router.accept(1, a, t + secs(11)).expect("offered");
    assert_eq!(router.poll_timeout(), Some(t + secs(40)));
}

#[test]
fn the_wait_estimate_follows_the_handle_time_average() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    router.rep_online(2, P, 1, t);
    let broadcast = router.submit(P, RouteMode::Broadcast, t).expect("on");
    router.accept(1, broadcast, t).expect("offered");
    router.set_accepting(2, false, t);
    let ids: Vec<RequestId> = (0..3)
        .map(|_| router.submit(P, RouteMode::Queue, t).expect("room"))
        .collect();
    // p × 60 s / 2 representatives.
    for (i, &id) in ids.iter().enumerate() {
        let p = u32::try_from(i + 1).expect("small");
        let eta = u64::from(p) * 30;
        assert_eq!(
            router.customer_status(id, t),
            Some(waiting(Some(p), Some(eta), 2))
        );
    }
    drain(&mut router);

    // 100 s handled: the average moves a quarter of the way, 60 → 70 s. Rep 1 is free
    // again and takes the head; the others move up.
    router.session_ended(1, t + secs(100));
    assert_eq!(
        router.customer_status(ids[0], t),
        Some(CustomerStatus::Ringing)
    );
    assert_eq!(
        router.customer_status(ids[1], t),
        Some(waiting(Some(1), Some(35), 2))
    );
    assert_eq!(
        router.customer_status(ids[2], t),
        Some(waiting(Some(2), Some(70), 2))
    );
    let events = drain(&mut router);
    assert!(events.contains(&RouterEvent::CustomerChanged(ids[2])));

    // The accepted queue request counts as a session of rep 1 until it ends.
    router.accept(1, ids[0], t + secs(101)).expect("offered");
    assert_eq!(holder(&router, ids[1], &[1, 2], t), None, "rep 1 is full");
    router.session_ended(1, t + secs(121));
    assert_eq!(holder(&router, ids[1], &[1, 2], t), Some(1));
    // 70 - 17.5 + 5 = 57.5 s; one representative free, two online.
    assert_eq!(
        router.customer_status(ids[2], t),
        Some(CustomerStatus::Waiting {
            position: Some(1),
            estimated_wait: Some(Duration::from_millis(28_750)),
            reps_online: 2,
        })
    );
}

#[test]
fn sessions_outlive_a_logout() {
    let t = Instant::now();
    let mut router = Router::new(config());
    router.rep_online(1, P, 1, t);
    let a = router.submit(P, RouteMode::Queue, t).expect("room");
    router.accept(1, a, t).expect("offered");
    router.rep_offline(1, t + secs(1));
    router.rep_online(1, P, 1, t + secs(2));
    let b = router
        .submit(P, RouteMode::Queue, t + secs(3))
        .expect("room");
    assert_eq!(holder(&router, b, &[1], t), None, "still in session a");
    router.session_ended(1, t + secs(4));
    assert_eq!(holder(&router, b, &[1], t), Some(1));
}
