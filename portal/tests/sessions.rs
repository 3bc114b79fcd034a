//! Sessions over real WebSockets: joining, signalling, consent, ending.

mod common;

use std::time::Duration;

use common::{
    Client, Server, TempDir, config, error_kind, eventually, host_info, joined, session_of,
    session_row,
};
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage, SignalPayload};
use tandem_protocol::{AttendeeId, Rights};

#[tokio::test]
async fn hello_first_and_garbage_is_a_bad_request() {
    let dir = TempDir::new("hello");
    let server = Server::start(config(&dir)).await;
    let mut c = Client::raw(server.addr).await;
    let early = c.request(&ClientMessage::ListCodes).await;
    assert_eq!(error_kind(&early), ErrorKind::BadRequest);
    c.send_text("{not json").await;
    assert_eq!(error_kind(&c.recv().await), ErrorKind::BadRequest);
    c.send_text(r#"{"type":"format_disk"}"#).await;
    assert_eq!(error_kind(&c.recv().await), ErrorKind::BadRequest);
    // The connection survived all of that.
    let hello = ClientMessage::Hello {
        version: 1,
        client: "t".into(),
    };
    assert_eq!(
        c.request(&hello).await,
        PortalMessage::Welcome { version: 1 }
    );
    assert_eq!(error_kind(&c.request(&hello).await), ErrorKind::BadRequest);
    let before_login = ClientMessage::CreateCode {
        customer: "x".into(),
        portal: None,
    };
    assert_eq!(
        error_kind(&c.request(&before_login).await),
        ErrorKind::Unauthorized
    );
    server.stop().await;
}

#[tokio::test]
async fn host_joins_before_redeem_and_signals_flow_both_ways() {
    let dir = TempDir::new("join-before");
    let server = Server::start(config(&dir)).await;
    let mut host = Client::admin(server.addr).await;
    let info = host.create_code("Alice").await;
    host.send(&ClientMessage::JoinSession { code: info.code })
        .await;
    host.expect_nothing(Duration::from_millis(300)).await;

    let mut agent = Client::connect(server.addr).await;
    let session = session_of(&agent.redeem(info.code, "alice@laptop").await);
    assert_eq!(
        agent.recv().await,
        PortalMessage::AttendeeJoined(host_info())
    );
    assert_eq!(agent.recv_roster().await, [host_info()]);
    assert_eq!(host.recv().await, joined(session, "alice@laptop"));
    assert_eq!(host.recv_roster().await, [host_info()]);

    let offer = SignalPayload::Offer {
        sdp: "v=0 offer".into(),
    };
    host.send(&ClientMessage::Signal {
        to: AttendeeId::CUSTOMER,
        payload: offer.clone(),
    })
    .await;
    assert_eq!(
        agent.recv().await,
        PortalMessage::Signal {
            from: AttendeeId::HOST,
            payload: offer
        }
    );
    let answer = SignalPayload::Answer {
        sdp: "v=0 answer".into(),
    };
    agent
        .send(&ClientMessage::Signal {
            to: AttendeeId::HOST,
            payload: answer.clone(),
        })
        .await;
    assert_eq!(
        host.recv().await,
        PortalMessage::Signal {
            from: AttendeeId::CUSTOMER,
            payload: answer.clone()
        }
    );
    // A viewer may only signal the customer.
    let to_self = ClientMessage::Signal {
        to: AttendeeId::HOST,
        payload: answer,
    };
    assert_eq!(
        error_kind(&host.request(&to_self).await),
        ErrorKind::BadRequest
    );

    // Consent reaches the host and is recorded.
    let consent = ClientMessage::Consent {
        attendee: AttendeeId::HOST,
        allowed: Rights::VIEW,
    };
    agent.send(&consent).await;
    assert_eq!(
        host.recv().await,
        PortalMessage::Consent {
            attendee: AttendeeId::HOST,
            allowed: Rights::VIEW
        }
    );
    let db = dir.db();
    eventually("the consent row", || {
        let conn = rusqlite::Connection::open(&db).expect("opens");
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM consents WHERE session_id = ?1 AND rights = 1",
                [i64::try_from(session).expect("small")],
                |r| r.get(0),
            )
            .expect("query");
        (n == 1).then_some(())
    })
    .await;
    server.stop().await;
}

#[tokio::test]
async fn host_joins_after_redeem_and_agent_disconnect_ends_the_session() {
    let dir = TempDir::new("join-after");
    let server = Server::start(config(&dir)).await;
    let mut host = Client::admin(server.addr).await;
    let info = host.create_code("Alice").await;
    let mut agent = Client::connect(server.addr).await;
    let session = session_of(&agent.redeem(info.code, "alice@laptop").await);
    agent.expect_nothing(Duration::from_millis(200)).await;

    assert_eq!(
        host.request(&ClientMessage::JoinSession { code: info.code })
            .await,
        joined(session, "alice@laptop")
    );
    assert_eq!(host.recv_roster().await, [host_info()]);
    assert_eq!(
        agent.recv().await,
        PortalMessage::AttendeeJoined(host_info())
    );
    assert_eq!(agent.recv_roster().await, [host_info()]);
    assert_eq!(session_row(&dir.db(), session).expect("row").ended_at, None);

    agent.close().await;
    assert_eq!(
        host.recv().await,
        PortalMessage::SessionEnded {
            reason: "the customer disconnected".into()
        }
    );
    let db = dir.db();
    let row = eventually("ended_at", || {
        session_row(&db, session).filter(|s| s.ended_at.is_some())
    })
    .await;
    assert_eq!(row.end_reason.as_deref(), Some("the customer disconnected"));
    // Joining an ended session is refused.
    let late = host
        .request(&ClientMessage::JoinSession { code: info.code })
        .await;
    assert_eq!(error_kind(&late), ErrorKind::SessionGone);
    server.stop().await;
}

#[tokio::test]
async fn host_leaves_and_returns_then_ends_the_session() {
    let dir = TempDir::new("host-leaves");
    let server = Server::start(config(&dir)).await;
    let mut host = Client::admin(server.addr).await;
    let info = host.create_code("Alice").await;
    let mut agent = Client::connect(server.addr).await;
    let session = session_of(&agent.redeem(info.code, "alice@laptop").await);
    host.request(&ClientMessage::JoinSession { code: info.code })
        .await;
    assert_eq!(
        agent.recv().await,
        PortalMessage::AttendeeJoined(host_info())
    );
    assert_eq!(agent.recv_roster().await, [host_info()]);

    host.close().await;
    assert_eq!(
        agent.recv().await,
        PortalMessage::AttendeeLeft {
            attendee: AttendeeId::HOST
        }
    );
    assert_eq!(agent.recv_roster().await, []);

    let mut host = Client::admin(server.addr).await;
    assert_eq!(
        host.request(&ClientMessage::JoinSession { code: info.code })
            .await,
        joined(session, "alice@laptop")
    );
    assert_eq!(host.recv_roster().await, [host_info()]);
    assert_eq!(
        agent.recv().await,
        PortalMessage::AttendeeJoined(host_info())
    );
    assert_eq!(agent.recv_roster().await, [host_info()]);
    host.send(&ClientMessage::EndSession {
        reason: "all fixed".into(),
    })
    .await;
    assert_eq!(
        agent.recv().await,
        PortalMessage::SessionEnded {
            reason: "all fixed".into()
        }
    );
    let db = dir.db();
    let row = eventually("ended_at", || {
        session_row(&db, session).filter(|s| s.ended_at.is_some())
    })
    .await;
    assert_eq!(row.end_reason.as_deref(), Some("all fixed"));
    server.stop().await;
}
