//! Getting a link to the customer's machine: waiting for the agent's offer, then for the
//! direct path to open or, when the agent found none, for the portal's relay token.

use std::time::{Duration, Instant};

use tandem_protocol::AttendeeId;
use tandem_protocol::signal::{PortalMessage, SignalPayload};
use tandem_transport::PendingLink;
use tandem_transport::signalling::PortalSender;
use tokio::sync::mpsc;

use crate::session::{LINK_OPEN_TIMEOUT, UiCommand, UiEvent};

/// What waiting for a link to open ended with.
pub(crate) enum Opened {
    Link(tandem_transport::Link),
    Failed(tandem_transport::TransportError),
    /// The agent started over; answer this offer instead.
    NewOffer(String),
    Ended(String),
    PortalLost,
}

/// Waits for the direct link to open, or, when the agent found no direct path, for the
/// portal's relay token and then the relay.
pub(crate) async fn open_link(
    pending: PendingLink,
    portal: &PortalSender,
    portal_rx: &mut mpsc::UnboundedReceiver<PortalMessage>,
    ui: &mpsc::UnboundedSender<UiEvent>,
    me: AttendeeId,
) -> Opened {
    let deadline = Instant::now() + LINK_OPEN_TIMEOUT;
    let token = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let stop = tokio::select! {
            opened = pending.wait_open(left) => match opened {
                Ok(()) => return Opened::Link(pending.into_link()),
                Err(e) => Opened::Failed(e),
            },
            msg = portal_rx.recv() => match msg {
                Some(PortalMessage::Signal { from, payload }) if from == AttendeeId::CUSTOMER => match payload {
                    SignalPayload::Relay { token } => break token,
                    SignalPayload::Offer { sdp } => Opened::NewOffer(sdp),
                    _ => continue,
                },
                Some(PortalMessage::Consent { attendee, allowed }) if attendee == me => {
                    let _ = ui.send(UiEvent::Consent(allowed));
                    continue;
                }
                Some(PortalMessage::SessionEnded { reason }) => Opened::Ended(reason),
                Some(other) => {
                    let _ = ui.send(UiEvent::Portal(other));
                    continue;
                }
                None => Opened::PortalLost,
            },
        };
        pending.abandon().await;
        return stop;
    };
    pending.abandon().await;
    let left = deadline.saturating_duration_since(Instant::now());
    match tandem_transport::relay::connect(
        portal.portal(),
        &token,
        left.max(Duration::from_secs(5)),
    )
    .await
    {
        Ok(link) => Opened::Link(link),
        Err(e) => Opened::Failed(e),
    }
}

/// What waiting for the agent's offer ended with.
pub(crate) enum Waited {
    Offer(String),
    Ended(String),
    PortalLost,
}

/// Waits for the agent's offer.
pub(crate) async fn wait_for_offer(
    portal_rx: &mut mpsc::UnboundedReceiver<PortalMessage>,
    commands: &mut mpsc::UnboundedReceiver<UiCommand>,
    ui: &mpsc::UnboundedSender<UiEvent>,
    me: AttendeeId,
) -> Waited {
    loop {
        tokio::select! {
            msg = portal_rx.recv() => match msg {
                Some(PortalMessage::Signal { from, payload: SignalPayload::Offer { sdp } }) if from == AttendeeId::CUSTOMER => {
                    return Waited::Offer(sdp);
                }
                Some(PortalMessage::Consent { attendee, allowed }) if attendee == me => {
                    let _ = ui.send(UiEvent::Consent(allowed));
                }
                Some(PortalMessage::SessionEnded { reason }) => return Waited::Ended(reason),
                Some(other) => {
                    let _ = ui.send(UiEvent::Portal(other));
                }
                None => return Waited::PortalLost,
            },
            cmd = commands.recv() => match cmd {
                Some(UiCommand::Leave) | None => return Waited::Ended("the representative left".into()),
                Some(_) => {
                    let _ = ui.send(UiEvent::Error("not connected to the customer's machine yet".into()));
                }
            },
        }
    }
}
