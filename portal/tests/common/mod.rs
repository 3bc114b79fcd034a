//! Shared helpers for the portal's integration tests: temp dirs, a real server on
//! 127.0.0.1:0, real WebSocket clients and a tiny HTTP/1.1 GET.
// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tandem_portal::Config;
use tandem_portal::storage::{Backend, SessionRecord, SqliteBackend};
use tandem_protocol::signal::{AttendeeInfo, ClientMessage, CodeInfo, ErrorKind, PortalMessage};
use tandem_protocol::{AttendeeId, Rights, Role, SessionCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

mod invite;
mod manage;
pub mod smtp;

// Binaries that invite nobody do not use these.
#[allow(unused_imports)]
pub use invite::*;
// Only the management tests use these.
#[allow(unused_imports)]
pub use manage::*;

/// How long any single expected event may take.
pub const STEP: Duration = Duration::from_secs(10);
pub const ADMIN_PASSWORD: &str = "admin password for tests";

/// A directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "tandem-portal-{tag}-{}-{nanos}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("temp dir can be created");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn db(&self) -> PathBuf {
        self.0.join("portal.sqlite3")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A default test configuration on `dir`'s database.
pub fn config(dir: &TempDir) -> Config {
    Config {
        db_path: dir.db(),
        admin_password: Some(ADMIN_PASSWORD.into()),
        ..Config::default()
    }
}

/// A portal running in this test's runtime.
pub struct Server {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), tandem_portal::Error>>,
}

impl Server {
    pub async fn start(config: Config) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("binds");
        let addr = listener.local_addr().expect("has an address");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(tandem_portal::run(listener, config, async {
            let _ = stopped.await;
        }));
        Server { addr, stop, task }
    }

    /// Stops the server through its shutdown future and waits for `run` to return.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let result = tokio::time::timeout(STEP, self.task)
            .await
            .expect("server stops in time")
            .expect("server task did not panic");
        result.expect("server ran without error");
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Reads a session record straight from the database file.
pub fn session_row(db: &Path, id: u64) -> Option<SessionRecord> {
    let mut backend = SqliteBackend::open(db).expect("db opens");
    backend.session(id).expect("db readable")
}

/// Polls `check` until it returns `Some`, failing after `STEP`.
pub async fn eventually<T>(what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + STEP;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A signalling client.
pub struct Client {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    /// Connects without saying hello.
    pub async fn raw(addr: SocketAddr) -> Client {
        let (ws, _) = tokio::time::timeout(
            STEP,
            tokio_tungstenite::connect_async(format!("ws://{addr}/ws")),
        )
        .await
        .expect("connects in time")
        .expect("websocket handshake");
        Client { ws }
    }

    /// Wraps an already open WebSocket.
    pub fn from_stream(ws: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Client {
        Client { ws }
    }

    /// Sends without failing the test when the portal has closed the connection.
    pub async fn try_send_text(&mut self, text: &str) -> Result<(), String> {
        self.ws
            .send(Message::text(text))
            .await
            .map_err(|e| e.to_string())
    }

    /// [`Client::try_send_text`] for a message.
    pub async fn try_send(&mut self, msg: &ClientMessage) -> Result<(), String> {
        let text = serde_json::to_string(msg).expect("serialises");
        self.try_send_text(&text).await
    }

    /// The next portal message, or `None` once the connection is closed.
    pub async fn try_recv(&mut self) -> Option<PortalMessage> {
        loop {
            match self.ws.next().await? {
                Ok(Message::Text(text)) => return serde_json::from_str(text.as_str()).ok(),
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Ok(_) | Err(_) => return None,
            }
        }
    }

    /// Whatever message is already there, without waiting.
    pub fn try_recv_now(&mut self) -> Option<PortalMessage> {
        use futures_util::FutureExt;
        self.try_recv().now_or_never().flatten()
    }

    /// Connects and exchanges Hello/Welcome.
    pub async fn connect(addr: SocketAddr) -> Client {
        let mut c = Client::raw(addr).await;
        let hello = ClientMessage::Hello {
            version: 1,
            client: "portal-tests".into(),
        };
        assert_eq!(
            c.request(&hello).await,
            PortalMessage::Welcome { version: 1 }
        );
        c
    }

    /// Connects and logs in, asserting success.
    pub async fn rep(addr: SocketAddr, user: &str, password: &str) -> Client {
        let mut c = Client::connect(addr).await;
        let reply = c.login(user, password).await;
        assert!(
            matches!(reply, PortalMessage::LoggedIn { .. }),
            "login failed: {reply:?}"
        );
        c
    }

    pub async fn admin(addr: SocketAddr) -> Client {
        Client::rep(addr, "admin", ADMIN_PASSWORD).await
    }

    pub async fn login(&mut self, user: &str, password: &str) -> PortalMessage {
        self.request(&ClientMessage::Login {
            user: user.into(),
            password: password.into(),
            portal: None,
            otp: None,
        })
        .await
    }

    pub async fn send(&mut self, msg: &ClientMessage) {
        let text = serde_json::to_string(msg).expect("serialises");
        self.send_text(&text).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws.send(Message::text(text)).await.expect("sends");
    }

    /// The next portal message (pings are skipped).
    pub async fn recv(&mut self) -> PortalMessage {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            let frame = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .expect("a message arrives in time")
                .expect("connection open")
                .expect("frame readable");
            match frame {
                Message::Text(text) => {
                    return serde_json::from_str(text.as_str()).expect("portal sends valid JSON");
                }
                Message::Ping(_) | Message::Pong(_) => continue,
                other => panic!("unexpected frame {other:?}"),
            }
        }
    }

    /// Asserts nothing arrives for `quiet`.
    pub async fn expect_nothing(&mut self, quiet: Duration) {
        if let Ok(frame) = tokio::time::timeout(quiet, self.ws.next()).await {
            panic!("expected silence, got {frame:?}");
        }
    }

    /// The next message, which must be a roster: its attendees.
    pub async fn recv_roster(&mut self) -> Vec<AttendeeInfo> {
        match self.recv().await {
            PortalMessage::Roster { attendees } => attendees,
            other => panic!("expected a roster, got {other:?}"),
        }
    }

    pub async fn request(&mut self, msg: &ClientMessage) -> PortalMessage {
        self.send(msg).await;
        self.recv().await
    }

    pub async fn create_code(&mut self, customer: &str) -> CodeInfo {
        let msg = ClientMessage::CreateCode {
            customer: customer.into(),
            portal: None,
        };
        match self.request(&msg).await {
            PortalMessage::CodeCreated(info) => info,
            other => panic!("expected CodeCreated, got {other:?}"),
        }
    }

    pub async fn redeem(&mut self, code: SessionCode, customer: &str) -> PortalMessage {
        self.request(&ClientMessage::Redeem {
            code,
            customer: customer.into(),
            link_token: None,
        })
        .await
    }

    pub async fn list_codes(&mut self) -> Vec<CodeInfo> {
        match self.request(&ClientMessage::ListCodes).await {
            PortalMessage::Codes { codes } => codes,
            other => panic!("expected Codes, got {other:?}"),
        }
    }

    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// The error kind of `msg`, panicking when it is not an error.
pub fn error_kind(msg: &PortalMessage) -> ErrorKind {
    match msg {
        PortalMessage::Error { kind, .. } => *kind,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// The error text of `msg`.
pub fn error_message(msg: &PortalMessage) -> &str {
    match msg {
        PortalMessage::Error { message, .. } => message,
        other => panic!("expected an error, got {other:?}"),
    }
}

/// A plain HTTP/1.1 GET: (status, headers, body).
pub async fn http_get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let (status, head, body) = http_get_bytes(addr, path).await;
    let body = String::from_utf8(body).expect("utf-8 response");
    (status, head, body)
}

/// The same, with the body as bytes (downloads).
pub async fn http_get_bytes(addr: SocketAddr, path: &str) -> (u16, String, Vec<u8>) {
    let fetch = async {
        let mut stream = TcpStream::connect(addr).await.expect("connects");
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.expect("writes");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("reads");
        raw
    };
    let raw = tokio::time::timeout(STEP, fetch)
        .await
        .expect("answers in time");
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("has a head");
    let head = String::from_utf8_lossy(&raw[..at]).into_owned();
    let body = raw[at + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("has a status");
    // Bodies here are small and sent with Content-Length (no chunking) by axum for strings.
    (status, head, body)
}

/// The roster entry of the admin as host.
pub fn host_info() -> AttendeeInfo {
    AttendeeInfo {
        id: AttendeeId::HOST,
        name: "Administrator".into(),
        role: Role::Host,
        rights: Rights::HOST_DEFAULT,
        masked: false,
    }
}

/// The session number in a `Redeemed` reply (checking the rest of it).
pub fn session_of(msg: &PortalMessage) -> u64 {
    redeemed(msg).0
}

/// The session number and resume secret in a `Redeemed` reply (checking the rest of it: the
/// secret is 128 bits in hex).
pub fn redeemed(msg: &PortalMessage) -> (u64, String) {
    match msg {
        PortalMessage::Redeemed {
            session,
            you,
            host,
            resume_secret,
            ..
        } => {
            assert_eq!(*you, AttendeeId::CUSTOMER);
            assert_eq!(*host, host_info());
            assert_eq!(resume_secret.len(), 32, "{resume_secret:?}");
            assert!(
                resume_secret.bytes().all(|b| b.is_ascii_hexdigit()),
                "{resume_secret:?}"
            );
            (*session, resume_secret.clone())
        }
        other => panic!("expected Redeemed, got {other:?}"),
    }
}

/// The `Joined` the host should get.
pub fn joined(session: u64, customer: &str) -> PortalMessage {
    PortalMessage::Joined {
        session,
        you: AttendeeId::HOST,
        customer: customer.into(),
        rights: Rights::HOST_DEFAULT,
        seat_token: None,
    }
}

/// Adds a (non-admin) representative to the portal's database; the portal may be running
/// or starting (the admin is created first, so the portal does not skip it). Returns the
/// password.
pub async fn add_rep(dir: &TempDir, user: &str, name: &str) -> String {
    tandem_portal::bootstrap(&config(dir))
        .await
        .expect("database prepared");
    let password = format!("{user} password for tests");
    tandem_portal::add_representative_to(&dir.db(), user, name, password.clone(), false)
        .await
        .expect("representative added");
    password
}

impl Client {
    /// Connects and logs in on `portal`, asserting success.
    pub async fn rep_on(addr: SocketAddr, user: &str, password: &str, portal: &str) -> Client {
        let mut c = Client::connect(addr).await;
        let reply = c
            .request(&ClientMessage::Login {
                user: user.into(),
                password: password.into(),
                portal: Some(portal.into()),
                otp: None,
            })
            .await;
        assert!(
            matches!(reply, PortalMessage::LoggedIn { .. }),
            "login failed: {reply:?}"
        );
        c
    }
}

/// A running session: the admin hosts it, the agent is "alice@laptop"; every message of the
/// start (Redeemed, Joined, AttendeeJoined, rosters) has been checked and consumed.
pub struct Running {
    pub host: Client,
    pub agent: Client,
    pub session: u64,
    /// The resume secret the agent got.
    pub secret: String,
    /// The code the agent redeemed.
    pub code: SessionCode,
}

pub async fn running_session(server: &Server) -> Running {
    let mut host = Client::admin(server.addr).await;
    let Hosted {
        agent,
        session,
        secret,
        code,
        ..
    } = hosted_session(server.addr, &mut host).await;
    Running {
        host,
        agent,
        session,
        secret,
        code,
    }
}

/// A session `host` hosts, as [`running_session`] starts it, with the agent's `Redeemed`.
pub struct Hosted {
    pub agent: Client,
    pub session: u64,
    pub secret: String,
    pub code: SessionCode,
    pub redeemed: PortalMessage,
}

/// A new code of `host`'s redeemed by "alice@laptop" and joined by `host`; every message of
/// the start checked and consumed.
pub async fn hosted_session(addr: SocketAddr, host: &mut Client) -> Hosted {
    let info = host.create_code("Alice").await;
    let mut agent = Client::connect(addr).await;
    let reply = agent.redeem(info.code, "alice@laptop").await;
    let (session, secret) = redeemed(&reply);
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
    Hosted {
        agent,
        session,
        secret,
        code: info.code,
        redeemed: reply,
    }
}

/// The names in a roster, in order.
pub fn names(roster: &[AttendeeInfo]) -> Vec<&str> {
    roster.iter().map(|a| a.name.as_str()).collect()
}
