//! One signalling connection's socket loop: buffers and deadlines, the bounded outbox, pings,
//! eviction and the anonymous deadline; messages go to [`Conn::handle_text`].

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use tandem_protocol::signal::{ErrorKind, PortalMessage};
use tokio::sync::watch;
use tracing::Instrument;

use super::{Closing, Conn};
use crate::App;
use crate::budget::Budgets;
use crate::hub::{ConnId, Outbox};
use crate::server::ConnHandle;

/// Largest accepted message: an SDP with candidates is a few KiB.
const MAX_MESSAGE: usize = 256 * 1024;
/// How often the portal pings an idle peer.
const PING_EVERY: Duration = Duration::from_secs(20);
/// A peer silent for this long (no message, no pong) is considered gone.
const SILENCE_LIMIT: Duration = Duration::from_secs(65);
/// Time one message may take to go out; a peer that does not read for longer is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The socket's read buffer: signalling messages are small (the default is 128 KiB, which
/// is most of what an idle connection costs).
const READ_BUFFER: usize = 4 * 1024;
/// Bytes the socket may hold unsent before writes fail (the outbox bounds messages).
const MAX_WRITE_BUFFER: usize = 1024 * 1024;

pub(crate) async fn upgrade(
    State(app): State<Arc<App>>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    handle: Option<Extension<ConnHandle>>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_write_buffer_size(MAX_WRITE_BUFFER)
        .on_upgrade(move |socket| {
            let id = app.next_conn_id();
            let span = tracing::info_span!("ws", conn = id);
            serve(app, id, addr.ip(), handle.map(|h| h.0), socket).instrument(span)
        })
}

pub(super) async fn shutting_down(rx: &mut watch::Receiver<bool>) {
    // An error means the sender is gone, i.e. the server stopped: also a shutdown.
    let _ = rx.wait_for(|stopping| *stopping).await;
}

async fn evicted(handle: Option<&ConnHandle>) {
    match handle {
        Some(h) => h.evicted().await,
        None => std::future::pending().await,
    }
}

async fn serve(
    app: Arc<App>,
    id: ConnId,
    ip: IpAddr,
    handle: Option<ConnHandle>,
    mut socket: WebSocket,
) {
    let (tx, mut rx) = Outbox::new();
    let mut overflow = rx.overflow();
    let mut kicked = rx.kicked();
    let mut shutdown = app.shutdown.clone();
    let mut conn = Conn {
        app,
        id,
        ip,
        tx,
        greeted: false,
        rep: None,
        panel_rep: None,
        panel_code: None,
        rep_portal: String::new(),
        watching_until: None,
        handle,
        identified: false,
        budgets: Budgets::default(),
        closing: false,
        signed_in_until: None,
        factor_setup: None,
    };
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + PING_EVERY, PING_EVERY);
    // An anonymous connection holds a slot others may need: it has a while to say who it is.
    let identify_by = tokio::time::Instant::now() + conn.app.config.identify_within;
    let mut last_heard = Instant::now();
    tracing::debug!("connected");
    let closing = loop {
        if conn.closing {
            break Closing::Lost;
        }
        tokio::select! {
            () = shutting_down(&mut shutdown) => break Closing::ShuttingDown,
            // Only anonymous connections are evicted; one that identified itself while the
            // eviction was on its way stays.
            () = evicted(conn.handle.as_ref()), if !conn.identified => {
                tracing::info!("closed to make room for another connection");
                break Closing::Lost;
            }
            () = overflow.wait() => {
                tracing::info!("peer does not read its messages; dropped");
                break Closing::Lost;
            }
            () = kicked.wait() => {
                tracing::info!("signed out by the portal");
                break Closing::Lost;
            }
            () = tokio::time::sleep_until(conn.signed_in_until.unwrap_or(identify_by)), if conn.signed_in_until.is_some() => {
                tracing::info!("sign-in expired");
                conn.error(
                    ErrorKind::Unauthorized,
                    "your sign-in has expired; sign in again",
                );
                break Closing::Lost;
            }
            () = tokio::time::sleep_until(conn.watching_until.unwrap_or(identify_by)), if !conn.identified => {
                tracing::info!("did not identify in time; closing");
                conn.error(
                    ErrorKind::BadRequest,
                    "log in, or enter a code or key, when connecting",
                );
                break Closing::Lost;
            }
            Some(out) = rx.recv() => {
                if send(&mut socket, &out).await.is_err() {
                    break Closing::Lost;
                }
            }
            frame = socket.recv() => match frame {
                Some(Ok(Message::Text(text))) => {
                    last_heard = Instant::now();
                    conn.handle_text(text.as_str()).await;
                }
                Some(Ok(Message::Binary(_))) => {
                    last_heard = Instant::now();
                    conn.handle_text("").await;
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => last_heard = Instant::now(),
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break Closing::Lost,
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > SILENCE_LIMIT {
                    tracing::info!("peer silent too long; closing");
                    break Closing::Lost;
                }
                let pinged = tokio::time::timeout(
                    WRITE_TIMEOUT,
                    socket.send(Message::Ping(Default::default())),
                );
                if !matches!(pinged.await, Ok(Ok(()))) {
                    break Closing::Lost;
                }
            }
        }
    };
    conn.finish(closing).await;
    // Deliver what is still queued (say, the error telling why), then close politely —
    // unless the peer is the reason (it does not read): then just drop it.
    if rx.has_overflowed() {
        return;
    }
    while let Some(out) = rx.try_recv() {
        if send(&mut socket, &out).await.is_err() {
            return;
        }
    }
    let _ = tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Close(None))).await;
    tracing::debug!("closed");
}

async fn send(socket: &mut WebSocket, msg: &PortalMessage) -> Result<(), ()> {
    let text = serde_json::to_string(msg).map_err(|e| {
        tracing::error!(error = %e, "could not serialise a portal message");
    })?;
    match tokio::time::timeout(WRITE_TIMEOUT, socket.send(Message::Text(text.into()))).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(()),
        Err(_) => {
            tracing::info!("peer does not read; dropped");
            Err(())
        }
    }
}
