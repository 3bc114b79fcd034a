//! Chat over real WebSockets: who gets which message, and that no message text is logged.
//! This binary installs a process-wide log collector, so it holds only chat tests.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use common::{
    Client, Running, Server, TempDir, add_rep, config, error_kind, error_message,
    invite_and_accept, invite_specialist, running_session, specialist_joins,
};
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage};
use tandem_protocol::{AttendeeId, Rights};

/// Every log line of this process, as the portal binary logs with `RUST_LOG=trace`.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        tracing_subscriber::fmt()
            .with_env_filter(tandem_portal::log_filter(Some("trace")))
            .with_ansi(false)
            .with_writer(move || Collector(Arc::clone(&writer)))
            .init();
        buffer
    })
    .clone()
}

struct Collector(Arc<Mutex<Vec<u8>>>);

impl Write for Collector {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn say(text: &str, reps_only: bool) -> ClientMessage {
    ClientMessage::Chat {
        text: text.into(),
        reps_only,
    }
}

fn heard(from: AttendeeId, name: &str, text: &str, reps_only: bool) -> PortalMessage {
    PortalMessage::Chat {
        from,
        name: name.into(),
        text: text.into(),
        reps_only,
    }
}

#[tokio::test]
async fn chat_reaches_whom_the_rules_say_and_is_never_logged() {
    let log = logs();
    let dir = TempDir::new("chat");
    let server = Server::start(config(&dir)).await;
    let carol_pw = add_rep(&dir, "carol", "Carol").await;
    let dave_pw = add_rep(&dir, "dave", "Dave").await;
    let mut r: Running = running_session(&server).await;
    // Carol is masked, Dave is not, Sam is an external specialist.
    let mut carol = Client::rep_on(server.addr, "carol", &carol_pw, "default").await;
    let carol_id = invite_and_accept(&mut r, &mut carol, "carol", "Carol", true)
        .await
        .id;
    let mut dave = Client::rep_on(server.addr, "dave", &dave_pw, "default").await;
    let dave_id = invite_and_accept(&mut r, &mut dave, "dave", "Dave", false)
        .await
        .id;
    carol.recv_roster().await;
    let key = invite_specialist(&mut r.host, Rights::VIEW).await.key;
    let (mut sam, _) = specialist_joins(&server, &mut r, key, "Sam").await;
    carol.recv_roster().await;
    dave.recv_roster().await;

    // The customer's message reaches everyone, itself included; it is never reps-only.
    let secrets = [
        "customer says 7f3a-secret",
        "masked says 9c1e-secret",
        "host says 2b8d-visible",
        "reps only 5e6f-secret",
        "dave says 0a4c-visible",
    ];
    r.agent.send(&say(secrets[0], true)).await;
    let from_customer = heard(AttendeeId::CUSTOMER, "alice@laptop", secrets[0], false);
    for c in [&mut r.agent, &mut r.host, &mut carol, &mut dave, &mut sam] {
        assert_eq!(c.recv().await, from_customer);
    }

    // A masked representative's message reaches everyone but the customer.
    carol.send(&say(secrets[1], false)).await;
    let from_carol = heard(carol_id, "Carol", secrets[1], false);
    for c in [&mut r.host, &mut carol, &mut dave, &mut sam] {
        assert_eq!(c.recv().await, from_carol);
    }
    r.host.send(&say(secrets[2], false)).await;
    let from_host = heard(AttendeeId::HOST, "Administrator", secrets[2], false);
    // The customer's next message is the host's: Carol's never came.
    for c in [&mut r.agent, &mut r.host, &mut carol, &mut dave, &mut sam] {
        assert_eq!(c.recv().await, from_host);
    }

    // A reps-only comment reaches representatives, not the customer nor the specialist.
    r.host.send(&say(secrets[3], true)).await;
    let comment = heard(AttendeeId::HOST, "Administrator", secrets[3], true);
    for c in [&mut r.host, &mut carol, &mut dave] {
        assert_eq!(c.recv().await, comment);
    }
    dave.send(&say(secrets[4], false)).await;
    let from_dave = heard(dave_id, "Dave", secrets[4], false);
    for c in [&mut r.agent, &mut sam, &mut r.host, &mut carol, &mut dave] {
        assert_eq!(c.recv().await, from_dave);
    }

    // Specialists cannot send reps-only comments; empty and overlong messages are refused.
    let psst = sam.request(&say("psst", true)).await;
    assert_eq!(error_kind(&psst), ErrorKind::BadRequest);
    for msg in [say("  \n ", false), say(&"x".repeat(2001), false)] {
        assert_eq!(error_kind(&dave.request(&msg).await), ErrorKind::BadRequest);
    }
    assert_eq!(
        dave.request(&say(&"y".repeat(2000), false)).await,
        heard(dave_id, "Dave", &"y".repeat(2000), false)
    );
    server.stop().await;

    let logged =
        String::from_utf8_lossy(&log.lock().unwrap_or_else(|p| p.into_inner())).into_owned();
    // The collector works (the relays are logged, by whom) ...
    assert!(logged.contains("chat message relayed"), "{logged}");
    // ... but never what was said.
    for secret in secrets {
        let marker = secret.split(' ').next_back().expect("has words");
        let lines: Vec<&str> = logged.lines().filter(|l| l.contains(marker)).collect();
        assert!(
            lines.is_empty(),
            "chat text {marker:?} was logged: {lines:#?}"
        );
    }
    assert!(!logged.contains("yyyyyyyy"));
    // Nor the passwords and keys that travelled over the same sockets.
    assert!(!logged.contains(&carol_pw), "a password was logged");
    assert!(
        !logged.contains(&key.digits()),
        "a support key was logged in full"
    );
}

#[tokio::test]
async fn chat_needs_the_chat_right_in_force_and_a_grant_keeps_it() {
    let dir = TempDir::new("chat-right");
    let server = Server::start(config(&dir)).await;
    let mut r: Running = running_session(&server).await;
    // A specialist key grants view and chat.
    let key = invite_specialist(&mut r.host, Rights::VIEW).await.key;
    let (mut sam, sam_info) = specialist_joins(&server, &mut r, key, "Sam").await;
    let sam_id = sam_info.id;
    let rosters = async |r: &mut Running, sam: &mut Client| {
        r.agent.recv_roster().await;
        r.host.recv_roster().await;
        sam.recv_roster().await;
    };

    // Granting control keeps chat (issue 9): only the named right changes.
    let with_control = Rights::VIEW.union(Rights::CONTROL).union(Rights::CHAT);
    r.host
        .send(&ClientMessage::ChangeRights {
            attendee: sam_id,
            grant: Rights::CONTROL,
            revoke: Rights::NONE,
        })
        .await;
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::Grant {
            attendee: sam_id,
            rights: with_control,
            seq: 1
        }
    );
    rosters(&mut r, &mut sam).await;
    sam.send(&say("hello from Sam", false)).await;
    let from_sam = heard(sam_id, "Sam", "hello from Sam", false);
    for c in [&mut r.agent, &mut r.host, &mut sam] {
        assert_eq!(c.recv().await, from_sam);
    }

    // Without chat, Sam is told why and nobody gets the message.
    r.host
        .send(&ClientMessage::ChangeRights {
            attendee: sam_id,
            grant: Rights::NONE,
            revoke: Rights::CHAT,
        })
        .await;
    assert_eq!(
        r.agent.recv().await,
        PortalMessage::Grant {
            attendee: sam_id,
            rights: Rights::VIEW.union(Rights::CONTROL),
            seq: 2
        }
    );
    rosters(&mut r, &mut sam).await;
    let refused = sam.request(&say("are you there?", false)).await;
    assert_eq!(error_kind(&refused), ErrorKind::BadRequest);
    assert!(
        error_message(&refused).contains("chat right"),
        "{refused:?}"
    );
    r.host.send(&say("marker", false)).await;
    let marker = heard(AttendeeId::HOST, "Administrator", "marker", false);
    // The next chat everyone sees is the host's: Sam's never came.
    for c in [&mut r.agent, &mut r.host, &mut sam] {
        assert_eq!(c.recv().await, marker);
    }
    server.stop().await;
}
