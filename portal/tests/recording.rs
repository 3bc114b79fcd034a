//! Session recording over real WebSockets and HTTP: a portal whose policy records sessions
//! tells the agent in `Redeemed`; the agent's upload (relay framing) is kept byte for byte
//! with its timing and the session's chat; a console fetches it once with a ticket; someone
//! who may not see the session's report gets nothing. A refusal ends a session that must be
//! recorded; a recording that cannot be written, or grows past the limit, stops while the
//! session goes on; all of it is in the audit trail.

mod common;

use std::net::SocketAddr;
use std::path::Path;

use common::{
    Client, STEP, Server, TempDir, add_rep, config, eventually, hosted_session, http_get_bytes,
    manage,
};
use futures_util::{SinkExt, StreamExt};
use rusqlite::Connection;
use tandem_portal::Config;
use tandem_protocol::management::{ManageRequest, PolicyScope};
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage, RecordingTerms};
use tokio_tungstenite::tungstenite::Message;

type Upload =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Sets what the default portal withholds (on a connection of its own: the change is told
/// to every connection of the account as `Functions`, which the hosts skip).
async fn portal_withholds(addr: SocketAddr, names: &[&str]) {
    let mut manager = Client::admin(addr).await;
    let admin = &mut manager;
    let request = ManageRequest::Withhold {
        scope: PolicyScope::Portal {
            portal: "default".into(),
        },
        withheld: names.iter().map(|n| (*n).to_owned()).collect(),
    };
    manage(admin, request).await.expect("policy stored");
    manager.close().await;
}

/// A session hosted by `host`: the agent's connection, the session and the recording terms
/// its `Redeemed` carried.
async fn start(addr: SocketAddr, host: &mut Client) -> (Client, u64, Option<RecordingTerms>) {
    let hosted = hosted_session(addr, host).await;
    let terms = match &hosted.redeemed {
        PortalMessage::Redeemed { recording, .. } => *recording,
        other => panic!("expected Redeemed, got {other:?}"),
    };
    (hosted.agent, hosted.session, terms)
}

/// The agent allows recording: the token it gets.
async fn allow(agent: &mut Client) -> String {
    match agent
        .request(&ClientMessage::Recording { allowed: true })
        .await
    {
        PortalMessage::RecordingToken { token } => token,
        other => panic!("expected RecordingToken, got {other:?}"),
    }
}

/// Opens the upload: `Ok` with the stream once the portal says "paired".
async fn upload(addr: SocketAddr, token: &str) -> Result<Upload, String> {
    let url = format!("ws://{addr}/record/{token}");
    let (mut ws, _) = tokio::time::timeout(STEP, tokio_tungstenite::connect_async(url))
        .await
        .map_err(|_| "no answer".to_owned())?
        .map_err(|e| e.to_string())?;
    match tokio::time::timeout(STEP, ws.next()).await {
        Ok(Some(Ok(Message::Text(t)))) if t.as_str() == "paired" => Ok(ws),
        other => Err(format!("not paired: {other:?}")),
    }
}

fn audit_actions(db: &Path) -> Vec<(String, String)> {
    let conn = Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare("SELECT action, detail FROM audit_log ORDER BY id")
        .expect("audit_log");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The recording's file, as the portal named it.
fn recording_file(dir: &TempDir, session: u64) -> std::path::PathBuf {
    let conn = Connection::open(dir.db()).expect("open");
    let name: String = conn
        .query_row(
            "SELECT file FROM recordings WHERE session_id = ?1",
            [session as i64],
            |r| r.get(0),
        )
        .expect("a recording row");
    dir.path().join("portal.recordings").join(name)
}

fn recorded_bytes(db: &Path, session: u64) -> Option<i64> {
    let conn = Connection::open(db).expect("open");
    conn.query_row(
        "SELECT bytes FROM recordings WHERE session_id = ?1",
        [session as i64],
        |r| r.get(0),
    )
    .ok()
}

/// The reason of the next `SessionEnded` the host gets.
async fn ended_with(host: &mut Client) -> String {
    loop {
        match host.recv().await {
            PortalMessage::SessionEnded { reason } => return reason,
            PortalMessage::Roster { .. } | PortalMessage::Functions { .. } => {}
            other => panic!("expected SessionEnded, got {other:?}"),
        }
    }
}

/// The records of a recording file: (ms, kind, payload).
fn records(file: &[u8]) -> Vec<(u32, u8, Vec<u8>)> {
    assert_eq!(&file[..8], b"TNDMREC1");
    let mut rest = &file[8..];
    let mut out = Vec::new();
    while !rest.is_empty() {
        let ms = u32::from_le_bytes(rest[..4].try_into().expect("ms"));
        let kind = rest[4];
        let len = u32::from_le_bytes(rest[5..9].try_into().expect("len")) as usize;
        out.push((ms, kind, rest[9..9 + len].to_vec()));
        rest = &rest[9 + len..];
    }
    out
}

/// An HTTP/1.1 chunked body, put together.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let at = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("size line");
        let size = usize::from_str_radix(std::str::from_utf8(&body[..at]).expect("hex"), 16)
            .expect("chunk size");
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[at + 2..at + 2 + size]);
        body = &body[at + 2 + size + 2..];
    }
}

#[tokio::test]
async fn a_recording_keeps_the_agents_stream_and_the_chat_and_is_fetched_once_by_who_may() {
    let dir = TempDir::new("recording");
    let server = Server::start(config(&dir)).await;
    portal_withholds(server.addr, &["unrecorded"]).await;
    let mut admin = Client::admin(server.addr).await;
    let (mut agent, session, terms) = start(server.addr, &mut admin).await;
    assert_eq!(terms, Some(RecordingTerms { required: false }));

    let token = allow(&mut agent).await;
    let mut up = upload(server.addr, &token).await.expect("the upload opens");
    assert!(
        upload(server.addr, &token).await.is_err(),
        "a token works once"
    );
    // A frame chunk, a file chunk (never recorded), a pointer shape; the chat in between.
    up.send(Message::binary(vec![2u8, 1, 2, 3]))
        .await
        .expect("frame");
    up.send(Message::binary(vec![3u8, 9, 9]))
        .await
        .expect("file chunk");
    admin
        .send(&ClientMessage::Chat {
            text: "Hello Alice".into(),
            reps_only: false,
        })
        .await;
    up.send(Message::binary(vec![0u8, 7])).await.expect("shape");
    // Once the agent has the line, the recording has it too (it is queued first).
    match agent.recv().await {
        PortalMessage::Chat { text, .. } => assert_eq!(text, "Hello Alice"),
        other => panic!("expected the chat, got {other:?}"),
    }
    let db = dir.db();
    up.close(None).await.expect("closes");
    let file = recording_file(&dir, session);
    let kept = eventually("the recording stopped", || {
        let stopped = audit_actions(&db)
            .iter()
            .any(|(a, _)| a == "recording.stop");
        stopped.then(|| std::fs::read(&file).ok()).flatten()
    })
    .await;
    let recs = records(&kept);
    let kinds: Vec<u8> = recs.iter().map(|r| r.1).collect();
    assert_eq!(kinds.first(), Some(&17), "an upload starts with its mark");
    assert!(
        kinds.contains(&2) && kinds.contains(&0) && kinds.contains(&16),
        "{kinds:?}"
    );
    assert!(!kinds.contains(&3), "files are not recorded");
    assert!(
        recs.windows(2).all(|w| w[0].0 <= w[1].0),
        "time never goes back"
    );
    let frame = recs.iter().find(|r| r.1 == 2).expect("frame");
    assert_eq!(frame.2, [1, 2, 3], "kept byte for byte");
    let chat = recs.iter().find(|r| r.1 == 16).expect("chat");
    let chat: serde_json::Value = serde_json::from_slice(&chat.2).expect("json");
    assert_eq!(chat["text"], "Hello Alice");
    assert_eq!(chat["from"], "Administrator");

    // Customers' screens are for the portal's user alone.
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().expect("folder")), 0o700);
    }

    // The agent comes back after a portal killed mid-record: the torn record is cut off,
    // the next upload goes on after the last whole one; a second upload replaces the first.
    let whole = kept.len();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&file)
        .and_then(|mut f| std::io::Write::write_all(&mut f, &[2, 0, 0, 0, 2, 200, 0, 0]))
        .expect("a torn record");
    let mut first = upload(server.addr, &allow(&mut agent).await)
        .await
        .expect("again");
    let mut second = upload(server.addr, &allow(&mut agent).await)
        .await
        .expect("and again");
    second
        .send(Message::binary(vec![2u8, 4, 5]))
        .await
        .expect("frame");
    let replaced = tokio::time::timeout(STEP, first.next())
        .await
        .expect("in time");
    assert!(
        matches!(replaced, Some(Ok(Message::Close(_))) | None | Some(Err(_))),
        "{replaced:?}"
    );
    second.close(None).await.expect("closes");
    let resumed = eventually("both uploads stopped", || {
        let stops = audit_actions(&db)
            .iter()
            .filter(|(a, _)| a == "recording.stop")
            .count();
        (stops == 3).then(|| std::fs::read(&file).ok()).flatten()
    })
    .await;
    assert_eq!(&resumed[..whole], &kept[..], "nothing before is touched");
    let after = records(&resumed[whole..].iter().copied().fold(
        b"TNDMREC1".to_vec(),
        |mut v, b| {
            v.push(b);
            v
        },
    ));
    let kinds: Vec<u8> = after.iter().map(|r| r.1).collect();
    assert_eq!(
        kinds,
        [17, 17, 2],
        "two upload marks, then the second one's frame"
    );
    assert_eq!(after[2].2, [4, 5]);
    let kept = resumed;

    // The administrator fetches it once.
    admin
        .send(&ClientMessage::Manage(ManageRequest::Recording { session }))
        .await;
    let url = loop {
        match admin.recv().await {
            PortalMessage::Recording { session: s, url } if s == session => break url,
            PortalMessage::Roster { .. }
            | PortalMessage::Functions { .. }
            | PortalMessage::Chat { .. } => {}
            other => panic!("expected Recording, got {other:?}"),
        }
    };
    let (status, head, body) = http_get_bytes(server.addr, &url).await;
    assert_eq!(status, 200, "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("cache-control: no-store"),
        "{head}"
    );
    let body = if head.to_ascii_lowercase().contains("chunked") {
        dechunk(&body)
    } else {
        body
    };
    assert_eq!(body, kept);
    let (again, _, _) = http_get_bytes(server.addr, &url).await;
    assert_eq!(again, 404, "a ticket works once");

    // Someone who may not see the session's report gets no ticket.
    let password = add_rep(&dir, "carol", "Carol").await;
    let mut carol = Client::rep(server.addr, "carol", &password).await;
    let refused = carol
        .request(&ClientMessage::Manage(ManageRequest::Recording { session }))
        .await;
    assert!(
        matches!(
            refused,
            PortalMessage::Error {
                kind: ErrorKind::Unauthorized | ErrorKind::SessionGone,
                ..
            }
        ),
        "{refused:?}"
    );
    let actions: Vec<String> = audit_actions(&db).into_iter().map(|(a, _)| a).collect();
    for wanted in ["recording.start", "recording.stop", "recording.view"] {
        assert!(
            actions.iter().any(|a| a == wanted),
            "{wanted} in {actions:?}"
        );
    }
    server.stop().await;
}

#[tokio::test]
async fn a_refusal_ends_a_required_recording_and_a_failing_or_full_recording_stops_alone() {
    // The recordings folder cannot be made: writing fails as on a full or broken disk.
    let dir = TempDir::new("recording-fails");
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, "a file").expect("file");
    let server = Server::start(Config {
        recordings_dir: Some(blocker.join("recordings")),
        ..config(&dir)
    })
    .await;
    portal_withholds(server.addr, &["unrecorded", "refuse_recording"]).await;
    let mut admin = Client::admin(server.addr).await;

    // Refused where it is required: the session ends, and says why.
    let (mut agent, _, terms) = start(server.addr, &mut admin).await;
    assert_eq!(terms, Some(RecordingTerms { required: true }));
    agent
        .send(&ClientMessage::Recording { allowed: false })
        .await;
    let ended = ended_with(&mut admin).await;
    assert!(ended.contains("did not allow recording"), "{ended}");

    // Allowed, but it cannot be written: a required recording ends the session.
    let (mut agent, _, _) = start(server.addr, &mut admin).await;
    let token = allow(&mut agent).await;
    assert!(
        upload(server.addr, &token).await.is_err(),
        "nothing to record to"
    );
    assert!(ended_with(&mut admin).await.contains("requires stopped"));
    let db = dir.db();
    let failed = eventually("the failure in the audit trail", || {
        audit_actions(&db)
            .into_iter()
            .find(|(a, _)| a == "recording.failed")
    })
    .await;
    assert!(!failed.1.is_empty(), "says why: {failed:?}");
    drop(agent);

    // A customer app that consents but never records (outdated, or modified) is not let
    // off: the session ends once the required recording has not started in time.
    let (mut agent, _, _) = start(server.addr, &mut admin).await;
    agent
        .send(&ClientMessage::Consent {
            attendee: tandem_protocol::AttendeeId::HOST,
            allowed: tandem_protocol::Rights::VIEW,
        })
        .await;
    let started = std::time::Instant::now();
    let reason = loop {
        match tokio::time::timeout(std::time::Duration::from_secs(30), admin.try_recv()).await {
            Ok(Some(PortalMessage::SessionEnded { reason })) => break reason,
            Ok(Some(_)) => {}
            other => panic!("the session was not ended: {other:?}"),
        }
    };
    assert!(reason.contains("did not start"), "{reason}");
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(10),
        "given its time"
    );
    drop(agent);

    // Only asked for: the same failure leaves the session going.
    portal_withholds(server.addr, &["unrecorded"]).await;
    assert!(matches!(
        admin.recv().await,
        PortalMessage::Functions { .. }
    ));
    let (mut agent, _, _) = start(server.addr, &mut admin).await;
    let token = allow(&mut agent).await;
    assert!(upload(server.addr, &token).await.is_err());
    admin
        .send(&ClientMessage::Chat {
            text: "still here".into(),
            reps_only: false,
        })
        .await;
    match agent.recv().await {
        PortalMessage::Chat { text, .. } => assert_eq!(text, "still here"),
        other => panic!("the session went on? {other:?}"),
    }
    server.stop().await;

    // A recording that reaches the limit stops there.
    let dir = TempDir::new("recording-full");
    let server = Server::start(Config {
        recording_max_bytes: 1000,
        ..config(&dir)
    })
    .await;
    portal_withholds(server.addr, &["unrecorded"]).await;
    let mut admin = Client::admin(server.addr).await;
    let (mut agent, session, _) = start(server.addr, &mut admin).await;
    let token = allow(&mut agent).await;
    let mut up = upload(server.addr, &token).await.expect("opens");
    let mut sent = 0;
    let closed = loop {
        let chunk = [vec![2u8], vec![0x55; 300]].concat();
        if up.send(Message::binary(chunk)).await.is_err() {
            break true;
        }
        sent += 1;
        if sent > 50 {
            // Sends may succeed into the socket; the portal's close is what says it stopped.
            match tokio::time::timeout(STEP, up.next()).await {
                Ok(Some(Ok(Message::Close(_))) | None | Some(Err(_))) => break true,
                _ => break false,
            }
        }
    };
    assert!(closed, "the portal closes a recording at its limit");
    let db = dir.db();
    eventually("the cut in the audit trail", || {
        audit_actions(&db)
            .iter()
            .any(|(a, _)| a == "recording.cut")
            .then_some(())
    })
    .await;
    let bytes = recorded_bytes(&db, session).expect("row");
    assert!((8..=1000).contains(&bytes), "{bytes} bytes kept");
    let file = recording_file(&dir, session);
    assert_eq!(std::fs::metadata(&file).expect("file").len() as i64, bytes);
    agent
        .send(&ClientMessage::Chat {
            text: "the session goes on".into(),
            reps_only: false,
        })
        .await;
    server.stop().await;
}
