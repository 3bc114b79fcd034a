//! A host's grant sticks to a specialist's seat, over real WebSockets and a real database: a
//! specialist whose connection drops comes back with its seat token to the same id and the
//! rights it held (not the key's), across a portal restart too; a removed specialist's key
//! is cancelled, so neither it nor anyone else gets in with it again.

mod common;

use std::time::Duration;

use common::{
    Client, Running, Server, TempDir, config, error_kind, error_message, host_info,
    invite_specialist, join, rejoin, running_session, specialist_takes_seat,
};
use tandem_portal::Config;
use tandem_protocol::signal::{AttendeeInfo, ClientMessage, ErrorKind, PortalMessage};
use tandem_protocol::{AttendeeId, Rights};

fn view_chat() -> Rights {
    Rights::VIEW.union(Rights::CHAT)
}

/// The host takes control away from `sam`; everyone is told.
async fn revoke_control(r: &mut Running, sam: &mut Client, sam_info: &AttendeeInfo) {
    r.host
        .send(&ClientMessage::ChangeRights {
            attendee: sam_info.id,
            grant: Rights::NONE,
            revoke: Rights::CONTROL,
        })
        .await;
    assert!(matches!(
        r.agent.recv().await,
        PortalMessage::Grant { attendee, rights, .. } if attendee == sam_info.id && rights == view_chat()
    ));
    r.agent.recv_roster().await;
    r.host.recv_roster().await;
    assert_eq!(
        sam.recv_roster().await.last().map(|a| a.rights),
        Some(view_chat())
    );
}

/// `Joined` for a specialist back in its seat: no new token.
fn back_in_seat(session: u64, sam: &AttendeeInfo) -> PortalMessage {
    PortalMessage::Joined {
        session,
        you: sam.id,
        customer: "alice@laptop".into(),
        rights: sam.rights,
        seat_token: None,
    }
}

#[tokio::test]
async fn a_revoked_right_stays_revoked_when_the_specialists_connection_drops() {
    let dir = TempDir::new("seat-revoke");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    let inv = invite_specialist(&mut r.host, Rights::VIEW.union(Rights::CONTROL)).await;
    let (mut sam, sam_info, token) = specialist_takes_seat(&server, &mut r, inv.key, "Sam").await;
    assert!(sam_info.rights.contains(Rights::CONTROL));
    revoke_control(&mut r, &mut sam, &sam_info).await;

    // The connection drops (no EndSession): Sam is gone for now.
    drop(sam);
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::AttendeeLeft {
            attendee: sam_info.id
        }
    );
    r.agent.recv_roster().await;
    assert_eq!(r.host.recv_roster().await, [host_info()]);

    // The viewer rejoins by itself with key and seat token: same id, no control.
    let mut sam = Client::connect(server.addr).await;
    let revoked = AttendeeInfo {
        rights: view_chat(),
        ..sam_info.clone()
    };
    assert_eq!(
        sam.request(&rejoin(inv.key, "Sam", &token)).await,
        back_in_seat(r.session, &revoked)
    );
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::AttendeeJoined(revoked.clone()),
        "the agent enforces the rights Sam held, not the key's"
    );
    assert_eq!(r.agent.recv_roster().await.last(), Some(&revoked));
    assert_eq!(r.host.recv_roster().await.last(), Some(&revoked));
    sam.recv_roster().await;

    // Holding the key is not enough to take over a seat: a wrong token is refused, not
    // answered with the key's rights.
    let mut mallory = Client::connect(server.addr).await;
    let refused = mallory
        .request(&rejoin(inv.key, "Sam", "0123456789abcdef0123456789abcdef"))
        .await;
    assert_eq!(error_kind(&refused), ErrorKind::InvitationGone);
    assert!(
        error_message(&refused).contains("place in this session is gone"),
        "{refused:?}"
    );
    r.host.expect_nothing(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_removed_specialists_key_is_cancelled_for_everyone() {
    let dir = TempDir::new("seat-remove");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    let inv = invite_specialist(&mut r.host, Rights::VIEW).await;
    let (mut sam, sam_info, token) = specialist_takes_seat(&server, &mut r, inv.key, "Sam").await;
    // Sue shares the key.
    let (mut sue, sue_info, _) = specialist_takes_seat(&server, &mut r, inv.key, "Sue").await;
    sam.recv_roster().await;

    r.host
        .send(&ClientMessage::RemoveAttendee {
            attendee: sam_info.id,
        })
        .await;
    assert!(matches!(
        sam.recv().await,
        PortalMessage::SessionEnded { .. }
    ));
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::AttendeeLeft {
            attendee: sam_info.id
        }
    );
    assert_eq!(r.host.recv_roster().await, [host_info(), sue_info.clone()]);
    assert_eq!(
        r.host.recv().await,
        PortalMessage::SpecialistInvitationCancelled { key: inv.key },
        "the host learns the key is dead"
    );

    // Sam cannot come back, neither to its seat nor as a new specialist; nor can anyone.
    for msg in [rejoin(inv.key, "Sam", &token), join(inv.key, "Sam again")] {
        let mut c = Client::connect(server.addr).await;
        let refused = c.request(&msg).await;
        assert_eq!(
            error_kind(&refused),
            ErrorKind::CodeCancelled,
            "{refused:?}"
        );
    }
    // Sue stays.
    assert_eq!(sue.recv_roster().await, [host_info(), sue_info]);
}

fn config_with_window(dir: &TempDir, secs: u64) -> Config {
    Config {
        resume_window: Duration::from_secs(secs),
        ..config(dir)
    }
}

#[tokio::test]
async fn a_revoked_right_stays_revoked_across_a_portal_restart() {
    let dir = TempDir::new("seat-restart");
    let a = Server::start(config_with_window(&dir, 30)).await;
    let mut r = running_session(&a).await;
    let inv = invite_specialist(&mut r.host, Rights::VIEW.union(Rights::CONTROL)).await;
    let (mut sam, sam_info, token) = specialist_takes_seat(&a, &mut r, inv.key, "Sam").await;
    revoke_control(&mut r, &mut sam, &sam_info).await;
    a.stop().await;

    let b = Server::start(config_with_window(&dir, 30)).await;
    let mut agent = Client::connect(b.addr).await;
    assert!(matches!(
        agent
            .request(&ClientMessage::Resume {
                session: r.session,
                secret: r.secret.clone(),
            })
            .await,
        PortalMessage::Resumed { .. }
    ));
    // Not back yet, so not expected: the agent offers it no link meanwhile.
    assert_eq!(
        agent.recv().await,
        PortalMessage::AttendeeLeft {
            attendee: sam_info.id
        }
    );
    // (Nobody is back yet, the host neither.)
    assert_eq!(agent.recv_roster().await, []);

    let revoked = AttendeeInfo {
        rights: view_chat(),
        ..sam_info.clone()
    };
    let mut sam = Client::connect(b.addr).await;
    assert_eq!(
        sam.request(&rejoin(inv.key, "Sam", &token)).await,
        back_in_seat(r.session, &revoked)
    );
    assert_eq!(
        agent.recv().await,
        PortalMessage::AttendeeJoined(revoked.clone())
    );
    // A new specialist after the restart gets a fresh id and the key's rights.
    let mut late = Client::connect(b.addr).await;
    match late.request(&join(inv.key, "Sue")).await {
        PortalMessage::Joined { you, rights, .. } => {
            assert!(you.to_wire() > sam_info.id.to_wire(), "{you}");
            assert_ne!(you, AttendeeId::HOST);
            assert_eq!(
                rights,
                view_chat().union(Rights::CONTROL).union(Rights::CLIPBOARD)
            );
        }
        other => panic!("expected Joined, got {other:?}"),
    }
    b.stop().await;
}
