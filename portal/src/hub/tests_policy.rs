//! Functions by policy in running sessions: caps on joining, on granting, and at once when
//! the policy changes.

use crate::outbox::OutboxReceiver;
use crate::policy::{Functions, Member, PolicyBook, Team};
use tandem_protocol::signal::InviteTarget;

use super::tests::{drain, issued, join_key, peer};
use super::*;

type Rx = OutboxReceiver;

const BOB: i64 = 100;
const CAROL: i64 = 101;

/// Bob (account 100) and Carol (101) in team 1; the book withholds `team` from the team
/// and `portal` from portal "kiosk".
fn book(team: Functions, portal: Functions) -> PolicyBook {
    let mut b = PolicyBook::default();
    b.teams.insert(
        1,
        Team {
            name: "Tier 1".into(),
            parent: None,
            withheld: team,
        },
    );
    for rep in [BOB, CAROL] {
        b.members.insert(
            rep,
            Member {
                team: Some(1),
                withheld: Functions::NONE,
            },
        );
    }
    b.portals.insert("kiosk".into(), portal);
    b
}

/// Session 40 on `portal`, owned by Bob, with Bob hosting on conn 2 and Carol logged in
/// on conn 20.
fn running(policy: PolicyBook, portal: &str) -> (Hub, Rx, Rx, Rx) {
    let hub = Hub::new();
    hub.set_policy(policy);
    let (agent, agent_rx) = peer(1);
    let (host, host_rx) = peer(2);
    let (carol, carol_rx) = peer(20);
    hub.rep_logged_in(host.clone(), login(BOB, "bob"));
    hub.rep_logged_in(carol, login(CAROL, "carol"));
    let owner = Owner {
        rep: BOB,
        portal: portal.into(),
    };
    hub.open_session(40, 7, owner, agent, "alice", host_info("Bob"), issued())
        .expect("opens");
    hub.join_or_wait(7, host, host_info("Bob"), true)
        .expect("joins");
    (hub, agent_rx, host_rx, carol_rx)
}

fn login(rep_id: i64, user: &str) -> RepLogin {
    RepLogin {
        rep_id,
        user: user.into(),
        name: user.to_uppercase(),
        portal: "default".into(),
    }
}

/// The host invites Carol with `rights`.
fn invite_carol(rights: Rights) -> RepInvite {
    RepInvite {
        target: InviteTarget::Rep {
            user: "carol".into(),
        },
        rights,
        masked: false,
        comment: String::new(),
        inviter: None,
    }
}

fn carol_joins(hub: &Hub, rights: Rights) -> AttendeeId {
    let invite = invite_carol(rights);
    let sent = hub.invite_reps(2, invite).expect("invites");
    hub.accept_invitation(20, sent.id).expect("accepts").1
}

fn grants(msgs: &[PortalMessage]) -> Vec<(AttendeeId, Rights)> {
    msgs.iter()
        .filter_map(|m| match m {
            PortalMessage::Grant {
                attendee, rights, ..
            } => Some((*attendee, *rights)),
            _ => None,
        })
        .collect()
}

fn host_rights_told(msgs: &[PortalMessage]) -> Option<Rights> {
    msgs.iter().find_map(|m| match m {
        PortalMessage::Redeemed { host, .. } => Some(host.rights),
        _ => None,
    })
}

#[test]
fn a_team_withholding_files_caps_the_host_and_who_it_invites() {
    let (hub, mut agent_rx, _host_rx, _carol_rx) =
        running(book(Functions::FILES, Functions::NONE), "default");
    let told = drain(&mut agent_rx);
    assert_eq!(
        host_rights_told(&told),
        Some(Rights::HOST_DEFAULT.without(Rights::FILES)),
        "the agent never hears the host may use files"
    );
    let carol = carol_joins(&hub, Rights::VIEW.union(Rights::FILES));
    assert_eq!(
        hub.rights_of(2, carol),
        Some(Rights::VIEW),
        "capped on joining"
    );
    let refused = hub.change_rights(2, carol, Rights::FILES, Rights::NONE);
    assert!(
        matches!(&refused, Err(HubError::Refused(why)) if why.contains("files")),
        "{refused:?}"
    );
    assert_eq!(hub.rights_of(2, carol), Some(Rights::VIEW));
    assert!(
        hub.change_rights(2, carol, Rights::CONTROL, Rights::NONE)
            .is_ok(),
        "what the policy allows can still be granted"
    );
}

#[test]
fn a_portal_withholding_control_caps_every_session_started_there() {
    let (hub, mut agent_rx, _h, _c) = running(book(Functions::NONE, Functions::CONTROL), "kiosk");
    let told = drain(&mut agent_rx);
    assert_eq!(
        host_rights_told(&told),
        Some(
            Rights::HOST_DEFAULT
                .without(Rights::CONTROL)
                .without(Rights::CLIPBOARD)
        )
    );
    let (sam, _sam_rx) = peer(30);
    let id = join_key(&hub, 40, sam, "Sam", Rights::VIEW.union(Rights::CONTROL)).expect("joins");
    assert_eq!(hub.rights_of(2, id), Some(Rights::VIEW), "a specialist too");
    // The same people on the default portal keep control.
    let (hub, mut agent_rx, _h, _c) = running(book(Functions::NONE, Functions::CONTROL), "default");
    assert_eq!(
        host_rights_told(&drain(&mut agent_rx)),
        Some(Rights::HOST_DEFAULT)
    );
    drop(hub);
}

#[test]
fn a_policy_change_takes_rights_away_at_once_and_gives_the_host_its_own_back() {
    let (hub, mut agent_rx, mut host_rx, _c) =
        running(book(Functions::NONE, Functions::NONE), "default");
    let carol = carol_joins(&hub, Rights::VIEW.union(Rights::CONTROL));
    drain(&mut agent_rx);
    drain(&mut host_rx);
    let changed = hub.set_policy(book(Functions::CONTROL, Functions::NONE));
    let told = grants(&drain(&mut agent_rx));
    assert!(
        told.contains(&(
            AttendeeId::HOST,
            Rights::HOST_DEFAULT
                .without(Rights::CONTROL)
                .without(Rights::CLIPBOARD)
        ))
    );
    assert!(told.contains(&(carol, Rights::VIEW)));
    assert_eq!(changed.len(), 2, "{changed:?}");
    assert!(
        drain(&mut host_rx)
            .iter()
            .any(|m| matches!(m, PortalMessage::Roster { .. })),
        "the host sees the new rights"
    );
    // Allowed again: the host gets control back; Carol only if her host grants it.
    hub.set_policy(book(Functions::NONE, Functions::NONE));
    let told = grants(&drain(&mut agent_rx));
    assert_eq!(told, [(AttendeeId::HOST, Rights::HOST_DEFAULT)]);
    assert_eq!(hub.rights_of(2, carol), Some(Rights::VIEW));
    // An unchanged policy tells the agent nothing.
    assert!(
        hub.set_policy(book(Functions::NONE, Functions::NONE))
            .is_empty()
    );
    assert!(grants(&drain(&mut agent_rx)).is_empty());
}

#[test]
fn inviting_is_refused_when_the_policy_withholds_it() {
    let (hub, _a, _h, _c) = running(book(Functions::INVITE_REPS, Functions::NONE), "default");
    let invite = invite_carol(Rights::VIEW);
    assert!(matches!(
        hub.invite_reps(2, invite),
        Err(HubError::NotAllowed(_))
    ));
    let watch_only = book(Functions::SPECIALIST_CONTROL, Functions::NONE);
    let (hub, _a, _h, _c) = running(watch_only, "default");
    let f = hub.host_functions(2).expect("hosts");
    assert!(!f.specialist_cap().contains(Rights::CONTROL));
    assert!(f.specialist_cap().contains(Rights::VIEW));
}

#[test]
fn a_representative_told_their_functions_when_the_policy_changes() {
    let (hub, _a, mut host_rx, mut carol_rx) =
        running(book(Functions::NONE, Functions::NONE), "default");
    drain(&mut host_rx);
    hub.set_policy(book(Functions::REBOOT, Functions::NONE));
    hub.tell_functions();
    let told = drain(&mut carol_rx);
    let allowed = told.iter().find_map(|m| match m {
        PortalMessage::Functions { allowed } => Some(allowed.clone()),
        _ => None,
    });
    let allowed = allowed.expect("told");
    assert!(!allowed.contains(&"reboot".to_owned()));
    assert!(allowed.contains(&"files".to_owned()));
}

#[test]
fn invitations_and_keys_made_before_the_policy_withheld_them_admit_nobody() {
    let (hub, _a, _h, mut carol_rx) = running(book(Functions::NONE, Functions::NONE), "default");
    let invite = invite_carol(Rights::VIEW);
    let sent = hub.invite_reps(2, invite).expect("invites");
    drain(&mut carol_rx);
    hub.set_policy(book(
        Functions::INVITE_REPS.union(Functions::INVITE_SPECIALISTS),
        Functions::NONE,
    ));
    assert!(matches!(
        hub.accept_invitation(20, sent.id),
        Err(HubError::InvitationGone(_))
    ));
    let (sam, _sam_rx) = peer(30);
    assert!(matches!(
        join_key(&hub, 40, sam, "Sam", Rights::VIEW),
        Err(HubError::NotAllowed(_))
    ));
}
