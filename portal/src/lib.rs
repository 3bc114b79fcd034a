//! Tandem's portal: the broker between customers' agents and representatives' viewers.
//!
//! It issues 9-digit session codes to logged-in representatives, lets a customer's agent
//! redeem a code exactly once, binds agent and host into a session, lets the host bring in
//! more representatives (invitations, optionally masked from the customer) and external
//! specialists (9-digit support keys, no account), relays WebRTC signalling and chat, keeps
//! everyone's roster current, and records who met when. Screen contents pass through it only
//! when no direct path between an agent and an attendee opens: then `relay.rs` pipes their two
//! WebSockets together, unread.
//!
//! A session survives its customer's agent going away for a while (a reboot, a network
//! drop): with a [`Config::resume_window`], a lost agent connection suspends the session
//! (attendees get `CustomerAway`) until the agent comes back with `Resume` and the secret it
//! got in `Redeemed` (attendees get `CustomerBack`), or until the window passes and the
//! session ends.
//!
//! Sessions also survive the portal itself restarting (a shutdown or a crash): with a resume
//! window, what a session needs to come back (its code, customer, host, the *digest* of the
//! resume secret, the grant counter, attendees and their rights, when it was last live) is
//! kept in the database, written whenever it changes and stamped live by a heartbeat. A
//! shutdown stores running sessions suspended instead of ending them; the next portal on
//! the same database brings back those still within their window, suspended: the agent
//! resumes with its secret, the host joins again with its code, invited representatives
//! return to their seats (`ReturnToSession`; also after a plain network drop), and so do
//! specialists, with their key and the seat token they got in `Joined` (`hub::seats`: the
//! rights they come back with are those they held, not the key's). Sessions past their
//! window end with "the portal restarted".
//!
//! ```text
//!  representative ──WS /ws: Login, CreateCode, JoinSession, ListReps, InviteReps,──┐
//!                      InviteSpecialist, ChangeRights, RemoveAttendee, Chat, Signal│
//!  invited rep    ──WS /ws: Login, AcceptInvitation, Signal, Chat──────────────────┤
//!  specialist     ──WS /ws: JoinAsSpecialist{key, name, seat_token}, Signal, Chat──┤
//!                                                                                  ▼
//!              ws.rs ──► storage.rs (SQLite: reps, codes, sessions, consent, specialist keys)
//!                │  └──► ratelimit.rs (per-address attempt limits, pure)
//!                │  └──► invites.rs, codes.rs (rules and texts, pure)
//!                │  └──► resume.rs (resume secrets and their digests, pure)
//!                └─────► hub.rs (live routing: sessions, attendees, presence, invitations;
//!                                 visibility by tandem_protocol::roster)
//!                                                                                  ▲
//!  customer's agent ──WS /ws: Redeem or Resume, Signal, Consent, Chat, EndSession──┘
//!  browsers ──GET /, /join/<code or key> (web.rs: instructions, escaped HTML)
//!  agent ⇄ attendee without a direct path ──WS /relay/<token> (relay.rs: one-use tokens)
//!  agent ──WS /record/<token>──► recording.rs ──► <db>.recordings/ ──/recordings/<ticket>──► console
//! ```
//!
//! Embedding (tests do exactly this):
//!
//! ```no_run
//! # async fn demo() -> Result<(), tandem_portal::Error> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let config = tandem_portal::Config {
//!     db_path: std::env::temp_dir().join("portal-demo.sqlite3"),
//!     admin_password: Some("a long admin password".into()),
//!     ..Default::default()
//! };
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let server = tokio::spawn(tandem_portal::run(listener, config, async {
//!     let _ = stopped.await;
//! }));
//! // ... talk to ws://<addr>/ws ...
//! let _ = stop.send(());
//! server.await.expect("server task")?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::get;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};

mod accounts;
pub mod admin;
pub mod admission;
pub mod audit;
pub mod audit_trail;
pub mod auth;
pub mod budget;
pub mod codes;
pub mod config;
pub mod config_file;
pub mod download;
pub mod front;
pub mod hub;
pub mod invites;
pub mod limits;
pub mod linktoken;
mod logging;
pub use logging::log_filter;
pub mod mail;
pub mod management;
pub mod outbox;
pub mod policy;
pub mod ratelimit;
pub mod recording;
mod relay;
pub mod reports;
pub mod resume;
pub mod routing;
mod server;
pub mod storage;
pub mod tiers;
pub mod tls;
pub mod totp;
mod web;
mod web_app;
mod ws;

pub use accounts::{add_representative_to, set_password_in};
pub use config::Config;

use auth::PasswordError;
use hub::Hub;
use limits::{Limit, Limits};
use linktoken::LinkKey;
use storage::{Storage, StorageError, unix_now};
use tandem_protocol::SessionCode;

/// Failed code look-ups (redeem or `/join/<code>` without a valid link token, support keys)
/// allowed per address and window.
pub const CODE_FAILURES_ALLOWED: usize = 10;
/// Failed logins allowed per address and user name, and window.
pub const LOGIN_FAILURES_ALLOWED: usize = 10;
/// Failed logins allowed per address over all user names (password spraying), and window.
pub const LOGIN_SPRAY_ALLOWED: usize = 50;
/// Failed resumes (wrong secret) allowed per address and window; a right secret is always
/// accepted, whatever the count.
pub const RESUME_FAILURES_ALLOWED: usize = 30;
/// Joins allowed per support key and window, successful ones included: a specialist who
/// drops and rejoins is fine, one who loops (each join makes the customer's machine set up a
/// new connection) is stopped.
pub const KEY_JOINS_ALLOWED: usize = 20;
/// Help requests (without a code) allowed per address and window: each one alerts every
/// representative on a portal, so a page that loops is stopped early.
pub const HELP_REQUESTS_ALLOWED: usize = 10;
/// The window both limits apply to.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(600);

/// The administrator account created on first start.
pub const ADMIN_USER: &str = "admin";
const ADMIN_NAME: &str = "Administrator";

/// Why the portal could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database could not be opened or used.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// Listening or serving failed.
    #[error("network error: {0}")]
    Io(#[from] std::io::Error),
    /// A password was not acceptable (too short) or could not be hashed.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// A user name was not acceptable.
    #[error(transparent)]
    UserName(#[from] auth::BadUserName),
    /// A display name was not acceptable.
    #[error("{0}")]
    DisplayName(String),
    /// TLS could not be set up (certificate or key files).
    #[error(transparent)]
    Tls(#[from] tls::TlsSetupError),
    /// Plain HTTP was asked for on an address other hosts can reach.
    #[error(
        "refusing to serve plain HTTP on {0}: passwords, codes and session secrets would \
         travel in clear. Serve TLS (the default), listen on a loopback address, or say \
         that a TLS proxy is in front (--behind-tls-proxy)"
    )]
    PlainHttpOnPublicAddress(SocketAddr),
    /// Behind a TLS proxy without naming it.
    #[error(
        "behind a TLS proxy, name it with --trusted-proxy <its address> so that clients are \
         told apart by X-Forwarded-For"
    )]
    ProxyNotNamed,
    /// No account has this user name.
    #[error("there is no account '{0}'")]
    NoSuchUser(String),
}

/// What [`bootstrap`] found or did about the first account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AdminBootstrap {
    /// Representatives exist already; nothing was created.
    Existing,
    /// `admin` was created. `generated_password` is `Some` when no password was configured:
    /// show it to the operator once; it is stored only as a hash.
    Created {
        /// The generated password, if one was generated.
        generated_password: Option<String>,
    },
}

/// Opens (creating and migrating) the database and creates the `admin` account when there
/// is no representative yet. Idempotent; [`run`] calls it too.
pub async fn bootstrap(config: &Config) -> Result<AdminBootstrap, Error> {
    let storage = Storage::open_sqlite(&config.db_path).await?;
    ensure_admin(&storage, config.admin_password.as_deref()).await
}

/// The lines an operator sees once when the admin password was generated.
pub fn generated_admin_announcement(password: &str) -> String {
    format!(
        "created administrator account '{ADMIN_USER}' with password: {password}\n\
         (shown only this once and stored only as a hash: write it down now; add more \
         representatives with `tandem-portal add-rep`)"
    )
}

async fn ensure_admin(storage: &Storage, password: Option<&str>) -> Result<AdminBootstrap, Error> {
    if storage.call(|b| b.representative_count()).await? > 0 {
        return Ok(AdminBootstrap::Existing);
    }
    let (password, generated) = match password {
        Some(p) => (p.to_owned(), None),
        None => {
            let p = auth::generate_password();
            (p.clone(), Some(p))
        }
    };
    match add_representative(storage, ADMIN_USER, ADMIN_NAME, password, true).await {
        Ok(_) => {
            tracing::info!(user = ADMIN_USER, "created the administrator account");
            let event = audit::Event::new(
                unix_now(),
                "portal",
                "account.add",
                ADMIN_USER,
                "administrator, at first start",
            );
            audit_trail::append_now(storage, event).await?;
            Ok(AdminBootstrap::Created {
                generated_password: generated,
            })
        }
        // Another process created it between our count and insert.
        Err(Error::Storage(StorageError::UserExists(_))) => Ok(AdminBootstrap::Existing),
        Err(e) => Err(e),
    }
}

async fn add_representative(
    storage: &Storage,
    user: &str,
    name: &str,
    password: String,
    is_admin: bool,
) -> Result<storage::Representative, Error> {
    auth::check_user_name(user)?;
    let name = codes::clean_name(name, "display name").map_err(Error::DisplayName)?;
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| StorageError::Task(e.to_string()))??;
    let user = user.to_owned();
    let now = unix_now();
    Ok(storage
        .call(move |b| b.add_representative(&user, &name, &hash, is_admin, now))
        .await?)
}

/// State shared by every request and connection.
struct App {
    config: Config,
    base_url: String,
    /// `#pin=sha256:…` for links, when the certificate is self-signed.
    pin_fragment: String,
    link_key: LinkKey,
    storage: Storage,
    hub: Arc<Hub>,
    desk: Arc<front::Desk>,
    relays: relay::Relays,
    recordings: recording::Recordings,
    limits: Mutex<Limits>,
    password_checks: auth::PasswordChecks,
    /// The customer app's build, read once for every download.
    builds: download::Builds,
    /// Security events, written in order to the hash-chained audit trail.
    audit_log: audit_trail::AuditLog,
    next_conn: AtomicU64,
    /// Becomes `true` when the portal shuts down.
    shutdown: watch::Receiver<bool>,
    /// Dropped with the last `App` reference; [`run`] waits for that.
    _alive: mpsc::Sender<()>,
}

impl App {
    fn limits(&self) -> std::sync::MutexGuard<'_, Limits> {
        // Limiter methods cannot leave a half-updated state behind, poisoned or not.
        self.limits
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Charges one attempt from `ip`; `Err(wait)` when it is over the limit.
    fn charge(&self, which: Limit<'_>, ip: IpAddr) -> Result<(), Duration> {
        self.limits().charge(which, ip, Instant::now())
    }

    /// The attempt from `ip` succeeded: it does not count.
    fn forgive(&self, which: Limit<'_>, ip: IpAddr) {
        self.limits().forgive(which, ip);
    }

    /// Whether `token` is the link token of `code` (see [`linktoken`]).
    fn link_token_ok(&self, code: SessionCode, token: Option<&str>) -> bool {
        token.is_some_and(|t| self.link_key.check(code, t))
    }

    /// The link for `code` or a support key: token and, for a self-signed portal, pin.
    fn join_url(&self, code: SessionCode) -> String {
        format!(
            "{}?t={}{}",
            codes::join_url(&self.base_url, code),
            self.link_key.token(code),
            self.pin_fragment
        )
    }

    fn next_conn_id(&self) -> hub::ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }
}

fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(web::index))
        .route("/join", get(web::join_form))
        .route("/join/{code}", get(web::join_page))
        .route("/join/{code}/download/{platform}", get(download::download))
        .route("/healthz", get(web::healthz))
        .route("/console", get(web_app::page))
        .route("/p/{name}", get(web_app::portal_page))
        .route("/p/{name}/join", get(web_app::portal_pin))
        .route("/app/{file}", get(web_app::asset))
        .route("/ws", get(ws::upgrade))
        .route("/relay/{token}", get(relay::upgrade))
        .route("/record/{token}", get(recording::upload))
        .route("/recordings/{ticket}", get(recording::download))
        .layer(axum::middleware::from_fn(web::security_headers))
        .with_state(app)
}

/// Why sessions left running by an earlier portal process end at start-up.
pub const RESTARTED: &str = "the portal restarted";

/// Keeps the `live_at` of running sessions current, so that after a crash their resume
/// window counts from close to the crash.
fn spawn_heartbeat(storage: Storage, window: Duration, mut stop: watch::Receiver<bool>) {
    let every = (window / 4).clamp(Duration::from_secs(1), Duration::from_secs(60));
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|stopping| *stopping) => return,
            }
            let now = unix_now();
            if let Err(e) = storage.call(move |b| b.touch_live(now)).await {
                tracing::error!(error = %e, "could not note running sessions as live");
            }
        }
    });
}

/// Serves the portal on `listener` until `shutdown` completes, then closes every WebSocket
/// and returns. Without a resume window agents' sessions end with "the portal is shutting
/// down"; with one they are stored suspended, and a portal started on the same database
/// within the window brings them back (the agent may `Resume`, the host join again).
///
/// Opens the database at `config.db_path`, brings back sessions left running by an earlier
/// process within their resume window (suspended, waiting for their agent), marks the
/// others as ended ("the portal restarted"), and creates the `admin` account if there is no
/// representative (a generated password is printed to stdout once; see [`bootstrap`] to do
/// that yourself).
pub async fn run(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), Error> {
    let addr = listener.local_addr()?;
    if config.tls == tls::TlsSource::Off && !addr.ip().is_loopback() && !config.behind_proxy {
        return Err(Error::PlainHttpOnPublicAddress(addr));
    }
    if config.behind_proxy && config.trusted_proxies.is_empty() {
        // Every client would have the proxy's address: one guesser would use up everyone's
        // budgets, and 32 connections would be the whole portal's share.
        return Err(Error::ProxyNotNamed);
    }
    let portal_tls = tls::PortalTls::load(&config.tls, &addr.ip().to_string())?.map(Arc::new);
    let storage = Storage::open_sqlite(&config.db_path).await?;
    let now = unix_now();
    let window = config.resume_window;
    let (restorable, closed) = if window.is_zero() {
        let closed = storage
            .call(move |b| b.end_open_sessions(RESTARTED, now))
            .await?;
        (Vec::new(), closed)
    } else {
        let secs = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
        storage
            .call(move |b| b.restore_open_sessions(RESTARTED, now, secs))
            .await?
    };
    if closed > 0 {
        tracing::info!(
            closed,
            "closed sessions left running by an earlier portal process"
        );
    }
    if let AdminBootstrap::Created {
        generated_password: Some(password),
    } = ensure_admin(&storage, config.admin_password.as_deref()).await?
    {
        println!("{}", generated_admin_announcement(&password));
    }
    let fresh: [u8; linktoken::KEY_BYTES] = rand::RngExt::random(&mut rand::rng());
    let stored_key = storage
        .call(move |b| b.portal_secret(linktoken::SECRET_NAME, &fresh))
        .await?;
    let link_key = LinkKey::from_bytes(&stored_key)
        .ok_or_else(|| StorageError::Corrupt("the link token key has the wrong length".into()))?;
    let scheme = if portal_tls.is_some() {
        "https"
    } else {
        "http"
    };
    let base_url = match &config.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("{scheme}://{addr}"),
    };
    let pin = portal_tls.as_ref().and_then(|t| t.pin.clone());
    if let Some(pin) = &pin {
        // Scripts read this line; people copy the pin into `--portal …#pin=` when they
        // type the address instead of opening a link.
        println!("TLS certificate pin: {pin}");
    }
    let limits = config.connection_limits();
    let gate = server::Gate::new(limits);
    tracing::info!(
        max_connections = limits.max_connections,
        reserved_for_identified = limits.reserved_for_identified,
        per_address = limits.max_per_address,
        "connection limits"
    );
    let (stop_tx, stop_rx) = watch::channel(false);
    let (alive_tx, mut alive_rx) = mpsc::channel::<()>(1);
    let hub = Arc::new(Hub::with_resume_window(config.resume_window));
    // The policy is in force before any session comes back or starts.
    let (policy, _) = storage
        .call(move |b| b.manage_policy(None, None, now))
        .await?
        .map_err(|e| StorageError::Corrupt(e.to_string()))?;
    hub.set_policy(policy.book());
    let mut waits = Vec::new();
    for stored in &restorable {
        // The window counts from when the session was last live.
        let gone = u64::try_from(now.saturating_sub(stored.last_live)).unwrap_or(0);
        let left = window.saturating_sub(Duration::from_secs(gone));
        if let Some((token, until)) = hub.restore(&stored.state, left) {
            tracing::info!(
                session = stored.state.session_id,
                "brought back a session from before the restart; waiting for its agent"
            );
            waits.push((stored.state.session_id, token, until));
        }
    }
    let kept = storage.clone();
    let (audit_log, audit_writer) = audit_trail::AuditLog::start(kept.clone());
    let hub_at_stop = Arc::clone(&hub);
    let handshake_timeout = config.handshake_timeout;
    let forwarding = server::Forwarding {
        trusted: Arc::from(config.trusted_proxies.clone()),
    };
    let desk = Arc::new(front::Desk::new(routing::RouterConfig {
        offer_timeout: config.offer_timeout,
        queue_cap: config.queue_cap,
        ..routing::RouterConfig::default()
    }));
    let app = Arc::new(App {
        config,
        base_url,
        pin_fragment: pin.map(|p| format!("#pin={p}")).unwrap_or_default(),
        link_key,
        storage,
        hub,
        desk,
        relays: relay::Relays::default(),
        recordings: recording::Recordings::default(),
        limits: Mutex::new(Limits::default()),
        password_checks: auth::PasswordChecks::default(),
        builds: download::Builds::default(),
        audit_log,
        next_conn: AtomicU64::new(1),
        shutdown: stop_rx,
        _alive: alive_tx,
    });
    tracing::info!(%addr, base_url = %app.base_url, tls = portal_tls.is_some(), "portal serving");
    for (session, token, until) in waits {
        ws::await_agent(Arc::clone(&app), session, token, until);
    }
    front::spawn_timer(Arc::clone(&app.desk), kept.clone(), app.shutdown.clone());
    if !window.is_zero() {
        spawn_heartbeat(kept.clone(), window, app.shutdown.clone());
    }
    if let Some(portal_tls) = &portal_tls {
        spawn_certificate_reload(Arc::clone(portal_tls), app.shutdown.clone());
    }
    let router = router(app);
    let stopping = async move {
        shutdown.await;
        if !window.is_zero() {
            // Running sessions outlive the process: store them as they are now, and
            // suspended as of now.
            let now = unix_now();
            let stored = kept.call(move |b| {
                for state in hub_at_stop.snapshots() {
                    b.save_live(&state, now)?;
                }
                b.suspend_live(now)
            });
            match stored.await {
                Ok(n) if n > 0 => tracing::info!(
                    sessions = n,
                    "stored running sessions to resume after a restart"
                ),
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(error = %e, "could not store running sessions");
                }
            }
        }
        let _ = stop_tx.send(true);
    };
    server::serve(
        listener,
        router,
        portal_tls,
        gate,
        forwarding,
        handshake_timeout,
        stopping,
    )
    .await;
    // Every WebSocket task holds an `App`; when the last one is gone, nothing is running.
    if tokio::time::timeout(Duration::from_secs(10), alive_rx.recv())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close within 10 s of shutdown");
    }
    // The events of the shutdown itself (sessions ended…) are written before returning.
    if tokio::time::timeout(Duration::from_secs(5), audit_writer)
        .await
        .is_err()
    {
        tracing::error!("the audit trail's writer did not finish within 5 s of shutdown");
    }
    tracing::info!("portal stopped");
    Ok(())
}

/// Reads the certificate files again whenever they change (a renewal), until shutdown.
fn spawn_certificate_reload(portal_tls: Arc<tls::PortalTls>, mut stop: watch::Receiver<bool>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(tls::RELOAD_CHECK_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.wait_for(|stopping| *stopping) => return,
            }
            match portal_tls.reload_if_changed() {
                Ok(true) => tracing::info!("TLS certificate reloaded"),
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = %e, "TLS certificate not reloaded; keeping the previous one")
                }
            }
        }
    });
}
