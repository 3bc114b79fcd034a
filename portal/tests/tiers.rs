//! Tiered access and reports over real WebSockets: administrators make team managers and
//! add representatives; a team manager sees and changes only their teams and never makes
//! managers; a representative sees only their own sessions' reports; a scripted session's
//! report holds every event (joins, a rights change, a file, a folder listing, a reboot)
//! and its CSV parses.

mod common;

use common::{Client, Server, TempDir, config, error_kind, error_message, manage};
use tandem_protocol::management::{ManageRequest, PolicyScope};
use tandem_protocol::reports::{ReportFilter, ReportView};
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage, SessionActivity};
use tandem_protocol::{AttendeeId, Rights};

async fn report(c: &mut Client, filter: ReportFilter) -> Result<ReportView, PortalMessage> {
    c.send(&ClientMessage::Manage(ManageRequest::Report(filter)))
        .await;
    loop {
        match c.recv().await {
            PortalMessage::Report(view) => return Ok(view),
            err @ PortalMessage::Error { .. } => return Err(err),
            // A host hears its session meanwhile.
            _ => continue,
        }
    }
}

async fn add_team(admin: &mut Client, name: &str, parent: Option<i64>) -> i64 {
    let view = manage(
        admin,
        ManageRequest::AddTeam {
            name: name.into(),
            parent,
        },
    )
    .await
    .expect("team added");
    view.teams
        .iter()
        .find(|t| t.name == name)
        .expect("listed")
        .id
}

/// Adds an account through the management pages; returns its first password.
async fn add_rep(admin: &mut Client, user: &str, team: Option<i64>) -> String {
    let view = manage(
        admin,
        ManageRequest::AddRep {
            user: user.into(),
            name: user.to_uppercase(),
            team,
        },
    )
    .await
    .expect("added");
    let added = view.added.expect("the first password, once");
    assert_eq!(added.user, user);
    added.password
}

async fn set_access(admin: &mut Client, user: &str, manages: Vec<i64>, powers: &[&str]) {
    manage(
        admin,
        ManageRequest::SetAccess {
            user: user.into(),
            manages,
            powers: powers.iter().map(|p| (*p).to_owned()).collect(),
        },
    )
    .await
    .expect("access set");
}

fn logged_in_flags(msg: &PortalMessage) -> (bool, bool, bool) {
    match msg {
        PortalMessage::LoggedIn {
            admin,
            manager,
            reports,
            ..
        } => (*admin, *manager, *reports),
        other => panic!("not logged in: {other:?}"),
    }
}

#[tokio::test]
async fn a_team_manager_manages_only_their_teams_and_makes_no_managers() {
    let dir = TempDir::new("tiers");
    let server = Server::start(config(&dir)).await;
    let mut admin = Client::admin(server.addr).await;
    let support = add_team(&mut admin, "Support", None).await;
    let tier1 = add_team(&mut admin, "Tier 1", Some(support)).await;
    let sales = add_team(&mut admin, "Sales", None).await;
    let mia_pw = add_rep(&mut admin, "mia", Some(support)).await;
    add_rep(&mut admin, "bob", Some(tier1)).await;
    add_rep(&mut admin, "sam", Some(sales)).await;
    set_access(&mut admin, "mia", vec![support], &["change_functions"]).await;

    let mut mia = Client::connect(server.addr).await;
    let hello = mia.login("mia", &mia_pw).await;
    assert_eq!(logged_in_flags(&hello), (false, true, false));
    let view = manage(&mut mia, ManageRequest::Show).await.expect("shown");
    assert_eq!(view.you, "manager");
    let teams: Vec<&str> = view.teams.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(teams, ["Support", "Tier 1"], "not Sales");
    let users: Vec<&str> = view.members.iter().map(|m| m.user.as_str()).collect();
    assert_eq!(users, ["bob", "mia"], "not sam, not admin");
    assert!(view.portals.is_empty());

    // Her teams: yes. Another team, a portal, managers, new accounts: no.
    let tier1_files = PolicyScope::Team { team: tier1 };
    let withhold = |scope: PolicyScope| ManageRequest::Withhold {
        scope,
        withheld: vec!["files".into()],
    };
    manage(&mut mia, withhold(tier1_files))
        .await
        .expect("her subteam");
    let refused = manage(&mut mia, withhold(PolicyScope::Team { team: sales }))
        .await
        .expect_err("not hers");
    assert_eq!(error_message(&refused), "you manage only your own teams");
    let portal = PolicyScope::Portal {
        portal: "default".into(),
    };
    assert!(manage(&mut mia, withhold(portal)).await.is_err());
    let make = ManageRequest::SetAccess {
        user: "bob".into(),
        manages: vec![tier1],
        powers: Vec::new(),
    };
    let refused = manage(&mut mia, make).await.expect_err("no managers");
    assert_eq!(error_kind(&refused), ErrorKind::Unauthorized);
    assert!(error_message(&refused).contains("only administrators"));
    let new = ManageRequest::AddRep {
        user: "eve".into(),
        name: "Eve".into(),
        team: Some(tier1),
    };
    let refused = manage(&mut mia, new).await.expect_err("no add_reps power");
    assert!(error_message(&refused).contains("add representatives"));
    let steal = ManageRequest::SetTeam {
        user: "sam".into(),
        team: Some(tier1),
    };
    assert!(manage(&mut mia, steal).await.is_err());
    // Her reports: not allowed either.
    let refused = report(&mut mia, ReportFilter::default())
        .await
        .expect_err("no reports");
    assert_eq!(error_kind(&refused), ErrorKind::Unauthorized);

    // What she did withhold is in force for Bob.
    let all = manage(&mut admin, ManageRequest::Show)
        .await
        .expect("shown");
    let bob = all.members.iter().find(|m| m.user == "bob").expect("bob");
    assert!(!bob.in_force.contains(&"files".to_owned()));
    server.stop().await;
}

#[tokio::test]
async fn a_scripted_session_is_reported_with_every_event_and_its_csv_parses() {
    let dir = TempDir::new("reports");
    let server = Server::start(config(&dir)).await;
    let mut admin = Client::admin(server.addr).await;
    let team = add_team(&mut admin, "Support", None).await;
    let bob_pw = add_rep(&mut admin, "bob", Some(team)).await;
    let carol_pw = add_rep(&mut admin, "carol", Some(team)).await;
    set_access(&mut admin, "bob", Vec::new(), &["own_reports"]).await;

    // Bob hosts a session.
    let mut bob = Client::connect(server.addr).await;
    assert_eq!(
        logged_in_flags(&bob.login("bob", &bob_pw).await),
        (false, false, true)
    );
    let code = bob.create_code("Alice").await;
    let mut agent = Client::connect(server.addr).await;
    let PortalMessage::Redeemed { session, .. } = agent.redeem(code.code, "alice@laptop").await
    else {
        panic!("not redeemed")
    };
    bob.send(&ClientMessage::JoinSession { code: code.code })
        .await;
    // A policy change takes control away mid-session: a rights change "by policy".
    manage(
        &mut admin,
        ManageRequest::Withhold {
            scope: PolicyScope::Team { team },
            withheld: vec!["control".into()],
        },
    )
    .await
    .expect("withheld");
    // What the agent saw peer to peer: a file each way, a folder listing, a reboot.
    for activity in [
        SessionActivity::File {
            attendee: AttendeeId::HOST,
            name: "setup.log".into(),
            size: 4096,
            sha256: "ab".repeat(32),
            to_customer: false,
        },
        SessionActivity::File {
            attendee: AttendeeId::HOST,
            name: "fix, v2.sh".into(),
            size: 12,
            sha256: "cd".repeat(32),
            to_customer: true,
        },
        SessionActivity::FolderListing {
            attendee: AttendeeId::HOST,
            folder: "Documents".into(),
        },
        SessionActivity::Reboot {
            attendee: AttendeeId::HOST,
        },
    ] {
        agent.send(&ClientMessage::Activity(activity)).await;
    }
    // Nobody but the session's agent reports activity.
    let forged = ClientMessage::Activity(SessionActivity::Reboot {
        attendee: AttendeeId::HOST,
    });
    let mut carol = Client::connect(server.addr).await;
    carol.login("carol", &carol_pw).await;
    assert_eq!(
        error_kind(&carol.request(&forged).await),
        ErrorKind::BadRequest
    );
    agent
        .send(&ClientMessage::EndSession {
            reason: "done".into(),
        })
        .await;

    // The report has it all, once the audit writer has caught up.
    let mut last = None;
    for _ in 0..100 {
        let view = report(
            &mut admin,
            ReportFilter {
                rep: Some("bob".into()),
                ..ReportFilter::default()
            },
        )
        .await
        .expect("report");
        let done = view.sessions.first().is_some_and(|s| {
            s.ended_at.is_some() && s.events.iter().any(|e| e.action == "session.end")
        });
        last = Some(view);
        if done {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let view = last.expect("a report");
    assert_eq!(view.sessions.len(), 1);
    let s = &view.sessions[0];
    assert_eq!(
        (s.id, s.rep.as_str(), s.customer.as_str()),
        (session, "bob", "alice@laptop")
    );
    let actions: Vec<&str> = s.events.iter().map(|e| e.action.as_str()).collect();
    for want in [
        "session.start",
        "attendee.join",
        "rights.change",
        "file.transfer",
        "folder.listing",
        "reboot",
        "session.end",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    let rights = s
        .events
        .iter()
        .find(|e| e.action == "rights.change")
        .expect("rights change");
    assert!(
        rights.detail.contains(&Rights::HOST_DEFAULT.describe())
            && rights.detail.contains("by policy"),
        "{rights:?}"
    );
    let file = s
        .events
        .iter()
        .find(|e| e.detail.contains("setup.log"))
        .expect("file");
    assert!(file.detail.contains("4096 bytes") && file.detail.contains("from the customer to BOB"));

    let rows = parse_csv(&view.csv);
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{rows:?}");
    assert_eq!(rows[0][0], "session");
    assert_eq!(rows.len(), 1 + s.events.len());
    assert!(
        rows.iter()
            .any(|r| r[12] == "file.transfer" && r[13].contains("'fix, v2.sh'"))
    );

    // Bob sees his own session; Carol (no power) none; a team filter reaches both.
    let own = report(&mut bob, ReportFilter::default())
        .await
        .expect("own");
    assert_eq!(own.sessions.len(), 1);
    assert!(report(&mut carol, ReportFilter::default()).await.is_err());
    let by_team = report(
        &mut admin,
        ReportFilter {
            team: Some(team),
            outcome: Some("none".into()),
            ..ReportFilter::default()
        },
    )
    .await
    .expect("team");
    assert_eq!(by_team.sessions.len(), 1);
    let bad = report(
        &mut admin,
        ReportFilter {
            outcome: Some("maybe".into()),
            ..ReportFilter::default()
        },
    )
    .await
    .expect_err("bad outcome");
    assert!(error_message(&bad).contains("unknown outcome"));
    server.stop().await;
}

/// A strict RFC 4180 reader.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut field) = (Vec::new(), Vec::new(), String::new());
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => {
                assert!(c != '"' && c != '\n', "stray {c:?}");
                field.push(c);
            }
        }
    }
    assert!(
        !quoted && field.is_empty() && row.is_empty(),
        "ends mid-row"
    );
    rows
}
