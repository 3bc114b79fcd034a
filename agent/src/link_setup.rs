//! Opening a link to one attendee: offer through the portal, wait for the answer, give a
//! direct WebRTC path `direct_timeout`, then fall back to the portal's relay.

use std::time::Duration;

use tandem_protocol::AttendeeId;
use tandem_protocol::signal::{ClientMessage, SignalPayload};
use tandem_transport::signalling::PortalSender;
use tandem_transport::{Link, PendingLink, TransportConfig};
use tokio::sync::oneshot;

/// How long each step (answer, relay token, relay pairing) may take.
pub(crate) const LINK_OPEN_TIMEOUT: Duration = Duration::from_secs(20);

/// Offers a link to `id`; `answer` and `relay` receive the viewer's SDP answer and the
/// portal's relay token as the session loop routes them. Errors are words for the log.
pub(crate) async fn offer_link(
    id: AttendeeId,
    cfg: &TransportConfig,
    portal: &PortalSender,
    answer: oneshot::Receiver<String>,
    relay: oneshot::Receiver<String>,
) -> Result<Link, String> {
    let (pending, offer) = PendingLink::offer(cfg).await.map_err(|e| e.to_string())?;
    portal
        .send(ClientMessage::Signal {
            to: id,
            payload: SignalPayload::Offer { sdp: offer },
        })
        .map_err(|e| e.to_string())?;
    let answer = tokio::time::timeout(LINK_OPEN_TIMEOUT, answer)
        .await
        .map_err(|_| "no answer from the viewer".to_owned())?
        .map_err(|_| "negotiation abandoned".to_owned())?;
    pending
        .accept_answer(answer)
        .await
        .map_err(|e| e.to_string())?;
    let why = if cfg.direct_timeout.is_zero() {
        pending.abandon().await;
        "direct connections are turned off".to_owned()
    } else {
        match pending.open(cfg.direct_timeout).await {
            Ok(link) => return Ok(link),
            Err(e) => e.to_string(),
        }
    };
    tracing::info!(attendee = %id, "no direct path ({why}); relaying through the portal");
    portal
        .send(ClientMessage::Signal {
            to: id,
            payload: SignalPayload::RelayRequest,
        })
        .map_err(|e| e.to_string())?;
    let token = tokio::time::timeout(LINK_OPEN_TIMEOUT, relay)
        .await
        .map_err(|_| "the portal did not set up a relay".to_owned())?
        .map_err(|_| "negotiation abandoned".to_owned())?;
    tandem_transport::relay::connect(portal.portal(), &token, LINK_OPEN_TIMEOUT)
        .await
        .map_err(|e| e.to_string())
}
