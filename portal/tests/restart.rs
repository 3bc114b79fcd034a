//! Live sessions surviving a portal restart, over real WebSockets and a real database: a
//! portal stops (through its shutdown future) and another starts on the same database; a
//! session within its resume window comes back suspended, the agent resumes it with its
//! secret, the host joins it again with its code, and rights, the grant sequence and
//! attendee ids carry on. A session whose window passed while no portal ran ends as a
//! restart.

mod common;

use std::time::Duration;

use common::{
    Client, Running, Server, TempDir, config, error_kind, error_message, eventually, host_info,
    invite_specialist, joined, running_session, session_row, specialist_joins,
};
use tandem_portal::Config;
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage};
use tandem_protocol::{AttendeeId, Rights};

const AWAY_REASON: &str = "the customer's machine disconnected; waiting for it to come back";

fn config_with_window(dir: &TempDir, secs: u64) -> Config {
    Config {
        resume_window: Duration::from_secs(secs),
        ..config(dir)
    }
}

fn resume(session: u64, secret: &str) -> ClientMessage {
    ClientMessage::Resume {
        session,
        secret: secret.into(),
    }
}

/// Consent rows recorded for `session`.
fn consents(db: &std::path::Path, session: u64) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("opens");
    conn.query_row(
        "SELECT COUNT(*) FROM consents WHERE session_id = ?1",
        [i64::try_from(session).expect("fits")],
        |row| row.get(0),
    )
    .expect("counts")
}

#[tokio::test]
async fn a_session_survives_a_restart_within_its_window() {
    let dir = TempDir::new("restart");
    let a = Server::start(config_with_window(&dir, 30)).await;
    let mut r = running_session(&a).await;
    let inv = invite_specialist(&mut r.host, Rights::VIEW).await;
    let (mut sam, sam_info) = specialist_joins(&a, &mut r, inv.key, "Sam").await;
    let control = Rights::VIEW.union(Rights::CONTROL);
    r.host
        .send(&ClientMessage::SetRights {
            attendee: sam_info.id,
            rights: control,
        })
        .await;
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::Grant {
            attendee: sam_info.id,
            rights: control,
            seq: 1,
        }
    );
    r.agent.recv_roster().await;
    r.host.recv_roster().await;
    sam.recv_roster().await;
    r.agent
        .send(&ClientMessage::Consent {
            attendee: sam_info.id,
            allowed: control,
        })
        .await;
    assert_eq!(
        r.host.recv().await,
        PortalMessage::Consent {
            attendee: sam_info.id,
            allowed: control,
        }
    );
    let db = dir.db();
    eventually("the consent row", || {
        (consents(&db, r.session) == 1).then_some(())
    })
    .await;

    // Portal A stops; the session stays open on record.
    a.stop().await;
    assert_eq!(session_row(&db, r.session).expect("row").ended_at, None);

    // Portal B starts on the same database, on another port.
    let b = Server::start(config_with_window(&dir, 30)).await;

    // The host comes back with its code while the customer's machine is still away.
    let mut host = Client::admin(b.addr).await;
    assert_eq!(
        host.request(&ClientMessage::JoinSession { code: r.code })
            .await,
        joined(r.session, "alice@laptop")
    );
    match host.recv().await {
        PortalMessage::CustomerAway { reason, wait_secs } => {
            assert_eq!(reason, AWAY_REASON);
            assert!((1..=30).contains(&wait_secs), "{wait_secs}");
        }
        other => panic!("expected CustomerAway, got {other:?}"),
    }
    assert_eq!(host.recv_roster().await, [host_info()]);

    // A wrong secret gets nobody in, and nobody is told anything.
    let mut intruder = Client::connect(b.addr).await;
    let wrong = intruder
        .request(&resume(r.session, "0123456789abcdef0123456789abcdef"))
        .await;
    assert_eq!(error_kind(&wrong), ErrorKind::Unauthorized);
    assert!(
        error_message(&wrong).contains("does not match"),
        "{wrong:?}"
    );
    host.expect_nothing(Duration::from_millis(300)).await;

    // The agent resumes with its secret: it learns that Sam (not brought back) is gone and
    // that the host is here, with the id and rights it had; the host that it is back.
    let mut agent = Client::connect(b.addr).await;
    assert_eq!(
        agent.request(&resume(r.session, &r.secret)).await,
        PortalMessage::Resumed {
            session: r.session,
            you: AttendeeId::CUSTOMER,
            host: host_info(),
        }
    );
    assert_eq!(
        agent.recv().await,
        PortalMessage::AttendeeLeft {
            attendee: sam_info.id
        }
    );
    assert_eq!(
        agent.recv().await,
        PortalMessage::AttendeeJoined(host_info())
    );
    assert_eq!(agent.recv_roster().await, [host_info()]);
    assert_eq!(host.recv().await, PortalMessage::CustomerBack);

    // The specialist's key still works; ids are not reused, and the grant sequence goes on.
    let mut r2 = Running {
        host,
        agent,
        session: r.session,
        secret: r.secret.clone(),
        code: r.code,
    };
    let (_sam2, sam2) = specialist_joins(&b, &mut r2, inv.key, "Sam").await;
    assert!(sam2.id.to_wire() > sam_info.id.to_wire(), "{sam2:?}");
    r2.host
        .send(&ClientMessage::SetRights {
            attendee: sam2.id,
            rights: control,
        })
        .await;
    assert_eq!(
        r2.agent.recv().await,
        PortalMessage::Grant {
            attendee: sam2.id,
            rights: control,
            seq: 2,
        }
    );
    r2.agent.recv_roster().await;
    assert_eq!(
        r2.host.recv_roster().await.last().map(|a| a.rights),
        Some(control)
    );
    // The consent given before the restart is still on record.
    assert_eq!(consents(&db, r.session), 1);
    assert_eq!(session_row(&db, r.session).expect("row").ended_at, None);
    b.stop().await;
}

#[tokio::test]
async fn a_session_whose_window_passed_while_the_portal_was_down_ends_as_a_restart() {
    let dir = TempDir::new("restart-late");
    let a = Server::start(config_with_window(&dir, 2)).await;
    let r = running_session(&a).await;
    a.stop().await;
    let db = dir.db();
    assert_eq!(session_row(&db, r.session).expect("row").ended_at, None);

    tokio::time::sleep(Duration::from_secs(3)).await;
    let b = Server::start(config_with_window(&dir, 2)).await;
    let row = eventually("the session to end at start-up", || {
        session_row(&db, r.session).filter(|row| row.ended_at.is_some())
    })
    .await;
    assert_eq!(row.end_reason.as_deref(), Some("the portal restarted"));
    let mut agent = Client::connect(b.addr).await;
    let gone = agent.request(&resume(r.session, &r.secret)).await;
    assert_eq!(error_kind(&gone), ErrorKind::SessionGone);
    // Nor can the host get back in.
    let mut host = Client::admin(b.addr).await;
    let refused = host
        .request(&ClientMessage::JoinSession { code: r.code })
        .await;
    assert_eq!(error_kind(&refused), ErrorKind::SessionGone);
    b.stop().await;
}

#[tokio::test]
async fn a_restored_session_ends_when_its_window_runs_out() {
    let dir = TempDir::new("restart-timeout");
    let a = Server::start(config_with_window(&dir, 3)).await;
    let r = running_session(&a).await;
    a.stop().await;
    let b = Server::start(config_with_window(&dir, 3)).await;
    let db = dir.db();
    let mut host = Client::admin(b.addr).await;
    assert_eq!(
        host.request(&ClientMessage::JoinSession { code: r.code })
            .await,
        joined(r.session, "alice@laptop")
    );
    assert!(matches!(
        host.recv().await,
        PortalMessage::CustomerAway { .. }
    ));
    assert_eq!(host.recv_roster().await, [host_info()]);
    assert_eq!(
        host.recv().await,
        PortalMessage::SessionEnded {
            reason: "the customer's machine did not come back".into(),
        }
    );
    let row = eventually("the end to be recorded", || {
        session_row(&db, r.session).filter(|row| row.ended_at.is_some())
    })
    .await;
    assert_eq!(
        row.end_reason.as_deref(),
        Some("the customer's machine did not come back")
    );
    b.stop().await;
}
