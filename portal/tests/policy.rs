//! Teams and functions by policy over real WebSockets: an administrator's changes reach
//! running sessions at once (the agent gets a `Grant`), new sessions start capped, invites
//! the policy withholds are refused, and every change is in the audit trail.

mod common;

use std::path::Path;

use common::{
    Client, Server, TempDir, add_rep, config, error_kind, error_message, eventually, manage,
    running_session,
};
use rusqlite::Connection;
use tandem_protocol::management::{ManageRequest, PolicyScope};
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage};
use tandem_protocol::{AttendeeId, Rights};

fn withhold(scope: PolicyScope, names: &[&str]) -> ManageRequest {
    ManageRequest::Withhold {
        scope,
        withheld: names.iter().map(|n| (*n).to_owned()).collect(),
    }
}

/// The next message of `c` that `pick` accepts (others, such as rosters, are skipped).
async fn next_of<T>(c: &mut Client, mut pick: impl FnMut(&PortalMessage) -> Option<T>) -> T {
    for _ in 0..20 {
        let msg = c.recv().await;
        if let Some(t) = pick(&msg) {
            return t;
        }
    }
    panic!("nothing of the kind arrived in 20 messages");
}

fn audit(db: &Path) -> Vec<(String, String, String)> {
    let conn = Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT action, subject, detail FROM audit_log ORDER BY id")
        .expect("audit_log");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[tokio::test]
async fn a_team_policy_change_takes_control_away_in_a_running_session_at_once() {
    let dir = TempDir::new("policy-live");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    let mut manager = Client::admin(server.addr).await;

    let view = manage(
        &mut manager,
        ManageRequest::AddTeam {
            name: "Tier 1".into(),
            parent: None,
        },
    )
    .await
    .expect("team added");
    let team = view.teams[0].id;
    let sub = manage(
        &mut manager,
        ManageRequest::AddTeam {
            name: "Night shift".into(),
            parent: Some(team),
        },
    )
    .await
    .expect("subteam added");
    let night = sub
        .teams
        .iter()
        .find(|t| t.name == "Night shift")
        .expect("listed");
    assert_eq!(night.parent, Some(team));
    let view = manage(
        &mut manager,
        ManageRequest::SetTeam {
            user: "admin".into(),
            team: Some(night.id),
        },
    )
    .await
    .expect("moved");
    assert_eq!(view.members[0].team, Some(night.id));
    // Nothing withheld yet: the agent has heard nothing.
    r.agent
        .expect_nothing(std::time::Duration::from_millis(200))
        .await;

    // The parent team withholds control: its subteam's representative loses it.
    let view = manage(
        &mut manager,
        withhold(PolicyScope::Team { team }, &["control"]),
    )
    .await
    .expect("withheld");
    assert!(!view.members[0].in_force.contains(&"control".to_owned()));
    let (attendee, rights) = next_of(&mut r.agent, |m| match m {
        PortalMessage::Grant {
            attendee, rights, ..
        } => Some((*attendee, *rights)),
        _ => None,
    })
    .await;
    assert_eq!(attendee, AttendeeId::HOST);
    assert_eq!(
        rights,
        Rights::HOST_DEFAULT
            .without(Rights::CONTROL)
            .without(Rights::CLIPBOARD)
    );
    // Earlier changes told the host everything again; this one tells it control is gone.
    let allowed = next_of(&mut r.host, |m| match m {
        PortalMessage::Functions { allowed } if !allowed.contains(&"control".to_owned()) => {
            Some(allowed.clone())
        }
        _ => None,
    })
    .await;
    assert!(allowed.contains(&"screen".to_owned()));

    // Allowed again: the host has control back.
    manage(&mut manager, withhold(PolicyScope::Team { team }, &[]))
        .await
        .expect("allowed");
    let rights = next_of(&mut r.agent, |m| match m {
        PortalMessage::Grant { rights, .. } => Some(*rights),
        _ => None,
    })
    .await;
    assert_eq!(rights, Rights::HOST_DEFAULT);

    // The audit trail is written by its own task, in order: wait for the last change.
    let records = eventually("the policy changes recorded", || {
        let records = audit(&dir.db());
        let changes = records
            .iter()
            .filter(|(a, _, _)| a.starts_with("team.") || a == "policy.change")
            .count();
        (changes == 5).then_some(records)
    })
    .await;
    let policy: Vec<_> = records
        .iter()
        .filter(|(a, _, _)| a == "policy.change")
        .collect();
    assert!(
        policy
            .iter()
            .any(|(a, s, d)| a == "policy.change" && s.contains("Tier 1") && d.contains("control"))
    );
    assert!(
        records
            .iter()
            .any(|(a, _, d)| a == "rights.change" && d.contains("by policy"))
    );
    server.stop().await;
}

#[tokio::test]
async fn a_portal_withholding_files_caps_new_sessions_and_invites_are_refused() {
    let dir = TempDir::new("policy-portal");
    let server = Server::start(config(&dir)).await;
    let mut manager = Client::admin(server.addr).await;
    let scope = PolicyScope::Portal {
        portal: "default".into(),
    };
    manage(
        &mut manager,
        withhold(scope, &["files", "invite_specialists", "invite_reps"]),
    )
    .await
    .expect("withheld");

    let mut host = Client::admin(server.addr).await;
    let info = host.create_code("Alice").await;
    let mut agent = Client::connect(server.addr).await;
    let PortalMessage::Redeemed { host: told, .. } = agent.redeem(info.code, "alice").await else {
        panic!("not redeemed");
    };
    assert_eq!(told.rights, Rights::HOST_DEFAULT.without(Rights::FILES));
    host.send(&ClientMessage::JoinSession { code: info.code })
        .await;
    let rights = next_of(&mut host, |m| match m {
        PortalMessage::Joined { rights, .. } => Some(*rights),
        _ => None,
    })
    .await;
    assert_eq!(rights, Rights::HOST_DEFAULT.without(Rights::FILES));
    host.send(&ClientMessage::InviteSpecialist {
        rights: Rights::VIEW,
    })
    .await;
    let refused = next_of(&mut host, |m| {
        matches!(m, PortalMessage::Error { .. }).then(|| m.clone())
    })
    .await;
    assert!(
        error_message(&refused).contains("does not allow you to invite external specialists"),
        "{refused:?}"
    );
    let invite = common::invite(common::rep_target("carol"), false, "");
    let refused = host.request(&invite).await;
    assert!(
        error_message(&refused).contains("does not allow you to invite representatives"),
        "{refused:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn only_administrators_manage_and_bad_changes_are_refused_with_words() {
    let dir = TempDir::new("policy-refusals");
    let server = Server::start(config(&dir)).await;
    let pw = add_rep(&dir, "carol", "Carol").await;
    let mut carol = Client::rep(server.addr, "carol", &pw).await;
    let refused = manage(&mut carol, ManageRequest::Show)
        .await
        .expect_err("refused");
    assert_eq!(error_kind(&refused), ErrorKind::Unauthorized);

    let mut admin = Client::admin(server.addr).await;
    let refusal = |msg: PortalMessage| error_message(&msg).to_owned();
    let bad_parent = ManageRequest::AddTeam {
        name: "Tier 2".into(),
        parent: Some(999),
    };
    let why = refusal(manage(&mut admin, bad_parent).await.expect_err("no parent"));
    assert!(why.contains("no team 999"), "{why}");
    let teleport = withhold(
        PolicyScope::Rep {
            user: "carol".into(),
        },
        &["teleport"],
    );
    let why = refusal(manage(&mut admin, teleport).await.expect_err("unknown"));
    assert!(why.contains("unknown function 'teleport'"), "{why}");
    let nobody = withhold(
        PolicyScope::Rep {
            user: "mallory".into(),
        },
        &["files"],
    );
    let why = refusal(manage(&mut admin, nobody).await.expect_err("no such rep"));
    assert!(why.contains("no representative 'mallory'"), "{why}");
    let view = manage(&mut admin, ManageRequest::Show)
        .await
        .expect("shown");
    assert!(view.teams.is_empty(), "nothing refused was stored");
    let users: Vec<&str> = view.members.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(users, ["admin", "carol"]);
    assert_eq!(view.portals[0].portal, "default");
    // Carol's own setting shows in what is in force for her.
    let view = manage(
        &mut admin,
        withhold(
            PolicyScope::Rep {
                user: "carol".into(),
            },
            &["reboot"],
        ),
    )
    .await
    .expect("withheld");
    let carol_view = view
        .members
        .iter()
        .find(|m| m.user == "carol")
        .expect("carol");
    assert_eq!(carol_view.withheld, ["reboot"]);
    assert!(!carol_view.in_force.contains(&"reboot".to_owned()));
    eventually("carol told", || carol.try_recv_now()).await;
    server.stop().await;
}
