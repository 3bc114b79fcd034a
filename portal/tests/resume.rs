//! The customer's agent going away and coming back, over real WebSockets and a real
//! database: suspension, `Resume`, wrong secrets, the wait running out, replacement of a
//! live connection, and the wait outliving a shutdown.

mod common;

use std::time::Duration;

use common::{
    Client, Server, TempDir, add_rep, config, error_kind, error_message, eventually, host_info,
    invite_and_accept, invite_specialist, joined, running_session, session_row, specialist_joins,
};
use tandem_portal::Config;
use tandem_protocol::signal::{
    AttendeeInfo, ClientMessage, ErrorKind, PortalMessage, SignalPayload,
};
use tandem_protocol::{AttendeeId, Rights};

const AWAY_REASON: &str = "the customer's machine disconnected; waiting for it to come back";
const NOT_BACK: &str = "the customer's machine did not come back";

/// The test configuration with a resume window of `secs` seconds.
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

fn away(wait_secs: u64) -> PortalMessage {
    PortalMessage::CustomerAway {
        reason: AWAY_REASON.into(),
        wait_secs,
    }
}

#[tokio::test]
async fn an_agent_that_drops_comes_back_to_everyone_with_current_rights() {
    let dir = TempDir::new("resume");
    let server = Server::start(config_with_window(&dir, 5)).await;
    let pw = add_rep(&dir, "carol", "Carol").await;
    let mut r = running_session(&server).await;
    let mut carol = Client::rep(server.addr, "carol", &pw).await;
    let carol_info = invite_and_accept(&mut r, &mut carol, "carol", "Carol", true).await;
    let inv = invite_specialist(&mut r.host, Rights::VIEW).await;
    let (mut sam, sam_info) = specialist_joins(&server, &mut r, inv.key, "Sam").await;
    carol.recv_roster().await;

    // The agent's machine reboots: its connection closes without EndSession.
    r.agent.close().await;
    assert_eq!(r.host.recv().await, away(5));
    assert_eq!(carol.recv().await, away(5));
    assert_eq!(sam.recv().await, away(5));
    let db = dir.db();
    assert_eq!(session_row(&db, r.session).expect("row").ended_at, None);
    // Nobody can reach the customer meanwhile, and the attendees are told why.
    let offer = ClientMessage::Signal {
        to: AttendeeId::CUSTOMER,
        payload: SignalPayload::Offer { sdp: "v=0".into() },
    };
    let refused = r.host.request(&offer).await;
    assert_eq!(error_kind(&refused), ErrorKind::BadRequest);
    assert!(
        error_message(&refused).contains("not connected"),
        "{refused:?}"
    );

    // While it is away the host gives Sam control.
    let control = Rights::VIEW.union(Rights::CONTROL);
    r.host
        .send(&ClientMessage::SetRights {
            attendee: sam_info.id,
            rights: control,
        })
        .await;
    let sam_now = AttendeeInfo {
        rights: control,
        ..sam_info.clone()
    };
    assert_eq!(
        r.host.recv_roster().await,
        [host_info(), carol_info.clone(), sam_now.clone()]
    );
    carol.recv_roster().await;
    sam.recv_roster().await;

    // A wrong or malformed secret, or a session that is not running, gets nobody in.
    let mut intruder = Client::connect(server.addr).await;
    let wrong = intruder
        .request(&resume(r.session, "0123456789abcdef0123456789abcdef"))
        .await;
    assert_eq!(error_kind(&wrong), ErrorKind::Unauthorized);
    assert!(
        error_message(&wrong).contains("does not match"),
        "{wrong:?}"
    );
    let malformed = intruder.request(&resume(r.session, "let me in")).await;
    assert_eq!(error_kind(&malformed), ErrorKind::Unauthorized);
    let elsewhere = intruder.request(&resume(r.session + 100, &r.secret)).await;
    assert_eq!(error_kind(&elsewhere), ErrorKind::SessionGone);
    r.host.expect_nothing(Duration::from_millis(300)).await;
    // A representative cannot resume a customer's session, even with the secret.
    let as_rep = r.host.request(&resume(r.session, &r.secret)).await;
    assert_eq!(error_kind(&as_rep), ErrorKind::BadRequest);

    // The machine is back: it learns everything current, everyone learns it is back.
    let mut agent = Client::connect(server.addr).await;
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
        PortalMessage::AttendeeJoined(host_info())
    );
    assert_eq!(
        agent.recv().await,
        PortalMessage::AttendeeJoined(carol_info.clone())
    );
    assert_eq!(
        agent.recv().await,
        PortalMessage::AttendeeJoined(sam_now.clone())
    );
    // The customer's roster leaves masked Carol out.
    assert_eq!(agent.recv_roster().await, [host_info(), sam_now.clone()]);
    assert_eq!(r.host.recv().await, PortalMessage::CustomerBack);
    assert_eq!(carol.recv().await, PortalMessage::CustomerBack);
    assert_eq!(sam.recv().await, PortalMessage::CustomerBack);

    // Signalling, chat and grants work as before; grants go on counting.
    let answer = SignalPayload::Answer { sdp: "v=0".into() };
    agent
        .send(&ClientMessage::Signal {
            to: sam_info.id,
            payload: answer.clone(),
        })
        .await;
    assert_eq!(
        sam.recv().await,
        PortalMessage::Signal {
            from: AttendeeId::CUSTOMER,
            payload: answer
        }
    );
    agent
        .send(&ClientMessage::Chat {
            text: "back again".into(),
            reps_only: false,
        })
        .await;
    let chat = PortalMessage::Chat {
        from: AttendeeId::CUSTOMER,
        name: "alice@laptop".into(),
        text: "back again".into(),
        reps_only: false,
    };
    assert_eq!(agent.recv().await, chat);
    assert_eq!(r.host.recv().await, chat);
    assert_eq!(carol.recv().await, chat);
    assert_eq!(sam.recv().await, chat);
    r.host
        .send(&ClientMessage::SetRights {
            attendee: sam_info.id,
            rights: Rights::VIEW,
        })
        .await;
    assert_eq!(
        agent.recv().await,
        PortalMessage::Grant {
            attendee: sam_info.id,
            rights: Rights::VIEW,
            seq: 2
        }
    );
    assert_eq!(session_row(&db, r.session).expect("row").ended_at, None);
    // The session survives a second absence too.
    assert_eq!(r.host.recv_roster().await.len(), 3);
    agent.close().await;
    assert_eq!(r.host.recv().await, away(5));
    server.stop().await;
}

#[tokio::test]
async fn when_the_wait_runs_out_the_session_ends_on_record() {
    let dir = TempDir::new("resume-expires");
    let server = Server::start(config_with_window(&dir, 1)).await;
    let mut r = running_session(&server).await;
    r.agent.close().await;
    assert_eq!(r.host.recv().await, away(1));
    // `recv` waits at most `STEP` (10 s) for the end.
    assert_eq!(
        r.host.recv().await,
        PortalMessage::SessionEnded {
            reason: NOT_BACK.into()
        }
    );
    let db = dir.db();
    let row = eventually("ended_at", || {
        session_row(&db, r.session).filter(|s| s.ended_at.is_some())
    })
    .await;
    assert_eq!(row.end_reason.as_deref(), Some(NOT_BACK));
    let mut late = Client::connect(server.addr).await;
    let refused = late.request(&resume(r.session, &r.secret)).await;
    assert_eq!(error_kind(&refused), ErrorKind::SessionGone);
    let rejoin = r
        .host
        .request(&ClientMessage::JoinSession { code: r.code })
        .await;
    assert_eq!(error_kind(&rejoin), ErrorKind::SessionGone);
    server.stop().await;
}

#[tokio::test]
async fn a_host_rejoins_a_waiting_session_and_shutdown_keeps_it_for_a_restart() {
    let dir = TempDir::new("resume-rejoin");
    let server = Server::start(config_with_window(&dir, 30)).await;
    let mut r = running_session(&server).await;
    r.agent.close().await;
    assert_eq!(r.host.recv().await, away(30));
    r.host.close().await;

    let mut host = Client::admin(server.addr).await;
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
    let db = dir.db();
    assert_eq!(session_row(&db, r.session).expect("row").ended_at, None);

    // The portal stops long before the window ends: the waiting session stays open on
    // record, for a portal started again within the window (tests/restart.rs).
    server.stop().await;
    let row = session_row(&db, r.session).expect("row");
    assert_eq!(row.ended_at, None);

    // A portal started without a resume window ends it as a restart.
    let again = Server::start(config(&dir)).await;
    let row = eventually("the session to end at start-up", || {
        session_row(&db, r.session).filter(|row| row.ended_at.is_some())
    })
    .await;
    assert_eq!(row.end_reason.as_deref(), Some("the portal restarted"));
    again.stop().await;
}

#[tokio::test]
async fn resuming_a_live_session_replaces_the_old_connection() {
    let dir = TempDir::new("resume-replace");
    let server = Server::start(config_with_window(&dir, 5)).await;
    let mut r = running_session(&server).await;
    let mut second = Client::connect(server.addr).await;
    assert_eq!(
        second.request(&resume(r.session, &r.secret)).await,
        PortalMessage::Resumed {
            session: r.session,
            you: AttendeeId::CUSTOMER,
            host: host_info(),
        }
    );
    assert_eq!(
        second.recv().await,
        PortalMessage::AttendeeJoined(host_info())
    );
    assert_eq!(second.recv_roster().await, [host_info()]);
    match r.agent.recv().await {
        PortalMessage::SessionEnded { reason } => {
            assert!(reason.contains("newer connection"), "{reason}");
        }
        other => panic!("expected SessionEnded, got {other:?}"),
    }
    assert_eq!(r.host.recv().await, PortalMessage::CustomerBack);

    // The old connection going away changes nothing now.
    r.agent.close().await;
    r.host.expect_nothing(Duration::from_millis(300)).await;
    let db = dir.db();
    assert_eq!(session_row(&db, r.session).expect("row").ended_at, None);

    // EndSession from the agent still ends the session at once, resume window or not.
    second
        .send(&ClientMessage::EndSession {
            reason: "all done".into(),
        })
        .await;
    assert_eq!(
        r.host.recv().await,
        PortalMessage::SessionEnded {
            reason: "all done".into()
        }
    );
    let row = eventually("ended_at", || {
        session_row(&db, r.session).filter(|s| s.ended_at.is_some())
    })
    .await;
    assert_eq!(row.end_reason.as_deref(), Some("all done"));
    second.close().await;
    let mut third = Client::connect(server.addr).await;
    let refused = third.request(&resume(r.session, &r.secret)).await;
    assert_eq!(error_kind(&refused), ErrorKind::SessionGone);
    server.stop().await;
}

#[tokio::test]
async fn without_a_window_a_dropped_agent_ends_the_session_for_good() {
    let dir = TempDir::new("resume-none");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    r.agent.close().await;
    assert_eq!(
        r.host.recv().await,
        PortalMessage::SessionEnded {
            reason: "the customer disconnected".into()
        }
    );
    let mut agent = Client::connect(server.addr).await;
    let refused = agent.request(&resume(r.session, &r.secret)).await;
    assert_eq!(error_kind(&refused), ErrorKind::SessionGone);
    server.stop().await;
}

#[tokio::test]
async fn guessing_secrets_is_rate_limited_per_address_but_the_right_secret_always_resumes() {
    let dir = TempDir::new("resume-limit");
    let server = Server::start(config_with_window(&dir, 30)).await;
    let mut r = running_session(&server).await;
    r.agent.close().await;
    assert_eq!(r.host.recv().await, away(30));
    for n in 0..tandem_portal::RESUME_FAILURES_ALLOWED {
        // A connection each: one connection's own message budget would stop it earlier.
        let mut guesser = Client::connect(server.addr).await;
        let guess = format!("{n:032x}");
        let refused = guesser.request(&resume(r.session, &guess)).await;
        assert_eq!(error_kind(&refused), ErrorKind::Unauthorized);
    }
    let mut guesser = Client::connect(server.addr).await;
    // Past the budget a wrong secret is told to wait...
    let limited = guesser
        .request(&resume(r.session, &format!("{:032x}", 999)))
        .await;
    assert_eq!(error_kind(&limited), ErrorKind::RateLimited);
    r.host.expect_nothing(Duration::from_millis(300)).await;
    assert_eq!(
        session_row(&dir.db(), r.session).expect("row").ended_at,
        None
    );
    // ...but the customer's machine, from the same address, still comes back: its secret
    // is checked before the budget (128 bits cannot be guessed anyway).
    let mut machine = Client::connect(server.addr).await;
    let back = machine.request(&resume(r.session, &r.secret)).await;
    assert!(matches!(back, PortalMessage::Resumed { .. }), "{back:?}");
    server.stop().await;
}
