use crate::outbox::OutboxReceiver;
use tandem_protocol::signal::{ErrorKind, SignalPayload};

use super::*;

pub(super) fn peer(conn: ConnId) -> (Peer, OutboxReceiver) {
    let (tx, rx) = Outbox::new();
    (Peer { conn, tx }, rx)
}

/// A resume secret for session 40.
pub(super) fn issued() -> crate::resume::Issued {
    crate::resume::Issued::generate(40, &mut rand::rng())
}

/// The support key the specialists in these tests join with.
pub(super) fn test_key() -> tandem_protocol::SessionCode {
    "123456789".parse().expect("nine digits")
}

/// A specialist on `peer` joins `session` with [`test_key`] granting `rights`, taking a new
/// seat; its attendee id.
pub(super) fn join_key(
    hub: &Hub,
    session: u64,
    peer: Peer,
    name: &str,
    rights: Rights,
) -> Result<AttendeeId, HubError> {
    let join = KeyJoin {
        key: test_key(),
        rights,
        pass: SeatPass::New(crate::resume::Issued::seat(session, &mut rand::rng())),
    };
    hub.join_specialist(session, peer, name, join).map(|j| j.id)
}

/// Session 40 of code row 7: Alice's agent on `agent`, Bob its host, nobody's policy.
pub(super) fn open_alices_session(hub: &Hub, agent: Peer) {
    hub.open_session(
        40,
        7,
        Owner::default(),
        agent,
        "alice",
        host_info("Bob"),
        issued(),
    )
    .expect("opens");
}

pub(super) fn drain(rx: &mut OutboxReceiver) -> Vec<PortalMessage> {
    let mut out = Vec::new();
    while let Some(m) = rx.try_recv() {
        out.push(m);
    }
    out
}

fn offer() -> SignalPayload {
    SignalPayload::Offer { sdp: "v=0".into() }
}

#[test]
fn waiting_host_is_joined_when_the_code_is_redeemed() {
    let hub = Hub::new();
    let (host, mut host_rx) = peer(1);
    let (agent, mut agent_rx) = peer(2);
    assert_eq!(
        hub.join_or_wait(7, host, host_info("Bob"), false),
        Ok(JoinOutcome::Waiting)
    );
    assert!(drain(&mut host_rx).is_empty());
    open_alices_session(&hub, agent);
    let agent_msgs = drain(&mut agent_rx);
    assert!(matches!(
        agent_msgs[0],
        PortalMessage::Redeemed { session: 40, .. }
    ));
    assert_eq!(
        agent_msgs[1..],
        [
            PortalMessage::AttendeeJoined(host_info("Bob")),
            PortalMessage::Roster {
                attendees: vec![host_info("Bob")]
            }
        ]
    );
    assert_eq!(
        drain(&mut host_rx),
        [
            PortalMessage::Joined {
                session: 40,
                you: AttendeeId::HOST,
                customer: "alice".into(),
                rights: Rights::HOST_DEFAULT,
                seat_token: None,
            },
            PortalMessage::Roster {
                attendees: vec![host_info("Bob")]
            }
        ]
    );
}

#[test]
fn signals_are_relayed_with_the_senders_id() {
    let hub = Hub::new();
    let (host, mut host_rx) = peer(1);
    let (agent, mut agent_rx) = peer(2);
    open_alices_session(&hub, agent);
    assert_eq!(
        hub.join_or_wait(7, host, host_info("Bob"), true),
        Ok(JoinOutcome::Joined { session: 40 })
    );
    drain(&mut host_rx);
    drain(&mut agent_rx);
    hub.signal(1, AttendeeId::CUSTOMER, offer())
        .expect("relays");
    assert_eq!(
        drain(&mut agent_rx),
        [PortalMessage::Signal {
            from: AttendeeId::HOST,
            payload: offer()
        }]
    );
    hub.signal(2, AttendeeId::HOST, offer()).expect("relays");
    assert_eq!(
        drain(&mut host_rx),
        [PortalMessage::Signal {
            from: AttendeeId::CUSTOMER,
            payload: offer()
        }]
    );
    assert_eq!(
        hub.signal(2, AttendeeId::from_wire(9), offer()),
        Err(HubError::NoSuchAttendee(AttendeeId::from_wire(9)))
    );
    assert!(matches!(
        hub.signal(1, AttendeeId::HOST, offer()),
        Err(HubError::NotAllowed(_))
    ));
    assert_eq!(
        hub.signal(3, AttendeeId::HOST, offer()),
        Err(HubError::NotInSession)
    );
}

#[test]
fn agent_disconnect_ends_host_disconnect_leaves() {
    let hub = Hub::new();
    let (host, mut host_rx) = peer(1);
    let (agent, mut agent_rx) = peer(2);
    open_alices_session(&hub, agent);
    hub.join_or_wait(7, host.clone(), host_info("Bob"), true)
        .expect("joins");
    drain(&mut agent_rx);
    drain(&mut host_rx);
    assert_eq!(hub.disconnect(1, "x"), Leave::Left { session: 40 });
    assert_eq!(
        drain(&mut agent_rx),
        [
            PortalMessage::AttendeeLeft {
                attendee: AttendeeId::HOST
            },
            PortalMessage::Roster { attendees: vec![] }
        ]
    );
    // The host may come back.
    hub.join_or_wait(7, host, host_info("Bob"), true)
        .expect("rejoins");
    drain(&mut host_rx);
    assert_eq!(
        hub.disconnect(2, "the customer disconnected"),
        Leave::Ended { session: 40 }
    );
    assert_eq!(
        drain(&mut host_rx),
        [PortalMessage::SessionEnded {
            reason: "the customer disconnected".into()
        }]
    );
    assert!(!hub.is_member(1));
    // A late join after the end is told the session is gone, not left waiting.
    let (late, _late_rx) = peer(5);
    assert_eq!(
        hub.join_or_wait(7, late, host_info("Bob"), true),
        Err(HubError::SessionGone)
    );
}

#[test]
fn end_session_from_host_ends_for_the_agent() {
    let hub = Hub::new();
    let (host, mut host_rx) = peer(1);
    let (agent, mut agent_rx) = peer(2);
    open_alices_session(&hub, agent);
    hub.join_or_wait(7, host, host_info("Bob"), true)
        .expect("joins");
    drain(&mut agent_rx);
    drain(&mut host_rx);
    assert_eq!(hub.end_session(1, "done"), Ok(Leave::Ended { session: 40 }));
    assert_eq!(
        drain(&mut agent_rx),
        [PortalMessage::SessionEnded {
            reason: "done".into()
        }]
    );
    assert!(drain(&mut host_rx).is_empty());
    assert_eq!(hub.end_session(1, "again"), Err(HubError::NotInSession));
}

#[test]
fn one_host_per_session_and_cancelled_waits_are_told() {
    let hub = Hub::new();
    let (a, mut a_rx) = peer(1);
    let (b, _b_rx) = peer(2);
    hub.join_or_wait(7, a, host_info("Bob"), false)
        .expect("waits");
    assert_eq!(
        hub.join_or_wait(7, b, host_info("Bob"), false),
        Err(HubError::HostTaken)
    );
    let why = PortalMessage::Error {
        kind: ErrorKind::CodeCancelled,
        message: "x".into(),
    };
    hub.stop_waiting(7, why.clone());
    assert_eq!(drain(&mut a_rx), [why]);
    assert!(!hub.is_member(1));
}

#[test]
fn consent_goes_to_the_host() {
    let hub = Hub::new();
    let (host, mut host_rx) = peer(1);
    let (agent, _agent_rx) = peer(2);
    open_alices_session(&hub, agent);
    hub.join_or_wait(7, host, host_info("Bob"), true)
        .expect("joins");
    drain(&mut host_rx);
    assert_eq!(hub.consent(2, AttendeeId::HOST, Rights::VIEW), Ok(Some(40)));
    assert_eq!(
        drain(&mut host_rx),
        [PortalMessage::Consent {
            attendee: AttendeeId::HOST,
            allowed: Rights::VIEW
        }]
    );
    // A repeat (50,000 of them, say) is neither recorded nor forwarded; nor is consent
    // about someone who is not there.
    for _ in 0..50_000 {
        assert_eq!(hub.consent(2, AttendeeId::HOST, Rights::VIEW), Ok(None));
    }
    assert_eq!(
        hub.consent(2, AttendeeId::from_wire(77), Rights::VIEW),
        Ok(None)
    );
    assert!(drain(&mut host_rx).is_empty());
    // A change is news again.
    assert_eq!(hub.consent(2, AttendeeId::HOST, Rights::NONE), Ok(Some(40)));
    assert_eq!(drain(&mut host_rx).len(), 1);
    assert!(matches!(
        hub.consent(1, AttendeeId::HOST, Rights::VIEW),
        Err(HubError::NotAllowed(_))
    ));
}
