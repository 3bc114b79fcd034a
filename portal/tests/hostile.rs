//! The hostile-client suite against a real portal on 127.0.0.1: each finding of the
//! security review replayed, asserting the bounded outcome — the victim still served, memory
//! growth under a stated ceiling, the limit's clear error. Every loop is bounded in count and
//! time. Tests that measure this process's memory run one at a time.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::{
    Client, STEP, Server, TempDir, config, error_kind, error_message, invite_specialist, join,
    redeemed, running_session, specialist_joins,
};
use tandem_protocol::signal::{ClientMessage, ErrorKind, PortalMessage, SignalPayload};
use tandem_protocol::{AttendeeId, Rights, SessionCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// The tests in this file run one at a time: two read this process's memory, and the
/// others' connections would be counted in it.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// This process's resident memory in MiB.
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("VmRSS");
    kib / 1024.0
}

/// A TCP connection to `server` from the loopback address `from` (127.0.0.0/8 all routes
/// to this machine, so each test "client address" can be its own).
async fn tcp_from(from: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(from.parse().expect("ip"), 0))
        .expect("binds");
    socket.connect(server).await.expect("connects")
}

/// A signalling WebSocket from loopback address `from`, with extra request headers.
async fn ws_from(
    from: &str,
    server: SocketAddr,
    headers: &[(&str, &str)],
) -> Result<Client, String> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let tcp = tcp_from(from, server).await;
    let mut request = format!("ws://{server}/ws")
        .into_client_request()
        .expect("request");
    for (name, value) in headers {
        request.headers_mut().insert(
            tokio_tungstenite::tungstenite::http::HeaderName::from_bytes(name.as_bytes())
                .expect("header name"),
            value.parse().expect("header value"),
        );
    }
    let tcp = tokio_tungstenite::MaybeTlsStream::Plain(tcp);
    let (ws, _) = tokio::time::timeout(STEP, tokio_tungstenite::client_async(request, tcp))
        .await
        .map_err(|_| "handshake timed out".to_owned())?
        .map_err(|e| e.to_string())?;
    Ok(Client::from_stream(ws))
}

/// Whether the server closed `stream` (EOF or reset) within `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

fn hello() -> ClientMessage {
    ClientMessage::Hello {
        version: 1,
        client: "hostile-tests".into(),
    }
}

/// Finding 2: one member floods while another never reads. Before: +888 MB in 12 s, kept
/// after the connections closed. Now the flooder is held to its chat budget, the
/// non-reader is dropped once its bounded queue is full, and the session goes on.
#[tokio::test]
async fn a_flooding_member_and_a_member_who_never_reads_cost_little() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = TempDir::new("flood");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    let inv = invite_specialist(&mut r.host, Rights::VIEW.union(Rights::CHAT)).await;
    let (mut sam, _) = specialist_joins(&server, &mut r, inv.key, "Sam").await;
    let inv2 = invite_specialist(&mut r.host, Rights::VIEW.union(Rights::CHAT)).await;
    // Silent never reads anything from here on.
    let (_silent, _) = specialist_joins(&server, &mut r, inv2.key, "Silent").await;
    let before = rss_mib();
    let started = Instant::now();
    // 20,000 chat messages of 1,000 characters, never reading the answers.
    let text = "x".repeat(1000);
    let chat = serde_json::to_string(&ClientMessage::Chat {
        text,
        reps_only: false,
    })
    .expect("json");
    let mut sent = 0;
    for _ in 0..20_000 {
        if sam.try_send_text(&chat).await.is_err() {
            break; // the portal closed the flooder: fine
        }
        sent += 1;
    }
    let grown = rss_mib() - before;
    println!(
        "flood: {sent} messages in {:?}, RSS grew {grown:.1} MiB",
        started.elapsed()
    );
    assert!(grown < 40.0, "memory grew {grown:.1} MiB");
    // The host (who reads) is still served, and got at most the chat budget's burst.
    let mut chats = 0;
    let deadline = Instant::now() + Duration::from_secs(2);
    while Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_millis(300), r.host.try_recv()).await {
            Ok(Some(PortalMessage::Chat { .. })) => chats += 1,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    assert!((1..=20).contains(&chats), "host got {chats} chats");
    assert!(
        r.host.list_codes().await.is_empty(),
        "the host is still served"
    );
}

/// Finding 7: 50,000 consent messages → before, 50,000 rows and forwards. Now repeats are
/// dropped and the rest is limited per connection.
#[tokio::test]
async fn consent_spam_is_neither_stored_nor_forwarded() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = TempDir::new("consent");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    for i in 0..50_000u32 {
        let allowed = if i % 2 == 0 {
            Rights::VIEW
        } else {
            Rights::NONE
        };
        let msg = ClientMessage::Consent {
            attendee: AttendeeId::HOST,
            allowed,
        };
        if r.agent.try_send(&msg).await.is_err() {
            break;
        }
    }
    let mut forwarded = 0;
    while let Ok(Some(msg)) =
        tokio::time::timeout(Duration::from_millis(500), r.host.try_recv()).await
    {
        if matches!(msg, PortalMessage::Consent { .. }) {
            forwarded += 1;
        }
    }
    assert!(forwarded <= 25, "{forwarded} consents forwarded");
    let db = rusqlite::Connection::open(dir.db()).expect("db");
    let rows: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM consents WHERE session_id = ?1",
            [i64::try_from(r.session).expect("id")],
            |row| row.get(0),
        )
        .expect("rows");
    assert!(rows <= 25, "{rows} consent rows");
}

/// Finding 3: wrong codes from the customer's own address do not stop a customer who holds
/// the real link, nor a machine resuming after a reboot; typed codes stay limited.
#[tokio::test]
async fn guessing_from_the_customers_address_locks_out_neither_link_nor_resume() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = TempDir::new("lockout");
    let mut cfg = config(&dir);
    cfg.resume_window = Duration::from_secs(120);
    let server = Server::start(cfg).await;
    let mut host = Client::admin(server.addr).await;
    let info = host.create_code("Alice").await;
    let token = info
        .join_url
        .split_once("?t=")
        .map(|(_, t)| t.split('#').next().unwrap_or(t).to_owned())
        .expect("links carry a token");
    let mut attacker = Client::connect(server.addr).await;
    for i in 0..12u32 {
        let wrong: SessionCode = format!("{}", 100_000_000 + i).parse().expect("code");
        let _ = attacker.redeem(wrong, "x").await;
    }
    // A typed code is held to the budget, even the right one.
    let mut typed = Client::connect(server.addr).await;
    assert_eq!(
        error_kind(&typed.redeem(info.code, "alice").await),
        ErrorKind::RateLimited
    );
    // With the link's token, the customer gets in from the same address.
    let mut agent = Client::connect(server.addr).await;
    let reply = agent
        .request(&ClientMessage::Redeem {
            code: info.code,
            customer: "alice@laptop".into(),
            link_token: Some(token.clone()),
        })
        .await;
    let (session, secret) = redeemed(&reply);
    // A wrong token is no pass.
    let other = host.create_code("Bob").await;
    let mut forger = Client::connect(server.addr).await;
    let forged = forger
        .request(&ClientMessage::Redeem {
            code: other.code,
            customer: "bob".into(),
            link_token: Some(token),
        })
        .await;
    assert_eq!(error_kind(&forged), ErrorKind::RateLimited);
    // Resume: after 40 wrong secrets from the address, the right one still works.
    agent.close().await;
    for _ in 0..40 {
        let mut c = Client::connect(server.addr).await;
        let _ = c
            .request(&ClientMessage::Resume {
                session,
                secret: "0".repeat(32),
            })
            .await;
    }
    let mut back = Client::connect(server.addr).await;
    let resumed = back
        .request(&ClientMessage::Resume { session, secret })
        .await;
    assert!(
        matches!(resumed, PortalMessage::Resumed { .. }),
        "{resumed:?}"
    );
}

/// Finding 3, logins: behind a trusted proxy clients are told apart by X-Forwarded-For, and
/// guessing one user's password locks out neither other users nor other clients.
#[tokio::test]
async fn wrong_logins_lock_out_only_that_user_at_that_address() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = TempDir::new("logins");
    let mut cfg = config(&dir);
    cfg.trusted_proxies = vec!["127.0.0.9".parse().expect("ip")];
    let server = Server::start(cfg).await;
    let via_proxy = |client: &'static str| [("x-forwarded-for", client)];
    let mut mallory = ws_from("127.0.0.9", server.addr, &via_proxy("203.0.113.66"))
        .await
        .expect("connects");
    mallory.request(&hello()).await;
    for _ in 0..12 {
        let _ = mallory.login("admin", "guess").await;
    }
    assert_eq!(
        error_kind(&mallory.login("admin", common::ADMIN_PASSWORD).await),
        ErrorKind::RateLimited,
        "the guesser is held"
    );
    // The real administrator behind the same proxy, from another client address.
    let mut admin = ws_from("127.0.0.9", server.addr, &via_proxy("198.51.100.7"))
        .await
        .expect("connects");
    admin.request(&hello()).await;
    assert!(matches!(
        admin.login("admin", common::ADMIN_PASSWORD).await,
        PortalMessage::LoggedIn { .. }
    ));
    // Another user at the guesser's own address.
    let password = common::add_rep(&dir, "bob", "Bob").await;
    let mut bob = ws_from("127.0.0.9", server.addr, &via_proxy("203.0.113.66"))
        .await
        .expect("connects");
    bob.request(&hello()).await;
    assert!(matches!(
        bob.login("bob", &password).await,
        PortalMessage::LoggedIn { .. }
    ));
    // Without trust, a forged header changes nothing: that address is the guesser's.
    let mut forged = ws_from("127.0.0.10", server.addr, &via_proxy("198.51.100.99"))
        .await
        .expect("connects");
    forged.request(&hello()).await;
    for _ in 0..12 {
        let _ = forged.login("admin", "guess").await;
    }
    let mut same = ws_from("127.0.0.10", server.addr, &via_proxy("198.51.100.100"))
        .await
        .expect("connects");
    same.request(&hello()).await;
    assert_eq!(
        error_kind(&same.login("admin", "guess").await),
        ErrorKind::RateLimited
    );
}

/// Finding 4: silent and slow connections are closed; one address cannot hold more than
/// its share; idle anonymous sockets from many addresses do not keep a representative out.
#[tokio::test]
async fn silent_slow_and_piled_up_connections_are_bounded() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = TempDir::new("conns");
    let mut cfg = config(&dir);
    cfg.handshake_timeout = Duration::from_millis(800);
    cfg.identify_within = Duration::from_millis(800);
    cfg.max_connections = Some(40);
    cfg.max_per_address = 8;
    let server = Server::start(cfg).await;
    // A silent TCP connection, and one sending its header a byte at a time.
    let mut silent = tcp_from("127.0.0.21", server.addr).await;
    let mut slow = tcp_from("127.0.0.22", server.addr).await;
    let dribble = async {
        for b in b"GET / HTTP/1.1\r\nHost: x\r\n".iter().cycle().take(60) {
            if slow.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), dribble)
        .await
        .ok();
    assert!(
        closed_within(&mut silent, Duration::from_secs(5)).await,
        "silent kept"
    );
    assert!(
        closed_within(&mut slow, Duration::from_secs(5)).await,
        "slowloris kept"
    );
    // A WebSocket that never says who it is.
    let mut anonymous = ws_from("127.0.0.23", server.addr, &[]).await.expect("ws");
    anonymous.request(&hello()).await;
    let why = anonymous.recv().await;
    assert!(error_message(&why).contains("log in"), "{why:?}");
    // Per address: a 9th connection from one address replaces that address's oldest idle
    // one (the customer behind a hoarder's NAT still gets in). The replaced socket is closed
    // silently, not by the anonymous deadline (which would say "log in" first).
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(
            ws_from("127.0.0.24", server.addr, &[])
                .await
                .expect("within share"),
        );
    }
    let mut customer = ws_from("127.0.0.24", server.addr, &[])
        .await
        .expect("gets in");
    customer.request(&hello()).await;
    let mut oldest = held.remove(0);
    let first = tokio::time::timeout(STEP, oldest.try_recv())
        .await
        .expect("closed in time");
    assert!(first.is_none(), "evicted, not timed out: {first:?}");
    // Anonymous sockets from many addresses fill the anonymous share (40 - 5 reserved)...
    for i in 0..4 {
        for _ in 0..8 {
            if let Ok(c) = ws_from(&format!("127.0.1.{i}"), server.addr, &[]).await {
                held.push(c);
            }
        }
    }
    // ...and a representative still gets in (an old anonymous socket makes room).
    let mut rep = ws_from("127.0.0.25", server.addr, &[])
        .await
        .expect("rep connects");
    rep.request(&hello()).await;
    assert!(matches!(
        rep.login("admin", common::ADMIN_PASSWORD).await,
        PortalMessage::LoggedIn { .. }
    ));
}

/// Finding 5: password checks are capped and their memory pooled. Before: ~19 MiB kept per
/// check (203 MB after 10 logins).
#[tokio::test]
async fn many_concurrent_logins_keep_memory_bounded() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = TempDir::new("argon");
    let server = Server::start(config(&dir)).await;
    // Warm up: two checks at once allocate the pool's two buffers.
    let warm = |from: &'static str| async move {
        let mut c = ws_from(from, server.addr, &[]).await.expect("connects");
        c.request(&hello()).await;
        let _ = c.login("admin", "wrong").await;
    };
    tokio::join!(warm("127.0.3.1"), warm("127.0.3.2"));
    let before = rss_mib();
    let mut tasks = Vec::new();
    for i in 0..24 {
        let addr = server.addr;
        tasks.push(tokio::spawn(async move {
            let from = format!("127.0.2.{i}");
            let mut c = ws_from(&from, addr, &[]).await.expect("connects");
            c.request(&hello()).await;
            c.login("admin", "wrong password").await
        }));
    }
    for t in tasks {
        let reply = t.await.expect("task");
        assert!(
            matches!(
                error_kind(&reply),
                ErrorKind::Unauthorized | ErrorKind::RateLimited
            ),
            "{reply:?}"
        );
    }
    let grown = rss_mib() - before;
    println!("24 concurrent logins: RSS grew {grown:.1} MiB");
    assert!(grown < 45.0, "memory grew {grown:.1} MiB");
}

/// Finding 6: one agent asking for relays in a loop gets its session's share; another
/// session still gets one.
#[tokio::test]
async fn one_session_cannot_take_every_relay() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = TempDir::new("relays");
    let server = Server::start(config(&dir)).await;
    let mut greedy = running_session(&server).await;
    let mut granted = 0;
    let mut refused = 0;
    for _ in 0..200 {
        let reply = greedy
            .agent
            .request(&ClientMessage::Signal {
                to: AttendeeId::HOST,
                payload: SignalPayload::RelayRequest,
            })
            .await;
        match reply {
            PortalMessage::Signal { .. } => granted += 1,
            PortalMessage::Error { .. } => refused += 1,
            _ => {}
        }
        let _ = greedy.host.try_recv_now();
    }
    assert!(granted <= 16, "{granted} relays for one session");
    assert!(refused > 0);
    let mut other = running_session(&server).await;
    let reply = other
        .agent
        .request(&ClientMessage::Signal {
            to: AttendeeId::HOST,
            payload: SignalPayload::RelayRequest,
        })
        .await;
    assert!(matches!(reply, PortalMessage::Signal { .. }), "{reply:?}");
}

/// Finding 12 (portal side): chat that could pass for the app's own words is refused.
#[tokio::test]
async fn chat_with_line_breaks_or_direction_overrides_is_refused() {
    let _one = ONE_AT_A_TIME.lock().await;
    let dir = TempDir::new("chat");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    let inv = invite_specialist(&mut r.host, Rights::VIEW.union(Rights::CHAT)).await;
    let mut sam = Client::connect(server.addr).await;
    let _ = sam.request(&join(inv.key, "Sam")).await;
    let _ = sam.recv().await;
    for text in [
        "hello\nBob wants to copy a file. Type 'accept 2-9'",
        "invoice\u{202E}fdp.exe",
        "\u{1b}[31mred",
    ] {
        let reply = sam
            .request(&ClientMessage::Chat {
                text: text.into(),
                reps_only: false,
            })
            .await;
        assert_eq!(error_kind(&reply), ErrorKind::BadRequest, "{text:?}");
    }
}

/// Finding 10: the database and its -wal/-shm are private to the portal's user.
#[tokio::test]
async fn database_files_are_private() {
    let _one = ONE_AT_A_TIME.lock().await;
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("modes");
    let server = Server::start(config(&dir)).await;
    let mut r = running_session(&server).await;
    let _ = r.host.list_codes().await;
    for suffix in ["", "-wal", "-shm"] {
        let path = format!("{}{suffix}", dir.db().display());
        let mode = std::fs::metadata(&path)
            .map(|m| m.permissions().mode() & 0o777)
            .expect("exists");
        assert_eq!(mode, 0o600, "{path}");
    }
}
