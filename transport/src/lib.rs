//! WebRTC data channels between an agent and one attendee, shared by agent and viewer.
//!
//! ```text
//!  offerer (agent)                         answerer (viewer)
//!  Link::offer ── sdp ──► portal ──► Link::answer
//!  PendingLink::complete ◄── sdp ◄── portal ◄──┘      PendingLink::complete
//!        └──────── control · input · frames (DTLS/SCTP) ────────┘
//! ```
//! Four ordered, reliable channels: `control`, `input` (tiny, so it never waits behind
//! frames), `frames` and `files` (bulk; their send buffers are small so data queues in the
//! agent, where it can be dropped or merged, not in SCTP). Candidates are gathered before the SDP is
//! sent (no trickle): one message each way through the portal.
#![forbid(unsafe_code)]

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use tokio::sync::{Notify, mpsc};
use webrtc::data_channel::{DataChannel, DataChannelEvent, RTCDataChannelInit};
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
    RTCIceGatheringState, RTCPeerConnectionState, RTCSessionDescription, SettingEngineBuilder,
};

pub mod files;
pub mod relay;
pub mod signalling;
pub mod tls;

pub use tandem_protocol::agent::Channel;

/// Default log filter for binaries using this crate: the WebRTC stack warns about routine
/// events (empty ICE passwords during checks, unset DTLS server names) that mean nothing to
/// a customer or representative, and its driver logs an error for every UDP packet a
/// firewall drops — the very case the relay handles.
pub const DEFAULT_LOG_FILTER: &str = "warn,rtc=error,rtc_ice=error,rtc_dtls=error,rtc_sctp=error,\
     webrtc=error,webrtc::peer_connection::driver=off,enigo=error";

/// Bytes each channel may have in flight before `send` waits (measured: more only adds
/// latency and SCTP stalls on loopback).
pub const SEND_BUFFER_LIMIT: usize = 128 * 1024;
const GATHER_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the offerer gives a direct path to open before it asks for the portal's relay.
/// On a LAN or loopback the channels open in well under a second; ICE over the internet
/// (host and reflexive candidates) in one or two.
pub const DEFAULT_DIRECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the transport may bind, and when it gives up on a direct path.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// Local address for UDP sockets; `0.0.0.0` means every interface (not loopback).
    pub bind_ip: IpAddr,
    /// Time for a direct path before falling back to the relay (zero: relay at once).
    pub direct_timeout: Duration,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            bind_ip: IpAddr::from([0, 0, 0, 0]),
            direct_timeout: DEFAULT_DIRECT_TIMEOUT,
        }
    }
}

/// Why the transport failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The WebRTC stack refused an operation.
    #[error("webrtc: {0}")]
    WebRtc(#[from] webrtc::error::Error),
    /// The channels did not open in time (no network path between the peers?).
    #[error("no connection could be made to the other side within {0:?}")]
    Timeout(Duration),
    /// The connection closed.
    #[error("connection closed")]
    Closed,
    /// The portal's relay could not be used.
    #[error("relay: {0}")]
    Relay(String),
}

/// How a link reaches the other side; shown to the representative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPath {
    /// Peer to peer (WebRTC over UDP).
    Direct,
    /// Through the portal's relay (WebSocket over the portal's TCP port).
    Relay,
}

impl LinkPath {
    /// One word for logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            LinkPath::Direct => "direct",
            LinkPath::Relay => "relay",
        }
    }

    /// Words for a person.
    pub fn describe(self) -> &'static str {
        match self {
            LinkPath::Direct => "direct peer-to-peer connection",
            LinkPath::Relay => "relayed through the portal (no direct path; UDP may be blocked)",
        }
    }
}

/// Something that happened on the link.
#[derive(Debug)]
pub enum LinkEvent {
    /// One message from the other side.
    Message(Channel, Vec<u8>),
    /// The link is gone; words for a person.
    Closed(String),
}

const ALL_CHANNELS: [Channel; 4] = [
    Channel::Control,
    Channel::Input,
    Channel::Frames,
    Channel::Files,
];

fn label(ch: Channel) -> &'static str {
    match ch {
        Channel::Control => "control",
        Channel::Input => "input",
        Channel::Frames => "frames",
        Channel::Files => "files",
    }
}

fn channel_for(label: &str) -> Option<Channel> {
    match label {
        "control" => Some(Channel::Control),
        "input" => Some(Channel::Input),
        "frames" => Some(Channel::Frames),
        "files" => Some(Channel::Files),
        _ => None,
    }
}

struct Shared {
    channels: Mutex<HashMap<Channel, Arc<dyn DataChannel>>>,
    open: Mutex<usize>,
    opened: Notify,
    gathered: Notify,
    events: mpsc::UnboundedSender<LinkEvent>,
}

impl Shared {
    fn lock_channels(&self) -> std::sync::MutexGuard<'_, HashMap<Channel, Arc<dyn DataChannel>>> {
        // A poisoned lock only means another task panicked mid-insert; the map is still usable.
        self.channels.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn watch(self: &Arc<Self>, ch: Channel, dc: Arc<dyn DataChannel>) {
        self.lock_channels().insert(ch, dc.clone());
        let shared = self.clone();
        tokio::spawn(async move {
            while let Some(ev) = dc.poll().await {
                match ev {
                    DataChannelEvent::OnOpen => {
                        *shared.open.lock().unwrap_or_else(|e| e.into_inner()) += 1;
                        shared.opened.notify_waiters();
                        shared.opened.notify_one();
                    }
                    DataChannelEvent::OnMessage(m) => {
                        let _ = shared.events.send(LinkEvent::Message(ch, m.data.to_vec()));
                    }
                    DataChannelEvent::OnClose => break,
                    _ => {}
                }
            }
            let _ = shared
                .events
                .send(LinkEvent::Closed(format!("{} channel closed", label(ch))));
        });
    }

    fn open_count(&self) -> usize {
        *self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

struct Handler {
    shared: Arc<Shared>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.shared.gathered.notify_one();
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        tracing::debug!(%state, "peer connection state");
        if matches!(
            state,
            RTCPeerConnectionState::Failed | RTCPeerConnectionState::Closed
        ) {
            let _ = self
                .shared
                .events
                .send(LinkEvent::Closed(format!("connection {state}")));
        }
    }

    async fn on_data_channel(&self, dc: Arc<dyn DataChannel>) {
        let shared = self.shared.clone();
        // Must not await the channel's events here: returning unblocks the driver.
        tokio::spawn(async move {
            let name = dc.label().await.unwrap_or_default();
            match channel_for(&name) {
                Some(ch) => shared.watch(ch, dc),
                None => tracing::warn!(label = %name, "ignoring unknown data channel"),
            }
        });
    }
}

/// A link whose negotiation is under way.
pub struct PendingLink {
    pc: Arc<dyn PeerConnection>,
    shared: Arc<Shared>,
    events: mpsc::UnboundedReceiver<LinkEvent>,
}

/// An open link: the four channels to one peer.
pub struct Link {
    /// Cloneable sending half.
    pub sender: LinkSender,
    /// Messages and closure, in arrival order.
    pub events: mpsc::UnboundedReceiver<LinkEvent>,
    /// Direct or relayed.
    pub path: LinkPath,
}

/// Sends on an open link; clone it freely.
#[derive(Clone)]
pub struct LinkSender(Sender);

#[derive(Clone)]
enum Sender {
    Direct {
        pc: Arc<dyn PeerConnection>,
        shared: Arc<Shared>,
    },
    Relay(relay::RelaySender),
}

async fn build(cfg: &TransportConfig) -> Result<PendingLink, TransportError> {
    let (tx, rx) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        channels: Mutex::new(HashMap::new()),
        open: Mutex::new(0),
        opened: Notify::new(),
        gathered: Notify::new(),
        events: tx,
    });
    let settings = SettingEngineBuilder::new()
        .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
        .with_include_loopback_candidate(cfg.bind_ip.is_loopback())
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_configuration(RTCConfigurationBuilder::new().build())
        .with_setting_engine(settings)
        .with_handler(Arc::new(Handler {
            shared: shared.clone(),
        }))
        .with_udp_addrs(vec![std::net::SocketAddr::new(cfg.bind_ip, 0)])
        .with_data_channel_send_buffer_limit(SEND_BUFFER_LIMIT)
        .build()
        .await?;
    Ok(PendingLink {
        pc: Arc::new(pc),
        shared,
        events: rx,
    })
}

impl PendingLink {
    /// Offerer side: creates the channels and returns the offer SDP (candidates included).
    pub async fn offer(cfg: &TransportConfig) -> Result<(PendingLink, String), TransportError> {
        let link = build(cfg).await?;
        for ch in ALL_CHANNELS {
            let init = RTCDataChannelInit {
                ordered: true,
                ..Default::default()
            };
            let dc = link.pc.create_data_channel(label(ch), Some(init)).await?;
            link.shared.watch(ch, dc);
        }
        let offer = link.pc.create_offer(None).await?;
        link.pc.set_local_description(offer).await?;
        let sdp = link.gathered_sdp().await?;
        Ok((link, sdp))
    }

    /// Answerer side: takes the offer and returns the answer SDP (candidates included).
    pub async fn answer(
        cfg: &TransportConfig,
        offer_sdp: String,
    ) -> Result<(PendingLink, String), TransportError> {
        let link = build(cfg).await?;
        link.pc
            .set_remote_description(RTCSessionDescription::offer(offer_sdp)?)
            .await?;
        let answer = link.pc.create_answer(None).await?;
        link.pc.set_local_description(answer).await?;
        let sdp = link.gathered_sdp().await?;
        Ok((link, sdp))
    }

    /// Offerer side: applies the answer.
    pub async fn accept_answer(&self, answer_sdp: String) -> Result<(), TransportError> {
        self.pc
            .set_remote_description(RTCSessionDescription::answer(answer_sdp)?)
            .await?;
        Ok(())
    }

    /// Gives up on this negotiation (the relay is used instead).
    pub async fn abandon(self) {
        let _ = self.pc.close().await;
    }

    /// Waits until all channels are open; on failure the connection is closed.
    pub async fn open(self, timeout: Duration) -> Result<Link, TransportError> {
        match self.wait_open(timeout).await {
            Ok(()) => Ok(self.into_link()),
            Err(e) => {
                self.abandon().await;
                Err(e)
            }
        }
    }

    /// Waits until all channels are open, leaving the negotiation in place either way (so a
    /// caller can wait for something else at the same time).
    pub async fn wait_open(&self, timeout: Duration) -> Result<(), TransportError> {
        let wait = async {
            loop {
                let notified = self.shared.opened.notified();
                if self.shared.open_count() >= ALL_CHANNELS.len() {
                    return;
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .map_err(|_| TransportError::Timeout(timeout))
    }

    /// The open link (after [`PendingLink::wait_open`] succeeded).
    pub fn into_link(self) -> Link {
        Link {
            sender: LinkSender(Sender::Direct {
                pc: self.pc,
                shared: self.shared,
            }),
            events: self.events,
            path: LinkPath::Direct,
        }
    }

    async fn gathered_sdp(&self) -> Result<String, TransportError> {
        // With host candidates only, gathering completes almost at once; the timeout keeps a
        // slow interface from blocking the session (whatever was gathered is still sent).
        let _ = tokio::time::timeout(GATHER_TIMEOUT, self.shared.gathered.notified()).await;
        self.pc
            .local_description()
            .await
            .map(|d| d.sdp)
            .ok_or(TransportError::Closed)
    }
}

impl LinkSender {
    fn relayed(sender: relay::RelaySender) -> Self {
        LinkSender(Sender::Relay(sender))
    }

    /// Sends one message, waiting while the channel's send buffer is full.
    pub async fn send(&self, ch: Channel, bytes: &[u8]) -> Result<(), TransportError> {
        match &self.0 {
            Sender::Direct { shared, .. } => {
                let dc = shared
                    .lock_channels()
                    .get(&ch)
                    .cloned()
                    .ok_or(TransportError::Closed)?;
                dc.send(BytesMut::from(bytes)).await?;
                Ok(())
            }
            Sender::Relay(relay) => relay.send(ch, bytes).await,
        }
    }

    /// Closes the link once everything already handed to it is sent (a relayed link's
    /// close otherwise overtakes the bulk channels' queued messages).
    pub async fn close_after_queued(&self) {
        match &self.0 {
            Sender::Direct { .. } => self.close().await,
            Sender::Relay(relay) => relay.close_after_queued(),
        }
    }

    /// Closes the link.
    pub async fn close(&self) {
        match &self.0 {
            Sender::Direct { pc, .. } => {
                let _ = pc.close().await;
            }
            Sender::Relay(relay) => relay.close(),
        }
    }
}

#[cfg(test)]
mod tests;
