//! The client side of the portal's signalling WebSocket: JSON [`ClientMessage`]s out,
//! [`PortalMessage`]s in. Used by the agent and the viewer alike.

use futures_util::{SinkExt, StreamExt};
use tandem_protocol::SessionCode;
use tandem_protocol::signal::{ClientMessage, PortalMessage, SIGNAL_VERSION};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::tls::{PortalAddress, TlsError};

/// Why talking to the portal failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignallingError {
    /// The portal address is not a usable URL.
    #[error("'{0}' is not a portal address (expected https://host:port or http://host:port)")]
    BadUrl(String),
    /// Nothing answered at the address.
    #[error("the portal at {url} is unreachable: {reason}")]
    Unreachable {
        /// Where we tried.
        url: String,
        /// What the network said.
        reason: String,
    },
    /// The portal closed the connection.
    #[error("the portal closed the connection")]
    Closed,
    /// The portal answered with something we do not understand.
    #[error("unexpected answer from the portal: {0}")]
    Unexpected(String),
}

/// Splits what a customer or specialist was given — a join link
/// (`https://portal/join/123456789?t=…#pin=sha256:…`) or a bare code plus the portal's
/// address — into the portal's address (with its certificate pin, if the link has one) and
/// the code.
pub fn parse_join(join: &str, portal: Option<&str>) -> Result<(String, SessionCode), String> {
    if let Some((_, tail)) = join.split_once("/join/") {
        let address: PortalAddress = join.parse().map_err(|e: TlsError| e.to_string())?;
        let code = tail
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
            .parse()
            .map_err(|e| format!("bad code in the link: {e}"))?;
        return Ok((address.with_pin(), code));
    }
    let code: SessionCode = join
        .parse()
        .map_err(|e| format!("'{join}' is neither a join link nor a code: {e}"))?;
    let portal = portal.ok_or("a bare code needs the portal's address (--portal)")?;
    Ok((portal.trim_end_matches('/').to_owned(), code))
}

/// The link token of a join link (`…/join/123456789?t=<token>`): it proves the holder was
/// sent the link, so the portal checks it before any per-address limit (see the portal's
/// `linktoken`). `None` for a typed code or a link without one.
pub fn link_token(join: &str) -> Option<String> {
    let (_, tail) = join.split_once("/join/")?;
    let query = tail.split('#').next()?.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("t="))
        .filter(|t| !t.is_empty() && t.len() <= 128 && t.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_owned)
}

/// An open signalling connection (after the hello exchange).
pub struct PortalConnection {
    tx: PortalSender,
    rx: mpsc::UnboundedReceiver<PortalMessage>,
}

enum Outgoing {
    Message(ClientMessage),
    /// Flush what is queued, close the socket, then signal the waiter.
    Close(tokio::sync::oneshot::Sender<()>),
}

/// Turns `http(s)://host:port[/anything][#pin=…]` into the portal's WebSocket URL.
pub fn websocket_url(portal: &str) -> Result<String, SignallingError> {
    let address: PortalAddress = portal
        .parse()
        .map_err(|_| SignallingError::BadUrl(portal.to_owned()))?;
    Ok(address.websocket_url("/ws"))
}

impl PortalConnection {
    /// Connects, says hello and waits for the portal's welcome.
    pub async fn connect(portal: &str, client: &str) -> Result<PortalConnection, SignallingError> {
        let address: PortalAddress = portal
            .parse()
            .map_err(|e: TlsError| SignallingError::BadUrl(e.to_string()))?;
        let url = address.websocket_url("/ws");
        // Signalling is small messages that someone waits for (SDP, consent, the last
        // `EndSession`): no Nagle delay (set inside).
        let ws = crate::tls::connect_websocket(&address, &url, None)
            .await
            .map_err(|reason| SignallingError::Unreachable {
                url: address.base(),
                reason,
            })?;
        let (mut sink, mut stream) = ws.split();
        let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Outgoing>();
        let (in_tx, in_rx) = mpsc::unbounded_channel::<PortalMessage>();
        tokio::spawn(async move {
            while let Some(out) = out_rx.recv().await {
                match out {
                    Outgoing::Message(msg) => {
                        // Serialising our own enum cannot fail.
                        let text = serde_json::to_string(&msg).unwrap_or_default();
                        if sink.send(WsMessage::text(text)).await.is_err() {
                            break;
                        }
                    }
                    Outgoing::Close(done) => {
                        let _ = sink.close().await;
                        let _ = done.send(());
                        return;
                    }
                }
            }
            let _ = sink.close().await;
        });
        // Set once the portal's side has ended (its answer to our close, or a drop).
        let (ended_tx, ended_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _ended = ended_tx;
            while let Some(Ok(frame)) = stream.next().await {
                let WsMessage::Text(text) = frame else {
                    continue;
                };
                match serde_json::from_str::<PortalMessage>(&text) {
                    Ok(m) => {
                        if in_tx.send(m).is_err() {
                            break;
                        }
                    }
                    Err(e) => tracing::warn!("ignoring unparseable portal message: {e}"),
                }
            }
        });
        let mut conn = PortalConnection {
            tx: PortalSender {
                out: out_tx,
                portal: portal.trim_end_matches('/').into(),
                ended: ended_rx,
            },
            rx: in_rx,
        };
        conn.send(ClientMessage::Hello {
            version: SIGNAL_VERSION,
            client: client.to_owned(),
        })?;
        match conn.recv().await? {
            PortalMessage::Welcome { .. } => Ok(conn),
            other => Err(SignallingError::Unexpected(format!("{other:?}"))),
        }
    }

    /// Queues one message.
    pub fn send(&self, msg: ClientMessage) -> Result<(), SignallingError> {
        self.tx.send(msg)
    }

    /// Sends everything queued, then closes the connection (so a last message is not lost
    /// when the process exits right after).
    pub async fn close(self) {
        self.tx.close().await;
    }

    /// The next message from the portal.
    pub async fn recv(&mut self) -> Result<PortalMessage, SignallingError> {
        self.rx.recv().await.ok_or(SignallingError::Closed)
    }

    /// Sends a request and returns the next message (for request/answer exchanges before a
    /// session starts, when nothing else arrives unasked).
    pub async fn request(&mut self, msg: ClientMessage) -> Result<PortalMessage, SignallingError> {
        self.send(msg)?;
        self.recv().await
    }

    /// Splits into a cloneable sender and the receiving half.
    pub fn split(self) -> (PortalSender, mpsc::UnboundedReceiver<PortalMessage>) {
        (self.tx, self.rx)
    }
}

/// Sending half of a [`PortalConnection`].
#[derive(Clone)]
pub struct PortalSender {
    out: mpsc::UnboundedSender<Outgoing>,
    /// The portal's base URL (for its relay).
    portal: std::sync::Arc<str>,
    /// Closed when the reading half has ended.
    ended: tokio::sync::watch::Receiver<bool>,
}

impl PortalSender {
    /// The portal's address, as connected to.
    pub fn portal(&self) -> &str {
        &self.portal
    }

    /// Queues one message.
    pub fn send(&self, msg: ClientMessage) -> Result<(), SignallingError> {
        self.out
            .send(Outgoing::Message(msg))
            .map_err(|_| SignallingError::Closed)
    }

    /// Sends everything queued, closes the connection and waits for the portal to close its
    /// side too; at most two seconds in all. The portal answers a close only after it has
    /// handled every message before it, so a last message (`EndSession`) is never lost to
    /// the process exiting right after (which could reset the connection under it).
    pub async fn close(&self) {
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        if self.out.send(Outgoing::Close(done_tx)).is_ok() {
            let mut ended = self.ended.clone();
            let _ = tokio::time::timeout(std::time::Duration::from_secs(2), async move {
                let _ = done_rx.await;
                // Nothing is ever sent on it: this returns when the reader drops its end.
                let _ = ended.changed().await;
            })
            .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_urls_become_websocket_urls() {
        assert_eq!(
            websocket_url("http://127.0.0.1:8470").ok().as_deref(),
            Some("ws://127.0.0.1:8470/ws")
        );
        assert_eq!(
            websocket_url("https://help.example/join/123456789")
                .ok()
                .as_deref(),
            Some("wss://help.example/ws")
        );
        assert!(websocket_url("127.0.0.1:8470").is_err());
        assert!(websocket_url("ftp://x").is_err());
        assert!(websocket_url("http://").is_err());
    }

    #[test]
    fn join_links_and_codes() {
        let (p, c) = parse_join("http://127.0.0.1:9/join/012345678", None).expect("link");
        assert_eq!(
            (p.as_str(), c.digits().as_str()),
            ("http://127.0.0.1:9", "012345678")
        );
        let (p, _) = parse_join("123-456-789", Some("http://x:1/")).expect("code");
        assert_eq!(p, "http://x:1");
        assert!(parse_join("123456789", None).is_err());
        assert!(parse_join("http://x/join/12", None).is_err());
    }

    #[test]
    fn join_links_keep_their_pin_and_token() {
        let pin = format!("sha256:{}", "a1".repeat(32));
        let link = format!("https://h.example:8470/join/012345678?t=Abc123#pin={pin}");
        let (p, c) = parse_join(&link, None).expect("link");
        assert_eq!(p, format!("https://h.example:8470#pin={pin}"));
        assert_eq!(c.digits(), "012345678");
        assert_eq!(link_token(&link).as_deref(), Some("Abc123"));
        assert_eq!(link_token("https://h/join/012345678"), None);
        assert_eq!(link_token("https://h/join/012345678?t=a%0A"), None);
        assert_eq!(link_token("012345678"), None);
    }
}
