//! The hub with specialists' seats: a host's revoke outlives a lost connection, a zombie
//! connection is replaced, removal cancels the key, leaving gives the seat up, and seats
//! survive a restart.

use crate::outbox::OutboxReceiver;
use crate::resume::{Issued, ResumeDigest, ResumeSecret};

use super::tests::{drain, issued, peer, test_key};
use super::*;

type Rx = OutboxReceiver;

const SESSION: u64 = 40;

fn all_three() -> Rights {
    Rights::VIEW.union(Rights::CONTROL).union(Rights::CHAT)
}

fn view_chat() -> Rights {
    Rights::VIEW.union(Rights::CHAT)
}

/// Session 40 with the agent on conn 1 and host Bob on conn 2, both drained.
fn running() -> (Hub, Rx, Rx) {
    let hub = Hub::with_resume_window(Duration::from_secs(60));
    let (agent, mut agent_rx) = peer(1);
    let (host, mut host_rx) = peer(2);
    hub.open_session(
        SESSION,
        7,
        Owner::default(),
        agent,
        "alice",
        host_info("Bob"),
        issued(),
    )
    .expect("opens");
    hub.join_or_wait(7, host, host_info("Bob"), true)
        .expect("joins");
    drain(&mut agent_rx);
    drain(&mut host_rx);
    (hub, agent_rx, host_rx)
}

/// What the portal's socket layer does with `JoinAsSpecialist{key, seat_token}` once the
/// key (granting `all_three`) was found live.
fn join(hub: &Hub, conn: ConnId, token: Option<&str>) -> (Result<SpecialistJoined, HubError>, Rx) {
    let (p, rx) = peer(conn);
    let pass = match token {
        None => SeatPass::New(Issued::seat(SESSION, &mut rand::rng())),
        Some(t) => SeatPass::Back(
            ResumeSecret::parse(t)
                .map_or_else(|| ResumeDigest::from_bytes(&[]), |s| s.seat_digest(SESSION)),
        ),
    };
    let join = KeyJoin {
        key: test_key(),
        rights: all_three(),
        pass,
    };
    (hub.join_specialist(SESSION, p, "Sam", join), rx)
}

/// The seat token in the `Joined` among `msgs`.
fn seat_token(msgs: &[PortalMessage]) -> Option<String> {
    msgs.iter().find_map(|m| match m {
        PortalMessage::Joined { seat_token, .. } => seat_token.clone(),
        _ => None,
    })
}

/// Sam joins on conn 11 with the key's three rights, then the host takes control away.
/// Returns Sam's id, seat token and receiver.
fn sam_loses_control(hub: &Hub, agent_rx: &mut Rx) -> (AttendeeId, String, Rx) {
    let (joined, mut sam_rx) = join(hub, 11, None);
    let joined = joined.expect("joins");
    assert_eq!((joined.rights, joined.returned), (all_three(), false));
    let token = seat_token(&drain(&mut sam_rx)).expect("a new seat comes with a token");
    assert_eq!(token.len(), crate::resume::SECRET_CHARS);
    hub.change_rights(2, joined.id, Rights::NONE, Rights::CONTROL)
        .expect("the host revokes control");
    drain(agent_rx);
    drain(&mut sam_rx);
    (joined.id, token, sam_rx)
}

#[test]
fn a_revoked_right_stays_revoked_when_the_specialist_comes_back() {
    let (hub, mut agent_rx, _host_rx) = running();
    let (sam, token, _old_rx) = sam_loses_control(&hub, &mut agent_rx);
    assert_eq!(
        hub.connection_lost(11, "gone"),
        Leave::Left { session: SESSION }
    );
    drain(&mut agent_rx);

    let (back, mut back_rx) = join(&hub, 12, Some(&token));
    assert_eq!(
        back,
        Ok(SpecialistJoined {
            id: sam,
            rights: view_chat(),
            returned: true
        })
    );
    assert_eq!(
        drain(&mut back_rx)[0],
        PortalMessage::Joined {
            session: SESSION,
            you: sam,
            customer: "alice".into(),
            rights: view_chat(),
            seat_token: None,
        }
    );
    let expected = AttendeeInfo {
        id: sam,
        name: "Sam".into(),
        role: Role::Specialist,
        rights: view_chat(),
        masked: false,
    };
    assert_eq!(
        drain(&mut agent_rx)[0],
        PortalMessage::AttendeeJoined(expected),
        "the agent enforces the rights Sam held, not the key's"
    );
    // Comes back again after a second drop, same seat, same rights.
    hub.connection_lost(12, "gone again");
    let (again, _rx) = join(&hub, 13, Some(&token));
    assert_eq!(again.map(|j| (j.id, j.rights)), Ok((sam, view_chat())));
    // Whoever holds only the key takes a new seat (that is what a key is for).
    let (other, _rx) = join(&hub, 14, None);
    let other = other.expect("a new seat");
    assert_ne!(other.id, sam);
    assert_eq!(other.rights, all_three());
}

#[test]
fn a_seat_holders_new_connection_replaces_one_not_yet_noticed_as_gone() {
    let (hub, mut agent_rx, _host_rx) = running();
    let (sam, token, mut old_rx) = sam_loses_control(&hub, &mut agent_rx);
    let (back, _new_rx) = join(&hub, 12, Some(&token));
    assert_eq!(back.map(|j| j.id), Ok(sam));
    assert_eq!(
        drain(&mut old_rx),
        [PortalMessage::SessionEnded {
            reason: TAKEN_OVER.into()
        }]
    );
    assert!(!hub.is_member(11) && hub.is_member(12));
    let told = drain(&mut agent_rx);
    assert_eq!(told[0], PortalMessage::AttendeeLeft { attendee: sam });
    assert!(
        matches!(&told[1], PortalMessage::AttendeeJoined(info) if info.id == sam && info.rights == view_chat()),
        "{told:?}"
    );
    // The old connection closing later changes nothing.
    assert_eq!(hub.connection_lost(11, "late"), Leave::Nothing);
    assert!(hub.is_member(12));
}

#[test]
fn removal_gives_up_the_seat_and_cancels_the_key_for_everyone() {
    let (hub, mut agent_rx, _host_rx) = running();
    let (sam, token, _sam_rx) = sam_loses_control(&hub, &mut agent_rx);
    let (sue, _sue_rx) = join(&hub, 12, None);
    let sue = sue.expect("Sue joins with the same key").id;
    assert_eq!(
        hub.remove_attendee(2, sam),
        Ok(Removed {
            session: SESSION,
            cancelled_key: Some(test_key())
        })
    );
    for token in [Some(token.as_str()), None] {
        let (refused, _rx) = join(&hub, 13, token);
        assert_eq!(refused, Err(HubError::KeyCancelled), "{token:?}");
    }
    // Sue stays; once her connection is lost she cannot come back with the cancelled key,
    // and the host can still remove her seat while she is away.
    assert!(hub.is_member(12));
    hub.connection_lost(12, "gone");
    assert_eq!(
        hub.remove_attendee(2, sue),
        Ok(Removed {
            session: SESSION,
            cancelled_key: Some(test_key())
        })
    );
    assert_eq!(
        hub.remove_attendee(2, sue),
        Err(HubError::NoSuchAttendee(sue))
    );
}

#[test]
fn leaving_on_purpose_gives_up_the_seat() {
    let (hub, mut agent_rx, _host_rx) = running();
    let (_, token, _sam_rx) = sam_loses_control(&hub, &mut agent_rx);
    hub.end_session(11, "done").expect("leaves");
    let (refused, _rx) = join(&hub, 12, Some(&token));
    assert_eq!(refused, Err(HubError::InvitationGone(SEAT_GONE)));
    // A malformed token names no seat either.
    let (refused, _rx) = join(&hub, 13, Some("not a token"));
    assert_eq!(refused, Err(HubError::InvitationGone(SEAT_GONE)));
}

#[test]
fn a_cancelled_key_lets_present_specialists_stay_but_nobody_back() {
    let (hub, mut agent_rx, _host_rx) = running();
    let (_, token, _sam_rx) = sam_loses_control(&hub, &mut agent_rx);
    hub.cancel_key(SESSION, test_key());
    assert!(hub.is_member(11));
    hub.connection_lost(11, "gone");
    let (refused, _rx) = join(&hub, 12, Some(&token));
    assert_eq!(refused, Err(HubError::KeyCancelled));
}

#[test]
fn a_seat_and_its_rights_survive_a_restart() {
    let (hub, mut agent_rx, _host_rx) = running();
    let (sam, token, _sam_rx) = sam_loses_control(&hub, &mut agent_rx);
    let stored = hub.snapshot(SESSION).expect("running");
    assert_eq!(stored.specialist_seats.len(), 1);
    assert_eq!(stored.specialist_seats[0].info.rights, view_chat());
    assert!(
        !format!("{stored:?}").contains(&token),
        "the token itself is stored nowhere"
    );

    let restarted = Hub::with_resume_window(Duration::from_secs(60));
    restarted
        .restore(&stored, Duration::from_secs(60))
        .expect("restored");
    let (back, mut back_rx) = join(&restarted, 21, Some(&token));
    assert_eq!(
        back,
        Ok(SpecialistJoined {
            id: sam,
            rights: view_chat(),
            returned: true
        })
    );
    assert!(matches!(
        drain(&mut back_rx)[..2],
        [
            PortalMessage::Joined { .. },
            PortalMessage::CustomerAway { .. }
        ]
    ));
    // The next specialist gets a fresh id.
    let (next, _rx) = join(&restarted, 22, None);
    assert!(next.expect("joins").id.to_wire() > sam.to_wire());
}
