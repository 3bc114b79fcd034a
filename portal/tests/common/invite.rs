//! Helpers for inviting representatives and specialists into a running session.

use tandem_protocol::signal::{
    AttendeeInfo, ClientMessage, InviteTarget, PortalMessage, RepInvitation, SpecialistInvitation,
};
use tandem_protocol::{Rights, Role, SessionCode};

use super::{Client, Running, Server};

pub fn view_chat() -> Rights {
    Rights::VIEW.union(Rights::CHAT)
}

pub fn invite(target: InviteTarget, masked: bool, comment: &str) -> ClientMessage {
    ClientMessage::InviteReps {
        target,
        rights: view_chat(),
        masked,
        comment: comment.into(),
    }
}

pub fn rep_target(user: &str) -> InviteTarget {
    InviteTarget::Rep { user: user.into() }
}

pub async fn invitation(c: &mut Client) -> RepInvitation {
    match c.recv().await {
        PortalMessage::Invitation(inv) => inv,
        other => panic!("expected an Invitation, got {other:?}"),
    }
}

/// The host invites `user` (logged in on `rep`), who accepts; checks and consumes what the
/// rep, the agent and the host are told. Returns the rep's attendee entry.
pub async fn invite_and_accept(
    r: &mut Running,
    rep: &mut Client,
    user: &str,
    name: &str,
    masked: bool,
) -> AttendeeInfo {
    r.host.send(&invite(rep_target(user), masked, "")).await;
    let inv = invitation(rep).await;
    rep.send(&ClientMessage::AcceptInvitation { invitation: inv.id })
        .await;
    let PortalMessage::Joined { you, .. } = rep.recv().await else {
        panic!("expected Joined")
    };
    let info = AttendeeInfo {
        id: you,
        name: name.into(),
        role: Role::Representative,
        rights: view_chat(),
        masked,
    };
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::AttendeeJoined(info.clone())
    );
    r.agent.recv_roster().await;
    assert!(matches!(
        r.host.recv().await,
        PortalMessage::InvitationAnswered { accepted: true, .. }
    ));
    r.host.recv_roster().await;
    rep.recv_roster().await;
    info
}

pub async fn invite_specialist(host: &mut Client, rights: Rights) -> SpecialistInvitation {
    match host
        .request(&ClientMessage::InviteSpecialist { rights })
        .await
    {
        PortalMessage::SpecialistInvited(inv) => inv,
        other => panic!("expected SpecialistInvited, got {other:?}"),
    }
}

pub fn join(key: SessionCode, name: &str) -> ClientMessage {
    ClientMessage::JoinAsSpecialist {
        key,
        name: name.into(),
        link_token: None,
        seat_token: None,
    }
}

/// A specialist's join with `key` coming back with the seat token of an earlier join.
pub fn rejoin(key: SessionCode, name: &str, seat_token: &str) -> ClientMessage {
    ClientMessage::JoinAsSpecialist {
        key,
        name: name.into(),
        link_token: None,
        seat_token: Some(seat_token.into()),
    }
}

/// A specialist joins with `key`; checks what it, the agent and the host are told. Returns
/// its connection and attendee entry.
pub async fn specialist_joins(
    server: &Server,
    r: &mut Running,
    key: SessionCode,
    name: &str,
) -> (Client, AttendeeInfo) {
    let (c, info, _) = specialist_takes_seat(server, r, key, name).await;
    (c, info)
}

/// [`specialist_joins`], also returning the seat token it got.
pub async fn specialist_takes_seat(
    server: &Server,
    r: &mut Running,
    key: SessionCode,
    name: &str,
) -> (Client, AttendeeInfo, String) {
    let mut c = Client::connect(server.addr).await;
    let PortalMessage::Joined {
        you,
        rights,
        seat_token: Some(seat_token),
        ..
    } = c.request(&join(key, name)).await
    else {
        panic!("expected Joined with a seat token")
    };
    let info = AttendeeInfo {
        id: you,
        name: name.into(),
        role: Role::Specialist,
        rights,
        masked: false,
    };
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::AttendeeJoined(info.clone())
    );
    // The customer's roster may lack masked representatives; the others see everyone.
    assert_eq!(r.agent.recv_roster().await.last(), Some(&info));
    let roster = r.host.recv_roster().await;
    assert_eq!(roster.last(), Some(&info));
    assert_eq!(c.recv_roster().await, roster);
    (c, info, seat_token)
}
