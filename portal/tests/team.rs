//! Representatives working together over real WebSockets: presence, invitations, rights,
//! removal.

mod common;

use std::time::Duration;

use common::{
    Client, Server, TempDir, add_rep, config, error_kind, error_message, host_info, invitation,
    invite, invite_and_accept, rep_target, running_session, view_chat,
};
use tandem_protocol::signal::{
    AttendeeInfo, ClientMessage, ErrorKind, InviteTarget, PortalMessage, RepInvitation,
    RepPresence, SignalPayload,
};
use tandem_protocol::{AttendeeId, Rights, Role};

async fn list_reps(c: &mut Client) -> Vec<RepPresence> {
    match c.request(&ClientMessage::ListReps).await {
        PortalMessage::Reps { reps } => reps,
        other => panic!("expected Reps, got {other:?}"),
    }
}

fn presence(user: &str, name: &str, portal: &str, active_sessions: u32) -> RepPresence {
    RepPresence {
        user: user.into(),
        name: name.into(),
        portal: portal.into(),
        active_sessions,
    }
}

#[tokio::test]
async fn list_reps_shows_others_with_their_portal_and_sessions() {
    let dir = TempDir::new("list-reps");
    let server = Server::start(config(&dir)).await;
    let pw = add_rep(&dir, "carol", "Carol").await;
    let mut r = running_session(&server).await;
    // The admin hosts a second session from a second window.
    let _second = running_session(&server).await;
    let mut anonymous = Client::connect(server.addr).await;
    assert_eq!(
        error_kind(&anonymous.request(&ClientMessage::ListReps).await),
        ErrorKind::Unauthorized
    );
    assert!(list_reps(&mut r.host).await.is_empty());

    let mut carol = Client::rep_on(server.addr, "carol", &pw, "billing").await;
    let carol_again = Client::rep_on(server.addr, "carol", &pw, "sales").await;
    // One entry per account, on the portal of its latest login; nobody sees themself.
    assert_eq!(
        list_reps(&mut r.host).await,
        [presence("carol", "Carol", "sales", 0)]
    );
    assert_eq!(
        list_reps(&mut carol).await,
        [presence("admin", "Administrator", "default", 2)]
    );
    carol_again.close().await;
    let deadline = tokio::time::Instant::now() + common::STEP;
    while list_reps(&mut r.host).await != [presence("carol", "Carol", "billing", 0)] {
        assert!(tokio::time::Instant::now() < deadline, "logout not noticed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn an_invited_masked_rep_joins_and_is_hidden_from_the_customer() {
    let dir = TempDir::new("invite-one");
    let server = Server::start(config(&dir)).await;
    let pw = add_rep(&dir, "carol", "Carol").await;
    let mut r = running_session(&server).await;
    let mut carol = Client::rep_on(server.addr, "carol", &pw, "default").await;
    r.host
        .send(&invite(rep_target("carol"), true, "printer driver again"))
        .await;
    let inv = invitation(&mut carol).await;
    assert_eq!(
        inv,
        RepInvitation {
            id: inv.id,
            session: r.session,
            host: "Administrator".into(),
            customer: "alice@laptop".into(),
            comment: "printer driver again".into(),
            rights: view_chat(),
            masked: true,
        }
    );
    carol
        .send(&ClientMessage::AcceptInvitation { invitation: inv.id })
        .await;
    let three = AttendeeId::from_wire(3);
    assert_eq!(
        carol.recv().await,
        PortalMessage::Joined {
            session: r.session,
            you: three,
            customer: "alice@laptop".into(),
            rights: view_chat(),
            seat_token: None,
        }
    );
    let carol_info = AttendeeInfo {
        id: three,
        name: "Carol".into(),
        role: Role::Representative,
        rights: view_chat(),
        masked: true,
    };
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::AttendeeJoined(carol_info.clone())
    );
    // The customer's roster leaves the masked representative out; the host's has her.
    assert_eq!(r.agent.recv_roster().await, [host_info()]);
    assert_eq!(
        r.host.recv().await,
        PortalMessage::InvitationAnswered {
            invitation: inv.id,
            by: "Carol".into(),
            accepted: true
        }
    );
    let everyone = vec![host_info(), carol_info.clone()];
    assert_eq!(r.host.recv_roster().await, everyone);
    assert_eq!(carol.recv_roster().await, everyone);

    // She signals the customer like the host does.
    let offer = SignalPayload::Offer { sdp: "v=0".into() };
    carol
        .send(&ClientMessage::Signal {
            to: AttendeeId::CUSTOMER,
            payload: offer.clone(),
        })
        .await;
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::Signal {
            from: three,
            payload: offer
        }
    );
    assert_eq!(
        list_reps(&mut r.host).await,
        [RepPresence {
            user: "carol".into(),
            name: "Carol".into(),
            portal: "default".into(),
            active_sessions: 1
        }]
    );
    // Leaving does not end the session.
    carol
        .send(&ClientMessage::EndSession {
            reason: "done here".into(),
        })
        .await;
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::AttendeeLeft { attendee: three }
    );
    assert_eq!(r.agent.recv_roster().await, [host_info()]);
    assert_eq!(r.host.recv_roster().await, [host_info()]);
    server.stop().await;
}

#[tokio::test]
async fn a_portal_invitation_goes_to_all_its_reps_and_the_first_accept_wins() {
    let dir = TempDir::new("invite-portal");
    let server = Server::start(config(&dir)).await;
    let carol_pw = add_rep(&dir, "carol", "Carol").await;
    let dave_pw = add_rep(&dir, "dave", "Dave").await;
    let erin_pw = add_rep(&dir, "erin", "Erin").await;
    let mut r = running_session(&server).await;
    let mut carol = Client::rep_on(server.addr, "carol", &carol_pw, "billing").await;
    let mut dave = Client::rep_on(server.addr, "dave", &dave_pw, "billing").await;
    let mut erin = Client::rep_on(server.addr, "erin", &erin_pw, "sales").await;

    // Only the host invites, and only people who are there.
    let by_carol = carol.request(&invite(rep_target("dave"), false, "")).await;
    assert_eq!(error_kind(&by_carol), ErrorKind::NotHost);
    let absent = r.host.request(&invite(rep_target("zed"), false, "")).await;
    assert_eq!(error_kind(&absent), ErrorKind::BadRequest);
    assert_eq!(error_message(&absent), "zed is not logged in");
    let empty = InviteTarget::Portal {
        portal: "nowhere".into(),
    };
    let empty = r.host.request(&invite(empty, false, "")).await;
    assert_eq!(error_kind(&empty), ErrorKind::BadRequest);

    let billing = InviteTarget::Portal {
        portal: "billing".into(),
    };
    r.host.send(&invite(billing, false, "who has time?")).await;
    let for_carol = invitation(&mut carol).await;
    let for_dave = invitation(&mut dave).await;
    assert_eq!(for_carol, for_dave);
    erin.expect_nothing(Duration::from_millis(300)).await;

    let id = for_dave.id;
    dave.send(&ClientMessage::AcceptInvitation { invitation: id })
        .await;
    assert!(matches!(dave.recv().await, PortalMessage::Joined { .. }));
    assert_eq!(
        carol.recv().await,
        PortalMessage::InvitationWithdrawn { invitation: id }
    );
    let late = carol
        .request(&ClientMessage::AcceptInvitation { invitation: id })
        .await;
    assert_eq!(error_kind(&late), ErrorKind::InvitationGone);
    assert_eq!(
        error_message(&late),
        "someone else already accepted this invitation"
    );
    assert_eq!(
        r.host.recv().await,
        PortalMessage::InvitationAnswered {
            invitation: id,
            by: "Dave".into(),
            accepted: true
        }
    );
    let names: Vec<String> = r
        .host
        .recv_roster()
        .await
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["Administrator", "Dave"]);

    // A declined invitation is answered; one still open when the session ends is withdrawn.
    r.host.send(&invite(rep_target("carol"), false, "")).await;
    let declined = invitation(&mut carol).await.id;
    carol
        .send(&ClientMessage::DeclineInvitation {
            invitation: declined,
        })
        .await;
    assert_eq!(
        r.host.recv().await,
        PortalMessage::InvitationAnswered {
            invitation: declined,
            by: "Carol".into(),
            accepted: false
        }
    );
    let after = carol
        .request(&ClientMessage::AcceptInvitation {
            invitation: declined,
        })
        .await;
    assert_eq!(error_kind(&after), ErrorKind::InvitationGone);
    r.host.send(&invite(rep_target("erin"), false, "")).await;
    let open = invitation(&mut erin).await.id;
    r.agent.close().await;
    assert_eq!(
        erin.recv().await,
        PortalMessage::InvitationWithdrawn { invitation: open }
    );
    server.stop().await;
}

#[tokio::test]
async fn the_host_grants_rights_in_sequence_and_removes_attendees() {
    let dir = TempDir::new("rights");
    let server = Server::start(config(&dir)).await;
    let pw = add_rep(&dir, "carol", "Carol").await;
    let mut r = running_session(&server).await;
    let mut carol = Client::rep_on(server.addr, "carol", &pw, "default").await;
    let info = invite_and_accept(&mut r, &mut carol, "carol", "Carol", false).await;

    let control = view_chat().union(Rights::CONTROL);
    for (seq, rights) in [(1, control), (2, Rights::VIEW)] {
        r.host
            .send(&ClientMessage::SetRights {
                attendee: info.id,
                rights,
            })
            .await;
        assert_eq!(
            r.agent.recv().await,
            PortalMessage::Grant {
                attendee: info.id,
                rights,
                seq
            }
        );
        let changed = AttendeeInfo {
            rights,
            ..info.clone()
        };
        assert_eq!(r.agent.recv_roster().await, [host_info(), changed.clone()]);
        assert_eq!(r.host.recv_roster().await, [host_info(), changed.clone()]);
        assert_eq!(carol.recv_roster().await, [host_info(), changed]);
    }
    let self_grant = ClientMessage::SetRights {
        attendee: info.id,
        rights: Rights::HOST_DEFAULT,
    };
    assert_eq!(
        error_kind(&carol.request(&self_grant).await),
        ErrorKind::NotHost
    );
    let on_host = ClientMessage::SetRights {
        attendee: AttendeeId::HOST,
        rights: Rights::VIEW,
    };
    assert_eq!(
        error_kind(&r.host.request(&on_host).await),
        ErrorKind::BadRequest
    );
    let remove_host = ClientMessage::RemoveAttendee {
        attendee: AttendeeId::HOST,
    };
    assert_eq!(
        error_kind(&carol.request(&remove_host).await),
        ErrorKind::NotHost
    );

    r.host
        .send(&ClientMessage::RemoveAttendee { attendee: info.id })
        .await;
    assert_eq!(
        carol.recv().await,
        PortalMessage::SessionEnded {
            reason: "the host removed you from the session".into()
        }
    );
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::AttendeeLeft { attendee: info.id }
    );
    assert_eq!(r.agent.recv_roster().await, [host_info()]);
    assert_eq!(r.host.recv_roster().await, [host_info()]);
    // Her connection stays open but is out of the session; invited again, she is a new
    // attendee with a new id.
    let chat = ClientMessage::Chat {
        text: "still here?".into(),
        reps_only: false,
    };
    assert_eq!(
        error_kind(&carol.request(&chat).await),
        ErrorKind::BadRequest
    );
    let again = invite_and_accept(&mut r, &mut carol, "carol", "Carol", false).await;
    assert_eq!(again.id, AttendeeId::from_wire(4));
    server.stop().await;
}
