//! The fallback path: the four channels carried over one WebSocket to the portal, which pipes
//! it to the other side's WebSocket. Used when no direct WebRTC path opens (UDP blocked, strict
//! firewalls): the relay rides the portal's own HTTP(S) port, so whatever reaches the portal
//! reaches the other side.
//!
//! ```text
//!  agent ──ws /relay/<token A>──► portal ◄──ws /relay/<token B>── viewer
//!        binary messages: [channel byte][payload]    text "paired" once both are there
//! ```
//! Tokens are minted by the portal for one pair and handed out over each side's
//! authenticated signalling connection; each is good for one connection.
//!
//! One TCP stream means one queue, so the sender keeps the channels' priorities itself:
//! control and input go before frames and files, and each channel has the same in-flight
//! budget as a WebRTC channel ([`SEND_BUFFER_LIMIT`]) so bulk data waits in the agent, where
//! it can be merged, rather than in sockets.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::tls::PortalAddress;
use crate::{Channel, Link, LinkEvent, LinkPath, SEND_BUFFER_LIMIT, TransportError};

/// The text message the portal sends each side once both are connected.
pub const PAIRED: &str = "paired";
/// Largest relayed message: a frame or file chunk (≤ 64 KiB) plus its channel byte, with room.
pub const MAX_RELAY_MESSAGE: usize = 256 * 1024;

/// The byte that names a channel on the relay.
pub fn channel_byte(ch: Channel) -> u8 {
    match ch {
        Channel::Control => 0,
        Channel::Input => 1,
        Channel::Frames => 2,
        Channel::Files => 3,
    }
}

/// Splits a relayed message into channel and payload; `None` for an empty message or an
/// unknown channel (a newer peer's), which the caller skips.
pub fn split_message(msg: &[u8]) -> Option<(Channel, &[u8])> {
    let (&first, payload) = msg.split_first()?;
    let ch = match first {
        0 => Channel::Control,
        1 => Channel::Input,
        2 => Channel::Frames,
        3 => Channel::Files,
        _ => return None,
    };
    Some((ch, payload))
}

/// Builds a relayed message.
pub fn join_message(ch: Channel, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 1);
    out.push(channel_byte(ch));
    out.extend_from_slice(payload);
    out
}

/// The relay's WebSocket URL on the portal at `portal` for `token`.
pub fn relay_url(portal: &str, token: &str) -> Result<String, TransportError> {
    Ok(relay_address(portal)?.websocket_url(&format!("/relay/{token}")))
}

fn relay_address(portal: &str) -> Result<PortalAddress, TransportError> {
    portal
        .parse()
        .map_err(|e: crate::tls::TlsError| TransportError::Relay(e.to_string()))
}

enum Outgoing {
    Message(Vec<u8>, OwnedSemaphorePermit),
    Close,
}

/// The sending half of a relayed link.
#[derive(Clone)]
pub(crate) struct RelaySender {
    urgent: mpsc::UnboundedSender<Outgoing>,
    bulk: mpsc::UnboundedSender<Outgoing>,
    budgets: Arc<[Arc<Semaphore>; 4]>,
}

impl RelaySender {
    pub(crate) async fn send(&self, ch: Channel, bytes: &[u8]) -> Result<(), TransportError> {
        let budget = self.budgets[usize::from(channel_byte(ch))].clone();
        // A message larger than the budget takes all of it (it still goes, alone).
        let want = u32::try_from(bytes.len().clamp(1, SEND_BUFFER_LIMIT)).unwrap_or(u32::MAX);
        let permit = budget
            .acquire_many_owned(want)
            .await
            .map_err(|_| TransportError::Closed)?;
        let queue = match ch {
            Channel::Control | Channel::Input => &self.urgent,
            Channel::Frames | Channel::Files => &self.bulk,
        };
        queue
            .send(Outgoing::Message(join_message(ch, bytes), permit))
            .map_err(|_| TransportError::Closed)
    }

    pub(crate) fn close(&self) {
        let _ = self.urgent.send(Outgoing::Close);
    }

    /// Closes behind the frames and files already queued (the writer reads the urgent
    /// queue first, so only what is urgent and queued later could still overtake it).
    pub(crate) fn close_after_queued(&self) {
        let _ = self.bulk.send(Outgoing::Close);
    }
}

/// Connects to the portal's relay with `token` and waits until the other side is there too.
pub async fn connect(portal: &str, token: &str, timeout: Duration) -> Result<Link, TransportError> {
    connect_at(portal, &format!("/relay/{token}"), timeout).await
}

/// Connects to the portal's recorder with `token` (from `RecordingToken`): a link whose other
/// end is the portal itself, which keeps what it is sent (frames, pointer) with its timing.
/// It speaks the relay's framing, so the agent sends to it as to any viewer.
pub async fn connect_recorder(
    portal: &str,
    token: &str,
    timeout: Duration,
) -> Result<Link, TransportError> {
    connect_at(portal, &format!("/record/{token}"), timeout).await
}

async fn connect_at(portal: &str, path: &str, timeout: Duration) -> Result<Link, TransportError> {
    let address = relay_address(portal)?;
    let url = address.websocket_url(path);
    let opening = async {
        let mut config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default();
        config.max_message_size = Some(MAX_RELAY_MESSAGE);
        config.max_frame_size = Some(MAX_RELAY_MESSAGE);
        // Nagle would hold small input messages back behind the last frame chunk (no
        // Nagle is set inside). The relay is trusted exactly as signalling is.
        let ws = crate::tls::connect_websocket(&address, &url, Some(config))
            .await
            .map_err(|e| TransportError::Relay(format!("cannot reach the portal's relay: {e}")))?;
        let (sink, mut stream) = ws.split();
        loop {
            match stream.next().await {
                Some(Ok(WsMessage::Text(t))) if t.as_str() == PAIRED => break,
                Some(Ok(WsMessage::Close(reason))) => {
                    let why = reason
                        .map(|r| r.reason.to_string())
                        .unwrap_or_else(|| "no reason given".into());
                    return Err(TransportError::Relay(format!(
                        "the portal refused the relay: {why}"
                    )));
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => return Err(TransportError::Relay(e.to_string())),
                None => return Err(TransportError::Relay("the portal closed the relay".into())),
            }
        }
        Ok((sink, stream))
    };
    let (sink, stream) = tokio::time::timeout(timeout, opening)
        .await
        .map_err(|_| TransportError::Timeout(timeout))??;
    Ok(start(sink, stream))
}

fn start<S, R>(mut sink: S, mut stream: R) -> Link
where
    S: futures_util::Sink<WsMessage> + Unpin + Send + 'static,
    R: futures_util::Stream<Item = Result<WsMessage, tokio_tungstenite::tungstenite::Error>>
        + Unpin
        + Send
        + 'static,
{
    let (urgent_tx, mut urgent_rx) = mpsc::unbounded_channel();
    let (bulk_tx, mut bulk_rx) = mpsc::unbounded_channel();
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let budget = || Arc::new(Semaphore::new(SEND_BUFFER_LIMIT));
    let budgets = Arc::new([budget(), budget(), budget(), budget()]);
    let writer_budgets = budgets.clone();
    tokio::spawn(async move {
        loop {
            let out = tokio::select! {
                biased;
                Some(out) = urgent_rx.recv() => out,
                Some(out) = bulk_rx.recv() => out,
                else => break,
            };
            match out {
                Outgoing::Message(bytes, permit) => {
                    let sent = sink.send(WsMessage::binary(bytes)).await;
                    drop(permit);
                    if sent.is_err() {
                        break;
                    }
                }
                Outgoing::Close => break,
            }
        }
        let _ = sink.close().await;
        // Senders waiting for budget learn the link is gone.
        for b in writer_budgets.iter() {
            b.close();
        }
    });
    let events = events_tx.clone();
    tokio::spawn(async move {
        let why = loop {
            match stream.next().await {
                Some(Ok(WsMessage::Binary(data))) => match split_message(&data) {
                    Some((ch, payload)) => {
                        if events
                            .send(LinkEvent::Message(ch, payload.to_vec()))
                            .is_err()
                        {
                            return;
                        }
                    }
                    None => tracing::debug!("skipping a relayed message for an unknown channel"),
                },
                // The reason, when given, is the other end's word (a recorder says "full").
                Some(Ok(WsMessage::Close(Some(frame)))) if !frame.reason.is_empty() => {
                    break format!("the relay closed: {}", frame.reason);
                }
                Some(Ok(WsMessage::Close(_))) | None => break "the relay closed".to_owned(),
                Some(Ok(_)) => {}
                Some(Err(e)) => break format!("the relay failed: {e}"),
            }
        };
        let _ = events.send(LinkEvent::Closed(why));
    });
    Link {
        sender: crate::LinkSender::relayed(RelaySender {
            urgent: urgent_tx,
            bulk: bulk_tx,
            budgets,
        }),
        events: events_rx,
        path: LinkPath::Relay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relayed_messages_name_their_channel() {
        for ch in [
            Channel::Control,
            Channel::Input,
            Channel::Frames,
            Channel::Files,
        ] {
            let msg = join_message(ch, b"abc");
            assert_eq!(split_message(&msg), Some((ch, &b"abc"[..])));
        }
        // Pinned: the portal and older peers rely on these bytes.
        assert_eq!(join_message(Channel::Input, &[9]), [1, 9]);
        assert_eq!(join_message(Channel::Files, &[]), [3]);
        assert_eq!(split_message(&[]), None);
        assert_eq!(split_message(&[4, 1, 2]), None);
    }

    #[test]
    fn relay_urls_follow_the_portal_address() {
        assert_eq!(
            relay_url("http://127.0.0.1:8470", "abc").ok().as_deref(),
            Some("ws://127.0.0.1:8470/relay/abc")
        );
        assert_eq!(
            relay_url("https://help.example/join/1", "t")
                .ok()
                .as_deref(),
            Some("wss://help.example/relay/t")
        );
        assert!(relay_url("nowhere", "t").is_err());
    }
}
