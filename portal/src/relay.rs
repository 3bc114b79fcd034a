//! `GET /relay/<token>`: the fallback path between an agent and one attendee when no direct
//! WebRTC path opens. The agent asks for it over its signalling connection; the portal mints
//! one token per end, hands each to its end over that end's authenticated connection, and
//! pipes the two WebSockets together once both have arrived. It forwards binary messages
//! untouched (they are the agent's and viewer's own protocol, rights enforced by the agent)
//! and never looks inside or logs them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::Extension;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use rand::RngExt;

use crate::App;
use crate::server::ConnHandle;

/// Time both ends have to connect after the tokens are handed out.
const PAIRING_WINDOW: Duration = Duration::from_secs(30);
/// Relays waiting for their ends at once; more means someone is asking for relays in a loop.
const MAX_WAITING: usize = 1024;
/// Relays one session may have waiting at once: one per attendee link being set up (a
/// session has at most a host, a few colleagues and five specialists), with room for a
/// retry. One agent asking in a loop fills its own share, not everyone's.
const MAX_WAITING_PER_SESSION: usize = 16;
/// Largest relayed message (a 64 KiB chunk plus framing, with room).
const MAX_MESSAGE: usize = 256 * 1024;
/// The text each end gets once the other is there too.
const PAIRED: &str = "paired";

/// Relays waiting for their two ends.
#[derive(Default)]
pub(crate) struct Relays {
    state: Mutex<Table>,
}

#[derive(Default)]
struct Table {
    /// Unused tokens → the relay they open.
    tokens: HashMap<String, u64>,
    waiting: HashMap<u64, Waiting>,
    next: u64,
}

struct Waiting {
    session: u64,
    expires: Instant,
    /// The first end to arrive, waiting for the second.
    /// Its admission ticket travels with it, so the slot stays taken while it waits.
    parked: Option<(WebSocket, Option<ConnHandle>)>,
}

/// Why no relay was made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum RelayError {
    /// Too many relays are waiting for their ends.
    #[error("too many relays are being set up; try again shortly")]
    Busy,
    /// This session has its share of relays waiting already.
    #[error("this session is setting up too many relays at once; try again shortly")]
    SessionBusy,
}

fn token(rng: &mut impl RngExt) -> String {
    let bytes: [u8; 16] = rng.random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Relays {
    fn lock(&self) -> MutexGuard<'_, Table> {
        // Every change below is a single map operation; a poisoned lock still holds valid maps.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes a relay for `session` and returns its two one-use tokens (agent's, attendee's).
    pub(crate) fn open(&self, session: u64, now: Instant) -> Result<(String, String), RelayError> {
        let mut state = self.lock();
        state.purge(now);
        if state
            .waiting
            .values()
            .filter(|w| w.session == session)
            .count()
            >= MAX_WAITING_PER_SESSION
        {
            return Err(RelayError::SessionBusy);
        }
        if state.waiting.len() >= MAX_WAITING {
            return Err(RelayError::Busy);
        }
        let id = state.next;
        state.next += 1;
        let mut rng = rand::rng();
        let (a, b) = (token(&mut rng), token(&mut rng));
        state.tokens.insert(a.clone(), id);
        state.tokens.insert(b.clone(), id);
        state.waiting.insert(
            id,
            Waiting {
                session,
                expires: now + PAIRING_WINDOW,
                parked: None,
            },
        );
        Ok((a, b))
    }

    /// Forgets a relay whose tokens could not be handed out.
    pub(crate) fn cancel(&self, tokens: &(String, String)) {
        let mut state = self.lock();
        for t in [&tokens.0, &tokens.1] {
            if let Some(id) = state.tokens.remove(t) {
                state.waiting.remove(&id);
            }
        }
    }

    /// Uses up `token`; the relay it opens, if it is valid.
    fn claim(&self, token: &str, now: Instant) -> Option<u64> {
        let mut state = self.lock();
        state.purge(now);
        state.tokens.remove(token)
    }

    /// One end arrived: park it, or, if the other end waits, pipe the two.
    async fn arrive(&self, id: u64, socket: WebSocket, handle: Option<ConnHandle>) {
        let (session, (other, _other_handle)) = {
            let mut state = self.lock();
            let Some(waiting) = state.waiting.get_mut(&id) else {
                // Expired between the claim and the upgrade.
                return;
            };
            match waiting.parked.take() {
                Some(other) => {
                    let session = waiting.session;
                    state.waiting.remove(&id);
                    (session, other)
                }
                None => {
                    waiting.parked = Some((socket, handle));
                    return;
                }
            }
        };
        pipe(session, other, socket).await;
    }
}

impl Table {
    fn purge(&mut self, now: Instant) {
        self.waiting.retain(|_, w| w.expires > now);
        let waiting = &self.waiting;
        self.tokens.retain(|_, id| waiting.contains_key(id));
    }
}

pub(crate) async fn upgrade(
    State(app): State<Arc<App>>,
    Path(token): Path<String>,
    handle: Option<Extension<ConnHandle>>,
    ws: WebSocketUpgrade,
) -> Response {
    let Some(id) = app.relays.claim(&token, Instant::now()) else {
        tracing::info!("relay refused: unknown, used or expired token");
        return (StatusCode::NOT_FOUND, "no such relay").into_response();
    };
    // A valid one-use token is as good as a login: this connection is someone's session.
    if let Some(Extension(h)) = &handle {
        h.identify();
    }
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .max_write_buffer_size(2 * MAX_MESSAGE)
        .on_upgrade(move |socket| async move {
            // Held (parked with the socket, then by the pipe) for as long as the relay runs:
            // its slot stays taken, and identified.
            let handle = handle.map(|Extension(h)| h);
            app.relays.arrive(id, socket, handle).await;
        })
}

async fn pipe(session: u64, a: WebSocket, b: WebSocket) {
    let (mut a_tx, mut a_rx) = a.split();
    let (mut b_tx, mut b_rx) = b.split();
    if a_tx.send(Message::text(PAIRED)).await.is_err()
        || b_tx.send(Message::text(PAIRED)).await.is_err()
    {
        return;
    }
    tracing::info!(session, "relay opened");
    let started = Instant::now();
    let (mut a_to_b, mut b_to_a) = (0u64, 0u64);
    tokio::select! {
        () = forward(&mut a_rx, &mut b_tx, &mut a_to_b) => {}
        () = forward(&mut b_rx, &mut a_tx, &mut b_to_a) => {}
    }
    let _ = a_tx.close().await;
    let _ = b_tx.close().await;
    tracing::info!(
        session,
        bytes = a_to_b + b_to_a,
        secs = started.elapsed().as_secs(),
        "relay closed"
    );
}

/// Copies binary messages until either side closes; awaiting each send carries the slow
/// side's TCP backpressure back to the fast one.
async fn forward(
    from: &mut futures_util::stream::SplitStream<WebSocket>,
    to: &mut futures_util::stream::SplitSink<WebSocket, Message>,
    bytes: &mut u64,
) {
    while let Some(Ok(msg)) = from.next().await {
        match msg {
            Message::Binary(data) => {
                *bytes += data.len() as u64;
                if to.send(Message::Binary(data)).await.is_err() {
                    return;
                }
            }
            Message::Close(_) => return,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_single_use_random_and_expire() {
        let relays = Relays::default();
        let now = Instant::now();
        let (a, b) = relays.open(7, now).expect("room");
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        let id = relays.claim(&a, now).expect("valid");
        assert_eq!(relays.claim(&a, now), None, "used once");
        assert_eq!(relays.claim(&b, now), Some(id), "the other end");
        assert_eq!(relays.claim("00", now), None);

        let (c, _) = relays.open(7, now).expect("room");
        assert_eq!(relays.claim(&c, now + PAIRING_WINDOW), None, "expired");
    }

    #[test]
    fn cancelled_relays_admit_nobody_and_waiting_relays_are_capped() {
        let relays = Relays::default();
        let now = Instant::now();
        let pair = relays.open(1, now).expect("room");
        relays.cancel(&pair);
        assert_eq!(relays.claim(&pair.0, now), None);
        for i in 0..MAX_WAITING {
            relays.open(i as u64 / 4, now).expect("room");
        }
        assert_eq!(relays.open(9999, now), Err(RelayError::Busy));
        assert!(relays.open(1, now + PAIRING_WINDOW).is_ok(), "room again");
    }

    #[test]
    fn one_session_cannot_take_everyone_elses_relays() {
        let relays = Relays::default();
        let now = Instant::now();
        // One agent asking in a loop (the finding: all 1,024 in 0.05 s).
        let granted = (0..1024).filter(|_| relays.open(1, now).is_ok()).count();
        assert_eq!(granted, MAX_WAITING_PER_SESSION);
        assert_eq!(relays.open(1, now), Err(RelayError::SessionBusy));
        // Everyone else still gets theirs.
        for session in 2..100 {
            relays.open(session, now).expect("room for other sessions");
        }
    }
}
