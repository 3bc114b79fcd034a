//! The hub with more than a host: presence, invitations, specialists, rights, chat.

use crate::outbox::OutboxReceiver;
use tandem_protocol::signal::{InviteTarget, RepPresence};

use super::tests::{drain, join_key, open_alices_session, peer};
use super::*;

type Rx = OutboxReceiver;

/// Session 40 (code row 7) with the agent on conn 1 and host Bob (account 100) on conn 2.
fn running() -> (Hub, Rx, Rx) {
    let hub = Hub::new();
    let (agent, agent_rx) = peer(1);
    let (host, host_rx) = peer(2);
    hub.rep_logged_in(host.clone(), login(100, "bob", "default"));
    open_alices_session(&hub, agent);
    hub.join_or_wait(7, host, host_info("Bob"), true)
        .expect("joins");
    (hub, agent_rx, host_rx)
}

fn login(rep_id: i64, user: &str, portal: &str) -> RepLogin {
    RepLogin {
        rep_id,
        user: user.into(),
        name: user.to_uppercase(),
        portal: portal.into(),
    }
}

fn rep_on(hub: &Hub, conn: ConnId, rep_id: i64, user: &str, portal: &str) -> Rx {
    let (p, rx) = peer(conn);
    hub.rep_logged_in(p, login(rep_id, user, portal));
    rx
}

fn invite(target: InviteTarget, masked: bool) -> RepInvite {
    RepInvite {
        target,
        rights: Rights::VIEW,
        masked,
        comment: "please look".into(),
        inviter: None,
    }
}

/// The host (conn 2) invites Carol, logged in on conn 20, masked; she accepts.
fn carol_joins_masked(hub: &Hub) -> (u64, AttendeeId) {
    let target = InviteTarget::Rep {
        user: "carol".into(),
    };
    let sent = hub.invite_reps(2, invite(target, true)).expect("invites");
    hub.accept_invitation(20, sent.id).expect("accepts")
}

fn ids(msg: &PortalMessage) -> Vec<u32> {
    match msg {
        PortalMessage::Roster { attendees } => attendees.iter().map(|a| a.id.to_wire()).collect(),
        other => panic!("expected a roster, got {other:?}"),
    }
}

#[test]
fn attendee_ids_count_up_and_are_never_reused() {
    let (hub, mut agent_rx, _host_rx) = running();
    let (s1, _s1_rx) = peer(11);
    let (s2, _s2_rx) = peer(12);
    let (s3, _s3_rx) = peer(13);
    assert_eq!(
        join_key(&hub, 40, s1, "Sam", Rights::VIEW),
        Ok(AttendeeId::from_wire(3))
    );
    assert_eq!(
        join_key(&hub, 40, s2, "Sue", Rights::VIEW),
        Ok(AttendeeId::from_wire(4))
    );
    assert_eq!(hub.disconnect(12, "x"), Leave::Left { session: 40 });
    assert_eq!(
        join_key(&hub, 40, s3, "Sid", Rights::VIEW),
        Ok(AttendeeId::from_wire(5))
    );
    let last = drain(&mut agent_rx).pop().expect("a roster");
    assert_eq!(ids(&last), [2, 3, 5]);
    let (late, _) = peer(14);
    assert_eq!(
        join_key(&hub, 41, late, "Sy", Rights::VIEW),
        Err(HubError::SessionGone)
    );
}

#[test]
fn presence_is_one_entry_per_account_with_the_latest_portal() {
    let (hub, _agent_rx, _host_rx) = running();
    let _a = rep_on(&hub, 20, 200, "carol", "billing");
    let _b = rep_on(&hub, 21, 200, "carol", "sales");
    let reps = hub.list_reps(2);
    assert_eq!(
        reps,
        [RepPresence {
            user: "carol".into(),
            name: "CAROL".into(),
            portal: "sales".into(),
            active_sessions: 0
        }]
    );
    let seen_by_carol = hub.list_reps(20);
    assert_eq!(seen_by_carol.len(), 1);
    assert_eq!(
        (
            seen_by_carol[0].user.as_str(),
            seen_by_carol[0].active_sessions
        ),
        ("bob", 1)
    );
    hub.disconnect(21, "x");
    assert_eq!(hub.list_reps(2)[0].portal, "billing");
    hub.disconnect(20, "x");
    assert!(hub.list_reps(2).is_empty());
}

#[test]
fn first_accept_wins_and_the_end_withdraws_open_invitations() {
    let (hub, mut agent_rx, mut host_rx) = running();
    let mut carol = rep_on(&hub, 20, 200, "carol", "billing");
    let mut dave = rep_on(&hub, 21, 201, "dave", "billing");
    let sent = hub
        .invite_reps(
            2,
            invite(
                InviteTarget::Portal {
                    portal: "billing".into(),
                },
                true,
            ),
        )
        .expect("invites");
    assert_eq!(sent.accounts, 2);
    assert!(matches!(
        drain(&mut carol)[..],
        [PortalMessage::Invitation(_)]
    ));
    assert!(matches!(
        drain(&mut dave)[..],
        [PortalMessage::Invitation(_)]
    ));
    drain(&mut agent_rx);
    drain(&mut host_rx);
    assert_eq!(
        hub.accept_invitation(21, sent.id),
        Ok((40, AttendeeId::from_wire(3)))
    );
    assert_eq!(
        drain(&mut carol),
        [PortalMessage::InvitationWithdrawn {
            invitation: sent.id
        }]
    );
    assert_eq!(
        hub.accept_invitation(20, sent.id),
        Err(HubError::InvitationGone(
            "someone else already accepted this invitation"
        ))
    );
    // The masked representative is announced to the agent but left out of its roster.
    let to_agent = drain(&mut agent_rx);
    assert!(matches!(&to_agent[0], PortalMessage::AttendeeJoined(i) if i.masked));
    assert_eq!(ids(&to_agent[1]), [2]);
    let to_host = drain(&mut host_rx);
    assert!(matches!(
        &to_host[0],
        PortalMessage::InvitationAnswered { accepted: true, by, .. } if by == "DAVE"
    ));
    assert_eq!(ids(&to_host[1]), [2, 3]);

    // A second invitation stays open until the agent ends the session.
    let open = hub
        .invite_reps(
            2,
            invite(
                InviteTarget::Rep {
                    user: "carol".into(),
                },
                false,
            ),
        )
        .expect("invites");
    drain(&mut carol);
    hub.disconnect(1, "gone");
    assert_eq!(
        drain(&mut carol),
        [PortalMessage::InvitationWithdrawn {
            invitation: open.id
        }]
    );
    assert_eq!(
        hub.accept_invitation(20, open.id),
        Err(HubError::InvitationGone("the session has ended"))
    );
}

#[test]
fn invitations_need_the_host_and_someone_to_invite() {
    let (hub, _agent_rx, mut host_rx) = running();
    let mut carol = rep_on(&hub, 20, 200, "carol", "billing");
    let to_self = invite(InviteTarget::Rep { user: "bob".into() }, false);
    assert!(matches!(
        hub.invite_reps(2, to_self),
        Err(HubError::NotAllowed(_))
    ));
    let nobody = invite(
        InviteTarget::Portal {
            portal: "sales".into(),
        },
        false,
    );
    assert!(matches!(
        hub.invite_reps(2, nobody),
        Err(HubError::Refused(_))
    ));
    let absent = invite(InviteTarget::Rep { user: "zed".into() }, false);
    assert_eq!(
        hub.invite_reps(2, absent),
        Err(HubError::Refused("zed is not logged in".into()))
    );
    let carol_invites = invite(InviteTarget::Rep { user: "bob".into() }, false);
    assert_eq!(hub.invite_reps(20, carol_invites), Err(HubError::NotHost));
    let sent = hub
        .invite_reps(
            2,
            invite(
                InviteTarget::Rep {
                    user: "carol".into(),
                },
                false,
            ),
        )
        .expect("invites");
    drain(&mut carol);
    drain(&mut host_rx);
    assert_eq!(hub.decline_invitation(20, sent.id), Ok(40));
    assert_eq!(
        drain(&mut host_rx),
        [PortalMessage::InvitationAnswered {
            invitation: sent.id,
            by: "CAROL".into(),
            accepted: false
        }]
    );
    assert!(matches!(
        hub.accept_invitation(20, sent.id),
        Err(HubError::InvitationGone(_))
    ));
}

#[test]
fn grants_count_up_and_removal_detaches() {
    let (hub, mut agent_rx, _host_rx) = running();
    let (sam, mut sam_rx) = peer(11);
    let three = AttendeeId::from_wire(3);
    join_key(&hub, 40, sam, "Sam", Rights::VIEW).expect("joins");
    drain(&mut agent_rx);
    let vcc = Rights::VIEW.union(Rights::CONTROL);
    assert_eq!(hub.set_rights(2, three, vcc), Ok((40, 1)));
    assert_eq!(hub.set_rights(2, three, Rights::VIEW), Ok((40, 2)));
    let grants: Vec<u64> = drain(&mut agent_rx)
        .iter()
        .filter_map(|m| match m {
            PortalMessage::Grant { seq, .. } => Some(*seq),
            _ => None,
        })
        .collect();
    assert_eq!(grants, [1, 2]);
    assert_eq!(hub.set_rights(11, three, vcc), Err(HubError::NotHost));
    assert!(matches!(
        hub.set_rights(2, AttendeeId::HOST, vcc),
        Err(HubError::NotAllowed(_))
    ));
    assert_eq!(
        hub.set_rights(2, AttendeeId::from_wire(9), vcc),
        Err(HubError::NoSuchAttendee(AttendeeId::from_wire(9)))
    );
    drain(&mut sam_rx);
    assert_eq!(
        hub.remove_attendee(2, three),
        Ok(Removed {
            session: 40,
            cancelled_key: Some(tests::test_key())
        })
    );
    assert_eq!(
        drain(&mut sam_rx),
        [PortalMessage::SessionEnded {
            reason: attendees::REMOVED.into()
        }]
    );
    assert!(!hub.is_member(11));
    assert_eq!(
        drain(&mut agent_rx),
        [
            PortalMessage::AttendeeLeft { attendee: three },
            PortalMessage::Roster {
                attendees: vec![host_info("Bob")]
            }
        ]
    );
}

#[test]
fn a_rights_change_keeps_the_rights_it_does_not_name() {
    let (hub, mut agent_rx, mut host_rx) = running();
    let (sam, _sam_rx) = peer(11);
    let three = AttendeeId::from_wire(3);
    let view_chat = Rights::VIEW.union(Rights::CHAT);
    join_key(&hub, 40, sam, "Sam", view_chat).expect("joins");
    drain(&mut agent_rx);
    drain(&mut host_rx);
    // Issue 9: granting a view and chat specialist control dropped its chat.
    let all_three = view_chat.union(Rights::CONTROL);
    assert_eq!(
        hub.change_rights(2, three, Rights::CONTROL, Rights::NONE),
        Ok((40, 1, all_three))
    );
    let told = drain(&mut agent_rx);
    assert_eq!(
        told[0],
        PortalMessage::Grant {
            attendee: three,
            rights: all_three,
            seq: 1
        }
    );
    assert!(
        matches!(&drain(&mut host_rx)[..], [PortalMessage::Roster { attendees }]
            if attendees.iter().any(|a| a.id == three && a.rights == all_three))
    );
    assert_eq!(
        hub.change_rights(2, three, Rights::NONE, Rights::CONTROL),
        Ok((40, 2, view_chat))
    );
    assert_eq!(
        hub.change_rights(11, three, Rights::CONTROL, Rights::NONE),
        Err(HubError::NotHost)
    );
    assert_eq!(
        hub.change_rights(2, three, Rights::CHAT, Rights::CHAT),
        Err(HubError::NotAllowed(attendees::GRANT_AND_REVOKE))
    );
    assert_eq!(
        hub.snapshot(40).expect("running").attendees[1].rights,
        view_chat,
        "a refused change changes nothing"
    );
}

#[test]
fn specialists_are_capped_while_present() {
    let (hub, _agent_rx, _host_rx) = running();
    let mut keep = Vec::new();
    for conn in 10..10 + tandem_protocol::roster::MAX_SPECIALISTS as u64 {
        let (p, rx) = peer(conn);
        join_key(&hub, 40, p, "S", Rights::VIEW).expect("joins");
        keep.push(rx);
    }
    let (extra, _rx) = peer(99);
    assert_eq!(
        join_key(&hub, 40, extra.clone(), "T", Rights::VIEW),
        Err(HubError::TooManySpecialists)
    );
    hub.end_session(10, "bye").expect("leaves");
    assert!(join_key(&hub, 40, extra, "T", Rights::VIEW).is_ok());
}

#[test]
fn chat_follows_the_roster_rules() {
    let (hub, mut agent_rx, mut host_rx) = running();
    let _carol = rep_on(&hub, 20, 200, "carol", "default");
    let (_, carol) = carol_joins_masked(&hub);
    hub.change_rights(2, carol, Rights::CHAT, Rights::NONE)
        .expect("the host lets Carol chat");
    let (sam, mut sam_rx) = peer(11);
    let sam_id = join_key(&hub, 40, sam, "Sam", Rights::VIEW.union(Rights::CHAT)).expect("joins");
    drain(&mut agent_rx);
    drain(&mut host_rx);
    drain(&mut sam_rx);
    let chats = |rx: &mut Rx| {
        drain(rx)
            .into_iter()
            .filter_map(|m| match m {
                PortalMessage::Chat { from, .. } => Some(from.to_wire()),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    // Customer (forced to everyone), masked rep (not the customer), host reps-only.
    hub.chat(1, "hello", true).expect("sent");
    hub.chat(20, "psst", false).expect("sent");
    hub.chat(2, "between us", true).expect("sent");
    assert_eq!(chats(&mut agent_rx), [1]);
    assert_eq!(chats(&mut host_rx), [1, 3, 2]);
    assert_eq!(chats(&mut sam_rx), [1, 3]);
    assert!(matches!(
        hub.chat(11, "x", true),
        Err(HubError::NotAllowed(_))
    ));
    assert!(matches!(
        hub.chat(11, "  ", false),
        Err(HubError::Refused(_))
    ));
    assert_eq!(hub.chat(99, "x", false), Err(HubError::NotInSession));

    // Without the chat right (taken away now), nothing Sam says is relayed.
    hub.change_rights(2, sam_id, Rights::NONE, Rights::CHAT)
        .expect("the host takes chat away");
    drain(&mut agent_rx);
    drain(&mut host_rx);
    drain(&mut sam_rx);
    assert_eq!(
        hub.chat(11, "still here", false),
        Err(HubError::NotAllowed(attendees::NO_CHAT_RIGHT))
    );
    assert!(chats(&mut agent_rx).is_empty());
    assert!(chats(&mut host_rx).is_empty());
    assert!(chats(&mut sam_rx).is_empty());
}

#[test]
fn an_invited_rep_whose_connection_is_lost_returns_to_its_seat_with_its_rights() {
    let (hub, mut agent_rx, _host_rx) = running();
    let _carol = rep_on(&hub, 20, 200, "carol", "billing");
    let (session, you) = carol_joins_masked(&hub);
    hub.set_rights(2, you, Rights::VIEW.union(Rights::CONTROL))
        .expect("host grants control");
    assert_eq!(hub.connection_lost(20, "x"), Leave::Left { session });
    assert!(hub.snapshot(session).expect("running").seats.len() == 1);

    // Someone else cannot take the seat; Carol on a new connection can.
    let _dave = rep_on(&hub, 21, 201, "dave", "billing");
    assert!(matches!(
        hub.return_to_session(21, session),
        Err(HubError::NotAllowed(_))
    ));
    let mut back = rep_on(&hub, 22, 200, "carol", "billing");
    drain(&mut agent_rx);
    assert_eq!(hub.return_to_session(22, session), Ok(you));
    let joined = drain(&mut back);
    assert!(
        joined
            .iter()
            .any(|m| matches!(m, PortalMessage::Joined { you: y, rights, .. }
            if *y == you && *rights == Rights::VIEW.union(Rights::CONTROL))),
        "same id and rights: {joined:?}"
    );
    assert!(drain(&mut agent_rx).iter().any(|m| matches!(m,
        PortalMessage::AttendeeJoined(info) if info.id == you && info.masked)));

    // Leaving on purpose gives the seat up.
    assert_eq!(hub.end_session(22, "bye"), Ok(Leave::Left { session }));
    let _again = rep_on(&hub, 23, 200, "carol", "billing");
    assert!(hub.return_to_session(23, session).is_err());
}
