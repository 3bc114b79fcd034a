//! What an attendee asks of the agent that costs the customer something, without IO and on
//! a virtual clock: refreshes (a full re-encode each) are coalesced and spaced out; listing
//! and fetching the customer's files needs the customer's browse consent.

use std::time::{Duration, Instant};

use tandem_protocol::agent::{AgentEvent, AgentSession, MAX_HELD_BROWSE, REFRESH_INTERVAL};
use tandem_protocol::rights::Consent;
use tandem_protocol::wire::Message;
use tandem_protocol::{AttendeeId, Rights, Role};

const SAM: AttendeeId = AttendeeId::from_wire(3);

/// An agent with one attendee who said hello; its first keyframe is still pending.
fn agent_with(rights: Rights) -> (AgentSession, Instant) {
    let now = Instant::now();
    let mut agent = AgentSession::new();
    agent.handle_attendee_joined(SAM, Role::Specialist, rights, now);
    agent.handle_consent(SAM, Consent::ALL);
    let hello = Message::Hello {
        version_min: 1,
        version_max: 1,
        attendee: SAM,
    };
    agent.handle_datagram(SAM, &hello.encode(), now);
    while agent.poll_transmit().is_some() {}
    (agent, now)
}

fn events(agent: &mut AgentSession) -> Vec<AgentEvent> {
    std::iter::from_fn(|| agent.poll_event()).collect()
}

fn keyframes(events: &[AgentEvent]) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, AgentEvent::NeedsKeyframe { .. }))
        .count()
}

/// File messages sent back to the attendee.
fn failures(agent: &mut AgentSession) -> Vec<(u32, String)> {
    std::iter::from_fn(|| agent.poll_transmit())
        .filter_map(|t| match Message::decode(&t.payload) {
            Ok(Message::FileFailed { id, reason }) => Some((id, reason)),
            _ => None,
        })
        .collect()
}

fn list(agent: &mut AgentSession, id: u32, path: &str, now: Instant) {
    let msg = Message::ListDir {
        id,
        path: path.into(),
    };
    agent.handle_datagram(SAM, &msg.encode(), now);
}

#[test]
fn a_refresh_flood_in_one_instant_costs_one_keyframe() {
    let (mut agent, now) = agent_with(Rights::VIEW);
    assert_eq!(keyframes(&events(&mut agent)), 1, "the welcome keyframe");
    agent.handle_keyframe_sent(SAM);
    let refresh = Message::RefreshRequest.encode();
    for _ in 0..20_000 {
        agent.handle_datagram(SAM, &refresh, now);
    }
    assert_eq!(keyframes(&events(&mut agent)), 1);
    // Still pending (the shell did not report it sent): more requests are no-ops, also later.
    let later = now + Duration::from_secs(5);
    agent.handle_datagram(SAM, &refresh, later);
    agent.handle_timeout(later);
    assert_eq!(keyframes(&events(&mut agent)), 0);
}

#[test]
fn twenty_thousand_refreshes_over_twenty_seconds_cost_a_bounded_number_of_keyframes() {
    let (mut agent, start) = agent_with(Rights::VIEW);
    let refresh = Message::RefreshRequest.encode();
    let mut now = start;
    let mut total = 0;
    for _ in 0..20_000 {
        now += Duration::from_millis(1);
        agent.handle_datagram(SAM, &refresh, now);
        if agent.poll_timeout().is_some_and(|t| t <= now) {
            agent.handle_timeout(now);
        }
        let n = keyframes(&events(&mut agent));
        if n > 0 {
            // A shell that sends keyframes at once: the most the rule ever allows.
            agent.handle_keyframe_sent(SAM);
        }
        total += n;
    }
    let bound = (now - start).as_millis() / REFRESH_INTERVAL.as_millis() + 2;
    assert!(
        total as u128 <= bound,
        "{total} keyframes for 20,000 requests in 20 s (at most {bound})"
    );
    assert!(total >= 20, "refreshes are still answered: {total}");
}

#[test]
fn a_refresh_asked_too_soon_is_answered_when_the_interval_is_over() {
    let (mut agent, now) = agent_with(Rights::VIEW);
    agent.handle_keyframe_sent(SAM);
    let refresh = Message::RefreshRequest.encode();
    agent.handle_datagram(SAM, &refresh, now);
    agent.handle_keyframe_sent(SAM);
    events(&mut agent);
    let soon = now + Duration::from_millis(10);
    agent.handle_datagram(SAM, &refresh, soon);
    assert_eq!(keyframes(&events(&mut agent)), 0, "not yet");
    let due = agent.poll_timeout().expect("a timer is armed");
    assert_eq!(due, now + REFRESH_INTERVAL);
    agent.handle_timeout(due);
    assert_eq!(keyframes(&events(&mut agent)), 1, "deferred, not lost");
}

#[test]
fn listing_waits_for_the_customer_and_is_served_once_allowed() {
    let (mut agent, now) = agent_with(Rights::VIEW.union(Rights::FILES));
    events(&mut agent);
    list(&mut agent, 7, "docs", now);
    list(&mut agent, 8, "", now);
    let asked: Vec<AgentEvent> = events(&mut agent);
    assert_eq!(asked.len(), 1, "one question per wait: {asked:?}");
    assert!(
        matches!(&asked[0], AgentEvent::BrowseRequested { from, path, fetch: false }
            if *from == SAM && path.to_string() == "docs")
    );
    assert!(!agent.may_browse(SAM));
    assert!(agent.allow_browse(SAM));
    let served: Vec<u32> = events(&mut agent)
        .into_iter()
        .filter_map(|e| match e {
            AgentEvent::File {
                message: Message::ListDir { id, .. },
                ..
            } => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(
        served,
        vec![7, 8],
        "the waiting requests go ahead, in order"
    );
    // For the rest of the session, also after the connection comes back.
    agent.handle_attendee_left(SAM);
    let mut again = agent;
    again.handle_attendee_joined(SAM, Role::Specialist, Rights::HOST_DEFAULT, now);
    again.handle_consent(SAM, Consent::ALL);
    let hello = Message::Hello {
        version_min: 1,
        version_max: 1,
        attendee: SAM,
    };
    again.handle_datagram(SAM, &hello.encode(), now);
    events(&mut again);
    list(&mut again, 9, "", now);
    assert!(
        events(&mut again)
            .iter()
            .any(|e| matches!(e, AgentEvent::File { .. }))
    );
}

#[test]
fn listing_and_fetching_are_refused_when_the_customer_says_no() {
    let (mut agent, now) = agent_with(Rights::VIEW.union(Rights::FILES));
    events(&mut agent);
    list(&mut agent, 7, "docs", now);
    let fetch = Message::FileFetch {
        id: 8,
        path: "docs/a.txt".into(),
    };
    agent.handle_datagram(SAM, &fetch.encode(), now);
    failures(&mut agent);
    assert!(agent.refuse_browse(SAM, "the customer did not allow it"));
    assert!(
        events(&mut agent)
            .iter()
            .all(|e| !matches!(e, AgentEvent::File { .. })),
        "nothing reaches the files"
    );
    let failed = failures(&mut agent);
    assert_eq!(failed.len(), 2);
    assert!(
        failed
            .iter()
            .all(|(_, r)| r == "the customer did not allow it")
    );
    assert!(!agent.refuse_browse(SAM, "again"), "nothing waits any more");
    // Hostile paths are refused without asking the customer.
    for bad in ["../etc", "/etc", "a\u{202E}txt.exe"] {
        list(&mut agent, 9, bad, now);
        assert!(events(&mut agent).is_empty(), "{bad:?}");
        assert!(failures(&mut agent)[0].1.starts_with("refused"), "{bad:?}");
    }
    // Waiting is bounded.
    for id in 0..MAX_HELD_BROWSE as u32 + 5 {
        list(&mut agent, id, "", now);
    }
    assert_eq!(failures(&mut agent).len(), 5);
}

#[test]
fn a_view_only_attendee_never_lists_even_with_browsing_allowed() {
    let (mut agent, now) = agent_with(Rights::VIEW);
    agent.allow_browse_for_all();
    assert!(agent.allow_browse(SAM));
    events(&mut agent);
    list(&mut agent, 7, "", now);
    let fetch = Message::FileFetch {
        id: 8,
        path: "a.txt".into(),
    };
    agent.handle_datagram(SAM, &fetch.encode(), now);
    assert!(events(&mut agent).iter().all(|e| !matches!(
        e,
        AgentEvent::File { .. } | AgentEvent::BrowseRequested { .. }
    )));
    let failed: Vec<u32> = failures(&mut agent).into_iter().map(|(id, _)| id).collect();
    assert_eq!(failed, vec![7, 8]);
}

#[test]
fn browsing_allowed_in_advance_serves_at_once() {
    let (mut agent, now) = agent_with(Rights::VIEW.union(Rights::FILES));
    agent.allow_browse_for_all();
    events(&mut agent);
    list(&mut agent, 7, "", now);
    assert!(matches!(
        events(&mut agent).as_slice(),
        [AgentEvent::File { .. }]
    ));
}
