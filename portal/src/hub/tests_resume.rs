//! The hub while the customer's agent is away and when it comes back.

use crate::outbox::OutboxReceiver;
use tandem_protocol::signal::SignalPayload;

use super::tests::{drain, join_key, peer};
use super::*;
use crate::resume::{Issued, ResumeSecret};

type Rx = OutboxReceiver;

const WINDOW: Duration = Duration::from_secs(60);

fn away(wait_secs: u64) -> PortalMessage {
    PortalMessage::CustomerAway {
        reason: CUSTOMER_AWAY.into(),
        wait_secs,
    }
}

/// Session 40 (code row 7) with a resume window: the agent on conn 1, host Bob on conn 2.
/// Returns the hub, the secret the agent got, and both receivers (drained).
fn running(window: Duration) -> (Hub, ResumeSecret, Rx, Rx) {
    let hub = Hub::with_resume_window(window);
    let (agent, mut agent_rx) = peer(1);
    let (host, mut host_rx) = peer(2);
    let issued = Issued::generate(40, &mut rand::rng());
    let secret = issued.secret.clone();
    hub.open_session(
        40,
        7,
        Owner::default(),
        agent,
        "alice",
        host_info("Bob"),
        issued,
    )
    .expect("opens");
    hub.join_or_wait(7, host, host_info("Bob"), true)
        .expect("joins");
    let redeemed = drain(&mut agent_rx);
    assert_eq!(
        redeemed[0],
        PortalMessage::Redeemed {
            session: 40,
            you: AttendeeId::CUSTOMER,
            host: host_info("Bob"),
            resume_secret: secret.as_str().to_owned(),
            recording: None,
        }
    );
    drain(&mut host_rx);
    (hub, secret, agent_rx, host_rx)
}

fn suspended(leave: Leave) -> (AwayToken, Instant) {
    match leave {
        Leave::Suspended {
            session: 40,
            token,
            until,
        } => (token, until),
        other => panic!("expected a suspension, got {other:?}"),
    }
}

#[test]
fn a_lost_agent_suspends_and_resuming_tells_it_everything_current() {
    let (hub, secret, _old_rx, mut host_rx) = running(WINDOW);
    let before = Instant::now();
    let (_, until) = suspended(hub.connection_lost(1, "the customer disconnected"));
    assert!(until >= before + WINDOW);
    assert_eq!(drain(&mut host_rx), [away(60)]);
    assert!(hub.is_live(40));
    assert!(!hub.is_member(1));
    assert!(hub.is_member(2));
    assert_eq!(
        hub.signal(
            2,
            AttendeeId::CUSTOMER,
            SignalPayload::Offer { sdp: "v=0".into() }
        ),
        Err(HubError::CustomerAway)
    );

    // Meanwhile a specialist joins (and is told), and the host changes its rights.
    let (sam, mut sam_rx) = peer(3);
    let sam_id =
        join_key(&hub, 40, sam, "Sam", Rights::VIEW).expect("joins while the customer is away");
    let to_sam = drain(&mut sam_rx);
    assert!(
        matches!(to_sam[0], PortalMessage::Joined { .. }),
        "{to_sam:?}"
    );
    assert!(
        matches!(to_sam[1], PortalMessage::CustomerAway { wait_secs, .. } if (59..=60).contains(&wait_secs)),
        "{to_sam:?}"
    );
    assert!(matches!(to_sam[2], PortalMessage::Roster { .. }));
    let control = Rights::VIEW.union(Rights::CONTROL);
    assert_eq!(hub.set_rights(2, sam_id, control), Ok((40, 1)));
    drain(&mut host_rx);
    drain(&mut sam_rx);

    // A wrong secret changes nothing.
    let (intruder, mut intruder_rx) = peer(9);
    let wrong = ResumeSecret::generate(&mut rand::rng()).digest(40);
    assert_eq!(hub.resume(40, &wrong, intruder), Err(HubError::WrongSecret));
    assert!(drain(&mut intruder_rx).is_empty());
    assert!(drain(&mut host_rx).is_empty());
    assert!(!hub.is_member(9));
    let (nowhere, _) = peer(9);
    assert_eq!(
        hub.resume(41, &secret.digest(41), nowhere),
        Err(HubError::SessionGone)
    );

    let (agent, mut agent_rx) = peer(4);
    assert_eq!(
        hub.resume(40, &secret.digest(40), agent),
        Ok(Resumed::WasAway)
    );
    let sam_info = AttendeeInfo {
        id: sam_id,
        name: "Sam".into(),
        role: Role::Specialist,
        rights: control,
        masked: false,
    };
    assert_eq!(
        drain(&mut agent_rx),
        [
            PortalMessage::Resumed {
                session: 40,
                you: AttendeeId::CUSTOMER,
                host: host_info("Bob"),
            },
            PortalMessage::AttendeeJoined(host_info("Bob")),
            PortalMessage::AttendeeJoined(sam_info.clone()),
            PortalMessage::Roster {
                attendees: vec![host_info("Bob"), sam_info]
            },
        ]
    );
    assert_eq!(drain(&mut host_rx), [PortalMessage::CustomerBack]);
    assert_eq!(drain(&mut sam_rx), [PortalMessage::CustomerBack]);
    assert!(hub.is_member(4));
    // The agent is the customer again; grants go on counting.
    assert_eq!(hub.consent(4, sam_id, Rights::VIEW), Ok(Some(40)));
    assert_eq!(hub.set_rights(2, sam_id, Rights::VIEW), Ok((40, 2)));
    assert!(matches!(
        drain(&mut agent_rx)[0],
        PortalMessage::Grant { seq: 2, .. }
    ));
    // A connection already in the session cannot resume it again.
    assert_eq!(
        hub.resume(40, &secret.digest(40), peer(4).0),
        Err(HubError::AlreadyInSession)
    );
}

#[test]
fn the_wait_ends_the_session_unless_the_agent_came_back() {
    let (hub, secret, _old_rx, mut host_rx) = running(WINDOW);
    let (first, _) = suspended(hub.connection_lost(1, "gone"));
    hub.resume(40, &secret.digest(40), peer(3).0)
        .expect("resumes");
    let (second, _) = suspended(hub.connection_lost(3, "gone again"));
    assert_ne!(first, second);
    drain(&mut host_rx);
    // The first absence's timer fires late: the session waits on.
    assert_eq!(hub.give_up(40, first, "not back"), Leave::Nothing);
    assert!(hub.is_live(40));
    assert!(drain(&mut host_rx).is_empty());
    assert_eq!(
        hub.give_up(40, second, "not back"),
        Leave::Ended { session: 40 }
    );
    assert_eq!(
        drain(&mut host_rx),
        [PortalMessage::SessionEnded {
            reason: "not back".into()
        }]
    );
    assert!(!hub.is_live(40));
    assert!(!hub.is_member(2));
    assert_eq!(
        hub.resume(40, &secret.digest(40), peer(5).0),
        Err(HubError::SessionGone)
    );
}

#[test]
fn a_wait_that_ran_out_admits_nobody_even_before_its_timer() {
    let (hub, secret, _old_rx, _host_rx) = running(Duration::from_nanos(1));
    suspended(hub.connection_lost(1, "gone"));
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(
        hub.resume(40, &secret.digest(40), peer(3).0),
        Err(HubError::SessionGone)
    );
}

#[test]
fn without_a_window_or_on_request_or_at_shutdown_the_session_ends_at_once() {
    let (hub, _, _agent_rx, mut host_rx) = running(Duration::ZERO);
    assert_eq!(hub.connection_lost(1, "gone"), Leave::Ended { session: 40 });
    assert_eq!(
        drain(&mut host_rx),
        [PortalMessage::SessionEnded {
            reason: "gone".into()
        }]
    );

    let (hub, _, _agent_rx, mut host_rx) = running(WINDOW);
    assert_eq!(hub.end_session(1, "done"), Ok(Leave::Ended { session: 40 }));
    assert_eq!(
        drain(&mut host_rx),
        [PortalMessage::SessionEnded {
            reason: "done".into()
        }]
    );

    let (hub, _, _agent_rx, _host_rx) = running(WINDOW);
    assert_eq!(
        hub.disconnect(1, "shutting down"),
        Leave::Ended { session: 40 }
    );

    // The host's lost connection is just a leave, as before.
    let (hub, _, mut agent_rx, _host_rx) = running(WINDOW);
    assert_eq!(hub.connection_lost(2, "x"), Leave::Left { session: 40 });
    assert!(matches!(
        drain(&mut agent_rx)[0],
        PortalMessage::AttendeeLeft { .. }
    ));
}

#[test]
fn resuming_a_live_session_replaces_the_old_connection() {
    let (hub, secret, mut old_rx, mut host_rx) = running(WINDOW);
    let (agent, mut agent_rx) = peer(3);
    assert_eq!(
        hub.resume(40, &secret.digest(40), agent),
        Ok(Resumed::Replaced)
    );
    assert_eq!(
        drain(&mut old_rx),
        [PortalMessage::SessionEnded {
            reason: REPLACED.into()
        }]
    );
    assert!(!hub.is_member(1));
    assert!(matches!(
        drain(&mut agent_rx)[..],
        [
            PortalMessage::Resumed { .. },
            PortalMessage::AttendeeJoined(_),
            PortalMessage::Roster { .. }
        ]
    ));
    assert_eq!(drain(&mut host_rx), [PortalMessage::CustomerBack]);
    // The old connection closing later changes nothing.
    assert_eq!(hub.connection_lost(1, "gone"), Leave::Nothing);
    assert!(drain(&mut host_rx).is_empty());
    hub.signal(
        3,
        AttendeeId::HOST,
        SignalPayload::Offer { sdp: "v=0".into() },
    )
    .expect("the new agent signals");
    assert!(matches!(
        drain(&mut host_rx)[..],
        [PortalMessage::Signal { .. }]
    ));
}

#[test]
fn a_host_that_leaves_while_the_customer_is_away_comes_back_to_wait() {
    let (hub, secret, _old_rx, mut host_rx) = running(WINDOW);
    suspended(hub.connection_lost(1, "gone"));
    assert_eq!(hub.connection_lost(2, "x"), Leave::Left { session: 40 });
    drain(&mut host_rx);
    let (host, mut host_rx) = peer(5);
    assert_eq!(
        hub.join_or_wait(7, host, host_info("Bob"), true),
        Ok(JoinOutcome::Joined { session: 40 })
    );
    let told = drain(&mut host_rx);
    assert!(matches!(told[0], PortalMessage::Joined { .. }));
    assert!(matches!(told[1], PortalMessage::CustomerAway { .. }));
    let (agent, mut agent_rx) = peer(6);
    hub.resume(40, &secret.digest(40), agent).expect("resumes");
    assert_eq!(
        drain(&mut agent_rx)[1],
        PortalMessage::AttendeeJoined(host_info("Bob"))
    );
    assert_eq!(drain(&mut host_rx), [PortalMessage::CustomerBack]);
}

#[test]
fn who_left_while_the_agent_was_away_is_told_as_gone_on_resume() {
    let (hub, secret, mut old_rx, _host_rx) = running(WINDOW);
    let (sam, _sam_rx) = peer(3);
    let sam_id = join_key(&hub, 40, sam, "Sam", Rights::VIEW).expect("joins");
    drain(&mut old_rx);
    suspended(hub.connection_lost(1, "gone"));
    // Sam's departure reaches nobody: the agent is away.
    assert_eq!(hub.connection_lost(3, "x"), Leave::Left { session: 40 });
    let (agent, mut agent_rx) = peer(4);
    hub.resume(40, &secret.digest(40), agent).expect("resumes");
    let told = drain(&mut agent_rx);
    assert_eq!(
        told[1..3],
        [
            PortalMessage::AttendeeLeft { attendee: sam_id },
            PortalMessage::AttendeeJoined(host_info("Bob")),
        ],
        "{told:?}"
    );
    // Told once: a second resume has nothing more to say about Sam.
    let (again, mut again_rx) = peer(5);
    assert_eq!(
        hub.resume(40, &secret.digest(40), again),
        Ok(Resumed::Replaced)
    );
    assert!(
        !drain(&mut again_rx)
            .iter()
            .any(|m| matches!(m, PortalMessage::AttendeeLeft { .. }))
    );
}

#[test]
fn after_a_restart_the_agent_is_told_which_specialists_are_gone() {
    // Issue 9: after a portal restart a specialist from before was never announced as gone;
    // the agent kept offering it links and told the customer "Sam left" over and over.
    let (hub, secret, _agent_rx, _host_rx) = running(WINDOW);
    let (sam, _sam_rx) = peer(3);
    let sam_id = join_key(&hub, 40, sam, "Sam", Rights::VIEW).expect("joins");
    let stored = hub.snapshot(40).expect("running");

    let restarted = Hub::with_resume_window(WINDOW);
    restarted.restore(&stored, WINDOW).expect("restored");
    let (agent, mut agent_rx) = peer(11);
    restarted
        .resume(40, &secret.digest(40), agent)
        .expect("resumes");
    // The host is not back yet but will be, under the same id: it is not called gone.
    assert_eq!(
        drain(&mut agent_rx),
        [
            PortalMessage::Resumed {
                session: 40,
                you: AttendeeId::CUSTOMER,
                host: host_info("Bob"),
            },
            PortalMessage::AttendeeLeft { attendee: sam_id },
            PortalMessage::Roster { attendees: vec![] },
        ]
    );
    let (host, _host_rx) = peer(12);
    assert_eq!(
        restarted.join_or_wait(7, host, host_info("Bob"), true),
        Ok(JoinOutcome::Joined { session: 40 })
    );
    assert_eq!(
        drain(&mut agent_rx),
        [
            PortalMessage::AttendeeJoined(host_info("Bob")),
            PortalMessage::Roster {
                attendees: vec![host_info("Bob")]
            },
        ],
        "the same id and rights as before the restart"
    );
}

#[test]
fn a_policy_change_while_the_agent_is_away_reaches_it_on_resume() {
    use crate::policy::{Functions, PolicyBook};
    let (hub, secret, _old_rx, _host_rx) = running(WINDOW);
    suspended(hub.connection_lost(1, "gone"));
    // The host is away too, expected back under its id.
    assert_eq!(hub.connection_lost(2, "x"), Leave::Left { session: 40 });
    let mut book = PolicyBook::default();
    book.portals.insert("default".into(), Functions::CONTROL);
    assert_eq!(hub.set_policy(book).len(), 1);
    let (agent, mut agent_rx) = peer(6);
    hub.resume(40, &secret.digest(40), agent).expect("resumes");
    let grants: Vec<_> = drain(&mut agent_rx)
        .into_iter()
        .filter(|m| matches!(m, PortalMessage::Grant { .. }))
        .collect();
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert!(matches!(
        grants[0],
        PortalMessage::Grant { attendee: AttendeeId::HOST, rights, .. }
            if rights == Rights::HOST_DEFAULT.without(Rights::CONTROL).without(Rights::CLIPBOARD)
    ));
}
